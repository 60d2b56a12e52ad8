/* SPDX-License-Identifier: MIT
 * The dbt project reader; see dbtproject.h.
 *
 * Loading is one pass over the files (sorted, so the order of nodes and
 * messages is the same on every machine), then one parse-time render per
 * model to collect config() calls, then reference resolution and a
 * depth-first search that both orders the graph and finds cycles. */
#include "dbtproject.h"
#include "dbtproject_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "dbtpackages.h"
#include "dbtyaml.h"
#include "json.h"
#include "log.h"
#include "xalloc.h"

/* ---- small helpers ---- */

void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void dbtp_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

char *dbt_lock_key(const struct dbt_project *p)
{
	return xasprintf("modelrun:%s:%s", p->name, p->target_schema);
}

char *dbt_quote_ident(const char *name)
{
	size_t n = strlen(name), q = 0;
	for (size_t i = 0; i < n; i++)
		q += name[i] == '"';
	char *out = xrealloc(NULL, n + q + 3), *o = out;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '"')
			*o++ = '"';
		*o++ = name[i];
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

char *dbtp_quote_relation(const char *schema, const char *ident)
{
	char *s = dbt_quote_ident(schema), *i = dbt_quote_ident(ident);
	char *r = xasprintf("%s.%s", s, i);
	free(s);
	free(i);
	return r;
}

const char *dbt_mat_name(enum dbt_mat m)
{
	static const char *const names[] = { "view", "table", "incremental", "ephemeral", "seed", "materialized_view",
					     "snapshot" };
	return names[m];
}

static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	struct buf b = { 0 };
	if (buf_read_file(&b, path, err, errlen)) {
		buf_free(&b);
		return -1;
	}
	*len = b.len;
	*text = buf_detach(&b);
	return 0;
}

int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* Every regular file under dir (relative paths from the project dir,
 * sorted), descending into subdirectories. A missing dir is no error. */
void dbtp_walk_dir(const char *projdir, const char *rel, char ***out, size_t *n)
{
	char *full = xasprintf("%s/%s", projdir, rel);
	DIR *d = opendir(full);
	free(full);
	if (!d)
		return;
	char **names = NULL;
	size_t nn = 0;
	struct dirent *e;
	/* The entry type is kept as the name's first byte ('d' directory,
	 * 'f' file, '?' unknown) so that sorting needs no second look-up:
	 * projects hold hundreds of files and every stat() costs. */
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			PUSH(names, nn, xasprintf("%s%s", e->d_name, e->d_type == DT_DIR ? "/d" :
				       e->d_type == DT_REG ? "/f" : "/?"));
	closedir(d);
	if (nn) /* qsort with a NULL array is undefined even for no items */
		qsort(names, nn, sizeof *names, cmp_str);
	for (size_t i = 0; i < nn; i++) {
		size_t len = strlen(names[i]);
		char type = names[i][len - 1];
		names[i][len - 2] = '\0';
		char *r = xasprintf("%s/%s", rel, names[i]);
		if (type == '?') {
			char *f = xasprintf("%s/%s", projdir, r);
			struct stat st;
			type = stat(f, &st) == 0 && S_ISDIR(st.st_mode) ? 'd' : 'f';
			free(f);
		}
		if (type == 'd') {
			dbtp_walk_dir(projdir, r, out, n);
			free(r);
		} else {
			PUSH(*out, *n, r);
		}
	}
	free_strs(names, nn);
}

/* The installed package numbered pkg in the macro registry, or NULL for
 * the root project. */
static struct dbt_package *package_of(const struct dbt_project *p, size_t pkg)
{
	for (size_t i = 0; i < p->npackages; i++)
		if (p->packages[i].pkg == pkg)
			return &p->packages[i];
	return NULL;
}

/* ---- configuration values, from YAML or from config() ---- */

/* A config value in a form both sources convert to. */
struct cval {
	enum { CV_STR, CV_LIST, CV_BOOL, CV_OTHER } kind;
	const char *s;
	bool b;
	char **list; /* CV_LIST of strings */
	size_t n;
	/* for indexes and column_types, the original */
	struct ydoc *doc;
	const yaml_node_t *ynode;
	const struct tval *tv;
};

static const char *const unsupported_configs[] = {
	"database", "incremental_predicates", NULL,
};

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

static void set_list(char ***dst, size_t *n, const struct cval *v)
{
	free_strs(*dst, *n);
	*dst = NULL;
	*n = 0;
	if (v->kind == CV_STR)
		PUSH(*dst, *n, xstrdup(v->s));
	else
		for (size_t i = 0; i < v->n; i++)
			PUSH(*dst, *n, xstrdup(v->list[i]));
}

static void free_indexes(struct dbt_config *c)
{
	for (size_t i = 0; i < c->nindexes; i++) {
		free_strs(c->indexes[i].columns, c->indexes[i].ncolumns);
		free(c->indexes[i].type);
	}
	free(c->indexes);
	c->indexes = NULL;
	c->nindexes = 0;
}

static void free_hooks(struct dbt_hook *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(h[i].sql);
	free(h);
}

static bool is_hook_key(const char *key, bool *post)
{
	*post = strncmp(key, "post", 4) == 0;
	return strcmp(key, "pre_hook") == 0 || strcmp(key, "pre-hook") == 0 || strcmp(key, "post_hook") == 0 ||
	       strcmp(key, "post-hook") == 0;
}

static void add_hook(struct dbt_config *c, bool post, const char *sql, bool transaction)
{
	struct dbt_hook h = { xstrdup(sql), transaction };
	if (post)
		PUSH(c->post_hooks, c->npost_hooks, h);
	else
		PUSH(c->pre_hooks, c->npre_hooks, h);
}

static void snapcfg_free(struct dbt_snapcfg *s)
{
	free(s->strategy);
	free(s->updated_at);
	free_strs(s->check_cols, s->ncheck_cols);
	free(s->target_schema);
	free(s->target_database);
	free(s->hard_deletes);
	for (int i = 0; i < SNAP_NCOLS; i++)
		free(s->meta[i]);
	free(s->valid_to_current);
}

static void config_free(struct dbt_config *c)
{
	snapcfg_free(&c->snap);
	free_hooks(c->pre_hooks, c->npre_hooks);
	free_hooks(c->post_hooks, c->npost_hooks);
	free(c->schema);
	free(c->alias);
	free_strs(c->tags, c->ntags);
	free_strs(c->unique_key, c->nunique);
	free_strs(c->merge_update_columns, c->nmerge_update);
	free_strs(c->merge_exclude_columns, c->nmerge_exclude);
	free_indexes(c);
	free_strs(c->column_types, c->ncolumn_types * 2);
	free(c->distributed_by);
	free(c->colocate_with);
	dbtc_config_free(c);
	memset(c, 0, sizeof *c);
}

/* Tags accumulate across levels, as in dbt; everything else overrides. */
static void add_tags(struct dbt_config *c, const struct cval *v)
{
	if (v->kind == CV_STR) {
		PUSH(c->tags, c->ntags, xstrdup(v->s));
		return;
	}
	for (size_t i = 0; i < v->n; i++)
		PUSH(c->tags, c->ntags, xstrdup(v->list[i]));
}

static void add_column_type(struct dbt_config *c, const char *col, const char *type)
{
	for (size_t i = 0; i < c->ncolumn_types; i++)
		if (strcmp(c->column_types[2 * i], col) == 0) {
			set_str(&c->column_types[2 * i + 1], type);
			return;
		}
	size_t m = c->ncolumn_types * 2;
	PUSH(c->column_types, m, xstrdup(col));
	PUSH(c->column_types, m, xstrdup(type));
	c->ncolumn_types++;
}

/* Where a config value came from, for messages. */
struct where {
	const char *file;
	size_t line;
};

/* The snapshot configs: 0 when key was one of them and is set, 1 for
 * snapshot_meta_column_names (structured: the caller reads it), 2 when key
 * is none of them; -2 a string was wanted, -3 a string or a list, -4 a
 * boolean. */
static int snapshot_config_set(struct dbt_snapcfg *s, const char *key, const struct cval *v)
{
	static const char *const strs[] = { "strategy", "updated_at", "target_schema", "target_database",
					    "hard_deletes", "dbt_valid_to_current", NULL };
	char **dsts[] = { &s->strategy, &s->updated_at, &s->target_schema, &s->target_database, &s->hard_deletes,
			  &s->valid_to_current };
	for (size_t i = 0; strs[i]; i++)
		if (strcmp(key, strs[i]) == 0) {
			if (v->kind != CV_STR)
				return -2;
			set_str(dsts[i], v->s[0] ? v->s : NULL);
			return 0;
		}
	if (strcmp(key, "check_cols") == 0) {
		if (v->kind != CV_STR && v->kind != CV_LIST)
			return -3;
		s->check_all = v->kind == CV_STR && strcmp(v->s, "all") == 0;
		set_list(&s->check_cols, &s->ncheck_cols, v);
		if (s->check_all) {
			free_strs(s->check_cols, s->ncheck_cols);
			s->check_cols = NULL;
			s->ncheck_cols = 0;
		}
		return 0;
	}
	if (strcmp(key, "invalidate_hard_deletes") == 0) {
		if (v->kind != CV_BOOL)
			return -4;
		s->invalidate_hard_deletes = v->b;
		return 0;
	}
	if (strcmp(key, "snapshot_meta_column_names") == 0)
		return 1;
	return 2;
}

static const char *const snap_meta_keys[SNAP_NCOLS] = { "dbt_valid_to", "dbt_valid_from", "dbt_scd_id",
							 "dbt_updated_at", "dbt_is_deleted" };

/* One pair of snapshot_meta_column_names. */
static int snapshot_meta_set(struct dbt_snapcfg *s, const char *key, const char *value, struct where w, char *err,
			     size_t errlen)
{
	for (int i = 0; i < SNAP_NCOLS; i++)
		if (strcmp(key, snap_meta_keys[i]) == 0) {
			set_str(&s->meta[i], value && value[0] ? value : NULL);
			return 0;
		}
	dbtp_seterr(err, errlen, "%s:%zu: snapshot_meta_column_names: '%s' is not one of dbt_valid_to, dbt_valid_from, "
	       "dbt_scd_id, dbt_updated_at, dbt_is_deleted", w.file, w.line, key);
	return -1;
}

static int config_set(struct dbt_config *c, const char *key, const struct cval *v, struct where w,
		      char *err, size_t errlen)
{
	if (key[0] == '+')
		key++;
	for (const char *const *u = unsupported_configs; *u; u++)
		if (strcmp(*u, key) == 0) {
			dbtp_seterr(err, errlen, "%s:%zu: config '%s' is not supported by modelrun", w.file, w.line, key);
			return -1;
		}
	bool post;
	if (is_hook_key(key, &post))
		return 1; /* a string, {sql:, transaction:}, or a list of them */
	if (strcmp(key, "on_schema_change") == 0) {
		if (v->kind != CV_STR)
			goto want_string;
		static const char *const oscs[] = { "ignore", "fail", "append_new_columns", "sync_all_columns" };
		for (int i = 0; i < 4; i++)
			if (strcmp(v->s, oscs[i]) == 0) {
				c->on_schema_change = (enum dbt_osc)i;
				return 0;
			}
		/* as dbt: an unknown value means the default */
		c->on_schema_change = OSC_IGNORE;
		return 0;
	}
	if (strcmp(key, "on_configuration_change") == 0) {
		if (v->kind != CV_STR)
			goto want_string;
		static const char *const occs[] = { "apply", "continue", "fail" };
		for (int i = 0; i < 3; i++)
			if (strcmp(v->s, occs[i]) == 0) {
				c->on_configuration_change = (enum dbt_occ)i;
				return 0;
			}
		dbtp_seterr(err, errlen, "%s:%zu: on_configuration_change='%s' is not one of apply, continue, fail", w.file,
		       w.line, v->s);
		return -1;
	}
	if (strcmp(key, "materialized") == 0) {
		if (v->kind != CV_STR)
			goto want_string;
		static const char *const mats[] = { "view", "table", "incremental", "ephemeral", "seed", "materialized_view" };
		for (int i = 0; i < 6; i++)
			if (strcmp(v->s, mats[i]) == 0) {
				c->materialized = (enum dbt_mat)i;
				return 0;
			}
		dbtp_seterr(err, errlen, "%s:%zu: materialized='%s' is not one of view, table, incremental, ephemeral, "
		       "materialized_view",
		       w.file, w.line, v->s);
		return -1;
	}
	if (strcmp(key, "schema") == 0 || strcmp(key, "alias") == 0) {
		if (v->kind != CV_STR)
			goto want_string;
		set_str(key[0] == 's' ? &c->schema : &c->alias, v->s[0] ? v->s : NULL);
		return 0;
	}
	if (strcmp(key, "tags") == 0) {
		if (v->kind != CV_STR && v->kind != CV_LIST)
			goto want_list;
		add_tags(c, v);
		return 0;
	}
	if (strcmp(key, "unique_key") == 0) {
		if (v->kind != CV_STR && v->kind != CV_LIST)
			goto want_list;
		set_list(&c->unique_key, &c->nunique, v);
		c->snap.unique_key_list = v->kind == CV_LIST;
		return 0;
	}
	int rc = snapshot_config_set(&c->snap, key, v);
	if (rc == -2)
		goto want_string;
	if (rc == -3)
		goto want_list;
	if (rc == -4) {
		dbtp_seterr(err, errlen, "%s:%zu: config '%s' needs true or false", w.file, w.line, key);
		return -1;
	}
	if (rc == 0 || rc == 1)
		return rc;
	if (strcmp(key, "merge_update_columns") == 0 || strcmp(key, "merge_exclude_columns") == 0) {
		if (v->kind != CV_STR && v->kind != CV_LIST)
			goto want_list;
		if (key[6] == 'u')
			set_list(&c->merge_update_columns, &c->nmerge_update, v);
		else
			set_list(&c->merge_exclude_columns, &c->nmerge_exclude, v);
		return 0;
	}
	if (strcmp(key, "enabled") == 0) {
		if (v->kind != CV_BOOL) {
			dbtp_seterr(err, errlen, "%s:%zu: config 'enabled' needs true or false", w.file, w.line);
			return -1;
		}
		c->enabled = v->b;
		return 0;
	}
	if (strcmp(key, "incremental_strategy") == 0) {
		if (v->kind != CV_STR)
			goto want_string;
		c->append_only = strcmp(v->s, "append") == 0;
		c->merge = strcmp(v->s, "merge") == 0;
		if (!c->append_only && !c->merge && strcmp(v->s, "delete+insert") != 0) {
			dbtp_seterr(err, errlen, "%s:%zu: incremental_strategy='%s' is not supported (append, delete+insert "
			       "or merge)",
			       w.file, w.line, v->s);
			return -1;
		}
		return 0;
	}
	/* Citus distribution, under dbt-greenplum's names with dbt-citus's
	 * distribution_column and the shorter reference as aliases */
	if (strcmp(key, "distributed_by") == 0 || strcmp(key, "distribution_column") == 0 ||
	    strcmp(key, "colocate_with") == 0) {
		if (v->kind != CV_STR)
			goto want_string;
		set_str(key[0] == 'c' ? &c->colocate_with : &c->distributed_by, v->s[0] ? v->s : NULL);
		return 0;
	}
	if (strcmp(key, "distributed_replicated") == 0 || strcmp(key, "reference") == 0) {
		if (v->kind != CV_BOOL) {
			dbtp_seterr(err, errlen, "%s:%zu: config '%s' needs true or false", w.file, w.line, key);
			return -1;
		}
		c->replicated = v->b;
		return 0;
	}
	if (strcmp(key, "indexes") == 0 || strcmp(key, "column_types") == 0 || strcmp(key, "contract") == 0 ||
	    strcmp(key, "grants") == 0 || strcmp(key, "persist_docs") == 0 || strcmp(key, "docs") == 0 ||
	    strcmp(key, "meta") == 0 || strcmp(key, "full_refresh") == 0)
		return 1; /* structured: the caller handles it (dbtcontract.c for most) */
	/* Everything else (description, quoting, ...)
	 * does not change what SQL runs. */
	return 0;
want_string:
	dbtp_seterr(err, errlen, "%s:%zu: config '%s' needs a string", w.file, w.line, key);
	return -1;
want_list:
	dbtp_seterr(err, errlen, "%s:%zu: config '%s' needs a string or a list of strings", w.file, w.line, key);
	return -1;
}

/* ---- YAML adapters ---- */

static int yaml_cval(struct ydoc *d, yaml_node_t *n, struct cval *v)
{
	memset(v, 0, sizeof *v);
	v->doc = d;
	v->ynode = n;
	if (ydoc_is_scalar(n)) {
		const char *s = ydoc_str(n);
		if (ydoc_is_plain(n) && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "false") ||
					 !strcmp(s, "False"))) {
			v->kind = CV_BOOL;
			v->b = s[0] == 't' || s[0] == 'T';
		} else {
			v->kind = CV_STR;
			v->s = s;
		}
		return 0;
	}
	if (ydoc_is_seq(n)) {
		for (size_t i = 0; i < ydoc_len(n); i++) {
			yaml_node_t *it = ydoc_item(d, n, i);
			if (!ydoc_is_scalar(it)) {
				v->kind = CV_OTHER;
				free_strs(v->list, v->n);
				v->list = NULL;
				v->n = 0;
				return 0;
			}
			PUSH(v->list, v->n, xstrdup(ydoc_str(it)));
		}
		v->kind = CV_LIST;
		return 0;
	}
	v->kind = CV_OTHER;
	return 0;
}

static int yaml_indexes(struct dbt_config *c, struct ydoc *d, yaml_node_t *n, struct where w,
			char *err, size_t errlen)
{
	free_indexes(c);
	if (!ydoc_is_seq(n))
		goto bad;
	for (size_t i = 0; i < ydoc_len(n); i++) {
		yaml_node_t *m = ydoc_item(d, n, i);
		yaml_node_t *cols = ydoc_get(d, m, "columns");
		if (!cols || !ydoc_is_seq(cols))
			goto bad;
		struct dbt_index ix = { 0 };
		for (size_t j = 0; j < ydoc_len(cols); j++)
			PUSH(ix.columns, ix.ncolumns, xstrdup(ydoc_str(ydoc_item(d, cols, j))));
		yaml_node_t *u = ydoc_get(d, m, "unique"), *t = ydoc_get(d, m, "type");
		ix.unique = u && ydoc_str(u) && (!strcmp(ydoc_str(u), "true") || !strcmp(ydoc_str(u), "True"));
		ix.type = t && ydoc_str(t) ? xstrdup(ydoc_str(t)) : NULL;
		PUSH(c->indexes, c->nindexes, ix);
	}
	return 0;
bad:
	dbtp_seterr(err, errlen, "%s:%zu: config 'indexes' needs a list of {columns: [...], unique: ..., type: ...}",
	       w.file, w.line);
	return -1;
}

/* A hook is a string or {sql: ..., transaction: true|false}; the config
 * holds one or a list of them. */
static int yaml_hooks(struct dbt_config *c, bool post, struct ydoc *d, yaml_node_t *n, struct where w, char *err,
		      size_t errlen)
{
	size_t count = ydoc_is_seq(n) ? ydoc_len(n) : 1;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *h = ydoc_is_seq(n) ? ydoc_item(d, n, i) : n;
		if (ydoc_is_scalar(h) && ydoc_str(h)) {
			add_hook(c, post, ydoc_str(h), true);
			continue;
		}
		yaml_node_t *sql = ydoc_is_map(h) ? ydoc_get(d, h, "sql") : NULL;
		if (!sql || !ydoc_is_scalar(sql) || !ydoc_str(sql)) {
			dbtp_seterr(err, errlen, "%s:%zu: a %s needs SQL text or {sql: ..., transaction: ...}", w.file,
			       ydoc_line(h), post ? "post-hook" : "pre-hook");
			return -1;
		}
		yaml_node_t *t = ydoc_get(d, h, "transaction");
		const char *ts = t && ydoc_is_scalar(t) ? ydoc_str(t) : NULL;
		add_hook(c, post, ydoc_str(sql), !(ts && (strcmp(ts, "false") == 0 || strcmp(ts, "False") == 0)));
	}
	return 0;
}

static int config_set_yaml_value(struct dbt_config *c, const char *key, struct ydoc *d, yaml_node_t *n,
				 char *err, size_t errlen);

/* Sets a config from YAML and keeps it as written, for the manifest's
 * unrendered_config (the last level to set a key wins, as in dbt). */
static int config_set_yaml(struct dbt_config *c, const char *key, struct ydoc *d, yaml_node_t *n,
			   char *err, size_t errlen)
{
	int rc = config_set_yaml_value(c, key, d, n, err, errlen);
	if (rc == 0)
		dbtc_unrendered_yaml(c, key, d, n);
	return rc;
}

static int config_set_yaml_value(struct dbt_config *c, const char *key, struct ydoc *d, yaml_node_t *n,
				 char *err, size_t errlen)
{
	struct where w = { d->path, ydoc_line(n) };
	struct cval v;
	yaml_cval(d, n, &v);
	int rc = config_set(c, key, &v, w, err, errlen);
	free_strs(v.list, v.n);
	if (rc != 1)
		return rc;
	if (key[0] == '+')
		key++;
	bool post;
	if (is_hook_key(key, &post))
		return yaml_hooks(c, post, d, n, w, err, errlen);
	if ((rc = dbtc_config_yaml(c, key, d, n, err, errlen)) != 1)
		return rc;
	if (strcmp(key, "indexes") == 0)
		return yaml_indexes(c, d, n, w, err, errlen);
	if (strcmp(key, "snapshot_meta_column_names") == 0) {
		if (!ydoc_is_map(n)) {
			dbtp_seterr(err, errlen, "%s:%zu: config 'snapshot_meta_column_names' needs a mapping such as "
			       "{dbt_valid_to: valid_to}", w.file, w.line);
			return -1;
		}
		for (size_t i = 0; i < ydoc_len(n); i++)
			if (snapshot_meta_set(&c->snap, ydoc_str(ydoc_key(d, n, i)), ydoc_str(ydoc_value(d, n, i)), w,
					      err, errlen))
				return -1;
		return 0;
	}
	if (!ydoc_is_map(n)) {
		dbtp_seterr(err, errlen, "%s:%zu: config 'column_types' needs a mapping of column: type", w.file, w.line);
		return -1;
	}
	for (size_t i = 0; i < ydoc_len(n); i++)
		add_column_type(c, ydoc_str(ydoc_key(d, n, i)), ydoc_str(ydoc_value(d, n, i)));
	return 0;
}

/* Applies a mapping of configs ({materialized: table, ...}). */
static int config_apply_map(struct dbt_config *c, struct ydoc *d, yaml_node_t *m, char *err, size_t errlen)
{
	if (!ydoc_is_map(m)) {
		dbtp_seterr(err, errlen, "%s:%zu: 'config' must be a mapping", d->path, ydoc_line(m));
		return -1;
	}
	for (size_t i = 0; i < ydoc_len(m); i++)
		if (config_set_yaml(c, ydoc_str(ydoc_key(d, m, i)), d, ydoc_value(d, m, i), err, errlen))
			return -1;
	return 0;
}

/* Applies dbt_project.yml's `models:`/`seeds:` tree along the node's fqn:
 * at each level, keys starting with '+' (or holding a non-mapping value)
 * are configs, and a mapping is the next folder (or the node itself). */
static int config_apply_tree(struct dbt_config *c, struct ydoc *d, yaml_node_t *level, char **fqn,
			     size_t nfqn, char *err, size_t errlen)
{
	if (!level || !ydoc_is_map(level))
		return 0;
	yaml_node_t *deeper = NULL;
	for (size_t i = 0; i < ydoc_len(level); i++) {
		const char *k = ydoc_str(ydoc_key(d, level, i));
		yaml_node_t *v = ydoc_value(d, level, i);
		if (!k)
			continue;
		if (k[0] == '+' || !ydoc_is_map(v)) {
			if (config_set_yaml(c, k, d, v, err, errlen))
				return -1;
		} else if (nfqn > 0 && strcmp(k, fqn[0]) == 0) {
			deeper = v;
		} else if (strcmp(k, "column_types") == 0 || strcmp(k, "config") == 0 || strcmp(k, "contract") == 0 ||
			   strcmp(k, "grants") == 0 || strcmp(k, "persist_docs") == 0 || strcmp(k, "docs") == 0 ||
			   strcmp(k, "meta") == 0) {
			if (config_set_yaml(c, k, d, v, err, errlen))
				return -1;
		}
	}
	return deeper ? config_apply_tree(c, d, deeper, fqn + 1, nfqn - 1, err, errlen) : 0;
}

/* ---- loading ---- */

char **yaml_str_list(struct ydoc *d, yaml_node_t *n, const char *dflt, size_t *count)
{
	char **v = NULL;
	*count = 0;
	if (n && ydoc_is_seq(n)) {
		for (size_t i = 0; i < ydoc_len(n); i++)
			PUSH(v, *count, xstrdup(ydoc_str(ydoc_item(d, n, i))));
	} else if (n && ydoc_is_scalar(n)) {
		PUSH(v, *count, xstrdup(ydoc_str(n)));
	} else {
		PUSH(v, *count, xstrdup(dflt));
	}
	return v;
}

static struct ydoc *load_doc(struct dbt_project *p, const char *path, char *err, size_t errlen)
{
	struct ydoc *d = xrealloc(NULL, sizeof *d);
	if (ydoc_load(d, path, err, errlen)) {
		free(d);
		return NULL;
	}
	PUSH(p->docs, p->ndocs, d);
	return d;
}

/* Every entry of a test list is kept, an entry that names no test with
 * the name "", so that the test reader can say what is wrong with it. */
static void add_test(struct dbt_project *p, enum dbt_test_on on, size_t target, const char *column,
		     yaml_node_t *column_node, struct ydoc *d, yaml_node_t *list)
{
	if (!list || !ydoc_is_seq(list))
		return;
	for (size_t i = 0; i < ydoc_len(list); i++) {
		yaml_node_t *t = ydoc_item(d, list, i);
		const char *name = ydoc_is_scalar(t) ? ydoc_str(t) :
				   ydoc_is_map(t) && ydoc_len(t) ? ydoc_str(ydoc_key(d, t, 0)) : NULL;
		struct dbt_test dt = {
			.on = on, .target = target, .column = column ? xstrdup(column) : NULL,
			.name = xstrdup(name ? name : ""), .doc = d, .node = t, .column_node = column_node,
			.line = ydoc_line(t),
		};
		PUSH(p->tests, p->ntests, dt);
	}
}

static void add_tests_of(struct dbt_project *p, enum dbt_test_on on, size_t target, struct ydoc *d,
			 yaml_node_t *entry)
{
	add_test(p, on, target, NULL, NULL, d, ydoc_get(d, entry, "tests"));
	add_test(p, on, target, NULL, NULL, d, ydoc_get(d, entry, "data_tests"));
	yaml_node_t *cols = ydoc_get(d, entry, "columns");
	for (size_t i = 0; cols && ydoc_is_seq(cols) && i < ydoc_len(cols); i++) {
		yaml_node_t *c = ydoc_item(d, cols, i);
		yaml_node_t *cn = ydoc_get(d, c, "name");
		if (!cn || !ydoc_str(cn))
			continue;
		add_test(p, on, target, ydoc_str(cn), c, d, ydoc_get(d, c, "tests"));
		add_test(p, on, target, ydoc_str(cn), c, d, ydoc_get(d, c, "data_tests"));
	}
}

/* A source's or table's loaded_at_field: at the top level, or under
 * config: as dbt 1.10 writes it. inherited is the source's, for a table
 * that does not say; a table's null says "none" over its source's. */
static const char *loaded_at_field(struct ydoc *d, yaml_node_t *entry, const char *inherited)
{
	yaml_node_t *f = ydoc_get(d, entry, "loaded_at_field");
	if (!f)
		f = ydoc_get(d, ydoc_get(d, entry, "config"), "loaded_at_field");
	return !f ? inherited : ydoc_is_null(f) ? NULL : ydoc_str(f);
}

/* Whether a message from reading a model is one that dbt also stops on
 * (the rest, a construct modelrun lacks or a config it does not take,
 * only fail the model). */
static bool fatal_at_parse(const char *msg)
{
	/* a call of a name that is neither a macro (the registry knows them
	 * all) nor a function of dbt's context is dbt's "'x' is undefined",
	 * which stops its parse too; a function of dbt's modules that
	 * modelrun lacks (strptime) is there in dbt, so it fails the model */
	if (strstr(msg, "unsupported construct: function '") &&
	    !strstr(msg, "unsupported construct: function 'modules."))
		return true;
	return strstr(msg, "unsupported construct") == NULL && strstr(msg, "not supported by modelrun") == NULL &&
	       strstr(msg, "is not supported (") == NULL && strstr(msg, "is not available here") == NULL &&
	       strstr(msg, "is not one of") == NULL;
}

/* Records why node i cannot be built (the first reason only). */
static void node_error(struct dbt_project *p, size_t i, const char *msg)
{
	if (!p->nodes[i].error)
		p->nodes[i].error = xstrdup(msg);
}

static int load_sources(struct dbt_project *p, struct ydoc *d, yaml_node_t *srcs, char *err, size_t errlen)
{
	if (!ydoc_is_seq(srcs)) {
		dbtp_seterr(err, errlen, "%s:%zu: 'sources' must be a list", d->path, ydoc_line(srcs));
		return -1;
	}
	for (size_t i = 0; i < ydoc_len(srcs); i++) {
		yaml_node_t *s = ydoc_item(d, srcs, i);
		yaml_node_t *name = ydoc_get(d, s, "name");
		if (!name || !ydoc_str(name)) {
			dbtp_seterr(err, errlen, "%s:%zu: a source needs a name", d->path, ydoc_line(s));
			return -1;
		}
		yaml_node_t *schema = ydoc_get(d, s, "schema"), *tables = ydoc_get(d, s, "tables");
		const char *laf = loaded_at_field(d, s, NULL);
		for (size_t j = 0; tables && ydoc_is_seq(tables) && j < ydoc_len(tables); j++) {
			yaml_node_t *t = ydoc_item(d, tables, j);
			yaml_node_t *tn = ydoc_get(d, t, "name"), *ident = ydoc_get(d, t, "identifier");
			const char *lf = loaded_at_field(d, t, laf);
			if (!tn || !ydoc_str(tn)) {
				dbtp_seterr(err, errlen, "%s:%zu: a source table needs a name", d->path, ydoc_line(t));
				return -1;
			}
			struct dbt_source src = { 0 };
			src.source_name = xstrdup(ydoc_str(name));
			src.table_name = xstrdup(ydoc_str(tn));
			src.schema = xstrdup(schema && ydoc_str(schema) ? ydoc_str(schema) : ydoc_str(name));
			src.identifier = xstrdup(ident && ydoc_str(ident) ? ydoc_str(ident) : ydoc_str(tn));
			src.relation = dbtp_quote_relation(src.schema, src.identifier);
			src.loaded_at_field = lf ? xstrdup(lf) : NULL;
			src.doc = d;
			src.node = t;
			PUSH(p->sources, p->nsources, src);
			if (dbtc_read_source(&p->sources[p->nsources - 1], d, s, t, err, errlen))
				return -1;
			add_tests_of(p, DBT_TEST_ON_SOURCE, p->nsources - 1, d, t);
		}
	}
	return 0;
}

/* Schema-file entries for models and seeds: config blocks and tests. */
static int load_node_entries(struct dbt_project *p, struct ydoc *d, yaml_node_t *list, enum dbt_kind kind,
			     char *err, size_t errlen)
{
	if (!ydoc_is_seq(list)) {
		dbtp_seterr(err, errlen, "%s:%zu: '%s' must be a list", d->path, ydoc_line(list),
			    kind == DBT_MODEL ? "models" : kind == DBT_SEED ? "seeds" : "snapshots");
		return -1;
	}
	for (size_t i = 0; i < ydoc_len(list); i++) {
		yaml_node_t *m = ydoc_item(d, list, i);
		yaml_node_t *name = ydoc_get(d, m, "name");
		if (!name || !ydoc_str(name)) {
			dbtp_seterr(err, errlen, "%s:%zu: an entry needs a name", d->path, ydoc_line(m));
			return -1;
		}
		long idx = dbt_find(p, ydoc_str(name));
		static const char *const what[] = { "model", "seed", "snapshot" };
		static const char *const where[] = { "models", "seeds", "snapshots" };
		if (idx < 0) {
			log_warn("%s:%zu: %s '%s' is described but there is no such %s", d->path, ydoc_line(name),
				 what[kind], ydoc_str(name), what[kind]);
			continue;
		}
		if (p->nodes[idx].kind != kind) {
			/* dbt warns and ignores the entry's config and columns, but
			 * still runs its tests (they only ref() the node) */
			enum dbt_kind is = p->nodes[idx].kind;
			log_warn("%s:%zu: '%s' is a %s, but it is described under '%s'; its tests run, its config "
				 "and columns are ignored (move it under '%s', as dbt also asks)",
				 d->path, ydoc_line(name), ydoc_str(name), what[is], where[kind], where[is]);
			add_tests_of(p, DBT_TEST_ON_NODE, (size_t)idx, d, m);
			continue;
		}
		p->nodes[idx].yml = d;
		p->nodes[idx].yml_entry = m;
		yaml_node_t *cfg = ydoc_get(d, m, "config");
		if (cfg && config_apply_map(&p->nodes[idx].cfg, d, cfg, err, errlen)) {
			if (fatal_at_parse(err))
				return -1;
			node_error(p, (size_t)idx, err); /* that model's error, as in dbt */
		}
		if (dbtc_read_entry(p, (size_t)idx, d, m, err, errlen))
			return -1;
		add_tests_of(p, DBT_TEST_ON_NODE, (size_t)idx, d, m);
	}
	return 0;
}

long dbt_find_in(const struct dbt_project *p, const char *package, const char *name)
{
	long i = dbt_find(p, name);
	if (i < 0 || !package)
		return i;
	const struct dbt_node *n = &p->nodes[i];
	return strcmp(n->fqn[0], package) == 0 ? i : -1;
}

long dbt_find(const struct dbt_project *p, const char *name)
{
	for (size_t i = 0; i < p->nnodes; i++)
		if (strcmp(p->nodes[i].name, name) == 0)
			return (long)i;
	return -1;
}

long dbt_find_source(const struct dbt_project *p, const char *src, const char *tbl)
{
	for (size_t i = 0; i < p->nsources; i++)
		if (strcmp(p->sources[i].source_name, src) == 0 && strcmp(p->sources[i].table_name, tbl) == 0)
			return (long)i;
	return -1;
}

/* Where a node comes from: the root project or an installed package. */
struct origin {
	size_t pkg;          /* DBT_PKG_ROOT or the package's number */
	const char *name;    /* the project's name */
	const char *dir;     /* its directory, as opened */
};

/* Adds a node for the file at rel (under the path base) of project o,
 * called name, or after the file when name is NULL. A snapshot block's
 * fqn holds its file's name too (stem_in_fqn), as dbt's does. Returns the
 * new node. */
static struct dbt_node *add_node_named(struct dbt_project *p, const struct origin *o, enum dbt_kind kind,
				       const char *base, const char *rel, const char *ext, const char *name,
				       bool stem_in_fqn)
{
	static const char *const kinds[] = { "model", "seed", "snapshot" };
	struct dbt_node n = { 0 };
	n.kind = kind;
	n.pkg = o->pkg;
	n.path = xstrdup(rel);
	n.file = strcmp(o->dir, ".") == 0 ? xstrdup(rel) : xasprintf("%s/%s", o->dir, rel);
	const char *slash = strrchr(rel, '/');
	const char *fname = slash ? slash + 1 : rel;
	char *stem = xstrdup(fname);
	stem[strlen(fname) - strlen(ext)] = '\0';
	n.name = xstrdup(name ? name : stem);
	n.unique_id = xasprintf("%s.%s.%s", kinds[kind], o->name, n.name);
	PUSH(n.fqn, n.nfqn, xstrdup(o->name));
	/* folders between the model path and the file */
	const char *q = rel + strlen(base);
	while (*q == '/')
		q++;
	while (*q) {
		const char *e = strchr(q, '/');
		if (!e)
			break;
		PUSH(n.fqn, n.nfqn, xasprintf("%.*s", (int)(e - q), q));
		q = e + 1;
	}
	if (stem_in_fqn)
		PUSH(n.fqn, n.nfqn, xstrdup(stem));
	free(stem);
	PUSH(n.fqn, n.nfqn, xstrdup(n.name));
	n.cfg.enabled = true;
	n.cfg.full_refresh = -1;
	n.cfg.docs_show = true;
	n.cfg.materialized = kind == DBT_SEED ? MAT_SEED : kind == DBT_SNAPSHOT ? MAT_SNAPSHOT : MAT_VIEW;
	n.cfg.snap.invalidate_hard_deletes = -1;
	PUSH(p->nodes, p->nnodes, n);
	return &p->nodes[p->nnodes - 1];
}

static void add_node(struct dbt_project *p, const struct origin *o, enum dbt_kind kind, const char *base,
		     const char *rel, const char *ext)
{
	add_node_named(p, o, kind, base, rel, ext, NULL, false);
}

/* ---- snapshots ---- */

/* If s starts a block tag "{% word", "{%- word", returns where its
 * arguments start (after the word and one or more blanks, or at the
 * closing "%}" for a tag without them); NULL otherwise. */
static const char *block_tag(const char *s, const char *word)
{
	if (s[0] != '{' || s[1] != '%')
		return NULL;
	s += 2;
	if (*s == '-' || *s == '+')
		s++;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t wl = strlen(word);
	if (strncmp(s, word, wl) != 0)
		return NULL;
	s += wl;
	if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '-' || *s == '%')
		return s;
	return NULL;
}

/* The end of a tag whose arguments start at s: just past "%}", or NULL. */
static const char *tag_end(const char *s)
{
	const char *e = strstr(s, "%}");
	return e ? e + 2 : NULL;
}

static size_t line_at(const char *text, const char *at)
{
	size_t line = 1;
	for (const char *c = text; c < at; c++)
		line += *c == '\n';
	return line;
}

/* Finds every {% snapshot name %} ... {% endsnapshot %} block of the
 * file and adds a snapshot node for each. Each node's template text is
 * the file with everything outside its block blanked, newlines kept, so
 * that messages name the file's own lines. Returns 0, or -1 with err. */
static int scan_snapshot_file(struct dbt_project *p, const struct origin *o, const char *base, const char *rel,
			      char *err, size_t errlen)
{
	char *full = xasprintf("%s/%s", p->dir, rel), *text;
	size_t len;
	int rc = read_file(full, &text, &len, err, errlen);
	free(full);
	if (rc)
		return -1;
	rc = -1;
	const char *c = text;
	while ((c = strstr(c, "{%"))) {
		const char *args = block_tag(c, "snapshot");
		if (!args) {
			c += 2;
			continue;
		}
		size_t line = line_at(text, c);
		const char *body = tag_end(args);
		while (*args == ' ' || *args == '\t' || *args == '\n' || *args == '\r')
			args++;
		size_t nl = strspn(args, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (!body || nl == 0) {
			dbtp_seterr(err, errlen, "%s:%zu: a snapshot block needs a name: {%% snapshot name %%}", rel, line);
			goto out;
		}
		const char *end = body, *close = NULL;
		while ((end = strstr(end, "{%")) && !(close = block_tag(end, "endsnapshot")))
			end += 2;
		if (!end || !tag_end(close)) {
			dbtp_seterr(err, errlen, "%s:%zu: snapshot %.*s has no {%% endsnapshot %%}", rel, line, (int)nl, args);
			goto out;
		}
		char *name = xasprintf("%.*s", (int)nl, args);
		for (size_t i = 0; i < p->nnodes; i++)
			if (p->nodes[i].kind == DBT_SNAPSHOT && strcmp(p->nodes[i].name, name) == 0 &&
			    strcmp(p->nodes[i].path, rel) == 0) {
				dbtp_seterr(err, errlen, "%s:%zu: a second snapshot called '%s' in this file", rel, line, name);
				free(name);
				goto out;
			}
		struct dbt_node *n = add_node_named(p, o, DBT_SNAPSHOT, base, rel, ".sql", name, true);
		free(name);
		n->line = line;
		n->text = xstrdup(text);
		for (size_t i = 0; i < len; i++)
			if ((text + i < body || text + i >= end) && n->text[i] != '\n')
				n->text[i] = ' ';
		c = tag_end(close);
	}
	rc = 0;
out:
	free(text);
	return rc;
}

/* dbt 1.9's YAML snapshots: a `snapshots:` entry with `relation:`
 * (ref('m'), source('s', 't'), or ref/source inside {{ }}) stands for
 * `select * from` that relation. Its configs are read with the other
 * schema-file entries. Returns 0, or -1 with err. */
static int add_yaml_snapshots(struct dbt_project *p, const struct origin *o, struct ydoc *d, const char *rel,
			      const char *base, char *err, size_t errlen)
{
	yaml_node_t *root = ydoc_root(d);
	yaml_node_t *list = root && ydoc_is_map(root) ? ydoc_get(d, root, "snapshots") : NULL;
	if (!list)
		return 0;
	if (!ydoc_is_seq(list)) {
		dbtp_seterr(err, errlen, "%s:%zu: 'snapshots' must be a list", d->path, ydoc_line(list));
		return -1;
	}
	for (size_t i = 0; i < ydoc_len(list); i++) {
		yaml_node_t *e = ydoc_item(d, list, i);
		yaml_node_t *name = ydoc_get(d, e, "name"), *relation = ydoc_get(d, e, "relation");
		if (!relation)
			continue; /* describes a SQL snapshot */
		if (!name || !ydoc_str(name) || !ydoc_str(name)[0]) {
			dbtp_seterr(err, errlen, "%s:%zu: a snapshot needs a name", d->path, ydoc_line(e));
			return -1;
		}
		const char *r = ydoc_is_scalar(relation) ? ydoc_str(relation) : NULL;
		while (r && (*r == ' ' || *r == '\t'))
			r++;
		if (!r || !(strncmp(r, "ref(", 4) == 0 || strncmp(r, "source(", 7) == 0 || strncmp(r, "{{", 2) == 0)) {
			dbtp_seterr(err, errlen, "%s:%zu: snapshot %s: 'relation' needs ref('model') or source('source', "
			       "'table')", d->path, ydoc_line(relation), ydoc_str(name));
			return -1;
		}
		/* blank lines first, so that a message names the yml's line */
		struct buf b = { 0 };
		for (size_t l = 1; l < ydoc_line(relation); l++)
			buf_addc(&b, '\n');
		buf_printf(&b, r[0] == '{' ? "select * from %s" : "select * from {{ %s }}", r);
		struct dbt_node *n = add_node_named(p, o, DBT_SNAPSHOT, base, rel, has_suffix(rel, ".yml") ? ".yml" : ".yaml",
						    ydoc_str(name), false);
		n->line = ydoc_line(e);
		n->text = buf_detach(&b);
	}
	return 0;
}

/* What dbt requires of a snapshot before it runs anything. */
static int check_snapshot(const struct dbt_node *n, char *err, size_t errlen)
{
	const struct dbt_snapcfg *s = &n->cfg.snap;
	if (!s->strategy || !n->cfg.nunique) {
		dbtp_seterr(err, errlen, "%s:%zu: snapshot %s: snapshots must be configured with a 'strategy' and "
		       "'unique_key'", n->path, n->line, n->name);
		return -1;
	}
	if (strcmp(s->strategy, "timestamp") == 0 && !s->updated_at) {
		dbtp_seterr(err, errlen, "%s:%zu: snapshot %s: a snapshot configured with the timestamp strategy must "
		       "specify an updated_at configuration", n->path, n->line, n->name);
		return -1;
	}
	if (strcmp(s->strategy, "check") == 0 && !s->check_all && !s->ncheck_cols) {
		dbtp_seterr(err, errlen, "%s:%zu: snapshot %s: a snapshot configured with the check strategy must "
		       "specify a check_cols configuration", n->path, n->line, n->name);
		return -1;
	}
	return 0;
}

/* A Python model: dbt-postgres has no way to run one (dbt fails it at
 * run time, "only supports languages ['sql']"), so it is this model's
 * error, by name, rather than a file passed over in silence. Like dbt, it
 * defaults to a table. Its dbt.ref() calls are not read. */
static void add_python_model(struct dbt_project *p, const struct origin *o, const char *base, const char *rel)
{
	add_node(p, o, DBT_MODEL, base, rel, ".py");
	struct dbt_node *n = &p->nodes[p->nnodes - 1];
	n->python = true;
	n->cfg.materialized = MAT_TABLE;
	n->error = xasprintf("%s: a Python model: PostgreSQL runs SQL models only (dbt-postgres fails it too)",
			     n->file);
}

/* The schema files found while scanning: each one's path as opened, its
 * path within its project, the model, seed or snapshot path it is under,
 * and whether it is the root project's (only those hold YAML snapshots). */
struct yfiles {
	char **full, **rel;
	const char **base;
	bool *root;
	size_t n, cap;
};

static void yfiles_add(struct yfiles *y, const struct origin *o, const char *base, const char *rel)
{
	if (y->n == y->cap) {
		y->cap = y->cap ? 2 * y->cap : 16;
		y->full = xrealloc(y->full, y->cap * sizeof *y->full);
		y->rel = xrealloc(y->rel, y->cap * sizeof *y->rel);
		y->base = xrealloc(y->base, y->cap * sizeof *y->base);
		y->root = xrealloc(y->root, y->cap * sizeof *y->root);
	}
	y->full[y->n] = xasprintf("%s/%s", o->dir, rel);
	y->rel[y->n] = xstrdup(rel);
	y->base[y->n] = base;
	y->root[y->n++] = o->pkg == DBT_PKG_ROOT;
}

static void yfiles_free(struct yfiles *y)
{
	free_strs(y->full, y->n);
	free_strs(y->rel, y->n);
	free(y->base);
	free(y->root);
}

/* The models (Python ones too, refused by name) and seeds of project o,
 * and its schema files. */
static void scan_nodes(struct dbt_project *p, const struct origin *o, char **model_paths, size_t nmodel,
		       char **seed_paths, size_t nseed, struct yfiles *y)
{
	for (int seeds = 0; seeds < 2; seeds++) {
		char **paths = seeds ? seed_paths : model_paths;
		size_t npaths = seeds ? nseed : nmodel;
		for (size_t k = 0; k < npaths; k++) {
			char **files = NULL;
			size_t nf = 0;
			dbtp_walk_dir(o->dir, paths[k], &files, &nf);
			for (size_t i = 0; i < nf; i++) {
				if (has_suffix(files[i], seeds ? ".csv" : ".sql"))
					add_node(p, o, seeds ? DBT_SEED : DBT_MODEL, paths[k], files[i],
						 seeds ? ".csv" : ".sql");
				else if (!seeds && has_suffix(files[i], ".py"))
					add_python_model(p, o, paths[k], files[i]);
				else if (has_suffix(files[i], ".yml") || has_suffix(files[i], ".yaml"))
					yfiles_add(y, o, paths[k], files[i]);
			}
			free_strs(files, nf);
		}
	}
}

/* ---- var() values ---- */

struct tval dbtp_yaml_tval(struct tmpl_render *r, struct ydoc *d, yaml_node_t *n)
{
	struct tval v = { .kind = TV_NONE };
	if (ydoc_is_scalar(n)) { /* as dbt reads it: PyYAML, YAML 1.1 */
		const char *s = ydoc_str(n);
		bool b;
		double num;
		enum ydoc_kind k = ydoc_yaml11(n, &b, &num);
		if (k == YK_NULL)
			return v;
		if (k == YK_BOOL)
			return (struct tval){ .kind = TV_BOOL, .b = b };
		if (k == YK_INT || k == YK_FLOAT)
			return (struct tval){ .kind = TV_NUM, .num = num, .real = k == YK_FLOAT };
		return tval_str(r, s, strlen(s));
	}
	size_t len = ydoc_len(n);
	/* a macro may .append() to a list it was given, as in Python */
	v = ydoc_is_seq(n) ? tval_list_new(r, len) : tval_dict_new(r, len);
	if (ydoc_is_seq(n)) {
		for (size_t i = 0; i < len; i++)
			v.items[i] = dbtp_yaml_tval(r, d, ydoc_item(d, n, i));
	} else {
		for (size_t i = 0; i < len; i++) {
			struct tval k = tval_str(r, ydoc_str(ydoc_key(d, n, i)), strlen(ydoc_str(ydoc_key(d, n, i))));
			v.keys[i] = k.s;
			v.items[i] = dbtp_yaml_tval(r, d, ydoc_value(d, n, i));
		}
	}
	return v;
}

/* vars: in d's `vars:`, the one scoped to package scope, else the global
 * one. */
static yaml_node_t *var_in(struct ydoc *d, const char *scope, const char *name)
{
	yaml_node_t *vars = d ? ydoc_get(d, ydoc_root(d), "vars") : NULL;
	if (!vars)
		return NULL;
	yaml_node_t *scoped = ydoc_get(d, vars, scope);
	yaml_node_t *v = scoped && ydoc_is_map(scoped) ? ydoc_get(d, scoped, name) : NULL;
	return v ? v : ydoc_get(d, vars, name);
}

/* var(name) as a node of package pkg sees it, as dbt merges them: --vars,
 * then the root project's (scoped to the package, then global), then,
 * for a package's node, the package's own dbt_project.yml. */
static bool find_var(const struct dbt_project *p, size_t pkg, const char *name, struct ydoc **doc,
		     yaml_node_t **node)
{
	if (p->cli_vars && ydoc_root(p->cli_vars)) {
		yaml_node_t *v = ydoc_get(p->cli_vars, ydoc_root(p->cli_vars), name);
		if (v) {
			*doc = p->cli_vars;
			*node = v;
			return true;
		}
	}
	struct dbt_package *pk = package_of(p, pkg);
	const char *scope = pk ? pk->name : p->name;
	struct ydoc *docs[2] = { p->project_doc, pk ? pk->doc : NULL };
	for (int i = 0; i < 2; i++) {
		yaml_node_t *v = var_in(docs[i], scope, name);
		if (v) {
			*doc = docs[i];
			*node = v;
			return true;
		}
	}
	return false;
}

/* ---- rendering hosts ---- */

static bool want_args(struct tmpl_render *r, const struct tmpl_call *c, size_t min, size_t max)
{
	if (c->nargs < min || c->nargs > max) {
		tmpl_fail(r, c->line, "%s() takes %zu%s%.0zu argument%s, not %zu", c->name, min,
			  max > min ? " to " : "", max > min ? max : 0, max == 1 ? "" : "s", c->nargs);
		return false;
	}
	for (size_t i = 0; i < c->nargs && i < 2; i++)
		if (c->args[i].kind != TV_STR && !(strcmp(c->name, "var") == 0 && i == 1)) {
			tmpl_fail(r, c->line, "%s() needs string arguments", c->name);
			return false;
		}
	return true;
}

static void add_parent_name(struct dbt_node *n, size_t idx)
{
	for (size_t i = 0; i < n->nparents; i++)
		if (n->parents[i] == idx)
			return;
	PUSH(n->parents, n->nparents, idx);
}

static int tval_cval(const struct tval *t, struct cval *v)
{
	memset(v, 0, sizeof *v);
	v->tv = t;
	if (t->kind == TV_STR) {
		v->kind = CV_STR;
		v->s = t->s;
	} else if (t->kind == TV_BOOL) {
		v->kind = CV_BOOL;
		v->b = t->b;
	} else if (t->kind == TV_LIST) {
		for (size_t i = 0; i < t->n; i++) {
			if (t->items[i].kind != TV_STR) {
				free_strs(v->list, v->n);
				v->list = NULL;
				v->n = 0;
				v->kind = CV_OTHER;
				return 0;
			}
			PUSH(v->list, v->n, xstrdup(t->items[i].s));
		}
		v->kind = CV_LIST;
	} else {
		v->kind = CV_OTHER;
	}
	return 0;
}

static int config_set_tval(struct tmpl_render *r, const struct tmpl_call *c, struct dbt_config *cfg,
			   const char *key, const struct tval *t)
{
	char err[512];
	struct where w = { c->file, (size_t)c->line };
	struct cval v;
	tval_cval(t, &v);
	int rc = config_set(cfg, key, &v, w, err, sizeof err);
	free_strs(v.list, v.n);
	bool post;
	if (rc == 1 && is_hook_key(key, &post)) {
		size_t count = t->kind == TV_LIST ? t->n : 1;
		for (size_t i = 0; i < count; i++) {
			const struct tval *h = t->kind == TV_LIST ? &t->items[i] : t;
			const struct tval *sql = h->kind == TV_DICT ? tval_get(h, "sql") : h;
			const struct tval *tr = h->kind == TV_DICT ? tval_get(h, "transaction") : NULL;
			if (!sql || sql->kind != TV_STR) {
				tmpl_fail(r, c->line, "a %s needs SQL text or {'sql': ..., 'transaction': ...}", key);
				return -1;
			}
			add_hook(cfg, post, sql->s, !tr || tval_truthy(tr));
		}
		return 0;
	}
	if (rc == 1) {
		int got = dbtc_config_tval(cfg, key, t, err, sizeof err);
		if (got < 0) {
			tmpl_fail(r, c->line, "%s", err);
			return -1;
		}
		if (got == 0)
			return 0;
		if (strcmp(key, "indexes") == 0) {
			free_indexes(cfg);
			if (t->kind != TV_LIST)
				goto bad_index;
			for (size_t i = 0; i < t->n; i++) {
				const struct tval *cols = tval_get(&t->items[i], "columns");
				if (!cols || cols->kind != TV_LIST)
					goto bad_index;
				struct dbt_index ix = { 0 };
				for (size_t j = 0; j < cols->n; j++)
					if (cols->items[j].kind == TV_STR)
						PUSH(ix.columns, ix.ncolumns, xstrdup(cols->items[j].s));
				const struct tval *u = tval_get(&t->items[i], "unique"), *ty = tval_get(&t->items[i], "type");
				ix.unique = u && tval_truthy(u);
				ix.type = ty && ty->kind == TV_STR ? xstrdup(ty->s) : NULL;
				PUSH(cfg->indexes, cfg->nindexes, ix);
			}
			return 0;
		}
		if (strcmp(key, "snapshot_meta_column_names") == 0) {
			if (t->kind != TV_DICT) {
				tmpl_fail(r, c->line, "config 'snapshot_meta_column_names' needs a dict");
				return -1;
			}
			for (size_t i = 0; i < t->n; i++)
				if (snapshot_meta_set(&cfg->snap, t->keys[i], t->items[i].kind == TV_STR ? t->items[i].s : NULL,
						      w, err, sizeof err)) {
					const char *msg = strstr(err, ": ");
					tmpl_fail(r, c->line, "%s", msg ? msg + 2 : err);
					return -1;
				}
			return 0;
		}
		if (t->kind != TV_DICT) {
			tmpl_fail(r, c->line, "config 'column_types' needs a dict of column: type");
			return -1;
		}
		for (size_t i = 0; i < t->n; i++)
			if (t->items[i].kind == TV_STR)
				add_column_type(cfg, t->keys[i], t->items[i].s);
		return 0;
	}
	if (rc < 0) {
		/* err is "file:line: message"; the render adds file:line itself */
		const char *msg = strstr(err, ": ");
		tmpl_fail(r, c->line, "%s", msg ? msg + 2 : err);
		return -1;
	}
	return 0;
bad_index:
	tmpl_fail(r, c->line, "config 'indexes' needs a list of {'columns': [...], 'unique': ..., 'type': ...}");
	return -1;
}

/* A relation value: prints as dbt prints one, "database"."schema"."identifier"
 * (without the database when db is NULL or empty, as a relation made
 * without one), and has the attributes dbt's Relation has in templates.
 * rel is its two-part name, "schema"."identifier", or a bare name. */
struct tval dbtp_relation_value(struct tmpl_render *r, const char *db, const char *rel, const char *schema,
				 const char *ident)
{
	struct tval v;
	if (db && *db) {
		char *qdb = dbt_quote_ident(db), *full = xasprintf("%s.%s", qdb, rel);
		v = tval_str(r, full, strlen(full));
		free(qdb);
		free(full);
	} else {
		v = tval_str(r, rel, strlen(rel));
	}
	static const char *const keys[] = { "schema", "identifier", "name", "table", "database", "metadata",
					     "is_table", "is_view" };
	const size_t n = sizeof keys / sizeof *keys;
	v.nattr = n;
	v.keys = tval_alloc_keys(r, n);
	v.items = tval_alloc(r, n);
	for (size_t i = 0; i < n; i++)
		v.keys[i] = keys[i];
	for (size_t i = 0; i < 4; i++) {
		const char *s = i == 0 ? schema : ident;
		v.items[i] = tval_str(r, s, strlen(s));
	}
	v.items[4] = db ? tval_str(r, db, strlen(db)) : (struct tval){ .kind = TV_NONE };
	/* what dbt_utils' _is_relation() looks for */
	static const char *const mkeys[] = { "type" };
	struct tval meta = { .kind = TV_DICT, .n = 1, .items = tval_alloc(r, 1), .keys = tval_alloc_keys(r, 1) };
	meta.keys[0] = mkeys[0];
	meta.items[0] = tval_str(r, "PostgresRelation", 16);
	v.items[5] = meta;
	v.items[6] = (struct tval){ .kind = TV_NONE };
	v.items[7] = (struct tval){ .kind = TV_NONE };
	return v;
}


/* ref(..., v=N) or version=N: modelrun has no versioned models, and dbt
 * refuses a version of an unversioned model, so it is refused here too. */
static bool ref_unversioned(struct tmpl_render *r, const struct tmpl_call *c)
{
	for (size_t i = 0; i < c->nkw; i++) {
		if (strcmp(c->kwnames[i], "v") != 0 && strcmp(c->kwnames[i], "version") != 0) {
			tmpl_fail(r, c->line, "ref() takes no argument '%s'", c->kwnames[i]);
			return false;
		}
		char v[64];
		const struct tval *k = &c->kwargs[i];
		if (k->kind == TV_NUM)
			snprintf(v, sizeof v, "%g", k->num);
		else
			snprintf(v, sizeof v, "%s", k->kind == TV_STR ? k->s : "?");
		tmpl_fail(r, c->line, "ref('%s', %s=%s): '%s' has no version %s (modelrun runs no versioned "
			  "models; dbt refuses a version of an unversioned model too)",
			  c->args[c->nargs - 1].s, c->kwnames[i], v, c->args[c->nargs - 1].s, v);
		return false;
	}
	return true;
}

/* The package number a render finds bare macros and vars in: its node's,
 * or the root project's for a free-standing text. */
static size_t local_pkg(const struct host_state *h)
{
	return h->node == NO_NODE ? DBT_PKG_ROOT : h->p->nodes[h->node].pkg;
}

static struct dbt_ctx ctx_of(const struct host_state *h)
{
	return (struct dbt_ctx){ &h->p->macros, local_pkg(h), h->p->target_schema, !h->parsing, &h->p->target };
}

/* Parses a template of the project (a model, hook or test) that may call
 * the project's macros, as a node of package pkg sees them. */
struct tmpl *dbtp_parse(const struct dbt_project *p, size_t pkg, const char *file, const char *text,
			      size_t len, char *err, size_t errlen)
{
	struct dbt_ctx x = { &p->macros, pkg, p->target_schema, false, &p->target };
	struct tmpl_names names = { .funcs = dbt_host_functions, .known = dbt_ctx_known, .ud = &x };
	return tmpl_parse_names(file, text, len, &names, err, errlen);
}

int dbtp_host_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	struct host_state *h = ud;
	struct dbt_project *p = h->p;
	struct dbt_node *n = h->node == NO_NODE ? NULL : &p->nodes[h->node];
	if (h->opts && h->opts->unit && !h->parsing) {
		int rc = dbtu_call(p, h->opts, r, c, out);
		if (rc != 1)
			return rc;
	}
	if (strcmp(c->name, "ref") == 0) {
		if (!want_args(r, c, 1, 2) || !ref_unversioned(r, c))
			return -1;
		const char *name = c->args[c->nargs - 1].s;
		long idx = dbt_find_in(p, c->nargs == 2 ? c->args[0].s : NULL, name);
		if (idx < 0) {
			if (c->nargs == 2)
				tmpl_fail(r, c->line, "ref('%s', '%s'): package '%s' has no model or seed called '%s'",
					  c->args[0].s, name, c->args[0].s, name);
			else
				tmpl_fail(r, c->line, "ref('%s'): no model or seed is called '%s'", name, name);
			return -1;
		}
		if (h->parsing) {
			/* relation names come later: a stand-in, as `this` */
			if (!h->probe)
				add_parent_name(n, (size_t)idx);
			if (h->reached)
				h->reached[idx] = true;
			*out = dbtp_relation_value(r, NULL, name, h->p->target_schema, name);
			return 0;
		}
		bool known = !n || h->any_ref;
		for (size_t i = 0; n && i < n->nparents; i++)
			known |= n->parents[i] == (size_t)idx;
		if (!known) {
			tmpl_fail(r, c->line, "ref('%s') was not seen when the project was parsed; "
				  "add \"-- depends_on: {{ ref('%s') }}\" to the model", name, name);
			return -1;
		}
		const struct dbt_node *t = &p->nodes[idx];
		if (h->text && h->text->reads)
			h->text->reads(h->text->ud, false, (size_t)idx);
		if (t->kind == DBT_MODEL && t->cfg.materialized == MAT_EPHEMERAL) {
			const char *s = h->opts && h->opts->ephemeral ? h->opts->ephemeral(h->opts->ud, (size_t)idx) :
					h->text && h->text->ephemeral ? h->text->ephemeral(h->text->ud, (size_t)idx) :
									 NULL;
			char buf[512];
			if (!s) {
				snprintf(buf, sizeof buf, "__dbt__cte__%s", t->name);
				s = buf;
			}
			*out = tval_str(r, s, strlen(s));
			return 0;
		}
		*out = dbtp_relation_value(r, p->target.dbname, t->relation, t->schema, t->identifier);
		return 0;
	}
	if (strcmp(c->name, "source") == 0) {
		if (!want_args(r, c, 2, 2))
			return -1;
		long idx = dbt_find_source(p, c->args[0].s, c->args[1].s);
		if (idx < 0) {
			tmpl_fail(r, c->line, "source('%s', '%s') is not declared in any schema file", c->args[0].s,
				  c->args[1].s);
			return -1;
		}
		if (h->parsing && !h->probe) {
			bool seen = false;
			for (size_t i = 0; i < n->nsources; i++)
				seen |= n->sources[i] == (size_t)idx;
			if (!seen)
				PUSH(n->sources, n->nsources, (size_t)idx);
		}
		if (h->text && h->text->reads)
			h->text->reads(h->text->ud, true, (size_t)idx);
		const struct dbt_source *src = &p->sources[idx];
		*out = dbtp_relation_value(r, p->target.dbname, src->relation, src->schema, src->identifier);
		return 0;
	}
	if (strcmp(c->name, "var") == 0) {
		if (!want_args(r, c, 1, 2))
			return -1;
		struct ydoc *d;
		yaml_node_t *node;
		if (find_var(p, local_pkg(h), c->args[0].s, &d, &node)) {
			*out = dbtp_yaml_tval(r, d, node);
			return 0;
		}
		if (c->nargs == 2) {
			*out = c->args[1];
			return 0;
		}
		tmpl_fail(r, c->line, "var('%s') is not set (give it with --vars or in dbt_project.yml)", c->args[0].s);
		return -1;
	}
	if (strcmp(c->name, "env_var") == 0) /* a model's, as dbt_project.yml's */
		return dbt_env_var(r, c, false, out);
	if (strcmp(c->name, "is_incremental") == 0) {
		if (!want_args(r, c, 0, 0))
			return -1;
		*out = (struct tval){ .kind = TV_BOOL, .b = h->probe || (!h->parsing && h->opts && h->opts->incremental) };
		return 0;
	}
	if (strcmp(c->name, "config") == 0) {
		if (c->nargs) {
			tmpl_fail(r, c->line, "config() takes keyword arguments only");
			return -1;
		}
		for (size_t i = 0; h->fail_calc && i < c->nkw; i++)
			if (strcmp(c->kwnames[i], "fail_calc") == 0 && c->kwargs[i].kind == TV_STR) {
				free(*h->fail_calc);
				*h->fail_calc = xstrdup(c->kwargs[i].s);
			}
		if (h->parsing && n && !h->probe) {
			for (size_t i = 0; i < c->nkw; i++) {
				if (config_set_tval(r, c, &n->cfg, c->kwnames[i], &c->kwargs[i]))
					return -1;
				/* as written, for the manifest's unrendered_config */
				dbtc_unrendered_tval(&n->cfg, c->kwnames[i], &c->kwargs[i]);
			}
		}
		for (size_t i = 0; !n && h->text && h->text->config && i < c->nkw; i++) {
			char msg[512];
			if (h->text->config(h->text->ud, c->kwnames[i], &c->kwargs[i], msg, sizeof msg)) {
				tmpl_fail(r, c->line, "config %s: %s", c->kwnames[i], msg);
				return -1;
			}
		}
		*out = tval_str(r, "", 0);
		return 0;
	}
	if (strcmp(c->name, "statement") == 0 || strcmp(c->name, "load_result") == 0 ||
	    strcmp(c->name, "run_query") == 0 || strcmp(c->name, "adapter.get_columns_in_relation") == 0)
		return dbtp_call_query(h, r, c, out);
	struct dbt_ctx x = ctx_of(h);
	int rc = dbt_ctx_call(&x, r, c, out);
	if (rc == 1)
		rc = dbtrel_call(h, r, c, out);
	if (rc != 1)
		return rc;
	tmpl_fail(r, c->line, "function '%s()' is not available here", c->name);
	return -1;
}

int dbtp_host_global(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out)
{
	struct host_state *h = ud;
	if (h->test_model && strncmp(name, "__modelrun_test_", 16) == 0) {
		const char *k = name + 16;
		if (strcmp(k, "model") == 0) {
			const struct dbt_relation_arg *m = h->test_model;
			*out = m->where_subquery ? tval_str(r, m->where_subquery, strlen(m->where_subquery)) :
						   dbtp_relation_value(r, *m->schema ? h->p->target.dbname : NULL, m->relation,
								       m->schema, m->identifier);
			return 0;
		}
		size_t i = strtoul(k, NULL, 10);
		if (i < h->test_nvals) {
			*out = dbtp_yaml_tval(r, h->test_doc, h->test_vals[i]);
			return 0;
		}
	}
	if (h->generating && strncmp(name, "__modelrun_arg", 14) == 0) {
		if (name[14] == '0')
			*out = h->gen_custom ? tval_str(r, h->gen_custom, strlen(h->gen_custom)) :
					       (struct tval){ .kind = TV_NONE };
		else
			*out = dbtp_node_value(r, &h->p->nodes[h->gen_node]);
		return 0;
	}
	if (strcmp(name, "this") != 0 || h->node == NO_NODE) {
		struct dbt_ctx x = ctx_of(h);
		int rc = dbt_ctx_global(&x, r, name, line, out);
		if (rc == 1)
			rc = dbtg_global(h, r, name, out);
		return rc == 1 ? dbtrel_global(h, r, name, line, out) : rc;
	}
	if (h->opts && h->opts->unit && !h->parsing && dbtu_this(h->opts, r, out) == 0)
		return 0;
	const struct dbt_node *n = &h->p->nodes[h->node];
	if (!n->relation) /* parse time: relation names come later */
		*out = dbtp_relation_value(r, NULL, n->name, h->p->target_schema, n->name);
	else
		*out = dbtp_relation_value(r, h->p->target.dbname, n->relation, n->schema, n->identifier);
	return 0;
}

/* An error in a macro names the macro's file: say which model called it,
 * as dbt's "in model x (models/x.sql)". */
static void name_the_model(const struct dbt_node *n, char *err, size_t errlen)
{
	size_t fl = strlen(n->file);
	if (strncmp(err, n->file, fl) == 0 && err[fl] == ':')
		return;
	static const char *const kinds[] = { "model", "seed", "snapshot" };
	char *msg = xasprintf("%s (in %s %s)", err, kinds[n->kind], n->file);
	snprintf(err, errlen, "%s", msg);
	free(msg);
}

int dbt_render(const struct dbt_project *p, size_t node, const struct dbt_render_opts *o,
	       char **sql, char *err, size_t errlen)
{
	struct host_state h = { .p = (struct dbt_project *)p, .node = node, .opts = o };
	struct tmpl_host host = { dbtp_host_call, dbtp_host_global, &h };
	*sql = NULL;
	if (!p->nodes[node].tmpl) {
		dbtp_seterr(err, errlen, "%s: not a model", p->nodes[node].name);
		return -1;
	}
	int rc = tmpl_render(p->nodes[node].tmpl, &host, sql, NULL, err, errlen);
	if (rc)
		name_the_model(&p->nodes[node], err, errlen);
	return rc;
}

int dbt_render_hook(const struct dbt_project *p, size_t node, const char *text, bool incremental, char **sql,
		    char *err, size_t errlen)
{
	struct dbt_render_opts o = { .incremental = incremental };
	return dbt_render_hook_with(p, node, text, &o, sql, err, errlen);
}

int dbt_render_hook_with(const struct dbt_project *p, size_t node, const char *text, const struct dbt_render_opts *o,
			 char **sql, char *err, size_t errlen)
{
	*sql = NULL;
	const struct dbt_node *n = &p->nodes[node];
	struct tmpl *t = dbtp_parse(p, n->pkg, n->file, text, strlen(text), err, errlen);
	if (!t)
		return -1;
	struct host_state h = { .p = (struct dbt_project *)p, .node = node, .opts = o, .any_ref = true };
	struct tmpl_host host = { dbtp_host_call, dbtp_host_global, &h };
	int rc = tmpl_render(t, &host, sql, NULL, err, errlen);
	tmpl_free(t);
	return rc;
}

int dbt_render_text(const struct dbt_project *p, const char *file, const char *text, size_t len,
		    char **sql, char *err, size_t errlen)
{
	return dbt_render_text_with(p, file, text, len, NULL, sql, err, errlen);
}

int dbt_render_text_with(const struct dbt_project *p, const char *file, const char *text, size_t len,
			 const struct dbt_text_opts *to, char **sql, char *err, size_t errlen)
{
	*sql = NULL;
	struct tmpl *t = dbtp_parse(p, DBT_PKG_ROOT, file, text, len, err, errlen);
	if (!t)
		return -1;
	struct dbt_render_opts o = { .query = to ? to->query : NULL, .query_ud = to ? to->query_ud : NULL };
	struct host_state h = { .p = (struct dbt_project *)p, .node = NO_NODE, .opts = &o, .text = to };
	struct tmpl_host host = { dbtp_host_call, dbtp_host_global, &h };
	int rc = tmpl_render(t, &host, sql, NULL, err, errlen);
	tmpl_free(t);
	return rc;
}

/* The project's host with a caller's functions and globals first. */
struct extra_state {
	struct host_state h;
	const struct dbt_extra_host *x;
};

static bool is_extra(const struct dbt_extra_host *x, const char *name)
{
	for (const char *const *f = x ? x->funcs : NULL; f && *f; f++)
		if (strcmp(*f, name) == 0)
			return true;
	return false;
}

static int extra_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	struct extra_state *e = ud;
	if (is_extra(e->x, c->name))
		return e->x->call(e->x->ud, r, c, out);
	return dbtp_host_call(&e->h, r, c, out);
}

static int extra_global(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out)
{
	struct extra_state *e = ud;
	int rc = e->x && e->x->global ? e->x->global(e->x->ud, r, name, line, out) : 1;
	return rc == 1 ? dbtp_host_global(&e->h, r, name, line, out) : rc;
}

int dbt_render_text_ex(const struct dbt_project *p, const char *file, const char *text, size_t len,
		       const struct dbt_render_opts *o, const struct dbt_extra_host *x, char **sql, char *err,
		       size_t errlen)
{
	*sql = NULL;
	size_t n = 0, k = 0;
	while (dbt_host_functions[n])
		n++;
	while (x && x->funcs[k])
		k++;
	const char **funcs = xcalloc(n + k + 1, sizeof *funcs);
	memcpy(funcs, dbt_host_functions, n * sizeof *funcs);
	if (k)
		memcpy(funcs + n, x->funcs, k * sizeof *funcs);
	struct dbt_ctx cx = { &p->macros, DBT_PKG_ROOT, p->target_schema, true, &p->target };
	struct tmpl_names names = { .funcs = funcs, .known = dbt_ctx_known, .ud = &cx };
	struct tmpl *t = tmpl_parse_names(file, text, len, &names, err, errlen);
	free(funcs);
	if (!t)
		return -1;
	struct dbt_render_opts none = { 0 };
	struct extra_state e = { { .p = (struct dbt_project *)p, .node = NO_NODE, .opts = o ? o : &none }, x };
	struct tmpl_host host = { extra_call, extra_global, &e };
	int rc = tmpl_render(t, &host, sql, NULL, err, errlen);
	tmpl_free(t);
	return rc;
}

/* Static walk: refs and sources with literal arguments anywhere. */
struct static_state {
	struct dbt_project *p;
	size_t node;
	char *err;
	size_t errlen;
	size_t *refs;   /* the nodes its literal refs name, and their lines */
	int *lines;
	size_t nrefs;
};

static int visit_ref(void *ud, const char *fn, size_t nargs, const char *const *args, int line)
{
	struct static_state *s = ud;
	struct dbt_node *n = &s->p->nodes[s->node];
	(void)fn;
	if (nargs < 1 || nargs > 2 || !args[nargs - 1] || (nargs == 2 && !args[0]))
		return 0; /* computed: the parse-time render will see it if it runs */
	long idx = dbt_find_in(s->p, nargs == 2 ? args[0] : NULL, args[nargs - 1]);
	if (idx < 0 && nargs == 2) {
		dbtp_seterr(s->err, s->errlen, "%s:%d: ref('%s', '%s'): package '%s' has no model or seed called '%s'",
		       n->file, line, args[0], args[1], args[0], args[1]);
		return -1;
	}
	if (idx < 0) {
		dbtp_seterr(s->err, s->errlen, "%s:%d: ref('%s'): no model or seed is called '%s'", n->file, line,
		       args[nargs - 1], args[nargs - 1]);
		return -1;
	}
	add_parent_name(n, (size_t)idx);
	s->refs = xrealloc(s->refs, (s->nrefs + 1) * sizeof *s->refs);
	s->lines = xrealloc(s->lines, (s->nrefs + 1) * sizeof *s->lines);
	s->refs[s->nrefs] = (size_t)idx;
	s->lines[s->nrefs++] = line;
	return 0;
}

static int visit_source(void *ud, const char *fn, size_t nargs, const char *const *args, int line)
{
	struct static_state *s = ud;
	struct dbt_node *n = &s->p->nodes[s->node];
	(void)fn;
	if (nargs != 2 || !args[0] || !args[1])
		return 0;
	long idx = dbt_find_source(s->p, args[0], args[1]);
	if (idx < 0) {
		dbtp_seterr(s->err, s->errlen, "%s:%d: source('%s', '%s') is not declared in any schema file", n->file,
		       line, args[0], args[1]);
		return -1;
	}
	for (size_t i = 0; i < n->nsources; i++)
		if (n->sources[i] == (size_t)idx)
			return 0;
	PUSH(n->sources, n->nsources, (size_t)idx);
	return 0;
}

/* dbt registers a model's refs when it renders it at parse time, with
 * is_incremental() false; one it meets only in the incremental branch
 * fails the model's incremental runs unless a `-- depends_on:` comment
 * names it. modelrun finds it anyway (the static walk), but says where
 * dbt would fail: it renders the model once more with is_incremental()
 * true and warns about each ref that only this render reaches. */
static void warn_incremental_refs(struct dbt_project *p, size_t i, const struct static_state *ss,
				  const bool *reached)
{
	const struct dbt_node *n = &p->nodes[i];
	bool *incr = xcalloc(p->nnodes, sizeof *incr);
	struct host_state h = { .p = p, .node = i, .parsing = true, .probe = true, .reached = incr };
	struct tmpl_host host = { dbtp_host_call, dbtp_host_global, &h };
	char err[512], *sql;
	/* best effort: a failure here says nothing dbt would say */
	if (tmpl_render(n->tmpl, &host, &sql, NULL, err, sizeof err) == 0)
		free(sql);
	for (size_t k = 0; k < p->nnodes; k++) {
		if (!incr[k] || reached[k])
			continue;
		int line = 0;
		for (size_t j = 0; j < ss->nrefs && !line; j++)
			if (ss->refs[j] == k)
				line = ss->lines[j];
		const char *name = p->nodes[k].name;
		char where[32] = ""; /* a computed ref has no line of its own */
		if (line)
			snprintf(where, sizeof where, ":%d", line);
		log_warn("%s%s: ref('%s') is reached only when is_incremental() is true: dbt fails this model's "
			 "incremental runs unless it has \"-- depends_on: {{ ref('%s') }}\"",
			 n->file, where, name, name);
	}
	free(incr);
}

/* Reads model or snapshot i: its template, its literal refs and sources, and a
 * parse-time render for config(). Returns 0 (with nodes[i].error set when
 * the model is one modelrun cannot build), or -1 with err for an error
 * that stops the load, as it stops dbt's. */
static int parse_model(struct dbt_project *p, size_t i, char *err, size_t errlen)
{
	struct dbt_node *n = &p->nodes[i];
	char *text;
	size_t len;
	if (n->text) { /* a snapshot: its block, or the select its YAML means */
		text = xstrdup(n->text);
		len = strlen(text);
	} else if (read_file(n->file, &text, &len, err, errlen)) {
		return -1;
	}
	n->tmpl = dbtp_parse(p, n->pkg, n->file, text, len, err, errlen);
	free(text);
	if (!n->tmpl) {
		if (fatal_at_parse(err))
			return -1;
		node_error(p, i, err);
		return 0;
	}
	struct static_state ss = { p, i, err, errlen, NULL, NULL, 0 };
	int rc = -1;
	bool *reached = xcalloc(p->nnodes, sizeof *reached);
	if (tmpl_calls(n->tmpl, "ref", visit_ref, &ss) || tmpl_calls(n->tmpl, "source", visit_source, &ss))
		goto out;
	struct host_state h = { .p = p, .node = i, .parsing = true, .reached = reached };
	struct tmpl_host host = { dbtp_host_call, dbtp_host_global, &h };
	char *sql;
	if (tmpl_render(n->tmpl, &host, &sql, NULL, err, errlen)) {
		name_the_model(n, err, errlen);
		if (fatal_at_parse(err))
			goto out;
		node_error(p, i, err);
	} else {
		free(sql);
		if (n->cfg.enabled && n->cfg.materialized == MAT_INCREMENTAL)
			warn_incremental_refs(p, i, &ss, reached);
	}
	rc = 0;
out:
	free(reached);
	free(ss.refs);
	free(ss.lines);
	return rc;
}

/* Depth-first search in file order: orders parents first and names the
 * first cycle found. */
static int dfs(struct dbt_project *p, size_t i, unsigned char *state, size_t *stack, size_t depth,
	       size_t *norder, char *err, size_t errlen)
{
	if (state[i] == 2)
		return 0;
	if (state[i] == 1) {
		size_t start = depth;
		while (start > 0 && stack[start - 1] != i)
			start--;
		char msg[2048] = "dependency cycle: ";
		for (size_t k = start - 1; k < depth; k++) {
			strncat(msg, p->nodes[stack[k]].name, sizeof msg - strlen(msg) - 1);
			strncat(msg, " -> ", sizeof msg - strlen(msg) - 1);
		}
		strncat(msg, p->nodes[i].name, sizeof msg - strlen(msg) - 1);
		dbtp_seterr(err, errlen, "%s", msg);
		return -1;
	}
	state[i] = 1;
	stack[depth] = i;
	for (size_t k = 0; k < p->nodes[i].nparents; k++)
		if (dfs(p, p->nodes[i].parents[k], state, stack, depth + 1, norder, err, errlen))
			return -1;
	state[i] = 2;
	p->order[(*norder)++] = i;
	return 0;
}

/* on-run-start / on-run-end: SQL text, or a list of them. */
static int run_hooks(struct ydoc *d, yaml_node_t *root, const char *key, char ***out, size_t *n, char *err,
		     size_t errlen)
{
	yaml_node_t *v = ydoc_get(d, root, key);
	if (!v)
		return 0;
	size_t count = ydoc_is_seq(v) ? ydoc_len(v) : 1;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *h = ydoc_is_seq(v) ? ydoc_item(d, v, i) : v;
		if (!ydoc_is_scalar(h) || !ydoc_str(h)) {
			dbtp_seterr(err, errlen, "%s:%zu: '%s' needs SQL text or a list of them", d->path, ydoc_line(h), key);
			return -1;
		}
		PUSH(*out, *n, xstrdup(ydoc_str(h)));
	}
	return 0;
}

/* ---- Jinja in dbt_project.yml and schema files ---- */

static const char *const yaml_funcs[] = { "var", "env_var", NULL };

struct yaml_host {
	struct dbt_project *p;
	bool project_vars; /* var() sees dbt_project.yml's vars (schema files) */
};

static int yaml_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	struct yaml_host *yh = ud;
	if (strcmp(c->name, "env_var") == 0)
		return dbt_env_var(r, c, false, out);
	if (c->name[0] == '.')
		return tmpl_no_method(r, c);
	if (c->nargs < 1 || c->nargs > 2 || c->args[0].kind != TV_STR) {
		tmpl_fail(r, c->line, "var() takes a name and an optional default");
		return -1;
	}
	struct ydoc *saved = yh->p->project_doc, *d;
	yaml_node_t *node;
	if (!yh->project_vars) /* dbt_project.yml sees --vars only, as in dbt */
		yh->p->project_doc = NULL;
	bool found = find_var(yh->p, DBT_PKG_ROOT, c->args[0].s, &d, &node);
	yh->p->project_doc = saved;
	if (found)
		*out = dbtp_yaml_tval(r, d, node);
	else if (c->nargs == 2)
		*out = c->args[1];
	else {
		tmpl_fail(r, c->line, "var('%s') is not set (give it with --vars%s)", c->args[0].s,
			  yh->project_vars ? " or in dbt_project.yml" : "");
		return -1;
	}
	return 0;
}

static int yaml_global(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out)
{
	struct yaml_host *yh = ud;
	(void)line;
	if (strcmp(name, "target") != 0)
		return 1;
	*out = dbt_target_value(r, &yh->p->target);
	return 0;
}

static bool is_hook_name(const char *k)
{
	while (*k == '+' || *k == ' ')
		k++;
	return !strcmp(k, "pre-hook") || !strcmp(k, "post-hook") || !strcmp(k, "pre_hook") || !strcmp(k, "post_hook");
}

/* dbt_project.yml: what dbt renders later (hooks, vars) stays as is. */
static bool skip_project_key(void *ud, const char *const *k, size_t depth)
{
	(void)ud;
	if (depth == 0)
		return false;
	static const char *const later[] = { "on-run-start", "on-run-end", "query-comment", "vars" };
	for (size_t i = 0; i < 4; i++)
		if (!strcmp(k[0], later[i]))
			return true;
	static const char *const trees[] = { "models", "seeds", "snapshots", "tests", "data_tests" };
	for (size_t i = 0; i < 5; i++)
		if (!strcmp(k[0], trees[i]))
			return is_hook_name(k[depth - 1]);
	return false;
}

static bool key_in(const char *k, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(k, *set))
			return true;
	return false;
}

/* dbt's rule for an entry of a schema file (k relative to the entry):
 * tests, descriptions and hooks are rendered later, when they run. */
static bool entry_norender(const char *const *k, size_t n)
{
	static const char *const later[] = { "tests", "data_tests", "description", "loaded_at_query", NULL };
	static const char *const hooks[] = { "pre_hook", "post_hook", "pre-hook", "post-hook", "loaded_at_query", NULL };
	static const char *const cols[] = { "columns", "dimensions", "measures", "entities", NULL };
	static const char *const col_later[] = { "tests", "data_tests", "description", NULL };
	if (n >= 1 && key_in(k[0], later))
		return true;
	if (n == 2 && key_in(k[1], later))
		return true;
	if (n >= 2 && !strcmp(k[0], "config") && key_in(k[1], hooks))
		return true;
	if (n == 5 && !strcmp(k[4], "description"))
		return true;
	return n >= 3 && key_in(k[0], cols) && key_in(k[2], col_later);
}

/* A schema file: only the entries of models, seeds, snapshots, analyses
 * and sources are rendered (k[0] the list, k[1] "#", then the entry). */
static bool skip_schema_key(void *ud, const char *const *k, size_t depth)
{
	(void)ud;
	static const char *const lists[] = { "models", "seeds", "snapshots", "analyses", "sources", NULL };
	if (depth == 0)
		return false;
	if (!key_in(k[0], lists))
		return true;
	if (depth <= 2)
		return false;
	const char *const *e = k + 2;
	size_t n = depth - 2;
	if (strcmp(k[0], "sources") != 0)
		return entry_norender(e, n);
	if (!strcmp(e[0], "description") || !strcmp(e[0], "loaded_at_query"))
		return true;
	if (n >= 2 && !strcmp(e[0], "config") && !strcmp(e[1], "loaded_at_query"))
		return true;
	return !strcmp(e[0], "tables") && n > 2 && entry_norender(e + 2, n - 2);
}

static int render_yaml_node(struct dbt_project *p, struct ydoc *d, yaml_node_t *n, char *err, size_t errlen)
{
	struct yaml_host yh = { p, false };
	struct tmpl_host host = { yaml_call, NULL, &yh };
	return dbt_yaml_render(d, n, yaml_funcs, &host, NULL, NULL, err, errlen);
}

static int render_yaml(struct dbt_project *p, struct ydoc *d, bool project_file, char *err, size_t errlen)
{
	struct yaml_host yh = { p, !project_file };
	struct tmpl_host host = { yaml_call, yaml_global, &yh };
	return dbt_yaml_render(d, ydoc_root(d), yaml_funcs, &host, project_file ? skip_project_key : skip_schema_key,
			       NULL, err, errlen);
}

/* The profile (when there is one) and target, which dbt_project.yml's
 * Jinja may use: the profile's name is the project's profile: key, itself
 * rendered on its own first, as dbt does. */
static int load_profile(struct dbt_project *p, const struct dbt_options *o, char *err, size_t errlen)
{
	struct ydoc *d = p->project_doc;
	yaml_node_t *root = ydoc_root(d);
	yaml_node_t *pn = root && ydoc_is_map(root) ? ydoc_get(d, root, "profile") : NULL;
	if (pn && ydoc_is_scalar(pn) && render_yaml_node(p, d, pn, err, errlen))
		return -1;
	struct dbt_profile_opts po = {
		.profiles_dir = o->profiles_dir, .profile = o->profile, .target = o->target,
		.project_profile = pn && ydoc_str(pn) && *ydoc_str(pn) ? ydoc_str(pn) : NULL,
	};
	struct dbt_profile pr;
	int rc = dbt_profile_load(&pr, &po, err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		p->profile = xmalloc(sizeof *p->profile);
		*p->profile = pr;
		dbt_target_copy(&p->target, &pr.target);
		/* -d wins over the profile's database, there too */
		char *given = dbt_dbname_given(o->dbname);
		if (given) {
			free(p->target.dbname);
			p->target.dbname = given;
		}
	} else {
		dbt_target_from_libpq(&p->target, o->dbname);
	}
	return 0;
}

static int load_project_file(struct dbt_project *p, const struct dbt_options *o, char *err, size_t errlen)
{
	char *path = xasprintf("%s/dbt_project.yml", p->dir);
	struct ydoc *d = xrealloc(NULL, sizeof *d);
	if (ydoc_load(d, path, err, errlen)) {
		free(d);
		free(path);
		return -1;
	}
	free(path);
	p->project_doc = d;
	if (load_profile(p, o, err, errlen))
		return -1;
	yaml_node_t *ts0 = ydoc_root(d) ? ydoc_get(d, ydoc_root(d), "target-schema") : NULL;
	const char *target = o->target_schema ? o->target_schema :
			     p->profile ? p->target.schema :
			     ts0 && ydoc_str(ts0) && ydoc_str(ts0)[0] ? ydoc_str(ts0) : "analytics";
	p->target_schema = xstrdup(target);
	free(p->target.schema); /* target may point into it */
	p->target.schema = xstrdup(p->target_schema);
	if (render_yaml(p, d, true, err, errlen))
		return -1;
	yaml_node_t *root = ydoc_root(d);
	yaml_node_t *name = root ? ydoc_get(d, root, "name") : NULL;
	if (!root || !ydoc_is_map(root) || !name || !ydoc_str(name) || !ydoc_str(name)[0]) {
		dbtp_seterr(err, errlen, "%s:%zu: dbt_project.yml needs a 'name'", d->path, root ? ydoc_line(root) : 1);
		return -1;
	}
	p->name = xstrdup(ydoc_str(name));
	p->model_paths = yaml_str_list(d, ydoc_get(d, root, "model-paths"), "models", &p->nmodel_paths);
	p->seed_paths = yaml_str_list(d, ydoc_get(d, root, "seed-paths"), "seeds", &p->nseed_paths);
	p->test_paths = yaml_str_list(d, ydoc_get(d, root, "test-paths"), "tests", &p->ntest_paths);
	p->snapshot_paths = yaml_str_list(d, ydoc_get(d, root, "snapshot-paths"), "snapshots", &p->nsnapshot_paths);
	p->macro_paths = yaml_str_list(d, ydoc_get(d, root, "macro-paths"), "macros", &p->nmacro_paths);
	if (run_hooks(d, root, "on-run-start", &p->on_run_start, &p->non_run_start, err, errlen) ||
	    run_hooks(d, root, "on-run-end", &p->on_run_end, &p->non_run_end, err, errlen))
		return -1;
	return 0;
}

int dbt_project_load(struct dbt_project *p, const struct dbt_options *o, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	p->dir = xstrdup(o->dir ? o->dir : ".");
	size_t dl = strlen(p->dir);
	while (dl > 1 && p->dir[dl - 1] == '/')
		p->dir[--dl] = '\0';
	if (o->vars) { /* first: dbt_project.yml's Jinja may use them */
		p->cli_vars = xrealloc(NULL, sizeof *p->cli_vars);
		if (ydoc_load_string(p->cli_vars, "--vars", o->vars, strlen(o->vars), err, errlen)) {
			free(p->cli_vars);
			p->cli_vars = NULL;
			return -1;
		}
		yaml_node_t *r = ydoc_root(p->cli_vars);
		if (r && !ydoc_is_map(r)) {
			dbtp_seterr(err, errlen, "--vars: expected a mapping such as 'key: value'");
			return -1;
		}
	}
	if (load_project_file(p, o, err, errlen))
		return -1;

	/* macros: the project's, then the installed packages' */
	dbt_macros_init(&p->macros, p->name);
	for (size_t k = 0; k < p->nmacro_paths; k++)
		if (dbt_macros_load_dir(&p->macros, DBT_PKG_ROOT, p->dir, p->macro_paths[k], err, errlen))
			return -1;
	/* generic tests in <test-path>/generic/ are macros too, as in dbt */
	for (size_t k = 0; k < p->ntest_paths; k++) {
		char *g = xasprintf("%s/generic", p->test_paths[k]);
		int grc = dbt_macros_load_dir(&p->macros, DBT_PKG_ROOT, p->dir, g, err, errlen);
		free(g);
		if (grc)
			return -1;
	}
	if (dbt_macros_read_dispatch(&p->macros, p->project_doc,
				     ydoc_get(p->project_doc, ydoc_root(p->project_doc), "dispatch"), err, errlen) ||
	    dbt_packages_load(p, err, errlen))
		return -1;

	/* models, snapshots and their schema files, the project's and the
	 * packages' (with the path each is under) */
	struct yfiles y = { 0 };
	struct ydoc **ydocs = NULL;
	int rc = -1;
	struct origin root = { DBT_PKG_ROOT, p->name, p->dir };
	scan_nodes(p, &root, p->model_paths, p->nmodel_paths, p->seed_paths, p->nseed_paths, &y);
	for (size_t i = 0; i < p->npackages; i++) {
		struct dbt_package *pk = &p->packages[i];
		struct origin o = { pk->pkg, pk->name, pk->dir };
		scan_nodes(p, &o, pk->model_paths, pk->nmodel_paths, pk->seed_paths, pk->nseed_paths, &y);
	}
	for (size_t k = 0; k < p->nsnapshot_paths; k++) {
		char **files = NULL;
		size_t nf = 0;
		dbtp_walk_dir(p->dir, p->snapshot_paths[k], &files, &nf);
		for (size_t i = 0; i < nf; i++) {
			if (has_suffix(files[i], ".sql")) {
				if (scan_snapshot_file(p, &root, p->snapshot_paths[k], files[i], err, errlen)) {
					free_strs(files, nf);
					goto out;
				}
			} else if (has_suffix(files[i], ".yml") || has_suffix(files[i], ".yaml")) {
				yfiles_add(&y, &root, p->snapshot_paths[k], files[i]);
			}
		}
		free_strs(files, nf);
	}
	for (size_t k = 0; k < p->ntest_paths; k++) {
		char **files = NULL;
		size_t nf = 0;
		dbtp_walk_dir(p->dir, p->test_paths[k], &files, &nf);
		size_t bl = strlen(p->test_paths[k]);
		for (size_t i = 0; i < nf; i++) {
			/* generic/ holds the definitions of custom generic tests,
			 * and fixtures/ unit tests' rows: neither are tests */
			const char *under = strncmp(files[i], p->test_paths[k], bl) == 0 && files[i][bl] == '/' ?
						    files[i] + bl + 1 : files[i];
			if (has_suffix(files[i], ".sql") && strncmp(under, "generic/", 8) != 0 &&
			    strncmp(under, "fixtures/", 9) != 0)
				PUSH(p->singular_tests, p->nsingular, xasprintf("%s/%s", p->dir, files[i]));
		}
		free_strs(files, nf);
	}
	/* schema files: loaded first, since YAML snapshots are nodes that
	 * the folder defaults below apply to */
	ydocs = xcalloc(y.n ? y.n : 1, sizeof *ydocs);
	for (size_t i = 0; i < y.n; i++) {
		ydocs[i] = load_doc(p, y.full[i], err, errlen);
		if (!ydocs[i] || (y.root[i] && add_yaml_snapshots(p, &root, ydocs[i], y.rel[i], y.base[i], err, errlen)))
			goto out;
	}
	for (size_t i = 0; i < p->nnodes; i++)
		for (size_t j = i + 1; j < p->nnodes; j++)
			if (strcmp(p->nodes[i].name, p->nodes[j].name) == 0) {
				dbtp_seterr(err, errlen, "%s and %s: two nodes are called '%s'", p->nodes[i].path,
				       p->nodes[j].path, p->nodes[i].name);
				goto out;
			}

	/* folder defaults from dbt_project.yml */
	struct ydoc *pd = p->project_doc;
	yaml_node_t *models_tree = ydoc_get(pd, ydoc_root(pd), "models");
	yaml_node_t *seeds_tree = ydoc_get(pd, ydoc_root(pd), "seeds");
	yaml_node_t *snapshots_tree = ydoc_get(pd, ydoc_root(pd), "snapshots");
	for (size_t i = 0; i < p->nnodes; i++) {
		struct dbt_node *n = &p->nodes[i];
		/* a package's node: its own project's folder configs first,
		 * then the root project's (under the package's name); a config
		 * modelrun lacks is that node's error, snapshots included */
		struct dbt_package *pk = package_of(p, n->pkg);
		struct ydoc *kd = pk ? pk->doc : NULL;
		const char *key = n->kind == DBT_MODEL ? "models" : n->kind == DBT_SEED ? "seeds" : "snapshots";
		yaml_node_t *tree = n->kind == DBT_MODEL ? models_tree : n->kind == DBT_SEED ? seeds_tree : snapshots_tree;
		if ((kd && config_apply_tree(&n->cfg, kd, ydoc_get(kd, ydoc_root(kd), key), n->fqn, n->nfqn, err,
					     errlen)) ||
		    config_apply_tree(&n->cfg, pd, tree, n->fqn, n->nfqn, err, errlen)) {
			if (fatal_at_parse(err))
				goto out;
			node_error(p, i, err);
		}
	}
	/* schema files */
	for (size_t i = 0; i < y.n; i++) {
		struct ydoc *d = ydocs[i];
		yaml_node_t *root = ydoc_root(d);
		if (!root)
			continue;
		if (!ydoc_is_map(root)) {
			dbtp_seterr(err, errlen, "%s:%zu: a schema file must be a mapping", d->path, ydoc_line(root));
			goto out;
		}
		if (render_yaml(p, d, false, err, errlen))
			goto out;
		yaml_node_t *v;
		if ((v = ydoc_get(d, root, "sources")) && load_sources(p, d, v, err, errlen))
			goto out;
		if ((v = ydoc_get(d, root, "models")) && load_node_entries(p, d, v, DBT_MODEL, err, errlen))
			goto out;
		if ((v = ydoc_get(d, root, "seeds")) && load_node_entries(p, d, v, DBT_SEED, err, errlen))
			goto out;
		if ((v = ydoc_get(d, root, "snapshots")) && load_node_entries(p, d, v, DBT_SNAPSHOT, err, errlen))
			goto out;
	}
	/* unit tests, once every source is declared; the root project's only:
	 * a package's are its own (dbt runs them in the package's project) */
	for (size_t i = 0; i < y.n; i++) {
		yaml_node_t *v, *root = ydoc_root(ydocs[i]);
		if (y.root[i] && root && (v = ydoc_get(ydocs[i], root, "unit_tests")) &&
		    dbtu_load(p, ydocs[i], v, err, errlen))
			goto out;
	}
	/* model and snapshot files: template, static deps, parse-time render
	 * for config() */
	for (size_t i = 0; i < p->nnodes; i++)
		if (p->nodes[i].kind != DBT_SEED && !p->nodes[i].python && parse_model(p, i, err, errlen))
			goto out;
	if (dbtc_resolve(p, err, errlen))
		goto out;
	/* disabled nodes vanish, unless something still refers to them */
	for (size_t i = 0; i < p->nnodes; i++)
		for (size_t k = 0; k < p->nodes[i].nparents; k++) {
			struct dbt_node *t = &p->nodes[p->nodes[i].parents[k]];
			if (p->nodes[i].cfg.enabled && !t->cfg.enabled) {
				dbtp_seterr(err, errlen, "%s: refers to '%s', which is disabled", p->nodes[i].path, t->name);
				goto out;
			}
		}
	/* relation names; a snapshot's target_schema is the schema itself, as
	 * dbt has it */
	for (size_t i = 0; i < p->nnodes; i++) {
		struct dbt_node *n = &p->nodes[i];
		if (n->kind == DBT_SNAPSHOT) {
			n->cfg.materialized = MAT_SNAPSHOT;
			if (n->cfg.enabled && !n->error && check_snapshot(n, err, errlen))
				goto out;
		}
		if (dbtp_name_relation(p, i, err, errlen))
			goto out;
		if (n->kind == DBT_SNAPSHOT && n->cfg.snap.target_schema) {
			/* the schema itself, as dbt has it: no generate_schema_name */
			free(n->schema);
			free(n->relation);
			n->schema = xstrdup(n->cfg.snap.target_schema);
			n->relation = dbtp_quote_relation(n->schema, n->identifier);
		}
		if (n->kind == DBT_MODEL && n->cfg.materialized == MAT_SEED) {
			dbtp_seterr(err, errlen, "%s: materialized='seed' is for seeds only", n->path);
			goto out;
		}
	}
	for (size_t i = 0; i < p->nnodes; i++)
		for (size_t k = 0; k < p->nodes[i].nparents; k++) {
			struct dbt_node *t = &p->nodes[p->nodes[i].parents[k]];
			PUSH(t->children, t->nchildren, i);
		}
	/* order and cycles */
	p->order = xrealloc(NULL, p->nnodes * sizeof *p->order);
	unsigned char *state = calloc(p->nnodes ? p->nnodes : 1, 1);
	size_t *stack = xrealloc(NULL, (p->nnodes + 1) * sizeof *stack);
	size_t norder = 0;
	int bad = 0;
	for (size_t i = 0; i < p->nnodes && !bad; i++)
		bad = dfs(p, i, state, stack, 0, &norder, err, errlen);
	free(state);
	free(stack);
	if (bad)
		goto out;
	rc = 0;
out:
	yfiles_free(&y);
	free(ydocs);
	return rc;
}

void dbt_project_free(struct dbt_project *p)
{
	for (size_t i = 0; i < p->nnodes; i++) {
		struct dbt_node *n = &p->nodes[i];
		free(n->name);
		free(n->unique_id);
		free(n->path);
		free(n->file);
		free_strs(n->fqn, n->nfqn);
		tmpl_free(n->tmpl);
		config_free(&n->cfg);
		dbtc_node_free(n);
		free(n->schema);
		free(n->identifier);
		free(n->relation);
		free(n->parents);
		free(n->children);
		free(n->sources);
		free(n->text);
		free(n->error);
	}
	free(p->nodes);
	free(p->order);
	for (size_t i = 0; i < p->nsources; i++) {
		struct dbt_source *s = &p->sources[i];
		free(s->source_name);
		free(s->table_name);
		free(s->schema);
		free(s->identifier);
		free(s->relation);
		free(s->loaded_at_field);
		free(s->description);
		free(s->source_description);
		free(s->loader);
		dbtc_columns_free(s->columns, s->ncolumns);
	}
	free(p->sources);
	for (size_t i = 0; i < p->ntests; i++) {
		free(p->tests[i].column);
		free(p->tests[i].name);
	}
	free(p->tests);
	free_strs(p->singular_tests, p->nsingular);
	for (size_t i = 0; i < p->ndocs; i++) {
		ydoc_free(p->docs[i]);
		free(p->docs[i]);
	}
	free(p->docs);
	if (p->cli_vars) {
		ydoc_free(p->cli_vars);
		free(p->cli_vars);
	}
	if (p->project_doc) {
		ydoc_free(p->project_doc);
		free(p->project_doc);
	}
	dbtu_free(p);
	dbt_packages_free(p);
	dbt_macros_free(&p->macros);
	free_strs(p->macro_paths, p->nmacro_paths);
	free_strs(p->on_run_start, p->non_run_start);
	free_strs(p->on_run_end, p->non_run_end);
	free_strs(p->model_paths, p->nmodel_paths);
	free_strs(p->seed_paths, p->nseed_paths);
	free_strs(p->test_paths, p->ntest_paths);
	free_strs(p->snapshot_paths, p->nsnapshot_paths);
	free(p->dir);
	free(p->name);
	free(p->target_schema);
	if (p->profile) {
		dbt_profile_free(p->profile);
		free(p->profile);
	}
	dbt_target_free(&p->target);
	memset(p, 0, sizeof *p);
}

