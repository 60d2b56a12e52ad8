-- SPDX-License-Identifier: MIT
-- fct_daily_sales_metrics: one row per sale day, in USD. Incremental by
-- sale_date (delete+insert): each run recomputes the days touched by loads
-- since this table's last run, found by comparing int_daily_sales's
-- last_loaded_at with the watermark max_loaded_at kept here, so rows that
-- arrive late for an old day show up after the next run, not only days
-- after the newest one. built_at says when a day was last computed.
{{ config(
    materialized='incremental',
    unique_key='sale_date',
    indexes=[{'columns': ['sale_date'], 'unique': True}]
) }}

select
    d.sale_date,
    round(sum(d.gross_usd), 2)                                as revenue_usd,
    sum(d.units)::bigint                                      as units,
    sum(d.orders)::bigint                                     as orders,
    round(sum(d.gross_usd) / nullif(sum(d.orders), 0), 2)     as avg_order_value_usd,
    count(distinct d.product_id)::integer                     as distinct_products,
    count(distinct d.store_id)::integer                       as distinct_stores,
    max(d.last_loaded_at)                                     as max_loaded_at,
    now()                                                     as built_at
from {{ ref('int_daily_sales') }} as d
{% if is_incremental() %}
where d.sale_date = any(array(
    select distinct sale_date
    from {{ ref('int_daily_sales') }}
    where last_loaded_at > (select coalesce(max(max_loaded_at), '-infinity'::timestamptz) from {{ this }})
))
{% endif %}
group by d.sale_date
