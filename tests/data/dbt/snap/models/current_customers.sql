-- a model reading a snapshot: the versions now current
select id, name from {{ ref('ts_ignore') }} where dbt_valid_to is null
