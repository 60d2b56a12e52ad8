/* SPDX-License-Identifier: MIT
 * The renderer: walks the statement tree into the output buffer, with
 * Jinja's scoping (a for body and a macro body keep what they set to
 * themselves; if does not), loops and their loop.* variable, and macro
 * calls (arguments, defaults, varargs, kwargs, caller, dbt's return()). */
#include "template.h"
#include "template_int.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tbind(struct tmpl_render *r, const char *name, struct tval v)
{
	struct binding *b = tarena_alloc(&r->arena, sizeof *b);
	b->name = name;
	b->v = v;
	b->prev = r->scope;
	r->scope = b;
	if (r->frames == 0)
		r->globals = r->scope;
}

static struct binding *find(struct tmpl_render *r, const char *name)
{
	for (struct binding *s = r->scope; s; s = s->prev)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* Renders body into a string of its own (set blocks, macros). */
static int capture(struct tmpl_render *r, const struct node *body, struct tval *out)
{
	struct buf saved = r->out;
	r->out = (struct buf){ 0 };
	int rc = trender_nodes(r, body);
	*out = tval_str(r, r->out.data ? r->out.data : "", r->out.len);
	buf_free(&r->out);
	r->out = saved;
	return rc;
}

int tcall_value(struct tmpl_render *r, const struct tval *fnv, int line, size_t nargs, const struct tval *args,
		size_t nkw, const char *const *kwnames, const struct tval *kwargs, struct tval *out)
{
	const struct tmpl_func *fn = fnv->fn;
	if (fn->kind == F_CYCLE) {
		if (!nargs) {
			tmpl_fail(r, line, "loop.cycle() needs at least one value");
			return -1;
		}
		*out = args[(size_t)fn->self.num % nargs];
		return 0;
	}
	if (fn->kind == F_METHOD) {
		struct targs a = { nargs, args, nkw, kwnames, kwargs };
		struct tval self = fn->self;
		return tbuiltin_method(r, line, &self, fn->name, &a, out);
	}
	if (fn->kind == F_NATIVE) {
		struct tmpl_call c = { .name = fn->name, .file = r->t->file, .line = line, .nargs = nargs,
				       .args = args, .nkw = nkw, .kwnames = kwnames, .kwargs = kwargs };
		*out = (struct tval){ .kind = TV_NONE };
		if (fn->native(r, &fn->self, &c, out) != 0) {
			if (!r->failed)
				tmpl_fail(r, line, "%s() failed", fn->name);
			return -1;
		}
		return 0;
	}
	if (r->depth >= TMPL_MAX_CALLS) {
		tmpl_fail(r, line, "macro calls nested more than %d deep", TMPL_MAX_CALLS);
		return -1;
	}
	const struct node *m = fn->macro;
	const struct params *pm = &m->params;
	struct binding *saved_scope = r->scope, *saved_globals = r->globals;
	const struct tmpl *saved_t = r->t;
	int saved_frames = r->frames;
	r->scope = fn->has_closure ? fn->closure : r->globals;
	if (fn->t != r->t) {
		/* a macro of another file: its messages name that file, and
		 * it sees the host's globals only */
		r->t = fn->t;
		r->scope = fn->has_closure ? fn->closure : NULL;
		r->globals = NULL;
	}
	r->frames = saved_frames + 1;
	r->depth++;
	int rc = 0;
	struct tval kwd = tval_dict(r, 0, true), var = tval_list(r, 0, true);
	bool used[64] = { false };
	for (size_t i = 0; i < pm->n && !rc; i++) {
		struct tval v = { .kind = TV_UNDEF };
		bool have = false;
		if (i < nargs) {
			v = args[i];
			have = true;
		}
		for (size_t k = 0; k < nkw; k++)
			if (strcmp(kwnames[k], pm->names[i]) == 0) {
				if (have) {
					tmpl_fail(r, line, "macro '%s' got multiple values for argument '%s'", m->var ? m->var : "caller",
						  pm->names[i]);
					rc = -1;
				}
				v = kwargs[k];
				have = true;
				if (k < 64)
					used[k] = true;
			}
		if (!have && pm->defaults[i]) {
			rc = teval(r, pm->defaults[i], &v);
		} else if (!have) {
			/* Jinja binds it as its undefined, which prints as
			 * nothing: dbt_utils' pretty_log_format() relies on it */
			char msg[200];
			snprintf(msg, sizeof msg, "'%s' is undefined: macro '%s' was called without it", pm->names[i],
				 m->var ? m->var : "caller");
			v = tval_str(r, msg, strlen(msg));
			v.kind = TV_UNDEF;
			v.lenient = true;
		}
		tbind(r, pm->names[i], v);
	}
	for (size_t i = pm->n; i < nargs; i++)
		tbox_push(r, &var, args[i]);
	bool caller = false;
	for (size_t k = 0; k < nkw; k++) {
		if (strcmp(kwnames[k], "caller") == 0) {
			tbind(r, "caller", kwargs[k]);
			caller = true;
		} else if (k >= 64 || !used[k]) {
			tbox_set(r, &kwd, kwnames[k], kwargs[k]);
		}
	}
	if (!caller && fn->has_caller)
		tbind(r, "caller", fn->caller);
	var.tuple = true;
	tbind(r, "varargs", var);
	tbind(r, "kwargs", kwd);
	if (!rc)
		rc = capture(r, m->body, out);
	if (!rc && r->stop == 3) {
		*out = r->retval;
		r->stop = 0;
	}
	r->depth--;
	r->scope = saved_scope;
	r->globals = saved_globals;
	r->t = saved_t;
	r->frames = saved_frames;
	return rc;
}

static struct tval func_value(struct tmpl_render *r, const struct node *n)
{
	struct tmpl_func *f = tarena_alloc(&r->arena, sizeof *f);
	f->kind = F_MACRO;
	f->macro = n;
	f->t = r->t;
	f->name = n->var;
	/* a top-level macro sees the globals as they are when it is called */
	f->has_closure = r->frames > 0 || n->k == N_CALLBLOCK;
	f->closure = r->scope;
	return (struct tval){ .kind = TV_FUNC, .fn = f };
}

struct tval tval_macro(struct tmpl_render *r, const struct tmpl *t, const struct tmpl_macro *m)
{
	struct tmpl_func *f = tarena_alloc(&r->arena, sizeof *f);
	f->kind = F_MACRO;
	f->macro = (const struct node *)m;
	f->t = t;
	f->name = f->macro->var;
	return (struct tval){ .kind = TV_FUNC, .fn = f };
}

struct tval tval_native(struct tmpl_render *r, const char *name, tmpl_native fn, const struct tval *self)
{
	struct tmpl_func *f = tarena_alloc(&r->arena, sizeof *f);
	memset(f, 0, sizeof *f);
	f->kind = F_NATIVE;
	f->native = fn;
	f->self = *self;
	f->name = name;
	return (struct tval){ .kind = TV_FUNC, .fn = f };
}

static struct tval loop_value(struct tmpl_render *r, const struct tval *items, size_t i, size_t n)
{
	static const char *const keys[] = { "index", "index0", "first", "last", "length", "revindex", "revindex0",
					     "depth", "depth0", "previtem", "nextitem", "cycle" };
	size_t nk = sizeof keys / sizeof *keys;
	struct tval d = { .kind = TV_DICT, .n = nk, .items = tval_alloc(r, nk), .keys = tval_alloc_keys(r, nk) };
	for (size_t k = 0; k < nk; k++)
		d.keys[k] = keys[k];
	d.items[0] = tval_num((double)(i + 1), false);
	d.items[1] = tval_num((double)i, false);
	d.items[2] = tval_bool(i == 0);
	d.items[3] = tval_bool(i + 1 == n);
	d.items[4] = tval_num((double)n, false);
	d.items[5] = tval_num((double)(n - i), false);
	d.items[6] = tval_num((double)(n - i - 1), false);
	d.items[7] = tval_num(1, false);
	d.items[8] = tval_num(0, false);
	static const char prev_msg[] = "loop.previtem is undefined on the first iteration";
	static const char next_msg[] = "loop.nextitem is undefined on the last iteration";
	d.items[9] = i > 0 ? items[i - 1] : tval_undefined(prev_msg);
	d.items[10] = i + 1 < n ? items[i + 1] : tval_undefined(next_msg);
	struct tmpl_func *f = tarena_alloc(&r->arena, sizeof *f);
	f->kind = F_CYCLE;
	f->self = tval_num((double)i, false);
	d.items[11] = (struct tval){ .kind = TV_FUNC, .fn = f };
	return d;
}

/* The items a for loop walks: a list's items, a dict's keys, a string's
 * characters; those the loop's 'if' keeps. */
static int loop_items(struct tmpl_render *r, const struct node *n, struct tval *v)
{
	if (teval(r, n->e, v))
		return -1;
	if (tval_lenient(r, v))
		*v = tval_list(r, 0, false); /* Jinja's undefined iterates as nothing */
	else if (v->kind == TV_UNDEF)
		return tmpl_fail(r, n->line, "%s", v->s), -1;
	if (v->kind == TV_DICT || v->kind == TV_STR) {
		struct tval l = tval_list(r, v->n, false);
		for (size_t i = 0; i < v->n; i++)
			l.items[i] = v->kind == TV_DICT ? tval_str(r, v->keys[i], strlen(v->keys[i])) : tval_str(r, v->s + i, 1);
		*v = l;
	} else if (v->kind != TV_LIST) {
		tmpl_fail(r, n->line, "'for' needs a list, not a %s", tval_kind_name(v->kind));
		return -1;
	}
	if (!n->cond)
		return 0;
	struct tval kept = tval_list(r, v->n, false);
	kept.n = 0;
	struct binding *saved = r->scope;
	for (size_t i = 0; i < v->n; i++) {
		struct tval c;
		r->scope = saved;
		tbind(r, n->var, v->items[i]);
		for (size_t k = 1; k < n->nvars && v->items[i].kind == TV_LIST && k < v->items[i].n; k++)
			tbind(r, n->vars[k], v->items[i].items[k]);
		if (n->nvars > 1 && v->items[i].kind == TV_LIST && v->items[i].n)
			tbind(r, n->vars[0], v->items[i].items[0]);
		if (teval(r, n->cond, &c)) {
			r->scope = saved;
			return -1;
		}
		if (tval_truthy(&c))
			kept.items[kept.n++] = v->items[i];
	}
	r->scope = saved;
	*v = kept;
	return 0;
}

static int render_list(struct tmpl_render *r, const struct node *n);

static int render_for(struct tmpl_render *r, const struct node *n)
{
	struct tval v;
	r->frames++;
	if (loop_items(r, n, &v)) {
		r->frames--;
		return -1;
	}
	/* Jinja scoping: what a loop body sets does not leak out. */
	struct binding *saved = r->scope;
	int rc = 0;
	for (size_t i = 0; i < v.n && !rc; i++) {
		r->scope = saved;
		tbind(r, "loop", loop_value(r, v.items, i, v.n));
		if (n->nvars > 1) {
			const struct tval *it = &v.items[i];
			if (it->kind != TV_LIST || it->n != n->nvars) {
				tmpl_fail(r, n->line, "cannot unpack a %s into %zu loop variables", tval_kind_name(it->kind),
					  n->nvars);
				rc = -1;
				break;
			}
			for (size_t k = 0; k < n->nvars; k++)
				tbind(r, n->vars[k], it->items[k]);
		} else {
			tbind(r, n->var, v.items[i]);
		}
		rc = trender_nodes(r, n->body);
		if (r->stop == 1 || r->stop == 2) {
			bool brk = r->stop == 1;
			r->stop = 0;
			if (brk)
				break;
		}
		if (r->stop == 3)
			break;
	}
	r->scope = saved;
	r->frames--;
	if (!rc && v.n == 0 && n->orelse)
		rc = trender_nodes(r, n->orelse);
	return rc;
}

static int render_set(struct tmpl_render *r, const struct node *n)
{
	struct tval v;
	if (n->k == N_SETBLOCK) {
		if (capture(r, n->body, &v))
			return -1;
	} else if (teval(r, n->e, &v)) {
		return -1;
	} else if (v.kind == TV_UNDEF && !tval_lenient(r, &v)) {
		tmpl_fail(r, n->line, "%s", v.s);
		return -1;
	}
	if (!n->attr) {
		tbind(r, n->var, v);
		return 0;
	}
	struct binding *b = find(r, n->var);
	if (!b || b->v.kind != TV_DICT || !b->v.box || !b->v.box->ns) {
		tmpl_fail(r, n->line, "cannot set '%s.%s': '%s' is not a namespace()", n->var, n->attr, n->var);
		return -1;
	}
	tbox_set(r, &b->v, n->attr, v);
	return 0;
}

int trender_nodes(struct tmpl_render *r, const struct node *n)
{
	if (!n)
		return r->failed ? -1 : 0;
	if (!tnest_enter(r, n->line))
		return -1;
	int rc = render_list(r, n);
	r->nest--;
	return rc;
}

static int render_list(struct tmpl_render *r, const struct node *n)
{
	struct tval v;
	for (; n && !r->failed && !r->stop; n = n->next) {
		switch (n->k) {
		case N_TEXT:
			buf_add(&r->out, n->text, n->len);
			break;
		case N_OUT:
			if (teval(r, n->e, &v))
				return -1;
			if (tval_lenient(r, &v))
				break; /* Jinja prints its undefined as nothing; so do
					* macro files for any undefined name, as packages
					* rely on it */
			if (v.kind == TV_UNDEF) {
				tmpl_fail(r, n->line, "%s", v.s);
				return -1;
			}
			if (v.kind == TV_FUNC) {
				tmpl_fail(r, n->line, "'%s' is a macro or method: call it to print what it gives",
					  v.fn->name ? v.fn->name : "loop.cycle");
				return -1;
			}
			tval_print(&r->out, &v, false);
			break;
		case N_SET:
		case N_SETBLOCK:
			if (render_set(r, n))
				return -1;
			break;
		case N_MACRO:
			tbind(r, n->var, func_value(r, n));
			break;
		case N_CALLBLOCK: {
			struct tval caller = func_value(r, n);
			if (teval_call(r, n->e, &caller, &v))
				return -1;
			if (v.kind == TV_UNDEF) {
				tmpl_fail(r, n->line, "%s", v.s);
				return -1;
			}
			tval_print(&r->out, &v, false);
			break;
		}
		case N_DO:
			if (teval(r, n->e, &v))
				return -1;
			break;
		case N_BREAK:
			r->stop = 1;
			break;
		case N_CONTINUE:
			r->stop = 2;
			break;
		case N_IF:
			for (const struct node *br = n; br; br = br->orelse) {
				if (teval(r, br->e, &v))
					return -1;
				if (tval_truthy(&v)) {
					if (trender_nodes(r, br->body))
						return -1;
					break;
				}
			}
			break;
		case N_FOR:
			if (render_for(r, n))
				return -1;
			break;
		}
	}
	return r->failed ? -1 : 0;
}

/* dbt's return(): ends the macro being called with the value. */
void trender_return(struct tmpl_render *r, struct tval v)
{
	r->retval = v;
	r->stop = 3;
}

int tmpl_render(const struct tmpl *t, const struct tmpl_host *host, char **out, size_t *outlen,
		char *err, size_t errlen)
{
	struct tmpl_render r = { .t = t, .host = host, .err = err, .errlen = errlen };
	int rc = trender_nodes(&r, t->root);
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

int tmpl_call_func(struct tmpl_render *r, const struct tval *fn, int line, size_t nargs, const struct tval *args,
		   struct tval *out)
{
	if (fn->kind != TV_FUNC) {
		tmpl_fail(r, line, "a %s is not a macro", tval_kind_name(fn->kind));
		return -1;
	}
	return tcall_value(r, fn, line, nargs, args, 0, NULL, NULL, out);
}

int tmpl_call_with(struct tmpl_render *r, const struct tval *fn, const struct tmpl_call *c, struct tval *out)
{
	if (fn->kind != TV_FUNC) {
		tmpl_fail(r, c->line, "a %s is not callable", tval_kind_name(fn->kind));
		return -1;
	}
	return tcall_value(r, fn, c->line, c->nargs, c->args, c->nkw, c->kwnames, c->kwargs, out);
}
