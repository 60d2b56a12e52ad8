#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# gen: synthetic sales and the seed tables.

load helpers/common

HEADER=sale_id,sold_at,store_id,product_id,quantity,unit_price,amount,currency

@test "gen writes the contract's header and eight columns on every row" {
	run --separate-stderr "$BIN/gen" --rows 500 --seed 7
	assert_success
	assert_equal "${lines[0]}" "$HEADER"
	assert_equal "${#lines[@]}" 501
	bad=$(printf '%s\n' "${lines[@]}" | awk -F, 'NF != 8' | wc -l)
	assert_equal "$bad" 0
	assert_equal "$stderr" ""
}

@test "gen --rows 0 writes the header alone" {
	run --separate-stderr "$BIN/gen" --rows 0
	assert_success
	assert_output "$HEADER"
}

@test "gen gives byte-identical output for the same seed and options" {
	"$BIN/gen" --rows 20000 --seed 42 --days 30 --dirty 0.05 >a.csv
	"$BIN/gen" --rows 20000 --seed 42 --days 30 --dirty 0.05 >b.csv
	"$BIN/gen" --rows 20000 --seed 43 --days 30 --dirty 0.05 >c.csv
	cmp a.csv b.csv
	! cmp -s a.csv c.csv
}

@test "gen rows match the contract: ids, RFC 3339 times, positive amounts of two decimals" {
	"$BIN/gen" --rows 5000 --seed 3 --start 2024-02-27 --days 4 >s.csv
	bad=$(tail -n +2 s.csv | awk -F, '
		length($1) != 16 || $1 !~ /^[0-9a-f]+$/ ||
		$2 !~ /^2024-0(2-2[789]|3-01)T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$/ ||
		$5 !~ /^[1-9][0-9]*$/ || $6 !~ /^[0-9]+\.[0-9][0-9]$/ ||
		$7 !~ /^[0-9]+\.[0-9][0-9]$/ || $7 + 0 <= 0 ||
		$8 !~ /^(USD|EUR|GBP|CAD|CHF|SEK|JPY|AUD)$/' | wc -l)
	assert_equal "$bad" 0
	assert_equal "$(tail -n +2 s.csv | cut -d, -f1 | sort | uniq -d | wc -l)" 0
}

@test "gen amount is quantity times unit price, in cents" {
	"$BIN/gen" --rows 5000 --seed 9 >s.csv
	bad=$(tail -n +2 s.csv | awk -F, '{
		split($6, p, "."); split($7, a, ".");
		if ($5 * (p[1] * 100 + p[2]) != a[1] * 100 + a[2]) print }' | wc -l)
	assert_equal "$bad" 0
}

@test "gen sales refer only to stores and products in the seeds, in the store's currency" {
	"$BIN/gen" --rows 20000 --seed 5 >s.csv
	missing=$(awk -F, 'FNR == 1 { next }
		FILENAME ~ /stores/ { cur[$1] = $5; next }
		FILENAME ~ /products/ { prod[$1] = 1; next }
		!($3 in cur) || !($4 in prod) || cur[$3] != $8' \
		"$REPO/sql/seeds/stores.csv" "$REPO/sql/seeds/products.csv" s.csv | wc -l)
	assert_equal "$missing" 0
}

@test "gen seed tables in sql/seeds are exactly what gen writes" {
	for t in stores products fx; do
		"$BIN/gen" "$t" >"$t.csv"
		cmp "$t.csv" "$REPO/sql/seeds/$t.csv"
	done
	run "$BIN/gen" fx --seed 99
	assert_success
	assert_output "$(cat "$REPO/sql/seeds/fx.csv")"
}

@test "gen spreads sales over --days with more on Saturdays than Mondays" {
	# 2026-01-05 is a Monday; four whole weeks.
	"$BIN/gen" --rows 28000 --start 2026-01-05 --days 28 >s.csv
	assert_equal "$(tail -n +2 s.csv | cut -c18-27 | sort -u | wc -l)" 28
	mondays=$(tail -n +2 s.csv | cut -c18-27 | grep -cE '2026-01-(05|12|19|26)')
	saturdays=$(tail -n +2 s.csv | cut -c18-27 | grep -cE '2026-01-(10|17|24|31)')
	[ "$saturdays" -gt $((mondays * 3 / 2)) ]
	# Times never go backwards.
	tail -n +2 s.csv | cut -d, -f2 | sort -c
}

@test "gen favours popular products: the top 10 of 1000 take over a quarter of sales" {
	"$BIN/gen" --rows 20000 --seed 11 >s.csv
	top=$(tail -n +2 s.csv | cut -d, -f4 | sort | uniq -c | sort -rn | head -10 | awk '{ s += $1 } END { print s }')
	[ "$top" -gt 5000 ]
	ones=$(tail -n +2 s.csv | cut -d, -f5 | grep -cx 1)
	[ "$ones" -gt 10000 ]
}

@test "gen --dirty 0.1 on 10000 rows makes every kind of bad row, each logged where it is" {
	"$BIN/gen" --rows 10000 --seed 1 --dirty 0.1 --dirty-log log.csv >s.csv
	assert_equal "$(head -1 log.csv)" "line,kind,column"
	kinds=$(tail -n +2 log.csv | cut -d, -f2 | sort -u | tr '\n' ' ')
	assert_equal "$kinds" "bad_timestamp duplicate_sale_id impossible_date missing_value non_numeric_quantity nonpositive_amount too_many_decimals unknown_currency unknown_product unknown_store "
	n=$(($(wc -l <log.csv) - 1))
	[ "$n" -gt 850 ] && [ "$n" -lt 1150 ]
	# Each logged line shows its problem; rows not logged show none.
	bad=$(awk -F, -v OFS=, '
		NR == FNR { if (FNR > 1) { kind[$1] = $2; col[$1] = $3 } ; next }
		FNR == 1 { next }
		{
			k = (FNR in kind) ? kind[FNR] : "clean"
			ok = 0
			if (k == "clean") ok = length($1) == 16 && $1 ~ /^[0-9a-f]+$/ && $2 ~ /^[0-9-]+T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z$/ && $2 !~ /-02-30T/ &&
				$3 != "ST999" && $4 != "P9999" && $5 ~ /^[0-9]+$/ && $6 ~ /^[0-9]+\.[0-9][0-9]$/ &&
				$7 + 0 > 0 && $8 != "ZZZ" && !($1 in seen) && NF == 8 && $0 !~ /,,|,$/
			else if (k == "missing_value") ok = $0 ~ /^,|,,|,$/
			else if (k == "nonpositive_amount") ok = $7 + 0 <= 0
			else if (k == "unknown_currency") ok = $8 == "ZZZ"
			else if (k == "bad_timestamp") ok = $2 ~ /^[0-9][0-9]\/[0-9][0-9]\/[0-9][0-9][0-9][0-9] /
			else if (k == "impossible_date") ok = $2 ~ /^[0-9][0-9][0-9][0-9]-02-30T/
			else if (k == "non_numeric_quantity") ok = $5 == "two"
			else if (k == "too_many_decimals") ok = $6 ~ /\.[0-9][0-9][0-9]$/
			else if (k == "duplicate_sale_id") ok = ($1 in seen)
			else if (k == "unknown_store") ok = $3 == "ST999"
			else if (k == "unknown_product") ok = $4 == "P9999"
			if (!ok) print FNR, k
			seen[$1] = 1
		}' log.csv s.csv)
	assert_equal "$bad" ""
}

@test "gen --dirty mix is the same for the same seed" {
	"$BIN/gen" --rows 3000 --seed 8 --dirty 0.2 --dirty-log a.log >a.csv
	"$BIN/gen" --rows 3000 --seed 8 --dirty 0.2 --dirty-log b.log >b.csv
	cmp a.log b.log
	cmp a.csv b.csv
}

@test "gen --dirty 0 writes no bad rows and an empty log" {
	"$BIN/gen" --rows 2000 --dirty 0 --dirty-log log.csv >s.csv
	assert_equal "$(cat log.csv)" "line,kind,column"
}

@test "gen --tsv separates fields with tabs" {
	run --separate-stderr "$BIN/gen" --rows 3 --tsv
	assert_success
	assert_equal "${lines[0]}" "$(tr , '\t' <<<"$HEADER")"
	assert_equal "$(printf '%s\n' "${lines[@]}" | awk -F'\t' 'NF != 8' | wc -l)" 0
}

@test "gen rejects --rows -5 as a usage error" {
	run --separate-stderr "$BIN/gen" --rows -5
	assert_failure 2
	assert_equal "$stderr" 'gen: --rows: "-5" is not a whole number'
	assert_output ""
}

@test "gen rejects --rows abc as a usage error" {
	run --separate-stderr "$BIN/gen" --rows abc
	assert_failure 2
	assert_equal "$stderr" 'gen: --rows: "abc" is not a whole number'
}

@test "gen rejects a --rows that overflows" {
	run --separate-stderr "$BIN/gen" --rows 99999999999999999999
	assert_failure 2
	assert_equal "$stderr" 'gen: --rows: "99999999999999999999" is too large (at most 1000000000000)'
	assert_output ""
}

@test "gen rejects --start 2026-13-01" {
	run --separate-stderr "$BIN/gen" --start 2026-13-01
	assert_failure 2
	assert_equal "$stderr" 'gen: --start: "2026-13-01" is not a calendar date (YYYY-MM-DD)'
}

@test "gen rejects --start 2026-02-29, a day that does not exist" {
	run --separate-stderr "$BIN/gen" --start 2026-02-29
	assert_failure 2
	assert_equal "$stderr" 'gen: --start: "2026-02-29" is not a calendar date (YYYY-MM-DD)'
}

@test "gen rejects --dirty 1.5" {
	run --separate-stderr "$BIN/gen" --dirty 1.5
	assert_failure 2
	assert_equal "$stderr" 'gen: --dirty: "1.5" is not a fraction between 0 and 1'
}

@test "gen rejects an unknown table name" {
	run --separate-stderr "$BIN/gen" customers
	assert_failure 2
	assert_equal "${stderr_lines[0]}" 'gen: unknown table "customers" (sales, stores, products or fx)'
	assert_output ""
}

@test "gen reports a write error on a full disk and exits 3" {
	run --separate-stderr bash -c "'$BIN/gen' --rows 1000000 >/dev/full"
	assert_failure 3
	assert_equal "$stderr" "gen: write error on standard output: No space left on device"
}

@test "gen reports an unwritable --dirty-log before writing any row" {
	run --separate-stderr "$BIN/gen" --rows 10 --dirty 0.5 --dirty-log /nonexistent/dir/log.csv
	assert_failure 3
	assert_equal "$stderr" "gen: /nonexistent/dir/log.csv: No such file or directory"
	assert_output ""
}

@test "gen ends quietly when the reader goes away" {
	run --separate-stderr bash -c "set -o pipefail; '$BIN/gen' --rows 1000000 | head -1"
	assert_output "$HEADER"
	assert_equal "$stderr" ""
	# killed by SIGPIPE (128 + 13), not an error message
	assert_equal "$status" 141
}

@test "gen --help prints the synopsis, options and exit codes and exits 0" {
	run --separate-stderr "$BIN/gen" --help
	assert_success
	assert_line --index 0 --partial "usage: gen [sales]"
	assert_output --partial "--dirty-log FILE"
	assert_output --partial "Exit status: 0 success, 2 usage error, 3 write error."
	assert_equal "$stderr" ""
}

@test "gen --version prints the version" {
	run "$BIN/gen" --version
	assert_success
	assert_output --regexp '^gen [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "gen with an unknown option prints usage on stderr and exits 2" {
	run --separate-stderr "$BIN/gen" --bogus
	assert_failure 2
	assert_output ""
	assert_equal "${stderr_lines[0]}" "gen: unknown option '--bogus'"
	assert_equal "${stderr_lines[1]}" "usage: gen [sales] [--rows N] [--seed S] [--start YYYY-MM-DD] [--days D]"
}

@test "gen man page renders" {
	run bash -c "MANWIDTH=80 man -l '$REPO/docs/man/gen.1' 2>&1 | col -b"
	assert_success
	assert_output --partial "EXIT STATUS"
	assert_output --partial "--dirty-log"
}

@test "gen draws a progress line when stderr is a terminal, and none otherwise" {
	command -v script >/dev/null || skip "script(1) is not installed"
	run script -qec "'$BIN/gen' --rows 30000000 >/dev/null" /dev/null
	assert_success
	assert_output --regexp 'gen: [0-9]+ rows, [0-9.]+ MB, [0-9.]+ MB/s'
	run --separate-stderr bash -c "'$BIN/gen' --rows 30000000 >/dev/null"
	assert_equal "$stderr" ""
}

@test "gen -v reports rows and speed at the end; -q keeps stderr empty" {
	run --separate-stderr bash -c "'$BIN/gen' -v --rows 1000 >/dev/null"
	assert_success
	assert_output ""
	[[ "$stderr" =~ ^gen:\ 1000\ rows,\ [0-9.]+\ MB\ in\ [0-9.]+\ s\ \([0-9]+\ rows/s,\ [0-9.]+\ MB/s\)$ ]]
	run --separate-stderr bash -c "'$BIN/gen' -q --rows 1000 >/dev/null"
	assert_equal "$stderr" ""
}

@test "gen --seal ends the output with one seal line counting its rows, and changes nothing else" {
	"$BIN/gen" --rows 50 --seed 3 >plain.csv
	"$BIN/gen" --rows 50 --seed 3 --seal >sealed.csv
	assert_equal "$(head -n -1 sealed.csv | md5sum)" "$(md5sum <plain.csv)"
	assert_equal "$(tail -n 1 sealed.csv)" "#elt-seal v1 rows=00000000000000000050"
	"$BIN/gen" stores --seal >stores.csv
	assert_equal "$(tail -n 1 stores.csv)" "#elt-seal v1 rows=00000000000000000040"
	assert_equal "$(($(wc -l <stores.csv) - 2))" 40
}
