/* SPDX-License-Identifier: MIT
 * modelrun run-operation MACRO --args '{...}': renders a macro of the
 * project's macros/ (macro-paths) with --args as its keyword arguments,
 * for what it does: run_query() runs SQL, log() and print() write lines.
 *
 * As dbt-postgres: each run_query() commits on its own (a later failure
 * does not undo an earlier query), what the macro renders or returns is
 * dropped, and the exit status is 0, 1 when the macro fails (a template
 * error, a failed query, an unknown argument), 2 when there is no such
 * macro or --args is not a YAML mapping.
 *
 * The macro is found in the project's macro registry (lib/dbtmacros.h) as
 * models find macros: the project's, a package's as pkg.name, the
 * built-ins. Its call is rendered through the shared render path
 * (dbt_render_text_ex), where run_query() and statement() go to the
 * connection; log() and print() are answered here, since an operation's
 * info lines are its output, on stdout. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "modelrun.h"
#include "pgconn.h"
#include "xalloc.h"
#include "ydoc.h"

/* ---- the macro and its arguments ---- */

/* Whether text at s is the tag "{% macro name(" (or "{%- macro"). */
static bool macro_tag(const char *s, const char *name)
{
	if (s[0] != '{' || s[1] != '%')
		return false;
	s += 2;
	if (*s == '-' || *s == '+')
		s++;
	while (isspace((unsigned char)*s))
		s++;
	if (strncmp(s, "macro", 5) != 0 || !isspace((unsigned char)s[5]))
		return false;
	s += 5;
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(name);
	if (strncmp(s, name, n) != 0)
		return false;
	s += n;
	while (isspace((unsigned char)*s))
		s++;
	return *s == '(';
}

/* ---- --args as Jinja literals ---- */

static void jinja_string(struct buf *b, const char *s)
{
	buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			buf_addc(b, '\\');
		if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
	buf_addc(b, '\'');
}

/* A YAML value (read as dbt reads --args: YAML 1.1) as a Jinja literal. */
static void jinja_literal(struct buf *b, struct ydoc *d, yaml_node_t *n)
{
	if (ydoc_is_scalar(n)) {
		bool v;
		double num;
		enum ydoc_kind k = ydoc_yaml11(n, &v, &num);
		if (k == YK_NULL)
			buf_adds(b, "none");
		else if (k == YK_BOOL)
			buf_adds(b, v ? "true" : "false");
		else if (k == YK_INT || k == YK_FLOAT) {
			char num_text[48];
			if (k == YK_INT)
				snprintf(num_text, sizeof num_text, "%.0f", num);
			else
				tmpl_float_repr(num_text, sizeof num_text, num);
			buf_adds(b, num_text);
		} else
			jinja_string(b, ydoc_str(n));
		return;
	}
	bool seq = ydoc_is_seq(n);
	buf_addc(b, seq ? '[' : '{');
	for (size_t i = 0; i < ydoc_len(n); i++) {
		if (i)
			buf_adds(b, ", ");
		if (seq) {
			jinja_literal(b, d, ydoc_item(d, n, i));
		} else {
			jinja_literal(b, d, ydoc_key(d, n, i));
			buf_adds(b, ": ");
			jinja_literal(b, d, ydoc_value(d, n, i));
		}
	}
	buf_addc(b, seq ? ']' : '}');
}

static bool is_identifier(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

/* Whether s is a macro's name as run-operation takes it: name, or
 * package.name. */
static bool is_macro_name(const char *s)
{
	const char *dot = s ? strchr(s, '.') : NULL;
	if (!dot)
		return is_identifier(s);
	char *pkg = xasprintf("%.*s", (int)(dot - s), s);
	bool ok = is_identifier(pkg) && is_identifier(dot + 1);
	free(pkg);
	return ok;
}

/* The macro run-operation names, as the root project's code finds it:
 * package.name is that package's (dbt.name the built-in), a bare name
 * the project's, else a built-in. NULL when there is none. */
static const struct dbt_macro *find_macro(const struct dbt_project *p, const char *macro)
{
	const char *dot = strchr(macro, '.');
	if (!dot)
		return dbt_macros_resolve(&p->macros, DBT_PKG_ROOT, macro);
	char *pkg = xasprintf("%.*s", (int)(dot - macro), macro);
	long k = dbt_macros_package(&p->macros, pkg);
	free(pkg);
	return k < 0 ? NULL : dbt_macros_get(&p->macros, (size_t)k, dot + 1);
}

/* Whether the macro called name in text takes the keyword argument
 * key, as Jinja decides: one of its parameters, or any name when its
 * body reads kwargs. (The engine does not refuse an unknown one itself.) */
static bool takes_argument(const char *text, const char *name, const char *key)
{
	const char *s = text;
	while ((s = strstr(s, "{%")) && !macro_tag(s, name))
		s += 2;
	if (!s)
		return true;
	const char *open = strchr(s, '('), *body = strstr(open, "%}");
	if (!body)
		return true;
	const char *end = strstr(body, "endmacro"), *kw = strstr(body, "kwargs");
	if (kw && (!end || kw < end))
		return true;
	/* the parameters: identifiers at depth 1, each followed by , = or ) */
	int depth = 0;
	size_t kl = strlen(key);
	for (const char *c = open; *c && c < body; c++) {
		if (*c == '(' || *c == '[' || *c == '{')
			depth++;
		else if (*c == ')' || *c == ']' || *c == '}')
			depth--;
		else if (*c == '\'' || *c == '"') {
			const char *q = strchr(c + 1, *c);
			if (!q)
				break;
			c = q;
		} else if (depth == 1 && (c[-1] == '(' || c[-1] == ',' || isspace((unsigned char)c[-1])) &&
			   strncmp(c, key, kl) == 0 && !(isalnum((unsigned char)c[kl]) || c[kl] == '_')) {
			const char *after = c + kl;
			while (isspace((unsigned char)*after))
				after++;
			if (*after == ',' || *after == '=' || *after == ')')
				return true;
		}
	}
	return false;
}

/* Appends "name(k=v, ...)" for the mapping in args (NULL: no arguments).
 * (name: as given, m: the macro it names) Returns 0, EXIT_USAGE after
 * saying what is wrong with --args, or
 * EXIT_DATA for an argument the macro does not take (dbt's status). */
static int call_text(struct buf *b, const struct dbt_macro *m, const char *name, const char *args)
{
	const char *text = tmpl_source(m->t);
	buf_printf(b, "%s(", name);
	if (!args) {
		buf_addc(b, ')');
		return 0;
	}
	struct ydoc d;
	char err[512];
	if (ydoc_load_string(&d, "--args", args, strlen(args), err, sizeof err) != 0) {
		log_error("the YAML given with --args is not valid: %s", err);
		return EXIT_USAGE;
	}
	yaml_node_t *root = ydoc_root(&d);
	int rc = 0;
	if (root && !ydoc_is_map(root) && !ydoc_is_null(root)) {
		log_error("--args: expected a mapping of argument names to values, such as '{role: reporter}'");
		rc = EXIT_USAGE;
	}
	for (size_t i = 0; rc == 0 && root && ydoc_is_map(root) && i < ydoc_len(root); i++) {
		const char *k = ydoc_str(ydoc_key(&d, root, i));
		if (!is_identifier(k)) {
			log_error("--args: '%s' is not an argument name", k ? k : "");
			rc = EXIT_USAGE;
			break;
		}
		if (!takes_argument(text, m->name, k)) {
			/* Jinja's words, with the macro's own name */
			log_error("error while running operation %s: macro '%s' takes no keyword argument '%s'", name,
				  m->name, k);
			rc = EXIT_DATA;
			break;
		}
		buf_printf(b, "%s%s=", i ? ", " : "", k);
		jinja_literal(b, &d, ydoc_value(&d, root, i));
	}
	buf_addc(b, ')');
	ydoc_free(&d);
	return rc;
}

/* ---- what the macro may call ---- */

struct op_state {
	struct dbt_pgquery q;
	int queries;
};

/* Each query as it is: outside a transaction, so it commits on its own,
 * as dbt-postgres's run_query does. */
static int op_query(void *ud, const char *sql, size_t nparams, const char *const *params, struct dbt_rows *rows,
		    char *err, size_t errlen)
{
	struct op_state *s = ud;
	log_debug("run_query: %s", sql);
	if (dbt_pgquery_run(&s->q, sql, nparams, params, rows, err, errlen))
		return -1;
	s->queries++;
	return 0;
}

static const char *const op_functions[] = { "log", "print", NULL };

/* A value as Jinja prints it, for log() and print(). */
static void print_value(FILE *to, const struct tval *v)
{
	char num[48];
	switch (v->kind) {
	case TV_STR: fputs(v->s, to); break;
	case TV_NONE: fputs("None", to); break;
	case TV_BOOL: fputs(v->b ? "True" : "False", to); break;
	case TV_NUM:
		if (v->real)
			tmpl_float_repr(num, sizeof num, v->num);
		else
			snprintf(num, sizeof num, "%.0f", v->num);
		fputs(num, to);
		break;
	default:
		fputs("<value>", to);
	}
}

/* log(msg, info=False): info lines are the operation's output, on
 * stdout as dbt shows them; the others only with -v. print(msg) too. */
static int op_log(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	if (c->nargs < 1 || c->nargs > 2) {
		tmpl_fail(r, c->line, "%s() takes the message (and for log(), info)", c->name);
		return -1;
	}
	bool info = strcmp(c->name, "print") == 0 || (c->nargs == 2 && tval_truthy(&c->args[1]));
	for (size_t i = 0; i < c->nkw; i++)
		if (strcmp(c->kwnames[i], "info") == 0)
			info = tval_truthy(&c->kwargs[i]);
	if (info) {
		print_value(stdout, &c->args[0]);
		putchar('\n');
	} else if (log_level >= LOG_VERBOSE) {
		fputs("modelrun: ", stderr);
		print_value(stderr, &c->args[0]);
		fputc('\n', stderr);
	}
	*out = tval_str(r, "", 0);
	return 0;
}

static int op_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	(void)ud;
	return op_log(r, c, out);
}

int mr_run_operation(const struct dbt_project *p, const char *dbname, const char *macro, const char *args)
{
	if (!is_macro_name(macro)) {
		log_error("\"%s\" is not a macro name", macro);
		return EXIT_USAGE;
	}
	const struct dbt_macro *m = find_macro(p, macro);
	if (!m) {
		log_error("no macro called '%s' in the project's macro paths", macro);
		return EXIT_USAGE;
	}
	struct buf b = { 0 };
	buf_adds(&b, "{%- do ");
	int status = call_text(&b, m, macro, args);
	buf_adds(&b, " -%}");
	PGconn *conn = NULL;
	if (status == 0 && !(conn = dbt_profile_connect(p->profile, dbname)))
		status = EXIT_OPER;
	if (status == 0) {
		pgconn_log_notices(conn, LOG_VERBOSE);
		struct op_state s = { .q = { .conn = conn } };
		struct dbt_render_opts o = { .query = op_query, .query_ud = &s };
		struct dbt_extra_host x = { op_functions, op_call, NULL, &s };
		char err[2048], *out = NULL;
		double t0 = clock_seconds();
		if (dbt_render_text_ex(p, "run-operation", buf_str(&b), b.len, &o, &x, &out, err, sizeof err) != 0) {
			log_error("error while running operation %s: %s", macro, err);
			status = PQstatus(conn) == CONNECTION_BAD ? EXIT_OPER : EXIT_DATA;
		} else {
			log_info("ran operation %s: %d quer%s in %.2f s", macro, s.queries, s.queries == 1 ? "y" : "ies",
				 clock_seconds() - t0);
		}
		free(out);
		dbt_pgquery_clear(&s.q);
		PQfinish(conn);
	}
	buf_free(&b);
	return status;
}
