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
    where _loaded_at > (select coalesce(max(loaded_at), '-infinity'::timestamptz) from {{ this }})
    {% endif %}
),

latest as (
    select distinct on (sale_id) *
    from loaded
    order by sale_id, _loaded_at desc, _load_id desc nulls last
)

select
    sale_id::text                               as sale_id,
    sold_at::timestamptz                        as sold_at,
    (sold_at at time zone 'UTC')::date          as sale_date,
    store_id::text                              as store_id,
    product_id::text                            as product_id,
    quantity::integer                           as quantity,
    unit_price::numeric(12, 2)                  as unit_price,
    amount::numeric(14, 2)                      as amount,
    upper(currency)::text                       as currency,
    _load_id                                    as load_id,
    _loaded_at                                  as loaded_at
from latest
