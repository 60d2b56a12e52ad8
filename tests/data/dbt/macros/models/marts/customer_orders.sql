{{ config(schema='marts') }}
select
    customer,
    count(*) as orders,
    sum(amount) as total,
    {{ dbt.listagg('status', "','", 'order by id') }} as statuses,
    {{ dbt.listagg('status', "','", 'order by id', 2) }} as first_statuses,
    {{ dbt.any_value('customer') }} as any_customer,
    {{ dbt.bool_or('paid') }} as ever_paid,
    max(n.n) as package_n
from {{ ref('stg_orders') }}
cross join (select max(n) as n from {{ ref('macro_pkg', 'pkg_numbers') }}) as n
{{ dbt_utils.group_by(1) }}
