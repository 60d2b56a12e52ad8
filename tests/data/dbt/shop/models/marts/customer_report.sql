{{ config(materialized='view', tags=['report']) }}
select customer, total from {{ ref('customer_totals') }} where total > 0
