-- SPDX-License-Identifier: MIT
-- fct_daily_sales_metrics: one row per sale day, in USD. Incremental by
-- sale_date (delete+insert): each run recomputes the days touched by loads
-- since this table's last run, found by comparing stg_sales.staged_at with
-- the watermark max_staged_at kept here, so rows that arrive late for an
-- old day show up after the next run, not only days after the newest one.
-- built_at says when a day was last computed. (A day that loses every sale
-- to re-sent rows keeps its old row: delete+insert replaces the days the
-- increment holds.)
-- stg_sales is read only in an incremental run; dbt learns the dependency
-- from this line (it parses the model with is_incremental() false):
-- depends_on: {{ ref('stg_sales') }}
-- On Citus: distributed by sale_date, which puts it beside int_daily_sales
-- (Citus colocates tables whose distribution columns have the same type by
-- default, so colocate_with needs no schema-specific name here).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='sale_date',
    distributed_by='sale_date',
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
    max(d.last_staged_at)                                     as max_staged_at,
    now()                                                     as built_at
from {{ ref('int_daily_sales') }} as d
{% if is_incremental() %}
-- the days of the sales staged since this table's watermark, and the days
-- that re-sent sales moved away from (stg_sales.replaced_sale_date)
where d.sale_date = any(array(
    select distinct t.d
    from {{ ref('stg_sales') }} as n
    cross join lateral (values (n.sale_date), (n.replaced_sale_date)) as t(d)
    where n.staged_at > (select coalesce(max(max_staged_at), '-infinity'::timestamptz) from {{ this }})
      and t.d is not null
))
{% endif %}
group by d.sale_date
