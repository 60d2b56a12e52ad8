{% macro times(x) -%}
  ({{ x }}) * {{ var('pkg_multiplier') }} + {{ var('pkg_offset') }}
{%- endmacro %}
