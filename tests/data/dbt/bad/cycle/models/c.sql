-- depends_on: {{ ref('a') }}
select 1 as x
