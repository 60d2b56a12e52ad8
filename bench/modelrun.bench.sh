#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# modelrun, the two speeds issue 5 asks for, and seeds:
#  1. overhead: `modelrun compile` of a generated project of 200 view models
#     (each refers to one or two others, over a one-row table) takes under
#     50 ms in total (hyperfine median); no database is involved;
#  2. incremental: with 365 days x 10,000 rows/day in raw.sales, after
#     loading one more day, `modelrun run` of the sales warehouse (sql/)
#     takes at most 1/20 of `modelrun run --full-refresh`;
#  3. `modelrun seed` of a 1,000,000-row CSV against psql's \copy of it.
# Starts its own PostgreSQL server (tests/helpers/pg.bash) for parts 2-3.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
repo=$(cd "$(dirname "$0")/.." && pwd)
work="$BENCH_TMP/modelrun"
rm -rf "$work"
mkdir -p "$work"

# ---- 1. compile overhead ----
proj="$work/dag200"
mkdir -p "$proj/models/a" "$proj/models/b"
cat >"$proj/dbt_project.yml" <<'YML'
name: dag200
models:
  dag200:
    +materialized: view
YML
cat >"$proj/models/sources.yml" <<'YML'
version: 2
sources:
  - name: base
    tables:
      - name: one
YML
printf "select 1 as id, 'x'::text as label\nfrom {{ source('base', 'one') }}\n" >"$proj/models/a/m001.sql"
for i in $(seq 2 200); do
	dir=$([ $((i % 2)) -eq 0 ] && echo a || echo b)
	prev=$(printf 'm%03d' $((i - 1)))
	half=$(printf 'm%03d' $((i / 2)))
	{
		printf "{{ config(tags=['t%d']) }}\n" $((i % 5))
		printf -- "-- model %d: refers to %s%s\n" "$i" "$prev" "$([ "$half" != "$prev" ] && echo " and $half")"
		printf "select p.id + 1 as id, p.label || '%d' as label\nfrom {{ ref('%s') }} as p\n" "$i" "$prev"
		if [ "$half" != "$prev" ]; then
			printf "{%% if var('wide', false) %%}\njoin {{ ref('%s') }} as h on h.id = p.id\n{%% endif %%}\n" "$half"
		fi
		printf "where p.id is not null\n"
	} >"$proj/models/$dir/$(printf 'm%03d' "$i").sql"
done
"$ELT_BIN/modelrun" compile -q --project-dir "$proj"
compiled=$(find "$proj/target/compiled" -name '*.sql' | wc -l)
[ "$compiled" -eq 200 ] || { echo "compiled $compiled models, not 200" >&2; exit 1; }
secs=$(BENCH_RUNS=20 median_seconds modelrun_compile "$ELT_BIN/modelrun compile -q --project-dir $proj")
awk -v s="$secs" 'BEGIN {
	printf "modelrun compile, 200 models (median)\t%.1f ms\t50 ms limit (dbt-core: seconds)\t%.2fx\n", s * 1000, s / 0.050
}'

# ---- 2. incremental vs full refresh ----
# shellcheck source=../tests/helpers/pg.bash
source "$repo/tests/helpers/pg.bash"
pg_start >&2
trap 'pg_stop; rm -rf "$work"' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
cp -r "$repo/sql" "$work/sql"
rm -rf "$work/sql/target"
psql -f "$work/sql/raw/001_schema.sql" -f "$work/sql/raw/002_sales.sql"
load() { # load SEED START DAYS ROWS: one load of generated sales
	"$ELT_BIN/gen" --seed "$1" --start "$2" --days "$3" --rows "$4" |
		psql -c "\\copy raw.sales (sale_id, sold_at, store_id, product_id, quantity, unit_price, amount, currency) from stdin csv header"
}
days=${MODELRUN_BENCH_DAYS:-365}
echo "loading $days days x 10,000 rows into raw.sales" >&2
load 1 2025-01-01 "$days" $((days * 10000))
psql -c "vacuum analyze raw.sales"
"$ELT_BIN/modelrun" seed -q --project-dir "$work/sql"
"$ELT_BIN/modelrun" run -q --project-dir "$work/sql" --full-refresh
full=$(BENCH_RUNS=3 median_seconds modelrun_full \
	"$ELT_BIN/modelrun run -q --project-dir $work/sql --full-refresh")
# Each incremental run gets one more day of 10,000 rows, loaded before it.
"$ELT_BIN/gen" --seed 2 --start 2026-01-01 --days 1 --rows 10000 >"$work/day.csv"
secs=$(BENCH_RUNS=5 median_seconds_prepared modelrun_incremental \
	"psql -X -q -c \"\\\\copy raw.sales (sale_id, sold_at, store_id, product_id, quantity, unit_price, amount, currency) from '$work/day.csv' csv header\"" \
	"$ELT_BIN/modelrun run -q --project-dir $work/sql")
rows=$(psql -At -c "select count(*) from analytics.stg_sales")
awk -v f="$full" -v s="$secs" -v r="$rows" 'BEGIN {
	printf "modelrun run --full-refresh, %d staged rows (median)\t%.2f s\t-\t-\n", r, f
	printf "modelrun run after one more day (median)\t%.3f s\t%.3f s (1/20 of full refresh)\t%.3fx\n", s, f / 20, s / (f / 20)
}'

# ---- 3. seeds: modelrun seed against COPY of the same file ----
# A seed of MODELRUN_BENCH_SEED_ROWS rows (integers, decimals, dates,
# text), typed and read as dbt reads it, against psql's \copy of the same
# file into a table of the same types: the floor, since modelrun seed
# sends the rows with COPY too.
seed_rows=${MODELRUN_BENCH_SEED_ROWS:-1000000}
seedp="$work/seedp"
mkdir -p "$seedp/seeds"
printf 'name: seedp\nconfig-version: 2\n' >"$seedp/dbt_project.yml"
awk -v n="$seed_rows" 'BEGIN {
	print "id,store,qty,price,day,note"
	for (i = 0; i < n; i++)
		printf "%d,ST%03d,%d,%.2f,2026-11-%02d,note %d\n", i, i % 50, i % 7, (i % 1000) / 100, 1 + i % 30, i
}' >"$seedp/seeds/big.csv"
"$ELT_BIN/modelrun" seed -q --project-dir "$seedp"
types=$(psql -At -c "select string_agg(format('%I %s', attname, format_type(atttypid, atttypmod)), ', ' order by attnum)
	from pg_attribute where attrelid = 'analytics.big'::regclass and attnum > 0 and not attisdropped")
mr=$(median_seconds modelrun_seed "$ELT_BIN/modelrun seed -q --project-dir $seedp")
# (in a file: hyperfine's CSV would split a command holding commas)
printf 'drop table if exists public.seed_floor;\ncreate table public.seed_floor (%s);\n\\copy public.seed_floor from %s csv header\n' \
	"$types" "'$seedp/seeds/big.csv'" >"$seedp/floor.sql"
floor=$(median_seconds copy_seed "psql -X -q -v ON_ERROR_STOP=1 -f $seedp/floor.sql")
awk -v m="$mr" -v f="$floor" -v r="$seed_rows" 'BEGIN {
	printf "modelrun seed, %d rows (median)\t%.2f s\t%.2f s (psql \\copy, same types)\t%.2fx\n", r, m, f, m / f
}'
