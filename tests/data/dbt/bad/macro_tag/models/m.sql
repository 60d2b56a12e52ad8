{% macro cents(x) %}{{ x }} * 100{% endmacro %}
select 1
