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
	while IFS=$'\t' read -r file args want_status want_rules; do
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
