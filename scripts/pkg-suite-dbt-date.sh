#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs dbt_date's own integration_tests project under modelrun seed/run and
# dqcheck, and (when it is installed) under the reference dbt, with the
# project's own profiles.yml and --target postgres, and prints the counts:
#
#   modelrun: seeds N ok M failed; models N ok M failed; tests N pass M fail
#   dbt:      seeds ...;            models ...;          tests ...
#
# then each node that failed under modelrun or dqcheck with the first line
# of its error. Usage:
#
#   scripts/pkg-suite-dbt-date.sh [--no-dbt] [--keep DIR]
#
#   ELT_DBT_PACKAGES  where dbt_date is (default: the shared/dbt-packages
#                     beside the checkout, else /work/shared/dbt-packages)
#   ELT_BIN           the programs (default: bin/ of this checkout)
#   ELT_DBT           the reference dbt (default /opt/dbt-reference/bin/dbt)
#   ELT_SUITE_DB      the database to use, dropped and made afresh
#                     (default elt_dbt_date_suite)
#
# It connects the libpq way (PGHOST, PGPORT, PGUSER); with no PGHOST it
# starts a throwaway server of its own (tests/helpers/pg.bash) and stops
# it at the end. modelrun builds in schema mr_date, dbt in dbt_date_ref;
# with --keep DIR the projects and their logs stay in DIR.
# Exit status: 0 when it ran (whatever the counts), 2 usage, 3 when it
# could not run (no package, no server).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${ELT_BIN:-$repo/bin}
dbt=${ELT_DBT:-/opt/dbt-reference/bin/dbt}
use_dbt=1
keep=

# usage [STATUS]: the text above; on stderr unless asked for (--help)
usage() {
	if [ "${1:-2}" = 0 ]; then
		sed -n '3,28s/^# \{0,1\}//p' "$0"
	else
		sed -n '3,28s/^# \{0,1\}//p' "$0" >&2
	fi
	exit "${1:-2}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--no-dbt) use_dbt=0 ;;
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift ;;
	-h | --help) usage 0 ;;
	*) usage ;;
	esac
	shift
done

# the first of these places that holds the package
pkgs=
for d in ${ELT_DBT_PACKAGES:+"$ELT_DBT_PACKAGES"} "$repo/../shared/dbt-packages" "$repo/../../shared/dbt-packages" \
	/work/shared/dbt-packages; do
	if [ -d "$d/dbt_date/integration_tests" ]; then pkgs=$d; break; fi
done
if [ -z "$pkgs" ]; then
	echo "pkg-suite-dbt-date: no dbt_date package found (set ELT_DBT_PACKAGES)" >&2
	exit 3
fi

work=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/dbt-date-suite.XXXXXX")}
mkdir -p "$work"
own_server=0
cleanup() {
	if [ "$own_server" = 1 ]; then pg_stop; fi
	[ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${PGHOST:-}" ]; then
	# shellcheck source=/dev/null
	source "$repo/tests/helpers/pg.bash"
	pg_start || exit 3
	own_server=1
fi
export PGDATABASE=${ELT_SUITE_DB:-elt_dbt_date_suite}
psql -X -q -d postgres -c "set client_min_messages = warning" -c "drop database if exists $PGDATABASE" -c "create database $PGDATABASE" >/dev/null ||
	exit 3

# proj DIR: a copy of the package in DIR/dbt_date, whose integration
# project gets dbt_date installed in dbt_packages/ as `dbt deps` installs
# its `local: ../`; prints the project's directory.
proj() {
	rm -rf "$1"
	mkdir -p "$1"
	cp -r "$pkgs/dbt_date" "$1/dbt_date"
	local it=$1/dbt_date/integration_tests
	rm -rf "$it/dbt_packages" "$it/target"
	mkdir -p "$it/dbt_packages/dbt_date"
	(cd "$1/dbt_date" && find . -mindepth 1 -maxdepth 1 ! -name integration_tests -exec cp -r {} "$it/dbt_packages/dbt_date/" \;)
	echo "$it"
}

# the variables the project's profiles.yml reads for its postgres output
export POSTGRES_HOST=$PGHOST POSTGRES_PORT=${PGPORT:-5432} POSTGRES_USER=${PGUSER:-$(id -un)} \
	POSTGRES_DATABASE=$PGDATABASE DBT_ENV_SECRET_POSTGRES_PASS=${PGPASSWORD:-}

# count LOG WORD: how many lines of LOG start with WORD and two spaces
count() { grep -c "^$2 " "$1" || true; }

mr=$(proj "$work/mr")
export POSTGRES_SCHEMA=mr_date
(
	cd "$mr"
	"$bin/modelrun" seed --profiles-dir . --target postgres >seed.out 2>seed.log || true
	"$bin/modelrun" run --profiles-dir . --target postgres >run.out 2>run.log || true
	"$bin/dqcheck" --profiles-dir . --target postgres >test.out 2>test.log || true
)
summary() { sed -n 's/.*done in [0-9.]* s: \([0-9]*\) ok, \([0-9]*\) failed.*/\1 ok \2 failed/p' "$1" | tail -n 1; }
mr_seed=$(summary "$mr/seed.log")
mr_run=$(summary "$mr/run.log")
mr_pass=$(count "$mr/test.log" PASS)
mr_fail=$(($(count "$mr/test.log" FAIL) + $(count "$mr/test.log" ERROR)))
# a run that stopped before building anything has no summary line: its
# first line says why
echo "modelrun: seeds ${mr_seed:-0 ok 0 failed}; models ${mr_run:-0 ok 0 failed}; tests $mr_pass pass $mr_fail fail"
for f in seed run test; do
	if ! grep -q 'done in\|nothing to do\|^\(PASS\|FAIL\|ERROR\|WARN\) ' "$mr/$f.log"; then
		echo "modelrun $f stopped: $(head -n 1 "$mr/$f.log")"
	fi
done

if [ "$use_dbt" = 1 ] && [ -x "$dbt" ]; then
	ref=$(proj "$work/dbt")
	export POSTGRES_SCHEMA=dbt_date_ref
	(
		cd "$ref"
		for c in seed run test; do
			"$dbt" --no-use-colors --log-format text "$c" --profiles-dir . --target postgres >"$c.log" 2>&1 || true
		done
	)
	# dbt's "Done. PASS=36 WARN=0 ERROR=0 SKIP=0 ... TOTAL=36"
	dsum() { sed -n 's/.*PASS=\([0-9]*\) WARN=[0-9]* ERROR=\([0-9]*\) SKIP=\([0-9]*\).*/\1 ok \2 failed/p' "$1" | tail -n 1; }
	echo "dbt:      seeds $(dsum "$ref/seed.log"); models $(dsum "$ref/run.log"); tests $(dsum "$ref/test.log" | sed 's/ ok/ pass/; s/ failed/ fail/')"
elif [ "$use_dbt" = 1 ]; then
	echo "dbt:      not run (no reference dbt at $dbt)"
fi

# the failures, each with the first line of its error: a node's line says
# why it failed; a failing test's line says how many rows, an erring
# test's next line says why
grep -h '^modelrun: \[[0-9]*/[0-9]*\] \(ERROR\|SKIP\)' "$mr/seed.log" "$mr/run.log" | head -n 40 || true
grep -h '^FAIL ' "$mr/test.log" | head -n 40 || true
grep -h -A1 '^ERROR ' "$mr/test.log" | grep -v '^--$' | head -n 80 || true
