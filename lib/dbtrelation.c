/* SPDX-License-Identifier: MIT
 * More of dbt's context, as far as dbt_utils' macros read it: relations
 * made and looked up while rendering (api.Relation.create,
 * adapter.get_relation, load_relation, this.incorporate), dropped
 * (adapter.drop_relation), `flags` and `graph`. Everything a package
 * reads of these is answered from the project and, at run time, from the
 * catalog over the render's connection; while the project is parsed
 * (dbt's execute false) a lookup finds nothing, as dbt's parse does.
 *
 * A name of dbt's context that modelrun does not offer (a module other
 * than modules.datetime, modules.pytz and modules.re) is an unsupported construct,
 * which fails the node that reaches it, not dbt's "undefined", which
 * would stop the whole load. */
#include "dbtproject.h"
#include "dbtproject_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

/* A value that fails, with msg, wherever it is used: what a name modelrun
 * lacks evaluates to. */
static struct tval lacking(struct tmpl_render *r, const char *msg)
{
	struct tval v = tval_str(r, msg, strlen(msg));
	v.kind = TV_UNDEF;
	return v;
}

/* ---- agate's tables, as run_query() and load_result() give them ---- */

/* A dict of n keys (filled by the caller), in the render's arena. */
static struct tval new_dict(struct tmpl_render *r, size_t n)
{
	return (struct tval){ .kind = TV_DICT, .n = n, .items = tval_alloc(r, n), .keys = tval_alloc_keys(r, n) };
}

/* v with attributes attrs, in the arena. */
static struct tval with_attrs(struct tmpl_render *r, struct tval v, struct tval attrs)
{
	struct tval *a = tval_alloc(r, 1);
	*a = attrs;
	v.attrs = a;
	return v;
}

struct tval dbtrel_agate_table(struct tmpl_render *r, const struct dbt_rows *q, struct tval *rows)
{
	/* a row: a tuple whose values are also its columns' names */
	for (size_t i = 0; i < rows->n; i++) {
		struct tval names = new_dict(r, q->ncols);
		for (size_t k = 0; k < q->ncols; k++) {
			names.keys[k] = q->names[k];
			names.items[k] = rows->items[i].items[k];
		}
		rows->items[i] = with_attrs(r, rows->items[i], names);
	}
	/* a column: its values in order, with its name; the columns: the
	 * columns in order, also by name */
	struct tval cols = { .kind = TV_LIST, .n = q->ncols, .items = tval_alloc(r, q->ncols) };
	struct tval byname = new_dict(r, q->ncols);
	struct tval colnames = { .kind = TV_LIST, .n = q->ncols, .items = tval_alloc(r, q->ncols) };
	for (size_t k = 0; k < q->ncols; k++) {
		struct tval col = { .kind = TV_LIST, .tuple = true, .n = rows->n, .items = tval_alloc(r, rows->n) };
		for (size_t i = 0; i < rows->n; i++)
			col.items[i] = rows->items[i].items[k];
		colnames.items[k] = tval_str(r, q->names[k], strlen(q->names[k]));
		struct tval attrs = new_dict(r, 1);
		attrs.keys[0] = "name";
		attrs.items[0] = colnames.items[k];
		cols.items[k] = with_attrs(r, col, attrs);
		byname.keys[k] = colnames.items[k].s;
		byname.items[k] = cols.items[k];
	}
	cols = with_attrs(r, cols, byname);
	static const char *const keys[] = { "rows", "columns", "column_names" };
	struct tval attrs = new_dict(r, 3);
	for (size_t i = 0; i < 3; i++)
		attrs.keys[i] = keys[i];
	attrs.items[0] = *rows;
	attrs.items[1] = cols;
	attrs.items[2] = colnames;
	return with_attrs(r, *rows, attrs);
}

/* keys(), values() and items() of a named sequence (agate's columns, a
 * row), and values() of a column: the sequence itself. */
static int sequence_method(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	const struct tval *seq = &c->args[0], *names = seq->attrs;
	bool named = names->kind == TV_DICT && names->n == seq->n;
	if (strcmp(c->name, ".values") == 0) {
		*out = *seq;
		out->attrs = NULL;
		return 0;
	}
	if (!named)
		return tmpl_no_method(r, c);
	bool keys = strcmp(c->name, ".keys") == 0;
	if (!keys && strcmp(c->name, ".items") != 0)
		return tmpl_no_method(r, c);
	*out = (struct tval){ .kind = TV_LIST, .n = seq->n, .items = tval_alloc(r, seq->n) };
	for (size_t i = 0; i < seq->n; i++) {
		struct tval key = tval_str(r, names->keys[i], strlen(names->keys[i]));
		if (keys) {
			out->items[i] = key;
			continue;
		}
		struct tval pair = { .kind = TV_LIST, .tuple = true, .n = 2, .items = tval_alloc(r, 2) };
		pair.items[0] = key;
		pair.items[1] = seq->items[i];
		out->items[i] = pair;
	}
	return 0;
}

/* ---- dbt's Column (adapter.get_columns_in_relation) ---- */

/* The type's name without its modifier: "character varying" of
 * "character varying(10)". */
static void base_type(const char *type, char *buf, size_t n)
{
	size_t len = strcspn(type, "(");
	while (len && type[len - 1] == ' ')
		len--;
	snprintf(buf, n, "%.*s", (int)len, type);
}

static bool type_in(const char *type, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(type, *names) == 0)
			return true;
	return false;
}

/* is_string(), is_number(), is_integer(), is_float(), is_numeric() and
 * string_size() as dbt-postgres' Column answers them. */
static int column_method(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	static const char *const strings[] = { "text", "character varying", "character", "varchar", NULL };
	static const char *const ints[] = { "smallint", "integer", "bigint", "smallserial", "serial", "bigserial",
					    "int2", "int4", "int8", "serial2", "serial4", "serial8", NULL };
	static const char *const floats[] = { "real", "float4", "float", "double precision", "float8", "double", NULL };
	static const char *const numerics[] = { "numeric", "decimal", NULL };
	const struct tval *dt = tval_get(&c->args[0], "data_type");
	char type[128];
	base_type(dt->s, type, sizeof type);
	const char *m = c->name + 1;
	bool b;
	if (strcmp(m, "is_string") == 0)
		b = type_in(type, strings);
	else if (strcmp(m, "is_integer") == 0)
		b = type_in(type, ints);
	else if (strcmp(m, "is_float") == 0)
		b = type_in(type, floats);
	else if (strcmp(m, "is_numeric") == 0)
		b = type_in(type, numerics);
	else if (strcmp(m, "is_number") == 0)
		b = type_in(type, ints) || type_in(type, floats) || type_in(type, numerics);
	else if (strcmp(m, "string_size") == 0) {
		if (!type_in(type, strings)) {
			tmpl_fail(r, c->line, "Called string_size() on non-string field!");
			return -1;
		}
		/* dbt's size of a string column without one */
		const char *paren = strchr(dt->s, '(');
		*out = (struct tval){ .kind = TV_NUM, .num = paren ? strtod(paren + 1, NULL) : 256 };
		return 0;
	} else
		return tmpl_no_method(r, c);
	*out = (struct tval){ .kind = TV_BOOL, .b = b };
	return 0;
}

/* ---- relations ---- */

/* The i-th argument, given by position or as keyword kw, or NULL. */
static const struct tval *arg(const struct tmpl_call *c, size_t i, const char *kw)
{
	for (size_t k = 0; k < c->nkw; k++)
		if (strcmp(c->kwnames[k], kw) == 0)
			return &c->kwargs[k];
	return i < c->nargs ? &c->args[i] : NULL;
}

static const char *str_arg(const struct tmpl_call *c, size_t i, const char *kw)
{
	const struct tval *v = arg(c, i, kw);
	return v && v->kind == TV_STR ? v->s : NULL;
}

/* A relation in database db and schema (each NULL: none) named ident, of
 * type (NULL: not known), as ref() gives one. */
static struct tval relation(struct tmpl_render *r, const char *db, const char *schema, const char *ident,
			    const char *type)
{
	char *name = schema ? dbtp_quote_relation(schema, ident) : dbt_quote_ident(ident);
	struct tval v = dbtp_relation_value(r, db, name, schema ? schema : "", ident);
	free(name);
	if (type) {
		/* is_table, is_view and type, as dbt's Relation has them */
		struct tval *items = tval_alloc(r, v.nattr + 1);
		const char **keys = tval_alloc_keys(r, v.nattr + 1);
		memcpy(items, v.items, v.nattr * sizeof *items);
		memcpy(keys, v.keys, v.nattr * sizeof *keys);
		for (size_t i = 0; i < v.nattr; i++)
			if (strcmp(keys[i], "is_table") == 0 || strcmp(keys[i], "is_view") == 0)
				items[i] = (struct tval){ .kind = TV_BOOL, .b = strcmp(type, keys[i] + 3) == 0 };
		keys[v.nattr] = "type";
		items[v.nattr] = tval_str(r, type, strlen(type));
		v.items = items;
		v.keys = keys;
		v.nattr++;
	}
	return v;
}

/* The type of schema.ident in the catalog: "table", "view",
 * "materialized_view", or NULL when there is no such relation (*found
 * false). Returns -1 after tmpl_fail(). */
static int catalog_type(struct host_state *h, struct tmpl_render *r, int line, const char *what, const char *schema,
			const char *ident, const char **type)
{
	*type = NULL;
	/* the quoted name goes to to_regclass() as a parameter */
	char *name = dbtp_quote_relation(schema, ident);
	const char *params[] = { name };
	struct dbt_rows q;
	int rc = dbtp_query(h, r, line, what, "select c.relkind::text from pg_class c where c.oid = to_regclass($1)",
			    1, params, &q);
	free(name);
	if (rc)
		return -1;
	if (q.nrows && q.values[0]) {
		char k = q.values[0][0];
		*type = k == 'v' ? "view" : k == 'm' ? "materialized_view" : "table";
	}
	return 0;
}

/* adapter.get_relation(database, schema, identifier) and
 * load_relation(relation): the relation as the catalog has it, or none
 * (always none while the project is parsed, as in dbt). */
static int lookup_relation(struct host_state *h, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	const char *schema, *ident;
	if (strcmp(c->name, "adapter.get_relation") == 0) {
		schema = str_arg(c, 1, "schema");
		ident = str_arg(c, 2, "identifier");
	} else {
		const struct tval *rel = arg(c, 0, "relation"), *s = rel ? tval_get(rel, "schema") : NULL,
				  *i = rel ? tval_get(rel, "identifier") : NULL;
		schema = s && s->kind == TV_STR ? s->s : NULL;
		ident = i && i->kind == TV_STR ? i->s : NULL;
	}
	if (!schema || !ident) {
		tmpl_fail(r, c->line, "%s() needs a schema and an identifier (or a relation)", c->name);
		return -1;
	}
	*out = (struct tval){ .kind = TV_NONE };
	const char *type;
	if (h->parsing || catalog_type(h, r, c->line, c->name, schema, ident, &type))
		return h->parsing ? 0 : -1;
	/* found in the database connected to, as dbt names it */
	if (type)
		*out = relation(r, h->p->target.dbname, schema, ident, type);
	return 0;
}

/* adapter.drop_relation(relation): drops it, as it is, if it is there. */
static int drop_relation(struct host_state *h, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	const struct tval *rel = arg(c, 0, "relation"), *s = rel ? tval_get(rel, "schema") : NULL,
			  *i = rel ? tval_get(rel, "identifier") : NULL;
	if (!s || !i || s->kind != TV_STR || i->kind != TV_STR) {
		tmpl_fail(r, c->line, "adapter.drop_relation() needs a relation");
		return -1;
	}
	*out = tval_str(r, "", 0);
	const char *type;
	if (h->parsing)
		return 0;
	if (catalog_type(h, r, c->line, c->name, s->s, i->s, &type))
		return -1;
	if (!type)
		return 0;
	char *name = dbtp_quote_relation(s->s, i->s);
	char *sql = xasprintf("drop %s if exists %s cascade", strcmp(type, "materialized_view") == 0 ?
			      "materialized view" : type, name);
	free(name);
	struct dbt_rows q;
	int rc = dbtp_query(h, r, c->line, c->name, sql, 0, NULL, &q);
	free(sql);
	return rc;
}

/* relation.incorporate(type=...): the relation, its type as given. */
static int incorporate(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	const struct tval *rel = &c->args[0], *s = tval_get(rel, "schema"), *i = tval_get(rel, "identifier"),
			  *db = tval_get(rel, "database");
	const char *type = str_arg(c, 99, "type");
	if (!s || !i || s->kind != TV_STR || i->kind != TV_STR) {
		*out = *rel;
		return 0;
	}
	*out = relation(r, db && db->kind == TV_STR ? db->s : NULL, s->s[0] ? s->s : NULL, i->s, type);
	return 0;
}

/* ---- config.get() and config.require() ---- */

static struct tval strs(struct tmpl_render *r, char **v, size_t n)
{
	struct tval l = { .kind = TV_LIST, .n = n, .items = tval_alloc(r, n) };
	for (size_t i = 0; i < n; i++)
		l.items[i] = tval_str(r, v[i], strlen(v[i]));
	return l;
}

/* The node's config key as dbt has it after every level is applied: 0
 * with *out, 1 when the key is not set (or not one modelrun keeps). */
static int config_value(struct tmpl_render *r, const struct dbt_node *n, const char *key, struct tval *out)
{
	const struct dbt_config *c = &n->cfg;
	if (strcmp(key, "materialized") == 0)
		*out = tval_str_or_none(r, dbt_mat_name(c->materialized));
	else if (strcmp(key, "schema") == 0 && c->schema)
		*out = tval_str_or_none(r, c->schema);
	else if (strcmp(key, "alias") == 0 && c->alias)
		*out = tval_str_or_none(r, c->alias);
	else if (strcmp(key, "tags") == 0)
		*out = strs(r, c->tags, c->ntags);
	else if (strcmp(key, "unique_key") == 0 && c->nunique)
		*out = c->nunique == 1 ? tval_str_or_none(r, c->unique_key[0]) : strs(r, c->unique_key, c->nunique);
	else if (strcmp(key, "enabled") == 0)
		*out = (struct tval){ .kind = TV_BOOL, .b = c->enabled };
	else if (strcmp(key, "full_refresh") == 0 && c->full_refresh >= 0)
		*out = (struct tval){ .kind = TV_BOOL, .b = c->full_refresh == 1 };
	else
		return 1;
	return 0;
}

/* config.get(name, default=none) and config.require(name), as dbt
 * answers them: "" while the project is parsed, then the node's config;
 * require fails on a key that is not set. */
static int config_call(struct host_state *h, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	const char *key = str_arg(c, 0, "name");
	if (!key) {
		tmpl_fail(r, c->line, "%s() needs a config name", c->name);
		return -1;
	}
	if (h->parsing) {
		*out = tval_str(r, "", 0);
		return 0;
	}
	const struct dbt_node *n = h->node == NO_NODE ? NULL : &h->p->nodes[h->node];
	if (n && config_value(r, n, key, out) == 0)
		return 0;
	if (strcmp(c->name, "config.require") == 0) {
		tmpl_fail(r, c->line, "Model '%s' does not define a required config parameter '%s'.",
			  n ? n->unique_id : "?", key);
		return -1;
	}
	const struct tval *dflt = arg(c, 1, "default");
	*out = dflt ? *dflt : (struct tval){ .kind = TV_NONE };
	return 0;
}

/* What a module modelrun lacks is, named by its dotted name (the module
 * alone, as dbt's context has it: modules.itertools). */
static void lacking_module(const char *name, char *msg, size_t len)
{
	const char *end = strchr(name + (strncmp(name, "modules.", 8) == 0 ? 8 : 7), '.');
	int n = end ? (int)(end - name) : (int)strlen(name);
	snprintf(msg, len, "unsupported construct: '%.*s' (modelrun offers modules.datetime, modules.pytz and "
		 "modules.re only)", n, name);
}

int dbtrel_call(struct host_state *h, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	if (strcmp(c->name, "config.get") == 0 || strcmp(c->name, "config.require") == 0)
		return config_call(h, r, c, out);
	if (strcmp(c->name, "api.Relation.create") == 0) {
		const char *ident = str_arg(c, 2, "identifier"), *type = str_arg(c, 99, "type");
		if (!ident) {
			tmpl_fail(r, c->line, "api.Relation.create() needs an identifier");
			return -1;
		}
		*out = relation(r, str_arg(c, 0, "database"), str_arg(c, 1, "schema"), ident, type);
		return 0;
	}
	if (strcmp(c->name, "adapter.get_relation") == 0 || strcmp(c->name, "adapter.load_relation") == 0 ||
	    strcmp(c->name, "load_relation") == 0)
		return lookup_relation(h, r, c, out);
	if (strcmp(c->name, "adapter.drop_relation") == 0)
		return drop_relation(h, r, c, out);
	if (strcmp(c->name, "api.Relation.add_ephemeral_prefix") == 0) {
		const char *name = str_arg(c, 0, "name");
		char *s = xasprintf("__dbt__cte__%s", name ? name : "");
		*out = tval_str(r, s, strlen(s));
		free(s);
		return 0;
	}
	if (strncmp(c->name, "modules.", 8) == 0) {
		/* a call into a module dbt_modules_call() does not have */
		char msg[256];
		lacking_module(c->name, msg, sizeof msg);
		tmpl_fail(r, c->line, "%s", msg);
		return -1;
	}
	if (c->name[0] != '.')
		return 1;
	/* methods of the values made here and in dbtcontext.c */
	const struct tval *self = &c->args[0];
	if (self->kind == TV_LIST && self->attrs)
		return sequence_method(r, c, out);
	if (self->kind == TV_STR && self->nattr && strcmp(c->name, ".incorporate") == 0)
		return incorporate(r, c, out);
	if (self->kind == TV_STR && self->nattr && strcmp(c->name, ".render") == 0) {
		*out = tval_str(r, self->s, self->n); /* its name, as it prints */
		return 0;
	}
	const struct tval *dt = self->kind == TV_DICT ? tval_get(self, "data_type") : NULL;
	if (dt && dt->kind == TV_STR)
		return column_method(r, c, out);
	return tmpl_no_method(r, c);
}

/* `flags`, as far as packages read it: WHICH, the command (what dbt_utils'
 * star() asks to tell compile from the rest). */
static struct tval flags_value(struct host_state *h, struct tmpl_render *r)
{
	struct tval d = new_dict(r, 1);
	const char *which = h->opts && h->opts->query ? "run" : "compile";
	d.keys[0] = "WHICH";
	d.items[0] = tval_str(r, which, strlen(which));
	return d;
}

int dbtrel_global(struct host_state *h, struct tmpl_render *r, const char *name, int line, struct tval *out)
{
	(void)line;
	if (strcmp(name, "flags") == 0) {
		*out = flags_value(h, r);
		return 0;
	}
	/* the modules modelrun offers are answered by dbt_modules_global()
	 * before this; any other use reaches here */
	if (strcmp(name, "modules") == 0 || strncmp(name, "modules.", 8) == 0) {
		char msg[256];
		lacking_module(name, msg, sizeof msg);
		*out = lacking(r, msg);
		return 0;
	}
	return 1;
}
