/* SPDX-License-Identifier: MIT
 * dbt 1.8 unit tests: the `unit_tests:` entries of the root project's
 * schema files, read into struct dbt_unit_test (see dbtproject.h), and
 * what a unit test changes while its model renders (overrides, and the
 * given rows standing for ref(), source() and this).
 *
 * The rows are read as dbt reads them: dict rows from YAML (a number or
 * boolean as it is, anything else a string: dbt's YAML loader keeps dates
 * as strings), csv rows from the `rows:` text or a fixture file with every
 * value a string and an empty one null, sql as text. The first row with
 * no null moves to the top, as dbt moves it (its keys are the expected
 * columns). A test whose definition modelrun cannot run keeps the reason
 * in its error and is reported as an ERROR when selected: a unit test is
 * never left out in silence. Running them is modelrun's (unittest.c). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csvio.h"
#include "dbtproject.h"
#include "dbtproject_int.h"
#include "xalloc.h"

#define PUSH(arr, n, v)                                             \
	do {                                                        \
		(arr) = xrealloc((arr), ((n) + 1) * sizeof *(arr)); \
		(arr)[(n)++] = (v);                                 \
	} while (0)

static char *lower_dup(const char *s)
{
	char *d = xstrdup(s);
	for (char *c = d; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return d;
}

/* Records the first reason a test cannot run. */
static void ut_fail(struct dbt_unit_test *u, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void ut_fail(struct dbt_unit_test *u, size_t line, const char *fmt, ...)
{
	if (u->error)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	u->error = xasprintf("%s:%zu: unit test '%s': %s", u->file, line, u->name, msg);
	free(msg);
}

static void add_cell(struct dbt_ut_row *row, const char *column, const char *value, bool literal)
{
	struct dbt_ut_cell c = { lower_dup(column), value ? xstrdup(value) : NULL, literal };
	PUSH(row->cells, row->ncells, c);
}

/* Whether an integer is written as Python prints it: decimal digits,
 * no leading zero or '+', no '_' (not hex nor octal, which YAML 1.1
 * reads as their value). Such digits are kept exactly, however long. */
static bool plain_decimal(const char *s)
{
	if (*s == '-')
		s++;
	size_t n = strspn(s, "0123456789");
	return n && !s[n] && (s[0] != '0' || n == 1);
}

/* A dict row's value: null, a string, or a number or boolean written
 * into the SQL as Python prints it, since dbt writes it so: 5.00 becomes
 * 5.0 (and then compares unequal to a numeric 5.00, in dbt too). */
static int dict_cell(struct dbt_ut_row *row, const char *column, yaml_node_t *v)
{
	if (!ydoc_is_scalar(v))
		return -1;
	bool b;
	double num;
	char text[64];
	switch (ydoc_yaml11(v, &b, &num)) {
	case YK_NULL: add_cell(row, column, NULL, false); break;
	case YK_BOOL: add_cell(row, column, b ? "True" : "False", true); break;
	case YK_INT:
		if (plain_decimal(ydoc_str(v)))
			snprintf(text, sizeof text, "%s", ydoc_str(v));
		else
			snprintf(text, sizeof text, "%.0f", num);
		add_cell(row, column, text, true);
		break;
	case YK_FLOAT:
		tmpl_float_repr(text, sizeof text, num);
		add_cell(row, column, text, true);
		break;
	default: add_cell(row, column, ydoc_str(v), false);
	}
	return 0;
}

static int dict_rows(struct dbt_unit_test *u, struct dbt_ut_fixture *f, struct ydoc *d, yaml_node_t *rows)
{
	if (!ydoc_is_seq(rows)) {
		ut_fail(u, ydoc_line(rows), "the rows of format dict must be a list of mappings");
		return -1;
	}
	for (size_t i = 0; i < ydoc_len(rows); i++) {
		yaml_node_t *m = ydoc_item(d, rows, i);
		if (!ydoc_is_map(m)) {
			ut_fail(u, ydoc_line(m), "a row of format dict must be a mapping");
			return -1;
		}
		struct dbt_ut_row row = { 0 };
		for (size_t k = 0; k < ydoc_len(m); k++) {
			const char *col = ydoc_str(ydoc_key(d, m, k));
			if (!col || dict_cell(&row, col, ydoc_value(d, m, k))) {
				ut_fail(u, ydoc_line(ydoc_value(d, m, k)), "column '%s': a value must be a scalar",
					col ? col : "?");
				PUSH(f->rows, f->nrows, row);
				return -1;
			}
		}
		PUSH(f->rows, f->nrows, row);
	}
	return 0;
}

/* CSV text as Python's csv.DictReader reads it: a header, then rows
 * (blank lines skipped); a short row's missing values are null, an
 * empty value is null, as dbt makes it. */
static int csv_rows(struct dbt_unit_test *u, struct dbt_ut_fixture *f, const char *text, const char *where)
{
	struct csvr *r = csvr_open_blocks(where, ',');
	csvr_feed(r, text, strlen(text), true);
	char **header = NULL;
	size_t nheader = 0;
	int rc = 0;
	const struct csv_record *rec;
	while ((rec = csvr_next(r))) {
		if (rec->kind == CSVR_BLANK)
			continue;
		if (rec->kind == CSVR_MALFORMED) {
			char line[32];
			snprintf(line, sizeof line, "%llu", (unsigned long long)rec->line);
			ut_fail(u, f->line, "malformed CSV at line %s of the rows: %s", line, rec->error);
			rc = -1;
			break;
		}
		if (!header) {
			header = xcalloc(rec->nfields + 1, sizeof *header);
			for (size_t k = 0; k < rec->nfields; k++)
				header[k] = xstrdup(rec->fields[k].data);
			nheader = rec->nfields;
			continue;
		}
		struct dbt_ut_row row = { 0 };
		for (size_t k = 0; k < nheader; k++) {
			const char *v = k < rec->nfields && rec->fields[k].len ? rec->fields[k].data : NULL;
			add_cell(&row, header[k], v, false);
		}
		PUSH(f->rows, f->nrows, row);
	}
	csvr_close(r);
	for (size_t k = 0; k < nheader; k++)
		free(header[k]);
	free(header);
	return rc;
}

/* The fixture file NAME.EXT under a test path's fixtures/ folder (at any
 * depth, as dbt finds it), read into *text. */
static int read_fixture(struct dbt_project *p, struct dbt_unit_test *u, size_t line, const char *name,
			const char *ext, char **text)
{
	char *want = xasprintf("%s.%s", name, ext);
	char *found = NULL;
	for (size_t k = 0; k < p->ntest_paths && !found; k++) {
		char *dir = xasprintf("%s/fixtures", p->test_paths[k]);
		char **files = NULL;
		size_t nf = 0;
		dbtp_walk_dir(p->dir, dir, &files, &nf);
		for (size_t i = 0; i < nf; i++) {
			const char *base = strrchr(files[i], '/');
			base = base ? base + 1 : files[i];
			if (!found && strcmp(base, want) == 0)
				found = xasprintf("%s/%s", p->dir, files[i]);
			free(files[i]);
		}
		free(files);
		free(dir);
	}
	int rc = -1;
	if (!found) {
		ut_fail(u, line, "fixture '%s' not found: no fixtures/%s under the test paths", name, want);
	} else {
		struct buf b = { 0 };
		char err[512];
		if (buf_read_file(&b, found, err, sizeof err) == 0) {
			*text = buf_detach(&b);
			rc = 0;
		} else {
			ut_fail(u, line, "fixture %s: %s", found, err);
		}
		buf_free(&b);
	}
	free(found);
	free(want);
	return rc;
}

/* Rows left out under format dict with an input that is a seed: the
 * seed's file, as dbt reads them. */
static int seed_rows(struct dbt_project *p, struct dbt_unit_test *u, struct dbt_ut_fixture *f)
{
	const struct dbt_node *n = f->kind == DBT_UT_REF ? &p->nodes[f->target] : NULL;
	if (!n || n->kind != DBT_SEED) {
		ut_fail(u, f->line, "the input %s has no rows", f->input ? f->input : "expect");
		return -1;
	}
	struct buf b = { 0 };
	char err[512];
	int rc = buf_read_file(&b, n->file, err, sizeof err);
	if (rc)
		ut_fail(u, f->line, "seed %s: %s", n->file, err);
	else
		rc = csv_rows(u, f, buf_str(&b), n->file);
	buf_free(&b);
	return rc;
}

/* dbt puts the first row without a null first (its keys then name the
 * expected columns). */
static void promote_full_row(struct dbt_ut_fixture *f)
{
	for (size_t i = 0; i < f->nrows; i++) {
		bool full = true;
		for (size_t k = 0; k < f->rows[i].ncells; k++)
			full &= f->rows[i].cells[k].value != NULL;
		if (full) {
			struct dbt_ut_row t = f->rows[0];
			f->rows[0] = f->rows[i];
			f->rows[i] = t;
			return;
		}
	}
}

static const char *const format_names[] = { "dict", "csv", "sql" };

/* Reads format, rows and fixture of a given input or of expect. */
static int read_rows(struct dbt_project *p, struct dbt_unit_test *u, struct dbt_ut_fixture *f, struct ydoc *d,
		     yaml_node_t *m)
{
	const char *fmt = ydoc_str(ydoc_get(d, m, "format"));
	if (!fmt || strcmp(fmt, "dict") == 0)
		f->format = DBT_UT_DICT;
	else if (strcmp(fmt, "csv") == 0)
		f->format = DBT_UT_CSV;
	else if (strcmp(fmt, "sql") == 0)
		f->format = DBT_UT_SQL;
	else {
		ut_fail(u, f->line, "format '%s' is not one of dict, csv, sql", fmt);
		return -1;
	}
	yaml_node_t *rows = ydoc_get(d, m, "rows");
	const char *fixture = ydoc_str(ydoc_get(d, m, "fixture"));
	if (rows && ydoc_is_null(rows))
		rows = NULL;
	if (f->format == DBT_UT_DICT) {
		if (!rows && fixture) {
			ut_fail(u, f->line, "a fixture file is for format csv or sql, not dict");
			return -1;
		}
		int rc = rows ? dict_rows(u, f, d, rows) : seed_rows(p, u, f);
		if (rc == 0)
			promote_full_row(f);
		return rc;
	}
	char *text = NULL;
	if (rows && ydoc_is_scalar(rows))
		text = xstrdup(ydoc_str(rows));
	else if (rows) {
		ut_fail(u, ydoc_line(rows), "the rows of format %s must be a string", format_names[f->format]);
		return -1;
	} else if (!fixture) {
		ut_fail(u, f->line, "format %s needs rows or a fixture", format_names[f->format]);
		return -1;
	} else if (read_fixture(p, u, f->line, fixture, format_names[f->format], &text)) {
		return -1;
	}
	int rc = 0;
	if (f->format == DBT_UT_SQL)
		f->sql = text;
	else {
		rc = csv_rows(u, f, text, u->file);
		free(text);
		if (rc == 0)
			promote_full_row(f);
	}
	return rc;
}

/* The next quoted argument of an input string: 'x' or "x". */
static const char *quoted_arg(const char *s, char *out, size_t outlen)
{
	while (isspace((unsigned char)*s))
		s++;
	char q = *s;
	if (q != '\'' && q != '"')
		return NULL;
	const char *e = strchr(s + 1, q);
	if (!e || (size_t)(e - s - 1) >= outlen)
		return NULL;
	snprintf(out, outlen, "%.*s", (int)(e - s - 1), s + 1);
	s = e + 1;
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* input: ref('m'), ref('pkg', 'm'), source('s', 't') or this. */
static int read_input(struct dbt_project *p, struct dbt_unit_test *u, struct dbt_ut_fixture *f)
{
	const char *s = f->input;
	while (isspace((unsigned char)*s))
		s++;
	char a[256], b[256] = "";
	const char *rest = NULL;
	bool ref = strncmp(s, "ref(", 4) == 0, source = strncmp(s, "source(", 7) == 0;
	size_t len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 4 && strncmp(s, "this", 4) == 0) {
		f->kind = DBT_UT_THIS;
		f->target = (size_t)u->node;
		return u->node < 0 ? -1 : 0;
	}
	if (ref || source)
		rest = quoted_arg(s + (ref ? 4 : 7), a, sizeof a);
	if (rest && *rest == ',')
		rest = quoted_arg(rest + 1, b, sizeof b);
	else if (rest && source)
		rest = NULL;
	if (!rest || strncmp(rest, ")", 1) != 0 || dbt_sql_start(rest + 1)[0]) {
		ut_fail(u, f->line, "input %s is not ref('model'), source('source', 'table') or this", f->input);
		return -1;
	}
	long idx = source ? dbt_find_source(p, a, b) : b[0] ? dbt_find_in(p, a, b) : dbt_find(p, a);
	if (idx < 0) {
		ut_fail(u, f->line, "input %s: %s", f->input,
			source ? "no such source is declared" : "no such model, seed or snapshot in the project");
		return -1;
	}
	f->kind = source ? DBT_UT_SOURCE : DBT_UT_REF;
	f->target = (size_t)idx;
	return 0;
}

/* config: tags and enabled. */
static void read_config(struct dbt_unit_test *u, struct ydoc *d, yaml_node_t *cfg)
{
	for (size_t i = 0; cfg && ydoc_is_map(cfg) && i < ydoc_len(cfg); i++) {
		const char *k = ydoc_str(ydoc_key(d, cfg, i));
		yaml_node_t *v = ydoc_value(d, cfg, i);
		if (k && strcmp(k, "enabled") == 0) {
			bool b;
			double num;
			if (ydoc_yaml11(v, &b, &num) == YK_BOOL)
				u->enabled = b;
			else
				ut_fail(u, ydoc_line(v), "config enabled must be true or false");
		} else if (k && strcmp(k, "tags") == 0) {
			if (ydoc_is_scalar(v))
				PUSH(u->tags, u->ntags, xstrdup(ydoc_str(v)));
			for (size_t t = 0; ydoc_is_seq(v) && t < ydoc_len(v); t++)
				PUSH(u->tags, u->ntags, xstrdup(ydoc_str(ydoc_item(d, v, t))));
		} else if (k && strcmp(k, "meta") != 0) {
			ut_fail(u, ydoc_line(v), "config %s is not supported by modelrun for unit tests", k);
		}
	}
}

static void read_overrides(struct dbt_unit_test *u, struct ydoc *d, yaml_node_t *o)
{
	if (!o)
		return;
	if (!ydoc_is_map(o)) {
		ut_fail(u, ydoc_line(o), "overrides must be a mapping");
		return;
	}
	u->doc = d;
	for (size_t i = 0; i < ydoc_len(o); i++) {
		const char *k = ydoc_str(ydoc_key(d, o, i));
		yaml_node_t *v = ydoc_value(d, o, i);
		yaml_node_t **slot = !k ? NULL : strcmp(k, "macros") == 0 ? &u->macros : strcmp(k, "vars") == 0 ? &u->vars :
				     strcmp(k, "env_vars") == 0 ? &u->env_vars : NULL;
		if (!slot)
			ut_fail(u, ydoc_line(v), "overrides: '%s' is not macros, vars or env_vars", k ? k : "?");
		else if (!ydoc_is_map(v))
			ut_fail(u, ydoc_line(v), "overrides: %s must be a mapping", k);
		else
			*slot = v;
	}
}

static void read_test(struct dbt_project *p, struct dbt_unit_test *u, struct ydoc *d, yaml_node_t *m)
{
	const char *desc = ydoc_str(ydoc_get(d, m, "description"));
	u->description = desc ? xstrdup(desc) : NULL;
	u->node = u->model ? dbt_find(p, u->model) : -1;
	if (!u->model)
		ut_fail(u, u->line, "it needs a model");
	else if (u->node < 0 || p->nodes[u->node].kind != DBT_MODEL)
		ut_fail(u, u->line, "there is no model called '%s'", u->model);
	if (ydoc_get(d, m, "versions"))
		ut_fail(u, ydoc_line(ydoc_get(d, m, "versions")),
			"versions: modelrun runs no versioned models");
	read_config(u, d, ydoc_get(d, m, "config"));
	read_overrides(u, d, ydoc_get(d, m, "overrides"));
	yaml_node_t *given = ydoc_get(d, m, "given"), *expect = ydoc_get(d, m, "expect");
	if (!given || !ydoc_is_seq(given))
		ut_fail(u, u->line, "'given' must be a list of inputs");
	for (size_t i = 0; given && ydoc_is_seq(given) && i < ydoc_len(given); i++) {
		yaml_node_t *g = ydoc_item(d, given, i);
		struct dbt_ut_fixture f = { .line = ydoc_line(g) };
		const char *input = ydoc_str(ydoc_get(d, g, "input"));
		f.input = xstrdup(input);
		PUSH(u->given, u->ngiven, f);
		struct dbt_ut_fixture *fp = &u->given[u->ngiven - 1];
		if (!input)
			ut_fail(u, fp->line, "a given entry needs an input");
		else if (u->node >= 0 && read_input(p, u, fp) == 0)
			read_rows(p, u, fp, d, g);
	}
	u->expect.line = expect ? ydoc_line(expect) : u->line;
	if (!expect || !ydoc_is_map(expect))
		ut_fail(u, u->line, "'expect' must be a mapping with rows");
	else
		read_rows(p, u, &u->expect, d, expect);
}

int dbtu_load(struct dbt_project *p, struct ydoc *d, yaml_node_t *list, char *err, size_t errlen)
{
	if (!ydoc_is_seq(list)) {
		dbtp_seterr(err, errlen, "%s:%zu: 'unit_tests' must be a list", d->path, ydoc_line(list));
		return -1;
	}
	for (size_t i = 0; i < ydoc_len(list); i++) {
		yaml_node_t *m = ydoc_item(d, list, i);
		const char *name = ydoc_str(ydoc_get(d, m, "name"));
		if (!ydoc_is_map(m) || !name || !*name) {
			dbtp_seterr(err, errlen, "%s:%zu: a unit test needs a name", d->path, ydoc_line(m));
			return -1;
		}
		for (size_t k = 0; k < p->nunit_tests; k++)
			if (strcmp(p->unit_tests[k].name, name) == 0) {
				dbtp_seterr(err, errlen, "%s:%zu: two unit tests are called '%s' (the other in %s:%zu)",
					    d->path, ydoc_line(m), name, p->unit_tests[k].file, p->unit_tests[k].line);
				return -1;
			}
		const char *model = ydoc_str(ydoc_get(d, m, "model"));
		struct dbt_unit_test u = {
			.name = xstrdup(name), .model = model ? xstrdup(model) : NULL, .node = -1,
			.file = xstrdup(d->path), .line = ydoc_line(m), .enabled = true,
		};
		PUSH(p->unit_tests, p->nunit_tests, u);
		read_test(p, &p->unit_tests[p->nunit_tests - 1], d, m);
	}
	return 0;
}

static void free_fixture(struct dbt_ut_fixture *f)
{
	for (size_t i = 0; i < f->nrows; i++) {
		for (size_t k = 0; k < f->rows[i].ncells; k++) {
			free(f->rows[i].cells[k].column);
			free(f->rows[i].cells[k].value);
		}
		free(f->rows[i].cells);
	}
	free(f->rows);
	free(f->sql);
	free(f->input);
}

void dbtu_free(struct dbt_project *p)
{
	for (size_t i = 0; i < p->nunit_tests; i++) {
		struct dbt_unit_test *u = &p->unit_tests[i];
		for (size_t g = 0; g < u->ngiven; g++)
			free_fixture(&u->given[g]);
		free(u->given);
		free_fixture(&u->expect);
		for (size_t t = 0; t < u->ntags; t++)
			free(u->tags[t]);
		free(u->tags);
		free(u->name);
		free(u->model);
		free(u->description);
		free(u->file);
		free(u->error);
	}
	free(p->unit_tests);
	p->unit_tests = NULL;
	p->nunit_tests = 0;
}

/* ---- while the model renders ---- */

/* The override of name in map m, or NULL. */
static yaml_node_t *override_of(struct ydoc *d, yaml_node_t *m, const char *name)
{
	return m && name ? ydoc_get(d, m, name) : NULL;
}

static int stand_in(const struct dbt_render_opts *o, struct tmpl_render *r, const struct tmpl_call *c,
		    enum dbt_ut_input kind, size_t idx, const char *what, struct tval *out)
{
	const char *s = o->input(o->ud, kind, idx);
	if (!s) {
		/* dbt's words: the test gives no rows for it */
		tmpl_fail(r, c->line, "unit test '%s' depends on %s which was not found among its given inputs",
			  o->unit->name, what);
		return -1;
	}
	*out = tval_str(r, s, strlen(s));
	return 0;
}

int dbtu_call(const struct dbt_project *p, const struct dbt_render_opts *o, struct tmpl_render *r,
	      const struct tmpl_call *c, struct tval *out)
{
	const struct dbt_unit_test *u = o->unit;
	bool var = strcmp(c->name, "var") == 0, env = strcmp(c->name, "env_var") == 0;
	if ((var || env) && c->nargs >= 1 && c->args[0].kind == TV_STR) {
		yaml_node_t *v = override_of(u->doc, var ? u->vars : u->env_vars, c->args[0].s);
		if (v) {
			*out = dbtp_yaml_tval(r, u->doc, v);
			if (env && out->kind != TV_STR) /* an environment variable is a string */
				*out = tval_str(r, ydoc_str(v) ? ydoc_str(v) : "", ydoc_str(v) ? strlen(ydoc_str(v)) : 0);
			return 0;
		}
	}
	yaml_node_t *m = override_of(u->doc, u->macros, c->name);
	if (m) {
		*out = dbtp_yaml_tval(r, u->doc, m);
		return 0;
	}
	char what[600];
	if (strcmp(c->name, "ref") == 0 && c->nargs >= 1 && c->nargs <= 2 && c->args[c->nargs - 1].kind == TV_STR &&
	    (c->nargs == 1 || c->args[0].kind == TV_STR)) {
		long idx = dbt_find_in(p, c->nargs == 2 ? c->args[0].s : NULL, c->args[c->nargs - 1].s);
		if (idx < 0)
			return 1; /* the host says what is wrong */
		snprintf(what, sizeof what, "a node named '%s'", p->nodes[idx].name);
		return stand_in(o, r, c, DBT_UT_REF, (size_t)idx, what, out);
	}
	if (strcmp(c->name, "source") == 0 && c->nargs == 2 && c->args[0].kind == TV_STR && c->args[1].kind == TV_STR) {
		long idx = dbt_find_source(p, c->args[0].s, c->args[1].s);
		if (idx < 0)
			return 1;
		snprintf(what, sizeof what, "a source named '%s.%s'", c->args[0].s, c->args[1].s);
		return stand_in(o, r, c, DBT_UT_SOURCE, (size_t)idx, what, out);
	}
	return 1;
}

int dbtu_this(const struct dbt_render_opts *o, struct tmpl_render *r, struct tval *out)
{
	const char *s = o->input(o->ud, DBT_UT_THIS, (size_t)o->unit->node);
	if (!s)
		return 1;
	*out = tval_str(r, s, strlen(s));
	return 0;
}
