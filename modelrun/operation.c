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
 * Macros come from a small registry here (mr_macro_*): the files under
 * the macro paths, and the macro found by its {% macro name( %} tag;
 * the file it is in is rendered whole, so the macros of that file can
 * call each other. When the project reader loads macros itself, the
 * registry gives way to it (see mr_macro_find). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "modelrun.h"
#include "pgconn.h"
#include "xalloc.h"
#include "ydoc.h"

/* ---- the macro registry ---- */

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

/* Files under dir (relative to the project), recursively, *.sql only. */
static void sql_files(const char *projdir, const char *rel, char ***out, size_t *n);

/* Finds the macro called name under the project's macro paths
 * (dbt_project.yml's macro-paths, else macros/). Returns 0 with the
 * file's path and its whole text (malloc'd), 1 when there is none, or -1
 * with err when a file cannot be read. */
int mr_macro_find(const struct dbt_project *p, const char *name, char **path, char **text, char *err,
		  size_t errlen)
{
	struct ydoc *d = p->project_doc;
	yaml_node_t *mp = d ? ydoc_get(d, ydoc_root(d), "macro-paths") : NULL;
	size_t npaths = mp && ydoc_is_seq(mp) ? ydoc_len(mp) : 1;
	*path = *text = NULL;
	for (size_t k = 0; k < npaths; k++) {
		const char *dir = mp && ydoc_is_seq(mp) ? ydoc_str(ydoc_item(d, mp, k)) : "macros";
		if (!dir)
			continue;
		char **files = NULL;
		size_t nf = 0;
		sql_files(p->dir, dir, &files, &nf);
		int rc = 1;
		for (size_t i = 0; i < nf; i++) {
			char *full = xasprintf("%s/%s", p->dir, files[i]);
			struct buf b = { 0 };
			if (rc == 1 && buf_read_file(&b, full, err, errlen) != 0) {
				rc = -1;
			} else if (rc == 1) {
				for (const char *s = buf_str(&b); (s = strstr(s, "{%")); s += 2)
					if (macro_tag(s, name)) {
						rc = 0;
						*path = xstrdup(strcmp(p->dir, ".") == 0 ? files[i] : full);
						*text = buf_detach(&b);
						break;
					}
			}
			buf_free(&b);
			free(full);
			free(files[i]);
		}
		free(files);
		if (rc != 1)
			return rc;
	}
	return 1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sql_files(const char *projdir, const char *rel, char ***out, size_t *n)
{
	char *full = xasprintf("%s/%s", projdir, rel);
	DIR *dir = opendir(full);
	free(full);
	if (!dir)
		return;
	char **names = NULL;
	size_t nn = 0;
	struct dirent *e;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.') {
			names = xrealloc(names, (nn + 1) * sizeof *names);
			names[nn++] = xasprintf("%s/%s", rel, e->d_name);
		}
	closedir(dir);
	if (nn)
		qsort(names, nn, sizeof *names, cmp_names);
	for (size_t i = 0; i < nn; i++) {
		char *f = xasprintf("%s/%s", projdir, names[i]);
		struct stat st;
		bool isdir = stat(f, &st) == 0 && S_ISDIR(st.st_mode);
		free(f);
		size_t len = strlen(names[i]);
		if (isdir) {
			sql_files(projdir, names[i], out, n);
		} else if (len > 4 && strcmp(names[i] + len - 4, ".sql") == 0) {
			*out = xrealloc(*out, (*n + 1) * sizeof **out);
			(*out)[(*n)++] = names[i];
			continue;
		}
		free(names[i]);
	}
	free(names);
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
 * Returns 0, EXIT_USAGE after saying what is wrong with --args, or
 * EXIT_DATA for an argument the macro does not take (dbt's status). */
static int call_text(struct buf *b, const char *text, const char *name, const char *args)
{
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
		if (!takes_argument(text, name, k)) {
			log_error("error while running operation %s: macro '%s' takes no keyword argument '%s'", name, name,
				  k);
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
	PGconn *conn;
	const struct dbt_project *p;
	int queries;
};

static const char *const op_functions[] = { "run_query", "log", "print", NULL };

/* A cell as a template value: numbers and booleans typed, NULL as none. */
static struct tval cell(struct tmpl_render *r, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return (struct tval){ .kind = TV_NONE };
	const char *v = PQgetvalue(res, row, col);
	switch (PQftype(res, col)) {
	case 16: /* bool */
		return (struct tval){ .kind = TV_BOOL, .b = v[0] == 't' };
	case 20: case 21: case 23: /* int8, int2, int4 */
		return (struct tval){ .kind = TV_NUM, .num = strtod(v, NULL) };
	case 700: case 701: case 1700: /* float4, float8, numeric */
		return (struct tval){ .kind = TV_NUM, .num = strtod(v, NULL), .real = true };
	default:
		return tval_str(r, v, strlen(v));
	}
}

/* run_query(sql): runs it (committed on its own) and returns what of
 * dbt's agate table macros mostly use: .rows (tuples, read by index) and
 * .column_names. */
static int op_run_query(struct op_state *s, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	if (c->nargs != 1 || c->args[0].kind != TV_STR) {
		tmpl_fail(r, c->line, "run_query() takes one argument, the SQL text");
		return -1;
	}
	log_debug("run_query: %s", c->args[0].s);
	PGresult *res = PQexec(s->conn, c->args[0].s);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		char *msg = pgconn_error_line(s->conn, res);
		tmpl_fail(r, c->line, "run_query: %s", msg);
		free(msg);
		PQclear(res);
		return -1;
	}
	s->queries++;
	int rows = PQntuples(res), cols = PQnfields(res);
	struct tval list = { .kind = TV_LIST, .n = (size_t)rows, .items = tval_alloc(r, (size_t)rows) };
	for (int i = 0; i < rows; i++) {
		struct tval *row = &list.items[i];
		*row = (struct tval){ .kind = TV_LIST, .tuple = true, .n = (size_t)cols, .items = tval_alloc(r, (size_t)cols) };
		for (int j = 0; j < cols; j++)
			row->items[j] = cell(r, res, i, j);
	}
	struct tval names = { .kind = TV_LIST, .tuple = true, .n = (size_t)cols, .items = tval_alloc(r, (size_t)cols) };
	for (int j = 0; j < cols; j++)
		names.items[j] = tval_str(r, PQfname(res, j), strlen(PQfname(res, j)));
	*out = (struct tval){ .kind = TV_DICT, .n = 2, .items = tval_alloc(r, 2), .keys = tval_alloc_keys(r, 2) };
	out->keys[0] = "rows";
	out->items[0] = list;
	out->keys[1] = "column_names";
	out->items[1] = names;
	PQclear(res);
	return 0;
}

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
	if (strcmp(c->name, "run_query") == 0)
		return op_run_query(ud, r, c, out);
	return op_log(r, c, out);
}

/* execute is true (macros test it to skip work at parse time, which
 * modelrun does not have). target is the project's, from the profile. */
static int op_global(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out)
{
	(void)ud;
	(void)r;
	(void)line;
	if (strcmp(name, "execute") == 0) {
		*out = (struct tval){ .kind = TV_BOOL, .b = true };
		return 0;
	}
	return 1;
}

int mr_run_operation(const struct dbt_project *p, const char *dbname, const char *macro, const char *args)
{
	if (!is_identifier(macro)) {
		log_error("\"%s\" is not a macro name", macro);
		return EXIT_USAGE;
	}
	char err[2048], *path, *text;
	int found = mr_macro_find(p, macro, &path, &text, err, sizeof err);
	if (found < 0) {
		log_error("%s", err);
		return EXIT_OPER;
	}
	if (found > 0) {
		log_error("no macro called '%s' in the project's macro paths", macro);
		return EXIT_USAGE;
	}
	struct buf b = { 0 };
	buf_adds(&b, text);
	buf_adds(&b, "\n{%- do ");
	int status = call_text(&b, text, macro, args);
	buf_adds(&b, " -%}");
	free(text);
	PGconn *conn = NULL;
	if (status == 0 && !(conn = dbt_profile_connect(p->profile, dbname)))
		status = EXIT_OPER;
	if (status == 0) {
		pgconn_log_notices(conn, LOG_VERBOSE);
		struct op_state s = { conn, p, 0 };
		struct dbt_extra_host x = { op_functions, op_call, op_global, &s };
		char *out = NULL;
		double t0 = clock_seconds();
		if (dbt_render_text_ex(p, path, buf_str(&b), b.len, &x, &out, err, sizeof err) != 0) {
			log_error("error while running operation %s: %s", macro, err);
			status = PQstatus(conn) == CONNECTION_BAD ? EXIT_OPER : EXIT_DATA;
		} else {
			log_info("ran operation %s: %d quer%s in %.2f s", macro, s.queries, s.queries == 1 ? "y" : "ies",
				 clock_seconds() - t0);
		}
		free(out);
		PQfinish(conn);
	}
	buf_free(&b);
	free(path);
	return status;
}
