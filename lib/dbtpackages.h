/* SPDX-License-Identifier: MIT
 * A dbt project's packages: what packages.yml (or dependencies.yml) asks
 * for, and what `dbt deps` left in the install path (dbt_project.yml's
 * packages-install-path, default dbt_packages/). modelrun cannot download
 * a package; it uses what is installed, as dbt does after `dbt deps`.
 *
 * The name a listed package is expected under: a hub package's last part
 * (dbt-labs/dbt_utils: dbt_utils), a local package's own dbt_project.yml
 * name, a git or tarball package's `name:` or else its repository's (or
 * subdirectory's) last part without .git. */
#ifndef ELT_DBTPACKAGES_H
#define ELT_DBTPACKAGES_H

#include <stddef.h>

#include "dbtproject.h"

struct dbt_deps {
	char *file;            /* "packages.yml", "dependencies.yml" or NULL */
	char *install_path;    /* as the project gives it: "dbt_packages" */
	char **wanted;         /* names the file lists */
	size_t nwanted;
	char **installed;      /* names of the installed projects, sorted */
	size_t ninstalled;
	char **missing;        /* wanted but not installed */
	size_t nmissing;
};

/* Reads what project dir asks for and has. Returns 0, or -1 with
 * "file:line: message" in err. */
int dbt_deps_read(const char *dir, struct dbt_deps *d, char *err, size_t errlen);
void dbt_deps_free(struct dbt_deps *d);

/* Loads the installed packages into p (p->packages, their macros) after
 * the root project file was read; a package that the project lists but
 * that is not installed is an error naming `dbt deps`. Returns 0 or -1
 * with err. */
int dbt_packages_load(struct dbt_project *p, char *err, size_t errlen);
void dbt_packages_free(struct dbt_project *p);

#endif
