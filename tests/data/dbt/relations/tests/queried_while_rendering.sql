{#- a singular test whose query is made by a query -#}
{%- set t = run_query("select 2 as n") -%}
select 1 as failing where {{ t.columns[0].values()[0] if execute else 2 }} <> 2
