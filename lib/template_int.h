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
	E_CMP, E_IN, E_CONCAT, E_ARITH, E_FILTER, E_TEST, E_SUBSCRIPT, E_SLICE, E_COND,
};

struct expr {
	enum ekind k;
	int line;
	int op;                 /* E_CMP / E_ARITH: the operator token; E_TEST:
				 * 1 for 'is not'; E_LIST: 1 for a tuple;
				 * E_CALL: 1 for a host function */
	struct tval lit;        /* E_LIT */
	const char *name;       /* E_NAME, E_ATTR (attribute), E_CALL by name,
				 * E_FILTER, E_TEST */
	struct expr *a, *b, *c; /* operands: E_ATTR/E_SUBSCRIPT/E_FILTER/E_TEST
				 * object in a; E_CALL callee in a when not
				 * called by name; E_SLICE a[b:c] with the
				 * step in items[0]; E_COND a if b else c */
	size_t n;               /* E_CALL/E_FILTER/E_TEST positional / E_LIST
				 * items / E_DICT pairs */
	struct expr **items;    /* arguments, E_LIST items, E_DICT values */
	struct expr **keys;     /* E_DICT keys */
	size_t nkw;             /* E_CALL keyword arguments */
	const char **kwnames;
	struct expr **kwargs;
	int height;             /* levels in this subtree, 1 for a leaf */
};

enum nkind {
	N_TEXT, N_OUT, N_IF, N_FOR, N_SET, N_SETBLOCK, N_MACRO, N_CALLBLOCK, N_DO, N_BREAK, N_CONTINUE,
};

/* A macro's (or a call block's caller's) parameters. */
struct params {
	size_t n;
	const char **names;
	struct expr **defaults; /* NULL where there is none */
};

struct node {
	enum nkind k;
	int line;
	struct node *next;
	const char *text;       /* N_TEXT */
	size_t len;
	struct expr *e;         /* N_OUT, N_SET value, N_FOR iterable, N_IF
				 * condition, N_CALLBLOCK call, N_DO */
	const char *var;        /* N_SET, N_SETBLOCK, N_FOR, N_MACRO name */
	const char *attr;       /* N_SET: set var.attr = ... (a namespace) */
	const char **vars;      /* N_FOR: several targets (k, v) */
	size_t nvars;
	struct expr *cond;      /* N_FOR: for x in y if cond */
	struct params params;   /* N_MACRO, N_CALLBLOCK (the caller's) */
	struct node *body;      /* N_IF then / N_FOR, N_MACRO, N_SETBLOCK,
				 * N_CALLBLOCK body */
	struct node *orelse;    /* N_IF: the next elif (an N_IF) or the else
				 * body; N_FOR: the else body */
};

struct tmpl {
	struct arena arena;
	bool late;              /* a macro file, as dbt renders it: see print */
	char *file;
	char *src;
	size_t len;
	struct node *root;
};

/* ---- lexer for the inside of tags ---- */

enum tok {
	T_EOF, T_NAME, T_STR, T_NUM, T_LP, T_RP, T_LB, T_RB, T_LC, T_RC, T_COMMA, T_DOT,
	T_COLON, T_TILDE, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_ASSIGN, T_PLUS, T_MINUS,
	T_STAR, T_SLASH, T_PIPE, T_DSLASH, T_PERCENT, T_POW, T_BAD,
};

struct name_list {
	const char *name;
	int line;
	struct name_list *next;
};

struct parser {
	struct tmpl *t;
	const char *const *funcs;
	bool (*known)(void *ud, const char *name);
	void *known_ud;
	bool late;  /* calls of unknown names are left to the render */
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
	int loops;    /* open for loops (break, continue) */
	struct name_list *bound; /* names the template binds (for the check of
				  * calls at the end of the parse) */
	struct name_list *calls; /* calls of names not known when seen */
};

/* The parser, the walk and the renderer recurse once per level of nesting,
 * so a generated or hostile file nested thousands of levels deep would
 * overflow the stack (of a worker thread, in modelrun). Real models nest a
 * handful of levels; this bounds both the parser's recursion and the
 * height of every expression tree, which bounds the walk and the render. */
#define TMPL_MAX_DEPTH 200
/* Macro calls nested in a render, and the levels of expressions and
 * statements in all of them together. */
#define TMPL_MAX_CALLS 100
#define TMPL_MAX_RENDER_NEST 1500

struct binding {
	const char *name;
	struct tval v;
	struct binding *prev;
};

/* The shared storage of a list or dict that the template can change. */
struct tmpl_box {
	size_t n, cap;
	struct tval *items;
	const char **keys;
	bool ns;                /* a namespace() */
};

enum tfunc_kind { F_MACRO, F_CYCLE, F_METHOD, F_NATIVE };

/* A callable value: a macro (or caller) with the scope it closes over, or a
 * built-in bound to its object (loop.cycle, 'x'.upper). */
struct tmpl_func {
	enum tfunc_kind kind;
	const struct node *macro;     /* F_MACRO: N_MACRO or N_CALLBLOCK */
	const struct tmpl *t;
	struct binding *closure;      /* F_MACRO: NULL for a top-level macro,
				       * which sees the globals when called */
	bool has_closure;
	struct tval caller;           /* F_MACRO: caller() of a call block */
	bool has_caller;
	struct tval self;             /* F_CYCLE (index in num), F_METHOD and
				       * F_NATIVE object */
	const char *name;             /* F_METHOD, F_NATIVE name; the macro's name */
	tmpl_native native;           /* F_NATIVE */
};

struct tmpl_render {
	const struct tmpl *t;
	const struct tmpl_host *host;
	struct arena arena;
	struct buf out;
	struct binding *scope;
	struct binding *globals;      /* the top level's scope */
	int frames;                   /* open for bodies and macro calls */
	bool failed;
	char *err;
	size_t errlen;
	int depth;                    /* nested macro calls */
	int nest;                     /* levels of evaluation and rendering */
	int stop;                     /* 1 break, 2 continue, 3 return() */
	struct tval retval;
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

/* The undefined value of "x if c" when c is false, which prints as "". */
extern const char tcond_false[];
/* Whether v is an undefined value that behaves as Jinja's Undefined (see
 * struct tval's lenient): one marked so, or any undefined value in a macro
 * file but what modelrun lacks (an unsupported construct). */
bool tval_lenient(const struct tmpl_render *r, const struct tval *v);
/* A lenient undefined value saying msg (a string that outlives the render). */
struct tval tval_undefined(const char *msg);
int teval(struct tmpl_render *r, const struct expr *e, struct tval *out);
bool tnest_enter(struct tmpl_render *r, int line);
void tbind(struct tmpl_render *r, const char *name, struct tval v);
int trender_nodes(struct tmpl_render *r, const struct node *n);
void trender_return(struct tmpl_render *r, struct tval v);
int tcall_value(struct tmpl_render *r, const struct tval *fn, int line, size_t nargs, const struct tval *args,
		size_t nkw, const char *const *kwnames, const struct tval *kwargs, struct tval *out);

/* Values made by the engine, in the render's arena. */
struct tval tval_num(double v, bool real);
struct tval tval_bool(bool b);
struct tval tval_list(struct tmpl_render *r, size_t n, bool boxed);
struct tval tval_dict(struct tmpl_render *r, size_t n, bool boxed);
void tval_sync(struct tval *v);
struct tval tval_concat(struct tmpl_render *r, const struct tval *a, const struct tval *b);
int teval_call(struct tmpl_render *r, const struct expr *e, const struct tval *caller, struct tval *out);
int teval_defined(struct tmpl_render *r, const struct expr *e, struct tval *out);
void tbox_push(struct tmpl_render *r, struct tval *list, struct tval item);
void tbox_set(struct tmpl_render *r, struct tval *dict, const char *key, struct tval v);
int tval_compare(struct tmpl_render *r, int line, const struct tval *a, const struct tval *b, bool fold, int *cmp);
void tval_json(struct buf *b, const struct tval *v);

/* template_builtins.c: filters, tests, methods and global functions.
 * Each returns 0 with *out set, 1 when there is no such name, -1 after
 * tmpl_fail(). */
struct targs {
	size_t n;
	const struct tval *v;
	size_t nkw;
	const char *const *kwnames;
	const struct tval *kw;
};
int tbuiltin_filter(struct tmpl_render *r, int line, const char *name, const struct tval *x,
		    const struct targs *a, struct tval *out);
int tbuiltin_test(struct tmpl_render *r, int line, const char *name, const struct tval *x,
		  const struct targs *a, bool *out);
int tbuiltin_method(struct tmpl_render *r, int line, struct tval *obj, const char *name,
		    const struct targs *a, struct tval *out);
int tbuiltin_global(struct tmpl_render *r, int line, const char *name, const struct targs *a,
		    struct tval *out);
bool tbuiltin_is_global(const char *name);
bool tbuiltin_is_filter(const char *name);
bool tbuiltin_is_test(const char *name);
bool tbuiltin_has_method(const struct tval *obj, const char *name);

/* Helpers shared by the built-ins (template_builtins.c). */
const struct tval *tb_arg(const struct targs *a, size_t i, const char *name);
bool tb_arg_bool(const struct targs *a, size_t i, const char *name, bool dflt);
struct tval tb_str_of(struct tmpl_render *r, const struct tval *v);
struct tval tb_from_buf(struct tmpl_render *r, struct buf *b);
int tb_need(struct tmpl_render *r, int line, const char *what, const struct tval *v, enum tval_kind k);
bool tb_is_space(char c);
struct tval tb_strip(struct tmpl_render *r, const struct tval *s, const struct tval *chars, int which);
struct tval tb_change_case(struct tmpl_render *r, const struct tval *s, int how);
struct tval tb_replace(struct tmpl_render *r, const struct tval *s, const struct tval *old,
		       const struct tval *new, long count);
int tb_as_list(struct tmpl_render *r, int line, const char *what, const struct tval *v, struct tval *out);
struct tval tb_get_attr(const struct tval *v, const char *path);
bool tb_number_like(const struct tval *v);
double tb_num_of(const struct tval *v);
bool tb_listed(const char *const *names, const char *name);

/* template.c: dbt's additions. */
int tdbt_filter(struct tmpl_render *r, int line, const char *name, const struct tval *x,
		const struct targs *a, struct tval *out);
int tdbt_global(struct tmpl_render *r, int line, const char *name, const struct targs *a, struct tval *out);
bool tdbt_is_global(const char *name);

#endif
