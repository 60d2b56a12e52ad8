#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The same programs and pipeline.sh on a Citus cluster (one coordinator and
# two workers on localhost, helpers/citus.bash), compared with the suite's
# single server. Skipped, saying so, where Citus is not installed and the
# install script is not there to install it.

load helpers/common

setup_file() {
	# shellcheck source=helpers/pg.bash
	source "$BATS_TEST_DIRNAME/helpers/pg.bash"
	# shellcheck source=helpers/citus.bash
	source "$BATS_TEST_DIRNAME/helpers/citus.bash"
	if citus_available; then
		citus_start
	else
		export ELT_NO_CITUS=1
	fi
}

teardown_file() {
	# shellcheck source=helpers/pg.bash
	source "$BATS_TEST_DIRNAME/helpers/pg.bash"
	# shellcheck source=helpers/citus.bash
	source "$BATS_TEST_DIRNAME/helpers/citus.bash"
	citus_stop
}

setup() {
	[ -z "${ELT_NO_CITUS:-}" ] || skip "Citus not installed"
	cd "$BATS_TEST_TMPDIR" || return 1
	# shellcheck source=helpers/pg.bash
	source "$BATS_TEST_DIRNAME/helpers/pg.bash"
	# shellcheck source=helpers/citus.bash
	source "$BATS_TEST_DIRNAME/helpers/citus.bash"
	# the single server's database for this test
	SINGLE_DB="citus_single_${BATS_TEST_NUMBER}"
	sql -d postgres -c "set client_min_messages = warning" -c "drop database if exists $SINGLE_DB" \
		-c "create database $SINGLE_DB"
	# the cluster's one database, emptied (each test starts from nothing)
	citus_sql -c "set client_min_messages = warning" -c "drop schema if exists raw, analytics, dist, dq, dq_raw cascade"
	export PGTZ=UTC
}

# on_cluster COMMAND...: runs it with PG* naming the coordinator.
on_cluster() {
	PGHOST=$ELT_CITUS_DIR PGPORT=$ELT_CITUS_PORT PGUSER=postgres PGDATABASE=postgres "$@"
}

# on_single COMMAND...: runs it against the suite's server, in this test's database.
on_single() {
	PGDATABASE=$SINGLE_DB "$@"
}

# The contents of the warehouse, one line per relation: its name and the md5
# of its rows in a fixed order, leaving out the columns that hold the time
# of a run (_loaded_at, staged_at, built_at, ...).
contents() {
	psql -X -q -v ON_ERROR_STOP=1 -At <<'SQL'
select 'raw.sales', count(*), md5(string_agg(concat_ws('|', sale_id, sold_at, store_id, product_id, quantity,
	unit_price, amount, currency, _load_id), ',' order by sale_id, _load_id)) from raw.sales;
select 'raw._loads', count(*), md5(string_agg(concat_ws('|', load_id, target_table, source, idempotency_key, rows,
	bytes, status), ',' order by load_id)) from raw._loads;
select 'stg_sales', count(*), md5(string_agg(concat_ws('|', sale_id, sold_at, sale_date, store_id, product_id,
	quantity, unit_price, amount, currency, load_id, replaced_sale_date), ',' order by sale_id))
	from analytics.stg_sales;
select 'int_daily_sales', count(*), md5(string_agg(concat_ws('|', sale_date, store_id, product_id, currency, units,
	orders, gross, gross_usd), ',' order by sale_date, store_id, product_id, currency)) from analytics.int_daily_sales;
select 'fct_daily_sales_metrics', count(*), md5(string_agg(concat_ws('|', sale_date, revenue_usd, units, orders,
	avg_order_value_usd, distinct_products, distinct_stores), ',' order by sale_date))
	from analytics.fct_daily_sales_metrics;
select 'stores', count(*), md5(string_agg(t::text, ',' order by t::text)) from analytics.stores t;
select 'products', count(*), md5(string_agg(t::text, ',' order by t::text)) from analytics.products t;
select 'fx', count(*), md5(string_agg(t::text, ',' order by t::text)) from analytics.fx t;
SQL
}

# How each table is spread: name, type, distribution column.
distribution() {
	citus_sql -c "select table_name, citus_table_type, distribution_column from citus_tables order by table_name::text"
}

@test "three pipeline.sh runs on a Citus cluster keep raw and models distributed, seeds as reference tables, pass every data test and match a single server" {
	runs=("--rows 3000 --days 5 --start 2026-03-02 --seed 3"
		"--rows 2000 --days 3 --start 2026-03-05 --seed 4"
		"--rows 2000 --days 3 --start 2026-03-05 --seed 4 --full-refresh")
	# (not $i: bats's run sets it)
	for r in 0 1 2; do
		# shellcheck disable=SC2086
		PIPELINE_WORKDIR=$BATS_TEST_TMPDIR/c$r on_cluster run --separate-stderr "$REPO/pipeline.sh" ${runs[$r]}
		assert_success
		[[ "$stderr" == *"dqcheck: 18 tests: 18 passed, 0 warned, 0 failed, 0 errors"* ]]
		[[ "$stderr" == *"pipeline: done"* ]]
		# shellcheck disable=SC2086
		PIPELINE_WORKDIR=$BATS_TEST_TMPDIR/s$r on_single run --separate-stderr "$REPO/pipeline.sh" ${runs[$r]}
		assert_success
		[[ "$stderr" == *"Citus is not installed in this database: the distribution configs"*"are ignored"* ]]
	done
	run distribution
	assert_output "analytics.fct_daily_sales_metrics|distributed|sale_date
analytics.fx|reference|<none>
analytics.int_daily_sales|distributed|sale_date
analytics.products|reference|<none>
analytics.stg_sales|distributed|sale_id
analytics.stores|reference|<none>
raw.sales|distributed|sale_id"
	# colocated: stg_sales with raw.sales, the mart with int_daily_sales
	assert_equal "$(citus_sql -c "select count(distinct colocation_id) from citus_tables
		where table_name in ('raw.sales'::regclass, 'analytics.stg_sales'::regclass)")" 1
	assert_equal "$(citus_sql -c "select count(distinct colocation_id) from citus_tables
		where table_name in ('analytics.int_daily_sales'::regclass, 'analytics.fct_daily_sales_metrics'::regclass)")" 1
	# the audit table stays local to the coordinator
	assert_equal "$(citus_sql -c "select count(*) from citus_tables where table_name = 'raw._loads'::regclass")" 0
	cluster=$(on_cluster contents)
	single=$(on_single contents)
	assert_equal "$cluster" "$single"
	[[ "$cluster" == *"stg_sales|5000|"* ]]
}

@test "modelrun keeps a table's distribution across rebuilds under the alias names, and refuses contradictory configs" {
	mkdir -p p/models p/seeds
	cat >p/dbt_project.yml <<-'YML'
		name: dist
		config-version: 2
		target-schema: dist
		seeds:
		  dist:
		    +reference: true
	YML
	printf 'code,label\na,Alpha\nb,Beta\n' >p/seeds/codes.csv
	cat >p/models/by_code.sql <<-'SQL'
		{{ config(materialized='table', distribution_column='code') }}
		select code, label, length(label) as n from {{ ref('codes') }}
	SQL
	cat >p/models/beside.sql <<-'SQL'
		{{ config(materialized='table', distributed_by='code', colocate_with='dist.by_code') }}
		select code, n * 2 as twice from {{ ref('by_code') }}
	SQL
	# a view on a distributed model, kept across the model's rebuilds
	printf "{{ config(materialized='view') }}\nselect code, n from {{ ref('by_code') }} where n > 4\n" >p/models/long.sql
	cat >p/models/inc.sql <<-'SQL'
		{{ config(materialized='incremental', unique_key='code', distributed_by='code') }}
		select code, label from {{ ref('codes') }}
	SQL
	# an incremental model's table made before its config asked for Citus
	citus_sql -c "create schema dist" -c "create table dist.inc (code text, label text)"
	for _ in 1 2; do
		on_cluster run --separate-stderr "$BIN/modelrun" seed --project-dir p
		assert_success
		on_cluster run --separate-stderr "$BIN/modelrun" run --project-dir p
		assert_success
		[ -n "${built_once:-}" ] ||
			assert_stderr_line 'modelrun: "dist"."inc" is not spread as its config says (distributed by code): building it in full'
		built_once=1
	done
	# the second run's increment left it as the first run's full build made it
	assert_stderr_line --partial "(incremental, 2 rows"
	run distribution
	assert_output "dist.beside|distributed|code
dist.by_code|distributed|code
dist.codes|reference|<none>
dist.inc|distributed|code"
	assert_equal "$(citus_sql -c "select string_agg(code || twice, ',' order by code) from dist.beside")" "a10,b8"
	assert_equal "$(citus_sql -c "select string_agg(code, ',') from dist.long")" "a"
	# both at once cannot be
	cat >p/models/beside.sql <<-'SQL'
		{{ config(materialized='table', distributed_by='code', distributed_replicated=true) }}
		select 1 as code
	SQL
	on_cluster run --separate-stderr "$BIN/modelrun" run --project-dir p -s beside
	assert_failure 1
	[[ "$stderr" == *"config distributed_by and distributed_replicated (reference) exclude each other"* ]]
}

@test "a worker stopped mid-load leaves nothing committed" {
	on_cluster sql -f "$REPO/sql/raw/001_schema.sql" -f "$REPO/sql/raw/002_sales.sql" >/dev/null
	"$BIN/gen" --rows 20000 --seed 2 --start 2026-06-01 --days 2 >all.csv
	head -n 2001 all.csv >first.csv
	tail -n +2002 all.csv >rest.csv
	mkfifo feed
	on_cluster "$BIN/pgload" --table raw.sales --key worker-gone <feed >out.txt 2>err.txt &
	pid=$!
	exec {w}>feed
	cat first.csv >&"$w"
	# the COPY is under way on the coordinator before the worker goes
	for _ in $(seq 100); do
		[ "$(citus_sql -c "select count(*) from pg_stat_activity where query ilike 'copy%raw%sales%'")" -gt 0 ] && break
		sleep 0.1
	done
	citus_worker_stop 1
	cat rest.csv >&"$w" || true
	exec {w}>&-
	status=0
	wait "$pid" || status=$?
	citus_worker_start 1
	cat err.txt >&2
	[ "$status" -ge 3 ]
	assert_equal "$(citus_sql -c 'select count(*) from raw.sales')" 0
	assert_equal "$(citus_sql -c "select count(*) from raw._loads where idempotency_key = 'worker-gone' and status <> 'failed'")" 0
	# the key is free again: the same load goes through once the worker is back
	on_cluster "$BIN/pgload" -q --table raw.sales --key worker-gone <all.csv
	assert_equal "$(citus_sql -c 'select count(*) from raw.sales')" 20000
}

@test "dqcheck's generated tests run on distributed and reference tables and find what they find on one server" {
	cp -r "$DATA/dqcheck/shop" proj
	sed -i "s/__RAW__/dq_raw/" proj/models/schema.yml
	dirty="insert into dq.customers values (null, 'Nobody', 'gold'), (2, 'Bob again', 'tin');
		insert into dq.orders values (5, 9, 'lost', 7, 1.00, '2026-01-03'), (5, null, 'placed', 1, -2.00, '2999-01-01');
		insert into dq.order_facts select * from dq.orders where id = 1;
		insert into dq_raw.events values (1, now())"
	on_single sql -v s=dq -v raw=dq_raw -f "$DATA/dqcheck/shop.sql"
	on_single sql -c "$dirty"
	on_cluster sql -v s=dq -v raw=dq_raw -f "$DATA/dqcheck/shop.sql"
	citus_sql -c "select create_reference_table('dq.customers')" \
		-c "select create_distributed_table('dq.orders', 'id')" \
		-c "select create_distributed_table('dq.order_facts', 'customer_id')" \
		-c "select create_distributed_table('dq.daily_revenue', 'day')" \
		-c "select create_distributed_table('dq_raw.events', 'event_id')" >/dev/null
	on_cluster sql -c "$dirty"
	on_single run --separate-stderr "$BIN/dqcheck" --project-dir proj --schema dq
	assert_failure 1
	single=$(printf '%s\n' "$stderr" | sed -E 's/, [0-9.]+ s$//; s/ in [0-9.]+ s$//')
	on_cluster run --separate-stderr "$BIN/dqcheck" --project-dir proj --schema dq
	assert_failure 1
	cluster=$(printf '%s\n' "$stderr" | sed -E 's/, [0-9.]+ s$//; s/ in [0-9.]+ s$//')
	assert_equal "$cluster" "$single"
	[[ "$cluster" == *"FAIL"* ]]
}
