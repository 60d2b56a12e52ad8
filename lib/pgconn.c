/* SPDX-License-Identifier: MIT
 * libpq connection and error reporting; see pgconn.h. */
#include "pgconn.h"

#include <stdlib.h>
#include <string.h>

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
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (!conn) {
		log_error("cannot connect to the database: out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		char *msg = pgconn_one_line(PQerrorMessage(conn));
		mask_passwords(&msg, dbname);
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

void pgconn_report(const PGresult *res, const char *what)
{
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (!msg) {
		log_one_line(what ? what : "", PQresultErrorMessage(res));
		return;
	}
	log_error("%s%s", what ? what : "", msg);
	static const struct { int code; const char *label; } extra[] = {
		{ PG_DIAG_MESSAGE_DETAIL, "DETAIL" },
		{ PG_DIAG_MESSAGE_HINT, "HINT" },
		{ PG_DIAG_CONTEXT, "CONTEXT" },
	};
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		const char *v = PQresultErrorField(res, extra[i].code);
		if (v)
			log_error("%s: %s", extra[i].label, v);
	}
}

int pgconn_exec(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok) {
		if (res)
			pgconn_report(res, "");
		else
			log_one_line("", PQerrorMessage(conn));
	}
	PQclear(res);
	return ok ? 0 : -1;
}

char *pgconn_ident(PGconn *conn, const char *name)
{
	char *q = PQescapeIdentifier(conn, name, strlen(name));
	if (!q)
		log_one_line("cannot quote identifier: ", PQerrorMessage(conn));
	return q;
}
