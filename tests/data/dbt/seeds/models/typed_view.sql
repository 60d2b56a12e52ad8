select i, t from {{ ref('typed') }}
