/* SPDX-License-Identifier: MIT
 * Unit tests for dbt's node selection syntax (lib/select.c) over a project
 * built in memory, so that each case reads against the graph drawn below:
 * names and globs, dotted fqns with the project name or without it,
 * tag:, path: (from the project directory or a model/seed path, whole
 * folders only), source:, resource_type:, config.materialized:, the graph
 * operators +, N+, +N and @ (depth limits through a diamond), commas as
 * intersection, spaces and separate arguments as union, --exclude,
 * disabled nodes never chosen, and the messages for malformed selectors.
 * (test_dbtproject.c runs a few selectors over a project read from disk.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbtproject.h"
#include "select.h"
#include "unit.h"

/*
 *   seeds/raw_orders ──┬──▶ staging/stg_orders ──┐
 *                      │                         ├──▶ intermediate/int_joined ──▶ marts/fct_sales ──┬──▶ marts/reports/rpt_sales
 *   seeds/ref/countries ──▶ staging/stg_customers ┘                                ▲               └──▶ marts/old_model (disabled)
 *                      └───────────────────────────────────────────────────────────┘ (raw_orders feeds fct_sales too)
 *   lonely (reads source legacy.users)
 */
enum { RAW_ORDERS, STG_ORDERS, STG_CUSTOMERS, INT_JOINED, FCT_SALES, RPT_SALES, OLD_MODEL, LONELY, COUNTRIES, N };

static struct dbt_project p;
static char err[512];
static char *bufs[2 * N]; /* the strdup'd word lists, freed at the end */
static size_t nbufs;

static void node(size_t i, enum dbt_kind kind, const char *name, const char *path, enum dbt_mat mat,
		 const char *fqn, const char *tags)
{
	struct dbt_node *n = &p.nodes[i];
	n->kind = kind;
	n->name = (char *)name;
	n->path = (char *)path;
	n->cfg.materialized = mat;
	n->cfg.enabled = true;
	/* fqn and tags as space-separated lists */
	char *f = strdup(fqn), *t = strdup(tags), *save;
	bufs[nbufs++] = f;
	bufs[nbufs++] = t;
	n->fqn = calloc(8, sizeof *n->fqn);
	for (char *w = strtok_r(f, " ", &save); w; w = strtok_r(NULL, " ", &save))
		n->fqn[n->nfqn++] = w;
	n->cfg.tags = calloc(8, sizeof *n->cfg.tags);
	for (char *w = strtok_r(t, " ", &save); w; w = strtok_r(NULL, " ", &save))
		n->cfg.tags[n->cfg.ntags++] = w;
}

static void edge(size_t parent, size_t child)
{
	struct dbt_node *c = &p.nodes[child], *pa = &p.nodes[parent];
	c->parents = realloc(c->parents, (c->nparents + 1) * sizeof *c->parents);
	c->parents[c->nparents++] = parent;
	pa->children = realloc(pa->children, (pa->nchildren + 1) * sizeof *pa->children);
	pa->children[pa->nchildren++] = child;
}

static void reads(size_t i, size_t source)
{
	struct dbt_node *n = &p.nodes[i];
	n->sources = realloc(n->sources, (n->nsources + 1) * sizeof *n->sources);
	n->sources[n->nsources++] = source;
}

static void build(void)
{
	static char *model_paths[] = { "models" }, *seed_paths[] = { "seeds" };
	static struct dbt_source sources[] = {
		{ .source_name = "app", .table_name = "orders" },
		{ .source_name = "app", .table_name = "customers" },
		{ .source_name = "legacy", .table_name = "users" },
	};
	p.name = "shop";
	p.model_paths = model_paths;
	p.nmodel_paths = 1;
	p.seed_paths = seed_paths;
	p.nseed_paths = 1;
	p.sources = sources;
	p.nsources = 3;
	p.nnodes = N;
	p.nodes = calloc(N, sizeof *p.nodes);
	node(RAW_ORDERS, DBT_SEED, "raw_orders", "seeds/raw_orders.csv", MAT_SEED, "shop raw_orders", "");
	node(COUNTRIES, DBT_SEED, "countries", "seeds/ref/countries.csv", MAT_SEED, "shop ref countries", "");
	node(STG_ORDERS, DBT_MODEL, "stg_orders", "models/staging/stg_orders.sql", MAT_VIEW,
	     "shop staging stg_orders", "staging daily");
	node(STG_CUSTOMERS, DBT_MODEL, "stg_customers", "models/staging/stg_customers.sql", MAT_VIEW,
	     "shop staging stg_customers", "staging");
	node(INT_JOINED, DBT_MODEL, "int_joined", "models/intermediate/int_joined.sql", MAT_EPHEMERAL,
	     "shop intermediate int_joined", "");
	node(FCT_SALES, DBT_MODEL, "fct_sales", "models/marts/fct_sales.sql", MAT_TABLE, "shop marts fct_sales", "daily");
	node(RPT_SALES, DBT_MODEL, "rpt_sales", "models/marts/reports/rpt_sales.sql", MAT_VIEW,
	     "shop marts reports rpt_sales", "");
	node(OLD_MODEL, DBT_MODEL, "old_model", "models/marts/old_model.sql", MAT_TABLE, "shop marts old_model", "daily");
	node(LONELY, DBT_MODEL, "lonely", "models/lonely.sql", MAT_INCREMENTAL, "shop lonely", "");
	p.nodes[OLD_MODEL].cfg.enabled = false;
	edge(RAW_ORDERS, STG_ORDERS);
	edge(COUNTRIES, STG_CUSTOMERS);
	edge(STG_ORDERS, INT_JOINED);
	edge(STG_CUSTOMERS, INT_JOINED);
	edge(INT_JOINED, FCT_SALES);
	edge(RAW_ORDERS, FCT_SALES);
	edge(FCT_SALES, RPT_SALES);
	edge(FCT_SALES, OLD_MODEL);
	reads(STG_ORDERS, 0);
	reads(STG_CUSTOMERS, 1);
	reads(LONELY, 2);
}

static void teardown(void)
{
	for (size_t i = 0; i < N; i++) {
		struct dbt_node *n = &p.nodes[i];
		free(n->fqn);
		free(n->cfg.tags);
		free(n->parents);
		free(n->children);
		free(n->sources);
	}
	free(p.nodes);
	for (size_t i = 0; i < nbufs; i++)
		free(bufs[i]);
}

/* The names chosen, in node order, or "error: <message>". */
static const char *pick(const char *const *sel, size_t nsel, const char *const *exc, size_t nexc)
{
	static char out[512];
	bool chosen[N];
	err[0] = '\0';
	if (dbt_select(&p, sel, nsel, exc, nexc, chosen, err, sizeof err) != 0) {
		snprintf(out, sizeof out, "error: %s", err);
		return out;
	}
	out[0] = '\0';
	for (size_t i = 0; i < N; i++)
		if (chosen[i]) {
			strcat(out, out[0] ? " " : "");
			strcat(out, p.nodes[i].name);
		}
	return out;
}

static const char *sel1(const char *s)
{
	const char *a[] = { s };
	return pick(a, 1, NULL, 0);
}

#define SEL(s, want)                                     \
	do {                                             \
		const char *got_ = sel1(s);              \
		CHECK_STR(got_, strlen(got_), want);     \
	} while (0)

static void names_and_globs(void)
{
	SEL("stg_orders", "stg_orders");
	SEL("stg_*", "stg_orders stg_customers");
	SEL("*sales", "fct_sales rpt_sales");
	SEL("?tg_orders", "stg_orders");
	SEL("[fr]*_sales", "fct_sales rpt_sales");
	SEL("nothing", "");
	SEL("STG_ORDERS", ""); /* names are case-sensitive */
}

static void everything_but_disabled(void)
{
	const char *got = pick(NULL, 0, NULL, 0);
	CHECK_STR(got, strlen(got), "raw_orders stg_orders stg_customers int_joined fct_sales rpt_sales lonely countries");
	SEL("old_model", "");
	SEL("*", "raw_orders stg_orders stg_customers int_joined fct_sales rpt_sales lonely countries");
}

static void fqns(void)
{
	SEL("shop", "raw_orders stg_orders stg_customers int_joined fct_sales rpt_sales lonely countries");
	SEL("shop.marts", "fct_sales rpt_sales");
	SEL("shop.marts.reports", "rpt_sales");
	SEL("shop.staging.*", "stg_orders stg_customers");
	SEL("staging.stg_orders", "stg_orders");
	SEL("marts.reports.*", "rpt_sales");
	SEL("marts.fct_*", "fct_sales");
	SEL("shop.mart", ""); /* whole parts only */
	SEL("shop.ref.countries", "countries");
	SEL("fqn:shop.staging", "stg_orders stg_customers");
}

static void tags(void)
{
	SEL("tag:daily", "stg_orders fct_sales");
	SEL("tag:staging", "stg_orders stg_customers");
	SEL("tag:nightly", "");
}

static void paths(void)
{
	SEL("path:models/staging", "stg_orders stg_customers");
	SEL("path:models/staging/", "stg_orders stg_customers");
	SEL("path:staging", "stg_orders stg_customers");
	SEL("path:models/marts", "fct_sales rpt_sales");
	SEL("path:marts/reports/rpt_sales.sql", "rpt_sales");
	SEL("path:models/marts/fct_sales.sql", "fct_sales");
	SEL("path:models/mart", ""); /* a folder is matched whole, not as a prefix */
	SEL("path:models/staging/stg", "");
	SEL("path:seeds", "raw_orders countries");
	SEL("path:ref", "countries");
	SEL("path:models/*/stg_*.sql", "stg_orders stg_customers");
	SEL("models/marts/reports", "rpt_sales"); /* a bare selector with a slash is a path */
}

static void sources_types_materializations(void)
{
	SEL("source:app", "stg_orders stg_customers");
	SEL("source:app.orders", "stg_orders");
	SEL("source:app.*", "stg_orders stg_customers");
	SEL("source:legacy.users", "lonely");
	SEL("source:app.users", "");
	SEL("resource_type:seed", "raw_orders countries");
	SEL("resource_type:model", "stg_orders stg_customers int_joined fct_sales rpt_sales lonely");
	/* test_type: picks tests, read by their own selection: no node, and
	 * as an exclusion it leaves every node in */
	SEL("test_type:unit", "");
	const char *tt[] = { "test_type:unit" };
	const char *all = pick(NULL, 0, NULL, 0);
	char *kept = strdup(all);
	const char *got = pick(NULL, 0, tt, 1);
	CHECK_STR(got, strlen(got), kept);
	free(kept);
	SEL("config.materialized:view", "stg_orders stg_customers rpt_sales");
	SEL("config.materialized:ephemeral", "int_joined");
	SEL("config.materialized:incremental", "lonely");
	SEL("config.materialized:table", "fct_sales");
}

static void graph_operators(void)
{
	SEL("+fct_sales", "raw_orders stg_orders stg_customers int_joined fct_sales countries");
	SEL("1+fct_sales", "raw_orders int_joined fct_sales");
	SEL("2+fct_sales", "raw_orders stg_orders stg_customers int_joined fct_sales");
	SEL("3+fct_sales", "raw_orders stg_orders stg_customers int_joined fct_sales countries");
	SEL("fct_sales+", "fct_sales rpt_sales");
	SEL("stg_orders+1", "stg_orders int_joined");
	SEL("stg_orders+2", "stg_orders int_joined fct_sales");
	SEL("stg_orders+", "stg_orders int_joined fct_sales rpt_sales");
	/* raw_orders reaches fct_sales in one step and in three: the short way counts. */
	SEL("raw_orders+1", "raw_orders stg_orders fct_sales");
	SEL("raw_orders+2", "raw_orders stg_orders int_joined fct_sales rpt_sales");
	SEL("+stg_orders+1", "raw_orders stg_orders int_joined");
	SEL("1+int_joined+1", "stg_orders stg_customers int_joined fct_sales");
	SEL("0+fct_sales", "fct_sales");
	/* @: the node, its descendants, and all their ancestors */
	SEL("@stg_orders", "raw_orders stg_orders stg_customers int_joined fct_sales rpt_sales countries");
	SEL("@lonely", "lonely");
	SEL("+tag:daily", "raw_orders stg_orders stg_customers int_joined fct_sales countries");
	SEL("path:staging+1", "stg_orders stg_customers int_joined");
	SEL("+lonely+", "lonely");
}

static void unions_and_intersections(void)
{
	SEL("lonely stg_orders", "stg_orders lonely");
	SEL("lonely  \tstg_orders", "stg_orders lonely");
	SEL("tag:daily,config.materialized:table", "fct_sales");
	SEL("stg_*,tag:daily", "stg_orders");
	SEL("+fct_sales,resource_type:seed", "raw_orders countries");
	SEL("+rpt_sales,+lonely", "");
	SEL("tag:daily,resource_type:seed stg_customers", "stg_customers");
	const char *two[] = { "lonely", "rpt_sales" };
	const char *got = pick(two, 2, NULL, 0);
	CHECK_STR(got, strlen(got), "rpt_sales lonely");
}

static void excludes(void)
{
	const char *x1[] = { "path:marts" };
	const char *got = pick(NULL, 0, x1, 1);
	CHECK_STR(got, strlen(got), "raw_orders stg_orders stg_customers int_joined lonely countries");
	const char *s2[] = { "+rpt_sales" }, *x2[] = { "tag:staging" };
	got = pick(s2, 1, x2, 1);
	CHECK_STR(got, strlen(got), "raw_orders int_joined fct_sales rpt_sales countries");
	const char *x3[] = { "stg_orders+", "resource_type:seed" };
	got = pick(NULL, 0, x3, 2);
	CHECK_STR(got, strlen(got), "stg_customers lonely");
	const char *s4[] = { "stg_orders" }, *x4[] = { "stg_orders" };
	got = pick(s4, 1, x4, 1);
	CHECK_STR(got, strlen(got), "");
}

/* state: selectors read one byte of flags per node, as modelrun makes
 * them from an earlier manifest; the graph operators apply as elsewhere. */
static void state_flags(void)
{
	unsigned char st[N] = { 0 };
	st[STG_ORDERS] = DBT_STATE_BODY;
	st[FCT_SALES] = DBT_STATE_CONFIGS;
	st[LONELY] = DBT_STATE_NEW;
	st[OLD_MODEL] = DBT_STATE_NEW; /* disabled: never chosen */
	static const struct { const char *sel, *want; } cases[] = {
		{ "state:modified", "stg_orders fct_sales lonely" },
		{ "state:new", "lonely" },
		{ "state:modified.body", "stg_orders" },
		{ "state:modified.configs+", "fct_sales rpt_sales" },
		{ "state:modified.contract", "" },
		{ "state:modified,tag:daily", "stg_orders fct_sales" },
		{ "state:old", "error: unknown state 'old' in 'state:old' (new, modified, modified.body, "
			       "modified.configs, modified.contract)" },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		static char out[600];
		bool chosen[N];
		const char *a[] = { cases[k].sel };
		if (dbt_select_state(&p, a, 1, NULL, 0, st, chosen, err, sizeof err) != 0) {
			snprintf(out, sizeof out, "error: %s", err);
		} else {
			out[0] = '\0';
			for (size_t i = 0; i < N; i++)
				if (chosen[i]) {
					strcat(out, out[0] ? " " : "");
					strcat(out, p.nodes[i].name);
				}
		}
		CHECK_STR(out, strlen(out), cases[k].want);
	}
	SEL("state:modified", "error: 'state:modified' needs --state DIR: the manifest.json of an earlier run to "
			      "compare with");
}

static void malformed(void)
{
	SEL("+", "error: malformed selector '+'");
	SEL("2+", "error: malformed selector '2+'");
	SEL("@", "error: malformed selector '@'");
	SEL("++", "error: malformed selector '++'");
	SEL("tag:", "error: selector 'tag:' has no value");
	SEL("colour:red", "error: unknown selector method 'colour' in 'colour:red' (tag, path, source, fqn, "
			  "resource_type, config.materialized, state)");
	SEL("stg_orders colour:red", "error: unknown selector method 'colour' in 'colour:red' (tag, path, source, fqn, "
				     "resource_type, config.materialized, state)");
	SEL("tag:daily,+", "error: malformed selector '+'");
	const char *x[] = { "bogus:1" };
	const char *got = pick(NULL, 0, x, 1);
	CHECK_STR(got, strlen(got), "error: unknown selector method 'bogus' in 'bogus:1' (tag, path, source, fqn, "
				    "resource_type, config.materialized, state)");
	/* A selector too long to hold is malformed, not a crash. */
	char big[700];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	got = sel1(big);
	CHECK(strncmp(got, "error: malformed selector 'aaaa", 31) == 0);
}

int main(void)
{
	build();
	RUN(names_and_globs);
	RUN(everything_but_disabled);
	RUN(fqns);
	RUN(tags);
	RUN(paths);
	RUN(sources_types_materializations);
	RUN(graph_operators);
	RUN(unions_and_intersections);
	RUN(state_flags);
	RUN(excludes);
	RUN(malformed);
	teardown();
	return UNIT_END();
}
