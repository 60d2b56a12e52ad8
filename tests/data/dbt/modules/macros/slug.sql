{# the steps of dbt_utils.slugify, in a macro of the project's own #}
{% macro dbt_slug(s) %}
{% set s = modules.re.sub('[ -]+', '_', s) %}
{% set s = s | lower %}
{% set s = modules.re.sub('[^a-z0-9_]+', '', s) %}
{% set s = modules.re.sub('^[0-9]', '_' + s[0], s) %}
{{ return(s) }}
{% endmacro %}

{# a replacement function for re.sub: the match, upper-cased #}
{% macro up(m) %}{{ m.group(0) | upper }}{% endmacro %}
