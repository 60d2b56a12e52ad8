/* SPDX-License-Identifier: MIT
 * Templates in a project's tests: the host that gives them ref(),
 * source(), var() and, in singular tests, config(), and the singular tests
 * themselves (the .sql files in the test paths, each rendered into one
 * query). Yml arguments that name a relation (to:, compare_model:) or hold
 * a template (where:) are rendered by the same host. Every ref() and
 * source() a test makes is recorded as a relation it reads, for --select.
 * See collect.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "collect.h"
#include "dqcheck.h"
#include "template.h"
#include "ydoc.h"
#include "xalloc.h"

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

static struct dbt_ctx ctx_of(const struct host *h)
{
	return (struct dbt_ctx){ &h->p->macros, DBT_PKG_ROOT, h->p->target_schema, true, &h->p->target };
}

/* The project's macros (and target, execute), as modelrun sees them. */
static int host_global(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out)
{
	struct dbt_ctx x = ctx_of(ud);
	return dbt_ctx_global(&x, r, name, line, out);
}

static int host_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	struct host *h = ud;
	if (strcmp(c->name, "ref") && strcmp(c->name, "source") && strcmp(c->name, "var") && strcmp(c->name, "config")) {
		struct dbt_ctx x = ctx_of(h);
		int rc = dbt_ctx_call(&x, r, c, out);
		if (rc != 1)
			return rc;
	}
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
			char *text = dq_py_scalar(v, &(bool){ false });
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
		int rc = dq_config_set(h->t, c->kwnames[i], s, list, n, &h->enabled, msg, sizeof msg);
		free(list);
		if (rc) {
			tmpl_fail(r, c->line, "config %s: %s", c->kwnames[i], msg);
			return -1;
		}
	}
	*out = tval_str(r, "", 0);
	return 0;
}

static const char *const host_funcs[] = {
	"ref", "source", "config", "var", "adapter.dispatch", "adapter.quote", "exceptions.raise_compiler_error",
	"exceptions.warn", "log", NULL,
};

/* Renders text ("{{ ref('x') }}" or a singular test) into *out. Returns
 * 0, or -1 with the engine's "file:line: message" in msg. */
static int render(struct host *h, const char *file, const char *text, char **out, char *msg, size_t msglen)
{
	struct dbt_ctx x = ctx_of(h);
	struct tmpl_names names = { .funcs = host_funcs, .known = dbt_ctx_known, .ud = &x };
	struct tmpl *tp = tmpl_parse_names(file, text, strlen(text), &names, msg, msglen);
	if (!tp)
		return -1;
	struct tmpl_host th = { host_call, host_global, h };
	int rc = tmpl_render(tp, &th, out, NULL, msg, msglen);
	tmpl_free(tp);
	return rc;
}

/* Renders a template written in a yml value (with ref(), source() and
 * var()) into *out; an error names the yml's file, line and key. */
int dq_render_arg(struct ctx *c, struct dq_test *t, struct ydoc *d, const char *key, size_t line,
		  const char *text, char **out)
{
	char msg[512];
	struct host h = { c->p, t, false, true };
	*out = NULL;
	if (render(&h, d->path, text, out, msg, sizeof msg) == 0)
		return 0;
	/* the engine names the snippet's own line 1; name the yml's */
	const char *m = strstr(msg, ": ");
	return dq_fail(c, d->path, line, key, "%s", m ? m + 2 : msg);
}

/* A relation argument such as to: ref('customers') or
 * compare_model: source('raw', 'sales'). */
int dq_relation_arg(struct ctx *c, struct dq_test *t, struct ydoc *d, const char *key, yaml_node_t *v,
		    char **rel)
{
	const char *s = ydoc_str(v);
	if (!s || !strstr(s, "(")) {
		return dq_fail(c, d->path, ydoc_line(v), key, "needs ref('model') or source('source', 'table')");
	}
	char *text = xasprintf("{{ %s }}", s), *out;
	int rc = dq_render_arg(c, t, d, key, ydoc_line(v), text, &out);
	free(text);
	if (rc)
		return -1;
	size_t n = strlen(out);
	while (n && isspace((unsigned char)out[n - 1]))
		out[--n] = '\0';
	*rel = out;
	return 0;
}

/* ---- singular tests ---- */

static int read_text(const char *path, char **out, char *err, size_t errlen)
{
	struct buf b = { 0 };
	if (buf_read_file(&b, path, err, errlen)) {
		buf_free(&b);
		return -1;
	}
	size_t n = b.len;
	char *buf = buf_detach(&b);
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

int dq_singular_tests(struct ctx *c)
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
		if (dq_project_config(c, &x, path, c->p->test_paths, c->p->ntest_paths, &h.enabled)) {
			free(text);
			dq_test_free(&x);
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
			dq_test_free(&x);
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
		dq_set_unique_name(c, &x, name);
		DQ_PUSH(c->s->tests, c->s->ntests, x);
	}
	return 0;
}
