select * from {{ source('raw', 'nope') }}
