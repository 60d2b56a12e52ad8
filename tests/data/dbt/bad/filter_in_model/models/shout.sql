-- upper-cases a name
select
  {{ "x" | wordwrap }} as name
