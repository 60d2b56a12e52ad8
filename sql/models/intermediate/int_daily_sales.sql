-- SPDX-License-Identifier: MIT
-- int_daily_sales: per day x store x product, the units, orders (sales) and
-- gross amount in the sale's currency and in USD through the fx seed.
-- Incremental by sale_date: a run recomputes whole days, those that hold
-- rows staged since this table's newest watermark (last_loaded_at), so a
-- late row for an old day recomputes that day.
{{ config(
    materialized='incremental',
    unique_key='sale_date',
    indexes=[
      {'columns': ['sale_date']},
      {'columns': ['last_loaded_at']},
    ]
) }}

select
    s.sale_date,
    s.store_id,
    s.product_id,
    s.currency,
    sum(s.quantity)::bigint                          as units,
    count(*)::bigint                                 as orders,
    sum(s.amount)                                    as gross,
    round(sum(s.amount * fx.usd_per_unit), 2)        as gross_usd,
    max(s.loaded_at)                                 as last_loaded_at
from {{ ref('stg_sales') }} as s
left join {{ ref('fx') }} as fx on fx.currency = s.currency
{% if is_incremental() %}
-- = any(array(...)) rather than in (...): the planner then expects a few
-- days, not all of them, and reads them through the sale_date index
where s.sale_date = any(array(
    select distinct sale_date
    from {{ ref('stg_sales') }}
    where loaded_at > (select coalesce(max(last_loaded_at), '-infinity'::timestamptz) from {{ this }})
))
{% endif %}
group by s.sale_date, s.store_id, s.product_id, s.currency
