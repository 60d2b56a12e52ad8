{{ config(materialized='view') }}
{% if var('use_other', false) %}
select x from {{ ref('other') }}
{% else %}
select 0 as x
{% endif %}
