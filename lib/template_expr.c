/* SPDX-License-Identifier: MIT
 * The expression parser: precedence climbing from `or` down to literals,
 * names, calls and attributes, building arena nodes whose height is bounded
 * by TMPL_MAX_DEPTH. */
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

struct expr *tparse_new_expr(struct parser *ps, enum ekind k)
{
	struct expr *e = tarena_alloc(&ps->t->arena, sizeof *e);
	e->k = k;
	e->line = ps->line;
	e->height = 1;
	return e;
}

static void too_deep(struct parser *ps)
{
	tparse_err(ps, ps->line, "nested more than %d levels deep", TMPL_MAX_DEPTH);
}

/* Opens a level of recursion; false (after the error) when too deep. */
bool tparse_enter(struct parser *ps)
{
	if (++ps->depth <= TMPL_MAX_DEPTH)
		return true;
	too_deep(ps);
	return false;
}

static int max_height(int h, const struct expr *e)
{
	return e && e->height > h ? e->height : h;
}

/* Sets e's height from its operands; NULL (after the error) when the tree
 * is too tall, e.g. a chain of 50,000 '~'. */
struct expr *tparse_sized(struct parser *ps, struct expr *e)
{
	int h = max_height(max_height(0, e->a), e->b);
	for (size_t i = 0; i < e->n; i++) {
		h = max_height(h, e->items ? e->items[i] : NULL);
		h = max_height(h, e->keys ? e->keys[i] : NULL);
	}
	for (size_t i = 0; i < e->nkw; i++)
		h = max_height(h, e->kwargs[i]);
	e->height = h + 1;
	if (e->height <= TMPL_MAX_DEPTH)
		return e;
	too_deep(ps);
	return NULL;
}

/* Collects expression pointers into an arena array. */
struct evec {
	struct expr **v;
	const char **names;
	size_t n, cap;
};

static void evec_push(struct parser *ps, struct evec *ev, struct expr *e, const char *name)
{
	if (ev->n == ev->cap) {
		size_t cap = ev->cap ? ev->cap * 2 : 4;
		struct expr **v = tarena_alloc(&ps->t->arena, cap * sizeof *v);
		const char **names = tarena_alloc(&ps->t->arena, cap * sizeof *names);
		if (ev->n) {
			memcpy(v, ev->v, ev->n * sizeof *v);
			memcpy(names, ev->names, ev->n * sizeof *names);
		}
		ev->v = v;
		ev->names = names;
		ev->cap = cap;
	}
	ev->v[ev->n] = e;
	ev->names[ev->n++] = name;
}

struct expr *tparse_expr(struct parser *ps);

static bool func_known(struct parser *ps, const char *name)
{
	for (const char *const *f = ps->funcs; f && *f; f++)
		if (strcmp(*f, name) == 0)
			return true;
	return false;
}

static struct expr *parse_primary(struct parser *ps)
{
	if (ps->failed)
		return NULL;
	struct expr *e;
	if (ps->tok == T_STR) {
		e = tparse_new_expr(ps, E_LIT);
		e->lit.kind = TV_STR;
		e->lit.s = ps->tstr;
		e->lit.n = (size_t)ps->tnum;
		tlex_next(ps);
	} else if (ps->tok == T_NUM) {
		e = tparse_new_expr(ps, E_LIT);
		e->lit.kind = TV_NUM;
		e->lit.num = ps->tnum;
		e->lit.real = ps->treal;
		tlex_next(ps);
	} else if (ps->tok == T_LP) {
		tlex_next(ps);
		e = tparse_expr(ps);
		if (!e || !tparse_expect(ps, T_RP, "')'"))
			return NULL;
	} else if (ps->tok == T_LB) {
		e = tparse_new_expr(ps, E_LIST);
		tlex_next(ps);
		struct evec ev = { 0 };
		while (ps->tok != T_RB) {
			struct expr *item = tparse_expr(ps);
			if (!item)
				return NULL;
			evec_push(ps, &ev, item, NULL);
			if (ps->tok == T_COMMA)
				tlex_next(ps);
			else if (ps->tok != T_RB)
				return tparse_unexpected(ps, "',' or ']'"), NULL;
		}
		tlex_next(ps);
		e->items = ev.v;
		e->n = ev.n;
		if (!tparse_sized(ps, e))
			return NULL;
	} else if (ps->tok == T_LC) {
		e = tparse_new_expr(ps, E_DICT);
		tlex_next(ps);
		struct evec keys = { 0 }, vals = { 0 };
		while (ps->tok != T_RC) {
			struct expr *k = tparse_expr(ps);
			if (!k || !tparse_expect(ps, T_COLON, "':'"))
				return NULL;
			struct expr *v = tparse_expr(ps);
			if (!v)
				return NULL;
			evec_push(ps, &keys, k, NULL);
			evec_push(ps, &vals, v, NULL);
			if (ps->tok == T_COMMA)
				tlex_next(ps);
			else if (ps->tok != T_RC)
				return tparse_unexpected(ps, "',' or '}'"), NULL;
		}
		tlex_next(ps);
		e->keys = keys.v;
		e->items = vals.v;
		e->n = keys.n;
		if (!tparse_sized(ps, e))
			return NULL;
	} else if (ps->tok == T_NAME) {
		if (tlex_is(ps, "true") || tlex_is(ps, "True") || tlex_is(ps, "false") || tlex_is(ps, "False")) {
			e = tparse_new_expr(ps, E_LIT);
			e->lit.kind = TV_BOOL;
			e->lit.b = ps->tstart[0] == 't' || ps->tstart[0] == 'T';
			tlex_next(ps);
		} else if (tlex_is(ps, "none") || tlex_is(ps, "None")) {
			e = tparse_new_expr(ps, E_LIT);
			e->lit.kind = TV_NONE;
			tlex_next(ps);
		} else {
			e = tparse_new_expr(ps, E_NAME);
			e->name = tlex_text(ps);
			tlex_next(ps);
		}
	} else {
		tparse_unexpected(ps, "a value");
		return NULL;
	}
	/* postfix: calls and attributes */
	for (;;) {
		if (ps->failed)
			return NULL;
		if (ps->tok == T_LP) {
			if (e->k != E_NAME) {
				tparse_err(ps, ps->line, "unsupported construct: method call '%s%s%s()' (not in modelrun's Jinja subset)",
				     e->k == E_ATTR && e->a->k == E_NAME ? e->a->name : "",
				     e->k == E_ATTR && e->a->k == E_NAME ? "." : "", e->k == E_ATTR ? e->name : "(...)");
				return NULL;
			}
			if (!func_known(ps, e->name)) {
				tparse_err(ps, ps->line, "unsupported construct: function '%s()' (not in modelrun's Jinja subset)", e->name);
				return NULL;
			}
			e->k = E_CALL;
			tlex_next(ps);
			struct evec pos = { 0 }, kw = { 0 };
			while (ps->tok != T_RP) {
				if (ps->tok == T_NAME) {
					/* keyword argument? look ahead for '=' */
					const char *save_p = ps->p;
					int save_line = ps->line;
					struct parser look = *ps;
					tlex_next(&look);
					if (look.tok == T_ASSIGN) {
						char *kname = tlex_text(ps);
						*ps = look;
						tlex_next(ps);
						struct expr *v = tparse_expr(ps);
						if (!v)
							return NULL;
						evec_push(ps, &kw, v, kname);
						goto sep;
					}
					ps->p = save_p;
					ps->line = save_line;
				}
				if (kw.n) {
					tparse_err(ps, ps->line, "positional argument after keyword argument in %s()", e->name);
					return NULL;
				}
				struct expr *a = tparse_expr(ps);
				if (!a)
					return NULL;
				evec_push(ps, &pos, a, NULL);
sep:
				if (ps->tok == T_COMMA)
					tlex_next(ps);
				else if (ps->tok != T_RP)
					return tparse_unexpected(ps, "',' or ')'"), NULL;
			}
			tlex_next(ps);
			e->items = pos.v;
			e->n = pos.n;
			e->kwargs = kw.v;
			e->kwnames = kw.names;
			e->nkw = kw.n;
			if (!tparse_sized(ps, e))
				return NULL;
		} else if (ps->tok == T_DOT) {
			tlex_next(ps);
			if (ps->tok != T_NAME)
				return tparse_unexpected(ps, "an attribute name"), NULL;
			struct expr *a = tparse_new_expr(ps, E_ATTR);
			a->a = e;
			a->name = tlex_text(ps);
			tlex_next(ps);
			e = tparse_sized(ps, a);
			if (!e)
				return NULL;
		} else if (ps->tok == T_LB) {
			tparse_err(ps, ps->line, "unsupported construct: subscript '[...]' (not in modelrun's Jinja subset)");
			return NULL;
		} else {
			return e;
		}
	}
}

static struct expr *parse_unary(struct parser *ps)
{
	if (ps->tok == T_MINUS) {
		struct expr *e = tparse_new_expr(ps, E_NEG);
		tlex_next(ps);
		if (!tparse_enter(ps))
			return NULL;
		e->a = parse_unary(ps);
		ps->depth--;
		return e->a ? tparse_sized(ps, e) : NULL;
	}
	return parse_primary(ps);
}

static struct expr *parse_mul(struct parser *ps)
{
	struct expr *e = parse_unary(ps);
	while (e && (ps->tok == T_STAR || ps->tok == T_SLASH)) {
		struct expr *o = tparse_new_expr(ps, E_ARITH);
		o->op = ps->tok;
		tlex_next(ps);
		o->a = e;
		o->b = parse_unary(ps);
		e = o->b ? tparse_sized(ps, o) : NULL;
	}
	return e;
}

static struct expr *parse_add(struct parser *ps)
{
	struct expr *e = parse_mul(ps);
	while (e && (ps->tok == T_PLUS || ps->tok == T_MINUS || ps->tok == T_TILDE)) {
		struct expr *o = tparse_new_expr(ps, ps->tok == T_TILDE ? E_CONCAT : E_ARITH);
		o->op = ps->tok;
		tlex_next(ps);
		o->a = e;
		o->b = parse_mul(ps);
		e = o->b ? tparse_sized(ps, o) : NULL;
	}
	return e;
}

static struct expr *parse_cmp(struct parser *ps)
{
	struct expr *e = parse_add(ps);
	while (e && !ps->failed) {
		if (ps->tok == T_EQ || ps->tok == T_NE || ps->tok == T_LT || ps->tok == T_LE ||
		    ps->tok == T_GT || ps->tok == T_GE) {
			struct expr *o = tparse_new_expr(ps, E_CMP);
			o->op = ps->tok;
			tlex_next(ps);
			o->a = e;
			o->b = parse_add(ps);
			e = o->b ? tparse_sized(ps, o) : NULL;
		} else if (tlex_is(ps, "in") || tlex_is(ps, "not")) {
			bool negate = tlex_is(ps, "not");
			if (negate) {
				struct parser look = *ps;
				tlex_next(&look);
				if (!tlex_is(&look, "in"))
					return e;
				*ps = look;
			}
			struct expr *o = tparse_new_expr(ps, E_IN);
			tlex_next(ps);
			o->a = e;
			o->b = parse_add(ps);
			if (!o->b || !(e = tparse_sized(ps, o)))
				return NULL;
			if (negate) {
				struct expr *n = tparse_new_expr(ps, E_NOT);
				n->a = e;
				if (!(e = tparse_sized(ps, n)))
					return NULL;
			}
		} else if (tlex_is(ps, "is")) {
			tparse_err(ps, ps->line, "unsupported construct: test 'is' (not in modelrun's Jinja subset)");
			return NULL;
		} else {
			return e;
		}
	}
	return e;
}

static struct expr *parse_not(struct parser *ps)
{
	if (tlex_is(ps, "not")) {
		struct expr *e = tparse_new_expr(ps, E_NOT);
		tlex_next(ps);
		if (!tparse_enter(ps))
			return NULL;
		e->a = parse_not(ps);
		ps->depth--;
		return e->a ? tparse_sized(ps, e) : NULL;
	}
	return parse_cmp(ps);
}

static struct expr *parse_and(struct parser *ps)
{
	struct expr *e = parse_not(ps);
	while (e && tlex_is(ps, "and")) {
		struct expr *o = tparse_new_expr(ps, E_AND);
		tlex_next(ps);
		o->a = e;
		o->b = parse_not(ps);
		e = o->b ? tparse_sized(ps, o) : NULL;
	}
	return e;
}

struct expr *tparse_expr(struct parser *ps)
{
	/* every nested '(', '[', '{' and argument list comes through here */
	if (!tparse_enter(ps))
		return NULL;
	struct expr *e = parse_and(ps);
	while (e && tlex_is(ps, "or")) {
		struct expr *o = tparse_new_expr(ps, E_OR);
		tlex_next(ps);
		o->a = e;
		o->b = parse_and(ps);
		e = o->b ? tparse_sized(ps, o) : NULL;
	}
	if (e && tlex_is(ps, "if")) {
		tparse_err(ps, ps->line, "unsupported construct: inline 'if' expression (not in modelrun's Jinja subset)");
		return NULL;
	}
	ps->depth--;
	return e;
}
