/* SPDX-License-Identifier: MIT
 * Frictionless Data Packages: a datapackage.json read into resources by
 * name; see datapackage.h. A package is small and read once, so the care
 * goes into messages that name the file, the line and the resource, and
 * into refusing paths that would leave the package's directory. */
#include "datapackage.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dialect.h"
#include "tableschema_int.h"
#include "xalloc.h"
#include "ydoc.h"

struct dp_loader {
	struct ydoc doc;
	struct dp_package *p;
	char *dir;          /* the package file's directory, with its '/', or "" */
	char *err;
	size_t errlen;
};

static int dp_fail(struct dp_loader *L, const yaml_node_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int dp_fail(struct dp_loader *L, const yaml_node_t *at, const char *fmt, ...)
{
	int n = snprintf(L->err, L->errlen, "%s:%zu: ", L->p->path, ydoc_line(at));
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < L->errlen)
		vsnprintf(L->err + n, L->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

const char *dp_unsafe_path(const char *path)
{
	if (!*path)
		return "is empty";
	if (strstr(path, "://"))
		return "is a URL: only local files are read";
	if (path[0] == '/')
		return "is absolute: a package's paths must stay inside its directory";
	if (path[0] == '~')
		return "starts with ~: a package's paths must stay inside its directory";
	for (const char *part = path; part; part = strchr(part, '/') ? strchr(part, '/') + 1 : NULL) {
		size_t len = strcspn(part, "/");
		if (len == 2 && !strncmp(part, "..", 2))
			return "has a \"..\" part: a package's paths must stay inside its directory";
		if (len > 1 && part[0] == '.')
			return "has a hidden part (starting with \".\"), which the spec forbids";
	}
	return NULL;
}

/* A checked path as a file name: the package's directory, then path. */
static int resolve(struct dp_loader *L, const yaml_node_t *n, const char *what, char **out)
{
	const char *path = ydoc_is_scalar(n) ? ydoc_str(n) : NULL;
	if (!path)
		return dp_fail(L, n, "%s must be a path", what);
	const char *why = dp_unsafe_path(path);
	if (why)
		return dp_fail(L, n, "%s \"%s\" %s", what, path, why);
	*out = xcalloc(strlen(L->dir) + strlen(path) + 1, 1);
	strcpy(*out, L->dir);
	strcat(*out, path);
	return 0;
}

static int load_paths(struct dp_loader *L, struct dp_resource *r, const yaml_node_t *n)
{
	bool list = ydoc_is_seq(n);
	size_t count = list ? ydoc_len(n) : 1;
	if (list && !count)
		return dp_fail(L, n, "resource \"%s\": \"path\" lists no file", r->name);
	r->paths = xcalloc(count, sizeof *r->paths);
	for (size_t i = 0; i < count; i++) {
		const yaml_node_t *item = list ? ydoc_item(&L->doc, n, i) : n;
		char what[256];
		snprintf(what, sizeof what, "resource \"%s\": path", r->name);
		if (resolve(L, item, what, &r->paths[r->npaths]) != 0)
			return -1;
		r->npaths++;
	}
	return 0;
}

/* A schema inline, or in a file of its own. */
static int load_resource_schema(struct dp_loader *L, struct dp_resource *r, yaml_node_t *n)
{
	char err[1024];
	int rc;
	r->has_schema = true;
	if (ydoc_is_map(n)) {
		rc = ts_load_node(&r->schema, &L->doc, n, L->p->path, err, sizeof err);
	} else {
		char *path, what[256];
		snprintf(what, sizeof what, "resource \"%s\": schema", r->name);
		if (resolve(L, n, what, &path) != 0) {
			r->has_schema = false;
			return -1;
		}
		rc = ts_load(&r->schema, path, err, sizeof err);
		free(path);
	}
	if (rc)
		snprintf(L->err, L->errlen, "%s", err);
	return rc;
}

/* A dialect, inline or in a file of its own, read over the defaults by the
 * CSV Dialect reader, so that its errors name the file and line where the
 * property is written. */
static int load_dialect(struct dp_loader *L, struct dp_resource *r, yaml_node_t *n)
{
	r->has_dialect = true;
	if (ydoc_is_map(n) || !ydoc_is_scalar(n))
		return csv_dialect_read(&r->dialect, &L->doc, n, L->err, L->errlen);
	char *path, what[256];
	snprintf(what, sizeof what, "resource \"%s\": dialect", r->name);
	if (resolve(L, n, what, &path) != 0)
		return -1;
	int rc = csv_dialect_load(&r->dialect, path, NULL, NULL, L->err, L->errlen);
	free(path);
	return rc;
}

static int load_resource(struct dp_loader *L, struct dp_resource *r, yaml_node_t *n)
{
	if (!ydoc_is_map(n))
		return dp_fail(L, n, "each of \"resources\" must be an object");
	yaml_node_t *dup = ydoc_duplicate_key(&L->doc, n);
	if (dup)
		return dp_fail(L, dup, "key \"%s\" appears twice", ydoc_str(dup));
	yaml_node_t *name = ydoc_get(&L->doc, n, "name");
	if (!ydoc_str(name) || !*ydoc_str(name))
		return dp_fail(L, n, "a resource without a \"name\"");
	r->name = xstrdup(ydoc_str(name));
	if (dp_find(L->p, r->name) != r)
		return dp_fail(L, name, "resource \"%s\" is declared twice", r->name);
	yaml_node_t *path = ydoc_get(&L->doc, n, "path"), *data = ydoc_get(&L->doc, n, "data");
	if (!path)
		path = ydoc_get(&L->doc, n, "url"); /* v0's name for it, which the spec still takes */
	if (data)
		return dp_fail(L, data, "resource \"%s\": inline \"data\" is not supported: give the data as a file with "
				       "\"path\"", r->name);
	if (!path)
		return dp_fail(L, n, "resource \"%s\" has no \"path\"", r->name);
	if (load_paths(L, r, path) != 0)
		return -1;
	yaml_node_t *format = ydoc_get(&L->doc, n, "format");
	if (format && (!ydoc_str(format) || strcasecmp(ydoc_str(format), "csv")))
		return dp_fail(L, format, "resource \"%s\": format \"%s\" is not supported (csv only)", r->name,
			       ydoc_str(format) ? ydoc_str(format) : "?");
	yaml_node_t *encoding = ydoc_get(&L->doc, n, "encoding");
	if (encoding && !ydoc_str(encoding))
		return dp_fail(L, encoding, "resource \"%s\": \"encoding\" must be a string", r->name);
	if (encoding)
		r->encoding = xstrdup(ydoc_str(encoding));
	csv_dialect_init(&r->dialect, ',');
	yaml_node_t *dialect = ydoc_get(&L->doc, n, "dialect");
	if (dialect && load_dialect(L, r, dialect) != 0)
		return -1;
	yaml_node_t *schema = ydoc_get(&L->doc, n, "schema");
	return schema ? load_resource_schema(L, r, schema) : 0;
}

/* Under a package, a foreign key's resource is a resource's name: it
 * must be one, and the fields it names must be that resource's fields. */
static int check_references(struct dp_loader *L)
{
	for (size_t i = 0; i < L->p->nresources; i++) {
		struct dp_resource *r = &L->p->resources[i];
		for (size_t j = 0; r->has_schema && j < r->schema.n_foreign_keys; j++) {
			struct ts_foreign_key *fk = &r->schema.foreign_keys[j];
			if (!fk->resource)
				continue;
			free(fk->path); /* a CSV path outside packages; here the name says where */
			fk->path = NULL;
			const struct dp_resource *to = dp_find(L->p, fk->resource);
			if (!to) {
				snprintf(L->err, L->errlen, "%s: resource \"%s\": a foreign key refers to \"%s\", which is no "
					 "resource of the package", L->p->path, r->name, fk->resource);
				return -1;
			}
			for (size_t k = 0; to->has_schema && k < fk->n_ref; k++)
				if (ts_field_index(&to->schema, fk->ref_fields[k]) < 0) {
					snprintf(L->err, L->errlen, "%s: resource \"%s\": a foreign key refers to field \"%s\" "
						 "of \"%s\", which has no such field", L->p->path, r->name, fk->ref_fields[k],
						 to->name);
					return -1;
				}
		}
	}
	return 0;
}

int dp_load(struct dp_package *p, const char *path, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	p->path = xstrdup(path);
	struct dp_loader L = { .p = p, .err = err, .errlen = errlen };
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	L.dir = xcalloc(dirlen + 1, 1);
	memcpy(L.dir, path, dirlen);
	if (ydoc_load(&L.doc, path, err, errlen) != 0) {
		free(L.dir);
		return -1;
	}
	int rc = 0;
	yaml_node_t *root = ydoc_root(&L.doc), *resources = ydoc_get(&L.doc, root, "resources");
	if (!ydoc_is_map(root))
		rc = dp_fail(&L, root, "a Data Package must be an object with \"resources\"");
	else if (ydoc_duplicate_key(&L.doc, root))
		rc = dp_fail(&L, ydoc_duplicate_key(&L.doc, root), "key \"%s\" appears twice",
			     ydoc_str(ydoc_duplicate_key(&L.doc, root)));
	else if (!ydoc_is_seq(resources) || !ydoc_len(resources))
		rc = dp_fail(&L, resources ? resources : root, "\"resources\" must be a non-empty list");
	if (!rc) {
		p->resources = xcalloc(ydoc_len(resources), sizeof *p->resources);
		for (size_t i = 0; i < ydoc_len(resources) && !rc; i++) {
			p->nresources++; /* counted first, so dp_free frees a half-loaded one */
			rc = load_resource(&L, &p->resources[i], ydoc_item(&L.doc, resources, i));
		}
	}
	if (!rc)
		rc = check_references(&L);
	ydoc_free(&L.doc);
	free(L.dir);
	return rc;
}

void dp_free(struct dp_package *p)
{
	for (size_t i = 0; i < p->nresources; i++) {
		struct dp_resource *r = &p->resources[i];
		free(r->name);
		for (size_t j = 0; j < r->npaths; j++)
			free(r->paths[j]);
		free(r->paths);
		if (r->has_schema)
			ts_free(&r->schema);
		free(r->encoding);
	}
	free(p->resources);
	free(p->path);
	memset(p, 0, sizeof *p);
}

const struct dp_resource *dp_find(const struct dp_package *p, const char *name)
{
	for (size_t i = 0; i < p->nresources; i++)
		if (p->resources[i].name && !strcmp(p->resources[i].name, name))
			return &p->resources[i];
	return NULL;
}
