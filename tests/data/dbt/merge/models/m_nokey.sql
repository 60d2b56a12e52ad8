select id, v, created from {{ source('src', 't') }}
