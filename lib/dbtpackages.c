/* SPDX-License-Identifier: MIT
 * A dbt project's installed packages; see dbtpackages.h. */
#include "dbtpackages.h"
#include "dbtproject_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xalloc.h"

/* The name in dir/dbt_project.yml, malloc'd, or NULL. */
static char *project_name(const char *dir)
{
	char *path = xasprintf("%s/dbt_project.yml", dir), err[256];
	struct ydoc d;
	char *name = NULL;
	if (ydoc_load(&d, path, err, sizeof err) == 0) {
		const char *s = ydoc_str(ydoc_get(&d, ydoc_root(&d), "name"));
		name = s && s[0] ? xstrdup(s) : NULL;
		ydoc_free(&d);
	}
	free(path);
	return name;
}

/* The last part of a path or URL, without a trailing ".git". */
static char *last_part(const char *s)
{
	size_t n = strlen(s);
	while (n && s[n - 1] == '/')
		n--;
	size_t b = n;
	while (b && s[b - 1] != '/' && s[b - 1] != ':')
		b--;
	size_t len = n - b;
	if (len > 4 && strncmp(s + n - 4, ".git", 4) == 0)
		len -= 4;
	return xasprintf("%.*s", (int)len, s + b);
}

static char *wanted_name(const char *dir, struct ydoc *d, yaml_node_t *e)
{
	const char *s;
	if ((s = ydoc_str(ydoc_get(d, e, "name"))))
		return xstrdup(s);
	if ((s = ydoc_str(ydoc_get(d, e, "package"))))
		return last_part(s);
	if ((s = ydoc_str(ydoc_get(d, e, "local")))) {
		char *path = s[0] == '/' ? xstrdup(s) : xasprintf("%s/%s", dir, s);
		char *name = project_name(path);
		free(path);
		return name ? name : last_part(s);
	}
	if ((s = ydoc_str(ydoc_get(d, e, "subdirectory"))))
		return last_part(s);
	if ((s = ydoc_str(ydoc_get(d, e, "git"))) || (s = ydoc_str(ydoc_get(d, e, "tarball"))))
		return last_part(s);
	return NULL;
}

static int read_wanted(const char *dir, struct dbt_deps *dd, char *err, size_t errlen)
{
	static const char *const files[] = { "packages.yml", "dependencies.yml" };
	for (int f = 0; f < 2; f++) {
		char *path = xasprintf("%s/%s", dir, files[f]);
		struct stat st;
		if (stat(path, &st) != 0) {
			free(path);
			continue;
		}
		struct ydoc d;
		int rc = ydoc_load(&d, path, err, errlen);
		free(path);
		if (rc)
			return -1;
		dd->file = xstrdup(files[f]);
		yaml_node_t *root = ydoc_root(&d);
		yaml_node_t *list = root ? ydoc_get(&d, root, "packages") : NULL;
		if (list && !ydoc_is_seq(list)) {
			snprintf(err, errlen, "%s:%zu: 'packages' must be a list", d.path, ydoc_line(list));
			ydoc_free(&d);
			return -1;
		}
		for (size_t i = 0; list && i < ydoc_len(list); i++) {
			yaml_node_t *e = ydoc_item(&d, list, i);
			char *name = ydoc_is_map(e) ? wanted_name(dir, &d, e) : NULL;
			if (!name) {
				snprintf(err, errlen, "%s:%zu: a package needs package:, local:, git: or tarball:", d.path,
					 ydoc_line(e));
				ydoc_free(&d);
				return -1;
			}
			PUSH(dd->wanted, dd->nwanted, name);
		}
		ydoc_free(&d);
		return 0; /* dbt reads packages.yml when both exist */
	}
	return 0;
}

int dbt_deps_read(const char *dir, struct dbt_deps *dd, char *err, size_t errlen)
{
	memset(dd, 0, sizeof *dd);
	char *path = xasprintf("%s/dbt_project.yml", dir);
	struct ydoc d;
	if (ydoc_load(&d, path, err, errlen)) {
		free(path);
		return -1;
	}
	free(path);
	const char *ip = ydoc_str(ydoc_get(&d, ydoc_root(&d), "packages-install-path"));
	dd->install_path = xstrdup(ip && ip[0] ? ip : "dbt_packages");
	ydoc_free(&d);
	if (read_wanted(dir, dd, err, errlen))
		return -1;
	char *idir = dd->install_path[0] == '/' ? xstrdup(dd->install_path) : xasprintf("%s/%s", dir, dd->install_path);
	DIR *dh = opendir(idir);
	struct dirent *e;
	while (dh && (e = readdir(dh))) {
		if (e->d_name[0] == '.')
			continue;
		char *pdir = xasprintf("%s/%s", idir, e->d_name);
		char *name = project_name(pdir);
		free(pdir);
		if (name)
			PUSH(dd->installed, dd->ninstalled, name);
	}
	if (dh)
		closedir(dh);
	free(idir);
	if (dd->ninstalled)
		qsort(dd->installed, dd->ninstalled, sizeof *dd->installed, cmp_str);
	for (size_t i = 0; i < dd->nwanted; i++) {
		bool have = false;
		for (size_t k = 0; k < dd->ninstalled && !have; k++)
			have = strcmp(dd->installed[k], dd->wanted[i]) == 0;
		if (!have)
			PUSH(dd->missing, dd->nmissing, xstrdup(dd->wanted[i]));
	}
	return 0;
}

void dbt_deps_free(struct dbt_deps *dd)
{
	free(dd->file);
	free(dd->install_path);
	free_strs(dd->wanted, dd->nwanted);
	free_strs(dd->installed, dd->ninstalled);
	free_strs(dd->missing, dd->nmissing);
	memset(dd, 0, sizeof *dd);
}

int dbt_packages_load(struct dbt_project *p, char *err, size_t errlen)
{
	struct dbt_deps dd;
	if (dbt_deps_read(p->dir, &dd, err, errlen)) {
		dbt_deps_free(&dd);
		return -1;
	}
	if (dd.nmissing) {
		char list[512] = "";
		for (size_t i = 0; i < dd.nmissing; i++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", dd.missing[i]);
		snprintf(err, errlen, "%s/%s lists %zu package(s) not installed in %s/: %s; run \"dbt deps\" to "
			 "install them (modelrun cannot download packages: \"modelrun deps\" lists what is missing)",
			 p->dir, dd.file, dd.nmissing, dd.install_path, list);
		dbt_deps_free(&dd);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < dd.ninstalled && !rc; i++) {
		if (strcmp(dd.installed[i], p->name) == 0)
			continue;
		/* the directory is the project's name after dbt deps; look
		 * it up again by name for one that is not */
		char *idir = dd.install_path[0] == '/' ? xstrdup(dd.install_path) :
			     xasprintf("%s/%s", p->dir, dd.install_path);
		char *pdir = NULL;
		DIR *dh = opendir(idir);
		struct dirent *e;
		while (dh && !pdir && (e = readdir(dh))) {
			if (e->d_name[0] == '.')
				continue;
			char *cand = xasprintf("%s/%s", idir, e->d_name), *name = project_name(cand);
			if (name && strcmp(name, dd.installed[i]) == 0)
				pdir = cand;
			else
				free(cand);
			free(name);
		}
		if (dh)
			closedir(dh);
		free(idir);
		struct dbt_package pk = { 0 };
		pk.name = xstrdup(dd.installed[i]);
		pk.dir = pdir;
		pk.pkg = dbt_macros_add_package(&p->macros, pk.name);
		pk.doc = xcalloc(1, sizeof *pk.doc);
		char *path = xasprintf("%s/dbt_project.yml", pk.dir);
		rc = ydoc_load(pk.doc, path, err, errlen);
		free(path);
		if (rc) {
			free(pk.doc);
			pk.doc = NULL;
		} else {
			struct ydoc *d = pk.doc;
			yaml_node_t *root = ydoc_root(d);
			pk.model_paths = yaml_str_list(d, ydoc_get(d, root, "model-paths"), "models", &pk.nmodel_paths);
			pk.seed_paths = yaml_str_list(d, ydoc_get(d, root, "seed-paths"), "seeds", &pk.nseed_paths);
			pk.macro_paths = yaml_str_list(d, ydoc_get(d, root, "macro-paths"), "macros", &pk.nmacro_paths);
		}
		PUSH(p->packages, p->npackages, pk);
		for (size_t k = 0; !rc && k < pk.nmacro_paths; k++)
			rc = dbt_macros_load_dir(&p->macros, pk.pkg, pk.dir, pk.macro_paths[k], err, errlen);
	}
	dbt_deps_free(&dd);
	return rc;
}

void dbt_packages_free(struct dbt_project *p)
{
	for (size_t i = 0; i < p->npackages; i++) {
		struct dbt_package *pk = &p->packages[i];
		free(pk->name);
		free(pk->dir);
		if (pk->doc) {
			ydoc_free(pk->doc);
			free(pk->doc);
		}
		free_strs(pk->model_paths, pk->nmodel_paths);
		free_strs(pk->seed_paths, pk->nseed_paths);
		free_strs(pk->macro_paths, pk->nmacro_paths);
	}
	free(p->packages);
	p->packages = NULL;
	p->npackages = 0;
}
