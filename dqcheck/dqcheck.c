/* SPDX-License-Identifier: MIT
 * dqcheck: runs the data tests declared beside a dbt project's models
 * (schema.yml `tests:`/`data_tests:`, source freshness and the singular
 * tests in the test paths, tests/NAME.sql) against PostgreSQL and reports each one.
 *
 *   dqcheck [--project-dir DIR] [--schema S] [-s SEL]... [--exclude SEL]...
 *           [--store-failures] [--no-fold] [--junit FILE] [--json FILE]
 *           [--vars YAML] [-d CONNINFO] [-q | -v]
 *
 * The project is read and every test checked before connecting, so a bad
 * schema file costs no database round trip. The tests run while holding
 * modelrun's advisory lock for the project and target schema in shared
 * mode, so they see the relations of a finished run, never a run half
 * done (a --full-refresh that has rebuilt one model and not the next). Results go to stderr (stdout
 * stays free for data, and dqcheck writes none). Exit status: 0 all passed
 * (warnings allowed), 1 a test of error severity failed, 2 usage, 3 a test
 * or the whole run could not run. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbtproject.h"
#include "dqcheck.h"
#include "exitcode.h"
#include "log.h"
#include "args.h"
#include "pgconn.h"

static void usage(FILE *to)
{
	fputs("usage: dqcheck [--project-dir DIR] [--schema SCHEMA] [-s SELECTOR]... [--exclude SELECTOR]...\n"
	      "               [--store-failures] [--no-fold] [--junit FILE] [--json FILE]\n"
	      "               [--vars YAML] [--lock-timeout SECONDS | --no-lock] [--list] [-d CONNINFO]\n"
	      "               [--profiles-dir DIR] [--profile NAME] [--target NAME] [-q | -v]\n",
	      to);
}

static void help(void)
{
	usage(stdout);
	fputs("\nRuns the data tests of a dbt project against PostgreSQL; one line per test on stderr.\n\n"
	      "      --project-dir DIR  the dbt project (default: . when it holds dbt_project.yml, else sql)\n"
	      "      --schema SCHEMA    target schema the models were built in (default: the project's,\n"
	      "                         else analytics)\n"
	      "  -s, --select SEL       run the tests of these nodes (modelrun's syntax), test names,\n"
	      "                         source:S[.T], tag:T or test_type:generic|singular|freshness\n"
	      "      --exclude SEL      leave these out\n"
	      "      --store-failures   keep each failing test's rows in <schema>_dbt_test__audit.<test>\n"
	      "      --no-fold          one query per test (by default column tests on one relation share one)\n"
	      "      --junit FILE       write JUnit XML, one testcase per test\n"
	      "      --json FILE        write the results as JSON\n"
	      "      --vars YAML        values for var() in singular tests, e.g. 'min_date: 2026-01-01'\n"
	      "      --lock-timeout S   wait at most S seconds for a modelrun of the project to finish\n"
	      "                         (default: as long as it takes; 0: fail at once)\n"
	      "      --no-lock          take no lock: for modelrun build, which holds it itself\n"
	      "      --list             print the selected tests and what they depend on as JSON\n"
	      "                         on stdout, and run none (modelrun build schedules them so)\n"
	      "  -d, --dbname CONNINFO  connection string or URI; wins over the profile\n"
	      "                         (default: the profile, else libpq's PG* environment)\n"
	      "      --profiles-dir DIR where profiles.yml is (default: $DBT_PROFILES_DIR, ., ~/.dbt)\n"
	      "      --profile NAME     the profile (default: dbt_project.yml's profile:)\n"
	      "      --target NAME      the profile's output (default: the profile's target:)\n"
	      "  -q, --quiet            print failures and errors only\n"
	      "  -v, --verbose          print the SQL and the number of queries issued\n"
	      "  -h, --help             this help\n"
	      "  -V, --version          version\n\n"
	      "Exit status: 0 all passed (warnings allowed), 1 a test failed, 2 usage error,\n"
	      "3 could not run (unreadable project file, database unreachable, a test's SQL failed).\n",
	      stdout);
}

/* Runs the one-value query sql with the lock key as $1. Returns 1 for
 * true, 0 for false, -2 when lock_timeout ran out, -1 after reporting any
 * other error. */
static int lock_query(PGconn *conn, const char *sql, const char *key)
{
	const char *params[] = { key };
	PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
	int rc;
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		rc = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	} else {
		rc = strcmp(pgconn_sqlstate(res), "55P03") == 0 ? -2 : -1; /* lock_not_available */
		if (rc == -1)
			pgconn_report(conn, res, "waiting for modelrun's lock: ");
	}
	PQclear(res);
	return rc;
}

/* Takes modelrun's advisory lock for the project and target schema in
 * shared mode on conn, held until the connection closes: a modelrun seed or
 * run holds it exclusively from before its first model to after its last,
 * so the tests see the relations of one finished run. Other dqchecks share
 * it. When a run holds it, says so after a second and waits up to timeout
 * seconds (negative: no bound). Returns 0, or -1 after one line. */
static int take_lock(PGconn *conn, const struct dbt_project *p, long timeout)
{
	char *key = dbt_lock_key(p);
	const char *lock = "select pg_catalog.pg_advisory_lock_shared(pg_catalog.hashtextextended($1, 0)) is not null";
	int rc = lock_query(conn,
			    "select pg_catalog.pg_try_advisory_lock_shared(pg_catalog.hashtextextended($1, 0))", key);
	if (rc == 1)
		goto done;
	if (rc < 0)
		goto fail;
	/* A run that is about to end is not worth a message: wait a second
	 * quietly (lock_timeout bounds the wait for an advisory lock too). */
	long quiet = timeout == 0 ? 0 : 1;
	char ms[32];
	snprintf(ms, sizeof ms, "%ld", quiet * 1000);
	if (quiet > 0) {
		const char *set = "select pg_catalog.set_config('lock_timeout', $1, false) is not null";
		if (lock_query(conn, set, ms) < 0)
			goto fail;
		if ((rc = lock_query(conn, lock, key)) == 1)
			goto reset;
		if (rc == -1)
			goto fail;
	}
	if (timeout >= 0 && timeout <= quiet) {
		log_error("a modelrun of project %s, schema %s, is still running (--lock-timeout %ld)", p->name,
			  p->target_schema, timeout);
		goto fail;
	}
	log_info("waiting for a modelrun of project %s, schema %s, to finish", p->name, p->target_schema);
	/* lock_timeout 0 is no bound */
	snprintf(ms, sizeof ms, "%ld", timeout < 0 ? 0 : (timeout - quiet) * 1000);
	if (lock_query(conn, "select pg_catalog.set_config('lock_timeout', $1, false) is not null", ms) < 0)
		goto fail;
	rc = lock_query(conn, lock, key);
	if (rc == -2)
		log_error("a modelrun of project %s, schema %s, is still running after %ld s (--lock-timeout)",
			  p->name, p->target_schema, timeout);
	if (rc != 1)
		goto fail;
reset:
	/* the tests' own queries keep the session's usual lock_timeout */
	if (pgconn_command(conn, "reset lock_timeout", ""))
		goto fail;
done:
	free(key);
	return 0;
fail:
	free(key);
	return -1;
}

static void print_done(const struct dq_test *t)
{
	dq_report_line(t);
}

/* What the command line asks for. */
struct opts {
	const char *dbname, *dir, *schema, *junit, *json, *vars;
	const char *profiles_dir, *profile, *target;
	const char **sel, **exc;
	size_t nsel, nexc;
	struct dq_run_opts run;
	long lock_timeout; /* ms; -1: the server's lock_timeout */
	bool no_lock, list;
};

/* Reads the options into o. Returns -1 to go on, or the status to exit
 * with (after --help, --version or a usage error). */
static int parse_options(int argc, char **argv, struct opts *o)
{
	enum { OPT_PROJECT = 256, OPT_SCHEMA, OPT_EXCLUDE, OPT_STORE, OPT_NOFOLD, OPT_JUNIT, OPT_JSON, OPT_VARS,
	       OPT_LOCK_TIMEOUT, OPT_PROFILES_DIR, OPT_PROFILE, OPT_TARGET, OPT_NO_LOCK, OPT_LIST };
	static const struct option longopts[] = {
		{ "project-dir", required_argument, NULL, OPT_PROJECT },
		{ "schema", required_argument, NULL, OPT_SCHEMA },
		{ "select", required_argument, NULL, 's' },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "store-failures", no_argument, NULL, OPT_STORE },
		{ "no-fold", no_argument, NULL, OPT_NOFOLD },
		{ "junit", required_argument, NULL, OPT_JUNIT },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "vars", required_argument, NULL, OPT_VARS },
		{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
		{ "no-lock", no_argument, NULL, OPT_NO_LOCK },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "dbname", required_argument, NULL, 'd' },
		{ "profiles-dir", required_argument, NULL, OPT_PROFILES_DIR },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, ":s:d:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PROJECT: o->dir = optarg; break;
		case OPT_SCHEMA: o->schema = optarg; break;
		case 's': DQ_PUSH(o->sel, o->nsel, optarg); break;
		case OPT_EXCLUDE: DQ_PUSH(o->exc, o->nexc, optarg); break;
		case OPT_STORE: o->run.store_failures = true; break;
		case OPT_NOFOLD: o->run.fold = false; break;
		case OPT_JUNIT: o->junit = optarg; break;
		case OPT_JSON: o->json = optarg; break;
		case OPT_VARS: o->vars = optarg; break;
		/* a week in milliseconds still fits lock_timeout's int */
		case OPT_LOCK_TIMEOUT: o->lock_timeout = (long)args_u64("--lock-timeout", optarg, 0, 604800); break;
		case OPT_NO_LOCK: o->no_lock = true; break;
		case OPT_LIST: o->list = true; break;
		case 'd': o->dbname = pgconn_take_dbname(optarg); break;
		case OPT_PROFILES_DIR: o->profiles_dir = optarg; break;
		case OPT_PROFILE: o->profile = optarg; break;
		case OPT_TARGET: o->target = optarg; break;
		case 'q': log_level = LOG_QUIET; break;
		case 'v': log_level = LOG_VERBOSE; break;
		case 'h': help(); return EXIT_OK;
		case 'V': puts("dqcheck " ELT_VERSION); return EXIT_OK;
		default:
			args_bad_option(c, argv);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument \"%s\"", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o->schema && !o->schema[0]) {
		log_error("--schema: a schema name is required");
		return EXIT_USAGE;
	}
	if (!o->dir)
		o->dir = access("dbt_project.yml", F_OK) == 0 ? "." : "sql";
	return -1;
}

/* Reads the project's tests into s and marks those selected. Returns 0,
 * or the exit status after saying what is wrong. */
static int load_tests(const struct opts *o, struct dbt_project *p, struct dq_suite *s)
{
	char err[2048];
	struct dbt_options po = { .dir = o->dir, .target_schema = o->schema, .vars = o->vars,
				  .profiles_dir = o->profiles_dir, .profile = o->profile, .target = o->target,
				  .dbname = o->dbname };
	if (dbt_project_load(p, &po, err, sizeof err) || dq_collect(p, s, err, sizeof err)) {
		log_error("%s", err);
		return EXIT_OPER;
	}
	if (dq_select(p, s, o->sel, o->nsel, o->exc, o->nexc, err, sizeof err)) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

/* Connects, waits for modelrun's lock and runs the selected tests.
 * Returns 0 when they ran; EXIT_OPER with *ran false when none could run
 * (no connection, no lock), or with *ran true when the connection was
 * lost on the way: the tests not run are then marked as errors. */
static int run_tests(const struct opts *o, const struct dbt_project *p, struct dq_suite *s, struct dq_stats *st,
		     bool *ran)
{
	*ran = false;
	PGconn *conn = dbt_profile_connect(p->profile, o->dbname);
	if (!conn)
		return EXIT_OPER;
	int status = EXIT_OK;
	/* samples are written into UTF-8 files (JUnit, JSON) */
	pgconn_log_notices(conn, LOG_VERBOSE);
	if (PQsetClientEncoding(conn, "UTF8") != 0) {
		log_error("cannot set up the session: %s", PQerrorMessage(conn));
		status = EXIT_OPER;
	} else if (!o->no_lock && take_lock(conn, p, o->lock_timeout)) {
		status = EXIT_OPER;
	} else {
		*ran = true;
		if (dq_run(conn, s, &o->run, st)) {
			const char *m = PQerrorMessage(conn);
			log_error("lost the connection to the database: %.*s", (int)strcspn(m, "\n"), m);
			status = EXIT_OPER;
			for (size_t i = 0; i < s->ntests; i++)
				if (s->tests[i].selected && !s->tests[i].fold_size && s->tests[i].status != DQ_ERROR) {
					s->tests[i].status = DQ_ERROR;
					s->tests[i].message = xstrdup("not run: the connection was lost");
					dq_report_line(&s->tests[i]);
				}
		}
	}
	PQfinish(conn);
	return status;
}

/* Says how the selected tests went and writes the reports asked for;
 * returns the exit status that status (the run's) and the verdicts give. */
static int report(const struct opts *o, const struct dbt_project *p, const struct dq_suite *s,
		  const struct dq_stats *st, size_t nselected, double secs, int status)
{
	size_t counts[4] = { 0 };
	for (size_t i = 0; i < s->ntests; i++)
		if (s->tests[i].selected)
			counts[s->tests[i].status]++;
	if (counts[DQ_FAIL] && status == EXIT_OK)
		status = EXIT_DATA;
	if (counts[DQ_ERROR])
		status = EXIT_OPER;
	if (nselected)
		log_info("%zu test%s: %zu passed, %zu warned, %zu failed, %zu errors in %.2f s", nselected,
			 nselected == 1 ? "" : "s", counts[DQ_PASS], counts[DQ_WARN], counts[DQ_FAIL], counts[DQ_ERROR],
			 secs);
	log_debug("%zu queries for %zu tests (%zu tests folded into %zu queries)", st->queries, nselected,
		  st->folded_tests, st->fold_queries);
	if (o->junit && dq_write_junit(o->junit, s, p->name, secs))
		status = EXIT_OPER;
	if (o->json && dq_write_json(o->json, s, p->name, secs, st))
		status = EXIT_OPER;
	return status;
}

int main(int argc, char **argv)
{
	log_init("dqcheck");
	struct opts o = { .run = { .fold = true, .done = print_done }, .lock_timeout = -1 };
	int status = parse_options(argc, argv, &o);
	if (status >= 0)
		goto out;
	struct dbt_project p;
	struct dq_suite s = { 0 };
	if ((status = load_tests(&o, &p, &s)) != 0)
		goto out_project;
	if (o.list) {
		if (dq_write_list(stdout, &p, &s) != 0) {
			log_error("write error on standard output: %s", strerror(errno));
			status = EXIT_OPER;
		}
		goto out_project;
	}
	size_t nselected = 0;
	for (size_t i = 0; i < s.ntests; i++)
		nselected += s.tests[i].selected;
	double t0 = clock_seconds();
	struct dq_stats st = { 0 };
	bool ran = true;
	if (nselected)
		status = run_tests(&o, &p, &s, &st, &ran);
	else
		log_warn("no tests to run in %s%s", o.dir, o.nsel || o.nexc ? " with this selection" : "");
	if (ran)
		status = report(&o, &p, &s, &st, nselected, clock_seconds() - t0, status);
out_project:
	dq_suite_free(&s);
	dbt_project_free(&p);
out:
	free(o.sel);
	free(o.exc);
	return status;
}
