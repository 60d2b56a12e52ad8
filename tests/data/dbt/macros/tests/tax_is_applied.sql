-- a singular test that calls the project's macros
select id from {{ ref('stg_orders') }}
where amount_with_tax <> {{ with_tax(cents_to_dollars('cents')) }}
   or {{ dbt.datediff("'2026-01-01'", 'ordered_at', 'day') }} <> days_in
