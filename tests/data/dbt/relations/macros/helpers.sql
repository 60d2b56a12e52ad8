{% macro greet(name) %}{{ return('hi ' ~ name) }}{% endmacro %}

{# an argument left out reaches the next macro as Jinja's Undefined #}
{% macro shout(x) %}{{ return(greet(x)) }}{% endmacro %}

{% macro ns_block() %}
  {%- set ns = namespace(msg='') -%}
  {%- set ns.msg %}block {{ 1 + 1 }}{% endset -%}
  {{ return(ns.msg | trim) }}
{% endmacro %}
