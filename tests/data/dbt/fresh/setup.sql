create schema fresh_raw;
create table fresh_raw.recent as select 1 as id, now() - interval '5 minutes' as loaded_at;
create table fresh_raw.late as select 1 as id, now() - interval '2 hours' as loaded_at;
create table fresh_raw.stale as select 1 as id, (now() - interval '3 days')::timestamp as loaded_at;
create table fresh_raw.filtered as
  select 1 as id, 'new' as kind, now() - interval '3 hours' as loaded_at
  union all select 2, 'old', now() - interval '1 minute';
create table fresh_raw.unchecked as select 1 as id, now() - interval '30 days' as loaded_at;
create table fresh_raw.empty (id int, loaded_at timestamptz);
create table fresh_raw.typed as select 1 as id, (current_date - 10)::date as loaded_on;
create table fresh_raw.plain as select 1 as id;
