/* SPDX-License-Identifier: MIT
 * The expression evaluator: names against the scope and the host, calls of
 * host functions, macros and methods, filters and tests, subscripts,
 * slices and operators, with Python's meaning where Jinja leaves it to
 * Python (integer and float arithmetic, 'and'/'or' giving an operand,
 * comparisons). An undefined name evaluates to TV_UNDEF, which is falsy and
 * testable but an error wherever its value is used. */
#include "template.h"
#include "template_int.h"
#include "buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char tcond_false[] = "an inline 'if' without 'else' was false";

static struct tval undefined(struct tmpl_render *r, const char *fmt, const char *what)
{
	char msg[256];
	snprintf(msg, sizeof msg, fmt, what);
	struct tval v = tval_str(r, msg, strlen(msg));
	v.kind = TV_UNDEF;
	return v;
}

/* Fails when v is undefined: its message says which name. */
static int defined(struct tmpl_render *r, int line, const struct tval *v)
{
	if (v->kind != TV_UNDEF)
		return 0;
	tmpl_fail(r, line, "%s", v->s);
	return -1;
}

bool tval_lenient(const struct tmpl_render *r, const struct tval *v)
{
	if (v->kind != TV_UNDEF)
		return false;
	return v->lenient || (r->t->late && strncmp(v->s, "unsupported construct", 21) != 0);
}

struct tval tval_undefined(const char *msg)
{
	return (struct tval){ .kind = TV_UNDEF, .lenient = true, .s = msg, .n = strlen(msg) };
}

/* Fails when v is undefined, unless it is Jinja's lenient undefined, which
 * may be stored, passed to a macro, printed or joined. */
static int storable(struct tmpl_render *r, int line, const struct tval *v)
{
	return tval_lenient(r, v) ? 0 : defined(r, line, v);
}

static int lookup(struct tmpl_render *r, const char *name, int line, struct tval *out)
{
	for (struct binding *s = r->scope; s; s = s->prev)
		if (strcmp(s->name, name) == 0) {
			*out = s->v;
			return 0;
		}
	if (r->host && r->host->global) {
		int rc = r->host->global(r->host->ud, r, name, line, out);
		if (rc <= 0)
			return rc;
	}
	*out = undefined(r, "undefined name '%s'", name);
	return 0;
}

/* ns.name, where ns is not a variable of the template: the host's value of
 * the dotted name (a package's macro, dbt.date_trunc), if it has one.
 * Returns 0 with *out, 1 when there is none, -1 on failure. */
static int dotted_global(struct tmpl_render *r, const struct expr *e, struct tval *out)
{
	if (e->k != E_ATTR || e->a->k != E_NAME || !r->host || !r->host->global)
		return 1;
	for (struct binding *s = r->scope; s; s = s->prev)
		if (strcmp(s->name, e->a->name) == 0)
			return 1;
	char name[256];
	if ((size_t)snprintf(name, sizeof name, "%s.%s", e->a->name, e->name) >= sizeof name)
		return 1;
	return r->host->global(r->host->ud, r, name, e->line, out);
}

/* f(a, *list, k=v, **dict): the list's items follow the positional
 * arguments, the dict's pairs the keyword ones. */
static int spread_args(struct tmpl_render *r, const struct expr *e, struct targs *a)
{
	struct tval l = { .kind = TV_LIST }, d = { .kind = TV_DICT };
	if ((e->b && teval_defined(r, e->b, &l)) || (e->c && teval_defined(r, e->c, &d)))
		return -1;
	if (l.kind != TV_LIST || d.kind != TV_DICT) {
		tmpl_fail(r, e->line, "'*' needs a list and '**' a dict in a call of %s()", e->name ? e->name : "(...)");
		return -1;
	}
	struct tval *v = tval_alloc(r, a->n + l.n), *kw = tval_alloc(r, a->nkw + d.n);
	const char **names = tval_alloc_keys(r, a->nkw + d.n);
	/* memcpy of no bytes still wants pointers that are not NULL */
	if (a->n)
		memcpy(v, a->v, a->n * sizeof *v);
	if (l.n)
		memcpy(v + a->n, l.items, l.n * sizeof *v);
	if (a->nkw) {
		memcpy(kw, a->kw, a->nkw * sizeof *kw);
		memcpy(names, a->kwnames, a->nkw * sizeof *names);
	}
	for (size_t i = 0; i < d.n; i++) {
		kw[a->nkw + i] = d.items[i];
		names[a->nkw + i] = d.keys[i];
	}
	*a = (struct targs){ a->n + l.n, v, a->nkw + d.n, names, kw };
	return 0;
}

/* Evaluates the arguments of a call, filter or test; strict, an undefined
 * one is an error unless it is lenient (see tval_lenient). */
static int eval_args(struct tmpl_render *r, const struct expr *e, struct targs *a, bool strict)
{
	struct tval *v = tval_alloc(r, e->n), *kw = tval_alloc(r, e->nkw);
	for (size_t i = 0; i < e->n; i++) {
		if (!e->items[i]) {
			v[i] = (struct tval){ .kind = TV_NONE };
			continue;
		}
		if (teval(r, e->items[i], &v[i]) || (strict && storable(r, e->line, &v[i])))
			return -1;
	}
	for (size_t i = 0; i < e->nkw; i++)
		if (teval(r, e->kwargs[i], &kw[i]) || (strict && storable(r, e->line, &kw[i])))
			return -1;
	*a = (struct targs){ e->n, v, e->nkw, e->kwnames, kw };
	if (e->k == E_CALL && (e->b || e->c))
		return spread_args(r, e, a);
	return 0;
}

static int call_host(struct tmpl_render *r, const struct expr *e, const struct targs *a, struct tval *out)
{
	struct tmpl_call c = {
		.name = e->name, .file = r->t->file, .line = e->line,
		.nargs = a->n, .args = a->v, .nkw = a->nkw, .kwnames = a->kwnames, .kwargs = a->kw,
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

/* Whether v was made by the host (whose methods the host answers). */
static bool host_made(const struct tval *v)
{
	return (v->kind == TV_STR && v->nattr) || (v->kind == TV_LIST && v->attrs) || (v->kind == TV_DICT && !v->box);
}

int tmpl_no_method(struct tmpl_render *r, const struct tmpl_call *c)
{
	const struct tval *obj = c->nargs ? &c->args[0] : NULL;
	tmpl_fail(r, c->line, "unsupported construct: method '%s()' of a %s", c->name,
		  obj ? tval_kind_name(obj->kind) : "value");
	return -1;
}

/* obj.name(...) of a host's value: the host's call ".name" with obj first. */
static int host_method(struct tmpl_render *r, const struct expr *e, const struct tval *obj, const struct targs *a,
		       struct tval *out)
{
	struct tval *args = tval_alloc(r, a->n + 1);
	args[0] = *obj;
	if (a->n)
		memcpy(args + 1, a->v, a->n * sizeof *args);
	char *name = tarena_alloc(&r->arena, strlen(e->a->name) + 2);
	name[0] = '.';
	strcpy(name + 1, e->a->name);
	struct tmpl_call c = {
		.name = name, .file = r->t->file, .line = e->line,
		.nargs = a->n + 1, .args = args, .nkw = a->nkw, .kwnames = a->kwnames, .kwargs = a->kw,
	};
	*out = (struct tval){ .kind = TV_NONE };
	if (r->host->call(r->host->ud, r, &c, out) != 0) {
		if (!r->failed)
			tmpl_fail(r, e->line, "%s() failed", name);
		return -1;
	}
	return 0;
}

/* Fails on the first undefined argument: only a macro takes one (see
 * teval_call). */
static int args_defined(struct tmpl_render *r, int line, const struct targs *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (defined(r, line, &a->v[i]))
			return -1;
	for (size_t i = 0; i < a->nkw; i++)
		if (defined(r, line, &a->kw[i]))
			return -1;
	return 0;
}

/* Calls fn; an undefined argument reaches a macro only. */
static int call_fn(struct tmpl_render *r, int line, const struct tval *fn, const struct targs *a, struct tval *out)
{
	if ((fn->kind != TV_FUNC || fn->fn->kind != F_MACRO) && args_defined(r, line, a))
		return -1;
	return tcall_value(r, fn, line, a->n, a->v, a->nkw, a->kwnames, a->kw, out);
}

/* A call; caller, when not NULL, is passed as the keyword argument of a
 * {% call %} block. In a macro file an undefined argument is passed on to
 * a macro, as Jinja passes its Undefined (dbt_utils calls macros with
 * arguments left out); anything else fails on it. */
int teval_call(struct tmpl_render *r, const struct expr *e, const struct tval *caller, struct tval *out)
{
	struct targs a;
	if (eval_args(r, e, &a, !r->t->late))
		return -1;
	if (caller) {
		size_t n = a.nkw + 1;
		struct tval *kw = tval_alloc(r, n);
		const char **names = tval_alloc_keys(r, n);
		for (size_t i = 0; i < a.nkw; i++) {
			kw[i] = a.kw[i];
			names[i] = a.kwnames[i];
		}
		kw[a.nkw] = *caller;
		names[a.nkw] = "caller";
		a.kw = kw;
		a.kwnames = names;
		a.nkw = n;
	}
	struct tval fn;
	if (e->a) {
		/* obj.method(...) or an expression's value called */
		int rc = dotted_global(r, e->a, &fn);
		if (rc < 0)
			return -1;
		if (rc == 0)
			goto have_fn;
		if (e->a->k == E_ATTR) {
			struct tval obj;
			if (teval(r, e->a->a, &obj) || defined(r, e->line, &obj))
				return -1;
			const struct tval *v = obj.kind == TV_DICT ? tval_get(&obj, e->a->name) : NULL;
			if (v && v->kind == TV_FUNC)
				return call_fn(r, e->line, v, &a, out);
			if (tbuiltin_has_method(&obj, e->a->name))
				return args_defined(r, e->line, &a) ? -1 :
								      tbuiltin_method(r, e->line, &obj, e->a->name, &a, out);
			if (obj.kind == TV_STR && obj.nattr)
				v = tval_get(&obj, e->a->name);
			if (v && v->kind == TV_FUNC)
				return call_fn(r, e->line, v, &a, out);
			if (host_made(&obj) && r->host && r->host->call)
				return args_defined(r, e->line, &a) ? -1 : host_method(r, e, &obj, &a, out);
			tmpl_fail(r, e->line, "unsupported construct: method '.%s()' of a %s", e->a->name,
				  tval_kind_name(obj.kind));
			return -1;
		}
		if (teval(r, e->a, &fn) || defined(r, e->line, &fn))
			return -1;
	} else if (e->op == 1) {
		return args_defined(r, e->line, &a) ? -1 : call_host(r, e, &a, out);
	} else {
		if (lookup(r, e->name, e->line, &fn))
			return -1;
		if (fn.kind == TV_UNDEF) {
			/* return() hands Jinja's undefined back as dbt's does */
			bool ret = strcmp(e->name, "return") == 0;
			for (size_t i = 0; ret && i < a.n; i++)
				if (storable(r, e->line, &a.v[i]))
					return -1;
			if (!ret && args_defined(r, e->line, &a))
				return -1;
			int rc = tbuiltin_global(r, e->line, e->name, &a, out);
			if (rc == 1)
				rc = tdbt_global(r, e->line, e->name, &a, out);
			if (rc != 1)
				return rc;
			if (strcmp(e->name, "caller") == 0)
				tmpl_fail(r, e->line, "caller() outside a {%% call %%} block");
			else
				tmpl_fail(r, e->line, "undefined macro or function '%s()'", e->name);
			return -1;
		}
	}
have_fn:
	if (fn.kind != TV_FUNC) {
		tmpl_fail(r, e->line, "'%s' is a %s, not a macro or function", e->name, tval_kind_name(fn.kind));
		return -1;
	}
	return call_fn(r, e->line, &fn, &a, out);
}

/* Python's index into n items: negative counts from the end; -1 when out
 * of range. */
static long py_index(double i, size_t n)
{
	long k = (long)i;
	if (k < 0)
		k += (long)n;
	return k < 0 || k >= (long)n ? -1 : k;
}

static int eval_subscript(struct tmpl_render *r, const struct expr *e, const struct tval *obj,
			  const struct tval *key, struct tval *out)
{
	char what[64];
	if ((obj->kind == TV_LIST || obj->kind == TV_STR) && (key->kind == TV_NUM || key->kind == TV_BOOL)) {
		double k = key->kind == TV_BOOL ? key->b : key->num;
		long i = py_index(k, obj->n);
		if (i < 0) {
			snprintf(what, sizeof what, "%.0f", k);
			*out = undefined(r, "index %s is out of range", what);
		} else if (obj->kind == TV_LIST) {
			*out = obj->items[i];
		} else {
			*out = tval_str(r, obj->s + i, 1);
		}
		return 0;
	}
	if (key->kind == TV_STR &&
	    (obj->kind == TV_DICT || (obj->kind == TV_STR && obj->nattr) || (obj->kind == TV_LIST && obj->attrs))) {
		const struct tval *v = tval_get(obj, key->s);
		*out = v ? *v : undefined(r, "no key '%s'", key->s);
		return 0;
	}
	tmpl_fail(r, e->line, "cannot subscript a %s with a %s", tval_kind_name(obj->kind), tval_kind_name(key->kind));
	return -1;
}

/* obj[start:stop:step] as Python slices lists and strings. */
static int eval_slice(struct tmpl_render *r, const struct expr *e, const struct tval *obj, struct tval *out)
{
	struct tval part[3];
	struct expr *ex[3] = { e->b, e->c, e->items[0] };
	bool given[3];
	for (int i = 0; i < 3; i++) {
		given[i] = ex[i] != NULL;
		if (given[i] && (teval(r, ex[i], &part[i]) || defined(r, e->line, &part[i])))
			return -1;
		if (given[i] && part[i].kind == TV_NONE)
			given[i] = false;
		if (given[i] && part[i].kind != TV_NUM) {
			tmpl_fail(r, e->line, "slice indices must be numbers");
			return -1;
		}
	}
	if (obj->kind != TV_LIST && obj->kind != TV_STR) {
		tmpl_fail(r, e->line, "cannot slice a %s", tval_kind_name(obj->kind));
		return -1;
	}
	long n = (long)obj->n, step = given[2] ? (long)part[2].num : 1;
	if (step == 0) {
		tmpl_fail(r, e->line, "slice step cannot be zero");
		return -1;
	}
	long lo = step < 0 ? -1 : 0, hi = step < 0 ? n - 1 : n;
	long start = step < 0 ? hi : lo, stop = step < 0 ? lo : hi;
	for (int i = 0; i < 2; i++) {
		if (!given[i])
			continue;
		long v = (long)part[i].num;
		if (v < 0) {
			v += n;
			if (v < lo)
				v = lo;
		} else if (v > hi) {
			v = hi;
		}
		*(i == 0 ? &start : &stop) = v;
	}
	size_t count = 0;
	for (long i = start; step > 0 ? i < stop : i > stop; i += step)
		count++;
	if (obj->kind == TV_STR) {
		char *s = tarena_alloc(&r->arena, count + 1);
		size_t k = 0;
		for (long i = start; step > 0 ? i < stop : i > stop; i += step)
			s[k++] = obj->s[i];
		*out = (struct tval){ .kind = TV_STR, .s = s, .n = k };
		return 0;
	}
	*out = tval_list(r, count, true);
	out->tuple = obj->tuple;
	size_t k = 0;
	for (long i = start; step > 0 ? i < stop : i > stop; i += step)
		out->items[k++] = obj->items[i];
	return 0;
}

static int eval_arith(struct tmpl_render *r, const struct expr *e, const struct tval *a, const struct tval *b,
		      struct tval *out)
{
	/* a host's object that defines the operator, as Python's __add__ and
	 * __sub__ (a date minus a timedelta) */
	if ((e->op == T_PLUS || e->op == T_MINUS) && a->kind == TV_STR && a->nattr) {
		const struct tval *m = tval_get(a, e->op == T_PLUS ? "__add__" : "__sub__");
		if (m && m->kind == TV_FUNC)
			return tcall_value(r, m, e->line, 1, b, 0, NULL, NULL, out);
	}
	if (e->op == T_PLUS && a->kind == TV_STR && b->kind == TV_STR) {
		*out = tval_concat(r, a, b);
		return 0;
	}
	if (e->op == T_PLUS && a->kind == TV_LIST && b->kind == TV_LIST) {
		*out = tval_list(r, a->n + b->n, true);
		out->tuple = a->tuple;
		memcpy(out->items, a->items, a->n * sizeof *a->items);
		memcpy(out->items + a->n, b->items, b->n * sizeof *b->items);
		return 0;
	}
	if (e->op == T_STAR && ((a->kind == TV_STR && b->kind == TV_NUM) || (a->kind == TV_NUM && b->kind == TV_STR))) {
		const struct tval *s = a->kind == TV_STR ? a : b;
		double times = a->kind == TV_NUM ? a->num : b->num;
		struct buf o = { 0 };
		for (long i = 0; i < (long)times && o.len < (1u << 26); i++)
			buf_add(&o, s->s, s->n);
		*out = tval_str(r, o.data ? o.data : "", o.len);
		buf_free(&o);
		return 0;
	}
	double x = a->kind == TV_BOOL ? a->b : a->num, y = b->kind == TV_BOOL ? b->b : b->num;
	if ((a->kind != TV_NUM && a->kind != TV_BOOL) || (b->kind != TV_NUM && b->kind != TV_BOOL)) {
		tmpl_fail(r, e->line, "arithmetic on a %s and a %s", tval_kind_name(a->kind), tval_kind_name(b->kind));
		return -1;
	}
	bool real = a->real || b->real;
	double v;
	switch (e->op) {
	case T_PLUS: v = x + y; break;
	case T_MINUS: v = x - y; break;
	case T_STAR: v = x * y; break;
	case T_POW:
		v = pow(x, y);
		real = real || y < 0;
		break;
	default:
		if (y == 0) {
			tmpl_fail(r, e->line, e->op == T_PERCENT ? "modulo by zero" : "division by zero");
			return -1;
		}
		if (e->op == T_SLASH) {
			v = x / y;
			real = true; /* Python: '/' always gives a float */
		} else if (e->op == T_DSLASH) {
			v = floor(x / y);
		} else {
			v = fmod(x, y);
			if (v != 0 && (v < 0) != (y < 0))
				v += y; /* Python: the sign of the divisor */
		}
		break;
	}
	*out = tval_num(v, real);
	return 0;
}

static int eval_filter(struct tmpl_render *r, const struct expr *e, struct tval *out)
{
	struct tval x;
	struct targs a;
	if (teval(r, e->a, &x) || eval_args(r, e, &a, true))
		return -1;
	int rc = tdbt_filter(r, e->line, e->name, &x, &a, out);
	if (rc == 1)
		rc = tbuiltin_filter(r, e->line, e->name, &x, &a, out);
	if (rc == 1) {
		tmpl_fail(r, e->line, "unsupported construct: filter '%s' (not in modelrun's Jinja subset)", e->name);
		return -1;
	}
	return rc;
}

static int eval_inner(struct tmpl_render *r, const struct expr *e, struct tval *out)
{
	struct tval a, b;
	switch (e->k) {
	case E_LIT:
		*out = e->lit;
		return 0;
	case E_NAME:
		return lookup(r, e->name, e->line, out);
	case E_ATTR: {
		int rc = dotted_global(r, e, out);
		if (rc <= 0)
			return rc;
		if (teval(r, e->a, &a) || defined(r, e->line, &a))
			return -1;
		const struct tval *v = tval_get(&a, e->name);
		if (v) {
			*out = *v;
		} else if (tbuiltin_has_method(&a, e->name)) {
			struct tmpl_func *f = tarena_alloc(&r->arena, sizeof *f);
			f->kind = F_METHOD;
			f->self = a;
			f->name = e->name;
			*out = (struct tval){ .kind = TV_FUNC, .fn = f };
		} else if (a.kind == TV_DICT || (a.kind == TV_STR && a.nattr)) {
			*out = undefined(r, "no attribute '%s'", e->name);
		} else {
			char msg[160];
			snprintf(msg, sizeof msg, "unsupported construct: attribute '.%s' of a %s", e->name,
				 tval_kind_name(a.kind));
			*out = undefined(r, "%s", msg);
		}
		return 0;
	}
	case E_SUBSCRIPT:
		if (teval(r, e->a, &a) || defined(r, e->line, &a) || teval(r, e->b, &b) || defined(r, e->line, &b))
			return -1;
		return eval_subscript(r, e, &a, &b, out);
	case E_SLICE:
		if (teval(r, e->a, &a) || defined(r, e->line, &a))
			return -1;
		return eval_slice(r, e, &a, out);
	case E_CALL:
		return teval_call(r, e, NULL, out);
	case E_FILTER:
		return eval_filter(r, e, out);
	case E_TEST: {
		struct targs args;
		bool res;
		if (teval(r, e->a, &a) || eval_args(r, e, &args, true))
			return -1;
		int rc = tbuiltin_test(r, e->line, e->name, &a, &args, &res);
		if (rc == 1) {
			tmpl_fail(r, e->line, "unsupported construct: test '%s' (not in modelrun's Jinja subset)", e->name);
			return -1;
		}
		if (rc)
			return -1;
		*out = tval_bool(res != (e->op == 1));
		return 0;
	}
	case E_COND:
		if (teval(r, e->b, &a))
			return -1;
		if (tval_truthy(&a))
			return teval(r, e->a, out);
		if (e->c)
			return teval(r, e->c, out);
		*out = tval_undefined(tcond_false);
		return 0;
	case E_LIST:
		*out = tval_list(r, e->n, true);
		out->tuple = e->op == 1;
		for (size_t i = 0; i < e->n; i++)
			if (teval(r, e->items[i], &out->items[i]) || storable(r, e->line, &out->items[i]))
				return -1;
		return 0;
	case E_DICT:
		*out = tval_dict(r, 0, true);
		for (size_t i = 0; i < e->n; i++) {
			if (teval(r, e->keys[i], &a) || teval(r, e->items[i], &b) || storable(r, e->line, &b))
				return -1;
			if (a.kind != TV_STR) {
				tmpl_fail(r, e->line, "dict keys must be strings");
				return -1;
			}
			tbox_set(r, out, a.s, b);
		}
		return 0;
	case E_NOT:
		if (teval(r, e->a, &a))
			return -1;
		*out = tval_bool(!tval_truthy(&a));
		return 0;
	case E_NEG:
		if (teval(r, e->a, &a) || defined(r, e->line, &a))
			return -1;
		if (a.kind != TV_NUM && a.kind != TV_BOOL) {
			tmpl_fail(r, e->line, "cannot negate a %s", tval_kind_name(a.kind));
			return -1;
		}
		double x = a.kind == TV_BOOL ? a.b : a.num;
		*out = tval_num(e->op == T_PLUS ? x : -x, a.real);
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
			if (defined(r, e->line, &a) || defined(r, e->line, &b) ||
			    tval_compare(r, e->line, &a, &b, false, &c))
				return -1;
			res = e->op == T_LT ? c < 0 : e->op == T_LE ? c <= 0 : e->op == T_GT ? c > 0 : c >= 0;
		}
		*out = tval_bool(res);
		return 0;
	}
	case E_IN: {
		if (teval(r, e->a, &a) || teval(r, e->b, &b) || storable(r, e->line, &a) || storable(r, e->line, &b))
			return -1;
		bool res = false;
		if (b.kind == TV_UNDEF) {
			res = false; /* Jinja's undefined is an empty sequence */
		} else if (b.kind == TV_LIST) {
			for (size_t i = 0; i < b.n && !res; i++)
				res = tval_equal(&a, &b.items[i]);
		} else if (b.kind == TV_DICT && a.kind == TV_STR) {
			res = tval_get(&b, a.s) != NULL;
		} else if (b.kind == TV_STR && a.kind == TV_STR) {
			for (size_t i = 0; i + a.n <= b.n && !res; i++)
				res = memcmp(b.s + i, a.s, a.n) == 0;
		} else {
			tmpl_fail(r, e->line, "'in' needs a list, dict or string on the right, not a %s",
				  tval_kind_name(b.kind));
			return -1;
		}
		*out = tval_bool(res);
		return 0;
	}
	case E_CONCAT: {
		if (teval(r, e->a, &a) || teval(r, e->b, &b))
			return -1;
		/* Jinja's undefined joins as "" */
		if (tval_lenient(r, &a))
			a = tval_str(r, "", 0);
		if (tval_lenient(r, &b))
			b = tval_str(r, "", 0);
		if (defined(r, e->line, &a) || defined(r, e->line, &b))
			return -1;
		struct tval sa = tval_as_string(r, &a), sb = tval_as_string(r, &b);
		*out = tval_concat(r, &sa, &sb);
		return 0;
	}
	case E_ARITH:
		if (teval(r, e->a, &a) || teval(r, e->b, &b) || defined(r, e->line, &a) || defined(r, e->line, &b))
			return -1;
		return eval_arith(r, e, &a, &b, out);
	}
	return -1;
}

int teval(struct tmpl_render *r, const struct expr *e, struct tval *out)
{
	if (!tnest_enter(r, e->line))
		return -1;
	int rc = eval_inner(r, e, out);
	r->nest--;
	if (rc)
		return -1;
	tval_sync(out);
	return 0;
}

/* Each template bounds its own nesting; macros calling macros add theirs
 * up, so the render bounds the sum to keep off the end of the stack. */
bool tnest_enter(struct tmpl_render *r, int line)
{
	if (++r->nest <= TMPL_MAX_RENDER_NEST)
		return true;
	r->nest--;
	tmpl_fail(r, line, "nested more than %d levels deep while rendering (macros calling macros?)",
		  TMPL_MAX_RENDER_NEST);
	return false;
}

int teval_defined(struct tmpl_render *r, const struct expr *e, struct tval *out)
{
	return teval(r, e, out) || defined(r, e->line, out) ? -1 : 0;
}
