-- SPDX-License-Identifier: MIT
-- Singular test (dbt format: the failing rows): sales that reached raw.sales
-- but not stg_sales. A row in raw.sales is committed (a load's rows and its
-- 'committed' audit row become visible together), so any sale_id here is a
-- committed row the models lost or have not run for yet, e.g. a load that
-- committed after the last model run. One row per missing sale_id, with the
-- load that brought it (null: copied in without pgload). A row whose
-- _load_id names no committed load in raw._loads (set by hand) is never
-- staged, and so fails here until it is dealt with.
select
    r.sale_id,
    max(r._load_id) as load_id,
    count(*)        as raw_rows
from {{ source('raw', 'sales') }} as r
where not exists (
    select 1 from {{ ref('stg_sales') }} as s where s.sale_id = r.sale_id
)
group by r.sale_id
