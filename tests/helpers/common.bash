# SPDX-License-Identifier: MIT
# Loaded by every bats file: assertions, where the programs are, and a fresh
# working directory per test.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
BIN=${ELT_BIN:-$REPO/bin}
DATA=$REPO/tests/data

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# psql against the suite's server: unaligned, tuples only, stop on error.
sql() {
	psql -X -q -v ON_ERROR_STOP=1 -At "$@"
}
