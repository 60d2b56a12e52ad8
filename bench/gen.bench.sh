#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gen --rows 10000000 > /dev/null: the issue asks for at least 5,000,000
# rows/s on one core and a peak RSS that does not grow with --rows.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rows=${GEN_BENCH_ROWS:-10000000}
target=5000000
secs=$(median_seconds gen "$ELT_BIN/gen --rows $rows --seed 1 > /dev/null")
bytes=$("$ELT_BIN/gen" --rows "$rows" --seed 1 | wc -c)
rss_small=$(peak_rss_kb "$ELT_BIN/gen --rows 1000 > /dev/null")
rss_big=$(peak_rss_kb "$ELT_BIN/gen --rows $rows > /dev/null")
awk -v r="$rows" -v s="$secs" -v b="$bytes" -v t="$target" -v m1="$rss_small" -v m2="$rss_big" 'BEGIN {
	printf "gen %d rows (median %.3f s)\t%.2fM rows/s, %.0f MB/s\t%.1fM rows/s required\t%.2fx\n",
		r, s, r / s / 1e6, b / s / 1e6, t / 1e6, r / s / t
	printf "gen peak RSS, 1k vs %d rows\t%.1f MB at %d\t%.1f MB at 1k (limit 10 MB)\t%.2fx\n",
		r, m2 / 1024, r, m1 / 1024, m2 / m1
}'
