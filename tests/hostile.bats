#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The hostile-input corpus (tests/data/hostile): every file through every
# program that reads CSV, each with its expected outcome from expected.tsv.

load helpers/common

HOSTILE=$DATA/hostile

# Runs validate over each corpus file and compares exit status and the set
# of reject rules with expected.tsv; prints one line per mismatch.
@test "validate meets the expected outcome on every hostile input, without crashing" {
	cp "$HOSTILE"/*.csv .
	"$HOSTILE/make-big.sh" .
	[ "$(grep -vc '^#' "$HOSTILE/expected.tsv")" -ge 40 ]
	mismatches=""
	while IFS=$'\t' read -r file args want_status want_rules _; do
		[[ "$file" == \#* ]] && continue
		[ "$args" = - ] && args=""
		status=0
		# shellcheck disable=SC2086
		"$BIN/validate" -q $args --rejects "rej-$file" "$file" >"out-$file" 2>"err-$file" || status=$?
		rules=$(tail -n +2 "rej-$file" | cut -d, -f4 | sort -u | paste -sd' ')
		rules=${rules:--}
		if [ "$status" != "$want_status" ] || [ "$rules" != "$want_rules" ]; then
			mismatches+="$file: exit $status (want $want_status), rules '$rules' (want '$want_rules'); "
		fi
	done <"$HOSTILE/expected.tsv"
	assert_equal "$mismatches" ""
}

@test "validate passes the 10 MB field through intact" {
	"$HOSTILE/make-big.sh" .
	# the same field, its needless quotes normalised away
	tr -d '"' <big-field-10mb.csv >want.csv
	run --separate-stderr bash -c "'$BIN/validate' big-field-10mb.csv | cmp - want.csv"
	assert_success
}

@test "validate quarantines every row of the corpus it does not pass on: rows in = rows out + rejects" {
	cp "$HOSTILE"/*.csv .
	for f in ragged-short-row.csv unterminated-quote.csv nul-byte.csv invalid-utf8.csv blank-line.csv bare-cr.csv; do
		run --separate-stderr "$BIN/validate" --report json -q --rejects rej.csv "$f"
		rows=$(sed 's/.*"rows": \([0-9]*\).*/\1/' <<<"$stderr")
		valid=$(sed 's/.*"valid": \([0-9]*\).*/\1/' <<<"$stderr")
		rejected=$(($(wc -l <rej.csv) - 1))
		[ "$rows" -eq $((valid + rejected)) ] || fail "$f: $rows rows, $valid valid, $rejected rejected"
	done
}

@test "modelrun seed meets the expected outcome on every hostile input, without crashing" {
	"$HOSTILE/make-big.sh" .
	mkdir -p proj/seeds
	printf 'name: hostile\nseed-paths: [seeds]\n' >proj/dbt_project.yml
	db="hostile_${BATS_TEST_NUMBER}"
	psql -X -q -d postgres -c "drop database if exists $db" -c "create database $db"
	mismatches=""
	while IFS=$'\t' read -r file _ _ _ want_status _; do
		[[ "$file" == \#* ]] && continue
		rm -f proj/seeds/*
		src=$HOSTILE/$file
		[ -f "$src" ] || src=$PWD/$file # the big ones, made above
		cp "$src" "proj/seeds/$(tr -- - _ <<<"$file")"
		status=0
		PGDATABASE=$db "$BIN/modelrun" seed --project-dir proj -q >out 2>err || status=$?
		if [ "$status" != "$want_status" ]; then
			mismatches+="$file: exit $status (want $want_status): $(head -c 200 err); "
		fi
	done <"$HOSTILE/expected.tsv"
	assert_equal "$mismatches" ""
}

# The CREATE TABLE for a corpus file: one text column per header label, as
# Python's csv module reads them (BOM and line ends handled), identifiers
# quoted. Malformed headers give a statement that fails, as they should.
create_table_for() {
	python3 - "$1" <<'PY'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8-sig", errors="replace") as f:
    header = next(csv.reader(f), [])
cols = ", ".join('"%s" text' % h.replace('"', '""') for h in header)
print("create table t (%s)" % cols)
PY
}

@test "pgload meets the expected outcome on every hostile input, and loads all or nothing" {
	"$HOSTILE/make-big.sh" .
	db="hostile_${BATS_TEST_NUMBER}"
	psql -X -q -d postgres -c "drop database if exists $db" -c "create database $db"
	mismatches=""
	while IFS=$'\t' read -r file _ _ _ _ want_status; do
		[[ "$file" == \#* ]] && continue
		src=$HOSTILE/$file
		[ -f "$src" ] || src=$PWD/$file
		PGDATABASE=$db psql -X -q -c "drop table if exists t" >/dev/null
		PGDATABASE=$db psql -X -q -c "$(create_table_for "$src")" >/dev/null 2>&1 || true
		status=0
		PGDATABASE=$db "$BIN/pgload" --table t -q <"$src" >out 2>err || status=$?
		rows=$(PGDATABASE=$db psql -X -At -c "select count(*) from t" 2>/dev/null || echo none)
		if [ "$status" != "$want_status" ]; then
			mismatches+="$file: exit $status (want $want_status): $(head -c 200 err); "
		elif [ "$status" != 0 ] && [ "$rows" != 0 ] && [ "$rows" != none ]; then
			mismatches+="$file: failed but left $rows rows; "
		fi
	done <"$HOSTILE/expected.tsv"
	assert_equal "$mismatches" ""
}
