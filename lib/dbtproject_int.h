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

/* Frees what the two above set. */
void dbtc_config_free(struct dbt_config *c);

/* Reads the description, columns (name, data_type, description, quote,
 * constraints) and model-level constraints of node's schema-file entry.
 * Returns 0, or -1 with "file:line: message" in err. */
int dbtc_read_entry(struct dbt_project *p, size_t node, struct ydoc *d, yaml_node_t *entry, char *err,
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
struct tval dbtp_relation_value(struct tmpl_render *r, const char *rel, const char *schema, const char *ident);
/* A YAML value as dbt reads it (PyYAML, YAML 1.1); lists and dicts can grow. */
struct tval dbtp_yaml_tval(struct tmpl_render *r, struct ydoc *d, yaml_node_t *n);
/* Parses a template of the project that may call its macros, as a node of
 * package pkg sees them. */
struct tmpl *dbtp_parse(const struct dbt_project *p, size_t pkg, const char *file, const char *text, size_t len,
			char *err, size_t errlen);
int dbtp_host_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out);
int dbtp_host_global(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out);

/* dbtcontext.c */
/* statement(), load_result(), run_query(), adapter.get_columns_in_relation() */
int dbtp_call_query(struct host_state *h, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out);
/* A node as generate_*_name() macros see it. */
struct tval dbtp_node_value(struct tmpl_render *r, const struct dbt_node *n);
/* Where node i lives: dbt's default rules, or the project's
 * generate_schema_name / generate_alias_name / generate_database_name. */
int dbtp_name_relation(struct dbt_project *p, size_t i, char *err, size_t errlen);

#endif
