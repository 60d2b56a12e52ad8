/* SPDX-License-Identifier: MIT
 * pgload: streams CSV from stdin into a PostgreSQL table with COPY, as one
 * all-or-nothing transaction, and records every load in raw._loads.
 *
 *   pgload [--table raw.sales] [--key K] [--format binary|csv] < sales.csv
 *
 * The header names the columns (a COPY column list); columns it leaves out
 * take their defaults, which is how raw.sales gets its _load_id (from the
 * transaction's elt.load_id setting, or in binary COPY from this process:
 * see LOAD_ID_DEFAULT) and _loaded_at. A load is one
 * transaction holding the rows and the audit row together: if the server
 * rejects a row, the input cannot be read, the connection drops or pgload
 * is killed, nothing of it is visible afterwards. With --key, the audit
 * table's unique index makes a second load of the same key into the same
 * table a no-op, also when two such loads run at once: the second one waits
 * on the first one's uncommitted audit row and then skips.
 *
 * Tuned for a few million short rows on a machine whose other core runs the
 * server: by default this process converts the CSV to binary COPY (see
 * copybin.h), which the server ingests with much less work than CSV. When a
 * value is not in a form the encoder is sure of, the binary COPY is ended
 * and the rest of the input goes to the server as CSV in a second COPY of
 * the same transaction, so the server judges that value exactly as it
 * would have in CSV mode. Errors name the physical input line (header =
 * line 1): the server's line numbers are translated back, remembering only
 * the rows whose line is not the previous row's line plus one, so memory
 * stays constant in the input size. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "args.h"
#include "copybin.h"
#include "csvio.h"
#include "exitcode.h"
#include "log.h"
#include "pgconn.h"
#include "seal.h"
#include "tableschema.h"
#include "xalloc.h"

/* Data goes to libpq in pieces of this size. Small pieces keep the
 * socket to the server topped up while the next piece is encoded: with
 * 256 KB pieces the server sat idle for a third of a 3M-row load, waiting
 * for this process; with 8 KB to 32 KB pieces it hardly ever waits. */
#define FLUSH_AT (16 * 1024)
/* The send buffer asked for on the connection's socket; see connect_db. */
#define SOCKET_BUFFER (4 * 1024 * 1024)

/* The default that stamps a row with its load (raw.sales' _load_id, and
 * --create's), as the server prints it back with pg_get_expr. A column
 * with this default gets the load id from this process in binary COPY,
 * since in the load's transaction the default can only give that value:
 * the server then skips looking the setting up by name, comparing it and
 * casting it for every row, which takes about a tenth of its time on
 * raw.sales. A server that prints the default another way gets it
 * evaluated as before: slower, never different. */
#define LOAD_ID_DEFAULT \
	"(NULLIF(current_setting('elt.load_id'::text, true), ''::text))::bigint"

/* The key of the advisory lock that serialises creating the audit table. */
#define AUDIT_DDL_LOCK 0x70676c6f6164LL /* "pgload" */

static void usage(FILE *to)
{
	fputs("usage: pgload [-d CONNINFO] [--table [SCHEMA.]TABLE] [--create --schema FILE]\n"
	      "              [--key KEY] [--source NAME] [--format binary|csv] [--sealed] [-j N]\n"
	      "              [--lock-timeout DURATION] [-t] [-q | -v] < FILE\n",
	      to);
}

static void help(void)
{
	usage(stdout);
	fputs("\nLoads CSV from standard input into a PostgreSQL table with COPY, in one\n"
	      "transaction, and records the load in raw._loads.\n\n"
	      "  -d, --dbname CONNINFO  connection string or postgresql:// URI (default: PG* variables)\n"
	      "  -T, --table NAME       target table, [SCHEMA.]TABLE (default raw.sales); write a part\n"
	      "                         in double quotes when it holds a dot\n"
	      "      --create           create the table from --schema when it does not exist\n"
	      "  -s, --schema FILE      Frictionless Table Schema (JSON or YAML) for --create\n"
	      "  -k, --key KEY          idempotency key: skip the load if KEY was loaded into the table\n"
	      "      --source NAME      where the data came from, for the audit table (default stdin)\n"
	      "  -f, --format FORMAT    binary (default: converted here, faster) or csv (passed through)\n"
	      "      --sealed           the input must end with its producer's seal (gen --seal,\n"
	      "                         validate --seal) counting the rows that arrived; without\n"
	      "                         it nothing is committed: the way to make a pipe all or nothing\n"
	      "  -j, --jobs N           load over N connections into a new partition for the load,\n"
	      "                         attached when all is in; only into a table partitioned by\n"
	      "                         list of its load id that nothing would be bypassed in, else\n"
	      "                         over one connection, saying why (default 1; see pgload(1))\n"
	      "      --lock-timeout DURATION  give up (exit 3) when the table stays locked this long\n"
	      "                         (500ms, 10s, 2min; default: the server's lock_timeout)\n"
	      "  -t, --tsv              tab-separated input\n"
	      "  -q, --quiet            errors only on stderr\n"
	      "  -v, --verbose          more detail on stderr\n"
	      "  -h, --help             this help\n"
	      "  -V, --version          version\n\n"
	      "Exit status: 0 success (or skipped), 1 the server rejected a row or the header does\n"
	      "not fit the table, 2 usage error, 3 operational failure (connection, I/O, input\n"
	      "that cannot be parsed, a lock not had within --lock-timeout).\n",
	      stdout);
}

struct opts {
	const char *dbname;
	const char *table;
	const char *key;
	const char *source;
	const char *schema_path;
	struct ts_schema schema; /* loaded when create */
	bool create;
	char delim;
	bool binary;
	bool sealed;             /* --sealed: commit only a stream its producer sealed */
	unsigned jobs;           /* connections to load over; see load_rows_jobs() */
	long long lock_timeout_ms; /* --lock-timeout; -1: the session's lock_timeout */
};

/* ---- small helpers ---- */

/* Reads a duration as PostgreSQL's lock_timeout takes it: a number with
 * an optional fraction and unit (us, ms, s, min, h, d; none is ms), into
 * whole milliseconds, rounded. Returns false when it is not one, or does
 * not fit lock_timeout (at most INT_MAX ms). */
static bool parse_duration(const char *s, long long *ms)
{
	static const struct { const char *unit; double ms; } units[] = {
		{ "", 1 }, { "us", 0.001 }, { "ms", 1 }, { "s", 1000 }, { "min", 60000 },
		{ "h", 3600000 }, { "d", 86400000 },
	};
	if (!(*s >= '0' && *s <= '9') && *s != '.')
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || strpbrk(s, "eExXpP") != NULL) /* no exponents, hex or inf */
		return false;
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		double total = v * units[i].ms + 0.5;
		if (total >= 2147483648.0)
			return false;
		*ms = (long long)total;
		return true;
	}
	return false;
}

static void log_conn_error(const char *what, PGconn *conn)
{
	char *msg = pgconn_one_line(PQerrorMessage(conn));
	log_error("%s%s", what, msg);
	free(msg);
}

static PGconn *connect_db(const char *dbname)
{
	PGconn *conn = pgconn_open(dbname);
	if (!conn)
		return NULL;
	pgconn_log_notices(conn, LOG_NORMAL); /* a trigger's RAISE NOTICE is worth seeing */
	/* A deeper socket buffer lets this process run ahead of the server, so
	 * that the server finds data waiting whenever it reads, instead of
	 * sleeping until the next piece arrives: measured, 3M sales rows load
	 * about 10% faster with 4 MB than with the 208 KB default of a unix
	 * socket. The kernel caps the size (wmem_max); a refusal costs only
	 * that speed. */
	int sndbuf = SOCKET_BUFFER;
	if (setsockopt(PQsocket(conn), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) != 0)
		log_debug("cannot enlarge the socket's send buffer: %s", strerror(errno));
	log_debug("connected to host %s, port %s, database %s as %s", PQhost(conn), PQport(conn),
		  PQdb(conn), PQuser(conn));
	return conn;
}

/* A skipped load still reads its input to the end, so that the programs
 * before it in a pipeline (gen | validate | pgload) finish normally instead
 * of dying of SIGPIPE, which a shell with pipefail would count as failure. */
static void drain_stdin(void)
{
	static char buf[64 * 1024];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
		if (n == 0 || (n < 0 && errno != EINTR))
			return;
	}
}

/* ---- the target table ---- */

struct column {
	char *name;
	uint32_t typid;
	char *type;  /* format_type(), for messages */
	bool fill;   /* its default is the load id; see LOAD_ID_DEFAULT */
	bool now;    /* its default is now(), the load's start */
};

struct target {
	char *schema, *name; /* as the user wrote them, unquoted; schema may be NULL */
	char *sql;           /* quoted for SQL text: "raw"."sales" */
	char *display;       /* the server's spelling, schema-qualified: raw.sales */
	char *relname;       /* the server's spelling of the name alone */
	char oid[16], nsp_oid[16];
	size_t ncols;
	struct column *cols;
};

/* Splits [SCHEMA.]TABLE at the first dot outside double quotes. A part in
 * double quotes may hold dots, and "" stands for one quote; any other part
 * is taken literally, case and all. Returns false on an empty part. */
static bool split_table(const char *s, char **schema, char **name)
{
	char *parts[2] = { NULL, NULL };
	int n = 0;
	const char *p = s;
	for (;;) {
		if (n == 2)
			goto bad;
		char *out = xrealloc(NULL, strlen(p) + 1), *o = out;
		if (*p == '"') {
			p++;
			for (;;) {
				if (!*p) {
					free(out);
					goto bad;
				}
				if (*p == '"' && p[1] == '"') {
					*o++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*o++ = *p++;
				}
			}
			if (*p && *p != '.') {
				free(out);
				goto bad;
			}
		} else {
			while (*p && *p != '.')
				*o++ = *p++;
		}
		*o = '\0';
		parts[n++] = out;
		if (!*out)
			goto bad;
		if (!*p)
			break;
		p++; /* the dot */
	}
	*schema = n == 2 ? parts[0] : NULL;
	*name = n == 2 ? parts[1] : parts[0];
	return true;
bad:
	free(parts[0]);
	free(parts[1]);
	return false;
}

static void target_free(struct target *t)
{
	free(t->schema);
	free(t->name);
	free(t->sql);
	free(t->display);
	free(t->relname);
	for (size_t i = 0; i < t->ncols; i++) {
		free(t->cols[i].name);
		free(t->cols[i].type);
	}
	free(t->cols);
}

/* An identifier quoted by the server's rules, in memory of our own. */
static char *quote_ident(PGconn *conn, const char *s)
{
	char *q = pgconn_ident(conn, s);
	if (!q)
		return NULL;
	char *out = strdup(q);
	PQfreemem(q);
	if (!out)
		die(EXIT_OPER, "out of memory");
	return out;
}

/* Quotes the name and asks the server which table it means and what
 * columns it has. Returns 0, or an exit status after reporting. */
static int target_resolve(PGconn *conn, struct target *t)
{
	char *name = quote_ident(conn, t->name);
	char *schema = t->schema ? quote_ident(conn, t->schema) : NULL;
	if (!name || (t->schema && !schema)) {
		free(name);
		free(schema);
		return EXIT_OPER;
	}
	size_t len = strlen(name) + (schema ? strlen(schema) + 1 : 0) + 1;
	t->sql = xrealloc(NULL, len);
	snprintf(t->sql, len, "%s%s%s", schema ? schema : "", schema ? "." : "", name);
	free(name);
	free(schema);

	/* The quoted name travels as a value: to_regclass parses it. */
	int status = EXIT_OK;
	const char *params[1] = { t->sql };
	PGresult *res = pgconn_query(conn,
			      "select c.oid, format('%I.%I', n.nspname, c.relname), c.relkind, "
			      "c.relnamespace, c.relname "
			      "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
			      "where c.oid = to_regclass($1)",
			      1, params, PGRES_TUPLES_OK, "cannot look up the table: ", &status);
	if (!res)
		return status;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return -1; /* the caller says it does not exist */
	}
	char relkind = *PQgetvalue(res, 0, 2);
	t->display = xstrdup(PQgetvalue(res, 0, 1));
	t->relname = xstrdup(PQgetvalue(res, 0, 4));
	snprintf(t->oid, sizeof t->oid, "%s", PQgetvalue(res, 0, 0));
	snprintf(t->nsp_oid, sizeof t->nsp_oid, "%s", PQgetvalue(res, 0, 3));
	PQclear(res);
	if (relkind != 'r' && relkind != 'p') {
		log_error("%s is not a table", t->display);
		return EXIT_OPER;
	}
	/* fill: the column is a plain bigint (not generated, not a domain)
	 * with the load id's default, and this user may write it. */
	const char *cparams[2] = { t->oid, LOAD_ID_DEFAULT };
	res = pgconn_query(conn,
		    "select a.attname, a.atttypid, format_type(a.atttypid, a.atttypmod), "
		    "coalesce(a.atttypid = 'bigint'::regtype and a.attgenerated = '' "
		    "and pg_get_expr(d.adbin, 0) = $2 "
		    "and has_column_privilege(a.attrelid, a.attnum, 'INSERT'), false), "
		    "coalesce(a.atttypid = 'timestamptz'::regtype "
		    "and pg_get_expr(d.adbin, 0) = 'now()', false) "
		    "from pg_attribute a left join pg_attrdef d "
		    "on d.adrelid = a.attrelid and d.adnum = a.attnum "
		    "where a.attrelid = $1::oid and a.attnum > 0 and not a.attisdropped "
		    "order by a.attnum",
		    2, cparams, PGRES_TUPLES_OK, "cannot read the table's columns: ", &status);
	if (!res)
		return status;
	t->ncols = (size_t)PQntuples(res);
	t->cols = xrealloc(NULL, t->ncols * sizeof *t->cols);
	for (size_t i = 0; i < t->ncols; i++) {
		t->cols[i].name = strdup(PQgetvalue(res, (int)i, 0));
		t->cols[i].typid = (uint32_t)strtoul(PQgetvalue(res, (int)i, 1), NULL, 10);
		t->cols[i].type = strdup(PQgetvalue(res, (int)i, 2));
		t->cols[i].fill = *PQgetvalue(res, (int)i, 3) == 't';
		t->cols[i].now = *PQgetvalue(res, (int)i, 4) == 't';
		if (!t->cols[i].name || !t->cols[i].type)
			die(EXIT_OPER, "out of memory");
	}
	PQclear(res);
	return EXIT_OK;
}

/* ---- the audit table ---- */

/* The same definition as sql/raw/001_schema.sql (a test compares them),
 * so that pgload works on a database where nobody ran that file. */
static const char audit_ddl[] =
	"create schema if not exists raw;\n"
	"create table if not exists raw._loads (\n"
	"    load_id          bigserial primary key,\n"
	"    target_table     text        not null,\n"
	"    source           text,\n"
	"    idempotency_key  text,\n"
	"    rows             bigint,\n"
	"    bytes            bigint,\n"
	"    started_at       timestamptz not null default clock_timestamp(),\n"
	"    finished_at      timestamptz,\n"
	"    status           text        not null check (status in ('running', 'committed', 'failed')),\n"
	"    message          text\n"
	");\n"
	"create unique index if not exists _loads_key_once\n"
	"    on raw._loads (target_table, idempotency_key)\n"
	"    where idempotency_key is not null and status <> 'failed';\n";

/* Creates raw._loads when it is missing. Two first loads may race here:
 * "create ... if not exists" is not safe against a concurrent create, so
 * the creators queue on an advisory lock. */
static int audit_ensure(PGconn *conn)
{
	int status = EXIT_OK;
	PGresult *res = pgconn_query(conn, "select to_regclass('raw._loads') is not null", 0, NULL,
			      PGRES_TUPLES_OK, "cannot look for the audit table: ", &status);
	if (!res)
		return status;
	bool exists = *PQgetvalue(res, 0, 0) == 't';
	PQclear(res);
	if (exists)
		return EXIT_OK;
	log_debug("creating the audit table raw._loads");
	char lock[96];
	snprintf(lock, sizeof lock, "select pg_advisory_xact_lock(%lld)", (long long)AUDIT_DDL_LOCK);
	const char *what = "cannot create the audit table raw._loads: ";
	if ((status = pgconn_command(conn, "begin", what)) != 0)
		return status;
	if ((res = pgconn_query(conn, lock, 0, NULL, PGRES_TUPLES_OK, what, &status)) != NULL) {
		PQclear(res);
		if ((status = pgconn_command(conn, "set local client_min_messages = warning", what)) == 0 &&
		    (status = pgconn_command(conn, audit_ddl, what)) == 0)
			status = pgconn_command(conn, "commit", what);
	}
	if (status)
		PQclear(PQexec(conn, "rollback"));
	return status;
}

/* With --key: has a committed load of this key reached this table? Fills
 * *load_id when it has. A race with a load still running is settled later,
 * by the unique index. */
static int audit_seen(PGconn *conn, const char *table, const char *key, char *load_id, size_t n,
		      bool *seen)
{
	int status = EXIT_OK;
	const char *params[2] = { table, key };
	PGresult *res = pgconn_query(conn,
			      "select load_id from raw._loads where target_table = $1 "
			      "and idempotency_key = $2 and status = 'committed'",
			      2, params, PGRES_TUPLES_OK, "cannot read the audit table: ", &status);
	if (!res)
		return status;
	*seen = PQntuples(res) > 0;
	if (*seen)
		snprintf(load_id, n, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return EXIT_OK;
}

/* ---- --create ---- */

/* The column type for a Table Schema field type: the smallest PostgreSQL
 * type that holds every value the type allows. */
static const char *create_type(enum ts_type t)
{
	switch (t) {
	case TS_STRING: return "text";
	case TS_INTEGER: return "bigint";
	case TS_NUMBER: return "numeric";
	case TS_BOOLEAN: return "boolean";
	case TS_DATE: return "date";
	case TS_DATETIME: return "timestamptz";
	case TS_TIME: return "time";
	case TS_YEAR: return "integer";
	case TS_OBJECT:
	case TS_ARRAY:
	case TS_GEOJSON: return "json"; /* json, not jsonb: it takes \u0000 as JSON does */
	case TS_YEARMONTH:
	case TS_DURATION: /* ISO 8601's -P1D is no interval input */
	case TS_GEOPOINT:
	case TS_ANY: return "text";
	}
	return "text";
}

static void sql_add(struct cbuf *b, const char *s)
{
	cbuf_add(b, s, strlen(s));
}

static bool sql_add_ident(struct cbuf *b, PGconn *conn, const char *name)
{
	char *q = pgconn_ident(conn, name);
	if (!q)
		return false;
	sql_add(b, q);
	PQfreemem(q);
	return true;
}

/* Creates the table from the schema inside the load's transaction, which
 * is begun here: if the load fails, the table goes too. A transaction-level
 * advisory lock on the name makes two first loads that race create it
 * once; the second then loads into it. Besides the schema's fields the
 * table gets raw.sales' two load columns, filled by their defaults. */
static int create_table(PGconn *conn, const struct target *t, const struct ts_schema *ts)
{
	struct cbuf b = { 0 };
	sql_add(&b, "create table if not exists ");
	sql_add(&b, t->sql);
	sql_add(&b, " (");
	for (size_t i = 0; i < ts->nfields; i++) {
		const struct ts_field *f = &ts->fields[i];
		if (!sql_add_ident(&b, conn, f->name))
			goto oper;
		sql_add(&b, " ");
		sql_add(&b, create_type(f->type));
		if (f->required)
			sql_add(&b, " not null");
		sql_add(&b, ", ");
	}
	sql_add(&b, "_load_id bigint default nullif(current_setting('elt.load_id', true), '')::bigint, "
		    "_loaded_at timestamptz not null default now()");
	if (ts->primary_key.n) {
		sql_add(&b, ", primary key (");
		for (size_t i = 0; i < ts->primary_key.n; i++) {
			if (i)
				sql_add(&b, ", ");
			if (!sql_add_ident(&b, conn, ts->fields[ts->primary_key.cols[i]].name))
				goto oper;
		}
		sql_add(&b, ")");
	}
	sql_add(&b, ")");
	cbuf_add(&b, "", 1);
	log_debug("%s", b.data);

	int status = pgconn_command(conn, "begin", "cannot begin the load: ");
	if (status) {
		cbuf_free(&b);
		return status;
	}
	const char *params[1] = { t->sql };
	PGresult *res = pgconn_query(conn, "select pg_advisory_xact_lock(hashtext('pgload create ' || $1))", 1,
			      params, PGRES_TUPLES_OK, "cannot lock the table's name: ", &status);
	PQclear(res);
	if (!status)
		status = pgconn_command(conn, "set local client_min_messages = warning", "");
	if (!status)
		status = pgconn_command(conn, b.data, "cannot create the table: ");
	cbuf_free(&b);
	return status;
oper:
	cbuf_free(&b);
	return EXIT_OPER;
}

/* ---- waiting for the target's lock ----
 *
 * A session holding a lock on the target (an ALTER TABLE, a LOCK TABLE, a
 * VACUUM FULL) makes a load wait. The wait is tried quietly for a moment
 * first, since most end sooner; then pgload says what it waits for and
 * whom, and goes on waiting, for ever unless lock_timeout (--lock-timeout,
 * or the session's setting) says otherwise. */

/* How long a wait for a lock goes on before pgload says so. */
#define LOCK_QUIET_MS 1500

/* A lock mode as LOCK TABLE spells it and as pg_locks names it, with the
 * modes (as pg_locks names them) that make it wait. */
struct lock_mode {
	const char *sql, *name, *conflicts;
};
static const struct lock_mode LOCK_ACCESS_SHARE = { "access share", "AccessShareLock", "{AccessExclusiveLock}" };
static const struct lock_mode LOCK_ROW_EXCLUSIVE = {
	"row exclusive", "RowExclusiveLock",
	"{ShareLock,ShareRowExclusiveLock,ExclusiveLock,AccessExclusiveLock}"
};
static const struct lock_mode LOCK_SHARE_UPDATE_EXCLUSIVE = {
	"share update exclusive", "ShareUpdateExclusiveLock",
	"{ShareUpdateExclusiveLock,ShareLock,ShareRowExclusiveLock,ExclusiveLock,AccessExclusiveLock}"
};

/* Sets lock_timeout to ms (0: no limit) until the transaction ends. */
static int set_lock_timeout(PGconn *conn, long long ms)
{
	char v[32];
	snprintf(v, sizeof v, "%lld", ms);
	const char *params[1] = { v };
	int status = EXIT_OK;
	PQclear(pgconn_query(conn, "select set_config('lock_timeout', $1, true)", 1, params, PGRES_TUPLES_OK,
		      "cannot set lock_timeout: ", &status));
	return status;
}

/* Says which sessions hold, or wait ahead for, a lock on t that m waits
 * for; best effort, since they may be gone already. */
static void lock_announce(PGconn *conn, const struct target *t, const struct lock_mode *m)
{
	const char *params[2] = { t->oid, m->conflicts };
	int status = EXIT_OK;
	PGresult *res = pgconn_query(conn,
			      "select string_agg(coalesce('pid ' || pid, 'a prepared transaction') || ' (' || mode "
			      "|| case when granted then '' else ', waiting' end || ')', ', ' "
			      "order by granted desc, pid) from pg_locks "
			      "where locktype = 'relation' and relation = $1::oid "
			      "and database = (select oid from pg_database where datname = current_database()) "
			      "and pid is distinct from pg_backend_pid() and mode = any ($2::text[])",
			      2, params, PGRES_TUPLES_OK, "", &status);
	const char *who = res && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : NULL;
	log_info("waiting for %s on %s, held by %s", m->name, t->display, who ? who : "another session");
	PQclear(res);
}

/* Takes lock m on t in the transaction open on conn, waiting as said
 * above. timeout_ms is the limit of the whole wait (0: none; -1: the
 * session's lock_timeout), after which the lock is given up with an
 * error and exit 3. Returns 0, or an exit status after reporting; the
 * session's lock_timeout is as it was. */
static int lock_target(PGconn *conn, const struct target *t, const struct lock_mode *m, long long timeout_ms)
{
	int status = EXIT_OK;
	PGresult *res = pgconn_query(conn, "select current_setting('lock_timeout'), "
			      "(select setting from pg_settings where name = 'lock_timeout')",
			      0, NULL, PGRES_TUPLES_OK, "cannot read lock_timeout: ", &status);
	if (!res)
		return status;
	char saved[64];
	snprintf(saved, sizeof saved, "%s", PQgetvalue(res, 0, 0));
	if (timeout_ms < 0)
		timeout_ms = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	char sql[1024];
	snprintf(sql, sizeof sql, "lock table %s in %s mode", t->sql, m->sql);
	long long quiet = timeout_ms && timeout_ms <= LOCK_QUIET_MS ? timeout_ms : LOCK_QUIET_MS;
	if ((status = pgconn_command(conn, "savepoint pgload_lock", "cannot lock the table: ")) != 0 ||
	    (status = set_lock_timeout(conn, quiet)) != 0)
		return status;
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		const char *state = pgconn_sqlstate(res);
		bool denied = strcmp(state, "42501") == 0;
		if (!denied && (strcmp(state, "55P03") != 0 || quiet == timeout_ms))
			goto failed;
		PQclear(res);
		if ((status = pgconn_command(conn, "rollback to savepoint pgload_lock", "cannot lock the table: ")) != 0)
			return status;
		if (denied) {
			/* LOCK TABLE wants a privilege on the whole table, which
			 * a user who may insert into some columns lacks: COPY then
			 * takes the lock itself, waiting without a word. */
			log_debug("may not lock %s ahead of the COPY", t->display);
			res = NULL;
			goto done;
		}
		lock_announce(conn, t, m);
		if ((status = set_lock_timeout(conn, timeout_ms ? timeout_ms - quiet : 0)) != 0)
			return status;
		res = PQexec(conn, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			goto failed;
		log_debug("got the %s on %s", m->name, t->display);
	}
done:
	PQclear(res);
	const char *params[1] = { saved };
	if ((status = pgconn_command(conn, "release savepoint pgload_lock", "cannot lock the table: ")) == 0)
		PQclear(pgconn_query(conn, "select set_config('lock_timeout', $1, true)", 1, params, PGRES_TUPLES_OK,
			      "cannot set lock_timeout: ", &status));
	return status;
failed:;
	if (PQstatus(conn) == CONNECTION_OK && strcmp(pgconn_sqlstate(res), "55P03") == 0)
		log_error("gave up waiting for %s on %s after %lld ms (lock_timeout)", m->name, t->display,
			  timeout_ms);
	else
		pgconn_report(conn, res, "cannot lock the table: ");
	status = pgconn_exit_status(conn, res);
	PQclear(res);
	return status;
}

/* ---- the load ---- */

/* Where a segment's rows sit in the input. Positions in a segment are
 * rows for binary COPY and lines for CSV (where the segment's own header
 * line is line 1), as the server counts them in its errors. From position
 * `row` on, the row at position k starts on input line `line + (k - row)`,
 * up to the next anchor; but positions `row` to `row + span` all belong to
 * the row at `row`, a CSV row holding `span` newlines (the server names
 * the line it was on when the row failed). An anchor is added only where
 * that rule would go wrong: at a segment's first row, at a CSV row that
 * spans lines, and where the rows sent stop being consecutive lines of the
 * input (with --jobs), so memory stays constant for one connection. */
struct anchor {
	uint64_t row, line, span;
};

struct load {
	PGconn *conn;
	const struct opts *o;
	const struct target *t;
	size_t ncols;           /* columns in the header */
	enum cb_type *types;    /* their encoders, in header order */
	const char **names;     /* their names, in header order */
	char *collist;          /* "a", "b", ... for the COPY statement */
	bool binary_ok;         /* every column has an encoder */
	/* Binary COPY also sends the columns the header leaves out whose
	 * default is the load id (see LOAD_ID_DEFAULT): nfill of them, named
	 * after collist in bin_collist, each row ending with the bytes in
	 * fill. CSV segments leave them to their defaults, which give the same
	 * value, so that a row with too few or too many fields is reported as
	 * in CSV mode. */
	size_t nfill;
	char *bin_collist;
	struct cbuf fill;

	bool in_copy, binary;   /* the COPY running now */
	uint64_t seg_first_line;/* input line of its first row */
	uint64_t seg_rows;      /* rows sent in it */
	uint64_t seg_lines;     /* lines sent in it, its header line included */
	struct anchor *anchors; /* see struct anchor */
	size_t nanchors, capanchors;

	uint64_t rows;          /* rows the server took in finished segments */
	uint64_t records;       /* records read, for progress */
	struct cbuf out;
	char load_id[24];
	char started_at[64];
	char *staging;          /* with --jobs: the staging table, quoted */
	char *part_key;         /* with --jobs: the target's partition key column */
	bool staging_made;      /* this load created it (and may drop it) */
	unsigned connections;   /* the data went over this many */
};

static int conn_lost(struct load *L)
{
	log_conn_error("connection to the server was lost: ", L->conn);
	return EXIT_OPER;
}

static int flush_out(struct load *L)
{
	if (L->out.len == 0)
		return EXIT_OK;
	if (PQputCopyData(L->conn, L->out.data, (int)L->out.len) != 1)
		return conn_lost(L);
	L->out.len = 0;
	return EXIT_OK;
}

static int segment_start(struct load *L, bool binary, uint64_t first_line)
{
	/* A CSV segment gets a header line of its own, although the server
	 * only skips it: PostgreSQL 15 misses the newlines inside a quoted
	 * field that come before the first line end of the data, so without
	 * it the line numbers of a multi-line first row would be off. */
	const char *with = binary ? "format binary"
			   : L->o->delim == '\t' ? "format csv, header true, delimiter E'\\t'"
						 : "format csv, header true";
	const char *cols = binary ? L->bin_collist : L->collist;
	size_t len = strlen(L->t->sql) + strlen(cols) + strlen(with) + 64;
	char *sql = xrealloc(NULL, len);
	snprintf(sql, len, "copy %s (%s) from stdin with (%s)", L->t->sql, cols, with);
	int status = EXIT_OK;
	PGresult *res = pgconn_query(L->conn, sql, 0, NULL, PGRES_COPY_IN, "cannot start COPY: ", &status);
	free(sql);
	if (!res)
		return status;
	PQclear(res);
	L->in_copy = true;
	L->binary = binary;
	L->seg_first_line = first_line;
	L->seg_rows = 0;
	L->seg_lines = 1;
	L->nanchors = 0;
	if (binary)
		copybin_header(&L->out);
	else
		cbuf_add(&L->out, "pgload\n", 7);
	log_debug("line %" PRIu64 " on: %s COPY", first_line, binary ? "binary" : "CSV");
	return EXIT_OK;
}

static void anchor_add(struct load *L, uint64_t row, uint64_t line, uint64_t span)
{
	if (L->nanchors == L->capanchors) {
		L->capanchors = L->capanchors ? 2 * L->capanchors : 16;
		L->anchors = realloc(L->anchors, L->capanchors * sizeof *L->anchors);
		if (!L->anchors)
			die(EXIT_OPER, "out of memory");
	}
	L->anchors[L->nanchors++] = (struct anchor){ row, line, span };
}

/* The input line on which the segment's row that the server calls line n
 * starts. (For a row spanning lines, the server names its last line; the
 * input line where it starts is the one to look at.) */
static uint64_t segment_line(const struct load *L, uint64_t n)
{
	if (L->nanchors == 0 || n < L->anchors[0].row)
		return L->seg_first_line;
	size_t lo = 0, hi = L->nanchors; /* the last anchor with row <= n */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (L->anchors[mid].row <= n)
			lo = mid;
		else
			hi = mid;
	}
	const struct anchor *a = &L->anchors[lo];
	return n <= a->row + a->span ? a->line : a->line + (n - a->row);
}

/* Anchors the row about to be sent at position k, starting on input line
 * `line` and holding `span` newlines, when segment_line() could not tell
 * where it is otherwise. */
static void anchor_row(struct load *L, uint64_t k, uint64_t line, uint64_t span)
{
	const struct anchor *last = L->nanchors ? &L->anchors[L->nanchors - 1] : NULL;
	if (span || !last || last->span || last->line + (k - last->row) != line)
		anchor_add(L, k, line, span);
}

/* Reports the server's rejection of a COPY. Its CONTEXT says "COPY t, line
 * N[, column c][: "value"]"; N is counted within this segment (binary
 * COPY counts rows, a CSV segment lines after a header line of its own),
 * so it is translated back to the input line before it is shown. */
static void report_copy_error(const struct load *L, const PGresult *res)
{
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
	if (!msg) {
		pgconn_report(L->conn, res, "");
		return;
	}
	const char *copy = NULL;
	for (const char *p = ctx; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, "COPY ", 5) == 0)
			copy = p;
	const char *at = copy ? strstr(copy, ", line ") : NULL;
	if (at) {
		char *end;
		uint64_t n = strtoull(at + 7, &end, 10);
		uint64_t line = segment_line(L, n);
		if (strncmp(end, ", column ", 9) == 0) {
			const char *col = end + 9;
			size_t clen = strcspn(col, "\n");
			const char *colon = strstr(col, ": \"");
			if (colon && (size_t)(colon - col) < clen)
				clen = (size_t)(colon - col);
			log_error("line %" PRIu64 ", column %.*s: %s", line, (int)clen, col, msg);
		} else {
			log_error("line %" PRIu64 ": %s", line, msg);
		}
	} else {
		log_error("%s", msg);
	}
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	if (detail)
		log_error("DETAIL: %s", detail);
	if (hint)
		log_error("HINT: %s", hint);
	if (ctx && !at)
		log_error("CONTEXT: %s", ctx);
}

/* Ends the COPY running now and takes its result. */
static int segment_end(struct load *L)
{
	if (L->binary)
		copybin_trailer(&L->out);
	int status = flush_out(L);
	if (status)
		return status;
	L->in_copy = false;
	if (PQputCopyEnd(L->conn, NULL) != 1)
		return conn_lost(L);
	PGresult *res = PQgetResult(L->conn);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		L->rows += strtoull(PQcmdTuples(res), NULL, 10);
	} else if (PQstatus(L->conn) != CONNECTION_OK || !res) {
		status = conn_lost(L);
	} else {
		report_copy_error(L, res);
		status = pgconn_exit_status(L->conn, res);
	}
	PQclear(res);
	while ((res = PQgetResult(L->conn)) != NULL)
		PQclear(res);
	return status;
}

/* Ends a COPY that cannot finish; the server discards what it got. */
static void segment_abort(struct load *L, const char *reason)
{
	if (!L->in_copy)
		return;
	L->in_copy = false;
	L->out.len = 0;
	if (PQputCopyEnd(L->conn, reason) == 1) {
		PGresult *res;
		while ((res = PQgetResult(L->conn)) != NULL)
			PQclear(res);
	}
}

/* Appends the record as a binary tuple. Returns false, with nothing
 * appended and *bad naming the column (or ncols for a wrong field count),
 * when it has to go as CSV. */
static bool encode_row(struct load *L, const struct csv_record *rec, size_t *bad)
{
	if (rec->kind != CSVR_ROW || rec->nfields != L->ncols) {
		*bad = L->ncols;
		return false;
	}
	size_t mark = L->out.len;
	copybin_tuple(&L->out, (uint16_t)(L->ncols + L->nfill));
	for (size_t i = 0; i < L->ncols; i++) {
		const struct csv_field *f = &rec->fields[i];
		if (!copybin_value(&L->out, L->types[i], f->data, f->len, f->null)) {
			L->out.len = mark;
			*bad = i;
			return false;
		}
	}
	if (L->nfill)
		cbuf_add(&L->out, L->fill.data, L->fill.len);
	anchor_row(L, ++L->seg_rows, rec->line, 0);
	return true;
}

/* A record rebuilt from its parsed fields, in the input's format, for a
 * record whose raw bytes were cut short. */
static void add_record(struct cbuf *b, const struct csv_record *rec, char delim)
{
	struct csvw *w = csvw_open_mem(delim);
	size_t len;
	if (csvw_record(w, rec->fields, rec->nfields) != 0)
		die(EXIT_OPER, "out of memory");
	const char *data = csvw_mem_data(w, &len);
	cbuf_add(b, data, len - 1); /* without its line end */
	csvw_close(w);
}

/* Sends one record in the COPY running now, first switching that COPY to
 * CSV when the record cannot go as binary. Returns 0 or an exit status. */
static int send_record(struct load *L, const struct csv_record *rec)
{
	int status;
	if (rec->kind == CSVR_MALFORMED && rec->too_long) {
		/* Data that cannot be loaded, as a row the server refuses is:
		 * refused here before it takes gigabytes, or the server drops
		 * the connection over its 1 GB message limit. */
		log_error("line %" PRIu64 ": %s (PostgreSQL takes no row of 1 GB or more; "
			  "ELT_CSV_MAX_RECORD sets this limit in bytes)", rec->line, rec->error);
		segment_abort(L, "pgload: a record over the row limit");
		return EXIT_DATA;
	}
	if (rec->kind == CSVR_MALFORMED) {
		log_error("line %" PRIu64 ": %s", rec->line, rec->error);
		segment_abort(L, "pgload: malformed CSV input");
		return EXIT_OPER;
	}
	if (L->binary) {
		size_t bad;
		if (encode_row(L, rec, &bad))
			goto sent;
		/* The server, not the encoder, is to judge this row: go on
		 * in CSV, in a new COPY of the same transaction. */
		if (bad < L->ncols)
			log_debug("line %" PRIu64 ", column %s: value not in a plain form; "
				  "sending the rest as CSV", rec->line, L->names[bad]);
		else
			log_debug("line %" PRIu64 ": %zu fields for %zu columns; "
				  "sending the rest as CSV", rec->line, rec->nfields, L->ncols);
		if ((status = segment_end(L)) != 0 || (status = segment_start(L, false, rec->line)) != 0)
			return status;
	}
	size_t start = L->out.len;
	if (rec->raw_cut) /* raw holds only the start of a huge row */
		add_record(&L->out, rec, L->o->delim);
	else if (rec->raw_len == 2 && rec->raw[0] == '\\' && rec->raw[1] == '.')
		/* A line that is exactly \. ends the data of a CSV COPY:
		 * PostgreSQL (15) drops the rest without an error. Quoted it
		 * is the value it is. Inside a quoted field such a line is
		 * data already, and \. with anything else on its line too;
		 * csvr has cut off a CR before the line end. */
		cbuf_add(&L->out, "\"\\.\"", 4);
	else
		cbuf_add(&L->out, rec->raw, rec->raw_len);
	uint64_t nl = 0;
	for (const char *p = L->out.data + start, *end = L->out.data + L->out.len;
	     (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		nl++;
	cbuf_add(&L->out, "\n", 1);
	L->seg_rows++;
	anchor_row(L, L->seg_lines + 1, rec->line, nl);
	L->seg_lines += 1 + nl;
sent:
	if (L->out.len >= FLUSH_AT)
		return flush_out(L);
	return EXIT_OK;
}

/* Streams the records from `rec` (the first data record) to the end of
 * the input. Returns 0 when every COPY succeeded. */
static int load_rows(struct load *L, struct csvr *r, const struct csv_record *rec,
		     struct progress *pg)
{
	int status = lock_target(L->conn, L->t, &LOCK_ROW_EXCLUSIVE, L->o->lock_timeout_ms);
	if (!status)
		status = segment_start(L, L->binary_ok && L->o->binary, rec->line);
	if (status)
		return status;
	for (; rec; rec = csvr_next(r)) {
		L->records++;
		if ((status = send_record(L, rec)) != 0)
			return status;
		progress_update(pg, L->records, csvr_bytes(r));
	}
	if (csvr_error(r)) {
		log_error("standard input: %s", csvr_error(r));
		segment_abort(L, "pgload: read error on the input");
		return EXIT_OPER;
	}
	return segment_end(L);
}

/* ---- loading over several connections (--jobs) ----
 *
 * A transaction cannot span connections, so the rows go into a staging
 * table that is not yet part of the target, and become part of it in the
 * load's own transaction. Only one way of joining keeps every guarantee a
 * COPY into the target gives: becoming a real partition of a target that is
 * partitioned BY LIST on its load id column (the column whose default is
 * LOAD_ID_DEFAULT). The partition for the load's own id cannot hold a row
 * of any other load, the target's constraints and indexes are the
 * partition's, and queries on the target (FROM ONLY included, which sees
 * no rows of a partitioned table either way) see its rows. An inheritance
 * child would not do: its rows escape the target's unique and exclusion
 * constraints, foreign keys, publications and FROM ONLY.
 *
 * So the staging table is a new table LIKE the target (columns, defaults,
 * constraints, indexes) with a CHECK that its load id is the load's,
 * created and committed first. Each connection COPYs its share of the rows
 * into it in a transaction of its own and commits, and still nothing is
 * visible in the target. The load's transaction, which holds the audit
 * row, then ATTACHes it as the partition FOR VALUES IN (load id): the CHECK
 * spares the server a scan to prove that, and goes again. The target sees
 * every row of the load when that commits, or none.
 *
 * What the rows bypass while they go into the staging table rules the
 * rest out, and those loads go over one connection: triggers (foreign
 * keys' included), rules, row security, a publication that would publish
 * the target's rows (or the staging table's under its own name), an
 * identity column, a target that is itself a partition (its ancestors'
 * guarantees), Citus (whose distributed tables take no local partition
 * this way). The staging table of a load that fails is dropped; one left
 * by a load that was killed is dropped by the next load into that schema
 * with --jobs, which can take the advisory lock the dead load held. */

/* Each connection takes this much of the input in turn. */
#define JOB_BATCH (1024 * 1024)
/* The advisory lock a load holds on its staging table: this plus its id. */
#define STAGING_LOCK_BASE 0x706a000000000000LL /* "pj" */
/* The comment that marks a staging table, followed by the load id. */
#define STAGING_COMMENT "pgload: staging table of load "
/* The CHECK that keeps the staging table to the load's id. */
#define STAGING_CHECK "pgload_load_id"

/* Can the load go over several connections into a partition of its own?
 * Sets *key to the partition key column's name when it can; otherwise
 * says why not, in one line. */
static int jobs_possible(PGconn *conn, const struct target *t, char **key)
{
	/* Publications FOR TABLES IN SCHEMA are new in PostgreSQL 15. */
	const char *in_schema = PQserverVersion(conn) >= 150000
					? "or exists (select from pg_publication_namespace pn "
					  "where pn.pnnspid in (select relnamespace from pg_class "
					  "where oid in (select relid from anc))) "
					: "";
	char sql[4096];
	snprintf(sql, sizeof sql,
		 "with anc as (select $1::oid as relid union "
		 "select relid from pg_partition_ancestors($1::oid)), "
		 "k as (select a.attname from pg_partitioned_table p "
		 "join pg_attribute a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0] "
		 "join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum "
		 "where p.partrelid = $1::oid and p.partstrat = 'l' and p.partnatts = 1 "
		 "and a.atttypid = 'bigint'::regtype and pg_get_expr(d.adbin, 0) = $2) "
		 "select case "
		 "when c.relkind <> 'p' or not exists (select from k) "
		 "then 'is not partitioned by list of its load id column' "
		 "when c.relispartition then 'is itself a partition' "
		 "when exists (select from pg_constraint f where f.contype = 'f' "
		 "and (f.conrelid = c.oid or f.confrelid = c.oid)) "
		 "then 'has or is referenced by a foreign key' "
		 "when c.relhastriggers or exists (select from pg_trigger g where g.tgrelid = c.oid) "
		 "then 'has triggers' "
		 "when c.relhasrules then 'has rules' "
		 "when c.relrowsecurity then 'has row security' "
		 "when exists (select from pg_attribute a where a.attrelid = c.oid "
		 "and a.attidentity <> '' and not a.attisdropped) then 'has an identity column' "
		 "when exists (select from pg_publication p where p.puballtables) "
		 "or exists (select from pg_publication_rel r where r.prrelid in (select relid from anc)) "
		 "%s"
		 "then 'is in a publication' "
		 "when exists (select from pg_extension where extname = 'citus') "
		 "then 'is on a server running Citus' "
		 "when not pg_has_role(c.relowner, 'USAGE') then 'is not yours to alter' "
		 "when not has_schema_privilege(c.relnamespace, 'CREATE') "
		 "then 'is in a schema where you may not create tables' "
		 "end, (select attname from k) "
		 "from pg_class c where c.oid = $1::oid",
		 in_schema);
	const char *params[2] = { t->oid, LOAD_ID_DEFAULT };
	int status = EXIT_OK;
	PGresult *res = pgconn_query(conn, sql, 2, params, PGRES_TUPLES_OK, "cannot look at the table: ",
				     &status);
	if (!res)
		return status;
	*key = NULL;
	if (PQntuples(res) != 1)
		log_info("--jobs: %s is gone; loading over one connection", t->display);
	else if (!PQgetisnull(res, 0, 0))
		log_info("--jobs: %s %s (see pgload(1)); loading over one connection", t->display,
			 PQgetvalue(res, 0, 0));
	else
		*key = xstrdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	return EXIT_OK;
}

/* Runs the statement that format(fmt, args...) makes on the server: DDL
 * takes no parameters, so identifiers and values reach it through %I, %L
 * (and %s for names quoted already), never through this process. */
static int exec_formatted(PGconn *conn, const char *fmt, int nargs, const char *const *args, const char *what)
{
	enum { MAX_ARGS = 7 };
	if (nargs > MAX_ARGS)
		die(EXIT_OPER, "exec_formatted: %d arguments, at most %d", nargs, MAX_ARGS);
	const char *params[MAX_ARGS + 1] = { fmt };
	char sql[128] = "select format($1";
	for (int i = 0; i < nargs; i++) {
		params[i + 1] = args[i];
		snprintf(sql + strlen(sql), sizeof sql - strlen(sql), ", $%d::text", i + 2);
	}
	snprintf(sql + strlen(sql), sizeof sql - strlen(sql), ")");
	int status = EXIT_OK;
	PGresult *res = pgconn_query(conn, sql, nargs + 1, params, PGRES_TUPLES_OK, what, &status);
	if (!res)
		return status;
	status = pgconn_command(conn, PQgetvalue(res, 0, 0), what);
	PQclear(res);
	return status;
}

/* Drops the staging tables of loads into t that died before they ended,
 * each only once its lock can be taken (the load that held it is gone). A
 * load lets go of the lock only after it ends, so the table is looked at
 * again under the lock: a load that committed between the listing and the
 * lock has made it part of the target, and it stays. */
static void staging_cleanup(PGconn *conn, const struct target *t)
{
	const char *params[2] = { t->nsp_oid, STAGING_COMMENT };
	int status = EXIT_OK;
	PGresult *res = pgconn_query(conn,
			      "select c.oid::regclass::text, substr(d.description, length($2) + 1), c.oid "
			      "from pg_class c join pg_description d on d.objoid = c.oid "
			      "and d.classoid = 'pg_class'::regclass and d.objsubid = 0 "
			      "where c.relnamespace = $1::oid and c.relkind = 'r' "
			      "and starts_with(d.description, $2) "
			      "and substr(d.description, length($2) + 1) ~ '^[0-9]{1,15}$' "
			      "and not exists (select from pg_inherits i where i.inhrelid = c.oid)",
			      2, params, PGRES_TUPLES_OK, "cannot look for staging tables: ", &status);
	for (int i = 0; res && i < PQntuples(res); i++) {
		const char *table = PQgetvalue(res, i, 0), *id = PQgetvalue(res, i, 1), *oid = PQgetvalue(res, i, 2);
		char key[24], comment[64];
		snprintf(key, sizeof key, "%lld", STAGING_LOCK_BASE + strtoll(id, NULL, 10));
		snprintf(comment, sizeof comment, STAGING_COMMENT "%s", id);
		const char *kp[1] = { key };
		PGresult *lock = pgconn_query(conn, "select pg_try_advisory_lock($1::bigint)", 1, kp, PGRES_TUPLES_OK,
				       "cannot test a staging table's lock: ", &status);
		if (lock && *PQgetvalue(lock, 0, 0) == 't') {
			const char *still[2] = { oid, comment };
			PGresult *left = pgconn_query(conn,
					       "select from pg_description d where d.objoid = $1::oid "
					       "and d.classoid = 'pg_class'::regclass and d.objsubid = 0 "
					       "and d.description = $2 "
					       "and not exists (select from pg_inherits i where i.inhrelid = $1::oid)",
					       2, still, PGRES_TUPLES_OK, "cannot look for staging tables: ", &status);
			const char *args[1] = { table };
			if (left && PQntuples(left) == 1 &&
			    exec_formatted(conn, "drop table %s", 1, args, "cannot drop a staging table: ") == 0)
				log_info("dropped %s, the staging table of load %s, which never finished", table, id);
			PQclear(left);
			PQclear(pgconn_query(conn, "select pg_advisory_unlock($1::bigint)", 1, kp, PGRES_TUPLES_OK, "", &status));
		}
		PQclear(lock);
	}
	PQclear(res);
}

/* Sets the staging table's defaults of now(): to the time `at` while the
 * table fills, back to now() (at NULL) when it joins the target. */
static int staging_now_defaults(const struct load *L, PGconn *conn, const char *at)
{
	int status = EXIT_OK;
	for (size_t i = 0; i < L->t->ncols && !status; i++) {
		if (!L->t->cols[i].now)
			continue;
		const char *args[3] = { L->staging, L->t->cols[i].name, at };
		status = at ? exec_formatted(conn, "alter table %s alter column %I set default %L::timestamptz", 3,
					     args, "cannot prepare the staging table: ")
			    : exec_formatted(conn, "alter table %s alter column %I set default now()", 2, args,
					     "cannot add the staging table to the target: ");
	}
	return status;
}

/* Creates and commits the staging table, on a connection outside the
 * load's transaction. A now() default is pinned to the load's own start,
 * so that every connection stamps the same time, as one transaction would. */
static int staging_create(struct load *L, PGconn *conn, const char *load_now)
{
	char comment[64];
	snprintf(comment, sizeof comment, STAGING_COMMENT "%s", L->load_id);
	const char *args[6] = { L->staging, L->t->sql, comment, STAGING_CHECK, L->part_key, L->load_id };
	const char *what = "cannot create the staging table: ";
	int status = pgconn_command(conn, "begin", what);
	/* LIKE reads the target under a lock of its own: wait for it aloud. */
	if (!status)
		status = lock_target(conn, L->t, &LOCK_ACCESS_SHARE, L->o->lock_timeout_ms);
	if (!status)
		status = exec_formatted(conn, "create table %1$s (like %2$s including all); "
					"comment on table %1$s is %3$L; "
					"alter table %1$s add constraint %4$I check (%5$I is not null and %5$I = %6$L::bigint)",
					6, args, what);
	if (!status)
		status = staging_now_defaults(L, conn, load_now);
	if (!status)
		status = pgconn_command(conn, "commit", what);
	if (status)
		PQclear(PQexec(conn, "rollback"));
	/* A table of that name that was there, or that this did not commit,
	 * is not this load's to drop. */
	L->staging_made = status == EXIT_OK;
	return status;
}

/* The staging table's name, quoted: the target's name and "_load_<id>",
 * in the target's schema, the target's part cut short (at a character's
 * start) to keep it within PostgreSQL's 63 bytes. NULL after reporting. */
static char *staging_name(PGconn *conn, const struct target *t, const char *load_id)
{
	char suffix[32], name[64];
	snprintf(suffix, sizeof suffix, "_load_%s", load_id);
	size_t keep = strlen(t->relname), room = 63 - strlen(suffix);
	if (keep > room) {
		keep = room;
		while (keep && ((unsigned char)t->relname[keep] & 0xC0) == 0x80)
			keep--;
	}
	snprintf(name, sizeof name, "%.*s%s", (int)keep, t->relname, suffix);
	const char *params[2] = { t->nsp_oid, name };
	int status = EXIT_OK;
	PGresult *res = pgconn_query(conn, "select format('%I.%I', nspname, $2::text) from pg_namespace where oid = $1::oid",
			      2, params, PGRES_TUPLES_OK, "cannot name the staging table: ", &status);
	if (!res)
		return NULL;
	char *q = PQntuples(res) == 1 ? xstrdup(PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);
	if (!q)
		log_error("the schema of %s is gone", t->display);
	return q;
}

/* In the load's transaction: the staging table becomes the target's
 * partition for the load id, with the target's now() defaults back, and
 * marked as the rows of the load instead of a staging table. Its CHECK
 * spared the server the scan that proves the partition's rows belong
 * there; the partition constraint holds them from now on. */
static int staging_attach(const struct load *L)
{
	int status = lock_target(L->conn, L->t, &LOCK_SHARE_UPDATE_EXCLUSIVE, L->o->lock_timeout_ms);
	if (status)
		return status;
	char comment[64];
	snprintf(comment, sizeof comment, "pgload: rows of load %s", L->load_id);
	const char *args[5] = { L->t->sql, L->staging, L->load_id, STAGING_CHECK, comment };
	status = exec_formatted(L->conn, "alter table %1$s attach partition %2$s for values in (%3$L); "
				"alter table %2$s drop constraint %4$I; comment on table %2$s is %5$L", 5, args,
				"cannot attach the staging table to the target: ");
	return status ? status : staging_now_defaults(L, L->conn, NULL);
}

/* Opens a connection's transaction for its share of the rows. */
static int job_begin(struct load *J, uint64_t first_line)
{
	int status = pgconn_command(J->conn, "begin", "cannot begin a share of the load: ");
	if (status)
		return status;
	const char *params[1] = { J->load_id };
	PGresult *res = pgconn_query(J->conn, "select set_config('elt.load_id', $1, true)", 1, params, PGRES_TUPLES_OK,
			      "cannot set elt.load_id: ", &status);
	PQclear(res);
	return status ? status : segment_start(J, J->binary_ok && J->o->binary, first_line);
}

/* load_rows() over o->jobs connections: the input goes to them in turns of
 * JOB_BATCH bytes, into the staging table (see above). */
static int load_rows_jobs(struct load *L, struct csvr *r, const struct csv_record *rec, struct progress *pg)
{
	unsigned n = L->o->jobs, j;
	char key[24], load_now[64];
	snprintf(key, sizeof key, "%lld", STAGING_LOCK_BASE + strtoll(L->load_id, NULL, 10));
	const char *kp[1] = { key };
	int status = EXIT_OK;
	PGresult *res = pgconn_query(L->conn, "select pg_advisory_lock($1::bigint), now()::text", 1, kp, PGRES_TUPLES_OK,
			      "cannot lock the staging table: ", &status);
	if (!res)
		return status;
	snprintf(load_now, sizeof load_now, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	if (!(L->staging = staging_name(L->conn, L->t, L->load_id)))
		return EXIT_OPER;
	L->connections = n;
	struct target staging = *L->t; /* the target's columns under another name */
	staging.sql = L->staging;
	struct load *J = xcalloc(n, sizeof *J);
	for (j = 0; j < n; j++) {
		J[j] = *L; /* sharing the header's column lists and encoders */
		J[j].t = &staging;
		J[j].anchors = NULL;
		J[j].nanchors = J[j].capanchors = 0;
		J[j].out = (struct cbuf){ 0 };
		J[j].rows = 0;
		if (!(J[j].conn = connect_db(L->o->dbname))) {
			status = EXIT_OPER;
			goto done;
		}
	}
	if ((status = staging_create(L, J[0].conn, load_now)) != 0)
		goto done;
	for (j = 0; j < n; j++)
		if ((status = job_begin(&J[j], rec->line)) != 0)
			goto done;
	log_debug("load %s: over %u connections into %s", L->load_id, n, L->staging);
	size_t batch = 0;
	for (j = 0; rec; rec = csvr_next(r)) {
		L->records++;
		if ((status = send_record(&J[j], rec)) != 0)
			goto done;
		if ((batch += rec->raw_len + 1) >= JOB_BATCH) {
			batch = 0;
			j = (j + 1) % n;
		}
		progress_update(pg, L->records, csvr_bytes(r));
	}
	if (csvr_error(r)) {
		log_error("standard input: %s", csvr_error(r));
		status = EXIT_OPER;
		goto done;
	}
	for (j = 0; j < n; j++)
		if ((status = segment_end(&J[j])) != 0)
			goto done;
	for (j = 0; j < n; j++) {
		if ((status = pgconn_command(J[j].conn, "commit", "cannot commit a share of the load: ")) != 0)
			goto done;
		L->rows += J[j].rows;
	}
	L->binary = true; /* for the summary: did every share stay binary? */
	for (j = 0; j < n; j++)
		L->binary = L->binary && J[j].binary;
	status = staging_attach(L);
done:
	for (j = 0; j < n; j++) {
		if (J[j].conn) {
			segment_abort(&J[j], "pgload: load abandoned");
			PQfinish(J[j].conn); /* what it did not commit is rolled back */
		}
		free(J[j].anchors);
		cbuf_free(&J[j].out);
	}
	free(J);
	return status;
}

/* Does the header name this column of the table? (The header's names
 * point into the table's columns.) */
static bool header_has(const struct load *L, const char *name)
{
	for (size_t i = 0; i < L->ncols; i++)
		if (L->names[i] == name)
			return true;
	return false;
}

/* Matches the header against the table's columns and makes the COPY
 * column lists. Returns 0, or 1 after saying what does not fit. */
static int header_check(struct load *L, const struct csv_record *h)
{
	const struct target *t = L->t;
	L->ncols = h->nfields;
	L->types = xrealloc(NULL, h->nfields * sizeof *L->types);
	L->names = xrealloc(NULL, h->nfields * sizeof *L->names);
	L->binary_ok = true;
	for (size_t i = 0; i < h->nfields; i++) {
		const struct csv_field *f = &h->fields[i];
		if (f->len == 0) {
			log_error("line 1: the header's field %zu is empty", i + 1);
			return EXIT_DATA;
		}
		if (strlen(f->data) != f->len) {
			log_error("line 1: the header's field %zu holds a NUL byte", i + 1);
			return EXIT_DATA;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(h->fields[j].data, f->data) == 0) {
				log_error("line 1: column \"%s\" appears twice in the header", f->data);
				return EXIT_DATA;
			}
		const struct column *c = NULL;
		for (size_t j = 0; j < t->ncols && !c; j++)
			if (strcmp(t->cols[j].name, f->data) == 0)
				c = &t->cols[j];
		if (!c) {
			log_error("line 1: table %s has no column \"%s\"", t->display, f->data);
			return EXIT_DATA;
		}
		L->names[i] = c->name;
		L->types[i] = copybin_type(c->typid);
		if (L->types[i] == CB_NONE) {
			if (L->binary_ok && L->o->binary)
				log_debug("column %s has type %s, which has no binary encoder here: "
					  "loading as CSV", c->name, c->type);
			L->binary_ok = false;
		}
	}
	/* Quoted by the server's rules, through PQescapeIdentifier. */
	struct cbuf list = { 0 };
	for (size_t i = 0; i < L->ncols; i++) {
		if (i)
			sql_add(&list, ", ");
		if (!sql_add_ident(&list, L->conn, L->names[i]))
			goto oper;
	}
	cbuf_add(&list, "", 1);
	L->collist = xrealloc(NULL, list.len);
	memcpy(L->collist, list.data, list.len);
	list.len--; /* back over the NUL */
	for (size_t j = 0; j < t->ncols && L->binary_ok && L->o->binary; j++) {
		const struct column *c = &t->cols[j];
		if (!c->fill || header_has(L, c->name))
			continue;
		log_debug("column %s: the load id goes with every binary row, its default is not "
			  "evaluated", c->name);
		sql_add(&list, ", ");
		if (!sql_add_ident(&list, L->conn, c->name))
			goto oper;
		L->nfill++;
	}
	cbuf_add(&list, "", 1);
	L->bin_collist = list.data; /* the buffer is handed over */
	return EXIT_OK;
oper:
	cbuf_free(&list);
	return EXIT_OPER;
}

/* Opens the load's transaction with its audit row. Sets *skipped when a
 * load of the same key committed meanwhile (the insert waited for it). */
static int load_begin(struct load *L, bool *skipped)
{
	/* --create may have begun it already. */
	int status = PQtransactionStatus(L->conn) == PQTRANS_INTRANS
			     ? EXIT_OK
			     : pgconn_command(L->conn, "begin", "cannot begin the load: ");
	if (status)
		return status;
	const char *params[3] = { L->t->display, L->o->source, L->o->key };
	PGresult *res = pgconn_query(L->conn,
			      "insert into raw._loads (target_table, source, idempotency_key, status) "
			      "values ($1, $2, $3, 'running') "
			      "on conflict (target_table, idempotency_key) "
			      "where idempotency_key is not null and status <> 'failed' do nothing "
			      "returning load_id, started_at",
			      3, params, PGRES_TUPLES_OK, "cannot record the load in raw._loads: ",
			      &status);
	if (!res)
		return status;
	*skipped = PQntuples(res) == 0;
	if (!*skipped) {
		snprintf(L->load_id, sizeof L->load_id, "%s", PQgetvalue(res, 0, 0));
		snprintf(L->started_at, sizeof L->started_at, "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	if (*skipped)
		return pgconn_command(L->conn, "rollback", "");
	/* The load id reaches each row through the column default
	 * nullif(current_setting('elt.load_id', true), '')::bigint, or, in
	 * binary COPY, as the value of that column. */
	for (size_t i = 0; i < L->nfill; i++)
		if (!copybin_value(&L->fill, CB_INT8, L->load_id, strlen(L->load_id), false))
			die(EXIT_OPER, "load id %s is not a bigint", L->load_id);
	params[0] = L->load_id;
	res = pgconn_query(L->conn, "select set_config('elt.load_id', $1, true)", 1, params,
		    PGRES_TUPLES_OK, "cannot set elt.load_id: ", &status);
	PQclear(res);
	return status;
}

static int load_commit(struct load *L, uint64_t bytes)
{
	char rows[24], nbytes[24];
	snprintf(rows, sizeof rows, "%" PRIu64, L->rows);
	snprintf(nbytes, sizeof nbytes, "%" PRIu64, bytes);
	const char *params[3] = { L->load_id, rows, nbytes };
	int status = EXIT_OK;
	PGresult *res = pgconn_query(L->conn,
			      "update raw._loads set status = 'committed', rows = $2, bytes = $3, "
			      "finished_at = clock_timestamp() where load_id = $1",
			      3, params, PGRES_COMMAND_OK, "cannot record the load in raw._loads: ",
			      &status);
	if (!res)
		return status;
	PQclear(res);
	res = PQexec(L->conn, "commit");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		if (PQstatus(L->conn) != CONNECTION_OK) {
			/* The commit may have reached the server before the
			 * connection went: only the audit table can tell. */
			log_conn_error("connection lost during commit: ", L->conn);
			log_error("load %s may or may not have committed: see raw._loads", L->load_id);
			PQclear(res);
			return EXIT_OPER;
		}
		pgconn_report(L->conn, res, "commit failed: ");
		status = pgconn_exit_status(L->conn, res);
	}
	PQclear(res);
	return status;
}

/* After a failure: rolls back, then records the failure in the audit
 * table under the same load id, in a transaction of its own. Best effort:
 * with the connection gone there is nobody to tell. */
static void load_rollback(struct load *L, uint64_t bytes, const char *why)
{
	if (PQstatus(L->conn) != CONNECTION_OK)
		return;
	PQclear(PQexec(L->conn, "rollback"));
	if (L->staging_made) {
		const char *args[1] = { L->staging };
		exec_formatted(L->conn, "drop table if exists %s", 1, args, "cannot drop the staging table: ");
	}
	if (!L->load_id[0])
		return;
	char nbytes[24];
	snprintf(nbytes, sizeof nbytes, "%" PRIu64, bytes);
	const char *params[7] = { L->load_id, L->t->display, L->o->source, L->o->key,
				  L->started_at, why, nbytes };
	int status = EXIT_OK;
	PGresult *res = pgconn_query(L->conn,
			      "insert into raw._loads (load_id, target_table, source, idempotency_key, "
			      "started_at, finished_at, status, message, bytes) "
			      "values ($1, $2, $3, $4, $5, clock_timestamp(), 'failed', $6, $7)",
			      7, params, PGRES_COMMAND_OK, "cannot record the failed load in raw._loads: ",
			      &status);
	PQclear(res);
}

static void load_free(struct load *L)
{
	free(L->types);
	free(L->names);
	free(L->collist);
	free(L->bin_collist);
	cbuf_free(&L->fill);
	free(L->anchors);
	cbuf_free(&L->out);
	free(L->staging);
	free(L->part_key);
}

/* With --sealed, after the input's end: did its producer finish, and
 * does its count match what arrived? */
static int seal_verdict(const struct seal_in *seal, uint64_t records)
{
	char err[256];
	uint64_t rows;
	if (!seal_check(seal, &rows, err, sizeof err)) {
		log_error("standard input: %s", err);
		return EXIT_OPER;
	}
	if (rows != records) {
		log_error("standard input: the seal counts %" PRIu64 " rows, %" PRIu64 " arrived: "
			  "the stream was changed on the way", rows, records);
		return EXIT_OPER;
	}
	return EXIT_OK;
}

static const char *exit_reason(int status)
{
	return status == EXIT_DATA ? "the server rejected the data" : "operational failure";
}

/* The whole load once connected. Returns the exit status. */
static int run(PGconn *conn, const struct opts *o, struct target *t)
{
	int status = audit_ensure(conn);
	if (status)
		return status;
	status = target_resolve(conn, t);
	if (status == -1 && o->create) {
		if ((status = create_table(conn, t, &o->schema)) == 0) {
			log_info("creating table %s from %s", o->table, o->schema_path);
			free(t->sql);
			t->sql = NULL;
			status = target_resolve(conn, t);
		}
		if (status) {
			PQclear(PQexec(conn, "rollback"));
			return status == -1 ? EXIT_OPER : status;
		}
	}
	if (status == -1) {
		log_error("table %s does not exist%s", o->table,
			  o->create ? "" : " (--create --schema FILE makes it)");
		return EXIT_OPER;
	}
	if (status)
		return status;
	if (o->key) {
		char id[24];
		bool seen;
		if ((status = audit_seen(conn, t->display, o->key, id, sizeof id, &seen)) != 0)
			return status;
		if (seen) {
			log_info("skipped: key \"%s\" was already loaded into %s by load %s", o->key,
				 t->display, id);
			drain_stdin();
			return EXIT_OK;
		}
	}

	struct load L = { .conn = conn, .o = o, .t = t };
	struct csvr *r = csvr_open(STDIN_FILENO, "stdin", o->delim);
	csvr_split_plain_lines(r);
	struct seal_in seal = { 0 };
	if (o->sealed)
		csvr_hold_seal(r, &seal);
	struct progress pg;
	progress_init(&pg);
	const struct csv_record *h = csvr_next(r);
	const struct csv_record *first = NULL;
	if (!h) {
		if (csvr_error(r))
			log_error("standard input: %s", csvr_error(r));
		else
			log_error("the input is empty: a header line naming the columns is needed");
		status = EXIT_OPER;
		goto out;
	}
	if (h->kind != CSVR_ROW) {
		log_error("line 1: %s", h->kind == CSVR_BLANK ? "the header line is empty" : h->error);
		status = EXIT_OPER;
		goto out;
	}
	if ((status = header_check(&L, h)) != 0)
		goto out;
	/* One record ahead, so that a header-only input is known before the
	 * transaction starts. */
	first = csvr_next(r);
	if (!first && csvr_error(r)) {
		log_error("standard input: %s", csvr_error(r));
		status = EXIT_OPER;
		goto out;
	}
	if (!first)
		log_info("the input holds a header and no rows");

	bool jobs = false;
	if (o->jobs > 1 && first) {
		if (PQtransactionStatus(conn) == PQTRANS_INTRANS) {
			log_info("--jobs: %s is new in this load's transaction; loading over one connection",
				 t->display);
		} else if ((status = jobs_possible(conn, t, &L.part_key)) != 0) {
			goto out;
		} else if (L.part_key) {
			jobs = true;
			staging_cleanup(conn, t);
		}
	}
	bool skipped = false;
	const char *why = NULL; /* for the audit row, when not exit_reason()'s */
	if ((status = load_begin(&L, &skipped)) != 0)
		goto failed;
	if (skipped) {
		log_info("skipped: key \"%s\" was loaded into %s by a load that ran at the same time",
			 o->key, t->display);
		drain_stdin();
		goto out;
	}
	log_debug("load %s into %s", L.load_id, t->display);
	if (first && (status = jobs ? load_rows_jobs(&L, r, first, &pg) : load_rows(&L, r, first, &pg)) != 0)
		goto failed;
	progress_end(&pg);
	if (o->sealed && (status = seal_verdict(&seal, L.records)) != 0) {
		why = "the input was not sealed as its producer would have sealed it";
		goto failed;
	}
	if ((status = load_commit(&L, csvr_bytes(r))) != 0)
		goto failed;
	double secs = clock_seconds() - pg.start;
	char over[48] = "";
	if (L.connections > 1)
		snprintf(over, sizeof over, " over %u connections", L.connections);
	log_info("loaded %" PRIu64 " rows into %s in %.2f s (%.0f rows/s, %s%s), load %s", L.rows,
		 t->display, secs, secs > 0 ? (double)L.rows / secs : 0.0,
		 !first ? "no COPY" : L.binary ? "binary COPY"
		 : L.binary_ok && o->binary ? "binary COPY, then CSV" : "CSV COPY",
		 over, L.load_id);
	goto out;
failed:
	progress_end(&pg);
	segment_abort(&L, "pgload: load abandoned");
	load_rollback(&L, csvr_bytes(r), why ? why : exit_reason(status));
	if (L.load_id[0])
		log_error("nothing was loaded into %s: load %s was rolled back", t->display, L.load_id);
	else
		log_error("nothing was loaded into %s", t->display);
out:
	/* A header that does not fit, after --create: the new table goes. */
	if (PQtransactionStatus(conn) == PQTRANS_INTRANS)
		PQclear(PQexec(conn, "rollback"));
	csvr_close(r);
	load_free(&L);
	return status;
}

int main(int argc, char **argv)
{
	log_init("pgload");
	struct opts o = { .table = "raw.sales", .source = "stdin", .delim = ',', .binary = true, .jobs = 1,
			 .lock_timeout_ms = -1 };
	static const struct option longopts[] = {
		{ "dbname", required_argument, NULL, 'd' },
		{ "table", required_argument, NULL, 'T' },
		{ "key", required_argument, NULL, 'k' },
		{ "source", required_argument, NULL, 'S' },
		{ "create", no_argument, NULL, 'C' },
		{ "schema", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "sealed", no_argument, NULL, 'z' },
		{ "lock-timeout", required_argument, NULL, 'L' },
		{ "tsv", no_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, ":d:T:k:s:f:j:tqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.dbname = pgconn_take_dbname(optarg); break;
		case 'T': o.table = optarg; break;
		case 'k': o.key = optarg; break;
		case 'S': o.source = optarg; break;
		case 'C': o.create = true; break;
		case 's': o.schema_path = optarg; break;
		case 'f':
			if (strcmp(optarg, "binary") == 0) {
				o.binary = true;
			} else if (strcmp(optarg, "csv") == 0) {
				o.binary = false;
			} else {
				log_error("--format: \"%s\" is neither binary nor csv", optarg);
				usage(stderr);
				return EXIT_USAGE;
			}
			break;
		case 'j': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (!*optarg || *end || n < 1 || n > 64) {
				log_error("--jobs: \"%s\" is not a number of connections from 1 to 64", optarg);
				usage(stderr);
				return EXIT_USAGE;
			}
			o.jobs = (unsigned)n;
			break;
		}
		case 'z': o.sealed = true; break;
		case 'L':
			if (!parse_duration(optarg, &o.lock_timeout_ms)) {
				log_error("--lock-timeout: \"%s\" is not a duration such as 500ms, 10s or 2min",
					  optarg);
				usage(stderr);
				return EXIT_USAGE;
			}
			break;
		case 't': o.delim = '\t'; break;
		case 'q': log_level = LOG_QUIET; break;
		case 'v': log_level = LOG_VERBOSE; break;
		case 'h': help(); return EXIT_OK;
		case 'V': puts("pgload " ELT_VERSION); return EXIT_OK;
		default:
			args_bad_option(c, argv);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument \"%s\": the data comes on standard input", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o.key && !*o.key) {
		log_error("--key: the key is empty");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o.create != (o.schema_path != NULL)) {
		log_error(o.create ? "--create needs --schema FILE" : "--schema is used with --create only");
		usage(stderr);
		return EXIT_USAGE;
	}
	struct target t = { 0 };
	if (!split_table(o.table, &t.schema, &t.name)) {
		log_error("--table: \"%s\" is not [SCHEMA.]TABLE", o.table);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o.create) {
		char err[512];
		if (ts_load(&o.schema, o.schema_path, err, sizeof err) != 0) {
			log_error("%s", err);
			ts_free(&o.schema); /* what was loaded before the error */
			target_free(&t);
			return EXIT_OPER;
		}
	}
	PGconn *conn = connect_db(o.dbname);
	int status = conn ? run(conn, &o, &t) : EXIT_OPER;
	PQfinish(conn);
	target_free(&t);
	if (o.create)
		ts_free(&o.schema);
	return status;
}
