{{ config(materialized='incremental', unique_key='id') }}
select id, customer, amount * {{ var('rate') }} as amount_usd, ordered_at,
       '{{ env_var("UNIT_REGION", "eu") }}' as region
from {{ ref('stg_orders') }}
{% if is_incremental() %}
where ordered_at > (select max(ordered_at) from {{ this }})
{% endif %}
