-- a query with CTEs of its own: the inputs' CTEs join them
with orders as (
    select * from {{ ref('stg_orders') }}
), rates as (
    select * from {{ ref('rates') }}
)
select (select count(*) from orders) as n_orders, (select count(*) from rates) as n_rates
