/* SPDX-License-Identifier: MIT
 * --state DIR: the nodes compared with the manifest.json an earlier run
 * wrote there (modelrun's, or dbt's: both carry dbt's sha256 checksums),
 * for the selectors state:new and state:modified (lib/select).
 *
 * A node is new when the manifest has no node of its unique id; its body
 * is modified when its file's checksum differs; its configs when one of
 * the configs that change what is built differs (materialized, schema,
 * alias, tags, unique_key, on_schema_change, enabled, contract.enforced);
 * its contract when it is enforced on either side and the declared
 * columns or their data types differ. Descriptions and macros are not
 * compared (dbt compares them only with persist_docs, and by macro
 * checksums). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "modelrun.h"
#include "select.h"
#include "xalloc.h"
#include "ydoc.h"

/* A scalar's text, NULL for null or for anything that is not a scalar. */
static const char *text(yaml_node_t *n)
{
	return n && ydoc_is_scalar(n) && !ydoc_is_null(n) ? ydoc_str(n) : NULL;
}

static bool same_str(yaml_node_t *old, const char *now)
{
	const char *o = text(old);
	return o && now ? strcmp(o, now) == 0 : !o && !now;
}

/* A list of strings (a lone string counting as a list of one, null or
 * absent as none) against v[0..n). */
static bool same_list(struct ydoc *d, yaml_node_t *old, char *const *v, size_t n)
{
	if (old && ydoc_is_seq(old)) {
		if (ydoc_len(old) != n)
			return false;
		for (size_t i = 0; i < n; i++)
			if (!same_str(ydoc_item(d, old, i), v[i]))
				return false;
		return true;
	}
	const char *o = text(old);
	return o ? n == 1 && strcmp(o, v[0]) == 0 : n == 0;
}

static bool is_true(yaml_node_t *n)
{
	const char *s = text(n);
	return s && strcmp(s, "true") == 0;
}

static bool same_config(struct ydoc *d, yaml_node_t *cfg, const struct dbt_node *n)
{
	static const char *const osc[] = { "ignore", "fail", "append_new_columns", "sync_all_columns" };
	const struct dbt_config *c = &n->cfg;
	yaml_node_t *osc_old = ydoc_get(d, cfg, "on_schema_change");
	return same_str(ydoc_get(d, cfg, "materialized"), dbt_mat_name(c->materialized)) &&
	       same_str(ydoc_get(d, cfg, "schema"), c->schema) && same_str(ydoc_get(d, cfg, "alias"), c->alias) &&
	       same_list(d, ydoc_get(d, cfg, "tags"), c->tags, c->ntags) &&
	       same_list(d, ydoc_get(d, cfg, "unique_key"), c->unique_key, c->nunique) &&
	       (!osc_old || same_str(osc_old, osc[c->on_schema_change])) &&
	       is_true(ydoc_get(d, cfg, "enabled")) == c->enabled &&
	       is_true(ydoc_get(d, ydoc_get(d, cfg, "contract"), "enforced")) == c->contract_enforced;
}

/* Whether the declared columns and their types are those of the old
 * node's "columns". */
static bool same_columns(struct ydoc *d, yaml_node_t *cols, const struct dbt_node *n)
{
	if (ydoc_len(cols) != n->ncolumns)
		return false;
	for (size_t i = 0; i < n->ncolumns; i++) {
		yaml_node_t *c = ydoc_get(d, cols, n->columns[i].name);
		if (!c || !same_str(ydoc_get(d, c, "data_type"), n->columns[i].data_type))
			return false;
	}
	return true;
}

static unsigned char compare(struct ydoc *d, yaml_node_t *old, const struct dbt_node *n)
{
	if (!old)
		return DBT_STATE_NEW;
	unsigned char f = 0;
	const char *kind;
	char *sum = mr_node_checksum(n, &kind);
	yaml_node_t *ck = ydoc_get(d, old, "checksum");
	if (!same_str(ydoc_get(d, ck, "name"), kind) || !same_str(ydoc_get(d, ck, "checksum"), sum))
		f |= DBT_STATE_BODY;
	free(sum);
	yaml_node_t *cfg = ydoc_get(d, old, "config");
	if (!same_config(d, cfg, n))
		f |= DBT_STATE_CONFIGS;
	bool was = is_true(ydoc_get(d, ydoc_get(d, cfg, "contract"), "enforced"));
	if ((was || n->cfg.contract_enforced) &&
	    (was != n->cfg.contract_enforced || !same_columns(d, ydoc_get(d, old, "columns"), n)))
		f |= DBT_STATE_CONTRACT;
	return f;
}

unsigned char *mr_state_read(const struct dbt_project *p, const char *dir)
{
	char *path = xasprintf("%s/manifest.json", dir), err[1024];
	struct ydoc d;
	if (ydoc_load(&d, path, err, sizeof err)) {
		log_error("--state: %s", err);
		free(path);
		return NULL;
	}
	yaml_node_t *nodes = ydoc_get(&d, ydoc_root(&d), "nodes");
	if (!nodes || !ydoc_is_map(nodes)) {
		log_error("--state: %s has no \"nodes\": not a manifest.json of modelrun or dbt", path);
		ydoc_free(&d);
		free(path);
		return NULL;
	}
	unsigned char *flags = xcalloc(p->nnodes ? p->nnodes : 1, 1);
	size_t changed = 0;
	for (size_t i = 0; i < p->nnodes; i++) {
		const struct dbt_node *n = &p->nodes[i];
		if (!n->cfg.enabled)
			continue;
		flags[i] = compare(&d, ydoc_get(&d, nodes, n->unique_id), n);
		changed += flags[i] != 0;
		if (flags[i])
			log_debug("state: %s is %s%s%s%s", n->name, flags[i] & DBT_STATE_NEW ? "new " : "",
				  flags[i] & DBT_STATE_BODY ? "modified.body " : "",
				  flags[i] & DBT_STATE_CONFIGS ? "modified.configs " : "",
				  flags[i] & DBT_STATE_CONTRACT ? "modified.contract" : "");
	}
	log_debug("state: %zu of %zu nodes new or modified against %s", changed, p->nnodes, path);
	ydoc_free(&d);
	free(path);
	return flags;
}
