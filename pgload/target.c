/* SPDX-License-Identifier: MIT
 * pgload's target and audit tables: which table --table means and what
 * columns it has, raw._loads (created when missing, a row per load:
 * running, then committed or failed), --create from a Table Schema, and
 * taking the target's lock, aloud when it has to wait. See pgload.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "copybin.h"
#include "exitcode.h"
#include "log.h"
#include "pgconn.h"
#include "pgload.h"
#include "tableschema.h"
#include "xalloc.h"

/* The key of the advisory lock that serialises creating the audit table. */
#define AUDIT_DDL_LOCK 0x70676c6f6164LL /* "pgload" */

/* ---- the target table ---- */

/* Splits [SCHEMA.]TABLE at the first dot outside double quotes. A part in
 * double quotes may hold dots, and "" stands for one quote; any other part
 * is taken literally, case and all. Returns false on an empty part. */
bool split_table(const char *s, char **schema, char **name)
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

void target_free(struct target *t)
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

/* An identifier quoted by the server's rules, or NULL after saying why. */
char *quote_ident(PGconn *conn, const char *s)
{
	char *q = pgconn_quote_ident(conn, NULL, s);
	if (!q)
		log_conn_error("cannot quote identifier: ", conn);
	return q;
}

/* Quotes the name and asks the server which table it means and what
 * columns it has. Returns 0, or an exit status after reporting. */
int target_resolve(PGconn *conn, struct target *t)
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
		t->cols[i].name = xstrdup(PQgetvalue(res, (int)i, 0));
		t->cols[i].typid = (uint32_t)strtoul(PQgetvalue(res, (int)i, 1), NULL, 10);
		t->cols[i].type = xstrdup(PQgetvalue(res, (int)i, 2));
		t->cols[i].fill = *PQgetvalue(res, (int)i, 3) == 't';
		t->cols[i].now = *PQgetvalue(res, (int)i, 4) == 't';
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
int audit_ensure(PGconn *conn)
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
int audit_seen(PGconn *conn, const char *table, const char *key, char *load_id, size_t n,
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
	case TS_LIST: /* items as written, delimiter and all: no SQL array form */
	case TS_ANY: return "text";
	}
	return "text";
}

void sql_add(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

bool sql_add_ident(struct buf *b, PGconn *conn, const char *name)
{
	char *q = quote_ident(conn, name);
	if (!q)
		return false;
	sql_add(b, q);
	free(q);
	return true;
}

/* Creates the table from the schema inside the load's transaction, which
 * is begun here: if the load fails, the table goes too. A transaction-level
 * advisory lock on the name makes two first loads that race create it
 * once; the second then loads into it. Besides the schema's fields the
 * table gets raw.sales' two load columns, filled by their defaults. */
int create_table(PGconn *conn, const struct target *t, const struct ts_schema *ts)
{
	struct buf b = { 0 };
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
	buf_add(&b, "", 1);
	log_debug("%s", b.data);

	int status = pgconn_command(conn, "begin", "cannot begin the load: ");
	if (status) {
		buf_free(&b);
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
	buf_free(&b);
	return status;
oper:
	buf_free(&b);
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

/* The modes pgload takes on a target; see struct lock_mode. */
const struct lock_mode LOCK_ACCESS_SHARE = { "access share", "AccessShareLock", "{AccessExclusiveLock}" };
const struct lock_mode LOCK_ROW_EXCLUSIVE = {
	"row exclusive", "RowExclusiveLock",
	"{ShareLock,ShareRowExclusiveLock,ExclusiveLock,AccessExclusiveLock}"
};
const struct lock_mode LOCK_SHARE_UPDATE_EXCLUSIVE = {
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
int lock_target(PGconn *conn, const struct target *t, const struct lock_mode *m, long long timeout_ms)
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

/* ---- the load's audit row ---- */

/* Opens the load's transaction with its audit row. Sets *skipped when a
 * load of the same key committed meanwhile (the insert waited for it). */
int load_begin(struct load *L, bool *skipped)
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

int load_commit(struct load *L, uint64_t bytes)
{
	char rows[24], nbytes[24];
	snprintf(rows, sizeof rows, "%" PRIu64, L->rows);
	snprintf(nbytes, sizeof nbytes, "%" PRIu64, bytes);
	const char *params[3] = { L->load_id, rows, nbytes };
	int status = EXIT_OK;
	PGresult *res = pgconn_query(L->conn,
			      "update raw._loads set status = 'committed', rows = $2, bytes = $3, "
			      "finished_at = statement_timestamp() where load_id = $1",
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
void load_rollback(struct load *L, uint64_t bytes, const char *why)
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
			      "values ($1, $2, $3, $4, $5, statement_timestamp(), 'failed', $6, $7)",
			      7, params, PGRES_COMMAND_OK, "cannot record the failed load in raw._loads: ",
			      &status);
	PQclear(res);
}

