-- The source the snapshots read, and a clock: the tests put the schema
-- "frozen" first in search_path (PGOPTIONS), so that now() is the
-- clock's time and two tools' snapshots can be compared row by row.
create schema raw;
create table raw.customers (id int, name text, city text, updated_at timestamp);
insert into raw.customers values
  (1, 'ann', 'oslo', '2026-01-01 10:00'),
  (2, 'bob', 'rome', '2026-01-01 10:00'),
  (3, 'cy', 'lima', '2026-01-01 10:00');
create schema frozen;
create table frozen.clock (ts timestamptz not null);
insert into frozen.clock values ('2030-01-01 00:00+00');
create function frozen.now() returns timestamptz language sql stable as 'select ts from frozen.clock';
