# SPDX-License-Identifier: MIT
# A throwaway PostgreSQL server: initdb into a temp directory, listening on
# a unix socket in that directory only (no TCP), removed again at the end.
# As root the server runs as the postgres system user, since initdb and
# postgres refuse to run as root.
#
# pg_start exports PGHOST, PGPORT, PGUSER and PGDATABASE for the tests, and
# ELT_PGDIR (the directory) and ELT_PGBIN (the server's bin directory) for
# tests that stop or restart the server on purpose.

pg_bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -x "$d/initdb" ] || { echo "no PostgreSQL server found under /usr/lib/postgresql" >&2; return 1; }
	echo "$d"
}

# Runs a server command as the user that owns the cluster, from / since
# that user may not be allowed into the current directory.
pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

pg_start() {
	ELT_PGBIN=$(pg_bindir)
	ELT_PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/elt-pg.XXXXXX")
	[ "$(id -u)" -eq 0 ] && chown postgres: "$ELT_PGDIR"
	export ELT_PGBIN ELT_PGDIR
	pg_as_owner "$ELT_PGBIN/initdb" -D "$ELT_PGDIR/data" -U postgres -A trust -E UTF8 \
		--no-locale >"$ELT_PGDIR/initdb.log" 2>&1 ||
		{ cat "$ELT_PGDIR/initdb.log" >&2; return 1; }
	pg_server_start
	export PGHOST="$ELT_PGDIR" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
	unset PGPASSWORD PGSERVICE PGSSLMODE PGOPTIONS
}

# Starts the cluster in $ELT_PGDIR (also used to restart it after a test
# stopped it). Durability is traded for speed: these clusters are thrown away.
pg_server_start() {
	pg_as_owner "$ELT_PGBIN/pg_ctl" -D "$ELT_PGDIR/data" -l "$ELT_PGDIR/server.log" -w -t 60 \
		-o "-c listen_addresses='' -k $ELT_PGDIR -p 5432 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=50" \
		start >/dev/null || { tail -n 20 "$ELT_PGDIR/server.log" >&2; return 1; }
}

pg_stop() {
	[ -n "${ELT_PGDIR:-}" ] && [ -d "$ELT_PGDIR" ] || return 0
	pg_as_owner "$ELT_PGBIN/pg_ctl" -D "$ELT_PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$ELT_PGDIR"
}

# pg_dbt_profile NAME SCHEMA: a profiles.yml for dbt with profile NAME
# pointing at the server pg_start started, target schema SCHEMA, on stdout.
pg_dbt_profile() {
	cat <<-EOF2
	$1:
	  target: dev
	  outputs:
	    dev:
	      type: postgres
	      host: "$PGHOST"
	      port: $PGPORT
	      user: "$PGUSER"
	      password: ""
	      dbname: "$PGDATABASE"
	      schema: "$2"
	      threads: 1
	EOF2
}
