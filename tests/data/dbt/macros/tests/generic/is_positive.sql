{# A generic test of the project's own, written as a macro. #}
{% test is_positive(model, column_name) %}
select {{ column_name }} from {{ model }} where not ({{ column_name }} > 0)
{% endtest %}
