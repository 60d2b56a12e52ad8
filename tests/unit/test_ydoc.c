/* SPDX-License-Identifier: MIT
 * Unit tests for YAML and JSON documents (lib/ydoc.c), through the public
 * API only: loading from memory and from files, the accessors and the line
 * of each node, duplicate keys, parse errors naming file, line and column,
 * and YAML 1.1 scalar resolution as dbt gets it from PyYAML. Every
 * expected kind and value in the scalar table was produced by PyYAML 6's
 * SafeLoader resolver (python3 -c 'yaml.SafeLoader("").resolve(...)'),
 * e.g. yes/on/off are booleans, 017 and 0_1 octal, 0o17 and 1e3 strings,
 * 12:30 sexagesimal 750, -.5 a string but .5 a float. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ydoc.h"
#include "unit.h"

static char err[512];

static int load(struct ydoc *d, const char *text)
{
	err[0] = '\0';
	return ydoc_load_string(d, "t.yml", text, strlen(text), err, sizeof err);
}

static const struct {
	const char *text;
	enum ydoc_kind kind;
	double num; /* or the boolean as 0/1 */
} scalars[] = {
	/* booleans: YAML 1.1's words in three spellings each, nothing else */
	{ "yes", YK_BOOL, 1 }, { "Yes", YK_BOOL, 1 }, { "YES", YK_BOOL, 1 }, { "on", YK_BOOL, 1 },
	{ "On", YK_BOOL, 1 }, { "ON", YK_BOOL, 1 }, { "true", YK_BOOL, 1 }, { "True", YK_BOOL, 1 },
	{ "TRUE", YK_BOOL, 1 }, { "no", YK_BOOL, 0 }, { "No", YK_BOOL, 0 }, { "NO", YK_BOOL, 0 },
	{ "off", YK_BOOL, 0 }, { "Off", YK_BOOL, 0 }, { "OFF", YK_BOOL, 0 }, { "false", YK_BOOL, 0 },
	{ "False", YK_BOOL, 0 }, { "FALSE", YK_BOOL, 0 },
	{ "yEs", YK_STR, 0 }, { "oN", YK_STR, 0 }, { "tRUE", YK_STR, 0 }, { "y", YK_STR, 0 },
	{ "n", YK_STR, 0 }, { "Y", YK_STR, 0 },
	/* nulls */
	{ "null", YK_NULL, 0 }, { "Null", YK_NULL, 0 }, { "NULL", YK_NULL, 0 }, { "~", YK_NULL, 0 },
	{ "nULL", YK_STR, 0 },
	/* integers: decimal with _, 0 octal, 0x hex, 0b binary, signs */
	{ "0", YK_INT, 0 }, { "-0", YK_INT, 0 }, { "+0", YK_INT, 0 }, { "00", YK_INT, 0 },
	{ "-1", YK_INT, -1 }, { "+1", YK_INT, 1 }, { "1_000", YK_INT, 1000 }, { "1_000_000", YK_INT, 1000000 },
	{ "1__0", YK_INT, 10 }, { "1_", YK_INT, 1 }, { "_1", YK_STR, 0 },
	{ "017", YK_INT, 15 }, { "-017", YK_INT, -15 }, { "0777", YK_INT, 511 }, { "0_1", YK_INT, 1 },
	{ "08", YK_STR, 0 }, { "09", YK_STR, 0 }, { "0o17", YK_STR, 0 }, { "0o", YK_STR, 0 },
	{ "0x1F", YK_INT, 31 }, { "0x1f", YK_INT, 31 }, { "-0x1F", YK_INT, -31 }, { "0x_1F", YK_INT, 31 },
	{ "0x1G", YK_STR, 0 }, { "0x", YK_STR, 0 },
	{ "0b101", YK_INT, 5 }, { "+0b11", YK_INT, 3 }, { "0b102", YK_STR, 0 }, { "0b", YK_STR, 0 },
	{ "-0b", YK_STR, 0 },
	/* sexagesimal: base 60, parts after the first 0 to 59, first not 0 */
	{ "12:30", YK_INT, 750 }, { "1:30:00", YK_INT, 5400 }, { "190:20:30", YK_INT, 685230 },
	{ "1:00", YK_INT, 60 }, { "60:00", YK_INT, 3600 }, { "1:5", YK_INT, 65 }, { "-1:30", YK_INT, -90 },
	{ "+12:30", YK_INT, 750 }, { "1_:30", YK_INT, 90 },
	{ "12:60", YK_STR, 0 }, { "0:30", YK_STR, 0 }, { "1::30", YK_STR, 0 },
	/* floats need a '.'; an exponent needs a sign */
	{ "1.5", YK_FLOAT, 1.5 }, { "-1.5", YK_FLOAT, -1.5 }, { "1.", YK_FLOAT, 1 }, { "0.", YK_FLOAT, 0 },
	{ ".5", YK_FLOAT, 0.5 }, { "00.5", YK_FLOAT, 0.5 }, { "1.0e+3", YK_FLOAT, 1000 },
	{ "1.5e-2", YK_FLOAT, 1.5e-2 }, { "0.5e-3", YK_FLOAT, 0.5e-3 }, { "1.5E+10", YK_FLOAT, 1.5e10 },
	{ "1.e+3", YK_FLOAT, 1000 }, { ".5e+3", YK_FLOAT, 500 }, { "1_000.5", YK_FLOAT, 1000.5 },
	{ "0.1_5", YK_FLOAT, 0.15 }, { "1_.5", YK_FLOAT, 1.5 }, { "1.5_e+3", YK_FLOAT, 1500 },
	{ "1:30.5", YK_FLOAT, 90.5 }, { "1:30:00.25", YK_FLOAT, 5400.25 },
	{ "1e3", YK_STR, 0 }, { "1E3", YK_STR, 0 }, { "1e+3", YK_STR, 0 }, { "1.0e3", YK_STR, 0 },
	{ "1.5E3", YK_STR, 0 }, { "1.5e+", YK_STR, 0 }, { "1.5e+x", YK_STR, 0 }, { "1e", YK_STR, 0 },
	{ "-.5", YK_STR, 0 }, { "+.5", YK_STR, 0 }, { ".e+3", YK_STR, 0 }, { "_1.5", YK_STR, 0 }, { "3.14abc", YK_STR, 0 }, { "1,000", YK_STR, 0 },
	{ "+-1", YK_STR, 0 }, { "--1", YK_STR, 0 },
	/* infinities and NaN (num is checked apart for NaN) */
	{ ".inf", YK_FLOAT, INFINITY }, { ".Inf", YK_FLOAT, INFINITY }, { ".INF", YK_FLOAT, INFINITY },
	{ "+.inf", YK_FLOAT, INFINITY }, { "-.inf", YK_FLOAT, -INFINITY }, { ".nan", YK_FLOAT, NAN },
	{ ".NaN", YK_FLOAT, NAN }, { ".NAN", YK_FLOAT, NAN }, { "nan", YK_STR, 0 }, { "inf", YK_STR, 0 },
	/* no timestamp kind: a date stays its text */
	{ "2001-12-14", YK_STR, 0 }, { "abc", YK_STR, 0 },
};

static const char *kind_name(enum ydoc_kind k)
{
	static const char *const n[] = { "str", "null", "bool", "int", "float" };
	return (unsigned)k < 5 ? n[k] : "?";
}

static void yaml11_scalars(void)
{
	for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
		char text[64];
		snprintf(text, sizeof text, "k: %s\n", scalars[i].text);
		struct ydoc d;
		if (load(&d, text) != 0) {
			printf("#   \"%s\": %s\n", scalars[i].text, err);
			CHECK(!"loads");
			continue;
		}
		yaml_node_t *v = ydoc_get(&d, ydoc_root(&d), "k");
		bool b = false;
		double num = -12345;
		enum ydoc_kind k = ydoc_yaml11(v, &b, &num);
		double want = scalars[i].num;
		bool same = k == scalars[i].kind;
		if (same && k == YK_BOOL)
			same = b == (want != 0);
		else if (same && (k == YK_INT || k == YK_FLOAT))
			same = isnan(want) ? isnan(num) : num == want;
		if (!same) {
			printf("#   \"%s\": got %s %.17g%s, want %s %.17g\n", scalars[i].text, kind_name(k), num,
			       k == YK_BOOL ? (b ? " (true)" : " (false)") : "", kind_name(scalars[i].kind), want);
			CHECK(!"resolved as PyYAML does");
		}
		ydoc_free(&d);
	}
}

/* Fails today (lib/ydoc.c, left to its owner): PyYAML 6's float pattern
 * lets a sexagesimal float start with 0 ([0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*)
 * and gives it no exponent, and wants a digit right after a leading '.'. */
static void yaml11_floats_as_pyyaml_edge_cases(void)
{
	static const struct {
		const char *text;
		enum ydoc_kind kind;
		double num;
	} c[] = {
		{ "0:30.5", YK_FLOAT, 30.5 }, { "00:30.5", YK_FLOAT, 30.5 }, { "1:30.5e+1", YK_STR, 0 },
		{ "._", YK_STR, 0 }, { "._5", YK_STR, 0 },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		char text[64];
		snprintf(text, sizeof text, "k: %s\n", c[i].text);
		struct ydoc d;
		CHECK(load(&d, text) == 0);
		bool b;
		double num = -12345;
		enum ydoc_kind k = ydoc_yaml11(ydoc_get(&d, ydoc_root(&d), "k"), &b, &num);
		if (k != c[i].kind || (k == YK_FLOAT && num != c[i].num)) {
			printf("#   \"%s\": got %s %.17g, want %s %.17g\n", c[i].text, kind_name(k), num,
			       kind_name(c[i].kind), c[i].num);
			CHECK(!"resolved as PyYAML does");
		}
		ydoc_free(&d);
	}
}

/* Quoted and block scalars are strings whatever they hold; so is a key's
 * empty value a null. */
static void quoted_are_strings(void)
{
	struct ydoc d;
	CHECK(load(&d, "a: 'yes'\nb: \"12\"\nc: |\n  on\nd:\ne: ''\nf: >\n  1.5\n") == 0);
	yaml_node_t *r = ydoc_root(&d);
	bool b;
	double num;
	CHECK(ydoc_yaml11(ydoc_get(&d, r, "a"), &b, &num) == YK_STR && strcmp(ydoc_str(ydoc_get(&d, r, "a")), "yes") == 0);
	CHECK(ydoc_yaml11(ydoc_get(&d, r, "b"), &b, &num) == YK_STR);
	CHECK(ydoc_yaml11(ydoc_get(&d, r, "c"), &b, &num) == YK_STR && strcmp(ydoc_str(ydoc_get(&d, r, "c")), "on\n") == 0);
	CHECK(ydoc_yaml11(ydoc_get(&d, r, "f"), &b, &num) == YK_STR);
	CHECK(!ydoc_is_plain(ydoc_get(&d, r, "a")) && ydoc_is_plain(ydoc_get(&d, r, "d")));
	CHECK(ydoc_is_null(ydoc_get(&d, r, "d")) && ydoc_yaml11(ydoc_get(&d, r, "d"), &b, &num) == YK_NULL);
	CHECK(!ydoc_is_null(ydoc_get(&d, r, "e"))); /* '' is an empty string, not null */
	CHECK(ydoc_yaml11(ydoc_get(&d, r, "e"), &b, &num) == YK_STR);
	/* Not a scalar at all */
	ydoc_free(&d);
	CHECK(load(&d, "a: [1]\n") == 0);
	CHECK(ydoc_yaml11(ydoc_get(&d, ydoc_root(&d), "a"), &b, &num) == YK_STR);
	CHECK(ydoc_yaml11(NULL, &b, &num) == YK_STR);
	ydoc_free(&d);
}

static void json_is_yaml(void)
{
	struct ydoc d;
	const char *json = "{\"a\": [1, \"two\", null, 2.5, true],\n \"b\": {\"c\": false, \"d\": {}}}";
	CHECK(load(&d, json) == 0);
	yaml_node_t *r = ydoc_root(&d), *a = ydoc_get(&d, r, "a"), *b = ydoc_get(&d, r, "b");
	CHECK(ydoc_is_map(r) && ydoc_len(r) == 2);
	CHECK(ydoc_is_seq(a) && ydoc_len(a) == 5);
	bool bo;
	double num;
	CHECK(ydoc_yaml11(ydoc_item(&d, a, 0), &bo, &num) == YK_INT && num == 1);
	CHECK(ydoc_yaml11(ydoc_item(&d, a, 1), &bo, &num) == YK_STR && strcmp(ydoc_str(ydoc_item(&d, a, 1)), "two") == 0);
	CHECK(ydoc_is_null(ydoc_item(&d, a, 2)));
	CHECK(ydoc_yaml11(ydoc_item(&d, a, 3), &bo, &num) == YK_FLOAT && num == 2.5);
	CHECK(ydoc_yaml11(ydoc_item(&d, a, 4), &bo, &num) == YK_BOOL && bo);
	CHECK(ydoc_item(&d, a, 5) == NULL);
	CHECK(ydoc_is_map(b) && ydoc_yaml11(ydoc_get(&d, b, "c"), &bo, &num) == YK_BOOL && !bo);
	yaml_node_t *e = ydoc_get(&d, b, "d");
	CHECK(ydoc_is_map(e) && ydoc_len(e) == 0 && ydoc_key(&d, e, 0) == NULL);
	CHECK(ydoc_line(a) == 1 && ydoc_line(b) == 2);
	ydoc_free(&d);
}

static void accessors_and_lines(void)
{
	struct ydoc d;
	CHECK(load(&d, "# a comment\nname: shop\nmodels:\n  - a\n  - b\nvars:\n  x: 1\n  y: two\n") == 0);
	yaml_node_t *r = ydoc_root(&d);
	CHECK(ydoc_len(r) == 3);
	CHECK(strcmp(ydoc_str(ydoc_key(&d, r, 0)), "name") == 0 && strcmp(ydoc_str(ydoc_value(&d, r, 0)), "shop") == 0);
	CHECK(strcmp(ydoc_str(ydoc_key(&d, r, 2)), "vars") == 0);
	CHECK(ydoc_key(&d, r, 3) == NULL && ydoc_value(&d, r, 3) == NULL);
	yaml_node_t *m = ydoc_get(&d, r, "models"), *v = ydoc_get(&d, r, "vars");
	CHECK(ydoc_line(ydoc_key(&d, r, 0)) == 2 && ydoc_line(ydoc_value(&d, r, 0)) == 2);
	CHECK(ydoc_line(m) == 4 && ydoc_line(ydoc_item(&d, m, 1)) == 5);
	CHECK(ydoc_line(ydoc_get(&d, v, "y")) == 8);
	CHECK(ydoc_line(NULL) == 0);
	/* Asking the wrong kind of node gives nothing, not a crash. */
	CHECK(ydoc_get(&d, m, "a") == NULL && ydoc_get(&d, r, "nope") == NULL && ydoc_get(&d, NULL, "x") == NULL);
	CHECK(ydoc_item(&d, r, 0) == NULL && ydoc_key(&d, m, 0) == NULL);
	CHECK(ydoc_str(m) == NULL && ydoc_str(NULL) == NULL);
	CHECK(ydoc_len(ydoc_get(&d, r, "name")) == 0 && ydoc_len(NULL) == 0);
	CHECK(!ydoc_is_map(NULL) && !ydoc_is_seq(NULL) && !ydoc_is_scalar(NULL) && !ydoc_is_plain(NULL) && !ydoc_is_null(NULL));
	CHECK(ydoc_is_seq(m) && !ydoc_is_map(m) && !ydoc_is_scalar(m));
	CHECK(ydoc_duplicate_key(&d, r) == NULL);
	ydoc_free(&d);
	ydoc_free(&d); /* a second free does nothing */
}

static void duplicate_keys(void)
{
	struct ydoc d;
	CHECK(load(&d, "a: 1\nb: 2\nc:\n  x: 1\n  x: 2\na: 3\n") == 0);
	yaml_node_t *r = ydoc_root(&d);
	yaml_node_t *dup = ydoc_duplicate_key(&d, r);
	CHECK(dup && strcmp(ydoc_str(dup), "a") == 0 && ydoc_line(dup) == 6);
	dup = ydoc_duplicate_key(&d, ydoc_get(&d, r, "c"));
	CHECK(dup && strcmp(ydoc_str(dup), "x") == 0 && ydoc_line(dup) == 5);
	CHECK(ydoc_duplicate_key(&d, ydoc_get(&d, r, "b")) == NULL);
	ydoc_free(&d);
}

static void empty_documents(void)
{
	struct ydoc d;
	CHECK(load(&d, "") == 0 && ydoc_root(&d) == NULL);
	ydoc_free(&d);
	CHECK(load(&d, "# only a comment\n") == 0 && ydoc_root(&d) == NULL);
	ydoc_free(&d);
	/* Only the first of several documents is read. */
	CHECK(load(&d, "a: 1\n---\nb: 2\n") == 0 && ydoc_get(&d, ydoc_root(&d), "a") && !ydoc_get(&d, ydoc_root(&d), "b"));
	ydoc_free(&d);
}

static void parse_errors(void)
{
	struct ydoc d;
	CHECK(load(&d, "a: b: c\n") == -1);
	CHECK_STR(err, strlen(err), "t.yml:1:5: mapping values are not allowed in this context");
	CHECK(load(&d, "a: 1\nb: [1, 2\n") == -1);
	CHECK_STR(err, strlen(err), "t.yml:3:1: did not find expected ',' or ']' while parsing a flow sequence");
	CHECK(load(&d, "a: 1\n\tb: 2\n") == -1);
	CHECK(strncmp(err, "t.yml:2:1: ", 11) == 0);
	CHECK(load(&d, "{\"a\": 1,, }") == -1);
	CHECK(strncmp(err, "t.yml:1:9: ", 11) == 0);
	ydoc_free(&d); /* after a failed load: nothing to free, no crash */
}

static void from_files(void)
{
	char path[256];
	snprintf(path, sizeof path, "%s/test_ydoc_%ld.yml", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	FILE *f = fopen(path, "w");
	CHECK(f && fputs("vars:\n  start: 2026-11-01\n  n: 0x10\n", f) != EOF && fclose(f) == 0);
	struct ydoc d;
	CHECK(ydoc_load(&d, path, err, sizeof err) == 0);
	yaml_node_t *v = ydoc_get(&d, ydoc_root(&d), "vars");
	bool b;
	double num;
	CHECK(ydoc_yaml11(ydoc_get(&d, v, "n"), &b, &num) == YK_INT && num == 16);
	CHECK(strcmp(ydoc_str(ydoc_get(&d, v, "start")), "2026-11-01") == 0);
	CHECK(ydoc_line(ydoc_get(&d, v, "n")) == 3);
	ydoc_free(&d);
	unlink(path);
	char want[300];
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	CHECK(ydoc_load(&d, path, err, sizeof err) == -1);
	CHECK_STR(err, strlen(err), want);
}

int main(void)
{
	RUN(yaml11_scalars);
	RUN(yaml11_floats_as_pyyaml_edge_cases);
	RUN(quoted_are_strings);
	RUN(json_is_yaml);
	RUN(accessors_and_lines);
	RUN(duplicate_keys);
	RUN(empty_documents);
	RUN(parse_errors);
	RUN(from_files);
	return UNIT_END();
}
