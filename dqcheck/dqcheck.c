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
 * schema file costs no database round trip. Results go to stderr (stdout
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
	      "               [--vars YAML] [-d CONNINFO] [-q | -v]\n",
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
	      "  -d, --dbname CONNINFO  connection string or URI (default: libpq's PG* environment)\n"
	      "  -q, --quiet            print failures and errors only\n"
	      "  -v, --verbose          print the SQL and the number of queries issued\n"
	      "  -h, --help             this help\n"
	      "  -V, --version          version\n\n"
	      "Exit status: 0 all passed (warnings allowed), 1 a test failed, 2 usage error,\n"
	      "3 could not run (unreadable project file, database unreachable, a test's SQL failed).\n",
	      stdout);
}

/* Server notices (drop table if exists ... skipping) are noise here. */
static void print_done(const struct dq_test *t)
{
	dq_report_line(t);
}

int main(int argc, char **argv)
{
	log_init("dqcheck");
	const char *dbname = NULL, *dir = NULL, *schema = NULL, *junit = NULL, *json = NULL, *vars = NULL;
	const char **sel = NULL, **exc = NULL;
	size_t nsel = 0, nexc = 0;
	struct dq_run_opts ro = { .fold = true, .done = print_done };
	enum { OPT_PROJECT = 256, OPT_SCHEMA, OPT_EXCLUDE, OPT_STORE, OPT_NOFOLD, OPT_JUNIT, OPT_JSON, OPT_VARS };
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
		{ "dbname", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c, status = EXIT_OK;
	while ((c = getopt_long(argc, argv, ":s:d:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PROJECT: dir = optarg; break;
		case OPT_SCHEMA: schema = optarg; break;
		case 's': DQ_PUSH(sel, nsel, optarg); break;
		case OPT_EXCLUDE: DQ_PUSH(exc, nexc, optarg); break;
		case OPT_STORE: ro.store_failures = true; break;
		case OPT_NOFOLD: ro.fold = false; break;
		case OPT_JUNIT: junit = optarg; break;
		case OPT_JSON: json = optarg; break;
		case OPT_VARS: vars = optarg; break;
		case 'd': dbname = pgconn_take_dbname(optarg); break;
		case 'q': log_level = LOG_QUIET; break;
		case 'v': log_level = LOG_VERBOSE; break;
		case 'h': help(); status = EXIT_OK; goto out_args;
		case 'V': puts("dqcheck " ELT_VERSION); status = EXIT_OK; goto out_args;
		default:
			args_bad_option(c, argv);
			usage(stderr);
			status = EXIT_USAGE;
			goto out_args;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument \"%s\"", argv[optind]);
		usage(stderr);
		status = EXIT_USAGE;
		goto out_args;
	}
	if (schema && !schema[0]) {
		log_error("--schema: a schema name is required");
		status = EXIT_USAGE;
		goto out_args;
	}
	if (!dir)
		dir = access("dbt_project.yml", F_OK) == 0 ? "." : "sql";

	char err[2048];
	struct dbt_project p;
	struct dbt_options po = { .dir = dir, .target_schema = schema, .vars = vars };
	struct dq_suite s = { 0 };
	PGconn *conn = NULL;
	if (dbt_project_load(&p, &po, err, sizeof err)) {
		log_error("%s", err);
		status = EXIT_OPER;
		goto out_project;
	}
	if (dq_collect(&p, &s, err, sizeof err)) {
		log_error("%s", err);
		status = EXIT_OPER;
		goto out_project;
	}
	if (dq_select(&p, &s, sel, nsel, exc, nexc, err, sizeof err)) {
		log_error("%s", err);
		status = EXIT_USAGE;
		goto out_project;
	}
	size_t nselected = 0;
	for (size_t i = 0; i < s.ntests; i++)
		nselected += s.tests[i].selected;

	double t0 = clock_seconds();
	struct dq_stats st = { 0 };
	if (!nselected) {
		log_warn("no tests to run in %s%s", dir, nsel || nexc ? " with this selection" : "");
	} else {
		if (!(conn = pgconn_open(dbname))) {
			status = EXIT_OPER;
			goto out_project;
		}
		/* samples are written into UTF-8 files (JUnit, JSON) */
		pgconn_log_notices(conn, LOG_VERBOSE);
		if (PQsetClientEncoding(conn, "UTF8") != 0) {
			log_error("cannot set up the session: %s", PQerrorMessage(conn));
			status = EXIT_OPER;
			goto out_project;
		}
		if (dq_run(conn, &s, &ro, &st)) {
			const char *m = PQerrorMessage(conn);
			log_error("lost the connection to the database: %.*s", (int)strcspn(m, "\n"), m);
			status = EXIT_OPER;
			for (size_t i = 0; i < s.ntests; i++)
				if (s.tests[i].selected && !s.tests[i].fold_size && s.tests[i].status != DQ_ERROR) {
					s.tests[i].status = DQ_ERROR;
					s.tests[i].message = xstrdup("not run: the connection was lost");
					dq_report_line(&s.tests[i]);
				}
		}
	}
	double secs = clock_seconds() - t0;

	size_t counts[4] = { 0 };
	for (size_t i = 0; i < s.ntests; i++)
		if (s.tests[i].selected)
			counts[s.tests[i].status]++;
	if (counts[DQ_FAIL] && status == EXIT_OK)
		status = EXIT_DATA;
	if (counts[DQ_ERROR])
		status = EXIT_OPER;
	if (nselected)
		log_info("%zu test%s: %zu passed, %zu warned, %zu failed, %zu errors in %.2f s", nselected,
			 nselected == 1 ? "" : "s", counts[DQ_PASS], counts[DQ_WARN], counts[DQ_FAIL], counts[DQ_ERROR],
			 secs);
	log_debug("%zu queries for %zu tests (%zu tests folded into %zu queries)", st.queries, nselected,
		  st.folded_tests, st.fold_queries);
	if (junit && dq_write_junit(junit, &s, p.name, secs))
		status = EXIT_OPER;
	if (json && dq_write_json(json, &s, p.name, secs, &st))
		status = EXIT_OPER;
out_project:
	PQfinish(conn);
	dq_suite_free(&s);
	dbt_project_free(&p);
out_args:
	free(sel);
	free(exc);
	return status;
}
