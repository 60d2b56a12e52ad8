/* SPDX-License-Identifier: MIT
 * Node selection; see select.h. Projects hold hundreds of nodes, so each
 * criterion is a linear scan and graph operators are plain walks. */
#include "select.h"
#include "xalloc.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Marks the ancestors (up) or descendants of node i, depth generations
 * (-1: all). seen keeps an unlimited walk linear. */
static void walk_seen(const struct dbt_project *p, size_t i, bool up, long depth, bool *mark, bool *seen)
{
	if (depth == 0)
		return;
	const struct dbt_node *n = &p->nodes[i];
	size_t cnt = up ? n->nparents : n->nchildren;
	const size_t *next = up ? n->parents : n->children;
	for (size_t k = 0; k < cnt; k++) {
		if (depth < 0 && seen[next[k]])
			continue;
		seen[next[k]] = true;
		mark[next[k]] = true;
		walk_seen(p, next[k], up, depth < 0 ? -1 : depth - 1, mark, seen);
	}
}

static void walk(const struct dbt_project *p, size_t i, bool up, long depth, bool *mark)
{
	bool *seen = xcalloc(p->nnodes ? p->nnodes : 1, 1);
	walk_seen(p, i, up, depth, mark, seen);
	free(seen);
}

static bool path_matches(const struct dbt_project *p, const struct dbt_node *n, const char *value)
{
	size_t vl = strlen(value);
	while (vl > 1 && value[vl - 1] == '/')
		vl--;
	if (strncmp(n->path, value, vl) == 0 && (n->path[vl] == '\0' || n->path[vl] == '/'))
		return true;
	if (fnmatch(value, n->path, 0) == 0)
		return true;
	/* relative to a model, seed or snapshot path */
	char *const *bases = n->kind == DBT_MODEL ? p->model_paths : n->kind == DBT_SEED ? p->seed_paths :
			     p->snapshot_paths;
	size_t nb = n->kind == DBT_MODEL ? p->nmodel_paths : n->kind == DBT_SEED ? p->nseed_paths :
		    p->nsnapshot_paths;
	for (size_t b = 0; b < nb; b++) {
		size_t bl = strlen(bases[b]);
		if (strncmp(n->path, bases[b], bl) == 0 && n->path[bl] == '/') {
			const char *rest = n->path + bl + 1;
			if (strncmp(rest, value, vl) == 0 && (rest[vl] == '\0' || rest[vl] == '/'))
				return true;
		}
	}
	return false;
}

/* dbt's fqn selection: the selector's dot-separated parts equal the fqn's
 * parts (project, folders, name) one by one from the start, and a part
 * holding a glob character matches the rest of the fqn as one glob, so
 * shop selects the whole project and shop.staging.* a folder. */
static bool fqn_prefix(char *const *fqn, size_t nfqn, const char *sel)
{
	for (size_t k = 0;; k++) {
		size_t len = strcspn(sel, ".");
		if (strcspn(sel, "*?[") < len) {
			char rest[1024];
			size_t off = 0;
			for (size_t j = k; j < nfqn; j++) {
				int w = snprintf(rest + off, sizeof rest - off, "%s%s", j > k ? "." : "", fqn[j]);
				if (w < 0 || (size_t)w >= sizeof rest - off)
					return false;
				off += (size_t)w;
			}
			return fnmatch(sel, rest, 0) == 0;
		}
		if (k == nfqn || strlen(fqn[k]) != len || strncmp(fqn[k], sel, len) != 0)
			return false;
		if (!sel[len])
			return true;
		sel += len + 1;
	}
}

/* The fqn as dbt has it, or without the project's name first, as dbt
 * also tries: staging.stg_sales, or a bare folder name (staging). */
static bool fqn_matches(const struct dbt_node *n, const char *value)
{
	return fqn_prefix(n->fqn, n->nfqn, value) || (n->nfqn > 1 && fqn_prefix(n->fqn + 1, n->nfqn - 1, value));
}

/* state:VALUE against the flags of node i. Returns 1, 0, or -1 for a
 * value that is not one of dbt's. */
static int state_matches(unsigned char flags, const char *value)
{
	static const struct { const char *name; unsigned char bits; } v[] = {
		{ "new", DBT_STATE_NEW },
		{ "modified", DBT_STATE_NEW | DBT_STATE_BODY | DBT_STATE_CONFIGS | DBT_STATE_CONTRACT },
		{ "modified.body", DBT_STATE_BODY },
		{ "modified.configs", DBT_STATE_CONFIGS },
		{ "modified.contract", DBT_STATE_CONTRACT },
	};
	for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
		if (strcmp(value, v[k].name) == 0)
			return (flags & v[k].bits) != 0;
	return -1;
}

static int match(const struct dbt_project *p, const unsigned char *state, const char *crit, bool *mark, char *err,
		 size_t errlen)
{
	const char *colon = strchr(crit, ':');
	char method[64] = "";
	const char *value = crit;
	if (colon) {
		snprintf(method, sizeof method, "%.*s", (int)(colon - crit), crit);
		value = colon + 1;
	}
	if (!*value) {
		snprintf(err, errlen, "selector '%s' has no value", crit);
		return -1;
	}
	for (size_t i = 0; i < p->nnodes; i++) {
		const struct dbt_node *n = &p->nodes[i];
		bool m = false;
		if (!colon) {
			m = fnmatch(value, n->name, 0) == 0 || fqn_matches(n, value) ||
			    (strchr(value, '/') && path_matches(p, n, value));
		} else if (strcmp(method, "tag") == 0) {
			for (size_t t = 0; t < n->cfg.ntags && !m; t++)
				m = fnmatch(value, n->cfg.tags[t], 0) == 0;
		} else if (strcmp(method, "path") == 0) {
			m = path_matches(p, n, value);
		} else if (strcmp(method, "fqn") == 0) {
			m = fqn_matches(n, value) || fnmatch(value, n->name, 0) == 0;
		} else if (strcmp(method, "source") == 0) {
			for (size_t s = 0; s < n->nsources && !m; s++) {
				const struct dbt_source *src = &p->sources[n->sources[s]];
				char full[512];
				snprintf(full, sizeof full, "%s.%s", src->source_name, src->table_name);
				m = fnmatch(value, src->source_name, 0) == 0 || fnmatch(value, full, 0) == 0;
			}
		} else if (strcmp(method, "resource_type") == 0) {
			static const char *const types[] = { "model", "seed", "snapshot" };
			m = strcmp(value, types[n->kind]) == 0;
		} else if (strcmp(method, "test_type") == 0) {
			/* picks tests (dqcheck's, modelrun's unit tests), which
			 * their own selection reads: never a node, so that
			 * `build --exclude test_type:unit` builds every node */
			m = false;
		} else if (strcmp(method, "config.materialized") == 0) {
			m = strcmp(value, dbt_mat_name(n->cfg.materialized)) == 0;
		} else if (strcmp(method, "state") == 0) {
			if (!state) {
				snprintf(err, errlen, "'%s' needs --state DIR: the manifest.json of an earlier run to "
						      "compare with", crit);
				return -1;
			}
			int r = state_matches(state[i], value);
			if (r < 0) {
				snprintf(err, errlen, "unknown state '%s' in '%s' (new, modified, modified.body, "
						      "modified.configs, modified.contract)", value, crit);
				return -1;
			}
			m = r;
		} else {
			snprintf(err, errlen, "unknown selector method '%s' in '%s' (tag, path, source, fqn, "
					      "resource_type, config.materialized, state)", method, crit);
			return -1;
		}
		if (m)
			mark[i] = true;
	}
	return 0;
}

/* Parses a leading "N+" or "+" and a trailing "+" or "+N". */
static int criterion(const struct dbt_project *p, const unsigned char *state, const char *text, bool *out, char *err,
		     size_t errlen)
{
	const char *s = text;
	bool at = false;
	long up = 0, down = 0; /* 0: none, -1: all, N: N generations */
	if (*s == '@') {
		at = true;
		s++;
	}
	const char *q = s;
	while (*q >= '0' && *q <= '9')
		q++;
	if (*q == '+') {
		up = q > s ? strtol(s, NULL, 10) : -1;
		s = q + 1;
	}
	size_t len = strlen(s);
	const char *e = s + len;
	const char *d = e;
	while (d > s && d[-1] >= '0' && d[-1] <= '9')
		d--;
	if (d > s && d[-1] == '+') {
		down = d < e ? strtol(d, NULL, 10) : -1;
		len = (size_t)(d - 1 - s);
	}
	if (len == 0 || len >= 512) {
		snprintf(err, errlen, "malformed selector '%s'", text);
		return -1;
	}
	char core[512];
	memcpy(core, s, len);
	core[len] = '\0';
	bool *base = xcalloc(p->nnodes ? p->nnodes : 1, 1);
	if (match(p, state, core, base, err, errlen)) {
		free(base);
		return -1;
	}
	for (size_t i = 0; i < p->nnodes; i++) {
		if (!base[i])
			continue;
		out[i] = true;
		if (up)
			walk(p, i, true, up, out);
		if (down || at)
			walk(p, i, false, at ? -1 : down, out);
	}
	if (at) {
		bool *desc = xcalloc(p->nnodes ? p->nnodes : 1, 1);
		memcpy(desc, out, p->nnodes);
		for (size_t i = 0; i < p->nnodes; i++)
			if (desc[i])
				walk(p, i, true, -1, out);
		free(desc);
	}
	free(base);
	return 0;
}

/* One argument: space-separated terms, each comma-joined criteria. */
static int argument(const struct dbt_project *p, const unsigned char *state, const char *arg, bool *out, char *err,
		    size_t errlen)
{
	char *copy = xstrdup(arg);
	bool *term = xcalloc(p->nnodes ? p->nnodes : 1, 1), *crit = xcalloc(p->nnodes ? p->nnodes : 1, 1);
	int rc = 0;
	char *save1;
	for (char *t = strtok_r(copy, " \t\n", &save1); t && !rc; t = strtok_r(NULL, " \t\n", &save1)) {
		bool first = true;
		char *save2;
		for (char *c = strtok_r(t, ",", &save2); c && !rc; c = strtok_r(NULL, ",", &save2)) {
			memset(crit, 0, p->nnodes);
			rc = criterion(p, state, c, crit, err, errlen);
			for (size_t i = 0; i < p->nnodes; i++)
				term[i] = first ? crit[i] : term[i] && crit[i];
			first = false;
		}
		for (size_t i = 0; i < p->nnodes && !rc; i++)
			out[i] |= term[i];
	}
	free(copy);
	free(term);
	free(crit);
	return rc;
}

int dbt_select(const struct dbt_project *p, const char *const *sel, size_t nsel,
	       const char *const *exclude, size_t nexclude, bool *chosen, char *err, size_t errlen)
{
	return dbt_select_state(p, sel, nsel, exclude, nexclude, NULL, chosen, err, errlen);
}

int dbt_select_state(const struct dbt_project *p, const char *const *sel, size_t nsel, const char *const *exclude,
		     size_t nexclude, const unsigned char *state, bool *chosen, char *err, size_t errlen)
{
	bool *ex = xcalloc(p->nnodes ? p->nnodes : 1, 1);
	memset(chosen, nsel ? 0 : 1, p->nnodes * sizeof *chosen);
	int rc = 0;
	for (size_t i = 0; i < nsel && !rc; i++)
		rc = argument(p, state, sel[i], chosen, err, errlen);
	for (size_t i = 0; i < nexclude && !rc; i++)
		rc = argument(p, state, exclude[i], ex, err, errlen);
	for (size_t i = 0; i < p->nnodes; i++)
		chosen[i] = chosen[i] && !ex[i] && p->nodes[i].cfg.enabled;
	free(ex);
	return rc;
}
