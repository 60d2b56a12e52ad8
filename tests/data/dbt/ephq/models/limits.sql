{{ config(materialized='ephemeral') }}
{%- set n = 0 %}
{%- if execute %}{% set n = run_query("select 3 as n").rows[0][0] %}{% endif %}
select {{ n }} as top_n;
