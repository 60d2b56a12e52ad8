-- SPDX-License-Identifier: MIT
-- The raw layer: data exactly as loaded, plus the audit of every load.
-- Safe to run again: nothing here drops or rewrites data.
create schema if not exists raw;

-- One row per pgload run. A load and its audit row commit together, so a
-- load that rolled back leaves at most a 'failed' row written afterwards.
-- (target_table, idempotency_key) is unique: a second load with the same key
-- into the same table is skipped, also when two such loads race.
-- On Citus this table stays local to the coordinator, on purpose: it is
-- small and written once or twice per load; pgload's audit UPDATE stamps
-- finished_at with clock_timestamp(), which Citus refuses on distributed and
-- reference tables; the unique index above needs no distribution column;
-- and a load's audit row commits on the coordinator in the same transaction
-- as its rows, as on one server. Models read it on the coordinator
-- (stg_loads).
create table if not exists raw._loads (
    load_id          bigserial primary key,
    target_table     text        not null,
    source           text,
    idempotency_key  text,
    rows             bigint,
    bytes            bigint,
    started_at       timestamptz not null default clock_timestamp(),
    finished_at      timestamptz,
    status           text        not null check (status in ('running', 'committed', 'failed')),
    message          text
);
create unique index if not exists _loads_key_once
    on raw._loads (target_table, idempotency_key)
    where idempotency_key is not null and status <> 'failed';
