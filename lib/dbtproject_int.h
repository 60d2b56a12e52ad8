/* SPDX-License-Identifier: MIT
 * Internals of the dbt project reader shared by its files: dbtproject.c
 * (loading, configs, ref/source/var/config, the render entry points),
 * dbtcontract.c (the configs that are mappings: contract, grants,
 * persist_docs, docs, meta; full_refresh; a model's schema-file columns
 * and constraints) and dbtcontext.c (queries while rendering,
 * generate_*_name, generic tests written as macros); the small helpers
 * also serve dbtpackages.c, dbtmacros.c and dbtprofile.c. dbtproject.h is
 * the API; nothing here is for other modules. */
#ifndef ELT_DBTPROJECT_INT_H
#define ELT_DBTPROJECT_INT_H

#include "dbtproject.h"
#include "xalloc.h"

/* Sets the config key (without a leading '+') from a YAML value. Returns
 * 1 when key is not one of these configs, 0 when set, -1 with "file:line:
 * message" in err. */
int dbtc_config_yaml(struct dbt_config *c, const char *key, struct ydoc *d, yaml_node_t *n, char *err,
		     size_t errlen);

/* Likewise from a config() argument; err then holds the message without
 * file:line (the render adds it). */
int dbtc_config_tval(struct dbt_config *c, const char *key, const struct tval *t, char *err, size_t errlen);

/* Keeps a config as written (the key without a leading '+'), for the
 * manifest's unrendered_config. */
void dbtc_unrendered_yaml(struct dbt_config *c, const char *key, struct ydoc *d, yaml_node_t *n);
void dbtc_unrendered_tval(struct dbt_config *c, const char *key, const struct tval *t);

/* Frees what the two above set. */
void dbtc_config_free(struct dbt_config *c);

/* Reads the description, columns (name, data_type, description, quote,
 * constraints) and model-level constraints of node's schema-file entry.
 * Returns 0, or -1 with "file:line: message" in err. */
int dbtc_read_entry(struct dbt_project *p, size_t node, struct ydoc *d, yaml_node_t *entry, char *err,
		    size_t errlen);

/* Appends the columns of a schema-file entry (name, data_type,
 * description, meta, tags, quote, and constraints when asked) to *out;
 * owner (the model's or table's name) is for messages. Returns 0, or -1
 * with err. */
int dbtc_read_columns(struct ydoc *d, yaml_node_t *entry, const char *owner, bool constraints, struct dbt_column **out,
		      size_t *n, char *err, size_t errlen);
void dbtc_columns_free(struct dbt_column *cols, size_t n);

/* Reads what source table s's entry (table, in source's entry) says of
 * it: descriptions, the source's loader, the columns. Returns 0 or -1. */
int dbtc_read_source(struct dbt_source *s, struct ydoc *d, yaml_node_t *source, yaml_node_t *table, char *err,
		     size_t errlen);

/* Once every config is known: resolves the foreign keys' to: (adding the
 * model they name as a parent, as dbt does), and checks what dbt checks
 * when it parses a contracted model. Warnings go to the log. Returns 0,
 * or -1 with err. */
int dbtc_resolve(struct dbt_project *p, char *err, size_t errlen);

/* Frees a node's columns, constraints and description. */
void dbtc_node_free(struct dbt_node *n);
#define NO_NODE ((size_t)-1) /* rendering a free-standing text (a test) */

struct stmt_result;

/* A relation given to a template (a generic test's model). */
struct dbt_relation_arg {
	const char *relation, *schema, *identifier;
	const char *where_subquery;   /* or NULL */
};

struct host_state {
	struct dbt_project *p;
	size_t node;
	struct stmt_result *results;       /* statement()'s, for load_result() */
	/* a generic test's call: its model and arguments */
	const struct dbt_relation_arg *test_model;
	struct ydoc *test_doc;
	yaml_node_t *const *test_vals;
	size_t test_nvals;
	char **fail_calc;                  /* its config(fail_calc=...) */
	bool generating;                   /* generate_*_name() of gen_node */
	size_t gen_node;
	const char *gen_custom;            /* its first argument, or NULL: none */
	bool parsing;                      /* parse-time render: collect */
	const struct dbt_render_opts *opts;
	const struct dbt_text_opts *text;  /* a free-standing text's caller, or NULL */
	bool any_ref;                      /* a hook: ref() may name any node */
	bool *reached;                     /* parsing: the refs the render reached */
	bool probe;                        /* parsing again with is_incremental()
					      true, only to fill reached */
	struct tmpl_render *graph_of;      /* the render graph was built for */
	struct tval graph;                 /* `graph`, built once per render */
	char *err;
	size_t errlen;
	int rc;
};

/* dbtproject.c */
/* The small helpers every file of the reader uses, kept once here. */
/* Appends v to arr, an array of n items that grows by one (xrealloc). */
#define PUSH(arr, n, v)                                               \
	do {                                                          \
		(arr) = xrealloc((arr), ((n) + 1) * sizeof *(arr));   \
		(arr)[(n)++] = (v);                                   \
	} while (0)
/* Frees n strings and the array that holds them. */
void free_strs(char **v, size_t n);
/* qsort() order of an array of strings, by strcmp(). */
int cmp_str(const void *a, const void *b);
/* A YAML value that may be one string or a list of them, as dbt reads
 * model-paths and the like; dflt alone when n is neither. Returns *count
 * malloc'd strings (free_strs()). */
char **yaml_str_list(struct ydoc *d, yaml_node_t *n, const char *dflt, size_t *count);
void dbtp_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
char *dbtp_quote_relation(const char *schema, const char *ident);
/* A relation value: prints as "schema"."identifier", with the attributes
 * (and .get(), metadata) dbt's Relation has in templates. */
struct tval dbtp_relation_value(struct tmpl_render *r, const char *db, const char *rel, const char *schema,
				 const char *ident);
/* A YAML value as dbt reads it (PyYAML, YAML 1.1); lists and dicts can grow. */
struct tval dbtp_yaml_tval(struct tmpl_render *r, struct ydoc *d, yaml_node_t *n);
/* Parses a template of the project that may call its macros, as a node of
 * package pkg sees them. */
struct tmpl *dbtp_parse(const struct dbt_project *p, size_t pkg, const char *file, const char *text, size_t len,
			char *err, size_t errlen);
int dbtp_host_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out);
int dbtp_host_global(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out);

/* Every regular file under rel (a directory relative to projdir), as
 * paths relative to projdir, sorted, subdirectories descended into;
 * appended to *out. A missing directory is no error. */
void dbtp_walk_dir(const char *projdir, const char *rel, char ***out, size_t *n);

/* dbtunit.c */
/* Reads the `unit_tests:` list of schema file d into p->unit_tests. A
 * problem with one test becomes that test's error; -1 (with err) only for
 * a list that is not one. */
int dbtu_load(struct dbt_project *p, struct ydoc *d, yaml_node_t *list, char *err, size_t errlen);
void dbtu_free(struct dbt_project *p);
/* A call while a unit test renders (o->unit set): an overridden var(),
 * env_var() or host function answers with the override's value; ref()
 * and source() with the text o->input gives. Returns 1 for a call it
 * leaves to the host, else 0 with *out or -1 after tmpl_fail(). */
int dbtu_call(const struct dbt_project *p, const struct dbt_render_opts *o, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out);
/* `this` while a unit test renders: 0 with *out when the test gives
 * rows for it, else 1 (the model's relation). */
int dbtu_this(const struct dbt_render_opts *o, struct tmpl_render *r, struct tval *out);

/* dbtcontext.c */
/* statement(), load_result(), run_query(), adapter.get_columns_in_relation() */
int dbtp_call_query(struct host_state *h, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out);
/* Runs sql, with nparams text values for $1..$n (values always go as
 * parameters, never into the SQL), on the render's connection (what names
 * the caller in the error). Returns 0 with *q (valid until the next
 * query), or -1 after tmpl_fail(). */
int dbtp_query(struct host_state *h, struct tmpl_render *r, int line, const char *what, const char *sql,
	       size_t nparams, const char *const *params, struct dbt_rows *q);

/* dbtgraph.c: `graph` (graph.nodes, graph.sources; empty while parsing).
 * Returns 0 with *out, 1 for another name. */
int dbtg_global(struct host_state *h, struct tmpl_render *r, const char *name, struct tval *out);

/* dbtrelation.c: relations made and looked up while rendering, flags,
 * graph, and the names of dbt's context that modelrun lacks. Each returns
 * 0 with *out, 1 when the name is not one of these, -1 after tmpl_fail(). */
int dbtrel_global(struct host_state *h, struct tmpl_render *r, const char *name, int line, struct tval *out);
int dbtrel_call(struct host_state *h, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out);
/* agate's Table of a query's result, as run_query() gives it: the rows
 * (tuples whose values are also their columns' names), .rows, .columns
 * (each a sequence of the values, also by name) and .column_names; rows
 * (rows_list's) gets the names of its columns. */
struct tval dbtrel_agate_table(struct tmpl_render *r, const struct dbt_rows *q, struct tval *rows);
/* A node as generate_*_name() macros see it. */
struct tval dbtp_node_value(struct tmpl_render *r, const struct dbt_node *n);
/* Where node i lives: dbt's default rules, or the project's
 * generate_schema_name / generate_alias_name / generate_database_name. */
int dbtp_name_relation(struct dbt_project *p, size_t i, char *err, size_t errlen);

#endif
