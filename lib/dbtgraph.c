/* SPDX-License-Identifier: MIT
 * dbt's `graph` in templates: graph.nodes (models, seeds and snapshots,
 * keyed by unique_id) and graph.sources (keyed by source.pkg.src.table),
 * each node a dict with the fields dbt's flat graph gives it that user code
 * and packages read: unique_id, name, resource_type, package_name, path,
 * original_file_path, database, schema, alias, relation_name, fqn, tags,
 * config, description, columns (name, description, data_type, meta, tags),
 * meta, refs, sources, depends_on (nodes; macros left empty: modelrun does
 * not track which macros a node calls), language and raw_code. Tests are
 * not in graph.nodes here, nor disabled nodes (dbt keeps those apart too).
 *
 * While the project is parsed (dbt's execute false) dbt's graph is empty;
 * here its dicts are there and empty, so that a loop over
 * graph.nodes.values() without an `if execute` guard runs no times, as it
 * does in dbt (whose parse forgives what it reads of an empty graph). The
 * values are built from the loaded project the first time a render looks
 * `graph` up, and kept for the rest of that render. */
#include "dbtproject.h"
#include "dbtproject_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ydoc.h"
#include "xalloc.h"

/* A dict of at most cap pairs, filled with put(). */
static struct tval dict_cap(struct tmpl_render *r, size_t cap)
{
	return (struct tval){ .kind = TV_DICT, .items = tval_alloc(r, cap), .keys = tval_alloc_keys(r, cap) };
}

static void put(struct tval *d, const char *key, struct tval v)
{
	d->keys[d->n] = key;
	d->items[d->n++] = v;
}

static struct tval strs(struct tmpl_render *r, char *const *v, size_t n)
{
	struct tval l = tval_list_new(r, n);
	for (size_t i = 0; i < n; i++)
		l.items[i] = tval_str_or_none(r, v[i]);
	return l;
}

static struct tval boolean(bool b)
{
	return (struct tval){ .kind = TV_BOOL, .b = b };
}

/* A JSON text (meta: as the project keeps it) as a value; {} for none. */
static struct tval json_value(struct tmpl_render *r, const char *json)
{
	struct ydoc d;
	char err[256];
	if (!json || ydoc_load_string(&d, "meta", json, strlen(json), err, sizeof err) != 0)
		return tval_dict_new(r, 0);
	yaml_node_t *root = ydoc_root(&d);
	struct tval v = root ? dbtp_yaml_tval(r, &d, root) : tval_dict_new(r, 0);
	ydoc_free(&d);
	return v;
}

const char *dbt_path_below(char *const *bases, size_t nbases, const char *path)
{
	for (size_t i = 0; i < nbases; i++) {
		size_t l = strlen(bases[i]);
		if (strncmp(path, bases[i], l) == 0 && path[l] == '/')
			return path + l + 1;
	}
	return path;
}

/* "database"."schema"."identifier" from a quoted "schema"."identifier". */
static struct tval relation_name(struct tmpl_render *r, const struct dbt_project *p, const char *relation)
{
	if (!p->target.dbname)
		return tval_str_or_none(r, relation);
	char *q = dbt_quote_ident(p->target.dbname);
	char *full = xasprintf("%s.%s", q, relation);
	struct tval v = tval_str_or_none(r, full);
	free(full);
	free(q);
	return v;
}

static struct tval columns_value(struct tmpl_render *r, const struct dbt_column *cols, size_t n)
{
	struct tval d = dict_cap(r, n);
	for (size_t i = 0; i < n; i++) {
		const struct dbt_column *c = &cols[i];
		struct tval col = dict_cap(r, 7);
		put(&col, "name", tval_str_or_none(r, c->name));
		put(&col, "description", tval_str_or_none(r, c->description ? c->description : ""));
		put(&col, "meta", json_value(r, c->meta));
		put(&col, "data_type", tval_str_or_none(r, c->data_type));
		put(&col, "constraints", tval_list_new(r, 0));
		put(&col, "quote", c->quote ? boolean(true) : (struct tval){ .kind = TV_NONE });
		put(&col, "tags", strs(r, c->tags, c->ntags));
		put(&d, c->name, col);
	}
	return d;
}

/* config.meta: its keys and JSON values, as the project merged them. */
static struct tval meta_value(struct tmpl_render *r, char *const *pairs, size_t n)
{
	struct tval d = dict_cap(r, n);
	for (size_t i = 0; i < n; i++)
		put(&d, pairs[2 * i], json_value(r, pairs[2 * i + 1]));
	return d;
}

static struct tval config_value(struct tmpl_render *r, const struct dbt_node *n)
{
	static const char *const osc[] = { "ignore", "fail", "append_new_columns", "sync_all_columns" };
	const struct dbt_config *c = &n->cfg;
	struct tval d = dict_cap(r, 12);
	put(&d, "enabled", boolean(c->enabled));
	put(&d, "alias", tval_str_or_none(r, c->alias));
	put(&d, "schema", tval_str_or_none(r, c->schema));
	put(&d, "database", (struct tval){ .kind = TV_NONE });
	put(&d, "tags", strs(r, c->tags, c->ntags));
	put(&d, "meta", meta_value(r, c->meta, c->nmeta));
	put(&d, "materialized", tval_str_or_none(r, dbt_mat_name(c->materialized)));
	/* as written, as dbt's config has it: none unless a level set it */
	const char *strategy = NULL;
	for (size_t i = 0; i < c->nunrendered; i++)
		if (strcmp(c->unrendered[2 * i], "incremental_strategy") == 0)
			strategy = c->unrendered[2 * i + 1];
	put(&d, "incremental_strategy", strategy ? json_value(r, strategy) : (struct tval){ .kind = TV_NONE });
	put(&d, "unique_key", c->nunique == 1 ? tval_str_or_none(r, c->unique_key[0]) :
			      c->nunique ? strs(r, c->unique_key, c->nunique) : (struct tval){ .kind = TV_NONE });
	put(&d, "full_refresh", c->full_refresh < 0 ? (struct tval){ .kind = TV_NONE } : boolean(c->full_refresh));
	put(&d, "on_schema_change", tval_str_or_none(r, osc[c->on_schema_change]));
	put(&d, "persist_docs", tval_dict_new(r, 0));
	return d;
}

/* The model, seed and snapshot paths node n's path is under. */
static void node_bases(const struct dbt_project *p, const struct dbt_node *n, char *const **bases, size_t *nbases)
{
	const struct dbt_package *pkg = NULL;
	for (size_t k = 0; k < p->npackages && n->pkg != DBT_PKG_ROOT; k++)
		if (p->packages[k].pkg == n->pkg)
			pkg = &p->packages[k];
	if (n->kind == DBT_SEED) {
		*bases = pkg ? pkg->seed_paths : p->seed_paths;
		*nbases = pkg ? pkg->nseed_paths : p->nseed_paths;
	} else if (n->kind == DBT_SNAPSHOT && !pkg) {
		*bases = p->snapshot_paths;
		*nbases = p->nsnapshot_paths;
	} else {
		*bases = pkg ? pkg->model_paths : p->model_paths;
		*nbases = pkg ? pkg->nmodel_paths : p->nmodel_paths;
	}
}

static struct tval source_id(struct tmpl_render *r, const struct dbt_project *p, const struct dbt_source *s)
{
	char *id = xasprintf("source.%s.%s.%s", p->name, s->source_name, s->table_name);
	struct tval v = tval_str_or_none(r, id);
	free(id);
	return v;
}

static struct tval node_value(struct tmpl_render *r, const struct dbt_project *p, const struct dbt_node *n)
{
	static const char *const types[] = { "model", "seed", "snapshot" };
	char *const *bases;
	size_t nbases;
	node_bases(p, n, &bases, &nbases);
	struct tval d = dict_cap(r, 24);
	put(&d, "database", tval_str_or_none(r, p->target.dbname));
	put(&d, "schema", tval_str_or_none(r, n->schema));
	put(&d, "name", tval_str_or_none(r, n->name));
	put(&d, "resource_type", tval_str_or_none(r, types[n->kind]));
	put(&d, "package_name", tval_str_or_none(r, n->fqn[0]));
	put(&d, "path", tval_str_or_none(r, dbt_path_below(bases, nbases, n->path)));
	put(&d, "original_file_path", tval_str_or_none(r, n->path));
	put(&d, "unique_id", tval_str_or_none(r, n->unique_id));
	put(&d, "fqn", strs(r, n->fqn, n->nfqn));
	put(&d, "alias", tval_str_or_none(r, n->identifier));
	put(&d, "config", config_value(r, n));
	put(&d, "tags", strs(r, n->cfg.tags, n->cfg.ntags));
	put(&d, "description", tval_str_or_none(r, n->description ? n->description : ""));
	put(&d, "columns", columns_value(r, n->columns, n->ncolumns));
	put(&d, "meta", meta_value(r, n->cfg.meta, n->cfg.nmeta));
	bool ephemeral = n->cfg.materialized == MAT_EPHEMERAL;
	put(&d, "relation_name", ephemeral || !n->relation ? (struct tval){ .kind = TV_NONE } :
							     relation_name(r, p, n->relation));
	put(&d, "raw_code", tval_str_or_none(r, n->tmpl ? tmpl_source(n->tmpl) : n->text ? n->text : ""));
	struct tval depends = dict_cap(r, 2);
	put(&depends, "macros", tval_list_new(r, 0));
	if (n->kind == DBT_SEED) {
		/* a seed reads nothing: dbt gives it no refs and no
		 * depends_on.nodes; the empty list here keeps a loop over
		 * every node's depends_on.nodes going, as Jinja's undefined
		 * does in dbt, where modelrun fails on a missing attribute */
		put(&depends, "nodes", tval_list_new(r, 0));
		put(&d, "depends_on", depends);
		return d;
	}
	put(&d, "language", tval_str_or_none(r, n->python ? "python" : "sql"));
	/* what it reads: refs as {name, package, version}, sources as
	 * [source, table], and both in depends_on.nodes, sources first */
	struct tval refs = tval_list_new(r, n->nparents), srcs = tval_list_new(r, n->nsources);
	struct tval deps = tval_list_new(r, n->nsources + n->nparents);
	for (size_t k = 0; k < n->nsources; k++) {
		const struct dbt_source *s = &p->sources[n->sources[k]];
		srcs.items[k] = tval_list_new(r, 2);
		srcs.items[k].items[0] = tval_str_or_none(r, s->source_name);
		srcs.items[k].items[1] = tval_str_or_none(r, s->table_name);
		deps.items[k] = source_id(r, p, s);
	}
	for (size_t k = 0; k < n->nparents; k++) {
		const struct dbt_node *parent = &p->nodes[n->parents[k]];
		refs.items[k] = dict_cap(r, 3);
		put(&refs.items[k], "name", tval_str_or_none(r, parent->name));
		put(&refs.items[k], "package", (struct tval){ .kind = TV_NONE });
		put(&refs.items[k], "version", (struct tval){ .kind = TV_NONE });
		deps.items[n->nsources + k] = tval_str_or_none(r, parent->unique_id);
	}
	put(&d, "refs", refs);
	put(&d, "sources", srcs);
	put(&depends, "nodes", deps);
	put(&d, "depends_on", depends);
	return d;
}

static struct tval source_value(struct tmpl_render *r, const struct dbt_project *p, const struct dbt_source *s)
{
	/* the schema file's path relative to the project, and the folders it
	 * is in below the model path, which dbt puts in the fqn */
	const char *rel = s->doc->path;
	size_t l = strlen(p->dir);
	if (strncmp(rel, p->dir, l) == 0 && rel[l] == '/')
		rel += l + 1;
	const char *under = dbt_path_below(p->model_paths, p->nmodel_paths, rel);
	size_t nfold = 0;
	for (const char *q = under; (q = strchr(q, '/')); q++)
		nfold++;
	struct tval fqn = tval_list_new(r, nfold + 3);
	fqn.items[0] = tval_str_or_none(r, p->name);
	const char *q = under;
	for (size_t k = 0; k < nfold; k++) {
		const char *e = strchr(q, '/');
		fqn.items[k + 1] = tval_str(r, q, (size_t)(e - q));
		q = e + 1;
	}
	fqn.items[nfold + 1] = tval_str_or_none(r, s->source_name);
	fqn.items[nfold + 2] = tval_str_or_none(r, s->table_name);
	struct tval d = dict_cap(r, 22);
	put(&d, "database", tval_str_or_none(r, p->target.dbname));
	put(&d, "schema", tval_str_or_none(r, s->schema));
	put(&d, "name", tval_str_or_none(r, s->table_name));
	put(&d, "resource_type", tval_str_or_none(r, "source"));
	put(&d, "package_name", tval_str_or_none(r, p->name));
	put(&d, "path", tval_str_or_none(r, rel));
	put(&d, "original_file_path", tval_str_or_none(r, rel));
	put(&d, "unique_id", source_id(r, p, s));
	put(&d, "fqn", fqn);
	put(&d, "source_name", tval_str_or_none(r, s->source_name));
	put(&d, "source_description", tval_str_or_none(r, s->source_description ? s->source_description : ""));
	put(&d, "loader", tval_str_or_none(r, s->loader ? s->loader : ""));
	put(&d, "identifier", tval_str_or_none(r, s->identifier));
	put(&d, "loaded_at_field", tval_str_or_none(r, s->loaded_at_field));
	put(&d, "description", tval_str_or_none(r, s->description ? s->description : ""));
	put(&d, "columns", columns_value(r, s->columns, s->ncolumns));
	put(&d, "meta", tval_dict_new(r, 0));
	put(&d, "source_meta", tval_dict_new(r, 0));
	put(&d, "tags", tval_list_new(r, 0));
	struct tval cfg = dict_cap(r, 3);
	put(&cfg, "enabled", boolean(true));
	put(&cfg, "tags", tval_list_new(r, 0));
	put(&cfg, "meta", tval_dict_new(r, 0));
	put(&d, "config", cfg);
	put(&d, "relation_name", relation_name(r, p, s->relation));
	return d;
}

/* The order dbt's manifest has its nodes in: the root project's, then
 * each package's; in each, models, snapshots, then seeds; by path. */
struct node_key {
	size_t pkg;
	int kind;
	const char *path;
	size_t i;
};

static int cmp_node_key(const void *a, const void *b)
{
	const struct node_key *x = a, *y = b;
	if (x->pkg != y->pkg)
		return x->pkg == DBT_PKG_ROOT ? -1 : y->pkg == DBT_PKG_ROOT ? 1 : x->pkg < y->pkg ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->path, y->path);
}

static struct tval nodes_value(struct tmpl_render *r, const struct dbt_project *p)
{
	static const int rank[] = { [DBT_MODEL] = 0, [DBT_SNAPSHOT] = 1, [DBT_SEED] = 2 };
	struct node_key *keys = xmalloc((p->nnodes ? p->nnodes : 1) * sizeof *keys);
	size_t n = 0;
	for (size_t i = 0; i < p->nnodes; i++)
		if (p->nodes[i].cfg.enabled)
			keys[n++] = (struct node_key){ p->nodes[i].pkg, rank[p->nodes[i].kind], p->nodes[i].path, i };
	qsort(keys, n, sizeof *keys, cmp_node_key);
	struct tval d = dict_cap(r, n);
	for (size_t k = 0; k < n; k++)
		put(&d, p->nodes[keys[k].i].unique_id, node_value(r, p, &p->nodes[keys[k].i]));
	free(keys);
	return d;
}

int dbtg_global(struct host_state *h, struct tmpl_render *r, const char *name, struct tval *out)
{
	static const char *const keys[] = { "exposures", "functions", "groups", "metrics", "nodes", "sources",
					     "semantic_models", "saved_queries" };
	if (strcmp(name, "graph") != 0)
		return 1;
	if (h->graph_of == r) { /* graph.nodes[k] in a loop reads it often */
		*out = h->graph;
		return 0;
	}
	const struct dbt_project *p = h->p;
	*out = dict_cap(r, sizeof keys / sizeof *keys);
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		put(out, keys[i], tval_dict_new(r, 0));
	if (h->parsing)
		return 0;
	struct tval sources = dict_cap(r, p->nsources);
	for (size_t i = 0; i < p->nsources; i++)
		put(&sources, source_id(r, p, &p->sources[i]).s, source_value(r, p, &p->sources[i]));
	out->items[4] = nodes_value(r, p);
	out->items[5] = sources;
	h->graph_of = r;
	h->graph = *out;
	return 0;
}
