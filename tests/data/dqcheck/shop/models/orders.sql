select o.* from {{ ref('customers') }} c join (select 1 as id, 1 as customer_id) o on o.customer_id = c.id
