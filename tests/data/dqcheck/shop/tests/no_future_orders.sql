-- Orders dated in the future are a loading error.
select * from {{ ref('orders') }} where ordered_at > current_date
