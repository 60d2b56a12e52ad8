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

# paired_medians CMD...: runs the commands in turns, one run each per round
# (BENCH_RUNS rounds, default 9, after one warm-up round), so that the
# drift of a shared machine's speed falls on all of them alike; prints
# their median wall times in seconds, in the order given, on one line.
paired_medians() {
	local rounds=${BENCH_RUNS:-9} csv="$BENCH_TMP/paired.csv" i k
	for ((k = 1; k <= $#; k++)); do : >"$BENCH_TMP/paired-$k"; done
	for ((i = 0; i <= rounds; i++)); do
		hyperfine --style none --runs 1 --export-csv "$csv" "$@" >/dev/null
		if ((i > 0)); then # round 0 warms the caches
			for ((k = 1; k <= $#; k++)); do
				awk -F, -v row=$((k + 1)) 'NR == row { print $4 }' "$csv" >>"$BENCH_TMP/paired-$k"
			done
		fi
	done
	for ((k = 1; k <= $#; k++)); do
		sort -g "$BENCH_TMP/paired-$k" | awk '{ v[NR] = $1 } END {
			printf "%s ", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	done
	echo
}

# baseline_bin: with BENCH_BASELINE set to a git revision, builds that
# revision's programs once (in $BENCH_TMP) and prints their directory, so
# that a script can time them beside today's in the same run; prints
# nothing when BENCH_BASELINE is unset.
baseline_bin() {
	[ -n "${BENCH_BASELINE:-}" ] || return 0
	local dir="$BENCH_TMP/baseline-$BENCH_BASELINE" repo
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	if [ ! -x "$dir/bin/pgload" ]; then
		mkdir -p "$dir"
		git -C "$repo" archive "$BENCH_BASELINE" | tar -x -C "$dir"
		make -C "$dir" -s -j2 all >&2
	fi
	echo "$dir/bin"
}
