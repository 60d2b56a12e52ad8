{{ config(materialized='table',
          pre_hook="insert into {{ var('audit') }}.log (what) values ('model pre')",
          post_hook=["update {{ this }} set n = n * 10", "insert into {{ var('audit') }}.log (what) select 'model post sum ' || sum(n) from {{ this }}"]) }}
select n from generate_series(1, 3) as n
