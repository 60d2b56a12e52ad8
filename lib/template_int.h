/* SPDX-License-Identifier: MIT
 * Internals of the template engine shared by its files (lib/template*.c);
 * lib/template.h is the API. Nothing here is for other modules. */
#ifndef ELT_TEMPLATE_INT_H
#define ELT_TEMPLATE_INT_H

#include "template.h"
#include "buf.h"

#include <stddef.h>

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
};


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

void *tarena_alloc(struct arena *a, size_t n);
char *tarena_strndup(struct arena *a, const char *s, size_t n);
void tarena_free(struct arena *a);

void tparse_err(struct parser *ps, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tlex_next(struct parser *ps);
bool tlex_is(struct parser *ps, const char *word);
char *tlex_text(struct parser *ps);
void tparse_unexpected(struct parser *ps, const char *wanted);
bool tparse_expect(struct parser *ps, enum tok t, const char *what);
struct expr *tparse_new_expr(struct parser *ps, enum ekind k);
bool tparse_enter(struct parser *ps);
struct expr *tparse_sized(struct parser *ps, struct expr *e);
struct expr *tparse_expr(struct parser *ps);

const char *tval_kind_name(enum tval_kind k);
void tval_print(struct buf *b, const struct tval *v, bool quoted);
struct tval tval_as_string(struct tmpl_render *r, const struct tval *v);
bool tval_equal(const struct tval *a, const struct tval *b);

int teval(struct tmpl_render *r, const struct expr *e, struct tval *out);
void tbind(struct tmpl_render *r, const char *name, struct tval v);

#endif
