{# A project macro that goes through adapter.dispatch in its own
   namespace, with a default and a postgres version. #}
{% macro cents_to_dollars(column, scale=2) -%}
  {{ return(adapter.dispatch('cents_to_dollars', 'macro_shop')(column, scale)) }}
{%- endmacro %}

{% macro default__cents_to_dollars(column, scale) -%}
  ({{ column }} / 100)::numeric(16, {{ scale }})
{%- endmacro %}

{% macro postgres__cents_to_dollars(column, scale) -%}
  round(({{ column }} / 100.0)::numeric, {{ scale }})
{%- endmacro %}

{% macro with_tax(column) -%}
  {{ column }} * (1 + {{ var('tax_rate') }})
{%- endmacro %}

{# A macro called with a body: caller() #}
{% macro upper_all(cols) -%}
  {%- for c in cols %}upper({{ c }}) as {{ c }}_upper{{ caller() }}{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}
