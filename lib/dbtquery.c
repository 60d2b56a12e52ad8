/* SPDX-License-Identifier: MIT
 * statement() and run_query() on a libpq connection; see dbtquery.h. */
#include "dbtquery.h"

#include <stdio.h>
#include <stdlib.h>

#include "pgconn.h"
#include "xalloc.h"

void dbt_pgquery_clear(struct dbt_pgquery *q)
{
	PQclear(q->res);
	free(q->names);
	free(q->kinds);
	free(q->values);
	q->res = NULL;
	q->names = NULL;
	q->kinds = NULL;
	q->values = NULL;
}

/* What a template sees of a column of type oid: numbers and booleans as
 * such, the rest as text. */
static enum dbt_col_kind col_kind(Oid type)
{
	switch (type) {
	case 20: case 21: case 23: case 26: case 700: case 701: case 1700: /* int8, int2, int4, oid, floats, numeric */
		return DBT_COL_NUMBER;
	case 16: /* bool */
		return DBT_COL_BOOL;
	default:
		return DBT_COL_TEXT;
	}
}

int dbt_pgquery_run(void *ud, const char *sql, size_t nparams, const char *const *params, struct dbt_rows *rows,
		    char *err, size_t errlen)
{
	struct dbt_pgquery *q = ud;
	dbt_pgquery_clear(q);
	q->res = nparams ? PQexecParams(q->conn, sql, (int)nparams, NULL, params, NULL, NULL, 0) : PQexec(q->conn, sql);
	ExecStatusType st = PQresultStatus(q->res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		char *msg = pgconn_error_line(q->conn, q->res);
		snprintf(err, errlen, "%s", msg);
		free(msg);
		return -1;
	}
	size_t nc = (size_t)PQnfields(q->res), nr = (size_t)PQntuples(q->res);
	q->names = xcalloc(nc + 1, sizeof *q->names);
	q->kinds = xcalloc(nc + 1, sizeof *q->kinds);
	q->values = xcalloc(nc * nr + 1, sizeof *q->values);
	for (size_t k = 0; k < nc; k++) {
		q->names[k] = PQfname(q->res, (int)k);
		q->kinds[k] = col_kind(PQftype(q->res, (int)k));
	}
	for (size_t i = 0; i < nr; i++)
		for (size_t k = 0; k < nc; k++)
			q->values[i * nc + k] =
				PQgetisnull(q->res, (int)i, (int)k) ? NULL : PQgetvalue(q->res, (int)i, (int)k);
	*rows = (struct dbt_rows){ nc, nr, (const char *const *)q->names, q->kinds, q->values };
	return 0;
}

int dbt_pgquery_compile(const struct dbt_project *p, PGconn *conn, size_t node, bool incremental, char **sql,
			char *err, size_t errlen)
{
	struct dbt_pgquery q = { .conn = conn };
	struct dbt_render_opts o = { .incremental = incremental, .query = conn ? dbt_pgquery_run : NULL,
				     .query_ud = &q };
	int rc = dbt_compile(p, node, &o, sql, err, errlen);
	dbt_pgquery_clear(&q);
	return rc;
}
