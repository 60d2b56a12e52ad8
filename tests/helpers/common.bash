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

# hides_password PROGRAM ARGS...: runs the program with -d naming a
# password, in URI and in key=value form, against a socket that accepts
# and never answers, so that it waits there; meanwhile its command line,
# as every local user sees it, must not hold the password. The program's
# arguments come after -d.
hides_password() {
	local prog=$1 dir pid listener conninfo cmdline
	shift
	dir=$(mktemp -d)
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1] + "/.s.PGSQL.5432")
s.listen(8)
time.sleep(60)' "$dir" &
	listener=$!
	for _ in $(seq 100); do [ -S "$dir/.s.PGSQL.5432" ] && break; sleep 0.05; done
	for conninfo in "postgresql://someone:Pa55wordInArgv@/db?host=$dir" \
		"host=$dir user=someone password='Pa55word InArgv' dbname=db" \
		"postgresql:///db?host=$dir&password=Pa55wordInArgv"; do
		PGCONNECT_TIMEOUT=30 "$prog" -d "$conninfo" "$@" </dev/null >/dev/null 2>&1 &
		pid=$!
		sleep 0.5
		cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		if [[ "$cmdline" == *Pa55word* ]] || [[ "$cmdline" != *"-d "* ]]; then
			echo "the command line shows: $cmdline" >&2
			kill "$listener"
			rm -rf "$dir"
			return 1
		fi
	done
	kill "$listener"
	wait "$listener" 2>/dev/null || true
	rm -rf "$dir"
}

# assert_stderr_line [-p | -e] [--] EXPECTED: bats-assert's assert_line on
# $stderr (after run --separate-stderr), so that a failure shows the whole
# of it beside what was expected.
assert_stderr_line() {
	local output=$stderr
	local -a lines=("${stderr_lines[@]}")
	assert_line "$@"
}

# refute_stderr_line: likewise, refute_line on $stderr.
refute_stderr_line() {
	local output=$stderr
	local -a lines=("${stderr_lines[@]}")
	refute_line "$@"
}
