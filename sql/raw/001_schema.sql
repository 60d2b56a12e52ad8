-- SPDX-License-Identifier: MIT
-- The raw layer: data exactly as loaded, plus the audit of every load.
-- Safe to run again: nothing here drops or rewrites data.
create schema if not exists raw;

-- One row per pgload run. A load and its audit row commit together, so a
-- load that rolled back leaves at most a 'failed' row written afterwards.
-- (target_table, idempotency_key) is unique: a second load with the same key
-- into the same table is skipped, also when two such loads race.
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
