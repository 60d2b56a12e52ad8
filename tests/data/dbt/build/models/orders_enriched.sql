{{ config(materialized='table') }}
select o.id, o.customer_id, c.name, o.amount
from {{ ref('stg_orders') }} as o
left join {{ ref('stg_customers') }} as c on c.id = o.customer_id
