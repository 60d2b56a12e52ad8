/* SPDX-License-Identifier: MIT
 * Building and running the tests' SQL; see dqcheck.h.
 *
 * Each test has a "failing rows" query that means what dbt's does (the
 * test fails when it returns rows, and the number of rows is the failure
 * count compared with warn_if/error_if). Run on its own, a test is one
 * statement that returns the count and up to 5 sample rows together:
 *
 *     select *, count(*) over () from (<failing rows>) f limit 5
 *
 * Folding, for the workload the issue names (many column checks on one
 * large table): the tests whose failing rows are "rows of the relation
 * where a condition holds" (not_null, accepted_values, expression_is_true)
 * become one aggregate per test,
 *
 *     select count(*) filter (where <where> and <condition>), ... from rel
 *
 * so the table is read once for all of them; the plan stays parallel
 * because no aggregate is DISTINCT. A count of 0 is the test's exact dbt
 * result. A test whose count is not 0 runs again on its own, which gives
 * dbt's exact count (accepted_values counts distinct values, not rows),
 * the samples and the stored failures: failures cost one more query,
 * passing tests none. If the folded query fails (say one test names a
 * missing column) its tests run one by one, so only the bad one errs.
 *
 * Identifiers go through pgconn_quote_ident and values through
 * pgconn_quote_literal (libpq's escaping). Conditions, where: and
 * expression: are SQL written by the project's author, used as written,
 * as dbt does. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dqcheck.h"
#include "freshness.h"
#include "log.h"
#include "pgconn.h"
#include "xalloc.h"

void dq_test_free_sample(struct dq_test *t);

/* ---- the runner ---- */

struct runner {
	PGconn *conn;
	const struct dq_run_opts *o;
	struct dq_stats *st;
	bool lost;
	char **schemas; /* audit schemas already created */
	size_t nschemas;
};

static void set_error(struct dq_test *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct dq_test *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	/* libpq's own messages run over several lines; the first says it */
	size_t n = strcspn(m, "\n");
	while (n && m[n - 1] == ' ')
		n--;
	m[n] = '\0';
	free(t->message);
	t->message = m;
	t->status = DQ_ERROR;
}

static char *q_ident(struct runner *r, struct dq_test *t, const char *s)
{
	char *q = pgconn_quote_ident(r->conn, NULL, s);
	if (!q)
		set_error(t, "cannot quote %s: %s", s, PQerrorMessage(r->conn));
	return q;
}

static char *q_literal(struct runner *r, struct dq_test *t, const char *s)
{
	char *q = pgconn_quote_literal(r->conn, s);
	if (!q)
		set_error(t, "cannot quote %s: %s", s, PQerrorMessage(r->conn));
	return q;
}

static char *col_sql(struct runner *r, struct dq_test *t, const struct dq_col *c)
{
	return c->expr ? xstrdup(c->text) : q_ident(r, t, c->text);
}

/* Sends one statement; NULL (and the test's error set) when it failed. */
static PGresult *exec(struct runner *r, struct dq_test *t, const char *sql)
{
	r->st->queries++;
	log_debug("%s: %s", t && t->name ? t->name : "folded query", sql);
	PGresult *res = PQexec(r->conn, sql);
	ExecStatusType s = PQresultStatus(res);
	if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
		return res;
	char *msg = pgconn_error_line(r->conn, res);
	if (t)
		set_error(t, "%s", msg);
	else
		log_error("%s", msg);
	free(msg);
	if (PQstatus(r->conn) == CONNECTION_BAD)
		r->lost = true;
	PQclear(res);
	return NULL;
}

/* The relation as the test sees it: dbt wraps it when where: is set. */
static char *from_sql(const struct dq_test *t)
{
	return t->where ? xasprintf("(select * from %s where %s) dbt_subquery", t->relation, t->where) :
			  xstrdup(t->relation);
}

static bool foldable(const struct dq_test *t)
{
	return t->kind == DQ_NOT_NULL || t->kind == DQ_ACCEPTED_VALUES || t->kind == DQ_EXPRESSION;
}

/* "(v1, v2, ...)" for accepted_values, or NULL after set_error. */
static char *values_sql(struct runner *r, struct dq_test *t)
{
	struct buf b = { 0 };
	buf_addc(&b, '(');
	for (size_t i = 0; i < t->nvalues; i++) {
		/* unquoted values were checked to be numbers or booleans */
		char *v = t->quote ? q_literal(r, t, t->values[i]) : xstrdup(t->values[i]);
		if (!v) {
			buf_free(&b);
			return NULL;
		}
		buf_printf(&b, "%s%s", i ? ", " : "", v);
		/* PostgreSQL (14+) looks values up in a hash table from 9 of
		 * them on, and walks the list below that; repeating the last
		 * value changes no answer and makes 8 values about a third
		 * cheaper per row on the benchmark's table. */
		for (size_t k = t->nvalues; i + 1 == t->nvalues && k > 1 && k < 9; k++)
			buf_printf(&b, ", %s", v);
		free(v);
	}
	buf_addc(&b, ')');
	return buf_detach(&b);
}

/* The row condition of a foldable test, or NULL after set_error. */
static char *condition(struct runner *r, struct dq_test *t)
{
	if (t->kind == DQ_EXPRESSION)
		return xasprintf("not (%s)", t->expression);
	char *c = col_sql(r, t, &t->column), *out = NULL;
	if (!c)
		return NULL;
	if (t->kind == DQ_NOT_NULL) {
		out = xasprintf("%s is null", c);
	} else {
		char *v = values_sql(r, t);
		out = v ? xasprintf("%s not in %s", c, v) : NULL;
		free(v);
	}
	free(c);
	return out;
}

/* The name key i goes by in reconciliation results: the key column's own
 * name when it is one, else k1, k2, ... */
static char *key_alias(struct runner *r, struct dq_test *t, size_t i)
{
	return t->keys[i].expr ? xasprintf("k%zu", i + 1) : q_ident(r, t, t->keys[i].text);
}

/* "c1 as <alias1>, ..." when with_cols, else "<alias1>, ..."; NULL after
 * set_error. */
static char *col_list_sql(struct runner *r, struct dq_test *t, const struct dq_col *cols, bool with_cols)
{
	struct buf b = { 0 };
	for (size_t i = 0; i < t->nkeys; i++) {
		char *c = with_cols ? col_sql(r, t, &cols[i]) : NULL, *k = key_alias(r, t, i);
		if ((with_cols && !c) || !k) {
			free(c);
			free(k);
			buf_free(&b);
			return NULL;
		}
		if (with_cols)
			buf_printf(&b, "%s%s as %s", i ? ", " : "", c, k);
		else
			buf_printf(&b, "%s%s", i ? ", " : "", k);
		free(c);
		free(k);
	}
	return buf_detach(&b);
}

/* statement() and run_query() of a macro test, on the run's connection */
struct macro_query {
	PGconn *conn;
	PGresult *res;
	char **names;
	enum dbt_col_kind *kinds;
	const char **values;
};

static void macro_query_clear(struct macro_query *q)
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

static int macro_query(void *ud, const char *sql, size_t nparams, const char *const *params, struct dbt_rows *rows,
		       char *err, size_t errlen)
{
	struct macro_query *q = ud;
	macro_query_clear(q);
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
		Oid ty = PQftype(q->res, (int)k);
		q->kinds[k] = ty == 16 ? DBT_COL_BOOL :
			      ty == 20 || ty == 21 || ty == 23 || ty == 26 || ty == 700 || ty == 701 || ty == 1700 ?
							 DBT_COL_NUMBER : DBT_COL_TEXT;
	}
	for (size_t i = 0; i < nr; i++)
		for (size_t k = 0; k < nc; k++)
			q->values[i * nc + k] = PQgetisnull(q->res, (int)i, (int)k) ? NULL : PQgetvalue(q->res, (int)i, (int)k);
	*rows = (struct dbt_rows){ nc, nr, (const char *const *)q->names, q->kinds, q->values };
	return 0;
}

/* Renders a macro test now that there is a connection. */
static int render_macro_test(struct runner *r, struct dq_test *t)
{
	if (t->sql)
		return 0;
	struct macro_query mq = { .conn = r->conn };
	struct dbt_render_opts o = { .query = macro_query, .query_ud = &mq };
	const struct dbt_test *dt = t->origin;
	char err[2048];
	int rc = dbt_render_generic_test(t->project, t->macro_type, dt->on, dt->target, t->column.text, dt->doc,
					 t->arg_keys, t->arg_vals, t->nargs, t->where, &o, &t->sql, &t->fail_calc, err,
					 sizeof err);
	macro_query_clear(&mq);
	if (rc)
		set_error(t, "%s", err);
	return rc;
}

/* Renders a singular test that queries the database while it renders,
 * now that there is a connection. */
static int render_singular_test(struct runner *r, struct dq_test *t)
{
	if (t->sql || !t->text)
		return 0;
	struct macro_query mq = { .conn = r->conn };
	struct dbt_text_opts o = { .query = macro_query, .query_ud = &mq };
	char err[2048];
	int rc = dq_singular_render(t, &o, err, sizeof err);
	macro_query_clear(&mq);
	if (rc)
		set_error(t, "%s", err);
	return rc;
}

/* The failing-rows query, dbt's meaning; NULL after set_error. */
static char *failing_sql(struct runner *r, struct dq_test *t)
{
	if ((t->kind == DQ_MACRO && render_macro_test(r, t)) ||
	    (t->kind == DQ_SINGULAR && render_singular_test(r, t)))
		return NULL;
	char *from = t->kind == DQ_SINGULAR || t->kind == DQ_MACRO ? NULL : from_sql(t);
	char *q = NULL, *c = NULL, *cond = NULL, *f = NULL, *k1 = NULL, *k2 = NULL, *kn = NULL, *cc = NULL;
	switch (t->kind) {
	case DQ_NOT_NULL:
	case DQ_EXPRESSION:
		if ((cond = condition(r, t)))
			q = xasprintf("select * from %s where %s", from, cond);
		break;
	case DQ_ACCEPTED_VALUES:
		if ((c = col_sql(r, t, &t->column)) && (cond = values_sql(r, t)))
			q = xasprintf("select * from (select %s as value_field, count(*) as n_records from %s "
					"group by %s) all_values where value_field not in %s",
					c, from, c, cond);
		break;
	case DQ_UNIQUE:
		if ((c = col_sql(r, t, &t->column)))
			q = xasprintf("select %s as unique_field, count(*) as n_records from %s where %s is not null "
					"group by %s having count(*) > 1",
					c, from, c, c);
		break;
	case DQ_RELATIONSHIPS:
		if ((c = col_sql(r, t, &t->column)) && (f = col_sql(r, t, &t->field)))
			q = xasprintf("with child as (select %s as from_field from %s where %s is not null), "
					"parent as (select %s as to_field from %s) "
					"select from_field from child left join parent on child.from_field = parent.to_field "
					"where parent.to_field is null",
					c, from, c, f, t->to_relation);
		break;
	case DQ_EQUAL_ROWCOUNT:
		if (!t->nkeys) {
			q = xasprintf("select count_a, count_b, count_a - count_b as difference from (select "
					"(select count(*) from %s) as count_a, (select count(*) from %s) as count_b) c "
					"where count_a <> count_b",
					from, t->to_relation);
			break;
		}
		/* one pass over each side; union all groups nulls together. The
		 * sides' marks have names no key column is likely to have. */
		if ((k1 = col_list_sql(r, t, t->keys, true)) && (kn = col_list_sql(r, t, t->keys, false)))
			q = xasprintf("select %s, count(dq__a) as count_a, count(dq__b) as count_b from ("
					"select %s, 1 as dq__a, null::int as dq__b from %s union all "
					"select %s, null, 1 from %s) u group by %s having count(dq__a) <> count(dq__b)",
					kn, k1, from, k1, t->to_relation, kn);
		break;
	case DQ_EQUAL_SUMS: {
		char *tol = t->tolerance ? q_literal(r, t, t->tolerance) : xstrdup("'0'");
		if (tol && (c = col_sql(r, t, &t->column)) && (cc = col_sql(r, t, &t->compare_column)) &&
		    (k1 = col_list_sql(r, t, t->keys, true)) && (k2 = col_list_sql(r, t, t->compare_keys, true)) &&
		    (kn = col_list_sql(r, t, t->keys, false))) {
			char *cfrom = t->compare_where ? xasprintf("(select * from %s where %s) compare_subquery",
								     t->to_relation, t->compare_where) :
							 xstrdup(t->to_relation);
			q = xasprintf("select %s, coalesce(sum(dq__a), 0) as sum_a, coalesce(sum(dq__b), 0) as sum_b "
					"from (select %s, %s as dq__a, null as dq__b from %s union all "
					"select %s, null, %s from %s) u group by %s "
					"having abs(coalesce(sum(dq__a), 0) - coalesce(sum(dq__b), 0)) > %s::numeric",
					kn, k1, c, from, k2, cc, cfrom, kn, tol);
			free(cfrom);
		}
		free(tol);
		break;
	}
	case DQ_FRESHNESS:
		if ((c = col_sql(r, t, &t->column)))
			q = fresh_sql(c, t->relation, t->filter);
		break;
	case DQ_SINGULAR:
	case DQ_MACRO:
		q = xstrdup(t->sql);
		break;
	}
	free(from);
	free(c);
	free(cond);
	free(f);
	free(k1);
	free(k2);
	free(kn);
	free(cc);
	if (q && t->limit >= 0) {
		char *l = xasprintf("select * from (%s\n) dbt_limited limit %lld", q, t->limit);
		free(q);
		q = l;
	}
	return q;
}

static void keep_sample(struct dq_test *t, const PGresult *res, int ncols)
{
	dq_test_free_sample(t);
	struct dq_sample *s = &t->sample;
	int nrows = PQntuples(res);
	if (nrows > 5)
		nrows = 5;
	s->ncols = (size_t)ncols;
	s->nrows = (size_t)nrows;
	s->cols = xrealloc(NULL, s->ncols * sizeof *s->cols);
	s->vals = xrealloc(NULL, s->ncols * s->nrows * sizeof *s->vals);
	for (int j = 0; j < ncols; j++)
		s->cols[j] = xstrdup(PQfname(res, j));
	for (int i = 0; i < nrows; i++)
		for (int j = 0; j < ncols; j++)
			s->vals[(size_t)i * s->ncols + (size_t)j] =
				PQgetisnull(res, i, j) ? NULL : xstrdup(PQgetvalue(res, i, j));
}

/* A table name for the stored failures: the test's, cut to PostgreSQL's
 * 63 bytes with a hash of the whole so that long names stay distinct. */
static char *audit_table(const char *name)
{
	if (strlen(name) <= 63)
		return xstrdup(name);
	uint32_t h = 2166136261u;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	int keep = 54;
	while (keep && ((unsigned char)name[keep] & 0xC0) == 0x80) /* not in a character */
		keep--;
	return xasprintf("%.*s_%08" PRIx32, keep, name, h);
}

static int ensure_schema(struct runner *r, struct dq_test *t, const char *qschema)
{
	for (size_t i = 0; i < r->nschemas; i++)
		if (!strcmp(r->schemas[i], qschema))
			return 0;
	char *sql = xasprintf("create schema if not exists %s", qschema);
	PGresult *res = exec(r, t, sql);
	free(sql);
	if (!res)
		return -1;
	PQclear(res);
	DQ_PUSH(r->schemas, r->nschemas, xstrdup(qschema));
	return 0;
}

/* Where a test's failures go: "schema"."table", or NULL after set_error. */
static char *audit_relation(struct runner *r, struct dq_test *t, char **qschema)
{
	if (strlen(t->audit_schema) > 63) { /* PostgreSQL would cut it, and the rows go elsewhere */
		set_error(t, "cannot store failures: the schema name %s is longer than 63 bytes", t->audit_schema);
		return NULL;
	}
	char *tbl = audit_table(t->name);
	char *qs = q_ident(r, t, t->audit_schema), *qt = qs ? q_ident(r, t, tbl) : NULL;
	free(tbl);
	char *rel = qt ? xasprintf("%s.%s", qs, qt) : NULL;
	free(qt);
	if (rel && qschema)
		*qschema = qs;
	else
		free(qs);
	return rel;
}

static bool wants_store(const struct runner *r, const struct dq_test *t)
{
	if (t->kind == DQ_FRESHNESS)
		return false;
	return t->store_failures == 1 || (t->store_failures == -1 && r->o->store_failures);
}

/* A passing test leaves no table behind, so the audit schema holds
 * exactly the tests that found rows in the last run. */
static void drop_stored(struct runner *r, struct dq_test *t)
{
	char *rel = audit_relation(r, t, NULL);
	if (!rel)
		return;
	char *sql = xasprintf("drop table if exists %s", rel);
	PGresult *res = exec(r, t, sql);
	PQclear(res);
	free(sql);
	free(rel);
}

static void freshness_result(struct dq_test *t, const PGresult *res)
{
	keep_sample(t, res, PQnfields(res));
	bool none = PQntuples(res) < 1 || PQgetisnull(res, 0, 2);
	double age = none ? 0 : strtod(PQgetvalue(res, 0, 2), NULL);
	struct fresh_rule rule = { .set = true, .warn_after = t->warn_after, .error_after = t->error_after };
	free(t->message);
	enum fresh_status st = fresh_judge(&rule, !none, age, &t->message);
	t->status = st == FRESH_ERROR ? DQ_FAIL : st == FRESH_WARN ? DQ_WARN : DQ_PASS;
	t->failures = st != FRESH_PASS;
}

/* Runs one test on its own: count and samples in one statement, or
 * through the stored table. */
static void run_single(struct runner *r, struct dq_test *t)
{
	double t0 = clock_seconds();
	char *q = failing_sql(r, t), *sql = NULL, *qschema = NULL, *rel = NULL;
	PGresult *res = NULL;
	if (!q)
		goto out;
	if (t->kind == DQ_FRESHNESS) {
		/* dbt takes a timestamp without time zone to be UTC, so the
		 * cast to timestamptz must not depend on the session's zone */
		PQclear(PQexec(r->conn, "set timezone = 'UTC'"));
		if ((res = exec(r, t, q)))
			freshness_result(t, res);
		PQclear(PQexec(r->conn, "reset timezone"));
		goto out;
	}
	if (wants_store(r, t)) {
		if (!(rel = audit_relation(r, t, &qschema)) || ensure_schema(r, t, qschema))
			goto out;
		/* one statement, so a failure leaves the previous table alone */
		sql = xasprintf("drop table if exists %s; create table %s as %s\n", rel, rel, q);
		if (!(res = exec(r, t, sql)))
			goto out;
		PQclear(res);
		free(sql);
		sql = xasprintf("select *, count(*) over () as dq_failures from %s limit 5", rel);
	} else if (!t->fail_calc) {
		sql = xasprintf("select *, count(*) over () as dq_failures from (%s\n) dq_failing limit 5", q);
	}
	if (t->fail_calc) {
		/* a macro test's own count of failures (dbt's fail_calc) */
		char *from = rel ? xstrdup(rel) : xasprintf("(%s\n) dq_failing", q);
		free(sql);
		sql = xasprintf("select coalesce((select %s from %s), 0)", t->fail_calc, from);
		free(from);
		if (!(res = exec(r, t, sql)))
			goto out;
		t->failures = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if (rel && t->failures == 0) {
			drop_stored(r, t);
		} else if (rel) {
			t->stored_in = rel;
			rel = NULL;
		}
		dq_judge(t);
		goto out;
	}
	if (!(res = exec(r, t, sql)))
		goto out;
	int nf = PQnfields(res);
	t->failures = PQntuples(res) ? strtoll(PQgetvalue(res, 0, nf - 1), NULL, 10) : 0;
	keep_sample(t, res, nf - 1);
	if (rel && t->failures == 0) {
		drop_stored(r, t);
	} else if (rel) {
		t->stored_in = rel;
		rel = NULL;
	}
	dq_judge(t);
out:
	PQclear(res);
	free(q);
	free(sql);
	free(qschema);
	free(rel);
	t->seconds += clock_seconds() - t0;
}

/* Runs the foldable tests in group[] (same relation) as one query. */
static void run_fold(struct runner *r, struct dq_test **group, size_t n)
{
	double t0 = clock_seconds();
	struct buf b = { 0 }, any = { 0 };
	buf_adds(&b, "select ");
	size_t ok = 0;
	bool *in = xcalloc(n, sizeof *in);
	for (size_t i = 0; i < n; i++) {
		struct dq_test *t = group[i];
		char *cond = condition(r, t);
		if (!cond)
			continue; /* set_error told the test */
		in[i] = true;
		if (t->where) {
			buf_printf(&b, "%scount(*) filter (where (%s) and (%s))", ok ? ", " : "", t->where, cond);
			buf_printf(&any, "%s((%s) and (%s))", ok ? " or " : "", t->where, cond);
		} else {
			buf_printf(&b, "%scount(*) filter (where %s)", ok ? ", " : "", cond);
			buf_printf(&any, "%s(%s)", ok ? " or " : "", cond);
		}
		ok++;
		free(cond);
	}
	/* Only rows that fail some test reach the aggregates: on clean data
	 * each condition is evaluated once per row instead of once in the
	 * filter and again in the aggregate machinery. A row counted by a
	 * test makes its condition, and so the disjunction, true. */
	buf_printf(&b, " from %s where %s", group[0]->relation, buf_str(&any));
	buf_free(&any);
	PGresult *res = NULL;
	if (ok) {
		struct dq_test probe = { 0 };
		res = exec(r, &probe, buf_str(&b));
		if (!res)
			log_debug("folded query on %s failed (%s); running its tests one by one", group[0]->relation,
				  probe.message);
		free(probe.message);
	}
	buf_free(&b);
	double share = (clock_seconds() - t0) / (double)(ok ? ok : 1);
	if (res) {
		r->st->fold_queries++;
		r->st->folded_tests += ok;
	}
	for (size_t i = 0, col = 0; i < n && !r->lost; i++) {
		struct dq_test *t = group[i];
		if (!in[i]) {
			if (r->o->done)
				r->o->done(t);
			continue;
		}
		t->seconds = share;
		t->fold_size = res ? ok : 1;
		if (!res) {
			run_single(r, t);
		} else if (strtoll(PQgetvalue(res, 0, (int)col), NULL, 10) == 0) {
			t->failures = 0;
			if (wants_store(r, t))
				drop_stored(r, t);
			dq_judge(t);
		} else {
			run_single(r, t); /* exact count, samples, stored rows */
		}
		col++;
		if (r->o->done)
			r->o->done(t);
	}
	PQclear(res);
	free(in);
}

int dq_run(PGconn *conn, struct dq_suite *s, const struct dq_run_opts *o, struct dq_stats *st)
{
	struct runner r = { conn, o, st, false, NULL, 0 };
	memset(st, 0, sizeof *st);
	/* Test queries are single scans with cheap expressions: the planner
	 * JIT-compiles the folded one on large tables, and compiling costs
	 * more than it saves (on the benchmark's 3M rows, 0.55 s against
	 * 0.48 s without). Session setup, not counted as a query. */
	PGresult *res = PQexec(conn, "set jit = off"); /* servers before 11 have no jit */
	PQclear(res);
	if (PQstatus(conn) == CONNECTION_BAD)
		return -1;
	bool *done = xcalloc(s->ntests ? s->ntests : 1, sizeof *done);
	struct dq_test **group = xrealloc(NULL, (s->ntests ? s->ntests : 1) * sizeof *group);
	for (size_t i = 0; i < s->ntests && !r.lost; i++) {
		struct dq_test *t = &s->tests[i];
		if (!t->selected || done[i])
			continue;
		done[i] = true;
		if (o->fold && foldable(t)) {
			size_t n = 0;
			group[n++] = t;
			for (size_t j = i + 1; j < s->ntests; j++) {
				struct dq_test *u = &s->tests[j];
				if (u->selected && !done[j] && foldable(u) && !strcmp(u->relation, t->relation)) {
					group[n++] = u;
					done[j] = true;
				}
			}
			if (n > 1) {
				run_fold(&r, group, n);
				continue;
			}
		}
		t->fold_size = 1;
		run_single(&r, t);
		if (o->done)
			o->done(t);
	}
	free(done);
	free(group);
	for (size_t i = 0; i < r.nschemas; i++)
		free(r.schemas[i]);
	free(r.schemas);
	return r.lost ? -1 : 0;
}

static bool holds(long long n, struct dq_threshold th)
{
	switch (th.op) {
	case OP_NE: return n != th.n;
	case OP_EQ: return n == th.n;
	case OP_GT: return n > th.n;
	case OP_GE: return n >= th.n;
	case OP_LT: return n < th.n;
	case OP_LE: return n <= th.n;
	}
	return false;
}

/* dbt's rule: error_if decides a FAIL unless severity is warn; then
 * warn_if decides a WARN. */
void dq_judge(struct dq_test *t)
{
	if (t->status == DQ_ERROR)
		return;
	if (!t->warn_severity && holds(t->failures, t->error_if))
		t->status = DQ_FAIL;
	else if (holds(t->failures, t->warn_if))
		t->status = DQ_WARN;
	else
		t->status = DQ_PASS;
}

const char *dq_status_name(enum dq_status st)
{
	static const char *const names[] = { "PASS", "WARN", "FAIL", "ERROR" };
	return names[st];
}
