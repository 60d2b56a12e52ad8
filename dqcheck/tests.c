/* SPDX-License-Identifier: MIT
 * Reading a project's data tests into dq_test records; see dqcheck.h.
 *
 * The shared reader (lib/dbtproject) finds the `tests:`/`data_tests:`
 * entries on models, seeds, source tables and columns and keeps each
 * entry's yml node; this module reads the arguments and config out of
 * those nodes, in every form dbt accepts:
 *
 *   - not_null                              a bare name
 *   - accepted_values: {values: [...]}      arguments at the top level
 *   - accepted_values: {arguments: {...}}   dbt 1.10's form
 *   - accepted_values: {name: x, ...}       a custom name
 *   - {name: x, test_name: accepted_values, ...}
 *
 * with `config:` (or the config keys written at the top level, as older
 * projects do). Source freshness comes from the `freshness:` blocks of the
 * source and its tables (freshness.c); singular tests are the templates in
 * the test paths, rendered with ref(), source() and config() (singular.c);
 * every test gets the name dbt would give it (testname.c). What these
 * files share is declared in collect.h.
 *
 * Everything is checked here, before any connection: an unknown test or
 * argument, a missing one or a value of the wrong kind is an error that
 * names file:line and the key, because a test skipped or misread is a
 * check that silently passes. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "dqcheck.h"
#include "ydoc.h"
#include "xalloc.h"

int dq_fail(struct ctx *c, const char *file, size_t line, const char *key, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%zu: %s: %s", file, line, key, msg);
	return -1;
}

static bool is_ident(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '$'))
			return false;
	return true;
}

/* A column as PostgreSQL would read it unquoted: plain identifiers fold
 * to lower case; anything else is kept exactly (quoted when built), or
 * used as an expression when allow_expr. */
struct dq_col dq_make_col(const char *name, bool allow_expr)
{
	struct dq_col c = { xstrdup(name), false };
	if (is_ident(name)) {
		for (char *q = c.text; *q; q++)
			*q = (char)tolower((unsigned char)*q);
	} else if (allow_expr) {
		c.expr = true;
	}
	return c;
}

static void free_col(struct dq_col *c)
{
	free(c->text);
	c->text = NULL;
}

/* ---- config ---- */

int dq_parse_threshold(const char *s, struct dq_threshold *t);
int dq_parse_threshold(const char *s, struct dq_threshold *t)
{
	static const struct { const char *op; enum dq_op v; } ops[] = {
		{ "!=", OP_NE }, { "<>", OP_NE }, { "==", OP_EQ }, { ">=", OP_GE },
		{ "<=", OP_LE }, { "=", OP_EQ },  { ">", OP_GT },  { "<", OP_LT },
	};
	while (isspace((unsigned char)*s))
		s++;
	size_t k;
	for (k = 0; k < sizeof ops / sizeof ops[0]; k++)
		if (strncmp(s, ops[k].op, strlen(ops[k].op)) == 0)
			break;
	if (k == sizeof ops / sizeof ops[0])
		return -1;
	s += strlen(ops[k].op);
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (*end || errno)
		return -1;
	t->op = ops[k].v;
	t->n = n;
	return 0;
}

static bool parse_bool(const char *s, bool *b)
{
	if (!s)
		return false;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
		*b = true;
		return true;
	}
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
		*b = false;
		return true;
	}
	return false;
}

/* Keys that are config wherever they appear in a test entry. */
static bool is_config_key(const char *k)
{
	static const char *const keys[] = { "severity", "warn_if", "error_if", "limit", "where", "store_failures",
					    "enabled", "tags", "meta", "schema", "alias", "database", "fail_calc",
					    "store_failures_as", "description", NULL };
	for (const char *const *p = keys; *p; p++)
		if (!strcmp(*p, k))
			return true;
	return false;
}

/* Sets one config key from its scalar text (s) or string list. Returns
 * 0, or -1 with the problem in msg. enabled=false is reported through
 * *enabled. */
int dq_config_set(struct dq_test *t, const char *key, const char *s, char **list, size_t nlist,
		  bool *enabled, char *msg, size_t msglen)
{
	if (!strcmp(key, "severity")) {
		if (s && !strcasecmp(s, "warn"))
			t->warn_severity = true;
		else if (s && !strcasecmp(s, "error"))
			t->warn_severity = false;
		else {
			snprintf(msg, msglen, "'%s' is not warn or error", s ? s : "(not a string)");
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "warn_if") || !strcmp(key, "error_if")) {
		struct dq_threshold th;
		if (!s || dq_parse_threshold(s, &th)) {
			snprintf(msg, msglen, "'%s' is not a condition such as \">10\" or \"!=0\"",
				 s ? s : "(not a string)");
			return -1;
		}
		*(key[0] == 'w' ? &t->warn_if : &t->error_if) = th;
		return 0;
	}
	if (!strcmp(key, "limit")) {
		char *end;
		long long n = s ? strtoll(s, &end, 10) : -1;
		if (!s || !*s || *end || n < 0) {
			snprintf(msg, msglen, "'%s' is not a whole number", s ? s : "(not a number)");
			return -1;
		}
		t->limit = n;
		return 0;
	}
	if (!strcmp(key, "where")) {
		if (!s) {
			snprintf(msg, msglen, "needs a SQL condition");
			return -1;
		}
		free(t->where);
		t->where = s[0] ? xstrdup(s) : NULL;
		return 0;
	}
	if (!strcmp(key, "store_failures") || !strcmp(key, "enabled")) {
		bool b;
		if (!parse_bool(s, &b)) {
			snprintf(msg, msglen, "needs true or false");
			return -1;
		}
		if (key[0] == 's')
			t->store_failures = b;
		else
			*enabled = b;
		return 0;
	}
	if (!strcmp(key, "schema")) {
		if (!s || !s[0]) {
			snprintf(msg, msglen, "needs a schema name");
			return -1;
		}
		free(t->audit_schema);
		t->audit_schema = xstrdup(s);
		return 0;
	}
	if (!strcmp(key, "tags")) {
		if (s)
			DQ_PUSH(t->tags, t->ntags, xstrdup(s));
		for (size_t i = 0; i < nlist; i++)
			DQ_PUSH(t->tags, t->ntags, xstrdup(list[i]));
		return 0;
	}
	if (!strcmp(key, "fail_calc") || !strcmp(key, "store_failures_as") || !strcmp(key, "database")) {
		snprintf(msg, msglen, "is not supported by dqcheck");
		return -1;
	}
	return 0; /* meta, alias, description, ...: nothing to run */
}

static int config_yaml(struct ctx *c, struct dq_test *t, struct ydoc *d, const char *key, yaml_node_t *v,
		       bool *enabled)
{
	char msg[512];
	char **list = NULL;
	size_t n = 0;
	if (ydoc_is_seq(v))
		for (size_t i = 0; i < ydoc_len(v); i++) {
			const char *it = ydoc_str(ydoc_item(d, v, i));
			if (it)
				DQ_PUSH(list, n, (char *)it);
		}
	int rc = dq_config_set(t, key, ydoc_str(v), list, n, enabled, msg, sizeof msg);
	free(list);
	if (rc)
		return dq_fail(c, d->path, ydoc_line(v), key, "%s", msg);
	return 0;
}

/* ---- defaults from dbt_project.yml ---- */

/* Applies the `data_tests:` (or `tests:`) tree of dbt_project.yml along
 * the folders of the file that declares the test, as dbt does: at each
 * level, keys starting with '+' are configs and a mapping named after the
 * next folder goes deeper. The first level below the root is the project
 * name. path is the declaring file as opened (under the project dir),
 * bases the model or test paths it may lie under. Configs keyed by a
 * test's own name are not looked at. */
int dq_project_config(struct ctx *c, struct dq_test *x, const char *path, char *const *bases, size_t nbases,
		      bool *enabled)
{
	struct ydoc *d = c->p->project_doc;
	yaml_node_t *root = d ? ydoc_root(d) : NULL;
	yaml_node_t *level = ydoc_get(d, root, "data_tests");
	if (!level)
		level = ydoc_get(d, root, "tests");
	if (!level || !ydoc_is_map(level))
		return 0;
	/* the folders between the base path and the file */
	size_t dl = strlen(c->p->dir);
	const char *rel = strncmp(path, c->p->dir, dl) == 0 && path[dl] == '/' ? path + dl + 1 : path;
	for (size_t i = 0; i < nbases; i++) {
		size_t bl = strlen(bases[i]);
		if (strncmp(rel, bases[i], bl) == 0 && rel[bl] == '/') {
			rel += bl + 1;
			break;
		}
	}
	char *folders = xstrdup(rel), *save = NULL;
	char *slash = strrchr(folders, '/');
	if (slash)
		*slash = '\0';
	else
		folders[0] = '\0';
	const char *next = c->p->name;
	char *tok = strtok_r(folders, "/", &save);
	int rc = 0;
	while (level && ydoc_is_map(level) && rc == 0) {
		yaml_node_t *deeper = NULL;
		for (size_t i = 0; i < ydoc_len(level) && rc == 0; i++) {
			const char *k = ydoc_str(ydoc_key(d, level, i));
			yaml_node_t *v = ydoc_value(d, level, i);
			if (!k)
				continue;
			if (k[0] == '+')
				rc = config_yaml(c, x, d, k + 1, v, enabled);
			else if (next && !strcmp(k, next) && ydoc_is_map(v))
				deeper = v;
		}
		level = deeper;
		next = tok;
		tok = tok ? strtok_r(NULL, "/", &save) : NULL;
	}
	free(folders);
	return rc;
}

/* ---- generic tests ---- */

static yaml_node_t *arg(struct args *a, const char *key)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->keys[i], key)) {
			a->used[i] = true;
			return a->vals[i];
		}
	return NULL;
}

static int add_args(struct ctx *c, struct ydoc *d, yaml_node_t *map, struct args *a)
{
	for (size_t i = 0; i < ydoc_len(map); i++) {
		const char *k = ydoc_str(ydoc_key(d, map, i));
		if (!k)
			continue;
		if (a->n == 32)
			return dq_fail(c, d->path, ydoc_line(map), k, "too many arguments");
		a->keys[a->n] = k;
		a->vals[a->n++] = ydoc_value(d, map, i);
	}
	return 0;
}

static const char *str_arg(struct args *a, const char *key)
{
	yaml_node_t *v = arg(a, key);
	return v ? ydoc_str(v) : NULL;
}

/* A string or a list of strings, as columns. */
static int col_list(struct ctx *c, struct ydoc *d, const char *key, yaml_node_t *v, struct dq_col **out,
		    size_t *n)
{
	if (ydoc_is_scalar(v) && !ydoc_is_null(v)) {
		DQ_PUSH(*out, *n, dq_make_col(ydoc_str(v), true));
		return 0;
	}
	if (!ydoc_is_seq(v) || !ydoc_len(v))
		return dq_fail(c, d->path, ydoc_line(v), key, "needs a column or a list of columns");
	for (size_t i = 0; i < ydoc_len(v); i++) {
		const char *s = ydoc_str(ydoc_item(d, v, i));
		if (!s)
			return dq_fail(c, d->path, ydoc_line(v), key, "needs a column or a list of columns");
		DQ_PUSH(*out, *n, dq_make_col(s, true));
	}
	return 0;
}

/* A finite decimal number: [+-]digits[.digits][e[+-]digits]. strtod alone
 * would also take nan, inf and hex, which are not numbers to SQL. */
bool dq_is_number(const char *s)
{
	if (!s)
		return false;
	const char *p = s + (*s == '+' || *s == '-');
	size_t digits = strspn(p, "0123456789");
	p += digits;
	if (*p == '.') {
		size_t frac = strspn(p + 1, "0123456789");
		digits += frac;
		p += 1 + frac;
	}
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p += 1 + (p[1] == '+' || p[1] == '-');
		size_t exp = strspn(p, "0123456789");
		if (!exp)
			return false;
		p += exp;
	}
	errno = 0;
	double v = strtod(s, NULL);
	return !*p && errno != ERANGE && v - v == 0;
}

/* Reads a test entry's body into x (config) and a (arguments): a bare
 * name, {name: {args}}, or {name: x, test_name: y, ...}. *type and
 * *custom (its own name, or NULL) point into the document. */
static int test_entry(struct ctx *c, const struct dbt_test *dt, struct dq_test *x, struct args *a, const char **type,
		      const char **custom, bool *enabled)
{
	struct ydoc *d = dt->doc;
	yaml_node_t *t = dt->node, *body = NULL;
	if (ydoc_is_map(t)) {
		yaml_node_t *tn = ydoc_get(d, t, "test_name");
		if (tn) { /* {name: x, test_name: not_null, ...} */
			*type = ydoc_str(tn);
			body = t;
			if (!*type)
				return dq_fail(c, d->path, ydoc_line(tn), "test_name",
					       "needs the name of a generic test");
		} else if (ydoc_len(t) != 1) {
			return dq_fail(c, d->path, ydoc_line(t), *type,
				       "a test is one key (its name) with its arguments under it");
		} else {
			body = ydoc_value(d, t, 0);
		}
	}
	if (body && !ydoc_is_map(body) && !ydoc_is_null(body))
		return dq_fail(c, d->path, ydoc_line(body), *type, "the test's arguments must be a mapping");
	for (size_t i = 0; body && ydoc_is_map(body) && i < ydoc_len(body); i++) {
		const char *k = ydoc_str(ydoc_key(d, body, i));
		yaml_node_t *v = ydoc_value(d, body, i);
		if (!k || !strcmp(k, "test_name"))
			continue;
		if (!strcmp(k, "name")) {
			*custom = ydoc_str(v);
			continue;
		}
		if (!strcmp(k, "config") || !strcmp(k, "arguments")) {
			if (ydoc_is_null(v))
				continue;
			if (!ydoc_is_map(v))
				return dq_fail(c, d->path, ydoc_line(v), k, "must be a mapping");
			if (k[0] == 'a') {
				if (add_args(c, d, v, a))
					return -1;
				continue;
			}
			for (size_t j = 0; j < ydoc_len(v); j++) {
				const char *ck = ydoc_str(ydoc_key(d, v, j));
				if (ck && config_yaml(c, x, d, ck, ydoc_value(d, v, j), enabled))
					return -1;
			}
			continue;
		}
		if (is_config_key(k)) {
			if (config_yaml(c, x, d, k, v, enabled))
				return -1;
			continue;
		}
		if (a->n == 32)
			return dq_fail(c, d->path, ydoc_line(v), k, "too many arguments");
		a->keys[a->n] = k;
		a->vals[a->n++] = v;
	}
	return 0;
}

/* What the test is on: its relation, its node or source, and its column
 * with that column's tags. *target is the name dbt puts in the test's
 * name; *srcname holds it for a source (the caller frees it). */
static int test_target(struct ctx *c, const struct dbt_test *dt, struct dq_test *x, struct args *a,
		       const char **target, char **srcname, bool *enabled)
{
	const struct dbt_project *p = c->p;
	struct ydoc *d = dt->doc;
	if (dt->on == DBT_TEST_ON_NODE) {
		const struct dbt_node *n = &p->nodes[dt->target];
		x->relation = xstrdup(n->relation);
		x->on = xstrdup(n->name);
		*target = n->name;
		DQ_PUSH(x->nodes, x->nnodes, dt->target);
	} else {
		const struct dbt_source *s = &p->sources[dt->target];
		x->relation = xstrdup(s->relation);
		x->on = xasprintf("source %s.%s", s->source_name, s->table_name);
		*srcname = xasprintf("%s_%s", s->source_name, s->table_name);
		*target = *srcname;
		DQ_PUSH(x->sources, x->nsources, dt->target);
	}
	const char *colname = str_arg(a, "column_name");
	bool quoted = false;
	if (dt->column && parse_bool(ydoc_str(ydoc_get(d, dt->column_node, "quote")), &quoted) && quoted)
		x->column = (struct dq_col){ xstrdup(dt->column), false }; /* its case is kept */
	else if (dt->column)
		x->column = dq_make_col(dt->column, false);
	else if (colname)
		x->column = dq_make_col(colname, true);
	/* a column's tags go to the tests on it, as in dbt */
	if (dt->column_node) {
		yaml_node_t *cfg = ydoc_get(d, dt->column_node, "config");
		if (config_yaml(c, x, d, "tags", ydoc_get(d, dt->column_node, "tags"), enabled) ||
		    config_yaml(c, x, d, "tags", ydoc_get(d, cfg, "tags"), enabled))
			return -1;
	}
	return 0;
}

/* accepted_values: the values, and whether they are quoted. */
static int accepted_values_args(struct ctx *c, const struct dbt_test *dt, struct dq_test *x, struct args *a)
{
	struct ydoc *d = dt->doc;
	yaml_node_t *v = arg(a, "values");
	if (!v || !ydoc_is_seq(v) || !ydoc_len(v))
		return dq_fail(c, d->path, v ? ydoc_line(v) : dt->line, "values", "needs a list of accepted values");
	for (size_t i = 0; i < ydoc_len(v); i++) {
		const char *s = ydoc_str(ydoc_item(d, v, i));
		if (!s)
			return dq_fail(c, d->path, ydoc_line(v), "values", "every value must be a scalar");
		DQ_PUSH(x->values, x->nvalues, xstrdup(s));
	}
	yaml_node_t *q = arg(a, "quote");
	if (q && !parse_bool(ydoc_str(q), &x->quote))
		return dq_fail(c, d->path, ydoc_line(q), "quote", "needs true or false");
	/* Unquoted values are SQL; only numbers and booleans are let
	 * through, so a value can never become a statement. */
	for (size_t i = 0; !x->quote && i < x->nvalues; i++) {
		bool b;
		if (!dq_is_number(x->values[i]) && !parse_bool(x->values[i], &b))
			return dq_fail(c, d->path, ydoc_line(v), "values",
				       "with quote: false, '%s' must be a number or a boolean", x->values[i]);
	}
	return 0;
}

/* equal_rowcount and equal_sums: the relation compared with, and for
 * equal_sums the columns, keys and tolerance. */
static int compare_args(struct ctx *c, const struct dbt_test *dt, struct dq_test *x, struct args *a)
{
	struct ydoc *d = dt->doc;
	yaml_node_t *v, *cm = arg(a, "compare_model");
	if (!cm)
		return dq_fail(c, d->path, dt->line, "compare_model",
			       "needs ref('model') or source(...) to compare with");
	if (dq_relation_arg(c, x, d, "compare_model", cm, &x->to_relation))
		return -1;
	if (x->kind == DQ_EQUAL_ROWCOUNT)
		return (v = arg(a, "group_by_columns")) ? col_list(c, d, "group_by_columns", v, &x->keys, &x->nkeys) : 0;
	const char *col = str_arg(a, "column");
	if (col) {
		free_col(&x->column);
		x->column = dq_make_col(col, true);
	}
	if (!x->column.text)
		return dq_fail(c, d->path, dt->line, "column", "equal_sums needs the column to sum");
	const char *cc = str_arg(a, "compare_column");
	x->compare_column = dq_make_col(cc ? cc : x->column.text, true);
	if (!(v = arg(a, "key")))
		return dq_fail(c, d->path, dt->line, "key", "equal_sums needs the shared key (a column or a list)");
	if (col_list(c, d, "key", v, &x->keys, &x->nkeys))
		return -1;
	if ((v = arg(a, "compare_key"))) {
		if (col_list(c, d, "compare_key", v, &x->compare_keys, &x->ncompare_keys))
			return -1;
		if (x->ncompare_keys != x->nkeys)
			return dq_fail(c, d->path, ydoc_line(v), "compare_key", "needs as many columns as key");
	} else {
		for (size_t i = 0; i < x->nkeys; i++)
			DQ_PUSH(x->compare_keys, x->ncompare_keys, dq_make_col(x->keys[i].text, x->keys[i].expr));
	}
	const char *cw = str_arg(a, "compare_where");
	x->compare_where = cw && cw[0] ? xstrdup(cw) : NULL;
	if ((v = arg(a, "tolerance"))) {
		if (!dq_is_number(ydoc_str(v)) || strtod(ydoc_str(v), NULL) < 0)
			return dq_fail(c, d->path, ydoc_line(v), "tolerance", "needs a number, 0 or more");
		x->tolerance = xstrdup(ydoc_str(v));
	}
	return 0;
}

/* Which of dqcheck's tests `type` is, and its own arguments; then that no
 * argument is left unknown. */
static int test_kind(struct ctx *c, const struct dbt_test *dt, struct dq_test *x, struct args *a, const char *type)
{
	struct ydoc *d = dt->doc;
	const char *base = type;
	if (!strncmp(base, "dbt_utils.", 10))
		base += 10;
	static const struct { const char *name; enum dq_kind kind; bool column; } kinds[] = {
		{ "not_null", DQ_NOT_NULL, true },
		{ "unique", DQ_UNIQUE, true },
		{ "accepted_values", DQ_ACCEPTED_VALUES, true },
		{ "relationships", DQ_RELATIONSHIPS, true },
		{ "expression_is_true", DQ_EXPRESSION, false },
		{ "equal_rowcount", DQ_EQUAL_ROWCOUNT, false },
		{ "equal_sums", DQ_EQUAL_SUMS, false },
	};
	size_t k;
	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		if (!strcmp(base, kinds[k].name))
			break;
	if (k == sizeof kinds / sizeof kinds[0] && dbt_generic_test_macro(c->p, type)) {
		/* a test of the project's or a package's, written as a macro:
		 * rendered as dbt renders it, and its rows are the failures */
		x->kind = DQ_MACRO;
		const char *dot = strrchr(type, '.');
		x->test_type = xstrdup(dot ? dot + 1 : type);
		x->project = c->p;
		x->origin = dt;
		x->macro_type = xstrdup(type);
		x->nargs = a->n;
		x->arg_keys = xcalloc(a->n + 1, sizeof *x->arg_keys);
		x->arg_vals = xcalloc(a->n + 1, sizeof *x->arg_vals);
		for (size_t i = 0; i < a->n; i++) {
			a->used[i] = true;
			x->arg_keys[i] = a->keys[i];
			x->arg_vals[i] = a->vals[i];
		}
		return 0;
	}
	if (k == sizeof kinds / sizeof kinds[0])
		return dq_fail(c, d->path, dt->line, type,
			       "unknown test (dqcheck runs not_null, unique, accepted_values, relationships, "
			       "expression_is_true, equal_rowcount and equal_sums, and tests written as macros)");
	x->kind = kinds[k].kind;
	x->test_type = xstrdup(kinds[k].name);
	if (kinds[k].column && !x->column.text)
		return dq_fail(c, d->path, dt->line, type,
			       "needs a column: declare it under a column or give column_name");

	int rc = 0;
	switch (x->kind) {
	case DQ_ACCEPTED_VALUES:
		rc = accepted_values_args(c, dt, x, a);
		break;
	case DQ_RELATIONSHIPS: {
		yaml_node_t *to = arg(a, "to");
		const char *field = str_arg(a, "field");
		if (!to)
			return dq_fail(c, d->path, dt->line, "to",
				       "relationships needs to: ref('model') or source(...)");
		if (!field)
			return dq_fail(c, d->path, dt->line, "field",
				       "relationships needs the field in the other relation");
		if (dq_relation_arg(c, x, d, "to", to, &x->to_relation))
			return -1;
		x->field = dq_make_col(field, true);
		break;
	}
	case DQ_EXPRESSION:
		x->expression = xstrdup(str_arg(a, "expression"));
		if (!x->expression[0])
			return dq_fail(c, d->path, dt->line, "expression", "expression_is_true needs an expression");
		break;
	case DQ_EQUAL_ROWCOUNT:
	case DQ_EQUAL_SUMS:
		rc = compare_args(c, dt, x, a);
		break;
	default:
		break;
	}
	if (rc)
		return rc;
	for (size_t i = 0; i < a->n; i++)
		if (!a->used[i] && strcmp(a->keys[i], "column_name") != 0)
			return dq_fail(c, d->path, ydoc_line(a->vals[i]), a->keys[i], "unknown argument of %s", type);
	return 0;
}

/* One generic test from a schema file, added to the suite unless it is
 * disabled. Returns 0, or -1 after dq_fail(). */
static int generic_test(struct ctx *c, const struct dbt_test *dt)
{
	const struct dbt_project *p = c->p;
	struct ydoc *d = dt->doc;
	const char *type = dt->name, *custom = NULL, *target = NULL;
	char *srcname = NULL;
	struct args a = { 0 };
	struct dq_test x = { .limit = -1, .store_failures = -1, .quote = true, .line = dt->line };
	x.warn_if = (struct dq_threshold){ OP_NE, 0 };
	x.error_if = (struct dq_threshold){ OP_NE, 0 };
	bool enabled = true;
	int rc = -1;

	if (!*type)
		return dq_fail(c, d->path, dt->line, "data_tests",
			       "a test is a name, or one key (its name) with its arguments under it");
	if (dt->on == DBT_TEST_ON_NODE && !p->nodes[dt->target].cfg.enabled)
		return 0;
	x.file = xstrdup(d->path);
	if (dq_project_config(c, &x, d->path, p->model_paths, p->nmodel_paths, &enabled) ||
	    test_entry(c, dt, &x, &a, &type, &custom, &enabled) ||
	    test_target(c, dt, &x, &a, &target, &srcname, &enabled) || test_kind(c, dt, &x, &a, type))
		goto out;
	if (!enabled) {
		rc = 0;
		goto out;
	}
	if (x.where && (strstr(x.where, "{{") || strstr(x.where, "{%"))) { /* dbt renders it too */
		char *w;
		if (dq_render_arg(c, &x, d, "where", dt->line, x.where, &w))
			goto out;
		free(x.where);
		x.where = w;
	}
	if (x.kind == DQ_EXPRESSION && (strstr(x.expression, "{{") || strstr(x.expression, "{%"))) {
		/* dbt renders a test's arguments: the project's macros too */
		char *e;
		if (dq_render_arg(c, &x, d, "expression", dt->line, x.expression, &e))
			goto out;
		free(x.expression);
		x.expression = e;
	}
	if (x.kind == DQ_EXPRESSION && x.column.text) {
		/* dbt_utils puts the column before the expression */
		char *e = xasprintf("%s %s", x.column.text, x.expression);
		free(x.expression);
		x.expression = e;
	}
	char *name = custom ? xstrdup(custom) :
			      dq_test_name(d, type, dt->on == DBT_TEST_ON_SOURCE, target, dt->column, &a,
					   &x.full_name);
	dq_set_unique_name(c, &x, name);
	/* the model argument as dbt writes it for the hash of the test's id */
	char *model = dt->on == DBT_TEST_ON_NODE ?
			      xasprintf("{{ get_where_subquery(ref('%s')) }}", p->nodes[dt->target].name) :
			      xasprintf("{{ get_where_subquery(source('%s', '%s')) }}", p->sources[dt->target].source_name,
					p->sources[dt->target].table_name);
	x.unique_id = dq_unique_id(d, p->name, type, x.full_name ? x.full_name : x.name, model, dt->column, &a);
	free(model);
	DQ_PUSH(c->s->tests, c->s->ntests, x);
	memset(&x, 0, sizeof x);
	rc = 0;
out:
	free(srcname);
	dq_test_free(&x); /* what was not kept; a no-op after the push */
	return rc;
}

/* ---- structure the shared reader passes over quietly ---- */

static int check_list(struct ctx *c, struct ydoc *d, yaml_node_t *entry, const char *key)
{
	yaml_node_t *v = ydoc_get(d, entry, key);
	if (v && !ydoc_is_seq(v) && !ydoc_is_null(v))
		return dq_fail(c, d->path, ydoc_line(v), key, "must be a list");
	return 0;
}

static int check_entry(struct ctx *c, struct ydoc *d, yaml_node_t *e)
{
	if (check_list(c, d, e, "tests") || check_list(c, d, e, "data_tests") || check_list(c, d, e, "columns"))
		return -1;
	yaml_node_t *cols = ydoc_get(d, e, "columns");
	for (size_t i = 0; i < ydoc_len(cols); i++) {
		yaml_node_t *col = ydoc_item(d, cols, i);
		if (!ydoc_is_map(col) || !ydoc_str(ydoc_get(d, col, "name")))
			return dq_fail(c, d->path, ydoc_line(col), "columns", "each column needs a name");
		if (check_list(c, d, col, "tests") || check_list(c, d, col, "data_tests"))
			return -1;
	}
	return 0;
}

static int check_docs(struct ctx *c)
{
	for (size_t i = 0; i < c->p->ndocs; i++) {
		struct ydoc *d = c->p->docs[i];
		yaml_node_t *root = ydoc_root(d);
		if (!root)
			continue;
		static const char *const sections[] = { "models", "seeds", "sources" };
		for (int s = 0; s < 3; s++) {
			yaml_node_t *list = ydoc_get(d, root, sections[s]);
			for (size_t j = 0; j < ydoc_len(list); j++) {
				yaml_node_t *e = ydoc_item(d, list, j);
				if (s < 2) {
					if (check_entry(c, d, e))
						return -1;
					continue;
				}
				if (check_list(c, d, e, "tables"))
					return -1;
				yaml_node_t *tables = ydoc_get(d, e, "tables");
				for (size_t k = 0; k < ydoc_len(tables); k++)
					if (check_entry(c, d, ydoc_item(d, tables, k)))
						return -1;
			}
		}
	}
	return 0;
}

int dq_collect(const struct dbt_project *p, struct dq_suite *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->target_schema = xstrdup(p->target_schema);
	struct ctx c = { p, s, err, errlen };
	if (check_docs(&c))
		return -1;
	for (size_t i = 0; i < p->ntests; i++)
		if (generic_test(&c, &p->tests[i]))
			return -1;
	if (dq_freshness_tests(&c) || dq_singular_tests(&c))
		return -1;
	for (size_t i = 0; i < s->ntests; i++) {
		struct dq_test *t = &s->tests[i];
		/* dbt's default audit schema, or <target>_<schema> for a custom one */
		char *a = t->audit_schema ? xasprintf("%s_%s", p->target_schema, t->audit_schema) :
					    xasprintf("%s_dbt_test__audit", p->target_schema);
		free(t->audit_schema);
		t->audit_schema = a;
	}
	return 0;
}

static void sample_free(struct dq_sample *s)
{
	for (size_t i = 0; i < s->ncols; i++)
		free(s->cols[i]);
	for (size_t i = 0; i < s->ncols * s->nrows; i++)
		free(s->vals[i]);
	free(s->cols);
	free(s->vals);
	memset(s, 0, sizeof *s);
}

void dq_test_free_sample(struct dq_test *t);
void dq_test_free_sample(struct dq_test *t)
{
	sample_free(&t->sample);
}

void dq_test_free(struct dq_test *t)
{
	{
		free(t->name);
		free(t->unique_id);
		free(t->full_name);
		free(t->test_type);
		free(t->file);
		free(t->on);
		free(t->relation);
		free_col(&t->column);
		for (size_t k = 0; k < t->nvalues; k++)
			free(t->values[k]);
		free(t->values);
		free(t->to_relation);
		free_col(&t->field);
		free(t->expression);
		for (size_t k = 0; k < t->nkeys; k++)
			free_col(&t->keys[k]);
		for (size_t k = 0; k < t->ncompare_keys; k++)
			free_col(&t->compare_keys[k]);
		free(t->keys);
		free(t->compare_keys);
		free_col(&t->compare_column);
		free(t->compare_where);
		free(t->tolerance);
		free(t->filter);
		free(t->sql);
		free(t->text);
		free(t->macro_type);
		free(t->fail_calc);
		free(t->arg_keys);
		free(t->arg_vals);
		free(t->where);
		free(t->audit_schema);
		for (size_t k = 0; k < t->ntags; k++)
			free(t->tags[k]);
		free(t->tags);
		free(t->nodes);
		free(t->sources);
		free(t->message);
		free(t->stored_in);
		sample_free(&t->sample);
	}
	memset(t, 0, sizeof *t);
}

void dq_suite_free(struct dq_suite *s)
{
	for (size_t i = 0; i < s->ntests; i++)
		dq_test_free(&s->tests[i]);
	free(s->tests);
	free(s->target_schema);
	memset(s, 0, sizeof *s);
}
