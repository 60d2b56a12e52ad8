{{ config(materialized='table', meta={'tier': 2}, docs={'show': false}) }}
select 10::int as id, 1::smallint as parent_id, 'x'::text as name, 2.50::numeric(10,2) as amount
union all
select 11, 2, 'yy', 0
