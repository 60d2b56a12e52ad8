/* SPDX-License-Identifier: MIT
 * The dbt project reader shared by modelrun and dqcheck.
 *
 * dbt_project_load() reads <dir>/dbt_project.yml (name, model-paths,
 * seed-paths, test-paths, vars, per-folder `models:` and `seeds:` configs),
 * finds every model (*.sql under the model paths), seed (*.csv under the
 * seed paths), schema file (*.yml and *.yaml under the model and seed paths:
 * sources, model and seed configs, column and model tests) and singular
 * test (*.sql under the test paths), parses each model's template and works
 * out its configuration and dependencies:
 *
 *   - config precedence, lowest first: dbt_project.yml folder defaults,
 *     the `config:` block of the model's schema.yml entry, config() in the
 *     model file;
 *   - dependencies are every ref() and source() in the file, including
 *     those in branches that are not taken and in `-- depends_on:`
 *     comments (found by walking the template), plus those a parse-time
 *     render produces (ref(x) with x computed);
 *   - a ref() to an unknown model, an undeclared source or a cycle is an
 *     error naming file:line (for a cycle: the cycle, "a -> b -> a");
 *   - relation names follow dbt's default rules: schema is the target
 *     schema, or "<target>_<custom>" for a model with config schema=custom;
 *     the identifier is the alias or the model name.
 *
 * A node with enabled=false stays in nodes[] (callers skip it); a ref()
 * to it from an enabled node is an error.
 *
 * The target schema is the caller's (--schema), else the project's
 * top-level `target-schema:` key (a modelrun extension; dbt takes it from
 * profiles.yml), else "analytics".
 *
 * Memory: everything hangs off struct dbt_project and is released by
 * dbt_project_free(). Errors come back as one line in err, already
 * prefixed with file:line where there is one. */
#ifndef ELT_DBTPROJECT_H
#define ELT_DBTPROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "dbtmacros.h"
#include "template.h"
#include "ydoc.h"

enum dbt_kind { DBT_MODEL, DBT_SEED };
enum dbt_mat { MAT_VIEW, MAT_TABLE, MAT_INCREMENTAL, MAT_EPHEMERAL, MAT_SEED, MAT_MATVIEW };

/* on_configuration_change, for materialized views */
enum dbt_occ { OCC_APPLY, OCC_CONTINUE, OCC_FAIL };

struct dbt_index {
	char **columns;
	size_t ncolumns;
	bool unique;
	char *type; /* NULL: the default (btree) */
};

/* A pre_hook or post_hook: Jinja text rendered when the model is built,
 * run inside the model's transaction unless transaction is false (then
 * before BEGIN, or after COMMIT), as dbt-postgres does. */
struct dbt_hook {
	char *sql;
	bool transaction;
};

/* on_schema_change, for incremental models */
enum dbt_osc { OSC_IGNORE, OSC_FAIL, OSC_APPEND, OSC_SYNC };

struct dbt_config {
	enum dbt_mat materialized;
	char *schema;          /* custom schema, or NULL */
	char *alias;           /* or NULL */
	char **tags;
	size_t ntags;
	char **unique_key;     /* columns, for incremental delete+insert */
	size_t nunique;
	bool enabled;
	bool append_only;      /* incremental_strategy='append' */
	bool merge;            /* incremental_strategy='merge' */
	char **merge_update_columns, **merge_exclude_columns;
	size_t nmerge_update, nmerge_exclude;
	struct dbt_index *indexes;
	size_t nindexes;
	char **column_types;   /* seeds: name, type, name, type, ... */
	size_t ncolumn_types;  /* pairs */
	/* Citus (ignored without it): distributed_by (alias
	 * distribution_column, as dbt-citus says) names the distribution
	 * column, colocate_with a table to share shards with; a true
	 * distributed_replicated (alias reference) makes a reference table,
	 * copied to every node. NULL / false: a plain local table. */
	char *distributed_by;
	char *colocate_with;
	bool replicated;
	/* pre_hook / post_hook: additive across levels, as in dbt (the
	 * project's first, then schema.yml's, then config()'s) */
	struct dbt_hook *pre_hooks, *post_hooks;
	size_t npre_hooks, npost_hooks;
	enum dbt_osc on_schema_change;
	enum dbt_occ on_configuration_change;
};

struct dbt_node {
	enum dbt_kind kind;
	char *name;
	char *unique_id;       /* "model.<package>.<name>" or "seed.<package>.<name>" */
	size_t pkg;            /* its package: DBT_PKG_ROOT, or a number in p->macros */
	char *path;            /* relative to its project's dir: "models/staging/stg.sql" */
	char *file;            /* the path as opened */
	char **fqn;            /* project name, folders under the model path, name */
	size_t nfqn;
	struct tmpl *tmpl;     /* models only */
	struct dbt_config cfg;
	char *schema;          /* where the relation lives */
	char *identifier;      /* the relation's name */
	char *relation;        /* "schema"."identifier", quoted */
	size_t *parents;       /* node indices, no duplicates */
	size_t nparents;
	size_t *children;
	size_t nchildren;
	size_t *sources;       /* indices into dbt_project.sources */
	size_t nsources;
};

struct dbt_source {
	char *source_name;
	char *table_name;
	char *schema;          /* defaults to the source name */
	char *identifier;      /* defaults to the table name */
	char *relation;        /* "schema"."identifier", quoted */
	char *loaded_at_field; /* or NULL */
	struct ydoc *doc;      /* the schema file, and the table's node in it */
	yaml_node_t *node;
};

enum dbt_test_on { DBT_TEST_ON_NODE, DBT_TEST_ON_SOURCE };

/* A data test declared in a schema file (`tests:` or `data_tests:` on a
 * model, seed, source table or column). The yml node is either a scalar
 * (the test's name) or a one-pair mapping {name: {arguments...}}; the
 * arguments are left for the test runner to read. */
struct dbt_test {
	enum dbt_test_on on;
	size_t target;         /* index into nodes or sources */
	char *column;          /* NULL for a model- or table-level test */
	char *name;            /* e.g. "not_null", "accepted_values", "dbt_utils.x";
				  "" for an entry that is not a test */
	struct ydoc *doc;
	yaml_node_t *node;
	yaml_node_t *column_node; /* the column's entry (quote:, tags:), or NULL */
	size_t line;
};

/* A package that `dbt deps` installed (dbt_packages/NAME), with its own
 * dbt_project.yml. */
struct dbt_package {
	char *name;
	char *dir;             /* as opened: "<project>/dbt_packages/dbt_utils" */
	size_t pkg;            /* its number in the macro registry */
	struct ydoc *doc;      /* its dbt_project.yml (vars, models:) */
	char **model_paths, **seed_paths, **macro_paths;
	size_t nmodel_paths, nseed_paths, nmacro_paths;
};

struct dbt_project {
	char *dir;
	char *name;
	char *target_schema;
	char **model_paths, **seed_paths, **test_paths;
	size_t nmodel_paths, nseed_paths, ntest_paths;
	struct dbt_node *nodes;
	size_t nnodes;
	size_t *order;         /* node indices, parents before children */
	struct dbt_source *sources;
	size_t nsources;
	struct dbt_test *tests;
	size_t ntests;
	char **singular_tests; /* paths of test-path *.sql files */
	size_t nsingular;
	struct ydoc **docs;    /* every yml loaded, kept for the nodes above */
	size_t ndocs;
	struct ydoc *cli_vars; /* --vars, or NULL */
	struct ydoc *project_doc;
	char **on_run_start;   /* dbt_project.yml's hooks, Jinja text */
	size_t non_run_start;
	char **on_run_end;
	size_t non_run_end;
	char **macro_paths;
	size_t nmacro_paths;
	struct dbt_package *packages;
	size_t npackages;
	struct dbt_macros macros; /* the project's, the packages' and built-ins */
};

struct dbt_options {
	const char *dir;           /* project directory; NULL: "." */
	const char *target_schema; /* NULL: the project's, else "analytics" */
	const char *vars;          /* --vars YAML text, or NULL */
};

int dbt_project_load(struct dbt_project *p, const struct dbt_options *o, char *err, size_t errlen);
void dbt_project_free(struct dbt_project *p);

/* The node named name, or -1. */
long dbt_find(const struct dbt_project *p, const char *name);
/* The node named name of package (a project name; NULL: any), or -1. */
long dbt_find_in(const struct dbt_project *p, const char *package, const char *name);
/* The source src.tbl, or -1. */
long dbt_find_source(const struct dbt_project *p, const char *src, const char *tbl);

/* What a query run while rendering gave: ncols names, nrows rows of
 * ncols values (NULL for SQL null), each column's kind. Owned by the
 * caller of the query function, valid until its next call. */
enum dbt_col_kind { DBT_COL_TEXT, DBT_COL_NUMBER, DBT_COL_BOOL };
struct dbt_rows {
	size_t ncols, nrows;
	const char *const *names;
	const enum dbt_col_kind *kinds;
	const char *const *values;   /* row-major */
};

/* How a model's ref(), source(), this, var(), config() and
 * is_incremental() answer during dbt_render(). */
struct dbt_render_opts {
	/* Runs sql for statement() and run_query(); NULL when there is no
	 * connection (modelrun compile), and they are errors. Returns 0 with
	 * *rows, or -1 with err. */
	int (*query)(void *ud, const char *sql, struct dbt_rows *rows, char *err, size_t errlen);
	void *query_ud;
	bool incremental;     /* what is_incremental() returns */
	/* Called for a ref() to an ephemeral model; returns the text that
	 * stands for it (e.g. "__dbt__cte__name"); NULL: the default name. */
	const char *(*ephemeral)(void *ud, size_t node);
	void *ud;
};

/* Renders node's SQL into a malloc'd string. A ref() the parse did not
 * see (computed in a branch only now taken) is an error asking for a
 * `-- depends_on:` comment. Returns 0, or -1 with err. */
int dbt_render(const struct dbt_project *p, size_t node, const struct dbt_render_opts *o,
	       char **sql, char *err, size_t errlen);

/* Renders a template that is not a model (a singular test, a test's
 * `where:`) with the project's ref(), source() and var(): ref() may name
 * any node, is_incremental() is false, config() does nothing and `this`
 * is undefined. file is used in messages. Returns 0 with a malloc'd *sql,
 * or -1 with err. */
int dbt_render_text(const struct dbt_project *p, const char *file, const char *text, size_t len,
		    char **sql, char *err, size_t errlen);

/* Renders a hook of node (a pre_hook or post_hook) as the model sees it:
 * this, ref() (to any node), source(), var(), and is_incremental()
 * answering incremental. Returns 0 with a malloc'd *sql, or -1 with err. */
int dbt_render_hook(const struct dbt_project *p, size_t node, const char *text, bool incremental, char **sql,
		    char *err, size_t errlen);

/* The macro of a generic test written as a macro, as dbt finds it: for
 * "pkg.name", package pkg's test_name; for "name", the root project's
 * test_name or a built-in's. NULL when there is none. */
const struct dbt_macro *dbt_generic_test_macro(const struct dbt_project *p, const char *type);

/* Renders generic test type (see above) on node or source target of
 * dbt_test_on on, as dbt does: the macro is called with model (the
 * relation), column_name when column is not NULL, and the arguments in the
 * mapping args of d (NULL: none): a string that looks like a call of ref,
 * source, var or env_var is that call, a string with {{ or {% is rendered,
 * other values are passed as YAML gives them. With where (the test's
 * config), model is dbt's get_where_subquery(): "(select * from relation
 * where ...) dbt_subquery", a string. *fail_calc is the config(fail_calc=)
 * the macro gave (malloc'd), or NULL: count(*). o's query function answers
 * the macro's queries. Returns 0 with a malloc'd
 * *sql, or -1 with err. */
int dbt_render_generic_test(const struct dbt_project *p, const char *type, enum dbt_test_on on, size_t target,
			    const char *column, struct ydoc *d, const char *const *keys, yaml_node_t *const *vals,
			    size_t nargs, const char *where, const struct dbt_render_opts *o, char **sql,
			    char **fail_calc, char *err, size_t errlen);

/* Quotes an identifier the way PQescapeIdentifier does (double quotes,
 * inner quotes doubled), for SQL made without a connection. Malloc'd. */
char *dbt_quote_ident(const char *name);

const char *dbt_mat_name(enum dbt_mat m);

/* The text whose hashtextextended(text, 0) is the session advisory lock of
 * a project and target schema: modelrun seed/run hold it exclusively, so
 * two runs never interleave; dqcheck holds it shared, so its tests never
 * see a run half done. "modelrun:<project>:<target schema>", malloc'd. */
char *dbt_lock_key(const struct dbt_project *p);

#endif
