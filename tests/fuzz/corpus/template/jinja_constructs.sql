{#- Jinja as dbt projects write it: macros with defaults, call blocks,
    return(), do, block set, filters, tests, methods, loop.*, namespace(). -#}
{%- macro column_list(names, prefix='c_') -%}
{%- for n in names %}
  {{ n }} as {{ prefix ~ n }}{{ ',' if not loop.last }}
{%- endfor %}
{%- endmacro -%}
{%- macro odd_ones(xs) -%}{{ return(xs | select('odd') | list) }}{%- endmacro -%}
{%- macro parens() -%}({{ caller() }}){%- endmacro -%}
{%- set ns = namespace(total=0) -%}
{%- for x in range(5) if x is even %}{% set ns.total = ns.total + x %}{% endfor -%}
{%- set parts = [] -%}
{%- do parts.append('a') -%}
{%- do parts.extend(['b', 'c']) -%}
{%- set label -%}
  {{ parts | join('-') | upper }}
{%- endset -%}
{%- set cfg = {'schema': 'analytics', 'tags': ['x', 'y'], 'owner': none} -%}
select
{{- column_list(['id', 'name']) }},
  {{ ns.total }} as total,
  '{{ label | trim }}' as label,
  {{ odd_ones([1, 2, 3, 5]) | length }} as odd_count,
  {% call parens() %}{{ 7 // 2 }} + {{ 2 ** 3 }}{% endcall %} as sums,
  '{{ 'a.b.c'.split('.')[-1] }}{{ 'x_y'.replace('_', '') }}{{ '{}{}'.format(1, 2) }}' as strs,
  {{ cfg.get('owner') is none }} as no_owner,
  {{ (cfg.tags | map('upper') | list)[0] == 'X' }} as first_tag
  {%- for k, v in cfg.items() | sort %}
  -- {{ loop.index }}/{{ loop.length }} {{ k }}={{ v }}{{ ' (last)' if loop.last }}
  {%- endfor %}
  -- {{ [1.0, 'it''s', true, none] }} {{ 10 / 4 }} {{ 0.5 | round }} {{ '3' | int + 1 }}
