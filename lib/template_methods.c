/* SPDX-License-Identifier: MIT
 * Methods of strings ('a,b'.split(',')), lists (l.append(x)) and dicts
 * (d.items()), and the globals range(), namespace() and dict(), as Python
 * and Jinja2 define them. Lists and dicts the template made are changed in
 * place through their box, so every name bound to them sees the change. */
#include "template.h"
#include "template_int.h"
#include "buf.h"
#include "xalloc.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* str.format: {} {0} {name}, {{ and }}. */
static int str_format(struct tmpl_render *r, int line, const struct tval *fmt, const struct targs *a, struct tval *out)
{
	struct buf b = { 0 };
	size_t auto_ix = 0;
	for (size_t i = 0; i < fmt->n; i++) {
		char c = fmt->s[i];
		if ((c == '{' || c == '}') && i + 1 < fmt->n && fmt->s[i + 1] == c) {
			buf_add(&b, &c, 1);
			i++;
			continue;
		}
		if (c != '{') {
			buf_add(&b, &c, 1);
			continue;
		}
		const char *close = memchr(fmt->s + i, '}', fmt->n - i);
		if (!close) {
			buf_free(&b);
			return tmpl_fail(r, line, "format: a '{' is never closed"), -1;
		}
		char field[128];
		snprintf(field, sizeof field, "%.*s", (int)(close - fmt->s - i - 1), fmt->s + i + 1);
		if (strpbrk(field, ":!")) {
			buf_free(&b);
			return tmpl_fail(r, line, "format: unsupported construct: format spec '{%s}'", field), -1;
		}
		const struct tval *v;
		char *end;
		long k = strtol(field, &end, 10);
		if (!*field)
			v = tb_arg(a, auto_ix++, NULL);
		else if (!*end)
			v = tb_arg(a, (size_t)k, NULL);
		else
			v = tb_arg(a, SIZE_MAX, field);
		if (!v) {
			buf_free(&b);
			return tmpl_fail(r, line, "format: no argument for '{%s}'", field), -1;
		}
		tval_print(&b, v, false);
		i = (size_t)(close - fmt->s);
	}
	*out = tb_from_buf(r, &b);
	return 0;
}

static int str_split(struct tmpl_render *r, const struct tval *s, const struct targs *a, struct tval *out)
{
	const struct tval *sep = tb_arg(a, 0, "sep"), *maxs = tb_arg(a, 1, "maxsplit");
	long max = maxs && maxs->kind == TV_NUM ? (long)maxs->num : -1;
	*out = tval_list(r, 0, true);
	size_t i = 0;
	if (!sep || sep->kind != TV_STR) {
		/* runs of whitespace, none at the ends */
		for (;;) {
			while (i < s->n && tb_is_space(s->s[i]))
				i++;
			if (i >= s->n)
				break;
			size_t j = i;
			if (max >= 0 && (long)out->n >= max) {
				size_t e = s->n;
				while (e > i && tb_is_space(s->s[e - 1]))
					e--;
				tbox_push(r, out, tval_str(r, s->s + i, e - i));
				break;
			}
			while (j < s->n && !tb_is_space(s->s[j]))
				j++;
			tbox_push(r, out, tval_str(r, s->s + i, j - i));
			i = j;
		}
		return 0;
	}
	if (sep->n == 0)
		return tmpl_fail(r, 0, "split: empty separator"), -1;
	for (;;) {
		size_t j = i;
		while (j + sep->n <= s->n && memcmp(s->s + j, sep->s, sep->n) != 0)
			j++;
		if (j + sep->n > s->n || (max >= 0 && (long)out->n >= max)) {
			tbox_push(r, out, tval_str(r, s->s + i, s->n - i));
			return 0;
		}
		tbox_push(r, out, tval_str(r, s->s + i, j - i));
		i = j + sep->n;
	}
}

static bool affix(const struct tval *s, const struct tval *p, bool start)
{
	if (p->kind == TV_LIST) {
		for (size_t i = 0; i < p->n; i++)
			if (affix(s, &p->items[i], start))
				return true;
		return false;
	}
	if (p->kind != TV_STR || p->n > s->n)
		return false;
	return memcmp(start ? s->s : s->s + s->n - p->n, p->s, p->n) == 0;
}

static const char *const str_methods[] = {
	"split", "strip", "lstrip", "rstrip", "lower", "upper", "replace", "startswith", "endswith", "format",
	"join", "title", "capitalize", "find", "count", NULL,
};
static const char *const list_methods[] = { "append", "extend", "pop", "index", "count", "insert", NULL };
static const char *const dict_methods[] = { "items", "keys", "values", "get", "update", "pop", "setdefault", NULL };


bool tbuiltin_has_method(const struct tval *obj, const char *name)
{
	switch (obj->kind) {
	case TV_STR: return obj->nattr ? strcmp(name, "get") == 0 : tb_listed(str_methods, name);
	case TV_LIST: return tb_listed(list_methods, name);
	case TV_DICT: return tb_listed(dict_methods, name);
	default: return false;
	}
}

static int mutable(struct tmpl_render *r, int line, const struct tval *obj, const char *name)
{
	if (obj->box)
		return 0;
	tmpl_fail(r, line, "cannot change this %s with .%s(): it was not made by the template", tval_kind_name(obj->kind),
		  name);
	return -1;
}

static int str_method(struct tmpl_render *r, int line, const struct tval *s, const char *name, const struct targs *a,
		      struct tval *out)
{
	const struct tval *a0 = tb_arg(a, 0, NULL);
	if (s->nattr) {
		/* a string with attributes (dbt's relation, a mapping in dbt):
		 * .get(key, default) */
		const struct tval *d = tb_arg(a, 1, NULL);
		if (!a0 || a0->kind != TV_STR)
			return tmpl_fail(r, line, ".get() needs a key"), -1;
		const struct tval *v = tval_get(s, a0->s);
		*out = v ? *v : d ? *d : (struct tval){ .kind = TV_NONE };
		return 0;
	}
	if (!strcmp(name, "split"))
		return str_split(r, s, a, out);
	if (!strcmp(name, "strip") || !strcmp(name, "lstrip") || !strcmp(name, "rstrip")) {
		*out = tb_strip(r, s, a0, name[0] == 'l' ? 1 : name[0] == 'r' ? 2 : 3);
	} else if (!strcmp(name, "lower") || !strcmp(name, "upper") || !strcmp(name, "title") ||
		   !strcmp(name, "capitalize")) {
		*out = tb_change_case(r, s, name[0] == 'l' ? 0 : name[0] == 'u' ? 1 : name[0] == 'c' ? 2 : 3);
	} else if (!strcmp(name, "replace")) {
		const struct tval *n = tb_arg(a, 1, NULL), *c = tb_arg(a, 2, NULL);
		if (tb_need(r, line, "replace", a0, TV_STR) || tb_need(r, line, "replace", n, TV_STR))
			return -1;
		*out = tb_replace(r, s, a0, n, c && c->kind == TV_NUM ? (long)c->num : -1);
	} else if (!strcmp(name, "startswith") || !strcmp(name, "endswith")) {
		if (!a0)
			return tb_need(r, line, name, a0, TV_STR);
		*out = tval_bool(affix(s, a0, name[0] == 's'));
	} else if (!strcmp(name, "format")) {
		return str_format(r, line, s, a, out);
	} else if (!strcmp(name, "join")) {
		struct tval l;
		if (!a0 || tb_as_list(r, line, "join", a0, &l))
			return a0 ? -1 : tb_need(r, line, "join", a0, TV_LIST);
		struct buf b = { 0 };
		for (size_t i = 0; i < l.n; i++) {
			if (l.items[i].kind != TV_STR) {
				buf_free(&b);
				return tb_need(r, line, "join", &l.items[i], TV_STR);
			}
			if (i)
				buf_add(&b, s->s, s->n);
			buf_add(&b, l.items[i].s, l.items[i].n);
		}
		*out = tb_from_buf(r, &b);
	} else { /* find, count */
		if (tb_need(r, line, name, a0, TV_STR))
			return -1;
		long found = -1, count = 0;
		for (size_t i = 0; i + a0->n <= s->n; i++)
			if (memcmp(s->s + i, a0->s, a0->n) == 0) {
				if (found < 0)
					found = (long)i;
				count++;
				if (a0->n)
					i += a0->n - 1;
			}
		*out = tval_num((double)(name[0] == 'f' ? found : count), false);
	}
	return 0;
}

static int list_method(struct tmpl_render *r, int line, struct tval *l, const char *name, const struct targs *a,
		       struct tval *out)
{
	const struct tval *a0 = tb_arg(a, 0, NULL);
	*out = (struct tval){ .kind = TV_NONE };
	if (!strcmp(name, "append") || !strcmp(name, "extend") || !strcmp(name, "insert")) {
		if (mutable(r, line, l, name))
			return -1;
		if (!a0)
			return tmpl_fail(r, line, "%s() needs a value", name), -1;
		if (name[0] == 'a') {
			tbox_push(r, l, *a0);
		} else if (name[0] == 'e') {
			struct tval items;
			if (tb_as_list(r, line, "extend", a0, &items))
				return -1;
			for (size_t i = 0; i < items.n; i++)
				tbox_push(r, l, items.items[i]);
		} else {
			const struct tval *v = tb_arg(a, 1, NULL);
			if (!tb_number_like(a0) || !v)
				return tmpl_fail(r, line, "insert() needs an index and a value"), -1;
			long i = (long)tb_num_of(a0), n = (long)l->n;
			i = i < 0 ? (i + n < 0 ? 0 : i + n) : i > n ? n : i;
			tbox_push(r, l, *v);
			memmove(l->box->items + i + 1, l->box->items + i, (size_t)(n - i) * sizeof *l->items);
			l->box->items[i] = *v;
		}
		return 0;
	}
	if (!strcmp(name, "pop")) {
		if (mutable(r, line, l, name))
			return -1;
		long n = (long)l->n, i = a0 && tb_number_like(a0) ? (long)tb_num_of(a0) : -1;
		if (i < 0)
			i += n;
		if (i < 0 || i >= n)
			return tmpl_fail(r, line, "pop index out of range"), -1;
		*out = l->box->items[i];
		memmove(l->box->items + i, l->box->items + i + 1, (size_t)(n - i - 1) * sizeof *l->items);
		l->box->n--;
		tval_sync(l);
		return 0;
	}
	if (!a0)
		return tmpl_fail(r, line, "%s() needs a value", name), -1;
	long found = -1, count = 0;
	for (size_t i = 0; i < l->n; i++)
		if (tval_equal(&l->items[i], a0)) {
			if (found < 0)
				found = (long)i;
			count++;
		}
	if (name[0] == 'i' && found < 0)
		return tmpl_fail(r, line, "index(): the value is not in the list"), -1;
	*out = tval_num((double)(name[0] == 'i' ? found : count), false);
	return 0;
}

static int dict_method(struct tmpl_render *r, int line, struct tval *d, const char *name, const struct targs *a,
		       struct tval *out)
{
	const struct tval *a0 = tb_arg(a, 0, NULL), *a1 = tb_arg(a, 1, NULL);
	if (!strcmp(name, "items") || !strcmp(name, "keys") || !strcmp(name, "values")) {
		*out = tval_list(r, d->n, true);
		for (size_t i = 0; i < d->n; i++) {
			struct tval k = tval_str(r, d->keys[i], strlen(d->keys[i]));
			if (name[0] == 'k') {
				out->items[i] = k;
			} else if (name[0] == 'v') {
				out->items[i] = d->items[i];
			} else {
				struct tval p = tval_list(r, 2, false);
				p.tuple = true;
				p.items[0] = k;
				p.items[1] = d->items[i];
				out->items[i] = p;
			}
		}
		return 0;
	}
	if (!strcmp(name, "get") || !strcmp(name, "pop") || !strcmp(name, "setdefault")) {
		if (tb_need(r, line, name, a0, TV_STR))
			return -1;
		const struct tval *v = tval_get(d, a0->s);
		if (name[0] == 'g') {
			*out = v ? *v : a1 ? *a1 : (struct tval){ .kind = TV_NONE };
			return 0;
		}
		if (mutable(r, line, d, name))
			return -1;
		if (name[0] == 's') {
			*out = v ? *v : a1 ? *a1 : (struct tval){ .kind = TV_NONE };
			if (!v)
				tbox_set(r, d, a0->s, *out);
			return 0;
		}
		if (!v && !a1)
			return tmpl_fail(r, line, "pop(): no key '%s'", a0->s), -1;
		*out = v ? *v : *a1;
		if (v) {
			struct tmpl_box *b = d->box;
			size_t i = (size_t)(v - b->items);
			memmove(b->items + i, b->items + i + 1, (b->n - i - 1) * sizeof *b->items);
			memmove(b->keys + i, b->keys + i + 1, (b->n - i - 1) * sizeof *b->keys);
			b->n--;
			tval_sync(d);
		}
		return 0;
	}
	/* update */
	if (mutable(r, line, d, name))
		return -1;
	if (a0) {
		if (tb_need(r, line, "update", a0, TV_DICT))
			return -1;
		struct tval o = *a0;
		for (size_t i = 0; i < o.n; i++)
			tbox_set(r, d, o.keys[i], o.items[i]);
	}
	for (size_t i = 0; i < a->nkw; i++)
		tbox_set(r, d, a->kwnames[i], a->kw[i]);
	*out = (struct tval){ .kind = TV_NONE };
	return 0;
}

int tbuiltin_method(struct tmpl_render *r, int line, struct tval *obj, const char *name,
		    const struct targs *a, struct tval *out)
{
	tval_sync(obj);
	switch (obj->kind) {
	case TV_STR: return str_method(r, line, obj, name, a, out);
	case TV_LIST: return list_method(r, line, obj, name, a, out);
	case TV_DICT: return dict_method(r, line, obj, name, a, out);
	default:
		tmpl_fail(r, line, "unsupported construct: method '.%s()' of a %s", name, tval_kind_name(obj->kind));
		return -1;
	}
}

bool tbuiltin_is_global(const char *name)
{
	return !strcmp(name, "range") || !strcmp(name, "namespace") || !strcmp(name, "dict");
}

int tbuiltin_global(struct tmpl_render *r, int line, const char *name, const struct targs *a, struct tval *out)
{
	if (!strcmp(name, "range")) {
		double v[3] = { 0, 0, 1 };
		if (a->n < 1 || a->n > 3 || a->nkw)
			return tmpl_fail(r, line, "range() takes 1 to 3 numbers"), -1;
		for (size_t i = 0; i < a->n; i++) {
			if (a->v[i].kind != TV_NUM || a->v[i].real)
				return tmpl_fail(r, line, "range() takes integers"), -1;
			v[a->n == 1 ? 1 : i] = a->v[i].num;
		}
		if (v[2] == 0)
			return tmpl_fail(r, line, "range() step must not be zero"), -1;
		double count = v[2] > 0 ? ceil((v[1] - v[0]) / v[2]) : ceil((v[0] - v[1]) / -v[2]);
		if (count < 0)
			count = 0;
		if (count > 1e6)
			return tmpl_fail(r, line, "range() of more than 1000000 numbers"), -1;
		*out = tval_list(r, (size_t)count, true);
		for (size_t i = 0; i < (size_t)count; i++)
			out->items[i] = tval_num(v[0] + (double)i * v[2], false);
		return 0;
	}
	if (!strcmp(name, "namespace") || !strcmp(name, "dict")) {
		*out = tval_dict(r, 0, true);
		out->box->ns = name[0] == 'n';
		for (size_t i = 0; i < a->n; i++) {
			if (a->v[i].kind != TV_DICT)
				return tmpl_fail(r, line, "%s() takes a dict or keyword arguments", name), -1;
			for (size_t k = 0; k < a->v[i].n; k++)
				tbox_set(r, out, a->v[i].keys[k], a->v[i].items[k]);
		}
		for (size_t i = 0; i < a->nkw; i++)
			tbox_set(r, out, a->kwnames[i], a->kw[i]);
		return 0;
	}
	return 1;
}
