{% macro b() %}disp_pkg.b{% endmacro %}
{% macro vars_seen() %}{{ var('v1', '-') }}/{{ var('v2', '-') }}/{{ var('v3', '-') }}{% endmacro %}
{% macro disp() %}{{ return(adapter.dispatch('thing', 'disp_pkg')()) }}{% endmacro %}
{% macro default__thing() %}disp_pkg.default__thing{% endmacro %}
{% macro postgres__thing2() %}disp_pkg.postgres__thing2{% endmacro %}
{% macro default__thing2() %}disp_pkg.default__thing2{% endmacro %}
{% macro disp2() %}{{ return(adapter.dispatch('thing2', 'disp_pkg')()) }}{% endmacro %}
{% macro default__ordered_thing() %}disp_pkg.default__ordered_thing{% endmacro %}
