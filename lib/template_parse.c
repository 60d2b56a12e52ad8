/* SPDX-License-Identifier: MIT
 * The template structure: text, {{ }}, {% %} and {# #} tags with whitespace
 * control, statements (if, for, set, macro, call, do) nested into a tree; tmpl_parse/tmpl_free
 * and the static walk of calls (tmpl_calls). */
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

/* ---- template structure ---- */

/* A statement being closed: the parser returns to the caller at one of the
 * words in `enders`. */
struct stmt_end {
	char word[16];
	int line;
};

static struct node *new_node(struct parser *ps, enum nkind k, int line)
{
	struct node *n = tarena_alloc(&ps->t->arena, sizeof *n);
	n->k = k;
	n->line = line;
	return n;
}

struct scan {
	const char *p, *end;
	int line;
	bool strip_next; /* the previous tag ended with '-' */
};

static int count_lines(const char *s, const char *e)
{
	int n = 0;
	for (; s < e; s++)
		n += *s == '\n';
	return n;
}

/* Parses nodes until the end of input or a statement whose keyword is in
 * enders; the keyword found is copied into end->word (empty at the end of
 * input). Leaves the parser positioned inside that statement tag (ps->p at
 * the token after the keyword). */
static struct node *parse_nodes(struct parser *ps, struct scan *sc, const char *const *enders,
				struct stmt_end *end);

static bool is_ender(const char *const *enders, const char *w, size_t n)
{
	for (; enders && *enders; enders++)
		if (strlen(*enders) == n && memcmp(*enders, w, n) == 0)
			return true;
	return false;
}

/* Finishes a statement tag: expects the end of the tag content. */
static bool stmt_done(struct parser *ps)
{
	if (ps->tok != T_EOF) {
		tparse_unexpected(ps, "'%}'");
		return false;
	}
	return true;
}

static struct node *parse_if_body(struct parser *ps, struct scan *sc, int line);

/* An if (or an elif, which nests like one) is a level of nesting. */
static struct node *parse_if(struct parser *ps, struct scan *sc, int line)
{
	if (!tparse_enter(ps))
		return NULL;
	struct node *n = parse_if_body(ps, sc, line);
	ps->depth--;
	return n;
}

static struct node *parse_if_body(struct parser *ps, struct scan *sc, int line)
{
	struct node *n = new_node(ps, N_IF, line);
	n->e = tparse_expr(ps);
	if (!n->e || !stmt_done(ps))
		return NULL;
	static const char *const enders[] = { "elif", "else", "endif", NULL };
	struct stmt_end end;
	n->body = parse_nodes(ps, sc, enders, &end);
	if (ps->failed)
		return NULL;
	if (!end.word[0]) {
		tparse_err(ps, line, "'if' is never closed with 'endif'");
		return NULL;
	}
	if (strcmp(end.word, "elif") == 0) {
		n->orelse = parse_if(ps, sc, end.line);
		if (!n->orelse)
			return NULL;
	} else if (strcmp(end.word, "else") == 0) {
		if (!stmt_done(ps))
			return NULL;
		static const char *const endif[] = { "endif", NULL };
		struct stmt_end end2;
		struct node *els = parse_nodes(ps, sc, endif, &end2);
		if (ps->failed)
			return NULL;
		if (!end2.word[0]) {
			tparse_err(ps, line, "'if' is never closed with 'endif'");
			return NULL;
		}
		if (!stmt_done(ps))
			return NULL;
		/* An else body is represented as an always-true elif. */
		struct node *always = new_node(ps, N_IF, end.line);
		always->e = tparse_new_expr(ps, E_LIT);
		always->e->lit.kind = TV_BOOL;
		always->e->lit.b = true;
		always->body = els;
		n->orelse = always;
	} else if (!stmt_done(ps)) {
		return NULL;
	}
	return n;
}

static void bound(struct parser *ps, const char *name)
{
	struct name_list *b = tarena_alloc(&ps->t->arena, sizeof *b);
	b->name = name;
	b->next = ps->bound;
	ps->bound = b;
}

/* A body up to one of enders, as a level of nesting; NULL with
 * ps->failed, or an empty body (NULL without failure). */
static struct node *parse_body(struct parser *ps, struct scan *sc, const char *const *enders,
			       struct stmt_end *end, const char *what, int line)
{
	if (!tparse_enter(ps))
		return NULL;
	struct node *body = parse_nodes(ps, sc, enders, end);
	ps->depth--;
	if (ps->failed)
		return NULL;
	if (!end->word[0])
		tparse_err(ps, line, "'%s' is never closed with '%s'", what, enders[0]);
	return body;
}

/* "(a, b=1)" of a macro or a call block. */
static bool parse_params(struct parser *ps, struct params *pm)
{
	if (!tparse_expect(ps, T_LP, "'('"))
		return false;
	size_t cap = 0;
	while (ps->tok != T_RP) {
		if (ps->tok != T_NAME)
			return tparse_unexpected(ps, "a parameter name"), false;
		if (pm->n == cap) {
			cap = cap ? cap * 2 : 4;
			const char **names = tarena_alloc(&ps->t->arena, cap * sizeof *names);
			struct expr **defs = tarena_alloc(&ps->t->arena, cap * sizeof *defs);
			if (pm->n) {
				memcpy(names, pm->names, pm->n * sizeof *names);
				memcpy(defs, pm->defaults, pm->n * sizeof *defs);
			}
			pm->names = names;
			pm->defaults = defs;
		}
		pm->names[pm->n] = tlex_text(ps);
		bound(ps, pm->names[pm->n]);
		tlex_next(ps);
		if (ps->tok == T_ASSIGN) {
			tlex_next(ps);
			if (!(pm->defaults[pm->n] = tparse_expr(ps)))
				return false;
		} else if (pm->n && pm->defaults[pm->n - 1]) {
			tparse_err(ps, ps->line, "a parameter without a default follows one with a default");
			return false;
		}
		pm->n++;
		if (ps->tok == T_COMMA)
			tlex_next(ps);
		else if (ps->tok != T_RP)
			return tparse_unexpected(ps, "',' or ')'"), false;
	}
	tlex_next(ps);
	return true;
}

static struct node *parse_for(struct parser *ps, struct scan *sc, int line)
{
	struct node *n = new_node(ps, N_FOR, line);
	const char *vars[16];
	size_t nv = 0;
	for (;;) {
		if (ps->tok != T_NAME)
			return tparse_unexpected(ps, "a loop variable"), NULL;
		if (nv == 16) {
			tparse_err(ps, ps->line, "more than 16 loop variables");
			return NULL;
		}
		vars[nv] = tlex_text(ps);
		bound(ps, vars[nv++]);
		tlex_next(ps);
		if (ps->tok != T_COMMA)
			break;
		tlex_next(ps);
	}
	n->var = vars[0];
	if (nv > 1) {
		n->vars = tarena_alloc(&ps->t->arena, nv * sizeof *n->vars);
		memcpy(n->vars, vars, nv * sizeof *vars);
		n->nvars = nv;
	}
	if (!tlex_is(ps, "in"))
		return tparse_unexpected(ps, "'in'"), NULL;
	tlex_next(ps);
	/* "for x in y if cond" parses as y without an else: the filter */
	n->e = tparse_expr(ps);
	if (n->e && n->e->k == E_COND && !n->e->c) {
		n->cond = n->e->b;
		n->e = n->e->a;
	}
	if (!n->e)
		return NULL;
	if (tlex_is(ps, "recursive")) {
		tparse_err(ps, ps->line, "unsupported construct: 'for ... recursive'");
		return NULL;
	}
	if (!stmt_done(ps))
		return NULL;
	static const char *const enders[] = { "endfor", "else", NULL };
	struct stmt_end end;
	ps->loops++;
	n->body = parse_body(ps, sc, enders, &end, "for", line);
	ps->loops--;
	if (ps->failed)
		return NULL;
	if (strcmp(end.word, "else") == 0) {
		if (!stmt_done(ps))
			return NULL;
		static const char *const endfor[] = { "endfor", NULL };
		n->orelse = parse_body(ps, sc, endfor, &end, "for", line);
		if (ps->failed)
			return NULL;
	}
	return stmt_done(ps) ? n : NULL;
}

static struct node *parse_set(struct parser *ps, struct scan *sc, int line)
{
	struct node *n = new_node(ps, N_SET, line);
	if (ps->tok != T_NAME)
		return tparse_unexpected(ps, "a variable name"), NULL;
	n->var = tlex_text(ps);
	bound(ps, n->var);
	tlex_next(ps);
	if (ps->tok == T_DOT) {
		tlex_next(ps);
		if (ps->tok != T_NAME)
			return tparse_unexpected(ps, "an attribute name"), NULL;
		n->attr = tlex_text(ps);
		tlex_next(ps);
	}
	if (ps->tok == T_EOF) { /* the block form, of a name or a namespace attribute */
		n->k = N_SETBLOCK;
		static const char *const enders[] = { "endset", NULL };
		struct stmt_end end;
		n->body = parse_body(ps, sc, enders, &end, "set", line);
		return !ps->failed && stmt_done(ps) ? n : NULL;
	}
	if (ps->tok == T_COMMA) {
		tparse_err(ps, ps->line, "unsupported construct: 'set' of several names");
		return NULL;
	}
	if (ps->tok != T_ASSIGN)
		return tparse_unexpected(ps, "'='"), NULL;
	tlex_next(ps);
	n->e = tparse_expr(ps);
	return n->e && stmt_done(ps) ? n : NULL;
}

/* A macro, or dbt's {% test name(...) %}, which is the macro test_name. */
static struct node *parse_macro(struct parser *ps, struct scan *sc, int line, bool test)
{
	struct node *n = new_node(ps, N_MACRO, line);
	if (ps->tok != T_NAME)
		return tparse_unexpected(ps, test ? "a test name" : "a macro name"), NULL;
	const char *name = tlex_text(ps);
	if (test) {
		size_t len = strlen(name);
		char *full = tarena_alloc(&ps->t->arena, len + 6);
		memcpy(full, "test_", 5);
		memcpy(full + 5, name, len + 1);
		n->var = full;
	} else {
		n->var = name;
	}
	bound(ps, n->var);
	tlex_next(ps);
	if (!parse_params(ps, &n->params) || !stmt_done(ps))
		return NULL;
	static const char *const enders[] = { "endmacro", NULL }, *const tenders[] = { "endtest", NULL };
	struct stmt_end end;
	int loops = ps->loops;
	ps->loops = 0;
	n->body = parse_body(ps, sc, test ? tenders : enders, &end, test ? "test" : "macro", line);
	ps->loops = loops;
	if (ps->failed)
		return NULL;
	if (ps->tok == T_NAME && !tlex_is(ps, name))
		return tparse_unexpected(ps, "'%}'"), NULL;
	if (ps->tok == T_NAME)
		tlex_next(ps);
	return stmt_done(ps) ? n : NULL;
}

static struct node *parse_callblock(struct parser *ps, struct scan *sc, int line)
{
	struct node *n = new_node(ps, N_CALLBLOCK, line);
	if (ps->tok == T_LP && !parse_params(ps, &n->params))
		return NULL;
	n->e = tparse_expr(ps);
	if (!n->e)
		return NULL;
	if (n->e->k != E_CALL) {
		tparse_err(ps, line, "'call' needs a macro call");
		return NULL;
	}
	if (!stmt_done(ps))
		return NULL;
	static const char *const enders[] = { "endcall", NULL };
	struct stmt_end end;
	int loops = ps->loops;
	ps->loops = 0;
	n->body = parse_body(ps, sc, enders, &end, "call", line);
	ps->loops = loops;
	return !ps->failed && stmt_done(ps) ? n : NULL;
}

static struct node *parse_stmt(struct parser *ps, struct scan *sc, int line)
{
	if (ps->tok != T_NAME) {
		tparse_unexpected(ps, "a statement");
		return NULL;
	}
	if (tlex_is(ps, "if")) {
		tlex_next(ps);
		return parse_if(ps, sc, line);
	}
	if (tlex_is(ps, "for")) {
		tlex_next(ps);
		return parse_for(ps, sc, line);
	}
	if (tlex_is(ps, "set")) {
		tlex_next(ps);
		return parse_set(ps, sc, line);
	}
	if (tlex_is(ps, "macro") || (ps->late && tlex_is(ps, "test"))) {
		bool test = tlex_is(ps, "test");
		tlex_next(ps);
		return parse_macro(ps, sc, line, test);
	}
	if (tlex_is(ps, "call")) {
		tlex_next(ps);
		return parse_callblock(ps, sc, line);
	}
	if (tlex_is(ps, "do")) {
		tlex_next(ps);
		struct node *n = new_node(ps, N_DO, line);
		n->e = tparse_expr(ps);
		return n->e && stmt_done(ps) ? n : NULL;
	}
	if (tlex_is(ps, "break") || tlex_is(ps, "continue")) {
		struct node *n = new_node(ps, tlex_is(ps, "break") ? N_BREAK : N_CONTINUE, line);
		if (!ps->loops) {
			tparse_err(ps, line, "'%.*s' outside a 'for' loop", (int)ps->tlen, ps->tstart);
			return NULL;
		}
		tlex_next(ps);
		return stmt_done(ps) ? n : NULL;
	}
	static const char *const closers[] = { "elif", "else", "endif", "endfor", "endset", "endmacro", "endcall", "endtest", NULL };
	if (is_ender(closers, ps->tstart, ps->tlen)) {
		tparse_err(ps, line, "'%.*s' without a matching opening tag", (int)ps->tlen, ps->tstart);
		return NULL;
	}
	tparse_err(ps, line, "unsupported construct: '{%% %.*s %%}' (not in modelrun's Jinja subset)", (int)ps->tlen,
		   ps->tstart);
	return NULL;
}

static struct node *parse_nodes(struct parser *ps, struct scan *sc, const char *const *enders,
				struct stmt_end *end)
{
	struct node *head = NULL, **tail = &head;
	end->word[0] = '\0';
	while (!ps->failed) {
		/* text up to the next tag opener */
		const char *start = sc->p, *q = sc->p;
		while (q + 1 < sc->end && !(q[0] == '{' && (q[1] == '{' || q[1] == '%' || q[1] == '#')))
			q++;
		if (q + 1 >= sc->end)
			q = sc->end;
		const char *text_end = q;
		bool strip_before = q < sc->end && q + 2 < sc->end && q[2] == '-';
		if (sc->strip_next)
			while (start < text_end && (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r'))
				start++;
		if (strip_before)
			while (text_end > start &&
			       (text_end[-1] == ' ' || text_end[-1] == '\t' || text_end[-1] == '\n' || text_end[-1] == '\r'))
				text_end--;
		if (text_end > start) {
			struct node *n = new_node(ps, N_TEXT, sc->line + count_lines(sc->p, start));
			n->text = start;
			n->len = (size_t)(text_end - start);
			*tail = n;
			tail = &n->next;
		}
		sc->line += count_lines(sc->p, q);
		sc->p = q;
		sc->strip_next = false;
		if (q >= sc->end)
			return head;
		char kind = q[1];
		int line = sc->line;
		const char *body = q + 2 + (strip_before ? 1 : 0);
		const char *close;
		char closer = kind == '{' ? '}' : kind;
		/* find the matching closer, skipping over string literals */
		const char *r = body;
		char inq = 0;
		for (close = NULL; r + 1 < sc->end; r++) {
			if (kind != '#') {
				if (inq) {
					if (*r == '\\')
						r++;
					else if (*r == inq)
						inq = 0;
					continue;
				}
				if (*r == '\'' || *r == '"') {
					inq = *r;
					continue;
				}
			}
			if (r[0] == closer && r[1] == '}') {
				close = r;
				break;
			}
		}
		if (!close) {
			tparse_err(ps, line, "'%c%c' is never closed", '{', kind);
			return NULL;
		}
		const char *content_end = close;
		if (content_end > body && content_end[-1] == '-') {
			content_end--;
			sc->strip_next = true;
		}
		sc->line += count_lines(q, close + 2);
		sc->p = close + 2;
		if (kind == '#')
			continue;
		ps->p = body;
		ps->end = content_end;
		ps->line = line;
		tlex_next(ps);
		if (kind == '{') {
			struct node *n = new_node(ps, N_OUT, line);
			n->e = tparse_expr(ps);
			if (!n->e)
				return NULL;
			if (ps->tok != T_EOF) {
				tparse_unexpected(ps, "'}}'");
				return NULL;
			}
			*tail = n;
			tail = &n->next;
			continue;
		}
		if (ps->tok == T_NAME && is_ender(enders, ps->tstart, ps->tlen)) {
			snprintf(end->word, sizeof end->word, "%.*s", (int)ps->tlen, ps->tstart);
			end->line = line;
			tlex_next(ps);
			return head;
		}
		struct node *n = parse_stmt(ps, sc, line);
		if (!n)
			return NULL;
		*tail = n;
		tail = &n->next;
	}
	return NULL;
}

/* A call of a name that is neither the host's nor a built-in must be of a
 * macro or a variable the template defines; otherwise the first such call
 * is an error, as before the template is run. */
static void check_calls(struct parser *ps)
{
	const struct name_list *first = NULL;
	for (const struct name_list *c = ps->calls; c; c = c->next) {
		const struct name_list *b = ps->bound;
		while (b && strcmp(b->name, c->name) != 0)
			b = b->next;
		if (!b && ps->known && ps->known(ps->known_ud, c->name))
			continue;
		if (!b && (!first || c->line <= first->line))
			first = c;
	}
	if (first)
		tparse_err(ps, first->line, "unsupported construct: function '%s()' (not in modelrun's Jinja subset)",
			   first->name);
}

struct tmpl *tmpl_parse(const char *file, const char *text, size_t len,
			const char *const *funcs, char *err, size_t errlen)
{
	struct tmpl_names names = { .funcs = funcs };
	return tmpl_parse_names(file, text, len, &names, err, errlen);
}

struct tmpl *tmpl_parse_names(const char *file, const char *text, size_t len, const struct tmpl_names *names,
			      char *err, size_t errlen)
{
	struct tmpl *t = xcalloc(1, sizeof *t);
	t->file = xstrdup(file);
	t->src = xmalloc(len + 1);
	memcpy(t->src, text, len);
	t->src[len] = '\0';
	t->len = len;
	t->late = names->late;
	struct parser ps = { .t = t, .funcs = names->funcs, .known = names->known, .known_ud = names->ud,
			     .late = names->late, .err = err, .errlen = errlen };
	/* Jinja's keep_trailing_newline is off (dbt leaves it so): one
	 * newline at the end of the file is not part of the output */
	size_t used = len;
	if (used && t->src[used - 1] == '\n')
		used -= used > 1 && t->src[used - 2] == '\r' ? 2 : 1;
	else if (used && t->src[used - 1] == '\r')
		used--;
	struct scan sc = { .p = t->src, .end = t->src + used, .line = 1 };
	struct stmt_end end;
	t->root = parse_nodes(&ps, &sc, NULL, &end);
	if (!ps.failed && !ps.late)
		check_calls(&ps);
	if (ps.failed) {
		tmpl_free(t);
		return NULL;
	}
	return t;
}

const char *tmpl_file(const struct tmpl *t)
{
	return t->file;
}

const char *tmpl_source(const struct tmpl *t)
{
	return t->src;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	tarena_free(&t->arena);
	free(t->file);
	free(t->src);
	free(t);
}

/* ---- static walk ---- */

struct walk {
	const char *name;
	tmpl_call_visit fn;
	void *ud;
};

static int walk_expr(struct walk *w, const struct expr *e)
{
	if (!e)
		return 0;
	int rc;
	if (e->k == E_CALL && strcmp(e->name, w->name) == 0) {
		const char *args[16];
		size_t n = e->n < 16 ? e->n : 16;
		for (size_t i = 0; i < n; i++)
			args[i] = e->items[i]->k == E_LIT && e->items[i]->lit.kind == TV_STR ? e->items[i]->lit.s : NULL;
		if ((rc = w->fn(w->ud, e->name, n, args, e->line)) != 0)
			return rc;
	}
	if ((rc = walk_expr(w, e->a)) || (rc = walk_expr(w, e->b)) || (rc = walk_expr(w, e->c)))
		return rc;
	for (size_t i = 0; i < e->n; i++) {
		if (e->items && (rc = walk_expr(w, e->items[i])))
			return rc;
		if (e->keys && (rc = walk_expr(w, e->keys[i])))
			return rc;
	}
	for (size_t i = 0; i < e->nkw; i++)
		if ((rc = walk_expr(w, e->kwargs[i])))
			return rc;
	return 0;
}

static int walk_nodes(struct walk *w, const struct node *n)
{
	int rc;
	for (; n; n = n->next) {
		if ((rc = walk_expr(w, n->e)) || (rc = walk_expr(w, n->cond)) || (rc = walk_nodes(w, n->body)) ||
		    (rc = walk_nodes(w, n->orelse)))
			return rc;
		for (size_t i = 0; i < n->params.n; i++)
			if ((rc = walk_expr(w, n->params.defaults[i])))
				return rc;
	}
	return 0;
}

int tmpl_each_macro(const struct tmpl *t, tmpl_macro_visit fn, void *ud)
{
	for (const struct node *n = t->root; n; n = n->next)
		if (n->k == N_MACRO) {
			int rc = fn(ud, n->var, (const struct tmpl_macro *)n, n->line);
			if (rc)
				return rc;
		}
	return 0;
}

int tmpl_calls(const struct tmpl *t, const char *name, tmpl_call_visit fn, void *ud)
{
	struct walk w = { name, fn, ud };
	return walk_nodes(&w, t->root);
}
