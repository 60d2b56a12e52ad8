/* SPDX-License-Identifier: MIT
 * The names of dqcheck's tests, made as dbt makes them, so that a test is
 * called the same in dqcheck's report, in --select and in the table its
 * stored failures go to as it is in dbt: a generic test's generated name
 * (its type, its target and its arguments as Python shows them, cut to
 * [0-9a-zA-Z_] and shortened with an md5 at 64 characters or more), and a
 * suffix that keeps two tests of one run from sharing a name. The yml
 * values in a name, and those var() returns, are written as Python's str()
 * shows what dbt read. See collect.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "collect.h"
#include "dqcheck.h"
#include "exitcode.h"
#include "log.h"
#include "template.h"
#include "ydoc.h"
#include "xalloc.h"

/* ---- yml values as dbt shows them ---- */

/* What Python's str() shows for a yml scalar as dbt reads it (YAML 1.1:
 * yes is True, 1_000 is 1000, 1.50 is 1.5). */
char *dq_py_scalar(const yaml_node_t *v, bool *is_str)
{
	bool b;
	double num;
	enum ydoc_kind k = ydoc_yaml11(v, &b, &num);
	*is_str = k == YK_STR;
	switch (k) {
	case YK_NULL:
		return xstrdup("None");
	case YK_BOOL:
		return xstrdup(b ? "True" : "False");
	case YK_INT:
		return xasprintf("%.0f", num);
	case YK_FLOAT: {
		char f[48];
		tmpl_float_repr(f, sizeof f, num);
		return xstrdup(f);
	}
	default:
		return xstrdup(ydoc_str(v));
	}
}

/* ---- names ---- */

/* dbt's rule for generated names: each run of other characters becomes
 * one underscore. Malloc'd. */
char *dq_sanitize(const char *s)
{
	char *out = xrealloc(NULL, strlen(s) + 1), *o = out;
	bool in_run = false;
	for (; *s; s++) {
		if (isalnum((unsigned char)*s) || *s == '_') {
			*o++ = *s;
			in_run = false;
		} else if (!in_run) {
			*o++ = '_';
			in_run = true;
		}
	}
	*o = '\0';
	return out;
}

void dq_set_unique_name(struct ctx *c, struct dq_test *t, char *name)
{
	char *base = name;
	for (unsigned k = 2;; k++) {
		bool taken = false;
		for (size_t i = 0; i < c->s->ntests && !taken; i++)
			taken = !strcmp(c->s->tests[i].name, name);
		if (!taken)
			break;
		if (name != base)
			free(name);
		name = xasprintf("%s_%u", base, k);
	}
	if (name != base)
		free(base);
	t->name = name;
}

/* ---- dbt's generated test names ---- */

/* Python's repr() of a value inside a list or mapping: strings quoted. */
static char *py_repr(struct ydoc *d, yaml_node_t *v);

static char *py_join(struct ydoc *d, yaml_node_t *v, const char *open, const char *close)
{
	char *out = xstrdup(open);
	for (size_t i = 0; i < ydoc_len(v); i++) {
		char *key = ydoc_is_map(v) ? py_repr(d, ydoc_key(d, v, i)) : NULL;
		char *item = py_repr(d, ydoc_is_map(v) ? ydoc_value(d, v, i) : ydoc_item(d, v, i));
		char *n = xasprintf("%s%s%s%s%s", out, i ? ", " : "", key ? key : "", key ? ": " : "", item);
		free(key);
		free(item);
		free(out);
		out = n;
	}
	char *n = xasprintf("%s%s", out, close);
	free(out);
	return n;
}

static char *py_repr(struct ydoc *d, yaml_node_t *v)
{
	if (ydoc_is_seq(v))
		return py_join(d, v, "[", "]");
	if (ydoc_is_map(v))
		return py_join(d, v, "{", "}");
	bool is_str;
	char *s = dq_py_scalar(v, &is_str);
	if (is_str) {
		char *q = xasprintf("'%s'", s);
		free(s);
		return q;
	}
	return s;
}

/* A test's argument for its name: a yml value, or text (the column). */
struct named_arg {
	const char *key;
	yaml_node_t *val;
	const char *text;
};

static int cmp_arg_keys(const void *a, const void *b)
{
	return strcmp(((const struct named_arg *)a)->key, ((const struct named_arg *)b)->key);
}

/* The md5 of s in hex, as dbt puts in a shortened name. */
static void md5_hex(const char *s, char out[33])
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (!EVP_Digest(s, strlen(s), sum, &len, EVP_md5(), NULL) || len != 16)
		die(EXIT_OPER, "cannot compute an md5 digest"); /* of a string in memory: only out of memory */
	for (unsigned i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", sum[i]);
}

/* dbt's name for a generic test: "<test>_<target>_" and every argument
 * (the column first among them as column_name), sorted by name, lists and
 * mappings flattened to their values, each shown as Python shows it and
 * cut to [0-9a-zA-Z_] runs, joined with "__": not_null_orders_id,
 * accepted_values_orders_status__a__b, source_not_null_raw_sales_id,
 * dbt_utils_expression_is_true_orders_amount_0. A name of 64 characters
 * or more becomes its first 30 and the md5 of the whole (the alias dbt
 * gives its compiled file and its failures table), and the whole is kept
 * in *full: dbt ls prints it and --select matches it. */
char *dq_test_name(struct ydoc *d, const char *type, bool on_source, const char *target,
		   const char *column, struct args *a, char **full)
{
	*full = NULL;
	struct named_arg args[33];
	size_t n = 0;
	bool has_column = false;
	for (size_t i = 0; i < a->n; i++) {
		has_column |= !strcmp(a->keys[i], "column_name");
		if (strcmp(a->keys[i], "model") != 0)
			args[n++] = (struct named_arg){ a->keys[i], a->vals[i], NULL };
	}
	if (column && !has_column) /* dbt passes the column as column_name */
		args[n++] = (struct named_arg){ "column_name", NULL, column };
	qsort(args, n, sizeof args[0], cmp_arg_keys);
	char *ident = xasprintf("%s%s_%s", on_source ? "source_" : "", type, target);
	for (char *q = ident; *q; q++)
		if (*q == '.') /* the namespace of dbt_utils.x */
			*q = '_';
	char *name = xasprintf("%s_", ident);
	size_t parts = 0;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *v = args[i].val;
		size_t m = ydoc_is_seq(v) || ydoc_is_map(v) ? ydoc_len(v) : 1;
		for (size_t j = 0; j < m; j++) {
			yaml_node_t *part = ydoc_is_seq(v) ? ydoc_item(d, v, j) : ydoc_is_map(v) ? ydoc_value(d, v, j) : v;
			char *text = args[i].text ? xstrdup(args[i].text) :
				     ydoc_is_scalar(part) ? dq_py_scalar(part, &(bool){ false }) : py_repr(d, part);
			char *clean = dq_sanitize(text);
			char *nn = xasprintf("%s%s%s", name, parts++ ? "__" : "", clean);
			free(text);
			free(clean);
			free(name);
			name = nn;
		}
	}
	if (strlen(name) >= 64) {
		char sum[33];
		md5_hex(name, sum);
		size_t cut = 0, chars = 0; /* 30 characters, not bytes */
		while (ident[cut] && chars < 30)
			if (((unsigned char)ident[++cut] & 0xC0) != 0x80)
				chars++;
		*full = name;
		name = xasprintf("%.*s_%s", (int)cut, ident, sum);
	}
	free(ident);
	return name;
}

/* ---- dbt's unique_id ---- */

/* Python's repr() of the string s: in single quotes, or double ones when
 * s holds a single quote and no double one; backslashes, the quote and
 * control characters escaped as Python escapes them. */
static void py_str_repr(struct buf *b, const char *s)
{
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
	buf_addc(b, q);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\' || c == (unsigned char)q) {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c == '\n') {
			buf_adds(b, "\\n");
		} else if (c == '\r') {
			buf_adds(b, "\\r");
		} else if (c == '\t') {
			buf_adds(b, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\x%02x", c);
		} else {
			buf_addc(b, (char)c);
		}
	}
	buf_addc(b, q);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* repr() of dbt's "hashable" form of a yml value: mappings with their
 * keys sorted, lists as they are, every scalar as the string str() makes
 * of it. */
static void hashable_repr(struct buf *b, struct ydoc *d, yaml_node_t *v)
{
	if (ydoc_is_seq(v)) {
		buf_addc(b, '[');
		for (size_t i = 0; i < ydoc_len(v); i++) {
			buf_adds(b, i ? ", " : "");
			hashable_repr(b, d, ydoc_item(d, v, i));
		}
		buf_addc(b, ']');
		return;
	}
	if (ydoc_is_map(v)) {
		size_t n = ydoc_len(v);
		char **keys = xcalloc(n + 1, sizeof *keys);
		for (size_t i = 0; i < n; i++)
			keys[i] = dq_py_scalar(ydoc_key(d, v, i), &(bool){ false });
		qsort(keys, n, sizeof *keys, cmp_str);
		buf_addc(b, '{');
		for (size_t i = 0; i < n; i++) {
			buf_adds(b, i ? ", " : "");
			py_str_repr(b, keys[i]);
			buf_adds(b, ": ");
			yaml_node_t *val = NULL;
			for (size_t k = 0; k < n && !val; k++) {
				char *key = dq_py_scalar(ydoc_key(d, v, k), &(bool){ false });
				if (!strcmp(key, keys[i]))
					val = ydoc_value(d, v, k);
				free(key);
			}
			hashable_repr(b, d, val);
		}
		buf_addc(b, '}');
		for (size_t i = 0; i < n; i++)
			free(keys[i]);
		free(keys);
		return;
	}
	char *text = dq_py_scalar(v, &(bool){ false });
	py_str_repr(b, text);
	free(text);
}

char *dq_unique_id(struct ydoc *d, const char *project, const char *type, const char *name, const char *model,
		   const char *column, struct args *a)
{
	/* the test's metadata as dbt keeps it: {kwargs: {arguments...,
	 * column_name, model}, name, namespace}, keys in order */
	struct named_arg args[34];
	size_t n = 0;
	bool has_column = false;
	for (size_t i = 0; i < a->n && n < 32; i++) {
		has_column |= !strcmp(a->keys[i], "column_name");
		if (strcmp(a->keys[i], "model") != 0)
			args[n++] = (struct named_arg){ a->keys[i], a->vals[i], NULL };
	}
	if (column && !has_column)
		args[n++] = (struct named_arg){ "column_name", NULL, column };
	args[n++] = (struct named_arg){ "model", NULL, model };
	qsort(args, n, sizeof args[0], cmp_arg_keys);
	struct buf b = { 0 };
	buf_adds(&b, name);
	buf_adds(&b, "{'kwargs': {");
	for (size_t i = 0; i < n; i++) {
		buf_adds(&b, i ? ", " : "");
		py_str_repr(&b, args[i].key);
		buf_adds(&b, ": ");
		if (args[i].text)
			py_str_repr(&b, args[i].text);
		else
			hashable_repr(&b, d, args[i].val);
	}
	const char *dot = strrchr(type, '.');
	buf_adds(&b, "}, 'name': ");
	py_str_repr(&b, dot ? dot + 1 : type);
	buf_adds(&b, ", 'namespace': ");
	if (dot) {
		char *ns = xasprintf("%.*s", (int)(dot - type), type);
		py_str_repr(&b, ns);
		free(ns);
	} else {
		buf_adds(&b, "'None'");
	}
	buf_addc(&b, '}');
	char sum[33];
	md5_hex(buf_str(&b), sum);
	buf_free(&b);
	return xasprintf("test.%s.%s.%s", project, name, sum + 22);
}
