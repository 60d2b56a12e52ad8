/* SPDX-License-Identifier: MIT
 * modelrun docs generate: the project as one static page, target/index.html,
 * opened from disk with no server and no network: everything it shows is
 * in the file (styles, a few lines of script, the lineage picture as inline
 * SVG), and target/docs/dag.svg holds the picture alone.
 *
 * What it shows and where it comes from:
 *   - the lineage: Graphviz's `dot -Tsvg` run as a child (no shell) on the
 *     graph of models, seeds and sources; each node links to its section;
 *   - each model: description (doc() blocks resolved), materialization,
 *     config, raw SQL and compiled SQL, parents and children;
 *   - columns: names and types from the database's catalog, descriptions
 *     from the schema files (columns described but absent are listed too);
 *   - tests: every test declared, with the last verdict dqcheck's --json
 *     file recorded (default target/dqcheck.json); the last run of each
 *     node from target/run_results.json;
 *   - sources: description, columns and freshness, measured now with
 *     lib/freshness (the same rule and verdict dqcheck applies).
 *
 * Every text from the project or the database is escaped, so a
 * description holding markup shows as text. Without a database the page
 * is still written, without types and freshness; without `dot` it is
 * written without the picture and the command fails (exit 3). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "freshness.h"
#include "log.h"
#include "modelrun.h"
#include "pgconn.h"
#include "xalloc.h"
#include "ydoc.h"

/* ---- HTML text ---- */

/* s with & < > " ' as entities: safe in text and in quoted attributes. */
/* An element id: kind, '-', and name with every byte outside
 * [A-Za-z0-9_.-] written as ~XX, so any name makes a valid, distinct id
 * that needs no escaping in a URL fragment. */
static void anchor(struct buf *b, const char *kind, const char *name)
{
	buf_adds(b, kind);
	buf_addc(b, '-');
	for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
		if (isalnum(*s) || *s == '.' || *s == '-' || *s == '_')
			buf_addc(b, (char)*s);
		else
			buf_printf(b, "~%02X", *s);
	}
}

static char *anchor_str(const char *kind, const char *name)
{
	struct buf b = { 0 };
	anchor(&b, kind, name);
	return buf_detach(&b);
}

static char *source_name(const struct dbt_source *s)
{
	return xasprintf("%s.%s", s->source_name, s->table_name);
}

/* ---- what the last runs recorded ---- */

struct verdict {
	const char *status;  /* "success", "error", "pass", "fail", ...; NULL: not run */
	const char *message;
	const char *failures;
	const char *name;
	double secs;
};

/* One loaded JSON file (run_results.json or dqcheck's), or none. */
struct jfile {
	struct ydoc d;
	bool loaded;
	yaml_node_t *results;
};

static void jfile_load(struct jfile *j, const char *path, bool must)
{
	char err[1024];
	memset(j, 0, sizeof *j);
	if (access(path, F_OK) != 0 && !must) {
		log_debug("%s: not there, so no results from it", path);
		return;
	}
	if (ydoc_load(&j->d, path, err, sizeof err)) {
		log_warn("%s (its results are left out)", err);
		return;
	}
	j->loaded = true;
	j->results = ydoc_get(&j->d, ydoc_root(&j->d), "results");
	if (!ydoc_is_seq(j->results)) {
		log_warn("%s: no \"results\" list (its results are left out)", path);
		j->results = NULL;
	}
}

static void jfile_free(struct jfile *j)
{
	if (j->loaded)
		ydoc_free(&j->d);
}

static const char *jstr(struct jfile *j, yaml_node_t *n, const char *key)
{
	yaml_node_t *v = ydoc_get(&j->d, n, key);
	return v && !ydoc_is_null(v) ? ydoc_str(v) : NULL;
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The run_results entry of unique_id. */
static struct verdict run_verdict(struct jfile *rr, const char *unique_id)
{
	struct verdict v = { 0 };
	for (size_t i = 0; rr->results && i < ydoc_len(rr->results); i++) {
		yaml_node_t *r = ydoc_item(&rr->d, rr->results, i);
		if (!same(jstr(rr, r, "unique_id"), unique_id))
			continue;
		v.status = jstr(rr, r, "status");
		v.message = jstr(rr, r, "message");
		const char *t = jstr(rr, r, "execution_time");
		v.secs = t ? strtod(t, NULL) : 0;
	}
	return v;
}

/* ---- the tests, declared and judged ---- */

struct dtest {
	char *name;          /* dqcheck's name when it ran, else a readable one */
	char *type;          /* not_null, ..., singular */
	const char *column;
	bool on_source;
	size_t target;       /* node or source index; (size_t)-1: none */
	const char *file;
	size_t line;
	struct verdict v;
};

struct docs {
	const struct dbt_project *p;
	struct mr_docset ds;
	PGconn *conn;
	PGresult *catalog;
	struct jfile rr, dq;
	struct dtest *tests;
	size_t ntests;
	char **compiled;      /* per node, or NULL */
	char **compile_error; /* per node, or NULL */
	char *svg;            /* inline picture, or NULL */
	const char *dot_problem;
	int status;
};

static const char *target_name(const struct docs *D, const struct dtest *t, char *buf, size_t len)
{
	if (t->target == (size_t)-1)
		return "";
	if (!t->on_source)
		return D->p->nodes[t->target].name;
	const struct dbt_source *s = &D->p->sources[t->target];
	snprintf(buf, len, "source %s.%s", s->source_name, s->table_name);
	return buf;
}

/* The dqcheck result for a declared test: same relation (dqcheck's
 * "on"), same type, same yml line and column. */
static void find_dq(struct docs *D, struct dtest *t)
{
	char onbuf[512];
	const char *on = target_name(D, t, onbuf, sizeof onbuf);
	struct jfile *j = &D->dq;
	for (size_t i = 0; j->results && i < ydoc_len(j->results); i++) {
		yaml_node_t *r = ydoc_item(&j->d, j->results, i);
		const char *type = jstr(j, r, "test"), *line = jstr(j, r, "line"), *name = jstr(j, r, "name");
		bool match;
		if (strcmp(t->type, "singular") == 0) {
			match = same(type, "singular") && same(name, t->name);
		} else if (strcmp(t->type, "freshness") == 0) {
			match = same(type, "freshness") && same(jstr(j, r, "on"), on);
		} else {
			const char *col = jstr(j, r, "column");
			match = same(type, t->type) && same(jstr(j, r, "on"), on) && line &&
				strtoul(line, NULL, 10) == t->line &&
				((!col && !t->column) || (col && t->column && strcasecmp(col, t->column) == 0));
		}
		if (!match)
			continue;
		t->v.status = jstr(j, r, "status");
		t->v.message = jstr(j, r, "message");
		t->v.failures = jstr(j, r, "failures");
		const char *secs = jstr(j, r, "execution_time");
		t->v.secs = secs ? strtod(secs, NULL) : 0;
		if (name && strcmp(t->type, "singular") != 0) {
			free(t->name);
			t->name = xstrdup(name);
		}
		return;
	}
}

/* Adds t, its name made unique with _2, _3, ... as dqcheck does, since
 * the name is the test's anchor. */
static void add_test(struct docs *D, struct dtest t)
{
	char *base = t.name;
	for (unsigned k = 2;; k++) {
		bool taken = false;
		for (size_t i = 0; i < D->ntests && !taken; i++)
			taken = strcmp(D->tests[i].name, t.name) == 0;
		if (!taken)
			break;
		if (t.name != base)
			free(t.name);
		t.name = xasprintf("%s_%u", base, k);
	}
	if (t.name != base)
		free(base);
	D->tests = xrealloc(D->tests, (D->ntests + 1) * sizeof *D->tests);
	D->tests[D->ntests++] = t;
}

static void collect_tests(struct docs *D)
{
	const struct dbt_project *p = D->p;
	for (size_t i = 0; i < p->ntests; i++) {
		const struct dbt_test *dt = &p->tests[i];
		if (!dt->name[0])
			continue;
		if (dt->on == DBT_TEST_ON_NODE && !p->nodes[dt->target].cfg.enabled)
			continue;
		struct dtest t = { .type = xstrdup(dt->name), .column = dt->column, .on_source = dt->on == DBT_TEST_ON_SOURCE,
				   .target = dt->target, .file = dt->doc->path, .line = dt->line };
		/* until dqcheck's name is known: type, target and column, as
		 * dbt's names begin */
		const char *tname = t.on_source ? p->sources[dt->target].table_name : p->nodes[dt->target].name;
		t.name = xasprintf("%s%s_%s%s%s", t.on_source ? "source_" : "", dt->name, tname, dt->column ? "_" : "",
				   dt->column ? dt->column : "");
		for (char *q = t.name; *q; q++)
			if (!isalnum((unsigned char)*q) && *q != '_')
				*q = '_';
		find_dq(D, &t);
		add_test(D, t);
	}
	/* a source's freshness rule is a test too, as dqcheck runs it */
	for (size_t i = 0; i < p->nsources; i++) {
		const struct dbt_source *s = &p->sources[i];
		struct fresh_rule rule;
		char err[512];
		if (fresh_rule_of(s, &rule, err, sizeof err) || !rule.set)
			continue; /* an invalid rule is shown in the source's section */
		struct dtest t = { .type = xstrdup("freshness"), .on_source = true, .target = i, .file = s->doc->path,
				   .line = rule.line };
		t.name = xasprintf("source_freshness_%s_%s", s->source_name, s->table_name);
		for (char *q = t.name; *q; q++)
			if (!isalnum((unsigned char)*q) && *q != '_')
				*q = '_';
		find_dq(D, &t);
		add_test(D, t);
	}
	for (size_t i = 0; i < p->nsingular; i++) {
		const char *path = p->singular_tests[i], *slash = strrchr(path, '/');
		struct dtest t = { .type = xstrdup("singular"), .target = (size_t)-1, .file = path, .line = 1 };
		t.name = xstrdup(slash ? slash + 1 : path);
		t.name[strlen(t.name) - 4] = '\0';
		find_dq(D, &t);
		/* the model it reads, as dqcheck reports it */
		struct jfile *j = &D->dq;
		for (size_t k = 0; j->results && k < ydoc_len(j->results); k++) {
			yaml_node_t *r = ydoc_item(&j->d, j->results, k);
			if (same(jstr(j, r, "test"), "singular") && same(jstr(j, r, "name"), t.name)) {
				long n = jstr(j, r, "on") ? dbt_find(p, jstr(j, r, "on")) : -1;
				t.target = n >= 0 ? (size_t)n : (size_t)-1;
			}
		}
		add_test(D, t);
	}
}

/* ---- the database: catalog and freshness ---- */

/* An array literal {"a","b"} of the schemas to read. */
static char *schema_array(const struct dbt_project *p)
{
	struct buf b = { 0 };
	buf_addc(&b, '{');
	size_t n = 0;
	const char *s;
	for (size_t i = 0; i < p->nnodes + p->nsources; i++) {
		s = i < p->nnodes ? p->nodes[i].schema : p->sources[i - p->nnodes].schema;
		buf_adds(&b, n++ ? ",\"" : "\"");
		for (; *s; s++) {
			if (*s == '"' || *s == '\\')
				buf_addc(&b, '\\');
			buf_addc(&b, *s);
		}
		buf_addc(&b, '"');
	}
	buf_addc(&b, '}');
	return buf_detach(&b);
}

static void read_catalog(struct docs *D)
{
	char *schemas = schema_array(D->p);
	const char *params[] = { schemas };
	int status = 0;
	D->catalog = pgconn_query(D->conn,
				  "select n.nspname, c.relname, c.relkind, a.attname, "
				  "  pg_catalog.format_type(a.atttypid, a.atttypmod), "
				  "  pg_catalog.col_description(c.oid, a.attnum), c.reltuples::bigint "
				  "from pg_catalog.pg_class c "
				  "join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
				  "join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
				  "where n.nspname = any($1::text[]) and c.relkind in ('r', 'v', 'm', 'p', 'f') "
				  "order by 1, 2, a.attnum",
				  1, params, PGRES_TUPLES_OK, "reading the catalog: ", &status);
	free(schemas);
	if (!D->catalog)
		log_warn("the page is written without column types");
}

/* The catalog's rows for schema.name: [*first, *first + *count). */
static void catalog_rows(const struct docs *D, const char *schema, const char *name, int *first, int *count)
{
	*first = *count = 0;
	if (!D->catalog)
		return;
	for (int i = 0; i < PQntuples(D->catalog); i++) {
		if (strcmp(PQgetvalue(D->catalog, i, 0), schema) || strcmp(PQgetvalue(D->catalog, i, 1), name))
			continue;
		if (!*count)
			*first = i;
		++*count;
	}
}

/* ---- compiled SQL ---- */

static void compile_all(struct docs *D)
{
	const struct dbt_project *p = D->p;
	D->compiled = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *D->compiled);
	D->compile_error = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *D->compile_error);
	for (size_t i = 0; i < p->nnodes; i++) {
		const struct dbt_node *n = &p->nodes[i];
		if (n->kind != DBT_MODEL || !n->cfg.enabled)
			continue;
		/* is_incremental() as the next run would answer it: an
		 * incremental model whose table is there */
		int first, count;
		catalog_rows(D, n->schema, n->identifier, &first, &count);
		bool incremental = n->cfg.materialized == MAT_INCREMENTAL && count &&
				   strchr("rp", PQgetvalue(D->catalog, first, 2)[0]);
		char err[1024];
		if (dbt_pgquery_compile(p, D->conn, i, incremental, &D->compiled[i], err, sizeof err)) {
			log_warn("%s", err);
			D->compile_error[i] = xstrdup(err);
			D->compiled[i] = NULL;
		}
	}
}

/* ---- the lineage picture ---- */

static void dot_str(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		if (*s == '\n') {
			buf_adds(b, "\\n");
			continue;
		}
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

/* The graph in DOT, each node linking to link_prefix + its anchor. */
static char *dag_dot(const struct dbt_project *p, const char *link_prefix)
{
	struct buf b = { 0 };
	buf_adds(&b, "digraph ");
	dot_str(&b, p->name);
	buf_adds(&b, " {\n  rankdir=LR; bgcolor=\"transparent\"; nodesep=0.25; ranksep=0.6;\n"
		     "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11, penwidth=1.2, "
		     "margin=\"0.18,0.08\"];\n  edge [color=\"#94a3b8\", arrowsize=0.7];\n");
	for (size_t s = 0; s < p->nsources; s++) {
		char *name = source_name(&p->sources[s]);
		char *a = anchor_str("source", name);
		char *url = xasprintf("%s%s", link_prefix, a);
		buf_adds(&b, "  ");
		dot_str(&b, a);
		buf_adds(&b, " [label=");
		dot_str(&b, name);
		buf_adds(&b, ", shape=box, fillcolor=\"#fef3c7\", color=\"#d97706\", URL=");
		dot_str(&b, url);
		buf_adds(&b, ", target=\"_top\", tooltip=");
		char *tip = xasprintf("source %s", name);
		dot_str(&b, tip);
		buf_adds(&b, "];\n");
		free(tip);
		free(url);
		free(a);
		free(name);
	}
	for (size_t k = 0; k < p->nnodes; k++) {
		const struct dbt_node *n = &p->nodes[p->order[k]];
		if (!n->cfg.enabled)
			continue;
		bool seed = n->kind == DBT_SEED;
		char *a = anchor_str(seed ? "seed" : "model", n->name);
		char *url = xasprintf("%s%s", link_prefix, a);
		char *label = xasprintf("%s\n%s", n->name, seed ? "seed" : dbt_mat_name(n->cfg.materialized));
		buf_adds(&b, "  ");
		dot_str(&b, a);
		buf_adds(&b, " [label=");
		dot_str(&b, label);
		buf_adds(&b, seed ? ", fillcolor=\"#d1fae5\", color=\"#059669\"" :
				    n->cfg.materialized == MAT_EPHEMERAL ?
				    ", fillcolor=\"#f1f5f9\", color=\"#64748b\", style=\"rounded,filled,dashed\"" :
				    ", fillcolor=\"#dbeafe\", color=\"#2563eb\"");
		buf_adds(&b, ", URL=");
		dot_str(&b, url);
		buf_adds(&b, ", target=\"_top\", tooltip=");
		char *tip = xasprintf("%s %s", seed ? "seed" : "model", n->name);
		dot_str(&b, tip);
		buf_adds(&b, "];\n");
		free(tip);
		free(label);
		free(url);
		free(a);
	}
	for (size_t k = 0; k < p->nnodes; k++) {
		const struct dbt_node *n = &p->nodes[p->order[k]];
		if (!n->cfg.enabled)
			continue;
		char *to = anchor_str(n->kind == DBT_SEED ? "seed" : "model", n->name);
		for (size_t s = 0; s < n->nsources; s++) {
			char *name = source_name(&p->sources[n->sources[s]]);
			char *from = anchor_str("source", name);
			buf_adds(&b, "  ");
			dot_str(&b, from);
			buf_adds(&b, " -> ");
			dot_str(&b, to);
			buf_adds(&b, ";\n");
			free(from);
			free(name);
		}
		for (size_t q = 0; q < n->nparents; q++) {
			const struct dbt_node *par = &p->nodes[n->parents[q]];
			char *from = anchor_str(par->kind == DBT_SEED ? "seed" : "model", par->name);
			buf_adds(&b, "  ");
			dot_str(&b, from);
			buf_adds(&b, " -> ");
			dot_str(&b, to);
			buf_adds(&b, ";\n");
			free(from);
		}
		free(to);
	}
	buf_adds(&b, "}\n");
	return buf_detach(&b);
}

/* Runs `dot -Tsvg dotfile` (found on PATH, no shell) and returns what it
 * printed, or NULL after saying why. */
static char *run_dot(const char *dotfile)
{
	int fds[2];
	if (pipe(fds) != 0) {
		log_error("cannot run dot: %s", strerror(errno));
		return NULL;
	}
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		log_error("cannot run dot: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execlp("dot", "dot", "-Tsvg", dotfile, (char *)NULL);
		fprintf(stderr, "%s: cannot run dot (Graphviz; Debian package graphviz): %s\n", log_prog,
			strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	struct buf b = { 0 };
	char chunk[65536];
	for (;;) {
		ssize_t got = read(fds[0], chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		buf_add(&b, chunk, (size_t)got);
	}
	close(fds[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 127)
			log_error("dot failed (%s %d) on %s", WIFEXITED(st) ? "exit status" : "signal",
				  WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), dotfile);
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* dot's SVG for the graph, each node linking to #its-anchor, or NULL.
 * Drawing takes dot about a second for 300 nodes: it runs once. */
static char *render_dag(const struct dbt_project *p)
{
	char *dot = dag_dot(p, "#");
	char *path = xasprintf("%s/target/docs/dag.dot", p->dir);
	char *svg = NULL;
	if (mr_write_text(path, dot, strlen(dot)) == 0)
		svg = run_dot(path);
	free(path);
	free(dot);
	return svg;
}

/* text with every from replaced by to. Malloc'd. */
static char *relink(const char *text, const char *from, const char *to)
{
	struct buf b = { 0 };
	size_t fl = strlen(from);
	for (const char *s = text, *hit; *s; s = hit + fl) {
		if (!(hit = strstr(s, from))) {
			buf_adds(&b, s);
			break;
		}
		buf_add(&b, s, (size_t)(hit - s));
		buf_adds(&b, to);
	}
	return buf_detach(&b);
}

/* ---- the page ---- */

static const char *const CSS =
	":root{--fg:#1e293b;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff;--accent:#2563eb;"
	"--model:#2563eb;--seed:#059669;--source:#d97706;--pass:#15803d;--warn:#b45309;--fail:#b91c1c;}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font:15px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
	"color:var(--fg);background:var(--bg)}\n"
	"a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}\n"
	"aside{position:fixed;top:0;left:0;bottom:0;width:270px;overflow-y:auto;background:#0f172a;color:#cbd5e1;"
	"padding:18px 14px}\n"
	"aside h1{font-size:17px;color:#fff;margin:0 0 2px}aside .sub{font-size:12px;color:#94a3b8;margin-bottom:12px}\n"
	"aside input{width:100%;padding:7px 9px;border-radius:6px;border:1px solid #334155;background:#1e293b;"
	"color:#fff;font:inherit;font-size:13px}\n"
	"aside h2{font-size:11px;letter-spacing:.08em;text-transform:uppercase;color:#94a3b8;margin:18px 0 6px}\n"
	"aside ul{list-style:none;margin:0;padding:0}aside li a{display:flex;align-items:center;gap:7px;"
	"padding:3px 6px;border-radius:5px;color:#e2e8f0;font-size:13.5px;overflow:hidden;text-overflow:ellipsis;"
	"white-space:nowrap}\n"
	"aside li a:hover{background:#1e293b;text-decoration:none}\n"
	".dot{width:8px;height:8px;border-radius:50%;flex:none;background:#64748b}\n"
	".dot.model{background:var(--model)}.dot.seed{background:var(--seed)}.dot.source{background:var(--source)}\n"
	"main{margin-left:270px;padding:28px 36px 80px;max-width:1200px}\n"
	"header.top h1{margin:0;font-size:26px}header.top p{margin:4px 0 0;color:var(--muted)}\n"
	".stats{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0 8px}\n"
	".stat{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 14px;font-size:13px;"
	"color:var(--muted)}.stat b{display:block;font-size:20px;color:var(--fg)}\n"
	"section.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px;"
	"margin:18px 0;scroll-margin-top:12px}\n"
	"section.card:target{box-shadow:0 0 0 3px #93c5fd}\n"
	"section.card h2{margin:0 0 4px;font-size:20px;display:flex;align-items:center;gap:10px;flex-wrap:wrap}\n"
	"h3{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:18px 0 6px}\n"
	".kind{font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.06em;padding:2px 8px;"
	"border-radius:999px;color:#fff}\n"
	".kind.model{background:var(--model)}.kind.seed{background:var(--seed)}.kind.source{background:var(--source)}"
	".kind.test{background:#7c3aed}\n"
	".desc{margin:6px 0}.desc p{margin:4px 0}.desc ul,.desc ol{margin:4px 0;padding-left:22px}"
	".desc pre{background:#f8fafc;padding:6px;overflow:auto}.none{color:var(--muted);font-style:italic}\n"
	"dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:10px 0;font-size:14px}\n"
	"dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}\n"
	"table{border-collapse:collapse;width:100%;font-size:14px}\n"
	"th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}\n"
	"th{font-size:12px;color:var(--muted);font-weight:600;background:#f1f5f9}\n"
	"#tests td code{word-break:break-all}#tests th:nth-child(4){white-space:nowrap}\n"
	"td.desc p{margin:0}\ntable.config th{width:220px;background:#f8fafc}\n"
	"code,pre{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px}\n"
	"pre{background:#0f172a;color:#e2e8f0;padding:12px 14px;border-radius:8px;overflow:auto;max-height:460px;"
	"margin:6px 0}\n"
	"details{margin:6px 0}summary{cursor:pointer;font-weight:600;font-size:14px}\n"
	".badge{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;border-radius:999px;"
	"background:#e2e8f0;color:#334155;white-space:nowrap}\n"
	".badge.pass,.badge.success{background:#dcfce7;color:var(--pass)}.badge.warn{background:#fef3c7;"
	"color:var(--warn)}\n"
	".badge.fail,.badge.error{background:#fee2e2;color:var(--fail)}.badge.skipped,.badge.not-run{background:#f1f5f9;"
	"color:var(--muted)}\n"
	"#lineage .svg{overflow:auto;max-height:75vh;border:1px solid var(--line);border-radius:8px;padding:10px;"
	"background:#fff}\n"
	"#lineage .fit svg{max-width:100%;height:auto}\n"
	"#lineage svg a:hover polygon,#lineage svg a:hover path{stroke-width:2.4}\n"
	".legend{display:flex;gap:16px;font-size:13px;color:var(--muted);margin:6px 0}"
	".legend span{display:flex;align-items:center;gap:6px}\n"
	".hidden{display:none!important}\n";

/* Filters the sidebar and the sections by the search box's words. */
static const char *const JS =
	"(function(){var q=document.getElementById('search');if(!q)return;\n"
	"q.addEventListener('input',function(){var w=q.value.toLowerCase().trim();\n"
	"document.querySelectorAll('[data-search]').forEach(function(e){\n"
	"e.classList.toggle('hidden',w!==''&&e.getAttribute('data-search').indexOf(w)<0);});});})();\n";

static void badge(struct buf *b, const char *status)
{
	const char *s = status ? status : "not run";
	buf_adds(b, "<span class=\"badge ");
	buf_adds(b, status ? "" : "not-run");
	mr_html(b, status ? status : "");
	buf_adds(b, "\">");
	mr_html(b, s);
	buf_adds(b, "</span>");
}

static void link_to(struct buf *b, const char *kind, const char *name, const char *text)
{
	buf_adds(b, "<a href=\"#");
	anchor(b, kind, name);
	buf_adds(b, "\">");
	mr_html(b, text);
	buf_adds(b, "</a>");
}

static void link_node(struct buf *b, const struct dbt_node *n)
{
	link_to(b, n->kind == DBT_SEED ? "seed" : "model", n->name, n->name);
}

/* A description (NULL: none) written in file at line, doc() resolved. */
static void description(struct buf *b, const struct docs *D, const char *desc, const char *file, size_t line)
{
	char *text = mr_describe(&D->ds, desc, file, line);
	if (*text) {
		buf_adds(b, "<div class=\"desc\">");
		mr_markdown(b, text);
		buf_adds(b, "</div>\n");
	} else {
		buf_adds(b, "<p class=\"desc none\">No description.</p>\n");
	}
	free(text);
}

/* The columns table: the catalog's columns in order with the schema
 * file's descriptions, then those described but not in the database.
 * file is the schema file describing cols, for warnings. */
static void columns_table(struct buf *b, struct docs *D, const char *schema, const char *ident,
			  const struct dbt_column *cols, size_t ny, const char *file, bool on_source, size_t target)
{
	int first, count;
	catalog_rows(D, schema, ident, &first, &count);
	bool *shown = xcalloc(ny ? ny : 1, 1);
	buf_adds(b, "<h3>Columns</h3>\n");
	if (!count && !ny) {
		buf_adds(b, D->catalog ? "<p class=\"none\">Not in the database yet, and no columns described.</p>\n" :
					 "<p class=\"none\">No columns described (no database to read types from).</p>\n");
		free(shown);
		return;
	}
	buf_adds(b, "<table class=\"columns\"><thead><tr><th>Column</th><th>Type</th><th>Description</th><th>Tests</th>"
		    "</tr></thead><tbody>\n");
	for (int r = 0; r < count + (int)ny; r++) {
		const char *name, *type = NULL, *comment = NULL;
		const struct dbt_column *yc = NULL;
		if (r < count) {
			name = PQgetvalue(D->catalog, first + r, 3);
			type = PQgetvalue(D->catalog, first + r, 4);
			comment = PQgetisnull(D->catalog, first + r, 5) ? NULL : PQgetvalue(D->catalog, first + r, 5);
			for (size_t k = 0; k < ny && !yc; k++) {
				if (strcasecmp(cols[k].name, name) == 0) {
					yc = &cols[k];
					shown[k] = true;
				}
			}
		} else {
			size_t k = (size_t)(r - count);
			yc = &cols[k];
			name = yc->name;
			if (shown[k])
				continue;
		}
		buf_adds(b, "<tr><td><code>");
		mr_html(b, name);
		buf_adds(b, "</code></td><td>");
		if (type) {
			buf_adds(b, "<code>");
			mr_html(b, type);
			buf_adds(b, "</code>");
		} else {
			buf_adds(b, D->catalog ? "<span class=\"none\">not in the database</span>" : "<span class=\"none\">?</span>");
		}
		buf_adds(b, "</td><td class=\"desc\">");
		char *text = mr_describe(&D->ds, yc ? yc->description : NULL, file ? file : "",
					 yc ? yc->description_line : 1);
		mr_markdown(b, *text ? text : comment);
		free(text);
		buf_adds(b, "</td><td>");
		for (size_t t = 0; t < D->ntests; t++) {
			const struct dtest *x = &D->tests[t];
			if (x->target != target || x->on_source != on_source || !x->column || strcasecmp(x->column, name) ||
			    strcmp(x->type, "singular") == 0)
				continue;
			buf_adds(b, "<a class=\"badge ");
			mr_html(b, x->v.status ? x->v.status : "not-run");
			buf_adds(b, "\" href=\"#");
			anchor(b, "test", x->name);
			buf_adds(b, "\" title=\"");
			mr_html(b, x->v.status ? x->v.status : "not run");
			buf_adds(b, "\">");
			mr_html(b, x->type);
			buf_adds(b, "</a> ");
		}
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</tbody></table>\n");
	free(shown);
}

static void tests_table(struct buf *b, struct docs *D, bool on_source, size_t target)
{
	size_t n = 0;
	for (size_t t = 0; t < D->ntests; t++)
		n += D->tests[t].target == target && D->tests[t].on_source == on_source;
	buf_adds(b, "<h3>Tests</h3>\n");
	if (!n) {
		buf_adds(b, "<p class=\"none\">No tests.</p>\n");
		return;
	}
	buf_adds(b, "<table class=\"tests\"><thead><tr><th>Test</th><th>Column</th><th>Last verdict</th><th>Details</th>"
		    "</tr></thead><tbody>\n");
	for (size_t t = 0; t < D->ntests; t++) {
		const struct dtest *x = &D->tests[t];
		if (x->target != target || x->on_source != on_source)
			continue;
		buf_adds(b, "<tr><td>");
		link_to(b, "test", x->name, x->name);
		buf_adds(b, "</td><td>");
		if (x->column) {
			buf_adds(b, "<code>");
			mr_html(b, x->column);
			buf_adds(b, "</code>");
		}
		buf_adds(b, "</td><td>");
		badge(b, x->v.status);
		buf_adds(b, "</td><td>");
		mr_html(b, x->v.message);
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</tbody></table>\n");
}

static void sql_block(struct buf *b, const char *title, const char *sql, bool open)
{
	buf_adds(b, open ? "<details open><summary>" : "<details><summary>");
	mr_html(b, title);
	buf_adds(b, "</summary><pre><code>");
	mr_html(b, sql);
	buf_adds(b, "</code></pre></details>\n");
}

static void node_section(struct buf *b, struct docs *D, size_t i)
{
	const struct dbt_project *p = D->p;
	const struct dbt_node *n = &p->nodes[i];
	bool seed = n->kind == DBT_SEED;
	const char *kind = seed ? "seed" : "model";
	buf_adds(b, "<section class=\"card\" id=\"");
	anchor(b, kind, n->name);
	buf_adds(b, "\" data-search=\"");
	mr_html(b, kind);
	buf_addc(b, ' ');
	mr_html(b, n->name);
	buf_adds(b, "\"><h2>");
	mr_html(b, n->name);
	buf_printf(b, " <span class=\"kind %s\">%s</span>", kind, kind);
	if (!seed) {
		buf_adds(b, " <span class=\"badge\">");
		mr_html(b, dbt_mat_name(n->cfg.materialized));
		buf_adds(b, "</span>");
	}
	buf_adds(b, "</h2>\n");
	description(b, D, n->description, n->yml_file ? n->yml_file : n->file, n->description_line);
	struct verdict v = run_verdict(&D->rr, n->unique_id);
	buf_adds(b, "<dl class=\"meta\"><dt>Relation</dt><dd><code>");
	mr_html(b, n->cfg.materialized == MAT_EPHEMERAL ? "(ephemeral: inlined as a CTE)" : n->relation);
	buf_adds(b, "</code></dd><dt>File</dt><dd><code>");
	mr_html(b, n->path);
	buf_adds(b, "</code></dd>");
	if (n->cfg.ntags) {
		buf_adds(b, "<dt>Tags</dt><dd>");
		for (size_t t = 0; t < n->cfg.ntags; t++) {
			buf_adds(b, "<span class=\"badge\">");
			mr_html(b, n->cfg.tags[t]);
			buf_adds(b, "</span> ");
		}
		buf_adds(b, "</dd>");
	}
	buf_adds(b, "<dt>Depends on</dt><dd>");
	size_t deps = 0;
	for (size_t s = 0; s < n->nsources; s++) {
		char *name = source_name(&p->sources[n->sources[s]]);
		buf_adds(b, deps++ ? ", " : "");
		link_to(b, "source", name, name);
		free(name);
	}
	for (size_t k = 0; k < n->nparents; k++) {
		buf_adds(b, deps++ ? ", " : "");
		link_node(b, &p->nodes[n->parents[k]]);
	}
	buf_adds(b, deps ? "</dd>" : "<span class=\"none\">nothing</span></dd>");
	buf_adds(b, "<dt>Used by</dt><dd>");
	for (size_t k = 0; k < n->nchildren; k++) {
		buf_adds(b, k ? ", " : "");
		link_node(b, &p->nodes[n->children[k]]);
	}
	buf_adds(b, n->nchildren ? "</dd>" : "<span class=\"none\">nothing</span></dd>");
	buf_adds(b, "<dt>Last run</dt><dd>");
	if (v.status)
		badge(b, v.status);
	else /* run_results.json holds the last command's nodes only */
		buf_adds(b, "<span class=\"badge not-run\">not in the last run</span>");
	if (v.status)
		buf_printf(b, " in %.2f s", v.secs);
	if (v.message) {
		buf_adds(b, " &middot; ");
		mr_html(b, v.message);
	}
	buf_adds(b, "</dd></dl>\n");
	columns_table(b, D, n->schema, n->identifier, n->columns, n->ncolumns, n->yml_file, false, i);
	tests_table(b, D, false, i);
	/* the config as the manifest has it */
	buf_adds(b, "<h3>Config</h3>\n<table class=\"config\"><tbody>");
	const struct dbt_config *c = &n->cfg;
	buf_adds(b, "<tr><th>materialized</th><td><code>");
	mr_html(b, seed ? "seed" : dbt_mat_name(c->materialized));
	buf_adds(b, "</code></td></tr>");
	if (c->materialized == MAT_INCREMENTAL) {
		buf_adds(b, "<tr><th>incremental_strategy</th><td><code>");
		mr_html(b, c->merge ? "merge" : c->append_only ? "append" : c->nunique ? "delete+insert" : "append");
		buf_adds(b, "</code></td></tr>");
		static const char *const osc[] = { "ignore", "fail", "append_new_columns", "sync_all_columns" };
		buf_printf(b, "<tr><th>on_schema_change</th><td><code>%s</code></td></tr>", osc[c->on_schema_change]);
	}
	if (c->nunique) {
		buf_adds(b, "<tr><th>unique_key</th><td><code>");
		for (size_t k = 0; k < c->nunique; k++) {
			buf_adds(b, k ? ", " : "");
			mr_html(b, c->unique_key[k]);
		}
		buf_adds(b, "</code></td></tr>");
	}
	if (c->schema) {
		buf_adds(b, "<tr><th>schema</th><td><code>");
		mr_html(b, c->schema);
		buf_adds(b, "</code></td></tr>");
	}
	if (c->alias) {
		buf_adds(b, "<tr><th>alias</th><td><code>");
		mr_html(b, c->alias);
		buf_adds(b, "</code></td></tr>");
	}
	for (size_t k = 0; k < c->nindexes; k++) {
		buf_adds(b, "<tr><th>index</th><td><code>");
		for (size_t m = 0; m < c->indexes[k].ncolumns; m++) {
			buf_adds(b, m ? ", " : "(");
			mr_html(b, c->indexes[k].columns[m]);
		}
		buf_adds(b, ")");
		if (c->indexes[k].unique)
			buf_adds(b, " unique");
		if (c->indexes[k].type) {
			buf_adds(b, " using ");
			mr_html(b, c->indexes[k].type);
		}
		buf_adds(b, "</code></td></tr>");
	}
	for (size_t k = 0; k < c->ncolumn_types; k++) {
		buf_adds(b, "<tr><th>column_types</th><td><code>");
		mr_html(b, c->column_types[2 * k]);
		buf_adds(b, ": ");
		mr_html(b, c->column_types[2 * k + 1]);
		buf_adds(b, "</code></td></tr>");
	}
	if (c->distributed_by || c->replicated) {
		buf_adds(b, "<tr><th>Citus</th><td><code>");
		if (c->replicated)
			buf_adds(b, "reference table");
		else
			mr_html(b, c->distributed_by);
		if (c->colocate_with) {
			buf_adds(b, ", colocated with ");
			mr_html(b, c->colocate_with);
		}
		buf_adds(b, "</code></td></tr>");
	}
	for (int post = 0; post < 2; post++) {
		const struct dbt_hook *h = post ? c->post_hooks : c->pre_hooks;
		size_t nh = post ? c->npost_hooks : c->npre_hooks;
		for (size_t k = 0; k < nh; k++) {
			buf_printf(b, "<tr><th>%s</th><td><code>", post ? "post-hook" : "pre-hook");
			mr_html(b, h[k].sql);
			buf_adds(b, "</code></td></tr>");
		}
	}
	buf_adds(b, "</tbody></table>\n");
	if (!seed) {
		buf_adds(b, "<h3>SQL</h3>\n");
		struct buf raw = { 0 };
		char err[512];
		if (buf_read_file(&raw, n->file, err, sizeof err) != 0)
			log_warn("%s", err);
		sql_block(b, "Source", buf_str(&raw), true);
		buf_free(&raw);
		if (D->compiled[i])
			sql_block(b, "Compiled", D->compiled[i], false);
		else
			sql_block(b, "Compiled (failed)", D->compile_error[i] ? D->compile_error[i] : "", false);
	}
	buf_adds(b, "</section>\n");
}

static void source_section(struct buf *b, struct docs *D, size_t i)
{
	const struct dbt_project *p = D->p;
	const struct dbt_source *s = &p->sources[i];
	char *name = source_name(s);
	buf_adds(b, "<section class=\"card\" id=\"");
	anchor(b, "source", name);
	buf_adds(b, "\" data-search=\"source ");
	mr_html(b, name);
	buf_adds(b, "\"><h2>");
	mr_html(b, name);
	buf_adds(b, " <span class=\"kind source\">source</span></h2>\n");
	struct ydoc *d = s->doc;
	description(b, D, s->description, d->path, s->description_line);
	buf_adds(b, "<dl class=\"meta\"><dt>Relation</dt><dd><code>");
	mr_html(b, s->relation);
	buf_adds(b, "</code></dd><dt>Declared in</dt><dd><code>");
	mr_html(b, d->path);
	buf_adds(b, "</code></dd>");
	if (s->source_description) {
		char *text = mr_describe(&D->ds, s->source_description, d->path, s->source_description_line);
		buf_adds(b, "<dt>Source</dt><dd class=\"desc\">");
		mr_markdown(b, text);
		buf_adds(b, "</dd>");
		free(text);
	}
	buf_adds(b, "<dt>Loaded at field</dt><dd>");
	if (s->loaded_at_field) {
		buf_adds(b, "<code>");
		mr_html(b, s->loaded_at_field);
		buf_adds(b, "</code>");
	} else {
		buf_adds(b, "<span class=\"none\">none</span>");
	}
	buf_adds(b, "</dd><dt>Freshness</dt><dd>");
	struct fresh_rule rule;
	char err[512];
	if (fresh_rule_of(s, &rule, err, sizeof err)) {
		log_warn("%s", err);
		buf_adds(b, "<span class=\"badge error\">invalid</span> ");
		mr_html(b, err);
	} else if (!rule.set) {
		buf_adds(b, "<span class=\"none\">no freshness rule</span>");
	} else {
		struct fresh_result f = { 0 };
		if (D->conn && fresh_measure(D->conn, s, &rule, &f))
			log_warn("freshness of source %s.%s: %s", s->source_name, s->table_name, f.error);
		static const char *const st[] = { "pass", "warn", "error" };
		if (f.measured)
			badge(b, st[f.status]);
		else
			buf_adds(b, "<span class=\"badge not-run\">not measured</span>");
		buf_adds(b, " ");
		if (f.error)
			buf_adds(b, "could not be measured: ");
		mr_html(b, f.message ? f.message : f.error ? f.error : D->conn ? "" : "(no database)");
		if (f.has_rows) {
			buf_adds(b, "; newest row loaded at <code>");
			mr_html(b, f.max_loaded_at);
			buf_adds(b, "</code>");
		}
		fresh_result_free(&f);
	}
	buf_adds(b, "</dd><dt>Used by</dt><dd>");
	size_t users = 0;
	for (size_t k = 0; k < p->nnodes; k++)
		for (size_t m = 0; m < p->nodes[k].nsources; m++)
			if (p->nodes[k].sources[m] == i && p->nodes[k].cfg.enabled) {
				buf_adds(b, users++ ? ", " : "");
				link_node(b, &p->nodes[k]);
				break;
			}
	buf_adds(b, users ? "</dd></dl>\n" : "<span class=\"none\">nothing</span></dd></dl>\n");
	columns_table(b, D, s->schema, s->identifier, s->columns, s->ncolumns, d->path, true, i);
	tests_table(b, D, true, i);
	buf_adds(b, "</section>\n");
	free(name);
}

static void test_section(struct buf *b, struct docs *D)
{
	buf_adds(b, "<section class=\"card\" id=\"tests\"><h2>Tests <span class=\"kind test\">");
	buf_printf(b, "%zu</span></h2>\n", D->ntests);
	if (!D->dq.loaded)
		buf_adds(b, "<p class=\"none\">No dqcheck results were found (run <code>dqcheck --json "
			    "target/dqcheck.json</code>): every test shows as not run.</p>\n");
	buf_adds(b, "<table><thead><tr><th>Test</th><th>On</th><th>Type</th><th>Last verdict</th><th>Failures</th>"
		    "<th>Details</th></tr></thead><tbody>\n");
	for (size_t t = 0; t < D->ntests; t++) {
		const struct dtest *x = &D->tests[t];
		buf_adds(b, "<tr id=\"");
		anchor(b, "test", x->name);
		buf_adds(b, "\" data-search=\"test ");
		mr_html(b, x->name);
		buf_adds(b, "\"><td><code>");
		mr_html(b, x->name);
		buf_adds(b, "</code><br><small class=\"none\">");
		mr_html(b, x->file);
		buf_printf(b, ":%zu</small></td><td>", x->line);
		if (x->target != (size_t)-1) {
			if (x->on_source) {
				char *name = source_name(&D->p->sources[x->target]);
				link_to(b, "source", name, name);
				free(name);
			} else {
				link_node(b, &D->p->nodes[x->target]);
			}
			if (x->column) {
				buf_adds(b, ".<code>");
				mr_html(b, x->column);
				buf_adds(b, "</code>");
			}
		}
		buf_adds(b, "</td><td>");
		mr_html(b, x->type);
		buf_adds(b, "</td><td>");
		badge(b, x->v.status);
		buf_adds(b, "</td><td>");
		mr_html(b, x->v.failures);
		buf_adds(b, "</td><td>");
		mr_html(b, x->v.message);
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</tbody></table></section>\n");
}

static void sidebar_item(struct buf *b, const char *kind, const char *name)
{
	buf_adds(b, "<li data-search=\"");
	mr_html(b, kind);
	buf_addc(b, ' ');
	mr_html(b, name);
	buf_adds(b, "\"><a href=\"#");
	anchor(b, kind, name);
	buf_printf(b, "\"><span class=\"dot %s\"></span>", kind);
	mr_html(b, name);
	buf_adds(b, "</a></li>\n");
}

static int cmp_node_name(const void *a, const void *b)
{
	return strcmp((*(const struct dbt_node *const *)a)->name, (*(const struct dbt_node *const *)b)->name);
}

static char *page(struct docs *D)
{
	const struct dbt_project *p = D->p;
	struct buf b = { 0 };
	size_t nmodels = 0, nseeds = 0, pass = 0, failed = 0, notrun = 0;
	for (size_t i = 0; i < p->nnodes; i++)
		if (p->nodes[i].cfg.enabled) {
			nmodels += p->nodes[i].kind == DBT_MODEL;
			nseeds += p->nodes[i].kind == DBT_SEED;
		}
	for (size_t t = 0; t < D->ntests; t++) {
		const char *s = D->tests[t].v.status;
		pass += same(s, "pass");
		failed += s && !same(s, "pass");
		notrun += !s;
	}
	char when[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
	buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		     "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n<title>");
	mr_html(&b, p->name);
	buf_adds(&b, " &middot; docs</title>\n<style>\n");
	buf_adds(&b, CSS);
	buf_adds(&b, "</style></head>\n<body>\n<aside><h1>");
	mr_html(&b, p->name);
	buf_adds(&b, "</h1><div class=\"sub\">modelrun docs</div>\n"
		     "<input id=\"search\" type=search placeholder=\"Filter models, sources, tests\" "
		     "aria-label=\"Filter\">\n<h2><a href=\"#lineage\" style=\"color:inherit\">Lineage</a></h2>\n");
	/* the sidebar by name, to be found; the sections in build order */
	const struct dbt_node **byname = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *byname);
	for (size_t i = 0; i < p->nnodes; i++)
		byname[i] = &p->nodes[i];
	if (p->nnodes)
		qsort(byname, p->nnodes, sizeof *byname, cmp_node_name);
	for (int seeds = 0; seeds < 2; seeds++) {
		buf_adds(&b, seeds ? "<h2>Seeds</h2><ul>\n" : "<h2>Models</h2><ul>\n");
		for (size_t k = 0; k < p->nnodes; k++) {
			const struct dbt_node *n = byname[k];
			if (n->cfg.enabled && (n->kind == DBT_SEED) == (seeds == 1))
				sidebar_item(&b, seeds ? "seed" : "model", n->name);
		}
		buf_adds(&b, "</ul>\n");
	}
	free(byname);
	buf_adds(&b, "<h2>Sources</h2><ul>\n");
	for (size_t s = 0; s < p->nsources; s++) {
		char *name = source_name(&p->sources[s]);
		sidebar_item(&b, "source", name);
		free(name);
	}
	buf_printf(&b, "</ul>\n<h2><a href=\"#tests\" style=\"color:inherit\">Tests (%zu)</a></h2>\n</aside>\n<main>\n",
		   D->ntests);
	buf_adds(&b, "<header class=\"top\"><h1>");
	mr_html(&b, p->name);
	buf_adds(&b, "</h1><p>Generated ");
	mr_html(&b, when);
	buf_adds(&b, " by modelrun; target schema <code>");
	mr_html(&b, p->target_schema);
	buf_adds(&b, "</code></p></header>\n<div class=\"stats\">");
	buf_printf(&b, "<div class=\"stat\"><b>%zu</b>models</div><div class=\"stat\"><b>%zu</b>seeds</div>"
		       "<div class=\"stat\"><b>%zu</b>sources</div><div class=\"stat\"><b>%zu</b>tests</div>"
		       "<div class=\"stat\"><b style=\"color:var(--pass)\">%zu</b>passed</div>"
		       "<div class=\"stat\"><b style=\"color:var(--fail)\">%zu</b>failed or warned</div>"
		       "<div class=\"stat\"><b>%zu</b>not run</div></div>\n",
		   nmodels, nseeds, p->nsources, D->ntests, pass, failed, notrun);
	for (size_t i = 0; i < D->ds.n; i++)
		if (strcmp(D->ds.v[i].name, "__overview__") == 0) {
			buf_adds(&b, "<section class=\"card\" id=\"overview\"><div class=\"desc\">");
			mr_markdown(&b, D->ds.v[i].text);
			buf_adds(&b, "</div></section>\n");
		}
	buf_adds(&b, "<section class=\"card\" id=\"lineage\"><h2>Lineage</h2>\n<div class=\"legend\">"
		     "<span><i class=\"dot source\"></i>source</span><span><i class=\"dot seed\"></i>seed</span>"
		     "<span><i class=\"dot model\"></i>model</span><span>click a box to go to it</span></div>\n"
		     "<div class=\"svg");
	/* a small graph is shrunk to the width of the page; a large one keeps
	 * dot's size, readable, and scrolls */
	buf_adds(&b, p->nnodes + p->nsources <= 40 ? " fit\">\n" : "\">\n");
	if (D->svg) {
		/* dot's document from its <svg> element on: the XML prolog and
		 * doctype do not belong inside HTML */
		const char *svg = strstr(D->svg, "<svg");
		buf_adds(&b, svg ? svg : "");
	} else {
		buf_adds(&b, "<p class=\"none\">No picture: ");
		mr_html(&b, D->dot_problem);
		buf_adds(&b, "</p>");
	}
	buf_adds(&b, "</div></section>\n");
	for (int seeds = 0; seeds < 2; seeds++)
		for (size_t k = 0; k < p->nnodes; k++) {
			const struct dbt_node *n = &p->nodes[p->order[k]];
			if (n->cfg.enabled && (n->kind == DBT_SEED) == (seeds == 1))
				node_section(&b, D, p->order[k]);
		}
	for (size_t s = 0; s < p->nsources; s++)
		source_section(&b, D, s);
	test_section(&b, D);
	buf_adds(&b, "</main>\n<script>\n");
	buf_adds(&b, JS);
	buf_adds(&b, "</script>\n</body></html>\n");
	return buf_detach(&b);
}

int mr_docs_generate(const struct dbt_project *p, const struct mr_docs_opts *o)
{
	struct docs D = { .p = p };
	char err[2048];
	if (mr_docs_load(p, &D.ds, err, sizeof err)) {
		log_error("%s", err);
		mr_docs_free(&D.ds);
		return EXIT_OPER;
	}
	D.conn = dbt_profile_connect(p->profile, o->dbname); /* as run connects */
	if (D.conn) {
		pgconn_log_notices(D.conn, LOG_VERBOSE);
		read_catalog(&D);
	} else {
		log_warn("no database: the page is written without column types and freshness");
	}
	char *rr = xasprintf("%s/target/run_results.json", p->dir);
	char *dq = o->test_results ? xstrdup(o->test_results) : xasprintf("%s/target/dqcheck.json", p->dir);
	jfile_load(&D.rr, rr, false);
	jfile_load(&D.dq, dq, o->test_results != NULL);
	free(rr);
	free(dq);
	collect_tests(&D);
	compile_all(&D);

	D.svg = render_dag(p);
	/* the picture alone, in target/docs/, links back to the page */
	char *alone = D.svg ? relink(D.svg, "xlink:href=\"#", "xlink:href=\"../index.html#") : NULL;
	int status = EXIT_OK;
	if (!D.svg) {
		D.dot_problem = "Graphviz's dot could not draw it (see the messages of modelrun docs generate).";
		status = EXIT_OPER;
	}
	char *path;
	if (alone) {
		path = xasprintf("%s/target/docs/dag.svg", p->dir);
		if (mr_write_text(path, alone, strlen(alone)))
			status = EXIT_OPER;
		free(path);
	}
	char *html_text = page(&D);
	path = xasprintf("%s/target/index.html", p->dir);
	if (mr_write_text(path, html_text, strlen(html_text)))
		status = EXIT_OPER;
	else
		log_info("wrote %s (%zu models and seeds, %zu sources, %zu tests)", path, p->nnodes, p->nsources,
			 D.ntests);
	free(path);
	if (mr_write_manifest(p, &D.ds, D.conn ? PQdb(D.conn) : NULL, D.compiled))
		status = EXIT_OPER;
	free(html_text);
	free(alone);
	free(D.svg);
	for (size_t i = 0; i < p->nnodes; i++) {
		free(D.compiled[i]);
		free(D.compile_error[i]);
	}
	free(D.compiled);
	free(D.compile_error);
	for (size_t t = 0; t < D.ntests; t++) {
		free(D.tests[t].name);
		free(D.tests[t].type);
	}
	free(D.tests);
	jfile_free(&D.rr);
	jfile_free(&D.dq);
	PQclear(D.catalog);
	if (D.conn)
		PQfinish(D.conn);
	mr_docs_free(&D.ds);
	return status;
}
