/* SPDX-License-Identifier: MIT
 * libpq connection and error reporting; see pgconn.h. */
#include "pgconn.h"

#include <string.h>

#include "log.h"

/* libpq ends its messages with a newline; our log lines add their own. */
static void log_trimmed(const char *prefix, const char *msg)
{
	size_t len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	log_error("%s%.*s", prefix, (int)len, msg);
}

PGconn *pgconn_open(const char *dbname)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { dbname, log_prog, NULL };
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (!conn) {
		log_error("cannot connect to the database: out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		log_trimmed("cannot connect to the database: ", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

void pgconn_report(const PGresult *res, const char *what)
{
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (!msg) {
		log_trimmed(what ? what : "", PQresultErrorMessage(res));
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
			log_trimmed("", PQerrorMessage(conn));
	}
	PQclear(res);
	return ok ? 0 : -1;
}

char *pgconn_ident(PGconn *conn, const char *name)
{
	char *q = PQescapeIdentifier(conn, name, strlen(name));
	if (!q)
		log_trimmed("cannot quote identifier: ", PQerrorMessage(conn));
	return q;
}
