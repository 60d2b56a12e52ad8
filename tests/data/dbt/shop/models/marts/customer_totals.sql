select c.customer, sum(o.amount) as total, count(*) as orders
from {{ ref('customers') }} as c
join {{ ref('stg_orders') }} as o on o.customer = c.customer
group by c.customer
