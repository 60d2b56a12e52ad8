select ordered_at as day, sum(amount) as revenue from {{ ref('orders') }} group by 1
