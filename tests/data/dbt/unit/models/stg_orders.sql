select id, lower(customer) as customer, amount, ordered_at
from {{ source('raw', 'orders') }}
