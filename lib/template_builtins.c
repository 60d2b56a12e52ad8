/* SPDX-License-Identifier: MIT
 * What the built-ins share: arguments, strings, lists, and the names of the
 * filters and tests, which the parser checks. The built-ins themselves are
 * Jinja2's filters and tests (template_filters.c), and the methods of
 * strings, lists and dicts that dbt projects call with the globals range(),
 * namespace() and dict() (template_methods.c), each with the meaning Jinja2
 * (and Python under it) gives it.
 *
 * Filters: abs, capitalize, count, d, default, first, float, indent, int,
 * items, join, last, length, list, lower, map, max, min, reject, rejectattr,
 * replace, reverse, round, select, selectattr, sort, string, sum, title,
 * tojson, trim, unique, upper (and dbt's as_bool, as_number, as_text in
 * template.c).
 * Tests: boolean, callable, defined, divisibleby, eq, equalto, even, false,
 * float, ge, gt, in, integer, iterable, le, lower, lt, mapping, ne, none,
 * number, odd, sameas, sequence, string, true, undefined, upper, and the
 * operators ==, !=, <, <=, >, >=.
 * Strings are handled byte by byte: lower, upper and the like change ASCII
 * letters only, and length counts UTF-8 characters. */
#include "template.h"
#include "template_int.h"
#include "buf.h"
#include "xalloc.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The i-th positional argument or the keyword argument name, or NULL. */
const struct tval *tb_arg(const struct targs *a, size_t i, const char *name)
{
	if (i < a->n)
		return &a->v[i];
	for (size_t k = 0; name && k < a->nkw; k++)
		if (strcmp(a->kwnames[k], name) == 0)
			return &a->kw[k];
	return NULL;
}

const struct tval *tmpl_call_arg(const struct tmpl_call *c, size_t i, const char *kw)
{
	struct targs a = { c->nargs, c->args, c->nkw, c->kwnames, c->kwargs };
	return tb_arg(&a, i, kw);
}

bool tb_arg_bool(const struct targs *a, size_t i, const char *name, bool dflt)
{
	const struct tval *v = tb_arg(a, i, name);
	return v ? tval_truthy(v) : dflt;
}

struct tval tb_str_of(struct tmpl_render *r, const struct tval *v)
{
	return tval_as_string(r, v);
}

struct tval tb_from_buf(struct tmpl_render *r, struct buf *b)
{
	struct tval v = tval_str(r, b->data ? b->data : "", b->len);
	buf_free(b);
	return v;
}

int tb_need(struct tmpl_render *r, int line, const char *what, const struct tval *v, enum tval_kind k)
{
	if (v && v->kind == k)
		return 0;
	tmpl_fail(r, line, "%s needs a %s, not a %s", what, tval_kind_name(k), v ? tval_kind_name(v->kind) : "nothing");
	return -1;
}

bool tb_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Python's str.strip family: which 1 left, 2 right, 3 both. */
struct tval tb_strip(struct tmpl_render *r, const struct tval *s, const struct tval *chars, int which)
{
	size_t b = 0, e = s->n;
	const char *set = chars && chars->kind == TV_STR ? chars->s : NULL;
#define STRIPPED(c) (set ? strchr(set, (c)) != NULL && (c) != '\0' : tb_is_space(c))
	if (which & 1)
		while (b < e && STRIPPED(s->s[b]))
			b++;
	if (which & 2)
		while (e > b && STRIPPED(s->s[e - 1]))
			e--;
#undef STRIPPED
	return tval_str(r, s->s + b, e - b);
}

struct tval tb_change_case(struct tmpl_render *r, const struct tval *s, int how)
{
	struct tval v = tval_str(r, s->s, s->n);
	char *p = (char *)v.s;
	bool word_start = true;
	for (size_t i = 0; i < v.n; i++) {
		char c = p[i];
		bool up = how == 1 || ((how == 2 || how == 3) && word_start);
		if (how == 2 && i > 0)
			up = false;
		if (up && c >= 'a' && c <= 'z')
			p[i] = (char)(c - 32);
		else if (!up && c >= 'A' && c <= 'Z')
			p[i] = (char)(c + 32);
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		word_start = !alpha;
	}
	return v;
}

struct tval tb_replace(struct tmpl_render *r, const struct tval *s, const struct tval *old,
			   const struct tval *new, long count)
{
	struct buf b = { 0 };
	size_t i = 0;
	long done = 0;
	while (i <= s->n) {
		if ((count < 0 || done < count) && i + old->n <= s->n && memcmp(s->s + i, old->s, old->n) == 0) {
			buf_add(&b, new->s, new->n);
			done++;
			if (old->n == 0) {
				if (i < s->n)
					buf_add(&b, s->s + i, 1);
				i++;
			} else {
				i += old->n;
			}
		} else {
			if (i < s->n)
				buf_add(&b, s->s + i, 1);
			i++;
		}
	}
	return tb_from_buf(r, &b);
}

/* A list of the items of a list, the keys of a dict, the characters of a
 * string. */
int tb_as_list(struct tmpl_render *r, int line, const char *what, const struct tval *v, struct tval *out)
{
	if (v->kind == TV_LIST) {
		*out = tval_list(r, v->n, true);
		memcpy(out->items, v->items, v->n * sizeof *v->items);
		return 0;
	}
	if (v->kind == TV_DICT || v->kind == TV_STR) {
		*out = tval_list(r, v->n, true);
		for (size_t i = 0; i < v->n; i++)
			out->items[i] = v->kind == TV_DICT ? tval_str(r, v->keys[i], strlen(v->keys[i])) : tval_str(r, v->s + i, 1);
		return 0;
	}
	tmpl_fail(r, line, "%s needs a list, dict or string, not a %s", what, tval_kind_name(v->kind));
	return -1;
}

/* Jinja's attribute getter: "a.b.0" through dicts and lists. */
struct tval tb_get_attr(const struct tval *v, const char *path)
{
	struct tval cur = *v;
	char part[128];
	while (*path) {
		size_t n = strcspn(path, ".");
		snprintf(part, sizeof part, "%.*s", (int)n, path);
		path += n + (path[n] == '.');
		const struct tval *next = NULL;
		char *end;
		long k = strtol(part, &end, 10);
		if (*part && !*end && cur.kind == TV_LIST)
			next = k >= 0 && (size_t)k < cur.n ? &cur.items[k] : NULL;
		else
			next = tval_get(&cur, part);
		if (!next)
			return (struct tval){ .kind = TV_UNDEF, .s = "no such attribute", .n = 17 };
		cur = *next;
	}
	return cur;
}

bool tb_number_like(const struct tval *v)
{
	return v->kind == TV_NUM || v->kind == TV_BOOL;
}

double tb_num_of(const struct tval *v)
{
	return v->kind == TV_BOOL ? v->b : v->num;
}

bool tb_listed(const char *const *names, const char *name)
{
	for (; *names; names++)
		if (!strcmp(*names, name))
			return true;
	return false;
}

static const char *const filters[] = {
	"abs", "capitalize", "count", "d", "default", "first", "float", "indent", "int", "items", "join", "last",
	"length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round",
	"select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "unique", "upper",
	"as_bool", "as_number", "as_text", "as_native", NULL,
};
static const char *const tests[] = {
	"boolean", "callable", "defined", "divisibleby", "eq", "equalto", "even", "false", "float", "ge", "gt",
	"in", "integer", "iterable", "le", "lower", "lt", "mapping", "ne", "none", "number", "odd", "sameas",
	"sequence", "string", "true", "undefined", "upper", "==", "!=", "<", "<=", ">", ">=", "lessthan",
	"greaterthan", NULL,
};

bool tbuiltin_is_filter(const char *name)
{
	return tb_listed(filters, name);
}

bool tbuiltin_is_test(const char *name)
{
	return tb_listed(tests, name);
}

