#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The test harness itself: the suite's throwaway PostgreSQL server.

load helpers/common

@test "the suite's server listens on a unix socket in its own temp dir, with no TCP" {
	[ -d "$PGHOST" ]
	[[ "$PGHOST" == */elt-pg.* ]]
	[ -S "$PGHOST/.s.PGSQL.$PGPORT" ]
	run sql -c "show listen_addresses"
	assert_success
	assert_output ""
	run sql -c "show unix_socket_directories"
	assert_output "$PGHOST"
}

@test "the suite's server runs as the postgres user when the tests run as root" {
	[ "$(id -u)" -eq 0 ] || skip "only meaningful as root"
	owner=$(stat -c %U "$PGHOST/data")
	assert_equal "$owner" postgres
}

@test "gen's sales load into a table typed like the sales contract" {
	sql -c "create table harness_sales (sale_id text primary key, sold_at timestamptz not null,
		store_id text not null, product_id text not null, quantity integer not null check (quantity >= 1),
		unit_price numeric(12,2) not null check (unit_price >= 0), amount numeric(14,2) not null check (amount > 0),
		currency char(3) not null)"
	"$BIN/gen" --rows 2000 --seed 4 >s.csv
	sql -c "\\copy harness_sales from 's.csv' csv header"
	run sql -c "select count(*), count(distinct sale_id), sum((amount = quantity * unit_price)::int) from harness_sales"
	assert_output "2000|2000|2000"
	sql -c "drop table harness_sales"
}
