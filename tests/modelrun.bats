#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# modelrun: templating, materializations, the graph, selection, threads,
# the lock, seeds and the sales warehouse, against the suite's server.
# Every test copies the fixture it needs into its temp dir and works in a
# database of its own.

load helpers/common

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
	cat >"$dir.dbt/profiles.yml" <<-EOF
	$prof:
	  target: dev
	  outputs:
	    dev:
	      type: postgres
	      host: "$PGHOST"
	      port: $PGPORT
	      user: "$PGUSER"
	      password: ""
	      dbname: "$PGDATABASE"
	      schema: "$schema"
	      threads: 1
	EOF
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
	assert_line --index 0 --partial "usage: modelrun run|seed|compile|ls|graph"
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
		"usage: modelrun run|seed|compile|ls|graph|deps [--project-dir DIR] [--schema S]"
	run --separate-stderr "$BIN/modelrun"
	assert_failure 2
	assert_equal "$(printf '%s\n' "$stderr" | head -1)" "modelrun: a command is needed: run, seed, compile, ls, graph or deps"
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
		'"analytics"."customer_totals"'
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
	expected=$(printf '%s\n' '' '' '-- depends_on: "analytics"."base"' 'select' \
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

@test "templating errors name the file, the line and the construct, and nothing runs" {
	cp -r "$DATA/dbt/bad" .
	cd bad
	run --separate-stderr "$BIN/modelrun" run --project-dir filter_in_model
	assert_failure 3
	assert_equal "$stderr" "modelrun: filter_in_model/models/shout.sql:3: unsupported construct: filter 'wordwrap' (not in modelrun's Jinja subset)"
	cd macro_tag
	run --separate-stderr "$BIN/modelrun" compile
	assert_failure 3
	assert_equal "$stderr" "modelrun: models/m.sql:1: unsupported construct: '{% import %}' (not in modelrun's Jinja subset)"
	cd ..
	run --separate-stderr "$BIN/modelrun" ls --project-dir unclosed_if
	assert_failure 3
	assert_equal "$stderr" "modelrun: unclosed_if/models/m.sql:2: 'if' is never closed with 'endif'"
	run --separate-stderr "$BIN/modelrun" ls --project-dir unknown_ref
	assert_failure 3
	assert_equal "$stderr" "modelrun: unknown_ref/models/m.sql:4: ref('missing'): no model or seed is called 'missing'"
	run --separate-stderr "$BIN/modelrun" ls --project-dir undeclared_source
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
	assert_equal "$stderr" "modelrun: unknown selector method 'colour' in 'colour:red' (tag, path, source, fqn, resource_type, config.materialized)"
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

@test "modelrun seed infers integer, bigint, numeric, date, timestamp, boolean and text; column_types override" {
	project seeds
	run --separate-stderr "$BIN/modelrun" seed
	assert_success
	printf '%s\n' "$stderr" | grep -q 'OK analytics.typed (seed, 3 rows, [0-9.]* s)'
	assert_equal "$(sql -c "select string_agg(column_name || ':' || data_type, ' ' order by ordinal_position) from information_schema.columns where table_name = 'typed'")" \
		"i:integer big:bigint n:numeric d:date ts:timestamp without time zone tstz:timestamp with time zone b:boolean t:text code:character varying empty:text"
	assert_equal "$(sql -c "select t from analytics.typed where i = -2")" "with, comma"
	# bigint's whole range, 19 digits; one past it is numeric
	assert_equal "$(sql -c "select max(big) || ' ' || min(big) || ' ' || max(n) from analytics.typed")" \
		"9223372036854775807 -9223372036854775808 9223372036854775808"
	assert_equal "$(sql -c "select count(*) from analytics.typed where i is null and empty is null")" 1
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
	sed -i 's/^on-run-start:/on-run-start: "select * from nowhere"\nold-on-run-start:/' dbt_project.yml
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
