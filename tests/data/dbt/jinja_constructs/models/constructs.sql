{#- Jinja as dbt models write it: do, block set, filters, tests, methods,
    subscripts, loop.*, namespace(), and how Python prints values. -#}
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
{%- for n in ['id', 'name'] %}
  {{ loop.index }} as {{ 'c_' ~ n }}{{ ',' if not loop.last else '' }}
{%- endfor %},
  {{ ns.total }} as total,
  '{{ label | trim }}' as label,
  {{ [1, 2, 3, 5] | select('odd') | list | length }} as odd_count,
  ({{ 7 // 2 }} + {{ 2 ** 3 }} + {{ -7 % 3 }}) as sums,
  '{{ 'a.b.c'.split('.')[-1] }}{{ 'x_y'.replace('_', '') }}{{ '{}{}'.format(1, 2) }}{{ 'abc'[1:] }}' as strs,
  {{ cfg.get('owner') is none }} as no_owner,
  {{ (cfg.tags | map('upper') | list)[0] == 'X' }} as first_tag
  {%- for k, v in cfg.items() | sort %}
  -- {{ loop.index }}/{{ loop.length }} {{ k }}={{ v }} {{ loop.cycle('odd', 'even') }}{{ ' (last)' if loop.last else '' }}
  {%- endfor %}
  -- {{ [1.0, true, none, "it's"] }} {{ 10 / 4 }} {{ 0.5 | round }} {{ '3' | int + 1 }} {{ {'a': 1} | tojson }}
  -- {{ cfg.tags is iterable }} {{ cfg is mapping }} {{ 'x' is string }} {{ 1.5 is number }} {{ nope is defined }}
