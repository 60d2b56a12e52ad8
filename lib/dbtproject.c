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
#include "json.h"
#include "log.h"
#include "xalloc.h"

/* ---- small helpers ---- */

#define PUSH(arr, n, v)                                               \
	do {                                                          \
		(arr) = xrealloc((arr), ((n) + 1) * sizeof *(arr));   \
		(arr)[(n)++] = (v);                                   \
	} while (0)

static void free_strs(char **v, size_t n)
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
	static const char *const names[] = { "view", "table", "incremental", "ephemeral", "seed", "materialized_view" };
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

static int cmp_str(const void *a, const void *b)
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
static void walk_dir(const char *projdir, const char *rel, char ***out, size_t *n)
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
			walk_dir(projdir, r, out, n);
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
	"grants", "contract", "database", "incremental_predicates", "full_refresh", NULL,
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

static void config_free(struct dbt_config *c)
{
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
		return 0;
	}
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
	if (strcmp(key, "indexes") == 0 || strcmp(key, "column_types") == 0)
		return 1; /* structured: the caller handles it */
	/* Everything else (docs, meta, description, persist_docs, quoting, ...)
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

static int config_set_yaml(struct dbt_config *c, const char *key, struct ydoc *d, yaml_node_t *n,
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
	if (strcmp(key, "indexes") == 0)
		return yaml_indexes(c, d, n, w, err, errlen);
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
		} else if (strcmp(k, "column_types") == 0 || strcmp(k, "config") == 0) {
			if (config_set_yaml(c, k, d, v, err, errlen))
				return -1;
		}
	}
	return deeper ? config_apply_tree(c, d, deeper, fqn + 1, nfqn - 1, err, errlen) : 0;
}

/* ---- loading ---- */

static char **yaml_str_list(struct ydoc *d, yaml_node_t *n, const char *dflt, size_t *count)
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
 * config: as dbt 1.10 writes it. */
static const char *loaded_at_field(struct ydoc *d, yaml_node_t *entry)
{
	const char *f = ydoc_str(ydoc_get(d, entry, "loaded_at_field"));
	return f ? f : ydoc_str(ydoc_get(d, ydoc_get(d, entry, "config"), "loaded_at_field"));
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
		const char *laf = loaded_at_field(d, s);
		for (size_t j = 0; tables && ydoc_is_seq(tables) && j < ydoc_len(tables); j++) {
			yaml_node_t *t = ydoc_item(d, tables, j);
			yaml_node_t *tn = ydoc_get(d, t, "name"), *ident = ydoc_get(d, t, "identifier");
			const char *tlaf = loaded_at_field(d, t);
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
			const char *lf = tlaf ? tlaf : laf;
			src.loaded_at_field = lf ? xstrdup(lf) : NULL;
			src.doc = d;
			src.node = t;
			PUSH(p->sources, p->nsources, src);
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
		       kind == DBT_MODEL ? "models" : "seeds");
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
		if (idx < 0 || p->nodes[idx].kind != kind) {
			log_warn("%s:%zu: %s '%s' is described but there is no such %s", d->path, ydoc_line(name),
				 kind == DBT_MODEL ? "model" : "seed", ydoc_str(name), kind == DBT_MODEL ? "model" : "seed");
			continue;
		}
		yaml_node_t *cfg = ydoc_get(d, m, "config");
		if (cfg && config_apply_map(&p->nodes[idx].cfg, d, cfg, err, errlen))
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

/* Adds a node for the file at rel (under the path base) of project o. */
static void add_node(struct dbt_project *p, const struct origin *o, enum dbt_kind kind, const char *base,
		     const char *rel, const char *ext)
{
	struct dbt_node n = { 0 };
	n.kind = kind;
	n.pkg = o->pkg;
	n.path = xstrdup(rel);
	n.file = strcmp(o->dir, ".") == 0 ? xstrdup(rel) : xasprintf("%s/%s", o->dir, rel);
	const char *slash = strrchr(rel, '/');
	const char *fname = slash ? slash + 1 : rel;
	n.name = xstrdup(fname);
	n.name[strlen(fname) - strlen(ext)] = '\0';
	n.unique_id = xasprintf("%s.%s.%s", kind == DBT_MODEL ? "model" : "seed", o->name, n.name);
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
	PUSH(n.fqn, n.nfqn, xstrdup(n.name));
	n.cfg.enabled = true;
	n.cfg.materialized = kind == DBT_SEED ? MAT_SEED : MAT_VIEW;
	PUSH(p->nodes, p->nnodes, n);
}

/* The models and seeds of project o, and its schema files (full paths
 * added to ymls). */
static void scan_nodes(struct dbt_project *p, const struct origin *o, char **model_paths, size_t nmodel,
		       char **seed_paths, size_t nseed, char ***ymls, size_t *nymls)
{
	for (int seeds = 0; seeds < 2; seeds++) {
		char **paths = seeds ? seed_paths : model_paths;
		size_t npaths = seeds ? nseed : nmodel;
		for (size_t k = 0; k < npaths; k++) {
			char **files = NULL;
			size_t nf = 0;
			walk_dir(o->dir, paths[k], &files, &nf);
			for (size_t i = 0; i < nf; i++) {
				if (has_suffix(files[i], seeds ? ".csv" : ".sql"))
					add_node(p, o, seeds ? DBT_SEED : DBT_MODEL, paths[k], files[i],
						 seeds ? ".csv" : ".sql");
				else if (has_suffix(files[i], ".yml") || has_suffix(files[i], ".yaml"))
					PUSH(*ymls, *nymls, xasprintf("%s/%s", o->dir, files[i]));
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

/* A relation value: prints as "schema"."identifier" and has the
 * attributes dbt's Relation has in templates. */
struct tval dbtp_relation_value(struct tmpl_render *r, const char *rel, const char *schema, const char *ident)
{
	struct tval v = tval_str(r, rel, strlen(rel));
	static const char *const keys[] = { "schema", "identifier", "name", "table", "database", "metadata",
					     "is_table", "is_view" };
	const size_t n = sizeof keys / sizeof *keys;
	const char *db = getenv("PGDATABASE");
	v.nattr = n;
	v.keys = tval_alloc_keys(r, n);
	v.items = tval_alloc(r, n);
	for (size_t i = 0; i < n; i++)
		v.keys[i] = keys[i];
	for (size_t i = 0; i < 4; i++) {
		const char *s = i == 0 ? schema : ident;
		v.items[i] = tval_str(r, s, strlen(s));
	}
	v.items[4] = tval_str(r, db ? db : "", db ? strlen(db) : 0);
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
	return (struct dbt_ctx){ &h->p->macros, local_pkg(h), h->p->target_schema, !h->parsing };
}

/* Parses a template of the project (a model, hook or test) that may call
 * the project's macros, as a node of package pkg sees them. */
struct tmpl *dbtp_parse(const struct dbt_project *p, size_t pkg, const char *file, const char *text,
			      size_t len, char *err, size_t errlen)
{
	struct dbt_ctx x = { &p->macros, pkg, p->target_schema, false };
	struct tmpl_names names = { .funcs = dbt_host_functions, .known = dbt_ctx_known, .ud = &x };
	return tmpl_parse_names(file, text, len, &names, err, errlen);
}

int dbtp_host_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	struct host_state *h = ud;
	struct dbt_project *p = h->p;
	struct dbt_node *n = h->node == NO_NODE ? NULL : &p->nodes[h->node];
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
			add_parent_name(n, (size_t)idx);
			*out = dbtp_relation_value(r, name, h->p->target_schema, name);
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
		if (t->kind == DBT_MODEL && t->cfg.materialized == MAT_EPHEMERAL) {
			const char *s = h->opts && h->opts->ephemeral ? h->opts->ephemeral(h->opts->ud, (size_t)idx) : NULL;
			char buf[512];
			if (!s) {
				snprintf(buf, sizeof buf, "__dbt__cte__%s", t->name);
				s = buf;
			}
			*out = tval_str(r, s, strlen(s));
			return 0;
		}
		*out = dbtp_relation_value(r, t->relation, t->schema, t->identifier);
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
		if (h->parsing) {
			bool seen = false;
			for (size_t i = 0; i < n->nsources; i++)
				seen |= n->sources[i] == (size_t)idx;
			if (!seen)
				PUSH(n->sources, n->nsources, (size_t)idx);
		}
		const struct dbt_source *src = &p->sources[idx];
		*out = dbtp_relation_value(r, src->relation, src->schema, src->identifier);
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
	if (strcmp(c->name, "is_incremental") == 0) {
		if (!want_args(r, c, 0, 0))
			return -1;
		*out = (struct tval){ .kind = TV_BOOL, .b = !h->parsing && h->opts && h->opts->incremental };
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
		if (h->parsing && n)
			for (size_t i = 0; i < c->nkw; i++)
				if (config_set_tval(r, c, &n->cfg, c->kwnames[i], &c->kwargs[i]))
					return -1;
		*out = tval_str(r, "", 0);
		return 0;
	}
	if (strcmp(c->name, "statement") == 0 || strcmp(c->name, "load_result") == 0 ||
	    strcmp(c->name, "run_query") == 0 || strcmp(c->name, "adapter.get_columns_in_relation") == 0)
		return dbtp_call_query(h, r, c, out);
	struct dbt_ctx x = ctx_of(h);
	int rc = dbt_ctx_call(&x, r, c, out);
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
						   dbtp_relation_value(r, m->relation, m->schema, m->identifier);
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
		return dbt_ctx_global(&x, r, name, line, out);
	}
	const struct dbt_node *n = &h->p->nodes[h->node];
	if (!n->relation) /* parse time: relation names come later */
		*out = dbtp_relation_value(r, n->name, h->p->target_schema, n->name);
	else
		*out = dbtp_relation_value(r, n->relation, n->schema, n->identifier);
	return 0;
}

/* An error in a macro names the macro's file: say which model called it,
 * as dbt's "in model x (models/x.sql)". */
static void name_the_model(const struct dbt_node *n, char *err, size_t errlen)
{
	size_t fl = strlen(n->file);
	if (strncmp(err, n->file, fl) == 0 && err[fl] == ':')
		return;
	char *msg = xasprintf("%s (in %s %s)", err, n->kind == DBT_MODEL ? "model" : "seed", n->file);
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
	*sql = NULL;
	const struct dbt_node *n = &p->nodes[node];
	struct tmpl *t = dbtp_parse(p, n->pkg, n->file, text, strlen(text), err, errlen);
	if (!t)
		return -1;
	struct dbt_render_opts o = { .incremental = incremental };
	struct host_state h = { .p = (struct dbt_project *)p, .node = node, .opts = &o, .any_ref = true };
	struct tmpl_host host = { dbtp_host_call, dbtp_host_global, &h };
	int rc = tmpl_render(t, &host, sql, NULL, err, errlen);
	tmpl_free(t);
	return rc;
}

int dbt_render_text(const struct dbt_project *p, const char *file, const char *text, size_t len,
		    char **sql, char *err, size_t errlen)
{
	*sql = NULL;
	struct tmpl *t = dbtp_parse(p, DBT_PKG_ROOT, file, text, len, err, errlen);
	if (!t)
		return -1;
	struct dbt_render_opts o = { 0 };
	struct host_state h = { .p = (struct dbt_project *)p, .node = NO_NODE, .opts = &o };
	struct tmpl_host host = { dbtp_host_call, dbtp_host_global, &h };
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
	p->macro_paths = yaml_str_list(d, ydoc_get(d, root, "macro-paths"), "macros", &p->nmacro_paths);
	yaml_node_t *ts = ydoc_get(d, root, "target-schema");
	const char *target = o->target_schema ? o->target_schema :
			     ts && ydoc_str(ts) && ydoc_str(ts)[0] ? ydoc_str(ts) : "analytics";
	p->target_schema = xstrdup(target);
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
	if (load_project_file(p, o, err, errlen))
		return -1;
	if (o->vars) {
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

	/* macros: the project's, then the installed packages' */
	dbt_macros_init(&p->macros, p->name);
	for (size_t k = 0; k < p->nmacro_paths; k++)
		if (dbt_macros_load_dir(&p->macros, DBT_PKG_ROOT, p->dir, p->macro_paths[k], err, errlen))
			return -1;
	/* generic tests in <test-path>/generic/ are macros too, as in dbt */
	for (size_t k = 0; k < p->ntest_paths; k++) {
		char *g = xasprintf("%s/generic", p->test_paths[k]);
		int rc = dbt_macros_load_dir(&p->macros, DBT_PKG_ROOT, p->dir, g, err, errlen);
		free(g);
		if (rc)
			return -1;
	}
	if (dbt_macros_read_dispatch(&p->macros, p->project_doc,
				     ydoc_get(p->project_doc, ydoc_root(p->project_doc), "dispatch"), err, errlen) ||
	    dbt_packages_load(p, err, errlen))
		return -1;

	/* models and their schema files, the project's and the packages' */
	char **ymls = NULL;
	size_t nymls = 0;
	struct origin root = { DBT_PKG_ROOT, p->name, p->dir };
	scan_nodes(p, &root, p->model_paths, p->nmodel_paths, p->seed_paths, p->nseed_paths, &ymls, &nymls);
	for (size_t i = 0; i < p->npackages; i++) {
		struct dbt_package *pk = &p->packages[i];
		struct origin o = { pk->pkg, pk->name, pk->dir };
		scan_nodes(p, &o, pk->model_paths, pk->nmodel_paths, pk->seed_paths, pk->nseed_paths, &ymls, &nymls);
	}
	for (size_t k = 0; k < p->ntest_paths; k++) {
		char **files = NULL;
		size_t nf = 0;
		walk_dir(p->dir, p->test_paths[k], &files, &nf);
		size_t bl = strlen(p->test_paths[k]);
		for (size_t i = 0; i < nf; i++) {
			/* generic/ holds the definitions of custom generic tests,
			 * which are not tests themselves */
			const char *under = strncmp(files[i], p->test_paths[k], bl) == 0 && files[i][bl] == '/' ?
						    files[i] + bl + 1 : files[i];
			if (has_suffix(files[i], ".sql") && strncmp(under, "generic/", 8) != 0)
				PUSH(p->singular_tests, p->nsingular, xasprintf("%s/%s", p->dir, files[i]));
		}
		free_strs(files, nf);
	}
	int rc = -1;
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
	for (size_t i = 0; i < p->nnodes; i++) {
		struct dbt_node *n = &p->nodes[i];
		/* a package's node: its own project's folder configs first,
		 * then the root project's (under the package's name) */
		struct dbt_package *pk = package_of(p, n->pkg);
		struct ydoc *kd = pk ? pk->doc : NULL;
		if (kd && config_apply_tree(&n->cfg, kd, ydoc_get(kd, ydoc_root(kd), n->kind == DBT_MODEL ? "models" : "seeds"),
					    n->fqn, n->nfqn, err, errlen))
			goto out;
		if (config_apply_tree(&n->cfg, pd, n->kind == DBT_MODEL ? models_tree : seeds_tree, n->fqn, n->nfqn,
				      err, errlen))
			goto out;
	}
	/* schema files */
	for (size_t i = 0; i < nymls; i++) {
		struct ydoc *d = load_doc(p, ymls[i], err, errlen);
		if (!d)
			goto out;
		yaml_node_t *root = ydoc_root(d);
		if (!root)
			continue;
		if (!ydoc_is_map(root)) {
			dbtp_seterr(err, errlen, "%s:%zu: a schema file must be a mapping", d->path, ydoc_line(root));
			goto out;
		}
		yaml_node_t *v;
		if ((v = ydoc_get(d, root, "sources")) && load_sources(p, d, v, err, errlen))
			goto out;
		if ((v = ydoc_get(d, root, "models")) && load_node_entries(p, d, v, DBT_MODEL, err, errlen))
			goto out;
		if ((v = ydoc_get(d, root, "seeds")) && load_node_entries(p, d, v, DBT_SEED, err, errlen))
			goto out;
	}
	/* model files: template, static deps, parse-time render for config() */
	for (size_t i = 0; i < p->nnodes; i++) {
		struct dbt_node *n = &p->nodes[i];
		if (n->kind != DBT_MODEL)
			continue;
		char *text;
		size_t len;
		if (read_file(n->file, &text, &len, err, errlen))
			goto out;
		n->tmpl = dbtp_parse(p, n->pkg, n->file, text, len, err, errlen);
		free(text);
		if (!n->tmpl)
			goto out;
		struct static_state ss = { p, i, err, errlen };
		if (tmpl_calls(n->tmpl, "ref", visit_ref, &ss) || tmpl_calls(n->tmpl, "source", visit_source, &ss))
			goto out;
		struct host_state h = { .p = p, .node = i, .parsing = true };
		struct tmpl_host host = { dbtp_host_call, dbtp_host_global, &h };
		char *sql;
		if (tmpl_render(n->tmpl, &host, &sql, NULL, err, errlen)) {
			name_the_model(n, err, errlen);
			goto out;
		}
		free(sql);
	}
	/* disabled nodes vanish, unless something still refers to them */
	for (size_t i = 0; i < p->nnodes; i++)
		for (size_t k = 0; k < p->nodes[i].nparents; k++) {
			struct dbt_node *t = &p->nodes[p->nodes[i].parents[k]];
			if (p->nodes[i].cfg.enabled && !t->cfg.enabled) {
				dbtp_seterr(err, errlen, "%s: refers to '%s', which is disabled", p->nodes[i].path, t->name);
				goto out;
			}
		}
	/* relation names */
	for (size_t i = 0; i < p->nnodes; i++) {
		struct dbt_node *n = &p->nodes[i];
		if (dbtp_name_relation(p, i, err, errlen))
			goto out;
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
	free_strs(ymls, nymls);
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
		free(n->schema);
		free(n->identifier);
		free(n->relation);
		free(n->parents);
		free(n->children);
		free(n->sources);
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
	dbt_packages_free(p);
	dbt_macros_free(&p->macros);
	free_strs(p->macro_paths, p->nmacro_paths);
	free_strs(p->on_run_start, p->non_run_start);
	free_strs(p->on_run_end, p->non_run_end);
	free_strs(p->model_paths, p->nmodel_paths);
	free_strs(p->seed_paths, p->nseed_paths);
	free_strs(p->test_paths, p->ntest_paths);
	free(p->dir);
	free(p->name);
	free(p->target_schema);
	memset(p, 0, sizeof *p);
}

