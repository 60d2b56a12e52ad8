#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Fault injection against the real server: the server stopped with
# "pg_ctl stop -m immediate", or the connection terminated, while a model is
# being built. Afterwards nothing partial is visible, the error says what
# happened, and the next run succeeds.

load helpers/common

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	export PGDATABASE="faults_${BATS_TEST_NUMBER}"
	psql -X -q -d postgres -c "drop database if exists $PGDATABASE" -c "create database $PGDATABASE"
	cp -r "$DATA/dbt_slow" proj
	"$BIN/modelrun" run --project-dir proj -q --vars '{version: 1}'
	assert_equal "$(sql -c 'select count(*), min(version) from analytics.slow_facts')" "1000|1"
	# The suite's server runs with synchronous_commit=off: make the first
	# build durable before a test crashes the server on purpose.
	sql -c checkpoint >/dev/null
}

# Waits until a backend of this test's database runs pg_sleep.
wait_for_sleep() {
	for _ in $(seq 100); do
		n=$(psql -X -At -d postgres -c "select count(*) from pg_stat_activity where datname = '$PGDATABASE' and query like '%pg_sleep%' and pid <> pg_backend_pid()")
		[ "$n" -gt 0 ] && return 0
		sleep 0.1
	done
	return 1
}

@test "modelrun: the server stopped mid-build leaves the old table, exits 3 naming the failure, and the next run succeeds" {
	"$BIN/modelrun" run --project-dir proj --vars '{version: 2, sleep: 5}' >out 2>err &
	pid=$!
	wait_for_sleep
	source "$REPO/tests/helpers/pg.bash"
	pg_as_owner "$ELT_PGBIN/pg_ctl" -D "$ELT_PGDIR/data" -m immediate -w stop >/dev/null
	status=0
	wait "$pid" || status=$?
	pg_server_start
	# A lost connection is an operational failure (modelrun(1), EXIT
	# STATUS): 3, not a crash's 134 or 139.
	output=$(cat err)
	assert_failure 3
	grep -qiE 'terminat|connection|server closed' err || { cat err; false; }
	assert_equal "$(sql -c 'select count(*), min(version) from analytics.slow_facts')" "1000|1"
	run --separate-stderr "$BIN/modelrun" run --project-dir proj --vars '{version: 3}'
	assert_success
	assert_equal "$(sql -c 'select count(*), min(version) from analytics.slow_facts')" "1000|3"
}

@test "modelrun: a connection terminated mid-build leaves the old table and exits 3 with the server's reason" {
	"$BIN/modelrun" run --project-dir proj --vars '{version: 2, sleep: 5}' >out 2>err &
	pid=$!
	wait_for_sleep
	psql -X -q -d postgres -c "select pg_terminate_backend(pid) from pg_stat_activity where datname = '$PGDATABASE' and query like '%pg_sleep%' and pid <> pg_backend_pid()" >/dev/null
	status=0
	wait "$pid" || status=$?
	output=$(cat err)
	assert_failure 3
	grep -qF 'lost the connection to the server (FATAL:  terminating connection due to administrator command)' err ||
		{ cat err; false; }
	assert_equal "$(sql -c 'select count(*), min(version) from analytics.slow_facts')" "1000|1"
	run --separate-stderr "$BIN/modelrun" run --project-dir proj --vars '{version: 3}'
	assert_success
}
