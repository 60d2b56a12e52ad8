#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pgload against its floor and peer on a 3,000,000-row sales file (about
# 200 MB from gen --seed 1): psql's \copy of the same CSV, and pgloader. The
# issue asks for pgload's wall time to be at most 0.75 x \copy's and at most
# 0.1 x pgloader's. All of them load into raw.sales (its index and column
# defaults included) on one throwaway server started here, and hyperfine's
# --prepare empties the table before every run. pgload runs in its default
# binary mode over one connection, and over two (--jobs 2) where --jobs
# runs in parallel: raw.sales_p, raw.sales partitioned by list of its load
# id (with an empty default partition), where two server processes fill a
# table that becomes the load's partition at the end (into raw.sales itself
# --jobs would load over one connection). Its CSV
# pass-through mode is shown too, for reference, and so is psql's \copy of
# the same rows as a binary COPY file: the time the server needs for binary
# COPY over one connection when the client does no work at all, the floor
# under pgload's binary mode on this machine. Figures are medians of wall
# times.
#   PGLOAD_BENCH_ROWS   rows in the file (default 3000000)
#   BENCH_RUNS          rounds of psql and the pgload modes
#                       (default 5, after one warm-up round)
#   PGLOADER_RUNS       runs of pgloader (default 2, no warm-up: a run takes a minute)
#   BENCH_BASELINE      a git revision: its pgload runs in the same rounds, in
#                       binary and CSV mode and with --jobs 2 (into raw.sales,
#                       where --jobs ran in parallel before it took partitions
#                       only), and today's --sealed runs on the same rows sealed
#                       by gen --seal, each against the baseline (limit 1.05x)
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

psql -X -q -v ON_ERROR_STOP=1 \
	-c "create table raw.sales_p (like raw.sales including defaults) partition by list (_load_id)" \
	-c "create index on raw.sales_p using brin (_load_id, _loaded_at) with (autosummarize = on)" \
	-c "create table raw.sales_p_default partition of raw.sales_p default"

# Emptied means without the partitions that pgload --jobs adds, too. The
# checkpoint writes out what the previous run left dirty, so that no run
# pays for the one before it.
cat >"$BENCH_TMP/pgload-empty.sql" <<'SQL'
truncate raw.sales, raw.sales_p;
select format('drop table %s', inhrelid::regclass) from pg_inherits
where inhparent in ('raw.sales'::regclass, 'raw.sales_p'::regclass)
and inhrelid <> 'raw.sales_p_default'::regclass
\gexec
checkpoint;
SQL
prepare="psql -X -q -v ON_ERROR_STOP=1 -f '$BENCH_TMP/pgload-empty.sql'"

# once NAME CMD [TABLE]: one hyperfine run of CMD on a freshly emptied
# table (raw.sales unless TABLE), its wall time appended to
# $BENCH_TMP/pgload-NAME.times; then checks that it loaded every row, so a
# command that fails fast cannot pass for a fast one, and that into
# raw.sales_p they all went into a partition of the load's own, so a load
# that fell back to one connection cannot pass for a parallel one.
once() {
	local name=$1 cmd=$2 table=${3:-raw.sales} csv="$BENCH_TMP/pgload-run.csv" n
	hyperfine --style basic --runs 1 --prepare "$prepare" --export-csv "$csv" "$cmd" >&2
	n=$(psql -X -At -c "select count(*) from $table where tableoid <> to_regclass('raw.sales_p_default')")
	if [ "$n" != "$rows" ]; then
		echo "pgload.bench: $name left $n rows in $table (outside a default partition), not $rows" >&2
		return 1
	fi
	# The median counted from the right: the command itself may hold commas.
	awk -F, 'NR == 2 { print $(NF - 4) }' "$csv" >>"$BENCH_TMP/pgload-$name.times"
	# The client's own CPU time (user + system), which a busy machine
	# disturbs far less than the wall time.
	awk -F, 'NR == 2 { print $(NF - 3) + $(NF - 2) }' "$csv" >>"$BENCH_TMP/pgload-$name.cpu"
}

# median NAME [times|cpu]
median() {
	sort -g "$BENCH_TMP/pgload-$1.${2:-times}" | awk '{ v[NR] = $1 } END {
		print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
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

psql_cmd="psql -X -q -c \"\\\\copy raw.sales ($cols) from '$file' csv header\""
ours_cmd="'$ELT_BIN/pgload' -q < '$file'"
ours_csv_cmd="'$ELT_BIN/pgload' -q --format csv < '$file'"
ours_jobs_cmd="'$ELT_BIN/pgload' -q --table raw.sales_p --jobs 2 < '$file'"
bin_file=$BENCH_TMP/pgload-sales.bin
"$ELT_BIN/pgload" -q <"$file"
psql -X -q -c "\\copy (select $cols from raw.sales) to '$bin_file' with (format binary)"
psql_bin_cmd="psql -X -q -c \"\\\\copy raw.sales ($cols) from '$bin_file' with (format binary)\""
base=$(baseline_bin)
if [ -n "$base" ]; then
	sealed_file=$BENCH_TMP/pgload-sales.sealed
	"$ELT_BIN/gen" --rows "$rows" --seed 1 --seal >"$sealed_file"
	base_cmd="'$base/pgload' -q < '$file'"
	base_csv_cmd="'$base/pgload' -q --format csv < '$file'"
	base_jobs_cmd="'$base/pgload' -q --jobs 2 < '$file'"
	ours_sealed_cmd="'$ELT_BIN/pgload' -q --sealed < '$sealed_file'"
fi
# They take turns, round after round, so that a machine whose load
# drifts (other jobs on it) weighs on all of them alike, and each round
# starts one further down the list, so that no command always follows the
# same one (a run is slower after some than after others). Round 0 warms
# the caches and is not counted.
names=(psql pgload pgload-jobs pgload-csv psql-binary)
cmds=("$psql_cmd" "$ours_cmd" "$ours_jobs_cmd" "$ours_csv_cmd" "$psql_bin_cmd")
tables=(raw.sales raw.sales raw.sales_p raw.sales raw.sales)
if [ -n "$base" ]; then
	names+=(base base-jobs base-csv pgload-sealed)
	cmds+=("$base_cmd" "$base_jobs_cmd" "$base_csv_cmd" "$ours_sealed_cmd")
	tables+=(raw.sales raw.sales raw.sales raw.sales)
fi
for round in $(seq 0 "${BENCH_RUNS:-5}"); do
	for ((k = 0; k < ${#names[@]}; k++)); do
		i=$(((k + round) % ${#names[@]}))
		once "${names[i]}" "${cmds[i]}" "${tables[i]}"
	done
	if [ "$round" -eq 0 ]; then
		rm -f "$BENCH_TMP"/pgload-*.times "$BENCH_TMP"/pgload-*.cpu
	fi
done
for _ in $(seq "${PGLOADER_RUNS:-2}"); do
	once pgloader "pgloader --quiet '$pgloader_cmd' >/dev/null"
done
psql_s=$(median psql)
ours_s=$(median pgload)
ours_csv_s=$(median pgload-csv)
ours_jobs_s=$(median pgload-jobs)
pgloader_s=$(median pgloader)
psql_bin_s=$(median psql-binary)
echo "pgload.bench: seconds per run, in order: psql $(paste -sd' ' "$BENCH_TMP/pgload-psql.times");" \
	"pgload $(paste -sd' ' "$BENCH_TMP/pgload-pgload.times");" \
	"pgload --jobs 2 into raw.sales_p $(paste -sd' ' "$BENCH_TMP/pgload-pgload-jobs.times");" \
	"pgload --format csv $(paste -sd' ' "$BENCH_TMP/pgload-pgload-csv.times");" \
	"psql binary file $(paste -sd' ' "$BENCH_TMP/pgload-psql-binary.times");" \
	"pgloader $(paste -sd' ' "$BENCH_TMP/pgload-pgloader.times")" >&2

awk -v r="$rows" -v p="$psql_s" -v o="$ours_s" -v c="$ours_csv_s" -v l="$pgloader_s" -v b="$psql_bin_s" \
	-v j="$ours_jobs_s" 'BEGIN {
	printf "pgload %d rows (binary) vs psql \\copy\t%.2f s\t%.2f s (limit 0.75x)\t%.2fx\n", r, o, p, o / p
	printf "pgload %d rows (binary, --jobs 2, partitioned by load id) vs psql \\copy\t%.2f s\t%.2f s (limit 0.75x)\t%.2fx\n", r, j, p, j / p
	printf "pgload %d rows (binary, --jobs 2, partitioned by load id) vs pgloader\t%.2f s\t%.2f s (limit 0.10x)\t%.3fx\n", r, j, l, j / l
	printf "pgload %d rows (binary) vs pgloader\t%.2f s\t%.2f s (limit 0.10x)\t%.3fx\n", r, o, l, o / l
	printf "pgload %d rows --format csv vs psql \\copy\t%.2f s\t%.2f s (reference)\t%.2fx\n", r, c, p, c / p
	printf "binary COPY floor: psql \\copy of a binary file vs of the CSV\t%.2f s\t%.2f s (reference)\t%.2fx\n", b, p, b / p
}'
if [ -n "$base" ]; then
	echo "pgload.bench: baseline $BENCH_BASELINE, seconds per run: binary $(paste -sd' ' "$BENCH_TMP/pgload-base.times");" \
		"--jobs 2 into raw.sales $(paste -sd' ' "$BENCH_TMP/pgload-base-jobs.times");" \
		"--format csv $(paste -sd' ' "$BENCH_TMP/pgload-base-csv.times");" \
		"today's --sealed $(paste -sd' ' "$BENCH_TMP/pgload-pgload-sealed.times")" >&2
	awk -v r="$rows" -v rev="$BENCH_BASELINE" -v o="$ours_s" -v c="$ours_csv_s" -v j="$ours_jobs_s" \
		-v s="$(median pgload-sealed)" -v ob="$(median base)" -v cb="$(median base-csv)" \
		-v jb="$(median base-jobs)" 'BEGIN {
		printf "pgload %d rows (binary) vs pgload at %s\t%.2f s\t%.2f s (limit 1.05x)\t%.3fx\n", r, rev, o, ob, o / ob
		printf "pgload %d rows --format csv vs pgload at %s\t%.2f s\t%.2f s (limit 1.05x)\t%.3fx\n", r, rev, c, cb, c / cb
		printf "pgload %d rows --jobs 2 (partitioned by load id) vs pgload at %s --jobs 2\t%.2f s\t%.2f s (limit 1.05x)\t%.3fx\n", r, rev, j, jb, j / jb
		printf "pgload %d rows --sealed (gen --seal) vs pgload at %s, unsealed\t%.2f s\t%.2f s (limit 1.05x)\t%.3fx\n", r, rev, s, ob, s / ob
	}'
	awk -v r="$rows" -v rev="$BENCH_BASELINE" -v o="$(median pgload cpu)" -v ob="$(median base cpu)" \
		-v c="$(median pgload-csv cpu)" -v cb="$(median base-csv cpu)" -v s="$(median pgload-sealed cpu)" 'BEGIN {
		printf "pgload %d rows (binary), its own CPU time vs pgload at %s\t%.2f s\t%.2f s (reference)\t%.3fx\n", r, rev, o, ob, o / ob
		printf "pgload %d rows --format csv, its own CPU time vs pgload at %s\t%.2f s\t%.2f s (reference)\t%.3fx\n", r, rev, c, cb, c / cb
		printf "pgload %d rows --sealed, its own CPU time vs pgload at %s, unsealed\t%.2f s\t%.2f s (reference)\t%.3fx\n", r, rev, s, ob, s / ob
	}'
fi
