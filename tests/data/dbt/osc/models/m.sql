{{ config(materialized='incremental', on_schema_change=var('osc')) }}
select 1 as id, 'a'::varchar(5) as name, 10 as qty, 1.5::numeric(4,1) as price
