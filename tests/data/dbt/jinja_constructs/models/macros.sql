{#- A model's own macros: arguments with defaults, return(), call blocks. -#}
{%- macro column_list(names, prefix='c_') -%}
{%- for n in names %}
  {{ n }} as {{ prefix ~ n }}{{ ',' if not loop.last }}
{%- endfor %}
{%- endmacro -%}
{%- macro odd_ones(xs) -%}{{ return(xs | select('odd') | list) }}{%- endmacro -%}
{%- macro parens() -%}({{ caller() }}){%- endmacro -%}
select
{{- column_list(['id', 'name']) }},
  {{ odd_ones([1, 2, 3, 5]) | length }} as odd_count,
  {% call parens() %}{{ 7 // 2 }} + {{ 2 ** 3 }}{% endcall %} as sums,
  '{{ column_list(['x'], prefix='p_') | trim }}' as one
