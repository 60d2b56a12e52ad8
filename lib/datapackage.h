/* SPDX-License-Identifier: MIT
 * Frictionless Data Packages (datapackage.json, v1 and v2; JSON or YAML):
 * the package's resources by name, each with where its data is, its
 * Table Schema, its dialect and its encoding. validate --package reads
 * one with it.
 *
 * What is taken, as the Data Package and Data Resource specs read:
 *   resources   a non-empty list; each needs a unique "name"
 *   path        one path or a list of paths (v1's "url" too), each a
 *               POSIX path relative to the package file's directory. The
 *               spec's safety rule is enforced: an absolute path, a ".."
 *               part, a hidden part (".x"), a leading "~" or a URL
 *               (validate reads local files only) is refused. The parts
 *               of a list are one table; each part is a CSV file with its
 *               own header row.
 *   schema      a Table Schema inline or as a path (checked as above); its
 *               foreign keys name other resources of the package, or the
 *               same table when "resource" is left out (or "", as in v1)
 *   dialect     an object, or a path to one (checked as above), read over
 *               the defaults with csv_dialect_read() (dialect.h): what it
 *               cannot take is refused at load, naming the file and line
 *   encoding    kept as written
 *   format      csv when given (the only format read)
 * Inline "data" is refused: only files are read. Other properties
 * (title, licenses, ...) are metadata and pass without a word. */
#ifndef ELT_DATAPACKAGE_H
#define ELT_DATAPACKAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "dialect.h"
#include "tableschema.h"

struct dp_resource {
	char *name;
	char **paths;       /* resolved against the package's directory */
	size_t npaths;
	bool has_schema;
	struct ts_schema schema;
	struct csv_dialect dialect; /* how its files are written: the defaults
	                       (RFC 4180, a header on line 1) unless it says */
	bool has_dialect;   /* it has a "dialect" */
	char *encoding;     /* as written, or NULL */
};

struct dp_package {
	char *path;
	struct dp_resource *resources;
	size_t nresources;
};

/* Loads a package. Returns 0, or -1 with err holding "FILE:LINE: what is
 * wrong" (a schema's own errors name the schema's file). Every foreign
 * key is checked to name a resource of the package. Free with dp_free()
 * either way. */
int dp_load(struct dp_package *p, const char *path, char *err, size_t errlen);
void dp_free(struct dp_package *p);

/* The resource with that name, or NULL. */
const struct dp_resource *dp_find(const struct dp_package *p, const char *name);

/* NULL when a local path is safe as the spec defines it, else why not
 * ("is absolute", ...). */
const char *dp_unsafe_path(const char *path);

#endif
