/* SPDX-License-Identifier: MIT
 * Materializations for PostgreSQL: view, table, incremental (ephemeral
 * models are inlined by mr_compile), each in one transaction.
 *
 * A model is built under a temporary name and swapped in, so readers never
 * see a missing or half-built relation and a failed build leaves the old
 * one untouched. What sets this apart from dbt's rename-then-drop-cascade
 * is that views depending on the model survive: a view is replaced with
 * CREATE OR REPLACE VIEW when its columns allow; otherwise (and for
 * tables) the dependent views' definitions are read from the catalog, the
 * old relation is dropped with them, the new one renamed into place and
 * the dependents created again, all before COMMIT. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "modelrun.h"
#include "pgconn.h"
#include "xalloc.h"

void mr_message(struct node_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buf[4096];
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	free(r->message);
	r->message = xstrdup(buf);
}

/* The server's message with its DETAIL/HINT, on one line. */
static void result_message(struct node_result *r, const char *what, const PGresult *res, PGconn *conn)
{
	char *msg = pgconn_error_line(conn, res);
	mr_message(r, "%s%s%s", what, *what ? ": " : "", msg);
	free(msg);
}

PGresult *mr_exec(PGconn *conn, struct node_result *r, const char *what, const char *sql, int nparams,
		  const char *const *params)
{
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		free(r->response);
		r->response = xstrdup(PQcmdStatus(res));
		return res;
	}
	result_message(r, what, res, conn);
	PQclear(res);
	return NULL;
}

/* Runs a command whose result is not needed. */
static int exec_ok(PGconn *conn, struct node_result *r, const char *what, const char *sql)
{
	PGresult *res = mr_exec(conn, r, what, sql, 0, NULL);
	PQclear(res);
	return res ? 0 : -1;
}

void mr_rollback(PGconn *conn)
{
	PGresult *res = PQexec(conn, "ROLLBACK");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		log_debug("ROLLBACK failed too: %s", res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	PQclear(res);
}

void mr_tmp_name(const char *name, char *buf)
{
	size_t n = strlen(name);
	if (n > 55)
		n = 55;
	snprintf(buf, 64, "%.*s__mr_tmp", (int)n, name);
}

int mr_relkind(PGconn *conn, struct node_result *r, const char *schema, const char *name)
{
	const char *params[] = { schema, name };
	PGresult *res = mr_exec(conn, r, "looking up the relation",
				"select c.relkind from pg_catalog.pg_class c "
				"join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
				"where n.nspname = $1 and c.relname = $2",
				2, params);
	if (!res)
		return -1;
	int kind = PQntuples(res) ? PQgetvalue(res, 0, 0)[0] : '\0';
	PQclear(res);
	return kind;
}

/* "schema"."name" quoted by the server's rules; NULL after setting the
 * message. Free with free(). */
static char *qualified(PGconn *conn, struct node_result *r, const char *schema, const char *name)
{
	char *out = pgconn_quote_ident(conn, schema, name);
	if (!out)
		mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
	return out;
}

static const char *kind_word(char kind)
{
	switch (kind) {
	case 'v': return "VIEW";
	case 'm': return "MATERIALIZED VIEW";
	default: return "TABLE";
	}
}

/* The relation $1.$2 (depth 0) and the views that depend on it, directly
 * or through other views (depth 1 and on), as deps(oid, depth). */
#define DEPENDENTS_CTE                                                            \
	"with recursive deps(oid, depth) as ("                                    \
	"  select c.oid, 0 from pg_catalog.pg_class c"                            \
	"  join pg_catalog.pg_namespace n on n.oid = c.relnamespace"              \
	"  where n.nspname = $1 and c.relname = $2"                               \
	"  union all"                                                             \
	"  select r.ev_class, deps.depth + 1 from deps"                           \
	"  join pg_catalog.pg_depend d on d.refobjid = deps.oid"                  \
	"    and d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass"        \
	"    and d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"       \
	"  join pg_catalog.pg_rewrite r on r.oid = d.objid"                       \
	"  where r.ev_class <> deps.oid and deps.depth < 100"                     \
	") "

int mr_swap(PGconn *conn, const char *schema, const char *name, const char *tmp, char old_kind,
	    char new_kind, struct node_result *r)
{
	/* With an empty search_path, pg_get_viewdef qualifies every name, so
	 * the saved definitions mean the same when run again below. */
	if (exec_ok(conn, r, "setting search_path", "set local search_path = ''"))
		return -1;
	const char *params[] = { schema, name };
	PGresult *deps = mr_exec(conn, r, "reading dependent views",
		DEPENDENTS_CTE
		"select n.nspname, c.relname, c.relkind, pg_catalog.pg_get_viewdef(c.oid),"
		"  coalesce(pg_catalog.array_to_string(c.reloptions, ', '), ''), max(deps.depth) as depth,"
		"  pg_catalog.obj_description(c.oid, 'pg_class') "
		"from deps join pg_catalog.pg_class c on c.oid = deps.oid"
		"  join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
		"where deps.depth > 0 "
		"group by c.oid, n.nspname, c.relname, c.relkind, c.reloptions "
		"order by depth, 1, 2",
		2, params);
	if (!deps)
		return -1;
	/* The privileges granted on the old relation and on its dependents
	 * (not the owner's own), to grant again on what replaces them. */
	PGresult *acl = mr_exec(conn, r, "reading privileges",
		DEPENDENTS_CTE
		"select distinct pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),"
		"  a.privilege_type,"
		"  case when a.grantee = 0 then 'public' else pg_catalog.quote_ident(ro.rolname) end,"
		"  a.is_grantable "
		"from deps join pg_catalog.pg_class c on c.oid = deps.oid"
		"  join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
		"  cross join lateral pg_catalog.aclexplode(c.relacl) a"
		"  left join pg_catalog.pg_roles ro on ro.oid = a.grantee "
		"where a.grantee <> c.relowner",
		2, params);
	if (!acl) {
		PQclear(deps);
		return -1;
	}
	int rc = -1;
	char *old = qualified(conn, r, schema, name);
	char *qtmp = old ? qualified(conn, r, NULL, tmp) : NULL;
	char *qname = qtmp ? qualified(conn, r, NULL, name) : NULL;
	char *sql = NULL;
	if (!qname)
		goto out;
	/* Lock in the order readers do: a query on a view locks the view,
	 * then what it reads. Taking the outermost dependents first, and the
	 * old relation last, means a reader of a dependent view never holds
	 * the view while waiting for the table we hold (a deadlock that would
	 * cost the reader its query). */
	for (int i = PQntuples(deps) - 1; i >= -1; i--) {
		/* LOCK TABLE refuses a materialized view; DROP locks it below */
		if ((i >= 0 ? PQgetvalue(deps, i, 2)[0] : old_kind) == 'm')
			continue;
		char *rel = i >= 0 ? qualified(conn, r, PQgetvalue(deps, i, 0), PQgetvalue(deps, i, 1)) : xstrdup(old);
		if (!rel)
			goto out;
		sql = xasprintf("lock table %s in access exclusive mode", rel);
		free(rel);
		if (exec_ok(conn, r, "locking the relation and its dependents", sql))
			goto out;
		free(sql);
		sql = NULL;
	}
	sql = xasprintf("drop %s %s cascade", kind_word(old_kind), old);
	if (exec_ok(conn, r, "dropping the old relation", sql))
		goto out;
	free(sql);
	char *newrel = qualified(conn, r, schema, tmp);
	if (!newrel)
		goto out;
	sql = xasprintf("alter %s %s rename to %s", kind_word(new_kind), newrel, qname);
	free(newrel);
	if (exec_ok(conn, r, "renaming the new relation into place", sql))
		goto out;
	for (int i = 0; i < PQntuples(deps); i++) {
		char *dep = qualified(conn, r, PQgetvalue(deps, i, 0), PQgetvalue(deps, i, 1));
		if (!dep)
			goto out;
		char kind = PQgetvalue(deps, i, 2)[0];
		char *def = xstrdup(PQgetvalue(deps, i, 3));
		size_t dl = strlen(def);
		while (dl && (def[dl - 1] == ';' || isspace((unsigned char)def[dl - 1])))
			def[--dl] = '\0';
		const char *opts = PQgetvalue(deps, i, 4);
		free(sql);
		sql = xasprintf("create %s %s%s%s%s as %s", kind == 'm' ? "materialized view" : "view", dep,
			       *opts ? " with (" : "", opts, *opts ? ")" : "", def);
		free(def);
		char what[512];
		snprintf(what, sizeof what, "recreating dependent view %s", dep);
		if (exec_ok(conn, r, what, sql)) {
			free(dep);
			goto out;
		}
		if (!PQgetisnull(deps, i, 6)) {
			const char *c = PQgetvalue(deps, i, 6);
			char *lit = pgconn_quote_literal(conn, c);
			if (!lit) {
				free(dep);
				mr_message(r, "cannot quote a comment: %s", PQerrorMessage(conn));
				goto out;
			}
			free(sql);
			sql = xasprintf("comment on %s %s is %s", kind == 'm' ? "materialized view" : "view", dep, lit);
			free(lit);
			if (exec_ok(conn, r, "restoring a view's comment", sql)) {
				free(dep);
				goto out;
			}
		}
		free(dep);
	}
	for (int i = 0; i < PQntuples(acl); i++) {
		free(sql);
		sql = xasprintf("grant %s on table %s to %s%s", PQgetvalue(acl, i, 1), PQgetvalue(acl, i, 0),
			       PQgetvalue(acl, i, 2), strcmp(PQgetvalue(acl, i, 3), "t") == 0 ? " with grant option" : "");
		if (exec_ok(conn, r, "granting the old privileges again", sql))
			goto out;
	}
	if (exec_ok(conn, r, "resetting search_path", "reset search_path"))
		goto out;
	rc = 0;
out:
	free(sql);
	free(old);
	free(qtmp);
	free(qname);
	PQclear(deps);
	PQclear(acl);
	return rc;
}

/* ---- compilation with ephemeral models inlined ---- */

struct eph {
	const struct dbt_project *p;
	bool *want; /* per node: an ephemeral this model needs */
};

static const char *note_ephemeral(void *ud, size_t node)
{
	struct eph *e = ud;
	e->want[node] = true;
	return NULL; /* the default __dbt__cte__name */
}

static void strip_trailing(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ';' || isspace((unsigned char)s[n - 1])))
		s[--n] = '\0';
}

void mr_render_query_clear(struct mr_render_query *q)
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

int mr_render_query(void *ud, const char *sql, size_t nparams, const char *const *params, struct dbt_rows *rows,
		    char *err, size_t errlen)
{
	struct mr_render_query *q = ud;
	mr_render_query_clear(q);
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
		switch (PQftype(q->res, (int)k)) {
		case 20: case 21: case 23: case 26: case 700: case 701: case 1700: /* int8, int2, int4, oid, floats, numeric */
			q->kinds[k] = DBT_COL_NUMBER;
			break;
		case 16: /* bool */
			q->kinds[k] = DBT_COL_BOOL;
			break;
		default:
			q->kinds[k] = DBT_COL_TEXT;
		}
	}
	for (size_t i = 0; i < nr; i++)
		for (size_t k = 0; k < nc; k++)
			q->values[i * nc + k] = PQgetisnull(q->res, (int)i, (int)k) ? NULL : PQgetvalue(q->res, (int)i, (int)k);
	*rows = (struct dbt_rows){ nc, nr, (const char *const *)q->names, q->kinds, q->values };
	return 0;
}

int mr_compile(const struct dbt_project *p, PGconn *conn, size_t node, bool incremental, char **sql, char *err,
	       size_t errlen)
{
	struct mr_render_query rq = { .conn = conn };
	bool *want = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *want);
	bool *done = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *done);
	char **cte = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *cte);
	struct eph e = { p, want };
	struct dbt_render_opts o = { .incremental = incremental, .ephemeral = note_ephemeral, .ud = &e,
				     .query = conn ? mr_render_query : NULL, .query_ud = &rq };
	char *main_sql = NULL;
	int rc = -1;
	if (dbt_render(p, node, &o, &main_sql, err, errlen))
		goto out;
	strip_trailing(main_sql);
	/* render each ephemeral once; rendering may ask for more */
	for (bool more = true; more;) {
		more = false;
		for (size_t i = 0; i < p->nnodes; i++) {
			if (!want[i] || done[i])
				continue;
			done[i] = true;
			more = true;
			struct dbt_render_opts eo = { .incremental = false, .ephemeral = note_ephemeral, .ud = &e,
						      .query = conn ? mr_render_query : NULL, .query_ud = &rq };
			if (dbt_render(p, i, &eo, &cte[i], err, errlen))
				goto out;
			strip_trailing(cte[i]);
		}
	}
	size_t total = strlen(main_sql) + 64;
	size_t ncte = 0;
	for (size_t i = 0; i < p->nnodes; i++)
		if (cte[i]) {
			total += strlen(cte[i]) + strlen(p->nodes[i].name) + 64;
			ncte++;
		}
	if (!ncte) {
		*sql = main_sql;
		main_sql = NULL;
		rc = 0;
		goto out;
	}
	/* CTEs in graph order, so an ephemeral's own ephemerals come first */
	char *ctes = xmalloc(total), *w = ctes;
	*w = '\0';
	for (size_t k = 0; k < p->nnodes; k++) {
		size_t i = p->order[k];
		if (!cte[i])
			continue;
		w += sprintf(w, "%s__dbt__cte__%s as (\n%s\n)", w == ctes ? "" : ", ", p->nodes[i].name, cte[i]);
	}
	*sql = dbt_with_ctes(main_sql, ctes);
	free(ctes);
	rc = 0;
out:
	for (size_t i = 0; i < p->nnodes; i++)
		free(cte[i]);
	free(cte);
	free(want);
	free(done);
	free(main_sql);
	mr_render_query_clear(&rq);
	return rc;
}

/* ---- hooks ---- */

int mr_hooks(const struct mr_ctx *ctx, PGconn *conn, size_t node, bool post, bool in_txn, bool incremental,
	     struct node_result *r)
{
	const struct dbt_node *n = &ctx->p->nodes[node];
	const struct dbt_hook *h = post ? n->cfg.post_hooks : n->cfg.pre_hooks;
	size_t count = post ? n->cfg.npost_hooks : n->cfg.npre_hooks;
	const char *what = post ? "post-hook" : "pre-hook";
	for (size_t i = 0; i < count; i++) {
		if (h[i].transaction != in_txn)
			continue;
		char err[1024], *sql;
		/* a hook's queries while it renders run on the model's
		 * connection, in its transaction */
		struct mr_render_query rq = { .conn = conn };
		struct dbt_render_opts o = { .incremental = incremental, .query = mr_render_query, .query_ud = &rq };
		int rc = dbt_render_hook_with(ctx->p, node, h[i].sql, &o, &sql, err, sizeof err);
		mr_render_query_clear(&rq);
		if (rc) {
			mr_message(r, "%s %zu: %s", what, i + 1, err);
			return -1;
		}
		if (!*dbt_sql_start(sql)) {
			free(sql);
			continue;
		}
		log_debug("%s: %s %zu: %s", n->name, what, i + 1, sql);
		PGresult *res = PQexec(conn, sql);
		free(sql);
		ExecStatusType st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			char label[64];
			snprintf(label, sizeof label, "%s %zu", what, i + 1);
			result_message(r, label, res, conn);
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	return 0;
}

/* ---- Citus: distribution kept across rebuilds ----
 * CREATE TABLE AS makes a table local to the coordinator, so a distributed
 * model or seed is rebuilt as: the new table created empty, distributed
 * (or replicated) like the one it replaces, filled with INSERT ... SELECT
 * (pushed down to the shards when the query is colocated with it), then
 * swapped in, in the one transaction of the build. */

bool mr_distributes(const struct mr_ctx *ctx, const struct dbt_node *n)
{
	return ctx->citus && (n->cfg.distributed_by || n->cfg.replicated);
}

int mr_distribute(const struct mr_ctx *ctx, PGconn *conn, const struct dbt_node *n, const char *tmprel,
		  struct node_result *r)
{
	if (!mr_distributes(ctx, n))
		return 0;
	const struct dbt_config *c = &n->cfg;
	if (c->distributed_by && c->replicated) {
		mr_message(r, "config distributed_by and distributed_replicated (reference) exclude each other");
		return -1;
	}
	if (c->colocate_with && !c->distributed_by) {
		mr_message(r, "config colocate_with needs distributed_by (distribution_column)");
		return -1;
	}
	/* A reference table has a copy on the coordinator too; writing it
	 * there "locally" would then forbid the parallel commands that follow
	 * in this transaction (filling, indexing, analyzing, the swap). */
	PGresult *res = mr_exec(conn, r, "setting citus.enable_local_execution",
				"set local citus.enable_local_execution = off", 0, NULL);
	if (!res)
		return -1;
	PQclear(res);
	if (c->replicated) {
		const char *params[] = { tmprel };
		res = mr_exec(conn, r, "making a reference table",
			      "select pg_catalog.create_reference_table($1::pg_catalog.regclass)", 1, params);
	} else {
		const char *params[] = { tmprel, c->distributed_by, c->colocate_with ? c->colocate_with : "default" };
		res = mr_exec(conn, r, "distributing the table",
			      "select pg_catalog.create_distributed_table($1::pg_catalog.regclass, $2, "
			      "colocate_with => $3)",
			      3, params);
	}
	PQclear(res);
	return res ? 0 : -1;
}

/* Whether the existing table schema.name is spread as n's config asks:
 * 1 yes, 0 no (a local table, another column, a reference table where a
 * distributed one is asked, ...), -1 on error. */
static int distribution_matches(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *rel)
{
	const char *params[] = { rel };
	PGresult *res = mr_exec(conn, r, "reading the table's distribution",
				"select case when p.partmethod = 'h' then 'distributed' "
				"  when p.repmodel = 't' then 'reference' else 'other' end, "
				"  coalesce(pg_catalog.column_to_column_name(p.logicalrelid, p.partkey), '') "
				"from pg_catalog.pg_dist_partition p where p.logicalrelid = $1::pg_catalog.regclass",
				1, params);
	if (!res)
		return -1;
	int same = 0;
	if (PQntuples(res) == 1) {
		const char *type = PQgetvalue(res, 0, 0), *col = PQgetvalue(res, 0, 1);
		same = n->cfg.replicated ? strcmp(type, "reference") == 0
					 : strcmp(type, "distributed") == 0 && strcmp(col, n->cfg.distributed_by) == 0;
	}
	PQclear(res);
	return same;
}

/* ---- the builds ---- */

/* Creates the configured indexes on schema.rel. */
static int create_indexes(PGconn *conn, struct node_result *r, const struct dbt_config *cfg, const char *rel)
{
	for (size_t i = 0; i < cfg->nindexes; i++) {
		const struct dbt_index *ix = &cfg->indexes[i];
		char *cols = pgconn_quote_list(conn, (const char *const *)ix->columns, ix->ncolumns);
		char *method = cols && ix->type ? qualified(conn, r, NULL, ix->type) : NULL;
		if (!cols || (ix->type && !method)) {
			if (!cols)
				mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
			free(cols);
			return -1;
		}
		char *sql = xasprintf("create %sindex on %s%s%s (%s)", ix->unique ? "unique " : "", rel,
				     method ? " using " : "", method ? method : "", cols);
		free(method);
		free(cols);
		int rc = exec_ok(conn, r, "creating an index", sql);
		free(sql);
		if (rc)
			return -1;
	}
	return 0;
}

static long long tuples(PGresult *res)
{
	const char *t = PQcmdTuples(res);
	return *t ? atoll(t) : -1;
}

/* A new relation with nothing to replace takes its name directly. kind is
 * "view" or "table". */
static int rename_into_place(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *tmprel,
			     const char *kind)
{
	char *qname = qualified(conn, r, NULL, n->identifier);
	if (!qname)
		return -1;
	char *q = xasprintf("alter %s %s rename to %s", kind, tmprel, qname);
	free(qname);
	char *what = xasprintf("renaming the %s into place", kind);
	int rc = exec_ok(conn, r, what, q);
	free(what);
	free(q);
	return rc;
}

/* view: a temporary view checks the SQL; then CREATE OR REPLACE keeps
 * dependents untouched, and only when the columns changed incompatibly
 * (SQLSTATE 42P16) the swap rebuilds them. */
static int build_view(PGconn *conn, struct node_result *r, const struct dbt_node *n, int old_kind,
		      const char *sql, const char *rel, const char *tmprel, const char *tmp)
{
	char *q = xasprintf("create view %s as (\n%s\n)", tmprel, sql);
	int rc = exec_ok(conn, r, "building the view", q);
	free(q);
	if (rc)
		return -1;
	if (!old_kind)
		return rename_into_place(conn, r, n, tmprel, "view");
	if (old_kind == 'v') {
		if (exec_ok(conn, r, "savepoint", "savepoint replace_view"))
			return -1;
		q = xasprintf("create or replace view %s as (\n%s\n)", rel, sql);
		PGresult *res = PQexec(conn, q);
		free(q);
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK) {
			PQclear(res);
			q = xasprintf("drop view %s", tmprel);
			rc = exec_ok(conn, r, "dropping the temporary view", q);
			free(q);
			if (rc)
				return -1;
			return exec_ok(conn, r, "releasing the savepoint", "release savepoint replace_view");
		}
		if (strcmp(pgconn_sqlstate(res), "42P16") != 0) {
			result_message(r, "replacing the view", res, conn);
			PQclear(res);
			return -1;
		}
		PQclear(res);
		if (exec_ok(conn, r, "rolling back to the savepoint", "rollback to savepoint replace_view"))
			return -1;
	}
	return mr_swap(conn, n->schema, n->identifier, tmp, (char)old_kind, 'v', r);
}

static int build_table(const struct mr_ctx *ctx, PGconn *conn, struct node_result *r, const struct dbt_node *n,
		       int old_kind, const char *sql, const char *tmprel, const char *tmp)
{
	char *q;
	PGresult *res;
	if (n->cfg.contract_enforced) {
		/* the contract's columns and constraints, then the rows */
		if (mr_contract_create(ctx, conn, r, n, tmprel) || mr_distribute(ctx, conn, n, tmprel, r))
			return -1;
		r->rows = mr_contract_fill(conn, r, n, tmprel, sql);
		if (r->rows == -2)
			return -1;
		goto built;
	}
	if (mr_distributes(ctx, n)) {
		/* the query's columns, no rows; distributed; then filled */
		q = xasprintf("create table %s as (\n%s\n) with no data", tmprel, sql);
		res = mr_exec(conn, r, "creating the table", q, 0, NULL);
		free(q);
		PQclear(res);
		if (!res || mr_distribute(ctx, conn, n, tmprel, r))
			return -1;
		q = xasprintf("insert into %s (\n%s\n)", tmprel, sql);
		res = mr_exec(conn, r, "filling the table", q, 0, NULL);
	} else {
		q = xasprintf("create table %s as (\n%s\n)", tmprel, sql);
		res = mr_exec(conn, r, "building the table", q, 0, NULL);
	}
	free(q);
	if (!res)
		return -1;
	r->rows = tuples(res);
	PQclear(res);
built:
	if (create_indexes(conn, r, &n->cfg, tmprel))
		return -1;
	/* fresh statistics, so the models built on it next get good plans */
	q = xasprintf("analyze %s", tmprel);
	int rc = exec_ok(conn, r, "analyzing the table", q);
	free(q);
	if (rc)
		return -1;
	if (!old_kind)
		return rename_into_place(conn, r, n, tmprel, "table");
	return mr_swap(conn, n->schema, n->identifier, tmp, (char)old_kind, 'r', r);
}

/* ---- materialized views ---- */

/* Whether the indexes of rel differ from those n's config asks for,
 * compared as dbt-postgres compares them: each index by its set of
 * columns, uniqueness and method. 1 yes, 0 no, -1 on error. */
static int indexes_differ(PGconn *conn, struct node_result *r, const struct dbt_config *cfg, const char *rel)
{
	const char *params[] = { rel };
	PGresult *res = mr_exec(conn, r, "reading the indexes",
				"select ix.indisunique::text || '|' || am.amname || '|' ||"
				"  (select pg_catalog.string_agg(a.attname, ',' order by a.attname)"
				"   from pg_catalog.pg_attribute a"
				"   where a.attrelid = ix.indrelid and a.attnum = any (ix.indkey)) "
				"from pg_catalog.pg_index ix"
				"  join pg_catalog.pg_class i on i.oid = ix.indexrelid"
				"  join pg_catalog.pg_am am on am.oid = i.relam "
				"where ix.indrelid = $1::pg_catalog.regclass",
				1, params);
	if (!res)
		return -1;
	int differ = (size_t)PQntuples(res) != cfg->nindexes;
	for (size_t i = 0; i < cfg->nindexes && !differ; i++) {
		const struct dbt_index *ix = &cfg->indexes[i];
		/* the configured columns, sorted as the catalog's are */
		const char **cols = xcalloc(ix->ncolumns ? ix->ncolumns : 1, sizeof *cols);
		for (size_t k = 0; k < ix->ncolumns; k++) {
			size_t j = k;
			while (j > 0 && strcmp(cols[j - 1], ix->columns[k]) > 0) {
				cols[j] = cols[j - 1];
				j--;
			}
			cols[j] = ix->columns[k];
		}
		char *key = xasprintf("%s|%s|", ix->unique ? "true" : "false", ix->type ? ix->type : "btree");
		for (size_t k = 0; k < ix->ncolumns; k++) {
			char *more = xasprintf("%s%s%s", key, k ? "," : "", cols[k]);
			free(key);
			key = more;
		}
		free(cols);
		bool found = false;
		for (int t = 0; t < PQntuples(res) && !found; t++)
			found = strcasecmp(PQgetvalue(res, t, 0), key) == 0;
		free(key);
		differ = !found;
	}
	PQclear(res);
	return differ;
}

/* Drops every index of rel, to create the configured ones again. */
static int drop_indexes(PGconn *conn, struct node_result *r, const char *rel)
{
	const char *params[] = { rel };
	PGresult *res = mr_exec(conn, r, "reading the indexes",
				"select pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(i.relname) "
				"from pg_catalog.pg_index ix join pg_catalog.pg_class i on i.oid = ix.indexrelid"
				"  join pg_catalog.pg_namespace n on n.oid = i.relnamespace "
				"where ix.indrelid = $1::pg_catalog.regclass",
				1, params);
	if (!res)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		char *q = xasprintf("drop index %s", PQgetvalue(res, i, 0));
		rc = exec_ok(conn, r, "dropping an index", q);
		free(q);
	}
	PQclear(res);
	return rc;
}

static long long tuples(PGresult *res);
static int create_indexes(PGconn *conn, struct node_result *r, const struct dbt_config *cfg, const char *rel);
static int rename_into_place(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *tmprel,
			     const char *kind);

/* materialized_view, as dbt-postgres builds it: created (with its
 * indexes) when there is none, or in place of a table or view, or with
 * --full-refresh; otherwise refreshed, or, when its indexes differ from
 * the config, the indexes changed (on_configuration_change apply, the
 * default, without a refresh, as dbt does), nothing done (continue) or
 * the model failed (fail). One thing dbt does not do: when the model's
 * query changed (the server's normalized definitions of the old and the
 * new one differ) the view is built again, where dbt would go on
 * refreshing the old query until a --full-refresh. */
static int build_matview(const struct mr_ctx *ctx, PGconn *conn, struct node_result *r, const struct dbt_node *n,
			 int old_kind, const char *sql, const char *rel, const char *tmprel, const char *tmp)
{
	char *q;
	PGresult *res;
	if (old_kind == 'm' && !mr_full_refresh(ctx, n)) {
		q = xasprintf("create materialized view %s as (\n%s\n) with no data", tmprel, sql);
		int rc = exec_ok(conn, r, "checking the materialized view's query", q);
		free(q);
		if (rc)
			return -1;
		const char *params[] = { rel, tmprel };
		res = mr_exec(conn, r, "comparing the queries",
			      "select pg_catalog.pg_get_viewdef($1::pg_catalog.regclass) = "
			      "pg_catalog.pg_get_viewdef($2::pg_catalog.regclass)",
			      2, params);
		if (!res)
			return -1;
		bool same = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		q = xasprintf("drop materialized view %s", tmprel);
		rc = exec_ok(conn, r, "dropping the query check", q);
		free(q);
		if (rc)
			return -1;
		if (same) {
			int differ = indexes_differ(conn, r, &n->cfg, rel);
			if (differ < 0)
				return -1;
			if (differ && n->cfg.on_configuration_change == OCC_FAIL) {
				mr_message(r, "configuration changes were identified and on_configuration_change was set to "
					   "fail for %s", n->relation);
				return -1;
			}
			if (differ && n->cfg.on_configuration_change == OCC_CONTINUE) {
				log_warn("configuration changes were identified and on_configuration_change was set to "
					 "continue for %s: left as it is", n->relation);
				free(r->response);
				r->response = xstrdup("skip");
				return 0;
			}
			if (differ) {
				log_info("%s: its indexes differ from the config: changing them", n->relation);
				return drop_indexes(conn, r, rel) || create_indexes(conn, r, &n->cfg, rel) ? -1 : 0;
			}
			q = xasprintf("refresh materialized view %s", rel);
			rc = exec_ok(conn, r, "refreshing the materialized view", q);
			free(q);
			return rc;
		}
		log_info("%s: the model's query changed: building the materialized view again", n->relation);
	}
	q = xasprintf("create materialized view %s as (\n%s\n)", tmprel, sql);
	res = mr_exec(conn, r, "building the materialized view", q, 0, NULL);
	free(q);
	if (!res)
		return -1;
	r->rows = tuples(res);
	PQclear(res);
	if (create_indexes(conn, r, &n->cfg, tmprel))
		return -1;
	if (!old_kind)
		return rename_into_place(conn, r, n, tmprel, "materialized view");
	return mr_swap(conn, n->schema, n->identifier, tmp, (char)old_kind, 'm', r);
}

/* ---- on_schema_change ---- */

/* A relation's columns as dbt-postgres describes them: name, the type
 * string dbt compares (from information_schema, as PostgresColumn renders
 * it: text and unsized varchar as they are, other strings as character
 * varying(n), numeric(p,s) when sized), the string size can_expand_to()
 * compares (-1 for a non-string) and the catalog's own spelling of the
 * type, used in DDL where dbt's string is not a type (ARRAY,
 * USER-DEFINED). */
#define DBT_COLUMNS_SQL                                                                                  \
	"select c.column_name::text,"                                                                    \
	"  case when c.data_type = 'text' or (c.data_type = 'character varying'"                         \
	"         and c.character_maximum_length is null) then c.data_type::text"                        \
	"    when c.data_type in ('character varying', 'character')"                                     \
	"      then 'character varying(' || coalesce(c.character_maximum_length, 256) || ')'"            \
	"    when c.data_type = 'numeric' and c.numeric_precision is not null"                            \
	"         and c.numeric_scale is not null"                                                        \
	"      then 'numeric(' || c.numeric_precision || ',' || c.numeric_scale || ')'"                   \
	"    else c.data_type::text end,"                                                                 \
	"  case when c.data_type in ('text', 'character varying', 'character') then"                      \
	"    coalesce(case when c.data_type <> 'text' then c.character_maximum_length end, 256)"          \
	"    else -1 end,"                                                                                \
	"  case when c.data_type in ('ARRAY', 'USER-DEFINED')"                                            \
	"    then pg_catalog.format_type(a.atttypid, a.atttypmod) else null end "                         \
	"from pg_catalog.pg_class k"                                                                     \
	"  join pg_catalog.pg_namespace n on n.oid = k.relnamespace"                                     \
	"  join information_schema.columns c on c.table_schema = n.nspname and c.table_name = k.relname" \
	"  join pg_catalog.pg_attribute a on a.attrelid = k.oid and a.attname = c.column_name "          \
	"where k.oid = $1::pg_catalog.regclass "                                                         \
	"order by c.ordinal_position"

static int find_column(PGresult *res, const char *name)
{
	for (int i = 0; i < PQntuples(res); i++)
		if (strcmp(PQgetvalue(res, i, 0), name) == 0)
			return i;
	return -1;
}

/* The type to give a column in DDL: dbt's string, or the catalog's. */
static const char *ddl_type(PGresult *res, int i)
{
	return PQgetisnull(res, i, 3) ? PQgetvalue(res, i, 1) : PQgetvalue(res, i, 3);
}

/* Appends ", name" (or "name" first) to a list shown in messages. */
static void list_add(char **list, const char *item)
{
	char *s = xasprintf("%s%s%s", *list ? *list : "", *list ? ", " : "", item);
	free(*list);
	*list = s;
}

/* dbt's alter_column_type: a new column of the type, filled from the
 * old one, which is dropped (cascade); the column moves to the end. */
static int alter_column_type(PGconn *conn, struct node_result *r, const char *rel, const char *name, const char *type)
{
	char *tmpname = xasprintf("%s__dbt_alter", name);
	char *qc = pgconn_quote_ident(conn, NULL, name), *qt = pgconn_quote_ident(conn, NULL, tmpname);
	free(tmpname);
	if (!qc || !qt) {
		free(qc);
		free(qt);
		mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
		return -1;
	}
	char *sql = xasprintf("alter table %s add column %s %s; update %s set %s = %s; "
			      "alter table %s drop column %s cascade; alter table %s rename column %s to %s",
			      rel, qt, type, rel, qt, qc, rel, qc, rel, qt, qc);
	free(qc);
	free(qt);
	PGresult *res = PQexec(conn, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		char what[256];
		snprintf(what, sizeof what, "changing the type of column %s", name);
		result_message(r, what, res, conn);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

PGresult *mr_columns(PGconn *conn, struct node_result *r, const char *rel)
{
	const char *params[] = { rel };
	return mr_exec(conn, r, "reading the columns", DBT_COLUMNS_SQL, 1, params);
}

const char *mr_column_type(const PGresult *res, int i)
{
	return ddl_type((PGresult *)res, i);
}

int mr_expand_columns(PGconn *conn, struct node_result *r, const char *from, const char *rel)
{
	const char *sp[] = { from }, *tp[] = { rel };
	PGresult *src = mr_exec(conn, r, "reading the increment's columns", DBT_COLUMNS_SQL, 1, sp);
	PGresult *tgt = src ? mr_exec(conn, r, "reading the table's columns", DBT_COLUMNS_SQL, 1, tp) : NULL;
	int rc = tgt ? 0 : -1;
	for (int i = 0; tgt && i < PQntuples(src) && rc == 0; i++) {
		int t = find_column(tgt, PQgetvalue(src, i, 0));
		long ss = atol(PQgetvalue(src, i, 2)), ts = t >= 0 ? atol(PQgetvalue(tgt, t, 2)) : -1;
		if (t < 0 || ss < 0 || ts < 0 || ss <= ts)
			continue;
		char type[64];
		snprintf(type, sizeof type, "character varying(%ld)", ss);
		log_debug("%s: column %s grows from %s to %s", rel, PQgetvalue(src, i, 0), PQgetvalue(tgt, t, 1), type);
		rc = alter_column_type(conn, r, rel, PQgetvalue(src, i, 0), type);
	}
	PQclear(src);
	PQclear(tgt);
	return rc;
}

/* dbt's process_schema_changes for on_schema_change fail,
 * append_new_columns or sync_all_columns: compares the increment's
 * columns with rel's and fails, adds the new columns, or also drops the
 * missing ones and changes the types that changed (a new column filled
 * from the old, which moves to the end, as dbt's alter_column_type does).
 * On success *cols is the quoted list of the increment's columns, which
 * the insert then names, as dbt's does. Returns 0 or -1 with r->message. */
static int sync_schema(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *rel,
		       char **cols)
{
	const char *sp[] = { "pg_temp.modelrun_increment" }, *tp[] = { rel };
	PGresult *src = mr_exec(conn, r, "reading the increment's columns", DBT_COLUMNS_SQL, 1, sp);
	PGresult *tgt = src ? mr_exec(conn, r, "reading the table's columns", DBT_COLUMNS_SQL, 1, tp) : NULL;
	char *added = NULL, *removed = NULL, *retyped = NULL, *alter = NULL, *sql = NULL;
	int rc = -1;
	*cols = NULL;
	if (!tgt)
		goto out;
	if (PQntuples(src) == 0) {
		mr_message(r, "could not read the columns of the increment of %s", n->relation);
		goto out;
	}
	const enum dbt_osc osc = n->cfg.on_schema_change;
	/* source not in target: added; target not in source: removed */
	for (int i = 0; i < PQntuples(src); i++) {
		char *q = pgconn_quote_ident(conn, NULL, PQgetvalue(src, i, 0));
		if (!q) {
			mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
			goto out;
		}
		list_add(cols, q);
		int t = find_column(tgt, PQgetvalue(src, i, 0));
		if (t < 0) {
			list_add(&added, PQgetvalue(src, i, 0));
			char *clause = xasprintf("add column %s %s", q, ddl_type(src, i));
			list_add(&alter, clause);
			free(clause);
		} else if (strcmp(PQgetvalue(src, i, 1), PQgetvalue(tgt, t, 1)) != 0 &&
			   !(atol(PQgetvalue(src, i, 2)) >= 0 && atol(PQgetvalue(tgt, t, 2)) >= 0 &&
			     atol(PQgetvalue(tgt, t, 2)) > atol(PQgetvalue(src, i, 2)))) {
			char *item = xasprintf("%s %s -> %s", PQgetvalue(src, i, 0), PQgetvalue(tgt, t, 1),
					      PQgetvalue(src, i, 1));
			list_add(&retyped, item);
			free(item);
		}
		free(q);
	}
	for (int t = 0; t < PQntuples(tgt); t++) {
		if (find_column(src, PQgetvalue(tgt, t, 0)) >= 0)
			continue;
		list_add(&removed, PQgetvalue(tgt, t, 0));
		if (osc == OSC_SYNC) {
			char *q = pgconn_quote_ident(conn, NULL, PQgetvalue(tgt, t, 0));
			if (!q) {
				mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
				goto out;
			}
			char *clause = xasprintf("drop column %s", q);
			free(q);
			list_add(&alter, clause);
			free(clause);
		}
	}
	if (!added && !removed && !retyped) {
		rc = 0;
		goto out;
	}
	if (osc == OSC_FAIL) {
		mr_message(r, "the source and target schemas of this incremental model are out of sync "
			   "(on_schema_change=fail): source columns not in target: [%s]; target columns not in "
			   "source: [%s]; new column types: [%s]. Set on_schema_change to append_new_columns or "
			   "sync_all_columns, or rebuild with --full-refresh",
			   added ? added : "", removed ? removed : "", retyped ? retyped : "");
		goto out;
	}
	if (added || (osc == OSC_SYNC && removed)) {
		sql = xasprintf("alter table %s %s", rel, alter);
		PGresult *res = mr_exec(conn, r, "changing the table's columns", sql, 0, NULL);
		if (!res)
			goto out;
		PQclear(res);
	}
	if (osc == OSC_SYNC && retyped) {
		for (int i = 0; i < PQntuples(src); i++) {
			int t = find_column(tgt, PQgetvalue(src, i, 0));
			if (t < 0 || strcmp(PQgetvalue(src, i, 1), PQgetvalue(tgt, t, 1)) == 0 ||
			    (atol(PQgetvalue(src, i, 2)) >= 0 && atol(PQgetvalue(tgt, t, 2)) >= 0 &&
			     atol(PQgetvalue(tgt, t, 2)) > atol(PQgetvalue(src, i, 2))))
				continue;
			if (alter_column_type(conn, r, rel, PQgetvalue(src, i, 0), ddl_type(src, i)))
				goto out;
		}
	}
	if (added || (osc == OSC_SYNC && (removed || retyped)))
		log_info("%s: on_schema_change=%s: columns added [%s], removed [%s], types changed [%s]", n->relation,
		 osc == OSC_SYNC ? "sync_all_columns" : "append_new_columns", added ? added : "",
		 osc == OSC_SYNC && removed ? removed : "", osc == OSC_SYNC && retyped ? retyped : "");
	rc = 0;
out:
	if (rc) {
		free(*cols);
		*cols = NULL;
	}
	free(added);
	free(removed);
	free(retyped);
	free(alter);
	free(sql);
	PQclear(src);
	PQclear(tgt);
	return rc;
}

/* ---- incremental_strategy='merge' ---- */

/* Splits a list of identifiers as quote_ident writes them ("a", b, ...)
 * into their plain names. */
static char **split_idents(const char *list, size_t *n)
{
	char **out = NULL;
	*n = 0;
	const char *s = list;
	while (*s) {
		struct buf b = { 0 };
		if (*s == '"') {
			for (s++; *s && !(s[0] == '"' && s[1] != '"'); s++) {
				if (s[0] == '"')
					s++;
				buf_addc(&b, *s);
			}
			if (*s)
				s++;
		} else {
			while (*s && *s != ',')
				buf_addc(&b, *s++);
		}
		out = xrealloc(out, (*n + 1) * sizeof *out);
		out[(*n)++] = xstrdup(buf_str(&b));
		buf_free(&b);
		while (*s == ',' || *s == ' ')
			s++;
	}
	return out;
}

/* dbt's get_merge_sql for PostgreSQL 15's MERGE: the increment's rows
 * matched on the unique key (no key: nothing matches) update the columns
 * merge_update_columns names, or all but merge_exclude_columns (compared
 * without case), or all; the others are inserted. cols is the quoted
 * list of the columns to insert (dbt's dest_columns); it is freed. */
static int merge_increment(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *rel,
			   char *cols)
{
	const struct dbt_config *c = &n->cfg;
	int rc = -1;
	size_t nnames = 0;
	char **names = split_idents(cols, &nnames);
	struct buf b = { 0 };
	if (PQserverVersion(conn) < 150000) {
		mr_message(r, "incremental_strategy='merge' needs PostgreSQL 15 or later (MERGE); the server is %d.%d",
			   PQserverVersion(conn) / 10000, PQserverVersion(conn) % 10000);
		goto out;
	}
	if (c->nmerge_update && c->nmerge_exclude) {
		mr_message(r, "model cannot specify merge_update_columns and merge_exclude_columns; use only one");
		goto out;
	}
	buf_printf(&b, "merge into %s as \"DBT_INTERNAL_DEST\" using pg_temp.modelrun_increment as "
		       "\"DBT_INTERNAL_SOURCE\" on ", rel);
	for (size_t k = 0; k < c->nunique; k++) {
		char *q = pgconn_quote_ident(conn, NULL, c->unique_key[k]);
		if (!q)
			goto quote_failed;
		buf_printf(&b, "%s(\"DBT_INTERNAL_SOURCE\".%s = \"DBT_INTERNAL_DEST\".%s)", k ? " and " : "", q, q);
		free(q);
	}
	if (!c->nunique)
		buf_adds(&b, "(false)");
	if (c->nunique) {
		buf_adds(&b, " when matched then update set ");
		size_t nset = 0;
		size_t count = c->nmerge_update ? c->nmerge_update : nnames;
		for (size_t i = 0; i < count; i++) {
			const char *name = c->nmerge_update ? c->merge_update_columns[i] : names[i];
			bool excluded = false;
			for (size_t x = 0; x < c->nmerge_exclude && !excluded; x++)
				excluded = strcasecmp(c->merge_exclude_columns[x], name) == 0;
			if (excluded)
				continue;
			char *q = pgconn_quote_ident(conn, NULL, name);
			if (!q)
				goto quote_failed;
			buf_printf(&b, "%s%s = \"DBT_INTERNAL_SOURCE\".%s", nset++ ? ", " : "", q, q);
			free(q);
		}
		if (!nset) {
			mr_message(r, "merge_exclude_columns leaves no column to update");
			goto out;
		}
	}
	buf_printf(&b, " when not matched then insert (%s) values (", cols);
	for (size_t i = 0; i < nnames; i++) {
		char *q = pgconn_quote_ident(conn, NULL, names[i]);
		if (!q)
			goto quote_failed;
		buf_printf(&b, "%s\"DBT_INTERNAL_SOURCE\".%s", i ? ", " : "", q);
		free(q);
	}
	buf_addc(&b, ')');
	PGresult *res = mr_exec(conn, r, "merging the new rows", buf_str(&b), 0, NULL);
	if (!res)
		goto out;
	r->rows = tuples(res);
	PQclear(res);
	rc = 0;
	goto out;
quote_failed:
	mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
out:
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	buf_free(&b);
	free(cols);
	return rc;
}

/* incremental: new rows into a temporary table, then delete the matching
 * unique keys and insert, in the caller's transaction. */
static int build_increment(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *sql,
			   const char *rel)
{
	/* An increment is planned with guesses: its filter compares with a
	 * value read from {{ this }} at run time, so PostgreSQL expects a third
	 * of the table and JIT-compiles the query, which can cost a second for
	 * a query that reads ten thousand rows. Unless jit was set on purpose
	 * (server configuration, PGOPTIONS, ALTER ROLE), it is off for this
	 * transaction; full builds keep the server's choice. */
	PGresult *res = mr_exec(conn, r, "reading the jit setting",
				"select source from pg_catalog.pg_settings where name = 'jit'", 0, NULL);
	if (!res)
		return -1;
	bool by_default = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "default") == 0;
	PQclear(res);
	if (by_default && exec_ok(conn, r, "turning jit off", "set local jit = off"))
		return -1;
	char *q = xasprintf("create temporary table modelrun_increment on commit drop as (\n%s\n)", sql);
	res = mr_exec(conn, r, "building the increment", q, 0, NULL);
	free(q);
	if (!res)
		return -1;
	PQclear(res);
	/* statistics, so that the delete below probes the unique key's index
	 * for a small increment instead of scanning the whole table */
	if (exec_ok(conn, r, "analyzing the increment", "analyze modelrun_increment"))
		return -1;
	if (mr_expand_columns(conn, r, "pg_temp.modelrun_increment", rel))
		return -1;
	char *cols = NULL;
	if (n->cfg.on_schema_change != OSC_IGNORE) {
		if (sync_schema(conn, r, n, rel, &cols))
			return -1;
		goto write;
	}
	/* The target's columns, in its order, and whether the increment has
	 * each. As in dbt with on_schema_change=ignore, the insert names every
	 * column of the target, so a column the model no longer selects fails
	 * the model and the table keeps its data; inserting the others would
	 * put NULLs into every replaced row. A column with a default (or a
	 * generated one) is left to the table. */
	const char *params[] = { rel };
	res = mr_exec(conn, r, "reading the columns",
		      "select pg_catalog.quote_ident(a.attname), b.attname is not null, "
		      "  a.atthasdef or a.attgenerated <> '' "
		      "from pg_catalog.pg_attribute a "
		      "left join pg_catalog.pg_attribute b "
		      "  on b.attrelid = 'pg_temp.modelrun_increment'::pg_catalog.regclass "
		      "  and b.attname = a.attname and b.attnum > 0 and not b.attisdropped "
		      "where a.attrelid = $1::pg_catalog.regclass and a.attnum > 0 and not a.attisdropped "
		      "order by a.attnum",
		      1, params);
	if (!res)
		return -1;
	size_t cap = 16;
	for (int i = 0; i < PQntuples(res); i++)
		cap += strlen(PQgetvalue(res, i, 0)) + 2;
	cols = xmalloc(cap);
	char *missing = xmalloc(cap);
	cols[0] = missing[0] = '\0';
	int ncols = 0, nmissing = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		if (strcmp(PQgetvalue(res, i, 1), "t") == 0) {
			strcat(cols, ncols++ ? ", " : "");
			strcat(cols, PQgetvalue(res, i, 0));
		} else if (strcmp(PQgetvalue(res, i, 2), "f") == 0) {
			strcat(missing, nmissing++ ? ", " : "");
			strcat(missing, PQgetvalue(res, i, 0));
		}
	}
	PQclear(res);
	if (nmissing) {
		mr_message(r, "the model no longer selects %s %s of %s (on_schema_change=ignore keeps the table's "
			   "columns): select %s again, or rebuild with --full-refresh",
			   nmissing == 1 ? "column" : "columns", missing, n->relation, nmissing == 1 ? "it" : "them");
		free(cols);
		free(missing);
		return -1;
	}
	free(missing);
	if (!ncols) {
		free(cols);
		mr_message(r, "the model's query has none of %s's columns", rel);
		return -1;
	}
write:
	if (n->cfg.merge)
		return merge_increment(conn, r, n, rel, cols);
	if (n->cfg.nunique && !n->cfg.append_only) {
		/* A semi-join on the distinct keys: the key need not be unique
		 * (sale_date in a per-day table), and a plain join would pair
		 * every old row of a key with every new one. */
		char *keys = pgconn_quote_list(conn, (const char *const *)n->cfg.unique_key, n->cfg.nunique);
		if (!keys) {
			free(cols);
			mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
			return -1;
		}
		q = xasprintf("delete from %s where (%s) in (select %s from modelrun_increment)", rel, keys, keys);
		free(keys);
		res = mr_exec(conn, r, "deleting the rows to replace", q, 0, NULL);
		free(q);
		if (!res) {
			free(cols);
			return -1;
		}
		PQclear(res);
	}
	q = xasprintf("insert into %s (%s) select %s from modelrun_increment", rel, cols, cols);
	free(cols);
	res = mr_exec(conn, r, "inserting the new rows", q, 0, NULL);
	free(q);
	if (!res)
		return -1;
	r->rows = tuples(res);
	PQclear(res);
	return 0;
}

int mr_build(struct mr_ctx *ctx, PGconn *conn, size_t node, struct node_result *r)
{
	const struct dbt_project *p = ctx->p;
	const struct dbt_node *n = &p->nodes[node];
	r->rows = -1;
	int old_kind = mr_relkind(conn, r, n->schema, n->identifier);
	if (old_kind < 0)
		return -1;
	bool incremental = n->cfg.materialized == MAT_INCREMENTAL && !mr_full_refresh(ctx, n) &&
			   (old_kind == 'r' || old_kind == 'p');
	char *rel = qualified(conn, r, n->schema, n->identifier);
	if (!rel)
		return -1;
	/* A table built before Citus, or before its config asked for a
	 * distribution, would stay local through every increment: it is
	 * built again in full, distributed, once. */
	if (incremental && mr_distributes(ctx, n)) {
		int same = distribution_matches(conn, r, n, rel);
		if (same < 0) {
			free(rel);
			return -1;
		}
		if (!same) {
			log_info("%s is not spread as its config says (%s%s): building it in full", n->relation,
				 n->cfg.replicated ? "a reference table" : "distributed by ",
				 n->cfg.replicated ? "" : n->cfg.distributed_by);
			incremental = false;
		}
	}
	r->full_build = !incremental;
	char err[1024];
	char *sql = NULL;
	if (mr_compile(p, conn, node, incremental, &sql, err, sizeof err)) {
		mr_message(r, "%s", err);
		free(rel);
		return -1;
	}
	r->compiled = sql;
	char tmp[64];
	mr_tmp_name(n->identifier, tmp);
	char *tmprel = qualified(conn, r, n->schema, tmp);
	int rc = -1;
	if (!tmprel)
		goto out;
	/* dbt's order: hooks with transaction: false before BEGIN, then the
	 * pre-hooks, the build and the post-hooks in the model's transaction,
	 * then after COMMIT the post-hooks outside it */
	if (mr_hooks(ctx, conn, node, false, false, incremental, r))
		goto out;
	if (exec_ok(conn, r, "BEGIN", "begin"))
		goto out;
	/* as dbt: the contract is checked in the transaction, after the
	 * pre-hooks and before anything is built */
	bool contracted = n->cfg.contract_enforced && (n->cfg.materialized == MAT_TABLE ||
						       n->cfg.materialized == MAT_VIEW || n->cfg.materialized == MAT_INCREMENTAL);
	if (mr_hooks(ctx, conn, node, false, true, incremental, r)) {
		rc = -1;
	} else if (contracted && mr_contract_check(conn, r, n, sql)) {
		rc = -1;
	} else if (old_kind == 'f') {
		mr_message(r, "%s exists and is a foreign table; drop it first", n->relation);
		rc = -1;
	} else if (n->cfg.materialized == MAT_MATVIEW) {
		rc = build_matview(ctx, conn, r, n, old_kind, sql, rel, tmprel, tmp);
	} else if (n->cfg.materialized == MAT_VIEW) {
		rc = build_view(conn, r, n, old_kind, sql, rel, tmprel, tmp);
	} else if (incremental) {
		rc = build_increment(conn, r, n, sql, rel);
	} else {
		rc = build_table(ctx, conn, r, n, old_kind, sql, tmprel, tmp);
	}
	/* grants and persist_docs: dbt applies them after the post-hooks of a
	 * table or view, and before those of an incremental model */
	char kind = n->cfg.materialized == MAT_VIEW ? 'v' : n->cfg.materialized == MAT_MATVIEW ? 'm' : 'r';
	if (rc == 0 && incremental)
		rc = mr_grants(conn, r, n, rel) || mr_persist_docs(conn, r, n, rel, kind) ? -1 : 0;
	if (rc == 0)
		rc = mr_hooks(ctx, conn, node, true, true, incremental, r);
	if (rc == 0 && !incremental)
		rc = mr_grants(conn, r, n, rel) || mr_persist_docs(conn, r, n, rel, kind) ? -1 : 0;
	if (rc == 0) {
		char *keep = r->response ? xstrdup(r->response) : NULL;
		rc = exec_ok(conn, r, "COMMIT", "commit");
		free(r->response);
		r->response = keep;
		if (rc)
			mr_rollback(conn);
		else
			rc = mr_hooks(ctx, conn, node, true, false, incremental, r);
	} else {
		mr_rollback(conn);
	}
out:
	free(rel);
	free(tmprel);
	return rc;
}
