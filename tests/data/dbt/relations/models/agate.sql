{#- agate's Table as run_query() gives it: rows and columns by index and by name -#}
{%- set t = run_query("select 1 as n, 'a' as s union all select 2, 'b' order by 1") -%}
{%- if execute %}
select
  '{{ t.columns[0].values() | join("+") }}' as by_index,
  '{{ t.columns["s"].values() | join("") }}' as by_name,
  '{{ t.column_names | join(",") }}' as names,
  '{{ t.rows[1].s }}' as row_attr,
  '{{ t.rows[0]["s"] }}' as row_key,
  {{ t.rows[1][0] }} as row_index,
  '{% for row in t %}{{ row.n }}{% endfor %}' as iterated,
  '{% for name, col in t.columns.items() %}{{ name }}={{ col.values() | length }};{% endfor %}' as items,
  {{ t.rows | length }} as nrows
{%- else %}
select 1
{%- endif %}
