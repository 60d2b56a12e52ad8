-- upper-cases a name
select
  {{ "x" | upper }} as name
