{{ config(severity='warn') }}
-- Very large orders are worth a look, not a failed run.
select id, amount from {{ ref('orders') }} where amount > {{ var("big_order", 1000) }};
