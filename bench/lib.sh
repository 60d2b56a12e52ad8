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
	local name=$1 prep=$2 cmd=$3 csv="$BENCH_TMP/$1.csv"
	hyperfine --style basic --warmup 1 --min-runs "${BENCH_RUNS:-5}" --prepare "$prep" \
		--export-csv "$csv" "$cmd" >&2
	awk -F, 'NR == 2 { print $4 }' "$csv"
}
