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
	int h = max_height(max_height(max_height(0, e->a), e->b), e->c);
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
	for (const char *const *f = ps->funcs; f && *f; f++) {
		size_t n = strlen(*f);
		/* "ns.*": any name under ns */
		if (n > 2 && strcmp(*f + n - 2, ".*") == 0 ? strncmp(*f, name, n - 1) == 0 && name[n - 1]
							    : strcmp(*f, name) == 0)
			return true;
	}
	return false;
}

/* Parses "(a, b, k=v)" after the '(' has been seen; leaves the parser after
 * the ')'. */
static bool parse_args(struct parser *ps, struct expr *e, const char *what)
{
	struct evec pos = { 0 }, kw = { 0 };
	while (ps->tok != T_RP) {
		if (ps->tok == T_STAR || ps->tok == T_POW) {
			/* f(*list) and f(**dict): spread when called */
			bool dict = ps->tok == T_POW;
			tlex_next(ps);
			struct expr *v = tparse_expr(ps);
			if (!v)
				return false;
			if (dict ? e->c != NULL : e->b != NULL) {
				tparse_err(ps, ps->line, "'%s' given twice in %s()", dict ? "**" : "*", what);
				return false;
			}
			*(dict ? &e->c : &e->b) = v;
			goto sep;
		}
		if (ps->tok == T_NAME) {
			/* keyword argument? look ahead for '=' */
			struct parser look = *ps;
			tlex_next(&look);
			if (look.tok == T_ASSIGN) {
				char *kname = tlex_text(ps);
				*ps = look;
				tlex_next(ps);
				struct expr *v = tparse_expr(ps);
				if (!v)
					return false;
				evec_push(ps, &kw, v, kname);
				goto sep;
			}
		}
		if (kw.n || e->c) {
			tparse_err(ps, ps->line, "positional argument after keyword argument in %s()", what);
			return false;
		}
		struct expr *a = tparse_expr(ps);
		if (!a)
			return false;
		evec_push(ps, &pos, a, NULL);
sep:
		if (ps->tok == T_COMMA)
			tlex_next(ps);
		else if (ps->tok != T_RP)
			return tparse_unexpected(ps, "',' or ')'"), false;
	}
	tlex_next(ps);
	e->items = pos.v;
	e->n = pos.n;
	e->kwargs = kw.v;
	e->kwnames = kw.names;
	e->nkw = kw.n;
	return tparse_sized(ps, e) != NULL;
}

/* "a.b.c" for a chain of names and attributes, in buf; false otherwise. */
static bool dotted_name(const struct expr *e, char *buf, size_t n)
{
	if (e->k == E_NAME)
		return (size_t)snprintf(buf, n, "%s", e->name) < n;
	if (e->k != E_ATTR || !dotted_name(e->a, buf, n))
		return false;
	size_t len = strlen(buf);
	return (size_t)snprintf(buf + len, n - len, ".%s", e->name) < n - len;
}

/* A call of callee (already parsed), the '(' being the current token. */
static struct expr *parse_call(struct parser *ps, struct expr *callee)
{
	struct expr *e = tparse_new_expr(ps, E_CALL);
	char dotted[256];
	if (callee->k == E_NAME) {
		e->name = callee->name;
		if (func_known(ps, e->name)) {
			e->op = 1;
		} else if (!tbuiltin_is_global(e->name) && !tdbt_is_global(e->name) &&
			   strcmp(e->name, "caller") != 0) {
			/* a macro or a variable, checked at the end of the parse */
			struct name_list *c = tarena_alloc(&ps->t->arena, sizeof *c);
			c->name = e->name;
			c->line = ps->line;
			c->next = ps->calls;
			ps->calls = c;
		}
	} else if (callee->k == E_ATTR && dotted_name(callee, dotted, sizeof dotted) && func_known(ps, dotted)) {
		e->name = tarena_strndup(&ps->t->arena, dotted, strlen(dotted));
		e->op = 1;
	} else {
		e->a = callee;
		e->name = callee->k == E_ATTR ? callee->name : "(...)";
	}
	tlex_next(ps);
	return parse_args(ps, e, e->name) ? e : NULL;
}

/* The rest of a subscript after '[': x[i], x[a:b], x[a:b:c]. */
static struct expr *parse_subscript(struct parser *ps, struct expr *obj)
{
	tlex_next(ps);
	struct expr *parts[3] = { NULL, NULL, NULL };
	int colons = 0;
	for (;;) {
		if (ps->tok == T_COLON) {
			if (++colons > 2)
				return tparse_unexpected(ps, "']'"), NULL;
			tlex_next(ps);
			continue;
		}
		if (ps->tok == T_RB)
			break;
		if (parts[colons])
			return tparse_unexpected(ps, "':' or ']'"), NULL;
		if (!(parts[colons] = tparse_expr(ps)))
			return NULL;
	}
	tlex_next(ps);
	struct expr *e;
	if (colons == 0) {
		if (!parts[0])
			return tparse_unexpected(ps, "a subscript"), NULL;
		e = tparse_new_expr(ps, E_SUBSCRIPT);
		e->b = parts[0];
	} else {
		e = tparse_new_expr(ps, E_SLICE);
		e->b = parts[0];
		e->c = parts[1];
		e->items = tarena_alloc(&ps->t->arena, sizeof *e->items);
		e->items[0] = parts[2];
		e->n = 1;
	}
	e->a = obj;
	return tparse_sized(ps, e);
}

static struct expr *parse_postfix(struct parser *ps, struct expr *e)
{
	for (;;) {
		if (!e || ps->failed)
			return NULL;
		if (ps->tok == T_LP) {
			e = parse_call(ps, e);
		} else if (ps->tok == T_DOT) {
			tlex_next(ps);
			if (ps->tok != T_NAME && ps->tok != T_NUM)
				return tparse_unexpected(ps, "an attribute name"), NULL;
			struct expr *a = tparse_new_expr(ps, E_ATTR);
			a->a = e;
			a->name = tlex_text(ps);
			tlex_next(ps);
			e = tparse_sized(ps, a);
		} else if (ps->tok == T_LB) {
			e = parse_subscript(ps, e);
		} else {
			return e;
		}
	}
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
		/* adjacent literals concatenate, as in Python */
		while (ps->tok == T_STR) {
			size_t n = (size_t)ps->tnum;
			char *s = tarena_alloc(&ps->t->arena, e->lit.n + n + 1);
			memcpy(s, e->lit.s, e->lit.n);
			memcpy(s + e->lit.n, ps->tstr, n);
			e->lit.s = s;
			e->lit.n += n;
			tlex_next(ps);
		}
	} else if (ps->tok == T_NUM) {
		e = tparse_new_expr(ps, E_LIT);
		e->lit.kind = TV_NUM;
		e->lit.num = ps->tnum;
		e->lit.real = ps->treal;
		tlex_next(ps);
	} else if (ps->tok == T_LP) {
		/* a parenthesized expression or a tuple */
		int line = ps->line;
		tlex_next(ps);
		struct evec ev = { 0 };
		bool tuple = false;
		while (ps->tok != T_RP) {
			struct expr *item = tparse_expr(ps);
			if (!item)
				return NULL;
			evec_push(ps, &ev, item, NULL);
			if (ps->tok == T_COMMA) {
				tuple = true;
				tlex_next(ps);
			} else if (ps->tok != T_RP) {
				return tparse_unexpected(ps, "')'"), NULL;
			}
		}
		tlex_next(ps);
		if (ev.n == 1 && !tuple) {
			e = ev.v[0];
		} else {
			e = tparse_new_expr(ps, E_LIST);
			e->line = line;
			e->op = 1;
			e->items = ev.v;
			e->n = ev.n;
			if (!tparse_sized(ps, e))
				return NULL;
		}
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
	return parse_postfix(ps, e);
}

/* Filters (x|f, x|f(args)) and tests (x is t, x is not t, x is t arg). */
static struct expr *parse_filters(struct parser *ps, struct expr *e)
{
	while (e && !ps->failed) {
		if (ps->tok == T_PIPE) {
			tlex_next(ps);
			if (ps->tok != T_NAME)
				return tparse_unexpected(ps, "a filter name"), NULL;
			struct expr *f = tparse_new_expr(ps, E_FILTER);
			f->name = tlex_text(ps);
			if (!tbuiltin_is_filter(f->name)) {
				tparse_err(ps, ps->line, "unsupported construct: filter '%s' (not in modelrun's Jinja subset)",
					   f->name);
				return NULL;
			}
			tlex_next(ps);
			/* dotted filter names do not exist in dbt */
			f->a = e;
			if (ps->tok == T_LP) {
				tlex_next(ps);
				if (!parse_args(ps, f, f->name))
					return NULL;
			} else if (!tparse_sized(ps, f)) {
				return NULL;
			}
			e = parse_postfix(ps, f);
		} else if (tlex_is(ps, "is")) {
			tlex_next(ps);
			struct expr *t = tparse_new_expr(ps, E_TEST);
			if (tlex_is(ps, "not")) {
				t->op = 1;
				tlex_next(ps);
			}
			if (ps->tok != T_NAME)
				return tparse_unexpected(ps, "a test name"), NULL;
			t->name = tlex_text(ps);
			if (!tbuiltin_is_test(t->name)) {
				tparse_err(ps, ps->line, "unsupported construct: test '%s' (not in modelrun's Jinja subset)",
					   t->name);
				return NULL;
			}
			tlex_next(ps);
			t->a = e;
			if (ps->tok == T_LP) {
				tlex_next(ps);
				if (!parse_args(ps, t, t->name))
					return NULL;
			} else if ((ps->tok == T_NAME || ps->tok == T_STR || ps->tok == T_NUM || ps->tok == T_LB ||
				    ps->tok == T_LC || ps->tok == T_LP) &&
				   !tlex_is(ps, "else") && !tlex_is(ps, "or") && !tlex_is(ps, "and") &&
				   !tlex_is(ps, "if") && !tlex_is(ps, "in") && !tlex_is(ps, "not")) {
				struct expr *arg = parse_primary(ps);
				if (!arg)
					return NULL;
				t->items = tarena_alloc(&ps->t->arena, sizeof *t->items);
				t->items[0] = arg;
				t->n = 1;
				if (!tparse_sized(ps, t))
					return NULL;
			} else if (!tparse_sized(ps, t)) {
				return NULL;
			}
			e = t;
		} else {
			return e;
		}
	}
	return e;
}

static struct expr *parse_unary(struct parser *ps, bool filters)
{
	if (ps->tok == T_MINUS || ps->tok == T_PLUS) {
		bool neg = ps->tok == T_MINUS;
		struct expr *e = tparse_new_expr(ps, E_NEG);
		tlex_next(ps);
		if (!tparse_enter(ps))
			return NULL;
		e->a = parse_unary(ps, false);
		ps->depth--;
		if (!e->a)
			return NULL;
		if (!neg) {
			/* +x: a number stays itself */
			e->op = T_PLUS;
		}
		e = tparse_sized(ps, e);
		return filters ? parse_filters(ps, e) : e;
	}
	struct expr *e = parse_primary(ps);
	return filters ? parse_filters(ps, e) : e;
}

static struct expr *parse_pow(struct parser *ps)
{
	struct expr *e = parse_unary(ps, true);
	while (e && ps->tok == T_POW) {
		struct expr *o = tparse_new_expr(ps, E_ARITH);
		o->op = ps->tok;
		tlex_next(ps);
		o->a = e;
		o->b = parse_unary(ps, true);
		e = o->b ? tparse_sized(ps, o) : NULL;
	}
	return e;
}

static struct expr *parse_mul(struct parser *ps)
{
	struct expr *e = parse_pow(ps);
	while (e && (ps->tok == T_STAR || ps->tok == T_SLASH || ps->tok == T_DSLASH || ps->tok == T_PERCENT)) {
		struct expr *o = tparse_new_expr(ps, E_ARITH);
		o->op = ps->tok;
		tlex_next(ps);
		o->a = e;
		o->b = parse_pow(ps);
		e = o->b ? tparse_sized(ps, o) : NULL;
	}
	return e;
}

static struct expr *parse_concat(struct parser *ps)
{
	struct expr *e = parse_mul(ps);
	while (e && ps->tok == T_TILDE) {
		struct expr *o = tparse_new_expr(ps, E_CONCAT);
		tlex_next(ps);
		o->a = e;
		o->b = parse_mul(ps);
		e = o->b ? tparse_sized(ps, o) : NULL;
	}
	return e;
}

static struct expr *parse_add(struct parser *ps)
{
	struct expr *e = parse_concat(ps);
	while (e && (ps->tok == T_PLUS || ps->tok == T_MINUS)) {
		struct expr *o = tparse_new_expr(ps, E_ARITH);
		o->op = ps->tok;
		tlex_next(ps);
		o->a = e;
		o->b = parse_concat(ps);
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

static struct expr *parse_or(struct parser *ps)
{
	struct expr *e = parse_and(ps);
	while (e && tlex_is(ps, "or")) {
		struct expr *o = tparse_new_expr(ps, E_OR);
		tlex_next(ps);
		o->a = e;
		o->b = parse_and(ps);
		e = o->b ? tparse_sized(ps, o) : NULL;
	}
	return e;
}

struct expr *tparse_expr(struct parser *ps)
{
	/* every nested '(', '[', '{' and argument list comes through here */
	if (!tparse_enter(ps))
		return NULL;
	struct expr *e = parse_or(ps);
	while (e && tlex_is(ps, "if")) {
		/* a if b else c; without else, an undefined value */
		struct expr *c = tparse_new_expr(ps, E_COND);
		tlex_next(ps);
		c->a = e;
		if (!(c->b = parse_or(ps)))
			return NULL;
		if (tlex_is(ps, "else")) {
			tlex_next(ps);
			if (!(c->c = tparse_expr(ps)))
				return NULL;
		}
		e = tparse_sized(ps, c);
	}
	ps->depth--;
	return e;
}
