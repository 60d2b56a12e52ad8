/* SPDX-License-Identifier: MIT
 * YAML and JSON documents (JSON is read as YAML) loaded whole into libyaml's
 * node tree, with small accessors that keep the line of every node so that
 * errors can name file, line and key.
 *
 * Used for Table Schemas, dbt_project.yml and schema.yml files: small
 * configuration files, so loading them whole is fine. */
#ifndef ELT_YDOC_H
#define ELT_YDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

struct ydoc {
	yaml_document_t doc;
	char *path; /* owned copy, for messages */
};

/* Loads the first document of the file. Returns 0, or -1 with a message in
 * err such as "schema.yml:3:5: mapping values are not allowed in this
 * context". An empty file loads as a document without a root. A document
 * nested more than 200 levels deep (brackets and indentation together) is
 * refused before it is parsed: "schema.json:1:201: nested more than 200
 * levels deep". */
int ydoc_load(struct ydoc *d, const char *path, char *err, size_t errlen);
/* Loads from memory; name is used in messages. */
int ydoc_load_string(struct ydoc *d, const char *name, const char *text, size_t len,
		     char *err, size_t errlen);
void ydoc_free(struct ydoc *d);

/* The root node, or NULL for an empty document. */
yaml_node_t *ydoc_root(struct ydoc *d);
/* The node with the given index from a pair or sequence item. */
yaml_node_t *ydoc_node(struct ydoc *d, int index);

bool ydoc_is_map(const yaml_node_t *n);
bool ydoc_is_seq(const yaml_node_t *n);
bool ydoc_is_scalar(const yaml_node_t *n);
/* A plain (unquoted) scalar: where YAML and JSON keep true, 12, null. */
bool ydoc_is_plain(const yaml_node_t *n);
/* A plain null, ~ or empty scalar. */
bool ydoc_is_null(const yaml_node_t *n);

/* A scalar as dbt reads it: PyYAML's YAML 1.1 rules, so yes and on are
 * true, 017 octal, 0x1F hex, 1_000 a thousand, 12:30 sexagesimal (750), and a
 * float needs a '.' (1e3 is a string) or is .inf or .nan. A quoted scalar
 * is a string. *b is set for YK_BOOL, *num for YK_INT and YK_FLOAT. */
enum ydoc_kind { YK_STR, YK_NULL, YK_BOOL, YK_INT, YK_FLOAT };
enum ydoc_kind ydoc_yaml11(const yaml_node_t *n, bool *b, double *num);

/* The scalar's text, or NULL if n is not a scalar. */
const char *ydoc_str(const yaml_node_t *n);
/* 1-based line where the node starts. */
size_t ydoc_line(const yaml_node_t *n);

/* The value for key in a mapping, or NULL when n is not a mapping or has no
 * such key. */
yaml_node_t *ydoc_get(struct ydoc *d, const yaml_node_t *map, const char *key);

/* The second occurrence of a key that a mapping holds twice (YAML parsers
 * differ on which one wins, so callers treat it as an error), or NULL. */
yaml_node_t *ydoc_duplicate_key(struct ydoc *d, const yaml_node_t *map);

/* Iteration: for (size_t i = 0; i < ydoc_len(n); i++) ...
 * ydoc_len is the number of items of a sequence or pairs of a mapping. */
size_t ydoc_len(const yaml_node_t *n);
yaml_node_t *ydoc_item(struct ydoc *d, const yaml_node_t *seq, size_t i);
yaml_node_t *ydoc_key(struct ydoc *d, const yaml_node_t *map, size_t i);
yaml_node_t *ydoc_value(struct ydoc *d, const yaml_node_t *map, size_t i);

#endif
