/* SPDX-License-Identifier: MIT
 * Values of the template engine: the arena they live in, Python's way of
 * printing them (str() at the top level, repr() inside lists and dicts),
 * equality and truthiness. */
#include "template.h"
#include "template_int.h"
#include "buf.h"
#include "json.h"
#include "xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *tarena_alloc(struct arena *a, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (!a->head || a->head->size - a->head->used < n) {
		size_t size = n > 16384 ? n : 16384;
		struct chunk *c = xmalloc(sizeof *c + size);
		c->next = a->head;
		c->used = 0;
		c->size = size;
		a->head = c;
	}
	void *p = (char *)a->head->data + a->head->used;
	a->head->used += n;
	memset(p, 0, n);
	return p;
}

char *tarena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = tarena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void tarena_free(struct arena *a)
{
	for (struct chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

void tmpl_fail(struct tmpl_render *r, int line, const char *fmt, ...)
{
	if (r->failed)
		return;
	r->failed = true;
	int n = snprintf(r->err, r->errlen, "%s:%d: ", r->t->file, line);
	if (n < 0 || (size_t)n >= r->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

struct tval tval_str(struct tmpl_render *r, const char *s, size_t len)
{
	struct tval v = { .kind = TV_STR, .n = len };
	v.s = tarena_strndup(&r->arena, s, len);
	return v;
}

struct tval tval_str_or_none(struct tmpl_render *r, const char *s)
{
	return s ? tval_str(r, s, strlen(s)) : (struct tval){ .kind = TV_NONE };
}

struct tval *tval_alloc(struct tmpl_render *r, size_t n)
{
	return tarena_alloc(&r->arena, (n ? n : 1) * sizeof(struct tval));
}

const char **tval_alloc_keys(struct tmpl_render *r, size_t n)
{
	return tarena_alloc(&r->arena, (n ? n : 1) * sizeof(const char *));
}

const struct tval *tval_get(const struct tval *dict, const char *key)
{
	struct tval d = *dict;
	tval_sync(&d);
	if (d.kind == TV_LIST && d.attrs)
		return tval_get(d.attrs, key);
	size_t n = d.kind == TV_DICT ? d.n : d.kind == TV_STR ? d.nattr : 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(d.keys[i], key) == 0)
			return &d.items[i];
	return NULL;
}

/* A list or dict made by the template reads its items from its box, which
 * .append() and namespace attributes may have changed since the value was
 * copied. */
void tval_sync(struct tval *v)
{
	if (v->box && (v->kind == TV_LIST || v->kind == TV_DICT)) {
		v->n = v->box->n;
		v->items = v->box->items;
		v->keys = v->box->keys;
	}
}

struct tval tval_num(double v, bool real)
{
	return (struct tval){ .kind = TV_NUM, .num = v, .real = real };
}

struct tval tval_bool(bool b)
{
	return (struct tval){ .kind = TV_BOOL, .b = b };
}

/* A list of n (zeroed) items; boxed, it can grow with tbox_push. */
struct tval tval_list(struct tmpl_render *r, size_t n, bool boxed)
{
	struct tval v = { .kind = TV_LIST, .n = n, .items = tval_alloc(r, n) };
	if (boxed) {
		v.box = tarena_alloc(&r->arena, sizeof *v.box);
		v.box->n = n;
		v.box->cap = n ? n : 1;
		v.box->items = v.items;
	}
	return v;
}

struct tval tval_list_new(struct tmpl_render *r, size_t n)
{
	return tval_list(r, n, true);
}

struct tval tval_dict_new(struct tmpl_render *r, size_t n)
{
	return tval_dict(r, n, true);
}

struct tval tval_dict(struct tmpl_render *r, size_t n, bool boxed)
{
	struct tval v = tval_list(r, n, boxed);
	v.kind = TV_DICT;
	v.keys = tval_alloc_keys(r, n);
	if (boxed)
		v.box->keys = v.keys;
	return v;
}

static void box_grow(struct tmpl_render *r, struct tmpl_box *b, bool keys)
{
	if (b->n < b->cap)
		return;
	size_t cap = b->cap * 2;
	struct tval *items = tval_alloc(r, cap);
	memcpy(items, b->items, b->n * sizeof *items);
	b->items = items;
	if (keys) {
		const char **k = tval_alloc_keys(r, cap);
		memcpy(k, b->keys, b->n * sizeof *k);
		b->keys = k;
	}
	b->cap = cap;
}

void tbox_push(struct tmpl_render *r, struct tval *list, struct tval item)
{
	struct tmpl_box *b = list->box;
	box_grow(r, b, false);
	b->items[b->n++] = item;
	tval_sync(list);
}

void tbox_set(struct tmpl_render *r, struct tval *dict, const char *key, struct tval v)
{
	struct tmpl_box *b = dict->box;
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->keys[i], key) == 0) {
			b->items[i] = v;
			return;
		}
	box_grow(r, b, true);
	b->keys[b->n] = key;
	b->items[b->n++] = v;
	tval_sync(dict);
}

struct tval tval_concat(struct tmpl_render *r, const struct tval *a, const struct tval *b)
{
	char *p = tarena_alloc(&r->arena, a->n + b->n + 1);
	memcpy(p, a->s, a->n);
	memcpy(p + a->n, b->s, b->n);
	return (struct tval){ .kind = TV_STR, .s = p, .n = a->n + b->n };
}

/* Python's ordering: numbers (and booleans) with numbers, strings with
 * strings (by code point; fold compares them lowercased, as Jinja's sort
 * does by default), lists item by item. */
int tval_compare(struct tmpl_render *r, int line, const struct tval *a, const struct tval *b, bool fold, int *cmp)
{
	bool an = a->kind == TV_NUM || a->kind == TV_BOOL, bn = b->kind == TV_NUM || b->kind == TV_BOOL;
	if (an && bn) {
		double x = a->kind == TV_BOOL ? a->b : a->num, y = b->kind == TV_BOOL ? b->b : b->num;
		*cmp = x < y ? -1 : x > y;
		return 0;
	}
	if (a->kind == TV_STR && b->kind == TV_STR) {
		size_t n = a->n < b->n ? a->n : b->n;
		int c = 0;
		for (size_t i = 0; i < n && !c; i++) {
			unsigned char x = (unsigned char)a->s[i], y = (unsigned char)b->s[i];
			if (fold) {
				x = x >= 'A' && x <= 'Z' ? x + 32 : x;
				y = y >= 'A' && y <= 'Z' ? y + 32 : y;
			}
			c = x < y ? -1 : x > y;
		}
		*cmp = c ? c : a->n < b->n ? -1 : a->n > b->n;
		return 0;
	}
	if (a->kind == TV_LIST && b->kind == TV_LIST) {
		size_t n = a->n < b->n ? a->n : b->n;
		for (size_t i = 0; i < n; i++) {
			if (tval_compare(r, line, &a->items[i], &b->items[i], fold, cmp))
				return -1;
			if (*cmp)
				return 0;
		}
		*cmp = a->n < b->n ? -1 : a->n > b->n;
		return 0;
	}
	tmpl_fail(r, line, "cannot compare a %s with a %s", tval_kind_name(a->kind), tval_kind_name(b->kind));
	return -1;
}

bool tval_truthy(const struct tval *v)
{
	switch (v->kind) {
	case TV_NONE: return false;
	case TV_BOOL: return v->b;
	case TV_NUM: return v->num != 0;
	case TV_STR: return v->n > 0;
	case TV_LIST:
	case TV_DICT: return (v->box ? v->box->n : v->n) > 0;
	case TV_FUNC: return true;
	case TV_UNDEF: return false;
	}
	return false;
}

const char *tval_kind_name(enum tval_kind k)
{
	static const char *const names[] = { "none", "boolean", "number", "string", "list", "dict", "macro",
					     "undefined value" };
	return names[k];
}

/* Python's repr() of a float, which is what Jinja puts into the SQL;
 * see template.h. */
void tmpl_float_repr(char *buf, size_t n, double v)
{
	if (isnan(v) || isinf(v)) {
		snprintf(buf, n, "%s", isnan(v) ? "nan" : v < 0 ? "-inf" : "inf");
		return;
	}
	char e[48];
	int digits;
	for (digits = 1; digits < 17; digits++) {
		snprintf(e, sizeof e, "%.*e", digits - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	snprintf(e, sizeof e, "%.*e", digits - 1, v);
	int exp = atoi(strchr(e, 'e') + 1);
	if (exp < -4 || exp >= 16) {
		snprintf(buf, n, "%s", e);
		return;
	}
	int decimals = digits - 1 - exp;
	if (decimals > 0)
		snprintf(buf, n, "%.*f", decimals, v);
	else
		snprintf(buf, n, "%.0f.0", v);
}

/* Python's repr() of a string: single quotes unless the string holds a
 * single quote and no double one. */
static void str_repr(struct buf *b, const char *s, size_t n)
{
	char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
	buf_add(b, &q, 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '\\' || c == (unsigned char)q) {
			buf_add(b, "\\", 1);
			buf_add(b, s + i, 1);
		} else if (c == '\n') {
			buf_add(b, "\\n", 2);
		} else if (c == '\r') {
			buf_add(b, "\\r", 2);
		} else if (c == '\t') {
			buf_add(b, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\x%02x", c);
			buf_add(b, esc, 4);
		} else {
			buf_add(b, s + i, 1);
		}
	}
	buf_add(b, &q, 1);
}

/* The lists and dicts being printed, outermost first: one met again
 * inside itself (l.append(l)) prints as [...] or {...}, as Python prints
 * it, and so does anything nested deeper than the stack holds. */
enum { PRINT_DEPTH_MAX = 100 };
struct print_stack {
	const void *boxes[PRINT_DEPTH_MAX];
	int depth;
};

static void print_at(struct buf *b, const struct tval *v0, bool quoted, struct print_stack *st);

/* Appends the value as Jinja prints it ({{ x }}: Python's str()); quoted,
 * as Python's repr(), which is how items of lists and dicts print. */
void tval_print(struct buf *b, const struct tval *v0, bool quoted)
{
	struct print_stack st = { .depth = 0 };
	print_at(b, v0, quoted, &st);
}

static void print_at(struct buf *b, const struct tval *v0, bool quoted, struct print_stack *st)
{
	char num[400]; /* the digits of DBL_MAX */
	struct tval sv = *v0;
	const struct tval *v = &sv;
	tval_sync(&sv);
	if (v->kind == TV_LIST || v->kind == TV_DICT) {
		bool again = st->depth >= PRINT_DEPTH_MAX;
		for (int i = 0; i < st->depth && !again && v->box; i++)
			again = st->boxes[i] == v->box;
		if (again) {
			buf_adds(b, v->kind == TV_LIST ? "[...]" : "{...}");
			return;
		}
	}

	switch (v->kind) {
	case TV_NONE: buf_add(b, "None", 4); break;
	case TV_BOOL: v->b ? buf_add(b, "True", 4) : buf_add(b, "False", 5); break;
	case TV_NUM:
		/* An integer prints all its digits; %.0f of a whole double is
		 * exact, and no cast (undefined outside int64) is needed. */
		if (!v->real && isfinite(v->num) && v->num == floor(v->num))
			snprintf(num, sizeof num, "%.0f", v->num + 0.0); /* no "-0" */
		else
			tmpl_float_repr(num, sizeof num, v->num);
		buf_add(b, num, strlen(num));
		break;
	case TV_STR:
		if (quoted)
			str_repr(b, v->s, v->n);
		else
			buf_add(b, v->s, v->n);
		break;
	case TV_LIST:
		buf_add(b, v->tuple ? "(" : "[", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_add(b, ", ", 2);
			st->boxes[st->depth++] = v->box;
			print_at(b, &v->items[i], true, st);
			st->depth--;
		}
		if (v->tuple && v->n == 1)
			buf_add(b, ",", 1);
		buf_add(b, v->tuple ? ")" : "]", 1);
		break;
	case TV_DICT:
		if (v->box && v->box->ns)
			buf_add(b, "<Namespace ", 11);
		buf_add(b, "{", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_add(b, ", ", 2);
			str_repr(b, v->keys[i], strlen(v->keys[i]));
			buf_add(b, ": ", 2);
			st->boxes[st->depth++] = v->box;
			print_at(b, &v->items[i], true, st);
			st->depth--;
		}
		buf_add(b, "}", 1);
		if (v->box && v->box->ns)
			buf_add(b, ">", 1);
		break;
	case TV_FUNC:
		buf_add(b, "<Macro '", 8);
		if (v->fn->name)
			buf_add(b, v->fn->name, strlen(v->fn->name));
		buf_add(b, "'>", 2);
		break;
	case TV_UNDEF:
		if (quoted)
			buf_add(b, "Undefined", 9); /* Jinja's repr() of it, in a list */
		break;
	}
}

/* json.dumps(v, sort_keys=True) with Jinja's escapes of <, >, & and ': the
 * tojson filter. */
void tval_json(struct buf *b, const struct tval *v0)
{
	struct tval sv = *v0;
	const struct tval *v = &sv;
	tval_sync(&sv);
	switch (v->kind) {
	case TV_NONE:
	case TV_UNDEF:
	case TV_FUNC: buf_add(b, "null", 4); break;
	case TV_BOOL: v->b ? buf_add(b, "true", 4) : buf_add(b, "false", 5); break;
	case TV_NUM: tval_print(b, v, false); break;
	case TV_STR: json_string_n(b, v->s, v->n, JSON_ASCII | JSON_HTML_SAFE); break;
	case TV_LIST:
		buf_add(b, "[", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_add(b, ", ", 2);
			tval_json(b, &v->items[i]);
		}
		buf_add(b, "]", 1);
		break;
	case TV_DICT: {
		/* sorted keys: a small insertion sort of indexes */
		size_t *ix = xmalloc((v->n ? v->n : 1) * sizeof *ix);
		for (size_t i = 0; i < v->n; i++) {
			size_t j = i;
			while (j > 0 && strcmp(v->keys[ix[j - 1]], v->keys[i]) > 0) {
				ix[j] = ix[j - 1];
				j--;
			}
			ix[j] = i;
		}
		buf_add(b, "{", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_add(b, ", ", 2);
			json_string_n(b, v->keys[ix[i]], strlen(v->keys[ix[i]]), JSON_ASCII | JSON_HTML_SAFE);
			buf_add(b, ": ", 2);
			tval_json(b, &v->items[ix[i]]);
		}
		buf_add(b, "}", 1);
		free(ix);
		break;
	}
	}
}

struct tval tval_as_string(struct tmpl_render *r, const struct tval *v)
{
	if (v->kind == TV_STR)
		return *v;
	struct buf b = { 0 };
	tval_print(&b, v, false);
	struct tval s = tval_str(r, b.data ? b.data : "", b.len);
	buf_free(&b);
	return s;
}

struct tval tval_repr(struct tmpl_render *r, const struct tval *v)
{
	struct buf b = { 0 };
	tval_print(&b, v, true);
	struct tval s = tval_str(r, b.data ? b.data : "", b.len);
	buf_free(&b);
	return s;
}

bool tval_equal(const struct tval *a0, const struct tval *b0)
{
	struct tval as = *a0, bs = *b0;
	const struct tval *a = &as, *b = &bs;
	tval_sync(&as);
	tval_sync(&bs);
	if (a->kind == TV_NUM && b->kind == TV_BOOL)
		return a->num == (b->b ? 1 : 0);
	if (a->kind == TV_BOOL && b->kind == TV_NUM)
		return b->num == (a->b ? 1 : 0);
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TV_NONE: return true;
	case TV_BOOL: return a->b == b->b;
	case TV_NUM: return a->num == b->num;
	case TV_STR: return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
	case TV_LIST:
		if (a->n != b->n)
			return false;
		for (size_t i = 0; i < a->n; i++)
			if (!tval_equal(&a->items[i], &b->items[i]))
				return false;
		return true;
	case TV_DICT:
		if (a->n != b->n)
			return false;
		for (size_t i = 0; i < a->n; i++) {
			const struct tval *o = tval_get(b, a->keys[i]);
			if (!o || !tval_equal(&a->items[i], o))
				return false;
		}
		return true;
	case TV_FUNC: return a->fn == b->fn;
	case TV_UNDEF: return true;
	}
	return false;
}
