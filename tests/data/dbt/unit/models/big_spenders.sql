select t.customer, t.total, f.region
from {{ ref('customer_totals') }} t
join (select distinct customer, region from {{ ref('fct_orders') }}) f using (customer)
where t.total >= 10
