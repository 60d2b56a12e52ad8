{# dbt_utils' safe_divide found through the dispatch: config, ahead of
   dbt_utils' own: search_order puts this project first. #}
{% macro default__safe_divide(numerator, denominator) -%}
  ({{ numerator }}) / nullif(({{ denominator }}), 0)::numeric
{%- endmacro %}

{# Models with a custom schema go to <target>__<custom>; a package's
   models to <target>_pkgs; the rest to the target schema. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is not none -%}
    {{ target.schema }}__{{ custom_schema_name | trim }}
  {%- elif node.package_name != project_name_of_root() -%}
    {{ target.schema }}_pkgs
  {%- else -%}
    {{ default__generate_schema_name(custom_schema_name, node) }}
  {%- endif -%}
{%- endmacro %}

{% macro project_name_of_root() %}{{ return('macro_shop') }}{% endmacro %}

{# Aliases: a model may ask for a prefix through its config #}
{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
  {%- if custom_alias_name -%}a_{{ custom_alias_name | trim }}{%- else -%}{{ node.name }}{%- endif -%}
{%- endmacro %}
