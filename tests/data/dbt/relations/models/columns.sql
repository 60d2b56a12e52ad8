-- depends_on: {{ ref('base') }}
{%- set cols = adapter.get_columns_in_relation(ref('base')) %}
select 1 as one
{%- for c in cols %},
  '{{ c.name }}:{{ c.is_string() }}:{{ c.is_number() }}:{{ c.is_integer() }}:{{ c.is_float() }}:{{ c.is_numeric() }}
   {%- if c.is_string() %}:{{ c.string_size() }}{% endif %}' as {{ c.name }}
{%- endfor %}
