-- SPDX-License-Identifier: MIT
-- Singular test (dbt format: the failing rows): days on which the mart's
-- orders, units or USD revenue differ from a recomputation over stg_sales.
with staged as (
    select
        s.sale_date,
        count(*)                                   as orders,
        sum(s.quantity)                            as units,
        sum(s.amount * fx.usd_per_unit)            as revenue_usd
    from {{ ref('stg_sales') }} as s
    left join {{ ref('fx') }} as fx on fx.currency = s.currency
    group by s.sale_date
)
select
    coalesce(f.sale_date, s.sale_date) as sale_date,
    f.orders as mart_orders, s.orders as staged_orders,
    f.revenue_usd as mart_revenue_usd, round(s.revenue_usd, 2) as staged_revenue_usd
from {{ ref('fct_daily_sales_metrics') }} as f
full join staged as s on s.sale_date = f.sale_date
where f.sale_date is null
   or s.sale_date is null
   or f.orders <> s.orders
   or f.units <> s.units
   -- per-group rounding in int_daily_sales allows a cent per group
   or abs(f.revenue_usd - s.revenue_usd) > 0.005 * (select count(*) from {{ ref('int_daily_sales') }} as i where i.sale_date = f.sale_date)
