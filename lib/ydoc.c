/* SPDX-License-Identifier: MIT
 * YAML/JSON document loading and access; see ydoc.h. */
#include "ydoc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load(struct ydoc *d, yaml_parser_t *p, const char *name, char *err, size_t errlen)
{
	memset(&d->doc, 0, sizeof d->doc);
	d->path = strdup(name);
	if (!yaml_parser_load(p, &d->doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: %s%s%s", name, p->problem_mark.line + 1,
			 p->problem_mark.column + 1, p->problem ? p->problem : "cannot parse",
			 p->context ? " " : "", p->context ? p->context : "");
		yaml_parser_delete(p);
		free(d->path);
		d->path = NULL;
		return -1;
	}
	yaml_parser_delete(p);
	return 0;
}

int ydoc_load(struct ydoc *d, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	int rc = load(d, &p, path, err, errlen);
	fclose(f);
	return rc;
}

int ydoc_load_string(struct ydoc *d, const char *name, const char *text, size_t len,
		     char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	return load(d, &p, name, err, errlen);
}

void ydoc_free(struct ydoc *d)
{
	if (!d->path)
		return;
	yaml_document_delete(&d->doc);
	free(d->path);
	d->path = NULL;
}

yaml_node_t *ydoc_root(struct ydoc *d)
{
	return yaml_document_get_root_node(&d->doc);
}

yaml_node_t *ydoc_node(struct ydoc *d, int index)
{
	return yaml_document_get_node(&d->doc, index);
}

bool ydoc_is_map(const yaml_node_t *n) { return n && n->type == YAML_MAPPING_NODE; }
bool ydoc_is_seq(const yaml_node_t *n) { return n && n->type == YAML_SEQUENCE_NODE; }
bool ydoc_is_scalar(const yaml_node_t *n) { return n && n->type == YAML_SCALAR_NODE; }

bool ydoc_is_plain(const yaml_node_t *n)
{
	return ydoc_is_scalar(n) && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

bool ydoc_is_null(const yaml_node_t *n)
{
	if (!ydoc_is_plain(n))
		return false;
	const char *s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

const char *ydoc_str(const yaml_node_t *n)
{
	return ydoc_is_scalar(n) ? (const char *)n->data.scalar.value : NULL;
}

size_t ydoc_line(const yaml_node_t *n)
{
	return n ? n->start_mark.line + 1 : 0;
}

size_t ydoc_len(const yaml_node_t *n)
{
	if (ydoc_is_seq(n))
		return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (ydoc_is_map(n))
		return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	return 0;
}

yaml_node_t *ydoc_item(struct ydoc *d, const yaml_node_t *seq, size_t i)
{
	return i < ydoc_len(seq) && ydoc_is_seq(seq) ? ydoc_node(d, seq->data.sequence.items.start[i]) : NULL;
}

yaml_node_t *ydoc_key(struct ydoc *d, const yaml_node_t *map, size_t i)
{
	return i < ydoc_len(map) && ydoc_is_map(map) ? ydoc_node(d, map->data.mapping.pairs.start[i].key) : NULL;
}

yaml_node_t *ydoc_value(struct ydoc *d, const yaml_node_t *map, size_t i)
{
	return i < ydoc_len(map) && ydoc_is_map(map) ? ydoc_node(d, map->data.mapping.pairs.start[i].value) : NULL;
}

yaml_node_t *ydoc_get(struct ydoc *d, const yaml_node_t *map, const char *key)
{
	for (size_t i = 0; i < ydoc_len(map) && ydoc_is_map(map); i++) {
		const char *k = ydoc_str(ydoc_key(d, map, i));
		if (k && !strcmp(k, key))
			return ydoc_value(d, map, i);
	}
	return NULL;
}

yaml_node_t *ydoc_duplicate_key(struct ydoc *d, const yaml_node_t *map)
{
	size_t n = ydoc_len(map);
	for (size_t i = 1; i < n && ydoc_is_map(map); i++) {
		const char *k = ydoc_str(ydoc_key(d, map, i));
		for (size_t j = 0; k && j < i; j++) {
			const char *prev = ydoc_str(ydoc_key(d, map, j));
			if (prev && !strcmp(prev, k))
				return ydoc_key(d, map, i);
		}
	}
	return NULL;
}
