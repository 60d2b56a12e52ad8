{{ config(materialized='incremental', unique_key='id', tags=['inc']) }}
select id, customer, amount, updated_at
from {{ source('app', 'orders') }}
{% if is_incremental() %}
where updated_at > (select max(updated_at) from {{ this }})
{% endif %}
