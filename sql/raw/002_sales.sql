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
-- Which rows a load brought (_load_id), and which arrived after a point in
-- time (_loaded_at, how stg_sales reads incrementally). A load appends its
-- rows together, so both columns grow with the table's physical order and a
-- block-range (BRIN) index finds them: it keeps one summary per 128 pages,
-- where a btree kept one entry per row. Keeping that btree up to date was
-- over a third of the server's work in a load. autosummarize has autovacuum
-- summarise the ranges a load filled; until then a query reads them anyway.
-- An older database has a btree here, which this replaces.
drop index if exists raw.sales_load_id;
create index if not exists sales_load_brin on raw.sales
    using brin (_load_id, _loaded_at) with (autosummarize = on);

-- On Citus (the extension is there: a coordinator with workers), raw.sales
-- is spread over the workers by sale_id, the key stg_sales de-duplicates
-- on, so that staging's per-sale work runs on each shard where the sale
-- lives. COPY into it fans out to the shards as it is. Elsewhere nothing
-- changes. The table has no unique constraint, so no constraint has to
-- include the distribution column. raw._loads stays a local table on the
-- coordinator (see 001_schema.sql).
do $$
begin
    -- pg_dist_partition exists only with Citus: the inner statement is
    -- planned only when the outer test holds
    if exists (select from pg_catalog.pg_extension where extname = 'citus') then
        if not exists (select from pg_dist_partition where logicalrelid = 'raw.sales'::regclass) then
            perform create_distributed_table('raw.sales', 'sale_id');
        end if;
    end if;
end
$$;
