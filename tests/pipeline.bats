#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# pipeline.sh end to end, against the suite's server: each test in a
# database of its own.

load helpers/common

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	export PGDATABASE="pipeline_${BATS_TEST_NUMBER}"
	psql -X -q -d postgres -c "drop database if exists $PGDATABASE" -c "create database $PGDATABASE"
	export PIPELINE_WORKDIR=$BATS_TEST_TMPDIR/work
}

@test "pipeline.sh runs the whole job and ends with a sample of the final facts" {
	run --separate-stderr "$REPO/pipeline.sh" --rows 3000 --days 5 --start 2026-03-02 --seed 3
	assert_success
	assert_output --partial "sale_date"
	assert_output --partial "2026-03-06"
	[[ "$stderr" == *"pipeline: [2] database: done in "* ]]
	assert_equal "$(sql -c 'select count(*) from raw.sales')" 3000
	assert_equal "$(sql -c 'select count(*) from analytics.fct_daily_sales_metrics')" 5
	[[ "$stderr" == *"check: 3000 rows read = 3000 loaded + 0 rejected"* ]]
	[[ "$stderr" == *"pipeline: done"* ]]
}

@test "pipeline.sh run twice with the same input doubles nothing" {
	"$REPO/pipeline.sh" --rows 1000 --days 3 --seed 5 >/dev/null 2>&1
	run --separate-stderr "$REPO/pipeline.sh" --rows 1000 --days 3 --seed 5
	assert_success
	assert_equal "$(sql -c 'select count(*) from raw.sales')" 1000
	assert_equal "$(sql -c "select count(*) from raw._loads where status = 'committed'")" 1
}

@test "pipeline.sh with new days updates the mart incrementally, and late rows for an old day show up" {
	"$REPO/pipeline.sh" --rows 2000 --days 3 --start 2026-04-01 --seed 1 >/dev/null 2>&1
	before=$(sql -c "select revenue_usd from analytics.fct_daily_sales_metrics where sale_date = '2026-04-01'")
	# new days
	"$REPO/pipeline.sh" --rows 2000 --days 2 --start 2026-04-04 --seed 1 >/dev/null 2>&1
	assert_equal "$(sql -c 'select count(*) from analytics.fct_daily_sales_metrics')" 5
	# late-arriving rows for 2026-04-01, from another seed (new sale ids)
	run --separate-stderr "$REPO/pipeline.sh" --rows 500 --days 1 --start 2026-04-01 --seed 9
	assert_success
	after=$(sql -c "select revenue_usd from analytics.fct_daily_sales_metrics where sale_date = '2026-04-01'")
	want=$(sql -c "select round(sum(gross_usd), 2) from analytics.int_daily_sales where sale_date = '2026-04-01'")
	[ "$before" != "$after" ]
	assert_equal "$after" "$want"
}

@test "pipeline.sh --dirty quarantines the bad rows and still succeeds" {
	run --separate-stderr "$REPO/pipeline.sh" --rows 2000 --days 2 --dirty 0.1 --seed 4
	assert_success
	rejected=$(($(wc -l <work/rejects.csv) - 1))
	[ "$rejected" -gt 100 ]
	assert_equal "$(sql -c 'select count(*) from raw.sales')" $((2000 - rejected))
	[[ "$stderr" == *"check: 2000 rows read = $((2000 - rejected)) loaded + $rejected rejected"* ]]
}

@test "pipeline.sh --input loads a given file through validate and pgload" {
	"$BIN/gen" --rows 700 --seed 8 --start 2026-05-01 --days 2 >in.csv
	run --separate-stderr "$REPO/pipeline.sh" --input in.csv
	assert_success
	assert_equal "$(sql -c 'select count(*) from raw.sales')" 700
}

@test "pipeline.sh with a dead database fails within seconds, naming the step and the reason" {
	SECONDS=0
	PGHOST=127.0.0.1 PGPORT=1 PIPELINE_DB_WAIT=2 run --separate-stderr "$REPO/pipeline.sh" --rows 10
	assert_failure 3
	[ "$SECONDS" -lt 15 ]
	[[ "$stderr" == *"database not reachable after 2 s (host 127.0.0.1, port 1)"* ]]
	[[ "$stderr" == *"step 'database' failed (exit 3)"* ]]
}

@test "pipeline.sh maps .env onto PG* and lets PG* win" {
	mkdir proj
	cp "$REPO/pipeline.sh" proj/
	cp -r "$REPO/sql" proj/
	printf 'POSTGRES_HOST=127.0.0.1\nPOSTGRES_PORT=1\nPOSTGRES_USER=nobody\n' >proj/.env
	# .env alone: its dead host is used
	(unset PGHOST PGPORT; PIPELINE_DB_WAIT=1 ELT_BIN=$BIN "$BATS_TEST_TMPDIR/proj/pipeline.sh" --rows 10) 2>err || true
	grep -q "host 127.0.0.1, port 1" err
	# PG* set: they win over .env (the suite's server answers)
	run --separate-stderr env ELT_BIN="$BIN" "$BATS_TEST_TMPDIR/proj/pipeline.sh" --rows 100 --days 1
	assert_success
}

@test "pipeline.sh --help and an unknown option" {
	run "$REPO/pipeline.sh" --help
	assert_success
	assert_line --index 0 --partial "usage: pipeline.sh"
	run --separate-stderr "$REPO/pipeline.sh" --bogus
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "pipeline: unknown option '--bogus'"
}

@test "pipeline.sh rejects a missing or bad option value with status 2 before any step runs" {
	for opt in --rows --days --start --seed --dirty --input; do
		run --separate-stderr "$REPO/pipeline.sh" "$opt"
		assert_failure 2
		assert_equal "${stderr_lines[0]}" "pipeline: option '$opt' needs a value"
		assert_equal "${stderr_lines[1]}" "usage: pipeline.sh [--rows N] [--days D] [--start YYYY-MM-DD] [--seed S] [--dirty R]"
	done
	check() { # check MESSAGE ARGS...
		local want=$1
		shift
		run --separate-stderr "$REPO/pipeline.sh" "$@"
		assert_failure 2
		assert_equal "${stderr_lines[0]}" "$want"
		[[ $stderr != *"pipeline: [1]"* ]]
	}
	check 'pipeline: --rows: "abc" is not a whole number from 0 to 1000000000000' --rows abc
	check 'pipeline: --days: "0" is not a whole number from 1 to 36500' --days 0
	check 'pipeline: --seed: "-1" is not a whole number (at most 19 digits)' --seed -1
	check 'pipeline: --dirty: "2" is not a fraction between 0 and 1' --dirty 2
	check 'pipeline: --start: "2026-13-01" is not a calendar date (YYYY-MM-DD)' --start 2026-13-01
	check 'pipeline: --start: "2026-02-29" is not a calendar date (YYYY-MM-DD)' --rows 10 --start 2026-02-29
	# nothing reached the database
	assert_equal "$(psql -X -At -c "select count(*) from pg_namespace where nspname in ('raw', 'analytics')")" 0
}

@test "pipeline.sh starts an embedded database when none is configured, and stops it" {
	dir=$(mktemp -d /tmp/elt-embedded.XXXXXX)
	chmod 755 "$dir"
	(
		unset PGHOST PGPORT PGUSER PGDATABASE
		export PIPELINE_PGDATA=$dir/pgdata
		run_status=0
		"$REPO/pipeline.sh" --rows 300 --days 1 >out 2>err || run_status=$?
		"$REPO/pipeline.sh" --stop-db 2>>err
		exit "$run_status"
	) || { cat "$BATS_TEST_TMPDIR/err"; rm -rf "$dir"; false; }
	grep -q "embedded database running, open to $(id -un) only; connect as $(id -un) with: psql -h $dir/pgdata -U postgres postgres" err
	grep -q "embedded database stopped" err
	grep -q "sale_date" out
	rm -rf "$dir"
}

@test "pipeline.sh --citus starts an embedded coordinator with two workers over sockets only, distributes the warehouse, and stops it" {
	ls /usr/share/postgresql/*/extension/citus.control >/dev/null 2>&1 || skip "Citus not installed"
	dir=$(mktemp -d /tmp/elt-embedded.XXXXXX)
	chmod 755 "$dir"
	(
		unset PGHOST PGPORT PGUSER PGDATABASE
		export PIPELINE_CITUS_PGDATA=$dir/citus
		run_status=0
		"$REPO/pipeline.sh" --citus --rows 300 --days 2 >out 2>err || run_status=$?
		PGHOST=$dir/citus PGPORT=5432 PGUSER=postgres PGDATABASE=postgres \
			sql -c "select table_name || ':' || citus_table_type from citus_tables where table_name::text like '%sales%' order by 1" \
			-c "select count(*) from pg_dist_node where nodename = '$dir/citus'" \
			-c "show listen_addresses" >tables || run_status=$?
		"$REPO/pipeline.sh" --citus --stop-db 2>>err
		exit "$run_status"
	) || { cat "$BATS_TEST_TMPDIR/err"; rm -rf "$dir"; false; }
	grep -q "embedded Citus cluster running (a coordinator and two workers), open to $(id -un) only" err
	grep -q "embedded database stopped" err
	grep -q "sale_date" out
	# the three nodes' sockets in the closed directory; no TCP listener
	assert_equal "$(cat tables)" "analytics.fct_daily_sales_metrics:distributed
analytics.int_daily_sales:distributed
analytics.stg_sales:distributed
raw.sales:distributed
3"
	assert_equal "$(tail -n 1 tables)" ""
	rm -rf "$dir"
}

# A cluster of pipeline.sh's own in $1, left running; prints its real path.
embedded_cluster() {
	(
		unset PGHOST PGPORT PGUSER PGDATABASE
		export PIPELINE_PGDATA=$1
		"$REPO/pipeline.sh" --rows 10 --days 1 >/dev/null 2>&1
	)
	readlink -f "$1"
}

embedded_stop() {
	(export PIPELINE_PGDATA=$1 && "$REPO/pipeline.sh" --stop-db 2>/dev/null) || true
	rm -rf "$1"
}

@test "pipeline.sh's embedded database lets in only the user who ran it, by peer, with no trust line" {
	dir=$(mktemp -d /tmp/elt-embedded.XXXXXX)
	chmod 755 "$dir"
	real=$(embedded_cluster "$dir/pgdata")
	run stat -c %a "$real"
	assert_output 700
	run grep -vE '^(#|$)' "$real/data/pg_hba.conf"
	assert_output "local all postgres peer map=elt"
	# The owner gets in.
	run psql -X -At -h "$real" -U postgres -d postgres -c "select current_user"
	assert_output postgres
	# Another local user reaches neither the socket nor, past it, the server.
	run runuser -u nobody -- psql -X -At -h "$real" -U postgres -d postgres -c "select 1"
	assert_failure
	[[ "$output" == *"Permission denied"* ]]
	chmod 755 "$real"
	run runuser -u nobody -- psql -X -At -h "$real" -U postgres -d postgres -c "select 1"
	assert_failure
	[[ "$output" == *"Peer authentication failed"* || "$output" == *"Permission denied"* ]]
	embedded_stop "$dir/pgdata"
	rm -rf "$dir"
}

@test "pipeline.sh closes an embedded database that an older version left open to every local user" {
	dir=$(mktemp -d /tmp/elt-embedded.XXXXXX)
	chmod 755 "$dir"
	real=$(embedded_cluster "$dir/pgdata")
	# What older versions made: trust for everyone, an open directory.
	printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$real/data/pg_hba.conf"
	chmod 755 "$real"
	runuser -u postgres -- "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/pg_ctl" -D "$real/data" reload >/dev/null
	run embedded_cluster "$dir/pgdata"
	run stat -c %a "$real"
	assert_output 700
	run grep -c trust "$real/data/pg_hba.conf"
	assert_output 0
	chmod 755 "$real"
	run runuser -u nobody -- psql -X -At -h "$real" -U postgres -d postgres -c "select 1"
	assert_failure
	embedded_stop "$dir/pgdata"
	rm -rf "$dir"
}

@test "docker-compose accepts compose.yaml" {
	command -v docker-compose >/dev/null || skip "docker-compose is not installed"
	cd "$REPO"
	run docker-compose -f compose.yaml config -q
	assert_success
}

@test "pipeline.sh commits nothing when validate dies half-way on a full disk, shows validate's own message, and a re-run loads it all" {
	mkdir -p work
	# The rejects and validate's log land on a full disk; its valid rows
	# have been streaming to pgload for a while when the rejects overflow.
	ln -s /dev/full work/rejects.csv
	ln -s /dev/full work/validate.log
	run --separate-stderr "$REPO/pipeline.sh" --rows 20000 --days 2 --dirty 0.05 --seed 6
	assert_failure 3
	[[ "$stderr" == *"validate: write error on the rejects file: No space left on device"* ]]
	[[ "$stderr" == *"pipeline: load: validate exited 3 (gen "*", validate 3, pgload "*"); nothing of this load was committed"* ]]
	[[ "$stderr" == *"pipeline: step 'load' failed (exit 3)"* ]]
	assert_equal "$(sql -c 'select count(*) from raw.sales')" 0
	assert_equal "$(sql -c "select count(*) from raw._loads where status = 'committed'")" 0
	# Room again: the same run loads every valid row under the same key.
	rm work/rejects.csv work/validate.log
	run --separate-stderr "$REPO/pipeline.sh" --rows 20000 --days 2 --dirty 0.05 --seed 6
	assert_success
	rejected=$(sed -n 's/^validate: 20000 rows read, [0-9]* valid, \([0-9]*\) rejected.*/\1/p' work/validate.log)
	[ "$rejected" -gt 500 ]
	assert_equal "$(sql -c 'select count(*) from raw.sales')" $((20000 - rejected))
}


@test "pipeline.sh rebuilds once the models of a warehouse an older version built, and then runs incrementally" {
	"$REPO/pipeline.sh" --rows 1000 --days 2 --seed 3 >/dev/null 2>&1
	# What an older stg_sales looked like: no staged_at.
	sql -c "alter table analytics.stg_sales drop column staged_at cascade"
	run --separate-stderr "$REPO/pipeline.sh" --rows 500 --days 1 --seed 4
	assert_success
	[[ "$stderr" == *"pipeline: models: analytics.stg_sales was built by an older version (no staged_at): rebuilding the models once (--full-refresh)"* ]]
	assert_equal "$(sql -c 'select count(*) from analytics.stg_sales')" "$(sql -c 'select count(distinct sale_id) from raw.sales')"
	run --separate-stderr "$REPO/pipeline.sh" --rows 500 --days 1 --seed 5
	assert_success
	[[ "$stderr" != *"rebuilding the models once"* ]]
}

@test "pipeline.sh ends with the docs site and says where the page is; a failure to make it leaves the job's status alone" {
	run --separate-stderr "$REPO/pipeline.sh" --rows 500 --days 2 --seed 6
	assert_success
	page="$REPO/sql/target/index.html"
	[[ "$stderr" == *"pipeline: docs: the page is file://$page"* ]]
	[ "$(printf '%s\n' "$stderr" | tail -1)" = "pipeline: done" ]
	grep -q 'id="model-fct_daily_sales_metrics"' "$page"
	# the data tests' verdicts reach the page through dqcheck's JSON report
	assert_equal "$(jq -r '[.results[].status] | unique | join(",")' "$REPO/sql/target/dqcheck.json")" pass
	# a dot that fails: the docs step says so, the job still succeeds
	mkdir fakebin
	printf '#!/bin/sh\nexit 1\n' >fakebin/dot
	chmod +x fakebin/dot
	PATH="$PWD/fakebin:$PATH" run --separate-stderr "$REPO/pipeline.sh" --skip-load
	assert_success
	[[ "$stderr" == *"pipeline: docs: modelrun docs generate failed (exit 3); the job's status does not count it"* ]]
	[[ "$stderr" == *"pipeline: done"* ]]
}
