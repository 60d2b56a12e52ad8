/* SPDX-License-Identifier: MIT
 * What the files that collect a project's tests share (dq_collect, see
 * dqcheck.h): the collection's context, its error report and the helpers
 * more than one of them uses.
 *
 *   tests.c      the core: config, generic tests, dq_collect, freeing;
 *   testname.c   the names dbt gives tests;
 *   singular.c   the ref()/source()/var()/config() host, singular tests;
 *   freshness.c  source freshness blocks as tests.
 *
 * Errors: a function returning int returns 0, or -1 with the message
 * already in c->err. Nothing here is used outside these four files. */
#ifndef DQCHECK_COLLECT_H
#define DQCHECK_COLLECT_H

#include <stdbool.h>
#include <stddef.h>

#include "dbtproject.h"
#include "dqcheck.h"
#include "ydoc.h"

/* One dq_collect(): the project read, the suite filled, where an error goes. */
struct ctx {
	const struct dbt_project *p;
	struct dq_suite *s;
	char *err;
	size_t errlen;
};

/* A generic test's arguments in the order written; arg() marks those read. */
struct args {
	const char *keys[32];
	yaml_node_t *vals[32];
	size_t n;
	bool used[32];
};

/* ---- tests.c ---- */

/* Puts "file:line: key: message" in c->err and returns -1. */
int dq_fail(struct ctx *c, const char *file, size_t line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* A column named name (malloc'd text): folded to lower case if a plain identifier, else kept. */
struct dq_col dq_make_col(const char *name, bool allow_expr);
/* Whether s is a finite decimal number, as SQL reads one (no nan, inf or hex). */
bool dq_is_number(const char *s);
/* Sets config key of t from s or list; 0, or -1 with the problem in msg (not c->err). */
int dq_config_set(struct dq_test *t, const char *key, const char *s, char **list, size_t nlist,
		  bool *enabled, char *msg, size_t msglen);
/* Applies dbt_project.yml's data_tests: configs along the folders of path to x. */
int dq_project_config(struct ctx *c, struct dq_test *x, const char *path, char *const *bases, size_t nbases,
		      bool *enabled);
/* Frees everything t owns and zeroes it; a zeroed test is freed as a no-op. */
void dq_test_free(struct dq_test *t);

/* ---- testname.c ---- */

/* What Python's str() shows for the yml scalar v (malloc'd); *is_str: it is a string. */
char *dq_py_scalar(const yaml_node_t *v, bool *is_str);
/* s with each run of characters other than [0-9a-zA-Z_] made one '_' (malloc'd). */
char *dq_sanitize(const char *s);
/* Gives t the malloc'd name, which it takes, with _2, _3, ... when another test has it. */
void dq_set_unique_name(struct ctx *c, struct dq_test *t, char *name);
/* dbt's generated name for a generic test with the arguments a (malloc'd);
 * when that is shortened, *full gets the untruncated name (else NULL). */
char *dq_test_name(struct ydoc *d, const char *type, bool on_source, const char *target,
		   const char *column, struct args *a, char **full);

/* dbt's unique_id of a generic test named name (the full name of a
 * shortened one): "test.<project>.<name>.<hash>", the hash being the last
 * 10 hex digits of the md5 dbt takes of the name and Python's repr() of the
 * test's metadata (its type, namespace and arguments, column_name and
 * model, the call of ref() or source() it tests). Malloc'd. */
char *dq_unique_id(struct ydoc *d, const char *project, const char *type, const char *name, const char *model,
		   const char *column, struct args *a);

/* ---- singular.c ---- */

/* Renders the template text, the yml key's value at line, into *out (malloc'd). */
int dq_render_arg(struct ctx *c, struct dq_test *t, struct ydoc *d, const char *key, size_t line,
		  const char *text, char **out);
/* Renders v, ref(...) or source(...), into the quoted relation *rel (malloc'd). */
int dq_relation_arg(struct ctx *c, struct dq_test *t, struct ydoc *d, const char *key, yaml_node_t *v,
		    char **rel);
/* Adds every enabled singular test of the project to c->s. */
int dq_singular_tests(struct ctx *c);

/* ---- freshness.c ---- */

/* Adds a freshness test to c->s for each source table with warn_after or error_after. */
int dq_freshness_tests(struct ctx *c);

#endif
