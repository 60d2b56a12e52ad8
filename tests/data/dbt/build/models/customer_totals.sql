{{ config(materialized='table') }}
select customer_id, sum(amount) as total from {{ ref('orders_enriched') }} group by customer_id
