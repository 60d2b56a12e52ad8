select customer_id, total from {{ ref('customer_totals') }} where total > 0
