/* SPDX-License-Identifier: MIT
 * The dbt project reader shared by modelrun and dqcheck.
 *
 * dbt_project_load() reads <dir>/dbt_project.yml (name, model-paths,
 * seed-paths, test-paths, snapshot-paths, vars, per-folder `models:`,
 * `seeds:` and `snapshots:` configs),
 * finds every model (*.sql under the model paths), seed (*.csv under the
 * seed paths), schema file (*.yml and *.yaml under the model and seed paths:
 * sources, model and seed configs, column and model tests) and singular
 * test (*.sql under the test paths), snapshot (each {% snapshot name %}
 * ... {% endsnapshot %} block of a *.sql under the snapshot paths, and
 * each `snapshots:` entry with a `relation:` in a schema file, dbt 1.9's
 * YAML snapshots) and unit test (the root project's `unit_tests:`
 * entries, read by dbtunit.c, run by modelrun test), parses each model's
 * template and works out its configuration and dependencies:
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
 * The target schema is the caller's (--schema), else the profile's
 * schema (profiles.yml, see dbtprofile.h), else the project's top-level
 * `target-schema:` key (a modelrun extension), else "analytics".
 *
 * Jinja in dbt_project.yml and in the schema files is rendered when they
 * are read, as dbt renders it (see dbtyaml.h): with var() (--vars only in
 * dbt_project.yml, the project's vars too in schema files), env_var() and
 * target; not the vars block, hooks, descriptions and tests, which dbt
 * renders later or never.
 *
 * Errors, as dbt has them: a ref() to an unknown model, an undeclared
 * source, a var() that is not set, a Jinja syntax error or a cycle stops
 * the load. What dbt accepts but modelrun cannot build (an unsupported
 * construct or config, a Python model) becomes that node's error
 * (dbt_node.error) and the load goes on. A ref() that the parse-time render
 * does not reach (one under is_incremental() only) works here but fails in
 * dbt; it is warned about, asking for a `-- depends_on:` comment.
 *
 * Memory: everything hangs off struct dbt_project and is released by
 * dbt_project_free(). Errors come back as one line in err, already
 * prefixed with file:line where there is one. */
#ifndef ELT_DBTPROJECT_H
#define ELT_DBTPROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "dbtprofile.h"
#include "dbtmacros.h"
#include "template.h"
#include "ydoc.h"

enum dbt_kind { DBT_MODEL, DBT_SEED, DBT_SNAPSHOT };
/* MAT_SNAPSHOT is every snapshot's, and no config may set it */
enum dbt_mat { MAT_VIEW, MAT_TABLE, MAT_INCREMENTAL, MAT_EPHEMERAL, MAT_SEED, MAT_MATVIEW, MAT_SNAPSHOT };

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

/* A snapshot's configs, as written (checked when the snapshot runs,
 * except that strategy, unique_key, updated_at for `timestamp` and
 * check_cols for `check` must be there when the project loads, as dbt
 * requires). */
enum dbt_snapcol { SNAP_VALID_TO, SNAP_VALID_FROM, SNAP_SCD_ID, SNAP_UPDATED_AT, SNAP_IS_DELETED, SNAP_NCOLS };
struct dbt_snapcfg {
	char *strategy;         /* "timestamp", "check", or what the user wrote */
	char *updated_at;       /* a column of the query */
	char **check_cols;      /* SQL expressions, or NULL with check_all */
	size_t ncheck_cols;
	bool check_all;         /* check_cols='all' */
	bool unique_key_list;   /* unique_key given as a list (dbt 1.9+) */
	char *target_schema;    /* the schema itself, no <target>_ prefix */
	char *target_database;  /* only the connection's database is allowed */
	char *hard_deletes;     /* ignore, invalidate, new_record, or NULL */
	int invalidate_hard_deletes; /* -1 not given, else 0 or 1 */
	char *meta[SNAP_NCOLS]; /* snapshot_meta_column_names; NULL: dbt's name */
	char *valid_to_current; /* dbt_valid_to_current: SQL, or NULL */
};

/* on_schema_change, for incremental models */
enum dbt_osc { OSC_IGNORE, OSC_FAIL, OSC_APPEND, OSC_SYNC };

/* A privilege of the grants config and the roles to give it to, as
 * written (dbt folds nothing: the server folds unquoted role names). */
struct dbt_grant {
	char *privilege;
	char **grantees;
	size_t ngrantees;
};

/* A constraint of a contracted model (see dbtcontract.c), at column level
 * (columns unused) or model level. Expressions are SQL text, written into
 * the DDL as dbt writes them. A foreign key names its target either with
 * to (ref('m') or source('s', 't'), resolved to to_node / to_source) and
 * to_columns, or with expression ("other_table (id)"). */
enum dbt_con_type { CON_NOT_NULL, CON_UNIQUE, CON_PRIMARY_KEY, CON_CHECK, CON_FOREIGN_KEY, CON_CUSTOM };

struct dbt_constraint {
	enum dbt_con_type type;
	char *name;            /* or NULL */
	char *expression;      /* or NULL */
	char **columns;        /* model level */
	size_t ncolumns;
	char *to;              /* as written, or NULL */
	long to_node, to_source; /* what to names, -1 for none */
	char **to_columns;
	size_t nto_columns;
	bool warn_unsupported; /* say so when the materialization ignores it */
	size_t line;
};

/* A column declared in a schema file: what contracts and persist_docs use. */
struct dbt_column {
	char *name;
	char *data_type;       /* or NULL */
	char *description;     /* "" when none */
	size_t description_line; /* where it is written (the column's line when none) */
	char *meta;            /* meta: as JSON text, or NULL */
	char **tags;           /* tags: as written */
	size_t ntags;
	bool quote;
	struct dbt_constraint *constraints;
	size_t nconstraints;
	size_t line;
};

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
	/* contract: {enforced: true}: the query's columns checked against the
	 * schema file's before the build, the table created with them */
	bool contract_enforced;
	/* grants: privilege -> roles; a '+privilege' key at a deeper level adds
	 * to the roles above instead of replacing them, as in dbt */
	struct dbt_grant *grants;
	size_t ngrants;
	/* persist_docs: {relation: true, columns: true} */
	bool persist_relation, persist_columns;
	int full_refresh;      /* -1 unset (--full-refresh decides), 0 false, 1 true */
	bool docs_show;        /* docs: {show: ...}, true unless said */
	/* meta: merged key by key across levels; values as JSON text */
	char **meta;           /* key, json, key, json, ... */
	size_t nmeta;          /* pairs */
	/* every config as written at the last level that set it (dbt's
	 * unrendered_config, which its state:modified compares) */
	char **unrendered;     /* key, json, ... */
	size_t nunrendered;    /* pairs */
	struct dbt_snapcfg snap;
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
	/* from the model's schema-file entry (NULL / none without one) */
	char *description;
	size_t description_line;
	struct dbt_column *columns;
	size_t ncolumns;
	struct dbt_constraint *constraints; /* model level */
	size_t nconstraints;
	char *yml_file;        /* the schema file describing it, or NULL */
	size_t yml_line;
	char *text;            /* snapshots: the template text (a SQL block
				  with the rest of its file blanked, or the
				  select a YAML snapshot stands for) */
	size_t line;           /* snapshots: where the block or entry starts */
	/* The node's entry in a schema file (description, columns), or
	 * NULL when none describes it; the last one wins, as in dbt. */
	struct ydoc *yml;
	yaml_node_t *yml_entry;
	/* Why the node cannot be built, found when the project was read (a
	 * construct or config modelrun does not support, a Python model), or
	 * NULL. As in dbt, that is this model's error: the others still run
	 * and its descendants are skipped. file:line first where known. */
	char *error;
	bool python;           /* a .py file under a model path: never built */
};

struct dbt_source {
	char *source_name;
	char *table_name;
	char *schema;          /* defaults to the source name */
	char *identifier;      /* defaults to the table name */
	char *relation;        /* "schema"."identifier", quoted */
	char *loaded_at_field; /* or NULL */
	/* the schema file's words on the table and on its source (NULL when
	 * none), with where they are written, and the table's columns */
	char *description;
	size_t description_line;
	char *source_description;
	size_t source_description_line;
	char *loader;
	struct dbt_column *columns;
	size_t ncolumns;
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

/* ---- dbt 1.8 unit tests (`unit_tests:` in schema files), read by dbtunit.c ---- */

enum dbt_ut_format { DBT_UT_DICT, DBT_UT_CSV, DBT_UT_SQL };
/* What a given input stands for: ref('m') (a node), source('s', 't') or
 * this (the tested model itself). */
enum dbt_ut_input { DBT_UT_REF, DBT_UT_SOURCE, DBT_UT_THIS };

/* One value of a fixture row: value NULL is SQL null; literal says it is
 * written into SQL as it is (a YAML number or boolean of a dict row),
 * otherwise it is a string, quoted. */
struct dbt_ut_cell {
	char *column;          /* lower case, as dbt matches columns */
	char *value;
	bool literal;
};

struct dbt_ut_row {
	struct dbt_ut_cell *cells;
	size_t ncells;
};

/* A given input or the expected output. Dict and csv rows are in rows
 * (csv values are strings, an empty one null, as dbt reads them); the sql
 * format's query is in sql. A fixture: file is read when the project
 * loads (tests/fixtures/NAME.csv or .sql under a test path). */
struct dbt_ut_fixture {
	char *input;           /* given: as written ("ref('m')"); expect: NULL */
	enum dbt_ut_input kind;
	size_t target;         /* the node (ref, this) or source it names */
	enum dbt_ut_format format;
	struct dbt_ut_row *rows;
	size_t nrows;
	char *sql;
	size_t line;
};

struct dbt_unit_test {
	char *name;
	char *model;           /* as written */
	long node;             /* the tested model, or -1 */
	char *description;     /* or NULL */
	char *file;            /* the schema file */
	size_t line;
	struct dbt_ut_fixture *given;
	size_t ngiven;
	struct dbt_ut_fixture expect;
	char **tags;
	size_t ntags;
	bool enabled;
	/* overrides: mappings of the schema file (NULL when not given) */
	struct ydoc *doc;
	yaml_node_t *macros, *vars, *env_vars;
	/* Why the test cannot run (a format or fixture it lacks, a model that
	 * does not exist), "file:line: message", or NULL. Such a test is
	 * reported as an ERROR when it is selected, never left out. */
	char *error;
};

struct dbt_project {
	char *dir;
	char *name;
	char *target_schema;
	char **model_paths, **seed_paths, **test_paths, **snapshot_paths;
	size_t nmodel_paths, nseed_paths, ntest_paths, nsnapshot_paths;
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
	struct dbt_profile *profile; /* profiles.yml's output, or NULL: PG* */
	struct dbt_target target;    /* what {{ target }} is */
	char **macro_paths;
	size_t nmacro_paths;
	struct dbt_package *packages;
	size_t npackages;
	struct dbt_macros macros; /* the project's, the packages' and built-ins */
	struct dbt_unit_test *unit_tests; /* the root project's, in file order */
	size_t nunit_tests;
};

struct dbt_options {
	const char *dir;           /* project directory; NULL: "." */
	const char *target_schema; /* NULL: the project's, else "analytics" */
	const char *vars;          /* --vars YAML text, or NULL */
	/* profiles.yml (see dbtprofile.h): --profiles-dir, --profile and
	 * --target, each NULL when not given; dbname is -d, for target
	 * without a profile */
	const char *profiles_dir;
	const char *profile;
	const char *target;
	const char *dbname;
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
	/* Runs sql for statement() and run_query() (nparams 0: as it is,
	 * several statements allowed), or one statement with the text values
	 * params for $1..$n (adapter.get_columns_in_relation); NULL when
	 * there is no connection (modelrun compile), and they are errors.
	 * Returns 0 with *rows, or -1 with err. */
	int (*query)(void *ud, const char *sql, size_t nparams, const char *const *params, struct dbt_rows *rows,
		     char *err, size_t errlen);
	void *query_ud;
	bool incremental;     /* what is_incremental() returns */
	/* Called for a ref() to an ephemeral model; returns the text that
	 * stands for it (e.g. "__dbt__cte__name"); NULL: the default name. */
	const char *(*ephemeral)(void *ud, size_t node);
	void *ud;
	/* A unit test's render (NULL otherwise): var(), env_var() and the
	 * host functions its overrides name answer with the override's value,
	 * and every ref(), source() and `this` asks input (with ud) for the
	 * text that stands for it; input returns NULL for one the test does
	 * not give, which fails the render as dbt fails it. */
	const struct dbt_unit_test *unit;
	const char *(*input)(void *ud, enum dbt_ut_input kind, size_t idx);
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

/* What a caller adds to the project's functions for a template that is
 * not a model (modelrun run-operation: run_query, log, ...). call answers
 * a call of one of funcs (NULL-terminated) and returns 0 with *out, or -1
 * after tmpl_fail(); global answers a name as tmpl_host.global does (1:
 * not its own), and may be NULL. */
struct dbt_extra_host {
	const char *const *funcs;
	int (*call)(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out);
	int (*global)(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out);
	void *ud;
};

/* dbt_render_text() as the root project's code, with execute true, o's
 * query function answering statement() and run_query() (NULL: none), and
 * x's functions and globals before the project's (x may be NULL). The
 * project's macros (and packages' as pkg.name) are callable. */
int dbt_render_text_ex(const struct dbt_project *p, const char *file, const char *text, size_t len,
		       const struct dbt_render_opts *o, const struct dbt_extra_host *x, char **sql, char *err,
		       size_t errlen);

/* What a caller of dbt_render_text_with() hears of a text: each ref()
 * and source() it makes (reads, when set), each config(key=value)
 * (config, when set: 0, or -1 with the problem in msg; without it
 * config() does nothing), and the text that stands for a ref() to an
 * ephemeral model (ephemeral, as in dbt_render_opts). query, when set,
 * runs statement() and run_query() as in dbt_render_opts (without it they
 * are errors: there is no connection). */
/* What the error of statement() or run_query() without a connection says,
 * for a caller that renders the text again once it has one. */
#define DBT_NEEDS_CONNECTION "which needs a connection"

struct dbt_text_opts {
	void (*reads)(void *ud, bool source, size_t idx);
	int (*config)(void *ud, const char *key, const struct tval *v, char *msg, size_t msglen);
	const char *(*ephemeral)(void *ud, size_t node);
	void *ud;
	int (*query)(void *ud, const char *sql, size_t nparams, const char *const *params, struct dbt_rows *rows,
		     char *err, size_t errlen);
	void *query_ud;
};

/* dbt_render_text() with o (NULL: as dbt_render_text). */
int dbt_render_text_with(const struct dbt_project *p, const char *file, const char *text, size_t len,
			 const struct dbt_text_opts *o, char **sql, char *err, size_t errlen);

/* ---- dbtcompile.c: SQL as dbt compiles it, ephemeral models inlined ---- */

/* The SQL of a model with every ephemeral model it refs (directly or
 * through other ephemerals) inlined as a "__dbt__cte__<name>" CTE ahead of
 * its query, as dbt does; trailing semicolons removed. Of o (NULL: none)
 * only incremental, what is_incremental() answers, and query, which runs
 * statement() and run_query() in the model and its ephemerals, are used.
 * Returns 0 with a malloc'd *sql, or -1 with err. */
int dbt_compile(const struct dbt_project *p, size_t node, const struct dbt_render_opts *o, char **sql,
		char *err, size_t errlen);

/* The same for a text that is not a model (a singular test), rendered
 * through dbt_render_text_with() with o (its ephemeral is not used). */
int dbt_compile_text(const struct dbt_project *p, const char *file, const char *text, size_t len,
		     const struct dbt_text_opts *o, char **sql, char *err, size_t errlen);

/* sql with ctes ("name as (...), ...") put ahead of its query as a WITH
 * clause, joined with the query's own WITH (and RECURSIVE) when it has
 * one, as dbt injects CTEs; trailing semicolons removed. Malloc'd. */
char *dbt_with_ctes(const char *sql, const char *ctes);

/* Puts the ephemeral models want[] (per node) names, and those they ref,
 * as CTEs ahead of *sql (joining its own WITH), which it replaces.
 * Returns 0, or -1 with err. */
int dbt_inline_ephemerals(const struct dbt_project *p, const bool *want, char **sql, char *err, size_t errlen);

/* Where a SQL text's first token starts, past whitespace and comments. */
const char *dbt_sql_start(const char *s);

/* Renders a hook of node (a pre_hook or post_hook) as the model sees it:
 * this, ref() (to any node), source(), var(), and is_incremental()
 * answering incremental. Returns 0 with a malloc'd *sql, or -1 with err. */
int dbt_render_hook(const struct dbt_project *p, size_t node, const char *text, bool incremental, char **sql,
		    char *err, size_t errlen);
/* The same with o's is_incremental() answer and query function (a hook
 * that runs queries or drops a relation while it renders). */
int dbt_render_hook_with(const struct dbt_project *p, size_t node, const char *text, const struct dbt_render_opts *o,
			 char **sql, char *err, size_t errlen);

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

/* path below the first of bases (model, seed or test paths) it is under,
 * as dbt's "path" of a node ("staging/stg.sql"); path itself when under
 * none. Points into path. */
const char *dbt_path_below(char *const *bases, size_t nbases, const char *path);

const char *dbt_mat_name(enum dbt_mat m);

/* The text whose hashtextextended(text, 0) is the session advisory lock of
 * a project and target schema: modelrun seed/run hold it exclusively, so
 * two runs never interleave; dqcheck holds it shared, so its tests never
 * see a run half done. "modelrun:<project>:<target schema>", malloc'd. */
char *dbt_lock_key(const struct dbt_project *p);

#endif
