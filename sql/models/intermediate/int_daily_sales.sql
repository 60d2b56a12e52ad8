-- SPDX-License-Identifier: MIT
-- int_daily_sales: per day x store x product, the units, orders (sales) and
-- gross amount in the sale's currency and in USD through the fx seed.
-- Incremental by sale_date: a run recomputes whole days, those that hold
-- rows stg_sales staged since this table's watermark (its newest
-- last_staged_at), so a late row for an old day recomputes that day. The
-- watermark is the time rows were staged, not when their load started:
-- a load that committed late is staged by a later run, so its rows are
-- newer than any watermark taken before (see stg_sales).
-- On Citus it is distributed by sale_date, its incremental key, colocated
-- with the mart (same column type), so the mart's per-day aggregate and
-- both models' per-day delete+insert run shard by shard
-- (docs/scale-out.md says what was measured).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='sale_date',
    distributed_by='sale_date',
    indexes=[
      {'columns': ['sale_date']},
      {'columns': ['last_staged_at']},
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
    max(s.staged_at)                                 as last_staged_at
from {{ ref('stg_sales') }} as s
left join {{ ref('fx') }} as fx on fx.currency = s.currency
{% if is_incremental() %}
-- = any(array(...)) rather than in (...): the planner then expects a few
-- days, not all of them, and reads them through the sale_date index
-- (a day a re-sent sale moved away from counts as touched too)
where s.sale_date = any(array(
    select distinct d
    from {{ ref('stg_sales') }} as n
    cross join lateral (values (n.sale_date), (n.replaced_sale_date)) as touched(d)
    where n.staged_at > (select coalesce(max(last_staged_at), '-infinity'::timestamptz) from {{ this }})
      and d is not null
))
{% endif %}
group by s.sale_date, s.store_id, s.product_id, s.currency
