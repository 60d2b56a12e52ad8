#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every bench/*.bench.sh and prints one table. Each script prints rows
# "benchmark<TAB>ours<TAB>floor or peer<TAB>ratio" on stdout and its
# details on stderr. BENCH_ONLY=gen runs one script.
set -euo pipefail
cd "$(dirname "$0")/.."
export ELT_BIN=${ELT_BIN:-$PWD/bin}
export BENCH_TMP=${BENCH_TMP:-$(mktemp -d)}
trap 'rm -rf "$BENCH_TMP"' EXIT
rows=$(mktemp)
for script in bench/*.bench.sh; do
	name=$(basename "$script" .bench.sh)
	[ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != "$name" ] && continue
	echo "== $name" >&2
	bash "$script" >>"$rows"
done
{
	printf 'benchmark\tours\tfloor or peer\tratio\n'
	cat "$rows"
} | column -t -s $'\t'
rm -f "$rows"
