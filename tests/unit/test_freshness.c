/* SPDX-License-Identifier: MIT
 * Unit tests for lib/freshness: a table's freshness block merged key by
 * key over its source's (count and period each from the table when it
 * gives them), `freshness: null` turning the source's off, a rule without
 * loaded_at_field refused with file:line, and the verdict at and past
 * each threshold. */
#include <stdlib.h>
#include <string.h>

#include "freshness.h"
#include "unit.h"

static const char YML[] =
	"sources:\n"
	"  - name: raw\n"
	"    loaded_at_field: _loaded_at\n"
	"    freshness:\n"
	"      warn_after: {count: 12, period: hour}\n"
	"      error_after: {count: 2, period: day}\n"
	"      filter: \"x > 0\"\n"
	"    tables:\n"
	"      - name: a\n"
	"      - name: b\n"
	"        freshness:\n"
	"          warn_after: {count: 30}\n"
	"          filter: null\n"
	"      - name: c\n"
	"        freshness: null\n"
	"  - name: nofield\n"
	"    tables:\n"
	"      - name: d\n"
	"        freshness: {error_after: {count: 1, period: minute}}\n";

/* Source table i of the document, as the project reader makes it. */
static struct dbt_source table(struct ydoc *d, size_t src, size_t i)
{
	yaml_node_t *s = ydoc_item(d, ydoc_get(d, ydoc_root(d), "sources"), src);
	struct dbt_source t = { 0 };
	t.source_name = (char *)ydoc_str(ydoc_get(d, s, "name"));
	t.node = ydoc_item(d, ydoc_get(d, s, "tables"), i);
	t.table_name = (char *)ydoc_str(ydoc_get(d, t.node, "name"));
	t.loaded_at_field = src == 0 ? "_loaded_at" : NULL;
	t.doc = d;
	t.relation = "\"raw\".\"t\"";
	return t;
}

static void blocks_merge_as_dbt_merges_them(void)
{
	struct ydoc d;
	char err[256];
	CHECK(ydoc_load_string(&d, "sources.yml", YML, sizeof YML - 1, err, sizeof err) == 0);
	struct fresh_rule r;
	struct dbt_source a = table(&d, 0, 0);
	CHECK(fresh_rule_of(&a, &r, err, sizeof err) == 0);
	CHECK(r.set && r.warn_after == 12 * 3600 && r.error_after == 2 * 86400);
	CHECK(r.filter && strcmp(r.filter, "x > 0") == 0);
	/* b: count 30 from the table, period hour from the source; filter
	 * null on the table wins; error_after is the source's */
	struct dbt_source b = table(&d, 0, 1);
	CHECK(fresh_rule_of(&b, &r, err, sizeof err) == 0);
	CHECK(r.set && r.warn_after == 30 * 3600 && r.error_after == 2 * 86400);
	CHECK(r.filter == NULL);
	struct dbt_source c = table(&d, 0, 2);
	CHECK(fresh_rule_of(&c, &r, err, sizeof err) == 0);
	CHECK(!r.set);
	struct dbt_source dd = table(&d, 1, 0);
	CHECK(fresh_rule_of(&dd, &r, err, sizeof err) == -1);
	CHECK(strcmp(err, "sources.yml:19: loaded_at_field: freshness of nofield.d needs a loaded_at_field") == 0);
	ydoc_free(&d);
}

static void verdict_at_each_threshold(void)
{
	struct fresh_rule r = { .set = true, .warn_after = 3600, .error_after = 86400 };
	char *msg;
	CHECK(fresh_judge(&r, true, 3600, &msg) == FRESH_PASS); /* at the limit is still fresh */
	free(msg);
	CHECK(fresh_judge(&r, true, 3601, &msg) == FRESH_WARN);
	CHECK(strcmp(msg, "last loaded 60.0 minutes ago (warn after 60.0 minutes, error after 24.0 hours)") == 0);
	free(msg);
	CHECK(fresh_judge(&r, true, 3 * 86400, &msg) == FRESH_ERROR);
	CHECK(strcmp(msg, "last loaded 3.0 days ago (warn after 60.0 minutes, error after 24.0 hours)") == 0);
	free(msg);
	CHECK(fresh_judge(&r, false, 0, &msg) == FRESH_ERROR);
	CHECK(strcmp(msg, "no rows, so no last load time (warn after 60.0 minutes, error after 24.0 hours)") == 0);
	free(msg);
	struct fresh_rule w = { .set = true, .warn_after = 60 };
	CHECK(fresh_judge(&w, false, 0, &msg) == FRESH_WARN); /* empty, with no error_after: a warning */
	free(msg);
	char *sql = fresh_sql("\"_loaded_at\"", "\"raw\".\"t\"", "x > 0");
	CHECK(strstr(sql, "max(\"_loaded_at\")") && strstr(sql, " from \"raw\".\"t\" where x > 0"));
	free(sql);
}

int main(void)
{
	RUN(blocks_merge_as_dbt_merges_them);
	RUN(verdict_at_each_threshold);
	return UNIT_END();
}
