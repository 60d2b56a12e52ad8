{{ config(unique_key='id', merge_exclude_columns=['CREATED']) }}
select id, v, created from {{ source('src', 't') }}
