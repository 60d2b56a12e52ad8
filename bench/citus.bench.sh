#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The scale-out path (issue 19): pgload and an incremental `modelrun run`
# of the sales warehouse on a Citus cluster (one coordinator and two
# workers, tests/helpers/citus.bash) against a single server
# (tests/helpers/pg.bash), on the same data. All three nodes share this
# machine's cores, so this measures what Citus's routing costs more than
# what real workers gain (docs/scale-out.md). Prints one line and nothing
# else where Citus is not installed.
#   CITUS_BENCH_ROWS  rows in the timed pgload (default 200000)
#   CITUS_BENCH_DAYS  days x 10,000 rows in raw.sales before the timed
#                     incremental runs (default 30)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/helpers/pg.bash
source "$repo/tests/helpers/pg.bash"
# shellcheck source=../tests/helpers/citus.bash
source "$repo/tests/helpers/citus.bash"
if ! citus_installed; then
	echo "citus: skipped: Citus not installed (scripts/ensure-deps.sh citus)" >&2
	printf 'citus: pgload and modelrun on 1+2 nodes\tskipped\tCitus not installed\t-\n'
	exit 0
fi
work="$BENCH_TMP/citus"
rm -rf "$work"
mkdir -p "$work"
pg_start >&2
citus_start >&2
trap 'pg_stop; citus_stop; rm -rf "$work"' EXIT
single="PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=postgres PGDATABASE=postgres"
cluster=$(citus_env)
rows=${CITUS_BENCH_ROWS:-200000}
days=${CITUS_BENCH_DAYS:-30}

for side in single cluster; do
	env ${!side} psql -X -q -v ON_ERROR_STOP=1 -f "$repo/sql/raw/001_schema.sql" -f "$repo/sql/raw/002_sales.sql" \
		2>/dev/null
	cp -r "$repo/sql" "$work/sql-$side"
	rm -rf "$work/sql-$side/target"
done

# ---- pgload: the same file into raw.sales, appended each run ----
"$ELT_BIN/gen" --rows "$rows" --seed 11 --start 2024-01-01 --days 10 >"$work/load.csv"
read -r s c < <(paired_medians \
	"env $single $ELT_BIN/pgload -q --table raw.sales < $work/load.csv" \
	"env $cluster $ELT_BIN/pgload -q --table raw.sales < $work/load.csv")
awk -v s="$s" -v c="$c" -v r="$rows" 'BEGIN {
	printf "pgload %d rows, Citus 1+2 on one machine (median)\t%.2f s\t%.2f s (single server)\t%.2fx\n", r, c, s, c / s
}'

# ---- modelrun: one more day, incrementally ----
for side in single cluster; do
	env ${!side} psql -X -q -c "truncate raw.sales, raw._loads"
	"$ELT_BIN/gen" --rows $((days * 10000)) --seed 1 --start 2025-01-01 --days "$days" |
		env ${!side} "$ELT_BIN/pgload" -q --table raw.sales
	env ${!side} "$ELT_BIN/modelrun" seed -q --project-dir "$work/sql-$side"
	env ${!side} "$ELT_BIN/modelrun" run -q --project-dir "$work/sql-$side" --full-refresh
done
"$ELT_BIN/gen" --seed 2 --start 2026-01-01 --days 1 --rows 10000 >"$work/day.csv"
for side in single cluster; do
	secs=$(BENCH_RUNS=${BENCH_RUNS:-5} median_seconds_prepared "modelrun_$side" \
		"env ${!side} $ELT_BIN/pgload -q --table raw.sales < $work/day.csv" \
		"env ${!side} $ELT_BIN/modelrun run -q --project-dir $work/sql-$side")
	printf -v "inc_$side" '%s' "$secs"
done
# shellcheck disable=SC2154
awk -v s="$inc_single" -v c="$inc_cluster" -v d="$days" 'BEGIN {
	printf "modelrun run after one more day on %d days, Citus 1+2 (median)\t%.3f s\t%.3f s (single server)\t%.2fx\n", d, c, s, c / s
}'
