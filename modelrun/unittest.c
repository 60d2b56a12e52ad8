/* SPDX-License-Identifier: MIT
 * modelrun test: dbt 1.8 unit tests (`unit_tests:` in schema files, read by
 * lib/dbtunit.c), run as dbt-postgres runs them.
 *
 * For each test, in one transaction that is rolled back at the end (so a
 * test leaves nothing behind, not even what the model's run_query did):
 *   - each given input becomes a CTE named as dbt names it
 *     (__dbt__cte__<model>, __dbt__cte__<source>__<table>): its rows cast
 *     to the columns' types of the real input relation, which must exist
 *     (dbt reads them from the database too), every column of it present,
 *     those the test leaves out null; the sql format is used as written;
 *   - the model renders with every ref(), source() and `this` naming its
 *     CTE (a ref or source the test does not give is the test's error, as
 *     in dbt) and with the test's overrides (vars, env_vars, and macros
 *     modelrun answers itself, is_incremental among them);
 *   - the query's column types come from an empty temporary table made
 *     from it, the expected rows are cast to them, and one query returns
 *     both sets, tagged actual or expected, as dbt's does;
 *   - the two are compared as multisets of rows on the columns the
 *     expected rows name, each value as PostgreSQL prints it (dbt compares
 *     the values' text too: 5 and 5.00 differ), order aside, duplicates
 *     counting.
 * A test that cannot run is an ERROR with its reason, never left out. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dbtmacros.h"
#include "exitcode.h"
#include "log.h"
#include "dbtquery.h"
#include "modelrun.h"
#include "pgconn.h"
#include "select.h"
#include "xalloc.h"

/* One test's run: what the render's callbacks need and what it found. */
struct ut_run {
	const struct dbt_project *p;
	const struct dbt_unit_test *u;
	PGconn *conn;
	char **cte;             /* per given input: its CTE's name */
	struct node_result r;   /* message: why it failed or errored */
};

/* ---- selection ---- */

static bool is_unit_type(const char *crit, bool *match)
{
	const char *v = NULL;
	if (strncmp(crit, "test_type:", 10) == 0)
		v = crit + 10, *match = strcmp(v, "unit") == 0;
	else if (strncmp(crit, "resource_type:", 14) == 0 && strcmp(crit + 14, "unit_test") == 0)
		v = crit + 14, *match = true;
	return v != NULL;
}

/* The unit tests one criterion (no commas, no spaces) picks: test_type:,
 * a unit test's name, or any node selector, which picks the tests of the
 * models it selects (and for tag:, the tests of that tag). Returns 0, or
 * -1 with err. */
static int pick_criterion(const struct dbt_project *p, const char *crit, bool *out, char *err, size_t errlen)
{
	bool all;
	if (is_unit_type(crit, &all)) {
		for (size_t t = 0; t < p->nunit_tests; t++)
			out[t] = all;
		return 0;
	}
	bool named = false;
	for (size_t t = 0; t < p->nunit_tests; t++)
		named |= out[t] = strcmp(p->unit_tests[t].name, crit) == 0;
	if (named)
		return 0;
	bool *nodes = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *nodes);
	int rc = dbt_select(p, &crit, 1, NULL, 0, nodes, err, errlen);
	for (size_t t = 0; rc == 0 && t < p->nunit_tests; t++) {
		const struct dbt_unit_test *u = &p->unit_tests[t];
		out[t] = u->node >= 0 && nodes[u->node];
		/* tag:x also picks a test of that tag, as dbt's does */
		for (size_t k = 0; strncmp(crit, "tag:", 4) == 0 && k < u->ntags; k++)
			out[t] |= strcmp(u->tags[k], crit + 4) == 0;
	}
	free(nodes);
	return rc;
}

/* Adds (or, with exclude, takes away) what one selector argument picks:
 * terms separated by spaces (their union), each a comma-joined
 * intersection of criteria. */
static int pick_arg(const struct dbt_project *p, const char *arg, bool exclude, bool *chosen, char *err,
		    size_t errlen)
{
	size_t n = p->nunit_tests ? p->nunit_tests : 1;
	bool *term = xmalloc(n * sizeof *term), *one = xmalloc(n * sizeof *one);
	char *copy = xstrdup(arg), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, " ", &save); t && rc == 0; t = strtok_r(NULL, " ", &save)) {
		for (size_t i = 0; i < n; i++)
			term[i] = true;
		char *save2 = NULL;
		for (char *c = strtok_r(t, ",", &save2); c && rc == 0; c = strtok_r(NULL, ",", &save2)) {
			rc = pick_criterion(p, c, one, err, errlen);
			for (size_t i = 0; i < p->nunit_tests; i++)
				term[i] &= one[i];
		}
		for (size_t i = 0; rc == 0 && i < p->nunit_tests; i++)
			if (term[i])
				chosen[i] = !exclude;
	}
	free(copy);
	free(term);
	free(one);
	return rc;
}

static int select_tests(const struct dbt_project *p, const struct mr_unit_opts *o, bool *chosen, char *err,
			size_t errlen)
{
	for (size_t t = 0; t < p->nunit_tests; t++)
		chosen[t] = o->nselect == 0;
	for (size_t i = 0; i < o->nselect; i++)
		if (pick_arg(p, o->select[i], false, chosen, err, errlen))
			return -1;
	for (size_t i = 0; i < o->nexclude; i++)
		if (pick_arg(p, o->exclude[i], true, chosen, err, errlen))
			return -1;
	return 0;
}

/* ---- SQL of the fixtures ---- */

/* Where a given input lives and how dbt names it. */
static void input_relation(const struct dbt_project *p, const struct dbt_ut_fixture *f, const char **name,
			   const char **schema, const char **ident, const char **rel)
{
	if (f->kind == DBT_UT_SOURCE) {
		const struct dbt_source *s = &p->sources[f->target];
		*name = s->table_name, *schema = s->schema, *ident = s->identifier, *rel = s->relation;
	} else {
		const struct dbt_node *n = &p->nodes[f->target];
		*name = n->name, *schema = n->schema, *ident = n->identifier, *rel = n->relation;
	}
}

static char *cte_name(const struct dbt_project *p, const struct dbt_ut_fixture *f)
{
	if (f->kind == DBT_UT_SOURCE)
		return xasprintf("__dbt__cte__%s__%s", p->sources[f->target].source_name,
				 p->sources[f->target].table_name);
	return xasprintf("__dbt__cte__%s", p->nodes[f->target].name);
}

/* The column of cols (mr_columns()) named name, case aside, or -1. */
static int column_of(const PGresult *cols, const char *name)
{
	for (int i = 0; i < PQntuples(cols); i++)
		if (strcasecmp(PQgetvalue(cols, i, 0), name) == 0)
			return i;
	return -1;
}

/* dbt's message for a fixture column the relation lacks. */
static void bad_column(struct ut_run *x, const char *col, const char *what, const PGresult *cols)
{
	struct buf b = { 0 };
	for (int i = 0; i < PQntuples(cols); i++)
		buf_printf(&b, "%s'%s'", i ? ", " : "", PQgetvalue(cols, i, 0));
	mr_message(&x->r, "Invalid column name: '%s' in unit test fixture for %s. Accepted columns for %s are: [%s]",
		   col, what, what, buf_str(&b));
	buf_free(&b);
}

/* cast(value as type) for column i of cols, as dbt's format_row writes it:
 * a string quoted (and a varchar's length dropped, so nothing is cut). */
static int add_value(struct ut_run *x, struct buf *b, const struct dbt_ut_cell *c, const PGresult *cols, int i)
{
	char type[256];
	snprintf(type, sizeof type, "%s", mr_column_type(cols, i));
	char *q = NULL;
	if (c && c->value && !c->literal) {
		if (strstr(type, "varying"))
			type[strcspn(type, "(")] = '\0';
		q = pgconn_quote_literal(x->conn, c->value);
		if (!q) {
			mr_message(&x->r, "cannot quote a value: %s", PQerrorMessage(x->conn));
			return -1;
		}
	}
	buf_printf(b, "cast(%s as %s)", q ? q : c && c->value ? c->value : "null", type);
	free(q);
	return 0;
}

static int add_alias(struct ut_run *x, struct buf *b, const char *name)
{
	char *q = pgconn_quote_ident(x->conn, NULL, name);
	if (!q) {
		mr_message(&x->r, "cannot quote identifier: %s", PQerrorMessage(x->conn));
		return -1;
	}
	buf_printf(b, " as %s", q);
	free(q);
	return 0;
}

/* The rows of a given input as a query over every column of cols, in its
 * order: the test's values, null for the others. */
static int fixture_sql(struct ut_run *x, const struct dbt_ut_fixture *f, const char *name, const PGresult *cols,
		       struct buf *b)
{
	for (size_t r = 0; r < f->nrows; r++)
		for (size_t k = 0; k < f->rows[r].ncells; k++)
			if (column_of(cols, f->rows[r].cells[k].column) < 0) {
				char *what = xasprintf("'%s'", name);
				bad_column(x, f->rows[r].cells[k].column, what, cols);
				free(what);
				return -1;
			}
	for (size_t r = 0; r < (f->nrows ? f->nrows : 1); r++) {
		buf_adds(b, r ? "\nunion all\nselect " : "select ");
		for (int i = 0; i < PQntuples(cols); i++) {
			const struct dbt_ut_cell *c = NULL;
			for (size_t k = 0; f->nrows && k < f->rows[r].ncells; k++)
				if (strcasecmp(f->rows[r].cells[k].column, PQgetvalue(cols, i, 0)) == 0)
					c = &f->rows[r].cells[k];
			if (i)
				buf_adds(b, ", ");
			if (add_value(x, b, c, cols, i) || add_alias(x, b, PQgetvalue(cols, i, 0)))
				return -1;
		}
	}
	if (!f->nrows)
		buf_adds(b, "\nlimit 0");
	return 0;
}

/* "__dbt__cte__x as (...), ..." for every given input. */
static int given_ctes(struct ut_run *x, struct buf *ctes)
{
	for (size_t g = 0; g < x->u->ngiven; g++) {
		const struct dbt_ut_fixture *f = &x->u->given[g];
		x->cte[g] = cte_name(x->p, f);
		buf_printf(ctes, "%s%s as (\n", g ? ", " : "", x->cte[g]);
		if (f->format == DBT_UT_SQL) {
			buf_printf(ctes, "%s\n)", f->sql);
			continue;
		}
		const char *name, *schema, *ident, *rel;
		input_relation(x->p, f, &name, &schema, &ident, &rel);
		int kind = mr_relkind(x->conn, &x->r, schema, ident);
		if (kind < 0)
			return -1;
		if (kind == 0) {
			mr_message(&x->r, "Not able to get columns for unit test '%s' from relation %s because the "
				   "relation doesn't exist", name, rel);
			return -1;
		}
		PGresult *cols = mr_columns(x->conn, &x->r, rel);
		if (!cols)
			return -1;
		buf_printf(ctes, "-- Fixture for %s\n", name);
		int rc = fixture_sql(x, f, name, cols, ctes);
		PQclear(cols);
		if (rc)
			return -1;
		buf_adds(ctes, "\n)");
	}
	return 0;
}

/* ---- rendering the model ---- */

static const char *given_input(void *ud, enum dbt_ut_input kind, size_t idx)
{
	struct ut_run *x = ud;
	for (size_t g = 0; g < x->u->ngiven; g++) {
		const struct dbt_ut_fixture *f = &x->u->given[g];
		/* `this` given as ref('the model') is the same relation */
		bool same = f->target == idx && (f->kind == kind || (f->kind != DBT_UT_SOURCE && kind != DBT_UT_SOURCE));
		if (same)
			return x->cte[g];
	}
	return NULL;
}

/* Overrides of macros modelrun does not answer itself (a project's
 * macro) cannot take effect here: the test is an error, not a run that
 * ignores them. */
static int check_macro_overrides(struct ut_run *x)
{
	const struct dbt_unit_test *u = x->u;
	for (size_t i = 0; u->macros && i < ydoc_len(u->macros); i++) {
		const char *k = ydoc_str(ydoc_key(u->doc, u->macros, i));
		bool known = false;
		for (const char *const *f = dbt_host_functions; k && *f && !known; f++)
			known = strcmp(*f, k) == 0;
		if (!known) {
			mr_message(&x->r, "overrides: macro '%s' cannot be overridden by modelrun (only is_incremental "
				   "and the functions it answers itself: ref, source, var, config, run_query, ...)",
				   k ? k : "?");
			return -1;
		}
	}
	return 0;
}

/* The model's SQL with the given inputs as CTEs. */
static char *compile_test(struct ut_run *x)
{
	struct buf ctes = { 0 };
	char *sql = NULL, *out = NULL, err[2048];
	struct dbt_pgquery rq = { .conn = x->conn };
	struct dbt_render_opts o = { .query = dbt_pgquery_run, .query_ud = &rq, .unit = x->u,
				     .input = given_input, .ud = x };
	if (given_ctes(x, &ctes) == 0) {
		if (dbt_render(x->p, (size_t)x->u->node, &o, &sql, err, sizeof err))
			mr_message(&x->r, "%s", err);
		else
			out = x->u->ngiven ? dbt_with_ctes(sql, buf_str(&ctes)) : xstrdup(sql);
	}
	dbt_pgquery_clear(&rq);
	free(sql);
	buf_free(&ctes);
	return out;
}

/* ---- expected rows and the comparison ---- */

/* The columns compared: those of the first expected row (after dbt's
 * reordering), or all of the query's for the sql format and for no rows.
 * Quoted names in *list. */
static int expected_columns(struct ut_run *x, const PGresult *cols, struct buf *list)
{
	const struct dbt_ut_fixture *e = &x->u->expect;
	bool all = e->format == DBT_UT_SQL || e->nrows == 0;
	size_t n = all ? (size_t)PQntuples(cols) : e->rows[0].ncells;
	for (size_t k = 0; k < n; k++) {
		int i = all ? (int)k : column_of(cols, e->rows[0].cells[k].column);
		if (i < 0) {
			bad_column(x, e->rows[0].cells[k].column, "expected output", cols);
			return -1;
		}
		char *q = pgconn_quote_ident(x->conn, NULL, PQgetvalue(cols, i, 0));
		if (!q) {
			mr_message(&x->r, "cannot quote identifier: %s", PQerrorMessage(x->conn));
			return -1;
		}
		buf_printf(list, "%s%s", k ? ", " : "", q);
		free(q);
	}
	return 0;
}

static int expected_sql(struct ut_run *x, const PGresult *cols, struct buf *b)
{
	const struct dbt_ut_fixture *e = &x->u->expect;
	if (e->format == DBT_UT_SQL) {
		buf_adds(b, e->sql);
		return 0;
	}
	if (!e->nrows) {
		buf_adds(b, "select * from dbt_internal_unit_test_actual limit 0");
		return 0;
	}
	for (size_t r = 0; r < e->nrows; r++) {
		buf_adds(b, r ? "\nunion all\nselect " : "select ");
		for (size_t k = 0; k < e->rows[r].ncells; k++) {
			const struct dbt_ut_cell *c = &e->rows[r].cells[k];
			int i = column_of(cols, c->column);
			if (i < 0) {
				bad_column(x, c->column, "expected output", cols);
				return -1;
			}
			if (k)
				buf_adds(b, ", ");
			if (add_value(x, b, c, cols, i) || add_alias(x, b, PQgetvalue(cols, i, 0)))
				return -1;
		}
	}
	return 0;
}

/* Whether rows a and b of res hold the same values in the first n columns. */
static bool same_row(const PGresult *res, int a, int b, int n)
{
	for (int k = 0; k < n; k++) {
		bool na = PQgetisnull(res, a, k), nb = PQgetisnull(res, b, k);
		if (na != nb || (!na && strcmp(PQgetvalue(res, a, k), PQgetvalue(res, b, k)) != 0))
			return false;
	}
	return true;
}

static const char *cell(const PGresult *res, int row, int k)
{
	return PQgetisnull(res, row, k) ? "null" : PQgetvalue(res, row, k);
}

/* dbt's "actual differs from expected" table: the header after @@, then
 * each row found on one side only, "---" expected and missing, "+++"
 * actual and not expected, columns aligned. */
static void diff_table(struct ut_run *x, const PGresult *res, int ncols, const bool *matched)
{
	int nrows = PQntuples(res);
	size_t *w = xcalloc((size_t)ncols, sizeof *w);
	for (int k = 0; k < ncols; k++) {
		w[k] = strlen(PQfname(res, k));
		for (int i = 0; i < nrows; i++)
			if (!matched[i] && strlen(cell(res, i, k)) > w[k])
				w[k] = strlen(cell(res, i, k));
	}
	struct buf b = { 0 };
	buf_adds(&b, "actual differs from expected:\n\n@@ ");
	for (int k = 0; k < ncols; k++) /* the last column unpadded: no trailing blanks */
		buf_printf(&b, " | %-*s", k + 1 < ncols ? (int)w[k] : 0, PQfname(res, k));
	for (int side = 0; side < 2; side++) /* expected first, then actual */
		for (int i = 0; i < nrows; i++) {
			bool actual = strcmp(PQgetvalue(res, i, ncols), "actual") == 0;
			if (matched[i] || actual != (side == 1))
				continue;
			buf_adds(&b, actual ? "\n+++" : "\n---");
			for (int k = 0; k < ncols; k++)
				buf_printf(&b, " | %-*s", k + 1 < ncols ? (int)w[k] : 0, cell(res, i, k));
		}
	free(w);
	mr_message(&x->r, "%s", buf_str(&b));
	buf_free(&b);
}

/* Pairs each actual row with an equal expected one: the test passes when
 * none is left over on either side. */
static enum ut_status compare(struct ut_run *x, const PGresult *res)
{
	int nrows = PQntuples(res), ncols = PQnfields(res) - 1;
	bool *matched = xcalloc((size_t)nrows + 1, sizeof *matched);
	bool differs = false;
	for (int i = 0; i < nrows; i++) {
		if (strcmp(PQgetvalue(res, i, ncols), "actual") != 0)
			continue;
		for (int j = 0; j < nrows && !matched[i]; j++)
			if (!matched[j] && strcmp(PQgetvalue(res, j, ncols), "expected") == 0 && same_row(res, i, j, ncols))
				matched[i] = matched[j] = true;
	}
	for (int i = 0; i < nrows; i++)
		differs |= !matched[i];
	if (differs)
		diff_table(x, res, ncols, matched);
	free(matched);
	return differs ? UT_FAIL : UT_PASS;
}

/* Runs the compiled test: the query's column types from an empty
 * temporary table, then actual and expected rows in one query. */
static enum ut_status run_compiled(struct ut_run *x, const char *sql)
{
	char tmp[64];
	mr_tmp_name(x->u->name, tmp);
	char *qtmp = pgconn_quote_ident(x->conn, NULL, tmp);
	if (!qtmp) {
		mr_message(&x->r, "cannot quote identifier: %s", PQerrorMessage(x->conn));
		return UT_ERROR;
	}
	enum ut_status st = UT_ERROR;
	struct buf cols_list = { 0 }, exp = { 0 }, q = { 0 };
	PGresult *cols = NULL, *res = NULL;
	buf_printf(&q, "create temporary table %s as\nselect * from (\n%s\n) as __dbt_sbq\nwhere false\nlimit 0",
		   qtmp, sql);
	PGresult *made = mr_exec(x->conn, &x->r, "running the model", buf_str(&q), 0, NULL);
	if (!made)
		goto out;
	PQclear(made);
	if (!(cols = mr_columns(x->conn, &x->r, qtmp)) || expected_columns(x, cols, &cols_list) ||
	    expected_sql(x, cols, &exp))
		goto out;
	buf_reset(&q);
	buf_printf(&q, "-- Build actual result given inputs\n"
		       "with dbt_internal_unit_test_actual as (\n  select %s, 'actual' as \"actual_or_expected\"\n"
		       "  from (\n%s\n  ) _dbt_internal_unit_test_actual\n),\n"
		       "-- Build expected result\n"
		       "dbt_internal_unit_test_expected as (\n  select %s, 'expected' as \"actual_or_expected\"\n"
		       "  from (\n%s\n  ) _dbt_internal_unit_test_expected\n)\n"
		       "select * from dbt_internal_unit_test_actual\nunion all\n"
		       "select * from dbt_internal_unit_test_expected",
		   buf_str(&cols_list), sql, buf_str(&cols_list), buf_str(&exp));
	log_debug("unit test %s:\n%s", x->u->name, buf_str(&q));
	if ((res = mr_exec(x->conn, &x->r, "running the unit test", buf_str(&q), 0, NULL)))
		st = compare(x, res);
out:
	PQclear(res);
	PQclear(cols);
	buf_free(&cols_list);
	buf_free(&exp);
	buf_free(&q);
	free(qtmp);
	return st;
}

/* One test, in a transaction rolled back at the end. */
static enum ut_status run_one(struct ut_run *x)
{
	const struct dbt_unit_test *u = x->u;
	if (u->error) {
		mr_message(&x->r, "%s", u->error);
		return UT_ERROR;
	}
	const struct dbt_node *n = &x->p->nodes[u->node];
	if (n->error) {
		mr_message(&x->r, "its model %s cannot be built: %s", n->name, n->error);
		return UT_ERROR;
	}
	if (check_macro_overrides(x))
		return UT_ERROR;
	bool b;
	double num;
	yaml_node_t *inc = u->macros ? ydoc_get(u->doc, u->macros, "is_incremental") : NULL;
	if (n->cfg.materialized == MAT_INCREMENTAL && (!inc || ydoc_yaml11(inc, &b, &num) != YK_BOOL)) {
		/* dbt refuses it when it parses the project */
		mr_message(&x->r, "Boolean override for 'is_incremental' must be provided for unit test '%s' in model '%s'",
			   u->name, n->name);
		return UT_ERROR;
	}
	PGresult *begin = mr_exec(x->conn, &x->r, "starting a transaction", "begin", 0, NULL);
	if (!begin)
		return UT_ERROR;
	PQclear(begin);
	enum ut_status st = UT_ERROR;
	x->cte = xcalloc(u->ngiven + 1, sizeof *x->cte);
	char *sql = compile_test(x);
	if (sql)
		st = run_compiled(x, sql);
	free(sql);
	for (size_t g = 0; g < u->ngiven; g++)
		free(x->cte[g]);
	free(x->cte);
	mr_rollback(x->conn);
	return st;
}

/* ---- the command ---- */

enum ut_status mr_unit_test_run_one(const struct dbt_project *p, size_t t, PGconn *conn, char **message)
{
	struct ut_run x = { .p = p, .u = &p->unit_tests[t], .conn = conn };
	enum ut_status st = run_one(&x);
	*message = x.r.message;
	free(x.r.response);
	return st;
}

/* The line of one test: "[k/total] VERDICT model::name (secs)", a FAIL's
 * table or the rest of a message of several lines indented below it. */
static void report(const struct dbt_unit_test *u, enum ut_status st, const char *message, size_t k, size_t total,
		   double secs)
{
	static const char *const words[] = { "PASS", "FAIL", "ERROR", "SKIP" };
	const char *msg = message ? message : "";
	const char *model = u->model ? u->model : "?";
	if (st == UT_PASS) {
		log_info("[%zu/%zu] PASS %s::%s (%.2f s)", k, total, model, u->name, secs);
		return;
	}
	if (st == UT_SKIPPED) {
		log_info("[%zu/%zu] SKIP %s::%s: %s", k, total, model, u->name, msg);
		return;
	}
	int first = (int)strcspn(msg, "\n");
	if (st == UT_ERROR)
		log_error("[%zu/%zu] ERROR %s::%s (%.2f s): %.*s", k, total, model, u->name, secs, first, msg);
	else
		log_error("[%zu/%zu] %s %s::%s (%.2f s)", k, total, words[st], model, u->name, secs);
	const char *l = st == UT_ERROR ? msg + first : msg;
	while (*l) {
		if (*l == '\n')
			l++;
		int len = (int)strcspn(l, "\n");
		if (len)
			log_error("  %.*s", len, l);
		l += len;
	}
}

/* Which unit tests o selects into chosen[] (one per unit test), leaving
 * out the disabled ones and those of a disabled model, as dbt does.
 * Returns how many, or -1 after reporting a bad selector. */
static long choose_tests(const struct dbt_project *p, const struct mr_unit_opts *o, bool *chosen)
{
	char err[2048];
	if (select_tests(p, o, chosen, err, sizeof err)) {
		log_error("%s", err);
		return -1;
	}
	long total = 0;
	for (size_t t = 0; t < p->nunit_tests; t++) {
		const struct dbt_unit_test *u = &p->unit_tests[t];
		if (chosen[t] && !u->enabled) {
			log_debug("unit test %s left out: enabled is false", u->name);
			chosen[t] = false;
		}
		if (chosen[t] && u->node >= 0 && !p->nodes[u->node].cfg.enabled) {
			/* as in dbt, a disabled model's unit tests are disabled too */
			log_info("unit test %s left out: its model %s is disabled", u->name, u->model);
			chosen[t] = false;
		}
		total += chosen[t];
	}
	return total;
}

int mr_unit_tests(const struct dbt_project *p, const struct mr_unit_opts *o)
{
	bool *chosen = xcalloc(p->nunit_tests ? p->nunit_tests : 1, sizeof *chosen);
	long n = choose_tests(p, o, chosen);
	if (n < 0) {
		free(chosen);
		return EXIT_USAGE;
	}
	size_t total = (size_t)n;
	if (!total) {
		/* said once, where unit tests are all a run could have done */
		if (p->nunit_tests)
			log_info("no unit tests selected");
		else
			log_debug("no unit tests in the project");
		free(chosen);
		return EXIT_OK;
	}
	PGconn *conn = dbt_profile_connect(p->profile, o->dbname);
	if (!conn) {
		free(chosen);
		return EXIT_OPER;
	}
	pgconn_log_notices(conn, LOG_VERBOSE);
	size_t k = 0, counts[3] = { 0 };
	bool lost = false;
	double t0 = clock_seconds();
	for (size_t t = 0; t < p->nunit_tests && !lost; t++) {
		if (!chosen[t])
			continue;
		char *msg;
		double t1 = clock_seconds();
		enum ut_status st = mr_unit_test_run_one(p, t, conn, &msg);
		counts[st]++;
		report(&p->unit_tests[t], st, msg, ++k, total, clock_seconds() - t1);
		lost = PQstatus(conn) == CONNECTION_BAD;
		free(msg);
	}
	log_info("unit tests done in %.2f s: %zu passed, %zu failed, %zu errors", clock_seconds() - t0, counts[UT_PASS],
		 counts[UT_FAIL], counts[UT_ERROR]);
	PQfinish(conn);
	free(chosen);
	if (lost) {
		log_error("the connection to the server was lost");
		return EXIT_OPER;
	}
	return counts[UT_FAIL] || counts[UT_ERROR] ? EXIT_DATA : EXIT_OK;
}

/* ---- in modelrun build's graph ---- */

/* One unit test's result in a build. */
struct mr_unit_result {
	size_t test;               /* in p->unit_tests */
	enum ut_status status;
	bool done;                 /* it has a verdict (a skip counts) */
	double secs;
	int thread;
	char *message;             /* a FAIL's table, why for an ERROR or a SKIP */
};

/* The unit tests of one model, in the project's order: a vertex of the
 * build graph. */
struct mr_unit_vertex {
	size_t model;              /* NO_MODEL: the test names no model */
	struct mr_unit_result *r;
	size_t n;
	size_t failed;             /* the index in r of the one that failed */
};

struct mr_units {
	struct mr_unit_vertex *vx;
	size_t nvx;
	size_t n;                  /* unit tests in all */
};

#define NO_MODEL ((size_t)-1)

int mr_units_plan(struct mr_ctx *ctx, const struct mr_unit_opts *o, const bool *selected)
{
	const struct dbt_project *p = ctx->p;
	struct mr_units *u = xcalloc(1, sizeof *u);
	ctx->units = u;
	bool *chosen = xcalloc(p->nunit_tests ? p->nunit_tests : 1, sizeof *chosen);
	if (choose_tests(p, o, chosen) < 0) {
		free(chosen);
		return EXIT_USAGE;
	}
	u->vx = xcalloc(p->nunit_tests ? p->nunit_tests : 1, sizeof *u->vx);
	for (size_t t = 0; t < p->nunit_tests; t++) {
		const struct dbt_unit_test *ut = &p->unit_tests[t];
		if (!chosen[t])
			continue;
		size_t model = ut->node >= 0 ? (size_t)ut->node : NO_MODEL;
		if (model != NO_MODEL && !selected[model]) {
			/* dbt build runs a unit test just before its model: with the
			 * model left out, dbt runs it not and says nothing */
			log_info("unit test %s::%s not run: build runs it just before its model, which is not selected "
				 "(modelrun test runs it)", ut->model, ut->name);
			continue;
		}
		/* a test naming no model is an ERROR of its own, never dropped */
		size_t k = 0;
		while (k < u->nvx && (model == NO_MODEL || u->vx[k].model != model))
			k++;
		struct mr_unit_vertex *v = &u->vx[k];
		if (k == u->nvx)
			*v = (struct mr_unit_vertex){ .model = model };
		u->nvx += k == u->nvx;
		v->r = xrealloc(v->r, (v->n + 1) * sizeof *v->r);
		v->r[v->n++] = (struct mr_unit_result){ .test = t };
		u->n++;
	}
	free(chosen);
	return EXIT_OK;
}

size_t mr_units_count(const struct mr_ctx *ctx)
{
	return ctx->units ? ctx->units->n : 0;
}

size_t mr_units_vertices(const struct mr_ctx *ctx)
{
	return ctx->units ? ctx->units->nvx : 0;
}

size_t mr_units_model(const struct mr_ctx *ctx, size_t k)
{
	return ctx->units->vx[k].model;
}

/* Gives r its verdict and prints its line; caller holds the print lock. */
static void settle(struct mr_ctx *ctx, struct mr_unit_result *r, enum ut_status st, char *message)
{
	r->status = st;
	r->done = true;
	free(r->message);
	r->message = message;
	report(&ctx->p->unit_tests[r->test], st, message, ++ctx->done, ctx->total, r->secs);
}

int mr_units_work(struct mr_ctx *ctx, int worker, size_t k)
{
	struct mr_unit_vertex *v = &ctx->units->vx[k];
	PGconn *conn = ctx->conns[worker];
	bool failed = false, lost = false;
	for (size_t i = 0; i < v->n; i++) {
		struct mr_unit_result *r = &v->r[i];
		r->thread = worker;
		char *msg = NULL;
		enum ut_status st;
		if (failed) {
			/* as dbt build: the model is skipped anyway, and so are its
			 * unit tests not yet run */
			const struct dbt_unit_test *f = &ctx->p->unit_tests[v->r[v->failed].test];
			msg = xasprintf("not run: unit test %s::%s of the same model failed", f->model ? f->model : "?",
					f->name);
			st = UT_SKIPPED;
		} else {
			double t0 = clock_seconds();
			st = mr_unit_test_run_one(ctx->p, r->test, conn, &msg);
			r->secs = clock_seconds() - t0;
			lost = PQstatus(conn) == CONNECTION_BAD;
		}
		if (!failed && st != UT_PASS) {
			failed = true;
			v->failed = i;
		}
		pthread_mutex_lock(&ctx->print_lock);
		settle(ctx, r, st, msg);
		if (lost)
			ctx->conn_lost = true;
		pthread_mutex_unlock(&ctx->print_lock);
		if (lost)
			return DAG_STOP;
	}
	return failed ? -1 : 0;
}

void mr_units_skipped(struct mr_ctx *ctx, size_t k, const char *why)
{
	struct mr_unit_vertex *v = &ctx->units->vx[k];
	pthread_mutex_lock(&ctx->print_lock);
	for (size_t i = 0; i < v->n; i++)
		if (!v->r[i].done)
			settle(ctx, &v->r[i], UT_SKIPPED, xstrdup(why));
	pthread_mutex_unlock(&ctx->print_lock);
}

const char *mr_units_name(const struct mr_ctx *ctx, size_t k, char *buf, size_t len)
{
	const struct mr_unit_vertex *v = &ctx->units->vx[k];
	const struct dbt_unit_test *u = &ctx->p->unit_tests[v->r[v->failed].test];
	snprintf(buf, len, "unit test %s::%s", u->model ? u->model : "?", u->name);
	return buf;
}

size_t mr_units_summary(const struct mr_ctx *ctx)
{
	const struct mr_units *u = ctx->units;
	if (!u || !u->n)
		return 0;
	size_t c[UT_SKIPPED + 1] = { 0 };
	for (size_t k = 0; k < u->nvx; k++)
		for (size_t i = 0; i < u->vx[k].n; i++)
			c[u->vx[k].r[i].status]++;
	log_info("%zu unit test%s: %zu passed, %zu failed, %zu errors, %zu skipped", u->n, u->n == 1 ? "" : "s",
		 c[UT_PASS], c[UT_FAIL], c[UT_ERROR], c[UT_SKIPPED]);
	return c[UT_FAIL] + c[UT_ERROR];
}

void mr_units_json(const struct mr_ctx *ctx, struct buf *b, bool *first)
{
	static const char *const names[] = { "pass", "fail", "error", "skipped" };
	const struct mr_units *u = ctx->units;
	for (size_t k = 0; u && k < u->nvx; k++)
		for (size_t i = 0; i < u->vx[k].n; i++) {
			const struct mr_unit_result *r = &u->vx[k].r[i];
			const struct dbt_unit_test *t = &ctx->p->unit_tests[r->test];
			/* dbt's id: unit_test.<project>.<model>.<test>; no message
			 * for a pass or a skip; failures 1 for a FAIL, 0 for a pass */
			char *id = xasprintf("unit_test.%s.%s.%s", ctx->p->name, t->model ? t->model : "", t->name);
			bool judged = r->status == UT_PASS || r->status == UT_FAIL;
			mr_test_json(b, first, id, names[r->status], r->thread, r->secs,
				     r->status == UT_FAIL || r->status == UT_ERROR ? r->message : NULL,
				     judged ? r->status == UT_FAIL : -1, r->status != UT_SKIPPED);
			free(id);
		}
}

void mr_units_free(struct mr_ctx *ctx)
{
	struct mr_units *u = ctx->units;
	if (!u)
		return;
	for (size_t k = 0; k < u->nvx; k++) {
		for (size_t i = 0; i < u->vx[k].n; i++)
			free(u->vx[k].r[i].message);
		free(u->vx[k].r);
	}
	free(u->vx);
	free(u);
	ctx->units = NULL;
}
