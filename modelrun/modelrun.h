/* SPDX-License-Identifier: MIT
 * What modelrun's modules share: the run context, per-node results, the
 * scheduler (dag.c), materializations and compilation (materialize.c) and
 * seeds (seed.c). Nothing here is used outside modelrun/. */
#ifndef MODELRUN_H
#define MODELRUN_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "dbtproject.h"
#include "dbtquery.h"

enum node_status { ST_PENDING, ST_OK, ST_ERROR, ST_SKIPPED };

struct node_result {
	enum node_status status;
	long long rows;        /* -1 when the command reports none */
	double secs;
	int thread;
	bool full_build;       /* an incremental model built from scratch */
	char *response;        /* the last command tag, e.g. "INSERT 0 10" */
	char *message;         /* malloc'd: why it failed, or what it did */
	char *compiled;        /* the compiled SQL, for run_results */
};

struct mr_ctx {
	struct dbt_project *p;
	bool full_refresh;
	PGconn **conns;
	int nconns;
	struct node_result *res;  /* one per node */
	pthread_mutex_t print_lock;
	size_t done, total;       /* for "[3/10]" */
	bool conn_lost;           /* a connection broke: the run stops (status 3) */
	bool citus;               /* the database has the citus extension */
	struct mr_tests *tests;   /* build and test: the data tests (build.c), else NULL */
	struct mr_units *units;   /* build: the unit tests (unittest.c), else NULL */
};

/* ---- dag.c ---- */

/* Runs work(ud, worker, node) for every selected node on nworkers threads,
 * a node only after all its selected parents succeeded. A node whose
 * parent failed or was skipped is skipped: skipped(ud, node, cause) is
 * called (under the scheduler's lock) and it never runs. work returns 0
 * for success, -1 for a failure, or DAG_STOP for a failure after which
 * nothing more may start (the connection is gone): every node not yet
 * started is then skipped with cause DAG_STOPPED, and the nodes already
 * running finish. status[] receives ST_OK, ST_ERROR or ST_SKIPPED for
 * every selected node. */
#define DAG_STOP 2
#define DAG_STOPPED ((size_t)-1)
typedef int (*dag_work_fn)(void *ud, int worker, size_t node);
typedef void (*dag_skip_fn)(void *ud, size_t node, size_t cause);
int dag_run(const struct dbt_project *p, const bool *selected, int nworkers, dag_work_fn work,
	    dag_skip_fn skipped, void *ud, enum node_status *status);

/* dag_run over any graph: n vertices with their parents and children,
 * order listing every vertex, parents before children (the order ready
 * vertices are taken in). */
struct dag_vertex {
	const size_t *parents;
	size_t nparents;
	const size_t *children;
	size_t nchildren;
};
struct dag_graph {
	size_t n;
	const struct dag_vertex *v;
	const size_t *order;
};
int dag_run_graph(const struct dag_graph *g, const bool *selected, int nworkers, dag_work_fn work,
		  dag_skip_fn skipped, void *ud, enum node_status *status);

/* ---- build.c: the data tests of build and test, run by dqcheck ---- */

struct mr_tests;
struct mr_test_opts {
	const char *schema, *vars, *profiles_dir, *profile, *target; /* as given, or NULL */
	const char *const *select, *const *exclude;
	size_t nselect, nexclude;
};

/* Asks dqcheck (beside modelrun, else in PATH) which tests the selection
 * picks and what each reads, into ctx->tests, before anything connects.
 * Returns 0, or the exit status after dqcheck or modelrun said why. */
int mr_tests_plan(struct mr_ctx *ctx, const struct mr_test_opts *o);
/* The tests planned, and the vertices they make in the build graph (the
 * tests reading the same nodes make one); 0 without a plan. */
size_t mr_tests_count(const struct mr_ctx *ctx);
size_t mr_tests_units(const struct mr_ctx *ctx);
/* Makes dqcheck connect as conn did (the password through its
 * environment, never its command line) and take no lock: the caller
 * holds the project's. */
void mr_tests_connect_as(struct mr_ctx *ctx, PGconn *conn);
/* dag_run over the nodes, the test vertices (numbered from nnodes on)
 * and the unit-test vertices (after those), with dbt build's edges from
 * tests to nodes and a model's unit tests between it and its parents;
 * status[] holds p->nnodes + mr_tests_units() + mr_units_vertices()
 * entries. */
int mr_tests_dag_run(struct mr_ctx *ctx, const bool *selected, int nworkers, dag_work_fn work, dag_skip_fn skipped,
		     enum node_status *status);
/* Runs test vertex g's tests with dqcheck and prints a line for each;
 * returns -1 when one failed or erred (not for a WARN), else 0. */
int mr_tests_work(struct mr_ctx *ctx, int worker, size_t g);
/* Marks vertex g's tests skipped, for the reason why, each with a line. */
void mr_tests_skipped(struct mr_ctx *ctx, size_t g, const char *why);
/* A vertex in messages: the node's name, "test NAME" or "unit test
 * MODEL::NAME" (the one that failed). May use buf. */
const char *mr_unit_name(const struct mr_ctx *ctx, size_t unit, char *buf, size_t len);
/* Says how the tests went (and each failure again when, with the
 * failed_nodes, there are several); returns how many failed or erred. */
size_t mr_tests_summary(const struct mr_ctx *ctx, size_t failed_nodes);
/* The tests' entries of run_results.json, each after a comma unless *first. */
struct buf;
void mr_tests_json(const struct mr_ctx *ctx, struct buf *b, bool *first);
/* One test's entry of run_results.json, as dbt writes a data or unit
 * test's, after a comma unless *first: failures < 0 is written null,
 * message NULL too. */
void mr_test_json(struct buf *b, bool *first, const char *unique_id, const char *status, int thread, double secs,
		  const char *message, long long failures, bool compiled);
void mr_tests_free(struct mr_ctx *ctx);

/* ---- materialize.c ---- */

/* Builds one model on conn in one transaction (view, table or
 * incremental), filling r (rows, response, message, compiled). Returns 0
 * on success, -1 after a failure that was rolled back. */
int mr_build(struct mr_ctx *ctx, PGconn *conn, size_t node, struct node_result *r);

/* In the transaction open on conn: replaces schema.name (relkind old_kind,
 * 'r' 'v' 'm' or 'p') by schema.tmp (new_kind), keeping every view that
 * depends on the old relation: their definitions (with options and
 * comments) are saved, they are dropped with it and created again over the
 * new one, and the privileges granted on the old relation and on them are
 * granted again. A dependent view
 * that no longer fits the new columns makes this fail (and the caller
 * rolls back, leaving everything as it was). Returns 0 or -1 with the
 * server's message in r->message. */
int mr_swap(PGconn *conn, const char *schema, const char *name, const char *tmp, char old_kind,
	    char new_kind, struct node_result *r);

/* Whether node's table is to be distributed or replicated here: its
 * config asks for it (distributed_by, distributed_replicated) and the
 * database runs Citus. */
bool mr_distributes(const struct mr_ctx *ctx, const struct dbt_node *n);

/* In the transaction open on conn, makes the new, still empty table
 * tmprel (quoted, qualified) what n's config asks: a distributed table
 * (create_distributed_table by distributed_by, colocate_with when given)
 * or a reference table (create_reference_table). Does nothing unless
 * mr_distributes(). Returns 0 or -1 with r->message. */
int mr_distribute(const struct mr_ctx *ctx, PGconn *conn, const struct dbt_node *n, const char *tmprel,
		  struct node_result *r);

/* Runs sql (with nparams text parameters) and checks the result: returns
 * it when its status is PGRES_COMMAND_OK or PGRES_TUPLES_OK, otherwise
 * stores "what: server message" in r->message and returns NULL. */
PGresult *mr_exec(PGconn *conn, struct node_result *r, const char *what, const char *sql, int nparams,
		  const char *const *params);
/* The relkind of schema.name, '\0' when there is none, or -1 on error. */
int mr_relkind(PGconn *conn, struct node_result *r, const char *schema, const char *name);
/* Sets r->message from printf arguments (replacing what was there). */
void mr_message(struct node_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ROLLBACK, ignoring what it says: the transaction is already lost. */
void mr_rollback(PGconn *conn);
/* A temporary relation name next to name: name + "__mr_tmp", fitting in
 * PostgreSQL's 63 bytes. buf needs 64 bytes. */
void mr_tmp_name(const char *name, char *buf);

/* Runs node's pre-hooks (post false) or post-hooks whose transaction
 * flag equals in_txn, in order, each rendered as the model sees it
 * (is_incremental() answers incremental) and sent as one simple query (so
 * a hook may hold several statements). Returns 0, or -1 with "pre-hook N:
 * message" in r->message. */
int mr_hooks(const struct mr_ctx *ctx, PGconn *conn, size_t node, bool post, bool in_txn, bool incremental,
	     struct node_result *r);

/* ---- contract.c: contracts, grants, persist_docs ---- */

/* Whether node is built as if --full-refresh were given: its full_refresh
 * config when set (true or false), else the option, as dbt decides. */
bool mr_full_refresh(const struct mr_ctx *ctx, const struct dbt_node *n);

/* The contract check: the columns (names, and types as dbt names them)
 * of the query sql, run without rows, against those of the schema file.
 * Returns 0, or -1 with the model's name and dbt's table of differences
 * in r->message; nothing is built. */
int mr_contract_check(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *sql);

/* Creates the empty table tmprel (quoted) with the contract's columns,
 * types and constraints (column and model level). Returns 0 or -1. */
int mr_contract_create(const struct mr_ctx *ctx, PGconn *conn, struct node_result *r, const struct dbt_node *n,
		       const char *tmprel);

/* Fills rel with the rows of sql, column by column as the contract names
 * them. Returns the row count (-1 when the server says none), or -2 after
 * a failure with r->message. */
long long mr_contract_fill(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *rel,
			   const char *sql);

/* Makes the privileges the current role granted on rel (n's relation)
 * what n's grants config says: the missing ones granted, the others
 * revoked. Does nothing without a grants config. Returns 0 or -1. */
int mr_grants(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *rel);

/* persist_docs: the model's description on rel (kind 'r', 'v' or 'm')
 * and the columns' on its columns. Returns 0 or -1. */
int mr_persist_docs(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *rel, char kind);
/* dbt-postgres's expand_target_column_types, run on every incremental
 * build whatever on_schema_change says, and on every snapshot: a string
 * column of rel shorter than the same column of from (text counting as
 * 256) becomes character varying of from's size. Both are names the
 * server reads as regclass. Returns 0 or -1 with r->message. */
int mr_expand_columns(PGconn *conn, struct node_result *r, const char *from, const char *rel);

/* The columns of rel (a name read as regclass), in order: name, dbt's
 * type string, string size (-1 for a non-string), catalog type or null.
 * NULL with r->message on error. */
PGresult *mr_columns(PGconn *conn, struct node_result *r, const char *rel);
/* The type to give column i of mr_columns() in DDL. */
const char *mr_column_type(const PGresult *res, int i);

/* ---- snapshot.c ---- */

/* Runs one snapshot (dbt's SCD2 history table, timestamp or check
 * strategy) on conn in one transaction, with its hooks, filling r.
 * Returns 0, or -1 after a failure that was rolled back. */
int mr_snapshot(struct mr_ctx *ctx, PGconn *conn, size_t node, struct node_result *r);

/* ---- operation.c ---- */

/* modelrun run-operation: renders macro with args (YAML mapping text, or
 * NULL) as keyword arguments, its run_query() calls each committed on
 * its own. Returns the exit status (0, 1 the macro failed, 2 no such
 * macro or bad --args, 3 operational). */
int mr_run_operation(const struct dbt_project *p, const char *dbname, const char *macro, const char *args);

/* ---- unittest.c ---- */

/* What modelrun test and build hand the unit tests: -d, and the selectors. */
struct mr_unit_opts {
	const char *dbname;
	const char *const *select;
	size_t nselect;
	const char *const *exclude;
	size_t nexclude;
};

/* A unit test's verdict (UT_SKIPPED only in build). */
enum ut_status { UT_PASS, UT_FAIL, UT_ERROR, UT_SKIPPED };

/* Runs unit test t of p on conn, in a transaction rolled back after it
 * (conn must have none open). *message (malloc'd, or NULL for a pass)
 * gets the table of differing rows of a FAIL or the reason of an ERROR. */
enum ut_status mr_unit_test_run_one(const struct dbt_project *p, size_t t, PGconn *conn, char **message);

/* modelrun test: runs the selected dbt unit tests (by name, by their
 * model through any node selector, or test_type:unit) one after another
 * on a connection of their own, and reports PASS, FAIL (with the table of
 * differing rows) or ERROR (with the reason) for each. Returns the exit
 * status: 0 all passed, 1 one failed or could not run, 2 a bad selector,
 * 3 operational. */
int mr_unit_tests(const struct dbt_project *p, const struct mr_unit_opts *o);

/* modelrun build: the selected unit tests of the selected models, one
 * vertex of the build graph per model (numbered after the data tests'),
 * between the model's parents (and the data tests it waits for) and the
 * model, as dbt build runs them. Returns 0, or 2 after a bad selector. */
int mr_units_plan(struct mr_ctx *ctx, const struct mr_unit_opts *o, const bool *selected);
/* The unit tests planned, and their vertices (models with unit tests). */
size_t mr_units_count(const struct mr_ctx *ctx);
size_t mr_units_vertices(const struct mr_ctx *ctx);
/* The model whose unit tests vertex k runs. */
size_t mr_units_model(const struct mr_ctx *ctx, size_t k);
/* Runs vertex k's unit tests on the worker's connection, a line for
 * each; after one fails or errs the rest are skipped, as in dbt. Returns
 * 0 when all passed, -1 when one did not (the model is then skipped), or
 * DAG_STOP when the connection broke. */
int mr_units_work(struct mr_ctx *ctx, int worker, size_t k);
/* Marks vertex k's unit tests skipped, for the reason why, each with a line. */
void mr_units_skipped(struct mr_ctx *ctx, size_t k, const char *why);
/* "unit test MODEL::NAME" of the test of vertex k that failed. */
const char *mr_units_name(const struct mr_ctx *ctx, size_t k, char *buf, size_t len);
/* Says how the unit tests went; returns how many failed or erred. */
size_t mr_units_summary(const struct mr_ctx *ctx);
/* The unit tests' entries of run_results.json, as dbt writes them. */
void mr_units_json(const struct mr_ctx *ctx, struct buf *b, bool *first);
void mr_units_free(struct mr_ctx *ctx);

/* ---- seed.c ---- */

/* Loads the seed's CSV into its table with COPY, replacing the previous
 * content atomically (one transaction; dependent views kept). */
int mr_seed(struct mr_ctx *ctx, PGconn *conn, size_t node, struct node_result *r);

/* ---- manifest.c ---- */

/* A documentation block: {% docs name %}text{% enddocs %} in a .md file
 * under a model path. */
struct mr_docblock {
	char *name;
	char *path;  /* below the model path */
	char *file;  /* from the project dir */
	char *text;  /* the contents, surrounding whitespace stripped */
};
struct mr_docset {
	struct mr_docblock *v;
	size_t n;
};

/* Reads every block of the project's .md files. Returns 0, or -1 with
 * "file:line: problem" in err (a block without its end, a name used
 * twice). mr_docs_free() releases what was read either way. */
int mr_docs_load(const struct dbt_project *p, struct mr_docset *ds, char *err, size_t errlen);
void mr_docs_free(struct mr_docset *ds);

/* text (a description; NULL reads as "") with every {{ doc('name') }}
 * replaced by that block's contents; a name with no block is kept as
 * written, with a warning naming file:line. Malloc'd. */
char *mr_describe(const struct mr_docset *ds, const char *text, const char *file, size_t line);

/* Writes len bytes to path (its directories made as needed) through a
 * temporary file renamed into place. Returns 0, or -1 after saying why. */
int mr_write_text(const char *path, const char *text, size_t len);

/* node's checksum as dbt computes it: the sha256 of its file without the
 * whitespace around it (*kind "sha256"), or for a seed over 1 MiB its path
 * (*kind "path"). Malloc'd. */
char *mr_node_checksum(const struct dbt_node *n, const char **kind);

/* Writes <project>/target/manifest.json. database is the database's name
 * when known (NULL: written as null); compiled[i], when compiled is not
 * NULL, is node i's compiled SQL or NULL. Returns 0, or -1 after saying
 * why. */
int mr_write_manifest(const struct dbt_project *p, const struct mr_docset *ds, const char *database,
		      char *const *compiled);

/* relation as dbt's artifacts name it, "database"."schema"."name", as a
 * JSON string (without the database when it is NULL). */
void mr_relation_name(struct buf *b, const char *database, const char *relation);

/* The time now as dbt's artifacts write it: "2026-12-03T12:20:20.761151Z"
 * (buf needs 32 bytes). */
void mr_iso_now(char *buf, size_t n);

struct fresh_rule;
struct buf;
/* A freshness rule as dbt writes it in manifest.json and sources.json:
 * {"warn_after": {"count": N, "period": P}, "error_after": ..., "filter":
 * ...}, each threshold in the largest period that divides it. */
void mr_freshness_json(struct buf *b, const struct fresh_rule *r);

/* ---- state.c ---- */

/* --state DIR: one byte of DBT_STATE_* flags (lib/select.h) per node of
 * p, from comparing it with DIR/manifest.json. NULL after saying why the
 * manifest cannot be read. Free it. */
unsigned char *mr_state_read(const struct dbt_project *p, const char *dir);

/* ---- freshness.c ---- */

struct mr_freshness_opts {
	const char *dbname;            /* -d, or NULL */
	const char *const *select;     /* source:S[.T] terms */
	size_t nselect;
	const char *const *exclude;
	size_t nexclude;
	const char *output;            /* -o FILE, or NULL: target/sources.json */
};

/* modelrun source freshness, as dbt source freshness: measures the
 * selected source tables that have a freshness rule, says PASS, WARN or
 * ERROR STALE for each and writes sources.json. Returns the exit status
 * (1 when a table is stale past error_after or could not be measured). */
int mr_source_freshness(const struct dbt_project *p, const struct mr_freshness_opts *o);

/* ---- markdown.c ---- */

/* Appends s (NULL: nothing), or its first n bytes, HTML-escaped (& < > "
 * and '). */
void mr_html(struct buf *b, const char *s);
void mr_html_n(struct buf *b, const char *s, size_t n);

/* Appends text (a description; NULL: nothing) as HTML: the safe Markdown
 * subset markdown.c describes (paragraphs, lists, code, emphasis, http(s)
 * links), everything else escaped. */
void mr_markdown(struct buf *b, const char *text);

/* ---- docs.c ---- */

struct mr_docs_opts {
	const char *dbname;        /* -d, or NULL for the PG* variables */
	const char *test_results;  /* dqcheck's --json file, or NULL: target/dqcheck.json when there */
};

/* modelrun docs generate: target/index.html (one page, everything
 * embedded) and target/docs/dag.svg, and the manifest. Returns the exit
 * status. */
int mr_docs_generate(const struct dbt_project *p, const struct mr_docs_opts *o);

#endif
