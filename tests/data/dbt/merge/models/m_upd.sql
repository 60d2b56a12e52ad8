{{ config(unique_key=['id'], merge_update_columns=['v']) }}
select id, v, created from {{ source('src', 't') }}
