{{ config(materialized='table') }}
select customer, count(*) as n, sum(amount) as total
from {{ ref('stg_orders') }}
group by customer
