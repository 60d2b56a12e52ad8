/* SPDX-License-Identifier: MIT
 * Unit tests for the dbt project reader and the selection syntax
 * (lib/dbtproject.c, lib/select.c) over the fixture projects in
 * tests/data/dbt: config precedence, relation names, dependencies found in
 * every branch, schema-file tests for dqcheck, selectors and their errors.
 * Run from the repository root (tests/run.sh does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbtproject.h"
#include "log.h"
#include "select.h"
#include "unit.h"

static char err[1024];

static const struct dbt_node *node(const struct dbt_project *p, const char *name)
{
	long i = dbt_find(p, name);
	return i < 0 ? NULL : &p->nodes[i];
}

static bool has_parent(const struct dbt_project *p, const char *child, const char *parent)
{
	const struct dbt_node *c = node(p, child);
	long pi = dbt_find(p, parent);
	for (size_t k = 0; c && k < c->nparents; k++)
		if ((long)c->parents[k] == pi)
			return true;
	return false;
}

static void shop_configs_relations_and_order(void)
{
	struct dbt_project p;
	struct dbt_options o = { .dir = "tests/data/dbt/shop", .target_schema = "wh" };
	CHECK(dbt_project_load(&p, &o, err, sizeof err) == 0);
	CHECK(p.nnodes == 6 && p.nsources == 1);
	const struct dbt_node *stg = node(&p, "stg_orders"), *tot = node(&p, "customer_totals");
	const struct dbt_node *rep = node(&p, "customer_report"), *inc = node(&p, "orders_inc");
	CHECK(stg && stg->cfg.materialized == MAT_VIEW && stg->cfg.ntags == 1);
	CHECK(tot && tot->cfg.materialized == MAT_TABLE);
	/* folder default table, overridden by config() in the file */
	CHECK(rep && rep->cfg.materialized == MAT_VIEW && rep->cfg.ntags == 1);
	CHECK(inc && inc->cfg.materialized == MAT_INCREMENTAL && inc->cfg.nunique == 1);
	CHECK(node(&p, "customers")->cfg.materialized == MAT_EPHEMERAL);
	if (tot)
		CHECK(strcmp(tot->relation, "\"wh\".\"customer_totals\"") == 0);
	CHECK(strcmp(p.sources[0].relation, "\"app\".\"orders\"") == 0);
	CHECK(has_parent(&p, "customer_totals", "customers") && has_parent(&p, "customer_totals", "stg_orders"));
	CHECK(inc && inc->nsources == 1 && inc->nparents == 0);
	/* order: parents first */
	size_t pos[6];
	for (size_t k = 0; k < p.nnodes; k++)
		pos[p.order[k]] = k;
	for (size_t i = 0; i < p.nnodes; i++)
		for (size_t k = 0; k < p.nodes[i].nparents; k++)
			CHECK(pos[p.nodes[i].parents[k]] < pos[i]);
	dbt_project_free(&p);
}

static void untaken_branches_and_depends_on_are_edges(void)
{
	struct dbt_project p;
	struct dbt_options o = { .dir = "tests/data/dbt/jinja" };
	CHECK(dbt_project_load(&p, &o, err, sizeof err) == 0);
	CHECK(has_parent(&p, "branchy", "other"));
	CHECK(has_parent(&p, "constructs", "base"));
	CHECK(strcmp(p.target_schema, "analytics") == 0);
	char *sql = NULL;
	struct dbt_render_opts ro = { 0 };
	CHECK(dbt_render(&p, (size_t)dbt_find(&p, "branchy"), &ro, &sql, err, sizeof err) == 0);
	CHECK(sql && strstr(sql, "select 0 as x") && !strstr(sql, "other"));
	free(sql);
	dbt_project_free(&p);
}

static void schema_file_tests_are_collected(void)
{
	struct dbt_project p;
	struct dbt_options o = { .dir = "sql" };
	CHECK(dbt_project_load(&p, &o, err, sizeof err) == 0);
	size_t unique = 0, rel = 0, on_source = 0;
	for (size_t i = 0; i < p.ntests; i++) {
		const struct dbt_test *t = &p.tests[i];
		unique += strcmp(t->name, "unique") == 0;
		rel += strcmp(t->name, "relationships") == 0;
		on_source += t->on == DBT_TEST_ON_SOURCE;
	}
	/* unique: fct's sale_date, stg_sales' sale_id, stg_loads' load_id and
	 * raw._loads' load_id; on sources: not_null on raw.sales' sale_id,
	 * not_null and unique on raw._loads' load_id */
	CHECK(unique == 4 && rel == 2 && on_source == 3);
	CHECK(p.sources[0].loaded_at_field && strcmp(p.sources[0].loaded_at_field, "_loaded_at") == 0);
	const struct dbt_node *fx = node(&p, "fx");
	CHECK(fx && fx->kind == DBT_SEED && fx->cfg.ncolumn_types == 2);
	const struct dbt_node *stg = node(&p, "stg_sales");
	CHECK(stg && stg->cfg.nindexes == 3 && stg->cfg.indexes[0].unique);
	/* Citus: from config() and from dbt_project.yml's seed defaults */
	CHECK(stg && stg->cfg.distributed_by && strcmp(stg->cfg.distributed_by, "sale_id") == 0 &&
	      stg->cfg.colocate_with && strcmp(stg->cfg.colocate_with, "raw.sales") == 0 && !stg->cfg.replicated);
	const struct dbt_node *fct = node(&p, "fct_daily_sales_metrics");
	CHECK(fct && fct->cfg.distributed_by && strcmp(fct->cfg.distributed_by, "sale_date") == 0 &&
	      !fct->cfg.colocate_with);
	CHECK(fx && fx->cfg.replicated && !fx->cfg.distributed_by);
	CHECK(node(&p, "stg_loads") && !node(&p, "stg_loads")->cfg.distributed_by &&
	      !node(&p, "stg_loads")->cfg.replicated);
	/* singular tests render with the project's refs */
	CHECK(p.nsingular == 2);
	const char *text = "select * from {{ ref('fct_daily_sales_metrics') }} where {{ var('x', 1) }} = 1";
	char *sql = NULL;
	CHECK(dbt_render_text(&p, "t.sql", text, strlen(text), &sql, err, sizeof err) == 0);
	if (sql)
		CHECK_STR(sql, strlen(sql), "select * from \"unitdb\".\"analytics\".\"fct_daily_sales_metrics\" where 1 = 1");
	free(sql);
	CHECK(dbt_render_text(&p, "t.sql", "{{ this }}", 10, &sql, err, sizeof err) != 0);
	CHECK_STR(err, strlen(err), "t.sql:1: undefined name 'this'");
	dbt_project_free(&p);
}

static void errors_name_file_and_line(void)
{
	struct dbt_project p;
	struct dbt_options o = { .dir = "tests/data/dbt/bad/cycle" };
	CHECK(dbt_project_load(&p, &o, err, sizeof err) != 0);
	CHECK_STR(err, strlen(err), "dependency cycle: a -> b -> c -> a");
	dbt_project_free(&p);
	o.dir = "tests/data/dbt/bad/unknown_ref";
	CHECK(dbt_project_load(&p, &o, err, sizeof err) != 0);
	CHECK_STR(err, strlen(err),
		  "tests/data/dbt/bad/unknown_ref/models/m.sql:4: ref('missing'): no model or seed is called 'missing'");
	dbt_project_free(&p);
	o.dir = "tests/data/dbt/no_such_project";
	CHECK(dbt_project_load(&p, &o, err, sizeof err) != 0);
	CHECK_STR(err, strlen(err), "tests/data/dbt/no_such_project/dbt_project.yml: No such file or directory");
	dbt_project_free(&p);
	o.dir = "tests/data/dbt/shop";
	o.vars = "[not, a, mapping]";
	CHECK(dbt_project_load(&p, &o, err, sizeof err) != 0);
	CHECK_STR(err, strlen(err), "--vars: expected a mapping such as 'key: value'");
	dbt_project_free(&p);
}

/* The names selected, in node order, space-separated. */
static const char *picked(const struct dbt_project *p, const char *sel, const char *exc)
{
	static char out[512];
	bool chosen[64];
	const char *s[] = { sel }, *x[] = { exc };
	out[0] = '\0';
	if (dbt_select(p, s, sel ? 1 : 0, x, exc ? 1 : 0, chosen, err, sizeof err) != 0)
		return "error";
	for (size_t k = 0; k < p->nnodes; k++)
		if (chosen[p->order[k]]) {
			strcat(out, out[0] ? " " : "");
			strcat(out, p->nodes[p->order[k]].name);
		}
	return out;
}

#define PICKED(sel, exc, want)                                    \
	do {                                                      \
		const char *got_ = picked(&p, (sel), (exc));      \
		CHECK_STR(got_, strlen(got_), want);              \
	} while (0)

static void selectors(void)
{
	struct dbt_project p;
	struct dbt_options o = { .dir = "tests/data/dbt/shop" };
	CHECK(dbt_project_load(&p, &o, err, sizeof err) == 0);
	PICKED("customer_totals", NULL, "customer_totals");
	PICKED("+customer_report", NULL, "stg_orders customers customer_totals customer_report");
	PICKED("1+customer_totals", NULL, "stg_orders customers customer_totals");
	PICKED("stg_orders+1", NULL, "stg_orders customers customer_totals");
	PICKED("@customers", NULL, "stg_orders customers customer_totals customer_report");
	PICKED("tag:other tag:inc", NULL, "orders_inc independent");
	PICKED("source:app.orders", NULL, "stg_orders orders_inc");
	PICKED("config.materialized:view", NULL, "stg_orders customer_report independent");
	PICKED("marts.customer_totals", NULL, "customer_totals");
	PICKED("path:staging", NULL, "stg_orders customers");
	PICKED(NULL, "path:models/marts", "stg_orders customers independent");
	PICKED("path:models,resource_type:model", "tag:staging", "customer_totals customer_report orders_inc independent");
	PICKED("+", NULL, "error");
	CHECK_STR(err, strlen(err), "malformed selector '+'");
	dbt_project_free(&p);
}

/* Hooks add up in dbt's order: dbt_project.yml, schema file, config();
 * on-run-start takes a list, on-run-end one string. */
static void hooks_add_up_across_levels(void)
{
	struct dbt_project p;
	char err[1024];
	struct dbt_options o = { .dir = "tests/data/dbt/hooks" };
	CHECK(dbt_project_load(&p, &o, err, sizeof err) == 0);
	CHECK(p.non_run_start == 2 && p.non_run_end == 1);
	const struct dbt_node *t = node(&p, "totals");
	CHECK(t && t->cfg.npre_hooks == 2 && t->cfg.npost_hooks == 5);
	if (t && t->cfg.npost_hooks == 5) {
		CHECK(strstr(t->cfg.pre_hooks[0].sql, "project pre") && strstr(t->cfg.pre_hooks[1].sql, "model pre"));
		CHECK(strstr(t->cfg.post_hooks[0].sql, "project post") && t->cfg.post_hooks[0].transaction);
		CHECK(strstr(t->cfg.post_hooks[1].sql, "outside") && !t->cfg.post_hooks[1].transaction);
		CHECK(strstr(t->cfg.post_hooks[3].sql, "update {{ this }}"));
		char *sql = NULL;
		CHECK(dbt_render_hook(&p, (size_t)dbt_find(&p, "totals"), t->cfg.post_hooks[3].sql, false, &sql, err,
				      sizeof err) == 0);
		if (sql)
			CHECK_STR(sql, strlen(sql), "update \"unitdb\".\"analytics\".\"totals\" set n = n * 10");
		free(sql);
	}
	const struct dbt_node *inc = node(&p, "inc");
	CHECK(inc && inc->cfg.npre_hooks == 1 && inc->cfg.npost_hooks == 2);
	dbt_project_free(&p);
}

static bool has_grant(const struct dbt_config *c, const char *priv, const char *roles)
{
	for (size_t i = 0; i < c->ngrants; i++) {
		if (strcmp(c->grants[i].privilege, priv) != 0)
			continue;
		char buf[256] = "";
		for (size_t k = 0; k < c->grants[i].ngrantees; k++)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", k ? "," : "", c->grants[i].grantees[k]);
		return strcmp(buf, roles) == 0;
	}
	return false;
}

static const char *meta(const struct dbt_config *c, const char *key)
{
	for (size_t i = 0; i < c->nmeta; i++)
		if (strcmp(c->meta[2 * i], key) == 0)
			return c->meta[2 * i + 1];
	return "";
}

/* grants add up with '+select' and are replaced without it; meta merges
 * key by key; docs, contract, columns and constraints are kept; a foreign
 * key's to: is an edge of the graph */
static void contract_configs_merge_as_dbt_merges_them(void)
{
	struct dbt_project p;
	struct dbt_options o = { .dir = "tests/data/dbt/contracts" };
	CHECK(dbt_project_load(&p, &o, err, sizeof err) == 0);
	const struct dbt_node *parent = node(&p, "parent"), *child = node(&p, "child"), *inc = node(&p, "inc");
	if (!parent || !child || !inc) {
		CHECK(!"fixture nodes");
		dbt_project_free(&p);
		return;
	}
	CHECK(has_grant(&parent->cfg, "select", "mr_contract_reader,mr_contract_writer"));
	CHECK(has_grant(&parent->cfg, "insert", "mr_contract_writer"));
	CHECK(has_grant(&inc->cfg, "select", "mr_contract_writer"));
	CHECK(has_grant(&child->cfg, "select", "mr_contract_reader"));
	CHECK(parent->cfg.contract_enforced && child->cfg.persist_relation && child->cfg.persist_columns);
	CHECK(parent->cfg.full_refresh == -1 && parent->cfg.docs_show && !child->cfg.docs_show);
	CHECK(strcmp(meta(&child->cfg, "owner"), "\"data-team\"") == 0 && strcmp(meta(&child->cfg, "tier"), "2") == 0);
	CHECK(strcmp(meta(&parent->cfg, "tier"), "") == 0);
	CHECK(child->ncolumns == 4 && child->nconstraints == 2 && child->columns[0].nconstraints == 2);
	CHECK(strcmp(child->columns[2].data_type, "varchar(3)") == 0);
	CHECK(strcmp(child->columns[3].description, "what it cost") == 0);
	CHECK(child->columns[1].constraints[0].type == CON_FOREIGN_KEY &&
	      child->columns[1].constraints[0].to_node == dbt_find(&p, "parent"));
	CHECK(has_parent(&p, "child", "parent"));
	CHECK(parent->description && strstr(parent->description, "it's described"));
	dbt_project_free(&p);
}

/* Snapshots: SQL blocks (several per file, lines kept), YAML snapshots,
 * the snapshots: tree of dbt_project.yml, target_schema as the schema
 * itself, fqn with the file's name, and refs between them and models. */
static void snapshots_are_nodes(void)
{
	struct dbt_project p;
	struct dbt_options o = { .dir = "tests/data/dbt/snap", .target_schema = "wh" };
	CHECK(dbt_project_load(&p, &o, err, sizeof err) == 0);
	const struct dbt_node *ts = node(&p, "ts_ignore"), *ck = node(&p, "ck_all"), *rn = node(&p, "ck_renamed");
	const struct dbt_node *nr = node(&p, "ck_new_record"), *ex = node(&p, "ts_expr_key");
	CHECK(ts && ck && rn && nr && ex);
	if (!(ts && ck && rn && nr && ex)) {
		dbt_project_free(&p);
		return;
	}
	CHECK(ts->kind == DBT_SNAPSHOT && ts->cfg.materialized == MAT_SNAPSHOT);
	CHECK(strcmp(ts->unique_id, "snapshot.snap.ts_ignore") == 0);
	CHECK(ts->nfqn == 3 && strcmp(ts->fqn[1], "timestamps") == 0 && ts->line == 1);
	CHECK(rn->nfqn == 4 && strcmp(rn->fqn[1], "more") == 0 && strcmp(rn->fqn[2], "renamed") == 0);
	CHECK(ex->line == 10 && rn->cfg.ntags == 1 && ex->cfg.ntags == 1);
	/* target_schema is the schema; schema: follows <target>_<custom> */
	CHECK(strcmp(ts->relation, "\"snaps\".\"ts_ignore\"") == 0);
	CHECK(strcmp(ck->relation, "\"wh_snaps\".\"ck_all\"") == 0);
	CHECK(strcmp(ts->cfg.snap.strategy, "timestamp") == 0 && strcmp(ts->cfg.snap.updated_at, "updated_at") == 0);
	CHECK(ts->cfg.snap.invalidate_hard_deletes == -1 && !ts->cfg.snap.hard_deletes);
	CHECK(node(&p, "ts_invalidate")->cfg.snap.invalidate_hard_deletes == 1);
	CHECK(ck->cfg.snap.check_all && ck->cfg.nunique == 1 && !ck->cfg.snap.unique_key_list);
	CHECK(nr->cfg.snap.unique_key_list && nr->cfg.snap.ncheck_cols == 1 && !nr->cfg.snap.check_all);
	CHECK(strcmp(nr->cfg.snap.hard_deletes, "new_record") == 0);
	CHECK(rn->cfg.nunique == 2 && strcmp(rn->cfg.snap.meta[SNAP_VALID_TO], "valid_to") == 0 &&
	      strcmp(rn->cfg.snap.meta[SNAP_IS_DELETED], "is_deleted") == 0 &&
	      strcmp(rn->cfg.snap.valid_to_current, "'9999-12-31'::timestamp") == 0);
	/* a model reads a snapshot, a YAML snapshot reads the model */
	CHECK(has_parent(&p, "current_customers", "ts_ignore") && has_parent(&p, "ck_all", "current_customers"));
	CHECK(nr->nsources == 1);
	/* the YAML snapshot's query names the yml's line in messages */
	char *sql = NULL;
	struct dbt_render_opts ro = { 0 };
	CHECK(dbt_render(&p, (size_t)dbt_find(&p, "ck_new_record"), &ro, &sql, err, sizeof err) == 0);
	CHECK(sql && strstr(sql, "select * from \"unitdb\".\"raw\".\"customers\""));
	free(sql);
	CHECK(dbt_render(&p, (size_t)dbt_find(&p, "ts_expr_key"), &ro, &sql, err, sizeof err) == 0);
	CHECK(sql && strstr(sql, "select * from \"unitdb\".\"raw\".\"customers\"") && !strstr(sql, "ck_renamed") &&
	      !strstr(sql, "snapshot"));
	free(sql);
	CHECK_STR(picked(&p, "resource_type:snapshot", "more"), strlen(picked(&p, "resource_type:snapshot", "more")),
		  "ts_ignore ts_invalidate ck_new_record ck_all");
	dbt_project_free(&p);

	o.dir = "tests/data/dbt/bad/snapshot_no_strategy";
	CHECK(dbt_project_load(&p, &o, err, sizeof err) != 0);
	CHECK_STR(err, strlen(err), "snapshots/s.sql:3: snapshot s: snapshots must be configured with a 'strategy' "
		  "and 'unique_key'");
	dbt_project_free(&p);
	o.dir = "tests/data/dbt/bad/snapshot_unclosed";
	CHECK(dbt_project_load(&p, &o, err, sizeof err) != 0);
	CHECK_STR(err, strlen(err), "snapshots/s.sql:6: snapshot never_closed has no {% endsnapshot %}");
	dbt_project_free(&p);
}

/* The macro registry without a project: a bare name, pkg.name and
 * adapter.dispatch's order, the root's dispatch: config first. */
static void macro_lookup_and_dispatch_order(void)
{
	struct dbt_macros ms;
	dbt_macros_init(&ms, "root");
	size_t utils = dbt_macros_add_package(&ms, "utils"), other = dbt_macros_add_package(&ms, "other");
	const char *root_src = "{% macro date_trunc(a, b) %}{% endmacro %}{% macro default__thing() %}{% endmacro %}";
	const char *utils_src = "{% macro postgres__thing() %}{% endmacro %}{% macro default__only() %}{% endmacro %}"
				"{% test positive(model) %}{% endtest %}";
	const char *other_src = "{% macro default__only() %}{% endmacro %}";
	CHECK(dbt_macros_load_text(&ms, DBT_PKG_ROOT, "r.sql", root_src, strlen(root_src), err, sizeof err) == 0);
	CHECK(dbt_macros_load_text(&ms, utils, "u.sql", utils_src, strlen(utils_src), err, sizeof err) == 0);
	CHECK(dbt_macros_load_text(&ms, other, "o.sql", other_src, strlen(other_src), err, sizeof err) == 0);
	/* bare: the root's hides the built-in; a package's is not found from
	 * the root, but is from its own nodes */
	const struct dbt_macro *m = dbt_macros_resolve(&ms, DBT_PKG_ROOT, "date_trunc");
	CHECK(m && m->pkg == DBT_PKG_ROOT);
	m = dbt_macros_get(&ms, DBT_PKG_BUILTIN, "date_trunc");
	CHECK(m && m->pkg == DBT_PKG_BUILTIN);
	CHECK(dbt_macros_resolve(&ms, DBT_PKG_ROOT, "postgres__thing") == NULL);
	CHECK(dbt_macros_resolve(&ms, utils, "postgres__thing") != NULL);
	CHECK(dbt_macros_get(&ms, utils, "test_positive") != NULL);
	/* dispatch without a config: root, then the namespace; the root's
	 * default__ before the package's postgres__ */
	m = dbt_macros_dispatch(&ms, "thing", "utils", err, sizeof err);
	CHECK(m && m->pkg == DBT_PKG_ROOT);
	m = dbt_macros_dispatch(&ms, "only", "utils", err, sizeof err);
	CHECK(m && m->pkg == utils);
	/* with dispatch: [{macro_namespace: utils, search_order: [other, utils]}] */
	const char *cfg = "dispatch:\n  - macro_namespace: utils\n    search_order: [other, utils]\n";
	struct ydoc d;
	CHECK(ydoc_load_string(&d, "dbt_project.yml", cfg, strlen(cfg), err, sizeof err) == 0);
	CHECK(dbt_macros_read_dispatch(&ms, &d, ydoc_get(&d, ydoc_root(&d), "dispatch"), err, sizeof err) == 0);
	m = dbt_macros_dispatch(&ms, "only", "utils", err, sizeof err);
	CHECK(m && m->pkg == other);
	m = dbt_macros_dispatch(&ms, "thing", "utils", err, sizeof err);
	CHECK(m && m->pkg == utils);
	CHECK(dbt_macros_dispatch(&ms, "nothing", "utils", err, sizeof err) == NULL);
	CHECK(strcmp(err, "In dispatch: No macro named 'nothing' found within namespace: 'utils'; searched for: "
			  "'other.postgres__nothing', 'other.default__nothing', 'utils.postgres__nothing', "
			  "'utils.default__nothing'") == 0);
	/* a second definition in one package names both places */
	CHECK(dbt_macros_load_text(&ms, other, "p.sql", other_src, strlen(other_src), err, sizeof err) != 0);
	CHECK(strstr(err, "p.sql:1: macro 'default__only' is defined twice in package 'other'") == err);
	ydoc_free(&d);
	dbt_macros_free(&ms);
}

static const struct dbt_unit_test *unit_test(const struct dbt_project *p, const char *name)
{
	for (size_t i = 0; i < p->nunit_tests; i++)
		if (strcmp(p->unit_tests[i].name, name) == 0)
			return &p->unit_tests[i];
	return NULL;
}

static const char *given_cte(void *ud, enum dbt_ut_input kind, size_t idx)
{
	const struct dbt_project *p = ud;
	static char buf[128];
	snprintf(buf, sizeof buf, "__cte_%s", kind == DBT_UT_SOURCE ? p->sources[idx].table_name : p->nodes[idx].name);
	return buf;
}

static void unit_tests_are_read_as_dbt_reads_them(void)
{
	struct dbt_project p;
	struct dbt_options o = { .dir = "tests/data/dbt/unit" };
	CHECK(dbt_project_load(&p, &o, err, sizeof err) == 0);
	CHECK(p.nunit_tests == 11);
	/* fixture files are not singular tests */
	CHECK(p.nsingular == 0);
	const struct dbt_unit_test *csv = unit_test(&p, "totals_wrong_sum");
	CHECK(csv && !csv->error && csv->ntags == 1 && strcmp(csv->tags[0], "wrong") == 0);
	CHECK(csv && csv->ngiven == 1 && csv->given[0].format == DBT_UT_CSV && csv->given[0].nrows == 2);
	/* csv values are strings */
	CHECK(csv && strcmp(csv->given[0].rows[0].cells[2].value, "2") == 0 && !csv->given[0].rows[0].cells[2].literal);
	/* a fixture file; an empty csv value is null */
	const struct dbt_unit_test *fx = unit_test(&p, "totals_from_fixtures");
	CHECK(fx && !fx->error && fx->given[0].nrows == 3 && fx->given[0].rows[1].cells[2].value == NULL);
	CHECK(fx && fx->expect.format == DBT_UT_SQL && strstr(fx->expect.sql, "union all"));
	const struct dbt_unit_test *src = unit_test(&p, "staging_lowers_names");
	CHECK(src && src->given[0].kind == DBT_UT_SOURCE && src->given[0].format == DBT_UT_SQL);
	/* YAML numbers as Python prints them: 5.00 is 5.0; a quoted one stays a string */
	const struct dbt_unit_test *fl = unit_test(&p, "totals_float_literal");
	CHECK(fl && fl->expect.rows[0].cells[1].literal && strcmp(fl->expect.rows[0].cells[1].value, "1") == 0);
	CHECK(fl && strcmp(fl->expect.rows[0].cells[2].value, "5.0") == 0);
	const struct dbt_unit_test *qs = unit_test(&p, "totals_per_customer");
	CHECK(qs && !qs->expect.rows[0].cells[1].literal && strcmp(qs->expect.rows[0].cells[1].value, "5.00") == 0);
	/* the model renders with the inputs' stand-ins and the overrides */
	const struct dbt_unit_test *inc = unit_test(&p, "increment_takes_new_days");
	CHECK(inc && inc->given[1].kind == DBT_UT_THIS && inc->macros && inc->vars && inc->env_vars);
	if (inc) {
		struct dbt_render_opts ro = { .unit = inc, .input = given_cte, .ud = &p };
		char *sql = NULL;
		CHECK(dbt_render(&p, (size_t)inc->node, &ro, &sql, err, sizeof err) == 0);
		CHECK(sql && strstr(sql, "amount * 2 as amount_usd") && strstr(sql, "'us' as region"));
		CHECK(sql && strstr(sql, "from __cte_stg_orders") && strstr(sql, "max(ordered_at) from __cte_fct_orders"));
		free(sql);
	}
	/* CTEs join a query's own WITH, trailing semicolons dropped */
	char *w = dbt_with_ctes("-- c\nWITH a as (select 1) select * from a;\n", "x as (select 2)");
	CHECK(strcmp(w, "-- c\nwith x as (select 2),\na as (select 1) select * from a") == 0);
	free(w);
	w = dbt_with_ctes("select 1 ;", "x as (select 2)");
	CHECK(strcmp(w, "with x as (select 2)\nselect 1") == 0);
	free(w);
	dbt_project_free(&p);
}

int main(void)
{
	log_level = LOG_QUIET;
	/* relations print with their database: libpq's default, named here */
	setenv("PGDATABASE", "unitdb", 1);
	RUN(shop_configs_relations_and_order);
	RUN(untaken_branches_and_depends_on_are_edges);
	RUN(schema_file_tests_are_collected);
	RUN(errors_name_file_and_line);
	RUN(selectors);
	RUN(hooks_add_up_across_levels);
	RUN(contract_configs_merge_as_dbt_merges_them);
	RUN(snapshots_are_nodes);
	RUN(macro_lookup_and_dispatch_order);
	RUN(unit_tests_are_read_as_dbt_reads_them);
	return UNIT_END();
}
