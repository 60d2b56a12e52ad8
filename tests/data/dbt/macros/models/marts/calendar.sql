{{ config(alias='calendar_days') }}
with days as (
    {{ dbt_utils.generate_series(10) }}
)
select
    generated_number,
    cast({{ dbt.dateadd('day', 'generated_number - 1', "cast('2026-02-25' as date)") }} as date) as d
from days
