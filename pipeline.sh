#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pipeline.sh: the whole sales job, end to end.
#
#   raw DDL -> seeds -> gen | validate | pgload -> models -> data tests ->
#   the job's own reconciliation checks -> a sample of the final facts
#
# The database comes from the PG* environment, else from .env (POSTGRES_*),
# else, when no server is configured and none answers on the default
# socket, from a cluster of its own in .pgdata/ that is kept between runs.
# Every step is timed and logged on stderr; a failing step stops the job
# with that step's exit status and its name.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
BIN=${ELT_BIN:-$here/bin}
PGDATA_DIR=${PIPELINE_PGDATA:-$here/.pgdata}
CITUS_PGDATA_DIR=${PIPELINE_CITUS_PGDATA:-$here/.pgdata-citus}

usage() {
	cat <<'USAGE'
usage: pipeline.sh [--rows N] [--days D] [--start YYYY-MM-DD] [--seed S] [--dirty R]
                   [--input FILE] [--full-refresh] [--skip-load] [--citus] [--stop-db] [--help]

Runs the sales job: raw DDL, seeds, gen | validate | pgload (or --input FILE,
or data/example_sales.csv when it exists, through validate | pgload), the
models, the data tests, the reconciliation checks, and prints a sample of
the final facts. Once the models are built, it ends with the docs site
(modelrun docs generate), also when a later step failed, and says where
the page is; a failure to make it does not change the exit status.

  --rows N          sales rows to generate (default 10000)
  --days D          days they spread over (default 7)
  --start DATE      first day (default 2026-01-01)
  --seed S          generator seed (default 1)
  --dirty R         fraction of generated rows made invalid (default 0)
  --input FILE      load this CSV instead of generating one
  --full-refresh    rebuild incremental models from scratch
  --skip-load       run seeds, models and tests on what is loaded already
  --citus           with no database configured, the embedded database is a
                    Citus cluster (a coordinator and two workers) in
                    .pgdata-citus/; needs Citus installed (docs/scale-out.md)
  --stop-db         stop the embedded database (.pgdata/, and with --citus
                    the cluster in .pgdata-citus/) and exit
  --help            this help

Database: PG* variables, else .env (POSTGRES_USER, POSTGRES_PASSWORD,
POSTGRES_DB, POSTGRES_HOST, POSTGRES_PORT), else an embedded cluster in
.pgdata/ listening on a unix socket in that directory only.
PIPELINE_DB_WAIT (seconds, default 10) bounds the wait for the server;
PIPELINE_PGDATA moves the embedded cluster (PIPELINE_CITUS_PGDATA the
Citus one), PIPELINE_WORKDIR the rejects
and logs (default target/pipeline); ELT_BIN names prebuilt programs (then
nothing is built).

Exit status: that of the step that failed (1 data failed a check, 2 usage,
3 operational failure), 0 when every step passed.
USAGE
}

log() { printf 'pipeline: %s\n' "$*" >&2; }
die() {
	local status=$1
	shift
	log "$*"
	# once the models were built, the page shows what failed after them
	[ -z "${models_done:-}" ] || docs
	exit "$status"
}

# The docs site, once the models were built: the last thing the job does,
# also after a failed data test or check (the page shows which). Its own
# failure (no Graphviz, say) is reported and never fails a job whose data
# steps succeeded: the data is what the job is for.
docs() {
	local status=0 page
	models_done= # once, even when it is reached through die
	log "docs: modelrun docs generate"
	"$BIN/modelrun" --project-dir sql -q docs generate || status=$?
	page="$here/sql/target/index.html"
	if [ "$status" -ne 0 ]; then
		log "docs: modelrun docs generate failed (exit $status); the job's status does not count it"
		[ ! -f "$page" ] || log "docs: the page may be incomplete or from an earlier run: file://$page"
	else
		log "docs: the page is file://$page"
	fi
}

# A usage error stops the job before any step has touched the database.
usage_error() {
	log "$*"
	usage >&2
	exit 2
}

# value OPTION [VALUE ...]: prints the value that follows OPTION, or it is a
# usage error (${2:?} would make bash exit with 1, the status for failed data).
value() {
	[ $# -ge 2 ] || usage_error "option '$1' needs a value"
	printf '%s' "$2"
}

rows=10000 days=7 start=2026-01-01 seed=1 dirty=0 input="" full_refresh="" skip_load="" stop_db="" citus=""
while [ $# -gt 0 ]; do
	case $1 in
	--rows) rows=$(value "$@") || exit 2; shift 2 ;;
	--days) days=$(value "$@") || exit 2; shift 2 ;;
	--start) start=$(value "$@") || exit 2; shift 2 ;;
	--seed) seed=$(value "$@") || exit 2; shift 2 ;;
	--dirty) dirty=$(value "$@") || exit 2; shift 2 ;;
	--input) # relative to where we were called from, before the cd above
		input=$(value "$@") || exit 2; [[ $input == /* ]] || input=$OLDPWD/$input; shift 2 ;;
	--full-refresh) full_refresh=--full-refresh; shift ;;
	--skip-load) skip_load=1; shift ;;
	--stop-db) stop_db=1; shift ;;
	--citus) citus=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown option '$1'" ;;
	esac
done
# The generator's own limits, checked here so that a typo is reported at
# once rather than at the load step, after the DDL and the seeds ran.
if ! [[ $rows =~ ^[0-9]{1,13}$ ]] || ((10#$rows > 1000000000000)); then
	usage_error "--rows: \"$rows\" is not a whole number from 0 to 1000000000000"
fi
if ! [[ $days =~ ^[0-9]{1,5}$ ]] || ((10#$days < 1 || 10#$days > 36500)); then
	usage_error "--days: \"$days\" is not a whole number from 1 to 36500"
fi
if ! [[ $seed =~ ^[0-9]{1,19}$ ]]; then
	usage_error "--seed: \"$seed\" is not a whole number (at most 19 digits)"
fi
if ! awk -v r="$dirty" 'BEGIN { exit !(r ~ /^([0-9]+\.?[0-9]*|\.[0-9]+)$/ && r + 0 <= 1) }'; then
	usage_error "--dirty: \"$dirty\" is not a fraction between 0 and 1"
fi
if ! [[ $start =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || [ "$(date -u -d "$start" +%F 2>/dev/null)" != "$start" ]; then
	usage_error "--start: \"$start\" is not a calendar date (YYYY-MM-DD)"
fi
[ -z "$input" ] && [ -f data/example_sales.csv ] && input=data/example_sales.csv
if [ -n "$input" ] && [ ! -r "$input" ]; then
	usage_error "--input: cannot read $input"
fi

# ---- the embedded database ----

pg_bindir() {
	find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1
}

# Server commands run as the cluster's owner, from / since the postgres
# user may not be allowed into the current directory.
as_pg_owner() {
	if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

embedded_stop() {
	PGDATA_DIR=$(readlink -f "$PGDATA_DIR")
	local node stopped=""
	# data/: the single server; n0/ n1/ n2/: a Citus coordinator and workers
	for node in data n1 n2 n0; do
		if [ -f "$PGDATA_DIR/$node/postmaster.pid" ]; then
			as_pg_owner "$(pg_bindir)/pg_ctl" -D "$PGDATA_DIR/$node" -m fast -w stop >/dev/null
			stopped=1
		fi
	done
	if [ -n "$stopped" ]; then
		log "embedded database stopped ($PGDATA_DIR)"
	else
		log "no embedded database is running"
	fi
}

# Only the user who runs the job (and root) may connect to the embedded
# server: its directory, where the socket is, is closed to everyone else,
# and the server asks the kernel who is on the other end of the socket
# (peer authentication), mapping that user, and root, onto the database's
# superuser. There is no TCP listener and no host line to reach one. A
# cluster made by an older pipeline.sh, open to every local user, is
# closed the same way the next time the job runs.
embedded_lock_down() {
	local data=$1 me
	me=$(id -un)
	printf '%s\n' "# written by pipeline.sh: the socket only, for the users in pg_ident.conf's map elt" \
		"local all postgres peer map=elt" >"$data/pg_hba.conf"
	{
		echo "# written by pipeline.sh: who may connect as the database's superuser"
		echo "elt $me postgres"
		[ "$me" = postgres ] || echo "elt postgres postgres"
	} >"$data/pg_ident.conf"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$data/pg_hba.conf" "$data/pg_ident.conf"
	fi
	chmod 600 "$data/pg_hba.conf" "$data/pg_ident.conf"
	chmod 700 "$PGDATA_DIR"
}

# Makes $PGDATA_DIR, a directory only the cluster's owner enters; as
# root, where the postgres user cannot reach the project, it lives in
# postgres's home and $PGDATA_DIR points there.
embedded_dir() {
	mkdir -p -m 700 "$PGDATA_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$PGDATA_DIR"
		if ! runuser -u postgres -- test -w "$PGDATA_DIR"; then
			# The project lies where the postgres user cannot go (under
			# /root, say): keep the cluster in postgres's own home and
			# let .pgdata point there.
			local real
			real=/var/lib/postgresql/elt-clusters/$(printf '%s' "$PGDATA_DIR" | sha256sum | cut -c1-16)
			install -d -o postgres -g postgres -m 700 "$real"
			rmdir "$PGDATA_DIR"
			ln -s "$real" "$PGDATA_DIR"
			PGDATA_DIR=$real
			log "the postgres user cannot reach the project directory; the cluster lives in $real"
		fi
	fi
}

# embedded_node NODE PORT [OPTIONS]: the server in $PGDATA_DIR/NODE, made
# when missing, locked down, listening on a socket in $PGDATA_DIR only
# (port PORT), started or, when running, reloaded. Returns 0 when it was
# started now, 1 when it was running.
embedded_node() {
	local node=$1 port=$2 opts=${3:-} bindir
	bindir=$(pg_bindir)
	if [ ! -d "$PGDATA_DIR/$node" ]; then
		local initlog=$PGDATA_DIR/initdb.log
		[ "$node" = data ] || initlog=$PGDATA_DIR/initdb-$node.log
		as_pg_owner "$bindir/initdb" -D "$PGDATA_DIR/$node" -U postgres --auth-local=peer \
			--auth-host=scram-sha-256 -E UTF8 --no-locale >"$initlog" 2>&1 ||
			die 3 "database: initdb failed, see $initlog"
	fi
	embedded_lock_down "$PGDATA_DIR/$node"
	local serverlog=$PGDATA_DIR/server.log
	[ "$node" = data ] || serverlog=$PGDATA_DIR/server-$node.log
	if [ ! -S "$PGDATA_DIR/.s.PGSQL.$port" ]; then
		as_pg_owner "$bindir/pg_ctl" -D "$PGDATA_DIR/$node" -l "$serverlog" -w -t 60 \
			-o "-c listen_addresses='' -c unix_socket_permissions=0700 -k $PGDATA_DIR -p $port $opts" start >/dev/null ||
			die 3 "database: the embedded server did not start, see $serverlog"
		return 0
	fi
	# Running already, perhaps with an older, open pg_hba.conf.
	as_pg_owner "$bindir/pg_ctl" -D "$PGDATA_DIR/$node" reload >/dev/null ||
		die 3 "database: the embedded server did not take its new pg_hba.conf, see $serverlog"
	return 1
}

embedded_start() {
	local bindir started=0
	# The server is needed only here: with a database of the user's own
	# (or the Docker image's postgres service), none is installed.
	scripts/ensure-deps.sh server || die 3 "database: no PostgreSQL server installed for the embedded database"
	bindir=$(pg_bindir)
	[ -x "$bindir/initdb" ] || die 3 "database: no PostgreSQL server installed (apt-get install postgresql)"
	if [ -n "$citus" ]; then
		embedded_citus_start "$bindir"
		return
	fi
	[ -d "$PGDATA_DIR/data" ] || { embedded_dir; log "creating the embedded database in $PGDATA_DIR"; }
	PGDATA_DIR=$(readlink -f "$PGDATA_DIR") # the server wants the real path
	embedded_node data 5432 || started=$?
	if [ "$started" -eq 0 ]; then
		log "embedded database running, open to $(id -un) only; connect as $(id -un) with: psql -h $PGDATA_DIR -U postgres postgres"
		log "stop it with: ./pipeline.sh --stop-db"
	fi
	export PGHOST=$PGDATA_DIR PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
}

# --citus: a coordinator (n0, port 5432) and two workers (n1, n2, ports
# 5433 and 5434), each locked down like the single embedded server. The
# coordinator reaches the workers through their sockets in the same closed
# directory (Citus takes a socket directory as a node's host name), as the
# postgres user by peer authentication: no TCP listener, no password.
embedded_citus_start() {
	local bindir=$1 ver n started=0 psqlc
	ver=$(basename "$(dirname "$bindir")")
	[ -f "/usr/share/postgresql/$ver/extension/citus.control" ] ||
		die 3 "database: --citus needs Citus installed in PostgreSQL $ver (Citus's own packages: see docs/scale-out.md)"
	PGDATA_DIR=$CITUS_PGDATA_DIR
	[ -d "$PGDATA_DIR/n0" ] || { embedded_dir; log "creating the embedded Citus cluster (a coordinator and two workers) in $PGDATA_DIR"; }
	PGDATA_DIR=$(readlink -f "$PGDATA_DIR")
	for n in 1 2 0; do
		embedded_node "n$n" $((5432 + n)) "-c shared_preload_libraries=citus -c max_prepared_transactions=100" ||
			started=1
	done
	export PGHOST=$PGDATA_DIR PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
	for n in 1 2 0; do
		PGPORT=$((5432 + n)) psql_q -c "set client_min_messages = warning" -c "create extension if not exists citus" ||
			die 3 "database: cannot create the citus extension on node $n, see $PGDATA_DIR/server-n$n.log"
	done
	if [ "$(psql_q -c "select count(*) from pg_dist_node where groupid > 0")" -lt 2 ]; then
		psqlc=(-v dir="$PGDATA_DIR" -v ON_ERROR_STOP=1)
		psql_q "${psqlc[@]}" >/dev/null <<-'SQL' || die 3 "database: cannot add the workers to the Citus coordinator"
			select citus_set_coordinator_host(:'dir', 5432);
			select citus_add_node(:'dir', 5433);
			select citus_add_node(:'dir', 5434);
		SQL
	fi
	if [ "$started" -eq 0 ]; then
		log "embedded Citus cluster running (a coordinator and two workers), open to $(id -un) only; connect as $(id -un) with: psql -h $PGDATA_DIR -U postgres postgres"
		log "stop it with: ./pipeline.sh --citus --stop-db"
	fi
}

if [ -n "$stop_db" ]; then
	[ -z "$citus" ] || PGDATA_DIR=$CITUS_PGDATA_DIR
	embedded_stop
	exit 0
fi

# ---- configuration: PG* win over .env ----

configured=""
for v in PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE; do
	[ -n "${!v:-}" ] && configured=1
done
if [ -f .env ]; then
	while IFS='=' read -r key value; do
		value=${value%$'\r'}
		value=${value#\"} value=${value%\"}
		case $key in
		POSTGRES_USER) [ -z "${PGUSER:-}" ] && export PGUSER=$value ;;
		POSTGRES_PASSWORD) [ -z "${PGPASSWORD:-}" ] && export PGPASSWORD=$value ;;
		POSTGRES_DB) [ -z "${PGDATABASE:-}" ] && export PGDATABASE=$value ;;
		POSTGRES_HOST) [ -z "${PGHOST:-}" ] && export PGHOST=$value ;;
		POSTGRES_PORT) [ -z "${PGPORT:-}" ] && export PGPORT=$value ;;
		*) continue ;;
		esac
		configured=1
	done < <(grep -E '^[A-Z_]+=' .env || true)
fi

# ---- steps ----

step_no=0
step() { # step NAME COMMAND...: runs, times and logs one step
	local name=$1 t0 status=0
	shift
	step_no=$((step_no + 1))
	log "[$step_no] $name"
	t0=$(date +%s.%N)
	"$@" || status=$?
	if [ "$status" -ne 0 ]; then
		die "$status" "step '$name' failed (exit $status)"
	fi
	log "[$step_no] $name: done in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f s", b - a }')"
}

psql_q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

build() {
	[ -n "${ELT_BIN:-}" ] && return 0 # the caller built them
	scripts/ensure-deps.sh run
	make -s all >&2
}

wait_for_db() {
	local wait=${PIPELINE_DB_WAIT:-10} i out
	# Nothing configured: a server on the default socket that lets us in
	# will do; otherwise the embedded one.
	if [ -n "$configured" ] && [ -n "$citus" ]; then
		log "--citus: a database is configured (PG* or .env): using it, not an embedded cluster"
	elif [ -n "$citus" ] || { [ -z "$configured" ] && ! PGCONNECT_TIMEOUT=2 psql_q -c 'select 1' >/dev/null 2>&1; }; then
		embedded_start
	fi
	for ((i = 0; i <= wait; i++)); do
		if out=$(psql_q -c 'select 1' 2>&1); then
			return 0
		fi
		sleep 1
	done
	log "database not reachable after ${wait} s (host ${PGHOST:-default socket}, port ${PGPORT:-5432}): ${out##*$'\n'}"
	return 3
}

raw_ddl() {
	local f
	for f in sql/raw/*.sql; do
		psql_q -f "$f" >/dev/null || return 3
	done
}

workdir=${PIPELINE_WORKDIR:-$here/target/pipeline}
mkdir -p "$workdir"
rejects=$workdir/rejects.csv
validate_log=$workdir/validate.log
load_log=$workdir/pgload.log

# The load is all or nothing across its three programs: gen seals its
# output once it has written every row, validate checks that seal and
# seals its own output only when it succeeded, and pgload commits only a
# stream whose seal counts the rows that arrived. A stage that dies, or
# fails a check, leaves pgload without a seal: it rolls back and the key
# stays free for the next run. Each stage's messages reach the terminal
# directly; the copies kept in the workdir are for the checks below and
# may be lost on a full disk without losing the messages.
load() {
	local key validate_err tee_pid
	# The job's tolerance, stated: validate fails a run with any rejected
	# row unless told otherwise, and this job quarantines bad rows (gen
	# --dirty makes them on purpose) and loads the rest, so any share of
	# rejects is allowed here. A bad header still fails the load.
	local -a validate=("$BIN/validate" --schema sql/contracts/sales.schema.json --rejects "$rejects" --seal
		--max-reject-rate 1)
	exec {validate_err}> >(tee "$validate_log" >&2)
	tee_pid=$!
	set +e
	if [ -n "$input" ]; then
		key="file:$(sha256sum "$input" | cut -d' ' -f1)"
		# validate reads the file itself: it is the first stage.
		"${validate[@]}" "$input" 2>&"$validate_err" |
			"$BIN/pgload" --table raw.sales --key "$key" --source "$input" --sealed 2>&1 | tee "$load_log" >&2
		local -a st=(0 "${PIPESTATUS[@]}")
	else
		key="gen:seed=$seed:rows=$rows:start=$start:days=$days:dirty=$dirty"
		"$BIN/gen" --rows "$rows" --seed "$seed" --start "$start" --days "$days" --dirty "$dirty" --seal |
			"${validate[@]}" --sealed 2>&"$validate_err" |
			"$BIN/pgload" --table raw.sales --key "$key" --source gen --sealed 2>&1 | tee "$load_log" >&2
		local -a st=("${PIPESTATUS[@]}")
	fi
	exec {validate_err}>&-
	wait "$tee_pid" # the copy of validate's messages is complete
	set -e
	# The stage to blame is the first that failed of itself: one killed by
	# SIGPIPE (141) only lost its reader, and pgload's missing seal follows
	# from whatever stopped the stages before it.
	local names=("${input:+(no generator)}" validate pgload) i blame=""
	[ -n "$input" ] || names[0]=gen
	for i in 0 1 2; do
		[ "${st[$i]}" -ne 0 ] && [ "${st[$i]}" -ne 141 ] && [ -z "$blame" ] && blame=$i
	done
	for i in 0 1 2; do
		[ -z "$blame" ] && [ "${st[$i]}" -ne 0 ] && blame=$i
	done
	if [ -n "$blame" ]; then
		local outcome="nothing of this load was committed"
		[ "${st[2]}" -eq 0 ] && outcome="pgload had committed it all the same (see raw._loads)"
		log "load: ${names[$blame]} exited ${st[$blame]} (${names[0]} ${st[0]}, validate ${st[1]}, pgload ${st[2]}); $outcome"
		return "${st[$blame]}"
	fi
	log "load: rejects in $rejects"
}

check_counts() {
	# Rows read = rows loaded + rows rejected, for this run's input.
	# validate's own counts (a rejected row may span several lines of the
	# rejects file), and what the database holds for this run's load.
	local nread valid rejected loaded load_id summary
	summary=$(sed -n 's/^validate: \([0-9]*\) rows read, \([0-9]*\) valid, \([0-9]*\) rejected.*/\1 \2 \3/p' "$validate_log")
	[ -n "$summary" ] || { log "check failed: $validate_log holds no summary from validate"; return 1; }
	read -r nread valid rejected <<<"$summary"
	if grep -qi 'skipp' "$load_log"; then
		log "check: this input was loaded before (same key): nothing new loaded"
		loaded=$valid
	else
		load_id=$(sed -n 's/^pgload: loaded .*, load \([0-9][0-9]*\)$/\1/p' "$load_log")
		[ -n "$load_id" ] || { log "check failed: pgload's log names no load"; return 1; }
		loaded=$(psql_q -v id="$load_id" <<<"select rows from raw._loads where load_id = :'id' and status = 'committed'")
	fi
	log "check: $nread rows read = $loaded loaded + $rejected rejected"
	[ "$nread" -eq $((loaded + rejected)) ] || { log "check failed: rows read != loaded + rejected"; return 1; }
}

check_warehouse() {
	local stg distinct bad
	stg=$(psql_q -c "select count(*) from analytics.stg_sales")
	distinct=$(psql_q -c "select count(distinct sale_id) from raw.sales")
	log "check: staging rows $stg = distinct valid sale_ids $distinct"
	[ "$stg" -eq "$distinct" ] || { log "check failed: staging rows != distinct sale_ids"; return 1; }
	bad=$(psql_q -c "
		select count(*) from (
			select sale_date, sum(gross_usd) as usd from analytics.int_daily_sales group by sale_date
		) s full join analytics.fct_daily_sales_metrics f using (sale_date)
		where f.revenue_usd is distinct from round(s.usd, 2)")
	log "check: days whose mart revenue differs from staging's: $bad"
	[ "$bad" -eq 0 ] || { log "check failed: the mart's totals per day differ from staging's"; return 1; }
}

# The models of a warehouse built before stg_sales kept staged_at cannot
# run incrementally on it: they are rebuilt once, from raw, which holds
# every row.
models() {
	local refresh=$full_refresh
	if [ -z "$refresh" ] && [ "$(psql_q -c "select to_regclass('analytics.stg_sales') is not null and not exists (
			select from pg_catalog.pg_attribute where attrelid = to_regclass('analytics.stg_sales')
			and attname = 'staged_at' and not attisdropped)")" = t ]; then
		log "models: analytics.stg_sales was built by an older version (no staged_at): rebuilding the models once (--full-refresh)"
		refresh=--full-refresh
	fi
	"$BIN/modelrun" --project-dir sql run $refresh
}

sample() {
	psql -X -P pager=off -c "
		select sale_date, revenue_usd, units, orders, avg_order_value_usd, distinct_products, distinct_stores
		from analytics.fct_daily_sales_metrics order by sale_date desc limit 10"
}

step "build" build
step "database" wait_for_db
step "raw DDL" raw_ddl
step "seeds" "$BIN/modelrun" --project-dir sql seed
if [ -z "$skip_load" ]; then
	step "load" load
	step "check: rows read = loaded + rejected" check_counts
fi
step "models" models
models_done=1
step "data tests" "$BIN/dqcheck" --project-dir sql --json sql/target/dqcheck.json
step "check: staging and mart reconcile" check_warehouse
step "sample of the final facts" sample
docs
log "done"
