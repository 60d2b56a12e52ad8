{# Macros for run-operation: one that writes and reports, one that
   fails half-way (what ran before the failure stays, as in dbt). #}
{% macro record_event(event, times=1, tags=none) %}
  {% do run_query("create table if not exists public.events (event text, n int, tags text)") %}
  {% for i in range(times) %}
    {% do run_query("insert into public.events values ('" ~ event ~ "', " ~ (i + 1) ~ ", '" ~ (tags | join(',') if tags else '') ~ "')") %}
  {% endfor %}
  {% set rows = run_query("select count(*), max(n) from public.events") %}
  {{ log("events: " ~ rows.rows[0][0] ~ ", last " ~ rows.rows[0][1], info=True) }}
  {{ log("a debug line", info=False) }}
  {{ print(helper_name(event)) }}
{% endmacro %}

{% macro helper_name(e) %}{{ return('recorded ' ~ e) }}{% endmacro %}

{% macro fail_half_way() %}
  {% do run_query("create table if not exists public.events (event text, n int, tags text)") %}
  {% do run_query("insert into public.events values ('before', 0, '')") %}
  {% do run_query("select 1 / 0") %}
{% endmacro %}
