/* SPDX-License-Identifier: MIT
 * Between dbtproject.c and dbtcontract.c only: the configs that are
 * mappings (contract, grants, persist_docs, docs, meta) and full_refresh,
 * and a model's schema-file columns and constraints. */
#ifndef ELT_DBTPROJECT_INT_H
#define ELT_DBTPROJECT_INT_H

#include "dbtproject.h"

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

#endif
