select id, customer_id, amount, updated_at from {{ source('app', 'orders') }}
