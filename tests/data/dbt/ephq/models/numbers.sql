-- counts up to the limit the ephemeral read from the database
with recursive k(i) as (
    select 1 union all select i + 1 from k, {{ ref('limits') }} l where i < l.top_n
)
select i from k ;
