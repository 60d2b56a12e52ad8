#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a dbt package's own integration_tests project (dbt_utils by default)
# under modelrun seed, modelrun run and dqcheck, and prints what passed:
#
#   seeds N/M
#   models N/M
#   tests N/M
#   FAIL kind name: first line of its error
#
# then, where the reference dbt is installed, the same three counts from
# dbt seed / run / test on the same project ("dbt seeds N/M", ...).
#
# The project is copied into a temporary directory laid out as the
# package's repository is (integration_tests/ inside the package, whose
# packages.yml says `local: ../`), with the package installed in
# integration_tests/dbt_packages/ as `dbt deps` installs a local package.
# It runs with a profiles.yml like the packages' CI one, target postgres,
# against the database the PG* variables name (libpq's defaults otherwise),
# in the schemas SCHEMA (modelrun) and SCHEMA_dbt (dbt), which are dropped
# first, with the schemas their seeds and models derive from them.
#
# Usage: scripts/pkg-suite.sh [--package DIR] [--schema S] [--keep DIR] [--no-dbt]
#   --package DIR  the package (default: dbt_utils of ../shared/dbt-packages
#                  beside the repository, else /work/shared/dbt-packages;
#                  ELT_DBT_PACKAGES names another folder of packages)
#   --schema S     the target schema for modelrun (default pkg_mr)
#   --keep DIR     work in DIR (kept afterwards) instead of a temporary one
#   --no-dbt       do not run the reference dbt
# ELT_BIN names the programs' directory (default bin/ of this repository);
# ELT_DBT the reference dbt (default /opt/dbt-reference/bin/dbt).
# Exit status: 0 when it ran (whatever the counts), 2 usage, 3 when it could
# not run (no package, no database, a program missing).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${ELT_BIN:-$repo/bin}
dbt=${ELT_DBT:-/opt/dbt-reference/bin/dbt}
pkg=
schema=pkg_mr
keep=
use_dbt=1

usage() {
	echo "usage: pkg-suite.sh [--package DIR] [--schema S] [--keep DIR] [--no-dbt]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--package) [ $# -ge 2 ] || usage; pkg=$2; shift 2 ;;
	--schema) [ $# -ge 2 ] || usage; schema=$2; shift 2 ;;
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
	--no-dbt) use_dbt=0; shift ;;
	-h | --help)
		sed -n '3,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
		exit 0 ;;
	*) usage ;;
	esac
done

die() {
	echo "pkg-suite: $*" >&2
	exit 3
}

if [ -z "$pkg" ]; then
	for d in "${ELT_DBT_PACKAGES:-}" "$repo/../shared/dbt-packages" "$repo/../../shared/dbt-packages" \
		/work/shared/dbt-packages; do
		[ -n "$d" ] && [ -d "$d/dbt_utils/integration_tests" ] && { pkg=$d/dbt_utils; break; }
	done
fi
if [ -z "$pkg" ] || [ ! -d "$pkg/integration_tests" ]; then
	die "no package with integration_tests/ found (--package DIR)"
fi
if [ ! -x "$bin/modelrun" ] || [ ! -x "$bin/dqcheck" ]; then
	die "no modelrun and dqcheck in $bin (run make)"
fi
[[ $schema =~ ^[a-z_][a-z0-9_]*$ ]] || die "--schema: a lower-case SQL name, please: $schema"

if [ -n "$keep" ]; then
	mkdir -p "$keep"
	work=$(cd "$keep" && pwd)
	rm -rf "${work:?}/pkg"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/pkg-suite.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi

# The package's tree, then the package once more as dbt deps installs it
# for `local: ../` (dbt links it; a copy without integration_tests keeps
# the walk of dbt_packages/ finite).
name=$(sed -n "s/^name: *['\"]\{0,1\}\([A-Za-z0-9_]*\).*/\1/p" "$pkg/dbt_project.yml" | head -n 1)
[ -n "$name" ] || die "$pkg/dbt_project.yml has no name"
mkdir -p "$work/pkg"
cp -r "$pkg/." "$work/pkg/"
chmod -R u+w "$work/pkg"
proj=$work/pkg/integration_tests
rm -rf "$proj/dbt_packages" "$proj/target" "$proj/logs"
mkdir -p "$proj/dbt_packages/$name"
(cd "$pkg" && tar cf - --exclude=./integration_tests .) | tar xf - -C "$proj/dbt_packages/$name"
chmod -R u+w "$proj/dbt_packages"

profile=$(sed -n "s/^profile: *['\"]\{0,1\}\([A-Za-z0-9_]*\).*/\1/p" "$proj/dbt_project.yml" | head -n 1)
# as the packages' CI writes it: everything from the environment
cat >"$proj/profiles.yml" <<EOF
${profile:-integration_tests}:
  target: postgres
  outputs:
    postgres:
      type: postgres
      host: "{{ env_var('POSTGRES_HOST') }}"
      user: "{{ env_var('POSTGRES_USER') }}"
      pass: "{{ env_var('DBT_ENV_SECRET_POSTGRES_PASS', '') }}"
      port: "{{ env_var('POSTGRES_PORT') | as_number }}"
      dbname: "{{ env_var('POSTGRES_DATABASE') }}"
      schema: "{{ env_var('POSTGRES_SCHEMA') }}"
      threads: 4
EOF

# libpq's defaults, spelt out for the profile
export POSTGRES_HOST=${PGHOST:-/var/run/postgresql}
export POSTGRES_PORT=${PGPORT:-5432}
export POSTGRES_USER=${PGUSER:-$(id -un)}
export POSTGRES_DATABASE=${PGDATABASE:-$POSTGRES_USER}
export DBT_ENV_SECRET_POSTGRES_PASS=${PGPASSWORD:-}
export DBT_PROFILES_DIR=$proj

# drop_schemas S: S and every schema named S_something (seeds' +schema)
drop_schemas() {
	psql -X -q -v ON_ERROR_STOP=1 -At -d "$POSTGRES_DATABASE" >/dev/null <<-EOF || die "cannot reach the database $POSTGRES_DATABASE"
	set client_min_messages = warning;
	do \$\$ declare s text; begin
	for s in select nspname from pg_namespace where nspname = '$1' or nspname like '$1\\_%' loop
		execute format('drop schema %I cascade', s);
	end loop; end \$\$;
	EOF
}

# ---- modelrun + dqcheck ----
drop_schemas "$schema"
export POSTGRES_SCHEMA=$schema
cd "$proj"
"$bin/modelrun" seed --target postgres >"$work/seed.log" 2>&1 || true
"$bin/modelrun" run --target postgres >"$work/run.log" 2>&1 || true
"$bin/dqcheck" --target postgres >"$work/test.log" 2>&1 || true

nseeds=$(find data -name '*.csv' | wc -l)
# count_lines FILE REGEX: the lines of FILE matching REGEX
count_lines() { grep -cE "$2" "$1" || true; }
seeds_ok=$(count_lines "$work/seed.log" '^modelrun: \[[0-9]+/[0-9]+\] OK ')
seeds_all=$(count_lines "$work/seed.log" '^modelrun: \[[0-9]+/[0-9]+\] ')
models_ok=$(count_lines "$work/run.log" '^modelrun: \[[0-9]+/[0-9]+\] OK ')
models_all=$(count_lines "$work/run.log" '^modelrun: \[[0-9]+/[0-9]+\] ')
tests_ok=$(count_lines "$work/test.log" '^(PASS|WARN) ')
tests_all=$(count_lines "$work/test.log" '^(PASS|WARN|FAIL|ERROR|SKIP) ')
# a load that stops before any node runs says so on one line of its own
for f in seed run test; do
	if ! grep -qE '^(modelrun: \[|PASS|WARN|FAIL|ERROR|SKIP)' "$work/$f.log"; then
		echo "pkg-suite: $f did not run a node:" >&2
		sed -n '1,5p' "$work/$f.log" >&2
	fi
done
echo "seeds $seeds_ok/$((seeds_all > nseeds ? seeds_all : nseeds))"
echo "models $models_ok/$models_all"
echo "tests $tests_ok/$tests_all"
# the failures, each with the first line of its error
sed -n 's/^modelrun: \[[0-9]*\/[0-9]*\] \(ERROR\|SKIP\) \([^ ]*\) ([^)]*): \{0,1\}\(.*\)/FAIL seed \2: \3/p' \
	"$work/seed.log"
sed -n 's/^modelrun: \[[0-9]*\/[0-9]*\] \(ERROR\|SKIP\) \([^ ]*\) ([^)]*)[:]\{0,1\} \{0,1\}\(.*\)/FAIL model \2: \3/p' \
	"$work/run.log"
sed -n 's/^\(FAIL\|ERROR\|SKIP\) *\([^:]*\): *\(.*\)/FAIL test \2: \1 \3/p' "$work/test.log"

# ---- the reference dbt, counts only ----
[ "$use_dbt" = 1 ] || exit 0
if [ ! -x "$dbt" ]; then
	echo "pkg-suite: no reference dbt at $dbt: not compared" >&2
	exit 0
fi
drop_schemas "${schema}_dbt"
export POSTGRES_SCHEMA=${schema}_dbt
rm -rf target
# dbt_counts CMD: "ok/all" for the nodes of CMD's run_results.json
dbt_counts() {
	"$dbt" --no-use-colors --log-format text "$1" --target postgres >"$work/dbt_$1.log" 2>&1 || true
	python3 - "$proj/target/run_results.json" <<-'EOF' 2>/dev/null || echo "0/0"
	import json, sys
	res = json.load(open(sys.argv[1]))["results"]
	ok = sum(1 for r in res if r["status"] in ("success", "pass", "warn"))
	print(f"{ok}/{len(res)}")
	EOF
	rm -f "$proj/target/run_results.json"
}
echo "dbt seeds $(dbt_counts seed)"
echo "dbt models $(dbt_counts run)"
echo "dbt tests $(dbt_counts test)"

# ---- the relations both built: the same columns (names and types, in
# order) and the same rows (as multisets) ----
# psql_val SQL: one value
psql_val() { psql -X -q -At -d "$POSTGRES_DATABASE" -c "$1"; }
# columns_of NS REL: "name type, ..." in order
columns_of() {
	psql_val "select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum)
		from pg_attribute where attrelid = format('%I.%I', '$1', '$2')::regclass and attnum > 0 and not attisdropped"
}
same=0
compared=0
while read -r ns rel; do
	other=${schema}_dbt${ns#"$schema"}
	[ "$(psql_val "select to_regclass(format('%I.%I', '$other', '$rel')) is not null")" = t ] || continue
	compared=$((compared + 1))
	if [ "$(columns_of "$ns" "$rel")" != "$(columns_of "$other" "$rel")" ]; then
		echo "DIFF relation $ns.$rel: its columns differ from dbt's"
		continue
	fi
	# a value naming a relation (union_relations' _dbt_source_relation)
	# names dbt's schema on dbt's side: read as modelrun's
	a="select to_jsonb(t)::text from \"$ns\".\"$rel\" t"
	b="select replace(to_jsonb(t)::text, '${schema}_dbt', '$schema') from \"$other\".\"$rel\" t"
	if [ "$(psql_val "select count(*) from (($a except all $b) union all ($b except all $a)) x")" != 0 ]; then
		echo "DIFF relation $ns.$rel: its rows differ from dbt's"
		continue
	fi
	same=$((same + 1))
done < <(psql_val "select n.nspname || ' ' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
	where c.relkind in ('r', 'v', 'm', 'p') and (n.nspname = '$schema' or
	(n.nspname like '$schema\\_%' and n.nspname not like '${schema}\\_dbt%')) order by 1")
echo "relations same as dbt's $same/$compared"
