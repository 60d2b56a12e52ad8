/* SPDX-License-Identifier: MIT
 * Values of the template engine: the arena they live in, Python's way of
 * printing them (str() at the top level, repr() inside lists and dicts),
 * equality and truthiness. */
#include "template.h"
#include "template_int.h"
#include "buf.h"
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
	size_t n = dict->kind == TV_DICT ? dict->n : dict->kind == TV_STR ? dict->nattr : 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(dict->keys[i], key) == 0)
			return &dict->items[i];
	return NULL;
}

bool tval_truthy(const struct tval *v)
{
	switch (v->kind) {
	case TV_NONE: return false;
	case TV_BOOL: return v->b;
	case TV_NUM: return v->num != 0;
	case TV_STR: return v->n > 0;
	case TV_LIST:
	case TV_DICT: return v->n > 0;
	}
	return false;
}

const char *tval_kind_name(enum tval_kind k)
{
	static const char *const names[] = { "none", "boolean", "number", "string", "list", "dict" };
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

/* Appends the value as Jinja prints it ({{ x }}). Strings inside lists are
 * quoted as Python would. */
void tval_print(struct buf *b, const struct tval *v, bool quoted)
{
	char num[400]; /* the digits of DBL_MAX */
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
		if (quoted) {
			buf_add(b, "'", 1);
			for (size_t i = 0; i < v->n; i++) {
				if (v->s[i] == '\'' || v->s[i] == '\\')
					buf_add(b, "\\", 1);
				buf_add(b, v->s + i, 1);
			}
			buf_add(b, "'", 1);
		} else {
			buf_add(b, v->s, v->n);
		}
		break;
	case TV_LIST:
		buf_add(b, "[", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_add(b, ", ", 2);
			tval_print(b, &v->items[i], true);
		}
		buf_add(b, "]", 1);
		break;
	case TV_DICT:
		buf_add(b, "{", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_add(b, ", ", 2);
			struct tval k = { .kind = TV_STR, .s = v->keys[i], .n = strlen(v->keys[i]) };
			tval_print(b, &k, true);
			buf_add(b, ": ", 2);
			tval_print(b, &v->items[i], true);
		}
		buf_add(b, "}", 1);
		break;
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

bool tval_equal(const struct tval *a, const struct tval *b)
{
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
	}
	return false;
}
