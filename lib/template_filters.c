/* SPDX-License-Identifier: MIT
 * Jinja2's filters (x|name(args)) and tests (x is name arg), with the
 * meaning Jinja2 and Python give them; the list is in template_builtins.c.
 * Sorting is stable and, as in Jinja2, ignores case unless told not to. */
#include "template.h"
#include "template_int.h"
#include "buf.h"
#include "xalloc.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Python's round(x, ndigits): correctly rounded, halves to even. */
static double py_round(double x, int digits)
{
	char buf[400];
	if (!isfinite(x))
		return x;
	if (digits < 0) {
		double p = pow(10, -digits);
		return nearbyint(x / p) * p;
	}
	snprintf(buf, sizeof buf, "%.*f", digits > 300 ? 300 : digits, x);
	return strtod(buf, NULL);
}

/* Python's int(s) / float(s) of a string, or false. */
static bool parse_number(const struct tval *s, bool integer, double *out)
{
	char buf[128];
	if (s->n == 0 || s->n >= sizeof buf)
		return false;
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->s[i] != '_')
			buf[k++] = s->s[i];
	buf[k] = '\0';
	char *b = buf, *end;
	while (tb_is_space(*b))
		b++;
	if (integer) {
		long long v = strtoll(b, &end, 10);
		if (end == b)
			return false;
		*out = (double)v;
	} else {
		*out = strtod(b, &end);
		if (end == b)
			return false;
	}
	while (tb_is_space(*end))
		end++;
	return *end == '\0';
}

/* Stable merge sort of values by key, for sort. */
struct sortctx {
	struct tmpl_render *r;
	int line;
	bool fold, failed;
};

static int cmp_items(struct sortctx *c, const struct tval *a, const struct tval *b)
{
	int x = 0;
	if (!c->failed && tval_compare(c->r, c->line, a, b, c->fold, &x))
		c->failed = true;
	return x;
}

static void merge_sort(struct sortctx *c, struct tval *keys, size_t *ix, size_t *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	merge_sort(c, keys, ix, tmp, h);
	merge_sort(c, keys, ix + h, tmp, n - h);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = cmp_items(c, &keys[ix[j]], &keys[ix[i]]) < 0 ? ix[j++] : ix[i++];
	while (i < h)
		tmp[k++] = ix[i++];
	while (j < n)
		tmp[k++] = ix[j++];
	memcpy(ix, tmp, n * sizeof *ix);
}

static int do_sort(struct tmpl_render *r, int line, const struct tval *list, bool reverse, bool fold,
		   const char *attr, struct tval *out)
{
	size_t n = list->n;
	struct tval *keys = tval_alloc(r, n);
	size_t *ix = xmalloc((n + 1) * sizeof *ix), *tmp = xmalloc((n + 1) * sizeof *tmp);
	for (size_t i = 0; i < n; i++) {
		keys[i] = attr ? tb_get_attr(&list->items[i], attr) : list->items[i];
		ix[i] = i;
	}
	struct sortctx c = { r, line, fold, false };
	merge_sort(&c, keys, ix, tmp, n);
	*out = tval_list(r, n, true);
	for (size_t i = 0; i < n; i++)
		out->items[i] = list->items[ix[reverse ? n - 1 - i : i]];
	if (reverse) {
		/* Python's reverse=True keeps equal items in their order */
		size_t i = 0;
		while (i < n) {
			size_t j = i + 1;
			while (j < n && cmp_items(&c, &keys[ix[n - 1 - i]], &keys[ix[n - 1 - j]]) == 0)
				j++;
			for (size_t a = i, b = j - 1; a < b; a++, b--) {
				struct tval t = out->items[a];
				out->items[a] = out->items[b];
				out->items[b] = t;
			}
			i = j;
		}
	}
	free(ix);
	free(tmp);
	return c.failed ? -1 : 0;
}


int tbuiltin_test(struct tmpl_render *r, int line, const char *name, const struct tval *x,
		  const struct targs *a, bool *out)
{
	const struct tval *y = tb_arg(a, 0, NULL);
	bool num = x->kind == TV_NUM;
	if (!strcmp(name, "defined")) *out = x->kind != TV_UNDEF;
	else if (!strcmp(name, "undefined")) *out = x->kind == TV_UNDEF;
	else if (!strcmp(name, "none")) *out = x->kind == TV_NONE;
	else if (!strcmp(name, "string")) *out = x->kind == TV_STR;
	else if (!strcmp(name, "number")) *out = num || x->kind == TV_BOOL;
	else if (!strcmp(name, "integer")) *out = num && !x->real;
	else if (!strcmp(name, "float")) *out = num && x->real;
	else if (!strcmp(name, "boolean")) *out = x->kind == TV_BOOL;
	else if (!strcmp(name, "true")) *out = x->kind == TV_BOOL && x->b;
	else if (!strcmp(name, "false")) *out = x->kind == TV_BOOL && !x->b;
	else if (!strcmp(name, "mapping")) *out = x->kind == TV_DICT || (x->kind == TV_STR && x->nattr); /* a relation is one in dbt */
	else if (!strcmp(name, "iterable") || !strcmp(name, "sequence"))
		*out = x->kind == TV_STR || x->kind == TV_LIST || x->kind == TV_DICT || tval_lenient(r, x);
	else if (!strcmp(name, "callable")) *out = x->kind == TV_FUNC;
	else if (!strcmp(name, "lower") || !strcmp(name, "upper")) {
		if (x->kind != TV_STR)
			return tb_need(r, line, name, x, TV_STR);
		bool up = name[0] == 'u', any = false, ok = true;
		for (size_t i = 0; i < x->n; i++) {
			char c = x->s[i];
			any |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
			if ((up && c >= 'a' && c <= 'z') || (!up && c >= 'A' && c <= 'Z'))
				ok = false;
		}
		*out = any && ok;
	} else if (!strcmp(name, "even") || !strcmp(name, "odd") || !strcmp(name, "divisibleby")) {
		if (!tb_number_like(x) || (name[0] == 'd' && (!y || !tb_number_like(y) || tb_num_of(y) == 0))) {
			tmpl_fail(r, line, "test '%s' needs numbers", name);
			return -1;
		}
		double m = name[0] == 'd' ? tb_num_of(y) : 2;
		bool zero = fmod(tb_num_of(x), m) == 0;
		*out = name[0] == 'o' ? !zero : zero;
	} else if (!strcmp(name, "sameas")) {
		if (!y)
			return tmpl_fail(r, line, "test 'sameas' needs a value"), -1;
		*out = x->kind == y->kind && (x->kind == TV_NONE || (x->kind == TV_BOOL && x->b == y->b) ||
					      ((x->kind == TV_LIST || x->kind == TV_DICT) && x->box && x->box == y->box));
	} else if (!strcmp(name, "in")) {
		if (!y)
			return tmpl_fail(r, line, "test 'in' needs a value"), -1;
		bool res = false;
		if (y->kind == TV_LIST)
			for (size_t i = 0; i < y->n && !res; i++)
				res = tval_equal(x, &y->items[i]);
		else if (y->kind == TV_DICT && x->kind == TV_STR)
			res = tval_get(y, x->s) != NULL;
		else if (y->kind == TV_STR && x->kind == TV_STR)
			for (size_t i = 0; i + x->n <= y->n && !res; i++)
				res = memcmp(y->s + i, x->s, x->n) == 0;
		*out = res;
	} else {
		static const char *const cmps[][3] = {
			{ "eq", "equalto", "==" }, { "ne", "!=", "" }, { "lt", "lessthan", "<" },
			{ "le", "<=", "" }, { "gt", "greaterthan", ">" }, { "ge", ">=", "" },
		};
		int which = -1;
		for (int i = 0; i < 6 && which < 0; i++)
			for (int k = 0; k < 3; k++)
				if (cmps[i][k][0] && !strcmp(name, cmps[i][k]))
					which = i;
		if (which < 0)
			return 1;
		if (!y)
			return tmpl_fail(r, line, "test '%s' needs a value", name), -1;
		if (which < 2) {
			*out = tval_equal(x, y) == (which == 0);
			return 0;
		}
		int c;
		if (tval_compare(r, line, x, y, false, &c))
			return -1;
		*out = which == 2 ? c < 0 : which == 3 ? c <= 0 : which == 4 ? c > 0 : c >= 0;
	}
	return 0;
}

/* The items map, select and reject go through: none for a false value
 * (none, an empty string), as Jinja's generators test `if value:` before
 * they iterate. */
static int lazy_list(struct tmpl_render *r, int line, const char *what, const struct tval *x, struct tval *out)
{
	if (!tval_truthy(x) && x->kind != TV_UNDEF) {
		*out = tval_list(r, 0, true);
		return 0;
	}
	return tb_as_list(r, line, what, x, out);
}

/* select, reject, selectattr, rejectattr */
static int filter_select(struct tmpl_render *r, int line, const char *name, const struct tval *x,
			 const struct targs *a, struct tval *out)
{
	struct tval l;
	if (lazy_list(r, line, name, x, &l))
		return -1;
	bool attr = strstr(name, "attr") != NULL, keep = name[0] == 's';
	size_t first = attr ? 1 : 0;
	const struct tval *an = attr ? tb_arg(a, 0, NULL) : NULL;
	if (attr && tb_need(r, line, name, an, TV_STR))
		return -1;
	const struct tval *tn = tb_arg(a, first, NULL);
	if (tn && tb_need(r, line, name, tn, TV_STR))
		return -1;
	struct targs rest = { a->n > first + 1 ? a->n - first - 1 : 0, a->n > first + 1 ? a->v + first + 1 : NULL,
			      a->nkw, a->kwnames, a->kw };
	*out = tval_list(r, l.n, true);
	out->n = out->box->n = 0;
	for (size_t i = 0; i < l.n; i++) {
		struct tval v = attr ? tb_get_attr(&l.items[i], an->s) : l.items[i];
		bool res;
		if (tn) {
			int rc = tbuiltin_test(r, line, tn->s, &v, &rest, &res);
			if (rc == 1)
				return tmpl_fail(r, line, "%s: no test named '%s'", name, tn->s), -1;
			if (rc)
				return -1;
		} else {
			res = tval_truthy(&v);
		}
		if (res == keep)
			tbox_push(r, out, l.items[i]);
	}
	return 0;
}

static int filter_map(struct tmpl_render *r, int line, const struct tval *x, const struct targs *a, struct tval *out)
{
	struct tval l;
	if (lazy_list(r, line, "map", x, &l))
		return -1;
	const struct tval *attr = tb_arg(a, SIZE_MAX, "attribute"), *dflt = tb_arg(a, SIZE_MAX, "default");
	const struct tval *fname = a->n ? &a->v[0] : NULL;
	if (!attr && tb_need(r, line, "map", fname, TV_STR))
		return -1;
	struct targs rest = { a->n ? a->n - 1 : 0, a->n ? a->v + 1 : NULL, attr ? 0 : a->nkw, a->kwnames, a->kw };
	*out = tval_list(r, l.n, true);
	for (size_t i = 0; i < l.n; i++) {
		if (attr) {
			/* an integer is an index, as Jinja's attribute=0 */
			char idx[32];
			const char *path = attr->kind == TV_NUM && !attr->real ? idx : NULL;
			if (path)
				snprintf(idx, sizeof idx, "%.0f", attr->num);
			else if (tb_need(r, line, "map(attribute=)", attr, TV_STR))
				return -1;
			out->items[i] = tb_get_attr(&l.items[i], path ? path : attr->s);
			if (out->items[i].kind == TV_UNDEF && dflt)
				out->items[i] = *dflt;
			continue;
		}
		int rc = tdbt_filter(r, line, fname->s, &l.items[i], &rest, &out->items[i]);
		if (rc == 1)
			rc = tbuiltin_filter(r, line, fname->s, &l.items[i], &rest, &out->items[i]);
		if (rc == 1)
			return tmpl_fail(r, line, "map: no filter named '%s'", fname->s), -1;
		if (rc)
			return -1;
	}
	return 0;
}

static int filter_indent(struct tmpl_render *r, const struct tval *x, const struct targs *a, struct tval *out)
{
	struct tval s = tb_str_of(r, x);
	const struct tval *w = tb_arg(a, 0, "width");
	bool first = tb_arg_bool(a, 1, "first", false), blank = tb_arg_bool(a, 2, "blank", false);
	struct buf pad = { 0 };
	if (w && w->kind == TV_STR)
		buf_add(&pad, w->s, w->n);
	else
		for (int i = 0; i < (w ? (int)tb_num_of(w) : 4); i++)
			buf_add(&pad, " ", 1);
	struct buf b = { 0 };
	size_t i = 0;
	bool line_start = true;
	for (; i < s.n; i++) {
		if (line_start) {
			bool empty = s.s[i] == '\n';
			if ((i > 0 || first) && (blank || !empty))
				buf_add(&b, pad.data, pad.len);
			line_start = false;
		}
		buf_add(&b, s.s + i, 1);
		if (s.s[i] == '\n')
			line_start = true;
	}
	if (line_start && s.n > 0 && blank)
		buf_add(&b, pad.data, pad.len);
	if (s.n == 0 && first)
		buf_add(&b, pad.data, pad.len);
	buf_free(&pad);
	*out = tb_from_buf(r, &b);
	return 0;
}

static int filter_list_of(struct tmpl_render *r, int line, const char *name, const struct tval *x, struct tval *out)
{
	return tb_as_list(r, line, name, x, out);
}

/* What Jinja's undefined is to filter name: the empty string to the string
 * filters, an empty sequence to those that iterate (Undefined is both in
 * Jinja). False for the others (int, round, tojson, indent, ...), which
 * fail on it in Jinja too, and for an undefined value that is not lenient. */
static bool undefined_as(struct tmpl_render *r, const char *name, const struct tval *x, struct tval *out)
{
	static const char *const as_string[] = { "string", "trim", "lower", "upper", "capitalize", "title",
						 "replace", NULL };
	static const char *const as_list[] = { "length", "count", "list", "first", "last", "join", "unique",
					       "sort", "map", "select", "reject", "selectattr", "rejectattr",
					       "sum", "min", "max", NULL };
	if (!tval_lenient(r, x))
		return false;
	if (tb_listed(as_string, name))
		*out = tval_str(r, "", 0);
	else if (tb_listed(as_list, name))
		*out = tval_list(r, 0, true);
	else if (!strcmp(name, "items"))
		*out = tval_dict(r, 0, true);
	else
		return false;
	return true;
}

int tbuiltin_filter(struct tmpl_render *r, int line, const char *name, const struct tval *x,
		    const struct targs *a, struct tval *out)
{
	const struct tval *a0 = tb_arg(a, 0, NULL);
	if (!strcmp(name, "default") || !strcmp(name, "d")) {
		const struct tval *d = tb_arg(a, 0, "default_value");
		bool boolean = tb_arg_bool(a, 1, "boolean", false);
		if (x->kind == TV_UNDEF || (boolean && !tval_truthy(x)))
			*out = d ? *d : tval_str(r, "", 0);
		else
			*out = *x;
		return 0;
	}
	struct tval empty;
	if (x->kind == TV_UNDEF) {
		if (!undefined_as(r, name, x, &empty)) {
			tmpl_fail(r, line, "%s", x->s);
			return -1;
		}
		x = &empty;
	}
	if (!strcmp(name, "string")) {
		*out = tb_str_of(r, x);
	} else if (!strcmp(name, "trim")) {
		struct tval s = tb_str_of(r, x);
		*out = tb_strip(r, &s, tb_arg(a, 0, "chars"), 3);
	} else if (!strcmp(name, "lower") || !strcmp(name, "upper") || !strcmp(name, "capitalize") ||
		   !strcmp(name, "title")) {
		struct tval s = tb_str_of(r, x);
		*out = tb_change_case(r, &s, name[0] == 'l' ? 0 : name[0] == 'u' ? 1 : name[0] == 'c' ? 2 : 3);
	} else if (!strcmp(name, "replace")) {
		struct tval s = tb_str_of(r, x);
		const struct tval *o = tb_arg(a, 0, "old"), *n = tb_arg(a, 1, "new"), *c = tb_arg(a, 2, "count");
		if (tb_need(r, line, "replace", o, TV_STR) || tb_need(r, line, "replace", n, TV_STR))
			return -1;
		*out = tb_replace(r, &s, o, n, c && c->kind == TV_NUM ? (long)c->num : -1);
	} else if (!strcmp(name, "length") || !strcmp(name, "count")) {
		if (x->kind == TV_STR) {
			size_t n = 0;
			for (size_t i = 0; i < x->n; i++)
				n += ((unsigned char)x->s[i] & 0xc0) != 0x80;
			*out = tval_num((double)n, false);
		} else if (x->kind == TV_LIST || x->kind == TV_DICT) {
			*out = tval_num((double)x->n, false);
		} else {
			return tmpl_fail(r, line, "length of a %s", tval_kind_name(x->kind)), -1;
		}
	} else if (!strcmp(name, "list")) {
		return filter_list_of(r, line, name, x, out);
	} else if (!strcmp(name, "first") || !strcmp(name, "last")) {
		struct tval l;
		if (tb_as_list(r, line, name, x, &l))
			return -1;
		if (!l.n)
			*out = tval_undefined("first/last of an empty sequence");
		else
			*out = l.items[name[0] == 'f' ? 0 : l.n - 1];
	} else if (!strcmp(name, "join")) {
		struct tval l, sep = { .kind = TV_STR, .s = "", .n = 0 };
		const struct tval *d = tb_arg(a, 0, "d"), *attr = tb_arg(a, 1, "attribute");
		if (tb_as_list(r, line, name, x, &l))
			return -1;
		if (d)
			sep = tb_str_of(r, d);
		struct buf b = { 0 };
		for (size_t i = 0; i < l.n; i++) {
			if (i)
				buf_add(&b, sep.s, sep.n);
			struct tval it = attr && attr->kind == TV_STR ? tb_get_attr(&l.items[i], attr->s) : l.items[i];
			tval_print(&b, &it, false);
		}
		*out = tb_from_buf(r, &b);
	} else if (!strcmp(name, "unique")) {
		struct tval l;
		bool fold = !tb_arg_bool(a, 0, "case_sensitive", false);
		const struct tval *attr = tb_arg(a, 1, "attribute");
		if (tb_as_list(r, line, name, x, &l))
			return -1;
		*out = tval_list(r, l.n, true);
		out->n = out->box->n = 0;
		for (size_t i = 0; i < l.n; i++) {
			struct tval k = attr && attr->kind == TV_STR ? tb_get_attr(&l.items[i], attr->s) : l.items[i];
			bool seen = false;
			for (size_t j = 0; j < out->n && !seen; j++) {
				struct tval o = attr && attr->kind == TV_STR ? tb_get_attr(&out->items[j], attr->s) : out->items[j];
				int c = 1;
				if (fold && k.kind == TV_STR && o.kind == TV_STR)
					tval_compare(r, line, &k, &o, true, &c), seen = c == 0;
				else
					seen = tval_equal(&k, &o);
			}
			if (!seen)
				tbox_push(r, out, l.items[i]);
		}
	} else if (!strcmp(name, "sort")) {
		struct tval l;
		const struct tval *attr = tb_arg(a, 2, "attribute");
		if (tb_as_list(r, line, name, x, &l))
			return -1;
		return do_sort(r, line, &l, tb_arg_bool(a, 0, "reverse", false), !tb_arg_bool(a, 1, "case_sensitive", false),
			       attr && attr->kind == TV_STR ? attr->s : NULL, out);
	} else if (!strcmp(name, "reverse")) {
		if (x->kind == TV_STR) {
			*out = tval_str(r, x->s, x->n);
			char *p = (char *)out->s;
			for (size_t i = 0; i < x->n / 2; i++) {
				char t = p[i];
				p[i] = p[x->n - 1 - i];
				p[x->n - 1 - i] = t;
			}
			return 0;
		}
		struct tval l;
		if (tb_as_list(r, line, name, x, &l))
			return -1;
		*out = tval_list(r, l.n, true);
		for (size_t i = 0; i < l.n; i++)
			out->items[i] = l.items[l.n - 1 - i];
	} else if (!strcmp(name, "map")) {
		return filter_map(r, line, x, a, out);
	} else if (!strcmp(name, "select") || !strcmp(name, "reject") || !strcmp(name, "selectattr") ||
		   !strcmp(name, "rejectattr")) {
		return filter_select(r, line, name, x, a, out);
	} else if (!strcmp(name, "round")) {
		const struct tval *p = tb_arg(a, 0, "precision"), *m = tb_arg(a, 1, "method");
		if (!tb_number_like(x))
			return tb_need(r, line, "round", x, TV_NUM);
		int digits = p && tb_number_like(p) ? (int)tb_num_of(p) : 0;
		double v = tb_num_of(x), f = pow(10, digits);
		if (!m || (m->kind == TV_STR && !strcmp(m->s, "common")))
			v = py_round(v, digits);
		else if (m->kind == TV_STR && !strcmp(m->s, "ceil"))
			v = ceil(v * f) / f;
		else if (m->kind == TV_STR && !strcmp(m->s, "floor"))
			v = floor(v * f) / f;
		else
			return tmpl_fail(r, line, "round: method must be common, ceil or floor"), -1;
		/* Python: round() of an int stays an int */
		*out = tval_num(v, x->real);
	} else if (!strcmp(name, "int") || !strcmp(name, "float")) {
		bool integer = name[0] == 'i';
		const struct tval *d = tb_arg(a, 0, "default");
		double v;
		bool ok = true;
		if (tb_number_like(x))
			v = tb_num_of(x);
		else if (x->kind == TV_STR)
			ok = parse_number(x, false, &v);
		else
			ok = false;
		if (!ok) {
			*out = d ? *d : tval_num(0, !integer);
			return 0;
		}
		*out = tval_num(integer ? trunc(v) : v, !integer);
	} else if (!strcmp(name, "abs")) {
		if (!tb_number_like(x))
			return tb_need(r, line, "abs", x, TV_NUM);
		*out = tval_num(fabs(tb_num_of(x)), x->real);
	} else if (!strcmp(name, "sum") || !strcmp(name, "min") || !strcmp(name, "max")) {
		struct tval l;
		if (tb_as_list(r, line, name, x, &l))
			return -1;
		const struct tval *attr = tb_arg(a, name[1] == 'u' ? 0 : 1, "attribute");
		if (name[1] == 'u') {
			const struct tval *start = tb_arg(a, 1, "start");
			double s = start ? tb_num_of(start) : 0;
			bool real = start && start->real;
			for (size_t i = 0; i < l.n; i++) {
				struct tval it = attr && attr->kind == TV_STR ? tb_get_attr(&l.items[i], attr->s) : l.items[i];
				if (!tb_number_like(&it))
					return tb_need(r, line, "sum", &it, TV_NUM);
				s += tb_num_of(&it);
				real |= it.real;
			}
			*out = tval_num(s, real);
			return 0;
		}
		bool fold = !tb_arg_bool(a, 0, "case_sensitive", false);
		if (!l.n) {
			*out = tval_undefined("min/max of an empty sequence");
			return 0;
		}
		size_t best = 0;
		for (size_t i = 1; i < l.n; i++) {
			struct tval p = attr && attr->kind == TV_STR ? tb_get_attr(&l.items[i], attr->s) : l.items[i];
			struct tval q = attr && attr->kind == TV_STR ? tb_get_attr(&l.items[best], attr->s) : l.items[best];
			int c;
			if (tval_compare(r, line, &p, &q, fold, &c))
				return -1;
			if (name[1] == 'i' ? c < 0 : c > 0)
				best = i;
		}
		*out = l.items[best];
	} else if (!strcmp(name, "items")) {
		if (tb_need(r, line, "items", x, TV_DICT))
			return -1;
		struct targs none = { 0 };
		struct tval d = *x;
		return tbuiltin_method(r, line, &d, "items", &none, out);
	} else if (!strcmp(name, "tojson")) {
		struct buf b = { 0 };
		tval_json(&b, x);
		*out = tb_from_buf(r, &b);
	} else if (!strcmp(name, "indent")) {
		return filter_indent(r, x, a, out);
	} else {
		(void)a0;
		return 1;
	}
	return 0;
}
