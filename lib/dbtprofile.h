/* SPDX-License-Identifier: MIT
 * profiles.yml, found and read as dbt finds and reads it, for modelrun and
 * dqcheck; and `target`, the connection as templates see it.
 *
 * Where the file is (dbt 1.11's order): --profiles-dir DIR, else
 * $DBT_PROFILES_DIR, else ./profiles.yml when the current directory has
 * one, else ~/.dbt/profiles.yml. A directory named by the option or the
 * variable must hold the file; the two defaults may lack it, and then
 * there is no profile and libpq's PG* variables and -d work as before.
 *
 * Which profile: --profile (or $DBT_PROFILE), else the project's
 * `profile:` key. Which output: --target (or $DBT_TARGET), else the
 * profile's `target:`, else "default". Only that output and the `target:`
 * key are rendered, with env_var() (DBT_ENV_SECRET_* allowed here, as in
 * dbt) and natively typed (see dbtyaml.h). A password that is not valid
 * Jinja is taken as written, as dbt does.
 *
 * Only type postgres is accepted. host, port, user, dbname (or database)
 * and schema are required as in dbt; password (or pass) may be left out or
 * empty, and then libpq's PGPASSWORD or password file supply it. threads,
 * sslmode, sslcert, sslkey, sslrootcert, connect_timeout (dbt's default
 * 10), keepalives_idle, application_name, search_path (sent as the
 * search_path setting) and role (SET ROLE after connecting) are optional.
 *
 * Precedence when connecting (dbt_profile_connect): an explicit -d/--dbname
 * wins over the profile, key by key (a conninfo string or URI overrides
 * the keys it names; a bare name overrides dbname); the profile wins over
 * PG* variables, which fill in only what neither says.
 *
 * Secrets: no message of this module shows a value read from the file, so
 * a password or a DBT_ENV_SECRET_ value never reaches a log line; the
 * password is not in `target` either. */
#ifndef ELT_DBTPROFILE_H
#define ELT_DBTPROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "template.h"

/* The connection as templates see it ({{ target.schema }}). Strings may
 * be NULL when unknown; port 0 and threads 0 likewise. */
struct dbt_target {
	char *name;          /* the output's name; "default" without a profile */
	char *profile_name;  /* NULL without a profile */
	char *type;          /* "postgres" */
	char *schema;        /* the target schema */
	char *dbname;
	char *user;
	char *host;
	long port;
	int threads;
};

struct dbt_profile {
	char *path;            /* the profiles.yml read */
	struct dbt_target target;
	const char **keys;     /* libpq keywords and values, NULL-terminated; */
	char **vals;           /* the password among them when given */
	size_t n;
	char *role;            /* SET ROLE after connecting, or NULL */
};

struct dbt_profile_opts {
	const char *profiles_dir; /* --profiles-dir, or NULL */
	const char *profile;      /* --profile, or NULL */
	const char *project_profile; /* dbt_project.yml's profile:, or NULL */
	const char *target;       /* --target, or NULL */
};

/* Finds and reads the profile. Returns 0 with pr filled, 1 when there is
 * none to read (no profiles.yml in the default places, or one there but
 * no profile named for this project, and neither --profile nor --target
 * asked for one; pr is zeroed), or -1 with a message naming file:line in
 * err. Free with dbt_profile_free() after 0. */
int dbt_profile_load(struct dbt_profile *pr, const struct dbt_profile_opts *o, char *err, size_t errlen);
void dbt_profile_free(struct dbt_profile *pr);

/* target without a profile: what libpq would connect to with dbname (-d,
 * may be NULL) and the PG* variables, without connecting. */
void dbt_target_from_libpq(struct dbt_target *t, const char *dbname);
/* The database that -d's value names (a plain name, or dbname= in a
 * connection string or URI), or NULL; to be freed. */
char *dbt_dbname_given(const char *dbname);
void dbt_target_copy(struct dbt_target *dst, const struct dbt_target *src);
void dbt_target_free(struct dbt_target *t);

/* target as a template value: name, target_name, profile_name, type,
 * schema, database, dbname, user, host, port, threads. */
struct tval dbt_target_value(struct tmpl_render *r, const struct dbt_target *t);

/* Connects with the profile (NULL: as pgconn_open(dbname) does) and dbname
 * (-d, or NULL) on top of it, then sets the role. Returns NULL after
 * printing why, as pgconn_open() does. */
PGconn *dbt_profile_connect(const struct dbt_profile *pr, const char *dbname);

#endif
