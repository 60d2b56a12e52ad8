{{ config(materialized='table', tags=['jinja']) }}
{# a comment renders nothing, and its {{ ref('nope') }} is no dependency #}
-- depends_on: {{ ref('base') }}
{%- set cols = ['a', 'b', 'c'] %}
{%- set label = 'v' ~ var('version') %}
select
{%- for c in cols %}
    {{ loop.index }} as {{ c }}{% if not loop.last %},{% endif %}
{%- endfor %}
    , '{{ label }}' as label
    , {% if var('mode', 'none') == 'fast' and not false %}'fast'{% elif var('mode', 'none') == 'slow' or 1 > 2 %}'slow'{% else %}'other'{% endif %} as mode
    , {{ 2 * 3 + 1 }} as seven
    {{- ' , true as trimmed' -}}
