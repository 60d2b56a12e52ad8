/* SPDX-License-Identifier: MIT
 * Jinja inside YAML, rendered natively as dbt does; see dbtyaml.h.
 *
 * A value that is one {{ expression }} is rendered as
 * "{{ __dbt_yaml_value(expression) }}{{ expression }}": the first call
 * hands the value to this module, which keeps its kind, and the second
 * prints it as text. The files are small configuration files, so
 * evaluating such an expression twice costs nothing that shows. */
#include "dbtyaml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

#define CAPTURE "__dbt_yaml_value"
#define MAX_DEPTH 64

bool dbt_env_is_secret(const char *name)
{
	return strncmp(name, "DBT_ENV_SECRET_", 15) == 0;
}

int dbt_env_var(struct tmpl_render *r, const struct tmpl_call *c, bool secrets, struct tval *out)
{
	if (c->nargs < 1 || c->nargs > 2 || c->args[0].kind != TV_STR) {
		tmpl_fail(r, c->line, "env_var() takes a variable name and an optional default");
		return -1;
	}
	const char *name = c->args[0].s;
	if (!secrets && dbt_env_is_secret(name)) {
		tmpl_fail(r, c->line, "env_var('%s'): secret variables (DBT_ENV_SECRET_*) may be used only in "
			  "profiles.yml", name);
		return -1;
	}
	const char *v = getenv(name);
	if (v) {
		*out = tval_str(r, v, strlen(v));
		return 0;
	}
	if (c->nargs == 2) {
		/* dbt passes the default through as it is, a string as a rule */
		*out = c->args[1];
		return 0;
	}
	tmpl_fail(r, c->line, "env_var('%s'): the variable is not set and there is no default", name);
	return -1;
}

/* What a value rendered to, when it was one expression. */
struct native {
	const struct tmpl_host *inner;
	enum tval_kind kind;
	bool b;
	double num;
	bool real;
};

static int native_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	struct native *nv = ud;
	if (strcmp(c->name, CAPTURE) != 0)
		return nv->inner->call(nv->inner->ud, r, c, out);
	if (c->nargs == 1) {
		nv->kind = c->args[0].kind;
		nv->b = c->args[0].b;
		nv->num = c->args[0].num;
		nv->real = c->args[0].real;
	}
	*out = tval_str(r, "", 0);
	return 0;
}

static int native_global(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out)
{
	struct native *nv = ud;
	return nv->inner->global ? nv->inner->global(nv->inner->ud, r, name, line, out) : 1;
}

/* The expression of a value that is exactly "{{ expr }}" (whitespace
 * control allowed), or NULL: text around it or a second tag makes the
 * value a string. Malloc'd. */
static char *lone_expression(const char *s)
{
	size_t n = strlen(s);
	if (n < 4 || strncmp(s, "{{", 2) != 0 || strcmp(s + n - 2, "}}") != 0)
		return NULL;
	const char *b = s + 2, *e = s + n - 2;
	if (*b == '-' || *b == '+')
		b++;
	if (e > b && e[-1] == '-')
		e--;
	char *expr = xasprintf("%.*s", (int)(e > b ? e - b : 0), b);
	if (strstr(expr, "{{") || strstr(expr, "}}") || strstr(expr, "{%") || strstr(expr, "{#")) {
		free(expr);
		return NULL;
	}
	return expr;
}

/* dbt's as_bool, as_number and as_native hand a string back that native
 * rendering then reads as a Python literal: True/False and numbers here. */
static bool literal_kind(const char *expr, const char *text, struct native *nv)
{
	if (!strstr(expr, "as_bool") && !strstr(expr, "as_number") && !strstr(expr, "as_native"))
		return false;
	if (strcmp(text, "True") == 0 || strcmp(text, "False") == 0) {
		nv->kind = TV_BOOL;
		nv->b = text[0] == 'T';
		return true;
	}
	char *end;
	double v = strtod(text, &end);
	if (*text && !*end && text[strspn(text, " ")] != '\0') {
		nv->kind = TV_NUM;
		nv->num = v;
		nv->real = strpbrk(text, ".eE") != NULL;
		return true;
	}
	return false;
}

static void set_scalar(yaml_node_t *n, char *text, bool plain)
{
	free(n->data.scalar.value);
	n->data.scalar.value = (yaml_char_t *)text;
	n->data.scalar.length = strlen(text);
	n->data.scalar.style = plain ? YAML_PLAIN_SCALAR_STYLE : YAML_SINGLE_QUOTED_SCALAR_STYLE;
}

/* err from the engine is "file:L: message", L counted inside the value:
 * rewritten to the file's line and the key. */
static void render_error(char *err, size_t errlen, const char *file, size_t line, const char *key)
{
	char *msg = xstrdup(err);
	const char *m = msg;
	size_t fl = strlen(file);
	size_t at = 0;
	if (strncmp(m, file, fl) == 0 && m[fl] == ':') {
		at = strtoul(m + fl + 1, NULL, 10);
		const char *sp = strstr(m + fl + 1, ": ");
		m = sp ? sp + 2 : m;
	}
	snprintf(err, errlen, "%s:%zu: cannot render %s: %s", file, line + (at ? at - 1 : 0), key, m);
	free(msg);
}

static int render_scalar(struct ydoc *d, yaml_node_t *n, const char *key, const char *const *funcs,
			 const struct tmpl_host *host, char *err, size_t errlen)
{
	const char *s = ydoc_str(n);
	if (!strstr(s, "{{") && !strstr(s, "{%") && !strstr(s, "{#"))
		return 0;
	/* the callable names, with the capture added */
	size_t nf = 0;
	while (funcs[nf])
		nf++;
	const char **all = xmalloc((nf + 2) * sizeof *all);
	memcpy(all, funcs, nf * sizeof *all);
	all[nf] = CAPTURE;
	all[nf + 1] = NULL;
	char *expr = lone_expression(s);
	char *text = expr ? xasprintf("{{ " CAPTURE "(%s) }}%s", expr, s) : xstrdup(s);
	struct native nv = { .inner = host, .kind = TV_STR };
	int rc = -1;
	struct tmpl *t = tmpl_parse(d->path, text, strlen(text), all, err, errlen);
	char *out = NULL;
	if (t) {
		struct tmpl_host h = { native_call, native_global, &nv };
		rc = tmpl_render(t, &h, &out, NULL, err, errlen);
		tmpl_free(t);
	}
	if (rc != 0) {
		render_error(err, errlen, d->path, ydoc_line(n), key);
		goto done;
	}
	if (expr && nv.kind == TV_STR)
		literal_kind(expr, out, &nv);
	if (expr && nv.kind == TV_BOOL) {
		free(out);
		set_scalar(n, xstrdup(nv.b ? "true" : "false"), true);
	} else if (expr && nv.kind == TV_NONE) {
		free(out);
		set_scalar(n, xstrdup("null"), true);
	} else if (expr && nv.kind == TV_NUM && isfinite(nv.num)) {
		free(out);
		char buf[64];
		if (nv.real)
			tmpl_float_repr(buf, sizeof buf, nv.num);
		else
			snprintf(buf, sizeof buf, "%.0f", nv.num);
		set_scalar(n, xstrdup(buf), true);
	} else {
		set_scalar(n, out, false);
	}
	out = NULL;
done:
	free(out);
	free(expr);
	free(text);
	free(all);
	return rc;
}

struct walk {
	struct ydoc *d;
	const char *const *funcs;
	const struct tmpl_host *host;
	dbt_yaml_skip_fn skip;
	void *skip_ud;
	const char *keys[MAX_DEPTH];
	char *err;
	size_t errlen;
};

static int walk(struct walk *w, yaml_node_t *n, size_t depth)
{
	if (w->skip && w->skip(w->skip_ud, w->keys, depth))
		return 0;
	if (ydoc_is_scalar(n))
		return render_scalar(w->d, n, depth ? w->keys[depth - 1] : "the value", w->funcs, w->host, w->err,
				     w->errlen);
	if (depth >= MAX_DEPTH) /* ydoc refuses deeper documents before this */
		return 0;
	if (ydoc_is_seq(n)) {
		for (size_t i = 0; i < ydoc_len(n); i++) {
			w->keys[depth] = "#";
			if (walk(w, ydoc_item(w->d, n, i), depth + 1))
				return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < ydoc_len(n); i++) {
		const char *k = ydoc_str(ydoc_key(w->d, n, i));
		w->keys[depth] = k ? k : "?";
		if (walk(w, ydoc_value(w->d, n, i), depth + 1))
			return -1;
	}
	return 0;
}

int dbt_yaml_render(struct ydoc *d, yaml_node_t *n, const char *const *funcs, const struct tmpl_host *host,
		    dbt_yaml_skip_fn skip, void *skip_ud, char *err, size_t errlen)
{
	if (!n)
		return 0;
	struct walk w = { .d = d, .funcs = funcs, .host = host, .skip = skip, .skip_ud = skip_ud, .err = err,
			  .errlen = errlen };
	return walk(&w, n, 0);
}
