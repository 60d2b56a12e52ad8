/* SPDX-License-Identifier: MIT
 * The macro registry of a dbt project; see dbtmacros.h.
 *
 * Tuned for a project with a few packages: dbt_utils and dbt_date bring
 * some 600 macros in 250 files, parsed once per load (a few milliseconds)
 * and found by an open-addressing hash on (package, name), since every
 * macro call of every model looks one up. */
#include "dbtmacros.h"
#include "dbtmodules.h"
#include "dbtprofile.h"
#include "dbtproject_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "xalloc.h"

/* the files in lib/dbt_builtins/, made into C by the Makefile */
extern const char *const dbt_builtins_files[]; /* name, text, ..., NULL */

const char *const dbt_host_functions[] = {
	"ref", "source", "config", "var", "env_var", "is_incremental", "adapter.dispatch", "adapter.quote",
	"exceptions.raise_compiler_error", "exceptions.warn", "log", "statement", "load_result", "run_query",
	"adapter.get_columns_in_relation", "set", "print",
	"api.Relation.create", "adapter.get_relation", "adapter.load_relation", "load_relation", "adapter.drop_relation",
	"api.Relation.add_ephemeral_prefix", "config.get", "config.require", DBT_MODULES_FUNCTIONS, NULL,
};

static size_t hash(size_t pkg, const char *name)
{
	size_t h = 1469598103934665603u ^ pkg;
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		h = (h ^ *s) * 1099511628211u;
	return h;
}

static long slot_of(const struct dbt_macros *ms, size_t pkg, const char *name)
{
	if (!ms->cap)
		return -1;
	for (size_t i = hash(pkg, name) & (ms->cap - 1);; i = (i + 1) & (ms->cap - 1)) {
		size_t k = ms->slots[i];
		if (!k)
			return -(long)i - 2; /* free slot i */
		if (ms->v[k - 1].pkg == pkg && strcmp(ms->v[k - 1].name, name) == 0)
			return (long)i;
	}
}

static void rehash(struct dbt_macros *ms)
{
	free(ms->slots);
	ms->cap = ms->cap ? ms->cap * 2 : 256;
	ms->slots = xcalloc(ms->cap, sizeof *ms->slots);
	for (size_t k = 0; k < ms->n; k++) {
		long s = slot_of(ms, ms->v[k].pkg, ms->v[k].name);
		ms->slots[-s - 2] = k + 1;
	}
}

const struct dbt_macro *dbt_macros_get(const struct dbt_macros *ms, size_t pkg, const char *name)
{
	long s = slot_of(ms, pkg, name);
	return s >= 0 ? &ms->v[ms->slots[s] - 1] : NULL;
}

const struct dbt_macro *dbt_macros_resolve(const struct dbt_macros *ms, size_t local, const char *name)
{
	const struct dbt_macro *m = dbt_macros_get(ms, local, name);
	if (!m && local != DBT_PKG_ROOT)
		m = dbt_macros_get(ms, DBT_PKG_ROOT, name);
	if (!m)
		m = dbt_macros_get(ms, DBT_PKG_BUILTIN, name);
	return m;
}

long dbt_macros_package(const struct dbt_macros *ms, const char *name)
{
	for (size_t i = 0; i < ms->npkgs; i++)
		if (strcmp(ms->pkgs[i], name) == 0)
			return (long)i;
	return -1;
}

size_t dbt_macros_add_package(struct dbt_macros *ms, const char *name)
{
	long i = dbt_macros_package(ms, name);
	if (i >= 0)
		return (size_t)i;
	PUSH(ms->pkgs, ms->npkgs, xstrdup(name));
	return ms->npkgs - 1;
}

struct adding {
	struct dbt_macros *ms;
	size_t pkg;
	const struct tmpl *t;
	const char *file;
	char *err;
	size_t errlen;
};

static int add_macro(void *ud, const char *name, const struct tmpl_macro *m, int line)
{
	struct adding *a = ud;
	struct dbt_macros *ms = a->ms;
	if (2 * (ms->n + 1) > ms->cap)
		rehash(ms);
	long s = slot_of(ms, a->pkg, name);
	if (s >= 0) {
		const struct dbt_macro *old = &ms->v[ms->slots[s] - 1];
		snprintf(a->err, a->errlen, "%s:%d: macro '%s' is defined twice in package '%s' (first at %s:%d)", a->file,
			 line, name, ms->pkgs[a->pkg], tmpl_file(old->t), old->line);
		return -1;
	}
	struct dbt_macro mac = { name, a->pkg, a->t, m, line };
	PUSH(ms->v, ms->n, mac);
	ms->slots[-s - 2] = ms->n;
	return 0;
}

int dbt_macros_load_text(struct dbt_macros *ms, size_t pkg, const char *file, const char *text, size_t len,
			 char *err, size_t errlen)
{
	struct tmpl_names names = { .funcs = dbt_host_functions, .late = true };
	struct tmpl *t = tmpl_parse_names(file, text, len, &names, err, errlen);
	if (!t)
		return -1;
	PUSH(ms->files, ms->nfiles, t);
	struct adding a = { ms, pkg, t, file, err, errlen };
	return tmpl_each_macro(t, add_macro, &a);
}

static bool has_sql_suffix(const char *s)
{
	size_t n = strlen(s);
	return n >= 4 && strcmp(s + n - 4, ".sql") == 0;
}

static int load_tree(struct dbt_macros *ms, size_t pkg, const char *path, int depth, char *err, size_t errlen)
{
	struct dirent **ents;
	int n = depth > 64 ? -1 : scandir(path, &ents, NULL, alphasort);
	if (n < 0)
		return 0; /* no such directory: no macros */
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		char *full = nm[0] == '.' ? NULL : xasprintf("%s/%s", path, nm);
		DIR *sub = full ? opendir(full) : NULL;
		if (!rc && sub) {
			closedir(sub);
			rc = load_tree(ms, pkg, full, depth + 1, err, errlen);
		} else if (!rc && full && has_sql_suffix(nm)) {
			struct buf b = { 0 };
			rc = buf_read_file(&b, full, err, errlen);
			if (!rc)
				rc = dbt_macros_load_text(ms, pkg, full, b.data ? b.data : "", b.len, err, errlen);
			buf_free(&b);
		}
		free(full);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int dbt_macros_load_dir(struct dbt_macros *ms, size_t pkg, const char *dir, const char *rel, char *err,
			size_t errlen)
{
	char *path = strcmp(dir, ".") == 0 ? xstrdup(rel) : xasprintf("%s/%s", dir, rel);
	int rc = load_tree(ms, pkg, path, 0, err, errlen);
	free(path);
	return rc;
}

void dbt_macros_init(struct dbt_macros *ms, const char *root)
{
	memset(ms, 0, sizeof *ms);
	dbt_macros_add_package(ms, "dbt");
	dbt_macros_add_package(ms, root);
	char err[512];
	/* the built-ins are tested with the project: a failure here is a bug */
	for (const char *const *f = dbt_builtins_files; *f; f += 2)
		if (dbt_macros_load_text(ms, DBT_PKG_BUILTIN, f[0], f[1], strlen(f[1]), err, sizeof err)) {
			fprintf(stderr, "built-in macros: %s\n", err);
			abort();
		}
}

void dbt_macros_free(struct dbt_macros *ms)
{
	for (size_t i = 0; i < ms->npkgs; i++)
		free(ms->pkgs[i]);
	free(ms->pkgs);
	for (size_t i = 0; i < ms->nfiles; i++)
		tmpl_free(ms->files[i]);
	free(ms->files);
	free(ms->v);
	free(ms->slots);
	for (size_t i = 0; i < ms->ndispatch; i++) {
		free(ms->dispatch[i].ns);
		for (size_t k = 0; k < ms->dispatch[i].norder; k++)
			free(ms->dispatch[i].order[k]);
		free(ms->dispatch[i].order);
	}
	free(ms->dispatch);
	memset(ms, 0, sizeof *ms);
}

int dbt_macros_read_dispatch(struct dbt_macros *ms, struct ydoc *d, yaml_node_t *list, char *err, size_t errlen)
{
	if (!list)
		return 0;
	if (!ydoc_is_seq(list))
		goto bad;
	for (size_t i = 0; i < ydoc_len(list); i++) {
		yaml_node_t *e = ydoc_item(d, list, i);
		yaml_node_t *ns = ydoc_get(d, e, "macro_namespace"), *order = ydoc_get(d, e, "search_order");
		if (!ns || !ydoc_str(ns) || !order || !ydoc_is_seq(order)) {
			list = e;
			goto bad;
		}
		struct dbt_dispatch dp = { xstrdup(ydoc_str(ns)), NULL, 0 };
		for (size_t k = 0; k < ydoc_len(order); k++) {
			const char *s = ydoc_str(ydoc_item(d, order, k));
			if (s)
				PUSH(dp.order, dp.norder, xstrdup(s));
		}
		PUSH(ms->dispatch, ms->ndispatch, dp);
	}
	return 0;
bad:
	snprintf(err, errlen, "%s:%zu: dispatch needs a list of {macro_namespace: name, search_order: [packages]}",
		 d->path, ydoc_line(list));
	return -1;
}

/* The adapter's prefixes, most specific first: dbt-postgres has no parent
 * adapter. */
static const char *const prefixes[] = { "postgres", "default" };

const struct dbt_macro *dbt_macros_dispatch(const struct dbt_macros *ms, const char *name, const char *ns,
					    char *err, size_t errlen)
{
	if (strchr(name, '.')) {
		snprintf(err, errlen, "In dispatch: the macro name '%s' has a '.': give the namespace as the "
			 "second argument (adapter.dispatch('%s', '%.*s'))",
			 name, strchr(name, '.') + 1, (int)(strchr(name, '.') - name), name);
		return NULL;
	}
	const char *const *order = NULL;
	size_t norder = 0;
	const char *dflt[2];
	for (size_t i = 0; ns && i < ms->ndispatch; i++)
		if (strcmp(ms->dispatch[i].ns, ns) == 0) {
			order = (const char *const *)ms->dispatch[i].order;
			norder = ms->dispatch[i].norder;
		}
	if (!order && ns && dbt_macros_package(ms, ns) >= 0) {
		dflt[0] = ms->pkgs[DBT_PKG_ROOT];
		dflt[1] = ns;
		order = dflt;
		norder = 2;
	}
	struct buf tried = { 0 };
	char full[512];
	if (!order) {
		/* no namespace (or an unknown one): any package, the root's first */
		for (size_t p = 0; p < 2; p++) {
			snprintf(full, sizeof full, "%s__%s", prefixes[p], name);
			const struct dbt_macro *m = dbt_macros_get(ms, DBT_PKG_ROOT, full);
			for (size_t k = ms->npkgs; !m && k-- > 0;)
				m = dbt_macros_get(ms, k, full);
			if (m) {
				buf_free(&tried);
				return m;
			}
			buf_printf(&tried, "%s'%s'", p ? ", " : "", full);
		}
	}
	for (size_t i = 0; i < norder; i++) {
		long pkg = dbt_macros_package(ms, order[i]);
		for (size_t p = 0; p < 2; p++) {
			snprintf(full, sizeof full, "%s__%s", prefixes[p], name);
			const struct dbt_macro *m = pkg >= 0 ? dbt_macros_get(ms, (size_t)pkg, full) : NULL;
			if (m) {
				buf_free(&tried);
				return m;
			}
			buf_printf(&tried, "%s'%s.%s'", tried.len ? ", " : "", order[i], full);
		}
	}
	snprintf(err, errlen, "In dispatch: No macro named '%s' found within namespace: '%s'; searched for: %s", name,
		 ns ? ns : "None", tried.data ? tried.data : "");
	buf_free(&tried);
	return NULL;
}

/* ---- the context ---- */

bool dbt_ctx_known(void *ud, const char *name)
{
	const struct dbt_ctx *x = ud;
	return dbt_macros_resolve(x->ms, x->local, name) != NULL || strcmp(name, "return") == 0;
}

static struct tval str_value(struct tmpl_render *r, const char *s)
{
	return tval_str(r, s, strlen(s));
}

int dbt_ctx_global(const struct dbt_ctx *x, struct tmpl_render *r, const char *name, int line, struct tval *out)
{
	(void)line;
	const char *dot = strchr(name, '.');
	const struct dbt_macro *m = NULL;
	if (strncmp(name, "modules.", 8) == 0)
		return dbt_modules_global(r, name, out);
	if (dot) {
		char pkg[128];
		if ((size_t)(dot - name) >= sizeof pkg)
			return 1;
		memcpy(pkg, name, (size_t)(dot - name));
		pkg[dot - name] = '\0';
		long k = dbt_macros_package(x->ms, pkg);
		if (k < 0)
			return 1;
		m = dbt_macros_get(x->ms, (size_t)k, dot + 1);
		if (!m) {
			tmpl_fail(r, line, "'%s' is undefined: package '%s' has no macro '%s'", name, pkg, dot + 1);
			return -1;
		}
	} else if (strcmp(name, "target") == 0 && x->target) {
		*out = dbt_target_value(r, x->target); /* the profile's, else libpq's */
		return 0;
	} else if (strcmp(name, "execute") == 0) {
		*out = (struct tval){ .kind = TV_BOOL, .b = x->execute };
		return 0;
	} else {
		m = dbt_macros_resolve(x->ms, x->local, name);
	}
	if (!m)
		return 1;
	*out = tval_macro(r, m->t, m->m);
	return 0;
}

static int cmp_tval_str(const void *a, const void *b)
{
	const struct tval *x = a, *y = b;
	if (x->kind != TV_STR || y->kind != TV_STR)
		return (x->kind > y->kind) - (x->kind < y->kind);
	return strcmp(x->s, y->s);
}

/* dbt's set(iterable): the distinct items. Python's set has no order;
 * sorted, two sets of the same strings compare equal as lists. */
static int call_set(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	const struct tval *v = c->nargs == 1 ? &c->args[0] : NULL;
	if (!v || (v->kind != TV_LIST && v->kind != TV_NONE)) {
		tmpl_fail(r, c->line, "set() takes a list");
		return -1;
	}
	size_t n = v->kind == TV_LIST ? v->n : 0, k = 0;
	struct tval *tmp = xcalloc(n + 1, sizeof *tmp);
	for (size_t i = 0; i < n; i++)
		tmp[i] = v->items[i];
	if (n)
		qsort(tmp, n, sizeof *tmp, cmp_tval_str);
	for (size_t i = 0; i < n; i++)
		if (!k || tmp[i].kind != TV_STR || cmp_tval_str(&tmp[k - 1], &tmp[i]) != 0)
			tmp[k++] = tmp[i];
	*out = tval_list_new(r, k);
	for (size_t i = 0; i < k; i++)
		out->items[i] = tmp[i];
	free(tmp);
	return 0;
}

int dbt_ctx_call(const struct dbt_ctx *x, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	if (strcmp(c->name, "adapter.dispatch") == 0) {
		const struct tval *name = tmpl_call_arg(c, 0, "macro_name"), *ns = tmpl_call_arg(c, 1, "macro_namespace");
		if (!name || name->kind != TV_STR || (ns && ns->kind != TV_STR && ns->kind != TV_NONE)) {
			tmpl_fail(r, c->line, "adapter.dispatch() needs a macro name and a namespace, as strings");
			return -1;
		}
		char err[1024];
		const struct dbt_macro *m = dbt_macros_dispatch(x->ms, name->s, ns && ns->kind == TV_STR ? ns->s : NULL,
							       err, sizeof err);
		if (!m) {
			tmpl_fail(r, c->line, "%s", err);
			return -1;
		}
		*out = tval_macro(r, m->t, m->m);
		return 0;
	}
	if (strcmp(c->name, "adapter.quote") == 0) {
		const struct tval *v = tmpl_call_arg(c, 0, "identifier");
		if (!v || v->kind != TV_STR) {
			tmpl_fail(r, c->line, "adapter.quote() needs a string");
			return -1;
		}
		/* as dbt-postgres: between double quotes, as it is */
		struct buf b = { 0 };
		buf_printf(&b, "\"%s\"", v->s);
		*out = tval_str(r, b.data, b.len);
		buf_free(&b);
		return 0;
	}
	if (strcmp(c->name, "exceptions.raise_compiler_error") == 0 || strcmp(c->name, "exceptions.warn") == 0) {
		const struct tval *v = tmpl_call_arg(c, 0, "msg");
		const char *msg = v && v->kind == TV_STR ? v->s : "(no message)";
		if (c->name[11] == 'r') {
			tmpl_fail(r, c->line, "Compilation Error: %s", msg);
			return -1;
		}
		log_warn("%s:%d: %s", c->file, c->line, msg);
		*out = str_value(r, "");
		return 0;
	}
	if (strncmp(c->name, "modules.", 8) == 0)
		return dbt_modules_call(r, c, out);
	if (strcmp(c->name, "set") == 0)
		return call_set(r, c, out);
	if (strcmp(c->name, "print") == 0) {
		/* Python's print(): the value on stdout, as dbt's macros see it */
		const struct tval *v = tmpl_call_arg(c, 0, "msg");
		char num[48];
		if (!v || v->kind == TV_NONE)
			puts(v ? "None" : "");
		else if (v->kind == TV_STR)
			puts(v->s);
		else if (v->kind == TV_BOOL)
			puts(v->b ? "True" : "False");
		else if (v->kind == TV_NUM) {
			if (v->real)
				tmpl_float_repr(num, sizeof num, v->num);
			else
				snprintf(num, sizeof num, "%.0f", v->num);
			puts(num);
		} else
			puts("<value>");
		*out = str_value(r, "");
		return 0;
	}
	if (strcmp(c->name, "log") == 0) {
		const struct tval *v = tmpl_call_arg(c, 0, "msg"), *info = tmpl_call_arg(c, 1, "info");
		if (v && v->kind == TV_STR && info && tval_truthy(info) && x->execute)
			log_info("%s", v->s);
		*out = str_value(r, "");
		return 0;
	}
	return 1;
}
