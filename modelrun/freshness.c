/* SPDX-License-Identifier: MIT
 * modelrun source freshness: dbt's `dbt source freshness`. Every source
 * table whose freshness rule (lib/freshness: the table's block merged
 * over its source's) sets warn_after or error_after is measured on one
 * connection, in the order of the tables' unique ids as dbt orders them,
 * by the same query dqcheck's freshness tests and the docs site use.
 *
 * One line per table on stderr (PASS, WARN, ERROR STALE, or ERROR when
 * it could not be measured); target/sources.json records the verdicts in
 * dbt's shape (schema v3), where, as in dbt, a table that could not be
 * measured has no entry. The exit status is dbt's: 1 when any table is
 * stale past error_after or could not be measured, warnings included
 * in 0. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "exitcode.h"
#include "freshness.h"
#include "json.h"
#include "log.h"
#include "modelrun.h"
#include "xalloc.h"

/* One measured table. */
struct fr_item {
	size_t source;
	char *unique_id;
	struct fresh_rule rule;
	struct fresh_result res;
	char *error;        /* a runtime error: the table has no verdict */
	char started[40], compiled[40], finished[40];
	double secs;
};

static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whether selector term t (source:S, source:S.T, globs allowed) names s. */
static bool term_matches(const struct dbt_source *s, const char *t)
{
	const char *v = t + strlen("source:");
	char full[512];
	snprintf(full, sizeof full, "%s.%s", s->source_name, s->table_name);
	return fnmatch(v, s->source_name, 0) == 0 || fnmatch(v, full, 0) == 0;
}

/* Whether any term of the arguments sel names s; every term must be a
 * source: criterion. Returns 1, 0, or -1 after saying what is wrong. */
static int picked(const struct dbt_source *s, const char *const *sel, size_t nsel)
{
	int hit = 0;
	for (size_t i = 0; i < nsel; i++) {
		char *copy = xstrdup(sel[i]), *save;
		for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
			if (strncmp(t, "source:", 7) != 0 || !t[7]) {
				log_error("source freshness selects source tables: '%s' is not source:NAME or "
					  "source:NAME.TABLE", t);
				free(copy);
				return -1;
			}
			hit |= term_matches(s, t);
		}
		free(copy);
	}
	return hit;
}

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct fr_item *)a)->unique_id, ((const struct fr_item *)b)->unique_id);
}

/* The tables to measure, sorted by unique id. Returns their count, or -1
 * after a usage error or a malformed rule. */
static long collect(const struct dbt_project *p, const struct mr_freshness_opts *o, struct fr_item **out)
{
	struct fr_item *v = NULL;
	size_t n = 0;
	for (size_t i = 0; i < p->nsources; i++) {
		const struct dbt_source *s = &p->sources[i];
		int in = o->nselect ? picked(s, o->select, o->nselect) : 1;
		int out_ = in > 0 && o->nexclude ? picked(s, o->exclude, o->nexclude) : 0;
		if (in < 0 || out_ < 0) {
			free(v);
			return -1;
		}
		struct fr_item it = { .source = i };
		char err[1024];
		if (fresh_rule_of(s, &it.rule, err, sizeof err) && !it.rule.no_field) {
			log_error("%s", err);
			for (size_t k = 0; k < n; k++)
				free(v[k].unique_id);
			free(v);
			return -1;
		}
		/* as dbt: a table without a rule is not a freshness node */
		if (!in || out_ || (!it.rule.set && !it.rule.no_field))
			continue;
		it.unique_id = xasprintf("source.%s.%s.%s", p->name, s->source_name, s->table_name);
		v = xrealloc(v, (n + 1) * sizeof *v);
		v[n++] = it;
	}
	if (n)
		qsort(v, n, sizeof *v, cmp_item);
	*out = v;
	return (long)n;
}

/* Measures one table, filling it in, and says how it went. */
static void measure_one(const struct dbt_project *p, PGconn *conn, struct fr_item *it, size_t k, size_t n)
{
	const struct dbt_source *s = &p->sources[it->source];
	double t0 = seconds_now();
	mr_iso_now(it->started, sizeof it->started);
	mr_iso_now(it->compiled, sizeof it->compiled);
	if (it->rule.no_field)
		it->error = xasprintf("Could not compute freshness for source %s: no 'loaded_at_field' provided and "
				      "postgres adapter does not support metadata-based freshness checks.",
				      s->table_name);
	else if (fresh_measure(conn, s, &it->rule, &it->res))
		it->error = xstrdup(it->res.error);
	mr_iso_now(it->finished, sizeof it->finished);
	it->secs = seconds_now() - t0;
	if (it->error) {
		log_error("[%zu/%zu] ERROR freshness of %s.%s: %s", k + 1, n, s->source_name, s->table_name, it->error);
		return;
	}
	static const char *const words[] = { "PASS", "WARN", "ERROR STALE" };
	char *line = xasprintf("[%zu/%zu] %s freshness of %s.%s (max_loaded_at %s): %s, %.2f s", k + 1, n,
			       words[it->res.status], s->source_name, s->table_name,
			       it->res.has_rows ? it->res.max_loaded_at : "none, no rows", it->res.message, it->secs);
	if (it->res.status == FRESH_PASS)
		log_info("%s", line);
	else if (it->res.status == FRESH_WARN)
		log_warn("%s", line);
	else /* a failure: shown under -q too */
		log_error("%s", line);
	free(line);
}

static void result_json(struct buf *b, const struct fr_item *it)
{
	static const char *const st[] = { "pass", "warn", "error" };
	buf_adds(b, "{\"unique_id\": ");
	json_string(b, it->unique_id);
	buf_adds(b, ", \"max_loaded_at\": ");
	json_string(b, it->res.max_loaded_at);
	buf_adds(b, ", \"snapshotted_at\": ");
	json_string(b, it->res.snapshotted_at);
	buf_printf(b, ", \"max_loaded_at_time_ago_in_s\": %.6f, \"status\": \"%s\", \"criteria\": ", it->res.age,
		   st[it->res.status]);
	mr_freshness_json(b, &it->rule);
	buf_adds(b, ", \"adapter_response\": {\"_message\": \"SELECT 1\", \"code\": \"SELECT\", \"rows_affected\": 1}, "
		    "\"timing\": [{\"name\": \"compile\", \"started_at\": ");
	json_string(b, it->started);
	buf_adds(b, ", \"completed_at\": ");
	json_string(b, it->compiled);
	buf_adds(b, "}, {\"name\": \"execute\", \"started_at\": ");
	json_string(b, it->compiled);
	buf_adds(b, ", \"completed_at\": ");
	json_string(b, it->finished);
	buf_printf(b, "}], \"thread_id\": \"Thread-1 (worker)\", \"execution_time\": %.6f}", it->secs);
}

/* target/sources.json (or o->output): the tables that have a verdict. */
static int write_sources_json(const struct dbt_project *p, const struct mr_freshness_opts *o,
			      const struct fr_item *v, size_t n, const char *started, double elapsed)
{
	struct buf b = { 0 };
	char now[40];
	mr_iso_now(now, sizeof now);
	buf_printf(&b, "{\n  \"metadata\": {\"dbt_schema_version\": \"https://schemas.getdbt.com/dbt/sources/v3.json\", "
		       "\"dbt_version\": \"modelrun-%s\", \"generated_at\": \"%s\", \"invocation_id\": null, "
		       "\"invocation_started_at\": \"%s\", \"env\": {}},\n  \"results\": [",
		   ELT_VERSION, now, started);
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (v[i].error)
			continue;
		buf_adds(&b, first ? "\n    " : ",\n    ");
		first = false;
		result_json(&b, &v[i]);
	}
	buf_printf(&b, "\n  ],\n  \"elapsed_time\": %.6f\n}\n", elapsed);
	char *path = o->output ? xstrdup(o->output) : xasprintf("%s/target/sources.json", p->dir);
	int rc = mr_write_text(path, b.data, b.len);
	free(path);
	buf_free(&b);
	return rc;
}

int mr_source_freshness(const struct dbt_project *p, const struct mr_freshness_opts *o)
{
	char started[40];
	mr_iso_now(started, sizeof started);
	double t0 = seconds_now();
	struct fr_item *v = NULL;
	long n = collect(p, o, &v);
	if (n < 0)
		return EXIT_USAGE;
	if (n == 0)
		log_warn("no source table %s a freshness rule", o->nselect || o->nexclude ? "selected has" : "has");
	PGconn *conn = n ? dbt_profile_connect(p->profile, o->dbname) : NULL;
	if (n && !conn) {
		for (long i = 0; i < n; i++)
			free(v[i].unique_id);
		free(v);
		return EXIT_OPER;
	}
	size_t counts[4] = { 0 }; /* pass, warn, error stale, runtime error */
	for (long i = 0; i < n; i++) {
		measure_one(p, conn, &v[i], (size_t)i, (size_t)n);
		counts[v[i].error ? 3 : v[i].res.status]++;
		if (PQstatus(conn) == CONNECTION_BAD)
			break;
	}
	int status = counts[2] || counts[3] ? EXIT_DATA : EXIT_OK;
	if (conn && PQstatus(conn) == CONNECTION_BAD) {
		log_error("the connection to the database was lost");
		status = EXIT_OPER;
	}
	if (write_sources_json(p, o, v, (size_t)n, started, seconds_now() - t0))
		status = EXIT_OPER;
	log_info("done in %.2f s: %zu pass, %zu warn, %zu error stale, %zu error", seconds_now() - t0, counts[0],
		 counts[1], counts[2], counts[3]);
	for (long i = 0; i < n; i++) {
		free(v[i].unique_id);
		free(v[i].error);
		fresh_result_free(&v[i].res);
	}
	free(v);
	if (conn)
		PQfinish(conn);
	return status;
}
