/* SPDX-License-Identifier: MIT
 * Unit tests for the Jinja-subset template engine (lib/template.c): every
 * construct of the subset, whitespace control, the static walk that finds
 * refs in branches not taken, and errors that name file:line and the
 * construct. */
#include <stdlib.h>

#include "template.h"
#include "unit.h"

/* A host with ref(), source(), var(), config(), is_incremental() and
 * `this`, answering the way modelrun does. */
struct fake {
	bool incremental;
	char config_seen[256];
};

static int fake_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	struct fake *f = ud;
	char buf[256];
	if (strcmp(c->name, "ref") == 0) {
		snprintf(buf, sizeof buf, "\"s\".\"%s\"", c->args[0].s);
		*out = tval_str(r, buf, strlen(buf));
	} else if (strcmp(c->name, "source") == 0) {
		snprintf(buf, sizeof buf, "\"%s\".\"%s\"", c->args[0].s, c->args[1].s);
		*out = tval_str(r, buf, strlen(buf));
	} else if (strcmp(c->name, "is_incremental") == 0) {
		*out = (struct tval){ .kind = TV_BOOL, .b = f->incremental };
	} else if (strcmp(c->name, "var") == 0) {
		if (strcmp(c->args[0].s, "limit") == 0)
			*out = (struct tval){ .kind = TV_NUM, .num = 10 };
		else if (c->nargs > 1)
			*out = c->args[1];
		else {
			tmpl_fail(r, c->line, "required var '%s' is not set", c->args[0].s);
			return -1;
		}
	} else if (strcmp(c->name, "config") == 0) {
		for (size_t i = 0; i < c->nkw; i++) {
			strcat(f->config_seen, c->kwnames[i]);
			strcat(f->config_seen, ";");
		}
		*out = tval_str(r, "", 0);
	}
	return 0;
}

static int fake_global(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out)
{
	(void)ud, (void)line;
	if (strcmp(name, "this") != 0)
		return 1;
	*out = tval_str(r, "\"s\".\"me\"", 8);
	/* a relation: prints as its name, has attributes */
	static const char *const keys[] = { "schema", "identifier" };
	out->nattr = 2;
	out->keys = tval_alloc_keys(r, 2);
	out->items = tval_alloc(r, 2);
	out->keys[0] = keys[0];
	out->keys[1] = keys[1];
	out->items[0] = tval_str(r, "s", 1);
	out->items[1] = tval_str(r, "me", 2);
	return 0;
}

static char err[512];

/* Renders src; returns the malloc'd output or NULL (err holds why). */
static char *render_with(const char *src, struct fake *f)
{
	struct tmpl *t = tmpl_parse("m.sql", src, strlen(src), tmpl_dbt_functions, err, sizeof err);
	if (!t)
		return NULL;
	struct tmpl_host host = { fake_call, fake_global, f };
	char *out = NULL;
	size_t len;
	tmpl_render(t, &host, &out, &len, err, sizeof err);
	tmpl_free(t);
	return out;
}

static char *render(const char *src)
{
	struct fake f = { 0 };
	return render_with(src, &f);
}

#define EXPECT_RENDER(src, want)                                        \
	do {                                                            \
		char *got_ = render(src);                               \
		if (!got_) {                                            \
			printf("#   %s:%d: error: %s\n", __FILE__, __LINE__, err); \
			unit_case_failed = 1;                           \
		} else {                                                \
			CHECK_STR(got_, strlen(got_), want);            \
		}                                                       \
		free(got_);                                             \
	} while (0)

#define EXPECT_ERROR(src, want)                                         \
	do {                                                            \
		char *got_ = render(src);                               \
		CHECK(got_ == NULL);                                    \
		free(got_);                                             \
		CHECK_STR(err, strlen(err), want);                      \
	} while (0)

static void plain_text_passes_through(void)
{
	EXPECT_RENDER("select 1 as a, '{' as b\n", "select 1 as a, '{' as b\n");
	EXPECT_RENDER("", "");
}

static void ref_source_this_and_var(void)
{
	EXPECT_RENDER("select * from {{ ref('a') }} join {{ source('raw', 'sales') }} x",
		      "select * from \"s\".\"a\" join \"raw\".\"sales\" x");
	EXPECT_RENDER("{{ this }} limit {{ var('limit') }} {{ var('other', 'dflt') }}",
		      "\"s\".\"me\" limit 10 dflt");
	EXPECT_RENDER("{{ this.schema }}.{{ this.identifier ~ '_old' }}", "s.me_old");
}

static void config_is_called_and_prints_nothing(void)
{
	struct fake f = { 0 };
	char *out = render_with("{{ config(materialized='incremental', unique_key='id', tags=['a','b']) }}select 1", &f);
	CHECK(out != NULL);
	if (out)
		CHECK_STR(out, strlen(out), "select 1");
	CHECK_STR(f.config_seen, strlen(f.config_seen), "materialized;unique_key;tags;");
	free(out);
}

static void if_elif_else_and_is_incremental(void)
{
	const char *src = "{% if is_incremental() %}inc{% elif 1 > 2 %}no{% else %}full{% endif %}";
	struct fake f = { .incremental = true };
	char *out = render_with(src, &f);
	CHECK(out && strcmp(out, "inc") == 0);
	free(out);
	f.incremental = false;
	out = render_with(src, &f);
	CHECK(out && strcmp(out, "full") == 0);
	free(out);
	EXPECT_RENDER("{% if 3 >= 3 and not (1 == 2) %}a{% endif %}", "a");
	EXPECT_RENDER("{% if false or 'x' != 'x' %}a{% elif 'b' < 'c' %}b{% endif %}", "b");
	EXPECT_RENDER("{% if 'a' in ['a', 'b'] and 'z' not in ['a'] %}yes{% endif %}", "yes");
	EXPECT_RENDER("{% if none %}a{% else %}b{% endif %}", "b");
}

static void set_with_literals_and_concat(void)
{
	EXPECT_RENDER("{% set n = 3 %}{% set s = 'x' ~ n ~ \"y\" %}{{ s }} {{ n * 2 + 1 }} {{ 7 / 2 }}",
		      "x3y 7 3.5");
	EXPECT_RENDER("{% set l = ['a', 2, true, none] %}{{ l }}", "['a', 2, True, None]");
	EXPECT_RENDER("{% set d = {'k': 'v'} %}{{ d.k }}", "v");
}

static void for_loops_with_loop_variables(void)
{
	EXPECT_RENDER("{% for c in ['a', 'b', 'c'] %}{{ loop.index }}:{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}",
		      "1:a, 2:b, 3:c");
	EXPECT_RENDER("{% for c in ['a', 'b'] %}{% if loop.first %}first {% endif %}{{ c }}{% endfor %}",
		      "first ab");
	/* a set inside the loop body does not leak out, as in Jinja */
	EXPECT_RENDER("{% set x = 1 %}{% for i in [5] %}{% set x = i %}{{ x }}{% endfor %}{{ x }}", "51");
	EXPECT_RENDER("{% for i in [] %}x{% endfor %}.", ".");
}

static void comments_and_whitespace_control(void)
{
	EXPECT_RENDER("a{# a comment {{ ref('x') }} #}b", "ab");
	EXPECT_RENDER("a  \n  {%- if true -%}  \n  b  \n  {%- endif %}\nc", "ab\nc");
	EXPECT_RENDER("x {{- ' y ' -}} z", "x y z");
	EXPECT_RENDER("x\n{#- gone -#}\ny", "xy");
	/* without '-' the newline after a block tag stays, as in dbt */
	EXPECT_RENDER("{% if true %}\nz\n{% endif %}\n", "\nz\n\n");
}

struct seen {
	char names[256];
	int lines[8];
	int n;
};

static int collect(void *ud, const char *name, size_t nargs, const char *const *args, int line)
{
	struct seen *s = ud;
	(void)name;
	for (size_t i = 0; i < nargs; i++) {
		strcat(s->names, args[i] ? args[i] : "?");
		strcat(s->names, i + 1 < nargs ? "." : ";");
	}
	if (s->n < 8)
		s->lines[s->n++] = line;
	return 0;
}

static void static_walk_finds_refs_in_untaken_branches(void)
{
	const char *src = "-- depends_on: {{ ref('dep') }}\n"
			  "select 1\n"
			  "{% if false %}\n"
			  "  from {{ ref('never') }}\n"
			  "{% endif %}\n"
			  "{% for t in ['a'] %}{{ ref(t) }}{% endfor %}{{ source('raw', 'sales') }}\n";
	struct tmpl *t = tmpl_parse("m.sql", src, strlen(src), tmpl_dbt_functions, err, sizeof err);
	CHECK(t != NULL);
	if (!t)
		return;
	struct seen s = { 0 };
	tmpl_calls(t, "ref", collect, &s);
	CHECK_STR(s.names, strlen(s.names), "dep;never;?;");
	CHECK(s.n == 3 && s.lines[0] == 1 && s.lines[1] == 4 && s.lines[2] == 6);
	struct seen s2 = { 0 };
	tmpl_calls(t, "source", collect, &s2);
	CHECK_STR(s2.names, strlen(s2.names), "raw.sales;");
	tmpl_free(t);
}

static void unsupported_constructs_name_file_line_and_construct(void)
{
	EXPECT_ERROR("select\n{{ x | upper }}", "m.sql:2: unsupported construct: filter '|' (not in modelrun's Jinja subset)");
	EXPECT_ERROR("a\n\n{% macro m() %}{% endmacro %}",
		     "m.sql:3: unsupported construct: '{% macro %}' (not in modelrun's Jinja subset)");
	EXPECT_ERROR("{{ adapter.dispatch('x')() }}",
		     "m.sql:1: unsupported construct: method call 'adapter.dispatch()' (not in modelrun's Jinja subset)");
	EXPECT_ERROR("{{ run_query('select 1') }}",
		     "m.sql:1: unsupported construct: function 'run_query()' (not in modelrun's Jinja subset)");
	EXPECT_ERROR("{% if x is defined %}{% endif %}", "m.sql:1: unsupported construct: test 'is' (not in modelrun's Jinja subset)");
	EXPECT_ERROR("{{ [1][0] }}", "m.sql:1: unsupported construct: subscript '[...]' (not in modelrun's Jinja subset)");
	EXPECT_ERROR("{% set x %}a{% endset %}", "m.sql:1: unsupported construct: block 'set' (write {% set x = ... %})");
	EXPECT_ERROR("\n{% include 'x.sql' %}", "m.sql:2: unsupported construct: '{% include %}' (not in modelrun's Jinja subset)");
}

static void structural_errors(void)
{
	EXPECT_ERROR("x\n{% if true %}\nselect", "m.sql:2: 'if' is never closed with 'endif'");
	EXPECT_ERROR("{% for a in [1] %}", "m.sql:1: 'for' is never closed with 'endfor'");
	EXPECT_ERROR("a\n{% endif %}", "m.sql:2: 'endif' without a matching opening tag");
	EXPECT_ERROR("a {{ ref('x')\n", "m.sql:1: '{{' is never closed");
	EXPECT_ERROR("{{ 'abc }}", "m.sql:1: '{{' is never closed");
	EXPECT_ERROR("{{ ref('a' 'b') }}", "m.sql:1: expected ',' or ')', found ''b''");
}

static void render_errors(void)
{
	EXPECT_ERROR("\n\n{{ nope }}", "m.sql:3: undefined name 'nope'");
	EXPECT_ERROR("{{ var('missing') }}", "m.sql:1: required var 'missing' is not set");
	EXPECT_ERROR("{% for x in 3 %}{% endfor %}", "m.sql:1: 'for' needs a list, not a number");
	EXPECT_ERROR("{{ 'x'.upper }}", "m.sql:1: unsupported construct: attribute '.upper' of a string");
	EXPECT_ERROR("{{ this.database }}", "m.sql:1: unsupported construct: attribute '.database' of a string");
	EXPECT_ERROR("{% if 1 < 'a' %}{% endif %}", "m.sql:1: cannot compare a number with a string");
}

/* pre + n copies of open + mid + n copies of close + post, malloc'd. */
static char *nested(const char *pre, const char *open, size_t n, const char *mid, const char *close,
		    const char *post)
{
	size_t len = strlen(pre) + n * (strlen(open) + strlen(close)) + strlen(mid) + strlen(post) + 1;
	char *s = malloc(len);
	if (!s)
		abort();
	char *w = s;
	w += sprintf(w, "%s", pre);
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, "%s", open);
	w += sprintf(w, "%s", mid);
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, "%s", close);
	sprintf(w, "%s", post);
	return s;
}

#define EXPECT_NESTED_ERROR(src)                                                      \
	do {                                                                          \
		char *src_ = (src);                                                   \
		EXPECT_ERROR(src_, "m.sql:2: nested more than 200 levels deep");     \
		free(src_);                                                           \
	} while (0)

static void deep_nesting_is_an_error_not_a_crash(void)
{
	size_t n = 50000;
	EXPECT_NESTED_ERROR(nested("select\n", "{% if true %}", n, "x", "{% endif %}", ""));
	EXPECT_NESTED_ERROR(nested("select\n", "{% for i in [1] %}", n, "x", "{% endfor %}", ""));
	EXPECT_NESTED_ERROR(nested("select\n{% if false %}", "{% elif false %}", n, "x", "", "{% endif %}"));
	EXPECT_NESTED_ERROR(nested("select\n{{ ", "(", n, "1", ")", " }}"));
	EXPECT_NESTED_ERROR(nested("select\n{{ ", "[", n, "1", "]", " }}"));
	EXPECT_NESTED_ERROR(nested("select\n{{ ", "{'k': ", n, "1", "}", " }}"));
	EXPECT_NESTED_ERROR(nested("select\n{{ ", "var('x', ", n, "1", ")", " }}"));
	EXPECT_NESTED_ERROR(nested("select\n{{ ", "not ", n, "1", "", " }}"));
	EXPECT_NESTED_ERROR(nested("select\n{{ ", "- ", n, "1", "", " }}"));
	EXPECT_NESTED_ERROR(nested("select\n{{ 'a'", " ~ 'a'", n, "", "", " }}"));
	EXPECT_NESTED_ERROR(nested("select\n{{ 1", " + 1", n, "", "", " }}"));
	EXPECT_NESTED_ERROR(nested("select\n{{ true", " and true", n, "", "", " }}"));
	EXPECT_NESTED_ERROR(nested("select\n{{ this", ".schema", n, "", "", " }}"));
	/* chains inside parentheses: each is short, together they are tall */
	EXPECT_NESTED_ERROR(nested("select\n{{ ", "(", 100, "1", " + 1 + 1 + 1 + 1)", " }}"));
	/* what real models do still works */
	char *ok = nested("", "{% if true %}(", 60, "{{ ((1 + 2) * 3) ~ 'x' }}", "){% endif %}", "");
	char *want = nested("", "(", 60, "9x", ")", "");
	EXPECT_RENDER(ok, want);
	free(ok);
	free(want);
}

static void numbers_print_as_jinja_does(void)
{
	EXPECT_RENDER("{{ 1.0 }} {{ 1 }} {{ 0.07 }} {{ 1.10 }} {{ 2.5 }} {{ -3 }} {{ -0.5 }}", "1.0 1 0.07 1.1 2.5 -3 -0.5");
	EXPECT_RENDER("{{ var('w', 1.0) }} / 2, {{ var('n', 3) }}", "1.0 / 2, 3");
	/* '/' gives a float; + - * between integers stay integers */
	EXPECT_RENDER("{{ 4 / 2 }} {{ 1 / 3 }} {{ 2 * 3 }} {{ 2 * 1.5 }} {{ 1 + 1.0 }} {{ 5 - 7 }}",
		      "2.0 0.3333333333333333 6 3.0 2.0 -2");
	EXPECT_RENDER("{{ 10000000000 * 10000000000 }} {{ 10000000000.0 * 10000000000 }} {{ 0.0001 }} {{ 0.00001 }}",
		      "100000000000000000000 1e+20 0.0001 1e-05");
	EXPECT_RENDER("{{ 1000000000000000.0 }} {{ 10000000000000000.0 }} {{ 0.1 + 0.2 }} {{ -(0) }}",
		      "1000000000000000.0 1e+16 0.30000000000000004 0");
	EXPECT_RENDER("{{ [1.0, 2] }} {% for i in [1, 2] %}{{ loop.index }}{% endfor %}", "[1.0, 2] 12");
	EXPECT_RENDER("{{ var('limit') }}", "10"); /* a host's number is an integer when whole */
}

int main(void)
{
	RUN(plain_text_passes_through);
	RUN(ref_source_this_and_var);
	RUN(config_is_called_and_prints_nothing);
	RUN(if_elif_else_and_is_incremental);
	RUN(set_with_literals_and_concat);
	RUN(for_loops_with_loop_variables);
	RUN(comments_and_whitespace_control);
	RUN(static_walk_finds_refs_in_untaken_branches);
	RUN(unsupported_constructs_name_file_line_and_construct);
	RUN(structural_errors);
	RUN(render_errors);
	RUN(deep_nesting_is_an_error_not_a_crash);
	RUN(numbers_print_as_jinja_does);
	return UNIT_END();
}
