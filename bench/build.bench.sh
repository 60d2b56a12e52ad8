#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `modelrun build` of the sales warehouse (sql/: seeds, models, data tests)
# against `dbt build` of the same project on the same server, each into a
# target schema of its own, over BUILD_BENCH_DAYS (default 30) days x
# 10,000 rows of gen's sales. Two rows: a build with --full-refresh, and a
# build with nothing new to load (the incremental models have nothing to
# add: what a scheduled build costs on a quiet day). The two tools run in
# turns (paired_medians), so that a shared machine's drift falls on both.
# dbt is /opt/dbt-reference/bin/dbt, or ELT_DBT; without it the rows say
# so and the script still succeeds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
source "$here/lib.sh"
dbt=${ELT_DBT:-/opt/dbt-reference/bin/dbt}
if [ ! -x "$dbt" ]; then
	echo "no reference dbt at $dbt (install /work/shared/dbt-reference, or set ELT_DBT): build not compared" >&2
	printf 'modelrun build vs dbt build\t-\tskipped: no dbt at %s\t-\n' "$dbt"
	exit 0
fi
# shellcheck source=../tests/helpers/pg.bash
source "$repo/tests/helpers/pg.bash"
work="$BENCH_TMP/build"
rm -rf "$work"
mkdir -p "$work"
pg_start >&2
trap 'pg_stop; rm -rf "$work"' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# one copy of the project per tool, so that their target/ stay apart
cp -r "$repo/sql" "$work/mr"
cp -r "$repo/sql" "$work/dbt"
rm -rf "$work/mr/target" "$work/dbt/target"
pg_dbt_profile sales_warehouse bench_dbt >"$work/dbt/profiles.yml"
psql -f "$work/mr/raw/001_schema.sql" -f "$work/mr/raw/002_sales.sql"
days=${BUILD_BENCH_DAYS:-30}
echo "loading $days days x 10,000 rows into raw.sales" >&2
"$ELT_BIN/gen" --seed 1 --start 2025-01-01 --days "$days" --rows $((days * 10000)) |
	psql -c "\\copy raw.sales (sale_id, sold_at, store_id, product_id, quantity, unit_price, amount, currency) from stdin csv header"
psql -c "vacuum analyze raw.sales"

mr="$ELT_BIN/modelrun build -q --project-dir $work/mr --schema bench_mr"
db="cd $work/dbt && DBT_PROFILES_DIR=. $dbt --quiet --no-use-colors build --target-path target"
# both must pass before they are timed: a failing build is no benchmark
$mr --full-refresh >&2
(cd "$work/dbt" && DBT_PROFILES_DIR=. "$dbt" --quiet --no-use-colors build --target-path target) >&2
rows=$(psql -At -c "select count(*) from bench_mr.stg_sales")
[ "$rows" = "$(psql -At -c "select count(*) from bench_dbt.stg_sales")" ] ||
	{ echo "modelrun and dbt staged different row counts" >&2; exit 1; }

export BENCH_RUNS=${BUILD_BENCH_RUNS:-5}
read -r mr_full dbt_full < <(paired_medians "$mr --full-refresh" "$db --full-refresh")
read -r mr_inc dbt_inc < <(paired_medians "$mr" "$db")
awk -v a="$mr_full" -v b="$dbt_full" -v r="$rows" -v c="$mr_inc" -v d="$dbt_inc" 'BEGIN {
	printf "modelrun build --full-refresh, sales warehouse, %dk rows (median)\t%.2f s\t%.2f s (dbt build)\t%.3fx\n", r / 1000, a, b, a / b
	printf "modelrun build, nothing new to load (median)\t%.2f s\t%.2f s (dbt build)\t%.3fx\n", c, d, c / d
}'
