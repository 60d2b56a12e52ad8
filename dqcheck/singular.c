/* SPDX-License-Identifier: MIT
 * Templates in a project's tests, rendered by the project's template host
 * as models are (lib/dbtproject), and the singular tests themselves (the
 * .sql files in the test paths, each rendered into one query, ephemeral
 * models inlined). Yml arguments that name a relation (to:, compare_model:) or hold
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

/* ---- what a test's templates tell dqcheck ----
 *
 * Templates render through the project's own host (lib/dbtproject's
 * dbt_render_text_with), as models do; dqcheck only listens: every ref()
 * and source() is a relation the test reads, config() in a singular test
 * sets the test's config, and a ref() to an ephemeral model is inlined as
 * a CTE in a singular test (dbt_compile_text) and refused elsewhere. */

struct host {
	struct dq_test *t;
	bool allow_config;
	bool enabled;
	long ephemeral; /* a ref()'d ephemeral model where none can be, or -1 */
	const struct dbt_project *p;
	long disabled;  /* a ref()'d disabled node, or -1 */
};

static void add_dep(size_t **v, size_t *n, size_t x)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return;
	DQ_PUSH(*v, *n, x);
}

static void note_reads(void *ud, bool source, size_t idx)
{
	struct host *h = ud;
	if (!source && !h->p->nodes[idx].cfg.enabled && h->disabled < 0)
		h->disabled = (long)idx;
	if (source)
		add_dep(&h->t->sources, &h->t->nsources, idx);
	else
		add_dep(&h->t->nodes, &h->t->nnodes, idx);
}

/* In a yml value there is no query to put a CTE in. */
static const char *no_ephemeral(void *ud, size_t node)
{
	struct host *h = ud;
	if (h->ephemeral < 0)
		h->ephemeral = (long)node;
	return NULL;
}

/* config(key=value) in a singular test. */
static int set_config(void *ud, const char *key, const struct tval *v, char *msg, size_t msglen)
{
	struct host *h = ud;
	if (!h->allow_config) {
		snprintf(msg, msglen, "config() is for singular tests only");
		return -1;
	}
	char num[64];
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
	int rc = dq_config_set(h->t, key, s, list, n, &h->enabled, msg, msglen);
	free(list);
	return rc;
}

/* Renders a template written in a yml value (with ref(), source() and
 * var()) into *out; an error names the yml's file, line and key. */
int dq_render_arg(struct ctx *c, struct dq_test *t, struct ydoc *d, const char *key, size_t line,
		  const char *text, char **out)
{
	char msg[512];
	struct host h = { t, false, true, -1, c->p, -1 };
	struct dbt_text_opts o = { .reads = note_reads, .config = set_config, .ephemeral = no_ephemeral, .ud = &h };
	*out = NULL;
	if (dbt_render_text_with(c->p, d->path, text, strlen(text), &o, out, msg, sizeof msg) == 0) {
		if (h.ephemeral < 0 && h.disabled < 0)
			return 0;
		free(*out);
		*out = NULL;
		if (h.disabled >= 0) {
			const char *name = c->p->nodes[h.disabled].name;
			return dq_fail(c, d->path, line, key, "ref('%s'): no enabled model or seed is called '%s'", name,
				       name);
		}
		const char *name = c->p->nodes[h.ephemeral].name;
		return dq_fail(c, d->path, line, key, "ref('%s'): an ephemeral model has no relation to test", name);
	}
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

/* dbt wraps the query, so a trailing semicolon would break it; a test
 * with no query left is an error. */
static int trim_query(char *sql, const char *path, char *err, size_t errlen)
{
	size_t n = strlen(sql);
	while (n && (isspace((unsigned char)sql[n - 1]) || sql[n - 1] == ';'))
		sql[--n] = '\0';
	if (n)
		return 0;
	snprintf(err, errlen, "%s:1: sql: the test has no query", path);
	return -1;
}

int dq_singular_render(struct dq_test *t, const struct dbt_text_opts *o, char *err, size_t errlen)
{
	if (dbt_compile_text(t->project, t->file, t->text, strlen(t->text), o, &t->sql, err, errlen))
		return -1;
	return trim_query(t->sql, t->file, err, errlen);
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
		struct host h = { &x, true, true, -1, c->p, -1 };
		struct dbt_text_opts o = { .reads = note_reads, .config = set_config, .ud = &h };
		if (dq_project_config(c, &x, path, c->p->test_paths, c->p->ntest_paths, &h.enabled)) {
			free(text);
			dq_test_free(&x);
			return -1;
		}
		char *sql = NULL;
		/* ephemeral models inlined as CTEs, as dbt compiles the test */
		int rc = dbt_compile_text(c->p, path, text, strlen(text), &o, &sql, c->err, c->errlen);
		if (rc && (strstr(c->err, DBT_NEEDS_CONNECTION) || strstr(c->err, "unsupported construct"))) {
			/* its queries (run_query, statement) run on the run's
			 * connection: rendered again when it runs; a construct
			 * modelrun lacks is then that test's error alone */
			x.text = text;
			x.project = c->p;
			text = NULL;
			rc = 0;
		}
		free(text);
		if (!rc && sql)
			rc = trim_query(sql, path, c->err, c->errlen);
		x.sql = sql;
		x.file = xstrdup(path);
		/* dbt leaves out, without a word, a test that reads a disabled node */
		if (rc || !h.enabled || h.disabled >= 0) {
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
