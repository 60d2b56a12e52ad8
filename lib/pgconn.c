/* SPDX-License-Identifier: MIT
 * libpq connection and error reporting; see pgconn.h. */
#include "pgconn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"
#include "xalloc.h"

char *pgconn_one_line(const char *msg)
{
	size_t n = strlen(msg);
	char *out = xrealloc(NULL, 2 * n + 1), *o = out;
	for (const char *p = msg; *p; p++) {
		if (*p != '\n' && *p != '\r') {
			*o++ = *p;
			continue;
		}
		while (p[1] == '\n' || p[1] == '\r' || p[1] == '\t' || p[1] == ' ')
			p++;
		if (!p[1])
			break;
		while (o > out && o[-1] == ' ')
			o--;
		if (o > out && !strchr(".:;?!", o[-1]))
			*o++ = '.';
		*o++ = ' ';
	}
	while (o > out && (o[-1] == ' ' || o[-1] == '\t'))
		o--;
	*o = '\0';
	return out;
}

static void log_one_line(const char *prefix, const char *msg)
{
	char *m = pgconn_one_line(msg);
	log_error("%s%s", prefix, m);
	free(m);
}

/* Replaces every occurrence of secret[0..len) in *msg with "*****". */
static void mask(char **msg, const char *secret, size_t len)
{
	if (!len)
		return;
	char *s = xasprintf("%.*s", (int)len, secret), *hit;
	while ((hit = strstr(*msg, s))) {
		char *m = xasprintf("%.*s*****%s", (int)(hit - *msg), *msg, hit + len);
		free(*msg);
		*msg = m;
	}
	free(s);
}

/* A connection string may hold passwords: as the userinfo of a URI
 * (postgresql://user:secret@host) or as a password=secret setting, in a
 * URI's query or in key=value form. Calls found(ctx, start, len) for each,
 * start pointing into conninfo. */
static void find_passwords(const char *conninfo, void (*found)(void *ctx, const char *start, size_t len), void *ctx)
{
	const char *rest = NULL;
	if (!strncmp(conninfo, "postgresql://", 13))
		rest = conninfo + 13;
	else if (!strncmp(conninfo, "postgres://", 11))
		rest = conninfo + 11;
	if (rest) { /* libpq reads userinfo up to an '@' that comes before any '/' */
		size_t auth = strcspn(rest, "@/");
		const char *colon = memchr(rest, ':', auth);
		if (rest[auth] == '@' && colon)
			found(ctx, colon + 1, (size_t)(rest + auth - colon - 1));
	}
	for (const char *p = conninfo; (p = strstr(p, "password")); p += 8) {
		const char *v = p + 8;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v++ != '=')
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t len;
		if (*v == '\'') { /* quoted, with \' and \\ escapes */
			v++;
			for (len = 0; v[len] && v[len] != '\''; len++)
				if (v[len] == '\\' && v[len + 1])
					len++;
		} else {
			len = strcspn(v, " \t\n&");
		}
		found(ctx, v, len);
	}
}

static void mask_found(void *msg, const char *start, size_t len)
{
	mask(msg, start, len);
}

/* libpq quotes a malformed connection string in its error message: every
 * password in it is masked in msg. */
static void mask_passwords(char **msg, const char *conninfo)
{
	if (conninfo)
		find_passwords(conninfo, mask_found, msg);
}

static void blank_found(void *ctx, const char *start, size_t len)
{
	(void)ctx;
	memset((char *)start, '*', len);
}

const char *pgconn_take_dbname(char *arg)
{
	static char *copy; /* kept until exit, like the argument it replaces */
	free(copy);
	copy = xstrdup(arg);
	find_passwords(arg, blank_found, NULL);
	return copy;
}

/* Connects with keys/vals (NULL-terminated) and reports a failure; any
 * password in dbname (the user's conninfo) or in secret is masked in
 * libpq's message. */
static PGconn *connect_with(const char *const *keys, const char *const *vals, int expand, const char *dbname,
			    const char *secret)
{
	PGconn *conn = PQconnectdbParams(keys, vals, expand);
	if (!conn) {
		log_error("cannot connect to the database: out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		char *msg = pgconn_one_line(PQerrorMessage(conn));
		mask_passwords(&msg, dbname);
		if (secret)
			mask(&msg, secret, strlen(secret));
		/* Where it tried, when libpq got as far as knowing that. */
		const char *host = PQhost(conn), *port = PQport(conn);
		if (host && *host)
			log_error("cannot connect to the database (host %s, port %s): %s", host,
				  port && *port ? port : "default", msg);
		else
			log_error("cannot connect to the database: %s", msg);
		free(msg);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

PGconn *pgconn_open(const char *dbname)
{
	/* libpq waits for ever by default; a pipeline should not. A value
	 * from PGCONNECT_TIMEOUT or the conninfo string wins over this one. */
	const char *keys[4], *vals[4];
	size_t n = 0;
	if (!getenv("PGCONNECT_TIMEOUT")) {
		keys[n] = "connect_timeout";
		vals[n++] = "10";
	}
	keys[n] = "dbname";
	vals[n++] = dbname;
	keys[n] = "fallback_application_name";
	vals[n++] = log_prog;
	keys[n] = NULL;
	vals[n] = NULL;
	return connect_with(keys, vals, 1, dbname, NULL);
}

PGconn *pgconn_open_params(const char *const *keys, const char *const *vals, const char *dbname)
{
	size_t nk = 0;
	while (keys[nk])
		nk++;
	/* the user's -d, parsed here: libpq expands only the first dbname of
	 * the arrays, and the profile's keys must come before it */
	PQconninfoOption *opts = NULL;
	size_t nd = 0;
	if (dbname && (strchr(dbname, '=') || !strncmp(dbname, "postgresql://", 13) ||
		       !strncmp(dbname, "postgres://", 11))) {
		char *perr = NULL;
		opts = PQconninfoParse(dbname, &perr);
		if (!opts) {
			char *msg = pgconn_one_line(perr ? perr : "out of memory");
			mask_passwords(&msg, dbname);
			log_error("cannot connect to the database: %s", msg);
			free(msg);
			PQfreemem(perr);
			return NULL;
		}
		for (PQconninfoOption *o = opts; o->keyword; o++)
			nd += o->val != NULL;
	} else if (dbname) {
		nd = 1;
	}
	const char **k = xcalloc(nk + nd + 3, sizeof *k), **v = xcalloc(nk + nd + 3, sizeof *v);
	const char *secret = NULL;
	size_t n = 0;
	if (!getenv("PGCONNECT_TIMEOUT")) { /* the profile's or -d's wins */
		k[n] = "connect_timeout";
		v[n++] = "10";
	}
	for (size_t i = 0; i < nk; i++) {
		k[n] = keys[i];
		v[n++] = vals[i];
		if (!strcmp(keys[i], "password"))
			secret = vals[i];
	}
	if (opts) {
		for (PQconninfoOption *o = opts; o->keyword; o++)
			if (o->val) {
				k[n] = o->keyword;
				v[n++] = o->val;
			}
	} else if (dbname) {
		k[n] = "dbname";
		v[n++] = dbname;
	}
	k[n] = "fallback_application_name";
	v[n++] = log_prog;
	PGconn *conn = connect_with(k, v, 0, dbname, secret && *secret ? secret : NULL);
	free(k);
	free(v);
	if (opts)
		PQconninfoFree(opts);
	return conn;
}

/* pgconn_report(), with the CONTEXT line or without. */
static void report(PGconn *conn, const PGresult *res, const char *what, bool context)
{
	if (!what)
		what = "";
	if (PQstatus(conn) != CONNECTION_OK) {
		log_one_line("connection to the server was lost: ", PQerrorMessage(conn));
		return;
	}
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg) {
		log_one_line(what, res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : PQerrorMessage(conn));
		return;
	}
	log_error("%s%s", what, msg);
	static const struct { int code; const char *label; } extra[] = {
		{ PG_DIAG_MESSAGE_DETAIL, "DETAIL" },
		{ PG_DIAG_MESSAGE_HINT, "HINT" },
		{ PG_DIAG_CONTEXT, "CONTEXT" },
	};
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		const char *v = PQresultErrorField(res, extra[i].code);
		if (v && (context || extra[i].code != PG_DIAG_CONTEXT))
			log_error("%s: %s", extra[i].label, v);
	}
}

void pgconn_report(PGconn *conn, const PGresult *res, const char *what)
{
	report(conn, res, what, true);
}

void pgconn_report_at(PGconn *conn, const PGresult *res, const char *where)
{
	report(conn, res, where, false);
}

char *pgconn_error_line(PGconn *conn, const PGresult *res)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!primary) {
		/* libpq's own message runs over lines ("server closed the
		 * connection unexpectedly\n\tThis probably means ..."): the
		 * first says what happened. */
		bool lost = PQstatus(conn) == CONNECTION_BAD;
		const char *msg = !lost && res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : PQerrorMessage(conn);
		int len = (int)strcspn(msg, "\n");
		while (len && msg[len - 1] == ' ')
			len--;
		return lost ? xasprintf("lost the connection to the server (%.*s)", len, msg) : xasprintf("%.*s", len, msg);
	}
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	char *line = xasprintf("%s%s%s%s%s%s%s", primary, detail ? " (DETAIL: " : "", detail ? detail : "",
			       detail ? ")" : "", hint ? " (HINT: " : "", hint ? hint : "", hint ? ")" : "");
	char *one = pgconn_one_line(line); /* a DETAIL may span lines */
	free(line);
	return one;
}

int pgconn_exit_status(PGconn *conn, const PGresult *res)
{
	if (PQstatus(conn) != CONNECTION_OK)
		return EXIT_OPER;
	const char *state = pgconn_sqlstate(res);
	if (!strncmp(state, "22", 2) || !strncmp(state, "23", 2) || !strncmp(state, "P0", 2))
		return EXIT_DATA;
	return EXIT_OPER;
}

const char *pgconn_sqlstate(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return state ? state : "";
}

PGresult *pgconn_query(PGconn *conn, const char *sql, int n, const char *const *params, ExecStatusType want,
		       const char *what, int *status)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == want)
		return res;
	pgconn_report(conn, res, what);
	*status = pgconn_exit_status(conn, res);
	PQclear(res);
	return NULL;
}

int pgconn_command(PGconn *conn, const char *sql, const char *what)
{
	PGresult *res = PQexec(conn, sql);
	int status = EXIT_OK;
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pgconn_report(conn, res, what);
		status = pgconn_exit_status(conn, res);
	}
	PQclear(res);
	return status;
}

bool pgconn_copy_position(const PGresult *res, uint64_t *line, char *column, size_t colsize)
{
	const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	const char *copy = NULL;
	for (const char *p = ctx; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, "COPY ", 5))
			copy = p;
	const char *at = copy ? strstr(copy, ", line ") : NULL;
	if (!at || colsize == 0)
		return false;
	char *end;
	*line = strtoull(at + 7, &end, 10);
	column[0] = '\0';
	if (!strncmp(end, ", column ", 9)) {
		const char *col = end + 9;
		size_t clen = strcspn(col, "\n");
		const char *colon = strstr(col, ": \"");
		if (colon && (size_t)(colon - col) < clen)
			clen = (size_t)(colon - col);
		snprintf(column, colsize, "%.*s", (int)clen, col);
	}
	return true;
}

static void notice_warn(void *arg, const char *msg)
{
	(void)arg;
	char *m = pgconn_one_line(msg);
	log_warn("server: %s", m);
	free(m);
}

static void notice_debug(void *arg, const char *msg)
{
	(void)arg;
	if (log_level < LOG_VERBOSE)
		return;
	char *m = pgconn_one_line(msg);
	log_debug("server: %s", m);
	free(m);
}

void pgconn_log_notices(PGconn *conn, int level)
{
	PQsetNoticeProcessor(conn, level >= LOG_VERBOSE ? notice_debug : notice_warn, NULL);
}

/* One identifier quoted, appended to out; false when it cannot be. */
static bool add_quoted(PGconn *conn, char **out, const char *name)
{
	char *q = PQescapeIdentifier(conn, name, strlen(name));
	if (!q)
		return false;
	char *joined = *out ? xasprintf("%s.%s", *out, q) : xstrdup(q);
	PQfreemem(q);
	free(*out);
	*out = joined;
	return true;
}

char *pgconn_quote_ident(PGconn *conn, const char *schema, const char *name)
{
	char *out = NULL;
	if ((schema && !add_quoted(conn, &out, schema)) || !add_quoted(conn, &out, name)) {
		free(out);
		return NULL;
	}
	return out;
}

char *pgconn_quote_list(PGconn *conn, const char *const *names, size_t n)
{
	char *out = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *q = pgconn_quote_ident(conn, NULL, names[i]);
		if (!q) {
			free(out);
			return NULL;
		}
		char *joined = xasprintf("%s%s%s", out, i ? ", " : "", q);
		free(q);
		free(out);
		out = joined;
	}
	return out;
}

char *pgconn_quote_literal(PGconn *conn, const char *value)
{
	char *q = PQescapeLiteral(conn, value, strlen(value));
	if (!q)
		return NULL;
	char *out = xstrdup(q);
	PQfreemem(q);
	return out;
}
