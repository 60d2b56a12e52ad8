/* SPDX-License-Identifier: MIT
 * The render's statement() and run_query() answered on a libpq
 * connection, for the programs that render dbt templates while connected
 * (modelrun run and run-operation, dqcheck's generic tests written as
 * macros). Kept apart from dbtcontext.c so that the template engine
 * itself needs no libpq. */
#ifndef ELT_DBTQUERY_H
#define ELT_DBTQUERY_H

#include <libpq-fe.h>

#include "dbtproject.h"

/* The connection the queries run on, and the result they read until the
 * next query. Each query runs as it is, so outside a transaction it
 * commits on its own. Set conn, zero the rest; free with
 * dbt_pgquery_clear(). */
struct dbt_pgquery {
	PGconn *conn;
	PGresult *res;
	char **names;
	enum dbt_col_kind *kinds;
	const char **values;
};

/* A dbt_render_opts.query function, with a struct dbt_pgquery as ud:
 * runs sql, with its nparams parameters $1... as text, and fills *rows with its result (valid until the next call or
 * dbt_pgquery_clear()). Returns 0, or -1 with the server's message in
 * err. */
int dbt_pgquery_run(void *ud, const char *sql, size_t nparams, const char *const *params, struct dbt_rows *rows,
		    char *err, size_t errlen);

/* Frees the last result; conn stays open. */
void dbt_pgquery_clear(struct dbt_pgquery *q);

/* dbt_compile() with its statement() and run_query() on conn (NULL: none,
 * and they are errors, as in modelrun compile). */
int dbt_pgquery_compile(const struct dbt_project *p, PGconn *conn, size_t node, bool incremental, char **sql,
			char *err, size_t errlen);

#endif
