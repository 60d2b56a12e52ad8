#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dqcheck on a 3,000,000-row sales table (gen's rows loaded with \copy) on a
# server of its own: 10 column tests folded into one query, the same 10 run
# one query each (--no-fold, what dbt 1.x does), and one select count(*) of
# the table as the floor. The issue asks for folded <= 2 x count(*) and
# folded <= 1/3 of one query per test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/../tests/helpers/pg.bash"
rows=${DQ_BENCH_ROWS:-3000000}
pg_start >&2
trap pg_stop EXIT

psql -X -q -v ON_ERROR_STOP=1 -c "create schema bench; create table bench.sales (sale_id text, sold_at timestamptz,
	store_id text, product_id text, quantity integer, unit_price numeric(12,2), amount numeric(14,2), currency text)"
"$ELT_BIN/gen" --rows "$rows" --seed 1 --days 365 | psql -X -q -v ON_ERROR_STOP=1 -c "\\copy bench.sales from stdin csv header"
# The test server commits asynchronously, and until a commit's WAL is flushed
# vacuum may not set hint bits, which leaves pages not all-visible and every
# scan checking each row's visibility. The checkpoint flushes it, so the
# table is scanned in the settled state autovacuum would leave it in.
psql -X -q -c "checkpoint" -c "vacuum analyze bench.sales"
psql -X -q -At -c "select format('%s of %s pages all-visible', relallvisible, relpages)
	from pg_class where oid = 'bench.sales'::regclass" >&2

proj=$BENCH_TMP/dqcheck-project
mkdir -p "$proj/models"
printf 'name: dq_bench\n' >"$proj/dbt_project.yml"
echo "select 1 as sale_id" >"$proj/models/sales.sql"
cat >"$proj/models/sales.yml" <<'YML'
version: 2
models:
  - name: sales
    data_tests:
      - expression_is_true: {expression: "quantity >= 1"}
      - expression_is_true: {expression: "amount > 0"}
      - expression_is_true: {expression: "unit_price >= 0"}
    columns:
      - {name: sale_id, data_tests: [not_null]}
      - {name: sold_at, data_tests: [not_null]}
      - {name: store_id, data_tests: [not_null]}
      - {name: product_id, data_tests: [not_null]}
      - {name: quantity, data_tests: [not_null]}
      - {name: amount, data_tests: [not_null]}
      - name: currency
        data_tests:
          - accepted_values: {values: [USD, EUR, GBP, CAD, CHF, SEK, JPY, AUD]}
YML
dq="$ELT_BIN/dqcheck --project-dir $proj --schema bench -q"
$dq -v 2>&1 | tail -n 1 >&2
# In turns, so that the drift of a shared machine's speed falls on all three.
read -r folded count single < <(paired_medians "$dq" \
	"psql -X -q -At -c 'select count(*) from bench.sales' >/dev/null" "$dq --no-fold")
awk -v f="$folded" -v s="$single" -v c="$count" -v r="$rows" 'BEGIN {
	printf "dqcheck 10 tests folded vs select count(*), %dk rows\t%.3f s\t%.3f s (at most 2x)\t%.2fx\n", r / 1000, f, c, f / c
	printf "dqcheck 10 tests folded vs one query each\t%.3f s\t%.3f s (folded at most 1/3)\t%.2fx\n", f, s, f / s
}'
