{{ config(materialized='materialized_view', indexes=[{'columns': ['n']}]) }}
select n, n * 2 as d from {{ source('src', 't') }}
