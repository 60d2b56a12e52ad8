/* SPDX-License-Identifier: MIT
 * The renderer: evaluates expressions against the scope and the host, and
 * walks the statement tree into the output buffer. */
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

int teval(struct tmpl_render *r, const struct expr *e, struct tval *out);

static int eval_call(struct tmpl_render *r, const struct expr *e, struct tval *out)
{
	struct tval *args = tval_alloc(r, e->n), *kw = tval_alloc(r, e->nkw);
	for (size_t i = 0; i < e->n; i++)
		if (teval(r, e->items[i], &args[i]))
			return -1;
	for (size_t i = 0; i < e->nkw; i++)
		if (teval(r, e->kwargs[i], &kw[i]))
			return -1;
	struct tmpl_call c = {
		.name = e->name, .file = r->t->file, .line = e->line,
		.nargs = e->n, .args = args, .nkw = e->nkw, .kwnames = e->kwnames, .kwargs = kw,
	};
	*out = (struct tval){ .kind = TV_NONE };
	if (!r->host || !r->host->call) {
		tmpl_fail(r, e->line, "function '%s()' is not available here", e->name);
		return -1;
	}
	if (r->host->call(r->host->ud, r, &c, out) != 0) {
		if (!r->failed)
			tmpl_fail(r, e->line, "%s() failed", e->name);
		return -1;
	}
	return 0;
}

int teval(struct tmpl_render *r, const struct expr *e, struct tval *out)
{
	struct tval a, b;
	switch (e->k) {
	case E_LIT:
		*out = e->lit;
		return 0;
	case E_NAME:
		for (struct binding *s = r->scope; s; s = s->prev)
			if (strcmp(s->name, e->name) == 0) {
				*out = s->v;
				return 0;
			}
		if (r->host && r->host->global) {
			int rc = r->host->global(r->host->ud, r, e->name, e->line, out);
			if (rc <= 0)
				return rc;
		}
		tmpl_fail(r, e->line, "undefined name '%s'", e->name);
		return -1;
	case E_ATTR: {
		if (teval(r, e->a, &a))
			return -1;
		const struct tval *v = tval_get(&a, e->name);
		if (!v) {
			if (a.kind == TV_DICT)
				tmpl_fail(r, e->line, "no attribute '%s'", e->name);
			else
				tmpl_fail(r, e->line, "unsupported construct: attribute '.%s' of a %s", e->name,
					  tval_kind_name(a.kind));
			return -1;
		}
		*out = *v;
		return 0;
	}
	case E_CALL:
		return eval_call(r, e, out);
	case E_LIST:
		out->kind = TV_LIST;
		out->n = e->n;
		out->items = tval_alloc(r, e->n);
		for (size_t i = 0; i < e->n; i++)
			if (teval(r, e->items[i], &out->items[i]))
				return -1;
		return 0;
	case E_DICT:
		out->kind = TV_DICT;
		out->n = e->n;
		out->items = tval_alloc(r, e->n);
		out->keys = tval_alloc_keys(r, e->n);
		for (size_t i = 0; i < e->n; i++) {
			if (teval(r, e->keys[i], &a) || teval(r, e->items[i], &out->items[i]))
				return -1;
			if (a.kind != TV_STR) {
				tmpl_fail(r, e->line, "dict keys must be strings");
				return -1;
			}
			out->keys[i] = a.s;
		}
		return 0;
	case E_NOT:
		if (teval(r, e->a, &a))
			return -1;
		*out = (struct tval){ .kind = TV_BOOL, .b = !tval_truthy(&a) };
		return 0;
	case E_NEG:
		if (teval(r, e->a, &a))
			return -1;
		if (a.kind != TV_NUM) {
			tmpl_fail(r, e->line, "cannot negate a %s", tval_kind_name(a.kind));
			return -1;
		}
		*out = (struct tval){ .kind = TV_NUM, .num = -a.num, .real = a.real };
		return 0;
	case E_AND:
	case E_OR:
		/* Python semantics: the deciding operand is the result. */
		if (teval(r, e->a, &a))
			return -1;
		if (tval_truthy(&a) == (e->k == E_OR)) {
			*out = a;
			return 0;
		}
		return teval(r, e->b, out);
	case E_CMP: {
		if (teval(r, e->a, &a) || teval(r, e->b, &b))
			return -1;
		bool res;
		if (e->op == T_EQ || e->op == T_NE) {
			res = tval_equal(&a, &b) == (e->op == T_EQ);
		} else {
			int c;
			if (a.kind == TV_NUM && b.kind == TV_NUM) {
				c = a.num < b.num ? -1 : a.num > b.num;
			} else if (a.kind == TV_STR && b.kind == TV_STR) {
				c = strcmp(a.s, b.s);
			} else {
				tmpl_fail(r, e->line, "cannot compare a %s with a %s", tval_kind_name(a.kind), tval_kind_name(b.kind));
				return -1;
			}
			res = e->op == T_LT ? c < 0 : e->op == T_LE ? c <= 0 : e->op == T_GT ? c > 0 : c >= 0;
		}
		*out = (struct tval){ .kind = TV_BOOL, .b = res };
		return 0;
	}
	case E_IN: {
		if (teval(r, e->a, &a) || teval(r, e->b, &b))
			return -1;
		bool res = false;
		if (b.kind == TV_LIST) {
			for (size_t i = 0; i < b.n && !res; i++)
				res = tval_equal(&a, &b.items[i]);
		} else if (b.kind == TV_DICT && a.kind == TV_STR) {
			res = tval_get(&b, a.s) != NULL;
		} else if (b.kind == TV_STR && a.kind == TV_STR) {
			for (size_t i = 0; i + a.n <= b.n && !res; i++)
				res = memcmp(b.s + i, a.s, a.n) == 0;
		} else {
			tmpl_fail(r, e->line, "'in' needs a list, dict or string on the right, not a %s", tval_kind_name(b.kind));
			return -1;
		}
		*out = (struct tval){ .kind = TV_BOOL, .b = res };
		return 0;
	}
	case E_CONCAT: {
		if (teval(r, e->a, &a) || teval(r, e->b, &b))
			return -1;
		struct tval sa = tval_as_string(r, &a), sb = tval_as_string(r, &b);
		char *p = tarena_alloc(&r->arena, sa.n + sb.n + 1);
		memcpy(p, sa.s, sa.n);
		memcpy(p + sa.n, sb.s, sb.n);
		*out = (struct tval){ .kind = TV_STR, .s = p, .n = sa.n + sb.n };
		return 0;
	}
	case E_ARITH: {
		if (teval(r, e->a, &a) || teval(r, e->b, &b))
			return -1;
		if (e->op == T_PLUS && a.kind == TV_STR && b.kind == TV_STR) {
			char *p = tarena_alloc(&r->arena, a.n + b.n + 1);
			memcpy(p, a.s, a.n);
			memcpy(p + a.n, b.s, b.n);
			*out = (struct tval){ .kind = TV_STR, .s = p, .n = a.n + b.n };
			return 0;
		}
		if (e->op == T_PLUS && a.kind == TV_LIST && b.kind == TV_LIST) {
			*out = (struct tval){ .kind = TV_LIST, .n = a.n + b.n, .items = tval_alloc(r, a.n + b.n) };
			memcpy(out->items, a.items, a.n * sizeof *a.items);
			memcpy(out->items + a.n, b.items, b.n * sizeof *b.items);
			return 0;
		}
		if (a.kind != TV_NUM || b.kind != TV_NUM) {
			tmpl_fail(r, e->line, "arithmetic on a %s and a %s", tval_kind_name(a.kind), tval_kind_name(b.kind));
			return -1;
		}
		double v = e->op == T_PLUS ? a.num + b.num : e->op == T_MINUS ? a.num - b.num :
			   e->op == T_STAR ? a.num * b.num : b.num != 0 ? a.num / b.num : 0;
		if (e->op == T_SLASH && b.num == 0) {
			tmpl_fail(r, e->line, "division by zero");
			return -1;
		}
		/* Python: '/' always gives a float; + - * stay integers
		 * between integers */
		*out = (struct tval){ .kind = TV_NUM, .num = v, .real = a.real || b.real || e->op == T_SLASH };
		return 0;
	}
	}
	return -1;
}

void tbind(struct tmpl_render *r, const char *name, struct tval v)
{
	struct binding *b = tarena_alloc(&r->arena, sizeof *b);
	b->name = name;
	b->v = v;
	b->prev = r->scope;
	r->scope = b;
}

static struct tval loop_value(struct tmpl_render *r, size_t i, size_t n)
{
	static const char *const keys[] = { "index", "index0", "first", "last", "length", "revindex", "revindex0" };
	struct tval d = { .kind = TV_DICT, .n = 7, .items = tval_alloc(r, 7), .keys = tval_alloc_keys(r, 7) };
	for (size_t k = 0; k < 7; k++)
		d.keys[k] = keys[k];
	d.items[0] = (struct tval){ .kind = TV_NUM, .num = (double)(i + 1) };
	d.items[1] = (struct tval){ .kind = TV_NUM, .num = (double)i };
	d.items[2] = (struct tval){ .kind = TV_BOOL, .b = i == 0 };
	d.items[3] = (struct tval){ .kind = TV_BOOL, .b = i + 1 == n };
	d.items[4] = (struct tval){ .kind = TV_NUM, .num = (double)n };
	d.items[5] = (struct tval){ .kind = TV_NUM, .num = (double)(n - i) };
	d.items[6] = (struct tval){ .kind = TV_NUM, .num = (double)(n - i - 1) };
	return d;
}

static int render_nodes(struct tmpl_render *r, const struct node *n)
{
	struct tval v;
	for (; n && !r->failed; n = n->next) {
		switch (n->k) {
		case N_TEXT:
			buf_add(&r->out, n->text, n->len);
			break;
		case N_OUT:
			if (teval(r, n->e, &v))
				return -1;
			tval_print(&r->out, &v, false);
			break;
		case N_SET:
			if (teval(r, n->e, &v))
				return -1;
			tbind(r, n->var, v);
			break;
		case N_IF:
			for (const struct node *br = n; br; br = br->orelse) {
				if (teval(r, br->e, &v))
					return -1;
				if (tval_truthy(&v)) {
					if (render_nodes(r, br->body))
						return -1;
					break;
				}
			}
			break;
		case N_FOR: {
			if (teval(r, n->e, &v))
				return -1;
			if (v.kind != TV_LIST && v.kind != TV_DICT) {
				tmpl_fail(r, n->line, "'for' needs a list, not a %s", tval_kind_name(v.kind));
				return -1;
			}
			/* Jinja scoping: what a loop body sets does not leak out. */
			struct binding *saved = r->scope;
			for (size_t i = 0; i < v.n; i++) {
				r->scope = saved;
				struct tval item = v.kind == TV_LIST ? v.items[i] :
					(struct tval){ .kind = TV_STR, .s = v.keys[i], .n = strlen(v.keys[i]) };
				tbind(r, "loop", loop_value(r, i, v.n));
				tbind(r, n->var, item);
				if (render_nodes(r, n->body)) {
					r->scope = saved;
					return -1;
				}
			}
			r->scope = saved;
			break;
		}
		}
	}
	return r->failed ? -1 : 0;
}

int tmpl_render(const struct tmpl *t, const struct tmpl_host *host, char **out, size_t *outlen,
		char *err, size_t errlen)
{
	struct tmpl_render r = { .t = t, .host = host, .err = err, .errlen = errlen };
	int rc = render_nodes(&r, t->root);
	tarena_free(&r.arena);
	if (rc != 0 || r.failed) {
		buf_free(&r.out);
		*out = NULL;
		if (outlen)
			*outlen = 0;
		return -1;
	}
	if (outlen)
		*outlen = r.out.len;
	*out = buf_detach(&r.out);
	return 0;
}
