#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# dqcheck: data tests from a dbt project's schema files and tests/, run
# against the suite's PostgreSQL. Each test copies a fixture project from
# tests/data/dqcheck into its temp dir and creates the tables in schemas of
# its own (named after the test's number), so tests never share data.

load helpers/common
load helpers/pg # pg_dbt_profile

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	S=dqc_$BATS_TEST_NUMBER
	RAW=${S}_raw
}

teardown() {
	sql -c "drop schema if exists $S cascade; drop schema if exists $RAW cascade;
		drop schema if exists ${S}_dbt_test__audit cascade" >/dev/null 2>&1 || true
}

# shop: copies the shop project to ./proj and loads its clean tables.
shop() {
	cp -r "$DATA/dqcheck/shop" proj
	sed -i "s/__RAW__/$RAW/" proj/models/schema.yml
	sql -v s="$S" -v raw="$RAW" -f "$DATA/dqcheck/shop.sql"
}

# config_project: the config fixture over a table items of its own.
config_project() {
	cp -r "$DATA/dqcheck/config" proj
	sql -c "create schema $S; create table $S.items (id int, kind text, a int, b int, c int, d int)"
}

dq() {
	"$BIN/dqcheck" --project-dir proj --schema "$S" "$@"
}

@test "dqcheck passes every test type on clean data and exits 0" {
	shop
	run --separate-stderr dq
	assert_success
	assert_output ""
	for t in source_not_null_raw_events_event_id source_unique_raw_events_event_id not_null_customers_id \
		accepted_values_customers_tier__gold__silver__bronze unique_customers_id \
		expression_is_true_orders_amount_0 not_null_orders_id not_null_orders_customer_id \
		accepted_values_orders_status__placed__shipped__returned accepted_values_orders_quantity__False__1__2__3 \
		unique_orders_id relationships_orders_customer_id__id__ref_customers_ \
		equal_rowcount_order_facts_ref_orders_ equal_sums_daily_revenue_7b1ab8a74dc40059c7c890b0b6455453 \
		big_orders no_future_orders; do
		assert_stderr_line -e -- "^PASS  $t: 0 failing rows, [0-9.]+ s$" || fail "no PASS line for $t: $stderr"
	done
	assert_stderr_line -e -- '^PASS  source_freshness_raw_events: last loaded [0-9.]+ minutes ago \(warn after 12.0 hours, error after 24.0 hours\)'
	assert_equal "$(tail -n 1 <<<"$stderr" | sed 's/ in .*//')" "dqcheck: 17 tests: 17 passed, 0 warned, 0 failed, 0 errors"
}

@test "dqcheck not_null fails on a null, shows the row and exits 1" {
	shop
	sql -c "insert into $S.orders values (9, null, 'placed', 1, 1.00, '2026-01-01')"
	run --separate-stderr dq -s not_null_orders_customer_id
	assert_failure 1
	assert_equal "${stderr_lines[0]}" "FAIL  not_null_orders_customer_id: 1 failing row, ${stderr_lines[0]##*, }"
	assert_equal "${stderr_lines[1]}" "      id | customer_id | status | quantity | amount | ordered_at"
	assert_equal "${stderr_lines[2]}" "      9 | NULL | placed | 1 | 1.00 | 2026-01-01"
}

@test "dqcheck unique counts duplicated values, not rows, as dbt does" {
	shop
	sql -c "insert into $S.customers values (1, 'A2', 'gold'), (1, 'A3', 'gold'), (2, 'B2', 'gold'), (null, 'n', 'gold'), (null, 'n', 'gold')"
	run --separate-stderr dq -s unique_customers_id
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  unique_customers_id: 2 failing rows'
	assert_stderr_line -e -- '^      1 \| 3$'
	assert_stderr_line -e -- '^      2 \| 2$'
}

@test "dqcheck accepted_values counts distinct bad values, ignores nulls, and compares numbers unquoted" {
	shop
	sql -c "insert into $S.orders values (5, 1, 'lost', 4, 1, '2026-01-01'), (6, 1, 'lost', 1, 1, '2026-01-01'),
		(7, 1, 'stolen', 1, 1, '2026-01-01'), (8, 1, null, 1, 1, '2026-01-01')"
	run --separate-stderr dq -s accepted_values_orders_status__placed__shipped__returned -s accepted_values_orders_quantity__False__1__2__3
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  accepted_values_orders_status__placed__shipped__returned: 2 failing rows'
	assert_stderr_line -e -- '^      lost \| 2$'
	assert_stderr_line -e -- '^      stolen \| 1$'
	assert_stderr_line -e -- '^FAIL  accepted_values_orders_quantity__False__1__2__3: 1 failing row'
	assert_stderr_line -e -- '^      4 \| 1$'
}

@test "dqcheck relationships fails for each child row without a parent" {
	shop
	sql -c "insert into $S.orders values (5, 42, 'placed', 1, 1, '2026-01-01'), (6, 42, 'placed', 1, 1, '2026-01-01'), (7, null, 'placed', 1, 1, '2026-01-01')"
	run --separate-stderr dq -s relationships_orders_customer_id__id__ref_customers_
	assert_failure 1
	assert_equal "${stderr_lines[0]%,*}" "FAIL  relationships_orders_customer_id__id__ref_customers_: 2 failing rows"
	assert_equal "${stderr_lines[1]}" "      from_field"
	assert_equal "${stderr_lines[2]}" "      42"
}

@test "dqcheck expression_is_true fails the rows where the expression is false, not where it is null" {
	shop
	sql -c "insert into $S.orders values (5, 1, 'placed', 1, -2, '2026-01-01'), (6, 1, 'placed', 1, null, '2026-01-01')"
	run --separate-stderr dq -s expression_is_true_orders_amount_0
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  expression_is_true_orders_amount_0: 1 failing row'
	assert_stderr_line -e -- '^      5 \| 1 \| placed \| 1 \| -2.00 \| 2026-01-01$'
}

@test "dqcheck reconciles row counts and sums per key between a mart and its source" {
	shop
	run --separate-stderr dq -s order_facts -s daily_revenue
	assert_success
	# a late order for an old day: staging has it, the mart does not yet
	sql -c "insert into $S.orders values (5, 1, 'placed', 1, 7.50, '2026-01-02')"
	run --separate-stderr dq -s order_facts -s daily_revenue
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  equal_rowcount_order_facts_ref_orders_: 1 failing row'
	assert_stderr_line -e -- '^      4 \| 5 \| -1$'
	assert_stderr_line -e -- '^FAIL  equal_sums_daily_revenue_7b1ab8a74dc40059c7c890b0b6455453: 1 failing row'
	assert_stderr_line -e -- '^      day \| sum_a \| sum_b$'
	assert_stderr_line -e -- '^      2026-01-02 \| 5.25 \| 12.75$'
}

@test "dqcheck source freshness passes, warns after warn_after and fails after error_after" {
	shop
	run --separate-stderr dq -s test_type:freshness
	assert_success
	sql -c "update $RAW.events set loaded_at = now() - interval '13 hours'"
	run --separate-stderr dq -s test_type:freshness
	assert_success
	assert_stderr_line -e -- '^WARN  source_freshness_raw_events: last loaded 13.0 hours ago \(warn after 12.0 hours, error after 24.0 hours\)'
	sql -c "update $RAW.events set loaded_at = now() - interval '3 days'"
	run --separate-stderr dq -s test_type:freshness
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  source_freshness_raw_events: last loaded 3.0 days ago'
	sql -c "delete from $RAW.events"
	run --separate-stderr dq -s test_type:freshness
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  source_freshness_raw_events: no rows, so no last load time'
}

@test "dqcheck source freshness merges the table's block into its source's and reads loaded_at_field under config" {
	shop
	python3 - proj/models/schema.yml <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("    loaded_at_field: loaded_at\n", "    config:\n      loaded_at_field: loaded_at\n")
s = s.replace("      - name: events\n", "      - name: events\n        freshness:\n          warn_after: {count: 1, period: hour}\n")
open(p, "w").write(s)
PY
	sql -c "update $RAW.events set loaded_at = now() - interval '2 hours'"
	run --separate-stderr dq -s test_type:freshness
	assert_success
	assert_stderr_line -e -- '^WARN  source_freshness_raw_events: last loaded 2.0 hours ago \(warn after 60.0 minutes, error after 24.0 hours\)'
	# the source's error_after still holds
	sql -c "update $RAW.events set loaded_at = now() - interval '3 days'"
	run --separate-stderr dq -s test_type:freshness
	assert_failure 1
	# freshness: null on the table turns it off
	sed -i 's/^        freshness:$/        freshness: null/; /warn_after: {count: 1, period: hour}/d' proj/models/schema.yml
	run --separate-stderr dq -s test_type:freshness
	assert_equal "$stderr" "dqcheck: no tests to run in proj with this selection"
}

@test "dqcheck source freshness reads a timestamp without time zone as UTC, whatever the session's zone" {
	shop
	sql -c "alter table $RAW.events alter loaded_at type timestamp using loaded_at at time zone 'UTC';
		update $RAW.events set loaded_at = (now() at time zone 'UTC') - interval '11 hours'"
	for tz in UTC Asia/Tokyo America/New_York; do
		PGTZ=$tz run --separate-stderr dq -s test_type:freshness
		assert_success
		assert_stderr_line -e -- '^PASS  source_freshness_raw_events: last loaded 11.0 hours ago' || fail "$tz: $stderr"
	done
}

@test "dqcheck singular tests fail when their query returns rows; config(severity='warn') only warns" {
	shop
	sql -c "insert into $S.orders values (5, 1, 'placed', 1, 5000, '2026-01-01')"
	run --separate-stderr dq -s test_type:singular
	assert_success
	assert_stderr_line -e -- '^WARN  big_orders: 1 failing row'
	assert_stderr_line -e -- '^PASS  no_future_orders: 0 failing rows'
	sql -c "insert into $S.orders values (6, 1, 'placed', 1, 1, current_date + 3)"
	run --separate-stderr dq -s test_type:singular
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  no_future_orders: 1 failing row'
	# tests/generic/ holds definitions of generic tests, not tests
	mkdir proj/tests/generic
	printf '{%% test is_positive(model, column_name) %%}\nselect 1\n{%% endtest %%}\n' >proj/tests/generic/is_positive.sql
	run --separate-stderr dq -s test_type:singular
	assert_failure 1
	assert_equal "$(grep -cE '^(PASS|WARN|FAIL) ' <<<"$stderr")" 2
	# a NUL byte would cut the SQL short without a word
	printf 'select 1\nwhere false \0 or true\n' >proj/tests/nul.sql
	run --separate-stderr dq -s nul
	assert_failure 3
	assert_equal "$stderr" "dqcheck: proj/tests/nul.sql:2: sql: contains a NUL byte"
}

@test "dqcheck names tests as dbt does: every argument sorted, values as Python shows them, namespaces kept" {
	shop
	cat >proj/models/names.yml <<-EOF
	version: 2
	models:
	  - name: customers
	    data_tests:
	      - dbt_utils.expression_is_true: {expression: "id > 0"}
	    columns:
	      - name: tier
	        data_tests:
	          - accepted_values: {values: [yes, 1_000, 1.50, "x y", "yes"], quote: true}
	EOF
	run --separate-stderr dq -s customers,test_type:generic
	assert_failure 1
	assert_stderr_line -e -- '^PASS  dbt_utils_expression_is_true_customers_id_0: '
	assert_stderr_line -e -- '^FAIL  accepted_values_customers_tier__True__True__1000__1_5__x_y__yes: '
}

@test "dqcheck tests a column declared with quote: true under its exact name" {
	shop
	sql -c "create table $S.cased (\"Status\" text, status text); insert into $S.cased values (null, 'x')"
	echo "select 1 as x" >proj/models/cased.sql
	cat >proj/models/cased.yml <<-EOF
	version: 2
	models:
	  - name: cased
	    columns:
	      - {name: Status, quote: true, data_tests: [not_null]}
	      - {name: STATUS, data_tests: [not_null]}
	EOF
	run --separate-stderr dq -s cased
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  not_null_cased_Status: 1 failing row'
	assert_stderr_line -e -- '^PASS  not_null_cased_STATUS: 0 failing rows'
}

@test "dqcheck renders var() and ref() in a test's where:" {
	shop
	cat >proj/models/where.yml <<-EOF
	version: 2
	models:
	  - name: order_facts
	    columns:
	      - name: customer_id
	        data_tests:
	          - accepted_values:
	              values: [1]
	              quote: false
	              config:
	                where: "ordered_at < '{{ var('cutoff', '2026-01-02') }}' and id in (select id from {{ ref('orders') }})"
	EOF
	run --separate-stderr dq -s order_facts,test_type:generic --exclude equal_rowcount_order_facts_ref_orders_
	assert_failure 1
	# orders 1 and 2 are before the cutoff; customer 2 is not accepted
	assert_stderr_line -e -- '^FAIL  accepted_values_order_facts_customer_id__False__1: 1 failing row'
	run --separate-stderr dq -s accepted_values_order_facts_customer_id__False__1 --vars '{cutoff: 2026-01-01}'
	assert_success
}

@test "dqcheck severity warn turns a failure into a warning and exits 0" {
	config_project
	sql -c "insert into $S.items (id, kind, b) values (1, 'live', null)"
	run --separate-stderr dq -s not_null_items_b
	assert_success
	assert_stderr_line -e -- '^WARN  not_null_items_b: 1 failing row'
	assert_equal "$(tail -n 1 <<<"$stderr" | sed 's/ in .*//')" "dqcheck: 1 test: 0 passed, 1 warned, 0 failed, 0 errors"
}

@test "dqcheck warn_if and error_if decide between PASS, WARN and FAIL by the failure count" {
	config_project
	sql -c "insert into $S.items (id, kind, a) values (1, 'live', null)"
	run --separate-stderr dq -s not_null_items_a
	assert_success
	assert_stderr_line -e -- '^PASS  not_null_items_a: 1 failing row'
	sql -c "insert into $S.items (id, kind, a) values (2, 'live', null)"
	run --separate-stderr dq -s not_null_items_a
	assert_success
	assert_stderr_line -e -- '^WARN  not_null_items_a: 2 failing rows'
	sql -c "insert into $S.items (id, kind, a) select g, 'live', null from generate_series(3, 4) g"
	run --separate-stderr dq -s not_null_items_a
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  not_null_items_a: 4 failing rows'
}

@test "dqcheck where: limits the rows a test reads and limit: caps the failure count" {
	config_project
	sql -c "insert into $S.items (id, kind, c, d) values (1, 'test', null, 1), (2, 'live', 5, null), (3, 'live', 6, null), (4, 'live', 7, null)"
	run --separate-stderr dq -s not_null_items_c -s not_null_items_d
	# d has 3 nulls but limit 2 caps the count at 2, under error_if >2: a warning
	assert_success
	assert_stderr_line -e -- '^PASS  not_null_items_c: 0 failing rows'
	assert_stderr_line -e -- '^WARN  not_null_items_d: 2 failing rows'
	sql -c "insert into $S.items (id, kind, c) values (5, 'live', null)"
	run --separate-stderr dq -s not_null_items_c
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  not_null_items_c: 1 failing row'
}

@test "dqcheck reads arguments under arguments:, at the top level and in the test_name form alike" {
	config_project
	sql -c "insert into $S.items (id, kind) values (1, 'live'), (2, 'staging'), (3, 'test')"
	run --separate-stderr dq -s 'kind_is_known*'
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  kind_is_known: 1 failing row'
	assert_stderr_line -e -- '^FAIL  kind_is_known_top_level: 1 failing row'
	assert_stderr_line -e -- '^WARN  kind_is_known_alternative: 1 failing row'
	assert_equal "$(grep -c '^      staging | 1$' <<<"$stderr")" 3
}

@test "dqcheck folds the column tests on one relation into one query, and --no-fold gives the same results" {
	shop
	sql -c "insert into $S.orders values (5, null, 'lost', 9, -1, '2026-01-01')"
	run --separate-stderr dq -v -s orders
	assert_failure 1
	# -s orders: its 7 tests and the 4 that also read it (dbt's eager
	# selection). The five foldable ones on orders share one query; each
	# that fails adds one query for its exact count and rows.
	assert_stderr_line -e -- 'dqcheck: 11 tests: 5 passed, 0 warned, 6 failed, 0 errors'
	assert_stderr_line -e -- '^dqcheck: 11 queries for 11 tests \(5 tests folded into 1 queries\)$'
	grep '^[A-Z]' <<<"$stderr" | sed 's/, [0-9.]* s$//' | sort >folded.txt
	run --separate-stderr dq -v --no-fold -s orders
	assert_failure 1
	assert_stderr_line -e -- '^dqcheck: 11 queries for 11 tests \(0 tests folded into 0 queries\)$'
	grep '^[A-Z]' <<<"$stderr" | sed 's/, [0-9.]* s$//' | sort >single.txt
	diff folded.txt single.txt
	# on clean data the five cost one query
	sql -c "delete from $S.orders where id = 5"
	run --separate-stderr dq -v -s orders
	assert_success
	assert_stderr_line -e -- '^dqcheck: 7 queries for 11 tests \(5 tests folded into 1 queries\)$'
	run --separate-stderr dq -v --no-fold -s orders
	assert_success
	assert_stderr_line -e -- '^dqcheck: 11 queries for 11 tests \(0 tests folded into 0 queries\)$'
}

@test "dqcheck runs the rest of a folded query's tests when one of them names a missing column" {
	shop
	sql -c "alter table $S.orders rename column quantity to qty"
	run --separate-stderr dq -s orders
	assert_failure 3
	assert_stderr_line -e -- '^ERROR accepted_values_orders_quantity__False__1__2__3: column "quantity" does not exist, [0-9.]* s$'
	assert_equal "$(grep -c '^PASS ' <<<"$stderr")" 10
}

@test "dqcheck reports a test on a relation that does not exist as an error, exit 3" {
	shop
	sql -c "drop table $S.daily_revenue"
	run --separate-stderr dq -s daily_revenue
	assert_failure 3
	grep -q "^ERROR equal_sums_daily_revenue_7b1ab8a74dc40059c7c890b0b6455453: relation \"$S.daily_revenue\" does not exist" <<<"$stderr"
}

@test "dqcheck --store-failures keeps failing rows in <schema>_dbt_test__audit and drops them once the test passes" {
	shop
	sql -c "insert into $S.orders values (5, 42, 'lost', 1, 1, '2026-01-01')"
	run --separate-stderr dq --store-failures -s orders
	assert_failure 1
	grep -qx "      failing rows stored in \"${S}_dbt_test__audit\".\"relationships_orders_customer_id__id__ref_customers_\"" <<<"$stderr"
	run sql -c "select from_field from ${S}_dbt_test__audit.relationships_orders_customer_id__id__ref_customers_"
	assert_output 42
	run sql -c "select value_field, n_records from ${S}_dbt_test__audit.accepted_values_orders_status__placed__shipped__returned"
	assert_output "lost|1"
	run sql -c "select table_name from information_schema.tables where table_schema = '${S}_dbt_test__audit' order by 1"
	assert_output "$(printf '%s\n' accepted_values_orders_status__placed__shipped__returned \
		equal_rowcount_order_facts_ref_orders_ equal_sums_daily_revenue_7b1ab8a74dc40059c7c890b0b6455453 \
		relationships_orders_customer_id__id__ref_customers_)"
	sql -c "delete from $S.orders where id = 5"
	run --separate-stderr dq --store-failures -s orders
	assert_success
	run sql -c "select count(*) from information_schema.tables where table_schema = '${S}_dbt_test__audit'"
	assert_output 0
	# an audit schema PostgreSQL would cut short is an error, not rows stored elsewhere
	local long=${S}_$(printf 'x%.0s' {1..50})
	run --separate-stderr "$BIN/dqcheck" --project-dir proj --schema "$long" --store-failures -s not_null_customers_id
	assert_failure 3
	assert_stderr_line -e -- "^ERROR not_null_customers_id: cannot store failures: the schema name ${long}_dbt_test__audit is longer than 63 bytes"
}

@test "dqcheck --junit writes one testcase per test that xmllint accepts" {
	shop
	sql -c "insert into $S.customers values (4, '<Dee & \"co\">', 'tin')"
	run --separate-stderr dq --junit out.xml
	assert_failure 1
	xmllint --noout out.xml
	assert_equal "$(xmllint --xpath 'count(//testcase)' out.xml)" 17
	assert_equal "$(xmllint --xpath 'count(//testcase/failure)' out.xml)" 1
	assert_equal "$(xmllint --xpath 'string(//testcase[failure]/@name)' out.xml)" accepted_values_customers_tier__gold__silver__bronze
	assert_equal "$(xmllint --xpath 'string(/testsuites/@failures)' out.xml)" 1
	# severity warn: not a failure, said in system-out
	grep -q 'WARN' <(xmllint --xpath 'string(//testcase[@name="big_orders"])' out.xml) && fail "big_orders passed"
	sql -c "insert into $S.orders values (5, 4, 'placed', 1, 5000, '2026-01-01')"
	run --separate-stderr dq --junit out.xml
	xmllint --noout out.xml
	grep -q '^WARN: 1 failing row' <(xmllint --xpath 'string(//testcase[@name="big_orders"]/system-out)' out.xml)
}

@test "dqcheck keeps long non-ASCII messages and sample values whole characters in every output" {
	shop
	local e
	e=$(printf 'é%.0s' {1..1100})
	printf "select * from {{ ref('customers') }} where id = '%s'::int\n" "$e" >proj/tests/long_error.sql
	printf "select '%s' as note\n" "$e" >proj/tests/long_value.sql
	run --separate-stderr dq -s long_error -s long_value --junit out.xml --json out.json
	assert_failure 3
	xmllint --noout out.xml
	jq -e '.results | length == 2' out.json
	# the error is whole, in both files
	grep -q "$e" <(jq -r '.results[0].message' out.json)
	grep -q "$e" <(xmllint --xpath 'string(//testcase[@name="long_error"]/error/@message)' out.xml)
	# a sample value on stderr is cut at 40 characters, not 40 bytes
	assert_stderr_line -e -- "^      ${e:0:40}$"
	# and shows control bytes as '?'
	printf "select E'\\\\033[2Jred' as note\n" >proj/tests/long_value.sql
	run --separate-stderr dq -s long_value
	assert_stderr_line -e -- '^      \?\[2Jred$'
	iconv -f UTF-8 -t UTF-8 <<<"$stderr" >/dev/null
}

@test "dqcheck exits 3 when the --junit or --json file cannot be written, after running the tests" {
	shop
	run --separate-stderr dq -s customers --junit "$BATS_TEST_TMPDIR/no/such/dir/out.xml"
	assert_failure 3
	assert_stderr_line -e -- '^PASS  not_null_customers_id'
	assert_equal "${stderr_lines[-1]}" "dqcheck: $BATS_TEST_TMPDIR/no/such/dir/out.xml: No such file or directory"
	run --separate-stderr dq -s customers --json /dev/full
	assert_failure 3
	assert_equal "${stderr_lines[-1]}" "dqcheck: /dev/full: write error: No space left on device"
}

@test "dqcheck --json writes each test's status, failures and sample rows" {
	shop
	sql -c "insert into $S.customers values (null, 'x', 'gold')"
	run --separate-stderr dq --json out.json -s customers
	assert_failure 1
	run jq -c '[.results[] | {name, status, failures}]' out.json
	assert_output '[{"name":"not_null_customers_id","status":"fail","failures":1},{"name":"unique_customers_id","status":"pass","failures":0},{"name":"accepted_values_customers_tier__gold__silver__bronze","status":"pass","failures":0},{"name":"relationships_orders_customer_id__id__ref_customers_","status":"pass","failures":0}]'
	run jq -c '.results[0].sample' out.json
	assert_output '{"columns":["id","name","tier"],"rows":[[null,"x","gold"]]}'
	run jq -r '.results[0].file + ":" + (.results[0].line | tostring)' out.json
	assert_output proj/models/schema.yml:20
}

@test "dqcheck names file, line and key of every bad schema file and exits 3 without connecting" {
	n=0
	for d in "$DATA"/dqcheck/bad/*/; do
		run --separate-stderr "$BIN/dqcheck" --project-dir "$d" -d "host=/nonexistent"
		assert_failure 3
		[[ "$stderr" == "dqcheck: ${d}models/schema.yml:"[0-9]* ]] || fail "no file:line for $d: $stderr"
		n=$((n + 1))
	done
	[ "$n" -ge 10 ]
	B=$DATA/dqcheck/bad
	run --separate-stderr "$BIN/dqcheck" --project-dir "$B/severity-is-not-warn-or-error"
	assert_equal "$stderr" "dqcheck: $B/severity-is-not-warn-or-error/models/schema.yml:9: severity: 'fatal' is not warn or error"
	run --separate-stderr "$BIN/dqcheck" --project-dir "$B/unknown-argument"
	assert_equal "$stderr" "dqcheck: $B/unknown-argument/models/schema.yml:10: feild: unknown argument of relationships"
	run --separate-stderr "$BIN/dqcheck" --project-dir "$B/accepted-values-without-values"
	assert_equal "$stderr" "dqcheck: $B/accepted-values-without-values/models/schema.yml:7: values: needs a list of accepted values"
	run --separate-stderr "$BIN/dqcheck" --project-dir "$B/tests-is-not-a-list"
	assert_equal "$stderr" "dqcheck: $B/tests-is-not-a-list/models/schema.yml:4: data_tests: must be a list"
	run --separate-stderr "$BIN/dqcheck" --project-dir "$B/test-is-an-empty-mapping"
	assert_equal "$stderr" "dqcheck: $B/test-is-an-empty-mapping/models/schema.yml:7: data_tests: a test is a name, or one key (its name) with its arguments under it"
	run --separate-stderr "$BIN/dqcheck" --project-dir "$B/model-test-is-a-list"
	assert_equal "$stderr" "dqcheck: $B/model-test-is-a-list/models/schema.yml:5: data_tests: a test is a name, or one key (its name) with its arguments under it"
	run --separate-stderr "$BIN/dqcheck" --project-dir "$B/tolerance-is-not-a-number"
	assert_equal "$stderr" "dqcheck: $B/tolerance-is-not-a-number/models/schema.yml:9: tolerance: needs a number, 0 or more"
	run --separate-stderr "$BIN/dqcheck" --project-dir "$B/yaml-syntax-error"
	assert_equal "$stderr" "dqcheck: $B/yaml-syntax-error/models/schema.yml:7:13: did not find expected ',' or ']' while parsing a flow sequence"
}

@test "dqcheck exits 3 with libpq's message when the database is unreachable" {
	shop
	run --separate-stderr dq -d "host=$BATS_TEST_TMPDIR port=1"
	assert_failure 3
	assert_equal "${stderr_lines[0]%%:*}" "dqcheck"
	[[ "$stderr" == "dqcheck: cannot connect to the database (host $BATS_TEST_TMPDIR, port 1): connection to server on socket \"$BATS_TEST_TMPDIR/.s.PGSQL.1\" failed: No such file or directory"* ]]
}

@test "dqcheck --select and --exclude pick tests by node, test name, source, tag and test_type" {
	shop
	# a relationships test belongs to both its nodes, as in dbt
	run --separate-stderr dq -s customers
	assert_success
	assert_equal "$(grep -c '^PASS ' <<<"$stderr")" 4
	assert_stderr_line -e -- '^PASS  relationships_orders_customer_id__id__ref_customers_'
	run --separate-stderr dq -s customers --exclude unique_customers_id
	assert_equal "$(grep -c '^PASS ' <<<"$stderr")" 3
	run --separate-stderr dq -s 'source:raw'
	assert_equal "$(grep '^PASS ' <<<"$stderr" | cut -d: -f1 | tr '\n' ' ')" "PASS  source_not_null_raw_events_event_id PASS  source_unique_raw_events_event_id PASS  source_freshness_raw_events "
	run --separate-stderr dq -s 'customers+' --exclude test_type:singular
	assert_equal "$(grep -c '^PASS ' <<<"$stderr")" 12
	run --separate-stderr dq -s nothing_at_all
	assert_success
	assert_equal "$stderr" "dqcheck: no tests to run in proj with this selection"
	run --separate-stderr dq -s 'bogus:x'
	assert_failure 2
	[[ "$stderr" == "dqcheck: unknown selector method 'bogus'"* ]]
	# the parts of a comma-joined word must all hold, test-only terms too
	for w in 'orders,test_type:singular' 'test_type:singular,orders'; do
		run --separate-stderr dq -s "$w"
		assert_equal "$(grep -oE '^(PASS|WARN)  [a-z_]+' <<<"$stderr" | cut -c7- | sort | tr '\n' ' ')" "big_orders no_future_orders "
	done
	run --separate-stderr dq -s 'source:raw,test_type:freshness'
	assert_equal "$(grep -c '^PASS ' <<<"$stderr")" 1
	# a column's tags go to its tests
	sed -i 's/      - name: tier/      - name: tier\n        tags: [finance]/' proj/models/schema.yml
	run --separate-stderr dq -s tag:finance
	assert_equal "$(grep '^PASS ' <<<"$stderr" | cut -d: -f1)" "PASS  accepted_values_customers_tier__gold__silver__bronze"
}

@test "dqcheck -q prints only failures" {
	shop
	sql -c "insert into $S.customers values (null, 'x', 'gold')"
	run --separate-stderr dq -q -s customers
	assert_failure 1
	assert_equal "${stderr_lines[0]%,*}" "FAIL  not_null_customers_id: 1 failing row"
	assert_equal "${#stderr_lines[@]}" 3
}

@test "dqcheck usage: unknown option and stray argument exit 2; --help and --version exit 0" {
	run --separate-stderr "$BIN/dqcheck" --frobnicate
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "dqcheck: unknown option '--frobnicate'"
	assert_equal "${stderr_lines[1]%% *}" "usage:"
	run --separate-stderr "$BIN/dqcheck" --junit
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "dqcheck: option '--junit' needs a value"
	run --separate-stderr "$BIN/dqcheck" extra
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "dqcheck: unexpected argument \"extra\""
	run --separate-stderr "$BIN/dqcheck" --help
	assert_success
	[[ "${lines[0]}" == "usage: dqcheck "* ]]
	run --separate-stderr "$BIN/dqcheck" --version
	assert_success
	assert_output "dqcheck 0.1.0"
}

@test "dqcheck quotes accepted values as data and identifiers with PQescapeIdentifier" {
	cp -r "$DATA/dqcheck/config" proj
	cat >proj/models/items.yml <<-'EOF'
	version: 2
	models:
	  - name: items
	    columns:
	      - name: Odd Name
	        data_tests:
	          - accepted_values:
	              values: ["it's", "x'); drop table items; --"]
	EOF
	sql -c "create schema $S; create table $S.items (\"Odd Name\" text); insert into $S.items values ('it''s'), ('nope')"
	run --separate-stderr dq
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  accepted_values_items_Odd_Name__it_s__x_drop_table_items_: 1 failing row'
	assert_stderr_line -e -- '^      nope \| 1$'
	run sql -c "select count(*) from $S.items"
	assert_output 2
}

@test "dqcheck applies test configs from dbt_project.yml by folder, below each test's own config" {
	cp -r "$DATA/dqcheck/defaults" proj
	sql -c "create schema $S; create table $S.top (id int); create table $S.stg (id int);
		insert into $S.top values (null); insert into $S.stg values (null), (-1)"
	run --separate-stderr dq
	assert_failure 1
	assert_stderr_line -e -- '^WARN  not_null_top_id: 1 failing row'
	assert_stderr_line -e -- '^FAIL  not_null_stg_id: 1 failing row'
	assert_stderr_line -e -- '^WARN  stg_id_warns_anyway: 1 failing row'
	assert_stderr_line -e -- '^WARN  no_negative_ids: 1 failing row'
	grep -qx "      failing rows stored in \"${S}_dbt_test__audit\".\"no_negative_ids\"" <<<"$stderr"
	run sql -c "select id from ${S}_dbt_test__audit.no_negative_ids"
	assert_output -- -1
}

@test "dqcheck reports a connection lost during a test, marks the tests not run, and exits 3" {
	shop
	# fault injection: a singular test that ends its own session; it sorts
	# before the other singular tests, which then cannot run
	echo "select * from {{ ref('customers') }} where pg_terminate_backend(pg_backend_pid())" >proj/tests/a_kill.sql
	run --separate-stderr dq --junit out.xml
	assert_failure 3
	assert_stderr_line -e -- '^PASS  source_freshness_raw_events'
	assert_stderr_line -e -- '^ERROR a_kill: lost the connection to the server \(FATAL:  terminating connection due to administrator command\), [0-9.]+ s$'
	assert_stderr_line -e -- '^dqcheck: lost the connection to the database: FATAL:  terminating connection due to administrator command$'
	assert_stderr_line -e -- '^ERROR big_orders: not run: the connection was lost'
	assert_stderr_line -e -- '^ERROR no_future_orders: not run: the connection was lost'
	assert_equal "$(tail -n 1 <<<"$stderr" | sed 's/ in .*//')" "dqcheck: 18 tests: 15 passed, 0 warned, 0 failed, 3 errors"
	xmllint --noout out.xml
	assert_equal "$(xmllint --xpath 'count(//testcase/error)' out.xml)" 3
}

@test "dqcheck renders var() in singular tests from --vars, dbt_project.yml or the default" {
	shop
	run --separate-stderr dq -s big_orders
	assert_success
	assert_stderr_line -e -- '^PASS  big_orders: 0 failing rows'
	run --separate-stderr dq -s big_orders --vars 'big_order: 50'
	assert_success
	assert_stderr_line -e -- '^WARN  big_orders: 1 failing row'
	assert_stderr_line -e -- '^      4 \| 100.00$'
	printf 'vars:\n  big_order: 15\n' >>proj/dbt_project.yml
	run --separate-stderr dq -s big_orders
	assert_stderr_line -e -- '^WARN  big_orders: 2 failing rows'
}

@test "dqcheck relationships to a source, equal_rowcount per group, equal_sums with tolerance and compare_where" {
	shop
	cat >proj/models/more.yml <<-EOF
	version: 2
	models:
	  - name: order_facts
	    columns:
	      - name: id
	        data_tests:
	          - relationships:
	              to: source('raw', 'events')
	              field: event_id
	    data_tests:
	      - dbt_utils.equal_rowcount:
	          name: facts_per_day
	          compare_model: ref('orders')
	          group_by_columns: [ordered_at]
	  - name: daily_revenue
	    data_tests:
	      - equal_sums:
	          name: revenue_within_a_cent
	          compare_model: ref('orders')
	          column: revenue
	          compare_column: amount
	          key: day
	          compare_key: ordered_at
	          tolerance: 0.01
	          compare_where: "status <> 'returned'"
	EOF
	run --separate-stderr dq -s order_facts -s daily_revenue --exclude equal_sums_daily_revenue_7b1ab8a74dc40059c7c890b0b6455453 --exclude equal_rowcount_order_facts_ref_orders_
	assert_failure 1
	# events hold ids 1 and 2; orders 3 and 4 have no event
	assert_stderr_line -e -- '^FAIL  relationships_order_facts_id__event_id__source_raw_events_: 2 failing rows'
	# the returned order (5.25 on 2026-01-02) is left out of the compare side
	assert_stderr_line -e -- '^FAIL  revenue_within_a_cent: 1 failing row'
	assert_stderr_line -e -- '^      2026-01-02 \| 5.25 \| 0$'
	assert_stderr_line -e -- '^PASS  facts_per_day: 0 failing rows'
	sql -c "insert into $S.orders values (5, 1, 'placed', 1, 0.01, '2026-01-03')"
	run --separate-stderr dq -s facts_per_day -s revenue_within_a_cent
	assert_stderr_line -e -- '^FAIL  facts_per_day: 1 failing row'
	assert_stderr_line -e -- '^      ordered_at \| count_a \| count_b$'
	assert_stderr_line -e -- '^      2026-01-03 \| 1 \| 2$'
	# a cent off on 2026-01-03 is within the tolerance: only 2026-01-02 fails
	assert_stderr_line -e -- '^FAIL  revenue_within_a_cent: 1 failing row'
	# key columns may have any name, a and b too
	sql -c "create table $S.pa (a int, b int); create table $S.pb (a int, b int);
		insert into $S.pa values (1, 5); insert into $S.pb values (1, 5), (2, 1)"
	echo "select 1 as x" >proj/models/pa.sql
	echo "select 1 as x" >proj/models/pb.sql
	cat >proj/models/ab.yml <<-EOF
	version: 2
	models:
	  - name: pa
	    data_tests:
	      - equal_rowcount: {compare_model: ref('pb'), group_by_columns: [a]}
	      - equal_sums: {compare_model: ref('pb'), column: b, key: a}
	EOF
	run --separate-stderr dq -s pa
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  equal_rowcount_pa_ref_pb___a: 1 failing row'
	assert_stderr_line -e -- '^FAIL  equal_sums_pa_b__ref_pb___a: 1 failing row'
}

@test "dqcheck blanks a password given with -d in its command line, as ps shows it" {
	hides_password "$BIN/dqcheck" --project-dir "$REPO/sql"
}

# lock_project: a table a read from a source, a table b counting a's rows
# after sleeping --vars sleep seconds, and a test that b agrees with a.
lock_project() {
	mkdir -p proj/models proj/tests
	printf 'name: lockproj\nmodel-paths: [models]\ntest-paths: [tests]\n' >proj/dbt_project.yml
	printf 'version: 2\nsources:\n  - name: src\n    schema: %s\n    tables: [{name: nums}]\n' "$RAW" \
		>proj/models/sources.yml
	echo "{{ config(materialized='table') }} select n from {{ source('src', 'nums') }}" >proj/models/a.sql
	echo "{{ config(materialized='table') }} select count(*) as n from {{ ref('a') }}, pg_sleep({{ var('sleep', 0) }})" \
		>proj/models/b.sql
	echo "select b.n from {{ ref('b') }} as b where b.n <> (select count(*) from {{ ref('a') }})" \
		>proj/tests/b_counts_a.sql
	sql -c "create schema $RAW; create table $RAW.nums as select generate_series(1, 10) as n"
	"$BIN/modelrun" run -q --project-dir proj --schema "$S"
}

# full_refresh_running SLEEP: starts a full refresh in the background (its
# pid in $mr) and returns once a is rebuilt and b is being built.
full_refresh_running() {
	"$BIN/modelrun" run -q --project-dir proj --schema "$S" --full-refresh --vars "sleep: $1" 3>&- &
	mr=$!
	for _ in $(seq 100); do
		[ "$(sql -c "select count(*) from pg_stat_activity where query like '%pg_sleep(%' and pid <> pg_backend_pid()")" -gt 0 ] &&
			return 0
		sleep 0.1
	done
	echo "the full refresh never reached b" >&2
	return 1
}

@test "dqcheck waits for a modelrun --full-refresh to finish and tests its result, not a half-built one" {
	lock_project
	run --separate-stderr dq
	assert_success
	sql -c "insert into $RAW.nums select generate_series(11, 15)"
	full_refresh_running 3
	# a holds 15 rows now, b still says 10: a test run now would fail
	assert_equal "$(sql -c "select (select count(*) from $S.a) || ' ' || (select n from $S.b)")" "15 10"
	start=$(date +%s.%N)
	run --separate-stderr dq
	end=$(date +%s.%N)
	wait "$mr"
	assert_success
	assert_equal "${stderr_lines[0]}" "dqcheck: waiting for a modelrun of project lockproj, schema $S, to finish"
	assert_stderr_line -e -- '^PASS  b_counts_a: 0 failing rows'
	awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s > 1.0) }'
	# and a modelrun that starts while dqcheck runs waits for it
	sql -c "select pg_advisory_lock_shared(hashtextextended('modelrun:lockproj:$S', 0))" -c "select pg_sleep(2)" 3>&- &
	holder=$!
	for _ in $(seq 50); do
		[ "$(sql -c "select count(*) from pg_locks where locktype = 'advisory' and mode = 'ShareLock' and granted")" -gt 0 ] && break
		sleep 0.1
	done
	run --separate-stderr "$BIN/modelrun" run --project-dir proj --schema "$S"
	wait "$holder"
	assert_success
	assert_equal "${stderr_lines[0]}" "modelrun: waiting for another modelrun or a dqcheck of project lockproj, schema $S, to finish"
}

@test "dqcheck --lock-timeout bounds the wait for a modelrun and exits 3 naming it" {
	lock_project
	full_refresh_running 6
	run --separate-stderr dq --lock-timeout 0
	assert_failure 3
	assert_equal "$stderr" "dqcheck: a modelrun of project lockproj, schema $S, is still running (--lock-timeout 0)"
	start=$(date +%s.%N)
	run --separate-stderr dq --lock-timeout 2
	end=$(date +%s.%N)
	assert_failure 3
	assert_equal "${stderr_lines[0]}" "dqcheck: waiting for a modelrun of project lockproj, schema $S, to finish"
	assert_equal "${stderr_lines[1]}" "dqcheck: a modelrun of project lockproj, schema $S, is still running after 2 s (--lock-timeout)"
	awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s > 1.5 && e - s < 5) }'
	wait "$mr"
	run --separate-stderr dq --lock-timeout 0
	assert_success
	run --separate-stderr dq --lock-timeout x
	assert_failure 2
}

@test "dqcheck --no-lock runs its tests while a modelrun holds the lock, as modelrun build needs" {
	lock_project
	full_refresh_running 4
	run --separate-stderr dq --no-lock -s b_counts_a
	# it finished while the modelrun still held the lock
	kill -0 "$mr"
	wait "$mr"
	# b is rebuilt and a not yet swapped: the run reads what is there
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
	refute_stderr_line --partial "waiting for a modelrun"
}

@test "dqcheck --list prints the selected tests and the nodes and sources they read, as JSON, without a database" {
	shop
	run --separate-stderr dq --list -s orders --exclude test_type:freshness -d "host=$BATS_TEST_TMPDIR/nowhere port=1"
	assert_success
	assert_equal "$stderr" ""
	# the id ends in the hash dbt 1.11 gives this test (dbt ls --output json says so)
	assert_equal "$(jq -r '.tests[] | select(.name == "relationships_orders_customer_id__id__ref_customers_") | "\(.unique_id) \(.severity) \(.file):\(.line) \(.depends_on | sort | join(","))"' <<<"$output")" \
		"test.dq_shop.relationships_orders_customer_id__id__ref_customers_.4282b0c525 error proj/models/schema.yml:36 model.dq_shop.customers,model.dq_shop.orders"
	assert_equal "$(jq -r '[.tests[].depends_on[]] | unique | join(",")' <<<"$output")" "model.dq_shop.customers,model.dq_shop.daily_revenue,model.dq_shop.order_facts,model.dq_shop.orders"
	run --separate-stderr dq --list -s 'source:raw' --exclude test_type:freshness
	assert_success
	assert_equal "$(jq -r '.tests[] | "\(.name) \(.depends_on | join(","))"' <<<"$output" | sort | head -1)" \
		"source_not_null_raw_events_event_id source.dq_shop.raw.events"
	# resource_type:test picks every test, as in dbt
	run --separate-stderr dq --list -s resource_type:test
	assert_success
	assert_equal "$(jq '.tests | length' <<<"$output")" "$(dq --list | jq '.tests | length')"
}

# ---- tests as dbt names, compiles and places them (issue 17) ----
# The dbtnames fixture is built by modelrun for dqcheck and, when the
# reference dbt is installed, by dbt itself in a schema of its own, and
# the two must agree: which tests there are, what selects them, and their
# verdicts. Without dbt the dqcheck side still runs.

DBT_REF=${ELT_DBT:-/opt/dbt-reference/bin/dbt}

# dbtnames: copies the fixture to ./proj and builds it in $S with modelrun.
dbtnames() {
	cp -r "$DATA/dqcheck/dbtnames" proj
	"$BIN/modelrun" seed --project-dir proj --schema "$S" >/dev/null
	"$BIN/modelrun" run --project-dir proj --schema "$S" >/dev/null
}

# need_dbt: skips the rest of a test, saying why, when dbt is absent.
need_dbt() {
	[ -x "$DBT_REF" ] || skip "no reference dbt at $DBT_REF (install /work/shared/dbt-reference, or set ELT_DBT): not compared with dbt"
}

# dbt_dq ARGS...: the reference dbt on a copy of ./proj (proj.dbt), in
# schema ${S}_dbt of the suite's server.
dbt_dq() {
	mkdir -p proj.dbt
	cp -r proj/. proj.dbt/
	pg_dbt_profile dqnames "${S}_dbt" >proj.dbt/profiles.yml
	(cd proj.dbt && DBT_PROFILES_DIR=. "$DBT_REF" --no-use-colors --log-format text "$@")
}

# verdicts FILE: "STATUS name" lines of a dbt test log, sorted.
dbt_verdicts() {
	sed -nE 's/.* (PASS|FAIL|WARN|ERROR)( [0-9]+)? ([A-Za-z0-9_]+) \.+ \[.*/\1 \3/p' "$1" | sort
}

drop_dbt_schema() {
	sql -c "drop schema if exists ${S}_dbt cascade; drop schema if exists ${S}_dbt_dbt_test__audit cascade" >/dev/null 2>&1 || true
}

long_name=accepted_values_stg_sales_currency__USD__EUR__GBP__JPY__CHF__CAD
long_alias=accepted_values_stg_sales_8515de965f7b6e69f0292e136c8de73c

@test "dqcheck selects a long-named test by dbt's full name, as dbt ls prints it, and by its shortened name" {
	dbtnames
	for sel in "$long_name" "$long_alias" 'accepted_values_stg_sales_currency__USD_*'; do
		run --separate-stderr dq -s "$sel" --json out.json
		assert_success
		assert_stderr_line -e -- "^PASS  $long_alias: 0 failing rows"
		assert_equal "$(jq -c '[.results[] | [.name, .full_name]]' out.json)" "[[\"$long_alias\",\"$long_name\"]]"
	done
	# a name that is not shortened is its own full name
	run --separate-stderr dq -s unique_currencies_code --json out.json
	assert_equal "$(jq -r '.results[0].full_name' out.json)" unique_currencies_code
	need_dbt
	dbt_dq ls --resource-type test --quiet >ls.out
	drop_dbt_schema
	grep -qx "dbtnames.$long_name" ls.out
	# dbt ls lists the same tests, by their full names
	run --separate-stderr dq --json all.json
	diff <(sed 's/^dbtnames\.//' ls.out | sort) <(jq -r '.results[].full_name' all.json | sort)
}

@test "dqcheck runs a singular test that refs an ephemeral model, inlined as dbt compiles it" {
	dbtnames
	run --separate-stderr dq -s eph_sales_known -v
	assert_success
	assert_stderr_line -p 'with __dbt__cte__eph_sales as ('
	assert_stderr_line -e -- '^PASS  eph_sales_known: 0 failing rows'
	# selected through the ephemeral model it reads, too
	run --separate-stderr dq -s eph_sales
	assert_stderr_line -e -- '^PASS  eph_sales_known: '
	sql -c "insert into $S.stg_sales values (4, 'XYZ'), (5, 'ABC')"
	run --separate-stderr dq -s eph_sales_known
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  eph_sales_known: 2 failing rows'
	need_dbt
	dbt_dq seed >/dev/null
	dbt_dq run >/dev/null
	sql -c "insert into ${S}_dbt.stg_sales values (4, 'XYZ'), (5, 'ABC')"
	dbt_dq test --select eph_sales_known >dbt.log || true
	drop_dbt_schema
	grep -q 'Got 2 results' dbt.log
	assert_equal "$(dbt_verdicts dbt.log)" "FAIL eph_sales_known"
}

@test "dqcheck runs the tests of a seed described under models:, warning as dbt does" {
	dbtnames
	run --separate-stderr dq -s currencies
	assert_success
	assert_stderr_line -p "proj/models/schema.yml:16: 'currencies' is a seed, but it is described under 'models'"
	assert_stderr_line -e -- '^PASS  unique_currencies_code: 0 failing rows'
	sql -c "insert into $S.currencies values ('USD', 'again')"
	run --separate-stderr dq -s unique_currencies_code
	assert_failure 1
	assert_stderr_line -e -- '^FAIL  unique_currencies_code: 1 failing row'
	need_dbt
	dbt_dq seed >/dev/null
	sql -c "insert into ${S}_dbt.currencies values ('USD', 'again')"
	dbt_dq test --no-partial-parse --select unique_currencies_code >dbt.log || true
	drop_dbt_schema
	grep -q "'currencies' is a seed node, but it is specified in the models section" dbt.log
	assert_equal "$(dbt_verdicts dbt.log)" "FAIL unique_currencies_code"
}

@test "dqcheck renders where:, relation arguments and singular tests through the project's template host" {
	dbtnames
	# where: with var(); a relation's .schema and .identifier in a singular test
	run --separate-stderr dq -s not_null_stg_sales_id -s stg_sales_named -v
	assert_success
	assert_stderr_line -p "where id > 1)"
	assert_stderr_line -e -- '^PASS  stg_sales_named: 0 failing rows'
	run --separate-stderr dq --vars 'min_id: 0' -s not_null_stg_sales_id -v
	assert_stderr_line -p "where id > 0)"
	# config() in a yml value is refused, naming the yml's line
	sed -i 's/where: "id >/where: "{{ config(severity=1) }}id >/' proj/models/schema.yml
	run --separate-stderr dq
	assert_failure 3
	assert_stderr_line -p "proj/models/schema.yml:12: where: "
	assert_stderr_line -p "config() is for singular tests only"
	# the whole project against dbt: the same verdicts
	cp -r "$DATA/dqcheck/dbtnames/." proj/
	run --separate-stderr dq
	assert_success
	need_dbt
	dbt_dq seed >/dev/null
	dbt_dq run >/dev/null
	dbt_dq test >dbt.log || true
	drop_dbt_schema
	diff <(dbt_verdicts dbt.log) <(sed -nE 's/^(PASS|FAIL|WARN|ERROR) +([a-z0-9_]+):.*/\1 \2/p' <<<"$stderr" |
		sed "s/$long_alias/$long_name/" | sort)
}

@test "dqcheck leaves out a singular test that refs a disabled model, as dbt does" {
	dbtnames
	printf "{{ config(enabled=false) }}\nselect 1 as id\n" >proj/models/off.sql
	printf "select * from {{ ref('off') }}\n" >proj/tests/reads_off.sql
	run --separate-stderr dq --json out.json
	assert_success
	refute_stderr_line -p reads_off
	assert_equal "$(jq '.results | length' out.json)" 5
	need_dbt
	dbt_dq ls --resource-type test --quiet >ls.out
	drop_dbt_schema
	assert_equal "$(wc -l <ls.out)" 5
	! grep -q reads_off ls.out
}

# ---- profiles.yml ----

# dq_profile FILE [DBNAME]: a profiles.yml for dq_shop pointing at the
# suite's server, with $S as its schema and two outputs, dev and other.
dq_profile() {
	mkdir -p "$(dirname "$1")"
	cat >"$1" <<-EOF
	dq_shop:
	  target: dev
	  outputs:
	    dev:
	      type: postgres
	      host: "{{ env_var('DQ_HOST') }}"
	      port: $PGPORT
	      user: "$PGUSER"
	      password: "{{ env_var('DBT_ENV_SECRET_DQ_PW', '') }}"
	      dbname: "${2:-$PGDATABASE}"
	      schema: $S
	    other:
	      type: postgres
	      host: "$PGHOST"
	      port: $PGPORT
	      user: "$PGUSER"
	      dbname: "$PGDATABASE"
	      schema: ${S}_other
	EOF
}

@test "dqcheck connects with the profile and takes its schema, as modelrun does" {
	shop
	dq_profile profiles/profiles.yml
	# the PG* variables point nowhere: the profile connects
	DQ_HOST=$PGHOST PGHOST=/nonexistent run --separate-stderr "$BIN/dqcheck" --project-dir proj --profiles-dir profiles
	assert_success
	assert_stderr_line --partial "passed, 0 warned, 0 failed, 0 errors"
	# the profile found in the current directory, as dbt finds it
	cp profiles/profiles.yml .
	DQ_HOST=$PGHOST PGHOST=/nonexistent run --separate-stderr "$BIN/dqcheck" --project-dir proj
	assert_success
	# a singular test sees target as models do
	printf "select 1 from {{ target.schema }}.orders where '{{ target.name }}' <> 'dev'\n" >proj/tests/target_is_dev.sql
	DQ_HOST=$PGHOST run --separate-stderr "$BIN/dqcheck" --project-dir proj -s target_is_dev
	assert_success
	assert_stderr_line --partial "PASS  target_is_dev: 0 failing rows"
	# --target picks the other output, whose schema has no tables
	run --separate-stderr "$BIN/dqcheck" --project-dir proj --target other
	assert_failure 3
	assert_stderr_line --partial "relation \"${S}_other.customers\" does not exist"
}

@test "dqcheck: an explicit -d wins over the profile; a secret password never shows" {
	shop
	dq_profile profiles.yml no_such_db
	DQ_HOST=$PGHOST run --separate-stderr "$BIN/dqcheck" --project-dir proj
	assert_failure 3
	assert_stderr_line --partial 'database "no_such_db" does not exist'
	DQ_HOST=$PGHOST run --separate-stderr "$BIN/dqcheck" --project-dir proj -d "$PGDATABASE"
	assert_success
	DQ_HOST=/nonexistent DBT_ENV_SECRET_DQ_PW=Sup3rSecretDq run --separate-stderr "$BIN/dqcheck" --project-dir proj
	assert_failure 3
	assert_stderr_line --partial "cannot connect to the database"
	[[ "$stderr$output" != *Sup3rSecretDq* ]]
	# without a profiles.yml anywhere, the PG* variables as before
	rm profiles.yml
	HOME=$PWD run --separate-stderr "$BIN/dqcheck" --project-dir proj --schema "$S"
	assert_success
}

# ---- tests that dbt_utils' integration suite needs (issue 17) ----

@test "a singular test that queries while it renders, and a macro test on an ephemeral model, run as dbt runs them" {
	cp -r "$DATA/dbt/relations" proj
	sed -i 's/^profile: mr$/profile: dqnames/' proj/dbt_project.yml
	run --separate-stderr "$BIN/dqcheck" --project-dir proj --schema "$S"
	assert_success
	# run_query() ran on dqcheck's connection, the model went in as a CTE
	assert_stderr_line --regexp '^PASS  queried_while_rendering: 0 failing rows'
	assert_stderr_line --regexp '^PASS  has_rows_eph_: 0 failing rows'
	sed -nE 's/^(PASS|FAIL|WARN|ERROR) +([A-Za-z0-9_]+):.*/\1 \2/p' <<<"$stderr" | sort >mr.verdicts
	need_dbt
	run dbt_dq test
	drop_dbt_schema
	printf '%s\n' "$output" >dbt.log
	dbt_verdicts dbt.log >dbt.verdicts
	diff -u dbt.verdicts mr.verdicts
}

@test "a singular test using a construct modelrun lacks is that test's error alone; the others run" {
	cp -r "$DATA/dbt/relations" proj
	printf "select 1 where '{{ modules.itertools.chain([1]) }}' = ''\n" >proj/tests/lacks.sql
	run --separate-stderr "$BIN/dqcheck" --project-dir proj --schema "$S"
	assert_failure 3
	assert_stderr_line --regexp "^ERROR lacks: proj/tests/lacks.sql:1: unsupported construct: 'modules.itertools'"
	assert_stderr_line --regexp '^PASS  queried_while_rendering: 0 failing rows'
}
