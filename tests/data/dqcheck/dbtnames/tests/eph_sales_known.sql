-- sales of the ephemeral model whose currency is not a known one
select s.id, s.currency
from {{ ref('eph_sales') }} s
left join {{ ref('currencies') }} c on c.code = s.currency
where c.code is null
