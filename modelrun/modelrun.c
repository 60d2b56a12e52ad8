/* SPDX-License-Identifier: MIT
 * modelrun: builds the SQL models of a dbt-style project in dependency
 * order against PostgreSQL (a dbt-compatible subset).
 *
 *   modelrun run      build the selected models (views, tables, incremental)
 *   modelrun seed     load the seed CSV files into tables
 *   modelrun snapshot take the selected snapshots (snapshot.c)
 *   modelrun build    seeds, models, snapshots and their data tests in DAG
 *                     order, each model's unit tests just before it (unittest.c);
 *                     modelrun test: the unit tests, then the data tests (build.c)
 *   modelrun run-operation MACRO  run a macro for its effects (operation.c)
 *   modelrun compile  write the compiled SQL under target/compiled/ (no database)
 *   modelrun ls       list the selected nodes
 *   modelrun graph    print the dependency graph as Graphviz DOT
 *   modelrun source freshness  dbt's source freshness (freshness.c)
 *
 * The project is read by lib/dbtproject (templates by lib/template,
 * selection by lib/select). Each model is built in one transaction on one
 * of --threads connections; one line per model goes to stderr and
 * target/run_results.json records the run. A session advisory lock per
 * project and target schema keeps two runs from interleaving. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "args.h"
#include "buf.h"
#include "dbtpackages.h"
#include "exitcode.h"
#include "json.h"
#include "log.h"
#include "modelrun.h"
#include "pgconn.h"
#include "select.h"
#include "xalloc.h"

#define MAX_THREADS 64

static void usage(FILE *to)
{
	fputs("usage: modelrun run|seed|snapshot|build|test|compile|ls|graph|deps|docs generate\n"
	      "                [--project-dir DIR] [--schema S] [-d CONNINFO]\n"
	      "                [-s SELECTOR]... [--exclude SELECTOR]... [--state DIR]\n"
	      "                [--threads N] [--vars YAML] [--full-refresh] [--no-wait]\n"
	      "                [--profiles-dir DIR] [--profile NAME] [--target NAME]\n"
	      "                [--test-results FILE] [-q | -v]\n"
	      "       modelrun source freshness [-s source:NAME[.TABLE]]... [-o FILE] [--project-dir DIR]\n"
	      "                [-d CONNINFO]\n"
	      "       modelrun run-operation MACRO [--args YAML] [--project-dir DIR] [-d CONNINFO]\n"
	      "                [--profiles-dir DIR] [--profile NAME] [--target NAME]\n",
	      to);
}

static void help(void)
{
	usage(stdout);
	fputs("\nBuilds the SQL models of a dbt-style project in dependency order.\n\n"
	      "  run                      build the selected models\n"
	      "  seed                     load the seed CSV files into tables\n"
	      "  snapshot                 take the selected snapshots (dbt's SCD2 history tables)\n"
	      "  build                    seeds, models, snapshots and data tests in DAG order: each\n"
	      "                           node's tests right after it, a failing test skipping what\n"
	      "                           depends on it (the tests run by dqcheck, found beside modelrun);\n"
	      "                           a model's unit tests just before it, a failing one skipping\n"
	      "                           the model and what is built from it\n"
	      "  test                     run the unit tests (unit_tests: in schema files), then the\n"
	      "                           data tests of the selected nodes (by dqcheck); -s also takes\n"
	      "                           a test's name or test_type:unit|generic|singular\n"
	      "  run-operation MACRO      run a macro of macros/ for what it does (run_query, log)\n"
	      "  compile                  write compiled SQL under target/compiled/ (no database)\n"
	      "  ls                       list the selected nodes, one per line\n"
	      "  graph                    print the dependency graph as Graphviz DOT\n"
	      "  deps                     list the packages packages.yml names that are not installed in\n"
	      "                           dbt_packages/ (modelrun cannot download: install them with dbt deps)\n"
	      "  docs generate            write the docs site: target/index.html, target/docs/dag.svg\n"
	      "                           (and target/manifest.json, as run, seed and compile do)\n"
	      "  source freshness         measure the sources' freshness rules as dbt does (PASS, WARN,\n"
	      "                           ERROR STALE); writes target/sources.json\n\n"
	      "      --project-dir DIR    the project (holding dbt_project.yml); default .\n"
	      "      --schema S           target schema (default: the project's, else analytics)\n"
	      "  -d, --dbname CONNINFO    conninfo string or postgresql:// URI; wins over the profile\n"
	      "                           (default: the profile, else the PG* variables)\n"
	      "      --profiles-dir DIR   where profiles.yml is (default: $DBT_PROFILES_DIR, ., ~/.dbt)\n"
	      "      --profile NAME       the profile (default: dbt_project.yml's profile:)\n"
	      "      --target NAME        the profile's output (default: the profile's target:)\n"
	      "  -s, --select SELECTOR    m, +m, m+, tag:x, path:dir, ...; repeatable\n"
	      "      --exclude SELECTOR   leave these out; repeatable\n"
	      "      --state DIR          for state:modified, state:new: the manifest.json in DIR that an\n"
	      "                           earlier run (of modelrun or dbt) wrote\n"
	      "  -o, --output FILE        source freshness: write sources.json there\n"
	      "      --threads N          build independent models on N connections\n"
	      "                           (default: the profile's threads, else 1)\n"
	      "      --vars YAML          values for var(), e.g. 'start: 2026-01-01'\n"
	      "      --full-refresh       rebuild incremental models from scratch (not those\n"
	      "                           whose config says full_refresh=false)\n"
	      "      --args YAML          run-operation: the macro's arguments, e.g. '{role: reporter}'\n"
	      "      --no-wait            fail at once when another run holds the project's lock\n"
	      "      --test-results FILE  docs: dqcheck's --json file (default target/dqcheck.json)\n"
	      "  -q, --quiet              errors only on stderr\n"
	      "  -v, --verbose            more detail on stderr\n"
	      "  -h, --help               this help\n"
	      "  -V, --version            version\n\n"
	      "Exit status: 0 success, 1 a model, seed, snapshot or test failed, or a unit test could\n"
	      "not run (a WARN is no failure;\n"
	      "run-operation: the macro failed; deps: a package is missing), 2 usage error\n"
	      "(run-operation: no such macro), 3 operational failure.\n",
	      stdout);
}

struct opts {
	const char *command;
	const char *dir;
	const char *schema;
	const char *dbname;
	const char *profiles_dir, *profile, *target;
	const char **select;
	size_t nselect;
	const char **exclude;
	size_t nexclude;
	int threads;
	const char *vars;
	bool full_refresh;
	bool no_wait;
	const char *macro;   /* run-operation */
	const char *args;    /* run-operation --args */
	const char *test_results;
	const char *state;   /* --state DIR */
	const char *output;  /* source freshness -o */
};

/* mkdir -p for the directories of path (not path itself). The last
 * directory made is remembered: compile writes hundreds of files into a
 * handful of directories, and each mkdir is a system call. */
static int make_parents(const char *path)
{
	static char *last;
	const char *slash = strrchr(path, '/');
	if (!slash)
		return 0;
	size_t dlen = (size_t)(slash - path);
	if (last && strlen(last) == dlen && strncmp(last, path, dlen) == 0)
		return 0;
	char *copy = strndup(path, dlen);
	if (!copy)
		return -1;
	struct stat st;
	if (stat(copy, &st) != 0) {
		for (char *s = copy + 1;; s++) {
			if (*s != '/' && *s != '\0')
				continue;
			char c = *s;
			*s = '\0';
			if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
				free(copy);
				return -1;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(last);
	last = copy;
	return 0;
}

/* Writes text to path, whose directory exists. Thread-safe. */
static int write_plain(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			log_error("%s: write error: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0) {
		log_error("%s: write error: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_file(const char *path, const char *text)
{
	if (make_parents(path) != 0) {
		log_error("%s: cannot create directory: %s", path, strerror(errno));
		return -1;
	}
	return write_plain(path, text);
}

/* target/run_results.json with dbt's field names (schema v5). */
static int write_run_results(const struct mr_ctx *ctx, const struct opts *o, const bool *selected,
			     double elapsed)
{
	const struct dbt_project *p = ctx->p;
	struct buf b = { 0 };
	char now[64];
	mr_iso_now(now, sizeof now);
	buf_printf(&b, "{\n  \"metadata\": {\"dbt_schema_version\": "
		       "\"https://schemas.getdbt.com/dbt/run-results/v5.json\", \"dbt_version\": \"modelrun-%s\", "
		       "\"generated_at\": \"%s\"},\n  \"results\": [",
		   ELT_VERSION, now);
	bool first = true;
	for (size_t k = 0; k < p->nnodes; k++) {
		size_t i = p->order[k];
		if (!selected[i])
			continue;
		const struct dbt_node *n = &p->nodes[i];
		if (n->kind == DBT_MODEL && n->cfg.materialized == MAT_EPHEMERAL)
			continue;
		const struct node_result *r = &ctx->res[i];
		static const char *const names[] = { "skipped", "success", "error", "skipped" };
		buf_adds(&b, first ? "\n    {" : ",\n    {");
		first = false;
		buf_adds(&b, "\"unique_id\": ");
		json_string(&b, n->unique_id);
		buf_adds(&b, ", \"status\": ");
		json_string(&b, names[r->status]);
		buf_printf(&b, ", \"thread_id\": \"Thread-%d\", \"execution_time\": %.6f, \"timing\": []", r->thread + 1,
			   r->secs);
		buf_adds(&b, ", \"message\": ");
		json_string(&b, r->message ? r->message : r->response);
		buf_adds(&b, ", \"failures\": null, \"adapter_response\": {");
		if (r->response) {
			buf_adds(&b, "\"_message\": ");
			json_string(&b, r->response);
			buf_adds(&b, ", \"code\": ");
			char code[64];
			snprintf(code, sizeof code, "%s", r->response);
			code[strcspn(code, " 0123456789")] = '\0';
			json_string(&b, code);
			if (r->rows >= 0)
				buf_printf(&b, ", \"rows_affected\": %lld", r->rows);
		}
		buf_adds(&b, "}, \"compiled\": ");
		buf_adds(&b, r->compiled ? "true" : "false");
		buf_adds(&b, ", \"compiled_code\": ");
		json_string(&b, r->compiled);
		buf_adds(&b, ", \"relation_name\": ");
		mr_relation_name(&b, p->target.dbname, n->relation);
		buf_addc(&b, '}');
	}
	mr_units_json(ctx, &b, &first);
	mr_tests_json(ctx, &b, &first);
	buf_printf(&b, "\n  ],\n  \"elapsed_time\": %.6f,\n  \"args\": {\"which\": ", elapsed);
	json_string(&b, o->command);
	buf_printf(&b, ", \"threads\": %d, \"full_refresh\": %s, \"target_schema\": ", o->threads,
		   o->full_refresh ? "true" : "false");
	json_string(&b, p->target_schema);
	buf_adds(&b, "}\n}\n");
	char *path = xasprintf("%s/target/run_results.json", p->dir);
	int rc = write_file(path, buf_str(&b));
	free(path);
	buf_free(&b);
	return rc;
}

/* target/manifest.json after run, seed or compile. A docs block that
 * cannot be read costs the manifest its blocks, with a warning, not the
 * run (docs generate fails on it). */
static int write_manifest(const struct dbt_project *p, const char *database, char *const *compiled)
{
	struct mr_docset ds;
	char err[1024];
	if (mr_docs_load(p, &ds, err, sizeof err)) {
		log_warn("%s (target/manifest.json is written without docs blocks)", err);
		mr_docs_free(&ds);
	}
	int rc = mr_write_manifest(p, &ds, database, compiled);
	mr_docs_free(&ds);
	return rc;
}

/* The database a connection would go to, without connecting: for the
 * manifest of compile, which uses none. -d's dbname (a conninfo string,
 * a URI or a plain name), else libpq's default (PGDATABASE, else the user
 * name). NULL when libpq cannot tell. Malloc'd. */
static char *default_database(const char *dbname)
{
	char *out = NULL;
	PQconninfoOption *opts = NULL;
	if (dbname && !strchr(dbname, '=') && strncmp(dbname, "postgres://", 11) != 0 &&
	    strncmp(dbname, "postgresql://", 13) != 0)
		return xstrdup(dbname);
	opts = dbname ? PQconninfoParse(dbname, NULL) : PQconndefaults();
	const char *db = NULL, *user = NULL;
	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (strcmp(o->keyword, "dbname") == 0 && o->val && *o->val)
			db = o->val;
		if (strcmp(o->keyword, "user") == 0 && o->val && *o->val)
			user = o->val;
	}
	if (!db && dbname) { /* a conninfo without dbname: the environment's */
		PQconninfoFree(opts);
		return default_database(NULL);
	}
	out = db ? xstrdup(db) : user ? xstrdup(user) : NULL;
	PQconninfoFree(opts);
	return out;
}

/* ---- running ---- */

static void report_line(struct mr_ctx *ctx, size_t node)
{
	const struct dbt_node *n = &ctx->p->nodes[node];
	struct node_result *r = &ctx->res[node];
	pthread_mutex_lock(&ctx->print_lock);
	size_t k = ++ctx->done;
	const char *what = n->kind == DBT_SEED ? "seed" : dbt_mat_name(n->cfg.materialized);
	if (r->full_build && n->cfg.materialized == MAT_INCREMENTAL)
		what = "incremental, full build";
	char rows[64] = "";
	if (r->rows >= 0)
		snprintf(rows, sizeof rows, ", %lld rows", r->rows);
	if (r->status == ST_OK)
		log_info("[%zu/%zu] OK %s.%s (%s%s, %.2f s)", k, ctx->total, n->schema, n->identifier, what, rows, r->secs);
	else if (r->status == ST_ERROR) {
		/* a message of several lines (a contract's table of differences)
		 * goes on as indented lines of their own */
		const char *msg = r->message ? r->message : "failed";
		int first = (int)strcspn(msg, "\n");
		log_error("[%zu/%zu] ERROR %s.%s (%s, %.2f s): %.*s", k, ctx->total, n->schema, n->identifier, what,
			  r->secs, first, msg);
		for (const char *l = msg + first; *l;) {
			l++;
			int len = (int)strcspn(l, "\n");
			if (len)
				log_error("  %.*s", len, l);
			l += len;
		}
	} else
		log_info("[%zu/%zu] SKIP %s.%s (%s): %s", k, ctx->total, n->schema, n->identifier, what,
			 r->message ? r->message : "skipped");
	pthread_mutex_unlock(&ctx->print_lock);
}

static int work(void *ud, int worker, size_t node)
{
	struct mr_ctx *ctx = ud;
	size_t groups = ctx->p->nnodes + mr_tests_units(ctx);
	if (node >= groups) /* a model's unit tests (build) */
		return mr_units_work(ctx, worker, node - groups);
	if (node >= ctx->p->nnodes) /* a vertex of data tests (build) */
		return mr_tests_work(ctx, worker, node - ctx->p->nnodes);
	const struct dbt_node *n = &ctx->p->nodes[node];
	struct node_result *r = &ctx->res[node];
	r->thread = worker;
	if (n->error) {
		/* found when the project was read: this model's error, as in
		 * dbt; its descendants are skipped, the rest runs */
		r->status = ST_ERROR;
		mr_message(r, "%s", n->error);
		report_line(ctx, node);
		return -1;
	}
	if (n->kind == DBT_MODEL && n->cfg.materialized == MAT_EPHEMERAL) {
		/* inlined where it is used: nothing to build */
		r->status = ST_OK;
		return 0;
	}
	double t0 = clock_seconds();
	log_debug("building %s on connection %d", n->name, worker + 1);
	int rc = n->kind == DBT_SEED     ? mr_seed(ctx, ctx->conns[worker], node, r) :
		 n->kind == DBT_SNAPSHOT ? mr_snapshot(ctx, ctx->conns[worker], node, r) :
					   mr_build(ctx, ctx->conns[worker], node, r);
	r->secs = clock_seconds() - t0;
	r->status = rc == 0 ? ST_OK : ST_ERROR;
	/* A broken connection is not the model's fault, and every model after
	 * it would fail the same way: the run stops, with status 3. */
	bool lost = rc != 0 && PQstatus(ctx->conns[worker]) == CONNECTION_BAD;
	if (lost) {
		pthread_mutex_lock(&ctx->print_lock);
		ctx->conn_lost = true;
		pthread_mutex_unlock(&ctx->print_lock);
	}
	report_line(ctx, node);
	return lost ? DAG_STOP : rc;
}

static void skipped(void *ud, size_t node, size_t cause)
{
	struct mr_ctx *ctx = ud;
	char name[512], why[600];
	size_t groups = ctx->p->nnodes + mr_tests_units(ctx);
	if (cause == DAG_STOPPED)
		snprintf(why, sizeof why, "not started: the connection to the server was lost");
	else if (cause >= groups && mr_units_model(ctx, cause - groups) == node)
		snprintf(why, sizeof why, "not built: its %s failed", mr_unit_name(ctx, cause, name, sizeof name));
	else
		snprintf(why, sizeof why, "depends on %s, which failed", mr_unit_name(ctx, cause, name, sizeof name));
	if (node >= groups) { /* a model's unit tests (build) */
		mr_units_skipped(ctx, node - groups, why);
		return;
	}
	if (node >= ctx->p->nnodes) { /* a vertex of data tests (build) */
		mr_tests_skipped(ctx, node - ctx->p->nnodes, why);
		return;
	}
	struct node_result *r = &ctx->res[node];
	r->status = ST_SKIPPED;
	mr_message(r, "%s", why);
	const struct dbt_node *n = &ctx->p->nodes[node];
	if (!(n->kind == DBT_MODEL && n->cfg.materialized == MAT_EPHEMERAL))
		report_line(ctx, node);
}

/* At the end of a run with several failures, each again on one line, as
 * dbt lists them: one per model is easy to miss among hundreds. */
static void report_failures(const struct mr_ctx *ctx, const bool *selected)
{
	const struct dbt_project *p = ctx->p;
	for (size_t k = 0; k < p->nnodes; k++) {
		size_t i = p->order[k];
		const struct node_result *r = &ctx->res[i];
		if (selected[i] && r->status == ST_ERROR)
			log_error("failed: %s %s (%s): %s", p->nodes[i].kind == DBT_SEED ? "seed" : "model",
				  p->nodes[i].name, p->nodes[i].path, r->message ? r->message : "failed");
	}
}

/* Takes the project's advisory lock on conn (held until it closes):
 * shared for modelrun test, which only reads, as dqcheck does. */
static int take_lock(PGconn *conn, const struct dbt_project *p, bool no_wait, bool shared)
{
	char *key = dbt_lock_key(p);
	const char *params[] = { key };
	PGresult *res = PQexecParams(conn,
				     shared ? "select pg_catalog.pg_try_advisory_lock_shared(pg_catalog.hashtextextended($1, 0))" :
					      "select pg_catalog.pg_try_advisory_lock(pg_catalog.hashtextextended($1, 0))",
				     1, NULL, params, NULL, NULL, 0);
	int rc = -1;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pgconn_report(conn, res, "taking the project lock: ");
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		rc = 0;
		goto out;
	}
	if (no_wait) {
		log_error("another modelrun or a dqcheck holds the lock for project %s, schema %s (--no-wait)",
			  p->name, p->target_schema);
		goto out;
	}
	/* dqcheck holds the lock shared while its tests run (see dbt_lock_key) */
	log_info("waiting for another modelrun or a dqcheck of project %s, schema %s, to finish", p->name,
		 p->target_schema);
	PQclear(res);
	res = PQexecParams(conn,
			   shared ? "select pg_catalog.pg_advisory_lock_shared(pg_catalog.hashtextextended($1, 0))" :
				    "select pg_catalog.pg_advisory_lock(pg_catalog.hashtextextended($1, 0))",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pgconn_report(conn, res, "taking the project lock: ");
		goto out;
	}
	rc = 0;
out:
	PQclear(res);
	free(key);
	return rc;
}

static int create_schemas(PGconn *conn, const struct dbt_project *p, const bool *selected)
{
	for (size_t i = 0; i < p->nnodes; i++) {
		const struct dbt_node *n = &p->nodes[i];
		if (!selected[i] || (n->kind == DBT_MODEL && n->cfg.materialized == MAT_EPHEMERAL))
			continue;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = selected[k] && strcmp(p->nodes[k].schema, n->schema) == 0;
		if (seen)
			continue;
		char *q = pgconn_quote_ident(conn, NULL, n->schema);
		if (!q) {
			log_error("cannot quote identifier: %s", PQerrorMessage(conn));
			return -1;
		}
		char *sql = xasprintf("create schema if not exists %s", q);
		free(q);
		int rc = pgconn_command(conn, sql, "");
		free(sql);
		if (rc)
			return -1;
	}
	return 0;
}

/* Whether the database runs Citus (the extension is there), which the
 * distribution configs need; without it they are ignored, saying so once.
 * Returns 0, or -1 after reporting. */
static int detect_citus(PGconn *conn, struct mr_ctx *ctx, const bool *selected)
{
	int status = EXIT_OK;
	PGresult *res = pgconn_query(conn, "select exists (select from pg_catalog.pg_extension where extname = 'citus')",
				     0, NULL, PGRES_TUPLES_OK, "cannot look for Citus: ", &status);
	if (!res)
		return -1;
	ctx->citus = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	const struct dbt_project *p = ctx->p;
	size_t n = 0;
	const char *first = NULL;
	for (size_t i = 0; i < p->nnodes; i++)
		if (selected[i] && (p->nodes[i].cfg.distributed_by || p->nodes[i].cfg.replicated)) {
			n++;
			first = first ? first : p->nodes[i].name;
		}
	if (n && !ctx->citus)
		log_info("Citus is not installed in this database: the distribution configs (distributed_by, "
			 "distributed_replicated) of %s%s are ignored; the tables stay local",
			 first, n > 1 ? " and others" : "");
	else if (n)
		log_debug("Citus: %zu selected nodes are distributed or replicated", n);
	return 0;
}

/* Runs dbt_project.yml's on-run-start or on-run-end hooks on conn, each
 * as its own statement(s) outside any model's transaction. Returns 0, or
 * -1 after saying which hook failed and why. */
static int run_project_hooks(PGconn *conn, const struct dbt_project *p, const char *what, char *const *hooks,
			     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char err[1024], *sql;
		if (dbt_render_text(p, "dbt_project.yml", hooks[i], strlen(hooks[i]), &sql, err, sizeof err)) {
			log_error("%s hook %zu: %s", what, i + 1, err);
			return -1;
		}
		const char *s = sql;
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == ';')
			s++;
		if (!*s) {
			free(sql);
			continue;
		}
		log_debug("%s hook %zu: %s", what, i + 1, sql);
		PGresult *res = PQexec(conn, sql);
		free(sql);
		ExecStatusType st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			char *msg = pgconn_error_line(conn, res);
			log_error("%s hook %zu failed: %s", what, i + 1, msg);
			free(msg);
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	if (n)
		log_info("ran %zu %s hook%s", n, what, n == 1 ? "" : "s");
	return 0;
}

/* What a command builds, for messages: "seed", "snapshot" or "model". */
static const char *command_noun(const char *command, bool plural)
{
	if (strcmp(command, "seed") == 0)
		return plural ? "seeds" : "seed";
	if (strcmp(command, "snapshot") == 0)
		return plural ? "snapshots" : "snapshot";
	if (strcmp(command, "test") == 0)
		return plural ? "tests" : "test";
	if (strcmp(command, "build") == 0)
		return plural ? "nodes" : "node";
	return plural ? "models" : "model";
}

static int cmd_build(struct dbt_project *p, const struct opts *o, bool *selected)
{
	struct mr_ctx ctx = { .p = p, .full_refresh = o->full_refresh };
	ctx.res = xcalloc(p->nnodes, sizeof *ctx.res);
	size_t buildable = 0;
	for (size_t i = 0; i < p->nnodes; i++)
		if (selected[i] && !(p->nodes[i].kind == DBT_MODEL && p->nodes[i].cfg.materialized == MAT_EPHEMERAL))
			buildable++;
	int status = EXIT_OK;
	bool tests = strcmp(o->command, "build") == 0 || strcmp(o->command, "test") == 0;
	if (tests) {
		struct mr_test_opts to = { o->schema, o->vars, o->profiles_dir, o->profile, o->target,
					   o->select, o->exclude, o->nselect, o->nexclude };
		if ((status = mr_tests_plan(&ctx, &to)) != EXIT_OK)
			goto out;
	}
	if (strcmp(o->command, "build") == 0) {
		struct mr_unit_opts uo = { o->dbname, o->select, o->nselect, o->exclude, o->nexclude };
		if ((status = mr_units_plan(&ctx, &uo, selected)) != EXIT_OK)
			goto out;
	}
	ctx.total = buildable + mr_tests_count(&ctx) + mr_units_count(&ctx);
	size_t units = buildable + mr_tests_units(&ctx) + mr_units_vertices(&ctx);
	int nconns = o->threads < (int)units ? o->threads : (int)units;
	if (nconns < 1)
		nconns = 1;
	ctx.conns = xcalloc((size_t)nconns, sizeof *ctx.conns);
	double t0 = clock_seconds();
	for (int i = 0; i < nconns; i++) {
		ctx.conns[i] = dbt_profile_connect(p->profile, o->dbname);
		if (!ctx.conns[i]) {
			status = EXIT_OPER;
			goto out;
		}
		ctx.nconns++;
		pgconn_log_notices(ctx.conns[i], LOG_VERBOSE);
	}
	if (take_lock(ctx.conns[0], p, o->no_wait, strcmp(o->command, "test") == 0) || detect_citus(ctx.conns[0], &ctx, selected) ||
	    create_schemas(ctx.conns[0], p, selected)) {
		status = EXIT_OPER;
		goto out;
	}
	if (tests)
		mr_tests_connect_as(&ctx, ctx.conns[0]);
	if (!units)
		log_info("nothing to do: no %s selected", command_noun(o->command, false));
	/* As in dbt: a failed on-run-start hook skips every node, and
	 * on-run-end runs whatever happened to the nodes. */
	bool start_failed = run_project_hooks(ctx.conns[0], p, "on-run-start", p->on_run_start, p->non_run_start) != 0;
	pthread_mutex_init(&ctx.print_lock, NULL);
	enum node_status *st = xcalloc(p->nnodes + mr_tests_units(&ctx) + mr_units_vertices(&ctx) + 1, sizeof *st);
	if (start_failed) {
		for (size_t i = 0; i < p->nnodes; i++)
			if (selected[i]) {
				st[i] = ctx.res[i].status = ST_SKIPPED;
				mr_message(&ctx.res[i], "not started: an on-run-start hook failed");
			}
		for (size_t g = 0; g < mr_tests_units(&ctx); g++)
			mr_tests_skipped(&ctx, g, "not started: an on-run-start hook failed");
		for (size_t k = 0; k < mr_units_vertices(&ctx); k++)
			mr_units_skipped(&ctx, k, "not started: an on-run-start hook failed");
		if (units)
			log_error("skipping all %zu %s: an on-run-start hook failed", ctx.total,
				  command_noun(o->command, true));
	} else if (tests ? mr_tests_dag_run(&ctx, selected, nconns, work, skipped, st) != 0 :
			   dag_run(p, selected, nconns, work, skipped, &ctx, st) != 0) {
		log_warn("could not start every thread; ran on fewer connections");
	}
	pthread_mutex_destroy(&ctx.print_lock);
	bool end_failed = !ctx.conn_lost &&
			  run_project_hooks(ctx.conns[0], p, "on-run-end", p->on_run_end, p->non_run_end) != 0;
	size_t ok = 0, failed = 0, skip = 0;
	for (size_t i = 0; i < p->nnodes; i++) {
		if (!selected[i] || (p->nodes[i].kind == DBT_MODEL && p->nodes[i].cfg.materialized == MAT_EPHEMERAL))
			continue;
		ok += st[i] == ST_OK;
		failed += st[i] == ST_ERROR;
		skip += st[i] == ST_SKIPPED;
	}
	free(st);
	double elapsed = clock_seconds() - t0;
	if (buildable)
		log_info("done in %.2f s: %zu ok, %zu failed, %zu skipped", elapsed, ok, failed, skip);
	else if (units)
		log_info("done in %.2f s", elapsed);
	if (failed > 1)
		report_failures(&ctx, selected);
	size_t failed_tests = mr_units_summary(&ctx) + mr_tests_summary(&ctx, failed);
	if (ctx.conn_lost)
		log_error("the run stopped: the connection to the server was lost");
	char **compiled = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *compiled);
	for (size_t i = 0; i < p->nnodes; i++)
		compiled[i] = ctx.res[i].compiled;
	int written = write_run_results(&ctx, o, selected, elapsed);
	if (write_manifest(p, ctx.conn_lost ? NULL : PQdb(ctx.conns[0]), compiled) != 0)
		written = -1;
	free(compiled);
	if (written != 0)
		status = EXIT_OPER;
	else if (ctx.conn_lost)
		status = EXIT_OPER;
	else if (failed || failed_tests || start_failed || end_failed)
		status = EXIT_DATA;
out:
	mr_units_free(&ctx);
	mr_tests_free(&ctx);
	for (int i = 0; i < ctx.nconns; i++)
		PQfinish(ctx.conns[i]);
	free(ctx.conns);
	for (size_t i = 0; i < p->nnodes; i++) {
		free(ctx.res[i].message);
		free(ctx.res[i].response);
		free(ctx.res[i].compiled);
	}
	free(ctx.res);
	return status;
}

/* modelrun test, as dbt test: the unit tests of the selection
 * (unittest.c), then its data tests, through cmd_build with no node
 * selected (so with its connection, lock, hooks and run_results.json).
 * The worse status of the two. */
static int mr_test_command(struct dbt_project *p, const struct opts *o, bool *selected)
{
	struct mr_unit_opts uo = { o->dbname, o->select, o->nselect, o->exclude, o->nexclude };
	int unit = mr_unit_tests(p, &uo);
	if (unit == EXIT_USAGE || unit == EXIT_OPER)
		return unit;
	int data = cmd_build(p, o, selected);
	return data > unit ? data : unit;
}

struct out_file {
	char *path;
	char *text;
};

struct writer {
	struct out_file *files;
	size_t n, start, step;
	int failed;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	for (size_t i = w->start; i < w->n; i += w->step)
		if (write_plain(w->files[i].path, w->files[i].text) != 0)
			w->failed = 1;
	return NULL;
}

#define COMPILE_WRITERS 4

/* Renders every selected model, then writes the files on a few threads:
 * rendering 200 models takes a few milliseconds, and what is left is the
 * latency of opening and closing files, which threads overlap. */
static int cmd_compile(struct dbt_project *p, const bool *selected, const char *dbname)
{
	struct out_file *files = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *files);
	char **by_node = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *by_node);
	size_t count = 0, failed = 0;
	int status = EXIT_OK;
	for (size_t i = 0; i < p->nnodes; i++) {
		const struct dbt_node *n = &p->nodes[i];
		if (!selected[i] || n->kind != DBT_MODEL)
			continue;
		char err[1024], *sql;
		if (n->error || dbt_pgquery_compile(p, NULL, i, false, &sql, err, sizeof err)) {
			/* as dbt: every model's error, and the others compiled */
			log_error("%s", n->error ? n->error : err);
			failed++;
			continue;
		}
		size_t len = strlen(sql);
		sql = xrealloc(sql, len + 2);
		sql[len] = '\n';
		sql[len + 1] = '\0';
		/* under the name of the node's package, as dbt writes them */
		files[count].path = xasprintf("%s/target/compiled/%s/%s", p->dir, n->fqn[0], n->path);
		files[count++].text = sql;
		by_node[i] = sql;
		if (make_parents(files[count - 1].path) != 0) {
			log_error("%s: cannot create directory: %s", files[count - 1].path, strerror(errno));
			status = EXIT_OPER;
			goto out;
		}
	}
	struct writer w[COMPILE_WRITERS];
	pthread_t th[COMPILE_WRITERS];
	bool started[COMPILE_WRITERS] = { false };
	for (size_t t = 0; t < COMPILE_WRITERS; t++) {
		w[t] = (struct writer){ files, count, t, COMPILE_WRITERS, 0 };
		started[t] = t > 0 && pthread_create(&th[t], NULL, writer_main, &w[t]) == 0;
		if (t > 0 && !started[t])
			writer_main(&w[t]); /* no thread: write them here */
	}
	writer_main(&w[0]);
	for (size_t t = 0; t < COMPILE_WRITERS; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		if (w[t].failed)
			status = EXIT_OPER;
	}
	if (status == EXIT_OK)
		log_info("compiled %zu model%s into %s/target/compiled/%s", count, count == 1 ? "" : "s", p->dir,
			 p->name);
	/* no connection here: the manifest names the database one would use,
	 * -d's, else the profile's, else libpq's */
	char *database = !dbname && p->profile && p->target.dbname ? xstrdup(p->target.dbname) :
									default_database(dbname);
	if (write_manifest(p, database, by_node) != 0)
		status = EXIT_OPER;
	free(database);
	if (status == EXIT_OK && failed) {
		log_error("%zu model%s failed to compile", failed, failed == 1 ? "" : "s");
		status = EXIT_DATA;
	}
out:
	free(by_node);
	for (size_t i = 0; i < count; i++) {
		free(files[i].path);
		free(files[i].text);
	}
	free(files);
	return status;
}

static int cmd_ls(const struct dbt_project *p, const bool *selected)
{
	for (size_t k = 0; k < p->nnodes; k++) {
		size_t i = p->order[k];
		if (!selected[i])
			continue;
		const struct dbt_node *n = &p->nodes[i];
		for (size_t f = 0; f < n->nfqn; f++)
			printf("%s%s", f ? "." : "", n->fqn[f]);
		putchar('\n');
	}
	return EXIT_OK;
}

static void dot_id(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static int cmd_graph(const struct dbt_project *p, const bool *selected)
{
	printf("digraph ");
	dot_id(p->name);
	printf(" {\n  rankdir=LR;\n  node [shape=box];\n");
	bool *src_used = xcalloc(p->nsources, 1);
	for (size_t k = 0; k < p->nnodes; k++) {
		size_t i = p->order[k];
		if (!selected[i])
			continue;
		const struct dbt_node *n = &p->nodes[i];
		printf("  ");
		dot_id(n->name);
		printf(" [label=\"%s\\n%s\"%s];\n", n->name, n->kind == DBT_SEED ? "seed" : dbt_mat_name(n->cfg.materialized),
		       n->kind == DBT_SEED ? ", shape=folder" : n->cfg.materialized == MAT_EPHEMERAL ? ", style=dashed" : "");
		for (size_t s = 0; s < n->nsources; s++)
			src_used[n->sources[s]] = true;
	}
	for (size_t s = 0; s < p->nsources; s++) {
		if (!src_used[s])
			continue;
		char *id = xasprintf("source:%s.%s", p->sources[s].source_name, p->sources[s].table_name);
		printf("  ");
		dot_id(id);
		printf(" [label=\"%s.%s\\nsource\", shape=cylinder];\n", p->sources[s].source_name, p->sources[s].table_name);
		free(id);
	}
	for (size_t k = 0; k < p->nnodes; k++) {
		size_t i = p->order[k];
		if (!selected[i])
			continue;
		const struct dbt_node *n = &p->nodes[i];
		for (size_t s = 0; s < n->nsources; s++) {
			char *id = xasprintf("source:%s.%s", p->sources[n->sources[s]].source_name,
					    p->sources[n->sources[s]].table_name);
			printf("  ");
			dot_id(id);
			printf(" -> ");
			dot_id(n->name);
			printf(";\n");
			free(id);
		}
		for (size_t q = 0; q < n->nparents; q++) {
			if (!selected[n->parents[q]])
				continue;
			printf("  ");
			dot_id(p->nodes[n->parents[q]].name);
			printf(" -> ");
			dot_id(n->name);
			printf(";\n");
		}
	}
	printf("}\n");
	free(src_used);
	return EXIT_OK;
}

/* Reads the options and the command into o. Returns -1 to go on, or the
 * status to exit with (after --help, --version or a usage error). */
static int parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "project-dir", required_argument, NULL, 'P' },
		{ "schema", required_argument, NULL, 'S' },
		{ "dbname", required_argument, NULL, 'd' },
		{ "select", required_argument, NULL, 's' },
		{ "models", required_argument, NULL, 's' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "threads", required_argument, NULL, 'T' },
		{ "vars", required_argument, NULL, 'A' },
		{ "full-refresh", no_argument, NULL, 'F' },
		{ "no-wait", no_argument, NULL, 'W' },
		{ "args", required_argument, NULL, 'a' },
		{ "test-results", required_argument, NULL, 'E' },
		{ "state", required_argument, NULL, 'Z' },
		{ "output", required_argument, NULL, 'o' },
		{ "profiles-dir", required_argument, NULL, 'R' },
		{ "profile", required_argument, NULL, 'O' },
		{ "target", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, ":d:s:o:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'P': o->dir = optarg; break;
		case 'S': o->schema = optarg; break;
		case 'd': o->dbname = pgconn_take_dbname(optarg); break;
		case 's':
			o->select = xrealloc(o->select, (o->nselect + 1) * sizeof *o->select);
			o->select[o->nselect++] = optarg;
			break;
		case 'x':
			o->exclude = xrealloc(o->exclude, (o->nexclude + 1) * sizeof *o->exclude);
			o->exclude[o->nexclude++] = optarg;
			break;
		case 'T': o->threads = (int)args_u64("--threads", optarg, 1, MAX_THREADS); break;
		case 'A': o->vars = optarg; break;
		case 'F': o->full_refresh = true; break;
		case 'W': o->no_wait = true; break;
		case 'a': o->args = optarg; break;
		case 'E': o->test_results = optarg; break;
		case 'Z': o->state = optarg; break;
		case 'o': o->output = optarg; break;
		case 'R': o->profiles_dir = optarg; break;
		case 'O': o->profile = optarg; break;
		case 't': o->target = optarg; break;
		case 'q': log_level = LOG_QUIET; break;
		case 'v': log_level = LOG_VERBOSE; break;
		case 'h': help(); return EXIT_OK;
		case 'V': puts("modelrun " ELT_VERSION); return EXIT_OK;
		default:
			args_bad_option(c, argv);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		log_error("a command is needed: run, seed, snapshot, build, test, run-operation, compile, ls, graph, "
			  "deps or docs generate");
		usage(stderr);
		return EXIT_USAGE;
	}
	o->command = argv[optind++];
	if (strcmp(o->command, "run-operation") == 0) {
		if (optind >= argc) {
			log_error("run-operation needs the name of a macro");
			usage(stderr);
			return EXIT_USAGE;
		}
		o->macro = argv[optind++];
	} else if (o->args) {
		log_error("--args is for run-operation");
		usage(stderr);
		return EXIT_USAGE;
	} else if (strcmp(o->command, "docs") == 0) {
		if (optind >= argc || strcmp(argv[optind], "generate") != 0) {
			log_error("docs needs a subcommand: docs generate");
			usage(stderr);
			return EXIT_USAGE;
		}
		optind++;
	} else if (strcmp(o->command, "source") == 0) {
		if (optind >= argc || strcmp(argv[optind], "freshness") != 0) {
			log_error("source needs a subcommand: source freshness");
			usage(stderr);
			return EXIT_USAGE;
		}
		optind++;
	}
	if (o->output && strcmp(o->command, "source") != 0) {
		log_error("--output is for source freshness");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind < argc) {
		log_error("unexpected argument \"%s\"", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	static const char *const commands[] = { "run", "seed", "snapshot", "build", "test", "run-operation", "compile",
						"ls", "graph", "deps", "docs", "source", NULL };
	for (const char *const *k = commands; *k; k++)
		if (strcmp(*k, o->command) == 0)
			return -1;
	log_error("unknown command \"%s\" (run, seed, snapshot, build, test, run-operation, compile, ls, graph, deps, "
		  "docs generate or source freshness)", o->command);
	usage(stderr);
	return EXIT_USAGE;
}

/* Marks in selected the nodes that --select and --exclude pick and the
 * command acts on (seed: seeds only; run, compile: models only). Returns
 * 0, or EXIT_USAGE after saying why the selection is wrong. */
static int select_nodes(const struct dbt_project *p, const struct opts *o, bool *selected)
{
	/* test builds nothing: the unit tests and dqcheck read the selectors,
	 * test_type: and test names included, which pick no node */
	if (strcmp(o->command, "test") == 0)
		return 0;
	char err[2048];
	unsigned char *state = o->state ? mr_state_read(p, o->state) : NULL;
	if (o->state && !state)
		return EXIT_USAGE;
	int rc = dbt_select_state(p, o->select, o->nselect, o->exclude, o->nexclude, state, selected, err, sizeof err);
	free(state);
	if (rc != 0) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	bool seeds = strcmp(o->command, "seed") == 0, snapshots = strcmp(o->command, "snapshot") == 0;
	bool models_only = strcmp(o->command, "run") == 0 || strcmp(o->command, "compile") == 0;
	size_t nsel = 0;
	for (size_t i = 0; i < p->nnodes; i++) {
		if (seeds && p->nodes[i].kind != DBT_SEED)
			selected[i] = false;
		if (snapshots && p->nodes[i].kind != DBT_SNAPSHOT)
			selected[i] = false;
		if (models_only && p->nodes[i].kind != DBT_MODEL)
			selected[i] = false;
		nsel += selected[i];
	}
	if (!nsel && (o->nselect || o->nexclude))
		log_warn("the selection matches no %s", seeds || snapshots || models_only ? command_noun(o->command, false) :
			 "node");
	log_debug("project %s: %zu nodes, %zu sources, %zu selected, target schema %s", p->name, p->nnodes,
		  p->nsources, nsel, p->target_schema);
	return 0;
}

/* modelrun deps: what packages.yml asks for against what is installed.
 * Missing names go to stdout, one a line; exit 1 when any is missing. */
static int cmd_deps(const struct opts *o)
{
	char err[2048];
	struct dbt_deps d;
	if (dbt_deps_read(o->dir, &d, err, sizeof err)) {
		log_error("%s", err);
		dbt_deps_free(&d);
		return EXIT_OPER;
	}
	if (!d.file)
		log_info("no packages.yml or dependencies.yml: the project needs no packages");
	else
		log_info("modelrun cannot download packages; it uses what \"dbt deps\" installed in %s/", d.install_path);
	for (size_t i = 0; i < d.nwanted; i++) {
		bool missing = false;
		for (size_t k = 0; k < d.nmissing; k++)
			missing |= strcmp(d.missing[k], d.wanted[i]) == 0;
		log_info("%s: %s", d.wanted[i], missing ? "missing" : "installed");
		if (missing)
			printf("%s\n", d.wanted[i]);
	}
	int status = d.nmissing ? 1 : 0;
	if (d.nmissing)
		log_error("%zu of the %zu packages %s lists are not installed: run \"dbt deps\" where the packages "
			  "can be downloaded",
			  d.nmissing, d.nwanted, d.file);
	dbt_deps_free(&d);
	return status;
}

/* Loads the project, selects its nodes and runs the command on them. */
static int run_command(const struct opts *o)
{
	char err[2048];
	if (strcmp(o->command, "deps") == 0)
		return cmd_deps(o);
	struct dbt_project p;
	struct dbt_options po = { .dir = o->dir, .target_schema = o->schema, .vars = o->vars,
				  .profiles_dir = o->profiles_dir, .profile = o->profile, .target = o->target,
				  .dbname = o->dbname };
	if (dbt_project_load(&p, &po, err, sizeof err) != 0) {
		log_error("%s", err);
		dbt_project_free(&p);
		return EXIT_OPER;
	}
	if (strcmp(o->command, "run-operation") == 0 || strcmp(o->command, "source") == 0) {
		int rc = o->macro ? mr_run_operation(&p, o->dbname, o->macro, o->args) :
			 mr_source_freshness(&p, &(struct mr_freshness_opts){ o->dbname, o->select, o->nselect,
									   o->exclude, o->nexclude, o->output });
		dbt_project_free(&p);
		return rc;
	}
	struct opts oo = *o;
	if (!oo.threads) /* as dbt: --threads, else the profile's threads */
		oo.threads = p.profile && p.target.threads > 0 ? (p.target.threads < MAX_THREADS ? p.target.threads : MAX_THREADS) : 1;
	o = &oo;
	bool *selected = xcalloc(p.nnodes ? p.nnodes : 1, sizeof *selected);
	int status = select_nodes(&p, o, selected);
	if (status == 0) {
		if (strcmp(o->command, "run") == 0 || strcmp(o->command, "seed") == 0 ||
		    strcmp(o->command, "snapshot") == 0)
			status = cmd_build(&p, o, selected);
		else if (strcmp(o->command, "build") == 0)
			status = cmd_build(&p, o, selected);
		else if (strcmp(o->command, "test") == 0)
			status = mr_test_command(&p, o, selected);
		else if (strcmp(o->command, "compile") == 0)
			status = cmd_compile(&p, selected, o->dbname);
		else if (strcmp(o->command, "ls") == 0)
			status = cmd_ls(&p, selected);
		else if (strcmp(o->command, "docs") == 0)
			status = mr_docs_generate(&p, &(struct mr_docs_opts){ o->dbname, o->test_results });
		else
			status = cmd_graph(&p, selected);
	}
	free(selected);
	dbt_project_free(&p);
	return status;
}

int main(int argc, char **argv)
{
	log_init("modelrun");
	struct opts o = { .dir = "." }; /* threads 0: the profile's, else 1 */
	int status = parse_options(argc, argv, &o);
	if (status < 0)
		status = run_command(&o);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("write error on standard output: %s", strerror(errno));
		status = EXIT_OPER;
	}
	free(o.select);
	free(o.exclude);
	return status;
}
