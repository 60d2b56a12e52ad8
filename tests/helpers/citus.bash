# SPDX-License-Identifier: MIT
# A throwaway Citus cluster: one coordinator and two workers, each an
# initdb'd PostgreSQL with shared_preload_libraries=citus, on three ports
# of localhost, in one temp directory that is removed at the end.
#
# The tests reach the coordinator on its unix socket (trust, as in pg.bash:
# the directory is closed to other users). The coordinator reaches the
# workers over TCP on 127.0.0.1, where every node asks for a password
# (scram-sha-256); the password is made up per cluster and handed to the
# servers in a PGPASSFILE that only the postgres user can read. Nothing
# listens beyond 127.0.0.1 and nothing there is trusted.
#
# citus_available      true when the extension is installed; as root, when
#                      it is not and the install script is there
#                      (ELT_CITUS_INSTALL, else ../shared/citus/install.sh
#                      beside the repository), it runs the script first
# citus_start          starts the cluster and exports ELT_CITUS_DIR,
#                      ELT_CITUS_PORT (the coordinator's; workers +1, +2)
# citus_env            prints PGHOST=... PGPORT=... for the coordinator
# citus_stop           stops the three servers and removes the directory
# citus_worker_stop N  stops worker N (1 or 2) at once (-m immediate)
#
# Needs pg.bash (pg_bindir, pg_as_owner).

citus_sharedir() {
	local bin
	bin=$(pg_bindir) || return 1
	echo "/usr/share/postgresql/$(basename "$(dirname "$bin")")"
}

citus_installed() {
	local share
	share=$(citus_sharedir) || return 1
	[ -f "$share/extension/citus.control" ]
}

citus_install_script() {
	local repo
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	"$repo/scripts/ensure-deps.sh" citus-script
}

citus_available() {
	citus_installed && return 0
	local script
	script=$(citus_install_script)
	[ -x "$script" ] && [ "$(id -u)" -eq 0 ] || return 1
	echo "# installing Citus with $script (a few minutes, once)" >&3 2>/dev/null || true
	"$script" >"${TMPDIR:-/tmp}/elt-citus-install.log" 2>&1 || {
		tail -n 20 "${TMPDIR:-/tmp}/elt-citus-install.log" >&2
		return 1
	}
	citus_installed
}

# A base port whose three ports nobody listens on (a guess checked with ss,
# good enough for a throwaway cluster; a clash fails pg_ctl start loudly).
citus_free_port() {
	local p i busy
	busy=$(ss -Hltn 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }')
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 30000))
		grep -qxE "$p|$((p + 1))|$((p + 2))" <<<"$busy" || { echo "$p"; return 0; }
	done
	return 1
}

citus_node_start() {
	local n=$1
	pg_as_owner env PGPASSFILE="$ELT_CITUS_DIR/pgpass" "$ELT_PGBIN/pg_ctl" -D "$ELT_CITUS_DIR/n$n" \
		-l "$ELT_CITUS_DIR/n$n.log" -w -t 60 start >/dev/null ||
		{ tail -n 20 "$ELT_CITUS_DIR/n$n.log" >&2; return 1; }
}

citus_start() {
	ELT_PGBIN=${ELT_PGBIN:-$(pg_bindir)} || return 1
	ELT_CITUS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/elt-citus.XXXXXX")
	ELT_CITUS_PORT=$(citus_free_port) || { echo "no free ports for a Citus cluster" >&2; return 1; }
	export ELT_PGBIN ELT_CITUS_DIR ELT_CITUS_PORT
	local pw n port
	pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
	printf '%s\n' "$pw" >"$ELT_CITUS_DIR/pw"
	printf '127.0.0.1:*:*:postgres:%s\nlocalhost:*:*:postgres:%s\n' "$pw" "$pw" >"$ELT_CITUS_DIR/pgpass"
	chmod 600 "$ELT_CITUS_DIR/pw" "$ELT_CITUS_DIR/pgpass"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$ELT_CITUS_DIR" "$ELT_CITUS_DIR/pw" "$ELT_CITUS_DIR/pgpass"
	fi
	for n in 0 1 2; do
		port=$((ELT_CITUS_PORT + n))
		pg_as_owner "$ELT_PGBIN/initdb" -D "$ELT_CITUS_DIR/n$n" -U postgres --auth-local=trust \
			--auth-host=scram-sha-256 --pwfile="$ELT_CITUS_DIR/pw" -E UTF8 --no-locale \
			>"$ELT_CITUS_DIR/initdb$n.log" 2>&1 || { cat "$ELT_CITUS_DIR/initdb$n.log" >&2; return 1; }
		# only the socket and 127.0.0.1, with a password
		printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 scram-sha-256" \
			>"$ELT_CITUS_DIR/n$n/pg_hba.conf"
		# Durability traded for speed, as in pg.bash. Eight shards rather
		# than Citus's 32: the whole cluster shares the machine's cores.
		cat >>"$ELT_CITUS_DIR/n$n/postgresql.conf" <<-CONF
			shared_preload_libraries = 'citus'
			listen_addresses = '127.0.0.1'
			port = $port
			unix_socket_directories = '$ELT_CITUS_DIR'
			max_connections = 100
			max_prepared_transactions = 100
			fsync = off
			full_page_writes = off
			synchronous_commit = off
			citus.shard_count = ${ELT_CITUS_SHARDS:-8}
		CONF
		citus_node_start "$n" || return 1
		psql -X -q -v ON_ERROR_STOP=1 -h "$ELT_CITUS_DIR" -p "$port" -U postgres -d postgres \
			-c "create extension citus" >/dev/null || return 1
	done
	psql -X -q -v ON_ERROR_STOP=1 -h "$ELT_CITUS_DIR" -p "$ELT_CITUS_PORT" -U postgres -d postgres \
		-c "select citus_set_coordinator_host('127.0.0.1', $ELT_CITUS_PORT)" \
		-c "select citus_add_node('127.0.0.1', $((ELT_CITUS_PORT + 1)))" \
		-c "select citus_add_node('127.0.0.1', $((ELT_CITUS_PORT + 2)))" >/dev/null
}

citus_env() {
	echo "PGHOST=$ELT_CITUS_DIR PGPORT=$ELT_CITUS_PORT PGUSER=postgres PGDATABASE=postgres"
}

# psql on the coordinator: unaligned, tuples only, stop on error.
citus_sql() {
	psql -X -q -v ON_ERROR_STOP=1 -At -h "$ELT_CITUS_DIR" -p "$ELT_CITUS_PORT" -U postgres -d postgres "$@"
}

citus_worker_stop() {
	pg_as_owner "$ELT_PGBIN/pg_ctl" -D "$ELT_CITUS_DIR/n$1" -m immediate -w stop >/dev/null
}

citus_worker_start() {
	citus_node_start "$1"
}

citus_stop() {
	[ -n "${ELT_CITUS_DIR:-}" ] && [ -d "$ELT_CITUS_DIR" ] || return 0
	local n
	for n in 0 1 2; do
		[ -f "$ELT_CITUS_DIR/n$n/postmaster.pid" ] &&
			pg_as_owner "$ELT_PGBIN/pg_ctl" -D "$ELT_CITUS_DIR/n$n" -m immediate -w stop >/dev/null 2>&1
	done
	rm -rf "$ELT_CITUS_DIR"
}
