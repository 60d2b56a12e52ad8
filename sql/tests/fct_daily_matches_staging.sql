-- SPDX-License-Identifier: MIT
-- Singular test (dbt format: the failing rows): days on which the mart's
-- orders, units or USD revenue differ from a recomputation over stg_sales.
-- Each side is aggregated per day first and the days are joined after, with
-- no correlated subquery: Citus runs a correlated subquery only when it is
-- correlated on the distribution column, which sale_date is not for
-- stg_sales (sale_id is).
with staged as (
    select
        s.sale_date,
        count(*)                                   as orders,
        sum(s.quantity)                            as units,
        sum(s.amount * fx.usd_per_unit)            as revenue_usd
    from {{ ref('stg_sales') }} as s
    left join {{ ref('fx') }} as fx on fx.currency = s.currency
    group by s.sale_date
),
mart as (
    select f.sale_date, f.orders, f.units, f.revenue_usd
    from {{ ref('fct_daily_sales_metrics') }} as f
),
-- int_daily_sales's groups per day: its per-group rounding allows a cent
-- per group
groups as (
    select i.sale_date, count(*) as n
    from {{ ref('int_daily_sales') }} as i
    group by i.sale_date
)
select
    coalesce(f.sale_date, s.sale_date) as sale_date,
    f.orders as mart_orders, s.orders as staged_orders,
    f.revenue_usd as mart_revenue_usd, round(s.revenue_usd, 2) as staged_revenue_usd
from mart as f
full join staged as s on s.sale_date = f.sale_date
left join groups as g on g.sale_date = f.sale_date
where f.sale_date is null
   or s.sale_date is null
   or f.orders <> s.orders
   or f.units <> s.units
   or abs(f.revenue_usd - s.revenue_usd) > 0.005 * coalesce(g.n, 0)
