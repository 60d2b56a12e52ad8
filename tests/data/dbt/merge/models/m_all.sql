{{ config(unique_key='id') }}
select id, v, created from {{ source('src', 't') }}
