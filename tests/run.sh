#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the C unit tests and the bats suite and ends with one line
# "N passed, N failed". Exits non-zero when anything failed.
#   ELT_BIN    directory holding the programs under test (default bin/)
#   ELT_UNIT   unit-test executables, space-separated
#   ELT_TESTS  bats files to run (default: every tests/*.bats)
#   ELT_FILTER only the bats tests whose names match this regular
#              expression (bats --filter)
#   ELT_SAN    1 when the programs are built with ASan + UBSan: every
#              sanitizer report, even from a run whose test passed, fails
set -euo pipefail
cd "$(dirname "$0")/.."
export ELT_BIN=${ELT_BIN:-$PWD/bin}
passed=0
failed=0
log=$(mktemp)
san_dir=$(mktemp -d)
trap 'rm -rf "$log" "$san_dir"' EXIT
if [ "${ELT_SAN:-}" = 1 ]; then
	export ASAN_OPTIONS="detect_leaks=1:exitcode=86:log_path=$san_dir/asan"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$san_dir/ubsan"
fi

# Counts TAP lines "ok" / "not ok" in $log into the totals.
count_tap() {
	local ok notok
	ok=$(grep -c '^ok ' "$log" || true)
	notok=$(grep -c '^not ok ' "$log" || true)
	passed=$((passed + ok))
	failed=$((failed + notok))
}

for unit in ${ELT_UNIT:-}; do
	echo "# unit: $unit"
	if ! "$unit" >"$log" 2>&1; then
		# A crash or a failing exit must count even if no "not ok" was printed.
		grep -q '^not ok ' "$log" || echo "not ok - $unit exited with failure" >>"$log"
	fi
	cat "$log"
	count_tap
done

# shellcheck disable=SC2086
bats --tap ${ELT_FILTER:+--filter "$ELT_FILTER"} ${ELT_TESTS:-tests} 2>&1 | tee "$log" || true
count_tap
# bats prints "1..N" first: a run that died before all N tests reported fails.
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | head -1)
ran=$(grep -cE '^(not )?ok ' "$log" || true)
if [ -z "$planned" ] || [ "$ran" -lt "$planned" ]; then
	echo "# bats stopped early: ${ran} of ${planned:-?} tests reported"
	failed=$((failed + ${planned:-1} - ran))
fi

for report in "$san_dir"/*; do
	[ -e "$report" ] || continue
	echo "not ok - sanitizer report $(basename "$report")"
	sed 's/^/# /' "$report"
	failed=$((failed + 1))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
