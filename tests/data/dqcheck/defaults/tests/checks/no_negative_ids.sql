select * from {{ ref('stg') }} where id < 0
