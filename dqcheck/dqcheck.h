/* SPDX-License-Identifier: MIT
 * dqcheck's internal interface: the data tests it found in a dbt project,
 * how it runs them and how it reports them.
 *
 *   tests.c   reads the tests declared in schema files (through the shared
 *             dbt project reader, which keeps each test's yml node) and the
 *             singular tests, and checks every argument before anything
 *             connects: a bad file is reported as file:line: key: problem;
 *             with testname.c (dbt's test names), singular.c (ref(),
 *             source() and config(); singular tests) and freshness.c
 *             (source freshness), which share collect.h;
 *   selection.c  --select and --exclude;
 *   run.c     builds the SQL (quoting through libpq), folds the column-level
 *             tests on one relation into one query, runs everything, takes
 *             samples of failing rows and stores failures on request;
 *   report.c  the per-test lines on stderr, --junit and --json.
 *
 * Memory: a dq_suite owns its tests and everything they point to;
 * dq_suite_free() releases it all. */
#ifndef DQCHECK_H
#define DQCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <libpq-fe.h>

#include "dbtproject.h"
#include "xalloc.h"

enum dq_kind {
	DQ_NOT_NULL,
	DQ_UNIQUE,
	DQ_ACCEPTED_VALUES,
	DQ_RELATIONSHIPS,
	DQ_EXPRESSION,      /* expression_is_true */
	DQ_EQUAL_ROWCOUNT,
	DQ_EQUAL_SUMS,
	DQ_FRESHNESS,
	DQ_SINGULAR,
	DQ_MACRO,           /* a generic test written as a macro: its rendered SQL in sql */
};

/* dbt's warn_if / error_if: "<op> <n>", compared with the failure count. */
enum dq_op { OP_NE, OP_EQ, OP_GT, OP_GE, OP_LT, OP_LE };
struct dq_threshold {
	enum dq_op op;
	long long n;
};

enum dq_status { DQ_PASS, DQ_WARN, DQ_FAIL, DQ_ERROR };

/* A column or field named in a test: an identifier (quoted when the SQL is
 * built, folded to lower case when written without quotes, as PostgreSQL
 * would) or, for column_name arguments and loaded_at_field that are not
 * plain identifiers, a SQL expression used as written (as dbt does). */
struct dq_col {
	char *text;
	bool expr;
};

struct dq_sample {
	size_t ncols, nrows;
	char **cols;   /* ncols names */
	char **vals;   /* nrows * ncols; NULL for SQL NULL */
};

struct dq_test {
	enum dq_kind kind;
	char *name;           /* unique within the run, dbt's naming */
	char *unique_id;      /* dbt's (a generic test's with dbt's hash), or NULL:
				 "test.<project>.<name>" */
	char *full_name;      /* a shortened generic test's untruncated name
				 (what dbt ls prints, and selects), or NULL */
	char *test_type;      /* "not_null", ..., or "singular" */
	char *file;           /* where it is declared, for messages */
	size_t line;
	char *on;             /* what it tests, for messages: "orders", "source raw.sales" */
	char *relation;       /* quoted "schema"."table", or NULL (singular) */
	struct dq_col column; /* text NULL when none */

	/* arguments */
	char **values;        /* accepted_values, as written */
	size_t nvalues;
	bool quote;           /* accepted_values: values are strings */
	char *to_relation;    /* relationships, equal_*: the other relation */
	struct dq_col field;  /* relationships: the column in to_relation */
	char *expression;     /* expression_is_true */
	struct dq_col *keys;  /* equal_rowcount group_by_columns, equal_sums key */
	size_t nkeys;
	struct dq_col *compare_keys; /* equal_sums compare_key (defaults to keys) */
	size_t ncompare_keys;
	struct dq_col compare_column;
	char *compare_where;
	char *tolerance;      /* equal_sums, a number as written, or NULL */
	double warn_after, error_after; /* freshness, seconds; 0: not set */
	char *filter;         /* freshness filter */
	char *sql;            /* singular and macro tests: the rendered query */
	char *text;           /* a singular test that queries the database
			       * while it renders: its template, rendered
			       * when it runs (sql NULL until then) */
	/* a macro test, rendered when it runs (its macro may query the
	 * database): the project, its type, target and arguments */
	const struct dbt_project *project;
	const struct dbt_test *origin;
	char *macro_type;
	char *fail_calc;      /* its config(fail_calc=), or NULL: count(*) */
	const char **arg_keys;
	yaml_node_t **arg_vals;
	size_t nargs;

	/* config */
	bool warn_severity;
	struct dq_threshold warn_if, error_if;
	long long limit;      /* -1: none */
	char *where;
	int store_failures;   /* -1 unset, 0, 1 */
	char *audit_schema;   /* where failures are stored */
	char **tags;
	size_t ntags;

	/* what it reads, for --select */
	size_t *nodes;
	size_t nnodes;
	size_t *sources;
	size_t nsources;
	bool selected;

	/* result */
	enum dq_status status;
	long long failures;
	double seconds;
	char *message;        /* error text, or NULL */
	char *stored_in;      /* "schema"."table" when failures were stored */
	size_t fold_size;     /* tests in the query this one ran in */
	struct dq_sample sample;
};

struct dq_suite {
	struct dq_test *tests;
	size_t ntests;
	char *target_schema;
};

/* Reads every test of a loaded project. Returns 0, or -1 with
 * "file:line: key: problem" in err. */
int dq_collect(const struct dbt_project *p, struct dq_suite *s, char *err, size_t errlen);
void dq_suite_free(struct dq_suite *s);

/* Marks tests selected by --select/--exclude (dbt's syntax through
 * lib/select, plus test names, test_type:generic|singular and
 * source:S[.T] for tests on sources). Returns 0 or -1 with err. */
int dq_select(const struct dbt_project *p, struct dq_suite *s, const char *const *sel, size_t nsel,
	      const char *const *exc, size_t nexc, char *err, size_t errlen);

struct dq_run_opts {
	bool fold;            /* one query per relation for the foldable tests */
	bool store_failures;  /* --store-failures */
	void (*done)(const struct dq_test *t); /* called as each result is known */
};

struct dq_stats {
	size_t queries;       /* statements that read tested relations */
	size_t folded_tests;  /* tests that shared a query with others */
	size_t fold_queries;
};

/* Runs the selected tests and fills in their results. A test whose SQL
 * fails gets DQ_ERROR and a message; the run goes on. Returns 0, or -1
 * when the connection itself is lost. */
int dq_run(PGconn *conn, struct dq_suite *s, const struct dq_run_opts *o, struct dq_stats *st);

/* Renders a singular test kept as its template (t->text) into t->sql,
 * with o's query function for its run_query() and statement(). Returns 0,
 * or -1 with "file:line: message" in err. */
int dq_singular_render(struct dq_test *t, const struct dbt_text_opts *o, char *err, size_t errlen);

/* Applies severity and thresholds to t->failures. */
void dq_judge(struct dq_test *t);

const char *dq_status_name(enum dq_status st);

/* Grows an array by one element (xrealloc: exits on exhaustion). */
#define DQ_PUSH(arr, n, v)                                          \
	do {                                                        \
		(arr) = xrealloc((arr), ((n) + 1) * sizeof *(arr)); \
		(arr)[(n)++] = (v);                                 \
	} while (0)

/* The line per test on stderr, with up to 5 sample rows for failures. */
void dq_report_line(const struct dq_test *t);
/* --list: the selected tests as JSON on f ({"tests": [{name, unique_id,
 * file, line, severity, depends_on: [node and source ids]}]}), for
 * modelrun build to schedule them. Returns 0, or -1 on a write error. */
int dq_write_list(FILE *f, const struct dbt_project *p, const struct dq_suite *s);
/* Write --junit / --json files. Return 0, or -1 after printing why. */
int dq_write_junit(const char *path, const struct dq_suite *s, const char *project, double seconds);
int dq_write_json(const char *path, const struct dq_suite *s, const char *project, double seconds,
		  const struct dq_stats *st);

#endif
