-- vars: {{ var("v1", "-") }}/{{ var("v2", "-") }}/{{ var("v3", "-") }}
-- bare sibling macro: {{ b() }}
select 1 as x
