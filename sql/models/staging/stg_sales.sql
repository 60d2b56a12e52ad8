-- SPDX-License-Identifier: MIT
-- stg_sales: the sales typed and de-duplicated, one row per sale_id, taken
-- from the latest load that carried it (a later load that sends a sale_id
-- again replaces the row). Incremental: a run reads only the raw rows
-- loaded after the newest load this table has seen, and replaces the
-- sale_ids they carry (delete+insert on sale_id). The unique index on
-- sale_id enforces the de-duplication; the others serve the models below.
{{ config(
    materialized='incremental',
    unique_key='sale_id',
    indexes=[
      {'columns': ['sale_id'], 'unique': True},
      {'columns': ['sale_date']},
      {'columns': ['loaded_at']},
    ]
) }}

with loaded as (
    select *
    from {{ source('raw', 'sales') }}
    {% if is_incremental() %}
    -- commit_lag: a load's rows carry its start time, so a load that was
    -- still running during the previous run is re-read within this window
    -- (re-reading is harmless: rows are replaced by sale_id)
    where _loaded_at > (select coalesce(max(loaded_at), '-infinity'::timestamptz) from {{ this }})
                       - interval '{{ var("commit_lag", "0 seconds") }}'
    {% endif %}
),

latest as (
    select distinct on (sale_id) *
    from loaded
    order by sale_id, _loaded_at desc, _load_id desc nulls last
)

select
    latest.sale_id::text                        as sale_id,
    latest.sold_at::timestamptz                 as sold_at,
    (latest.sold_at at time zone 'UTC')::date   as sale_date,
    latest.store_id::text                       as store_id,
    latest.product_id::text                     as product_id,
    latest.quantity::integer                    as quantity,
    latest.unit_price::numeric(12, 2)           as unit_price,
    latest.amount::numeric(14, 2)               as amount,
    upper(latest.currency)::text                as currency,
    latest._load_id                             as load_id,
    latest._loaded_at                           as loaded_at,
    -- the day the row replaced here was counted on, when a later load moved
    -- a sale to another day: the models below recompute that day too
    -- (a correlated subquery, so each new row probes the sale_id index
    -- rather than the planner hashing the whole table)
    {% if is_incremental() %}
    nullif((select previous.sale_date from {{ this }} as previous where previous.sale_id = latest.sale_id),
           (latest.sold_at at time zone 'UTC')::date) as replaced_sale_date
    {% else %}
    null::date                                  as replaced_sale_date
    {% endif %}
from latest
