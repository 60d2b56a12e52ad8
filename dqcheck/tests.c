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
 * source and its tables; singular tests are the templates in the test
 * paths, rendered with ref(), source() and config().
 *
 * Everything is checked here, before any connection: an unknown test or
 * argument, a missing one or a value of the wrong kind is an error that
 * names file:line and the key, because a test skipped or misread is a
 * check that silently passes. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dqcheck.h"
#include "exitcode.h"
#include "log.h"
#include "select.h"
#include "template.h"
#include "ydoc.h"
#include "xalloc.h"

struct ctx {
	const struct dbt_project *p;
	struct dq_suite *s;
	char *err;
	size_t errlen;
};

static int fail(struct ctx *c, const char *file, size_t line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(struct ctx *c, const char *file, size_t line, const char *key, const char *fmt, ...)
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
static struct dq_col make_col(const char *name, bool allow_expr)
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

static void test_free(struct dq_test *t);

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
static int config_set(struct dq_test *t, const char *key, const char *s, char **list, size_t nlist,
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
	int rc = config_set(t, key, ydoc_str(v), list, n, enabled, msg, sizeof msg);
	free(list);
	if (rc)
		return fail(c, d->path, ydoc_line(v), key, "%s", msg);
	return 0;
}

/* ---- yml values as dbt shows them ---- */

/* What Python's str() shows for a yml scalar as dbt reads it (YAML 1.1:
 * yes is True, 1_000 is 1000, 1.50 is 1.5). */
static char *py_scalar(const yaml_node_t *v, bool *is_str)
{
	bool b;
	double num;
	enum ydoc_kind k = ydoc_yaml11(v, &b, &num);
	*is_str = k == YK_STR;
	switch (k) {
	case YK_NULL:
		return xstrdup("None");
	case YK_BOOL:
		return xstrdup(b ? "True" : "False");
	case YK_INT:
		return xasprintf("%.0f", num);
	case YK_FLOAT: {
		char f[48];
		tmpl_float_repr(f, sizeof f, num);
		return xstrdup(f);
	}
	default:
		return xstrdup(ydoc_str(v));
	}
}

/* ---- the ref()/source()/config() host for `to:` and singular tests ---- */

struct host {
	const struct dbt_project *p;
	struct dq_test *t;
	bool allow_config;
	bool enabled;
};

static void add_dep(size_t **v, size_t *n, size_t x)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return;
	DQ_PUSH(*v, *n, x);
}

/* A scalar var: --vars first, then dbt_project.yml's vars (scoped to
 * the project, then global). Lists and mappings are not looked at. */
static const yaml_node_t *find_var(const struct dbt_project *p, const char *name)
{
	if (p->cli_vars && ydoc_root(p->cli_vars)) {
		const yaml_node_t *v = ydoc_get(p->cli_vars, ydoc_root(p->cli_vars), name);
		if (ydoc_is_scalar(v))
			return v;
	}
	struct ydoc *d = p->project_doc;
	yaml_node_t *vars = d ? ydoc_get(d, ydoc_root(d), "vars") : NULL;
	yaml_node_t *scoped = ydoc_get(d, vars, p->name);
	const yaml_node_t *v = ydoc_get(d, scoped, name);
	return ydoc_is_scalar(v) ? v : ydoc_is_scalar(ydoc_get(d, vars, name)) ? ydoc_get(d, vars, name) : NULL;
}

static int host_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	struct host *h = ud;
	for (size_t i = 0; i < c->nargs && i < (strcmp(c->name, "var") ? c->nargs : 1); i++)
		if (c->args[i].kind != TV_STR) {
			tmpl_fail(r, c->line, "%s() needs string arguments", c->name);
			return -1;
		}
	if (!strcmp(c->name, "ref")) {
		if (c->nargs < 1 || c->nargs > 2) {
			tmpl_fail(r, c->line, "ref() takes 1 or 2 arguments");
			return -1;
		}
		const char *name = c->args[c->nargs - 1].s;
		long idx = dbt_find(h->p, name);
		if (idx < 0 || !h->p->nodes[idx].cfg.enabled) {
			tmpl_fail(r, c->line, "ref('%s'): no %smodel or seed is called '%s'", name,
				  idx < 0 ? "" : "enabled ", name);
			return -1;
		}
		const struct dbt_node *n = &h->p->nodes[idx];
		if (n->kind == DBT_MODEL && n->cfg.materialized == MAT_EPHEMERAL) {
			tmpl_fail(r, c->line, "ref('%s'): an ephemeral model has no relation to test", name);
			return -1;
		}
		add_dep(&h->t->nodes, &h->t->nnodes, (size_t)idx);
		*out = tval_str(r, n->relation, strlen(n->relation));
		return 0;
	}
	if (!strcmp(c->name, "source")) {
		if (c->nargs != 2) {
			tmpl_fail(r, c->line, "source() takes 2 arguments");
			return -1;
		}
		long idx = dbt_find_source(h->p, c->args[0].s, c->args[1].s);
		if (idx < 0) {
			tmpl_fail(r, c->line, "source('%s', '%s') is not declared in any schema file", c->args[0].s,
				  c->args[1].s);
			return -1;
		}
		add_dep(&h->t->sources, &h->t->nsources, (size_t)idx);
		const char *rel = h->p->sources[idx].relation;
		*out = tval_str(r, rel, strlen(rel));
		return 0;
	}
	if (!strcmp(c->name, "var")) {
		if (c->nargs < 1 || c->nargs > 2) {
			tmpl_fail(r, c->line, "var() takes 1 or 2 arguments");
			return -1;
		}
		const yaml_node_t *v = find_var(h->p, c->args[0].s);
		if (v) { /* as dbt prints it: yes is True */
			char *text = py_scalar(v, &(bool){ false });
			*out = tval_str(r, text, strlen(text));
			free(text);
			return 0;
		}
		if (c->nargs == 2) {
			*out = c->args[1];
			return 0;
		}
		tmpl_fail(r, c->line, "var('%s') is not set (give it with --vars or in dbt_project.yml)", c->args[0].s);
		return -1;
	}
	/* config(), in singular tests */
	if (!h->allow_config || c->nargs) {
		tmpl_fail(r, c->line, "config() takes keyword arguments, in singular tests only");
		return -1;
	}
	for (size_t i = 0; i < c->nkw; i++) {
		const struct tval *v = &c->kwargs[i];
		char num[64], msg[512];
		const char *s = NULL;
		char **list = NULL;
		size_t n = 0;
		if (v->kind == TV_STR)
			s = v->s;
		else if (v->kind == TV_BOOL)
			s = v->b ? "true" : "false";
		else if (v->kind == TV_NUM) {
			snprintf(num, sizeof num, "%.0f", v->num);
			s = num;
		} else if (v->kind == TV_LIST)
			for (size_t k = 0; k < v->n; k++)
				if (v->items[k].kind == TV_STR)
					DQ_PUSH(list, n, (char *)v->items[k].s);
		int rc = config_set(h->t, c->kwnames[i], s, list, n, &h->enabled, msg, sizeof msg);
		free(list);
		if (rc) {
			tmpl_fail(r, c->line, "config %s: %s", c->kwnames[i], msg);
			return -1;
		}
	}
	*out = tval_str(r, "", 0);
	return 0;
}

static const char *const host_funcs[] = { "ref", "source", "config", "var", NULL };

/* Renders text ("{{ ref('x') }}" or a singular test) into *out. Returns
 * 0, or -1 with the engine's "file:line: message" in msg. */
static int render(struct host *h, const char *file, const char *text, char **out, char *msg, size_t msglen)
{
	struct tmpl *tp = tmpl_parse(file, text, strlen(text), host_funcs, msg, msglen);
	if (!tp)
		return -1;
	struct tmpl_host th = { host_call, NULL, h };
	int rc = tmpl_render(tp, &th, out, NULL, msg, msglen);
	tmpl_free(tp);
	return rc;
}

/* Renders a template written in a yml value (with ref(), source() and
 * var()) into *out; an error names the yml's file, line and key. */
static int render_arg(struct ctx *c, struct dq_test *t, struct ydoc *d, const char *key, size_t line,
		      const char *text, char **out)
{
	char msg[512];
	struct host h = { c->p, t, false, true };
	*out = NULL;
	if (render(&h, d->path, text, out, msg, sizeof msg) == 0)
		return 0;
	/* the engine names the snippet's own line 1; name the yml's */
	const char *m = strstr(msg, ": ");
	return fail(c, d->path, line, key, "%s", m ? m + 2 : msg);
}

/* A relation argument such as to: ref('customers') or
 * compare_model: source('raw', 'sales'). */
static int relation_arg(struct ctx *c, struct dq_test *t, struct ydoc *d, const char *key, yaml_node_t *v,
			char **rel)
{
	const char *s = ydoc_str(v);
	if (!s || !strstr(s, "(")) {
		return fail(c, d->path, ydoc_line(v), key, "needs ref('model') or source('source', 'table')");
	}
	char *text = xasprintf("{{ %s }}", s), *out;
	int rc = render_arg(c, t, d, key, ydoc_line(v), text, &out);
	free(text);
	if (rc)
		return -1;
	size_t n = strlen(out);
	while (n && isspace((unsigned char)out[n - 1]))
		out[--n] = '\0';
	*rel = out;
	return 0;
}

/* ---- names ---- */

/* dbt's rule for generated names: each run of other characters becomes
 * one underscore. Malloc'd. */
static char *sanitize(const char *s)
{
	char *out = xrealloc(NULL, strlen(s) + 1), *o = out;
	bool in_run = false;
	for (; *s; s++) {
		if (isalnum((unsigned char)*s) || *s == '_') {
			*o++ = *s;
			in_run = false;
		} else if (!in_run) {
			*o++ = '_';
			in_run = true;
		}
	}
	*o = '\0';
	return out;
}

static void set_unique_name(struct ctx *c, struct dq_test *t, char *name)
{
	char *base = name;
	for (unsigned k = 2;; k++) {
		bool taken = false;
		for (size_t i = 0; i < c->s->ntests && !taken; i++)
			taken = !strcmp(c->s->tests[i].name, name);
		if (!taken)
			break;
		if (name != base)
			free(name);
		name = xasprintf("%s_%u", base, k);
	}
	if (name != base)
		free(base);
	t->name = name;
}

/* ---- defaults from dbt_project.yml ---- */

/* Applies the `data_tests:` (or `tests:`) tree of dbt_project.yml along
 * the folders of the file that declares the test, as dbt does: at each
 * level, keys starting with '+' are configs and a mapping named after the
 * next folder goes deeper. The first level below the root is the project
 * name. path is the declaring file as opened (under the project dir),
 * bases the model or test paths it may lie under. Configs keyed by a
 * test's own name are not looked at. */
static int project_config(struct ctx *c, struct dq_test *x, const char *path, char *const *bases, size_t nbases,
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

struct args {
	const char *keys[32];
	yaml_node_t *vals[32];
	size_t n;
	bool used[32];
};

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
			return fail(c, d->path, ydoc_line(map), k, "too many arguments");
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
		DQ_PUSH(*out, *n, make_col(ydoc_str(v), true));
		return 0;
	}
	if (!ydoc_is_seq(v) || !ydoc_len(v))
		return fail(c, d->path, ydoc_line(v), key, "needs a column or a list of columns");
	for (size_t i = 0; i < ydoc_len(v); i++) {
		const char *s = ydoc_str(ydoc_item(d, v, i));
		if (!s)
			return fail(c, d->path, ydoc_line(v), key, "needs a column or a list of columns");
		DQ_PUSH(*out, *n, make_col(s, true));
	}
	return 0;
}

/* A finite decimal number: [+-]digits[.digits][e[+-]digits]. strtod alone
 * would also take nan, inf and hex, which are not numbers to SQL. */
static bool is_number(const char *s)
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

/* ---- dbt's generated test names ---- */

/* Python's repr() of a value inside a list or mapping: strings quoted. */
static char *py_repr(struct ydoc *d, yaml_node_t *v);

static char *py_join(struct ydoc *d, yaml_node_t *v, const char *open, const char *close)
{
	char *out = xstrdup(open);
	for (size_t i = 0; i < ydoc_len(v); i++) {
		char *key = ydoc_is_map(v) ? py_repr(d, ydoc_key(d, v, i)) : NULL;
		char *item = py_repr(d, ydoc_is_map(v) ? ydoc_value(d, v, i) : ydoc_item(d, v, i));
		char *n = xasprintf("%s%s%s%s%s", out, i ? ", " : "", key ? key : "", key ? ": " : "", item);
		free(key);
		free(item);
		free(out);
		out = n;
	}
	char *n = xasprintf("%s%s", out, close);
	free(out);
	return n;
}

static char *py_repr(struct ydoc *d, yaml_node_t *v)
{
	if (ydoc_is_seq(v))
		return py_join(d, v, "[", "]");
	if (ydoc_is_map(v))
		return py_join(d, v, "{", "}");
	bool is_str;
	char *s = py_scalar(v, &is_str);
	if (is_str) {
		char *q = xasprintf("'%s'", s);
		free(s);
		return q;
	}
	return s;
}

/* A test's argument for its name: a yml value, or text (the column). */
struct named_arg {
	const char *key;
	yaml_node_t *val;
	const char *text;
};

static int cmp_arg_keys(const void *a, const void *b)
{
	return strcmp(((const struct named_arg *)a)->key, ((const struct named_arg *)b)->key);
}

/* The md5 of s in hex, as dbt puts in a shortened name. */
static void md5_hex(const char *s, char out[33])
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (!EVP_Digest(s, strlen(s), sum, &len, EVP_md5(), NULL) || len != 16)
		die(EXIT_OPER, "cannot compute an md5 digest"); /* of a string in memory: only out of memory */
	for (unsigned i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", sum[i]);
}

/* dbt's name for a generic test: "<test>_<target>_" and every argument
 * (the column first among them as column_name), sorted by name, lists and
 * mappings flattened to their values, each shown as Python shows it and
 * cut to [0-9a-zA-Z_] runs, joined with "__": not_null_orders_id,
 * accepted_values_orders_status__a__b, source_not_null_raw_sales_id,
 * dbt_utils_expression_is_true_orders_amount_0. A name of 64 characters
 * or more becomes its first 30 and the md5 of the whole. */
static char *dbt_test_name(struct ydoc *d, const char *type, bool on_source, const char *target,
			   const char *column, struct args *a)
{
	struct named_arg args[33];
	size_t n = 0;
	bool has_column = false;
	for (size_t i = 0; i < a->n; i++) {
		has_column |= !strcmp(a->keys[i], "column_name");
		if (strcmp(a->keys[i], "model") != 0)
			args[n++] = (struct named_arg){ a->keys[i], a->vals[i], NULL };
	}
	if (column && !has_column) /* dbt passes the column as column_name */
		args[n++] = (struct named_arg){ "column_name", NULL, column };
	qsort(args, n, sizeof args[0], cmp_arg_keys);
	char *ident = xasprintf("%s%s_%s", on_source ? "source_" : "", type, target);
	for (char *q = ident; *q; q++)
		if (*q == '.') /* the namespace of dbt_utils.x */
			*q = '_';
	char *name = xasprintf("%s_", ident);
	size_t parts = 0;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *v = args[i].val;
		size_t m = ydoc_is_seq(v) || ydoc_is_map(v) ? ydoc_len(v) : 1;
		for (size_t j = 0; j < m; j++) {
			yaml_node_t *part = ydoc_is_seq(v) ? ydoc_item(d, v, j) : ydoc_is_map(v) ? ydoc_value(d, v, j) : v;
			char *text = args[i].text ? xstrdup(args[i].text) :
				     ydoc_is_scalar(part) ? py_scalar(part, &(bool){ false }) : py_repr(d, part);
			char *clean = sanitize(text);
			char *nn = xasprintf("%s%s%s", name, parts++ ? "__" : "", clean);
			free(text);
			free(clean);
			free(name);
			name = nn;
		}
	}
	if (strlen(name) >= 64) {
		char sum[33];
		md5_hex(name, sum);
		size_t cut = 0, chars = 0; /* 30 characters, not bytes */
		while (ident[cut] && chars < 30)
			if (((unsigned char)ident[++cut] & 0xC0) != 0x80)
				chars++;
		free(name);
		name = xasprintf("%.*s_%s", (int)cut, ident, sum);
	}
	free(ident);
	return name;
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
				return fail(c, d->path, ydoc_line(tn), "test_name", "needs the name of a generic test");
		} else if (ydoc_len(t) != 1) {
			return fail(c, d->path, ydoc_line(t), *type, "a test is one key (its name) with its arguments under it");
		} else {
			body = ydoc_value(d, t, 0);
		}
	}
	if (body && !ydoc_is_map(body) && !ydoc_is_null(body))
		return fail(c, d->path, ydoc_line(body), *type, "the test's arguments must be a mapping");
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
				return fail(c, d->path, ydoc_line(v), k, "must be a mapping");
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
			return fail(c, d->path, ydoc_line(v), k, "too many arguments");
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
		x->column = make_col(dt->column, false);
	else if (colname)
		x->column = make_col(colname, true);
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
		return fail(c, d->path, v ? ydoc_line(v) : dt->line, "values", "needs a list of accepted values");
	for (size_t i = 0; i < ydoc_len(v); i++) {
		const char *s = ydoc_str(ydoc_item(d, v, i));
		if (!s)
			return fail(c, d->path, ydoc_line(v), "values", "every value must be a scalar");
		DQ_PUSH(x->values, x->nvalues, xstrdup(s));
	}
	yaml_node_t *q = arg(a, "quote");
	if (q && !parse_bool(ydoc_str(q), &x->quote))
		return fail(c, d->path, ydoc_line(q), "quote", "needs true or false");
	/* Unquoted values are SQL; only numbers and booleans are let
	 * through, so a value can never become a statement. */
	for (size_t i = 0; !x->quote && i < x->nvalues; i++) {
		bool b;
		if (!is_number(x->values[i]) && !parse_bool(x->values[i], &b))
			return fail(c, d->path, ydoc_line(v), "values",
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
		return fail(c, d->path, dt->line, "compare_model", "needs ref('model') or source(...) to compare with");
	if (relation_arg(c, x, d, "compare_model", cm, &x->to_relation))
		return -1;
	if (x->kind == DQ_EQUAL_ROWCOUNT)
		return (v = arg(a, "group_by_columns")) ? col_list(c, d, "group_by_columns", v, &x->keys, &x->nkeys) : 0;
	const char *col = str_arg(a, "column");
	if (col) {
		free_col(&x->column);
		x->column = make_col(col, true);
	}
	if (!x->column.text)
		return fail(c, d->path, dt->line, "column", "equal_sums needs the column to sum");
	const char *cc = str_arg(a, "compare_column");
	x->compare_column = make_col(cc ? cc : x->column.text, true);
	if (!(v = arg(a, "key")))
		return fail(c, d->path, dt->line, "key", "equal_sums needs the shared key (a column or a list)");
	if (col_list(c, d, "key", v, &x->keys, &x->nkeys))
		return -1;
	if ((v = arg(a, "compare_key"))) {
		if (col_list(c, d, "compare_key", v, &x->compare_keys, &x->ncompare_keys))
			return -1;
		if (x->ncompare_keys != x->nkeys)
			return fail(c, d->path, ydoc_line(v), "compare_key", "needs as many columns as key");
	} else {
		for (size_t i = 0; i < x->nkeys; i++)
			DQ_PUSH(x->compare_keys, x->ncompare_keys, make_col(x->keys[i].text, x->keys[i].expr));
	}
	const char *cw = str_arg(a, "compare_where");
	x->compare_where = cw && cw[0] ? xstrdup(cw) : NULL;
	if ((v = arg(a, "tolerance"))) {
		if (!is_number(ydoc_str(v)) || strtod(ydoc_str(v), NULL) < 0)
			return fail(c, d->path, ydoc_line(v), "tolerance", "needs a number, 0 or more");
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
	if (k == sizeof kinds / sizeof kinds[0])
		return fail(c, d->path, dt->line, type,
			    "unknown test (dqcheck runs not_null, unique, accepted_values, relationships, "
			    "expression_is_true, equal_rowcount and equal_sums)");
	x->kind = kinds[k].kind;
	x->test_type = xstrdup(kinds[k].name);
	if (kinds[k].column && !x->column.text)
		return fail(c, d->path, dt->line, type, "needs a column: declare it under a column or give column_name");

	int rc = 0;
	switch (x->kind) {
	case DQ_ACCEPTED_VALUES:
		rc = accepted_values_args(c, dt, x, a);
		break;
	case DQ_RELATIONSHIPS: {
		yaml_node_t *to = arg(a, "to");
		const char *field = str_arg(a, "field");
		if (!to)
			return fail(c, d->path, dt->line, "to", "relationships needs to: ref('model') or source(...)");
		if (!field)
			return fail(c, d->path, dt->line, "field", "relationships needs the field in the other relation");
		if (relation_arg(c, x, d, "to", to, &x->to_relation))
			return -1;
		x->field = make_col(field, true);
		break;
	}
	case DQ_EXPRESSION:
		x->expression = xstrdup(str_arg(a, "expression"));
		if (!x->expression[0])
			return fail(c, d->path, dt->line, "expression", "expression_is_true needs an expression");
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
			return fail(c, d->path, ydoc_line(a->vals[i]), a->keys[i], "unknown argument of %s", type);
	return 0;
}

/* One generic test from a schema file, added to the suite unless it is
 * disabled. Returns 0, or -1 after fail(). */
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
		return fail(c, d->path, dt->line, "data_tests",
			    "a test is a name, or one key (its name) with its arguments under it");
	if (dt->on == DBT_TEST_ON_NODE && !p->nodes[dt->target].cfg.enabled)
		return 0;
	x.file = xstrdup(d->path);
	if (project_config(c, &x, d->path, p->model_paths, p->nmodel_paths, &enabled) ||
	    test_entry(c, dt, &x, &a, &type, &custom, &enabled) ||
	    test_target(c, dt, &x, &a, &target, &srcname, &enabled) || test_kind(c, dt, &x, &a, type))
		goto out;
	if (!enabled) {
		rc = 0;
		goto out;
	}
	if (x.where && (strstr(x.where, "{{") || strstr(x.where, "{%"))) { /* dbt renders it too */
		char *w;
		if (render_arg(c, &x, d, "where", dt->line, x.where, &w))
			goto out;
		free(x.where);
		x.where = w;
	}
	if (x.kind == DQ_EXPRESSION && x.column.text) {
		/* dbt_utils puts the column before the expression */
		char *e = xasprintf("%s %s", x.column.text, x.expression);
		free(x.expression);
		x.expression = e;
	}
	char *name = custom ? xstrdup(custom) :
			      dbt_test_name(d, type, dt->on == DBT_TEST_ON_SOURCE, target, dt->column, &a);
	set_unique_name(c, &x, name);
	DQ_PUSH(c->s->tests, c->s->ntests, x);
	memset(&x, 0, sizeof x);
	rc = 0;
out:
	free(srcname);
	test_free(&x); /* what was not kept; a no-op after the push */
	return rc;
}

/* ---- freshness ---- */

/* A warn_after or error_after threshold, in seconds (0 when not set). v is
 * the table's, base the source's: count and period each come from v when
 * it has them, as dbt merges them. */
static int period_seconds(struct ctx *c, struct ydoc *d, const char *key, yaml_node_t *v, yaml_node_t *base,
			  double *out)
{
	*out = 0;
	if (!v || ydoc_is_null(v))
		return 0;
	if (!ydoc_is_map(v))
		return fail(c, d->path, ydoc_line(v), key, "needs count and period (minute, hour or day)");
	yaml_node_t *cnt = ydoc_get(d, v, "count"), *per = ydoc_get(d, v, "period");
	if (!cnt)
		cnt = ydoc_get(d, base, "count");
	if (!per)
		per = ydoc_get(d, base, "period");
	const char *cs = ydoc_str(cnt), *ps = ydoc_str(per);
	if (!cs || !ps)
		return fail(c, d->path, ydoc_line(v), key, "needs count and period (minute, hour or day)");
	if (!is_number(cs) || strtod(cs, NULL) < 0)
		return fail(c, d->path, ydoc_line(cnt), "count", "'%s' is not a number of periods", cs);
	double unit = !strcmp(ps, "minute") ? 60 : !strcmp(ps, "hour") ? 3600 : !strcmp(ps, "day") ? 86400 : 0;
	if (!unit)
		return fail(c, d->path, ydoc_line(per), "period", "'%s' is not minute, hour or day", ps);
	*out = strtod(cs, NULL) * unit;
	return 0;
}

/* An entry's freshness block, at the top level or under config:. */
static yaml_node_t *freshness_of(struct ydoc *d, yaml_node_t *entry)
{
	yaml_node_t *f = ydoc_get(d, entry, "freshness");
	return f ? f : ydoc_get(d, ydoc_get(d, entry, "config"), "freshness");
}

/* The freshness blocks of a source table (*table) and of its source
 * (*source), either NULL when not written. */
static void find_freshness(struct ydoc *d, const struct dbt_source *s, yaml_node_t **table, yaml_node_t **source)
{
	*table = freshness_of(d, s->node);
	*source = NULL;
	yaml_node_t *srcs = ydoc_get(d, ydoc_root(d), "sources");
	for (size_t i = 0; i < ydoc_len(srcs); i++) {
		yaml_node_t *e = ydoc_item(d, srcs, i);
		const char *n = ydoc_str(ydoc_get(d, e, "name"));
		if (n && !strcmp(n, s->source_name)) {
			*source = freshness_of(d, e);
			return;
		}
	}
}

/* One key of the merged freshness: the table's when it writes the key
 * (null included, which turns it off), else the source's. */
static yaml_node_t *merged(struct ydoc *d, yaml_node_t *table, yaml_node_t *source, const char *key)
{
	for (size_t i = 0; i < ydoc_len(table); i++) {
		const char *k = ydoc_str(ydoc_key(d, table, i));
		if (k && !strcmp(k, key))
			return ydoc_value(d, table, i);
	}
	return ydoc_get(d, source, key);
}

static int freshness_tests(struct ctx *c)
{
	for (size_t i = 0; i < c->p->nsources; i++) {
		const struct dbt_source *s = &c->p->sources[i];
		struct ydoc *d = s->doc;
		yaml_node_t *tf, *sf;
		find_freshness(d, s, &tf, &sf);
		/* freshness: null on the table turns its source's off */
		if (tf && ydoc_is_null(tf))
			continue;
		if (sf && ydoc_is_null(sf))
			sf = NULL;
		yaml_node_t *f = tf ? tf : sf;
		if (!f)
			continue;
		if (!ydoc_is_map(f) || (sf && !ydoc_is_map(sf)))
			return fail(c, d->path, ydoc_line(ydoc_is_map(f) ? sf : f), "freshness", "must be a mapping");
		struct dq_test x = { .kind = DQ_FRESHNESS, .limit = -1, .store_failures = 0, .line = ydoc_line(f) };
		if (period_seconds(c, d, "warn_after", merged(d, tf, sf, "warn_after"), ydoc_get(d, sf, "warn_after"),
				   &x.warn_after) ||
		    period_seconds(c, d, "error_after", merged(d, tf, sf, "error_after"),
				   ydoc_get(d, sf, "error_after"), &x.error_after))
			return -1;
		if (!x.warn_after && !x.error_after)
			continue;
		if (!s->loaded_at_field)
			return fail(c, d->path, ydoc_line(f), "loaded_at_field",
				    "freshness of %s.%s needs a loaded_at_field", s->source_name, s->table_name);
		const char *filter = ydoc_str(merged(d, tf, sf, "filter"));
		x.filter = filter && filter[0] ? xstrdup(filter) : NULL;
		x.file = xstrdup(d->path);
		x.test_type = xstrdup("freshness");
		x.relation = xstrdup(s->relation);
		x.on = xasprintf("source %s.%s", s->source_name, s->table_name);
		x.column = make_col(s->loaded_at_field, true);
		DQ_PUSH(x.sources, x.nsources, i);
		char *raw = xasprintf("source_freshness_%s_%s", s->source_name, s->table_name);
		set_unique_name(c, &x, sanitize(raw));
		free(raw);
		DQ_PUSH(c->s->tests, c->s->ntests, x);
	}
	return 0;
}

/* ---- singular tests ---- */

static int read_text(const char *path, char **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, n = 0, got;
	char *buf = xrealloc(NULL, cap);
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		snprintf(err, errlen, "%s: read error", path);
		return -1;
	}
	buf[n] = '\0';
	if (strlen(buf) != n) { /* the SQL would end at the NUL without a word */
		size_t line = 1;
		for (const char *q = buf; *q; q++)
			line += *q == '\n';
		free(buf);
		snprintf(err, errlen, "%s:%zu: sql: contains a NUL byte", path, line);
		return -1;
	}
	*out = buf;
	return 0;
}

static int singular_tests(struct ctx *c)
{
	for (size_t i = 0; i < c->p->nsingular; i++) {
		const char *path = c->p->singular_tests[i];
		char *text;
		if (read_text(path, &text, c->err, c->errlen))
			return -1;
		struct dq_test x = { .kind = DQ_SINGULAR, .limit = -1, .store_failures = -1, .line = 1 };
		x.warn_if = (struct dq_threshold){ OP_NE, 0 };
		x.error_if = (struct dq_threshold){ OP_NE, 0 };
		struct host h = { c->p, &x, true, true };
		if (project_config(c, &x, path, c->p->test_paths, c->p->ntest_paths, &h.enabled)) {
			free(text);
			test_free(&x);
			return -1;
		}
		char *sql = NULL;
		int rc = render(&h, path, text, &sql, c->err, c->errlen);
		free(text);
		if (!rc) {
			/* dbt wraps the query, so a trailing semicolon would break it */
			size_t n = strlen(sql);
			while (n && (isspace((unsigned char)sql[n - 1]) || sql[n - 1] == ';'))
				sql[--n] = '\0';
			if (!n) {
				snprintf(c->err, c->errlen, "%s:1: sql: the test has no query", path);
				rc = -1;
			}
		}
		x.sql = sql;
		x.file = xstrdup(path);
		if (rc || !h.enabled) {
			test_free(&x);
			if (rc)
				return -1;
			continue;
		}
		x.test_type = xstrdup("singular");
		x.on = xstrdup(x.nnodes ? c->p->nodes[x.nodes[0]].name :
				 x.nsources ? c->p->sources[x.sources[0]].table_name : "");
		const char *slash = strrchr(path, '/');
		char *name = xstrdup(slash ? slash + 1 : path);
		name[strlen(name) - 4] = '\0'; /* .sql */
		set_unique_name(c, &x, name);
		DQ_PUSH(c->s->tests, c->s->ntests, x);
	}
	return 0;
}

/* ---- structure the shared reader passes over quietly ---- */

static int check_list(struct ctx *c, struct ydoc *d, yaml_node_t *entry, const char *key)
{
	yaml_node_t *v = ydoc_get(d, entry, key);
	if (v && !ydoc_is_seq(v) && !ydoc_is_null(v))
		return fail(c, d->path, ydoc_line(v), key, "must be a list");
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
			return fail(c, d->path, ydoc_line(col), "columns", "each column needs a name");
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
	if (freshness_tests(&c) || singular_tests(&c))
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

static void test_free(struct dq_test *t)
{
	{
		free(t->name);
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
		test_free(&s->tests[i]);
	free(s->tests);
	free(s->target_schema);
	memset(s, 0, sizeof *s);
}

/* ---- selection ---- */

/* Whether one term (a part of a word, no commas) picks the test by
 * itself: its name, its type, a tag in its config or the source it reads. */
static bool term_picks(const char *term, const struct dbt_project *p, const struct dq_test *t)
{
	if (!strncmp(term, "test_type:", 10)) {
		const char *v = term + 10;
		return (!strcmp(v, "singular") && t->kind == DQ_SINGULAR) ||
		       (!strcmp(v, "generic") && t->kind != DQ_SINGULAR && t->kind != DQ_FRESHNESS) ||
		       (!strcmp(v, "freshness") && t->kind == DQ_FRESHNESS);
	}
	if (!strncmp(term, "tag:", 4)) {
		for (size_t i = 0; i < t->ntags; i++)
			if (fnmatch(term + 4, t->tags[i], 0) == 0)
				return true;
		return false;
	}
	if (!strncmp(term, "source:", 7) || !strncmp(term, "+source:", 8)) {
		char v[512];
		snprintf(v, sizeof v, "%s", strchr(term, ':') + 1);
		size_t n = strlen(v);
		if (n && v[n - 1] == '+')
			v[n - 1] = '\0';
		for (size_t i = 0; i < t->nsources; i++) {
			const struct dbt_source *s = &p->sources[t->sources[i]];
			char full[512];
			snprintf(full, sizeof full, "%s.%s", s->source_name, s->table_name);
			if (fnmatch(v, s->source_name, 0) == 0 || fnmatch(v, full, 0) == 0)
				return true;
		}
		return false;
	}
	return !strchr(term, ':') && fnmatch(term, t->name, 0) == 0;
}

/* Picks tests for one side (--select or --exclude). Words separated by
 * spaces add up; the parts of a word joined by commas must all hold. A
 * part holds for a test when it selects, through the shared syntax, a
 * node the test reads, or picks the test itself (term_picks). */
static int pick(const struct dbt_project *p, struct dq_suite *s, const char *const *args, size_t nargs, bool *out,
		char *err, size_t errlen)
{
	bool *nodes = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *nodes);
	bool *word = xcalloc(s->ntests ? s->ntests : 1, sizeof *word);
	int rc = 0;
	for (size_t i = 0; i < nargs && rc == 0; i++) {
		char *copy = xstrdup(args[i]), *save = NULL;
		for (char *tok = strtok_r(copy, " \t", &save); tok && rc == 0; tok = strtok_r(NULL, " \t", &save)) {
			for (size_t j = 0; j < s->ntests; j++)
				word[j] = true;
			char *psave = NULL;
			for (char *part = strtok_r(tok, ",", &psave); part; part = strtok_r(NULL, ",", &psave)) {
				memset(nodes, 0, (p->nnodes ? p->nnodes : 1) * sizeof *nodes);
				/* test_type is not a node method: keep it from lib/select */
				const char *one[1] = { part };
				if (strncmp(part, "test_type:", 10) != 0 &&
				    (rc = dbt_select(p, one, 1, NULL, 0, nodes, err, errlen)))
					break;
				for (size_t j = 0; j < s->ntests; j++) {
					const struct dq_test *t = &s->tests[j];
					bool m = term_picks(part, p, t);
					for (size_t k = 0; k < t->nnodes && !m; k++)
						m = nodes[t->nodes[k]];
					word[j] = word[j] && m;
				}
			}
			for (size_t j = 0; j < s->ntests && rc == 0; j++)
				out[j] = out[j] || word[j];
		}
		free(copy);
	}
	free(nodes);
	free(word);
	return rc ? -1 : 0;
}

int dq_select(const struct dbt_project *p, struct dq_suite *s, const char *const *sel, size_t nsel,
	      const char *const *exc, size_t nexc, char *err, size_t errlen)
{
	bool *in = xcalloc(s->ntests ? s->ntests : 1, sizeof *in), *out = xcalloc(s->ntests ? s->ntests : 1, 1);
	int rc = -1;
	if (nsel) {
		if (pick(p, s, sel, nsel, in, err, errlen))
			goto done;
	} else {
		for (size_t i = 0; i < s->ntests; i++)
			in[i] = true;
	}
	if (nexc && pick(p, s, exc, nexc, out, err, errlen))
		goto done;
	for (size_t i = 0; i < s->ntests; i++)
		s->tests[i].selected = in[i] && !out[i];
	rc = 0;
done:
	free(in);
	free(out);
	return rc;
}
