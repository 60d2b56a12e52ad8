#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# modelrun: templating, materializations, the graph, selection, threads,
# the lock, seeds and the sales warehouse, against the suite's server.
# Every test copies the fixture it needs into its temp dir and works in a
# database of its own.

load helpers/common
load helpers/pg # pg_dbt_profile

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	DB="mr_${BATS_SUITE_TEST_NUMBER}"
	sql -d postgres -c "set client_min_messages = warning" -c "drop database if exists $DB" -c "create database $DB"
	export PGDATABASE=$DB
}

# project NAME: copies tests/data/dbt/NAME to ./NAME and enters it.
project() {
	cp -r "$DATA/dbt/$1" "./$1"
	cd "./$1" || return 1
}

shop() {
	project shop
	sql -f setup.sql
}

# The reference dbt (dbt-core with dbt-postgres), when installed: see
# /work/shared/dbt-reference/README.md. ELT_DBT names another one.
DBT_REF=${ELT_DBT:-/opt/dbt-reference/bin/dbt}

# need_dbt: skips the rest of a test, saying why, when dbt is absent.
need_dbt() {
	[ -x "$DBT_REF" ] || skip "no reference dbt at $DBT_REF (install /work/shared/dbt-reference, or set ELT_DBT): not compared with dbt"
}

# dbt_in DIR SCHEMA ARGS...: runs the reference dbt on a copy of project
# DIR (DIR.dbt, so that dbt's target/ and logs/ stay apart from
# modelrun's) with the suite's server as its target and SCHEMA as its
# target schema; the copy is refreshed from DIR each time (files removed
# from DIR stay in it).
dbt_in() {
	local dir=$1 schema=$2
	shift 2
	# copied over, not afresh: dbt's target/partial_parse.msgpack stays,
	# which saves it seconds of parsing
	mkdir -p "$dir.dbt"
	cp -r "$dir/." "$dir.dbt/"
	grep -q '^profile:' "$dir.dbt/dbt_project.yml" || printf 'profile: mr\n' >>"$dir.dbt/dbt_project.yml"
	local prof
	prof=$(sed -n 's/^profile: *//p' "$dir.dbt/dbt_project.yml" | tr -d "\"'")
	pg_dbt_profile "$prof" "$schema" >"$dir.dbt/profiles.yml"
	(cd "$dir.dbt" && DBT_PROFILES_DIR=. "$DBT_REF" --no-use-colors --log-format text "$@" --target-path target)
}

# same_relation A B: the two relations have the same columns (names and
# types, in order) and the same rows (as multisets).
same_relation() {
	local cols_a cols_b diff
	cols_a=$(sql -c "select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum)
		from pg_attribute where attrelid = '$1'::regclass and attnum > 0 and not attisdropped")
	cols_b=$(sql -c "select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum)
		from pg_attribute where attrelid = '$2'::regclass and attnum > 0 and not attisdropped")
	assert_equal "$cols_a" "$cols_b"
	diff=$(sql -c "select count(*) from ((table $1 except all table $2) union all (table $2 except all table $1)) x")
	assert_equal "$diff" 0
}

# ---- options ----

@test "modelrun --help prints the usage and exits 0; --version names it" {
	run --separate-stderr "$BIN/modelrun" --help
	assert_success
	assert_line --index 0 --partial "usage: modelrun run|seed|snapshot|build|test|compile|ls|graph"
	assert_line --regexp "^  test +run the unit tests"
	run "$BIN/modelrun" --version
	assert_success
	assert_output "modelrun 0.1.0"
}

@test "modelrun rejects an unknown option with the usage on stderr and status 2" {
	run --separate-stderr "$BIN/modelrun" run --bogus
	assert_failure 2
	assert_output ""
	assert_equal "$(printf '%s\n' "$stderr" | head -1)" "modelrun: unknown option '--bogus'"
	assert_equal "$(printf '%s\n' "$stderr" | sed -n 2p)" \
		"usage: modelrun run|seed|snapshot|build|test|compile|ls|graph|deps|docs generate"
	run --separate-stderr "$BIN/modelrun"
	assert_failure 2
	assert_equal "$(printf '%s\n' "$stderr" | head -1)" "modelrun: a command is needed: run, seed, snapshot, build, test, run-operation, compile, ls, graph, deps or docs generate"
	run --separate-stderr "$BIN/modelrun" run --threads 0
	assert_failure 2
	assert_equal "$stderr" "modelrun: --threads: 0 is out of range (1 to 64)"
}

@test "modelrun run fails with status 3 and libpq's reason when the database is unreachable" {
	project shop
	run --separate-stderr "$BIN/modelrun" run -d "host=$BATS_TEST_TMPDIR/nowhere port=1"
	assert_failure 3
	assert_output ""
	[[ "$stderr" == "modelrun: cannot connect to the database (host $BATS_TEST_TMPDIR/nowhere, port 1): connection to server on socket \"$BATS_TEST_TMPDIR/nowhere/.s.PGSQL.1\" failed: No such file or directory"* ]]
	[ ! -e target/run_results.json ]
}

# ---- running and materializations ----

@test "modelrun run builds views, tables and incremental models in order, one line each" {
	shop
	run --separate-stderr "$BIN/modelrun" run
	assert_success
	assert_output ""
	[ "$(printf '%s\n' "$stderr" | grep -c '] OK ')" -eq 5 ]
	printf '%s\n' "$stderr" | grep -qx 'modelrun: \[1/5\] OK analytics.stg_orders (view, [0-9.]* s)'
	printf '%s\n' "$stderr" | grep -q 'OK analytics.customer_totals (table, 2 rows, [0-9.]* s)'
	printf '%s\n' "$stderr" | grep -q 'OK analytics.orders_inc (incremental, full build, 3 rows, [0-9.]* s)'
	assert_equal "$(printf '%s\n' "$stderr" | tail -1 | sed 's/[0-9.]* s:/T s:/')" \
		"modelrun: done in T s: 5 ok, 0 failed, 0 skipped"
	assert_equal "$(sql -c "select customer || '=' || total from analytics.customer_report order by 1" | tr '\n' ' ')" \
		"ann=15.50 bob=20.00 "
	assert_equal "$(sql -c "select relkind from pg_class where relname = 'customer_totals'")" "r"
	assert_equal "$(sql -c "select relkind from pg_class where relname = 'stg_orders'")" "v"
	# the ephemeral model is inlined, never created
	assert_equal "$(sql -c "select count(*) from pg_class where relname = 'customers'")" "0"
	# no temporary relation is left behind
	assert_equal "$(sql -c "select count(*) from pg_class where relname like '%__mr_tmp'")" "0"
}

@test "modelrun writes target/run_results.json with dbt's field names" {
	shop
	"$BIN/modelrun" run -q
	f=target/run_results.json
	assert_equal "$(jq -r '.results | length' $f)" 5
	assert_equal "$(jq -r '[.results[].status] | unique | join(",")' $f)" "success"
	assert_equal "$(jq -r '.results[] | select(.unique_id == "model.shop.customer_totals") | .adapter_response.rows_affected' $f)" 2
	assert_equal "$(jq -r '.results[] | select(.unique_id == "model.shop.customer_totals") | .relation_name' $f)" \
		"\"$PGDATABASE\".\"analytics\".\"customer_totals\""
	jq -e '.elapsed_time > 0 and .args.which == "run" and (.metadata.dbt_schema_version | test("run-results"))' $f
}

@test "rebuilding a table keeps the views that depend on it, and they read the new data" {
	shop
	"$BIN/modelrun" run -q
	oid_before=$(sql -c "select 'analytics.customer_report'::regclass::oid")
	# views outside the project, two levels down and in another schema
	sql -c "create schema bi" \
		-c "create view bi.top_customer as select customer from analytics.customer_report order by total desc limit 1" \
		-c "create view bi.top_customer_upper as select upper(customer) as c from bi.top_customer"
	sql -c "insert into app.orders values (4, 'cy', 70, now())"
	run --separate-stderr "$BIN/modelrun" run --select customer_totals
	assert_success
	printf '%s\n' "$stderr" | grep -q 'OK analytics.customer_totals (table, 3 rows'
	# the dependent view was not selected, yet it exists and sees the rebuilt table
	assert_equal "$(sql -c "select count(*) from analytics.customer_report")" 3
	assert_equal "$(sql -c "select total from analytics.customer_report where customer = 'cy'")" "70.00"
	assert_equal "$(sql -c "select c from bi.top_customer_upper")" "CY"
	# it was recreated over the new table (a new oid), not left pointing at the old one
	[ "$(sql -c "select 'analytics.customer_report'::regclass::oid")" != "$oid_before" ]
}

@test "a rebuild keeps the privileges and comments of the relation and of the views on it" {
	shop
	"$BIN/modelrun" run -q
	role="reader_$DB"
	sql -c "set client_min_messages = warning" -c "drop role if exists $role" -c "create role $role" \
		-c "grant usage on schema analytics to $role" \
		-c "grant select on analytics.customer_report, analytics.customer_totals to $role" \
		-c "comment on view analytics.customer_report is 'for the shop team'"
	"$BIN/modelrun" run -q --select customer_totals
	assert_equal "$(sql -c "select has_table_privilege('$role', 'analytics.customer_report', 'select'),
		has_table_privilege('$role', 'analytics.customer_totals', 'select'),
		has_table_privilege('$role', 'analytics.customer_totals', 'insert')")" "t|t|f"
	assert_equal "$(sql -c "select obj_description('analytics.customer_report'::regclass, 'pg_class')")" "for the shop team"
	sql -c "drop owned by $role" -c "drop role $role"
}

@test "rebuilding a view with the same columns replaces it in place; a changed column list keeps dependents too" {
	shop
	"$BIN/modelrun" run -q
	oid=$(sql -c "select 'analytics.stg_orders'::regclass::oid")
	"$BIN/modelrun" run -q --select stg_orders
	assert_equal "$(sql -c "select 'analytics.stg_orders'::regclass::oid")" "$oid"
	# now drop a column the dependents do not use: CREATE OR REPLACE cannot,
	# the swap rebuilds stg_orders and recreates the views on it
	sql -c "create view analytics.orders_seen as select id, customer from analytics.stg_orders"
	printf 'select id, customer, amount * 2 as amount\nfrom {{ source(%s, %s) }}\n' "'app'" "'orders'" \
		>models/staging/stg_orders.sql
	run --separate-stderr "$BIN/modelrun" run --select stg_orders
	assert_success
	assert_equal "$(sql -c "select count(*) from analytics.orders_seen")" 3
	assert_equal "$(sql -c "select amount from analytics.stg_orders where id = 1")" "20.00"
	assert_equal "$(sql -c "select count(*) from pg_attribute where attrelid = 'analytics.stg_orders'::regclass and attname = 'updated_at'")" 0
}

@test "a failing model leaves the old relation readable, skips its dependents and still runs independent models" {
	shop
	"$BIN/modelrun" run -q
	printf 'select customer, 1 / 0 as total, 0 as orders from {{ ref(%s) }}\n' "'stg_orders'" \
		>models/marts/customer_totals.sql
	sql -c "insert into app.orders values (4, 'cy', 7, now())"
	run --separate-stderr "$BIN/modelrun" run
	assert_failure 1
	printf '%s\n' "$stderr" | grep -q 'ERROR analytics.customer_totals (table, [0-9.]* s): building the table: division by zero'
	printf '%s\n' "$stderr" | grep -q 'SKIP analytics.customer_report (view): depends on customer_totals, which failed'
	printf '%s\n' "$stderr" | grep -q 'OK analytics.independent (view'
	printf '%s\n' "$stderr" | grep -q 'OK analytics.orders_inc (incremental, 1 rows'
	assert_equal "$(printf '%s\n' "$stderr" | tail -1 | sed 's/[0-9.]* s:/T s:/')" \
		"modelrun: done in T s: 3 ok, 1 failed, 1 skipped"
	# the old table and its view are still there, with the old content
	assert_equal "$(sql -c "select count(*) from analytics.customer_report")" 2
	assert_equal "$(jq -r '.results[] | select(.unique_id == "model.shop.customer_report") | .status' target/run_results.json)" "skipped"
	assert_equal "$(jq -r '.results[] | select(.unique_id == "model.shop.customer_totals") | .status' target/run_results.json)" "error"
}

@test "readers see the old or the new relation while models are rebuilt, never none" {
	shop
	"$BIN/modelrun" run -q
	# one session reading the table, its dependent view and a view in a loop
	{
		for _ in $(seq 2000); do
			echo "select count(*) from analytics.customer_report;"
			echo "select count(*) from analytics.customer_totals;"
			echo "select count(*) from analytics.stg_orders;"
		done
	} >reads.sql
	sql -f reads.sql >reads.out 2>reads.err &
	reader=$!
	# rebuild for as long as the reader reads
	builds=0
	while kill -0 "$reader" 2>/dev/null; do
		"$BIN/modelrun" run -q --select 'stg_orders customer_totals' --full-refresh
		builds=$((builds + 1))
	done
	wait "$reader"
	echo "# $builds rebuilds during the reads" >&3
	[ "$builds" -ge 2 ]
	assert_equal "$(cat reads.err)" ""
	assert_equal "$(sort -u reads.out | tr '\n' ' ')" "2 3 "
}

@test "a failing view rebuild leaves the old view in place" {
	shop
	"$BIN/modelrun" run -q
	printf 'select id, customer, amount, updated_at, no_such_column\nfrom {{ source(%s, %s) }}\n' "'app'" "'orders'" \
		>models/staging/stg_orders.sql
	run --separate-stderr "$BIN/modelrun" run --select stg_orders
	assert_failure 1
	printf '%s\n' "$stderr" | grep -q 'ERROR analytics.stg_orders (view, [0-9.]* s): building the view: column "no_such_column" does not exist'
	assert_equal "$(sql -c "select count(*) from analytics.stg_orders")" 3
}

@test "incremental models insert new rows, replace rows by unique_key, and rebuild with --full-refresh" {
	shop
	"$BIN/modelrun" run -q --select orders_inc
	sql -c "update app.orders set amount = 99, updated_at = '2026-02-01' where id = 2" \
		-c "insert into app.orders values (4, 'cy', 7, '2026-02-01')"
	run --separate-stderr "$BIN/modelrun" run --select orders_inc
	assert_success
	printf '%s\n' "$stderr" | grep -q 'OK analytics.orders_inc (incremental, 2 rows'
	assert_equal "$(sql -c "select count(*) || ' ' || sum(amount) from analytics.orders_inc")" "4 121.50"
	assert_equal "$(sql -c "select count(*) from analytics.orders_inc where id = 2")" 1
	# a change the watermark does not see stays until a full refresh
	sql -c "update app.orders set amount = 1 where id = 1"
	"$BIN/modelrun" run -q --select orders_inc
	assert_equal "$(sql -c "select amount from analytics.orders_inc where id = 1")" "10.00"
	run --separate-stderr "$BIN/modelrun" run --select orders_inc --full-refresh
	assert_success
	printf '%s\n' "$stderr" | grep -q 'OK analytics.orders_inc (incremental, full build, 4 rows'
	assert_equal "$(sql -c "select amount from analytics.orders_inc where id = 1")" "1.00"
}

@test "an incremental run fails and keeps the data when the model no longer selects a column of the table" {
	shop
	"$BIN/modelrun" run -q --select orders_inc
	sql -c "update app.orders set amount = 99, updated_at = '2026-02-01' where id = 2"
	sed -i 's/select id, customer, amount, updated_at/select id, updated_at/' models/marts/orders_inc.sql
	run --separate-stderr "$BIN/modelrun" run --select orders_inc
	assert_failure 1
	printf '%s\n' "$stderr" | grep -qx 'modelrun: \[1/1\] ERROR analytics.orders_inc (incremental, [0-9.]* s): the model no longer selects columns customer, amount of "analytics"."orders_inc" (on_schema_change=ignore keeps the table'"'"'s columns): select them again, or rebuild with --full-refresh'
	assert_equal "$(sql -c "select count(*) || ' ' || count(customer) || ' ' || sum(amount) from analytics.orders_inc")" "3 3 35.50"
	# a column with a default is left to the table
	sed -i 's/select id, updated_at/select id, customer, updated_at/' models/marts/orders_inc.sql
	sql -c "alter table analytics.orders_inc alter amount set default 0"
	run --separate-stderr "$BIN/modelrun" run --select orders_inc
	assert_success
	assert_equal "$(sql -c "select amount from analytics.orders_inc where id = 2")" "0.00"
}

@test "a custom schema config follows dbt's <target>_<custom> rule and --schema sets the target" {
	shop
	printf '{{ config(schema=%s) }}\nselect 1 as one\n' "'extra'" >models/other/independent.sql
	run --separate-stderr "$BIN/modelrun" run --schema wh
	assert_success
	assert_equal "$(sql -c "select count(*) from wh_extra.independent")" 1
	assert_equal "$(sql -c "select count(*) from wh.customer_report")" 2
}

# ---- templating ----

@test "compile renders set, for/loop, if/elif/else, var, ~, comments, whitespace control and depends_on" {
	project jinja
	run --separate-stderr "$BIN/modelrun" compile --vars 'mode: slow'
	assert_success
	assert_equal "$stderr" "modelrun: compiled 4 models into ./target/compiled/jinja"
	# a relation prints with its database, as dbt prints it
	expected=$(printf '%s\n' '' '' "-- depends_on: \"$PGDATABASE\".\"analytics\".\"base\"" 'select' \
		'    1 as a,' '    2 as b,' '    3 as c' "    , 'v2' as label" "    , 'slow' as mode" \
		'    , 7 as seven' "    , 'constructs' as me , true as trimmed")
	assert_equal "$(cat target/compiled/jinja/models/constructs.sql)" "$expected"
	"$BIN/modelrun" compile -q --vars '{mode: fast, version: 3}'
	grep -qx "    , 'fast' as mode" target/compiled/jinja/models/constructs.sql
	grep -qx "    , 'v3' as label" target/compiled/jinja/models/constructs.sql
	# and it runs
	run --separate-stderr "$BIN/modelrun" run
	assert_success
	assert_equal "$(sql -c "select a + b + c || label || mode || seven || me from analytics.constructs")" "6v2other7constructs"
}

@test "template numbers print as Jinja prints them, so 1.0 / 2 is not an integer division" {
	project jinja
	rm -f models/*.sql
	printf '%s\n' "select {{ var('weight', 1.0) }} / 2 as half, {{ var('tax', 0.07) }} as tax, {{ 4 / 2 }} as two" >models/num.sql
	run --separate-stderr "$BIN/modelrun" run -s num
	assert_success
	assert_equal "$(cat target/run_results.json | jq -r '.results[0].compiled_code')" \
		"select 1.0 / 2 as half, 0.07 as tax, 2.0 as two"
	assert_equal "$(sql -c "select half || ' ' || tax || ' ' || two from analytics.num")" "0.50000000000000000000 0.07 2.0"
	# a whole float from --vars keeps its kind too
	run --separate-stderr "$BIN/modelrun" run -s num --vars '{weight: 3.0, tax: 1}'
	assert_success
	assert_equal "$(cat target/run_results.json | jq -r '.results[0].compiled_code')" \
		"select 3.0 / 2 as half, 1 as tax, 2.0 as two"
	# --vars read as dbt reads them (PyYAML, YAML 1.1)
	printf '%s\n' "select '{{ var('a') }} {{ var('b') }} {{ var('c') }} {{ var('d') }} {{ var('e') }} {{ var('f') }}' as v" >models/num.sql
	run --separate-stderr "$BIN/modelrun" compile -s num --vars '{a: yes, b: 017, c: 1_000, d: 1e3, e: "12:30", f: 12:30}'
	assert_success
	assert_equal "$(cat target/compiled/*/models/num.sql 2>/dev/null || cat target/compiled/models/num.sql)" \
		"select 'True 15 1000 1e3 12:30 750' as v"
}

@test "a template nested thousands of levels deep is an error naming file:line, not a crash" {
	project jinja
	python3 -c "n = 50000; print('select\n' + '{% if true %}' * n + 'x' + '{% endif %}' * n)" >models/deep.sql
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_equal "$stderr" "modelrun: models/deep.sql:2: nested more than 200 levels deep"
	python3 -c "n = 50000; print('select {{ 1' + ' ~ 1' * n + ' }}')" >models/deep.sql
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_equal "$stderr" "modelrun: models/deep.sql:1: nested more than 200 levels deep"
}

@test "a dbt_project.yml or schema.yml nested 100,000 deep is refused before it is parsed, naming file:line" {
	project jinja
	cp dbt_project.yml good.yml
	# a flow sequence, as a var's value
	{ cat good.yml; python3 -c "print('  deep: ' + '[' * 100000 + ']' * 100000)"; } >dbt_project.yml
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_equal "$stderr" "modelrun: ./dbt_project.yml:4:207: nested more than 200 levels deep"
	# a block sequence of sequences, in a schema.yml
	cp good.yml dbt_project.yml
	python3 -c "print('version: 2\nmodels:\n  - name: base\n    columns:\n      - ' + '- ' * 100000 + 'x')" >models/schema.yml
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_equal "$stderr" "modelrun: ./models/schema.yml:5:401: nested more than 200 levels deep"
	# nesting by indentation: the 201st level is refused
	python3 -c "print('\n'.join(' ' * i + 'k%d:' % i for i in range(300)))" >models/schema.yml
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_equal "$stderr" "modelrun: ./models/schema.yml:201:201: nested more than 200 levels deep"
}

@test "refs in branches not taken and in depends_on comments still order the graph" {
	project jinja
	run --separate-stderr "$BIN/modelrun" ls --select +branchy
	assert_success
	assert_output "$(printf 'jinja.other\njinja.branchy')"
	run "$BIN/modelrun" ls --select base+
	assert_output "$(printf 'jinja.base\njinja.constructs')"
	run --separate-stderr "$BIN/modelrun" graph
	assert_success
	assert_line '  "other" -> "branchy";'
	assert_line '  "base" -> "constructs";'
	assert_line --index 0 'digraph "jinja" {'
}

@test "ephemeral models are inlined as CTEs in the compiled SQL" {
	project shop
	"$BIN/modelrun" compile -q --select customer_totals
	grep -q '^with __dbt__cte__customers as ($' target/compiled/shop/models/marts/customer_totals.sql
	grep -q 'from __dbt__cte__customers as c' target/compiled/shop/models/marts/customer_totals.sql
	[ ! -e target/compiled/shop/models/marts/customer_report.sql ]
}

@test "a construct modelrun lacks fails its own model only, naming file:line; the rest runs" {
	cp -r "$DATA/dbt/bad" .
	cd bad
	run --separate-stderr "$BIN/modelrun" run --project-dir filter_in_model
	assert_failure 1
	assert_stderr_line --regexp "^modelrun: \[[12]/2\] ERROR analytics.shout \(view, [0-9.]+ s\): filter_in_model/models/shout.sql:3: unsupported construct: filter 'wordwrap' \(not in modelrun's Jinja subset\)$"
	assert_stderr_line --regexp '^modelrun: \[[12]/2\] OK analytics.ok \(view'
	assert_equal "$(sql -c 'select a from analytics.ok')" 1
	cd macro_tag
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 1
	assert_equal "$stderr" "$(printf '%s\n' "modelrun: models/m.sql:1: unsupported construct: '{% import %}' (not in modelrun's Jinja subset)" \
		"modelrun: compiled 0 models into ./target/compiled/macro_tag" "modelrun: 1 model failed to compile")"
}

@test "what dbt stops on stops the load: a Jinja syntax error, an unknown ref or source, and nothing runs" {
	cp -r "$DATA/dbt/bad" .
	cd bad
	run --separate-stderr "$BIN/modelrun" run --project-dir unclosed_if
	assert_failure 3
	assert_equal "$stderr" "modelrun: unclosed_if/models/m.sql:2: 'if' is never closed with 'endif'"
	run --separate-stderr "$BIN/modelrun" run --project-dir unknown_ref
	assert_failure 3
	assert_equal "$stderr" "modelrun: unknown_ref/models/m.sql:4: ref('missing'): no model or seed is called 'missing'"
	run --separate-stderr "$BIN/modelrun" run --project-dir undeclared_source
	assert_failure 3
	assert_equal "$stderr" "modelrun: undeclared_source/models/m.sql:1: source('raw', 'nope') is not declared in any schema file"
	assert_equal "$(sql -c "select count(*) from pg_namespace where nspname = 'analytics'")" 0
}

@test "a dependency cycle is an error that names the cycle" {
	cp -r "$DATA/dbt/bad/cycle" .
	run --separate-stderr "$BIN/modelrun" run --project-dir cycle
	assert_failure 3
	assert_equal "$stderr" "modelrun: dependency cycle: a -> b -> c -> a"
}

@test "a var without a default and without --vars is an error naming file:line" {
	project shop
	printf 'select 1\n\nwhere {{ var(%s) }}\n' "'cutoff'" >models/other/independent.sql
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_equal "$stderr" "modelrun: models/other/independent.sql:3: var('cutoff') is not set (give it with --vars or in dbt_project.yml)"
	run --separate-stderr "$BIN/modelrun" compile --vars 'cutoff: true'
	assert_success
}

# ---- selection ----

@test "selection: a name, +m, m+, tag:, path:, globs and --exclude" {
	project shop
	ls_() { "$BIN/modelrun" ls "$@" | tr '\n' ' '; }
	assert_equal "$(ls_ -s customer_totals)" "shop.marts.customer_totals "
	assert_equal "$(ls_ -s +customer_totals)" "shop.staging.stg_orders shop.staging.customers shop.marts.customer_totals "
	assert_equal "$(ls_ -s customers+)" "shop.staging.customers shop.marts.customer_totals shop.marts.customer_report "
	assert_equal "$(ls_ -s tag:staging)" "shop.staging.stg_orders shop.staging.customers "
	assert_equal "$(ls_ -s path:models/marts)" "shop.marts.customer_totals shop.marts.customer_report shop.marts.orders_inc "
	assert_equal "$(ls_ -s 'customer_*')" "shop.marts.customer_totals shop.marts.customer_report "
	assert_equal "$(ls_ -s 'tag:staging tag:other')" "shop.staging.stg_orders shop.staging.customers shop.other.independent "
	assert_equal "$(ls_ -s path:models/marts --exclude tag:inc --exclude customer_report)" "shop.marts.customer_totals "
	assert_equal "$(ls_ -s 'path:marts,tag:report')" "shop.marts.customer_report "
	# fqn, as dbt reads it: the project's name, its folders, globs in a part
	assert_equal "$(ls_ -s shop --exclude 'shop.marts shop.staging.*')" "shop.other.independent "
	assert_equal "$(ls_ -s 'shop.m*.customer_*')" "shop.marts.customer_totals shop.marts.customer_report "
	assert_equal "$(ls_ -s 'fqn:staging.customers')" "shop.staging.customers "
	run --separate-stderr "$BIN/modelrun" ls -s nothing_like_this
	assert_success
	assert_equal "$stderr" "modelrun: the selection matches no node"
	run --separate-stderr "$BIN/modelrun" ls -s 'colour:red'
	assert_failure 2
	assert_equal "$stderr" "modelrun: unknown selector method 'colour' in 'colour:red' (tag, path, source, fqn, resource_type, config.materialized, state)"
}

@test "run --select builds only the selected models; +m builds its parents first" {
	shop
	run --separate-stderr "$BIN/modelrun" run -s +customer_report
	assert_success
	assert_equal "$(printf '%s\n' "$stderr" | grep -o 'OK [a-z_.]*' | tr '\n' ' ')" \
		"OK analytics.stg_orders OK analytics.customer_totals OK analytics.customer_report "
	assert_equal "$(sql -c "select count(*) from pg_class where relname in ('orders_inc', 'independent')")" 0
}

# ---- threads and the lock ----

@test "--threads builds independent models at the same time on separate connections" {
	project shop
	rm -rf models/*
	for i in 1 2 3 4; do
		printf '{{ config(materialized=%s) }}\nselect %s as n from pg_sleep(1)\n' "'table'" "$i" >"models/slow$i.sql"
	done
	printf 'select sum(n) as s from (select n from {{ ref(%s) }} union all select n from {{ ref(%s) }}) x\n' \
		"'slow1'" "'slow4'" >models/after.sql
	start=$(date +%s.%N)
	run --separate-stderr "$BIN/modelrun" run --threads 4
	end=$(date +%s.%N)
	assert_success
	# four one-second models on four connections: well under four seconds
	awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s < 3.0) }'
	assert_equal "$(jq -r '[.results[].thread_id] | unique | length' target/run_results.json)" 4
	assert_equal "$(sql -c "select s from analytics.after")" 5
}

@test "a connection lost mid-run stops the run with status 3 and one line per model" {
	project shop
	rm -rf models/*
	printf '{{ config(materialized=%s) }}\nselect 1 as x from pg_sleep(30)\n' "'table'" >models/slow.sql
	printf 'select * from {{ ref(%s) }}\n' "'slow'" >models/after.sql
	printf 'select 2 as y\n' >models/indep.sql
	"$BIN/modelrun" run 2>stderr.txt &
	pid=$!
	for _ in $(seq 100); do
		[ "$(sql -c "select pg_terminate_backend(pid) from pg_stat_activity
			where datname = current_database() and query like '%pg_sleep(30)%' and pid <> pg_backend_pid()")" = t ] && break
		sleep 0.1
	done
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 3 ]
	[ "$(wc -l <stderr.txt)" -eq 5 ]
	grep -qx 'modelrun: \[1/3\] ERROR analytics.slow (table, [0-9.]* s): building the table: lost the connection to the server (FATAL:  terminating connection due to administrator command)' stderr.txt
	grep -qx 'modelrun: \[2/3\] SKIP analytics.after (view): depends on slow, which failed' stderr.txt
	grep -qx 'modelrun: \[3/3\] SKIP analytics.indep (view): not started: the connection to the server was lost' stderr.txt
	assert_equal "$(tail -1 stderr.txt)" "modelrun: the run stopped: the connection to the server was lost"
	assert_equal "$(jq -r '[.results[].status] | join(" ")' target/run_results.json)" "error skipped skipped"
}

@test "a second run waits for the project lock, or fails at once with --no-wait" {
	project shop
	rm -rf models/*
	printf '{{ config(materialized=%s) }}\nselect 1 as n from pg_sleep(3)\n' "'table'" >models/slow.sql
	"$BIN/modelrun" run -q &
	first=$!
	# wait until the first run holds the lock
	for _ in $(seq 50); do
		[ "$(sql -c "select count(*) from pg_locks where locktype = 'advisory' and granted")" -gt 0 ] && break
		sleep 0.1
	done
	run --separate-stderr "$BIN/modelrun" run --no-wait
	assert_failure 3
	assert_equal "$stderr" "modelrun: another modelrun or a dqcheck holds the lock for project shop, schema analytics (--no-wait)"
	start=$(date +%s.%N)
	run --separate-stderr "$BIN/modelrun" run
	end=$(date +%s.%N)
	assert_success
	assert_equal "${stderr_lines[0]}" "modelrun: waiting for another modelrun or a dqcheck of project shop, schema analytics, to finish"
	wait "$first"
	awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s > 1.0) }'
}

# ---- seeds ----

@test "modelrun seed infers each column's type as dbt does; column_types override" {
	project seeds
	run --separate-stderr "$BIN/modelrun" seed
	assert_success
	printf '%s\n' "$stderr" | grep -q 'OK analytics.typed (seed, 3 rows, [0-9.]* s)'
	# dbt's rules: a decimal makes float8; times with and without a T
	# in one column are text; ISO times with offsets are timestamps; a
	# column of nulls is integer (bigint is where dbt itself would fail)
	assert_equal "$(sql -c "select string_agg(column_name || ':' || data_type, ' ' order by ordinal_position) from information_schema.columns where table_name = 'typed'")" \
		"i:integer big:bigint n:double precision d:date ts:text tstz:timestamp without time zone b:boolean t:text code:character varying empty:integer"
	assert_equal "$(sql -c "select t from analytics.typed where i = -2")" "with, comma"
	# bigint's whole range, 19 digits
	assert_equal "$(sql -c "select max(big) || ' ' || min(big) || ' ' || max(n) from analytics.typed")" \
		"9223372036854775807 -9223372036854775808 9.223372036854776e+18"
	# an offset is converted to the session's time zone (the suite's UTC)
	assert_equal "$(sql -c "select string_agg(tstz::text, ' ' order by tstz) from analytics.typed")" \
		"2026-01-01 10:00:00 2026-02-28 21:59:59"
	assert_equal "$(sql -c "select count(*) from analytics.typed where i is null and empty is null")" 1
}

@test "modelrun seed reads quirky values as dbt seed does: currency, percent, grouping, ISO 8601 forms, null words" {
	project seeds_dbt
	run --separate-stderr "$BIN/modelrun" seed
	assert_success
	assert_equal "$(columns analytics.quirks)" "a_int integer, b_float double precision, c_cur integer, d_pct integer, e_group double precision, f_exp double precision, g_nan double precision, h_date date, i_dt timestamp without time zone, j_iso text, k_isoaware timestamp without time zone, l_bool boolean, m_text text, n_null integer, o_mixdt text, p_basic timestamp without time zone, q_week timestamp without time zone, r_ord timestamp without time zone, s_frac timestamp without time zone, t_boolnull boolean, u_trailzero integer, v_neg integer"
	assert_equal "$(sql -c "select concat_ws(' ', c_cur, d_pct, e_group, f_exp, g_nan, i_dt, k_isoaware, q_week, r_ord, s_frac, t_boolnull, v_neg) from analytics.quirks where a_int = -2")" \
		"7 -3 12345.5 0.0025 NaN 2026-01-05 01:02:03 2026-01-06 05:00:00 2026-01-07 10:00:00 2026-02-01 10:00:00 2026-01-05 10:30:15 t -5"
	# "null", blanks and a quoted empty value are null, in text too
	assert_equal "$(sql -c "select count(*) from analytics.quirks where n_null is null")" 3
	assert_equal "$(sql -c "select count(*) from analytics.quirks where m_text is null")" 1
	assert_equal "$(sql -c "select count(*) from analytics.edges where h_quoted_empty is null")" 1
	assert_equal "$(columns analytics.header_only)" "x integer, y integer"
	need_dbt
	dbt_in "$PWD" dbt_s seed --full-refresh >/dev/null
	local t
	for t in quirks edges header_only; do
		same_relation "analytics.$t" "dbt_s.$t"
	done
}

@test "reseeding replaces the content atomically and keeps the views on the seed" {
	project seeds
	"$BIN/modelrun" seed -q
	"$BIN/modelrun" run -q
	printf 'i,big,n,d,ts,tstz,b,t,code,empty\n7,1,1,2026-01-01,2026-01-01 00:00:00,2026-01-01T00:00:00Z,true,new,C3,\n' \
		>seeds/typed.csv
	run --separate-stderr "$BIN/modelrun" seed
	assert_success
	assert_equal "$(sql -c "select i || t from analytics.typed_view")" "7new"
	# a bad file fails and leaves the previous content
	printf 'i,big,n,d,ts,tstz,b,t,code,empty\n8,1,1,2026-01-01\n' >seeds/typed.csv
	run --separate-stderr "$BIN/modelrun" seed
	assert_failure 1
	printf '%s\n' "$stderr" | grep -qx 'modelrun: \[1/1\] ERROR analytics.typed (seed, [0-9.]* s): seeds/typed.csv:2: 4 fields, the header has 10'
	assert_equal "$(sql -c "select i || t from analytics.typed_view")" "7new"
}

@test "a seed may end its lines with LF, CRLF or CR, mixed, and keeps line breaks inside quotes" {
	project seeds
	rm seeds/*.csv models/*.sql
	printf 'id,note\r\n1,lf\n2,crlf\r\n3,cr\r4,"two\r\nlines"\n5,last' >seeds/mixed.csv
	run --separate-stderr "$BIN/modelrun" seed -s mixed
	assert_success
	assert_equal "$(sql -c "select string_agg(id || ':' || replace(replace(note, E'\r', '<CR>'), E'\n', '<LF>'), ' ' order by id) from analytics.mixed")" \
		"1:lf 2:crlf 3:cr 4:two<CR><LF>lines 5:last"
}

@test "a seed row holding only \\. is data: every row loads and the value reads back as \\." {
	project seeds
	rm seeds/*.csv models/*.sql
	# PostgreSQL's COPY would take a line \. as the end of the data and
	# drop the rest without an error; a \. that is not alone on its line
	# (or is quoted, or sits inside a quoted multi-line value) is data anyway
	printf 'note\nfirst\n\\.\nthird\n"x\n\\.\ny"\n\\.x\n"\\."\nlast\n' >seeds/lone.csv
	printf '\\.\r\nfirst\r\n\\.\r\nlast\r\n' >seeds/header.csv
	run --separate-stderr "$BIN/modelrun" seed
	assert_success
	printf '%s\n' "$stderr" | grep -q 'OK analytics.lone (seed, 7 rows'
	printf '%s\n' "$stderr" | grep -q 'OK analytics.header (seed, 3 rows'
	assert_equal "$(sql -c "select count(*) from analytics.lone where note = E'\\\\.'")" 2
	assert_equal "$(sql -c "select string_agg(replace(note, E'\n', '<LF>'), ' ' order by note) from analytics.lone")" \
		'\. \. \.x first last third x<LF>\.<LF>y'
	assert_equal "$(sql -c "select string_agg(\"\\.\", ' ' order by \"\\.\") from analytics.header")" '\. first last'
}

@test "a 1,000,000-row seed loads in seconds" {
	project seeds
	awk 'BEGIN { print "id,name,price,day"; for (i = 1; i <= 1000000; i++) printf "%d,item %d,%d.%02d,2026-01-%02d\n", i, i, i % 500, i % 100, i % 28 + 1 }' \
		>seeds/big.csv
	start=$(date +%s.%N)
	run --separate-stderr "$BIN/modelrun" seed -s big
	end=$(date +%s.%N)
	assert_success
	printf '%s\n' "$stderr" | grep -q 'OK analytics.big (seed, 1000000 rows'
	awk -v s="$start" -v e="$end" 'BEGIN { printf "# %.2f s\n", e - s >"/dev/fd/3"; exit !(e - s < 20) }'
	assert_equal "$(sql -c "select sum(id) from analytics.big")" 500000500000
}

# ---- the sales warehouse ----

sales_load() { # sales_load FILE: append a CSV to raw.sales as a new load
	sql -c "\\copy raw.sales (sale_id, sold_at, store_id, product_id, quantity, unit_price, amount, currency) from '$1' csv header"
}

@test "the sales warehouse picks up late-arriving rows for an old day on the next incremental run" {
	cp -r "$REPO/sql" ./sql
	rm -rf sql/target
	sql -f sql/raw/001_schema.sql -f sql/raw/002_sales.sql
	"$BIN/gen" --rows 3000 --days 5 --start 2026-03-01 --seed 1 >day1-5.csv
	sales_load day1-5.csv
	run --separate-stderr "$BIN/modelrun" seed --project-dir sql
	assert_success
	run --separate-stderr "$BIN/modelrun" run --project-dir sql
	assert_success
	assert_equal "$(sql -c "select count(*) from analytics.fct_daily_sales_metrics")" 5
	before=$(sql -c "select orders from analytics.fct_daily_sales_metrics where sale_date = '2026-03-02'")
	# late rows for 2026-03-02 (already built), and a new day
	"$BIN/gen" --rows 200 --days 1 --start 2026-03-02 --seed 77 >late.csv
	"$BIN/gen" --rows 300 --days 1 --start 2026-03-06 --seed 78 >day6.csv
	sales_load late.csv
	sales_load day6.csv
	run --separate-stderr "$BIN/modelrun" run --project-dir sql
	assert_success
	printf '%s\n' "$stderr" | grep -q 'OK analytics.stg_sales (incremental, 500 rows'
	printf '%s\n' "$stderr" | grep -q 'OK analytics.fct_daily_sales_metrics (incremental, 2 rows'
	assert_equal "$(sql -c "select orders from analytics.fct_daily_sales_metrics where sale_date = '2026-03-02'")" \
		$((before + 200))
	# the mart matches a recomputation from raw for every day
	assert_equal "$(sql -c "
		select count(*) from analytics.fct_daily_sales_metrics f
		full join (select (sold_at at time zone 'UTC')::date as d, count(*) as n, sum(quantity) as u
		           from raw.sales group by 1) r on r.d = f.sale_date
		where f.orders is distinct from r.n or f.units is distinct from r.u")" 0
	assert_equal "$(sql -c "select count(*) from analytics.fct_daily_sales_metrics")" 6
	# a sale_id sent again in a later load replaces the old row, never doubles
	head -2 late.csv | sed 's/,[0-9]*,\([0-9.]*\),[0-9.]*,/,1,\1,\1,/' >again.csv
	sales_load again.csv
	"$BIN/modelrun" run -q --project-dir sql
	assert_equal "$(sql -c "select count(*) - count(distinct sale_id) from analytics.stg_sales")" 0
	assert_equal "$(sql -c "select count(*) from analytics.stg_sales")" 3500
	# a row copied in without a load id by a COPY that started before the
	# last run (and committed after it) is taken within --vars commit_lag;
	# until then the data test names it
	sql -c "insert into raw.sales select 'straggler01', '2026-03-03T12:00:00Z', store_id, product_id, 1, 1, 1, currency,
		null, (select max(staged_at) from analytics.stg_sales) - interval '5 seconds' from raw.sales limit 1"
	"$BIN/modelrun" run -q --project-dir sql
	assert_equal "$(sql -c "select count(*) from analytics.stg_sales where sale_id = 'straggler01'")" 0
	run --separate-stderr "$BIN/dqcheck" --project-dir sql -s stg_sales_has_every_raw_sale
	assert_failure 1
	printf '%s\n' "$stderr" | grep -qx 'FAIL  stg_sales_has_every_raw_sale: 1 failing row, [0-9.]* s'
	printf '%s\n' "$stderr" | grep -qx '      straggler01 | NULL | 1'
	"$BIN/modelrun" run -q --project-dir sql --vars 'commit_lag: 1 minute'
	assert_equal "$(sql -c "select count(*) from analytics.stg_sales where sale_id = 'straggler01'")" 1
	# a sale sent again with another day moves: both days are recomputed
	head -2 day1-5.csv | sed 's/,2026-03-0[0-9]T/,2026-03-05T/' >moved.csv
	grep -q ',2026-03-05T' moved.csv
	sales_load moved.csv
	run --separate-stderr "$BIN/modelrun" run --project-dir sql
	assert_success
	assert_equal "$(sql -c "
		with latest as (select distinct on (sale_id) * from raw.sales order by sale_id, _load_id desc nulls last, _loaded_at desc),
		days as (select (sold_at at time zone 'UTC')::date as d, count(*) as n, sum(quantity) as u
		         from latest group by 1)
		select count(*) from analytics.fct_daily_sales_metrics f full join days on days.d = f.sale_date
		where f.orders is distinct from days.n or f.units is distinct from days.u")" 0
}

# pgload_running: waits until a pgload has its load's transaction open.
pgload_running() {
	for _ in $(seq 100); do
		[ "$(sql -c "select count(*) from pg_stat_activity where application_name = 'pgload' and xact_start is not null")" -gt 0 ] &&
			return 0
		sleep 0.1
	done
	echo "pgload never started its transaction" >&2
	return 1
}

@test "a load that commits after a model run it overlapped reaches every model on the next run, once" {
	cp -r "$REPO/sql" ./sql
	rm -rf sql/target
	sql -f sql/raw/001_schema.sql -f sql/raw/002_sales.sql
	"$BIN/modelrun" seed -q --project-dir sql
	"$BIN/gen" --rows 3000 --days 3 --start 2026-04-01 --seed 5 >long.csv
	"$BIN/gen" --rows 500 --days 1 --start 2026-04-02 --seed 6 >short.csv
	# the long load starts first and stays open: its rows carry its start
	# time, older than the short load's, but commit after the model run
	mkfifo feed
	# (fd 3 is bats' own: the background job must not hold it, and the
	# feed goes through fd 5)
	"$BIN/pgload" -q --key long --source long.csv <feed 3>&- &
	long=$!
	exec 5>feed
	head -n 1501 long.csv >&5
	pgload_running
	"$BIN/pgload" -q --key short --source short.csv <short.csv
	run --separate-stderr "$BIN/modelrun" run --project-dir sql
	assert_success
	assert_equal "$(sql -c "select count(*) from analytics.stg_sales")" 500
	tail -n +1502 long.csv >&5
	exec 5>&-
	wait "$long"
	assert_equal "$(sql -c "select count(distinct sale_id) from raw.sales")" 3500
	# committed rows missing from staging: the data tests say so
	run --separate-stderr "$BIN/dqcheck" --project-dir sql
	assert_failure 1
	printf '%s\n' "$stderr" | grep -qx 'FAIL  stg_sales_has_every_raw_sale: 3000 failing rows, [0-9.]* s'
	printf '%s\n' "$stderr" | grep -q ' 1 failed, 0 errors'
	run --separate-stderr "$BIN/modelrun" run --project-dir sql
	assert_success
	printf '%s\n' "$stderr" | grep -q 'OK analytics.stg_sales (incremental, 3000 rows'
	assert_equal "$(sql -c "select count(*) from analytics.stg_sales")" 3500
	# each load listed once, and the models match a recomputation from raw
	assert_equal "$(sql -c "select count(*) || ' ' || count(distinct load_id) from analytics.stg_loads")" "2 2"
	assert_equal "$(sql -c "
		select count(*) from analytics.fct_daily_sales_metrics f
		full join (select (sold_at at time zone 'UTC')::date as d, count(*) as n, sum(quantity) as u
		           from raw.sales group by 1) r on r.d = f.sale_date
		where f.orders is distinct from r.n or f.units is distinct from r.u")" 0
	run --separate-stderr "$BIN/dqcheck" --project-dir sql
	assert_success
	# nothing is taken twice: another run stages nothing
	run --separate-stderr "$BIN/modelrun" run --project-dir sql
	assert_success
	printf '%s\n' "$stderr" | grep -q 'OK analytics.stg_sales (incremental, 0 rows'
	assert_equal "$(sql -c "select count(*) from analytics.stg_sales")" 3500
}

@test "a sale sent again keeps the row of the load that started last, whatever the order of commits and runs" {
	cp -r "$REPO/sql" ./sql
	rm -rf sql/target
	sql -f sql/raw/001_schema.sql -f sql/raw/002_sales.sql
	"$BIN/modelrun" seed -q --project-dir sql
	"$BIN/gen" --rows 100 --days 1 --start 2026-04-01 --seed 8 >base.csv
	head -3 base.csv | sed 's/,[0-9]*,\([0-9.]*\),[0-9.]*,/,1,\1,\1,/' >first.csv
	head -3 base.csv | sed 's/,[0-9]*,\([0-9.]*\),[0-9.]*,/,2,\1,0.01,/' >second.csv
	"$BIN/pgload" -q --key base <base.csv
	"$BIN/modelrun" run -q --project-dir sql
	# "first" starts before "second" but commits after it, and after a run
	mkfifo feed
	"$BIN/pgload" -q --key first <feed 3>&- &
	first=$!
	exec 5>feed
	head -n 2 first.csv >&5
	pgload_running
	"$BIN/pgload" -q --key second <second.csv
	"$BIN/modelrun" run -q --project-dir sql
	tail -n +3 first.csv >&5
	exec 5>&-
	wait "$first"
	"$BIN/modelrun" run -q --project-dir sql
	# the second load (the higher load id) keeps both sales, as a full build gives
	assert_equal "$(sql -c "select string_agg(quantity::text, ' ') from analytics.stg_sales s join raw._loads l using (load_id) where l.idempotency_key = 'second'")" "2 2"
	incremental=$(sql -c "select string_agg(sale_id || ':' || quantity || ':' || amount, ' ' order by sale_id) from analytics.stg_sales")
	"$BIN/modelrun" run -q --project-dir sql --full-refresh
	assert_equal "$(sql -c "select string_agg(sale_id || ':' || quantity || ':' || amount, ' ' order by sale_id) from analytics.stg_sales")" "$incremental"
	run --separate-stderr "$BIN/dqcheck" --project-dir sql
	assert_success
}

@test "the sales warehouse revenue in USD uses the fx seed" {
	cp -r "$REPO/sql" ./sql
	rm -rf sql/target
	sql -f sql/raw/001_schema.sql -f sql/raw/002_sales.sql
	"$BIN/gen" --rows 1000 --days 2 --seed 4 >s.csv
	sales_load s.csv
	"$BIN/modelrun" seed -q --project-dir sql
	"$BIN/modelrun" run -q --project-dir sql --full-refresh
	assert_equal "$(sql -c "
		select sum(f.revenue_usd) = (select round(sum(x.usd), 2) from (
		    select round(sum(s.amount * fx.usd_per_unit), 2) as usd
		    from raw.sales s join analytics.fx on fx.currency = s.currency
		    group by (s.sold_at at time zone 'UTC')::date, s.store_id, s.product_id) x)
		from analytics.fct_daily_sales_metrics f")" "t"
	assert_equal "$(sql -c "select count(*) from analytics.int_daily_sales where gross_usd is null")" 0
}

@test "without Citus the distribution configs are ignored with one line, and the tables are plain" {
	mkdir -p p/models p/seeds
	printf 'name: dist\nconfig-version: 2\nseeds:\n  dist:\n    +reference: true\n' >p/dbt_project.yml
	printf 'code\na\n' >p/seeds/codes.csv
	printf "{{ config(materialized='table', distribution_column='code', colocate_with='x.y') }}\nselect code from {{ ref('codes') }}\n" \
		>p/models/m.sql
	run --separate-stderr "$BIN/modelrun" seed --project-dir p
	assert_success
	assert_stderr_line "modelrun: Citus is not installed in this database: the distribution configs (distributed_by, distributed_replicated) of codes are ignored; the tables stay local"
	run --separate-stderr "$BIN/modelrun" run --project-dir p
	assert_success
	assert_stderr_line "modelrun: Citus is not installed in this database: the distribution configs (distributed_by, distributed_replicated) of m are ignored; the tables stay local"
	assert_equal "$(sql -c "select code from analytics.m")" a
	# a config of the wrong kind is an error naming the file
	printf "{{ config(reference='yes') }}\nselect 1 as x\n" >p/models/m.sql
	run --separate-stderr "$BIN/modelrun" run --project-dir p
	assert_failure
	[[ "$stderr" == *"models/m.sql:1: config 'reference' needs true or false"* ]]
}

@test "modelrun blanks a password given with -d in its command line, as ps shows it" {
	hides_password "$BIN/modelrun" run --project-dir "$REPO/sql"
}

@test "modelrun compiles macros, call blocks, return(), filters, tests, methods and loop.* as Jinja2 renders them" {
	project jinja_constructs
	run --separate-stderr "$BIN/modelrun" compile -q
	assert_success
	for m in constructs macros; do
		run diff -u "expected/$m.sql" "target/compiled/jinja_constructs/models/$m.sql"
		assert_success
	done
}

@test "dbt compile and modelrun compile give the same SQL for a model using Jinja's filters, tests, methods and loops" {
	dbt=${DBT:-$(command -v dbt || echo /opt/dbt-reference/bin/dbt)}
	[ -x "$dbt" ] || skip "dbt is not installed (the differential test needs it)"
	project jinja_constructs
	# dbt calls only the macros of macros/ files, not a model's own
	rm models/macros.sql
	"$BIN/modelrun" compile -q
	DBT_SCHEMA=public run --separate-stderr "$dbt" compile --profiles-dir . --target-path dbt_target \
		--no-version-check -q
	assert_success
	# modelrun compile ends the file with a newline, dbt does not
	run diff -u <(cat dbt_target/compiled/jinja_constructs/models/constructs.sql; echo) \
		target/compiled/jinja_constructs/models/constructs.sql
	assert_success
}

# ---- issue 18: selection, hooks, on_schema_change ----

# ls_both ARGS...: modelrun ls and dbt ls with the same selection, sorted.
ls_both() {
	"$BIN/modelrun" ls "$@" | sort >mr.out
	dbt_in "$PWD" dbt_ls ls --resource-type model --resource-type seed --quiet "$@" | sort >dbt.out
	diff -u dbt.out mr.out
}

@test "modelrun ls picks what dbt ls picks for graph operators, methods and --exclude" {
	project shop
	# each on its own first, without dbt
	run --separate-stderr "$BIN/modelrun" ls -s '2+customer_report' --exclude customers
	assert_success
	assert_output "$(printf 'shop.staging.stg_orders\nshop.marts.customer_totals\nshop.marts.customer_report')"
	run --separate-stderr "$BIN/modelrun" ls -s '@customer_totals' --exclude 'config.materialized:view'
	assert_success
	assert_output "$(printf 'shop.staging.customers\nshop.marts.customer_totals')"
	need_dbt
	for s in '+customer_report' 'customer_totals+' '1+customer_totals' 'stg_orders+1' '@customer_totals' \
		'tag:staging path:models/marts' 'config.materialized:table' 'tag:inc,config.materialized:incremental'; do
		ls_both -s "$s" || { echo "selector $s differs" >&2; return 1; }
	done
	ls_both -s 'resource_type:model' --exclude 'path:models/staging' --exclude 'tag:report'
	ls_both -s '+customer_report tag:other' --exclude 'config.materialized:ephemeral'
}

@test "hooks run where dbt runs them: on-run-start, pre-hooks, the build, post-hooks, on-run-end" {
	project hooks
	run --separate-stderr "$BIN/modelrun" run --vars 'audit: audit_mr'
	assert_success
	assert_stderr_line "modelrun: ran 2 on-run-start hooks"
	assert_stderr_line "modelrun: ran 1 on-run-end hook"
	"$BIN/modelrun" run -q --vars 'audit: audit_mr'
	# project, schema.yml, config(); transaction: false after COMMIT
	local once="project pre totals | model pre | project post totals | yml post sees 3 | model post sum 60 | yml post, outside | project pre inc | project post inc"
	assert_equal "$(sql -c "select string_agg(what, ' | ' order by id) from audit_mr.log")" \
		"$once | inc post, incremental: False | on-run-end | $once | inc post, incremental: True | on-run-end"
	assert_equal "$(sql -c "select string_agg(n::text, ',' order by n) from analytics.inc")" "10,20,30"
	need_dbt
	dbt_in "$PWD" dbt_s run --vars 'audit: audit_dbt' >/dev/null
	dbt_in "$PWD" dbt_s run --vars 'audit: audit_dbt' >/dev/null
	assert_equal "$(sql -c "select string_agg(what, ' | ' order by id) from audit_dbt.log")" \
		"$(sql -c "select string_agg(what, ' | ' order by id) from audit_mr.log")"
	same_relation analytics.totals dbt_s.totals
	same_relation analytics.inc dbt_s.inc
}

@test "a failing hook fails its model and rolls back its build; a failing on-run-start skips every model" {
	project hooks
	"$BIN/modelrun" run -q
	printf '{{ config(materialized="table", post_hook="select 1/0") }}\nselect 7 as n\n' >models/totals.sql
	run --separate-stderr "$BIN/modelrun" run -s totals
	assert_failure 1
	[[ "$stderr" == *"ERROR analytics.totals (table, "*" s): post-hook 4: division by zero"* ]] || { echo "$stderr"; false; }
	assert_equal "$(sql -c "select string_agg(n::text, ',' order by n) from analytics.totals")" "10,20,30"
	# (the old hooks go: dbt_project.yml's Jinja is rendered wherever dbt
	# renders it, and a key of another name would be)
	sed -i -e 's/^on-run-start:/on-run-start: "select * from nowhere"/' -e '/^  - "create /d' dbt_project.yml
	run --separate-stderr "$BIN/modelrun" run
	assert_failure 1
	assert_stderr_line --partial 'modelrun: on-run-start hook 1 failed: relation "nowhere" does not exist'
	assert_stderr_line "modelrun: skipping all 2 models: an on-run-start hook failed"
	assert_stderr_line "modelrun: ran 1 on-run-end hook"
	assert_equal "$(jq -r '[.results[].status] | unique | join(",")' target/run_results.json)" skipped
}

# osc_run MODE: builds project osc twice with MODE, the second time with
# columns added, removed and of other types, with modelrun into schema
# mr_MODE and (when installed) with dbt into dbt_MODE; $stderr and $status
# are modelrun's second run's.
osc_run() {
	project osc
	"$BIN/modelrun" run -q --schema "mr_$1" --vars "osc: $1"
	[ ! -x "$DBT_REF" ] || dbt_in "$PWD" "dbt_$1" run --vars "osc: $1" >/dev/null
	cat >models/m.sql <<-'SQL'
	{{ config(materialized='incremental', on_schema_change=var('osc')) }}
	select 2 as id, 'bb'::varchar(10) as name, 2.25::numeric as price, true as flag
	SQL
	run --separate-stderr "$BIN/modelrun" run --schema "mr_$1" --vars "osc: $1"
	[ ! -x "$DBT_REF" ] || dbt_in "$PWD" "dbt_$1" run --vars "osc: $1" >dbt.log || true
}

# columns NAME: the columns of NAME with their types, in order.
columns() {
	sql -c "select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum)
		from pg_attribute where attrelid = '$1'::regclass and attnum > 0 and not attisdropped"
}

@test "on_schema_change=append_new_columns adds the new columns and fills only what the model selects" {
	osc_run append_new_columns
	assert_success
	assert_equal "$(columns mr_append_new_columns.m)" "id integer, qty integer, price numeric(4,1), name character varying(10), flag boolean"
	assert_equal "$(sql -c "select id, name, qty, price, flag from mr_append_new_columns.m order by id" | tr '\n' ' ')" \
		"1|a|10|1.5| 2|bb||2.3|t "
	need_dbt
	same_relation mr_append_new_columns.m dbt_append_new_columns.m
}

@test "on_schema_change=sync_all_columns adds, drops and retypes columns as dbt does" {
	osc_run sync_all_columns
	assert_success
	assert_equal "$(columns mr_sync_all_columns.m)" "id integer, name character varying(10), flag boolean, price numeric"
	assert_equal "$(sql -c "select id, name, flag, price from mr_sync_all_columns.m order by id" | tr '\n' ' ')" \
		"1|a||1.5 2|bb|t|2.25 "
	need_dbt
	same_relation mr_sync_all_columns.m dbt_sync_all_columns.m
}

@test "on_schema_change=fail fails the model, names the differences and keeps the table" {
	osc_run fail
	assert_failure 1
	assert_stderr_line --partial "ERROR mr_fail.m (incremental, "
	assert_stderr_line --partial "the source and target schemas of this incremental model are out of sync (on_schema_change=fail): source columns not in target: [flag]; target columns not in source: [qty]; new column types: [price numeric(4,1) -> numeric]. Set on_schema_change to append_new_columns or sync_all_columns, or rebuild with --full-refresh"
	assert_equal "$(sql -c "select count(*) from mr_fail.m")" 1
	need_dbt
	grep -q "The source and target schemas on this incremental model are out of sync" dbt.log
	assert_equal "$(columns dbt_fail.m)" "$(columns mr_fail.m)"
}

@test "an incremental build widens a string column the increment outgrows, as dbt-postgres does, even with ignore" {
	project osc
	"$BIN/modelrun" run -q --vars "osc: ignore"
	[ ! -x "$DBT_REF" ] || dbt_in "$PWD" dbt_s run --vars "osc: ignore" >/dev/null
	sed -i "s/select 1 as id, 'a'::varchar(5) as name/select 2 as id, 'abcdefgh'::varchar(8) as name/" models/m.sql
	"$BIN/modelrun" run -q --vars "osc: ignore"
	assert_equal "$(columns analytics.m)" "id integer, qty integer, price numeric(4,1), name character varying(8)"
	assert_equal "$(sql -c "select string_agg(name, ',' order by id) from analytics.m")" "a,abcdefgh"
	need_dbt
	dbt_in "$PWD" dbt_s run --vars "osc: ignore" >/dev/null
	same_relation analytics.m dbt_s.m
}

@test "a materialized_view is created, refreshed in place on later runs, and built again when its query changes" {
	project matview
	sql -c "create schema src" -c "create table src.t (n integer)" -c "insert into src.t values (1), (2)"
	run --separate-stderr "$BIN/modelrun" run
	assert_success
	assert_stderr_line --partial "OK analytics.mv (materialized_view, 2 rows, "
	[ ! -x "$DBT_REF" ] || dbt_in "$PWD" dbt_s run >/dev/null
	assert_equal "$(sql -c "select relkind from pg_class where oid = 'analytics.mv'::regclass")" m
	assert_equal "$(sql -c "select count(*) from pg_index where indrelid = 'analytics.mv'::regclass and not indisunique")" 1
	oid=$(sql -c "select 'analytics.mv'::regclass::oid")
	sql -c "insert into src.t values (3)" -c "create view analytics.mv_seen as select n from analytics.mv"
	"$BIN/modelrun" run -q
	assert_equal "$(sql -c "select 'analytics.mv'::regclass::oid")" "$oid"
	assert_equal "$(sql -c "select string_agg(d::text, ',' order by n) from analytics.mv")" "2,4,6"
	if [ -x "$DBT_REF" ]; then
		dbt_in "$PWD" dbt_s run >/dev/null
		same_relation analytics.mv dbt_s.mv
		assert_equal "$(sql -c "select relkind from pg_class where oid = 'dbt_s.mv'::regclass")" m
	fi
	# a new query: built again (dbt would refresh the old one until --full-refresh); the view on it stays
	sed -i 's/n \* 2 as d/n * 3 as d/' models/mv.sql
	run --separate-stderr "$BIN/modelrun" run
	assert_success
	assert_stderr_line "modelrun: \"analytics\".\"mv\": the model's query changed: building the materialized view again"
	assert_equal "$(sql -c "select string_agg(d::text, ',' order by n) from analytics.mv")" "3,6,9"
	assert_equal "$(sql -c "select count(*) from analytics.mv_seen")" 3
	# other indexes: changed in place; with on_configuration_change=fail, an error
	sed -i "s/{'columns': \['n'\]}/{'columns': ['n', 'd'], 'unique': true}/" models/mv.sql
	oid=$(sql -c "select 'analytics.mv'::regclass::oid")
	"$BIN/modelrun" run -q
	assert_equal "$(sql -c "select 'analytics.mv'::regclass::oid")" "$oid"
	assert_equal "$(sql -c "select indisunique || ' ' || indnatts from pg_index where indrelid = 'analytics.mv'::regclass")" "true 2"
	sed -i "s/materialized='materialized_view',/materialized='materialized_view', on_configuration_change='fail',/; s/'unique': true/'unique': false/" models/mv.sql
	run --separate-stderr "$BIN/modelrun" run
	assert_failure 1
	assert_stderr_line --partial 'configuration changes were identified and on_configuration_change was set to fail for "analytics"."mv"'
}

@test "incremental_strategy=merge updates matched rows (merge_update_columns, merge_exclude_columns) and inserts the rest, as dbt does" {
	project merge
	sql -c "create schema src" -c "create table src.t (id integer, v text, created text)" \
		-c "insert into src.t values (1, 'a', 'c1'), (2, 'b', 'c1')"
	"$BIN/modelrun" run -q
	[ ! -x "$DBT_REF" ] || dbt_in "$PWD" dbt_s run >/dev/null
	sql -c "update src.t set v = v || '2', created = 'c2'" -c "insert into src.t values (3, 'c', 'c2')"
	run --separate-stderr "$BIN/modelrun" run
	assert_success
	assert_stderr_line --partial "OK analytics.m_all (incremental, 3 rows, "
	assert_equal "$(sql -c "select string_agg(concat_ws('|', id, v, created), ' ' order by id, v) from analytics.m_all")" "1|a2|c2 2|b2|c2 3|c|c2"
	assert_equal "$(sql -c "select string_agg(concat_ws('|', id, v, created), ' ' order by id, v) from analytics.m_excl")" "1|a2|c1 2|b2|c1 3|c|c2"
	assert_equal "$(sql -c "select string_agg(concat_ws('|', id, v, created), ' ' order by id, v) from analytics.m_upd")" "1|a2|c1 2|b2|c1 3|c|c2"
	assert_equal "$(sql -c "select string_agg(concat_ws('|', id, v, created), ' ' order by id, v) from analytics.m_nokey")" "1|a|c1 1|a2|c2 2|b|c1 2|b2|c2 3|c|c2"
	# both configs at once is an error, as in dbt
	printf "{{ config(unique_key='id', merge_update_columns=['v'], merge_exclude_columns=['created']) }}\nselect 1 as id, 'x' as v, 'y' as created\n" >models/m_all.sql
	run --separate-stderr "$BIN/modelrun" run -s m_all
	assert_failure 1
	assert_stderr_line --partial "model cannot specify merge_update_columns and merge_exclude_columns; use only one"
	need_dbt
	dbt_in "$PWD" dbt_s run >/dev/null || true
	for m in m_excl m_upd m_nokey; do
		same_relation "analytics.$m" "dbt_s.$m"
	done
}

@test "a seed runs its post-hook after its load, in its transaction" {
	mkdir -p p/seeds
	printf 'name: sh\nconfig-version: 2\nseeds:\n  sh:\n    +post-hook: "delete from {{ this }} where code = %s"\n' "'b'" >p/dbt_project.yml
	printf 'code\na\nb\n' >p/seeds/codes.csv
	run --separate-stderr "$BIN/modelrun" seed --project-dir p
	assert_success
	assert_equal "$(sql -c "select string_agg(code, ',') from analytics.codes")" a
	printf 'name: sh\nconfig-version: 2\nseeds:\n  sh:\n    +post-hook: "select 1/0"\n' >p/dbt_project.yml
	printf 'code\nc\n' >p/seeds/codes.csv
	run --separate-stderr "$BIN/modelrun" seed --project-dir p
	assert_failure 1
	assert_stderr_line --partial "post-hook 1: division by zero"
	assert_equal "$(sql -c "select string_agg(code, ',') from analytics.codes")" a
}

# ---- issue 18: contracts, grants, persist_docs, enabled, full_refresh, docs, meta ----

# contract_roles: the roles project contracts grants to (roles belong to
# the cluster, not to a test's database, so they are made once).
contract_roles() {
	local r
	for r in mr_contract_reader mr_contract_writer; do
		sql -d postgres -c "do \$\$ begin create role $r; exception when duplicate_object then null; end \$\$"
	done
}

# catalog SCHEMA: what a build leaves beyond rows, with the schema's name
# taken out: the privileges granted, the comments on relations and their
# columns, and the constraints (their definitions, not their names, which
# follow the temporary table each tool builds under).
catalog() {
	sql -c "select table_name || ' ' || grantee || ' ' || privilege_type from information_schema.role_table_grants
		where table_schema = '$1' and grantee <> current_user order by 1" \
		-c "select c.relname || '.' || a.attname || ' ' || coalesce(obj_description(c.oid, 'pg_class'), '-') || ' / '
			|| coalesce(col_description(c.oid, a.attnum), '-')
		from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0
		where c.relnamespace = '$1'::regnamespace and c.relkind in ('r', 'v', 'm') order by 1" \
		-c "select conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) from pg_constraint
		where connamespace = '$1'::regnamespace order by 1" | sed "s/\b$1\./S./g"
}

@test "a contracted table is created with the declared types and constraints, which then hold, as dbt creates it" {
	project contracts
	contract_roles
	run --separate-stderr "$BIN/modelrun" run
	assert_success
	assert_stderr_line "modelrun: models/v.sql: Constraint types are not supported for view materializations and will be ignored. Set 'warn_unsupported: false' on this constraint to ignore this warning."
	assert_stderr_line --partial "OK analytics.child (table, 2 rows, "
	# the schema file's types, not the query's (text -> varchar(3), smallint -> integer)
	assert_equal "$(columns analytics.child)" "id integer, parent_id integer, name character varying(3), amount numeric(10,2)"
	assert_equal "$(sql -c "select string_agg(pg_get_constraintdef(oid), ' | ' order by pg_get_constraintdef(oid)) from pg_constraint
		where conrelid = 'analytics.child'::regclass")" \
		"CHECK (((name)::text <> ''::text)) | CHECK ((amount >= (0)::numeric)) | FOREIGN KEY (parent_id) REFERENCES analytics.parent(id) | PRIMARY KEY (id) | UNIQUE (id, name)"
	assert_equal "$(sql -c "select conname from pg_constraint where conrelid = 'analytics.child'::regclass and contype = 'c' and conname like 'amount%'")" \
		"amount_not_negative"
	run sql -c "insert into analytics.child values (12, 1, 'z', -1)"
	assert_failure
	assert_output --partial 'violates check constraint "amount_not_negative"'
	run sql -c "insert into analytics.child values (12, 9, 'z', 1)"
	assert_failure
	assert_output --partial "violates foreign key constraint"
	# the foreign key's to: orders the graph: child after parent
	assert_equal "$("$BIN/modelrun" ls -s '+child' | tr '\n' ' ')" "contracts.parent contracts.child "
	need_dbt
	dbt_in "$PWD" dbt_s run >dbt.log
	grep -q "Constraint types are not supported for view materializations" dbt.log
	for m in parent child inc v; do
		same_relation "analytics.$m" "dbt_s.$m"
	done
	assert_equal "$(catalog analytics)" "$(catalog dbt_s)"
}

@test "a contract that differs from the query fails the model before anything is built, with dbt's table of differences" {
	project contracts
	contract_roles
	"$BIN/modelrun" run -q
	printf "{{ config(materialized='table') }}\nselect 1::bigint as id, 'a' as kode, true as extra\n" >models/parent.sql
	run --separate-stderr "$BIN/modelrun" run -s parent
	assert_failure 1
	assert_stderr_line --regexp '^modelrun: \[1/1\] ERROR analytics.parent \(table, [0-9.]+ s\): This model has an enforced contract that failed.$'
	local table=(
		"| column_name | definition_type | contract_type | mismatch_reason       |"
		"| ----------- | --------------- | ------------- | --------------------- |"
		"| code        |                 | TEXT          | missing in definition |"
		"| extra       | BOOLEAN         |               | missing in contract   |"
		"| id          | LONGINTEGER     | INTEGER       | data type mismatch    |"
		"| kode        | TEXT            |               | missing in contract   |")
	local line
	for line in "${table[@]}"; do
		assert_stderr_line "modelrun:   $line"
	done
	# nothing was built: the old table, its rows and its grants are there
	assert_equal "$(columns analytics.parent)" "id integer, code text"
	assert_equal "$(sql -c "select count(*) from analytics.parent")" 2
	assert_equal "$(sql -c "select count(*) from pg_class where relname like '%__mr_tmp'")" 0
	jq -e '.results[0].status == "error" and (.results[0].message | contains("| id          | LONGINTEGER"))' target/run_results.json
	need_dbt
	dbt_in "$PWD" dbt_s run -s parent >dbt.log || true
	for line in "${table[@]}"; do
		grep -qF "$line" dbt.log || { echo "dbt did not print: $line" >&2; cat dbt.log >&2; return 1; }
	done
}

@test "a contracted model without data_type or without columns fails with dbt's words" {
	project contracts
	contract_roles
	sed -i 's/^        data_type: text$//' models/schema.yml
	run --separate-stderr "$BIN/modelrun" run -s parent
	assert_failure 1
	assert_stderr_line --partial "ERROR analytics.parent (table, "
	assert_stderr_line --partial "): Contracted models require data_type to be defined for each column. Please ensure that the column name and data_type are defined within the YAML configuration for the ['code'] column(s)."
	[ ! -x "$DBT_REF" ] || { dbt_in "$PWD" dbt_s run -s parent >dbt.log || true; grep -qF "YAML configuration for the ['code'] column(s)" dbt.log; }
	printf "{{ config(materialized='table', contract={'enforced': true}) }}\nselect 1 as id\n" >models/lone.sql
	run --separate-stderr "$BIN/modelrun" run -s lone
	assert_failure 1
	assert_stderr_line --partial "): This model has an enforced contract, and its 'columns' specification is missing"
	need_dbt
	dbt_in "$PWD" dbt_s run -s lone >dbt.log || true
	grep -qF "This model has an enforced contract, and its 'columns' specification is missing" dbt.log
}

@test "a contracted view and an incremental model check their columns on every run; an incremental one needs on_schema_change fail or append_new_columns" {
	project contracts
	contract_roles
	"$BIN/modelrun" run -q
	# the view: its columns checked, its constraint not applied
	printf "select id::bigint as id, code as label from {{ ref('parent') }}\n" >models/v.sql
	run --separate-stderr "$BIN/modelrun" run -s v
	assert_failure 1
	assert_stderr_line "modelrun:   | id          | LONGINTEGER     | INTEGER       | data type mismatch |"
	# the incremental model: checked on an incremental run too, nothing inserted
	sed -i 's/select id, code from/select id, code, 1 as more from/' models/inc.sql
	run --separate-stderr "$BIN/modelrun" run -s inc
	assert_failure 1
	assert_stderr_line "modelrun:   | more        | INTEGER         |               | missing in contract |"
	assert_equal "$(sql -c "select count(*) from analytics.inc")" 2
	sed -i "s/, on_schema_change='append_new_columns'//" models/inc.sql
	run --separate-stderr "$BIN/modelrun" ls
	assert_failure 3
	assert_stderr_line "modelrun: models/inc.sql: Invalid value for on_schema_change: ignore. Models materialized as incremental with contracts enabled must set on_schema_change to 'append_new_columns' or 'fail'"
	need_dbt
	run dbt_in "$PWD" dbt_s ls
	assert_failure
	assert_output --partial "Invalid value for on_schema_change: ignore. Models materialized as incremental with contracts enabled must set on_schema_change to 'append_new_columns' or 'fail'"
}

@test "grants are applied after each build, '+' adds to the project's roles, and what the config no longer names is revoked, as dbt leaves them" {
	project contracts
	contract_roles
	"$BIN/modelrun" run -q
	local want="child mr_contract_reader SELECT
inc mr_contract_writer SELECT
parent mr_contract_reader SELECT
parent mr_contract_writer INSERT
parent mr_contract_writer SELECT
v mr_contract_reader SELECT"
	assert_equal "$(catalog analytics | grep ' SELECT$\| INSERT$\| UPDATE$')" "$want"
	# privileges the config does not name: gone after a rebuild (table, by
	# swap) and revoked on an incremental run
	sql -c "grant update on analytics.parent to mr_contract_reader" -c "grant update on analytics.inc to mr_contract_reader" \
		-c "grant select on analytics.inc to mr_contract_reader"
	"$BIN/modelrun" run -q
	assert_equal "$(catalog analytics | grep ' SELECT$\| INSERT$\| UPDATE$')" "$want"
	# a role that does not exist fails the model, and its build is rolled back
	sed -i "s/'insert': \['mr_contract_writer'\]/'insert': ['mr_no_such_role']/" models/parent.sql
	run --separate-stderr "$BIN/modelrun" run -s parent
	assert_failure 1
	assert_stderr_line --partial 'applying grants: role "mr_no_such_role" does not exist'
	assert_equal "$(catalog analytics | grep '^parent.* INSERT$')" "parent mr_contract_writer INSERT"
	need_dbt
	cp "$DATA/dbt/contracts/models/parent.sql" models/parent.sql
	dbt_in "$PWD" dbt_s run >/dev/null
	sql -c "grant update on dbt_s.parent to mr_contract_reader" -c "grant update on dbt_s.inc to mr_contract_reader" \
		-c "grant select on dbt_s.inc to mr_contract_reader"
	dbt_in "$PWD" dbt_s run >/dev/null
	assert_equal "$(catalog dbt_s | grep ' SELECT$\| INSERT$\| UPDATE$')" "$want"
}

@test "persist_docs writes the schema file's descriptions as comments, quotes and all, on tables, views and columns" {
	project contracts
	contract_roles
	"$BIN/modelrun" run -q
	assert_equal "$(sql -c "select obj_description('analytics.parent'::regclass, 'pg_class')")" \
		"The parents' table; it's described -- with quotes"
	assert_equal "$(sql -c "select col_description('analytics.parent'::regclass, 1)")" "the parent's id"
	assert_equal "$(sql -c "select obj_description('analytics.v'::regclass, 'pg_class') || ' / ' || col_description('analytics.v'::regclass, 1)")" \
		"a view on parent / the id, again"
	# a column the relation lacks (in a model without a contract): said, not failed
	printf 'select 1 as id\n' >models/docs_only.sql
	printf '  - name: docs_only\n    columns:\n      - name: id\n        description: one\n      - name: gone\n        description: not there\n' >>models/schema.yml
	run --separate-stderr "$BIN/modelrun" run -s docs_only
	assert_success
	assert_stderr_line 'modelrun: In relation "analytics"."docs_only": The following columns are specified in the schema but are not present in the database: gone'
	assert_equal "$(sql -c "select col_description('analytics.docs_only'::regclass, 1)")" one
	# relation: false, columns: true at the model level replaces the project's setting whole
	sed -i "s/^select id, code as label/{{ config(persist_docs={'columns': true}) }}\nselect id, code as label/" models/v.sql
	sql -c "comment on view analytics.v is null"
	"$BIN/modelrun" run -q -s v
	assert_equal "$(sql -c "select coalesce(obj_description('analytics.v'::regclass, 'pg_class'), 'none')")" "none"
	need_dbt
	dbt_in "$PWD" dbt_s run -s +v docs_only >dbt.log
	grep -q 'The following columns are specified in the schema but are not present in the database: gone' dbt.log
	assert_equal "$(sql -c "select col_description('dbt_s.docs_only'::regclass, 1)")" one
	assert_equal "$(sql -c "select coalesce(obj_description('dbt_s.v'::regclass, 'pg_class'), 'none') || ' / ' || col_description('dbt_s.v'::regclass, 1)")" \
		"none / the id, again"
}

@test "enabled: false at the project, schema file and config() levels leaves a model and its tests out, as dbt does" {
	mkdir -p p/models/off_folder
	cat >p/dbt_project.yml <<-'EOF'
	name: en
	config-version: 2
	models:
	  en:
	    off_folder:
	      +enabled: false
	    +docs: {show: false}
	    +meta: {team: a}
	EOF
	printf "{{ config(enabled=false, meta={'x': [1, 2]}) }}\nselect 1 as id\n" >p/models/by_config.sql
	printf 'select 1 as id\n' >p/models/by_yml.sql
	printf 'select 1 as id\n' >p/models/off_folder/by_project.sql
	printf "{{ config(docs={'show': true}, full_refresh=none) }}\nselect 1 as id\n" >p/models/kept.sql
	cat >p/models/schema.yml <<-'EOF'
	version: 2
	models:
	  - name: by_yml
	    config:
	      enabled: false
	      meta: {owner: b}
	      docs: {show: false}
	    columns:
	      - name: id
	        data_tests: [not_null]
	  - name: kept
	    columns:
	      - name: id
	        data_tests: [unique]
	EOF
	run --separate-stderr "$BIN/modelrun" ls --project-dir p
	assert_success
	assert_output "en.kept"
	run --separate-stderr "$BIN/modelrun" run --project-dir p
	assert_success
	assert_equal "$(sql -c "select string_agg(relname, ',' order by relname) from pg_class where relnamespace = 'analytics'::regnamespace")" kept
	run --separate-stderr "$BIN/dqcheck" --project-dir p
	assert_success
	assert_stderr_line --partial "unique_kept_id"
	refute_stderr_line --partial "not_null_by_yml_id"
	# a ref to a disabled model is an error
	printf "select * from {{ ref('by_yml') }}\n" >p/models/uses.sql
	run --separate-stderr "$BIN/modelrun" ls --project-dir p
	assert_failure 3
	assert_stderr_line "modelrun: models/uses.sql: refers to 'by_yml', which is disabled"
	rm p/models/uses.sql
	need_dbt
	run dbt_in p dbt_s ls --resource-type model --resource-type test --quiet
	assert_success
	assert_equal "$(printf '%s\n' "$output" | grep -v '^\s*$' | sort | tr '\n' ' ')" "en.kept en.unique_kept_id "
}

@test "full_refresh: false keeps an incremental model's rows under --full-refresh, and true rebuilds it every run, as dbt" {
	mkdir -p p/models
	printf 'name: fr\nconfig-version: 2\n' >p/dbt_project.yml
	printf "{{ config(materialized='incremental', full_refresh=false) }}\nselect 1 as id\n" >p/models/keep.sql
	printf "{{ config(materialized='incremental', full_refresh=true) }}\nselect 1 as id\n" >p/models/always.sql
	printf "{{ config(materialized='incremental') }}\nselect 1 as id\n" >p/models/plain.sql
	"$BIN/modelrun" run -q --project-dir p
	run --separate-stderr "$BIN/modelrun" run --project-dir p --full-refresh
	assert_success
	assert_stderr_line --partial "OK analytics.keep (incremental, 1 rows, "
	assert_stderr_line --partial "OK analytics.plain (incremental, full build, 1 rows, "
	run --separate-stderr "$BIN/modelrun" run --project-dir p
	assert_stderr_line --partial "OK analytics.always (incremental, full build, 1 rows, "
	local counts="always=1 keep=3 plain=2"
	assert_equal "$(sql -c "select string_agg(t || '=' || n, ' ' order by t) from (
		select 'always' t, count(*) n from analytics.always union all
		select 'keep', count(*) from analytics.keep union all select 'plain', count(*) from analytics.plain) x")" "$counts"
	need_dbt
	dbt_in p dbt_s run >/dev/null
	dbt_in p dbt_s run --full-refresh >/dev/null
	dbt_in p dbt_s run >/dev/null
	assert_equal "$(sql -c "select string_agg(t || '=' || n, ' ' order by t) from (
		select 'always' t, count(*) n from dbt_s.always union all
		select 'keep', count(*) from dbt_s.keep union all select 'plain', count(*) from dbt_s.plain) x")" "$counts"
}

@test "a seed takes its grants and persist_docs too, as dbt seeds do" {
	contract_roles
	mkdir -p p/seeds
	cat >p/dbt_project.yml <<-'EOF'
	name: sg
	config-version: 2
	seeds:
	  sg:
	    +grants: {select: [mr_contract_reader]}
	    +persist_docs: {relation: true, columns: true}
	EOF
	printf 'code,label\na,Alpha\n' >p/seeds/codes.csv
	printf "version: 2\nseeds:\n  - name: codes\n    description: \"codes' list\"\n    columns:\n      - name: code\n        description: the code\n" >p/seeds/schema.yml
	"$BIN/modelrun" seed -q --project-dir p
	sql -c "grant update on analytics.codes to mr_contract_reader"
	"$BIN/modelrun" seed -q --project-dir p
	local want="codes mr_contract_reader SELECT
codes.code codes' list / the code
codes.label codes' list / -"
	assert_equal "$(catalog analytics)" "$want"
	need_dbt
	dbt_in p dbt_s seed >/dev/null
	sql -c "grant update on dbt_s.codes to mr_contract_reader"
	dbt_in p dbt_s seed >/dev/null
	assert_equal "$(catalog dbt_s)" "$want"
}

@test "a constraint of an unknown type or a foreign key to something that is not a ref or source is refused, naming file:line" {
	project contracts
	sed -i 's/          - type: primary_key$/          - type: primary_kee/' models/schema.yml
	run --separate-stderr "$BIN/modelrun" ls
	assert_failure 3
	assert_equal "$stderr" "modelrun: ./models/schema.yml:12: Invalid constraint type on column id"
	sed -i "s/primary_kee/primary_key/; s/to: ref('parent')/to: parent/" models/schema.yml
	run --separate-stderr "$BIN/modelrun" ls
	assert_failure 3
	assert_equal "$stderr" "modelrun: ./models/schema.yml:35: Invalid 'ref' or 'source' syntax on foreign key constraint 'to' on model child: parent."
	sed -i "s/to: parent/to: ref('nothing')/" models/schema.yml
	run --separate-stderr "$BIN/modelrun" ls
	assert_failure 3
	assert_equal "$stderr" "modelrun: ./models/schema.yml:35: foreign key to ref('nothing'): no model or seed is called 'nothing'"
}

# ---- issue 18: snapshots ----
# tests/data/dbt/snap holds one snapshot of each kind over raw.customers.
# Its setup.sql adds a clock: with the schema "frozen" first in
# search_path, now() is frozen.clock's time, so that the times a snapshot
# takes from now() are the same under modelrun and dbt, and tick moves
# the clock a day on between runs.

snap_project() {
	project snap
	sql -f setup.sql
	export PGOPTIONS="-c search_path=frozen,pg_catalog,public"
}

tick() {
	sql -c "update frozen.clock set ts = ts + interval '1 day'"
}

# snap_rows TABLE: the rows of a snapshot of raw.customers, ordered.
snap_rows() {
	sql -F ' ' -c "select id, name, city, updated_at, dbt_scd_id, dbt_updated_at, dbt_valid_from,
		coalesce(dbt_valid_to::text, '-') from $1 order by id, dbt_valid_from"
}

@test "modelrun snapshot (timestamp) starts the history, closes a changed version at the new updated_at and ignores a delete" {
	snap_project
	run --separate-stderr "$BIN/modelrun" snapshot -s ts_ignore
	assert_success
	assert_output ""
	assert_stderr_line --regexp '^modelrun: \[1/1\] OK snaps\.ts_ignore \(snapshot, 3 rows, [0-9.]+ s\)$'
	sql -c "update raw.customers set name = 'ann2', updated_at = '2026-01-02 10:00' where id = 1;
		delete from raw.customers where id = 2"
	tick
	run --separate-stderr "$BIN/modelrun" snapshot -s ts_ignore
	assert_success
	assert_stderr_line --regexp '^modelrun: \[1/1\] OK snaps\.ts_ignore \(snapshot, 1 rows, [0-9.]+ s\)$'
	# dbt_scd_id is md5 of the key and updated_at, '|' between them
	run snap_rows snaps.ts_ignore
	assert_output "$(cat <<-'OUT'
	1 ann oslo 2026-01-01 10:00:00 63c33d7f9e4dda72e669f010319e8bb2 2026-01-01 10:00:00 2026-01-01 10:00:00 2026-01-02 10:00:00
	1 ann2 oslo 2026-01-02 10:00:00 d4149b1fee19a1f9c9bff22ef91dff63 2026-01-02 10:00:00 2026-01-02 10:00:00 -
	2 bob rome 2026-01-01 10:00:00 4335854316a4524ea60b970fdc28d27c 2026-01-01 10:00:00 2026-01-01 10:00:00 -
	3 cy lima 2026-01-01 10:00:00 7c7c29d245ef11fe47f84ea6258f9463 2026-01-01 10:00:00 2026-01-01 10:00:00 -
	OUT
	)"
}

@test "a check snapshot with hard_deletes=new_record marks a deleted key, starts it again when it comes back, and ignores unchecked columns" {
	snap_project
	"$BIN/modelrun" snapshot -q -s ck_new_record
	sql -c "delete from raw.customers where id = 2"
	tick
	"$BIN/modelrun" snapshot -q -s ck_new_record
	# a second run with nothing changed adds nothing
	tick
	"$BIN/modelrun" snapshot -q -s ck_new_record
	sql -c "insert into raw.customers values (2, 'bob', 'rome', '2026-01-01 10:00'); update raw.customers set city = 'cuzco' where id = 3"
	tick
	"$BIN/modelrun" snapshot -q -s ck_new_record
	run sql -F ' ' -c "select id, name, city, dbt_valid_from::date, coalesce(dbt_valid_to::date::text, '-'), dbt_is_deleted,
		dbt_updated_at = dbt_valid_from from analytics_snaps.ck_new_record order by id, dbt_valid_from"
	assert_output "$(cat <<-'OUT'
	1 ann oslo 2030-01-01 - False t
	2 bob rome 2030-01-01 2030-01-02 False t
	2 bob rome 2030-01-02 2030-01-04 True t
	2 bob rome 2030-01-04 - False t
	3 cy lima 2030-01-01 - False t
	OUT
	)"
	# the ids of the check strategy hash the key and the run's time; the
	# deleted version's, the id it replaces and the time
	assert_equal "$(sql -c "select count(*) from analytics_snaps.ck_new_record
		where dbt_is_deleted = 'False' and dbt_scd_id <> md5(id || '|' || dbt_valid_from)")" 0
	assert_equal "$(sql -c "select count(*) from analytics_snaps.ck_new_record d join analytics_snaps.ck_new_record o
		on o.id = d.id and o.dbt_valid_to = d.dbt_valid_from and d.dbt_scd_id = md5(o.dbt_scd_id || '|' || d.dbt_valid_from)
		where d.dbt_is_deleted = 'True'")" 1
}

@test "snapshot_meta_column_names and dbt_valid_to_current rename the history columns and mark current versions" {
	snap_project
	"$BIN/modelrun" snapshot -q -s ck_renamed
	sql -c "update raw.customers set name = 'ann2' where id = 1"
	tick
	"$BIN/modelrun" snapshot -q -s ck_renamed
	assert_equal "$(sql -c "select string_agg(attname, ' ' order by attnum) from pg_attribute
		where attrelid = 'snaps.ck_renamed'::regclass and attnum > 0")" \
		"id name city updated_at scd_id changed_at valid_from valid_to is_deleted"
	run sql -F ' ' -c "select id, name, valid_from::date, valid_to::date from snaps.ck_renamed order by id, valid_from"
	assert_output "$(printf '%s\n' '1 ann 2030-01-01 2030-01-02' '1 ann2 2030-01-02 9999-12-31' \
		'2 bob 2030-01-01 9999-12-31' '3 cy 2030-01-01 9999-12-31')"
}

@test "modelrun run builds no snapshot and modelrun snapshot no model; --select and --exclude pick snapshots; models read them" {
	snap_project
	run --separate-stderr "$BIN/modelrun" run
	assert_failure 1 # current_customers reads a snapshot not taken yet
	assert_stderr_line --partial 'ERROR analytics.current_customers (view'
	assert_equal "$(sql -c "select count(*) from pg_class where relname like 'ts\_%' or relname like 'ck\_%'")" 0
	run --separate-stderr "$BIN/modelrun" snapshot -s 'tag:more ts_ignore' --exclude ts_expr_key
	assert_success
	assert_equal "$(printf '%s\n' "$stderr" | grep -c '] OK ')" 2
	assert_stderr_line --regexp 'OK snaps\.ck_renamed \(snapshot'
	assert_stderr_line --regexp 'OK snaps\.ts_ignore \(snapshot'
	assert_equal "$(sql -c "select count(*) from pg_class where relname = 'current_customers'")" 0
	run --separate-stderr "$BIN/modelrun" run
	assert_success
	assert_equal "$(sql -c "select string_agg(name, ' ' order by id) from analytics.current_customers")" "ann bob cy"
	# ck_all (a YAML snapshot of that model) comes after it in the graph
	run --separate-stderr "$BIN/modelrun" snapshot -s '+ck_all'
	assert_success
	assert_equal "$(printf '%s\n' "$stderr" | grep -c '] OK ')" 2
	run --separate-stderr "$BIN/modelrun" snapshot -s current_customers
	assert_success
	assert_stderr_line "modelrun: the selection matches no snapshot"
	run "$BIN/modelrun" ls -s resource_type:snapshot --exclude 'path:snapshots/more'
	assert_output "$(printf '%s\n' snap.timestamps.ts_ignore snap.timestamps.ts_invalidate snap.ck_new_record snap.ck_all)"
	# data tests on a snapshot's columns, in a schema file, run under dqcheck
	cat >snapshots/tests.yml <<-'EOF2'
	snapshots:
	  - name: ts_ignore
	    columns:
	      - name: dbt_scd_id
	        tests: [unique, not_null]
	EOF2
	run --separate-stderr "$BIN/dqcheck"
	assert_success
	assert_stderr_line --partial 'PASS  unique_ts_ignore_dbt_scd_id: 0 failing rows'
}

@test "snapshot configs dbt requires are checked when the project loads, naming file:line; bad values fail the snapshot" {
	snap_project
	rm -r snapshots/more
	printf '{%% snapshot s %%}\n{{ config(unique_key="id", strategy="timestamp") }}\nselect 1 as id\n{%% endsnapshot %%}\n' \
		>snapshots/bad.sql
	run --separate-stderr "$BIN/modelrun" snapshot
	assert_failure 3
	assert_equal "$stderr" "modelrun: snapshots/bad.sql:1: snapshot s: a snapshot configured with the timestamp strategy must specify an updated_at configuration"
	printf '{%% snapshot s %%}\n{{ config(unique_key="id", strategy="check") }}\nselect 1 as id\n{%% endsnapshot %%}\n' \
		>snapshots/bad.sql
	run --separate-stderr "$BIN/modelrun" ls
	assert_failure 3
	assert_equal "$stderr" "modelrun: snapshots/bad.sql:1: snapshot s: a snapshot configured with the check strategy must specify a check_cols configuration"
	printf '{%% snapshot s %%}\n{{ config(unique_key="id", strategy="sometimes") }}\nselect 1 as id\n{%% endsnapshot %%}\n' \
		>snapshots/bad.sql
	run --separate-stderr "$BIN/modelrun" snapshot -s s
	assert_failure 1
	assert_stderr_line --regexp "ERROR analytics\.s \(snapshot, [0-9.]+ s\): the snapshot strategy 'sometimes' is not known \(timestamp or check\)"
	printf '{%% snapshot s %%}\n{{ config(unique_key="id", strategy="check", check_cols="all", hard_deletes="invalidate", invalidate_hard_deletes=true) }}\nselect 1 as id\n{%% endsnapshot %%}\n' \
		>snapshots/bad.sql
	run --separate-stderr "$BIN/modelrun" snapshot -s s
	assert_failure 1
	assert_stderr_line --partial "invalidate_hard_deletes and hard_deletes cannot both be set on one snapshot"
	printf '{%% snapshot s %%}\n{{ config(unique_key="id", strategy="check", check_cols="all", target_database="elsewhere") }}\nselect 1 as id\n{%% endsnapshot %%}\n' \
		>snapshots/bad.sql
	run --separate-stderr "$BIN/modelrun" snapshot -s s
	assert_failure 1
	assert_stderr_line --partial "target_database 'elsewhere' is not the database connected to ($PGDATABASE)"
	printf '{%% snapshot s %%}\n{{ config(unique_key="id", strategy="check", check_cols="all", target_database="%s") }}\nselect 1 as id\n{%% endsnapshot %%}\n' \
		"$PGDATABASE" >snapshots/bad.sql
	sql -c "create schema if not exists analytics; create view analytics.s as select 1 as id"
	run --separate-stderr "$BIN/modelrun" snapshot -s s
	assert_failure 1
	assert_stderr_line --partial '"analytics"."s" exists and is not a table'
	sql -c "drop view analytics.s; create table analytics.s (id int)"
	run --separate-stderr "$BIN/modelrun" snapshot -s s
	assert_failure 1
	assert_stderr_line --partial 'is not a snapshot table of this configuration: it has no column "dbt_scd_id", "dbt_valid_from", "dbt_valid_to"'
	sql -c "drop table analytics.s"
	run --separate-stderr "$BIN/modelrun" snapshot -s s
	assert_success
}

@test "a snapshot is one transaction: a failing post-hook leaves the history as it was; the project lock applies" {
	snap_project
	"$BIN/modelrun" snapshot -q -s ts_ignore
	before=$(sql -c "select md5(string_agg(t::text, ',' order by t::text)) from snaps.ts_ignore t")
	sql -c "update raw.customers set name = 'ann2', updated_at = '2026-01-02 10:00' where id = 1"
	# a schema file describes the SQL snapshot: its config adds a hook
	cat >snapshots/hooks.yml <<-'EOF2'
	snapshots:
	  - name: ts_ignore
	    config:
	      post_hook: "select 1 / (select count(*) - count(*) from {{ this }})"
	EOF2
	run --separate-stderr "$BIN/modelrun" snapshot -s ts_ignore
	assert_failure 1
	assert_stderr_line --partial 'post-hook 1: division by zero'
	assert_equal "$(sql -c "select md5(string_agg(t::text, ',' order by t::text)) from snaps.ts_ignore t")" "$before"
	# another run holding the lock: --no-wait fails at once
	sql -c "select pg_advisory_lock(hashtextextended('modelrun:snap:analytics', 0)), pg_sleep(5)" &
	holder=$!
	for _ in $(seq 50); do
		[ "$(sql -c "select count(*) from pg_locks where locktype = 'advisory' and granted")" -gt 0 ] && break
		sleep 0.1
	done
	run --separate-stderr "$BIN/modelrun" snapshot -s ts_ignore --no-wait
	assert_failure 3
	assert_equal "$stderr" "modelrun: another modelrun or a dqcheck holds the lock for project snap, schema analytics (--no-wait)"
	wait "$holder"
}

# snap_both ARGS...: the same command under modelrun (schemas mr_s and
# mr_snaps) and under dbt (dbt_s and dbt_snaps).
snap_both() {
	"$BIN/modelrun" "$@" -q --schema mr_s --vars 'snap_schema: mr_snaps'
	dbt_in "$PWD" dbt_s "$@" --vars 'snap_schema: dbt_snaps' >>dbt.log
}

@test "modelrun snapshot gives dbt's snapshot tables row by row: insert, update, delete, re-insert, unchecked change, no change" {
	need_dbt
	snap_project
	# the model that ck_all snapshots reads ts_ignore: that one first
	snap_both snapshot -s ts_ignore
	snap_both run
	snap_both snapshot
	tick
	sql -c "update raw.customers set name = 'ann2', updated_at = '2026-01-02 10:00' where id = 1;
		delete from raw.customers where id = 2; insert into raw.customers values (4, 'di', 'kyiv', '2026-01-02 10:00')"
	snap_both run
	snap_both snapshot
	tick
	snap_both snapshot
	tick
	# back again with its old values; a change in a column no check reads
	sql -c "insert into raw.customers values (2, 'bob', 'rome', '2026-01-01 10:00'); update raw.customers set city = 'cuzco' where id = 3"
	snap_both snapshot
	tick
	# a new column in the source, and a change with a new updated_at
	sql -c "update raw.customers set city = 'quito', updated_at = '2026-01-05 10:00' where id = 3;
		alter table raw.customers add column tier text; update raw.customers set tier = 'gold' where id = 1"
	snap_both run
	snap_both snapshot
	tick
	snap_both snapshot
	tick
	sql -c "delete from raw.customers where id = 4"
	snap_both snapshot
	for t in ts_ignore ts_invalidate ck_renamed ts_expr_key; do
		same_relation "dbt_snaps.$t" "mr_snaps.$t"
	done
	for t in ck_new_record ck_all; do
		same_relation "dbt_s_snaps.$t" "mr_s_snaps.$t"
	done
	# not vacuous: each table has history, deletes and all
	assert_equal "$(sql -c "select count(*) from mr_snaps.ts_invalidate where dbt_valid_to is not null")" 4
	assert_equal "$(sql -c "select count(*) from mr_s_snaps.ck_new_record where dbt_is_deleted = 'True'")" 2
	assert_equal "$(sql -c "select count(*) from mr_snaps.ck_renamed where valid_to <> '9999-12-31'")" 6
}

@test "modelrun ls picks the snapshots dbt ls picks" {
	need_dbt
	project snap
	for s in 'resource_type:snapshot' 'tag:more' 'path:snapshots/more' '+ck_all' 'ts_ignore+' 'more' \
		'config.materialized:snapshot' 'snapshots/timestamps.sql'; do
		"$BIN/modelrun" ls -s "$s" | sort >mr.out
		dbt_in "$PWD" dbt_ls ls --resource-type model --resource-type snapshot --quiet -s "$s" | sort >dbt.out
		diff -u dbt.out mr.out || { echo "selector $s differs" >&2; return 1; }
	done
}

# ---- issue 18: run-operation ----

@test "modelrun run-operation renders a macro with --args: its queries commit, log(info=True) and print() write stdout" {
	project snap
	run --separate-stderr "$BIN/modelrun" run-operation record_event --args '{event: signup, times: 2, tags: [a, b]}'
	assert_success
	assert_output "$(printf 'events: 2, last 2\nrecorded signup')"
	assert_stderr_line --regexp '^modelrun: ran operation record_event: 4 queries in [0-9.]+ s$'
	refute_stderr_line --partial 'a debug line'
	assert_equal "$(sql -c "select string_agg(event || n || tags, ' ' order by n) from public.events")" "signup1a,b signup2a,b"
	run --separate-stderr "$BIN/modelrun" run-operation record_event -v --args 'event: login'
	assert_success
	assert_output "$(printf 'events: 3, last 2\nrecorded login')"
	assert_stderr_line 'modelrun: a debug line'
	# each query commits on its own: what ran before the failure stays
	run --separate-stderr "$BIN/modelrun" run-operation fail_half_way
	assert_failure 1
	assert_equal "$stderr" "modelrun: error while running operation fail_half_way: macros/operations.sql:19: run_query(): division by zero"
	assert_equal "$(sql -c "select count(*) from public.events where event = 'before'")" 1
	run --separate-stderr "$BIN/modelrun" run-operation no_such_macro
	assert_failure 2
	assert_equal "$stderr" "modelrun: no macro called 'no_such_macro' in the project's macro paths"
	run --separate-stderr "$BIN/modelrun" run-operation record_event --args '{event: x, bogus: 1}'
	assert_failure 1
	assert_equal "$stderr" "modelrun: error while running operation record_event: macro 'record_event' takes no keyword argument 'bogus'"
	assert_equal "$(sql -c "select count(*) from public.events where event = 'x'")" 0
	run --separate-stderr "$BIN/modelrun" run-operation record_event --args '[1, 2]'
	assert_failure 2
	assert_equal "$stderr" "modelrun: --args: expected a mapping of argument names to values, such as '{role: reporter}'"
	run --separate-stderr "$BIN/modelrun" run-operation
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "modelrun: run-operation needs the name of a macro"
	run --separate-stderr "$BIN/modelrun" run --args '{a: 1}'
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "modelrun: --args is for run-operation"
}

@test "modelrun run-operation does what dbt run-operation does: the same rows, lines and exit statuses" {
	need_dbt
	project snap
	"$BIN/modelrun" run-operation record_event --args '{event: signup, times: 2, tags: [a, b]}' >mr.out
	run "$BIN/modelrun" run-operation fail_half_way
	assert_failure 1
	sql -c "alter table public.events rename to events_mr"
	dbt_in "$PWD" dbt_s run-operation record_event --args '{event: signup, times: 2, tags: [a, b]}' >dbt.out
	run dbt_in "$PWD" dbt_s run-operation fail_half_way
	assert_failure 1
	same_relation public.events public.events_mr
	# dbt's lines are stamped with the time; print() is not
	assert_equal "$(sed -n 's/^[0-9:]*  \(events: .*\)/\1/p; /^recorded /p' dbt.out)" "$(cat mr.out)"
	run dbt_in "$PWD" dbt_s run-operation no_such_macro
	assert_failure 2
	run dbt_in "$PWD" dbt_s run-operation record_event --args '{event: x, bogus: 1}'
	assert_failure 1
	assert_output --partial "takes no keyword argument 'bogus'"
	run "$BIN/modelrun" run-operation no_such_macro
	assert_failure 2
}

# ---- target/manifest.json and docs generate (the static docs site) ----

# sales_project: a copy of the sales warehouse (sql/) in ./sql, without
# what earlier runs left in its target/.
sales_project() {
	cp -r "$REPO/sql" ./sql
	rm -rf sql/target
}

@test "modelrun compile writes target/manifest.json with every model, seed and source, their code, checksums and maps" {
	sales_project
	run --separate-stderr "$BIN/modelrun" compile --project-dir sql
	assert_success
	m=sql/target/manifest.json
	assert_equal "$(jq -r '.metadata.dbt_schema_version' $m)" "https://schemas.getdbt.com/dbt/manifest/v12.json"
	assert_equal "$(jq -r '.metadata.project_name' $m)" sales_warehouse
	# no connection, but the database one would connect to
	assert_equal "$(jq -r '.nodes["seed.sales_warehouse.fx"].relation_name' $m)" "\"$PGDATABASE\".\"analytics\".\"fx\""
	assert_equal "$(jq -r '[.nodes[] | .resource_type] | sort | join(",")' $m)" "model,model,model,model,seed,seed,seed,test,test"
	# the singular tests, with what they read
	assert_equal "$(jq -r '.nodes["test.sales_warehouse.stg_sales_has_every_raw_sale"].depends_on.nodes | sort | join(",")' $m)" \
		"model.sales_warehouse.stg_sales,source.sales_warehouse.raw.sales"
	assert_equal "$(jq -r '.child_map["model.sales_warehouse.stg_sales"] | map(select(startswith("test."))) | join(",")' $m)" \
		"test.sales_warehouse.fct_daily_matches_staging,test.sales_warehouse.stg_sales_has_every_raw_sale"
	assert_equal "$(jq -r '.sources | keys | join(",")' $m)" "source.sales_warehouse.raw._loads,source.sales_warehouse.raw.sales"
	n='.nodes["model.sales_warehouse.stg_sales"]'
	assert_equal "$(jq -r "$n | [.path, .original_file_path, (.fqn | join(\".\")), .config.materialized, .config.unique_key] | join(\" \")" $m)" \
		"staging/stg_sales.sql models/staging/stg_sales.sql sales_warehouse.staging.stg_sales incremental sale_id"
	assert_equal "$(jq -r "$n.description" $m)" "Typed sales, one row per sale_id from its latest load."
	assert_equal "$(jq -r "$n.columns | keys | join(\",\")" $m)" "currency,product_id,sale_id,store_id"
	assert_equal "$(jq -r "$n.depends_on.nodes | join(\",\")" $m)" "source.sales_warehouse.raw.sales,model.sales_warehouse.stg_loads"
	# raw_code and its checksum as dbt takes them: the file without the
	# whitespace around it
	jq -j "$n.raw_code" $m >raw.sql
	python3 -c 'import sys; sys.stdout.write(open(sys.argv[1]).read().strip())' sql/models/staging/stg_sales.sql >want.sql
	cmp want.sql raw.sql
	assert_equal "$(jq -r "$n.checksum.checksum" $m)" "$(sha256sum <raw.sql | cut -d' ' -f1)"
	# the compiled SQL is the file compile wrote
	assert_equal "$(jq -r "$n.compiled_code" $m)" "$(cat sql/target/compiled/sales_warehouse/models/staging/stg_sales.sql)"
	assert_equal "$(jq -r '.parent_map["model.sales_warehouse.int_daily_sales"] | sort | join(",")' $m)" \
		"model.sales_warehouse.stg_sales,seed.sales_warehouse.fx"
	assert_equal "$(jq -r '.child_map["source.sales_warehouse.raw.sales"] | join(",")' $m)" "model.sales_warehouse.stg_sales,test.sales_warehouse.stg_sales_has_every_raw_sale"
	assert_equal "$(jq -r '.child_map["model.sales_warehouse.fct_daily_sales_metrics"] | join(",")' $m)" "test.sales_warehouse.fct_daily_matches_staging"
	# a seed over 1 MiB is known by its path, as dbt knows it, not read for a hash
	{ echo id; head -c 1100000 /dev/zero | tr '\0' 'x' | fold -w 100; } >sql/seeds/big.csv
	"$BIN/modelrun" compile --project-dir sql -q
	assert_equal "$(jq -c '.nodes["seed.sales_warehouse.big"].checksum' $m)" '{"name":"path","checksum":"seeds/big.csv"}'
}

@test "modelrun run writes target/manifest.json with the database, the compiled SQL of the run and doc() descriptions" {
	sales_project
	for f in sql/raw/*.sql; do sql -f "$f"; done
	printf '{%% docs loads_doc %%}\n  Every load, from a docs block.\n{%%- enddocs %%}\n' >sql/models/staging/docs.md
	sed -i 's/^    description: >$/    description: "{{ doc('"'"'loads_doc'"'"') }}"/; /^      Every committed load, listed/d; /^      stg_sales reads the rows/d' sql/models/staging/schema.yml
	"$BIN/modelrun" seed --project-dir sql -q
	run --separate-stderr "$BIN/modelrun" run --project-dir sql
	assert_success
	m=sql/target/manifest.json
	assert_equal "$(jq -r '.nodes["model.sales_warehouse.stg_loads"].description' $m)" "Every load, from a docs block."
	assert_equal "$(jq -r '.docs["doc.sales_warehouse.loads_doc"] | [.path, .original_file_path, .block_contents] | join("|")' $m)" \
		"staging/docs.md|models/staging/docs.md|Every load, from a docs block."
	assert_equal "$(jq -r '.nodes["model.sales_warehouse.stg_sales"].relation_name' $m)" "\"$PGDATABASE\".\"analytics\".\"stg_sales\""
	assert_equal "$(jq -r '.nodes["model.sales_warehouse.stg_sales"].database' $m)" "$PGDATABASE"
	assert_equal "$(jq -r '.nodes["model.sales_warehouse.stg_sales"].compiled_code' $m)" \
		"$(jq -r '.results[] | select(.unique_id == "model.sales_warehouse.stg_sales") | .compiled_code' sql/target/run_results.json)"
}

@test "target/manifest.json has the keys dbt's manifest has, and the same paths, checksums, code and maps" {
	need_dbt
	sales_project
	# descriptions from docs blocks, resolved as dbt resolves them
	printf '{%% docs loads_doc %%}\n  Every load, from a docs block.\n{%%- enddocs %%}\n\n{%% docs other %%}\nSecond *block*.\n{%% enddocs %%}\n' \
		>sql/models/staging/docs.md
	sed -i 's/^    description: >$/    description: "{{ doc('"'"'loads_doc'"'"') }} and {{ doc(\\"other\\") }}"/; /^      Every committed load, listed/d; /^      stg_sales reads the rows/d' \
		sql/models/staging/schema.yml
	grep -qF "{{ doc('loads_doc') }} and {{ doc(" sql/models/staging/schema.yml
	"$BIN/modelrun" compile --project-dir sql -q --schema dbt_m
	dbt_in sql dbt_m parse >/dev/null
	python3 - sql/target/manifest.json sql.dbt/target/manifest.json <<-'PY'
	import json, sys
	ours, theirs = (json.load(open(f)) for f in sys.argv[1:3])
	bad = []
	def same_keys(what, a, b, ignore=()):
	    a, b = set(a) - set(ignore), set(b) - set(ignore)
	    if a != b:
	        bad.append("%s: only ours %s, only dbt's %s" % (what, sorted(a - b), sorted(b - a)))
	same_keys("top level", ours, theirs)
	same_keys("metadata", ours["metadata"], theirs["metadata"])
	compiled = ("compiled", "compiled_code", "extra_ctes", "extra_ctes_injected")  # compile, not parse
	generic = {k for k, d in theirs["nodes"].items() if d.get("test_metadata")}
	for uid, d in theirs["nodes"].items():
	    if uid in generic:
	        continue  # generic tests are not among our nodes
	    o = ours["nodes"].get(uid)
	    if o is None:
	        bad.append("no node " + uid)
	        continue
	    same_keys(uid, o, d, compiled)
	    same_keys(uid + " config", o["config"], d["config"])
	    for c in d["columns"]:
	        same_keys(uid + " column " + c, o["columns"].get(c, {}), d["columns"][c])
	    for k in ("path", "original_file_path", "fqn", "checksum", "raw_code", "refs", "alias", "tags",
	              "description", "patch_path", "resource_type", "package_name", "unique_id", "doc_blocks",
	              "unrendered_config"):
	        if k in d and o.get(k) != d[k]:
	            bad.append("%s %s: ours %r, dbt's %r" % (uid, k, o[k], d[k]))
	    if d["resource_type"] == "test" and (o["config"], o["schema"], o["sources"]) != (d["config"], d["schema"], d["sources"]):
	        bad.append("%s config or schema: ours %r, dbt's %r" % (uid, (o["config"], o["schema"]), (d["config"], d["schema"])))
	    if d["resource_type"] != "seed" and sorted(o["depends_on"]["nodes"]) != sorted(d["depends_on"]["nodes"]):
	        bad.append(uid + " depends_on differs")
	for uid, d in theirs["sources"].items():
	    o = ours["sources"].get(uid)
	    if o is None:
	        bad.append("no source " + uid)
	        continue
	    same_keys(uid, o, d)
	    for k in ("path", "fqn", "source_name", "identifier", "loaded_at_field", "description",
	              "source_description", "freshness", "schema"):
	        if o.get(k) != d[k]:
	            bad.append("%s %s: ours %r, dbt's %r" % (uid, k, o.get(k), d[k]))
	want = {k: v for k, v in theirs["docs"].items() if not k.startswith("doc.dbt.")}  # dbt's own overview
	if ours["docs"] != want:
	    bad.append("docs: ours %r, dbt's %r" % (ours["docs"], want))
	if len(want) != 2:
	    bad.append("dbt found %d docs blocks, not 2" % len(want))
	if not any(d["resource_type"] == "test" for d in ours["nodes"].values()):
	    bad.append("no singular test among our nodes")
	for which in ("parent_map", "child_map"):
	    want = {k: sorted(x for x in v if x not in generic)
	            for k, v in theirs[which].items() if k not in generic}
	    got = {k: sorted(v) for k, v in ours[which].items()}
	    if want != got:
	        bad.append("%s: ours %r, dbt's %r" % (which, got, want))
	d = ours["nodes"]["model.sales_warehouse.stg_loads"]["description"]
	if d != "Every load, from a docs block. and Second *block*.":
	    bad.append("stg_loads's description: %r" % d)
	print("\n".join(bad))
	sys.exit(1 if bad else 0)
	PY
}

# need_chromium: skips, saying why, where no headless Chromium is installed
# (scripts/ensure-deps.sh test installs Debian's chromium).
need_chromium() {
	command -v chromium >/dev/null ||
		skip "no chromium: the page is not checked in a browser (scripts/ensure-deps.sh test installs it)"
}

# chromium_headless ARGS... URL: Chromium without a window, a profile of its
# own in the test's directory, its chatter in chromium.log.
chromium_headless() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
		--hide-scrollbars --user-data-dir="$BATS_TEST_TMPDIR/chromium" "$@" 2>>chromium.log
}

@test "docs generate after a pipeline run: Chromium shows every model, seed, source and test, links resolve, markup stays text" {
	need_chromium
	# the job on a copy of the repository's sql/ project, with a docs
	# block, a description holding markup and a freshness rule
	mkdir job
	cp "$REPO/pipeline.sh" job/
	cp -r "$REPO/sql" job/sql
	rm -rf job/sql/target
	printf '{%% docs stg_sales_doc %%}\nTyped sales from the docs block: one row per sale_id.\n{%% enddocs %%}\n' \
		>job/sql/models/staging/docs.md
	python3 - job/sql/models <<-'PY'
	import sys
	d = sys.argv[1]
	f = d + "/staging/schema.yml"
	t = open(f).read().replace("description: Typed sales, one row per sale_id from its latest load.",
	                           "description: \"{{ doc('stg_sales_doc') }}\"")
	t = t.replace("      - name: sale_id\n        data_tests:",
	              "      - name: sale_id\n        description: The sale's id, as gen writes it.\n        data_tests:", 1)
	open(f, "w").write(t)
	f = d + "/marts/schema.yml"
	t = open(f).read().replace("description: Daily sales metrics in USD, incremental by sale_date.",
	                           "description: \"Daily metrics <script>alert('docs')</script> in USD\"")
	open(f, "w").write(t)
	f = d + "/staging/sources.yml"
	t = open(f).read().replace("        loaded_at_field: _loaded_at\n",
	                           "        loaded_at_field: _loaded_at\n        freshness:\n"
	                           "          warn_after: {count: 1, period: day}\n", 1)
	open(f, "w").write(t)
	PY
	ELT_BIN="$BIN" PIPELINE_WORKDIR="$PWD/work" run --separate-stderr job/pipeline.sh --rows 2000 --days 3 --start 2026-06-01
	assert_success
	page=$PWD/job/sql/target/index.html
	assert_stderr_line "pipeline: docs: the page is file://$page"
	[ -s job/sql/target/docs/dag.svg ]
	chromium_headless --dump-dom "file://$page" >dom.html
	run python3 "$REPO/tests/helpers/docsdom.py" dom.html job/sql/target/manifest.json job/sql/target/dqcheck.json \
		"Daily metrics <script>alert('docs')</script> in USD"
	echo "$output"
	assert_success
	# what the page says, as the browser read it
	grep -q "Typed sales from the docs block: one row per sale_id." dom.html
	grep -q "The sale&#39;s id, as gen writes it.\|The sale's id, as gen writes it." dom.html
	grep -q "last loaded .* ago (warn after 24.0 hours)" dom.html
	grep -q '<code>numeric(12,2)</code>' dom.html # a type from the catalog (products.list_price_usd)
	# the picture, kept with the test output
	chromium_headless --screenshot="$BATS_TEST_TMPDIR/docs-site.png" --window-size=1400,1000 "file://$page" >/dev/null
	[ -s "$BATS_TEST_TMPDIR/docs-site.png" ]
	mkdir -p "$REPO/target/test-output"
	cp "$BATS_TEST_TMPDIR/docs-site.png" "$REPO/target/test-output/docs-site.png"
	echo "# docs site screenshot: $REPO/target/test-output/docs-site.png" >&3
}

@test "docs generate escapes markup, without a browser: a <script> description is text, the lineage links every node" {
	sales_project
	sed -i 's|description: Daily sales metrics in USD, incremental by sale_date.|description: "<script>alert(1)</script> \& <b>x</b>"|' \
		sql/models/marts/schema.yml
	run --separate-stderr "$BIN/modelrun" docs generate --project-dir sql
	assert_success
	h=sql/target/index.html
	assert_equal "$(grep -c '<script' $h)" 1
	grep -qF '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;' $h
	# the inline picture links each model, seed and source to its section
	for id in model-stg_sales model-fct_daily_sales_metrics seed-fx source-raw.sales source-raw._loads; do
		grep -q "id=\"$id\"" $h
		grep -q "xlink:href=\"#$id\"" $h
		grep -q "xlink:href=\"../index.html#$id\"" sql/target/docs/dag.svg
	done
	# nothing fetched from elsewhere
	! grep -Eq '(src|href)="https?:' $h
	# no dqcheck results yet: every test is there, not run
	assert_equal "$(grep -c '<tr id="test-' $h)" 18
	grep -q 'No dqcheck results were found' $h
}

@test "docs generate without a database still writes the page, saying types and freshness are left out" {
	sales_project
	PGHOST=$BATS_TEST_TMPDIR/nothing-here PGCONNECT_TIMEOUT=2 run --separate-stderr "$BIN/modelrun" docs generate --project-dir sql
	assert_success
	assert_stderr_line "modelrun: no database: the page is written without column types and freshness"
	grep -q 'id="model-stg_sales"' sql/target/index.html
	[ -s sql/target/manifest.json ]
}

@test "docs generate fails with status 3 when dot fails, and still writes the page without the picture" {
	sales_project
	mkdir fakebin
	printf '#!/bin/sh\necho "dot: broken" >&2\nexit 1\n' >fakebin/dot
	chmod +x fakebin/dot
	PATH="$PWD/fakebin:$PATH" run --separate-stderr "$BIN/modelrun" docs generate --project-dir sql
	assert_failure 3
	assert_stderr_line --partial "modelrun: dot failed (exit status 1)"
	grep -q 'No picture: Graphviz' sql/target/index.html
	grep -q 'id="model-stg_sales"' sql/target/index.html
}

@test "docs without generate, and a docs block without its end, are errors naming what is wrong" {
	sales_project
	run --separate-stderr "$BIN/modelrun" docs --project-dir sql
	assert_failure 2
	assert_stderr_line "modelrun: docs needs a subcommand: docs generate"
	printf 'text\n{%% docs open %%}\nno end\n' >sql/models/notes.md
	run --separate-stderr "$BIN/modelrun" docs generate --project-dir sql
	assert_failure 3
	assert_stderr_line "modelrun: sql/models/notes.md:2: docs block 'open' has no {% enddocs %}"
	[ ! -e sql/target/index.html ]
}

# ---- profiles.yml, target, Jinja in YAML, the error policy, Python models ----

# prof_project: ./pp, a project whose profile is "pp" and whose model
# shows target as a template sees it.
prof_project() {
	mkdir -p pp/models
	printf 'name: pp\nconfig-version: 2\nprofile: pp\n' >pp/dbt_project.yml
	cat >pp/models/t.sql <<-'EOF'
	select '{{ target.name }}|{{ target.schema }}|{{ target.type }}|{{ target.profile_name }}|{{ target.dbname }}|{{ target.database }}|{{ target.user }}|{{ target.port }}|{{ target.threads }}|{{ target.password is defined }}' as t
	EOF
}

# profile FILE SCHEMA [OUTPUT]: writes a profiles.yml for "pp" pointing at
# the suite's server, with SCHEMA as its schema and OUTPUT (default dev)
# as its one output.
profile() {
	mkdir -p "$(dirname "$1")"
	cat >"$1" <<-EOF
	pp:
	  target: ${3:-dev}
	  outputs:
	    ${3:-dev}:
	      type: postgres
	      host: "$PGHOST"
	      port: $PGPORT
	      user: "$PGUSER"
	      pass: ""
	      dbname: "$PGDATABASE"
	      schema: $2
	      threads: 3
	EOF
}

compiled_t() {
	cat target/compiled/pp/models/t.sql
}

@test "modelrun finds profiles.yml as dbt does: --profiles-dir, DBT_PROFILES_DIR, the current directory, ~/.dbt" {
	prof_project
	cd pp
	export HOME=$PWD/home
	profile home/.dbt/profiles.yml s_home
	"$BIN/modelrun" compile -q
	assert_equal "$(compiled_t)" "select 'dev|s_home|postgres|pp|$PGDATABASE|$PGDATABASE|$PGUSER|$PGPORT|3|False' as t"
	profile profiles.yml s_cwd
	"$BIN/modelrun" compile -q
	assert_equal "$(compiled_t)" "select 'dev|s_cwd|postgres|pp|$PGDATABASE|$PGDATABASE|$PGUSER|$PGPORT|3|False' as t"
	profile envdir/profiles.yml s_env
	DBT_PROFILES_DIR=envdir "$BIN/modelrun" compile -q
	assert_equal "$(compiled_t)" "select 'dev|s_env|postgres|pp|$PGDATABASE|$PGDATABASE|$PGUSER|$PGPORT|3|False' as t"
	profile optdir/profiles.yml s_opt
	DBT_PROFILES_DIR=envdir "$BIN/modelrun" compile -q --profiles-dir optdir
	assert_equal "$(compiled_t)" "select 'dev|s_opt|postgres|pp|$PGDATABASE|$PGDATABASE|$PGUSER|$PGPORT|3|False' as t"
	# --schema still wins over the profile's schema
	"$BIN/modelrun" compile -q --schema s_flag
	assert_equal "$(compiled_t)" "select 'dev|s_flag|postgres|pp|$PGDATABASE|$PGDATABASE|$PGUSER|$PGPORT|3|False' as t"
	# a directory named by the option or the variable must hold the file
	run --separate-stderr "$BIN/modelrun" compile --profiles-dir nowhere
	assert_failure 3
	assert_equal "$stderr" "modelrun: nowhere/profiles.yml: no profiles.yml in nowhere (named by --profiles-dir)"
	DBT_PROFILES_DIR=nowhere run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_equal "$stderr" "modelrun: nowhere/profiles.yml: no profiles.yml in nowhere (named by DBT_PROFILES_DIR)"
	# a profile the file lacks is an error, as in dbt
	run --separate-stderr "$BIN/modelrun" compile --profile other
	assert_failure 3
	assert_equal "$stderr" "modelrun: profiles.yml: no profile named 'other'"
}

@test "modelrun builds with the profile's connection, schema and threads; --target picks another output" {
	prof_project
	cd pp
	cat >profiles.yml <<-'EOF'
	pp:
	  target: "{{ env_var('PP_TARGET', 'dev') }}"
	  outputs:
	    dev:
	      type: postgres
	      host: "{{ env_var('PP_HOST') }}"
	      port: "{{ env_var('PP_PORT', '5432') | int }}"
	      user: "{{ env_var('PP_USER') }}"
	      password: "{{ env_var('PP_PASSWORD', '') }}"
	      dbname: "{{ env_var('PP_DB') }}"
	      schema: s_dev
	      threads: 2
	    prod:
	      type: postgres
	      host: "{{ env_var('PP_HOST') }}"
	      port: "{{ env_var('PP_PORT') | int }}"
	      user: "{{ env_var('PP_USER') }}"
	      pass: ""
	      database: "{{ env_var('PP_DB') }}"
	      schema: s_prod
	      search_path: "s_prod, public"
	EOF
	# the PG* variables point nowhere: only the profile can connect
	export PP_HOST=$PGHOST PP_PORT=$PGPORT PP_USER=$PGUSER PP_DB=$PGDATABASE
	PGHOST=/nonexistent PGDATABASE=nowhere run --separate-stderr "$BIN/modelrun" run -v
	assert_success
	assert_stderr_line --partial "profiles.yml: profile pp, target dev"
	assert_stderr_line --partial "OK s_dev.t (view"
	assert_equal "$(sql -c 'select t from s_dev.t')" "dev|s_dev|postgres|pp|$PGDATABASE|$PGDATABASE|$PGUSER|$PGPORT|2|False"
	assert_equal "$(jq -r .args.threads target/run_results.json)" 2
	PGHOST=/nonexistent run --separate-stderr "$BIN/modelrun" run --target prod
	assert_success
	assert_equal "$(sql -c 'select t from s_prod.t')" "prod|s_prod|postgres|pp|$PGDATABASE|$PGDATABASE|$PGUSER|$PGPORT|1|False"
	PP_TARGET=prod PGHOST=/nonexistent run --separate-stderr "$BIN/modelrun" compile
	assert_success
	assert_equal "$(compiled_t)" "select 'prod|s_prod|postgres|pp|$PGDATABASE|$PGDATABASE|$PGUSER|$PGPORT|1|False' as t"
	# a missing variable without a default names the file, line and key
	unset PP_USER
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_equal "$stderr" "modelrun: profiles.yml:8: cannot render user: env_var('PP_USER'): the variable is not set and there is no default"
	run --separate-stderr "$BIN/modelrun" compile --target staging
	assert_failure 3
	assert_equal "$stderr" "modelrun: profiles.yml:4: profile 'pp' has no output (target) named 'staging'"
}

@test "an explicit -d wins over the profile, and the profile over the PG* variables" {
	prof_project
	cd pp
	profile profiles.yml s_p
	sed -i 's/dbname: .*/dbname: no_such_db/' profiles.yml
	# the profile's dbname wins over PGDATABASE
	run --separate-stderr "$BIN/modelrun" run
	assert_failure 3
	assert_stderr_line --partial 'database "no_such_db" does not exist'
	# -d as a bare name, then as a conninfo string, wins over the profile
	run --separate-stderr "$BIN/modelrun" run -d "$PGDATABASE"
	assert_success
	assert_equal "$(sql -c 'select count(*) from s_p.t')" 1
	run --separate-stderr "$BIN/modelrun" run -d "dbname=$PGDATABASE host=$PGHOST"
	assert_success
	# without a profile (none in the default places) PG* alone, as before
	rm profiles.yml
	export HOME=$PWD
	run --separate-stderr "$BIN/modelrun" run --schema s_pg
	assert_success
	assert_equal "$(sql -c 'select t from s_pg.t')" "default|s_pg|postgres|None|$PGDATABASE|$PGDATABASE|$PGUSER|$PGPORT|1|False"
}

@test "a profile's password and DBT_ENV_SECRET_ values never show in a message" {
	prof_project
	cd pp
	cat >profiles.yml <<-'EOF'
	pp:
	  target: dev
	  outputs:
	    dev:
	      type: postgres
	      host: "{{ env_var('PP_HOST') }}"
	      port: "{{ env_var('DBT_ENV_SECRET_PORT', '5432') }}"
	      user: postgres
	      password: "{{ env_var('DBT_ENV_SECRET_PW') }}"
	      dbname: db
	      schema: s
	EOF
	export DBT_ENV_SECRET_PW=Sup3rSecretPw PP_HOST=/nonexistent
	run --separate-stderr "$BIN/modelrun" run
	assert_failure 3
	assert_stderr_line --partial "cannot connect to the database"
	assert_stderr_line --partial "/nonexistent"
	refute_output --partial Sup3rSecret
	[[ "$stderr" != *Sup3rSecret* ]]
	# a value that does not fit names the key, not the value
	DBT_ENV_SECRET_PORT=Sup3rSecretPort run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_equal "$stderr" "modelrun: profiles.yml:7: profile 'pp', target 'dev': 'port' must be a whole number from 0 to 65535"
	# a password that is not valid Jinja is taken as written, as in dbt
	sed -i "s/password: .*/password: 'ab{%cd'/" profiles.yml
	run --separate-stderr "$BIN/modelrun" run
	assert_failure 3
	[[ "$stderr" != *'ab{%cd'* ]]
	# secrets are for profiles.yml only, as in dbt
	PP_HOST=$PGHOST
	printf '    dbname: "%s"\n' "$PGDATABASE" >/dev/null
	printf 'models:\n  pp:\n    +schema: "{{ env_var(%s) }}"\n' "'DBT_ENV_SECRET_PW'" >>dbt_project.yml
	run --separate-stderr "$BIN/modelrun" ls
	assert_failure 3
	assert_equal "$stderr" "modelrun: ./dbt_project.yml:6: cannot render +schema: env_var('DBT_ENV_SECRET_PW'): secret variables (DBT_ENV_SECRET_*) may be used only in profiles.yml"
}

# yaml_jinja_project: ./yj, whose dbt_project.yml and schema file hold
# Jinja that dbt renders when it reads them.
yaml_jinja_project() {
	mkdir -p yj/models/flagged yj/models/typed
	cat >yj/dbt_project.yml <<-'EOF'
	name: yj
	config-version: 2
	vars:
	  color: blue
	models:
	  yj:
	    +schema: "{{ 'a' if target.name == 'prod' else 'b' }}"
	    +post-hook: "select '{{ this }}'"
	    flagged:
	      +enabled: "{{ var('flag', true) }}"
	    typed:
	      +materialized: "{{ var('mat', 'view') }}"
	EOF
	echo 'select 1 as x' >yj/models/flagged/f.sql
	echo 'select 1 as x' >yj/models/typed/ty.sql
	echo "select x from {{ source('raw', 't') }}" >yj/models/s.sql
	cat >yj/models/schema.yml <<-'EOF'
	version: 2
	sources:
	  - name: raw
	    schema: "{{ target.schema ~ '_raw' }}"
	    tables:
	      - name: t
	        identifier: "{{ 'tt' }}"
	models:
	  - name: s
	    config:
	      alias: "{{ 's_' ~ var('color') }}"
	      materialized: "{{ 'table' }}"
	      enabled: "{{ var('s_on', true) }}"
	EOF
}

# relations SCHEMA: the relations in SCHEMA, "name kind" sorted.
relations() {
	sql -c "select string_agg(c.relname || ' ' || c.relkind::text, ', ' order by c.relname) from pg_class c
		join pg_namespace n on n.oid = c.relnamespace where n.nspname = '$1' and c.relkind in ('r', 'v')"
}

@test "Jinja in dbt_project.yml and schema files is rendered as dbt renders it, typed values included" {
	yaml_jinja_project
	cd yj
	sql -c "create schema mr_y_raw; create table mr_y_raw.tt (x int); create schema dbt_y_raw; create table dbt_y_raw.tt (x int)"
	run --separate-stderr "$BIN/modelrun" run --schema mr_y
	assert_success
	# +schema, +enabled (a boolean), +materialized, a source's schema and
	# identifier, a model's alias; the hook is left for build time
	assert_equal "$(relations mr_y_b)" "f v, s_blue r, ty v"
	run --separate-stderr "$BIN/modelrun" ls --vars '{flag: false, mat: table, s_on: false}'
	assert_success
	assert_output "yj.typed.ty"
	"$BIN/modelrun" run -q --schema mr_y --vars '{mat: table}'
	assert_equal "$(relations mr_y_b)" "f v, s_blue r, ty r"
	# dbt_project.yml sees --vars only, as in dbt: the project's vars are not there yet
	sed -i "s/+materialized: .*/+materialized: \"{{ var('color') }}\"/" dbt_project.yml
	run --separate-stderr "$BIN/modelrun" ls
	assert_failure 3
	assert_equal "$stderr" "modelrun: ./dbt_project.yml:12: cannot render +materialized: var('color') is not set (give it with --vars)"
	# a string where dbt wants a boolean is refused, as dbt refuses it
	sed -i "s/+materialized: .*/+materialized: view/; s/+enabled: .*/+enabled: \"{{ 'false' }}\"/" dbt_project.yml
	run --separate-stderr "$BIN/modelrun" ls
	assert_failure 3
	assert_stderr_line --partial "config 'enabled' needs true or false"
	need_dbt
	yaml_jinja_project_again() { cd .. && rm -rf yj && yaml_jinja_project && cd yj; }
	yaml_jinja_project_again
	dbt_in "$PWD" dbt_y run >/dev/null
	assert_equal "$(relations dbt_y_b)" "f v, s_blue r, ty v"
	ls_both --vars '{flag: false, mat: table, s_on: false}'
	ls_both --vars '{flag: true}'
	sed -i "s/+enabled: .*/+enabled: \"{{ 'false' }}\"/" dbt_project.yml
	run dbt_in "$PWD" dbt_y ls
	assert_failure
	assert_output --partial "'false' is not of type 'boolean'"
}

# failing_project: ./fp with two independent models that fail in the
# database, a child and a grandchild of one, and two that succeed.
failing_project() {
	mkdir -p fp/models
	printf 'name: fp\nconfig-version: 2\n' >fp/dbt_project.yml
	echo 'select 1 as a' >fp/models/ok.sql
	echo 'select nonsense from nowhere_table' >fp/models/bad1.sql
	printf "{{ config(materialized='table') }}\nselect 1/0 as x\n" >fp/models/bad2.sql
	echo "select * from {{ ref('bad1') }}" >fp/models/child.sql
	echo "select * from {{ ref('child') }}" >fp/models/grandchild.sql
	echo "select * from {{ ref('ok') }}" >fp/models/after_ok.sql
}

# statuses: "unique_id status" per line from target/run_results.json, sorted.
statuses() {
	jq -r '.results[] | "\(.unique_id) \(.status)"' "$1" | sort
}

@test "every failing model is reported, its descendants skipped and the rest built, exit 1, as dbt does" {
	failing_project
	cd fp
	run --separate-stderr "$BIN/modelrun" run
	assert_failure 1
	assert_stderr_line --regexp '^modelrun: \[[0-9]/6\] ERROR analytics.bad1 \(view, [0-9.]+ s\): building the view: relation "nowhere_table" does not exist$'
	assert_stderr_line --regexp '^modelrun: \[[0-9]/6\] ERROR analytics.bad2 \(table, [0-9.]+ s\): building the table: division by zero$'
	assert_stderr_line --regexp '^modelrun: \[[0-9]/6\] SKIP analytics.child \(view\): depends on bad1, which failed$'
	assert_stderr_line --regexp '^modelrun: \[[0-9]/6\] SKIP analytics.grandchild \(view\): depends on bad1, which failed$'
	assert_stderr_line --partial "done in"
	assert_stderr_line --partial ": 2 ok, 2 failed, 2 skipped"
	# the failures again at the end, as dbt lists them
	assert_stderr_line 'modelrun: failed: model bad1 (models/bad1.sql): building the view: relation "nowhere_table" does not exist'
	assert_stderr_line 'modelrun: failed: model bad2 (models/bad2.sql): building the table: division by zero'
	assert_equal "$(relations analytics)" "after_ok v, ok v"
	statuses target/run_results.json >mr.out
	need_dbt
	run dbt_in "$PWD" dbt_f run
	assert_failure 1
	assert_output --partial "Completed with 2 errors"
	statuses "$PWD.dbt/target/run_results.json" >dbt.out
	diff -u dbt.out mr.out
	assert_equal "$(relations dbt_f)" "after_ok v, ok v"
}

@test "a Python model is refused by name as dbt-postgres refuses it, and the rest of the project runs" {
	failing_project
	cd fp
	rm models/bad1.sql models/bad2.sql models/grandchild.sql
	printf 'def model(dbt, session):\n    return dbt.ref("ok")\n' >models/py.py
	echo "select * from {{ ref('py') }}" >models/child.sql
	run --separate-stderr "$BIN/modelrun" run
	assert_failure 1
	assert_stderr_line --regexp "^modelrun: \[[0-9]/4\] ERROR analytics.py \(table, [0-9.]+ s\): models/py.py: a Python model: PostgreSQL runs SQL models only \(dbt-postgres fails it too\)$"
	assert_stderr_line --regexp '^modelrun: \[[0-9]/4\] SKIP analytics.child \(view\): depends on py, which failed$'
	assert_equal "$(relations analytics)" "after_ok v, ok v"
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 1
	assert_stderr_line "modelrun: models/py.py: a Python model: PostgreSQL runs SQL models only (dbt-postgres fails it too)"
	[ -f target/compiled/fp/models/ok.sql ]
	statuses target/run_results.json >mr.out
	need_dbt
	run dbt_in "$PWD" dbt_py run
	assert_failure 1
	assert_output --partial "only supports languages ['sql']"
	statuses "$PWD.dbt/target/run_results.json" >dbt.out
	diff -u dbt.out mr.out
}

@test "modelrun warns, naming file:line, where dbt would fail: a ref reached only under is_incremental()" {
	mkdir -p inc/models
	printf 'name: inc\nconfig-version: 2\n' >inc/dbt_project.yml
	echo 'select 1 as id' >inc/models/src_a.sql
	echo 'select 2 as id' >inc/models/src_b.sql
	cat >inc/models/m.sql <<-'EOF'
	{{ config(materialized='incremental') }}
	select id from {{ ref('src_a') }}
	{% if is_incremental() %}
	union all
	select id from {{ ref('src_b') }}
	{% endif %}
	EOF
	cd inc
	run --separate-stderr "$BIN/modelrun" ls
	assert_success
	assert_equal "$stderr" "modelrun: models/m.sql:5: ref('src_b') is reached only when is_incremental() is true: dbt fails this model's incremental runs unless it has \"-- depends_on: {{ ref('src_b') }}\""
	# modelrun itself knows the dependency and builds it both times
	"$BIN/modelrun" run -q 2>/dev/null
	"$BIN/modelrun" run -q 2>/dev/null
	assert_equal "$(sql -c 'select count(*) from analytics.m')" 3
	need_dbt
	# dbt: the first run passes, the incremental one fails on that ref
	dbt_in "$PWD" dbt_inc run >/dev/null
	run dbt_in "$PWD" dbt_inc run
	assert_failure 1
	assert_output --partial "dbt was unable to infer all dependencies for the model"
	# with the comment the warning is gone and dbt runs it twice
	sed -i "1i -- depends_on: {{ ref('src_b') }}" models/m.sql
	run --separate-stderr "$BIN/modelrun" ls
	assert_success
	assert_equal "$stderr" ""
	dbt_in "$PWD" dbt_inc run >/dev/null
}

@test "the project's own sql/ runs under the reference dbt twice, and builds what modelrun builds" {
	need_dbt
	cp -r "$REPO/sql" sqlp
	cd sqlp
	for f in raw/*.sql; do sql -f "$f" >/dev/null 2>&1; done
	"$BIN/gen" --rows 300 --days 3 --start 2026-11-01 | "$BIN/pgload" -q --table raw.sales
	run --separate-stderr "$BIN/modelrun" ls
	assert_success
	assert_equal "$stderr" ""
	"$BIN/modelrun" seed -q --schema mr_sales
	"$BIN/modelrun" run -q --schema mr_sales
	dbt_in "$PWD" dbt_sales seed >/dev/null
	dbt_in "$PWD" dbt_sales run >/dev/null
	# the second run is incremental: fct_daily_sales_metrics reads stg_sales
	"$BIN/gen" --rows 100 --days 2 --start 2026-11-03 --seed 9 | "$BIN/pgload" -q --table raw.sales
	run dbt_in "$PWD" dbt_sales run
	assert_success
	assert_output --partial "Completed successfully"
	"$BIN/modelrun" run -q --schema mr_sales
	# the same rows, but for the times each run staged them
	local m q
	for m in stg_sales int_daily_sales fct_daily_sales_metrics; do
		q="select to_jsonb(t) - array['staged_at', 'last_staged_at', 'max_staged_at', 'built_at'] from %s.$m t"
		assert_equal "$(sql -c "select count(*) from (($(printf "$q" mr_sales) except all $(printf "$q" dbt_sales))
			union all ($(printf "$q" dbt_sales) except all $(printf "$q" mr_sales))) x")" 0
		assert_equal "$(sql -c "select count(*) from mr_sales.$m")" "$(sql -c "select count(*) from dbt_sales.$m")"
	done
}

# ---- macros, packages and adapter.dispatch (issue 17) ----

# The packages dbt_utils and dbt_date as `dbt deps` installs them: the
# shared/dbt-packages folder beside the repository's checkout (or the
# worktrees' folder), else /work/shared/dbt-packages; ELT_DBT_PACKAGES
# names another place. Tests that need them skip without them.
DBT_PACKAGES=${ELT_DBT_PACKAGES:-}
if [ -z "$DBT_PACKAGES" ]; then
	for d in "$REPO/../shared/dbt-packages" "$REPO/../../shared/dbt-packages" /work/shared/dbt-packages; do
		[ -d "$d/dbt_utils" ] && { DBT_PACKAGES=$d; break; }
	done
fi

need_packages() {
	[ -n "$DBT_PACKAGES" ] && [ -d "$DBT_PACKAGES/dbt_utils" ] && [ -d "$DBT_PACKAGES/dbt_date" ] ||
		skip "no dbt_utils and dbt_date (shared/dbt-packages; or set ELT_DBT_PACKAGES)"
}

# macro_shop: the macros project, with its packages installed as `dbt
# deps` would: dbt_utils, dbt_date and its own macro_pkg (a local package).
macro_shop() {
	need_packages
	cp -r "$DATA/dbt/macros_pkg" ./macros_pkg
	project macros
	mkdir -p dbt_packages
	cp -r "$DBT_PACKAGES/dbt_utils" "$DBT_PACKAGES/dbt_date" dbt_packages/
	cp -r ../macros_pkg dbt_packages/macro_pkg
}

# verdicts: "name status" lines, sorted, from dqcheck's output (stdin)
verdicts_dqcheck() {
	sed -n 's/^\(PASS\|FAIL\|WARN\|ERROR\) *\([^:]*\):.*/\2 \1/p' | awk '{ print $1, tolower($2) }' | sort
}

# ... and from dbt's target/run_results.json (file $1)
verdicts_dbt() {
	python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    if r["unique_id"].startswith("test."):
        print(r["unique_id"].split(".")[2], r["status"])' "$1" | sort
}

@test "modelrun builds a project of macros, dispatch, dbt_utils, dbt_date and a package as dbt does" {
	macro_shop
	run --separate-stderr "$BIN/modelrun" seed
	assert_success
	run --separate-stderr "$BIN/modelrun" run
	assert_success
	assert_stderr_line "modelrun: done in $(sed -n 's/.*done in \([0-9.]*\) s.*/\1/p' <<<"$stderr" | tail -n 1) s: 4 ok, 0 failed, 0 skipped"
	# generate_schema_name and generate_alias_name of the project decide
	# where each node goes; the package's disabled model is not built
	assert_equal "$(sql -c "select string_agg(table_schema || '.' || table_name, ' ' order by table_schema || '.' || table_name) from information_schema.tables where table_schema like 'analytics%'")" \
		"analytics.a_calendar_days analytics.raw_orders analytics.stg_orders analytics__marts.customer_orders analytics_pkgs.pkg_numbers"
	# the package's model sees the root's var scoped to it and its own
	assert_equal "$(sql -c "select string_agg(scaled::text, ',' order by n) from analytics_pkgs.pkg_numbers")" "13,16,19"
	assert_equal "$(sql -c "select amount, amount_whole, amount_with_tax, quoted, first_tag, last_tag from analytics.stg_orders where id = 3")" \
		"100.00|100|120.000|it's|a|d"
	need_dbt
	dbt_in "$PWD" dbt_s seed >/dev/null
	dbt_in "$PWD" dbt_s run >/dev/null
	same_relation analytics.stg_orders dbt_s.stg_orders
	same_relation analytics__marts.customer_orders dbt_s__marts.customer_orders
	same_relation analytics.a_calendar_days dbt_s.a_calendar_days
	same_relation analytics_pkgs.pkg_numbers dbt_s_pkgs.pkg_numbers
}

@test "dqcheck gives dbt test's verdicts on the macros project, a singular test calling macros included" {
	macro_shop
	"$BIN/modelrun" seed -q
	"$BIN/modelrun" run -q
	run --separate-stderr "$BIN/dqcheck"
	assert_failure 1
	assert_stderr_line --partial "FAIL  accepted_values_customer_orders_customer__alice__bob: 1 failing row"
	assert_stderr_line --partial "PASS  tax_is_applied: 0 failing rows"
	# generic tests written as macros: the project's (tests/generic/) and
	# dbt_utils', with its fail_calc
	assert_stderr_line --partial "FAIL  is_positive_stg_orders_cents: 1 failing row"
	assert_stderr_line --partial "PASS  dbt_utils_fewer_rows_than_customer_orders_ref_stg_orders_: 0 failing rows"
	assert_stderr_line --partial "PASS  dbt_utils_equality_customer_orders_ref_customer_orders_: 0 failing rows"
	verdicts_dqcheck <<<"$stderr" >mr.verdicts
	assert_equal "$(wc -l <mr.verdicts)" 17
	need_dbt
	dbt_in "$PWD" dbt_s seed >/dev/null
	dbt_in "$PWD" dbt_s run >/dev/null
	run dbt_in "$PWD" dbt_s test
	assert_failure
	verdicts_dbt "$PWD.dbt/target/run_results.json" >dbt.verdicts
	diff -u dbt.verdicts mr.verdicts
}

@test "adapter.dispatch, pkg.macro, dbt.macro and package vars find what dbt finds" {
	cp -r "$DATA/dbt/dispatch_pkg" ./dispatch_pkg
	project dispatch
	mkdir -p dbt_packages
	cp -r ../dispatch_pkg dbt_packages/disp_pkg
	run --separate-stderr "$BIN/modelrun" compile
	assert_success
	run cat target/compiled/disp/models/m1.sql
	assert_line "-- bare date_trunc: root_date_trunc(day, x)"
	assert_line "-- dbt.date_trunc: date_trunc('day', x)"
	assert_line "-- dbt.dateadd: root_default_dateadd"
	assert_line "-- bare type_int: integer"
	assert_line "-- disp_pkg.b: disp_pkg.b"
	assert_line "-- a package macro's vars, from a root model: root_global/-/-"
	assert_line "-- disp: disp_pkg.default__thing"
	assert_line "-- disp2: root.default__thing2"
	assert_line "-- search_order: disp_pkg.default__ordered_thing"
	assert_line "-- no namespace: root.default__in_root_only"
	run cat target/compiled/disp_pkg/models/pm.sql
	assert_line "-- vars: root_global/root_scoped_for_pkg/pkg_own3"
	assert_line "-- bare sibling macro: disp_pkg.b"
	need_dbt
	dbt_in "$PWD" dbt_s compile >/dev/null
	for f in disp/models/m1.sql disp_pkg/models/pm.sql; do
		diff <(cat "$PWD.dbt/target/compiled/$f"; echo) "target/compiled/$f"
	done
}

@test "modelrun deps lists the packages that are not installed; a load names dbt deps" {
	cp -r "$DATA/dbt/dispatch_pkg" ./dispatch_pkg
	project dispatch
	printf '  - package: dbt-labs/dbt_utils\n    version: 1.3.3\n' >>packages.yml
	run --separate-stderr "$BIN/modelrun" deps
	assert_failure 1
	assert_output "$(printf 'disp_pkg\ndbt_utils')"
	assert_stderr_line 'modelrun: modelrun cannot download packages; it uses what "dbt deps" installed in dbt_packages/'
	assert_stderr_line "modelrun: disp_pkg: missing"
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_stderr_line "modelrun: ./packages.yml lists 2 package(s) not installed in dbt_packages/: disp_pkg, dbt_utils; run \"dbt deps\" to install them (modelrun cannot download packages: \"modelrun deps\" lists what is missing)"
	mkdir -p dbt_packages/dbt_utils
	printf 'name: dbt_utils\n' >dbt_packages/dbt_utils/dbt_project.yml
	cp -r ../dispatch_pkg dbt_packages/disp_pkg
	run --separate-stderr "$BIN/modelrun" deps
	assert_success
	assert_output ""
	assert_stderr_line "modelrun: dbt_utils: installed"
}

@test "a macro's error names the macro's file and line; an unknown macro names the model's" {
	mkdir -p p/models p/macros
	printf 'name: mac\nconfig-version: 2\n' >p/dbt_project.yml
	printf '{%% macro outer() %%}\n  {{ inner(1) }}\n{%% endmacro %%}\n{%% macro inner(x) %%}\n{{ x }} {{ nope() }}\n{%% endmacro %%}\n' >p/macros/m.sql
	printf 'select {{ outer() }} as x\n' >p/models/a.sql
	run --separate-stderr "$BIN/modelrun" compile --project-dir p
	assert_failure
	assert_stderr_line --partial "p/macros/m.sql:5: undefined macro or function 'nope()'"
	printf 'select 1 as x\n\n{{ not_a_macro() }}\n' >p/models/a.sql
	run --separate-stderr "$BIN/modelrun" compile --project-dir p
	assert_failure 3
	assert_stderr_line "modelrun: p/models/a.sql:3: unsupported construct: function 'not_a_macro()' (not in modelrun's Jinja subset)"
	# a second macro of one name in a project, as dbt refuses it
	printf '{%% macro outer() %%}2{%% endmacro %%}\n' >p/macros/z.sql
	run --separate-stderr "$BIN/modelrun" compile --project-dir p
	assert_failure 3
	assert_stderr_line --partial "p/macros/z.sql:1: macro 'outer' is defined twice in package 'mac'"
}

@test "ref() takes a package name, and refuses a version as dbt does for an unversioned model" {
	cp -r "$DATA/dbt/dispatch_pkg" ./dispatch_pkg
	project dispatch
	mkdir -p dbt_packages
	cp -r ../dispatch_pkg dbt_packages/disp_pkg
	printf "select * from {{ ref('disp_pkg', 'pm') }}\n" >models/m2.sql
	run --separate-stderr "$BIN/modelrun" run
	assert_success
	assert_equal "$(sql -c "select x from analytics.m2")" 1
	printf "select * from {{ ref('disp', 'pm') }}\n" >models/m2.sql
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_stderr_line "modelrun: models/m2.sql:1: ref('disp', 'pm'): package 'disp' has no model or seed called 'pm'"
	printf "select * from {{ ref('pm', v=2) }}\n" >models/m2.sql
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_stderr_line --partial "ref('pm', v=2): 'pm' has no version 2"
	# the root project disables a package's model: it is not built
	printf "models:\n  disp_pkg:\n    pm:\n      +enabled: false\n" >>dbt_project.yml
	printf "select 1 as y\n" >models/m2.sql
	run --separate-stderr "$BIN/modelrun" ls
	assert_success
	refute_output --partial pm
}

# ---- run-operation through the macro registry and the profile ----

@test "run-operation runs a package's macro as pkg.name, calls macros of other files and sees the profile's target" {
	prof_project
	cd pp
	profile ./profiles.yml s_op ci
	mkdir -p macros dbt_packages/opkg/macros
	printf 'name: opkg\nconfig-version: 2\n' >dbt_packages/opkg/dbt_project.yml
	cat >dbt_packages/opkg/macros/stamp.sql <<-'EOF'
	{% macro stamp(label) %}
	  {% do run_query("create table if not exists public.stamps (label text)") %}
	  {% do run_query("insert into public.stamps values ('" ~ label ~ "')") %}
	{% endmacro %}
	EOF
	cat >macros/whoami.sql <<-'EOF'
	{% macro whoami() %}
	  {{ print(target.name ~ ' ' ~ target.schema ~ ' ' ~ target.profile_name) }}
	  {{ print(shout('hi')) }}
	{% endmacro %}
	EOF
	printf "{%% macro shout(s) %%}{{ return(s | upper) }}{%% endmacro %%}\n" >macros/shout.sql
	run --separate-stderr "$BIN/modelrun" run-operation opkg.stamp --args '{label: x}'
	assert_success
	assert_stderr_line --regexp '^modelrun: ran operation opkg.stamp: 2 queries in [0-9.]+ s$'
	assert_equal "$(sql -c "select string_agg(label, ',') from public.stamps")" x
	run --separate-stderr "$BIN/modelrun" run-operation whoami
	assert_success
	assert_output "$(printf 'ci s_op pp\nHI')"
	run --separate-stderr "$BIN/modelrun" run-operation opkg.nothing
	assert_failure 2
	assert_equal "$stderr" "modelrun: no macro called 'opkg.nothing' in the project's macro paths"
	run --separate-stderr "$BIN/modelrun" run-operation opkg.stamp --args '{label: y, extra: 1}'
	assert_failure 1
	assert_equal "$stderr" "modelrun: error while running operation opkg.stamp: macro 'stamp' takes no keyword argument 'extra'"
}

# ---- issue 18: build and test (the data tests, run by dqcheck) ----

# results FILE: "unique_id status" of each entry of a run_results.json,
# sorted (a generic test's id ends in dbt's hash, which modelrun's match).
results() {
	jq -r '.results[] | "\(.unique_id) \(.status)"' "$1" | sort
}

# build_both ARGS...: modelrun and dbt (when installed) run the same
# command on project build, modelrun into analytics and dbt into dbt_b;
# $status and $stderr are modelrun's, and with dbt the statuses of every
# node and test must be dbt's.
build_both() {
	run --separate-stderr "$BIN/modelrun" "$@"
	local mr_status=$status mr_stderr=$stderr
	results target/run_results.json >mr.results
	if [ -x "$DBT_REF" ]; then
		dbt_in "$PWD" dbt_b "$@" >dbt.log 2>&1 || true
		results "$PWD.dbt/target/run_results.json" >dbt.results
		diff -u dbt.results mr.results || { cat dbt.log; return 1; }
	fi
	status=$mr_status stderr=$mr_stderr
}

@test "modelrun build runs seeds, models, snapshots and each node's tests right after the node, in DAG order" {
	project build
	sql -f setup.sql
	run --separate-stderr "$BIN/modelrun" build
	assert_success
	assert_output ""
	# a test runs after its node and before the nodes built on it
	line() { printf '%s\n' "$stderr" | grep -n -- "$1" | head -1 | cut -d: -f1; }
	[ "$(line 'OK analytics.stg_orders ')" -lt "$(line 'PASS test unique_stg_orders_id ')" ]
	[ "$(line 'PASS test unique_stg_orders_id ')" -lt "$(line 'OK analytics.orders_enriched ')" ]
	[ "$(line 'PASS test unique_stg_orders_id ')" -lt "$(line 'OK analytics.orders_snap ')" ]
	[ "$(line 'OK analytics.stg_customers ')" -lt "$(line 'PASS test relationships_stg_orders_customer_id__id__ref_stg_customers_ ')" ]
	[ "$(line 'OK analytics.customer_totals ')" -lt "$(line 'PASS test totals_are_positive ')" ]
	# a warning is reported, and fails nothing
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/17\] WARN 1 test accepted_values_stg_customers_tier__gold__silver \([0-9.]+ s\): Got 1 result, configured to warn if != 0$'
	assert_stderr_line --regexp '^modelrun: done in [0-9.]+ s: 9 ok, 0 failed, 0 skipped$'
	assert_stderr_line "modelrun: 8 tests: 7 passed, 1 warned, 0 failed, 0 errors, 0 skipped"
	assert_equal "$(sql -c "select count(*) from analytics.orders_snap")" 3
	assert_equal "$(jq -r '.args.which' target/run_results.json)" build
	assert_equal "$(jq -r '.results[] | select(.unique_id == "test.build.accepted_values_stg_customers_tier__gold__silver.0a68e61dfb") | "\(.status) \(.failures) \(.message)"' target/run_results.json)" \
		"warn 1 Got 1 result, configured to warn if != 0"
	assert_equal "$(jq -r '.results[] | select(.unique_id == "test.build.unique_stg_orders_id.beb6e97f2f") | "\(.status) \(.failures) \(.message)"' target/run_results.json)" \
		"pass 0 null"
	assert_equal "$(results target/run_results.json | grep -c ' success$')" 9
}

@test "a failing unique test in modelrun build skips every node built from its model, and their tests, as dbt build does" {
	project build
	sql -f setup.sql -c "insert into app.orders (id, customer_id, amount) values (3, 2, 7)"
	build_both build
	[ "$status" -eq 1 ]
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/17\] FAIL 1 test unique_stg_orders_id \(\./models/schema\.yml:6, [0-9.]+ s\): Got 1 result, configured to fail if != 0$'
	# dqcheck's failing rows follow
	assert_stderr_line --regexp '^      3 \| 2$'
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/17\] SKIP analytics\.orders_enriched \(table\): depends on test unique_stg_orders_id, which failed$'
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/17\] SKIP test totals_are_positive: depends on test unique_stg_orders_id, which failed$'
	assert_stderr_line "modelrun: 8 tests: 4 passed, 1 warned, 1 failed, 0 errors, 2 skipped"
	assert_equal "$(grep ' skipped$' mr.results | cut -d' ' -f1 | tr '\n' ' ')" \
		"model.build.big_orders model.build.customer_totals model.build.orders_enriched model.build.report snapshot.build.orders_snap test.build.not_null_customer_totals_customer_id.d8f7e34ada test.build.totals_are_positive "
	# the model under test itself was built
	assert_equal "$(sql -c "select count(*) from analytics.stg_orders")" 4
	[ "$(sql -c "select count(*) from pg_class where relname = 'orders_enriched' and relnamespace = 'analytics'::regnamespace")" -eq 0 ]
}

@test "a failing test on two models skips only the nodes built from both, and a snapshot of one of them still runs, as dbt build does" {
	project build
	sql -f setup.sql -c "insert into app.orders (id, customer_id, amount) values (4, 9, 12)"
	build_both build --threads 4
	[ "$status" -eq 1 ]
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/17\] FAIL 1 test relationships_stg_orders_customer_id__id__ref_stg_customers_ '
	assert_equal "$(grep ' skipped$' mr.results | cut -d' ' -f1 | tr '\n' ' ')" \
		"model.build.customer_totals model.build.orders_enriched model.build.report test.build.not_null_customer_totals_customer_id.d8f7e34ada test.build.totals_are_positive "
	grep -qx 'model.build.big_orders success' mr.results
	grep -qx 'snapshot.build.orders_snap success' mr.results
	assert_equal "$(sql -c "select count(*) from analytics.orders_snap")" 4
}

@test "a failing source test skips everything that reads the source; a model's error skips its tests" {
	project build
	sql -f setup.sql -c "insert into app.orders (id, customer_id, amount) values (null, 1, 1)"
	build_both build
	[ "$status" -eq 1 ]
	assert_stderr_line --regexp '^modelrun: \[1/17\] FAIL 1 test source_not_null_app_orders_id '
	assert_equal "$(grep -c ' skipped$' mr.results)" 11
	grep -qx 'model.build.stg_customers success' mr.results
	grep -qx 'model.build.independent success' mr.results
	sql -c "delete from app.orders where id is null"
	printf 'select nonsense from {{ ref("customers") }}\n' >models/stg_customers.sql
	build_both build
	[ "$status" -eq 1 ]
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/17\] SKIP test unique_stg_customers_id: depends on stg_customers, which failed$'
	grep -qx 'model.build.stg_customers error' mr.results
	grep -qx 'test.build.relationships_stg_orders_customer_id__id__ref_stg_customers_.c4293d696a skipped' mr.results
}

@test "modelrun build and test select as dbt does: graph operators, --exclude and resource_type" {
	project build
	sql -f setup.sql
	build_both build
	assert_success
	build_both build -s 'stg_customers+' --exclude report
	assert_success
	assert_equal "$(wc -l <mr.results)" 8
	grep -qx 'test.build.relationships_stg_orders_customer_id__id__ref_stg_customers_.c4293d696a pass' mr.results
	! grep -q 'model.build.stg_orders ' mr.results
	build_both build --exclude resource_type:test
	assert_success
	! grep -q '^test\.' mr.results
	build_both build -s resource_type:seed
	assert_success
	assert_equal "$(cut -d' ' -f1 mr.results | tr '\n' ' ')" "seed.build.customers "
	build_both test -s stg_orders
	assert_success
	assert_equal "$(cut -d' ' -f1 mr.results | tr '\n' ' ')" \
		"test.build.not_null_stg_orders_id.8cf5724805 test.build.relationships_stg_orders_customer_id__id__ref_stg_customers_.c4293d696a test.build.unique_stg_orders_id.beb6e97f2f "
}

@test "modelrun test runs the data tests through dqcheck, builds nothing, and exits 1 on a failure but not on a warning" {
	project build
	sql -f setup.sql
	"$BIN/modelrun" build -q
	run --separate-stderr "$BIN/modelrun" test --threads 3
	assert_success
	assert_output ""
	assert_stderr_line "modelrun: 8 tests: 7 passed, 1 warned, 0 failed, 0 errors, 0 skipped"
	refute_stderr_line --partial " OK "
	assert_equal "$(jq -r '.args.which' target/run_results.json)" test
	assert_equal "$(jq -r '.results | length' target/run_results.json)" 8
	# dbt's relations, for dbt test to read
	[ ! -x "$DBT_REF" ] || dbt_in "$PWD" dbt_b build >/dev/null
	sql -c "insert into app.orders (id, customer_id, amount) values (3, 2, 7)"
	build_both test
	[ "$status" -eq 1 ]
	grep -qx 'test.build.unique_stg_orders_id.beb6e97f2f fail' mr.results
	assert_stderr_line "modelrun: 8 tests: 6 passed, 1 warned, 1 failed, 0 errors, 0 skipped"
	run --separate-stderr "$BIN/modelrun" test -s nothing_like_this
	assert_success
	assert_stderr_line "modelrun: nothing to do: no test selected"
}

@test "modelrun build reports a broken test declaration before building anything, naming file:line" {
	project build
	sql -f setup.sql
	sed -i 's/arguments: {values: \[gold, silver\]}/arguments: {nope: 1}/' models/schema.yml
	run --separate-stderr "$BIN/modelrun" build
	assert_failure 3
	[[ "$stderr" == *"models/schema.yml:"* ]] || { echo "$stderr"; false; }
	refute_stderr_line --partial " OK "
	[ "$(sql -c "select count(*) from pg_namespace where nspname = 'analytics'")" -eq 0 ]
}

@test "modelrun build fails with status 3 and says so when dqcheck is neither beside it nor in PATH" {
	project build
	sql -f setup.sql
	mkdir solo
	cp "$BIN/modelrun" solo/
	PATH=/usr/bin:/bin run --separate-stderr solo/modelrun build
	assert_failure 3
	assert_stderr_line "modelrun: cannot run dqcheck (dqcheck runs the tests; it is looked for beside modelrun, then in PATH): No such file or directory"
	refute_stderr_line --partial " OK "
}

@test "modelrun build runs the dqcheck beside it, with the password in its environment and never on its command line" {
	project build
	sql -f setup.sql
	mkdir solo
	cp "$BIN/modelrun" solo/
	# a stand-in that records how it was called, lists one test and passes it
	cat >solo/dqcheck <<-'EOF'
	#!/bin/bash
	here=$(dirname "$0")
	printf '%s\n' "$*" >>"$here/args"
	printf '%s\n' "${PGPASSWORD:-none}" >>"$here/passwords"
	while [ $# -gt 0 ]; do
		case $1 in
		--list) echo '{"tests": [{"name": "t1", "unique_id": "test.build.t1", "file": "x.yml", "line": 3, "severity": "error", "depends_on": ["model.build.stg_orders"]}]}' ;;
		--json) echo '{"results": [{"name": "t1", "status": "pass", "failures": 0, "execution_time": 0.5}]}' >"$2" ;;
		esac
		shift
	done
	EOF
	chmod +x solo/dqcheck
	run --separate-stderr solo/modelrun build -d "host=$PGHOST port=$PGPORT dbname=$PGDATABASE password=Pa55word"
	assert_success
	assert_stderr_line "modelrun: [2/10] PASS test t1 (0.50 s)"
	assert_equal "$(wc -l <solo/args)" 2
	! grep -q Pa55word solo/args
	grep -q -- "-d .*dbname='$PGDATABASE'" solo/args
	grep -q -- '--no-lock' solo/args
	# --list connects to nothing; the run of the test gets the password
	assert_equal "$(tr '\n' ' ' <solo/passwords)" "none Pa55word "
	assert_equal "$(jq -r '.results[] | select(.unique_id == "test.build.t1") | .status' target/run_results.json)" pass
}

# ---- issue 18: dbt unit tests (modelrun test) ----
# tests/data/dbt/unit has a source, a view, a table, an incremental model
# and a model of two inputs, with unit tests in every format (dict, csv,
# sql, fixture files) that pass, fail and cannot run; see its
# dbt_project.yml. Its setup.sql makes the source table.

unit_project() {
	project unit
	sql -f setup.sql
}

# unit_built: the project with its seed and models built, as unit tests
# need their inputs' relations.
unit_built() {
	unit_project
	"$BIN/modelrun" seed -q
	"$BIN/modelrun" run -q
}

# mr_verdicts: "VERDICT model::test" from modelrun test's stderr (stdin), sorted.
mr_verdicts() {
	sed -n 's/^modelrun: \[[0-9]*\/[0-9]*\] \([A-Z]*\) \([^ ]*\) .*/\1 \2/p' | sort
}

# dbt_verdicts: the same from dbt test's output (stdin): "FAIL 1" is FAIL.
dbt_verdicts() {
	sed -n 's/^[0-9:]*  [0-9]* of [0-9]* \(PASS\|FAIL\|ERROR\)\( [0-9]*\)\{0,1\} \([^ ]*\) \..*/\1 \3/p' | sort
}

@test "modelrun test runs a unit test's given rows through its model: a pass, and a failure with a table of the rows that differ" {
	unit_built
	run --separate-stderr "$BIN/modelrun" test -s totals_per_customer -s totals_wrong_sum
	assert_failure 1
	assert_output ""
	assert_stderr_line --regexp '^modelrun: \[1/2\] PASS customer_totals::totals_per_customer \([0-9.]+ s\)$'
	assert_stderr_line --regexp '^modelrun: \[2/2\] FAIL customer_totals::totals_wrong_sum \([0-9.]+ s\)$'
	# expected rows missing from the actual ones (---), actual rows not expected (+++)
	assert_equal "$(grep '^modelrun:   ' <<<"$stderr")" "$(cat <<-'OUT'
	modelrun:   actual differs from expected:
	modelrun:   @@  | customer | n | total
	modelrun:   --- | ann      | 2 | 6.00
	modelrun:   --- | bob      | 1 | 1.00
	modelrun:   +++ | ann      | 2 | 5.00
	OUT
	)"
	assert_stderr_line --regexp '^modelrun: unit tests done in [0-9.]+ s: 1 passed, 1 failed, 0 errors$'
	run "$BIN/modelrun" test -s totals_per_customer -s totals_from_fixtures -s staging_lowers_names
	assert_success
	# a duplicate row counts: one expected row is not two actual ones
	run --separate-stderr "$BIN/modelrun" test -s staging_keeps_duplicates
	assert_failure 1
	assert_stderr_line 'modelrun:   +++ | 7  | cy'
	# a YAML float is written as dbt writes it, 5.0, which is not numeric 5.00
	run --separate-stderr "$BIN/modelrun" test -s totals_float_literal
	assert_failure 1
	assert_stderr_line 'modelrun:   --- | ann      | 1 | 5.0'
	# the built tables are left as they were, and nothing is left behind
	assert_equal "$(sql -c "select string_agg(customer || ' ' || total, ', ' order by customer) from analytics.customer_totals")" "ann 10.50, bob 3.00"
	assert_equal "$(sql -c "select count(*) from pg_class where relname like '%__mr_tmp'")" 0
}

@test "a unit test's overrides reach its model: is_incremental() with this given, var() and env_var() over the environment" {
	unit_built
	run "$BIN/modelrun" test -s fct_orders
	assert_success
	assert_line --regexp '^modelrun: \[[12]/2\] PASS fct_orders::increment_takes_new_days '
	assert_line --regexp '^modelrun: \[[12]/2\] PASS fct_orders::full_build_takes_every_day '
	# the environment reaches a test without an env_vars override ...
	UNIT_REGION=zz run --separate-stderr "$BIN/modelrun" test -s fct_orders
	assert_failure 1
	assert_stderr_line --regexp '^modelrun: \[[12]/2\] FAIL fct_orders::full_build_takes_every_day '
	assert_stderr_line 'modelrun:   +++ | 1  | 1.00       | zz'
	# ... and the override beats it
	assert_stderr_line --regexp '^modelrun: \[[12]/2\] PASS fct_orders::increment_takes_new_days '
}

@test "modelrun test selects unit tests by name, by model, by test_type:unit, by intersection, and leaves out --exclude" {
	unit_built
	run --separate-stderr "$BIN/modelrun" test -s stg_orders
	assert_equal "$(mr_verdicts <<<"$stderr")" "$(printf 'FAIL stg_orders::staging_keeps_duplicates\nPASS stg_orders::staging_lowers_names')"
	run --separate-stderr "$BIN/modelrun" test -s test_type:unit
	assert_equal "$(mr_verdicts <<<"$stderr" | wc -l)" 11
	run --separate-stderr "$BIN/modelrun" test -s 'customer_totals,test_type:unit' --exclude totals_wrong_sum --exclude totals_float_literal
	assert_success
	assert_equal "$(mr_verdicts <<<"$stderr")" "$(printf 'PASS customer_totals::totals_from_fixtures\nPASS customer_totals::totals_per_customer')"
	# a tag of the test itself (checked with dbt ls: only this test)
	run --separate-stderr "$BIN/modelrun" test -s tag:wrong
	assert_equal "$(mr_verdicts <<<"$stderr")" "FAIL customer_totals::totals_wrong_sum"
	run --separate-stderr "$BIN/modelrun" test -s test_type:data
	assert_success
	assert_equal "$stderr" "$(printf 'modelrun: no unit tests selected\nmodelrun: nothing to do: no test selected')"
	run --separate-stderr "$BIN/modelrun" test -s bogus:x
	assert_failure 2
	# the fixture files are not singular tests
	run "$BIN/modelrun" ls
	refute_output --partial fixture
}

@test "a unit test that cannot run is an ERROR that says why, and counts: no input relation, an input not given, an unknown column, a bad format" {
	unit_project
	# the sql format needs no relation; the others read the input's columns
	run --separate-stderr "$BIN/modelrun" test -s staging_lowers_names -s totals_per_customer
	assert_failure 1
	assert_stderr_line --regexp '^modelrun: \[1/2\] ERROR customer_totals::totals_per_customer \([0-9.]+ s\): Not able to get columns for unit test '"'stg_orders'"' from relation "analytics"."stg_orders" because the relation doesn'"'"'t exist$'
	assert_stderr_line --regexp '^modelrun: \[2/2\] PASS stg_orders::staging_lowers_names '
	"$BIN/modelrun" seed -q
	"$BIN/modelrun" run -q
	cat >models/broken.yml <<-'EOF'
	unit_tests:
	  - name: unknown_column
	    model: stg_orders
	    given:
	      - input: source('raw', 'orders')
	        rows: [{id: 1, nope: x}]
	    expect:
	      rows: [{id: 1}]
	  - name: bad_format
	    model: stg_orders
	    given:
	      - input: source('raw', 'orders')
	        format: parquet
	        rows: []
	    expect:
	      rows: []
	  - name: no_fixture_file
	    model: stg_orders
	    given:
	      - input: source('raw', 'orders')
	        format: csv
	        fixture: nowhere
	    expect:
	      rows: []
	  - name: no_incremental_override
	    model: fct_orders
	    given:
	      - input: ref('stg_orders')
	        rows: [{id: 1}]
	    expect:
	      rows: []
	  - name: project_macro_override
	    model: stg_orders
	    overrides:
	      macros:
	        cents: "0"
	    given:
	      - input: source('raw', 'orders')
	        rows: [{id: 1}]
	    expect:
	      rows: [{id: 1}]
	EOF
	run --separate-stderr "$BIN/modelrun" test --exclude 'fct_orders customer_totals big_spenders order_counts' --exclude staging_lowers_names --exclude staging_keeps_duplicates -s test_type:unit
	assert_failure 1
	assert_stderr_line --regexp "^modelrun: \[1/4\] ERROR stg_orders::unknown_column \([0-9.]+ s\): Invalid column name: 'nope' in unit test fixture for 'orders'. Accepted columns for 'orders' are: \['id', 'customer', 'amount', 'ordered_at'\]$"
	assert_stderr_line --regexp "^modelrun: \[2/4\] ERROR stg_orders::bad_format \([0-9.]+ s\): \./models/broken.yml:12: unit test 'bad_format': format 'parquet' is not one of dict, csv, sql$"
	assert_stderr_line --regexp "^modelrun: \[3/4\] ERROR stg_orders::no_fixture_file \([0-9.]+ s\): \./models/broken.yml:20: unit test 'no_fixture_file': fixture 'nowhere' not found: no fixtures/nowhere.csv under the test paths$"
	assert_stderr_line --regexp "^modelrun: \[4/4\] ERROR stg_orders::project_macro_override \([0-9.]+ s\): overrides: macro 'cents' cannot be overridden by modelrun "
	assert_stderr_line --regexp '^modelrun: unit tests done in [0-9.]+ s: 0 passed, 0 failed, 4 errors$'
	run --separate-stderr "$BIN/modelrun" test -s no_incremental_override -s spenders_without_all_inputs
	assert_failure 1
	assert_stderr_line --regexp "ERROR fct_orders::no_incremental_override \([0-9.]+ s\): Boolean override for 'is_incremental' must be provided for unit test 'no_incremental_override' in model 'fct_orders'$"
	assert_stderr_line --regexp "ERROR big_spenders::spenders_without_all_inputs \([0-9.]+ s\): models/big_spenders.sql:3: unit test 'spenders_without_all_inputs' depends on a node named 'fct_orders' which was not found among its given inputs$"
}

@test "modelrun test gives every unit test the verdict dbt test --select test_type:unit gives it" {
	need_dbt
	unit_built
	run --separate-stderr "$BIN/modelrun" test
	assert_failure 1
	local mr
	mr=$(mr_verdicts <<<"$stderr")
	assert_equal "$(wc -l <<<"$mr")" 11
	dbt_in "$PWD" dbt_s seed >/dev/null
	dbt_in "$PWD" dbt_s run >/dev/null
	run dbt_in "$PWD" dbt_s test --select test_type:unit
	assert_failure 1
	assert_equal "$(dbt_verdicts <<<"$output")" "$mr"
	# the same selection by model and by intersection
	local dbt_sel
	dbt_sel=$(dbt_in "$PWD" dbt_s test --select 'customer_totals,test_type:unit' | dbt_verdicts)
	assert_equal "$(wc -l <<<"$dbt_sel")" 4
	run --separate-stderr "$BIN/modelrun" test --select 'customer_totals,test_type:unit'
	assert_equal "$(mr_verdicts <<<"$stderr")" "$dbt_sel"
}

# ---- issue 18: dbt unit tests in modelrun build ----

# stderr_line_of TEXT: the number of the first line of $stderr holding TEXT.
stderr_line_of() {
	grep -n -F -- "$1" <<<"$stderr" | head -1 | cut -d: -f1
}

# build_results FILE: "unique_id status failures" of every entry of a
# run_results.json, sorted.
build_results() {
	jq -r '.results[] | "\(.unique_id) \(.status) \(.failures)"' "$1" | sort
}

# schema_relations SCHEMA: its tables and views, "name TYPE, ...".
schema_relations() {
	sql -c "select coalesce(string_agg(table_name || ' ' || table_type, ', ' order by table_name), '')
		from information_schema.tables where table_schema = '$1'"
}

@test "modelrun build runs a model's unit tests once its parents are built and just before it; a failing one skips the model and what is built from it" {
	unit_project
	run --separate-stderr "$BIN/modelrun" build --threads 1 --exclude staging_keeps_duplicates
	assert_failure 1
	assert_output ""
	# stg_orders' test needs no relation (sql format); customer_totals'
	# read the columns of stg_orders, built between them
	local unit_first built unit_next
	unit_first=$(stderr_line_of 'PASS stg_orders::staging_lowers_names')
	built=$(stderr_line_of 'OK analytics.stg_orders (view')
	unit_next=$(stderr_line_of 'PASS customer_totals::totals_per_customer')
	[ -n "$unit_first" ] && [ -n "$built" ] && [ -n "$unit_next" ]
	[ "$unit_first" -lt "$built" ]
	[ "$built" -lt "$unit_next" ]
	# the first failure skips the model's other unit tests, the model and
	# what is built from it, each saying why
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/16\] FAIL customer_totals::totals_float_literal \([0-9.]+ s\)$'
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/16\] SKIP customer_totals::totals_wrong_sum: not run: unit test customer_totals::totals_float_literal of the same model failed$'
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/16\] SKIP analytics.customer_totals \(table\): not built: its unit test customer_totals::totals_float_literal failed$'
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/16\] SKIP analytics.big_spenders \(view\): depends on unit test customer_totals::totals_float_literal, which failed$'
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/16\] SKIP big_spenders::spenders_without_all_inputs: depends on unit test customer_totals::totals_float_literal, which failed$'
	# `this` given for a model not built yet: an ERROR, as in dbt build
	assert_stderr_line --regexp "^modelrun: \[[0-9]+/16\] ERROR fct_orders::increment_takes_new_days \([0-9.]+ s\): Not able to get columns for unit test 'fct_orders' from relation \"analytics\".\"fct_orders\" because the relation doesn't exist$"
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/16\] SKIP analytics.fct_orders \(incremental\): not built: its unit test fct_orders::increment_takes_new_days failed$'
	# a model whose unit tests pass is built after them
	[ "$(stderr_line_of 'PASS order_counts::counts_of_empty_inputs')" -lt "$(stderr_line_of 'OK analytics.order_counts')" ]
	assert_stderr_line --regexp '^modelrun: done in [0-9.]+ s: 3 ok, 0 failed, 3 skipped$'
	assert_stderr_line 'modelrun: 10 unit tests: 4 passed, 1 failed, 1 errors, 4 skipped'
	assert_equal "$(schema_relations analytics)" "order_counts VIEW, rates BASE TABLE, stg_orders VIEW"
	assert_equal "$(jq -r '.results[] | select(.unique_id | startswith("unit_test.unit.customer_totals.")) | "\(.unique_id) \(.status) \(.failures)"' target/run_results.json)" "$(cat <<-'OUT'
	unit_test.unit.customer_totals.totals_per_customer pass 0
	unit_test.unit.customer_totals.totals_float_literal fail 1
	unit_test.unit.customer_totals.totals_wrong_sum skipped null
	unit_test.unit.customer_totals.totals_from_fixtures skipped null
	OUT
	)"
	jq -e '.results[] | select(.unique_id == "unit_test.unit.customer_totals.totals_float_literal") | .message | contains("actual differs from expected")' target/run_results.json
	jq -e '.results[] | select(.unique_id == "model.unit.customer_totals") | .status == "skipped"' target/run_results.json
	# on several threads: stg_orders' failing test holds up every model
	run --separate-stderr "$BIN/modelrun" build --threads 4 --schema par --exclude staging_lowers_names
	assert_failure 1
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/16\] SKIP par.stg_orders \(view\): not built: its unit test stg_orders::staging_keeps_duplicates failed$'
	assert_stderr_line --regexp '^modelrun: done in [0-9.]+ s: 1 ok, 0 failed, 5 skipped$'
	assert_stderr_line 'modelrun: 10 unit tests: 0 passed, 1 failed, 0 errors, 9 skipped'
	assert_equal "$(schema_relations par)" "rates BASE TABLE"
	# a unit test whose model is left out of the build is not run, and says so
	run --separate-stderr "$BIN/modelrun" build -s rates -s staging_lowers_names
	assert_success
	assert_stderr_line "modelrun: unit test stg_orders::staging_lowers_names not run: build runs it just before its model, which is not selected (modelrun test runs it)"
	# --exclude test_type:unit builds everything without them, as in dbt
	run --separate-stderr "$BIN/modelrun" build --schema nounit --exclude test_type:unit
	assert_success
	assert_stderr_line --regexp '^modelrun: done in [0-9.]+ s: 6 ok, 0 failed, 0 skipped$'
	refute_stderr_line --partial '::'
	assert_equal "$(jq '[.results[] | select(.unique_id | startswith("unit_test."))] | length' target/run_results.json)" 0
}

@test "in modelrun build a model's unit tests wait for the data tests of its parents, and a failing one skips them with the model" {
	unit_project
	cat >models/checks.yml <<-'EOF'
	models:
	  - name: stg_orders
	    columns:
	      - name: id
	        data_tests: [not_null]
	      - name: customer
	        data_tests:
	          - accepted_values:
	              values: [ann]
	EOF
	run --separate-stderr "$BIN/modelrun" build --threads 1 -s stg_orders+ --exclude staging_keeps_duplicates
	assert_failure 1
	local passed unit
	passed=$(stderr_line_of 'PASS test not_null_stg_orders_id')
	unit=$(stderr_line_of 'SKIP customer_totals::totals_per_customer')
	[ -n "$passed" ] && [ -n "$unit" ]
	[ "$passed" -lt "$unit" ]
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/[0-9]+\] FAIL 1 test accepted_values_stg_orders_customer__ann '
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/[0-9]+\] SKIP customer_totals::totals_per_customer: depends on test accepted_values_stg_orders_customer__ann, which failed$'
	assert_stderr_line --regexp '^modelrun: \[[0-9]+/[0-9]+\] SKIP analytics.customer_totals \(table\): depends on test accepted_values_stg_orders_customer__ann, which failed$'
	assert_stderr_line 'modelrun: 10 unit tests: 1 passed, 0 failed, 0 errors, 9 skipped'
	assert_equal "$(schema_relations analytics)" "stg_orders VIEW"
}

@test "modelrun build on a fresh schema builds, skips and judges the unit tests as dbt build does, and leaves the same relations" {
	need_dbt
	unit_project
	# dbt runs a model's unit tests in an order it does not fix and skips
	# the rest after one fails: each selection leaves every model at most
	# one unit test that fails, so that dbt's verdicts do not vary
	local sels=("--exclude staging_lowers_names"
		"--exclude staging_keeps_duplicates --exclude totals_float_literal --exclude totals_per_customer --exclude totals_from_fixtures --exclude full_build_takes_every_day")
	local round mr
	for round in 0 1; do
		# shellcheck disable=SC2086
		run --separate-stderr "$BIN/modelrun" build --schema "mr_$round" ${sels[$round]}
		assert_failure 1
		mr=$(build_results target/run_results.json)
		# shellcheck disable=SC2086
		run dbt_in "$PWD" "dbt_$round" build ${sels[$round]}
		assert_failure 1
		assert_equal "$mr" "$(build_results "$PWD.dbt/target/run_results.json")"
		assert_equal "$(schema_relations "mr_$round")" "$(schema_relations "dbt_$round")"
	done
	# what was compared: the first run skips every model, the second
	# builds some and skips others for a FAIL and an ERROR
	assert_equal "$(schema_relations mr_0)" "rates BASE TABLE"
	assert_equal "$(schema_relations mr_1)" "order_counts VIEW, rates BASE TABLE, stg_orders VIEW"
	assert_equal "$(grep -c '^unit_test\.' <<<"$mr")" 6
	assert_equal "$(grep -c ' skipped ' <<<"$mr")" 4
	grep -qx 'unit_test.unit.customer_totals.totals_wrong_sum fail 1' <<<"$mr"
	grep -qx 'unit_test.unit.fct_orders.increment_takes_new_days error null' <<<"$mr"
}

# ---- dbt_utils' integration suite: agate tables, relations, dbt's Column, flags (issue 17) ----

# relations_project: the relations fixture, seeded and built by modelrun.
relations_project() {
	project relations
	"$BIN/modelrun" seed -q
	"$BIN/modelrun" run -q
}

@test "run_query gives agate's table: rows and columns by index and by name, .values(), .items(), column_names" {
	relations_project
	assert_equal "$(sql -c "select by_index, by_name, names, row_attr, row_key, row_index, iterated, items, nrows from analytics.agate")" \
		"1+2|ab|n,s|b|a|2|12|n=2;s=2;|2"
}

@test "api.Relation.create, adapter.get_relation, load_relation, this.incorporate and flags.WHICH answer as dbt's do" {
	relations_project
	assert_equal "$(sql -c "select * from analytics.relations")" "base|t|t|table|t|base|relations|__dbt__cte__x|run"
	# modelrun compile has no connection: a lookup says so, as run_query() does
	run --separate-stderr "$BIN/modelrun" compile -s relations
	assert_failure 1
	assert_stderr_line "modelrun: models/relations.sql:3: adapter.get_relation() runs a query while compiling, which needs a connection: use modelrun run (modelrun compile has none)"
}

@test "dbt's Column answers is_string, is_number, is_integer, is_float, is_numeric and string_size as dbt-postgres's" {
	relations_project
	assert_equal "$(sql -c "select id, code, score, note, price from analytics.columns")" \
		"id:False:True:True:False:False|code:True:False:False:False:False:5|score:False:True:False:True:False|note:True:False:False:False:False:256|price:False:True:False:False:True"
}

@test "a seed's post-hook drops it with adapter.drop_relation(this.incorporate(type='table')), as dbt_utils' suite does" {
	project relations
	run --separate-stderr "$BIN/modelrun" seed
	assert_success
	assert_stderr_line --regexp '^modelrun: \[1/1\] OK analytics.dropped \(seed, 2 rows'
	assert_equal "$(sql -c "select to_regclass('analytics.dropped') is null")" t
}

@test "in a macro file a left-out argument passes on as Jinja's Undefined; set ns.attr blocks; map and select of none give nothing" {
	relations_project
	assert_equal "$(sql -c "select greeting || '|', ns_block, mapped_none, selected_none from analytics.jinja")" "hi ||block 2|0|0"
}

@test "the relations project builds what dbt builds: agate tables, relations, columns, Jinja, the dropped seed" {
	relations_project
	need_dbt
	dbt_in "$PWD" dbt_s seed >/dev/null
	dbt_in "$PWD" dbt_s run >/dev/null
	for m in agate relations columns jinja; do
		same_relation "analytics.$m" "dbt_s.$m"
	done
	assert_equal "$(sql -c "select to_regclass('dbt_s.dropped') is null")" t
}

@test "a module modelrun lacks fails only the model that reaches it, naming file:line; the rest is built" {
	project relations
	printf "select '{{ modules.itertools.chain([1], [2]) }}' as x\n" >models/lacks.sql
	run --separate-stderr "$BIN/modelrun" run
	assert_failure 1
	assert_stderr_line --regexp "^modelrun: \[[0-9]/6\] ERROR analytics.lacks \(table, [0-9.]+ s\): models/lacks.sql:1: unsupported construct: 'modules.itertools'"
	assert_stderr_line --regexp '^modelrun: done in [0-9.]+ s: 5 ok, 1 failed, 0 skipped$'
}

# pkg_suite_count OUTPUT WHAT: N of the line "WHAT N/M" of pkg-suite.sh
pkg_suite_count() {
	sed -n "s/^$2 \([0-9]*\)\/[0-9]*$/\1/p" <<<"$1"
}

@test "dbt_utils' own integration suite under modelrun and dqcheck: all 75 seeds, 49 models and 111 tests pass, and all 123 relations are dbt's" {
	need_packages
	local dbt_flag=--no-dbt
	[ ! -x "$DBT_REF" ] || dbt_flag=
	# shellcheck disable=SC2086
	run --separate-stderr env ELT_DBT="$DBT_REF" ELT_DBT_PACKAGES="$DBT_PACKAGES" "$REPO/scripts/pkg-suite.sh" $dbt_flag \
		--package "$DBT_PACKAGES/dbt_utils" --schema pkg_mr
	assert_success
	# as under dbt (75 seeds, 49 models, 111 tests), now that modules.re
	# and modules.datetime are there; fewer is a regression
	[ "$(pkg_suite_count "$output" seeds)" -ge 75 ]
	[ "$(pkg_suite_count "$output" models)" -ge 49 ]
	[ "$(pkg_suite_count "$output" tests)" -ge 111 ]
	assert_line --regexp '^seeds [0-9]+/75$'
	assert_line --regexp '^models [0-9]+/49$'
	assert_line --regexp '^tests [0-9]+/111$'
	need_dbt
	# every relation both built has dbt's columns, types and rows (seeds
	# typed as dbt types them, union_relations' source names included)
	assert_line "dbt tests 111/111"
	assert_line "relations same as dbt's 123/123"
	refute_line --partial "DIFF relation"
}

@test "config.get and config.require answer from the model's config as dbt's do; a required key not set fails its model" {
	mkdir -p cfgp/models
	cd cfgp
	printf 'name: cfgp\nconfig-version: 2\nprofile: mr\nmodels:\n  cfgp:\n    +materialized: table\n' >dbt_project.yml
	cat >models/m.sql <<-'EOF2'
	{{ config(alias='mm', unique_key='id') }}
	select '{{ config.get("materialized") }}' as mat, '{{ config.get("alias") }}' as alias,
	  '{{ config.get("unique_key") }}' as uk, '{{ config.get("nope", "dflt") }}' as dflt,
	  '{{ config.get("nope") }}' as unset, '{{ config.require("materialized") }}' as req
	EOF2
	printf "select '{{ config.require(\"nope\") }}' as x\n" >models/req.sql
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 1
	assert_stderr_line "modelrun: models/req.sql:1: Model 'model.cfgp.req' does not define a required config parameter 'nope'."
	run cat target/compiled/cfgp/models/m.sql
	assert_line "select 'table' as mat, 'mm' as alias,"
	assert_line "  'id' as uk, 'dflt' as dflt,"
	assert_line "  'None' as unset, 'table' as req"
	need_dbt
	rm models/req.sql
	dbt_in "$PWD" dbt_s compile >/dev/null
	diff <(cat "$PWD.dbt/target/compiled/cfgp/models/m.sql"; echo) target/compiled/cfgp/models/m.sql
}

# ---- issue 18: modelrun source freshness ----

# fresh_project: tests/data/dbt/fresh with its raw tables, loaded 5 minutes
# (recent), 2 hours (late), 3 days (stale), 10 days ago (typed, a date
# cast), never (empty), and filtered, whose newest 'new' row is 3 hours
# old under a table-level warn_after of 6 hours.
fresh_project() {
	project fresh
	sql -f setup.sql
}

# fresh_unmeasurable: adds two tables that cannot be measured to the
# fresh project: raw.missing (no relation) and raw.nofield (a table-level
# loaded_at_field: null over its source's).
fresh_unmeasurable() {
	python3 - models/sources.yml <<-'PY'
	import sys
	f = sys.argv[1]
	t = open(f).read().replace("      - name: typed\n",
	    "      - name: missing\n      - name: nofield\n        loaded_at_field: null\n      - name: typed\n")
	open(f, "w").write(t)
	PY
}

@test "modelrun source freshness gives each source table with a rule dbt's verdict and exits 1 on a stale one" {
	fresh_project
	run --separate-stderr "$BIN/modelrun" source freshness
	assert_failure 1
	assert_output ""
	printf '%s\n' "$stderr" >err.txt
	assert_equal "$(grep -c 'freshness of' err.txt)" 6
	grep -qx 'modelrun: \[1/6\] ERROR STALE freshness of raw.empty (max_loaded_at none, no rows): no rows, so no last load time (warn after 60.0 minutes, error after 24.0 hours), [0-9.]* s' err.txt
	grep -qx 'modelrun: \[2/6\] PASS freshness of raw.filtered (max_loaded_at 20[0-9-]*T[0-9:.]*+00:00): last loaded 3.0 hours ago (warn after 6.0 hours, error after 24.0 hours), [0-9.]* s' err.txt
	grep -q '^modelrun: \[3/6\] WARN freshness of raw.late (.*): last loaded 2.0 hours ago' err.txt
	grep -q '^modelrun: \[4/6\] PASS freshness of raw.recent (.*): last loaded 5.0 minutes ago' err.txt
	grep -q '^modelrun: \[5/6\] ERROR STALE freshness of raw.stale (.*): last loaded 3.0 days ago' err.txt
	grep -q '^modelrun: \[6/6\] ERROR STALE freshness of raw.typed (.*T00:00:00+00:00): last loaded' err.txt
	grep -qx 'modelrun: done in [0-9.]* s: 2 pass, 1 warn, 3 error stale, 0 error' err.txt
	# unchecked (freshness: null over its source's) and other.plain (no rule) are left out
	! grep -q 'unchecked\|plain' err.txt
	j=target/sources.json
	assert_equal "$(jq -r '.metadata.dbt_schema_version' $j)" "https://schemas.getdbt.com/dbt/sources/v3.json"
	assert_equal "$(jq -r '[.results[] | .unique_id + "=" + .status] | join(" ")' $j)" \
		"source.fresh.raw.empty=error source.fresh.raw.filtered=pass source.fresh.raw.late=warn source.fresh.raw.recent=pass source.fresh.raw.stale=error source.fresh.raw.typed=error"
	assert_equal "$(jq -c '.results[1].criteria' $j)" \
		'{"warn_after":{"count":6,"period":"hour"},"error_after":{"count":1,"period":"day"},"filter":"kind = '"'new'"'"}'
	assert_equal "$(jq -r '.results[0].max_loaded_at' $j)" "0001-01-01T00:00:00+00:00"
	# the age is the one the database measured
	age=$(jq -r '.results[2].max_loaded_at_time_ago_in_s' $j)
	python3 -c "import sys; a = float(sys.argv[1]); sys.exit(0 if 7190 < a < 7300 else 1)" "$age"
	# warnings alone are a success
	run --separate-stderr "$BIN/modelrun" source freshness -s source:raw.late -s 'source:raw.rec*'
	assert_success
	assert_stderr_line --regexp '^modelrun: done in [0-9.]+ s: 1 pass, 1 warn, 0 error stale, 0 error$'
	assert_equal "$(jq -r '[.results[] | .unique_id] | join(" ")' $j)" "source.fresh.raw.late source.fresh.raw.recent"
}

@test "modelrun source freshness: a missing relation or a rule without loaded_at_field is that table's ERROR, left out of sources.json" {
	fresh_project
	fresh_unmeasurable
	run --separate-stderr "$BIN/modelrun" source freshness -s source:raw.missing -s source:raw.nofield -s source:raw.recent
	assert_failure 1
	assert_stderr_line 'modelrun: [1/3] ERROR freshness of raw.missing: relation "fresh_raw.missing" does not exist'
	assert_stderr_line "modelrun: [2/3] ERROR freshness of raw.nofield: Could not compute freshness for source nofield: no 'loaded_at_field' provided and postgres adapter does not support metadata-based freshness checks."
	assert_stderr_line --regexp '^modelrun: done in [0-9.]+ s: 1 pass, 0 warn, 0 error stale, 2 error$'
	assert_equal "$(jq -r '[.results[] | .unique_id] | join(" ")' target/sources.json)" "source.fresh.raw.recent"
	# -o puts the file elsewhere
	run --separate-stderr "$BIN/modelrun" source freshness -s source:raw.recent -o out/src.json
	assert_success
	assert_equal "$(jq -r '.results[0].status' out/src.json)" pass
}

@test "modelrun source freshness: selectors other than source:, a missing subcommand and a bad rule are errors" {
	fresh_project
	run --separate-stderr "$BIN/modelrun" source freshness -s raw.late
	assert_failure 2
	assert_equal "$stderr" "modelrun: source freshness selects source tables: 'raw.late' is not source:NAME or source:NAME.TABLE"
	run --separate-stderr "$BIN/modelrun" source
	assert_failure 2
	assert_stderr_line "modelrun: source needs a subcommand: source freshness"
	run --separate-stderr "$BIN/modelrun" run --output x.json
	assert_failure 2
	assert_stderr_line "modelrun: --output is for source freshness"
	sed -i 's/warn_after: {count: 6, period: hour}/warn_after: {count: 6, period: week}/' models/sources.yml
	run --separate-stderr "$BIN/modelrun" source freshness
	assert_failure 2
	assert_stderr_line --regexp "^modelrun: \./models/sources.yml:[0-9]+: period: 'week' is not minute, hour or day$"
	[ ! -e target/sources.json ]
	sed -i 's/period: week/period: hour/' models/sources.yml
	run --separate-stderr "$BIN/modelrun" source freshness -d "host=$BATS_TEST_TMPDIR/nowhere port=1"
	assert_failure 3
	assert_stderr_line --partial "modelrun: cannot connect to the database"
}

@test "modelrun source freshness gives the reference dbt's verdicts, and a sources.json of the same shape" {
	need_dbt
	fresh_project
	fresh_unmeasurable
	run "$BIN/modelrun" source freshness -q
	assert_failure 1
	run dbt_in "$PWD" dbt_s source freshness
	assert_failure 1
	python3 - target/sources.json "$PWD.dbt/target/sources.json" <<-'PY'
	import json, sys
	ours, theirs = (json.load(open(f)) for f in sys.argv[1:3])
	bad = []
	def keys(what, a, b):
	    if set(a) != set(b):
	        bad.append("%s: only ours %s, only dbt's %s" % (what, sorted(set(a) - set(b)), sorted(set(b) - set(a))))
	keys("top level", ours, theirs)
	keys("metadata", ours["metadata"], theirs["metadata"])
	o = {r["unique_id"]: r for r in ours["results"]}
	t = {r["unique_id"]: r for r in theirs["results"]}
	if list(o) != list(t):
	    bad.append("results: ours %s, dbt's %s" % (list(o), list(t)))
	for uid in t:
	    if uid not in o:
	        continue
	    keys(uid, o[uid], t[uid])
	    for k in ("status", "criteria", "adapter_response", "thread_id"):
	        if o[uid][k] != t[uid][k]:
	            bad.append("%s %s: ours %r, dbt's %r" % (uid, k, o[uid][k], t[uid][k]))
	    if [x["name"] for x in o[uid]["timing"]] != [x["name"] for x in t[uid]["timing"]]:
	        bad.append(uid + " timing differs")
	    if len(o[uid]["max_loaded_at"]) != len(t[uid]["max_loaded_at"]) and o[uid]["max_loaded_at"][:19] != t[uid]["max_loaded_at"][:19]:
	        bad.append("%s max_loaded_at: ours %s, dbt's %s" % (uid, o[uid]["max_loaded_at"], t[uid]["max_loaded_at"]))
	    if abs(o[uid]["max_loaded_at_time_ago_in_s"] - t[uid]["max_loaded_at_time_ago_in_s"]) > 120:
	        bad.append(uid + " ages differ by more than the runs")
	print("\n".join(bad))
	sys.exit(1 if bad else 0)
	PY
}

# ---- issue 18: state:modified and state:new against a saved manifest ----

# state_changes: edits the shop project after its state was saved: a
# model's SQL, a config in a model (customer_totals becomes a view), and
# a new model.
state_changes() {
	echo "-- a change" >>models/staging/stg_orders.sql
	sed -i '1i {{ config(materialized="view") }}' models/marts/customer_totals.sql
	echo "select 1 as x" >models/other/brand_new.sql
}

@test "modelrun --state selects state:modified, state:modified+ and state:new against the manifest modelrun wrote" {
	shop
	"$BIN/modelrun" compile -q
	cp -r target state
	run --separate-stderr "$BIN/modelrun" ls -s state:modified --state state
	assert_success
	assert_output ""
	assert_stderr_line "modelrun: the selection matches no node"
	state_changes
	run --separate-stderr "$BIN/modelrun" ls -s state:modified --state state
	assert_success
	assert_output "$(printf 'shop.staging.stg_orders\nshop.marts.customer_totals\nshop.other.brand_new')"
	run --separate-stderr "$BIN/modelrun" ls -s state:new --state state
	assert_output "shop.other.brand_new"
	run --separate-stderr "$BIN/modelrun" ls -s state:modified.configs --state state
	assert_output "shop.marts.customer_totals"
	run --separate-stderr "$BIN/modelrun" ls -s state:modified.body --state state
	assert_output "$(printf 'shop.staging.stg_orders\nshop.marts.customer_totals')"
	run --separate-stderr "$BIN/modelrun" ls -s state:modified+ --exclude state:new --state state
	assert_output "$(printf 'shop.staging.stg_orders\nshop.staging.customers\nshop.marts.customer_totals\nshop.marts.customer_report')"
	# and run builds just those
	run --separate-stderr "$BIN/modelrun" run -s state:modified --state state
	assert_success
	assert_stderr_line --regexp '^modelrun: done in [0-9.]+ s: 3 ok, 0 failed, 0 skipped$'
}

@test "modelrun state: selection without --state, with a missing manifest or an unknown state is a usage error" {
	shop
	run --separate-stderr "$BIN/modelrun" ls -s state:modified
	assert_failure 2
	assert_equal "$stderr" "modelrun: 'state:modified' needs --state DIR: the manifest.json of an earlier run to compare with"
	run --separate-stderr "$BIN/modelrun" ls -s state:modified --state nowhere
	assert_failure 2
	assert_equal "$stderr" "modelrun: --state: nowhere/manifest.json: No such file or directory"
	"$BIN/modelrun" compile -q
	run --separate-stderr "$BIN/modelrun" ls -s state:changed --state target
	assert_failure 2
	assert_equal "$stderr" "modelrun: unknown state 'changed' in 'state:changed' (new, modified, modified.body, modified.configs, modified.contract)"
}

@test "modelrun --state reads a manifest the reference dbt wrote, and dbt's state:modified reads modelrun's" {
	need_dbt
	shop
	# dbt's manifest as the state: nothing changed, then the same changes
	dbt_in "$PWD" dbt_s parse >/dev/null
	run --separate-stderr "$BIN/modelrun" ls -s state:modified --state "$PWD.dbt/target"
	assert_success
	assert_output ""
	# modelrun's manifest as dbt's state: dbt finds no change either, but
	# in a model calling dbt's own macros (is_incremental), which modelrun
	# does not write into its manifest
	"$BIN/modelrun" compile -q
	cp -r target "$BATS_TEST_TMPDIR/mr_state"
	run dbt_in "$PWD" dbt_s ls --quiet --resource-type model --resource-type source -s state:modified --state "$BATS_TEST_TMPDIR/mr_state"
	assert_success
	assert_output "shop.marts.orders_inc"
	run dbt_in "$PWD" dbt_s ls --quiet -s state:modified.body state:modified.configs state:modified.relation --state "$BATS_TEST_TMPDIR/mr_state"
	assert_output ""
	state_changes
	run --separate-stderr "$BIN/modelrun" ls -s state:modified --state "$PWD.dbt/target"
	assert_output "$(printf 'shop.staging.stg_orders\nshop.marts.customer_totals\nshop.other.brand_new')"
	run dbt_in "$PWD" dbt_s ls --quiet -s state:modified --exclude orders_inc --state "$BATS_TEST_TMPDIR/mr_state"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | sort | tr '\n' ' ')" "shop.marts.customer_totals shop.other.brand_new shop.staging.stg_orders "
}

# ---- issue 18: Markdown in descriptions on the docs site ----

@test "docs generate renders descriptions' Markdown safely: Chromium sees emphasis, code, lists and http(s) links only" {
	need_chromium
	sales_project
	python3 - sql/models/marts/schema.yml <<-'PY'
	import sys
	f = sys.argv[1]
	t = open(f).read().replace("description: Daily sales metrics in USD, incremental by sale_date.",
	    "description: |\n      Daily *metrics* in **USD**, keyed by `sale_date` (snake_case stays).\n\n"
	    "      - see [the guide](https://example.com/guide?a=1&b=2)\n"
	    "      - not [this](javascript:alert(1)) nor [that](data:text/html,x)\n\n"
	    "      <script>alert('md')</script> <img src=x onerror=alert(2)>")
	open(f, "w").write(t)
	PY
	run --separate-stderr "$BIN/modelrun" docs generate --project-dir sql
	assert_success
	page=$PWD/sql/target/index.html
	chromium_headless --dump-dom "file://$page" >dom.html
	python3 - dom.html <<-'PY'
	import sys
	from html.parser import HTMLParser
	class P(HTMLParser):
	    def __init__(self):
	        super().__init__()
	        self.stack, self.found, self.links, self.imgs, self.scripts = [], {}, [], 0, 0
	        self.in_sec = 0
	    def handle_starttag(self, tag, attrs):
	        a = dict(attrs)
	        if tag == "section" and a.get("id") == "model-fct_daily_sales_metrics":
	            self.in_sec = 1
	        elif tag == "section" and self.in_sec:
	            self.in_sec += 1
	        if tag == "script":
	            self.scripts += 1
	        if tag == "img":
	            self.imgs += 1
	        if self.in_sec and tag == "a" and not a.get("href", "").startswith("#"):
	            self.links.append(a.get("href"))
	        self.stack.append(tag)
	    def handle_endtag(self, tag):
	        if tag == "section" and self.in_sec:
	            self.in_sec -= 1
	        while self.stack and self.stack.pop() != tag:
	            pass
	    def handle_data(self, data):
	        if self.in_sec and self.stack:
	            self.found.setdefault(self.stack[-1], []).append(data)
	p = P()
	p.feed(open(sys.argv[1]).read())
	bad = []
	if "metrics" not in p.found.get("em", []): bad.append("no <em>metrics</em>")
	if "USD" not in p.found.get("strong", []): bad.append("no <strong>USD</strong>")
	if "sale_date" not in p.found.get("code", []): bad.append("no <code>sale_date</code>")
	if not any("snake_case stays" in x for x in p.found.get("p", [])): bad.append("snake_case lost its underscore")
	if len([x for x in p.found.get("li", []) if x.strip()]) < 2: bad.append("no list items")
	if p.links != ["https://example.com/guide?a=1&b=2"]: bad.append("links: %r" % p.links)
	if p.imgs: bad.append("an <img> from the description")
	if p.scripts != 1: bad.append("%d scripts, not only the page's own" % p.scripts)
	if not any("<script>alert('md')</script>" in x for x in p.found.get("p", [])): bad.append("the markup is not text")
	print("\n".join(bad))
	sys.exit(1 if bad else 0)
	PY
}

# ---- issue 18: macros in target/manifest.json ----

@test "target/manifest.json lists the project's and the packages' macros with dbt's ids, paths and macro_sql" {
	macro_shop
	"$BIN/modelrun" compile -q
	m=target/manifest.json
	assert_equal "$(jq -r '.macros | to_entries | map(select(.value.package_name == "dbt")) | length' $m)" 0
	assert_equal "$(jq -r '[.macros[] | .resource_type] | unique | join(",")' $m)" macro
	jq -e '.macros | to_entries | map(select(.value.package_name == "dbt_utils")) | length > 50' $m >/dev/null
	need_dbt
	dbt_in "$PWD" dbt_m parse >/dev/null
	python3 - $m "$PWD.dbt/target/manifest.json" <<-'PY'
	import json, sys
	ours, theirs = (json.load(open(f)) for f in sys.argv[1:3])
	want = {k: v for k, v in theirs["macros"].items() if v["package_name"] not in ("dbt", "dbt_postgres")}
	got = ours["macros"]
	bad = []
	if set(want) != set(got):
	    bad.append("ids: only ours %s, only dbt's %s" % (sorted(set(got) - set(want))[:5], sorted(set(want) - set(got))[:5]))
	for k, d in want.items():
	    o = got.get(k)
	    if o is None:
	        continue
	    if set(o) != set(d):
	        bad.append("%s keys: %s" % (k, sorted(set(o) ^ set(d))))
	    for f in ("name", "package_name", "path", "original_file_path", "macro_sql"):
	        if o[f] != d[f]:
	            bad.append("%s %s: ours %r, dbt's %r" % (k, f, o[f][:80], d[f][:80]))
	print("%d macros compared" % len(want))
	print("\n".join(bad[:20]))
	sys.exit(1 if bad else 0)
	PY
}

@test "docs generate shows the verdicts of the last modelrun build's tests, from run_results.json, without dqcheck's JSON" {
	project build
	sql -f setup.sql -c "insert into app.orders (id, customer_id, amount) values (3, 2, 7)"
	run --separate-stderr "$BIN/modelrun" build
	assert_failure 1
	run --separate-stderr "$BIN/modelrun" docs generate
	assert_success
	h=target/index.html
	# one verdict row per test: its id, then its badge in the same row
	verdict() { grep -o "<tr id=\"test-$1\".*</tr>" "$h" | grep -o 'class="badge [a-z-]*"' | head -1; }
	assert_equal "$(verdict unique_stg_orders_id)" 'class="badge fail"'
	assert_equal "$(verdict not_null_stg_orders_id)" 'class="badge pass"'
	assert_equal "$(verdict totals_are_positive)" 'class="badge skipped"'
	# and the page says where the verdicts come from
	grep -q 'the verdicts shown are those of the last <code>modelrun build</code>' "$h"
}

# ---- modules.datetime, modules.pytz, modules.re; dbt_date's own suite (issue 17) ----

@test "modules.datetime, modules.pytz and modules.re print in a model what dbt prints" {
	project modules
	"$BIN/modelrun" compile -q
	# what Python gives, also where dbt is absent; a zone passed as tzinfo
	# keeps pytz's first offset, the local mean time
	local want
	while IFS= read -r want; do
		grep -qxF -- "$want" target/compiled/mods/models/*.sql || fail "no line: $want"
	done <<-'EOF2'
	-- a zone as tzinfo, pytz's first offset: 1997-09-29 06:14:00-07:53 America/Los_Angeles -1 day, 16:07:00 LMT 6:14
	-- localize: 2021-06-07 08:00:00-07:00 2021-01-07 08:00:00-08:00
	-- ambiguous: 2021-11-07 01:30:00-08:00 2021-11-07 01:30:00-07:00
	-- astimezone: 2021-06-07 15:00:00+00:00 2021-06-08 05:20:00+05:30
	-- timedelta: 1 day, 2:00:00 -1 day, 23:59:59 14 days, 0:00:00.500000 3 days, 0:00:00 129600.0 1 43200
	-- sub: a_b_c -a-b--d- example at joe a<1>b<22> bba baa
	-- sub as dbt_utils.slugify: hello_world_2 _9_lives
	-- findall: ['1', '22', '333'] [('a', '1'), ('b', '2')] ['a', '']
	EOF2
	need_dbt
	dbt_in "$PWD" dbt_s compile >/dev/null
	for f in dates regex; do
		diff <(cat "$PWD.dbt/target/compiled/mods/models/$f.sql"; echo) "target/compiled/mods/models/$f.sql"
	done
}

@test "modules.datetime's now(), utcnow() and date.today() read the clock, in the zone asked for" {
	mkdir -p p/models
	printf 'name: clock\nconfig-version: 2\n' >p/dbt_project.yml
	cat >p/models/m.sql <<-'EOF2'
	-- {{ modules.datetime.datetime.now().strftime('%Y-%m-%d') }} {{ modules.datetime.date.today() }}
	-- {{ modules.datetime.datetime.utcnow().tzinfo }} {{ modules.datetime.datetime.now(modules.pytz.timezone('Asia/Tokyo')).utcoffset() }}
	select 1 as x
	EOF2
	local before after
	before=$(date +%Y-%m-%d)
	TZ=UTC run --separate-stderr "$BIN/modelrun" compile --project-dir p
	after=$(date +%Y-%m-%d)
	assert_success
	run head -n 2 p/target/compiled/clock/models/m.sql
	if [ "$before" = "$after" ]; then
		assert_line "-- $before $before"
	fi
	assert_line "-- None 9:00:00"
}

@test "a date that does not exist, an unknown zone, a bad pattern or a module function modelrun lacks fail naming file:line" {
	mkdir -p p/models
	printf 'name: merr\nconfig-version: 2\n' >p/dbt_project.yml
	local body
	# what Python raises stops dbt's parse, and modelrun's load
	for body in "{{ modules.datetime.date(2021, 2, 29) }}" "{{ modules.pytz.timezone('Mars/Olympus') }}" \
		"{{ modules.pytz.timezone('../etc/passwd') }}" "{{ modules.re.sub('(', 'x', 'y') }}"; do
		printf 'select 1 as x\n-- %s\n' "$body" >p/models/m.sql
		run --separate-stderr "$BIN/modelrun" compile --project-dir p
		assert_failure 3
		assert_stderr_line --partial "p/models/m.sql:2: "
	done
	# strptime's %U is there in dbt: lacking it fails the model, not the load
	printf 'select 1 as x\n-- %s\n' "{{ modules.datetime.datetime.strptime('2021 01', '%Y %U') }}" >p/models/m.sql
	run --separate-stderr "$BIN/modelrun" compile --project-dir p
	assert_failure 1
	assert_stderr_line "modelrun: p/models/m.sql:2: unsupported construct: strptime directive %U (modelrun's modules: see modelrun(1))"
	printf 'select 1 as x\n-- %s\n' "{{ modules.pytz.timezone('Mars/Olympus') }}" >p/models/m.sql
	run --separate-stderr "$BIN/modelrun" compile --project-dir p
	assert_stderr_line "modelrun: p/models/m.sql:2: modules.pytz.timezone('Mars/Olympus'): unknown time zone 'Mars/Olympus' (not in the time zone database)"
	printf 'select 1 as x\n-- %s\n' "{{ modules.datetime.date(2021, 2, 29) }}" >p/models/m.sql
	run --separate-stderr "$BIN/modelrun" compile --project-dir p
	assert_stderr_line "modelrun: p/models/m.sql:2: ValueError: day is out of range for month"
}

@test "dbt_date's integration project: modelrun builds its 6 models and dqcheck passes its 36 tests, as under dbt" {
	need_packages
	local dbt_flag=--no-dbt
	[ ! -x "$DBT_REF" ] || dbt_flag=
	# shellcheck disable=SC2086
	run --separate-stderr env ELT_SUITE_DB="$DB" ELT_DBT="$DBT_REF" ELT_DBT_PACKAGES="$DBT_PACKAGES" \
		"$REPO/scripts/pkg-suite-dbt-date.sh" --keep "$PWD/suite" $dbt_flag
	assert_success
	# what modelrun reached; fewer is a regression (the package has no seeds)
	assert_line "modelrun: seeds 0 ok 0 failed; models 6 ok 0 failed; tests 36 pass 0 fail"
	refute_line --partial "stopped:"
	need_dbt
	assert_line "dbt:      seeds 0 ok 0 failed; models 6 ok 0 failed; tests 36 pass 0 fail"
	local m
	for m in dates dim_date dim_date_fiscal dim_hour dim_week test_dates; do
		same_relation "mr_date.$m" "dbt_date_ref.$m"
	done
}

@test "adapter.get_columns_in_relation finds a relation in a schema that needs quoting, with a quote in a column name" {
	mkdir -p p/models
	printf 'name: cols\nconfig-version: 2\nprofile: mr\n' >p/dbt_project.yml
	# (a quote in the schema's name would do here too, but dbt-postgres
	# fails on it: it prints the name into a literal)
	printf '%s\n' "{{ config(schema='O k') }}" "select 1 as \"a'b\", 'x'::text as c" >p/models/src.sql
	cat >p/models/cols.sql <<-'EOF2'
	{% set cols = adapter.get_columns_in_relation(ref('src')) %}
	select {% for c in cols %}'{{ c.name | replace("'", "''") }} {{ c.data_type }}' as col{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}
	EOF2
	run --separate-stderr "$BIN/modelrun" run --project-dir p
	assert_success
	assert_equal "$(sql -c "select col1 || ', ' || col2 from analytics.cols")" "a'b integer, c text"
	need_dbt
	dbt_in p dbt_s run >/dev/null
	same_relation analytics.cols dbt_s.cols
}

@test "dbt_utils' own tests of slugify, pretty_time and pretty_log_format (modules.re, modules.datetime) pass under dqcheck" {
	need_packages
	mkdir -p p/models p/tests p/macros p/dbt_packages
	printf 'name: jh\nconfig-version: 2\nprofile: mr\n' >p/dbt_project.yml
	printf 'select 1 as x\n' >p/models/one.sql
	cp -r "$DBT_PACKAGES/dbt_utils" p/dbt_packages/
	# (the third calls pretty_log_format() without its argument, which
	# Jinja binds as its undefined and prints as nothing)
	cp "$DBT_PACKAGES"/dbt_utils/integration_tests/tests/jinja_helpers/{test_slugify,assert_pretty_time_is_string,assert_pretty_output_msg_is_string}.sql p/tests/
	cp "$DBT_PACKAGES/dbt_utils/integration_tests/macros/limit_zero.sql" p/macros/
	"$BIN/modelrun" run -q --project-dir p
	run --separate-stderr "$BIN/dqcheck" --project-dir p
	assert_success
	assert_stderr_line --partial "PASS  test_slugify: 0 failing rows"
	assert_stderr_line --partial "PASS  assert_pretty_time_is_string: 0 failing rows"
	assert_stderr_line --partial "PASS  assert_pretty_output_msg_is_string: 0 failing rows"
}

# ---- issue 17: remaining differences from dbt ----

# compiled_as FILE LINES: modelrun compiles project p (with its profiles.yml
# when it has one), and the first LINES
# lines of its target/compiled/FILE are stdin (what dbt gives, written out
# so that the test checks something where dbt is absent); then, where dbt
# is installed, dbt compiles p to the same text.
compiled_as() {
	local prof=()
	[ ! -e p/profiles.yml ] || prof=(--profiles-dir p)
	run --separate-stderr "$BIN/modelrun" compile --project-dir p "${prof[@]}"
	assert_success
	run head -n "$2" "p/target/compiled/$1"
	assert_output -
	need_dbt
	dbt_in p dbt_s compile >/dev/null
	diff <(cat "p.dbt/target/compiled/$1"; echo) "p/target/compiled/$1"
}

@test "a macro's argument left out is Jinja's undefined: it prints, joins, filters and iterates as in dbt" {
	mkdir -p p/models p/macros
	printf 'name: und\nconfig-version: 2\n' >p/dbt_project.yml
	cat >p/macros/show.sql <<-'EOF2'
	{% macro show(a, b, c) -%}
	[{{ b }}][{{ 'x' ~ b ~ 'y' }}][{{ b is defined }}][{{ b is none }}][{{ b is string }}][{{ b is iterable }}]
	[{{ b | length }}][{{ b | upper }}][{{ b | trim }}][{{ b | replace('a', 'b') }}][{{ b | default('d') }}][{{ b | list }}]
	[{{ b | join(',') }}][{{ b | first }}][{{ b | sort }}][{{ b | map('upper') | list }}][{{ b | select | list }}][{{ b | as_text }}]
	[{% for i in b %}{{ i }}{% else %}empty{% endfor %}][{{ 1 in b }}][{{ b in [1, 2] }}][{{ b == none }}][{{ b == c }}][{{ not b }}]
	[{{ b or 'o' }}][{{ [a, b] }}][{{ {'k': b} }}]{% set y = b %}[{{ y is defined }}][{{ inner(b) }}][{{ back(b) is defined }}]
	{%- endmacro %}
	{% macro inner(x) %}{{ x is defined }}{% endmacro %}
	{% macro back(x) %}{{ return(x) }}{% endmacro %}
	EOF2
	printf '%s\n' "select '{{ show(1) }}' as x, '{{ ([] | first) ~ (\"a\" if false) ~ \"z\" }}' as y" >p/models/m.sql
	# what Jinja 3.1 gives
	compiled_as und/models/m.sql 5 <<-'EOF2'
	select '[][xy][False][False][False][True]
	[0][][][][d][[]]
	[][][[]][[]][[]][]
	[empty][False][False][False][True][True]
	[o][[1, Undefined]][{'k': Undefined}][False][False][False]' as x, 'z' as y
	EOF2
}

@test "arithmetic, attributes, subscripts, int and tojson of a macro's argument left out fail naming file:line, as in dbt" {
	mkdir -p p/models p/macros
	printf 'name: und\nconfig-version: 2\n' >p/dbt_project.yml
	printf '%s\n' "select {{ use(1) }} as x" >p/models/m.sql
	local body
	for body in "b + 1" "1 - b" "b < 2" "-b" "b.x" "b[0]" "b | int" "b | tojson" "b | round"; do
		printf '%s\n' "{% macro use(a, b) %}" "{{ $body }}" "{% endmacro %}" >p/macros/use.sql
		run --separate-stderr "$BIN/modelrun" compile --project-dir p
		# dbt's parse stops on it, and so does modelrun's load
		assert_failure 3
		assert_stderr_line "modelrun: p/macros/use.sql:2: 'b' is undefined: macro 'use' was called without it (in model p/models/m.sql)"
	done
	need_dbt
	for body in "b + 1" "b.x" "b | int"; do
		printf '%s\n' "{% macro use(a, b) %}" "{{ $body }}" "{% endmacro %}" >p/macros/use.sql
		run dbt_in p dbt_s compile
		assert_failure
		assert_line --partial "parameter 'b' was not provided"
	done
}

@test "modules.datetime's strptime and fromisoformat read dates, times and offsets as dbt's Python does" {
	mkdir -p p/models
	printf 'name: iso\nconfig-version: 2\n' >p/dbt_project.yml
	cat >p/models/m.sql <<-'EOF2'
	-- strptime: {{ modules.datetime.datetime.strptime('2021-03-04 05:06:07', '%Y-%m-%d %H:%M:%S') }} {{ modules.datetime.datetime.strptime('Fri 1 jan 21 1:02:03 pm', '%a %d %b %y %I:%M:%S %p') }} {{ modules.datetime.datetime.strptime('Thursday, 04 March 2021', '%A, %d %B %Y').date() }}
	-- strptime: {{ modules.datetime.datetime.strptime('2021 366', '%Y %j') }} {{ modules.datetime.datetime.strptime('063/2020', '%j/%Y') }} {{ modules.datetime.datetime.strptime('12.5', '%S.%f') }} {{ modules.datetime.datetime.strptime('2021%', '%Y%%') }}
	-- zones: {{ modules.datetime.datetime.strptime('2021-01-01 +0530', '%Y-%m-%d %z') }} {{ modules.datetime.datetime.strptime('2021-01-01 +0530', '%Y-%m-%d %z').tzinfo }} {{ modules.datetime.datetime.strptime('2021-01-01 Z', '%Y-%m-%d %z').tzinfo }} {{ modules.datetime.datetime.strptime('2021-01-01 UTC', '%Y-%m-%d %Z').tzinfo }} {{ modules.datetime.datetime.strptime('2021-06-01 12:00 -0800', '%Y-%m-%d %H:%M %z').astimezone(modules.pytz.utc) }}
	-- strftime: {{ modules.datetime.datetime.strptime('20210304', '%Y%m%d').strftime('%d/%m/%Y') }} {{ modules.datetime.datetime.strptime('2021-01-01 +0530', '%Y-%m-%d %z').utcoffset() }}
	-- iso: {{ modules.datetime.datetime.fromisoformat('2021-03-04') }} {{ modules.datetime.datetime.fromisoformat('2021-03-04T05:06:07.1234567') }} {{ modules.datetime.datetime.fromisoformat('2021-03-04 05:06') }} {{ modules.datetime.datetime.fromisoformat('20210304T050607,25') }}
	-- iso: {{ modules.datetime.datetime.fromisoformat('2021-03-04T05:06:07Z') }} {{ modules.datetime.datetime.fromisoformat('2021-03-04T05:06:07+05:30').tzinfo }} {{ modules.datetime.datetime.fromisoformat('2021-03-04T05:06:07-0800') }} {{ modules.datetime.datetime.fromisoformat('2021-03-04T05+05') }}
	-- iso: {{ modules.datetime.date.fromisoformat('2021-03-04') }} {{ modules.datetime.date.fromisoformat('20210304') }} {{ modules.datetime.date.fromisoformat('2021-W01-1') }} {{ modules.datetime.date.fromisoformat('2020W537') }} {{ modules.datetime.date.fromisoformat('2021-W10') }} {{ modules.datetime.date.fromisoformat('2021-03-04') + modules.datetime.timedelta(days=30) }}
	select 1 as x
	EOF2
	# what Python 3.11 gives
	compiled_as iso/models/m.sql 7 <<-'EOF2'
	-- strptime: 2021-03-04 05:06:07 2021-01-01 13:02:03 2021-03-04
	-- strptime: 2022-01-01 00:00:00 2020-03-03 00:00:00 1900-01-01 00:00:12.500000 2021-01-01 00:00:00
	-- zones: 2021-01-01 00:00:00+05:30 UTC+05:30 UTC None 2021-06-01 20:00:00+00:00
	-- strftime: 04/03/2021 5:30:00
	-- iso: 2021-03-04 00:00:00 2021-03-04 05:06:07.123456 2021-03-04 05:06:00 2021-03-04 05:06:07.250000
	-- iso: 2021-03-04 05:06:07+00:00 UTC+05:30 2021-03-04 05:06:07-08:00 2021-03-04 05:00:00+05:00
	-- iso: 2021-03-04 2021-03-04 2021-01-04 2021-01-03 2021-03-08 2021-04-03
	EOF2
}

# compile_fails_as: for each line "CALL|MESSAGE|DBT_MESSAGE" of stdin,
# project p's model m, printing CALL on its line 2, fails to load with
# MESSAGE naming that line, and under dbt (where it is installed) with the
# error line DBT_MESSAGE.
compile_fails_as() {
	local call want dbt_want
	while IFS='|' read -r call want dbt_want; do
		printf 'select 1 as x\n-- {{ %s }}\n' "$call" >p/models/m.sql
		# (stdin is the list being read: neither may take it)
		run --separate-stderr "$BIN/modelrun" compile --project-dir p </dev/null
		assert_failure 3
		assert_stderr_line "modelrun: p/models/m.sql:2: $want"
		[ -x "$DBT_REF" ] || continue
		run dbt_in p dbt_s compile </dev/null
		assert_failure
		assert_line "  $dbt_want"
	done
}

@test "strptime and fromisoformat fail with Python's ValueError naming file:line where the text does not fit" {
	mkdir -p p/models
	printf 'name: iso\nconfig-version: 2\n' >p/dbt_project.yml
	compile_fails_as <<-'EOF2'
	modules.datetime.datetime.strptime('x2021', '%Y')|ValueError: time data 'x2021' does not match format '%Y'|time data 'x2021' does not match format '%Y'
	modules.datetime.datetime.strptime("it's", '%Y')|ValueError: time data "it's" does not match format '%Y'|time data "it's" does not match format '%Y'
	modules.datetime.datetime.strptime('2021x', '%Y')|ValueError: unconverted data remains: x|unconverted data remains: x
	modules.datetime.datetime.strptime('2021', '%Q')|ValueError: 'Q' is a bad directive in format '%Q'|'Q' is a bad directive in format '%Q'
	modules.datetime.datetime.strptime('2021', '%Y%')|ValueError: stray % in format '%Y%'|stray % in format '%Y%'
	modules.datetime.datetime.strptime('2021-02-30', '%Y-%m-%d')|ValueError: day is out of range for month|day is out of range for month
	modules.datetime.date.fromisoformat('2021-3-4')|ValueError: Invalid isoformat string: '2021-3-4'|Invalid isoformat string: '2021-3-4'
	modules.datetime.datetime.fromisoformat('2021-03-04T24:00')|ValueError: hour must be in 0..23|hour must be in 0..23
	EOF2
}

@test "pytz's localize() with is_dst True, False or None, and after 2037, gives what dbt's pytz gives" {
	mkdir -p p/models
	printf 'name: tz\nconfig-version: 2\n' >p/dbt_project.yml
	cat >p/models/m.sql <<-'EOF2'
	{%- set ny = modules.pytz.timezone('America/New_York') -%}
	-- gap: {{ ny.localize(modules.datetime.datetime(2021, 3, 14, 2, 30)) }} {{ ny.localize(modules.datetime.datetime(2021, 3, 14, 2, 30), is_dst=True) }} {{ ny.localize(modules.datetime.datetime(2021, 3, 14, 2, 30), is_dst=False) }}
	-- twice: {{ ny.localize(modules.datetime.datetime(2021, 11, 7, 1, 30)) }} {{ ny.localize(modules.datetime.datetime(2021, 11, 7, 1, 30), True) }} {{ ny.utcoffset(modules.datetime.datetime(2021, 11, 7, 1, 30), is_dst=False) }}
	-- once: {{ ny.localize(modules.datetime.datetime(2021, 6, 1, 12), is_dst=None) }} {{ ny.utcoffset(modules.datetime.datetime(2021, 6, 1)) }} {{ ny.tzname(modules.datetime.datetime(2021, 1, 1)) }}
	-- after 2037: {{ ny.localize(modules.datetime.datetime(2037, 7, 1)) }} {{ ny.localize(modules.datetime.datetime(2038, 7, 1)) }} {{ ny.localize(modules.datetime.datetime(2040, 7, 1)) }} {{ ny.localize(modules.datetime.datetime(2040, 3, 11, 2, 30), is_dst=None) }}
	-- after 2037: {{ modules.datetime.datetime(2040, 7, 1, 12, tzinfo=modules.pytz.utc).astimezone(ny) }} {{ modules.pytz.timezone('Europe/Paris').localize(modules.datetime.datetime(2045, 8, 1)) }} {{ modules.pytz.timezone('Australia/Sydney').localize(modules.datetime.datetime(2045, 1, 1)) }}
	select 1 as x
	EOF2
	# what pytz gives on Debian: its zones end with their last transition,
	# in 2037 (New York stays on EST after)
	compiled_as tz/models/m.sql 5 <<-'EOF2'
	-- gap: 2021-03-14 02:30:00-05:00 2021-03-14 02:30:00-04:00 2021-03-14 02:30:00-05:00
	-- twice: 2021-11-07 01:30:00-05:00 2021-11-07 01:30:00-04:00 -1 day, 19:00:00
	-- once: 2021-06-01 12:00:00-04:00 -1 day, 20:00:00 EST
	-- after 2037: 2037-07-01 00:00:00-04:00 2038-07-01 00:00:00-05:00 2040-07-01 00:00:00-05:00 2040-03-11 02:30:00-05:00
	-- after 2037: 2040-07-01 07:00:00-05:00 2045-08-01 00:00:00+01:00 2045-01-01 00:00:00+11:00
	EOF2
}

@test "pytz's localize(is_dst=None), utcoffset() and tzname() refuse a time that happens twice or never, naming file:line" {
	mkdir -p p/models
	printf 'name: tz\nconfig-version: 2\n' >p/dbt_project.yml
	# dbt prints the exception's text only
	compile_fails_as <<-'EOF2'
	modules.pytz.timezone('America/New_York').localize(modules.datetime.datetime(2021, 3, 14, 2, 30), is_dst=None)|pytz.exceptions.NonExistentTimeError: 2021-03-14 02:30:00|2021-03-14 02:30:00
	modules.pytz.timezone('America/New_York').localize(modules.datetime.datetime(2021, 11, 7, 1, 30), None)|pytz.exceptions.AmbiguousTimeError: 2021-11-07 01:30:00|2021-11-07 01:30:00
	modules.pytz.timezone('America/New_York').utcoffset(modules.datetime.datetime(2021, 11, 7, 1, 30))|pytz.exceptions.AmbiguousTimeError: 2021-11-07 01:30:00|2021-11-07 01:30:00
	modules.pytz.timezone('Europe/Paris').tzname(modules.datetime.datetime(2021, 3, 28, 2, 30))|pytz.exceptions.NonExistentTimeError: 2021-03-28 02:30:00|2021-03-28 02:30:00
	EOF2
}

# graph_project: a project whose model graph_list prints what graph.nodes
# and graph.sources hold (sorted: dbt's order of them depends on its
# partial parse), with a profile of the suite's server whose target
# schema is dbt_s, so that modelrun and dbt place every node alike.
graph_project() {
	mkdir -p p/models/sub p/seeds p/macros
	cat >p/dbt_project.yml <<-'EOF2'
	name: gr
	config-version: 2
	profile: mr
	models:
	  gr:
	    sub:
	      +materialized: table
	      +tags: ['t1']
	EOF2
	pg_dbt_profile mr dbt_s >p/profiles.yml
	printf 'id,name\n1,a\n' >p/seeds/s1.csv
	printf '%s\n' "{{ config(tags=['x'], alias='aa', meta={'owner': 'ann'}) }}" "select * from {{ ref('s1') }}" >p/models/sub/a.sql
	printf '%s\n' "{{ config(materialized='incremental', unique_key='id', incremental_strategy='delete+insert') }}" \
		"select id from {{ source('raw', 'events') }}" >p/models/inc.sql
	printf '%s\n' "{{ config(enabled=false) }}" "select 1 as x" >p/models/off.sql
	cat >p/models/schema.yml <<-'EOF2'
	version: 2
	sources:
	  - name: raw
	    schema: raw_s
	    tables:
	      - name: events
	        description: ev
	        columns:
	          - name: id
	            description: the id
	models:
	  - name: graph_list
	    description: the graph
	    columns:
	      - name: id
	        description: The id
	        data_type: integer
	      - name: other
	EOF2
	cat >p/macros/show.sql <<-'EOF2'
	{% macro show_graph() %}
	{%- for node in graph.nodes.values() | sort(attribute='unique_id') %}
	-- {{ node.unique_id }} {{ node.name }} {{ node.resource_type }} {{ node.package_name }} {{ node.path }} {{ node.original_file_path }} {{ node.schema }} {{ node.database }} {{ node.alias }} {{ node.tags }} {{ node.fqn }} {{ node.relation_name }}
	--   config: {{ node.config.materialized }} {{ node.config.schema }} {{ node.config.alias }} {{ node.config.tags }} {{ node.config.enabled }} {{ node.config.unique_key }} {{ node.config.incremental_strategy }} {{ node.config.meta }} {{ node.meta }}
	--   depends_on: {{ node.depends_on.nodes | list }} {{ node.depends_on.macros }} refs {{ node.refs }} sources {{ node.sources }} {{ node.description }} {{ node.language }}|
	{%- for c in node.columns.values() %}
	--   column {{ c.name }} {{ c.description }} {{ c.data_type }} {{ c.meta }} {{ c.tags }}
	{%- endfor %}
	{%- endfor %}
	{%- for s in graph.sources.values() %}
	-- {{ s.unique_id }} {{ s.name }} {{ s.resource_type }} {{ s.source_name }} {{ s.identifier }} {{ s.schema }} {{ s.path }} {{ s.fqn }} {{ s.relation_name }} {{ s.description }} {{ s.columns.id.description }}
	{%- endfor %}
	-- keys: {{ graph.keys() | list }}
	{% endmacro %}
	EOF2
	cat >p/models/graph_list.sql <<-'EOF2'
	{% if execute %}{{ show_graph() }}{% endif %}
	-- models: {% for n in graph.nodes.values() | selectattr("resource_type", "equalto", "model") | sort(attribute="name") %}{{ n.name }}={{ n.config.materialized }} {% endfor %}|
	select 1 as id, 1 as other{% set x = ref('a') %}
	EOF2
}

@test "graph.nodes and graph.sources hold the project's models, seeds and sources with dbt's fields, as in dbt" {
	graph_project
	# what dbt 1.11 gives (a seed's depends_on.nodes is [] here,
	# undefined in dbt: both list as [])
	compiled_as gr/models/graph_list.sql 20 <<-EOF2

	-- model.gr.a a model gr sub/a.sql models/sub/a.sql dbt_s $PGDATABASE aa ['t1', 'x'] ['gr', 'sub', 'a'] "$PGDATABASE"."dbt_s"."aa"
	--   config: table None aa ['t1', 'x'] True None None {'owner': 'ann'} {'owner': 'ann'}
	--   depends_on: ['seed.gr.s1'] [] refs [{'name': 's1', 'package': None, 'version': None}] sources []  sql|
	-- model.gr.graph_list graph_list model gr graph_list.sql models/graph_list.sql dbt_s $PGDATABASE graph_list [] ['gr', 'graph_list'] "$PGDATABASE"."dbt_s"."graph_list"
	--   config: view None None [] True None None {} {}
	--   depends_on: ['model.gr.a'] [] refs [{'name': 'a', 'package': None, 'version': None}] sources [] the graph sql|
	--   column id The id integer {} []
	--   column other  None {} []
	-- model.gr.inc inc model gr inc.sql models/inc.sql dbt_s $PGDATABASE inc [] ['gr', 'inc'] "$PGDATABASE"."dbt_s"."inc"
	--   config: incremental None None [] True id delete+insert {} {}
	--   depends_on: ['source.gr.raw.events'] [] refs [] sources [['raw', 'events']]  sql|
	-- seed.gr.s1 s1 seed gr s1.csv seeds/s1.csv dbt_s $PGDATABASE s1 [] ['gr', 's1'] "$PGDATABASE"."dbt_s"."s1"
	--   config: seed None None [] True None None {} {}
	--   depends_on: [] [] refs  sources   |
	-- source.gr.raw.events events source raw events raw_s models/schema.yml ['gr', 'raw', 'events'] "$PGDATABASE"."raw_s"."events" ev the id
	-- keys: ['exposures', 'functions', 'groups', 'metrics', 'nodes', 'sources', 'semantic_models', 'saved_queries']

	-- models: a=table graph_list=view inc=incremental |
	select 1 as id, 1 as other
	EOF2
}

@test "graph is empty while the project is parsed, as dbt's is: a loop over graph.nodes without 'if execute' runs no times" {
	graph_project
	# the parse renders every model once, with execute false
	cat >p/models/graph_list.sql <<-'EOF2'
	{% for n in graph.nodes.values() %}{% do exceptions.raise_compiler_error('parse saw ' ~ n.unique_id) if not execute %}{% endfor %}
	select {{ graph.nodes | length }} as nodes, {{ graph.sources | length }} as sources
	EOF2
	printf '\n%s\n' "select 4 as nodes, 1 as sources" | compiled_as gr/models/graph_list.sql 2
}
