select id, name, tier from {{ ref('customers') }}
