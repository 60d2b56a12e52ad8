select 1 as x

union all
select * from {{ ref('missing') }}
