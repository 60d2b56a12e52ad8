# SPDX-License-Identifier: MIT
# One throwaway PostgreSQL server for the whole bats run; see helpers/pg.bash.
setup_suite() {
	# shellcheck source=helpers/pg.bash
	source "$BATS_TEST_DIRNAME/helpers/pg.bash"
	pg_start
}

teardown_suite() {
	# shellcheck source=helpers/pg.bash
	source "$BATS_TEST_DIRNAME/helpers/pg.bash"
	pg_stop
}
