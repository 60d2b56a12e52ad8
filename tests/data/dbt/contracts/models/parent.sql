{{ config(materialized='table', grants={'+select': ['mr_contract_writer'], 'insert': ['mr_contract_writer']}) }}
select 1 as id, 'a'::varchar(5) as code
union all
select 2, 'b'
