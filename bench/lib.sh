# SPDX-License-Identifier: MIT
# Helpers for the benchmark scripts.

# median_seconds NAME CMD...: hyperfine's median wall time of CMD (a shell
# command string), with warm-up, in seconds.
median_seconds() {
	local name=$1 cmd=$2 csv="$BENCH_TMP/$1.csv"
	hyperfine --style basic --warmup 1 --min-runs "${BENCH_RUNS:-5}" --export-csv "$csv" "$cmd" >&2
	awk -F, 'NR == 2 { print $4 }' "$csv"
}

# peak_rss_kb CMD...: the peak resident set size of one run, in KiB.
peak_rss_kb() {
	/usr/bin/time -f %M bash -c "$1" 2>&1 >/dev/null | tail -n 1
}

# median_seconds_prepared NAME PREPARE CMD: like median_seconds, with
# PREPARE run (untimed) before every timed run of CMD.
median_seconds_prepared() {
	local prep=$2 cmd=$3 csv="$BENCH_TMP/$1.csv"
	hyperfine --style basic --warmup 1 --min-runs "${BENCH_RUNS:-5}" --prepare "$prep" \
		--export-csv "$csv" "$cmd" >&2
	awk -F, 'NR == 2 { print $4 }' "$csv"
}

# paired_medians CMD_A CMD_B: runs the two commands in turns, one run each
# per round (BENCH_RUNS rounds, default 9, after one warm-up round), so that
# the drift of a shared machine's speed falls on both alike; prints the two
# median wall times in seconds, "A B".
paired_medians() {
	local a=$1 b=$2 rounds=${BENCH_RUNS:-9} csv="$BENCH_TMP/paired.csv" i
	: >"$BENCH_TMP/paired-a" && : >"$BENCH_TMP/paired-b"
	for ((i = 0; i <= rounds; i++)); do
		hyperfine --style none --runs 1 --export-csv "$csv" "$a" "$b" >/dev/null
		if ((i > 0)); then # round 0 warms the caches
			awk -F, 'NR == 2 { print $4 }' "$csv" >>"$BENCH_TMP/paired-a"
			awk -F, 'NR == 3 { print $4 }' "$csv" >>"$BENCH_TMP/paired-b"
		fi
	done
	local f
	for f in "$BENCH_TMP/paired-a" "$BENCH_TMP/paired-b"; do
		sort -g "$f" | awk '{ v[NR] = $1 } END { printf "%s ", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	done
	echo
}
