#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# pgload: CSV into PostgreSQL with COPY, all or nothing, against the suite's
# real server. Every test loads into tables of its own; raw._loads (the
# audit table, created by pgload when missing) is shared, so tests look at
# their own rows of it only.

load helpers/common
load helpers/pg

SALES_COLS=sale_id,sold_at,store_id,product_id,quantity,unit_price,amount,currency

# A test that stopped the server on purpose restarts it, even when it failed
# half-way, so the tests after it find the server up.
teardown() {
	pg_isready -q -t 1 || (cd / && pg_server_start)
}

# wait_for SQL: waits up to 30 s until the query answers t.
wait_for() {
	local i
	for i in $(seq 300); do
		[ "$(sql -c "$1")" = t ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $1" >&2
	return 1
}

# The raw layer's DDL: raw.sales and raw._loads (safe to run again).
raw_ddl() {
	PGOPTIONS='-c client_min_messages=warning' \
		sql -f "$REPO/sql/raw/001_schema.sql" -f "$REPO/sql/raw/002_sales.sql"
}

# A table shaped like raw.sales, defaults included, named $1.
sales_table() {
	raw_ddl
	sql -c "create table $1 (like raw.sales including defaults)"
}

# Checks that stderr ($stderr, from run --separate-stderr) is the line
# given, then the line saying the load of table $2 was rolled back.
assert_rejected() {
	assert_equal "${#stderr_lines[@]}" 2
	assert_equal "${stderr_lines[0]}" "$1"
	assert_regex "${stderr_lines[1]}" "^pgload: nothing was loaded into $2: load [0-9]+ was rolled back\$"
}

# rejected_in_both_formats FILE MESSAGE: loading FILE into lines_t, in
# binary and in CSV mode, fails with exit 1, MESSAGE and a rollback.
rejected_in_both_formats() {
	local format
	for format in binary csv; do
		run --separate-stderr "$BIN/pgload" -q --table lines_t --format "$format" <"$1"
		assert_failure 1
		assert_rejected "$2" 'public\.lines_t'
	done
}

# The last load recorded for table $1 (as the server spells it).
last_load() {
	sql -c "select load_id, status, rows from raw._loads where target_table = '$1' order by load_id desc limit 1"
}

@test "pgload loads gen's sales in binary mode with the same values as psql's \\copy" {
	sales_table bin_sales
	sales_table bin_sales_ref
	"$BIN/gen" --rows 20000 --seed 11 --days 30 >s.csv
	run --separate-stderr "$BIN/pgload" --table bin_sales <s.csv
	assert_success
	assert_regex "$stderr" '^pgload: loaded 20000 rows into public\.bin_sales in [0-9.]+ s \([0-9]+ rows/s, binary COPY\), load [0-9]+$'
	sql -c "\\copy bin_sales_ref ($SALES_COLS) from 's.csv' csv header"
	run sql -c "select count(*) from (select $SALES_COLS from bin_sales except all
		select $SALES_COLS from bin_sales_ref) d"
	assert_output 0
	run sql -c "select count(*) from bin_sales"
	assert_output 20000
}

@test "pgload loads a row longer than 64 MiB whole, as CSV and as binary" {
	sql -c "create table huge (id int, note text, tail text)"
	python3 -c "import sys; sys.stdout.write('id,note,tail\n1,\"' + 'x' * 70000000 + '\",\"a \"\"q\"\" b\"\n2,short,\n')" >huge.csv
	local f
	for f in csv binary; do
		run --separate-stderr "$BIN/pgload" --table huge --format "$f" --key "$f" <huge.csv
		assert_success
	done
	assert_equal "$(sql -c "select string_agg(id || ':' || length(note) || ':' || coalesce(tail, 'NULL'), ' ' order by id, tail) from huge")" \
		'1:70000000:a "q" b 1:70000000:a "q" b 2:5:NULL 2:5:NULL'
}

@test "pgload into raw.sales by default stamps every row with its load id and load time" {
	raw_ddl
	"$BIN/gen" --rows 500 --seed 12 >s.csv
	run --separate-stderr "$BIN/pgload" --key "default-table-$BATS_TEST_TMPDIR" <s.csv
	assert_success
	id=$(sql -c "select load_id from raw._loads where idempotency_key = 'default-table-$BATS_TEST_TMPDIR'")
	run sql -c "select count(*), count(distinct _loaded_at), bool_and(_loaded_at <= now())
		from raw.sales where _load_id = $id"
	assert_output "500|1|t"
	run sql -c "select target_table, source, status, rows, bytes from raw._loads where load_id = $id"
	assert_output "raw.sales|stdin|committed|500|$(wc -c <s.csv)"
	sql -c "delete from raw.sales where _load_id = $id"
}

@test "raw.sales finds a load's rows through a block-range index that replaces an older btree" {
	raw_ddl
	sql -c "drop index raw.sales_load_brin" -c "create index sales_load_id on raw.sales (_load_id)"
	raw_ddl
	run sql -c "select indexname, (regexp_match(indexdef, 'USING (\\w+)'))[1] from pg_indexes
		where schemaname = 'raw' and tablename = 'sales'"
	assert_output "sales_load_brin|brin"
	"$BIN/gen" --rows 2000 --seed 16 >s.csv
	"$BIN/pgload" -q --key "brin-$BATS_TEST_TMPDIR" <s.csv
	id=$(sql -c "select load_id from raw._loads where idempotency_key = 'brin-$BATS_TEST_TMPDIR'")
	run sql -c "set enable_seqscan = off" -c "explain (costs off) select * from raw.sales where _load_id = $id"
	assert_output --partial "Bitmap Index Scan on sales_load_brin"
	run sql -c "set enable_seqscan = off" -c "select count(*) from raw.sales where _load_id = $id"
	assert_output 2000
	sql -c "delete from raw.sales where _load_id = $id"
}

@test "pgload stamps rows sent in binary and rows sent as CSV after a fallback with the same load id and load time" {
	sales_table stamp_t
	sales_table stamp_ref
	# Quantity "+2" on line 5 is not in a plain form: lines 2 to 4 go in
	# binary, with the load id sent by pgload, the rest as CSV, with the
	# load id from the column default.
	"$BIN/gen" --rows 8 --seed 13 | awk -F, -v OFS=, 'NR == 5 { $5 = "+2" } 1' >s.csv
	before=$(sql -c "select clock_timestamp()")
	run --separate-stderr "$BIN/pgload" -v --table stamp_t <s.csv
	assert_success
	[[ "$stderr" == *"pgload: column _load_id: the load id goes with every binary row, its default is not evaluated"* ]]
	[[ "$stderr" == *"pgload: line 5, column quantity: value not in a plain form; sending the rest as CSV"* ]]
	id=$(sql -c "select max(load_id) from raw._loads where target_table = 'public.stamp_t'")
	# One load id, the audit row's; one load time, the transaction's
	# now(): not before pgload started, not after the audit row's start,
	# written by the same transaction as the audit row.
	run sql -c "select count(*), count(distinct s._load_id), min(s._load_id) = l.load_id,
		count(distinct s._loaded_at), min(s._loaded_at) >= '$before' and max(s._loaded_at) <= l.started_at,
		bool_and(s.xmin = l.xmin)
		from stamp_t s, raw._loads l where l.load_id = $id group by l.load_id, l.started_at"
	assert_output "8|1|t|1|t|t"
	# The same rows as csv mode's, which leaves both columns to their defaults.
	"$BIN/pgload" -q --table stamp_ref --format csv <s.csv
	run sql -c "select count(*) from (select $SALES_COLS from stamp_t except all
		select $SALES_COLS from stamp_ref) d"
	assert_output 0
}

@test "pgload leaves a column to its default unless the default is the load id's and the header leaves it out" {
	sql -c "create table fill_other (a int, _load_id bigint default 7, _loaded_at timestamptz default now())"
	printf 'a\n1\n2\n' >a.csv
	run --separate-stderr "$BIN/pgload" -v --table fill_other <a.csv
	assert_success
	[[ "$stderr" != *"the load id goes with every binary row"* ]]
	run sql -c "select a, _load_id from fill_other order by a"
	assert_output "$(printf '1|7\n2|7')"
	sales_table fill_given
	"$BIN/gen" --rows 3 --seed 14 | awk -F, -v OFS=, '{ print $0, NR == 1 ? "_load_id" : 40 + NR }' >g.csv
	run --separate-stderr "$BIN/pgload" -v --table fill_given <g.csv
	assert_success
	[[ "$stderr" != *"the load id goes with every binary row"* ]]
	run sql -c "select _load_id from fill_given order by 1"
	assert_output "$(printf '42\n43\n44')"
}

@test "pgload leaves the load id to the default when the user may not write that column" {
	role=pgload_cols_$$
	raw_ddl
	sql -c "set client_min_messages = warning" -c "drop role if exists $role" -c "create role $role login" \
		-c "grant usage on schema raw to $role" \
		-c "grant select, insert, update on raw._loads to $role" \
		-c "grant usage on sequence raw._loads_load_id_seq to $role" \
		-c "create table priv_t (a int, _load_id bigint default nullif(current_setting('elt.load_id', true), '')::bigint)" \
		-c "grant select, insert (a) on priv_t to $role"
	printf 'a\n1\n2\n' >a.csv
	PGUSER=$role run --separate-stderr "$BIN/pgload" -v --table priv_t <a.csv
	assert_success
	[[ "$stderr" != *"the load id goes with every binary row"* ]]
	[[ "$stderr" == *"binary COPY), load "* ]]
	run sql -c "select count(*) from priv_t p join raw._loads l on l.load_id = p._load_id
		where l.target_table = 'public.priv_t'"
	assert_output 2
	sql -c "drop owned by $role" -c "drop role $role"
}

@test "pgload binary and csv modes load identical values for every encoded type" {
	sql -c "create table types_bin (i2 smallint, i4 integer, i8 bigint, n numeric, n2 numeric(8,3),
		f4 real, f8 double precision, b boolean, d date, ts timestamp, tz timestamptz,
		t text, vc varchar(20), c char(4))"
	sql -c "create table types_csv (like types_bin)"
	cat >v.csv <<'EOF'
i2,i4,i8,n,n2,f4,f8,b,d,ts,tz,t,vc,c
-32768,-2147483648,-9223372036854775808,0,0.000,1.5,-2.25e-3,t,2000-01-01,2000-01-01T00:00:00,2026-11-26T14:03:11Z,plain,x,ab
32767,2147483647,9223372036854775807,-0.00,-12345.678,3.4e38,1.7976931348623157e308,false,1999-12-31,1999-12-31 23:59:59.999999,1999-12-31T23:59:59.5-05:30,"comma, ""quote""",,
0,0,0,123456789012345678901234567890.0123456789,99999.999,0,0,1,0001-01-01,0001-01-01T00:00:00,0001-01-01T00:00:00+14:00,"multi
line",y,abcd
,,,10000,0.5,,,0,9999-12-31,9999-12-31T23:59:59,9999-12-31T23:59:59Z,"",ü€😀,
-7,42,-1,-0.0001,-0.001,-1e-10,123456789.123456789,TRUE,2024-02-29,2024-02-29T12:34:56.000001,2024-02-29T12:34:56.123+01,tab	inside,z,
EOF
	run --separate-stderr "$BIN/pgload" -q --table types_bin <v.csv
	assert_success
	assert_equal "$stderr" ""
	run --separate-stderr "$BIN/pgload" -q --table types_csv --format csv <v.csv
	assert_success
	run sql -c "select count(*) from types_bin"
	assert_output 5
	run sql -c "select count(*) from (select * from types_bin except all select * from types_csv) d"
	assert_output 0
	run sql -c "select count(*) from types_bin where t is null"
	assert_output 0
	run sql -c "select n::text from types_bin order by i4"
	# -0.00 loads as 0.00 in both modes, as numeric_in has it.
	assert_output "$(printf '%s\n' 0 123456789012345678901234567890.0123456789 -0.0001 0.00 10000)"
}

@test "pgload hands values in other spellings to the server and loads what csv mode loads" {
	sql -c "create table odd_bin (i integer, n numeric, b boolean, tz timestamptz, d date, f float8)"
	sql -c "create table odd_csv (like odd_bin)"
	cat >odd.csv <<'EOF'
i,n,b,tz,d,f
1,1,t,2026-01-01T00:00:00Z,2026-01-01,1
+5, 7.5,yes,2026-01-01 10:00:00+0530,20260102,Infinity
-3,1e3,ON,2026-01-01T00:00:00.1234567Z,2026-01-03,NaN
EOF
	run --separate-stderr "$BIN/pgload" -v --table odd_bin <odd.csv
	assert_success
	[[ "$stderr" == *"pgload: line 3, column i: value not in a plain form; sending the rest as CSV"* ]]
	[[ "$stderr" == *"binary COPY, then CSV"* ]]
	"$BIN/pgload" -q --table odd_csv --format csv <odd.csv
	run sql -c "select count(*) from (select * from odd_bin except all select * from odd_csv) d"
	assert_output 0
	run sql -c "select count(*) from odd_bin"
	assert_output 3
}

@test "pgload loads columns of types without an encoder through CSV" {
	sql -c "create table other_types (id uuid, doc jsonb, tags text[])"
	printf 'id,doc,tags\n%s,"{""a"": 1}","{x,y}"\n' 6d2f1c4e-8e8e-4a57-9a0b-5f4d3c2b1a00 >o.csv
	run --separate-stderr "$BIN/pgload" --table other_types <o.csv
	assert_success
	assert_regex "$stderr" 'CSV COPY\), load [0-9]+$'
	run sql -c "select id, doc->>'a', tags[2] from other_types"
	assert_output "6d2f1c4e-8e8e-4a57-9a0b-5f4d3c2b1a00|1|y"
}

@test "pgload matches columns by the header's names, in any order, leaving the rest to defaults" {
	sql -c "create table by_name (a int, b text, c text default 'dflt')"
	printf 'b,a\nx,1\ny,2\n' >n.csv
	run --separate-stderr "$BIN/pgload" -q --table by_name <n.csv
	assert_success
	run sql -c "select a, b, c from by_name order by a"
	assert_output "$(printf '1|x|dflt\n2|y|dflt')"
}

@test "pgload reads tab-separated input with -t" {
	sql -c "create table tsv_t (a int, b text)"
	printf 'a\tb\n1\thello, world\n2\t"quoted\ttab"\n' >t.tsv
	run --separate-stderr "$BIN/pgload" -q -t --table tsv_t <t.tsv
	assert_success
	run sql -c "select a || ':' || b from tsv_t order by a"
	assert_output "$(printf '1:hello, world\n2:quoted\ttab')"
	"$BIN/pgload" -q -t --format csv --table tsv_t <t.tsv
	run sql -c "select count(*) from tsv_t"
	assert_output 4
}

@test "pgload exits 1 naming the line and the server's message when the server rejects a row, and loads nothing" {
	sql -c "create table reject_t (id int not null, qty int)"
	sql -c "insert into reject_t values (0, 0)"
	printf 'id,qty\n1,5\n2,abc\n3,7\n' >r.csv
	run --separate-stderr "$BIN/pgload" --table reject_t <r.csv
	assert_failure 1
	id=$(sql -c "select max(load_id) from raw._loads where target_table = 'public.reject_t'")
	assert_equal "$stderr" "pgload: line 3, column qty: invalid input syntax for type integer: \"abc\"
pgload: nothing was loaded into public.reject_t: load $id was rolled back"
	run sql -c "select count(*) from reject_t"
	assert_output 1
	run last_load public.reject_t
	assert_output "$id|failed|"
}

@test "pgload in csv mode names the same line and message for a rejected row" {
	sql -c "create table reject_csv (id int not null, qty int)"
	printf 'id,qty\n1,5\n2,abc\n3,7\n' >r.csv
	run --separate-stderr "$BIN/pgload" -q --table reject_csv --format csv <r.csv
	assert_failure 1
	assert_rejected 'pgload: line 3, column qty: invalid input syntax for type integer: "abc"' 'public\.reject_csv'
	run sql -c "select count(*) from reject_csv"
	assert_output 0
}

@test "pgload counts newlines inside quoted fields when it names a line, in both modes" {
	sql -c "create table lines_t (id int, note text, qty int)"
	printf 'id,note,qty\n1,"two\nlines",1\n2,plain,2\n3,"three\nphysical\nlines",3\n4,x,oops\n' >l.csv
	rejected_in_both_formats l.csv 'pgload: line 8, column qty: invalid input syntax for type integer: "oops"'
	# A multi-line first row, where the server's own count goes wrong.
	printf 'id,note,qty\n1,"a\nb\nc",x\n' >first.csv
	rejected_in_both_formats first.csv 'pgload: line 2, column qty: invalid input syntax for type integer: "x"'
	# A rejected row that spans lines is named by the line it starts on.
	printf 'id,note,qty\n1,"two\nlines",1\n2,plain,2\n3,"three\nphysical\nlines",x\n' >multi.csv
	rejected_in_both_formats multi.csv 'pgload: line 5, column qty: invalid input syntax for type integer: "x"'
	run sql -c "select count(*) from lines_t"
	assert_output 0
}

@test "pgload loads a line holding only \\. as a value, in csv mode and after a fallback from binary" {
	sql -c "create table eod_t (n serial, note text)"
	printf 'note\nfirst\n\\.\nthird\nfourth\n' >eod.csv
	run --separate-stderr "$BIN/pgload" -q --table eod_t --format csv <eod.csv
	assert_success
	run sql -c "select string_agg(coalesce(note, 'NULL'), '|' order by n) from eod_t"
	assert_output 'first|\.|third|fourth'
	run sql -c "select rows, status from raw._loads where target_table = 'public.eod_t'"
	assert_output '4|committed'
	# The same with CRLF line ends, and in binary mode, where the blank
	# second line (a NULL) sends the rest as CSV.
	sql -c "truncate eod_t"
	printf 'note\r\nfirst\r\n\\.\r\nthird\r\nfourth\r\n' | "$BIN/pgload" -q --table eod_t --format csv
	printf 'note\n\nfirst\n\\.\nthird\nfourth\n' | "$BIN/pgload" -q --table eod_t
	run sql -c "select string_agg(coalesce(note, 'NULL'), '|' order by n) from eod_t"
	assert_output 'first|\.|third|fourth|NULL|first|\.|third|fourth'
}

@test "pgload loads a quoted value holding a line \\. intact" {
	sql -c "create table eodq_t (n serial, note text, k int)"
	printf 'note,k\n"a\n\\.\nb",1\n"\n\\.\n",2\n\\.x,3\n' >q.csv
	for format in csv binary; do
		sql -c "truncate eodq_t"
		run --separate-stderr "$BIN/pgload" -q --table eodq_t --format "$format" <q.csv
		assert_success
		run sql -c "select string_agg(format('%s=%s', k, note), '|' order by n) from eodq_t"
		assert_output "$(printf '1=a\n\\.\nb|2=\n\\.\n|3=\\.x')"
	done
}

@test "pgload translates the server's row number back to the input line in binary mode" {
	sql -c "create table binlines_t (note text, price numeric(4,2))"
	# Every value is plain, so the server sees binary rows only and counts
	# rows, not lines; the overflow is found by the server.
	printf 'note,price\n"a\nb",1.00\nplain,2.00\n"c\nd\ne",3.00\n"f\ng",100.00\n' >b.csv
	run --separate-stderr "$BIN/pgload" -q -v --table binlines_t <b.csv
	assert_failure 1
	[[ "$stderr" != *"sending the rest as CSV"* ]]
	[[ "$stderr" == *"pgload: line 8, column price: numeric field overflow"$'\n'* ]]
	run sql -c "select count(*) from binlines_t"
	assert_output 0
}

@test "pgload in binary mode gives exit 1, the line and the server's message for a value out of its type's range" {
	sql -c "create table range_t (id int, small smallint, price numeric(5,2))"
	printf 'id,small,price\n1,1,1.00\n2,40000,1.00\n' >big.csv
	run --separate-stderr "$BIN/pgload" -q --table range_t <big.csv
	assert_failure 1
	assert_rejected 'pgload: line 3, column small: value "40000" is out of range for type smallint' 'public\.range_t'
	printf 'id,small,price\n1,1,1.00\n2,2,1000.00\n' >num.csv
	run --separate-stderr "$BIN/pgload" -q --table range_t <num.csv
	assert_failure 1
	assert_equal "${stderr_lines[0]}" 'pgload: line 3, column price: numeric field overflow'
	assert_equal "${stderr_lines[1]}" 'pgload: DETAIL: A field with precision 5, scale 2 must round to an absolute value less than 10^3.'
	assert_regex "${stderr_lines[2]}" '^pgload: nothing was loaded into public\.range_t: load [0-9]+ was rolled back$'
	run sql -c "select count(*) from range_t"
	assert_output 0
}

@test "pgload in binary mode reports an impossible timestamp as the server does" {
	sql -c "create table ts_t (id int, at timestamptz)"
	printf 'id,at\n1,2026-02-28T10:00:00Z\n2,2026-02-30T10:00:00Z\n' >ts.csv
	run --separate-stderr "$BIN/pgload" -q --table ts_t <ts.csv
	assert_failure 1
	assert_rejected 'pgload: line 3, column at: date/time field value out of range: "2026-02-30T10:00:00Z"' 'public\.ts_t'
	run sql -c "select count(*) from ts_t"
	assert_output 0
}

@test "pgload rejects a row with too few fields, naming its line" {
	sql -c "create table short_t (a int, b int, c int)"
	printf 'a,b,c\n1,2,3\n4,5\n' >s.csv
	run --separate-stderr "$BIN/pgload" -q --table short_t <s.csv
	assert_failure 1
	assert_rejected 'pgload: line 3: missing data for column "c"' 'public\.short_t'
	run sql -c "select count(*) from short_t"
	assert_output 0
}

@test "pgload loads nothing when the input breaks off in the middle of a row" {
	sales_table broken_t
	"$BIN/gen" --rows 5000 --seed 3 | head -c 200000 >cut.csv
	# The last line, cut short.
	line=$(($(wc -l <cut.csv) + 1))
	run --separate-stderr "$BIN/pgload" -q --table broken_t <cut.csv
	assert_failure 1
	assert_rejected "pgload: line $line: missing data for column \"product_id\"" 'public\.broken_t'
	run sql -c "select count(*) from broken_t"
	assert_output 0
}

@test "pgload stops with exit 3 on an unterminated quote at the end of the input" {
	sql -c "create table unterminated_t (a int, b text)"
	printf 'a,b\n1,x\n2,"open\n' >u.csv
	run --separate-stderr "$BIN/pgload" -q --table unterminated_t <u.csv
	assert_failure 3
	assert_rejected "pgload: line 3: unterminated quoted field" 'public\.unterminated_t'
	run sql -c "select count(*) from unterminated_t"
	assert_output 0
}

@test "pgload refuses a record over the row limit with exit 1, naming its line and the limit" {
	sql -c "create table toolong_t (a int, b text)"
	{ printf 'a,b\n1,x\n2,'; head -c 5000 /dev/zero | tr '\0' y; printf '\n3,z\n'; } >long.csv
	local format
	for format in binary csv; do
		ELT_CSV_MAX_RECORD=1000 run --separate-stderr "$BIN/pgload" -q --table toolong_t --format "$format" \
			--key "toolong-$format-$BATS_TEST_TMPDIR" <long.csv
		assert_failure 1
		assert_rejected "pgload: line 3: the record is over 1000 bytes, the most one row may hold (PostgreSQL takes no row of 1 GB or more; ELT_CSV_MAX_RECORD sets this limit in bytes)" \
			'public\.toolong_t'
	done
	run sql -c "select count(*) from toolong_t"
	assert_output 0
	run sql -c "select count(*) from raw._loads where idempotency_key like 'toolong-%-$BATS_TEST_TMPDIR' and status = 'committed'"
	assert_output 0
	# the same rows with the limit raised load
	ELT_CSV_MAX_RECORD=6000 run --separate-stderr "$BIN/pgload" -q --table toolong_t <long.csv
	assert_success
	run sql -c "select count(*), max(length(b)) from toolong_t"
	assert_output "3|5000"
}

@test "pgload refuses a line of 101 MiB in bounded memory, before the server sees it" {
	sql -c "create table hugeline_t (a int, b text)"
	{ printf 'a,b\n1,x\n2,'; head -c $((101 * 1024 * 1024)) /dev/zero | tr '\0' y; printf '\n3,z\n'; } >huge.csv
	run --separate-stderr /usr/bin/time -f 'peak %M KiB' "$BIN/pgload" -q --table hugeline_t <huge.csv
	assert_failure 1
	assert_equal "${stderr_lines[0]}" "pgload: line 3: the record is over 100 MiB, the most one row may hold (PostgreSQL takes no row of 1 GB or more; ELT_CSV_MAX_RECORD sets this limit in bytes)"
	assert_regex "${stderr_lines[1]}" '^pgload: nothing was loaded into public\.hugeline_t: load [0-9]+ was rolled back$'
	kib=$(sed -n 's/^peak \([0-9]*\) KiB$/\1/p' <<<"$stderr")
	echo "peak RSS: $kib KiB"
	# The line is held up to the limit in libcsv and its first 64 MiB in
	# the reader's raw copy, then dropped; the sanitizers' own memory says
	# nothing about that.
	[ "${ELT_SAN:-}" = 1 ] || [ "$kib" -lt $((200 * 1024)) ]
	run sql -c "select count(*) from hugeline_t"
	assert_output 0
}

@test "pgload stops with exit 3 when standard input cannot be read" {
	sql -c "create table readerr_t (a int)"
	mkdir d
	run --separate-stderr "$BIN/pgload" -q --table readerr_t <d
	assert_failure 3
	assert_equal "${stderr_lines[0]}" "pgload: standard input: read error: Is a directory"
}

@test "pgload says a header column the table lacks before sending any data" {
	sql -c "create table header_t (a int, b text)"
	printf 'a,colour\n1,red\n' >h.csv
	run --separate-stderr "$BIN/pgload" --table header_t <h.csv
	assert_failure 1
	assert_equal "$stderr" 'pgload: line 1: table public.header_t has no column "colour"'
	# No load was started: not even a failed one is on record.
	run sql -c "select count(*) from raw._loads where target_table = 'public.header_t'"
	assert_output 0
}

@test "pgload rejects a header naming a column twice or an empty column name" {
	sql -c "create table header2_t (a int, b text)"
	printf 'a,b,a\n1,x,2\n' | {
		run --separate-stderr "$BIN/pgload" --table header2_t
		assert_failure 1
		assert_equal "$stderr" 'pgload: line 1: column "a" appears twice in the header'
	}
	printf 'a,,b\n1,,x\n' | {
		run --separate-stderr "$BIN/pgload" --table header2_t
		assert_failure 1
		assert_equal "$stderr" "pgload: line 1: the header's field 2 is empty"
	}
}

@test "pgload says the input is empty, with exit 3, before starting a load" {
	sql -c "create table empty_t (a int)"
	run --separate-stderr "$BIN/pgload" --table empty_t </dev/null
	assert_failure 3
	assert_equal "$stderr" "pgload: the input is empty: a header line naming the columns is needed"
	run sql -c "select count(*) from raw._loads where target_table = 'public.empty_t'"
	assert_output 0
}

@test "pgload treats a header-only input as a successful load of 0 rows" {
	sql -c "create table header_only_t (a int, b text)"
	printf 'a,b\n' >h.csv
	run --separate-stderr "$BIN/pgload" --table header_only_t <h.csv
	assert_success
	[[ "${stderr}" == "pgload: the input holds a header and no rows"$'\n'"pgload: loaded 0 rows into public.header_only_t in "* ]]
	run last_load public.header_only_t
	assert_output --regexp '^[0-9]+\|committed\|0$'
}

@test "pgload --key skips a second load of the same key into the same table" {
	sql -c "create table key_t (a int)"
	printf 'a\n1\n2\n' >k.csv
	run --separate-stderr "$BIN/pgload" -q --table key_t --key sha256:abc <k.csv
	assert_success
	first=$(sql -c "select load_id from raw._loads where target_table = 'public.key_t' and status = 'committed'")
	run --separate-stderr "$BIN/pgload" --table key_t --key sha256:abc <k.csv
	assert_success
	assert_equal "$stderr" "pgload: skipped: key \"sha256:abc\" was already loaded into public.key_t by load $first"
	run sql -c "select count(*) from key_t"
	assert_output 2
	# Another key, or the same key into another table, loads.
	"$BIN/pgload" -q --table key_t --key sha256:def <k.csv
	run sql -c "select count(*) from key_t"
	assert_output 4
}

@test "pgload --key reads a skipped load's input to the end, so the writer before it is not killed" {
	sales_table key_pipe_t
	for i in 1 2; do
		run --separate-stderr bash -c "set -o pipefail; '$BIN/gen' --rows 200000 --seed 2 |
			'$BIN/pgload' --table key_pipe_t --key pipe-key"
		assert_success
	done
	[[ "$stderr" == "pgload: skipped: key \"pipe-key\" was already loaded into public.key_pipe_t by load "* ]]
	run sql -c "select count(*) from key_pipe_t"
	assert_output 200000
}

@test "pgload --key lets a key load again after a failed load of it" {
	sql -c "create table key_retry_t (a int)"
	printf 'a\nx\n' | run -1 "$BIN/pgload" -q --table key_retry_t --key k1
	printf 'a\n1\n' | "$BIN/pgload" -q --table key_retry_t --key k1
	run sql -c "select status from raw._loads where target_table = 'public.key_retry_t' order by load_id"
	assert_output "$(printf 'failed\ncommitted')"
	run sql -c "select count(*) from key_retry_t"
	assert_output 1
}

@test "pgload --key loads once when two loads of the same key race" {
	sql -c "create table race_t (a int, who text)"
	mkfifo a.fifo
	"$BIN/pgload" --table race_t --key race-key <a.fifo >a.out 2>a.err 3>&- &
	pid_a=$!
	exec 7>a.fifo
	printf 'a,who\n1,A\n' >&7
	# A is inside its transaction, its audit row inserted but not committed.
	wait_for "select count(*) = 1 from pg_stat_progress_copy p join pg_class c on c.oid = p.relid
		where c.relname = 'race_t'"
	printf 'a,who\n1,B\n2,B\n' >b.csv
	"$BIN/pgload" --table race_t --key race-key <b.csv >b.out 2>b.err 3>&- 7>&- &
	pid_b=$!
	# B waits on A's uncommitted audit row.
	wait_for "select count(*) = 1 from pg_stat_activity where application_name = 'pgload'
		and wait_event_type = 'Lock'"
	printf '2,A\n' >&7
	exec 7>&-
	wait "$pid_a"
	wait "$pid_b"
	run sql -c "select who, count(*) from race_t group by who"
	assert_output "A|2"
	run cat b.err
	assert_output "pgload: skipped: key \"race-key\" was loaded into public.race_t by a load that ran at the same time"
	run sql -c "select count(*) from raw._loads where idempotency_key = 'race-key'"
	assert_output 1
}

# jobs_input ROWS FILE: gen's sales, long enough that --jobs 2 sends some
# of each connection's share after the other's (turns of 1 MiB).
jobs_input() {
	"$BIN/gen" --rows "$1" --seed 17 --days 30 >"$2"
}

# jobs_table NAME: a table shaped like raw.sales, partitioned by list of
# its load id, with a default partition for rows that come another way.
jobs_table() {
	raw_ddl
	sql -c "create table $1 (like raw.sales including defaults) partition by list (_load_id)" \
		-c "create table ${1}_default partition of $1 default"
}

@test "pgload --jobs loads over several connections into a partition of its own that appears at once, with one load id and one load time" {
	jobs_table jobs_t
	sql -c "create unique index on jobs_t (_load_id, sale_id)"
	sales_table jobs_ref
	jobs_input 40000 s.csv
	before=$(sql -c "select now()")
	run --separate-stderr "$BIN/pgload" --table jobs_t --jobs 2 --key "jobs-$BATS_TEST_TMPDIR" <s.csv
	assert_success
	assert_regex "$stderr" '^pgload: loaded 40000 rows into public\.jobs_t in [0-9.]+ s \([0-9]+ rows/s, binary COPY over 2 connections\), load [0-9]+$'
	sql -c "\\copy jobs_ref ($SALES_COLS) from 's.csv' csv header"
	run sql -c "select count(*) from (select $SALES_COLS from jobs_t except all select $SALES_COLS from jobs_ref) d"
	assert_output 0
	id=$(sql -c "select load_id from raw._loads where idempotency_key = 'jobs-$BATS_TEST_TMPDIR'")
	run sql -c "select count(*), count(distinct _load_id), min(_load_id) = $id, count(distinct _loaded_at),
		min(_loaded_at) >= '$before' and max(_loaded_at) <= (select started_at from raw._loads where load_id = $id)
		from jobs_t"
	assert_output "40000|1|t|1|t"
	# Every row is in the load's own partition, a real one for its load id,
	# no longer marked as staging, with the target's defaults, its index
	# and no constraint of pgload's left.
	run sql -c "select tableoid::regclass, count(*) from jobs_t group by 1"
	assert_output "jobs_t_load_$id|40000"
	run sql -c "select c.relispartition, pg_get_expr(c.relpartbound, c.oid), obj_description(c.oid, 'pg_class'),
		pg_get_expr(d.adbin, d.adrelid),
		(select count(*) from pg_index x where x.indrelid = c.oid and x.indisunique),
		(select count(*) from pg_constraint k where k.conrelid = c.oid)
		from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = '_loaded_at'
		join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
		where c.oid = 'jobs_t_load_$id'::regclass"
	assert_output "t|FOR VALUES IN ('$id')|pgload: rows of load $id|now()|1|0"
	# Such a row goes where a COPY into the table would put it.
	run sql -c "insert into jobs_t ($SALES_COLS, _load_id) select $SALES_COLS, _load_id from jobs_t limit 1"
	assert_failure
	assert_output --partial 'duplicate key value violates unique constraint "jobs_t_load_'
}

@test "pgload --jobs names the input line of a row the server rejects in any connection's share, and loads nothing" {
	jobs_table jobs_bad
	jobs_input 40000 s.csv
	# Line 20000 goes in the second connection's first share, line 35000 in
	# the first one's second; "abc" makes that share go on as CSV.
	for line in 20000 35000; do
		awk -F, -v OFS=, -v bad="$line" 'NR == bad { $5 = "abc" } { print }' s.csv >bad.csv
		run --separate-stderr "$BIN/pgload" -q --table jobs_bad --jobs 2 <bad.csv
		assert_failure 1
		assert_rejected "pgload: line $line, column quantity: invalid input syntax for type integer: \"abc\"" 'public\.jobs_bad'
	done
	awk -F, -v OFS=, 'NR == 30000 { $6 = "99999999999.00" } { print }' s.csv >big.csv
	run --separate-stderr "$BIN/pgload" -q --table jobs_bad --jobs 2 <big.csv
	assert_failure 1
	assert_equal "${stderr_lines[0]}" 'pgload: line 30000, column unit_price: numeric field overflow'
	run sql -c "select (select count(*) from jobs_bad),
		(select count(*) from pg_class where relname like 'jobs\_bad\_load\_%')"
	assert_output "0|0"
}

@test "pgload --jobs into a table that is not partitioned by its load id loads over one connection, saying why, and keeps its constraints" {
	raw_ddl
	sql -c "create table jobs_ex (like raw.sales including defaults, exclude using btree (sale_id with =))"
	jobs_input 2000 s.csv
	run --separate-stderr "$BIN/pgload" --table jobs_ex --jobs 2 <s.csv
	assert_success
	assert_equal "${stderr_lines[0]}" "pgload: --jobs: public.jobs_ex is not partitioned by list of its load id column (see pgload(1)); loading over one connection"
	assert_regex "${stderr_lines[1]}" '^pgload: loaded 2000 rows into public\.jobs_ex in [0-9.]+ s \([0-9]+ rows/s, binary COPY\), load [0-9]+$'
	# The second load of the same rows breaks the exclusion constraint.
	run --separate-stderr "$BIN/pgload" -q --table jobs_ex --jobs 2 <s.csv
	assert_failure 1
	assert_regex "${stderr_lines[0]}" '^pgload: line [0-9]+: conflicting key value violates exclusion constraint "jobs_ex_sale_id_excl"$'
	run sql -c "select count(*), count(distinct sale_id), (select count(*) from only jobs_ex),
		(select count(*) from pg_inherits where inhparent = 'jobs_ex'::regclass) from jobs_ex"
	assert_output "2000|2000|2000|0"
	sql -c "create table jobs_ident (n bigint generated always as identity, like raw.sales including defaults)"
	run --separate-stderr "$BIN/pgload" -q --table jobs_ident --jobs 2 <s.csv
	assert_success
	run sql -c "select count(*), count(distinct n), (select count(*) from only jobs_ident) from jobs_ident"
	assert_output "2000|2000|2000"
}

@test "pgload --jobs loads over one connection, saying why, into a partitioned table whose rows a new partition would bypass" {
	jobs_input 2000 s.csv
	jobs_table jobs_pub
	sql -c "set client_min_messages = error" -c "create publication jobs_pub_p for table jobs_pub"
	jobs_table jobs_trig
	sql -c "create function jobs_trig_f() returns trigger language plpgsql as 'begin return new; end'" \
		-c "create trigger jobs_trig_t before insert on jobs_trig for each row execute function jobs_trig_f()"
	jobs_table jobs_rls
	sql -c "alter table jobs_rls enable row level security"
	jobs_table jobs_fk
	sql -c "alter table jobs_fk add unique (_load_id, sale_id)" \
		-c "create table jobs_fk_r (l bigint, s text, foreign key (l, s) references jobs_fk (_load_id, sale_id))"
	for t in jobs_pub:'is in a publication' jobs_trig:'has triggers' jobs_rls:'has row security' \
		jobs_fk:'has or is referenced by a foreign key'; do
		run --separate-stderr "$BIN/pgload" --table "${t%%:*}" --jobs 2 <s.csv
		assert_success
		assert_equal "${stderr_lines[0]}" "pgload: --jobs: public.${t%%:*} ${t#*:} (see pgload(1)); loading over one connection"
		run sql -c "select tableoid::regclass, count(*) from ${t%%:*} group by 1"
		assert_output "${t%%:*}_default|2000"
	done
	# A publication of every table in the schema, or of all tables.
	sql -c "drop publication jobs_pub_p" -c "create schema jobs_s" \
		-c "create table jobs_s.p (like raw.sales including defaults) partition by list (_load_id)" \
		-c "create table jobs_s.p_default partition of jobs_s.p default" \
		-c "set client_min_messages = error" -c "create publication jobs_pub_s for tables in schema jobs_s"
	run --separate-stderr "$BIN/pgload" --table jobs_s.p --jobs 2 <s.csv
	assert_equal "${stderr_lines[0]}" "pgload: --jobs: jobs_s.p is in a publication (see pgload(1)); loading over one connection"
	sql -c "drop publication jobs_pub_s" -c "set client_min_messages = error" -c "create publication jobs_pub_a for all tables"
	run --separate-stderr "$BIN/pgload" --table jobs_s.p --jobs 2 <s.csv
	sql -c "drop publication jobs_pub_a"
	assert_equal "${stderr_lines[0]}" "pgload: --jobs: jobs_s.p is in a publication (see pgload(1)); loading over one connection"
	run sql -c "select count(*), (select count(*) from pg_class where relname like 'p\_load\_%') from jobs_s.p_default"
	assert_output "4000|0"
}

# jobs_halfway TABLE: a table holding 10 of s.csv's 40000 rows, and
# pgload --jobs 2 loading the rest from in.fifo (open as fd 7, $pid), once
# its connections have sent more than 20000 rows of the first 30000 lines.
jobs_halfway() {
	jobs_table "$1"
	jobs_input 40000 s.csv
	sql -c "\\copy $1 ($SALES_COLS) from program 'head -n 11 s.csv' csv header"
	sql -c "checkpoint"
	mkfifo in.fifo
	"$BIN/pgload" --table "$1" --jobs 2 <in.fifo 2>err.txt 3>&- &
	pid=$!
	exec 7>in.fifo
	head -n 30000 s.csv >&7
	wait_for "select coalesce(sum(tuples_processed), 0) > 20000 from pg_stat_progress_copy p
		join pg_class c on c.oid = p.relid where c.relname like '$1_load_%'"
}

# server_stops_mid_load COMMAND...: stops the server at once while pgload
# ($pid) reads from fd 7, writes what COMMAND prints to fd 7, closes it,
# and expects pgload to end with exit 3; the server is started again.
server_stops_mid_load() {
	(cd / && pg_as_owner "$ELT_PGBIN/pg_ctl" -D "$ELT_PGDIR/data" -m immediate -w stop >/dev/null)
	"$@" >&7 || true
	exec 7>&-
	local rc=0
	wait "$pid" || rc=$?
	(cd / && pg_server_start)
	assert_equal "$rc" 3
}

@test "pgload --jobs killed with SIGKILL half-way leaves the table as it was, and the next such load drops its staging table" {
	jobs_halfway jobs_kill
	kill -KILL "$pid"
	exec 7>&-
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 137
	wait_for "select count(*) = 0 from pg_stat_activity where application_name = 'pgload'"
	run sql -c "select count(*), (select count(*) from pg_class where relname like 'jobs\_kill\_load\_%') from jobs_kill"
	assert_output "10|1"
	run --separate-stderr "$BIN/pgload" --table jobs_kill --jobs 2 <s.csv
	assert_success
	assert_regex "${stderr_lines[0]}" '^pgload: dropped jobs_kill_load_[0-9]+, the staging table of load [0-9]+, which never finished$'
	run sql -c "select count(*), (select count(*) from pg_class where relname like 'jobs\_kill\_load\_%') from jobs_kill"
	assert_output "40010|1"
}

@test "pgload --jobs stops with exit 3 and leaves the table as it was when the server stops immediately half-way" {
	jobs_halfway jobs_crash
	server_stops_mid_load tail -n +30001 s.csv
	run sql -c "select count(*) from jobs_crash"
	assert_output 10
	run cat err.txt
	assert_line --partial "pgload: connection to the server was lost: "
	assert_line --regexp '^pgload: nothing was loaded into public\.jobs_crash: load [0-9]+ was rolled back$'
}

@test "pgload --jobs leaves alone a table that has the staging table's name, and stops with exit 3" {
	jobs_table jobs_clash
	jobs_input 2000 s.csv
	next=$(sql -c "select case when is_called then last_value + 1 else last_value end from raw._loads_load_id_seq")
	sql -c "create table jobs_clash_load_$next (mine text)" -c "insert into jobs_clash_load_$next values ('keep')"
	run --separate-stderr "$BIN/pgload" -q --table jobs_clash --jobs 2 <s.csv
	assert_failure 3
	assert_equal "${stderr_lines[0]}" "pgload: cannot create the staging table: relation \"jobs_clash_load_$next\" already exists"
	run sql -c "select mine from jobs_clash_load_$next"
	assert_output keep
	run sql -c "select count(*) from jobs_clash"
	assert_output 0
}

# hold_lock TABLE: a session holding an ACCESS EXCLUSIVE lock on TABLE
# until fd 8 is closed; its pid in $holder.
hold_lock() {
	rm -f hold.fifo
	mkfifo hold.fifo
	sql <hold.fifo >/dev/null &
	exec 8>hold.fifo
	echo "begin; lock table $1 in access exclusive mode;" >&8
	wait_for "select count(*) = 1 from pg_locks where relation = '$1'::regclass and granted"
	holder=$(sql -c "select pid from pg_locks where relation = '$1'::regclass and granted")
}

# wait_for_line FILE REGEX: waits up to 30 s until a line of FILE matches.
wait_for_line() {
	local i
	for i in $(seq 300); do
		grep -Eq "$2" "$1" && return 0
		sleep 0.1
	done
	echo "timed out waiting for $2 in $1:" >&2
	cat "$1" >&2
	return 1
}

@test "pgload says which lock on the table it waits for and who holds it, and loads once it is released" {
	jobs_input 2000 s.csv
	sales_table lock_t
	jobs_table lock_p
	# Over one connection, and over two into a partition of its own, whose
	# staging table is made LIKE the table.
	for case in lock_t:1:RowExclusiveLock lock_p:2:AccessShareLock; do
		IFS=: read -r table jobs mode <<<"$case"
		hold_lock "$table"
		"$BIN/pgload" --table "$table" --jobs "$jobs" <s.csv 2>err.txt 8>&- &
		pid=$!
		wait_for_line err.txt '^pgload: waiting for'
		run cat err.txt
		assert_line "pgload: waiting for $mode on public.$table, held by pid $holder (AccessExclusiveLock)"
		exec 8>&-
		rc=0
		wait "$pid" || rc=$?
		assert_equal "$rc" 0
		run sql -c "select count(*) from $table"
		assert_output 2000
	done
}

@test "pgload --lock-timeout gives up on a locked table with exit 3 and loads nothing" {
	raw_ddl
	sql -c "create table lockto_t (n int)"
	printf 'n\n1\n2\n' >n.csv
	hold_lock lockto_t
	# Under the moment pgload waits quietly, it gives up without a word before.
	run --separate-stderr "$BIN/pgload" --table lockto_t --lock-timeout 300ms <n.csv
	assert_failure 3
	assert_equal "${stderr_lines[0]}" "pgload: gave up waiting for RowExclusiveLock on public.lockto_t after 300 ms (lock_timeout)"
	assert_regex "${stderr_lines[1]}" '^pgload: nothing was loaded into public\.lockto_t: load [0-9]+ was rolled back$'
	start=$(date +%s%N)
	run --separate-stderr "$BIN/pgload" --table lockto_t --lock-timeout 2.5s <n.csv
	took=$((($(date +%s%N) - start) / 1000000))
	exec 8>&-
	assert_failure 3
	assert_equal "${stderr_lines[0]}" "pgload: waiting for RowExclusiveLock on public.lockto_t, held by pid $holder (AccessExclusiveLock)"
	assert_equal "${stderr_lines[1]}" "pgload: gave up waiting for RowExclusiveLock on public.lockto_t after 2500 ms (lock_timeout)"
	assert_regex "${stderr_lines[2]}" '^pgload: nothing was loaded into public\.lockto_t: load [0-9]+ was rolled back$'
	((took >= 2400 && took < 10000))
	run sql -c "select (select count(*) from lockto_t), string_agg(status, ',') from raw._loads where target_table = 'public.lockto_t'"
	assert_output "0|failed,failed"
	for bad in soon 1x -1s 1e3 ''; do
		run --separate-stderr "$BIN/pgload" --table lockto_t --lock-timeout "$bad" <n.csv
		assert_failure 2
		assert_equal "${stderr_lines[0]}" "pgload: --lock-timeout: \"$bad\" is not a duration such as 500ms, 10s or 2min"
	done
}

@test "pgload killed with SIGKILL half-way leaves the table as it was" {
	sql -c "create table kill_t (id int, v text)"
	sql -c "insert into kill_t values (0, 'before')"
	mkfifo in.fifo
	"$BIN/pgload" --table kill_t <in.fifo 2>err.txt 3>&- &
	pid=$!
	exec 7>in.fifo
	printf 'id,v\n' >&7
	seq 1 100000 | sed 's/$/,row/' >&7
	wait_for "select coalesce(max(tuples_processed), 0) > 0 from pg_stat_progress_copy p
		join pg_class c on c.oid = p.relid where c.relname = 'kill_t'"
	kill -KILL "$pid"
	exec 7>&-
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 137
	run sql -c "select count(*), min(v) from kill_t"
	assert_output "1|before"
	wait_for "select count(*) = 0 from pg_stat_activity where application_name = 'pgload'"
	run sql -c "select count(*) from kill_t"
	assert_output 1
}

@test "pgload stops with exit 3 and loads nothing when the server stops immediately half-way" {
	sql -c "create table crash_t (id int, v text)"
	sql -c "insert into crash_t values (0, 'before')"
	sql -c "checkpoint"
	mkfifo in.fifo
	"$BIN/pgload" --table crash_t <in.fifo 2>err.txt 3>&- &
	pid=$!
	exec 7>in.fifo
	printf 'id,v\n' >&7
	seq 1 100000 | sed 's/$/,row/' >&7
	wait_for "select coalesce(max(tuples_processed), 0) > 0 from pg_stat_progress_copy p
		join pg_class c on c.oid = p.relid where c.relname = 'crash_t'"
	server_stops_mid_load awk 'BEGIN { for (i = 100001; i <= 200000; i++) print i ",row" }'
	run sql -c "select count(*), min(v) from crash_t"
	assert_output "1|before"
	run cat err.txt
	assert_line --partial "pgload: connection to the server was lost: "
	assert_line --regexp '^pgload: nothing was loaded into public\.crash_t: load [0-9]+ was rolled back$'
}

@test "pgload stops with exit 3 and loads nothing when its connection is terminated" {
	sql -c "create table dropped_t (id int, v text)"
	mkfifo in.fifo
	"$BIN/pgload" --table dropped_t <in.fifo 2>err.txt 3>&- &
	pid=$!
	exec 7>in.fifo
	printf 'id,v\n' >&7
	seq 1 100000 | sed 's/$/,row/' >&7
	wait_for "select coalesce(max(tuples_processed), 0) > 0 from pg_stat_progress_copy p
		join pg_class c on c.oid = p.relid where c.relname = 'dropped_t'"
	sql -c "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pgload'" >/dev/null
	seq 100001 200000 | sed 's/$/,row/' >&7 || true
	exec 7>&-
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 3
	run cat err.txt
	assert_line --index 0 --partial "pgload: connection to the server was lost: "
	assert_line --index 1 --regexp '^pgload: nothing was loaded into public\.dropped_t: load [0-9]+ was rolled back$'
	run sql -c "select count(*) from dropped_t"
	assert_output 0
}

@test "pgload fails fast with exit 3 and one line naming host and port when the server is unreachable" {
	mkdir nosrv
	start=$SECONDS
	PGHOST=$PWD/nosrv run --separate-stderr "$BIN/pgload" </dev/null
	assert_failure 3
	[ $((SECONDS - start)) -lt 5 ]
	assert_equal "$stderr" "pgload: cannot connect to the database (host $PWD/nosrv, port $PGPORT): connection to server on socket \"$PWD/nosrv/.s.PGSQL.$PGPORT\" failed: No such file or directory. Is the server running locally and accepting connections on that socket?"
}

@test "pgload never prints the password of a connection string" {
	mkdir nosrv
	run --separate-stderr "$BIN/pgload" -d "host=$PWD/nosrv user=someone password=hunter2secret" </dev/null
	assert_failure 3
	[[ "$stderr" != *hunter2secret* ]]
	[[ "$stderr" == "pgload: cannot connect to the database (host $PWD/nosrv, port "* ]]
	# libpq quotes a malformed string in its message; the password is masked
	run --separate-stderr "$BIN/pgload" -d 'postgresql://bob:hunter2secret@[::1/db' </dev/null
	assert_failure 3
	assert_equal "$stderr" 'pgload: cannot connect to the database: end of string reached when looking for matching "]" in IPv6 host address in URI: "postgresql://bob:*****@[::1/db"'
	local uri
	for uri in 'postgresql://bob:hunter2secret%G1@host/db' "host=$PWD/nosrv password='hunter2 secret' port=x" \
		'postgresql://h/db?password=hunter2secret&port=x' 'postgresql://h/db?password=hunter2secret&bad=1'; do
		run --separate-stderr "$BIN/pgload" -d "$uri" </dev/null
		assert_failure 3
		[[ "$stderr" == "pgload: cannot connect to the database"* ]]
		[[ "$stderr" != *hunter2* ]]
	done
}

@test "pgload connects with a conninfo string given as -d" {
	sql -c "create table conninfo_t (a int)"
	printf 'a\n1\n' >c.csv
	PGDATABASE=nonexistent_db run --separate-stderr "$BIN/pgload" -q \
		-d "dbname=postgres host=$PGHOST port=$PGPORT" --table conninfo_t <c.csv
	assert_success
	run sql -c "select count(*) from conninfo_t"
	assert_output 1
}

@test "pgload says a missing table does not exist, with exit 3" {
	run --separate-stderr "$BIN/pgload" --table no_such_schema.no_such_table </dev/null
	assert_failure 3
	assert_equal "$stderr" "pgload: table no_such_schema.no_such_table does not exist (--create --schema FILE makes it)"
}

@test "pgload --create makes the table from a Table Schema, with types, not null and primary key" {
	sql -c "create schema create_s"
	"$BIN/gen" --rows 300 --seed 4 >s.csv
	run --separate-stderr "$BIN/pgload" --table create_s.sales --create \
		--schema "$REPO/sql/contracts/sales.schema.json" <s.csv
	assert_success
	assert_equal "${stderr_lines[0]}" "pgload: creating table create_s.sales from $REPO/sql/contracts/sales.schema.json"
	run sql -c "select attname || ' ' || format_type(atttypid, atttypmod) || case when attnotnull then ' not null' else '' end
		from pg_attribute where attrelid = 'create_s.sales'::regclass and attnum > 0 order by attnum"
	assert_output "sale_id text not null
sold_at timestamp with time zone not null
store_id text not null
product_id text not null
quantity bigint not null
unit_price numeric not null
amount numeric not null
currency text not null
_load_id bigint
_loaded_at timestamp with time zone not null"
	run sql -c "select pg_get_constraintdef(oid) from pg_constraint where conrelid = 'create_s.sales'::regclass"
	assert_output "PRIMARY KEY (sale_id)"
	run sql -c "select count(*), count(distinct _load_id) from create_s.sales where _load_id is not null"
	assert_output "300|1"
	# The table exists now: a second --create loads into it as it is.
	"$BIN/gen" --rows 10 --seed 5 >t.csv
	"$BIN/pgload" -q --table create_s.sales --create --schema "$REPO/sql/contracts/sales.schema.json" <t.csv
	run sql -c "select count(*) from create_s.sales"
	assert_output 310
}

@test "pgload --create maps every Table Schema type and leaves no table behind when the load fails" {
	cat >all.json <<'EOF'
{"fields": [
  {"name": "s", "type": "string"}, {"name": "i", "type": "integer"},
  {"name": "n", "type": "number"}, {"name": "b", "type": "boolean"},
  {"name": "d", "type": "date"}, {"name": "dt", "type": "datetime"},
  {"name": "t", "type": "time"}, {"name": "y", "type": "year", "constraints": {"required": true}}
]}
EOF
	printf 's,i,n,b,d,dt,t,y\nx,1,1.5,true,2026-01-01,2026-01-01T00:00:00Z,10:00:00,2026\ny,2,2,false,2026-01-02,2026-01-02T00:00:00Z,11:00:00,\n' >bad.csv
	run --separate-stderr "$BIN/pgload" -q --table all_types --create --schema all.json <bad.csv
	assert_failure 1
	assert_equal "${stderr_lines[0]}" 'pgload: line 3: null value in column "y" of relation "all_types" violates not-null constraint'
	# The row as stored: the load id and load time filled in by the defaults.
	assert_regex "${stderr_lines[1]}" '^pgload: DETAIL: Failing row contains \(y, 2, 2, f, 2026-01-02, 2026-01-02 00:00:00\+00, 11:00:00, null, [0-9]+, 20[0-9-]+ [0-9:.+]+\)\.$'
	assert_regex "${stderr_lines[2]}" '^pgload: nothing was loaded into public\.all_types: load [0-9]+ was rolled back$'
	run sql -c "select to_regclass('all_types') is null"
	assert_output t
	head -n 2 bad.csv >good.csv
	"$BIN/pgload" -q --table all_types --create --schema all.json <good.csv
	run sql -c "select string_agg(format_type(atttypid, atttypmod), ',' order by attnum)
		from pg_attribute where attrelid = 'all_types'::regclass and attnum between 1 and 8"
	assert_output "text,bigint,numeric,boolean,date,timestamp with time zone,time without time zone,integer"
	run sql -c "select s, i, n, b, d, t, y from all_types"
	assert_output "x|1|1.5|t|2026-01-01|10:00:00|2026"
}

@test "pgload --create needs --schema, and a schema that does not load stops it with exit 3" {
	run --separate-stderr "$BIN/pgload" --create
	assert_failure 2
	[[ "$stderr" == "pgload: --create needs --schema FILE"$'\n'usage:* ]]
	run --separate-stderr "$BIN/pgload" --schema x.json
	assert_failure 2
	[[ "$stderr" == "pgload: --schema is used with --create only"$'\n'usage:* ]]
	printf '{"fields": [{"name": "a", "type": "colour"}]}\n' >bad.json
	run --separate-stderr "$BIN/pgload" --create --schema bad.json --table never_made </dev/null
	assert_failure 3
	[[ "$stderr" == "pgload: bad.json:"* ]]
	run sql -c "select to_regclass('never_made') is null"
	assert_output t
}

@test "pgload quotes injection-looking table and column names and leaves the database unharmed" {
	sql -c "create table victim (a int)"
	sql -c "insert into victim values (42)"
	sql -c 'create schema "we;ird"'
	sql -c 'create table "we;ird"."evil""; drop table victim; --" ("a""b; drop table victim; --" int, "my col" text, "x.y" text)'
	printf '%s\n' '"a""b; drop table victim; --",my col,x.y' '1,one,dot' '2,"two; drop table victim",dot' >e.csv
	for format in binary csv; do
		run --separate-stderr "$BIN/pgload" -q --format "$format" \
			--table 'we;ird.evil"; drop table victim; --' <e.csv
		assert_success
	done
	run sql -c 'select count(*), min("my col") from "we;ird"."evil""; drop table victim; --"'
	assert_output "4|one"
	run sql -c "select a from victim"
	assert_output 42
	# A quoted part may hold a dot; the audit row names the table as the server spells it.
	sql -c 'create table "odd.name" (a int)'
	printf 'a\n1\n' | "$BIN/pgload" -q --table 'public."odd.name"'
	run sql -c "select a from \"odd.name\""
	assert_output 1
	run sql -c "select count(*) from raw._loads where target_table = 'public.\"odd.name\"'"
	assert_output 1
}

@test "pgload creates the audit table exactly as sql/raw/001_schema.sql defines it" {
	sql -c "create database audit_a"
	sql -c "create database audit_b"
	sql -d audit_a -f "$REPO/sql/raw/001_schema.sql"
	sql -d audit_b -c "create table t (a int)"
	printf 'a\n1\n' | "$BIN/pgload" -q -d audit_b --table t
	# Comments and pg_dump's random \restrict keys aside.
	pg_dump -s -n raw audit_a | grep -vE '^(--|\\(un)?restrict )' >a.sql
	pg_dump -s -n raw audit_b | grep -vE '^(--|\\(un)?restrict )' >b.sql
	run diff a.sql b.sql
	assert_success
	grep -q '_loads_key_once' b.sql
	sql -c "drop database audit_a"
	sql -c "drop database audit_b"
}

@test "pgload records a committed load with its rows, bytes and source in raw._loads" {
	sql -c "create table audit_t (a int, b text)"
	printf 'a,b\n1,x\n2,y\n3,z\n' >a.csv
	"$BIN/pgload" -q --table audit_t --source a.csv --key audit-key <a.csv
	run sql -c "select source, idempotency_key, status, rows, bytes, finished_at >= started_at, message is null
		from raw._loads where target_table = 'public.audit_t'"
	assert_output "a.csv|audit-key|committed|3|$(wc -c <a.csv)|t|t"
}

@test "pgload prints no summary with -q and a summary line without a progress line when stderr is a file" {
	sql -c "create table quiet_t (a int)"
	seq 0 9999 | sed '1s/.*/a/' >q.csv
	run --separate-stderr "$BIN/pgload" -q --table quiet_t <q.csv
	assert_success
	assert_equal "$stderr" ""
	"$BIN/pgload" --table quiet_t <q.csv 2>err.txt
	run cat err.txt
	assert_output --regexp '^pgload: loaded 9999 rows into public\.quiet_t in [0-9.]+ s \([0-9]+ rows/s, binary COPY\), load [0-9]+$'
}

@test "pgload shows progress in rows and MB on a terminal" {
	sales_table progress_t
	"$BIN/gen" --rows 400000 --seed 8 >p.csv
	# script(1) gives pgload a terminal for stderr.
	script -qec "$BIN/pgload --table progress_t < p.csv" /dev/null >tty.txt
	grep -q 'rows, [0-9.]* MB, [0-9.]* MB/s' tty.txt
	grep -q 'loaded 400000 rows into public.progress_t' tty.txt
}

@test "pgload memory stays the same for 10 thousand and 1 million rows" {
	sales_table mem_small
	sql -c "create table mem_big (like raw.sales including defaults)"
	"$BIN/gen" --rows 10000 --seed 5 >small.csv
	"$BIN/gen" --rows 1000000 --seed 5 >big.csv
	small=$( { /usr/bin/time -f %M "$BIN/pgload" -q --table mem_small <small.csv; } 2>&1)
	big=$( { /usr/bin/time -f %M "$BIN/pgload" -q --table mem_big <big.csv; } 2>&1)
	echo "peak RSS: $small KiB for 10k rows, $big KiB for 1M rows"
	[ "$big" -lt $((small + 8192)) ]
}

@test "pgload rejects unknown options and stray arguments with its usage and exit 2" {
	run --separate-stderr "$BIN/pgload" --bogus
	assert_failure 2
	assert_equal "$stderr" "pgload: unknown option '--bogus'
usage: pgload [-d CONNINFO] [--table [SCHEMA.]TABLE] [--create --schema FILE]
              [--key KEY] [--source NAME] [--format binary|csv] [--sealed] [-j N]
              [--lock-timeout DURATION] [-t] [-q | -v] < FILE"
	run --separate-stderr "$BIN/pgload" file.csv
	assert_failure 2
	[[ "$stderr" == "pgload: unexpected argument \"file.csv\": the data comes on standard input"$'\n'usage:* ]]
	run --separate-stderr "$BIN/pgload" --format xml
	assert_failure 2
	[[ "$stderr" == "pgload: --format: \"xml\" is neither binary nor csv"$'\n'usage:* ]]
	for n in 0 65 two ''; do
		run --separate-stderr "$BIN/pgload" --jobs "$n"
		assert_failure 2
		[[ "$stderr" == "pgload: --jobs: \"$n\" is not a number of connections from 1 to 64"$'\n'usage:* ]]
	done
	run --separate-stderr "$BIN/pgload" --table 'a.b.c'
	assert_failure 2
	[[ "$stderr" == "pgload: --table: \"a.b.c\" is not [SCHEMA.]TABLE"$'\n'usage:* ]]
	run --separate-stderr "$BIN/pgload" --key
	assert_failure 2
	[[ "$stderr" == "pgload: option '--key' needs a value"$'\n'usage:* ]]
}

@test "pgload --help and --version print to stdout and exit 0" {
	run --separate-stderr "$BIN/pgload" --help
	assert_success
	assert_line --index 0 "usage: pgload [-d CONNINFO] [--table [SCHEMA.]TABLE] [--create --schema FILE]"
	assert_output --partial "--format FORMAT"
	assert_equal "$stderr" ""
	run --separate-stderr "$BIN/pgload" --version
	assert_success
	assert_output "pgload 0.1.0"
}

@test "pgload man page renders with its options and exit statuses" {
	run bash -c "MANWIDTH=80 man --warnings -l '$REPO/docs/man/pgload.1' 2>&1 | col -b"
	assert_success
	assert_output --partial "EXIT STATUS"
	assert_output --partial "--format binary|csv"
	assert_output --partial "raw._loads"
	refute_output --partial "warning"
}

@test "pgload --sealed commits a sealed stream, in binary, CSV and over --jobs, and a header-only one" {
	sales_table sealed_t
	for args in "" "--format csv" "--jobs 2"; do
		run --separate-stderr bash -c "set -o pipefail; '$BIN/gen' --rows 3000 --seed 4 --seal |
			'$BIN/validate' --sealed --seal | '$BIN/pgload' --table sealed_t --sealed $args"
		assert_success
	done
	assert_equal "$(sql -c 'select count(*) from sealed_t')" 9000
	run --separate-stderr bash -c "'$BIN/gen' --rows 0 --seal | '$BIN/pgload' --table sealed_t --sealed"
	assert_success
	assert_equal "$(sql -c "select count(*) from raw._loads where target_table = 'public.sealed_t' and status = 'committed'")" 4
}

@test "pgload --sealed commits nothing and keeps the key free when its producer dies between two rows" {
	sales_table sealed_dead_t
	"$BIN/gen" --rows 20000 --seed 4 --seal >sealed.csv
	for args in "" "--format csv" "--jobs 2"; do
		# The producer dies after 12,345 rows: the stream just ends.
		run --separate-stderr bash -c "head -n 12346 sealed.csv | '$BIN/pgload' --table sealed_dead_t --sealed --key dead $args"
		assert_failure 3
		[[ "$stderr" == *"pgload: standard input: the input ends without a seal: the program writing it stopped before it finished"* ]]
		[[ "$stderr" == *"nothing was loaded into public.sealed_dead_t"* ]]
	done
	assert_equal "$(sql -c 'select count(*) from sealed_dead_t')" 0
	assert_equal "$(sql -c "select count(*) from raw._loads where idempotency_key = 'dead' and status = 'failed'
		and message = 'the input was not sealed as its producer would have sealed it'")" 3
	# The key is free: the whole stream loads under it.
	run --separate-stderr "$BIN/pgload" --table sealed_dead_t --sealed --key dead <sealed.csv
	assert_success
	assert_equal "$(sql -c 'select count(*) from sealed_dead_t')" 20000
}

@test "pgload --sealed commits nothing when validate fails a check after writing every row" {
	sales_table sealed_check_t
	run --separate-stderr bash -c "'$BIN/gen' --rows 2000 --dirty 0.05 --seal |
		'$BIN/validate' --schema '$REPO/sql/contracts/sales.schema.json' --sealed --seal --max-rejects 10 |
		'$BIN/pgload' --table sealed_check_t --sealed; echo \"statuses \${PIPESTATUS[*]}\" >&2"
	[[ "$stderr" == *"statuses 0 1 3"* ]]
	[[ "$stderr" == *"validate: "*"more rejects than --max-rejects allows"* ]]
	assert_equal "$(sql -c 'select count(*) from sealed_check_t')" 0
}

@test "pgload --sealed commits nothing when the seal counts other rows than arrived" {
	sales_table sealed_count_t
	"$BIN/gen" --rows 500 --seed 4 --seal >sealed.csv
	run --separate-stderr bash -c "sed 7d sealed.csv | '$BIN/pgload' --table sealed_count_t --sealed"
	assert_failure 3
	[[ "$stderr" == *"pgload: standard input: the seal counts 500 rows, 499 arrived: the stream was changed on the way"* ]]
	# Two sealed streams glued together are not one: the first seal is
	# then a row, which the server rejects.
	run --separate-stderr bash -c "(cat sealed.csv; sed 1d sealed.csv) | '$BIN/pgload' --table sealed_count_t --sealed"
	assert_failure 1
	assert_equal "$(sql -c 'select count(*) from sealed_count_t')" 0
}

@test "pgload blanks a password given with -d in its command line, as ps shows it" {
	hides_password "$BIN/pgload" --table t
}

@test "pgload reads a timestamptz without an offset as UTC in both modes, whatever PGTZ says" {
	sql -c "create table naive_bin (sold_at timestamptz)"
	sql -c "create table naive_csv (like naive_bin)"
	printf 'sold_at\n2024-01-26T15:00:00\n2024-01-26 15:00:00.25\n2024-01-26T15:00:00+02:00\n' >naive.csv
	PGTZ=America/New_York run --separate-stderr "$BIN/pgload" -q --table naive_bin <naive.csv
	assert_success
	PGTZ=Asia/Tokyo run --separate-stderr "$BIN/pgload" -q --table naive_csv --format csv <naive.csv
	assert_success
	local want
	want=$(printf '%s\n' "2024-01-26 13:00:00" "2024-01-26 15:00:00" "2024-01-26 15:00:00.25")
	run sql -c "select (sold_at at time zone 'UTC')::text from naive_bin order by sold_at"
	assert_output "$want"
	run sql -c "select (sold_at at time zone 'UTC')::text from naive_csv order by sold_at"
	assert_output "$want"
}
