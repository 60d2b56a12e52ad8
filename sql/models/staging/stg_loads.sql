-- SPDX-License-Identifier: MIT
-- stg_loads: every committed load (raw._loads), listed once, by the first
-- model run that saw it committed. listed_at is that run's transaction
-- start. This is how stg_sales knows which loads it has not read yet:
-- a load's start time (raw.sales._loaded_at) cannot say it, because a long
-- load that started before a model run may commit after it, and the rows of
-- a load whose sales were all sent again later are no longer in stg_sales
-- to show that the load was read. Listing goes by visibility (an anti-join
-- on load_id), never by a clock, so a load is listed whatever its timing.
-- Loads into other tables are listed too (they bring no rows to stg_sales):
-- raw._loads names its tables in the server's spelling, which a source()
-- here cannot be compared with portably.
{{ config(
    materialized='incremental',
    unique_key='load_id',
    indexes=[
      {'columns': ['load_id'], 'unique': True},
      {'columns': ['listed_at']},
    ]
) }}

select
    l.load_id,
    l.target_table,
    l.rows,
    l.started_at,
    l.finished_at,
    now() as listed_at
from {{ source('raw', '_loads') }} as l
where l.status = 'committed'
{% if is_incremental() %}
  and not exists (select 1 from {{ this }} as t where t.load_id = l.load_id)
{% endif %}
