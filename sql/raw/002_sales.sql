-- SPDX-License-Identifier: MIT
-- raw.sales: the sales contract (sql/contracts/sales.schema.json) as a table.
-- Types are kept loose enough that validate, not the load, is where bad rows
-- are caught; the last two columns are filled by defaults during a pgload
-- run (pgload sets elt.load_id for its transaction), so the CSV does not
-- carry them.
create table if not exists raw.sales (
    sale_id     text          not null,
    sold_at     timestamptz   not null,
    store_id    text          not null,
    product_id  text          not null,
    quantity    integer       not null,
    unit_price  numeric(12,2) not null,
    amount      numeric(14,2) not null,
    currency    text          not null,
    _load_id    bigint        default nullif(current_setting('elt.load_id', true), '')::bigint,
    _loaded_at  timestamptz   not null default now()
);
create index if not exists sales_load_id on raw.sales (_load_id);
