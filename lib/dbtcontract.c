/* SPDX-License-Identifier: MIT
 * The configs of a dbt project that are mappings (contract, grants,
 * persist_docs, docs, meta) and full_refresh, and what a model's schema
 * file says about its columns: data types, descriptions and constraints.
 *
 * The mappings come from YAML (dbt_project.yml, schema files) and from
 * config() calls; both are turned into one small value tree first, so that
 * each config is read once. How levels combine follows dbt's merge rules:
 * contract, docs and meta are updated key by key, persist_docs is replaced
 * whole, and grants replace the roles of a privilege unless the key starts
 * with '+', which adds to them. */
#include "dbtproject_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "xalloc.h"

/* ---- one value tree for YAML and config() arguments ---- */

enum dv_kind { DV_NULL, DV_BOOL, DV_NUM, DV_STR, DV_LIST, DV_MAP };

struct dv {
	enum dv_kind kind;
	bool b;
	double num;
	bool real;
	char *s;          /* DV_STR */
	struct dv *items; /* DV_LIST, DV_MAP values */
	char **keys;      /* DV_MAP */
	size_t n;
};

static void dv_free(struct dv *v)
{
	free(v->s);
	for (size_t i = 0; i < v->n; i++) {
		dv_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
}

static void dv_from_yaml(struct dv *v, struct ydoc *d, yaml_node_t *n)
{
	memset(v, 0, sizeof *v);
	if (!n)
		return;
	if (ydoc_is_scalar(n)) {
		bool b;
		double num;
		enum ydoc_kind k = ydoc_yaml11(n, &b, &num); /* as dbt's PyYAML reads it */
		if (k == YK_NULL)
			return;
		if (k == YK_BOOL) {
			v->kind = DV_BOOL;
			v->b = b;
		} else if (k == YK_INT || k == YK_FLOAT) {
			v->kind = DV_NUM;
			v->num = num;
			v->real = k == YK_FLOAT;
		}
		v->s = xstrdup(ydoc_str(n) ? ydoc_str(n) : "");
		if (k == YK_STR)
			v->kind = DV_STR;
		return;
	}
	v->n = ydoc_len(n);
	v->items = xcalloc(v->n ? v->n : 1, sizeof *v->items);
	if (ydoc_is_seq(n)) {
		v->kind = DV_LIST;
		for (size_t i = 0; i < v->n; i++)
			dv_from_yaml(&v->items[i], d, ydoc_item(d, n, i));
		return;
	}
	v->kind = DV_MAP;
	v->keys = xcalloc(v->n ? v->n : 1, sizeof *v->keys);
	for (size_t i = 0; i < v->n; i++) {
		const char *k = ydoc_str(ydoc_key(d, n, i));
		v->keys[i] = xstrdup(k ? k : "");
		dv_from_yaml(&v->items[i], d, ydoc_value(d, n, i));
	}
}

static void dv_from_tval(struct dv *v, const struct tval *t)
{
	memset(v, 0, sizeof *v);
	switch (t->kind) {
	case TV_BOOL:
		v->kind = DV_BOOL;
		v->b = t->b;
		return;
	case TV_NUM: {
		char buf[64];
		v->kind = DV_NUM;
		v->num = t->num;
		v->real = t->real;
		if (t->real)
			tmpl_float_repr(buf, sizeof buf, t->num);
		else
			snprintf(buf, sizeof buf, "%.0f", t->num);
		v->s = xstrdup(buf);
		return;
	}
	case TV_STR:
		v->kind = DV_STR;
		v->s = xstrdup(t->s);
		return;
	case TV_LIST:
	case TV_DICT:
		v->kind = t->kind == TV_LIST ? DV_LIST : DV_MAP;
		v->n = t->n;
		v->items = xcalloc(t->n ? t->n : 1, sizeof *v->items);
		if (t->kind == TV_DICT)
			v->keys = xcalloc(t->n ? t->n : 1, sizeof *v->keys);
		for (size_t i = 0; i < t->n; i++) {
			dv_from_tval(&v->items[i], &t->items[i]);
			if (v->keys)
				v->keys[i] = xstrdup(t->keys[i]);
		}
		return;
	default:
		return; /* None: null */
	}
}

static const struct dv *dv_get(const struct dv *m, const char *key)
{
	for (size_t i = 0; m->kind == DV_MAP && i < m->n; i++)
		if (strcmp(m->keys[i], key) == 0)
			return &m->items[i];
	return NULL;
}

/* Python's truth of a value: what dbt's `if contract.enforced` sees. */
static bool dv_truthy(const struct dv *v)
{
	switch (v->kind) {
	case DV_BOOL: return v->b;
	case DV_NUM: return v->num != 0;
	case DV_STR: return v->s[0] != '\0';
	case DV_LIST: case DV_MAP: return v->n > 0;
	default: return false;
	}
}

static void dv_json(struct buf *b, const struct dv *v)
{
	switch (v->kind) {
	case DV_NULL: buf_adds(b, "null"); return;
	case DV_BOOL: buf_adds(b, v->b ? "true" : "false"); return;
	case DV_NUM: {
		char num[64];
		if (v->real)
			tmpl_float_repr(num, sizeof num, v->num);
		else
			snprintf(num, sizeof num, "%.0f", v->num);
		/* JSON has no inf or nan */
		buf_adds(b, strspn(num, "-0123456789.e+") == strlen(num) ? num : "null");
		return;
	}
	case DV_STR: json_string(b, v->s); return;
	case DV_LIST:
	case DV_MAP:
		buf_addc(b, v->kind == DV_LIST ? '[' : '{');
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_adds(b, ", ");
			if (v->keys) {
				json_string(b, v->keys[i]);
				buf_adds(b, ": ");
			}
			dv_json(b, &v->items[i]);
		}
		buf_addc(b, v->kind == DV_LIST ? ']' : '}');
		return;
	}
}

/* ---- the configs ---- */

static void free_grants(struct dbt_config *c)
{
	for (size_t i = 0; i < c->ngrants; i++) {
		free(c->grants[i].privilege);
		free_strs(c->grants[i].grantees, c->grants[i].ngrantees);
	}
	free(c->grants);
	c->grants = NULL;
	c->ngrants = 0;
}

void dbtc_config_free(struct dbt_config *c)
{
	free_grants(c);
	free_strs(c->meta, c->nmeta * 2);
	c->meta = NULL;
	c->nmeta = 0;
	free_strs(c->unrendered, c->nunrendered * 2);
	c->unrendered = NULL;
	c->nunrendered = 0;
}

/* grants: {privilege: role or [roles]}; '+privilege' adds to what the
 * levels above gave. Returns 0 or -1 with the problem in msg. */
static int set_grants(struct dbt_config *c, const struct dv *v, char *msg, size_t msglen)
{
	if (v->kind == DV_NULL)
		return 0;
	if (v->kind != DV_MAP)
		goto bad;
	for (size_t i = 0; i < v->n; i++) {
		const char *key = v->keys[i];
		bool add = key[0] == '+';
		if (add)
			key++;
		const struct dv *roles = &v->items[i];
		if (roles->kind != DV_STR && roles->kind != DV_LIST && roles->kind != DV_NULL)
			goto bad;
		for (size_t k = 0; roles->kind == DV_LIST && k < roles->n; k++)
			if (roles->items[k].kind != DV_STR)
				goto bad;
		struct dbt_grant *g = NULL;
		for (size_t k = 0; k < c->ngrants && !g; k++)
			if (strcmp(c->grants[k].privilege, key) == 0)
				g = &c->grants[k];
		if (!g) {
			struct dbt_grant ng = { xstrdup(key), NULL, 0 };
			PUSH(c->grants, c->ngrants, ng);
			g = &c->grants[c->ngrants - 1];
		} else if (!add) {
			free_strs(g->grantees, g->ngrantees);
			g->grantees = NULL;
			g->ngrantees = 0;
		}
		if (roles->kind == DV_STR)
			PUSH(g->grantees, g->ngrantees, xstrdup(roles->s));
		for (size_t k = 0; roles->kind == DV_LIST && k < roles->n; k++)
			PUSH(g->grantees, g->ngrantees, xstrdup(roles->items[k].s));
	}
	return 0;
bad:
	snprintf(msg, msglen, "config 'grants' needs a mapping of privilege: role or [roles]");
	return -1;
}

/* Sets key to v (as JSON) in a list of key, json pairs, replacing what
 * the key had. */
static void set_pair(char ***pairs, size_t *npairs, const char *key, const struct dv *v)
{
	struct buf b = { 0 };
	dv_json(&b, v);
	for (size_t i = 0; i < *npairs; i++)
		if (strcmp((*pairs)[2 * i], key) == 0) {
			free((*pairs)[2 * i + 1]);
			(*pairs)[2 * i + 1] = buf_detach(&b);
			return;
		}
	size_t m = *npairs * 2;
	PUSH(*pairs, m, xstrdup(key));
	PUSH(*pairs, m, buf_detach(&b));
	++*npairs;
}

static void set_meta(struct dbt_config *c, const char *key, const struct dv *v)
{
	set_pair(&c->meta, &c->nmeta, key, v);
}

void dbtc_unrendered_yaml(struct dbt_config *c, const char *key, struct ydoc *d, yaml_node_t *n)
{
	struct dv v;
	dv_from_yaml(&v, d, n);
	set_pair(&c->unrendered, &c->nunrendered, key[0] == '+' ? key + 1 : key, &v);
	dv_free(&v);
}

void dbtc_unrendered_tval(struct dbt_config *c, const char *key, const struct tval *t)
{
	struct dv v;
	dv_from_tval(&v, t);
	set_pair(&c->unrendered, &c->nunrendered, key, &v);
	dv_free(&v);
}

static int config_dv(struct dbt_config *c, const char *key, const struct dv *v, char *msg, size_t msglen)
{
	if (strcmp(key, "full_refresh") == 0) {
		if (v->kind != DV_NULL && v->kind != DV_BOOL) {
			snprintf(msg, msglen, "config 'full_refresh' needs true, false or null");
			return -1;
		}
		c->full_refresh = v->kind == DV_NULL ? -1 : v->b;
		return 0;
	}
	if (strcmp(key, "grants") == 0)
		return set_grants(c, v, msg, msglen);
	bool is_map_cfg = strcmp(key, "contract") == 0 || strcmp(key, "persist_docs") == 0 ||
			  strcmp(key, "docs") == 0 || strcmp(key, "meta") == 0;
	if (!is_map_cfg)
		return 1;
	if (v->kind == DV_NULL)
		return 0;
	if (v->kind != DV_MAP) {
		snprintf(msg, msglen, "config '%s' needs a mapping", key);
		return -1;
	}
	const struct dv *x;
	if (strcmp(key, "contract") == 0) {
		if ((x = dv_get(v, "enforced")))
			c->contract_enforced = dv_truthy(x);
	} else if (strcmp(key, "persist_docs") == 0) {
		/* replaced whole at each level, as dbt merges it */
		c->persist_relation = (x = dv_get(v, "relation")) && dv_truthy(x);
		c->persist_columns = (x = dv_get(v, "columns")) && dv_truthy(x);
	} else if (strcmp(key, "docs") == 0) {
		if ((x = dv_get(v, "show")))
			c->docs_show = dv_truthy(x);
	} else {
		for (size_t i = 0; i < v->n; i++)
			set_meta(c, v->keys[i], &v->items[i]);
	}
	return 0;
}

int dbtc_config_yaml(struct dbt_config *c, const char *key, struct ydoc *d, yaml_node_t *n, char *err,
		     size_t errlen)
{
	struct dv v;
	dv_from_yaml(&v, d, n);
	char msg[256];
	int rc = config_dv(c, key, &v, msg, sizeof msg);
	dv_free(&v);
	if (rc < 0)
		snprintf(err, errlen, "%s:%zu: %s", d->path, ydoc_line(n), msg);
	return rc;
}

int dbtc_config_tval(struct dbt_config *c, const char *key, const struct tval *t, char *err, size_t errlen)
{
	struct dv v;
	dv_from_tval(&v, t);
	int rc = config_dv(c, key, &v, err, errlen);
	dv_free(&v);
	return rc;
}

/* ---- columns and constraints in schema files ---- */

static void constraint_free(struct dbt_constraint *k)
{
	free(k->name);
	free(k->expression);
	free_strs(k->columns, k->ncolumns);
	free(k->to);
	free_strs(k->to_columns, k->nto_columns);
}

void dbtc_columns_free(struct dbt_column *cols, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct dbt_column *c = &cols[i];
		free(c->name);
		free(c->data_type);
		free(c->description);
		free(c->meta);
		free_strs(c->tags, c->ntags);
		for (size_t k = 0; k < c->nconstraints; k++)
			constraint_free(&c->constraints[k]);
		free(c->constraints);
	}
	free(cols);
}

void dbtc_node_free(struct dbt_node *n)
{
	dbtc_columns_free(n->columns, n->ncolumns);
	for (size_t k = 0; k < n->nconstraints; k++)
		constraint_free(&n->constraints[k]);
	free(n->constraints);
	free(n->description);
	free(n->yml_file);
}

static const char *const con_names[] = { "not_null", "unique", "primary_key", "check", "foreign_key", "custom" };

static char *scalar_dup(struct ydoc *d, yaml_node_t *map, const char *key)
{
	yaml_node_t *v = ydoc_get(d, map, key);
	return v && ydoc_is_scalar(v) && !ydoc_is_null(v) && ydoc_str(v) ? xstrdup(ydoc_str(v)) : NULL;
}

static bool flag(struct ydoc *d, yaml_node_t *map, const char *key, bool dflt)
{
	yaml_node_t *v = ydoc_get(d, map, key);
	bool b;
	double num;
	if (!v || !ydoc_is_scalar(v) || ydoc_yaml11(v, &b, &num) != YK_BOOL)
		return dflt;
	return b;
}

static char **str_list(struct ydoc *d, yaml_node_t *n, size_t *count)
{
	char **out = NULL;
	*count = 0;
	if (n && ydoc_is_scalar(n) && !ydoc_is_null(n))
		PUSH(out, *count, xstrdup(ydoc_str(n)));
	for (size_t i = 0; n && ydoc_is_seq(n) && i < ydoc_len(n); i++) {
		yaml_node_t *it = ydoc_item(d, n, i);
		if (ydoc_is_scalar(it) && ydoc_str(it))
			PUSH(out, *count, xstrdup(ydoc_str(it)));
	}
	return out;
}

/* A `constraints:` list; owner names the column (or NULL: the model) for
 * messages, worded as dbt words them. */
static int read_constraints(struct ydoc *d, yaml_node_t *list, const char *model, const char *owner,
			    struct dbt_constraint **out, size_t *n, char *err, size_t errlen)
{
	if (!list || ydoc_is_null(list))
		return 0;
	if (!ydoc_is_seq(list)) {
		snprintf(err, errlen, "%s:%zu: 'constraints' must be a list", d->path, ydoc_line(list));
		return -1;
	}
	for (size_t i = 0; i < ydoc_len(list); i++) {
		yaml_node_t *m = ydoc_item(d, list, i);
		const char *type = ydoc_is_map(m) ? ydoc_str(ydoc_get(d, m, "type")) : NULL;
		int t = -1;
		for (int k = 0; type && k < 6; k++)
			if (strcmp(type, con_names[k]) == 0)
				t = k;
		if (t < 0) {
			if (owner)
				snprintf(err, errlen, "%s:%zu: Invalid constraint type on column %s", d->path, ydoc_line(m),
					 owner);
			else
				snprintf(err, errlen, "%s:%zu: Invalid constraint type on model %s: Type must be one of "
					 "['check', 'not_null', 'unique', 'primary_key', 'foreign_key', 'custom']",
					 d->path, ydoc_line(m), model);
			return -1;
		}
		struct dbt_constraint k = {
			.type = (enum dbt_con_type)t, .name = scalar_dup(d, m, "name"),
			.expression = scalar_dup(d, m, "expression"), .to = scalar_dup(d, m, "to"),
			.to_node = -1, .to_source = -1, .warn_unsupported = flag(d, m, "warn_unsupported", true),
			.line = ydoc_line(m),
		};
		k.columns = str_list(d, ydoc_get(d, m, "columns"), &k.ncolumns);
		k.to_columns = str_list(d, ydoc_get(d, m, "to_columns"), &k.nto_columns);
		PUSH(*out, *n, k);
	}
	return 0;
}

/* A description and the line it is written on (the entry's when none). */
static char *description_of(struct ydoc *d, yaml_node_t *entry, size_t *line)
{
	yaml_node_t *v = ydoc_get(d, entry, "description");
	*line = v ? ydoc_line(v) : ydoc_line(entry);
	return scalar_dup(d, entry, "description");
}

int dbtc_read_columns(struct ydoc *d, yaml_node_t *entry, const char *owner, bool constraints, struct dbt_column **out,
		      size_t *n, char *err, size_t errlen)
{
	yaml_node_t *cols = ydoc_get(d, entry, "columns");
	for (size_t i = 0; cols && ydoc_is_seq(cols) && i < ydoc_len(cols); i++) {
		yaml_node_t *c = ydoc_item(d, cols, i);
		char *name = ydoc_is_map(c) ? scalar_dup(d, c, "name") : NULL;
		if (!name)
			continue;
		struct dbt_column col = { .name = name, .data_type = scalar_dup(d, c, "data_type"),
					  .quote = flag(d, c, "quote", false), .line = ydoc_line(c) };
		col.description = description_of(d, c, &col.description_line);
		if (!col.description)
			col.description = xstrdup("");
		yaml_node_t *meta = ydoc_get(d, c, "meta"), *tags = ydoc_get(d, c, "tags");
		if (meta) {
			struct dv v;
			struct buf b = { 0 };
			dv_from_yaml(&v, d, meta);
			dv_json(&b, &v);
			dv_free(&v);
			col.meta = buf_detach(&b);
		}
		if (tags && ydoc_is_seq(tags))
			col.tags = str_list(d, tags, &col.ntags);
		PUSH(*out, *n, col);
		struct dbt_column *cp = &(*out)[*n - 1];
		if (constraints && read_constraints(d, ydoc_get(d, c, "constraints"), owner, name, &cp->constraints,
				     &cp->nconstraints, err, errlen))
			return -1;
	}
	return 0;
}

int dbtc_read_entry(struct dbt_project *p, size_t node, struct ydoc *d, yaml_node_t *entry, char *err,
		    size_t errlen)
{
	struct dbt_node *n = &p->nodes[node];
	free(n->yml_file);
	n->yml_file = xstrdup(d->path);
	n->yml_line = ydoc_line(entry);
	size_t line;
	char *desc = description_of(d, entry, &line);
	if (desc) {
		free(n->description);
		n->description = desc;
		n->description_line = line;
	}
	/* docs: and meta: beside config:, as dbt also reads them */
	static const char *const props[] = { "docs", "meta" };
	for (int i = 0; i < 2; i++) {
		yaml_node_t *v = ydoc_get(d, entry, props[i]);
		if (v && dbtc_config_yaml(&n->cfg, props[i], d, v, err, errlen) < 0)
			return -1;
	}
	if (dbtc_read_columns(d, entry, n->name, true, &n->columns, &n->ncolumns, err, errlen))
		return -1;
	return read_constraints(d, ydoc_get(d, entry, "constraints"), n->name, NULL, &n->constraints,
				&n->nconstraints, err, errlen);
}

int dbtc_read_source(struct dbt_source *s, struct ydoc *d, yaml_node_t *source, yaml_node_t *table, char *err,
		     size_t errlen)
{
	s->description = description_of(d, table, &s->description_line);
	s->source_description = description_of(d, source, &s->source_description_line);
	s->loader = scalar_dup(d, source, "loader");
	/* dbt has no constraints on sources: not read, as it reads none */
	return dbtc_read_columns(d, table, s->table_name, false, &s->columns, &s->ncolumns, err, errlen);
}

/* ---- after loading ---- */

/* Reads "ref('m')", "ref('pkg', 'm')" or "source('s', 't')" (either
 * quote, spaces allowed) into fn and up to two arguments. */
static bool parse_call(const char *s, char fn[16], char args[2][256], int *nargs)
{
	while (*s == ' ')
		s++;
	size_t k = 0;
	while (*s >= 'a' && *s <= 'z' && k < 15)
		fn[k++] = *s++;
	fn[k] = '\0';
	while (*s == ' ')
		s++;
	if (*s++ != '(')
		return false;
	*nargs = 0;
	for (;;) {
		while (*s == ' ')
			s++;
		char q = *s;
		if ((q != '\'' && q != '"') || *nargs == 2)
			return false;
		const char *e = strchr(s + 1, q);
		if (!e || e - s - 1 >= 256)
			return false;
		snprintf(args[*nargs], 256, "%.*s", (int)(e - s - 1), s + 1);
		(*nargs)++;
		s = e + 1;
		while (*s == ' ')
			s++;
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s++ != ')')
			return false;
		while (*s == ' ')
			s++;
		return *s == '\0';
	}
}

static int resolve_to(struct dbt_project *p, struct dbt_node *n, struct dbt_constraint *k, char *err, size_t errlen)
{
	if (k->type != CON_FOREIGN_KEY || !k->to)
		return 0;
	char fn[16], args[2][256];
	int nargs = 0;
	bool ok = parse_call(k->to, fn, args, &nargs);
	if (ok && strcmp(fn, "ref") == 0) {
		long idx = dbt_find(p, args[nargs - 1]);
		if (idx < 0) {
			snprintf(err, errlen, "%s:%zu: foreign key to %s: no model or seed is called '%s'",
				 n->yml_file, k->line, k->to, args[nargs - 1]);
			return -1;
		}
		k->to_node = idx;
		bool seen = false;
		for (size_t i = 0; i < n->nparents; i++)
			seen |= n->parents[i] == (size_t)idx;
		if (!seen)
			PUSH(n->parents, n->nparents, (size_t)idx);
		return 0;
	}
	if (ok && strcmp(fn, "source") == 0 && nargs == 2) {
		long idx = dbt_find_source(p, args[0], args[1]);
		if (idx < 0) {
			snprintf(err, errlen, "%s:%zu: foreign key to %s: source('%s', '%s') is not declared in any schema "
				 "file", n->yml_file, k->line, k->to, args[0], args[1]);
			return -1;
		}
		k->to_source = idx;
		return 0;
	}
	snprintf(err, errlen, "%s:%zu: Invalid 'ref' or 'source' syntax on foreign key constraint 'to' on model %s: %s.",
		 n->yml_file, k->line, n->name, k->to);
	return -1;
}

int dbtc_resolve(struct dbt_project *p, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->nnodes; i++) {
		struct dbt_node *n = &p->nodes[i];
		if (n->kind != DBT_MODEL || !n->cfg.enabled)
			continue;
		const struct dbt_config *c = &n->cfg;
		if (c->contract_enforced && c->materialized == MAT_INCREMENTAL && c->on_schema_change != OSC_APPEND &&
		    c->on_schema_change != OSC_FAIL) {
			static const char *const oscs[] = { "ignore", "fail", "append_new_columns", "sync_all_columns" };
			snprintf(err, errlen, "%s: Invalid value for on_schema_change: %s. Models materialized as incremental "
				 "with contracts enabled must set on_schema_change to 'append_new_columns' or 'fail'",
				 n->path, oscs[c->on_schema_change]);
			return -1;
		}
		/* foreign keys point at other models: they come first, as in dbt */
		bool warn = false;
		size_t npk = 0;
		struct buf pkcols = { 0 };
		for (size_t k = 0; k < n->nconstraints; k++) {
			if (resolve_to(p, n, &n->constraints[k], err, errlen))
				goto fail;
			warn |= n->constraints[k].warn_unsupported;
		}
		for (size_t j = 0; j < n->ncolumns; j++)
			for (size_t k = 0; k < n->columns[j].nconstraints; k++) {
				struct dbt_constraint *ck = &n->columns[j].constraints[k];
				if (resolve_to(p, n, ck, err, errlen))
					goto fail;
				warn |= ck->warn_unsupported;
				if (ck->type == CON_PRIMARY_KEY) {
					buf_printf(&pkcols, "%s'%s'", npk ? ", " : "", n->columns[j].name);
					npk++;
				}
			}
		bool model_pk = false;
		for (size_t k = 0; k < n->nconstraints; k++)
			model_pk |= n->constraints[k].type == CON_PRIMARY_KEY;
		if (npk > 1 || (npk && model_pk)) {
			if (npk > 1)
				snprintf(err, errlen, "%s: Primary key constraint error: Found %zu columns ([%s]) with primary "
					 "key constraints defined. Primary keys for multiple columns must be defined as a model "
					 "level constraint.", n->yml_file ? n->yml_file : n->path, npk, buf_str(&pkcols));
			else
				snprintf(err, errlen, "%s: Primary key constraint error: Primary key constraints defined at the "
					 "model level and the columns level. Primary keys can be defined at the model level or "
					 "the column level, not both.", n->yml_file ? n->yml_file : n->path);
			goto fail;
		}
		buf_free(&pkcols);
		if (!c->contract_enforced)
			continue;
		/* dbt says this once per contracted model whose materialization
		 * cannot hold constraints (views, materialized views) */
		if (warn && c->materialized != MAT_TABLE && c->materialized != MAT_INCREMENTAL)
			log_warn("%s: Constraint types are not supported for %s materializations and will be ignored. "
				 "Set 'warn_unsupported: false' on this constraint to ignore this warning.",
				 n->path, dbt_mat_name(c->materialized));
		continue;
fail:
		buf_free(&pkcols);
		return -1;
	}
	return 0;
}
