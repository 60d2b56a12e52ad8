select id, code as label from {{ ref('parent') }}
