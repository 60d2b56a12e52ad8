/* SPDX-License-Identifier: MIT
 * SQL as dbt compiles it: a model's or a singular test's query with the
 * ephemeral models it refs inlined as CTEs. Shared by modelrun (every
 * model it builds or compiles) and dqcheck (singular tests), so the two
 * inline ephemerals the same way. See dbtproject.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dbtproject.h"
#include "xalloc.h"

/* The ephemerals one compile needs, collected as templates ask for them. */
struct eph {
	bool *want; /* per node */
	const struct dbt_text_opts *user; /* a text's caller, or NULL */
	const struct dbt_render_opts *model; /* a model's caller: its query function, or NULL */
};

static const char *note_ephemeral(void *ud, size_t node)
{
	struct eph *e = ud;
	e->want[node] = true;
	return NULL; /* the default __dbt__cte__name */
}

/* Pass a text's reads and config() on to its caller. */
static void pass_reads(void *ud, bool source, size_t idx)
{
	struct eph *e = ud;
	if (e->user && e->user->reads)
		e->user->reads(e->user->ud, source, idx);
}

static int pass_config(void *ud, const char *key, const struct tval *v, char *msg, size_t msglen)
{
	struct eph *e = ud;
	if (e->user && e->user->config)
		return e->user->config(e->user->ud, key, v, msg, msglen);
	return 0;
}

static void strip_trailing(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ';' || isspace((unsigned char)s[n - 1])))
		s[--n] = '\0';
}

const char *dbt_sql_start(const char *s)
{
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (s[0] == '-' && s[1] == '-') {
			while (*s && *s != '\n')
				s++;
		} else if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			s = e ? e + 2 : s + strlen(s);
		} else {
			return s;
		}
	}
}

static bool word_at(const char *s, const char *w)
{
	size_t n = strlen(w);
	return strncasecmp(s, w, n) == 0 && !(isalnum((unsigned char)s[n]) || s[n] == '_');
}

char *dbt_with_ctes(const char *sql, const char *ctes)
{
	const char *tok = dbt_sql_start(sql);
	int prefix = (int)(tok - sql);
	size_t end = strlen(sql);
	while (end && (sql[end - 1] == ';' || isspace((unsigned char)sql[end - 1])))
		end--;
	if (!word_at(tok, "with"))
		return xasprintf("%.*swith %s\n%.*s", prefix, sql, ctes, (int)(sql + end > tok ? sql + end - tok : 0), tok);
	/* join the query's own CTEs */
	const char *rest = dbt_sql_start(tok + 4);
	bool recursive = word_at(rest, "recursive");
	if (recursive)
		rest = dbt_sql_start(rest + 9);
	return xasprintf("%.*swith %s%s,\n%.*s", prefix, sql, recursive ? "recursive " : "", ctes,
			 (int)(sql + end > rest ? sql + end - rest : 0), rest);
}

/* Renders every ephemeral e->want names (and those they want in turn)
 * and puts them as CTEs ahead of *sql, which it replaces. */
static int inline_ephemerals(const struct dbt_project *p, struct eph *e, char **sql, char *err, size_t errlen)
{
	bool *done = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *done);
	char **cte = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *cte);
	int rc = -1;
	strip_trailing(*sql);
	/* render each ephemeral once; rendering may ask for more */
	for (bool more = true; more;) {
		more = false;
		for (size_t i = 0; i < p->nnodes; i++) {
			if (!e->want[i] || done[i])
				continue;
			done[i] = true;
			more = true;
			struct dbt_render_opts eo = { .incremental = false, .ephemeral = note_ephemeral, .ud = e };
			if (e->model) { /* an ephemeral's queries run where its model's do */
				eo.query = e->model->query;
				eo.query_ud = e->model->query_ud;
			}
			if (dbt_render(p, i, &eo, &cte[i], err, errlen))
				goto out;
			strip_trailing(cte[i]);
		}
	}
	size_t total = strlen(*sql) + 64, ncte = 0;
	for (size_t i = 0; i < p->nnodes; i++)
		if (cte[i]) {
			total += strlen(cte[i]) + strlen(p->nodes[i].name) + 64;
			ncte++;
		}
	rc = 0;
	if (!ncte)
		goto out;
	/* CTEs in graph order, so an ephemeral's own ephemerals come first */
	char *ctes = xmalloc(total), *w = ctes;
	*w = '\0';
	for (size_t k = 0; k < p->nnodes; k++) {
		size_t i = p->order[k];
		if (cte[i])
			w += sprintf(w, "%s__dbt__cte__%s as (\n%s\n)", w == ctes ? "" : ", ", p->nodes[i].name, cte[i]);
	}
	char *out = dbt_with_ctes(*sql, ctes);
	free(ctes);
	free(*sql);
	*sql = out;
out:
	for (size_t i = 0; i < p->nnodes; i++)
		free(cte[i]);
	free(cte);
	free(done);
	return rc;
}

int dbt_inline_ephemerals(const struct dbt_project *p, const bool *want, char **sql, char *err, size_t errlen)
{
	struct eph e = { xcalloc(p->nnodes ? p->nnodes : 1, sizeof *e.want), NULL, NULL };
	if (p->nnodes)
		memcpy(e.want, want, p->nnodes * sizeof *e.want);
	int rc = inline_ephemerals(p, &e, sql, err, errlen);
	free(e.want);
	return rc;
}

int dbt_compile(const struct dbt_project *p, size_t node, const struct dbt_render_opts *opts, char **sql,
		char *err, size_t errlen)
{
	struct eph e = { xcalloc(p->nnodes ? p->nnodes : 1, sizeof *e.want), NULL, opts };
	struct dbt_render_opts o = { .ephemeral = note_ephemeral, .ud = &e };
	if (opts) {
		o.incremental = opts->incremental;
		o.query = opts->query;
		o.query_ud = opts->query_ud;
	}
	int rc = dbt_render(p, node, &o, sql, err, errlen);
	if (rc == 0 && (rc = inline_ephemerals(p, &e, sql, err, errlen))) {
		free(*sql);
		*sql = NULL;
	}
	free(e.want);
	return rc;
}

int dbt_compile_text(const struct dbt_project *p, const char *file, const char *text, size_t len,
		     const struct dbt_text_opts *o, char **sql, char *err, size_t errlen)
{
	struct eph e = { xcalloc(p->nnodes ? p->nnodes : 1, sizeof *e.want), o, NULL };
	struct dbt_text_opts to = { pass_reads, pass_config, note_ephemeral, &e, o ? o->query : NULL,
				    o ? o->query_ud : NULL };
	int rc = dbt_render_text_with(p, file, text, len, &to, sql, err, errlen);
	if (rc == 0 && (rc = inline_ephemerals(p, &e, sql, err, errlen))) {
		free(*sql);
		*sql = NULL;
	}
	free(e.want);
	return rc;
}
