#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The plain build under valgrind's memcheck on small data: any invalid read
# or write, use of uninitialised memory or leak fails the test.

load helpers/common

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	# The sanitizer build is checked by ASan instead; valgrind cannot run it.
	[ "${ELT_SAN:-}" = 1 ] && skip "ASan checks the sanitizer build"
	VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
}

@test "gen and validate run clean under valgrind" {
	run "${VG[@]}" "$BIN/gen" --rows 2000 --dirty 0.1 --dirty-log log.csv
	assert_success
	printf '%s\n' "$output" >s.csv
	run --separate-stderr "${VG[@]}" "$BIN/validate" --max-reject-rate 1 --schema "$REPO/sql/contracts/sales.schema.json" --rejects rej.csv s.csv
	assert_success
	[[ "$stderr" == "validate: 2000 rows read"* ]]
}

@test "validate runs clean under valgrind over the hostile corpus" {
	cp "$DATA"/hostile/*.csv .
	for f in *.csv; do
		status=0
		"${VG[@]}" "$BIN/validate" -q --rejects /dev/null "$f" >/dev/null 2>err || status=$?
		[ "$status" -ne 99 ] || { cat err; fail "valgrind found errors on $f"; }
	done
}

@test "validate's dialect reading (its own parser, comments, skipped lines) runs clean under valgrind" {
	cp "$DATA"/hostile/*.csv .
	for f in *.csv; do
		status=0
		"${VG[@]}" "$BIN/validate" -q --escape-char '\' --no-double-quote --skip-initial-space --comment-char '#' \
			--header-row 2 --rejects /dev/null "$f" >/dev/null 2>err || status=$?
		[ "$status" -ne 99 ] || { cat err; fail "valgrind found errors on $f"; }
	done
	printf 'a;b\n1;2\n' >semi.csv
	run --separate-stderr "${VG[@]}" "$BIN/validate" --sniff --no-header semi.csv
	assert_success
}

@test "validate --package with resources in their own dialects and encodings, and foreign keys between them, runs clean under valgrind" {
	mkdir data
	printf '# stores\nstore_id|city\nS1|Troms\xf8\nS2|"Ber|gen"\n' >data/stores.csv
	printf 'sale_id;store_id;returns_sale\n1;S1;\n2;S2;3\n3;S9;\n' >data/sales.csv
	cat >datapackage.json <<-'EOF'
		{"resources": [
		  {"name": "stores", "path": "data/stores.csv", "encoding": "latin1",
		   "dialect": {"delimiter": "|", "commentChar": "#"},
		   "schema": {"fields": [{"name": "store_id"}, {"name": "city"}]}},
		  {"name": "sales", "path": "data/sales.csv", "dialect": {"delimiter": ";"},
		   "schema": {"fields": [{"name": "sale_id"}, {"name": "store_id"}, {"name": "returns_sale"}],
		     "foreignKeys": [
		       {"fields": "store_id", "reference": {"resource": "stores", "fields": "store_id"}},
		       {"fields": "returns_sale", "reference": {"fields": "sale_id"}}]}}]}
	EOF
	run --separate-stderr "${VG[@]}" "$BIN/validate" --package datapackage.json --rejects rej.csv
	assert_failure 1
	assert_equal "$(wc -l <rej.csv)" 2
}

@test "modelrun seed and run and dqcheck run clean under valgrind on the sales project" {
	db="valgrind_${BATS_TEST_NUMBER}"
	psql -X -q -d postgres -c "drop database if exists $db" -c "create database $db"
	export PGDATABASE=$db
	for f in "$REPO"/sql/raw/*.sql; do sql -f "$f" >/dev/null; done
	"$BIN/gen" --rows 300 --days 2 >s.csv
	sql -c "\\copy raw.sales (sale_id, sold_at, store_id, product_id, quantity, unit_price, amount, currency) from 's.csv' csv header"
	cp -r "$REPO/sql" proj
	run --separate-stderr "${VG[@]}" "$BIN/modelrun" seed --project-dir proj
	assert_success
	run --separate-stderr "${VG[@]}" "$BIN/modelrun" run --project-dir proj
	assert_success
	run --separate-stderr "${VG[@]}" "$BIN/dqcheck" --project-dir proj
	assert_success
	assert_equal "$(sql -c 'select sum(orders) from analytics.fct_daily_sales_metrics')" 300
}

@test "gen | validate | pgload runs clean under valgrind, end to end" {
	db="valgrind_${BATS_TEST_NUMBER}"
	psql -X -q -d postgres -c "drop database if exists $db" -c "create database $db"
	export PGDATABASE=$db
	for f in "$REPO"/sql/raw/*.sql; do sql -f "$f" >/dev/null; done
	run --separate-stderr bash -c "set -o pipefail; ${VG[*]} '$BIN/gen' --rows 2000 --dirty 0.05 |
		${VG[*]} '$BIN/validate' -q --max-reject-rate 1 --schema '$REPO/sql/contracts/sales.schema.json' --rejects rej.csv |
		${VG[*]} '$BIN/pgload' -q --table raw.sales --key valgrind"
	assert_success
	rejected=$(($(wc -l <rej.csv) - 1))
	assert_equal "$(sql -c 'select count(*) from raw.sales')" $((2000 - rejected))
}
