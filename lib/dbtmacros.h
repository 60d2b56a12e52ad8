/* SPDX-License-Identifier: MIT
 * The macros of a dbt project: its own (macro-paths), its packages' and
 * the built-in ones modelrun ships in place of dbt's (lib/dbt_builtins/),
 * each parsed once, and the rules by which dbt finds one by name.
 *
 * Packages are numbered: DBT_PKG_BUILTIN is dbt's own namespace ("dbt"),
 * DBT_PKG_ROOT the project, then the installed packages in the order they
 * were added. A macro is found
 *
 *   - by a bare name, from a node (or text) of package P: P's macro, then
 *     the root project's, then a built-in. A package's macro is not found
 *     bare from another package's node, as in dbt (packages call their own
 *     macros as pkg.name);
 *   - as pkg.name: that package's macro; dbt.name is the built-in even when
 *     the project defines the same name (as in dbt);
 *   - through adapter.dispatch(name, namespace): see dbt_macros_dispatch().
 *
 * Memory: everything hangs off struct dbt_macros, released by
 * dbt_macros_free(). The templates stay alive until then, so the values
 * tval_macro() makes of them may be used by any render before it. */
#ifndef ELT_DBTMACROS_H
#define ELT_DBTMACROS_H

#include <stdbool.h>
#include <stddef.h>

#include "template.h"
#include "ydoc.h"

#define DBT_PKG_BUILTIN 0
#define DBT_PKG_ROOT 1

struct dbt_macro {
	const char *name;           /* in the template's arena */
	size_t pkg;
	const struct tmpl *t;
	const struct tmpl_macro *m;
	int line;
};

/* The root project's `dispatch:` entry for one namespace. */
struct dbt_dispatch {
	char *ns;
	char **order;               /* package names */
	size_t norder;
};

struct dbt_macros {
	char **pkgs;                /* package names, by number */
	size_t npkgs;
	struct tmpl **files;
	size_t nfiles;
	struct dbt_macro *v;
	size_t n;
	size_t *slots;              /* hash of (pkg, name): index + 1, 0 empty */
	size_t cap;
	struct dbt_dispatch *dispatch;
	size_t ndispatch;
};

/* The functions a dbt template may call through the host, for
 * tmpl_parse_names(): tmpl_dbt_functions and adapter.dispatch,
 * adapter.quote, exceptions.raise_compiler_error, exceptions.warn, log,
 * statement, load_result, run_query, and every modules.* (dbtmodules.h). */
extern const char *const dbt_host_functions[];

/* Starts a registry with the built-in namespace and the root project
 * called root, and loads the built-in macros. */
void dbt_macros_init(struct dbt_macros *ms, const char *root);
void dbt_macros_free(struct dbt_macros *ms);

/* Adds a package namespace; returns its number (an existing one's if the
 * name is known). */
size_t dbt_macros_add_package(struct dbt_macros *ms, const char *name);
/* The number of the package called name, or -1. */
long dbt_macros_package(const struct dbt_macros *ms, const char *name);

/* Parses every *.sql file under dir/rel (sorted, recursively) and adds
 * its top-level macros (and {% test %} blocks, as test_<name>) to package
 * pkg. A missing directory is no error. Two macros of one name in one
 * package are an error naming both places, as in dbt. Returns 0, or -1
 * with "file:line: message" in err. */
int dbt_macros_load_dir(struct dbt_macros *ms, size_t pkg, const char *dir, const char *rel, char *err,
			size_t errlen);
/* Parses text (named file in messages) into package pkg, as above. */
int dbt_macros_load_text(struct dbt_macros *ms, size_t pkg, const char *file, const char *text, size_t len,
			 char *err, size_t errlen);

/* The macro name of package pkg, or NULL. */
const struct dbt_macro *dbt_macros_get(const struct dbt_macros *ms, size_t pkg, const char *name);
/* The macro a bare name means in a node of package local, or NULL. */
const struct dbt_macro *dbt_macros_resolve(const struct dbt_macros *ms, size_t local, const char *name);

/* Reads the root project's `dispatch:` list ({macro_namespace: ns,
 * search_order: [pkg, ...]}) from its dbt_project.yml. Returns 0, or -1
 * with "file:line: message" in err. */
int dbt_macros_read_dispatch(struct dbt_macros *ms, struct ydoc *d, yaml_node_t *list, char *err, size_t errlen);

/* adapter.dispatch(name, ns) as dbt-postgres resolves it: for each package
 * of the search order (the root's dispatch: entry for ns; else, for an
 * installed package or dbt, the root project then ns; else every package,
 * the root winning), postgres__name then default__name. Returns the macro,
 * or NULL with the names searched in err (dbt's message). */
const struct dbt_macro *dbt_macros_dispatch(const struct dbt_macros *ms, const char *name, const char *ns,
					    char *err, size_t errlen);

/* ---- the part of dbt's context the registry answers ---- */

/* What a render knows of where it runs. */
struct dbt_target;

struct dbt_ctx {
	const struct dbt_macros *ms;
	size_t local;               /* the package of the node being rendered */
	const char *target_schema;
	bool execute;               /* false while the project is parsed */
	const struct dbt_target *target; /* `target`: the profile's (see
					    dbtprofile.h), or NULL: none */
};

/* A global name: a macro by its bare name or as pkg.name (dbt.name: the
 * built-in), `target` (x->target, the profile's output or what libpq would connect
 * to), `execute`, the modules modules.datetime, .pytz and .re (dbtmodules.h).
 * Returns 0 with *out, 1 when the name is not
 * one of these, -1 after tmpl_fail(). */
int dbt_ctx_global(const struct dbt_ctx *x, struct tmpl_render *r, const char *name, int line, struct tval *out);
/* adapter.dispatch, adapter.quote, exceptions.raise_compiler_error,
 * exceptions.warn, log and modules.* (dbt_modules_call()). Returns 0 with *out, 1 when c is none of
 * these, -1 after tmpl_fail(). */
int dbt_ctx_call(const struct dbt_ctx *x, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out);
/* For tmpl_names.known: whether a bare name is a macro a node of package
 * x->local can call. ud is a struct dbt_ctx. */
bool dbt_ctx_known(void *ud, const char *name);

#endif
