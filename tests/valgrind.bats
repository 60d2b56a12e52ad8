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
	run --separate-stderr "${VG[@]}" "$BIN/validate" --schema "$REPO/sql/contracts/sales.schema.json" --rejects rej.csv s.csv
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
