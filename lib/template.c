/* SPDX-License-Identifier: MIT
 * The Jinja-subset template engine; see template.h.
 *
 * A template is parsed once into a small tree (text, output, if, for, set)
 * whose nodes all live in one arena, so freeing is one call. Rendering walks
 * the tree with a second arena for the values it makes, and reports the
 * first error with the line of the construct. Tuned for model files of a few
 * kilobytes: hundreds are parsed and rendered in a few milliseconds. */
#include "template.h"
#include "buf.h"
#include "xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const tmpl_dbt_functions[] = { "ref", "source", "config", "var", "is_incremental", NULL };

/* ---- arena ---- */

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
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

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void arena_free(struct arena *a)
{
	for (struct chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

/* ---- the tree ---- */

enum ekind {
	E_LIT, E_NAME, E_ATTR, E_CALL, E_LIST, E_DICT, E_NOT, E_NEG, E_AND, E_OR,
	E_CMP, E_IN, E_CONCAT, E_ARITH,
};

struct expr {
	enum ekind k;
	int line;
	int op;                 /* E_CMP / E_ARITH: the operator token */
	struct tval lit;        /* E_LIT */
	const char *name;       /* E_NAME, E_ATTR (attribute), E_CALL */
	struct expr *a, *b;     /* operands; E_ATTR object in a */
	size_t n;               /* E_CALL positional / E_LIST items / E_DICT pairs */
	struct expr **items;    /* E_CALL args, E_LIST items, E_DICT values */
	struct expr **keys;     /* E_DICT keys */
	size_t nkw;             /* E_CALL keyword arguments */
	const char **kwnames;
	struct expr **kwargs;
	int height;             /* levels in this subtree, 1 for a leaf */
};

enum nkind { N_TEXT, N_OUT, N_IF, N_FOR, N_SET };

struct node {
	enum nkind k;
	int line;
	struct node *next;
	const char *text;       /* N_TEXT */
	size_t len;
	struct expr *e;         /* N_OUT, N_SET value, N_FOR iterable, N_IF condition */
	const char *var;        /* N_SET, N_FOR */
	struct node *body;      /* N_IF then / N_FOR body */
	struct node *orelse;    /* N_IF: the next elif (an N_IF) or the else body */
};

struct tmpl {
	struct arena arena;
	char *file;
	char *src;
	size_t len;
	struct node *root;
};

/* ---- lexer for the inside of tags ---- */

enum tok {
	T_EOF, T_NAME, T_STR, T_NUM, T_LP, T_RP, T_LB, T_RB, T_LC, T_RC, T_COMMA, T_DOT,
	T_COLON, T_TILDE, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_ASSIGN, T_PLUS, T_MINUS,
	T_STAR, T_SLASH, T_PIPE, T_BAD,
};

struct parser {
	struct tmpl *t;
	const char *const *funcs;
	char *err;
	size_t errlen;
	bool failed;
	/* the tag being parsed */
	const char *p, *end;
	int line;
	/* current token */
	enum tok tok;
	const char *tstart;
	size_t tlen;
	char *tstr; /* T_STR decoded, in the arena */
	double tnum;
	bool treal; /* T_NUM written with '.' */
	int depth;  /* open statements and expression levels */
};

/* The parser, the walk and the renderer recurse once per level of nesting,
 * so a generated or hostile file nested thousands of levels deep would
 * overflow the stack (of a worker thread, in modelrun). Real models nest a
 * handful of levels; this bounds both the parser's recursion and the
 * height of every expression tree, which bounds the walk and the render. */
#define TMPL_MAX_DEPTH 200

static void perr(struct parser *ps, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(struct parser *ps, int line, const char *fmt, ...)
{
	if (ps->failed)
		return;
	ps->failed = true;
	int n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->t->file, line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static void next(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) {
		if (*ps->p == '\n')
			ps->line++;
		ps->p++;
	}
	ps->tstart = ps->p;
	ps->tlen = 0;
	if (ps->p >= ps->end) {
		ps->tok = T_EOF;
		return;
	}
	char c = *ps->p;
	if (is_ident_start(c)) {
		while (ps->p < ps->end && is_ident(*ps->p))
			ps->p++;
		ps->tok = T_NAME;
	} else if (c >= '0' && c <= '9') {
		char buf[64];
		size_t n = 0;
		while (ps->p < ps->end && ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.' || *ps->p == '_') &&
		       n < sizeof buf - 1) {
			if (*ps->p != '_')
				buf[n++] = *ps->p;
			ps->p++;
		}
		buf[n] = '\0';
		char *endp;
		ps->tnum = strtod(buf, &endp);
		ps->treal = strchr(buf, '.') != NULL;
		ps->tok = *endp ? T_BAD : T_NUM;
	} else if (c == '\'' || c == '"') {
		char q = c;
		ps->p++;
		/* decoded length is at most the raw length */
		const char *s = ps->p;
		while (ps->p < ps->end && *ps->p != q) {
			if (*ps->p == '\\' && ps->p + 1 < ps->end)
				ps->p++;
			if (*ps->p == '\n')
				ps->line++;
			ps->p++;
		}
		if (ps->p >= ps->end) {
			ps->tok = T_BAD;
			perr(ps, ps->line, "unterminated string literal");
			return;
		}
		char *out = arena_alloc(&ps->t->arena, (size_t)(ps->p - s) + 1);
		size_t n = 0;
		for (const char *r = s; r < ps->p; r++) {
			if (*r == '\\' && r + 1 < ps->p) {
				r++;
				switch (*r) {
				case 'n': out[n++] = '\n'; break;
				case 't': out[n++] = '\t'; break;
				case 'r': out[n++] = '\r'; break;
				default: out[n++] = *r; break;
				}
			} else {
				out[n++] = *r;
			}
		}
		out[n] = '\0';
		ps->tstr = out;
		ps->tnum = (double)n;
		ps->p++;
		ps->tok = T_STR;
	} else {
		ps->p++;
		char d = ps->p < ps->end ? *ps->p : '\0';
		switch (c) {
		case '(': ps->tok = T_LP; break;
		case ')': ps->tok = T_RP; break;
		case '[': ps->tok = T_LB; break;
		case ']': ps->tok = T_RB; break;
		case '{': ps->tok = T_LC; break;
		case '}': ps->tok = T_RC; break;
		case ',': ps->tok = T_COMMA; break;
		case '.': ps->tok = T_DOT; break;
		case ':': ps->tok = T_COLON; break;
		case '~': ps->tok = T_TILDE; break;
		case '+': ps->tok = T_PLUS; break;
		case '-': ps->tok = T_MINUS; break;
		case '*': ps->tok = d == '*' ? (ps->p++, T_BAD) : T_STAR; break;
		case '/': ps->tok = d == '/' ? (ps->p++, T_BAD) : T_SLASH; break;
		case '|': ps->tok = T_PIPE; break;
		case '=': ps->tok = d == '=' ? (ps->p++, T_EQ) : T_ASSIGN; break;
		case '!': ps->tok = d == '=' ? (ps->p++, T_NE) : T_BAD; break;
		case '<': ps->tok = d == '=' ? (ps->p++, T_LE) : T_LT; break;
		case '>': ps->tok = d == '=' ? (ps->p++, T_GE) : T_GT; break;
		default: ps->tok = T_BAD; break;
		}
	}
	ps->tlen = (size_t)(ps->p - ps->tstart);
}

static bool tok_is(struct parser *ps, const char *word)
{
	return ps->tok == T_NAME && strlen(word) == ps->tlen && memcmp(ps->tstart, word, ps->tlen) == 0;
}

static char *tok_text(struct parser *ps)
{
	return arena_strndup(&ps->t->arena, ps->tstart, ps->tlen);
}

/* Names the current token in an error message. */
static void unexpected(struct parser *ps, const char *wanted)
{
	if (ps->tok == T_EOF)
		perr(ps, ps->line, "expected %s, found the end of the tag", wanted);
	else if (ps->tok == T_PIPE)
		perr(ps, ps->line, "unsupported construct: filter '|' (not in modelrun's Jinja subset)");
	else
		perr(ps, ps->line, "expected %s, found '%.*s'", wanted, (int)ps->tlen, ps->tstart);
}

static bool expect(struct parser *ps, enum tok t, const char *what)
{
	if (ps->tok != t) {
		unexpected(ps, what);
		return false;
	}
	next(ps);
	return true;
}

static struct expr *new_expr(struct parser *ps, enum ekind k)
{
	struct expr *e = arena_alloc(&ps->t->arena, sizeof *e);
	e->k = k;
	e->line = ps->line;
	e->height = 1;
	return e;
}

static void too_deep(struct parser *ps)
{
	perr(ps, ps->line, "nested more than %d levels deep", TMPL_MAX_DEPTH);
}

/* Opens a level of recursion; false (after the error) when too deep. */
static bool enter(struct parser *ps)
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
static struct expr *sized(struct parser *ps, struct expr *e)
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
		struct expr **v = arena_alloc(&ps->t->arena, cap * sizeof *v);
		const char **names = arena_alloc(&ps->t->arena, cap * sizeof *names);
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

static struct expr *parse_expr(struct parser *ps);

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
		e = new_expr(ps, E_LIT);
		e->lit.kind = TV_STR;
		e->lit.s = ps->tstr;
		e->lit.n = (size_t)ps->tnum;
		next(ps);
	} else if (ps->tok == T_NUM) {
		e = new_expr(ps, E_LIT);
		e->lit.kind = TV_NUM;
		e->lit.num = ps->tnum;
		e->lit.real = ps->treal;
		next(ps);
	} else if (ps->tok == T_LP) {
		next(ps);
		e = parse_expr(ps);
		if (!e || !expect(ps, T_RP, "')'"))
			return NULL;
	} else if (ps->tok == T_LB) {
		e = new_expr(ps, E_LIST);
		next(ps);
		struct evec ev = { 0 };
		while (ps->tok != T_RB) {
			struct expr *item = parse_expr(ps);
			if (!item)
				return NULL;
			evec_push(ps, &ev, item, NULL);
			if (ps->tok == T_COMMA)
				next(ps);
			else if (ps->tok != T_RB)
				return unexpected(ps, "',' or ']'"), NULL;
		}
		next(ps);
		e->items = ev.v;
		e->n = ev.n;
		if (!sized(ps, e))
			return NULL;
	} else if (ps->tok == T_LC) {
		e = new_expr(ps, E_DICT);
		next(ps);
		struct evec keys = { 0 }, vals = { 0 };
		while (ps->tok != T_RC) {
			struct expr *k = parse_expr(ps);
			if (!k || !expect(ps, T_COLON, "':'"))
				return NULL;
			struct expr *v = parse_expr(ps);
			if (!v)
				return NULL;
			evec_push(ps, &keys, k, NULL);
			evec_push(ps, &vals, v, NULL);
			if (ps->tok == T_COMMA)
				next(ps);
			else if (ps->tok != T_RC)
				return unexpected(ps, "',' or '}'"), NULL;
		}
		next(ps);
		e->keys = keys.v;
		e->items = vals.v;
		e->n = keys.n;
		if (!sized(ps, e))
			return NULL;
	} else if (ps->tok == T_NAME) {
		if (tok_is(ps, "true") || tok_is(ps, "True") || tok_is(ps, "false") || tok_is(ps, "False")) {
			e = new_expr(ps, E_LIT);
			e->lit.kind = TV_BOOL;
			e->lit.b = ps->tstart[0] == 't' || ps->tstart[0] == 'T';
			next(ps);
		} else if (tok_is(ps, "none") || tok_is(ps, "None")) {
			e = new_expr(ps, E_LIT);
			e->lit.kind = TV_NONE;
			next(ps);
		} else {
			e = new_expr(ps, E_NAME);
			e->name = tok_text(ps);
			next(ps);
		}
	} else {
		unexpected(ps, "a value");
		return NULL;
	}
	/* postfix: calls and attributes */
	for (;;) {
		if (ps->failed)
			return NULL;
		if (ps->tok == T_LP) {
			if (e->k != E_NAME) {
				perr(ps, ps->line, "unsupported construct: method call '%s%s%s()' (not in modelrun's Jinja subset)",
				     e->k == E_ATTR && e->a->k == E_NAME ? e->a->name : "",
				     e->k == E_ATTR && e->a->k == E_NAME ? "." : "", e->k == E_ATTR ? e->name : "(...)");
				return NULL;
			}
			if (!func_known(ps, e->name)) {
				perr(ps, ps->line, "unsupported construct: function '%s()' (not in modelrun's Jinja subset)", e->name);
				return NULL;
			}
			e->k = E_CALL;
			next(ps);
			struct evec pos = { 0 }, kw = { 0 };
			while (ps->tok != T_RP) {
				if (ps->tok == T_NAME) {
					/* keyword argument? look ahead for '=' */
					const char *save_p = ps->p;
					int save_line = ps->line;
					struct parser look = *ps;
					next(&look);
					if (look.tok == T_ASSIGN) {
						char *kname = tok_text(ps);
						*ps = look;
						next(ps);
						struct expr *v = parse_expr(ps);
						if (!v)
							return NULL;
						evec_push(ps, &kw, v, kname);
						goto sep;
					}
					ps->p = save_p;
					ps->line = save_line;
				}
				if (kw.n) {
					perr(ps, ps->line, "positional argument after keyword argument in %s()", e->name);
					return NULL;
				}
				struct expr *a = parse_expr(ps);
				if (!a)
					return NULL;
				evec_push(ps, &pos, a, NULL);
sep:
				if (ps->tok == T_COMMA)
					next(ps);
				else if (ps->tok != T_RP)
					return unexpected(ps, "',' or ')'"), NULL;
			}
			next(ps);
			e->items = pos.v;
			e->n = pos.n;
			e->kwargs = kw.v;
			e->kwnames = kw.names;
			e->nkw = kw.n;
			if (!sized(ps, e))
				return NULL;
		} else if (ps->tok == T_DOT) {
			next(ps);
			if (ps->tok != T_NAME)
				return unexpected(ps, "an attribute name"), NULL;
			struct expr *a = new_expr(ps, E_ATTR);
			a->a = e;
			a->name = tok_text(ps);
			next(ps);
			e = sized(ps, a);
			if (!e)
				return NULL;
		} else if (ps->tok == T_LB) {
			perr(ps, ps->line, "unsupported construct: subscript '[...]' (not in modelrun's Jinja subset)");
			return NULL;
		} else {
			return e;
		}
	}
}

static struct expr *parse_unary(struct parser *ps)
{
	if (ps->tok == T_MINUS) {
		struct expr *e = new_expr(ps, E_NEG);
		next(ps);
		if (!enter(ps))
			return NULL;
		e->a = parse_unary(ps);
		ps->depth--;
		return e->a ? sized(ps, e) : NULL;
	}
	return parse_primary(ps);
}

static struct expr *parse_mul(struct parser *ps)
{
	struct expr *e = parse_unary(ps);
	while (e && (ps->tok == T_STAR || ps->tok == T_SLASH)) {
		struct expr *o = new_expr(ps, E_ARITH);
		o->op = ps->tok;
		next(ps);
		o->a = e;
		o->b = parse_unary(ps);
		e = o->b ? sized(ps, o) : NULL;
	}
	return e;
}

static struct expr *parse_add(struct parser *ps)
{
	struct expr *e = parse_mul(ps);
	while (e && (ps->tok == T_PLUS || ps->tok == T_MINUS || ps->tok == T_TILDE)) {
		struct expr *o = new_expr(ps, ps->tok == T_TILDE ? E_CONCAT : E_ARITH);
		o->op = ps->tok;
		next(ps);
		o->a = e;
		o->b = parse_mul(ps);
		e = o->b ? sized(ps, o) : NULL;
	}
	return e;
}

static struct expr *parse_cmp(struct parser *ps)
{
	struct expr *e = parse_add(ps);
	while (e && !ps->failed) {
		if (ps->tok == T_EQ || ps->tok == T_NE || ps->tok == T_LT || ps->tok == T_LE ||
		    ps->tok == T_GT || ps->tok == T_GE) {
			struct expr *o = new_expr(ps, E_CMP);
			o->op = ps->tok;
			next(ps);
			o->a = e;
			o->b = parse_add(ps);
			e = o->b ? sized(ps, o) : NULL;
		} else if (tok_is(ps, "in") || tok_is(ps, "not")) {
			bool negate = tok_is(ps, "not");
			if (negate) {
				struct parser look = *ps;
				next(&look);
				if (!tok_is(&look, "in"))
					return e;
				*ps = look;
			}
			struct expr *o = new_expr(ps, E_IN);
			next(ps);
			o->a = e;
			o->b = parse_add(ps);
			if (!o->b || !(e = sized(ps, o)))
				return NULL;
			if (negate) {
				struct expr *n = new_expr(ps, E_NOT);
				n->a = e;
				if (!(e = sized(ps, n)))
					return NULL;
			}
		} else if (tok_is(ps, "is")) {
			perr(ps, ps->line, "unsupported construct: test 'is' (not in modelrun's Jinja subset)");
			return NULL;
		} else {
			return e;
		}
	}
	return e;
}

static struct expr *parse_not(struct parser *ps)
{
	if (tok_is(ps, "not")) {
		struct expr *e = new_expr(ps, E_NOT);
		next(ps);
		if (!enter(ps))
			return NULL;
		e->a = parse_not(ps);
		ps->depth--;
		return e->a ? sized(ps, e) : NULL;
	}
	return parse_cmp(ps);
}

static struct expr *parse_and(struct parser *ps)
{
	struct expr *e = parse_not(ps);
	while (e && tok_is(ps, "and")) {
		struct expr *o = new_expr(ps, E_AND);
		next(ps);
		o->a = e;
		o->b = parse_not(ps);
		e = o->b ? sized(ps, o) : NULL;
	}
	return e;
}

static struct expr *parse_expr(struct parser *ps)
{
	/* every nested '(', '[', '{' and argument list comes through here */
	if (!enter(ps))
		return NULL;
	struct expr *e = parse_and(ps);
	while (e && tok_is(ps, "or")) {
		struct expr *o = new_expr(ps, E_OR);
		next(ps);
		o->a = e;
		o->b = parse_and(ps);
		e = o->b ? sized(ps, o) : NULL;
	}
	if (e && tok_is(ps, "if")) {
		perr(ps, ps->line, "unsupported construct: inline 'if' expression (not in modelrun's Jinja subset)");
		return NULL;
	}
	ps->depth--;
	return e;
}

/* ---- template structure ---- */

enum tagkind { TAG_TEXT_END, TAG_OUT, TAG_STMT };

/* A statement being closed: the parser returns to the caller at one of the
 * words in `enders`. */
struct stmt_end {
	char word[16];
	int line;
};

static struct node *new_node(struct parser *ps, enum nkind k, int line)
{
	struct node *n = arena_alloc(&ps->t->arena, sizeof *n);
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
		unexpected(ps, "'%}'");
		return false;
	}
	return true;
}

static struct node *parse_if_body(struct parser *ps, struct scan *sc, int line);

/* An if (or an elif, which nests like one) is a level of nesting. */
static struct node *parse_if(struct parser *ps, struct scan *sc, int line)
{
	if (!enter(ps))
		return NULL;
	struct node *n = parse_if_body(ps, sc, line);
	ps->depth--;
	return n;
}

static struct node *parse_if_body(struct parser *ps, struct scan *sc, int line)
{
	struct node *n = new_node(ps, N_IF, line);
	n->e = parse_expr(ps);
	if (!n->e || !stmt_done(ps))
		return NULL;
	static const char *const enders[] = { "elif", "else", "endif", NULL };
	struct stmt_end end;
	n->body = parse_nodes(ps, sc, enders, &end);
	if (ps->failed)
		return NULL;
	if (!end.word[0]) {
		perr(ps, line, "'if' is never closed with 'endif'");
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
			perr(ps, line, "'if' is never closed with 'endif'");
			return NULL;
		}
		if (!stmt_done(ps))
			return NULL;
		/* An else body is represented as an always-true elif. */
		struct node *always = new_node(ps, N_IF, end.line);
		always->e = new_expr(ps, E_LIT);
		always->e->lit.kind = TV_BOOL;
		always->e->lit.b = true;
		always->body = els;
		n->orelse = always;
	} else if (!stmt_done(ps)) {
		return NULL;
	}
	return n;
}

static struct node *parse_stmt(struct parser *ps, struct scan *sc, int line)
{
	if (ps->tok != T_NAME) {
		unexpected(ps, "a statement");
		return NULL;
	}
	if (tok_is(ps, "if")) {
		next(ps);
		return parse_if(ps, sc, line);
	}
	if (tok_is(ps, "for")) {
		next(ps);
		struct node *n = new_node(ps, N_FOR, line);
		if (ps->tok != T_NAME)
			return unexpected(ps, "a loop variable"), NULL;
		n->var = tok_text(ps);
		next(ps);
		if (ps->tok == T_COMMA) {
			perr(ps, ps->line, "unsupported construct: 'for' with several loop variables");
			return NULL;
		}
		if (!tok_is(ps, "in"))
			return unexpected(ps, "'in'"), NULL;
		next(ps);
		n->e = parse_expr(ps);
		if (!n->e)
			return NULL;
		if (tok_is(ps, "if") || tok_is(ps, "recursive")) {
			perr(ps, ps->line, "unsupported construct: 'for ... %.*s'", (int)ps->tlen, ps->tstart);
			return NULL;
		}
		if (!stmt_done(ps))
			return NULL;
		static const char *const enders[] = { "endfor", "else", NULL };
		struct stmt_end end;
		if (!enter(ps))
			return NULL;
		n->body = parse_nodes(ps, sc, enders, &end);
		ps->depth--;
		if (ps->failed)
			return NULL;
		if (!end.word[0]) {
			perr(ps, line, "'for' is never closed with 'endfor'");
			return NULL;
		}
		if (strcmp(end.word, "else") == 0) {
			perr(ps, end.line, "unsupported construct: 'for ... else'");
			return NULL;
		}
		return stmt_done(ps) ? n : NULL;
	}
	if (tok_is(ps, "set")) {
		next(ps);
		struct node *n = new_node(ps, N_SET, line);
		if (ps->tok != T_NAME)
			return unexpected(ps, "a variable name"), NULL;
		n->var = tok_text(ps);
		next(ps);
		if (ps->tok == T_EOF) {
			perr(ps, line, "unsupported construct: block 'set' (write {%% set x = ... %%})");
			return NULL;
		}
		if (ps->tok != T_ASSIGN)
			return unexpected(ps, "'='"), NULL;
		next(ps);
		n->e = parse_expr(ps);
		return n->e && stmt_done(ps) ? n : NULL;
	}
	if (tok_is(ps, "elif") || tok_is(ps, "else") || tok_is(ps, "endif") || tok_is(ps, "endfor")) {
		perr(ps, line, "'%.*s' without a matching opening tag", (int)ps->tlen, ps->tstart);
		return NULL;
	}
	perr(ps, line, "unsupported construct: '{%% %.*s %%}' (not in modelrun's Jinja subset)", (int)ps->tlen,
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
			perr(ps, line, "'%c%c' is never closed", '{', kind);
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
		next(ps);
		if (kind == '{') {
			struct node *n = new_node(ps, N_OUT, line);
			n->e = parse_expr(ps);
			if (!n->e)
				return NULL;
			if (ps->tok != T_EOF) {
				unexpected(ps, "'}}'");
				return NULL;
			}
			*tail = n;
			tail = &n->next;
			continue;
		}
		if (ps->tok == T_NAME && is_ender(enders, ps->tstart, ps->tlen)) {
			snprintf(end->word, sizeof end->word, "%.*s", (int)ps->tlen, ps->tstart);
			end->line = line;
			next(ps);
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

struct tmpl *tmpl_parse(const char *file, const char *text, size_t len,
			const char *const *funcs, char *err, size_t errlen)
{
	struct tmpl *t = xcalloc(1, sizeof *t);
	t->file = xstrdup(file);
	t->src = xmalloc(len + 1);
	memcpy(t->src, text, len);
	t->src[len] = '\0';
	t->len = len;
	struct parser ps = { .t = t, .funcs = funcs, .err = err, .errlen = errlen };
	struct scan sc = { .p = t->src, .end = t->src + len, .line = 1 };
	struct stmt_end end;
	t->root = parse_nodes(&ps, &sc, NULL, &end);
	if (ps.failed) {
		tmpl_free(t);
		return NULL;
	}
	return t;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	arena_free(&t->arena);
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
	if ((rc = walk_expr(w, e->a)) || (rc = walk_expr(w, e->b)))
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
		if ((rc = walk_expr(w, n->e)) || (rc = walk_nodes(w, n->body)) || (rc = walk_nodes(w, n->orelse)))
			return rc;
	}
	return 0;
}

int tmpl_calls(const struct tmpl *t, const char *name, tmpl_call_visit fn, void *ud)
{
	struct walk w = { name, fn, ud };
	return walk_nodes(&w, t->root);
}

/* ---- rendering ---- */

struct binding {
	const char *name;
	struct tval v;
	struct binding *prev;
};

struct tmpl_render {
	const struct tmpl *t;
	const struct tmpl_host *host;
	struct arena arena;
	struct buf out;
	struct binding *scope;
	bool failed;
	char *err;
	size_t errlen;
	int depth;
};

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
	v.s = arena_strndup(&r->arena, s, len);
	return v;
}

struct tval *tval_alloc(struct tmpl_render *r, size_t n)
{
	return arena_alloc(&r->arena, (n ? n : 1) * sizeof(struct tval));
}

const char **tval_alloc_keys(struct tmpl_render *r, size_t n)
{
	return arena_alloc(&r->arena, (n ? n : 1) * sizeof(const char *));
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

static const char *kind_name(enum tval_kind k)
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
static void to_text(struct buf *b, const struct tval *v, bool quoted)
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
			to_text(b, &v->items[i], true);
		}
		buf_add(b, "]", 1);
		break;
	case TV_DICT:
		buf_add(b, "{", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_add(b, ", ", 2);
			struct tval k = { .kind = TV_STR, .s = v->keys[i], .n = strlen(v->keys[i]) };
			to_text(b, &k, true);
			buf_add(b, ": ", 2);
			to_text(b, &v->items[i], true);
		}
		buf_add(b, "}", 1);
		break;
	}
}

static struct tval as_string(struct tmpl_render *r, const struct tval *v)
{
	if (v->kind == TV_STR)
		return *v;
	struct buf b = { 0 };
	to_text(&b, v, false);
	struct tval s = tval_str(r, b.data ? b.data : "", b.len);
	buf_free(&b);
	return s;
}

static bool values_equal(const struct tval *a, const struct tval *b)
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
			if (!values_equal(&a->items[i], &b->items[i]))
				return false;
		return true;
	case TV_DICT:
		if (a->n != b->n)
			return false;
		for (size_t i = 0; i < a->n; i++) {
			const struct tval *o = tval_get(b, a->keys[i]);
			if (!o || !values_equal(&a->items[i], o))
				return false;
		}
		return true;
	}
	return false;
}

static int eval(struct tmpl_render *r, const struct expr *e, struct tval *out);

static int eval_call(struct tmpl_render *r, const struct expr *e, struct tval *out)
{
	struct tval *args = tval_alloc(r, e->n), *kw = tval_alloc(r, e->nkw);
	for (size_t i = 0; i < e->n; i++)
		if (eval(r, e->items[i], &args[i]))
			return -1;
	for (size_t i = 0; i < e->nkw; i++)
		if (eval(r, e->kwargs[i], &kw[i]))
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

static int eval(struct tmpl_render *r, const struct expr *e, struct tval *out)
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
		if (eval(r, e->a, &a))
			return -1;
		const struct tval *v = tval_get(&a, e->name);
		if (!v) {
			if (a.kind == TV_DICT)
				tmpl_fail(r, e->line, "no attribute '%s'", e->name);
			else
				tmpl_fail(r, e->line, "unsupported construct: attribute '.%s' of a %s", e->name,
					  kind_name(a.kind));
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
			if (eval(r, e->items[i], &out->items[i]))
				return -1;
		return 0;
	case E_DICT:
		out->kind = TV_DICT;
		out->n = e->n;
		out->items = tval_alloc(r, e->n);
		out->keys = tval_alloc_keys(r, e->n);
		for (size_t i = 0; i < e->n; i++) {
			if (eval(r, e->keys[i], &a) || eval(r, e->items[i], &out->items[i]))
				return -1;
			if (a.kind != TV_STR) {
				tmpl_fail(r, e->line, "dict keys must be strings");
				return -1;
			}
			out->keys[i] = a.s;
		}
		return 0;
	case E_NOT:
		if (eval(r, e->a, &a))
			return -1;
		*out = (struct tval){ .kind = TV_BOOL, .b = !tval_truthy(&a) };
		return 0;
	case E_NEG:
		if (eval(r, e->a, &a))
			return -1;
		if (a.kind != TV_NUM) {
			tmpl_fail(r, e->line, "cannot negate a %s", kind_name(a.kind));
			return -1;
		}
		*out = (struct tval){ .kind = TV_NUM, .num = -a.num, .real = a.real };
		return 0;
	case E_AND:
	case E_OR:
		/* Python semantics: the deciding operand is the result. */
		if (eval(r, e->a, &a))
			return -1;
		if (tval_truthy(&a) == (e->k == E_OR)) {
			*out = a;
			return 0;
		}
		return eval(r, e->b, out);
	case E_CMP: {
		if (eval(r, e->a, &a) || eval(r, e->b, &b))
			return -1;
		bool res;
		if (e->op == T_EQ || e->op == T_NE) {
			res = values_equal(&a, &b) == (e->op == T_EQ);
		} else {
			int c;
			if (a.kind == TV_NUM && b.kind == TV_NUM) {
				c = a.num < b.num ? -1 : a.num > b.num;
			} else if (a.kind == TV_STR && b.kind == TV_STR) {
				c = strcmp(a.s, b.s);
			} else {
				tmpl_fail(r, e->line, "cannot compare a %s with a %s", kind_name(a.kind), kind_name(b.kind));
				return -1;
			}
			res = e->op == T_LT ? c < 0 : e->op == T_LE ? c <= 0 : e->op == T_GT ? c > 0 : c >= 0;
		}
		*out = (struct tval){ .kind = TV_BOOL, .b = res };
		return 0;
	}
	case E_IN: {
		if (eval(r, e->a, &a) || eval(r, e->b, &b))
			return -1;
		bool res = false;
		if (b.kind == TV_LIST) {
			for (size_t i = 0; i < b.n && !res; i++)
				res = values_equal(&a, &b.items[i]);
		} else if (b.kind == TV_DICT && a.kind == TV_STR) {
			res = tval_get(&b, a.s) != NULL;
		} else if (b.kind == TV_STR && a.kind == TV_STR) {
			for (size_t i = 0; i + a.n <= b.n && !res; i++)
				res = memcmp(b.s + i, a.s, a.n) == 0;
		} else {
			tmpl_fail(r, e->line, "'in' needs a list, dict or string on the right, not a %s", kind_name(b.kind));
			return -1;
		}
		*out = (struct tval){ .kind = TV_BOOL, .b = res };
		return 0;
	}
	case E_CONCAT: {
		if (eval(r, e->a, &a) || eval(r, e->b, &b))
			return -1;
		struct tval sa = as_string(r, &a), sb = as_string(r, &b);
		char *p = arena_alloc(&r->arena, sa.n + sb.n + 1);
		memcpy(p, sa.s, sa.n);
		memcpy(p + sa.n, sb.s, sb.n);
		*out = (struct tval){ .kind = TV_STR, .s = p, .n = sa.n + sb.n };
		return 0;
	}
	case E_ARITH: {
		if (eval(r, e->a, &a) || eval(r, e->b, &b))
			return -1;
		if (e->op == T_PLUS && a.kind == TV_STR && b.kind == TV_STR) {
			char *p = arena_alloc(&r->arena, a.n + b.n + 1);
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
			tmpl_fail(r, e->line, "arithmetic on a %s and a %s", kind_name(a.kind), kind_name(b.kind));
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

static void bind(struct tmpl_render *r, const char *name, struct tval v)
{
	struct binding *b = arena_alloc(&r->arena, sizeof *b);
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
			if (eval(r, n->e, &v))
				return -1;
			to_text(&r->out, &v, false);
			break;
		case N_SET:
			if (eval(r, n->e, &v))
				return -1;
			bind(r, n->var, v);
			break;
		case N_IF:
			for (const struct node *br = n; br; br = br->orelse) {
				if (eval(r, br->e, &v))
					return -1;
				if (tval_truthy(&v)) {
					if (render_nodes(r, br->body))
						return -1;
					break;
				}
			}
			break;
		case N_FOR: {
			if (eval(r, n->e, &v))
				return -1;
			if (v.kind != TV_LIST && v.kind != TV_DICT) {
				tmpl_fail(r, n->line, "'for' needs a list, not a %s", kind_name(v.kind));
				return -1;
			}
			/* Jinja scoping: what a loop body sets does not leak out. */
			struct binding *saved = r->scope;
			for (size_t i = 0; i < v.n; i++) {
				r->scope = saved;
				struct tval item = v.kind == TV_LIST ? v.items[i] :
					(struct tval){ .kind = TV_STR, .s = v.keys[i], .n = strlen(v.keys[i]) };
				bind(r, "loop", loop_value(r, i, v.n));
				bind(r, n->var, item);
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
	arena_free(&r.arena);
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
