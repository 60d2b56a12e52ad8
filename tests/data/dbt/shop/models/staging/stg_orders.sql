select id, customer, amount, updated_at
from {{ source('app', 'orders') }}
