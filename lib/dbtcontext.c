/* SPDX-License-Identifier: MIT
 * The parts of dbt's context that reach past the project's files: queries
 * while a model renders (statement, load_result, run_query,
 * adapter.get_columns_in_relation, on the caller's connection), the
 * generate_*_name overrides that place each node, and generic tests
 * written as macros, rendered as dbt renders them. See dbtproject.h. */
#include "dbtproject.h"
#include "dbtproject_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "xalloc.h"

/* ---- queries while rendering: statement(), load_result(), run_query() ---- */

struct stmt_result {
	const char *name;
	struct tval v;
	struct stmt_result *next;
};

static struct tval rows_list(struct tmpl_render *r, const struct dbt_rows *q)
{
	struct tval rows = { .kind = TV_LIST, .n = q->nrows, .items = tval_alloc(r, q->nrows) };
	for (size_t i = 0; i < q->nrows; i++) {
		struct tval row = { .kind = TV_LIST, .tuple = true, .n = q->ncols, .items = tval_alloc(r, q->ncols) };
		for (size_t k = 0; k < q->ncols; k++) {
			const char *v = q->values[i * q->ncols + k];
			struct tval *o = &row.items[k];
			if (!v)
				*o = (struct tval){ .kind = TV_NONE };
			else if (q->kinds[k] == DBT_COL_NUMBER)
				*o = (struct tval){ .kind = TV_NUM, .num = strtod(v, NULL), .real = strpbrk(v, ".eE") != NULL };
			else if (q->kinds[k] == DBT_COL_BOOL)
				*o = (struct tval){ .kind = TV_BOOL, .b = v[0] == 't' };
			else
				*o = tval_str(r, v, strlen(v));
		}
		rows.items[i] = row;
	}
	return rows;
}

/* A result as dbt's macros read it: dbt's load_result() gives a dict of
 * data (the rows, as tuples), table and response; table here is a dict of
 * rows, column_names and columns (name: the column's values), which is
 * as much of agate's Table as modelrun offers. */
static struct tval result_value(struct tmpl_render *r, const struct dbt_rows *q, struct tval *table)
{
	struct tval rows = rows_list(r, q);
	*table = dbtrel_agate_table(r, q, &rows);
	static const char *const keys[] = { "data", "table", "response" };
	struct tval d = { .kind = TV_DICT, .n = 3, .items = tval_alloc(r, 3), .keys = tval_alloc_keys(r, 3) };
	for (size_t i = 0; i < 3; i++)
		d.keys[i] = keys[i];
	d.items[0] = rows;
	d.items[1] = *table;
	d.items[2] = tval_str(r, "OK", 2);
	return d;
}

int dbtp_query(struct host_state *h, struct tmpl_render *r, int line, const char *what, const char *sql,
	       size_t nparams, const char *const *params, struct dbt_rows *q)
{
	if (!h->opts || !h->opts->query) {
		tmpl_fail(r, line, "%s() runs a query while compiling, " DBT_NEEDS_CONNECTION ": use modelrun run "
			  "(modelrun compile has none)", what);
		return -1;
	}
	char err[1024];
	if (h->opts->query(h->opts->query_ud, sql, nparams, params, q, err, sizeof err)) {
		tmpl_fail(r, line, "%s(): %s", what, err);
		return -1;
	}
	return 0;
}

/* statement(name, fetch_result=false, auto_begin=true) called with a
 * body: runs the body's SQL (when the project is not being parsed, as
 * dbt's `execute`) and keeps the result for load_result(name). */
static int call_statement(struct host_state *h, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	const struct tval *name = c->nargs ? &c->args[0] : NULL, *caller = NULL;
	for (size_t i = 0; i < c->nkw; i++) {
		if (strcmp(c->kwnames[i], "caller") == 0)
			caller = &c->kwargs[i];
		else if (strcmp(c->kwnames[i], "name") == 0)
			name = &c->kwargs[i];
	}
	*out = tval_str(r, "", 0);
	if (!caller) {
		tmpl_fail(r, c->line, "statement() is called as a block: {%% call statement('name') %%}...{%% endcall %%}");
		return -1;
	}
	struct tval sql;
	if (tmpl_call_func(r, caller, c->line, 0, NULL, &sql))
		return -1;
	if (h->parsing)
		return 0;
	struct dbt_rows q;
	if (dbtp_query(h, r, c->line, "statement", sql.s, 0, NULL, &q))
		return -1;
	struct stmt_result *s = (struct stmt_result *)tval_alloc(r, (sizeof *s + sizeof(struct tval) - 1) /
									   sizeof(struct tval));
	struct tval table;
	s->name = name && name->kind == TV_STR ? name->s : "main";
	s->v = result_value(r, &q, &table);
	s->next = h->results;
	h->results = s;
	return 0;
}

/* adapter.get_columns_in_relation(relation): its columns in order, each
 * with name, column, quoted, data_type and dtype, as dbt's Column; an
 * empty list while the project is parsed, as dbt's parse gives. */
static int columns_in_relation(struct host_state *h, struct tmpl_render *r, const struct tmpl_call *c,
			       struct tval *out)
{
	const struct tval *rel = c->nargs == 1 ? &c->args[0] : NULL;
	const struct tval *schema = rel ? tval_get(rel, "schema") : NULL, *ident = rel ? tval_get(rel, "identifier") : NULL;
	if (!schema || !ident || schema->kind != TV_STR || ident->kind != TV_STR) {
		tmpl_fail(r, c->line, "adapter.get_columns_in_relation() needs a relation (ref(), source(), this)");
		return -1;
	}
	*out = (struct tval){ .kind = TV_LIST };
	if (h->parsing)
		return 0;
	/* the relation's name, identifiers quoted as PQescapeIdentifier
	 * does, goes to to_regclass() as a parameter */
	char *q = dbtp_quote_relation(schema->s, ident->s);
	const char *params[] = { q };
	struct dbt_rows res;
	int rc = dbtp_query(h, r, c->line, "adapter.get_columns_in_relation",
			    "select a.attname::text, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
			    "where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped order by a.attnum",
			    1, params, &res);
	free(q);
	if (rc)
		return -1;
	static const char *const keys[] = { "name", "column", "quoted", "data_type", "dtype" };
	*out = (struct tval){ .kind = TV_LIST, .n = res.nrows, .items = tval_alloc(r, res.nrows) };
	for (size_t i = 0; i < res.nrows; i++) {
		const char *name = res.values[i * 2], *type = res.values[i * 2 + 1];
		struct tval col = { .kind = TV_DICT, .n = 5, .items = tval_alloc(r, 5), .keys = tval_alloc_keys(r, 5) };
		for (size_t k = 0; k < 5; k++)
			col.keys[k] = keys[k];
		col.items[0] = tval_str(r, name, strlen(name));
		col.items[1] = col.items[0];
		char *quoted = dbt_quote_ident(name);
		col.items[2] = tval_str(r, quoted, strlen(quoted));
		free(quoted);
		col.items[3] = tval_str(r, type, strlen(type));
		col.items[4] = col.items[3];
		out->items[i] = col;
	}
	return 0;
}

int dbtp_call_query(struct host_state *h, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	if (strcmp(c->name, "adapter.get_columns_in_relation") == 0)
		return columns_in_relation(h, r, c, out);
	if (strcmp(c->name, "statement") == 0)
		return call_statement(h, r, c, out);
	if (c->nargs != 1 || c->args[0].kind != TV_STR) {
		tmpl_fail(r, c->line, "%s() takes one string", c->name);
		return -1;
	}
	if (strcmp(c->name, "load_result") == 0) {
		*out = (struct tval){ .kind = TV_NONE };
		for (struct stmt_result *s = h->results; s; s = s->next)
			if (strcmp(s->name, c->args[0].s) == 0) {
				*out = s->v;
				break;
			}
		return 0;
	}
	/* run_query(sql): the table; none while parsing, as in dbt */
	*out = (struct tval){ .kind = TV_NONE };
	if (h->parsing)
		return 0;
	struct dbt_rows q;
	if (dbtp_query(h, r, c->line, "run_query", c->args[0].s, 0, NULL, &q))
		return -1;
	result_value(r, &q, out);
	return 0;
}

static struct tval strs_value(struct tmpl_render *r, char **v, size_t n)
{
	struct tval l = { .kind = TV_LIST, .n = n, .items = tval_alloc(r, n) };
	for (size_t i = 0; i < n; i++)
		l.items[i] = tval_str(r, v[i], strlen(v[i]));
	return l;
}

static struct tval dict_value(struct tmpl_render *r, const char *const *keys, size_t n)
{
	struct tval d = { .kind = TV_DICT, .n = n, .items = tval_alloc(r, n), .keys = tval_alloc_keys(r, n) };
	for (size_t i = 0; i < n; i++)
		d.keys[i] = keys[i];
	return d;
}

/* A node as generate_*_name() macros see it (dbt's node, as far as such
 * macros read it). */
struct tval dbtp_node_value(struct tmpl_render *r, const struct dbt_node *n)
{
	static const char *const keys[] = { "name", "unique_id", "package_name", "resource_type", "path",
					     "original_file_path", "fqn", "config", "alias", "schema", "version" };
	static const char *const ckeys[] = { "materialized", "schema", "alias", "tags", "enabled", "database" };
	struct tval d = dict_value(r, keys, sizeof keys / sizeof *keys);
	struct tval c = dict_value(r, ckeys, sizeof ckeys / sizeof *ckeys);
	const char *mat = dbt_mat_name(n->cfg.materialized);
	c.items[0] = tval_str(r, mat, strlen(mat));
	c.items[1] = tval_str_or_none(r, n->cfg.schema);
	c.items[2] = tval_str_or_none(r, n->cfg.alias);
	c.items[3] = strs_value(r, n->cfg.tags, n->cfg.ntags);
	c.items[4] = (struct tval){ .kind = TV_BOOL, .b = n->cfg.enabled };
	c.items[5] = (struct tval){ .kind = TV_NONE };
	d.items[0] = tval_str(r, n->name, strlen(n->name));
	d.items[1] = tval_str(r, n->unique_id, strlen(n->unique_id));
	d.items[2] = tval_str(r, n->fqn[0], strlen(n->fqn[0]));
	d.items[3] = tval_str_or_none(r, n->kind == DBT_MODEL ? "model" : "seed");
	d.items[4] = tval_str(r, n->path, strlen(n->path));
	d.items[5] = d.items[4];
	d.items[6] = strs_value(r, n->fqn, n->nfqn);
	d.items[7] = c;
	d.items[8] = tval_str_or_none(r, n->cfg.alias ? n->cfg.alias : n->name);
	d.items[9] = tval_str_or_none(r, n->cfg.schema);
	d.items[10] = (struct tval){ .kind = TV_NONE };
	return d;
}

/* generate_<what>_name() of node i, when the project defines it (or its
 * default__ / postgres__ form, which dbt's dispatches to): *out is the
 * trimmed result, malloc'd; NULL when it does not, and dbt's default rule
 * (in C, for speed) applies. Returns 0, or -1 with err. */
static int generate_name(struct dbt_project *p, size_t i, const char *what, const char *custom, char **out,
			 char *err, size_t errlen)
{
	*out = NULL;
	bool over = false;
	static const char *const forms[] = { "generate_%s_name", "default__generate_%s_name",
					     "postgres__generate_%s_name" };
	char name[96];
	for (int k = 0; k < 3 && !over; k++) {
		snprintf(name, sizeof name, forms[k], what);
		over = dbt_macros_get(&p->macros, DBT_PKG_ROOT, name) != NULL;
	}
	if (!over)
		return 0;
	char text[160];
	snprintf(text, sizeof text, "{{ generate_%s_name(__modelrun_arg0, __modelrun_arg1) }}", what);
	struct tmpl *t = dbtp_parse(p, DBT_PKG_ROOT, p->nodes[i].file, text, strlen(text), err, errlen);
	if (!t)
		return -1;
	struct host_state h = { .p = p, .node = NO_NODE, .generating = true, .gen_node = i, .gen_custom = custom };
	struct tmpl_host host = { dbtp_host_call, dbtp_host_global, &h };
	char *s;
	int rc = tmpl_render(t, &host, &s, NULL, err, errlen);
	tmpl_free(t);
	if (rc)
		return -1;
	size_t b = 0, e = strlen(s);
	while (b < e && strchr(" \t\r\n", s[b]))
		b++;
	while (e > b && strchr(" \t\r\n", s[e - 1]))
		e--;
	*out = xasprintf("%.*s", (int)(e - b), s + b);
	free(s);
	if (!**out) {
		dbtp_seterr(err, errlen, "%s: generate_%s_name() gave an empty name", p->nodes[i].path, what);
		return -1;
	}
	return 0;
}

/* Where node i lives: dbt's default rules, or the project's
 * generate_schema_name / generate_alias_name / generate_database_name. */
int dbtp_name_relation(struct dbt_project *p, size_t i, char *err, size_t errlen)
{
	struct dbt_node *n = &p->nodes[i];
	char *db;
	if (generate_name(p, i, "schema", n->cfg.schema, &n->schema, err, errlen) ||
	    generate_name(p, i, "alias", n->cfg.alias, &n->identifier, err, errlen) ||
	    generate_name(p, i, "database", NULL, &db, err, errlen))
		return -1;
	if (db) {
		const char *cur = p->target.dbname; /* the profile's, else libpq's */
		bool same = cur && strcmp(cur, db) == 0;
		if (!same && cur) {
			dbtp_seterr(err, errlen, "%s: generate_database_name() puts it in database '%s'; modelrun builds in "
			       "the database it is connected to ('%s') only", n->path, db, cur);
			free(db);
			return -1;
		}
		free(db);
	}
	if (!n->schema)
		n->schema = n->cfg.schema ? xasprintf("%s_%s", p->target_schema, n->cfg.schema) :
					    xstrdup(p->target_schema);
	if (!n->identifier)
		n->identifier = xstrdup(n->cfg.alias ? n->cfg.alias : n->name);
	n->relation = dbtp_quote_relation(n->schema, n->identifier);
	return 0;
}

const struct dbt_macro *dbt_generic_test_macro(const struct dbt_project *p, const char *type)
{
	const char *dot = strchr(type, '.');
	char name[256];
	if (!dot) {
		snprintf(name, sizeof name, "test_%s", type);
		return dbt_macros_resolve(&p->macros, DBT_PKG_ROOT, name);
	}
	char pkg[128];
	if ((size_t)(dot - type) >= sizeof pkg)
		return NULL;
	snprintf(pkg, sizeof pkg, "%.*s", (int)(dot - type), type);
	long k = dbt_macros_package(&p->macros, pkg);
	snprintf(name, sizeof name, "test_%s", dot + 1);
	return k < 0 ? NULL : dbt_macros_get(&p->macros, (size_t)k, name);
}

/* dbt's looks_like_func: a test argument written as a call, without
 * braces, is that call. */
static bool looks_like_call(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	static const char *const fns[] = { "ref", "source", "var", "env_var", NULL };
	for (const char *const *f = fns; *f; f++) {
		size_t n = strlen(*f);
		if (strncmp(s, *f, n) != 0)
			continue;
		const char *q = s + n;
		while (*q == ' ' || *q == '\t')
			q++;
		size_t len = strlen(q);
		while (len && (q[len - 1] == ' ' || q[len - 1] == '\t'))
			len--;
		return *q == '(' && len > 2 && q[len - 1] == ')';
	}
	return false;
}

static bool is_ident_word(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

/* The ephemeral models a test's render refs. */
struct eph_want {
	bool *want;
};

static const char *want_ephemeral(void *ud, size_t node)
{
	((struct eph_want *)ud)->want[node] = true;
	return NULL; /* the default __dbt__cte__name */
}

int dbt_render_generic_test(const struct dbt_project *p, const char *type, enum dbt_test_on on, size_t target,
			    const char *column, struct ydoc *d, const char *const *keys, yaml_node_t *const *vals,
			    size_t nargs, const char *where, const struct dbt_render_opts *o, char **sql,
			    char **fail_calc, char *err, size_t errlen)
{
	*sql = NULL;
	*fail_calc = NULL;
	const struct dbt_macro *m = dbt_generic_test_macro(p, type);
	if (!m) {
		dbtp_seterr(err, errlen, "no generic test '%s'", type);
		return -1;
	}
	struct dbt_relation_arg model;
	const char *file;
	char cte[300];
	if (on == DBT_TEST_ON_NODE) {
		const struct dbt_node *n = &p->nodes[target];
		model = (struct dbt_relation_arg){ n->relation, n->schema, n->identifier, NULL };
		file = n->file;
		if (n->kind == DBT_MODEL && n->cfg.materialized == MAT_EPHEMERAL) {
			/* tested as dbt tests it: inlined as a CTE */
			snprintf(cte, sizeof cte, "__dbt__cte__%s", n->name);
			model = (struct dbt_relation_arg){ cte, "", cte, NULL };
		}
	} else {
		const struct dbt_source *s = &p->sources[target];
		model = (struct dbt_relation_arg){ s->relation, s->schema, s->identifier, NULL };
		file = s->doc->path;
	}
	/* {{ pkg.test_name(model=..., column_name=..., arg=ref('x'), other=<value>) }} */
	struct buf b = { 0 };
	buf_printf(&b, "{{ %s.%s(model=__modelrun_test_model", p->macros.pkgs[m->pkg], m->name);
	if (column) {
		buf_adds(&b, ", column_name=");
		json_string(&b, column);
	}
	int rc = 0;
	for (size_t i = 0; i < nargs && !rc; i++) {
		if (strcmp(keys[i], "column_name") == 0 || strcmp(keys[i], "model") == 0)
			continue;
		if (!is_ident_word(keys[i])) {
			dbtp_seterr(err, errlen, "%s:%zu: '%s' is not an argument name", d->path, ydoc_line(vals[i]), keys[i]);
			rc = -1;
			break;
		}
		const char *s = ydoc_is_scalar(vals[i]) ? ydoc_str(vals[i]) : NULL;
		if (s && looks_like_call(s))
			buf_printf(&b, ", %s=%s", keys[i], s);
		else
			buf_printf(&b, ", %s=__modelrun_test_%zu", keys[i], i);
	}
	buf_adds(&b, ") }}");
	struct tmpl *t = rc ? NULL : dbtp_parse(p, DBT_PKG_ROOT, file, buf_str(&b), b.len, err, errlen);
	buf_free(&b);
	if (!t)
		return -1;
	char *sub = where ? xasprintf("(select * from %s where %s) dbt_subquery", model.relation, where) : NULL;
	model.where_subquery = sub;
	/* the ephemeral models the test reads, its model's included */
	struct eph_want ew = { xcalloc(p->nnodes ? p->nnodes : 1, sizeof *ew.want) };
	struct dbt_render_opts eo = *o;
	eo.ephemeral = want_ephemeral;
	eo.ud = &ew;
	if (on == DBT_TEST_ON_NODE && model.relation == cte)
		ew.want[target] = true;
	struct host_state h = { .p = (struct dbt_project *)p, .node = NO_NODE, .opts = &eo, .test_model = &model,
				.test_doc = d, .test_vals = vals, .test_nvals = nargs, .fail_calc = fail_calc };
	struct tmpl_host host = { dbtp_host_call, dbtp_host_global, &h };
	rc = tmpl_render(t, &host, sql, NULL, err, errlen);
	tmpl_free(t);
	free(sub);
	if (!rc && (rc = dbt_inline_ephemerals(p, ew.want, sql, err, errlen))) {
		free(*sql);
		*sql = NULL;
	}
	free(ew.want);
	return rc;
}

