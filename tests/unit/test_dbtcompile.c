/* SPDX-License-Identifier: MIT
 * Unit tests for dbt_compile (lib/dbtcompile.c), the one path modelrun and
 * dqcheck compile through, over tests/data/dbt/ephq: an ephemeral model
 * that runs a query while it renders, inlined into a model with a
 * recursive CTE of its own. The query function is a stand-in that counts
 * its calls, so no server is needed. Run from the repository root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbtproject.h"
#include "log.h"
#include "unit.h"

static char err[1024];

/* Answers every query with one row of one number, 3. */
struct fake_db {
	int calls;
	char last[128];
};

static int fake_query(void *ud, const char *sql, size_t nparams, const char *const *params, struct dbt_rows *rows,
		      char *msg, size_t msglen)
{
	(void)nparams, (void)params;
	static const char *const names[] = { "n" };
	static const enum dbt_col_kind kinds[] = { DBT_COL_NUMBER };
	static const char *const values[] = { "3" };
	struct fake_db *db = ud;
	(void)msg;
	(void)msglen;
	db->calls++;
	snprintf(db->last, sizeof db->last, "%s", sql);
	*rows = (struct dbt_rows){ 1, 1, names, kinds, values };
	return 0;
}

/* Loads the fixture into p: the node "numbers", or -1 after a failed
 * check (p then freed). */
static long load_numbers(struct dbt_project *p)
{
	struct dbt_options o = { .dir = "tests/data/dbt/ephq" };
	CHECK(dbt_project_load(p, &o, err, sizeof err) == 0);
	long numbers = unit_case_failed ? -1 : dbt_find(p, "numbers");
	CHECK(numbers >= 0);
	if (numbers < 0)
		dbt_project_free(p);
	return numbers;
}

static void ephemeral_queries_reach_the_query_function(void)
{
	struct dbt_project p;
	long numbers = load_numbers(&p);
	if (numbers < 0)
		return;
	struct fake_db db = { 0 };
	struct dbt_render_opts ro = { .query = fake_query, .query_ud = &db };
	char *sql = NULL;
	CHECK(dbt_compile(&p, (size_t)numbers, &ro, &sql, err, sizeof err) == 0);
	CHECK(db.calls == 1 && strcmp(db.last, "select 3 as n") == 0);
	/* the ephemeral joins the model's own CTEs, after "with recursive",
	 * its answer rendered in and both trailing semicolons gone */
	const char *want = "-- counts up to the limit the ephemeral read from the database\n"
			   "with recursive __dbt__cte__limits as (\n\nselect 3 as top_n\n),\n"
			   "k(i) as (\n    select 1 union all select i + 1 from k, __dbt__cte__limits l "
			   "where i < l.top_n\n)\n"
			   "select i from k";
	CHECK(sql != NULL);
	if (sql)
		CHECK_STR(sql, strlen(sql), want);
	free(sql);
	dbt_project_free(&p);
}

static void without_a_query_function_a_query_is_an_error(void)
{
	struct dbt_project p;
	long numbers = load_numbers(&p);
	if (numbers < 0)
		return;
	char *sql = NULL;
	CHECK(dbt_compile(&p, (size_t)numbers, NULL, &sql, err, sizeof err) != 0);
	CHECK(strstr(err, "run_query() runs a query while compiling, which needs a connection") != NULL);
	free(sql);
	dbt_project_free(&p);
}

int main(void)
{
	log_level = LOG_QUIET;
	RUN(ephemeral_queries_reach_the_query_function);
	RUN(without_a_query_function_a_query_is_an_error);
	return UNIT_END();
}
