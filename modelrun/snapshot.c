/* SPDX-License-Identifier: MIT
 * modelrun snapshot: dbt's snapshots, type-2 slowly changing dimensions.
 *
 * A snapshot's table holds every version of each row of its query, keyed
 * by unique_key, with four columns of history (names configurable with
 * snapshot_meta_column_names): dbt_scd_id (md5 of the key and the
 * version's time), dbt_updated_at, dbt_valid_from, and dbt_valid_to (null,
 * or dbt_valid_to_current, while the version is current); with
 * hard_deletes='new_record' also dbt_is_deleted ('True'/'False').
 *
 * The first run creates the table from the query. Every later run, in one
 * transaction, works out what changed into a temporary staging table and
 * then applies it: current versions that changed, or whose key vanished
 * (hard_deletes invalidate or new_record), get their dbt_valid_to; new
 * keys and new versions are inserted, and with new_record a deleted key
 * gets a version marked deleted. A row changed when (timestamp) its
 * updated_at is later than the current version's dbt_valid_from, or
 * (check) one of check_cols differs (null-safe), or a column of the query
 * is not in the table yet. Times that do not come from the data are the
 * transaction's now() as a timestamp without time zone, as dbt-postgres
 * takes them.
 *
 * The SQL is this module's own, written to give the same rows as
 * dbt-postgres 1.11 in the same column order and types (the bats tests
 * compare the two tools' tables); unique_key, updated_at and check_cols
 * are SQL expressions (as in dbt), the columns this module names are
 * quoted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "modelrun.h"
#include "pgconn.h"
#include "xalloc.h"

#define NOW_SQL "now()::timestamp without time zone"

enum hard_deletes { HD_IGNORE, HD_INVALIDATE, HD_NEW_RECORD };

struct snap {
	const struct dbt_node *n;
	const struct dbt_snapcfg *c;
	PGconn *conn;
	struct node_result *r;
	enum hard_deletes hd;
	bool timestamp;          /* the timestamp strategy, else check */
	char *name[SNAP_NCOLS];  /* the meta columns' names, as the table has them */
	char *col[SNAP_NCOLS];   /* the same, quoted */
	const char *ua;          /* updated_at: the column, or NOW_SQL (check) */
	char *rel;               /* the target, quoted and qualified */
	char *tmp;               /* the staging table, pg_temp."..." */
	const char *sql;         /* the compiled query */
};

static const char *const meta_default[SNAP_NCOLS] = { "dbt_valid_to", "dbt_valid_from", "dbt_scd_id",
						       "dbt_updated_at", "dbt_is_deleted" };

static char *quote(struct snap *s, const char *name)
{
	char *q = pgconn_quote_ident(s->conn, NULL, name);
	if (!q)
		mr_message(s->r, "cannot quote identifier: %s", PQerrorMessage(s->conn));
	return q;
}

/* Reads the strategy and hard_deletes as dbt does and names the meta
 * columns: dbt writes them unquoted, so the server folds them to lower
 * case, which is what is quoted here. Returns 0 or -1 with r->message. */
static int snap_settings(struct snap *s)
{
	const struct dbt_snapcfg *c = s->c;
	if (strcmp(c->strategy, "timestamp") != 0 && strcmp(c->strategy, "check") != 0) {
		mr_message(s->r, "the snapshot strategy '%s' is not known (timestamp or check)", c->strategy);
		return -1;
	}
	s->timestamp = c->strategy[0] == 't';
	if (c->invalidate_hard_deletes >= 0 && c->hard_deletes) {
		mr_message(s->r, "invalidate_hard_deletes and hard_deletes cannot both be set on one snapshot");
		return -1;
	}
	if (c->invalidate_hard_deletes == 1 || (c->hard_deletes && strcmp(c->hard_deletes, "invalidate") == 0))
		s->hd = HD_INVALIDATE;
	else if (c->hard_deletes && strcmp(c->hard_deletes, "new_record") == 0)
		s->hd = HD_NEW_RECORD;
	else if (!c->hard_deletes || strcmp(c->hard_deletes, "ignore") == 0)
		s->hd = HD_IGNORE;
	else {
		mr_message(s->r, "hard_deletes='%s' is not one of ignore, invalidate, new_record", c->hard_deletes);
		return -1;
	}
	for (int i = 0; i < SNAP_NCOLS; i++) {
		s->name[i] = xstrdup(c->meta[i] ? c->meta[i] : meta_default[i]);
		for (char *p = s->name[i]; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		if (!(s->col[i] = quote(s, s->name[i])))
			return -1;
	}
	s->ua = s->timestamp || c->updated_at ? c->updated_at : NOW_SQL;
	return 0;
}

/* target_database may only name the database we are connected to:
 * PostgreSQL has no cross-database queries. */
static int check_database(struct snap *s)
{
	if (!s->c->target_database)
		return 0;
	PGresult *res = mr_exec(s->conn, s->r, "reading the database's name", "select current_database()", 0, NULL);
	if (!res)
		return -1;
	int rc = 0;
	if (strcmp(PQgetvalue(res, 0, 0), s->c->target_database) != 0) {
		mr_message(s->r, "target_database '%s' is not the database connected to (%s): cross-database "
			   "references are not possible in PostgreSQL", s->c->target_database, PQgetvalue(res, 0, 0));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* md5 of the key expressions and the version's time, '|'-separated, each
 * cast to varchar and null as '' (dbt's dbt_scd_id, so the ids match). */
static void scd_expr(struct buf *b, const struct dbt_node *n, const char *ua)
{
	buf_adds(b, "md5(");
	for (size_t i = 0; i < n->cfg.nunique; i++)
		buf_printf(b, "coalesce(cast(%s as varchar), '') || '|' || ", n->cfg.unique_key[i]);
	buf_printf(b, "coalesce(cast(%s as varchar), ''))", ua);
}

/* dbt_valid_to of a current version: null or dbt_valid_to_current, typed
 * as updated_at is. */
static void valid_to_expr(struct buf *b, const struct snap *s)
{
	buf_printf(b, "coalesce(nullif(%s, %s), %s)", s->ua, s->ua,
		   s->c->valid_to_current ? s->c->valid_to_current : "null");
}

/* The first run: the table is the query with the history columns. */
static int snap_create(struct snap *s)
{
	struct buf b = { 0 };
	buf_printf(&b, "create table %s as (\nselect *, ", s->rel);
	scd_expr(&b, s->n, s->ua);
	buf_printf(&b, " as %s, %s as %s, %s as %s, ", s->col[SNAP_SCD_ID], s->ua, s->col[SNAP_UPDATED_AT], s->ua,
		   s->col[SNAP_VALID_FROM]);
	valid_to_expr(&b, s);
	buf_printf(&b, " as %s", s->col[SNAP_VALID_TO]);
	if (s->hd == HD_NEW_RECORD)
		buf_printf(&b, ", 'False'::text as %s", s->col[SNAP_IS_DELETED]);
	buf_printf(&b, "\nfrom (\n%s\n) as snapshot_query\n)", s->sql);
	PGresult *res = mr_exec(s->conn, s->r, "creating the snapshot table", buf_str(&b), 0, NULL);
	buf_free(&b);
	if (!res)
		return -1;
	s->r->rows = atoll(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

/* The names of the columns sql returns (run with no rows wanted).
 * Returns the result (names by PQfname) or NULL with r->message. */
static PGresult *query_columns(struct snap *s, const char *sql)
{
	char *q = xasprintf("select * from (\n%s\n) as snapshot_columns where false", sql);
	PGresult *res = mr_exec(s->conn, s->r, "reading the query's columns", q, 0, NULL);
	free(q);
	return res;
}

static int find_name(const PGresult *cols, const char *name)
{
	for (int i = 0; i < PQntuples(cols); i++)
		if (strcmp(PQgetvalue(cols, i, 0), name) == 0)
			return i;
	return -1;
}

/* Is a version current: dbt_valid_to null, or dbt_valid_to_current. */
static void current_cond(struct buf *b, const struct snap *s, const char *alias)
{
	if (s->c->valid_to_current)
		buf_printf(b, "(%s%s%s = %s or %s%s%s is null)", alias, *alias ? "." : "", s->col[SNAP_VALID_TO],
			   s->c->valid_to_current, alias, *alias ? "." : "", s->col[SNAP_VALID_TO]);
	else
		buf_printf(b, "%s%s%s is null", alias, *alias ? "." : "", s->col[SNAP_VALID_TO]);
}

/* A deleted key already marked deleted and current gets no new version
 * (new_record); note: without the "or null" of current_cond, as dbt. */
static void not_marked_deleted(struct buf *b, const struct snap *s)
{
	buf_printf(b, " and not (c.%s = 'True' and c.%s ", s->col[SNAP_IS_DELETED], s->col[SNAP_VALID_TO]);
	if (s->c->valid_to_current)
		buf_printf(b, "= %s)", s->c->valid_to_current);
	else
		buf_adds(b, "is null)");
}

static void key_join(struct buf *b, const struct dbt_node *n, const char *l, const char *r)
{
	for (size_t i = 0; i < n->cfg.nunique; i++)
		buf_printf(b, "%s%s.mr_key_%zu = %s.mr_key_%zu", i ? " and " : "", l, i + 1, r, i + 1);
}

/* Whether a matched row changed: dbt's row_changed for the strategy.
 * check is the quoted list of the check columns (NULL: a column of the
 * query is new to the table, so every row counts as changed). */
static void changed_cond(struct buf *b, const struct snap *s, char **check, size_t ncheck, bool column_added)
{
	buf_adds(b, "(");
	if (s->timestamp) {
		buf_printf(b, "c.%s < s.mr_ua", s->col[SNAP_VALID_FROM]);
	} else if (column_added) {
		buf_adds(b, "true");
	} else {
		for (size_t i = 0; i < ncheck; i++)
			buf_printf(b, "%sc.%s is distinct from s.%s", i ? " or " : "", check[i], check[i]);
		if (!ncheck)
			buf_adds(b, "false");
	}
	if (s->hd == HD_NEW_RECORD)
		buf_printf(b, " or c.%s = 'True'", s->col[SNAP_IS_DELETED]);
	buf_adds(b, ")");
}

/* The check columns that the table already has, quoted, and whether a
 * column of the query (all of it, or check_cols) is new to the table.
 * Returns 0 or -1 with r->message. */
static int check_columns(struct snap *s, const PGresult *target, char ***check, size_t *ncheck, bool *added)
{
	*check = NULL;
	*ncheck = 0;
	*added = false;
	if (s->timestamp)
		return 0;
	struct buf q = { 0 };
	if (s->c->check_all) {
		buf_adds(&q, s->sql);
	} else {
		buf_adds(&q, "select ");
		for (size_t i = 0; i < s->c->ncheck_cols; i++)
			buf_printf(&q, "%s%s", i ? ", " : "", s->c->check_cols[i]);
		buf_printf(&q, " from (\n%s\n) as subq", s->sql);
	}
	PGresult *cols = query_columns(s, buf_str(&q));
	buf_free(&q);
	if (!cols)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQnfields(cols) && rc == 0; i++) {
		if (find_name(target, PQfname(cols, i)) < 0) {
			*added = true;
			continue;
		}
		char *qc = quote(s, PQfname(cols, i));
		if (!qc) {
			rc = -1;
			break;
		}
		*check = xrealloc(*check, (*ncheck + 1) * sizeof **check);
		(*check)[(*ncheck)++] = qc;
	}
	PQclear(cols);
	return rc;
}

/* ", <key expression> as mr_key_N" for each part of the unique key, so
 * that the source and the table are joined on the same names. */
static void key_columns(struct buf *b, const struct dbt_node *n)
{
	for (size_t i = 0; i < n->cfg.nunique; i++)
		buf_printf(b, ", %s as mr_key_%zu", n->cfg.unique_key[i], i + 1);
}

/* The source row s in a select list: ", s.<column>" for each of the
 * query's columns (quoted in qcols), then its key. */
static void source_row(struct buf *b, const struct dbt_node *n, const PGresult *query, char **qcols)
{
	for (int i = 0; i < PQnfields(query); i++)
		buf_printf(b, ", s.%s", qcols[i] ? qcols[i] : "\"\"");
	for (size_t i = 0; i < n->cfg.nunique; i++)
		buf_printf(b, ", s.mr_key_%zu", i + 1);
}

/* The staging table's select: every row to insert ('insert') and every
 * current version to close ('update', 'delete'), with the query's
 * columns, the key (mr_key_N) and the history columns. The branches and
 * their column types follow dbt's, since UNION resolves types by them. */
static void staging_sql(struct buf *b, const struct snap *s, const PGresult *query, const PGresult *target,
			char **check, size_t ncheck, bool column_added)
{
	const struct dbt_node *n = s->n;
	const char *const *col = (const char *const *)s->col;
	buf_adds(b, "with src as (\n  select *, ");
	valid_to_expr(b, s);
	buf_printf(b, " as mr_vtc, %s as mr_ua, ", s->ua);
	scd_expr(b, n, s->ua);
	buf_adds(b, " as mr_scd from (select *");
	key_columns(b, n);
	buf_printf(b, " from (\n%s\n) as snapshot_query) as keyed\n),\ncur as (\n  select *", s->sql);
	key_columns(b, n);
	buf_printf(b, " from %s where ", s->rel);
	current_cond(b, s, "");
	buf_adds(b, "\n)\n");

	/* new keys and new versions */
	char **qcols = xcalloc((size_t)PQnfields(query) + 1, sizeof *qcols);
	for (int i = 0; i < PQnfields(query); i++)
		qcols[i] = pgconn_quote_ident(s->conn, NULL, PQfname(query, i));
	buf_adds(b, "select 'insert'::text as mr_change");
	source_row(b, n, query, qcols);
	buf_printf(b, ", s.mr_ua as %s, s.mr_ua as %s, s.mr_vtc as %s, s.mr_scd as %s", col[SNAP_UPDATED_AT],
		   col[SNAP_VALID_FROM], col[SNAP_VALID_TO], col[SNAP_SCD_ID]);
	if (s->hd == HD_NEW_RECORD)
		buf_printf(b, ", 'False'::text as %s", col[SNAP_IS_DELETED]);
	buf_adds(b, "\nfrom src as s left join cur as c on ");
	key_join(b, n, "c", "s");
	buf_adds(b, "\nwhere c.mr_key_1 is null or ");
	changed_cond(b, s, check, ncheck, column_added);

	/* current versions that changed: closed at the new version's time */
	buf_adds(b, "\nunion all\nselect 'update'");
	source_row(b, n, query, qcols);
	buf_printf(b, ", s.mr_ua, s.mr_ua, s.mr_ua, c.%s", col[SNAP_SCD_ID]);
	if (s->hd == HD_NEW_RECORD)
		buf_printf(b, ", c.%s", col[SNAP_IS_DELETED]);
	buf_adds(b, "\nfrom src as s join cur as c on ");
	key_join(b, n, "c", "s");
	buf_adds(b, "\nwhere ");
	changed_cond(b, s, check, ncheck, column_added);

	if (s->hd != HD_IGNORE) {
		/* current versions whose key is gone: closed now */
		buf_adds(b, "\nunion all\nselect 'delete'");
		source_row(b, n, query, qcols);
		buf_printf(b, ", " NOW_SQL ", " NOW_SQL ", " NOW_SQL ", c.%s", col[SNAP_SCD_ID]);
		if (s->hd == HD_NEW_RECORD)
			buf_printf(b, ", c.%s", col[SNAP_IS_DELETED]);
		buf_adds(b, "\nfrom cur as c left join src as s on ");
		key_join(b, n, "c", "s");
		buf_adds(b, "\nwhere s.mr_key_1 is null");
		if (s->hd == HD_NEW_RECORD)
			not_marked_deleted(b, s);
	}
	if (s->hd == HD_NEW_RECORD) {
		/* and a version that says so, with the last values the table
		 * has (null for a column it does not have yet) */
		buf_adds(b, "\nunion all\nselect 'insert'");
		for (int i = 0; i < PQnfields(query); i++)
			buf_printf(b, ", %s.%s", find_name(target, PQfname(query, i)) >= 0 ? "c" : "s",
				   qcols[i] ? qcols[i] : "\"\"");
		for (size_t i = 0; i < n->cfg.nunique; i++)
			buf_printf(b, ", c.mr_key_%zu", i + 1);
		buf_printf(b, ", " NOW_SQL ", " NOW_SQL ", c.%s, md5(coalesce(cast(c.%s as varchar), '') || '|' || "
			   "coalesce(cast(" NOW_SQL " as varchar), '')), 'True'",
			   col[SNAP_VALID_TO], col[SNAP_SCD_ID]);
		buf_adds(b, "\nfrom cur as c left join src as s on ");
		key_join(b, n, "c", "s");
		buf_adds(b, "\nwhere s.mr_key_1 is null");
		not_marked_deleted(b, s);
	}
	for (int i = 0; i < PQnfields(query); i++)
		free(qcols[i]);
	free(qcols);
}

/* The staging table's columns that go into the snapshot: all but the
 * change type and the key. */
static bool staging_only(const char *name)
{
	return strcmp(name, "mr_change") == 0 || strncmp(name, "mr_key_", 7) == 0;
}

/* dbt's snapshot target check: the history columns must be there. */
static int check_target(struct snap *s, const PGresult *target)
{
	static const int need[] = { SNAP_SCD_ID, SNAP_VALID_FROM, SNAP_VALID_TO, SNAP_IS_DELETED };
	struct buf missing = { 0 };
	for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
		if (need[i] == SNAP_IS_DELETED && s->hd != HD_NEW_RECORD)
			continue;
		if (find_name(target, s->name[need[i]]) < 0)
			buf_printf(&missing, "%s\"%s\"", missing.len ? ", " : "", s->name[need[i]]);
	}
	int rc = 0;
	if (missing.len) {
		mr_message(s->r, "%s is not a snapshot table of this configuration: it has no column %s", s->n->relation,
			   buf_str(&missing));
		rc = -1;
	}
	buf_free(&missing);
	return rc;
}

/* Adds to the table the staging columns it lacks (a column new in the
 * query), then closes and inserts versions. */
static int apply_staging(struct snap *s, PGresult *target)
{
	PGresult *stage = mr_columns(s->conn, s->r, s->tmp);
	if (!stage)
		return -1;
	struct buf cols = { 0 };
	int rc = 0;
	for (int i = 0; i < PQntuples(stage) && rc == 0; i++) {
		const char *name = PQgetvalue(stage, i, 0);
		if (staging_only(name))
			continue;
		char *qc = quote(s, name);
		if (!qc) {
			rc = -1;
			break;
		}
		buf_printf(&cols, "%s%s", cols.len ? ", " : "", qc);
		if (find_name(target, name) < 0) {
			char *sql = xasprintf("alter table %s add column %s %s", s->rel, qc, mr_column_type(stage, i));
			log_debug("%s: new column %s", s->n->name, name);
			PGresult *res = mr_exec(s->conn, s->r, "adding a column", sql, 0, NULL);
			free(sql);
			rc = res ? 0 : -1;
			PQclear(res);
		}
		free(qc);
	}
	PQclear(stage);
	if (rc == 0) {
		struct buf u = { 0 };
		buf_printf(&u, "update %s as t set %s = s.%s from %s as s where s.%s::text = t.%s::text "
			   "and s.mr_change in ('update', 'delete') and ",
			   s->rel, s->col[SNAP_VALID_TO], s->col[SNAP_VALID_TO], s->tmp, s->col[SNAP_SCD_ID],
			   s->col[SNAP_SCD_ID]);
		current_cond(&u, s, "t");
		PGresult *res = mr_exec(s->conn, s->r, "closing changed versions", buf_str(&u), 0, NULL);
		buf_free(&u);
		if (!res)
			rc = -1;
		else
			log_debug("%s: %s versions closed", s->n->name, PQcmdTuples(res));
		PQclear(res);
	}
	if (rc == 0) {
		char *sql = xasprintf("insert into %s (%s) select %s from %s where mr_change = 'insert'", s->rel,
				      buf_str(&cols), buf_str(&cols), s->tmp);
		PGresult *res = mr_exec(s->conn, s->r, "inserting new versions", sql, 0, NULL);
		free(sql);
		if (!res)
			rc = -1;
		else
			s->r->rows = atoll(PQcmdTuples(res));
		PQclear(res);
	}
	buf_free(&cols);
	return rc;
}

/* A later run: stage the changes, widen and add columns, apply. */
static int snap_update(struct snap *s)
{
	PGresult *target = mr_columns(s->conn, s->r, s->rel);
	if (!target)
		return -1;
	PGresult *query = NULL;
	char **check = NULL;
	size_t ncheck = 0;
	bool added = false;
	int rc = -1;
	if (check_target(s, target) || !(query = query_columns(s, s->sql)) ||
	    check_columns(s, target, &check, &ncheck, &added))
		goto out;
	struct buf b = { 0 };
	buf_printf(&b, "create temporary table %s on commit drop as (\n", s->tmp);
	staging_sql(&b, s, query, target, check, ncheck, added);
	buf_adds(&b, "\n)");
	log_debug("%s: staging: %s", s->n->name, buf_str(&b));
	PGresult *res = mr_exec(s->conn, s->r, "staging the changes", buf_str(&b), 0, NULL);
	buf_free(&b);
	if (!res)
		goto out;
	PQclear(res);
	if (mr_expand_columns(s->conn, s->r, s->tmp, s->rel))
		goto out;
	rc = apply_staging(s, target);
out:
	for (size_t i = 0; i < ncheck; i++)
		free(check[i]);
	free(check);
	PQclear(query);
	PQclear(target);
	return rc;
}

/* Everything of one snapshot between BEGIN and the post-hooks. */
static int snap_body(struct snap *s, int kind)
{
	if (check_database(s))
		return -1;
	if (kind == 0)
		return snap_create(s);
	if (kind != 'r' && kind != 'p') {
		mr_message(s->r, "%s exists and is not a table (relkind '%c'): a snapshot needs a table; drop it first",
			   s->n->relation, kind);
		return -1;
	}
	return snap_update(s);
}

int mr_snapshot(struct mr_ctx *ctx, PGconn *conn, size_t node, struct node_result *r)
{
	const struct dbt_node *n = &ctx->p->nodes[node];
	struct snap s = { .n = n, .c = &n->cfg.snap, .conn = conn, .r = r };
	r->rows = -1;
	int rc = -1;
	char err[1024], *sql = NULL;
	if (snap_settings(&s))
		goto out;
	if (dbt_pgquery_compile(ctx->p, conn, node, false, &sql, err, sizeof err)) {
		mr_message(r, "%s", err);
		goto out;
	}
	r->compiled = sql;
	s.sql = sql;
	s.rel = pgconn_quote_ident(conn, n->schema, n->identifier);
	char tmpname[64];
	snprintf(tmpname, sizeof tmpname, "%.50s__mr_snap", n->identifier);
	s.tmp = pgconn_quote_ident(conn, "pg_temp", tmpname);
	if (!s.rel || !s.tmp) {
		mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
		goto out;
	}
	int kind = mr_relkind(conn, r, n->schema, n->identifier);
	if (kind < 0 || mr_hooks(ctx, conn, node, false, false, false, r))
		goto out;
	PGresult *res = mr_exec(conn, r, "BEGIN", "begin", 0, NULL);
	if (!res)
		goto out;
	PQclear(res);
	rc = mr_hooks(ctx, conn, node, false, true, false, r);
	if (rc == 0)
		rc = snap_body(&s, kind);
	if (rc == 0)
		rc = mr_hooks(ctx, conn, node, true, true, false, r);
	if (rc != 0) {
		mr_rollback(conn);
		goto out;
	}
	char *keep = r->response ? xstrdup(r->response) : NULL;
	res = mr_exec(conn, r, "COMMIT", "commit", 0, NULL);
	free(r->response);
	r->response = keep;
	if (!res) {
		mr_rollback(conn);
		rc = -1;
		goto out;
	}
	PQclear(res);
	rc = mr_hooks(ctx, conn, node, true, false, false, r);
out:
	for (int i = 0; i < SNAP_NCOLS; i++) {
		free(s.name[i]);
		free(s.col[i]);
	}
	free(s.rel);
	free(s.tmp);
	return rc;
}
