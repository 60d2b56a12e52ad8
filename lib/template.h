/* SPDX-License-Identifier: MIT
 * The Jinja subset that dbt models are written in, for modelrun and dqcheck.
 *
 * Supported, as Jinja2 renders it with dbt's settings (no autoescape,
 * trim_blocks and lstrip_blocks off, the `do` and loop-control extensions):
 * {{ expr }}, {# comments #}, whitespace control ({%- -%} {{- -}} {#- -#});
 * if/elif/else; for (one or several targets, else, loop.* including cycle,
 * previtem and nextitem, break, continue); set (also ns.attr = and the
 * block form set x %}...{% endset); macro with positional and keyword
 * arguments, defaults, varargs and kwargs; call blocks with caller(); do;
 * dbt's return(). Expressions: literals (strings, numbers, lists, tuples,
 * dicts, true/false/none), names, attributes, subscripts and slices, calls
 * with positional and keyword arguments, filters (|), tests (is, is not),
 * inline if/else, not/and/or, comparisons, in/not in, ~, + - * / // % **
 * (+ and - of a host's object with the attributes __add__ or __sub__ call
 * them, as Python does).
 * The filters, tests, methods of strings, lists and dicts and the globals
 * (range, namespace, dict) are listed in template_builtins.c.
 *
 * Everything else (include, import, extends, blocks, filter blocks, ...) is
 * an error naming file:line and the construct: the engine never guesses,
 * because a guess would be silently wrong SQL. So is nesting deeper than
 * 200 levels (statements, or the height of an expression), which keeps the
 * recursive parser, walk and render off the end of the stack. Printing an
 * undefined name is an error, where Jinja would print nothing; testing it
 * (is defined, default, if) behaves as in Jinja. A macro's argument that
 * the call left out (and no default) is Jinja's undefined, as dbt has it:
 * it prints as nothing, joins with ~ as "", iterates as an empty list, its
 * length is 0, string filters give "" and list filters [], while
 * arithmetic, comparisons with < >, attributes, subscripts, calls and
 * int/float/round/tojson/indent of it fail naming file:line, as in Jinja.
 * In macro files every undefined value behaves so, as packages expect.
 *
 * Life cycle: tmpl_parse() once per file; tmpl_calls() walks every call in
 * the file, including those in branches that are not taken (dependency
 * discovery); tmpl_render() runs it with the host's functions and globals.
 * An undefined name is an error when rendered, not an empty string. */
#ifndef ELT_TEMPLATE_H
#define ELT_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

/* TV_FUNC (a macro, caller, or a built-in bound method) and TV_UNDEF (a
 * name or attribute that is not defined) are made by the engine only; a
 * host never receives TV_UNDEF. */
enum tval_kind { TV_NONE, TV_BOOL, TV_NUM, TV_STR, TV_LIST, TV_DICT, TV_FUNC, TV_UNDEF };

struct tmpl_box;
struct tmpl_func;

/* A value. Strings, items and keys live in the render's (or the parse's)
 * arena: they stay valid until the render returns (or the template is
 * freed). s is NUL-terminated. */
struct tval {
	enum tval_kind kind;
	bool b;
	bool lenient;            /* TV_UNDEF: Jinja's own Undefined (a macro's
				  * argument not given, an inline if's false
				  * branch, first of nothing): it prints as "",
				  * iterates as nothing and passes on to a macro;
				  * arithmetic, attributes and calls fail on it.
				  * Otherwise an undefined name, which fails
				  * wherever its value is used */
	double num;
	bool real;               /* TV_NUM: a float, as Python has it (a literal
				  * with '.', or what '/' gives); otherwise an
				  * integer, which prints without '.0' */
	const char *s;
	size_t n;                /* TV_STR length; TV_LIST/TV_DICT item count */
	struct tval *items;      /* list items, or dict values */
	const char **keys;       /* dict keys */
	size_t nattr;            /* TV_STR: attributes in keys/items, so that a
				  * relation prints as its name and still has
				  * .schema and .identifier */
	bool tuple;              /* TV_LIST: a tuple, printed as (a, b) */
	struct tmpl_box *box;    /* TV_LIST/TV_DICT made by the template: the
				  * shared storage that .append() and
				  * namespace attributes change; NULL for a
				  * host's values */
	const struct tmpl_func *fn; /* TV_FUNC */
	const struct tval *attrs;   /* TV_LIST made by a host: its attributes
				     * (a TV_DICT), read as .name and ['name'],
				     * as agate's tables, rows and columns are
				     * sequences with names; NULL: none */
};

struct tmpl;
struct tmpl_render;

/* One call of a host function, as the template wrote it. */
struct tmpl_call {
	const char *name;
	const char *file;
	int line;
	size_t nargs;
	const struct tval *args;
	size_t nkw;
	const char *const *kwnames;
	const struct tval *kwargs;
};

struct tmpl_host {
	/* Called for each call of a function. Sets *out and returns 0, or
	 * returns -1 after tmpl_fail(). A method the engine does not have,
	 * of a value the host made (a string with attributes, a list with
	 * attrs, a dict), comes here too: its name is the method's with a
	 * '.' before it (".values") and the object is args[0]. */
	int (*call)(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out);
	/* Looks up a global name (e.g. `this`): returns 0 and sets *out, or 1
	 * when the name is not defined, or -1 after tmpl_fail(). May be NULL.
	 * For ns.name where ns is not a variable of the template, it is first
	 * asked for the dotted name "ns.name" (a package's macro). */
	int (*global)(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out);
	void *ud;
};

/* The functions dbt models may call: ref, source, config, var,
 * is_incremental. Pass to tmpl_parse() when nothing else is wanted. */
extern const char *const tmpl_dbt_functions[];

/* Parses text (len bytes; a private copy is kept). file is used in
 * messages. funcs is the NULL-terminated list of callable names; a call of
 * any other name is a parse error. An entry "ns.*" admits every dotted
 * name under ns (ns.a(), ns.a.b()): a family the host answers by name. Returns NULL with "file:line: message"
 * in err. Free with tmpl_free(). */
struct tmpl *tmpl_parse(const char *file, const char *text, size_t len,
			const char *const *funcs, char *err, size_t errlen);
void tmpl_free(struct tmpl *t);
/* The file name t was parsed with. */
const char *tmpl_file(const struct tmpl *t);
/* The text t was parsed from, NUL-terminated. */
const char *tmpl_source(const struct tmpl *t);

/* What a call may name, for tmpl_parse_names(): funcs are the host's
 * functions (as tmpl_parse's funcs); known(ud, name), when not NULL, says
 * whether another name is callable through the host's global() (a macro
 * defined in another file). late leaves calls of unknown names to the
 * render, as dbt does in macro files (a macro that calls what is not
 * there fails only when it is called); it also admits dbt's
 * {% test name(...) %} ... {% endtest %}, the macro test_name. */
struct tmpl_names {
	const char *const *funcs;
	bool (*known)(void *ud, const char *name);
	void *ud;
	bool late;
};
struct tmpl *tmpl_parse_names(const char *file, const char *text, size_t len, const struct tmpl_names *names,
			      char *err, size_t errlen);

/* A macro defined at the top level of a template (opaque). */
struct tmpl_macro;
typedef int (*tmpl_macro_visit)(void *ud, const char *name, const struct tmpl_macro *m, int line);
/* Calls fn for each top-level macro of t, in file order; stops and
 * returns fn's non-zero result. */
int tmpl_each_macro(const struct tmpl *t, tmpl_macro_visit fn, void *ud);
/* The callable value of macro m of template t, for a host's global():
 * called from another template, it runs with t's file in messages and
 * sees only the host's globals (not the caller's variables). t must
 * outlive the render. */
struct tval tval_macro(struct tmpl_render *r, const struct tmpl *t, const struct tmpl_macro *m);

/* For every call of the function name anywhere in the template (branches
 * not taken, loop bodies and comments-as-SQL included), calls fn with the
 * arguments that are string literals (NULL for an argument that is not a
 * literal string) and the line. Stops and returns fn's non-zero result. */
typedef int (*tmpl_call_visit)(void *ud, const char *name, size_t nargs,
			       const char *const *literal_args, int line);
int tmpl_calls(const struct tmpl *t, const char *name, tmpl_call_visit fn, void *ud);

/* Renders into a malloc'd NUL-terminated string (*out, *outlen). Returns 0,
 * or -1 with "file:line: message" in err and *out NULL. */
int tmpl_render(const struct tmpl *t, const struct tmpl_host *host, char **out, size_t *outlen,
		char *err, size_t errlen);

/* For host functions: calls fn (a macro value, e.g. a call block's
 * caller) with positional arguments. Returns 0 with *out, or -1 after a
 * failure (the render then fails). */
int tmpl_call_func(struct tmpl_render *r, const struct tval *fn, int line, size_t nargs, const struct tval *args,
		   struct tval *out);

/* For a host's call of a method it does not have (c->name ".x"): fails
 * with the engine's words for it and returns -1. */
int tmpl_no_method(struct tmpl_render *r, const struct tmpl_call *c);

/* The i-th argument of call c, given by position or as keyword kw (NULL:
 * by position only), or NULL when it was not given. */
const struct tval *tmpl_call_arg(const struct tmpl_call *c, size_t i, const char *kw);

/* The same with the positional and keyword arguments of call c (its
 * name is not used). */
int tmpl_call_with(struct tmpl_render *r, const struct tval *fn, const struct tmpl_call *c, struct tval *out);

/* A function of the host's, written in C, that a template holds as a value:
 * typically a method of an object the host made (a datetime's strftime),
 * with that object as self. Called as a host function is: c carries the
 * arguments and c->name the name given to tval_native(). Returns 0 with
 * *out, or -1 after tmpl_fail(). */
typedef int (*tmpl_native)(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c,
			   struct tval *out);
/* The callable value of fn bound to self (copied; the values it points to
 * must live as long as the render). name is kept as it is, not copied. */
struct tval tval_native(struct tmpl_render *r, const char *name, tmpl_native fn, const struct tval *self);

/* Python's repr() of v ('it''s' as "it's"), in the render's arena: for
 * messages that quote a value as Python's do. */
struct tval tval_repr(struct tmpl_render *r, const struct tval *v);

/* For host functions: reports an error at the call's line; the render then
 * fails with this message. */
void tmpl_fail(struct tmpl_render *r, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Makes a string value whose bytes are copied into the render's arena. */
struct tval tval_str(struct tmpl_render *r, const char *s, size_t len);
/* The string s (NUL-terminated), or none when s is NULL. */
struct tval tval_str_or_none(struct tmpl_render *r, const char *s);
/* Allocates n values (zeroed) in the render's arena, for lists and dicts. */
struct tval *tval_alloc(struct tmpl_render *r, size_t n);
const char **tval_alloc_keys(struct tmpl_render *r, size_t n);
/* A list (or dict) of n zeroed items that the template may change, as
 * Python lets a macro .append() to a list it was given: fill items (and
 * keys) in place. */
struct tval tval_list_new(struct tmpl_render *r, size_t n);
struct tval tval_dict_new(struct tmpl_render *r, size_t n);
/* The value of key in a dict (or an attribute of a string), or NULL. */
const struct tval *tval_get(const struct tval *dict, const char *key);
/* Jinja's truthiness. */
bool tval_truthy(const struct tval *v);

/* A float as Python's repr() prints it (Jinja's {{ x }}, dbt's test names):
 * the fewest digits that read back to the same double (0.07, not
 * 0.070000000000000007), in plain notation from 1e-4 to 1e16 with ".0" when
 * whole (1.0, so that "1.0 / 2" stays a division of numerics), otherwise as
 * 1e+16 or 1e-05; nan, inf, -inf. 48 bytes are always enough. */
void tmpl_float_repr(char *buf, size_t n, double v);

#endif
