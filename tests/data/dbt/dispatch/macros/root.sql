{% macro date_trunc(datepart, date) %}root_date_trunc({{ datepart }}, {{ date }}){% endmacro %}
{% macro default__dateadd(datepart, interval, from_date_or_timestamp) %}root_default_dateadd{% endmacro %}
{% macro default__thing2() %}root.default__thing2{% endmacro %}
{% macro postgres__ordered_thing() %}root.postgres__ordered_thing{% endmacro %}
{% macro default__in_root_only() %}root.default__in_root_only{% endmacro %}
