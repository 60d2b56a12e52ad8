#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pgload against its floor and peer on a 3,000,000-row sales file (about
# 200 MB from gen --seed 1): psql's \copy of the same CSV, and pgloader. The
# issue asks for pgload's wall time to be at most 0.75 x \copy's and at most
# 0.1 x pgloader's. All of them load into raw.sales (its index and column
# defaults included) on one throwaway server started here, and hyperfine's
# --prepare empties the table before every run. pgload runs in its default
# binary mode; its CSV pass-through mode is shown too, for reference.
#   PGLOAD_BENCH_ROWS   rows in the file (default 3000000)
#   BENCH_RUNS          runs of pgload and psql (default 5, after one warm-up)
#   PGLOADER_RUNS       runs of pgloader (default 2, no warm-up: a run takes a minute)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
# shellcheck source=../tests/helpers/pg.bash
source "$here/../tests/helpers/pg.bash"

rows=${PGLOAD_BENCH_ROWS:-3000000}
cols=sale_id,sold_at,store_id,product_id,quantity,unit_price,amount,currency
file=$BENCH_TMP/pgload-sales.csv

pg_start
trap 'pg_stop' EXIT
psql -X -q -v ON_ERROR_STOP=1 -c "set client_min_messages = warning" \
	-f "$here/../sql/raw/001_schema.sql" -f "$here/../sql/raw/002_sales.sql"
"$ELT_BIN/gen" --rows "$rows" --seed 1 >"$file"

prepare="psql -X -q -v ON_ERROR_STOP=1 -c 'truncate raw.sales'"

# timed NAME RUNS WARMUP CMD: hyperfine's median wall time in seconds, each
# run on a freshly emptied table; then checks that the last run loaded
# every row, so a command that fails fast cannot pass for a fast one.
timed() {
	local name=$1 runs=$2 warmup=$3 cmd=$4 csv="$BENCH_TMP/pgload-$1.csv" n
	hyperfine --style basic --warmup "$warmup" --runs "$runs" --prepare "$prepare" \
		--export-csv "$csv" "$cmd" >&2
	n=$(psql -X -At -c "select count(*) from raw.sales")
	if [ "$n" != "$rows" ]; then
		echo "pgload.bench: $name left $n rows in raw.sales, not $rows" >&2
		return 1
	fi
	# The median counted from the right: the command itself may hold commas.
	awk -F, 'NR == 2 { print $(NF - 4) }' "$csv"
}

pgloader_cmd=$BENCH_TMP/pgload-sales.load
cat >"$pgloader_cmd" <<EOF
LOAD CSV
  FROM '$file' (${cols//,/, })
  INTO postgresql://$PGUSER@unix:$PGHOST:$PGPORT/$PGDATABASE
  TARGET TABLE raw.sales
  TARGET COLUMNS (${cols//,/, })
  WITH skip header = 1,
       fields optionally enclosed by '"',
       fields escaped by double-quote,
       fields terminated by ','
;
EOF

runs=${BENCH_RUNS:-5}
psql_s=$(timed psql "$runs" 1 "psql -X -q -c \"\\\\copy raw.sales ($cols) from '$file' csv header\"")
ours_s=$(timed pgload "$runs" 1 "'$ELT_BIN/pgload' -q < '$file'")
ours_csv_s=$(timed pgload-csv "$runs" 1 "'$ELT_BIN/pgload' -q --format csv < '$file'")
pgloader_s=$(timed pgloader "${PGLOADER_RUNS:-2}" 0 "pgloader --quiet '$pgloader_cmd' >/dev/null")

awk -v r="$rows" -v p="$psql_s" -v o="$ours_s" -v c="$ours_csv_s" -v l="$pgloader_s" 'BEGIN {
	printf "pgload %d rows (binary) vs psql \\copy\t%.2f s\t%.2f s (limit 0.75x)\t%.2fx\n", r, o, p, o / p
	printf "pgload %d rows (binary) vs pgloader\t%.2f s\t%.2f s (limit 0.10x)\t%.3fx\n", r, o, l, o / l
	printf "pgload %d rows --format csv vs psql \\copy\t%.2f s\t%.2f s (reference)\t%.2fx\n", r, c, p, c / p
}'
