/* SPDX-License-Identifier: MIT
 * profiles.yml and target; see dbtprofile.h.
 *
 * The file is loaded whole (a handful of profiles), the chosen output is
 * rendered in place, and its keys are mapped onto libpq's. Messages name
 * the file, the line and the key, never the value: the value may be a
 * password or come from a DBT_ENV_SECRET_ variable. */
#include "dbtprofile.h"
#include "dbtproject_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dbtyaml.h"
#include "log.h"
#include "pgconn.h"
#include "xalloc.h"
#include "ydoc.h"

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Where profiles.yml is: 0 with *path, 1 when the default places have
 * none, -1 with err when a named directory lacks it. */
static int find_file(const char *dir_opt, char **path, char *err, size_t errlen)
{
	const char *env = getenv("DBT_PROFILES_DIR");
	const char *dir = dir_opt ? dir_opt : env && *env ? env : NULL;
	if (dir) {
		*path = xasprintf("%s/profiles.yml", dir);
		if (file_exists(*path))
			return 0;
		dbtp_seterr(err, errlen, "%s: no profiles.yml in %s (named by %s)", *path, dir,
			    dir_opt ? "--profiles-dir" : "DBT_PROFILES_DIR");
		free(*path);
		*path = NULL;
		return -1;
	}
	if (file_exists("profiles.yml")) {
		*path = xstrdup("profiles.yml");
		return 0;
	}
	const char *home = getenv("HOME");
	if (home && *home) {
		*path = xasprintf("%s/.dbt/profiles.yml", home);
		if (file_exists(*path))
			return 0;
		free(*path);
	}
	*path = NULL;
	return 1;
}

/* ---- rendering: env_var() only; secrets allowed ---- */

static const char *const profile_funcs[] = { "env_var", NULL };

static int profile_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	(void)ud;
	if (strcmp(c->name, "env_var") == 0)
		return dbt_env_var(r, c, true, out);
	tmpl_fail(r, c->line, "function '%s()' is not available in profiles.yml", c->name);
	return -1;
}

/* A password is rendered on its own: when it is not valid Jinja (it may
 * hold "{%" by chance), dbt keeps it as written. */
static bool skip_password(void *ud, const char *const *keys, size_t depth)
{
	(void)ud;
	return depth == 1 && (strcmp(keys[0], "password") == 0 || strcmp(keys[0], "pass") == 0);
}

static int render_output(struct ydoc *d, yaml_node_t *out, char *err, size_t errlen)
{
	struct tmpl_host host = { profile_call, NULL, NULL };
	if (dbt_yaml_render(d, out, profile_funcs, &host, skip_password, NULL, err, errlen))
		return -1;
	const char *pw[] = { "password", "pass" };
	for (size_t i = 0; i < 2; i++) {
		yaml_node_t *p = ydoc_get(d, out, pw[i]);
		if (!p || !ydoc_is_scalar(p))
			continue;
		char e2[512];
		/* a copy: on failure the value stays as written */
		if (dbt_yaml_render(d, p, profile_funcs, &host, NULL, NULL, e2, sizeof e2) == 0)
			continue;
		/* a missing variable is an error, not a password; the
		 * message names the variable only */
		char *m = strstr(e2, "env_var(");
		if (m && strstr(m, "the variable is not set")) {
			dbtp_seterr(err, errlen, "%s:%zu: cannot render %s: %s", d->path, ydoc_line(p), pw[i], m);
			return -1;
		}
	}
	return 0;
}

/* ---- the output's keys ---- */

static void add_param(struct dbt_profile *pr, const char *key, const char *val)
{
	pr->keys = xrealloc(pr->keys, (pr->n + 2) * sizeof *pr->keys);
	pr->vals = xrealloc(pr->vals, (pr->n + 2) * sizeof *pr->vals);
	pr->keys[pr->n] = key;
	pr->vals[pr->n++] = xstrdup(val);
	pr->keys[pr->n] = NULL;
	pr->vals[pr->n] = NULL;
}

/* A whole number in [min, max] from a scalar ("5432" or 5432). */
static bool scalar_long(const yaml_node_t *n, long min, long max, long *v)
{
	const char *s = ydoc_str(n);
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long x = strtol(s, &end, 10);
	if (errno || *end || x < min || x > max)
		return false;
	*v = x;
	return true;
}

/* search_path as a libpq options value: -c search_path=..., with spaces
 * and backslashes escaped as libpq's options syntax wants. */
static char *search_path_option(const char *sp)
{
	size_t n = strlen(sp);
	char *o = xmalloc(2 * n + 20), *q = o;
	q += sprintf(q, "-c search_path=");
	for (size_t i = 0; i < n; i++) {
		if (sp[i] == ' ' || sp[i] == '\\')
			*q++ = '\\';
		*q++ = sp[i];
	}
	*q = '\0';
	return o;
}

struct field {
	const char *name;   /* in profiles.yml */
	const char *alias;  /* or NULL */
	const char *libpq;  /* keyword, or NULL when handled apart */
	bool required;
	bool number;
};

static const struct field fields[] = {
	{ "host", NULL, "host", true, false },
	{ "port", NULL, "port", true, true },
	{ "user", NULL, "user", true, false },
	{ "password", "pass", "password", false, false },
	{ "dbname", "database", "dbname", true, false },
	{ "schema", NULL, NULL, true, false },
	{ "threads", NULL, NULL, false, true },
	{ "sslmode", NULL, "sslmode", false, false },
	{ "sslcert", NULL, "sslcert", false, false },
	{ "sslkey", NULL, "sslkey", false, false },
	{ "sslrootcert", NULL, "sslrootcert", false, false },
	{ "connect_timeout", NULL, "connect_timeout", false, true },
	{ "keepalives_idle", NULL, "keepalives_idle", false, true },
	{ "application_name", NULL, "application_name", false, false },
	{ "search_path", NULL, NULL, false, false },
	{ "role", NULL, NULL, false, false },
};

static int read_output(struct dbt_profile *pr, struct ydoc *d, yaml_node_t *out, const char *where, char *err,
		       size_t errlen)
{
	yaml_node_t *type = ydoc_get(d, out, "type");
	if (!type || !ydoc_str(type)) {
		dbtp_seterr(err, errlen, "%s:%zu: %s has no 'type'", d->path, ydoc_line(out), where);
		return -1;
	}
	if (strcmp(ydoc_str(type), "postgres") != 0) {
		dbtp_seterr(err, errlen, "%s:%zu: %s: type '%s' is not supported (only postgres)", d->path,
			    ydoc_line(type), where, ydoc_str(type));
		return -1;
	}
	pr->target.type = xstrdup("postgres");
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const struct field *f = &fields[i];
		yaml_node_t *v = ydoc_get(d, out, f->name);
		if (!v && f->alias)
			v = ydoc_get(d, out, f->alias);
		if (!v || ydoc_is_null(v)) {
			if (f->required) {
				dbtp_seterr(err, errlen, "%s:%zu: %s needs '%s'", d->path, ydoc_line(out), where,
					    f->name);
				return -1;
			}
			continue;
		}
		if (!ydoc_is_scalar(v)) {
			dbtp_seterr(err, errlen, "%s:%zu: %s: '%s' must be a single value", d->path, ydoc_line(v),
				    where, f->name);
			return -1;
		}
		const char *s = ydoc_str(v);
		long num = 0;
		if (f->number && !scalar_long(v, 0, strcmp(f->name, "port") == 0 ? 65535 : 1000000, &num)) {
			dbtp_seterr(err, errlen, "%s:%zu: %s: '%s' must be a whole number%s", d->path, ydoc_line(v),
				    where, f->name, strcmp(f->name, "port") == 0 ? " from 0 to 65535" : "");
			return -1;
		}
		if (!strcmp(f->name, "schema"))
			pr->target.schema = xstrdup(s);
		else if (!strcmp(f->name, "threads"))
			pr->target.threads = (int)num;
		else if (!strcmp(f->name, "search_path") && *s) {
			char *o = search_path_option(s);
			add_param(pr, "options", o);
			free(o);
		} else if (!strcmp(f->name, "role") && *s)
			pr->role = xstrdup(s);
		/* dbt leaves keepalives_idle 0 to the default */
		else if (f->libpq && *s && !(!strcmp(f->name, "keepalives_idle") && num == 0))
			add_param(pr, f->libpq, s);
		if (!strcmp(f->name, "host"))
			pr->target.host = xstrdup(s);
		else if (!strcmp(f->name, "user"))
			pr->target.user = xstrdup(s);
		else if (!strcmp(f->name, "dbname"))
			pr->target.dbname = xstrdup(s);
		else if (!strcmp(f->name, "port"))
			pr->target.port = num;
	}
	if (!pr->target.threads)
		pr->target.threads = 1;
	return 0;
}

/* The first value of DBT_<name>, or opt. */
static const char *opt_or_env(const char *opt, const char *var)
{
	const char *e = getenv(var);
	return opt ? opt : e && *e ? e : NULL;
}

int dbt_profile_load(struct dbt_profile *pr, const struct dbt_profile_opts *o, char *err, size_t errlen)
{
	memset(pr, 0, sizeof *pr);
	const char *want_profile = opt_or_env(o->profile, "DBT_PROFILE");
	const char *want_target = opt_or_env(o->target, "DBT_TARGET");
	bool asked = o->profiles_dir || want_profile || want_target;
	char *path;
	int found = find_file(o->profiles_dir, &path, err, errlen);
	if (found < 0)
		return -1;
	if (found > 0) {
		if (!asked)
			return 1;
		dbtp_seterr(err, errlen, "no profiles.yml found (looked in the current directory and ~/.dbt; "
			    "--profiles-dir or DBT_PROFILES_DIR name another directory)");
		return -1;
	}
	const char *name = want_profile ? want_profile : o->project_profile;
	if (!name) {
		if (!asked && !getenv("DBT_PROFILES_DIR")) {
			log_debug("%s: not read, since dbt_project.yml names no profile", path);
			free(path);
			return 1;
		}
		dbtp_seterr(err, errlen, "%s: no profile is named for this project (give --profile, or profile: in "
			    "dbt_project.yml)", path);
		free(path);
		return -1;
	}
	struct ydoc d;
	if (ydoc_load(&d, path, err, errlen)) {
		free(path);
		return -1;
	}
	pr->path = path;
	int rc = -1;
	yaml_node_t *root = ydoc_root(&d);
	yaml_node_t *prof = root && ydoc_is_map(root) ? ydoc_get(&d, root, name) : NULL;
	if (!prof || !ydoc_is_map(prof)) {
		dbtp_seterr(err, errlen, "%s: no profile named '%s'", path, name);
		goto out;
	}
	yaml_node_t *outputs = ydoc_get(&d, prof, "outputs");
	if (!outputs || !ydoc_is_map(outputs)) {
		dbtp_seterr(err, errlen, "%s:%zu: profile '%s' has no 'outputs'", path, ydoc_line(prof), name);
		goto out;
	}
	yaml_node_t *tnode = ydoc_get(&d, prof, "target");
	struct tmpl_host host = { profile_call, NULL, NULL };
	if (!want_target && tnode && dbt_yaml_render(&d, tnode, profile_funcs, &host, NULL, NULL, err, errlen))
		goto out;
	const char *tname = want_target ? want_target : tnode && ydoc_str(tnode) ? ydoc_str(tnode) : "default";
	yaml_node_t *out = ydoc_get(&d, outputs, tname);
	if (!out || !ydoc_is_map(out)) {
		dbtp_seterr(err, errlen, "%s:%zu: profile '%s' has no output (target) named '%s'", path,
			    ydoc_line(outputs), name, tname);
		goto out;
	}
	pr->target.name = xstrdup(tname);
	pr->target.profile_name = xstrdup(name);
	char *where = xasprintf("profile '%s', target '%s'", name, tname);
	rc = render_output(&d, out, err, errlen) || read_output(pr, &d, out, where, err, errlen) ? -1 : 0;
	free(where);
	if (rc == 0)
		log_debug("%s: profile %s, target %s", path, name, tname);
out:
	ydoc_free(&d);
	if (rc != 0) {
		dbt_profile_free(pr);
		memset(pr, 0, sizeof *pr);
	}
	return rc;
}

void dbt_target_free(struct dbt_target *t)
{
	free(t->name);
	free(t->profile_name);
	free(t->type);
	free(t->schema);
	free(t->dbname);
	free(t->user);
	free(t->host);
	memset(t, 0, sizeof *t);
}

void dbt_target_copy(struct dbt_target *dst, const struct dbt_target *src)
{
	*dst = *src;
	dst->name = src->name ? xstrdup(src->name) : NULL;
	dst->profile_name = src->profile_name ? xstrdup(src->profile_name) : NULL;
	dst->type = src->type ? xstrdup(src->type) : NULL;
	dst->schema = src->schema ? xstrdup(src->schema) : NULL;
	dst->dbname = src->dbname ? xstrdup(src->dbname) : NULL;
	dst->user = src->user ? xstrdup(src->user) : NULL;
	dst->host = src->host ? xstrdup(src->host) : NULL;
}

void dbt_profile_free(struct dbt_profile *pr)
{
	for (size_t i = 0; i < pr->n; i++) {
		/* the password, among others: wiped before it goes back */
		memset(pr->vals[i], 0, strlen(pr->vals[i]));
		free(pr->vals[i]);
	}
	free(pr->keys);
	free(pr->vals);
	free(pr->role);
	free(pr->path);
	dbt_target_free(&pr->target);
	memset(pr, 0, sizeof *pr);
}

char *dbt_dbname_given(const char *dbname)
{
	if (!dbname)
		return NULL;
	/* a plain name, or a connection string or URI that may name one */
	if (!strchr(dbname, '=') && strncmp(dbname, "postgresql://", 13) != 0 && strncmp(dbname, "postgres://", 11) != 0)
		return xstrdup(dbname);
	PQconninfoOption *given = PQconninfoParse(dbname, NULL);
	char *name = NULL;
	for (PQconninfoOption *o = given; o && o->keyword && !name; o++)
		if (!strcmp(o->keyword, "dbname") && o->val && *o->val)
			name = xstrdup(o->val);
	if (given)
		PQconninfoFree(given);
	return name;
}

void dbt_target_from_libpq(struct dbt_target *t, const char *dbname)
{
	memset(t, 0, sizeof *t);
	t->name = xstrdup("default");
	t->type = xstrdup("postgres");
	t->threads = 1;
	/* -d first (when it parses), then libpq's defaults: the PG*
	 * variables, the service file, the compiled-in ones */
	PQconninfoOption *given = NULL;
	if (dbname) {
		given = PQconninfoParse(dbname, NULL);
		if (!given)
			t->dbname = dbt_dbname_given(dbname);
	}
	PQconninfoOption *dflt = PQconndefaults();
	const char *want[] = { "dbname", "user", "host", "port" };
	for (size_t i = 0; i < 4; i++) {
		const char *v = NULL;
		for (PQconninfoOption *o = given; o && o->keyword && !v; o++)
			if (!strcmp(o->keyword, want[i]) && o->val && *o->val)
				v = o->val;
		for (PQconninfoOption *o = dflt; o && o->keyword && !v; o++)
			if (!strcmp(o->keyword, want[i]) && o->val && *o->val)
				v = o->val;
		if (!v)
			continue;
		if (i == 0 && !t->dbname)
			t->dbname = xstrdup(v);
		else if (i == 1)
			t->user = xstrdup(v);
		else if (i == 2)
			t->host = xstrdup(v);
		else if (i == 3)
			t->port = strtol(v, NULL, 10);
	}
	/* libpq's default database is the user's name */
	if (!t->dbname && t->user)
		t->dbname = xstrdup(t->user);
	if (given)
		PQconninfoFree(given);
	if (dflt)
		PQconninfoFree(dflt);
}

struct tval dbt_target_value(struct tmpl_render *r, const struct dbt_target *t)
{
	static const char *const keys[] = { "name", "target_name", "profile_name", "type", "schema", "database",
					    "dbname", "user", "host", "port", "threads" };
	size_t n = sizeof keys / sizeof keys[0];
	struct tval v = { .kind = TV_DICT, .n = n };
	v.keys = tval_alloc_keys(r, n);
	v.items = tval_alloc(r, n);
	for (size_t i = 0; i < n; i++)
		v.keys[i] = keys[i];
	v.items[0] = tval_str_or_none(r, t->name);
	v.items[1] = tval_str_or_none(r, t->name);
	v.items[2] = tval_str_or_none(r, t->profile_name);
	v.items[3] = tval_str_or_none(r, t->type);
	v.items[4] = tval_str_or_none(r, t->schema);
	v.items[5] = tval_str_or_none(r, t->dbname);
	v.items[6] = tval_str_or_none(r, t->dbname);
	v.items[7] = tval_str_or_none(r, t->user);
	v.items[8] = tval_str_or_none(r, t->host);
	v.items[9] = t->port ? (struct tval){ .kind = TV_NUM, .num = (double)t->port } : (struct tval){ .kind = TV_NONE };
	v.items[10] = (struct tval){ .kind = TV_NUM, .num = t->threads ? t->threads : 1 };
	return v;
}

PGconn *dbt_profile_connect(const struct dbt_profile *pr, const char *dbname)
{
	if (!pr || !pr->path)
		return pgconn_open(dbname);
	PGconn *conn = pgconn_open_params(pr->keys, (const char *const *)pr->vals, dbname);
	if (!conn || !pr->role)
		return conn;
	char *q = pgconn_quote_ident(conn, NULL, pr->role);
	if (!q) {
		log_error("%s: role: cannot quote it: %s", pr->path, PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	char *sql = xasprintf("set role %s", q);
	free(q);
	int rc = pgconn_command(conn, sql, "setting the profile's role: ");
	free(sql);
	if (rc) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}
