/* SPDX-License-Identifier: MIT
 * The data tests of `modelrun build` and `modelrun test`, run as dbt runs
 * them: each test right after the nodes it reads, and a failing test of
 * error severity skips what comes after it.
 *
 * The tests are dqcheck's. Its engine (collection, dbt's test names,
 * folding, thresholds) lives in dqcheck/, not in lib/, and a program never
 * includes another's files; so modelrun runs the dqcheck program beside
 * it (the directory of /proc/self/exe, else PATH) as a child instead of
 * doing any of that again:
 *
 *   1. `dqcheck --list` with the user's --select/--exclude says which
 *      tests there are and which nodes and sources each reads;
 *   2. the tests with the same parents form a group, a vertex of the
 *      build graph: its parents are the nodes it reads, and it precedes
 *      every node built from all of them, which is dbt's rule for the
 *      edges from tests to nodes (a node waits for a test when everything
 *      the test reads is upstream of the node);
 *   3. when a group's parents are built, `dqcheck --no-lock --json FILE
 *      -s NAME...` runs its tests (modelrun holds the project's lock for
 *      it), and the file gives the verdicts. A FAIL or ERROR fails the
 *      vertex, and the scheduler (dag.c) skips what depends on it; a WARN
 *      does not.
 *
 * The child connects as modelrun's own connection did: its parameters go
 * on its command line except the password, which goes in its environment
 * (PGPASSWORD), out of what ps shows. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "json.h"
#include "log.h"
#include "modelrun.h"
#include "xalloc.h"
#include "ydoc.h"

extern char **environ;

enum test_status { TS_PENDING, TS_PASS, TS_WARN, TS_FAIL, TS_ERROR, TS_SKIPPED };

struct mr_test {
	char *name, *unique_id, *file;
	size_t line;
	size_t *nodes, nnodes;     /* the nodes it reads */
	size_t *sources, nsources; /* and the sources */
	size_t group;
	/* the result */
	enum test_status status;
	long long failures;        /* -1: none (skipped, error) */
	double secs;
	int thread;
	char *message;             /* dbt's words for a WARN or FAIL; why for ERROR or SKIP */
};

struct mr_test_group {
	size_t *tests, ntests;
	size_t *children, nchildren; /* the nodes that wait for it */
};

struct mr_tests {
	struct mr_test *v;
	size_t n;
	struct mr_test_group *groups;
	size_t ngroups;
	char *dqcheck;             /* the program, or "dqcheck" to look up in PATH */
	char **args;               /* what every run passes (NULL-terminated) */
	size_t nargs;
	char **envp;               /* the children's environment */
	char *tmpdir;
};

/* ---- running dqcheck ---- */

/* dqcheck beside this program, else the bare name for PATH. Malloc'd. */
static char *find_dqcheck(void)
{
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len > 0) {
		self[len] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			char *path = xasprintf("%s/dqcheck", self);
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	return xstrdup("dqcheck");
}

static void add_arg(struct mr_tests *t, const char *a)
{
	t->args = xrealloc(t->args, (t->nargs + 2) * sizeof *t->args);
	t->args[t->nargs++] = xstrdup(a);
	t->args[t->nargs] = NULL;
}

/* A temporary file's name (the file made empty, closed), or NULL after
 * saying why. Malloc'd. */
static char *temp_file(const struct mr_tests *t, const char *what)
{
	char *path = xasprintf("%s/modelrun-%s-XXXXXX", t->tmpdir, what);
	int fd = mkstemp(path); /* closed at once: a child spawned meanwhile holds an empty file */
	if (fd < 0) {
		log_error("cannot create a temporary file in %s: %s", t->tmpdir, strerror(errno));
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

/* Runs dqcheck with t's arguments and then extra (NULL-terminated), its
 * stdout into out_path (NULL: /dev/null) and its stderr into err_path.
 * Returns its exit status, or -1 after saying why it could not run or
 * that it died. */
static int run_dqcheck(const struct mr_tests *t, char *const *extra, const char *out_path, const char *err_path)
{
	size_t nextra = 0;
	while (extra[nextra])
		nextra++;
	char **argv = xcalloc(t->nargs + nextra + 2, sizeof *argv);
	argv[0] = t->dqcheck;
	memcpy(argv + 1, t->args, t->nargs * sizeof *argv);
	memcpy(argv + 1 + t->nargs, extra, nextra * sizeof *argv);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path ? out_path : "/dev/null", O_WRONLY | O_TRUNC, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path, O_WRONLY | O_TRUNC, 0);
	pid_t pid;
	int rc = strchr(t->dqcheck, '/') ? posix_spawn(&pid, t->dqcheck, &fa, NULL, argv, t->envp) :
					   posix_spawnp(&pid, t->dqcheck, &fa, NULL, argv, t->envp);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	if (rc != 0) {
		log_error("cannot run %s (dqcheck runs the tests; it is looked for beside modelrun, then in PATH): %s",
			  t->dqcheck, strerror(rc));
		return -1;
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			log_error("waiting for dqcheck: %s", strerror(errno));
			return -1;
		}
	if (WIFSIGNALED(st)) {
		log_error("dqcheck died of signal %d", WTERMSIG(st));
		return -1;
	}
	return WEXITSTATUS(st);
}

/* Removes a temporary file made by temp_file() and frees its name;
 * NULL is none. */
static void drop_temp(char *path)
{
	if (path)
		unlink(path);
	free(path);
}

/* What the file at path holds (NUL-terminated), or "" when it cannot be
 * read. Malloc'd. */
static char *file_text(const char *path)
{
	struct buf b = { 0 };
	FILE *f = fopen(path, "r");
	if (f) {
		char chunk[8192];
		size_t got;
		while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_add(&b, chunk, got);
		fclose(f);
	}
	buf_str(&b);
	return b.data ? buf_detach(&b) : xstrdup("");
}

/* Copies what a child wrote on stderr to ours, unchanged. */
static void relay(const char *text)
{
	fputs(text, stderr);
}

/* The children's connection: key='value' pairs of every parameter conn
 * was opened with, the password left out and put in PGPASSWORD of their
 * environment instead. */
static void connect_as(struct mr_tests *t, PGconn *conn)
{
	struct buf ci = { 0 };
	const char *password = NULL;
	PQconninfoOption *opts = PQconninfo(conn);
	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (!o->val || !*o->val || strchr(o->dispchar, 'D') ||
		    strcmp(o->keyword, "fallback_application_name") == 0)
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			password = o->val;
			continue;
		}
		buf_printf(&ci, "%s%s='", ci.len ? " " : "", o->keyword);
		for (const char *c = o->val; *c; c++) {
			if (*c == '\'' || *c == '\\')
				buf_addc(&ci, '\\');
			buf_addc(&ci, *c);
		}
		buf_addc(&ci, '\'');
	}
	add_arg(t, "-d");
	add_arg(t, buf_str(&ci));
	buf_free(&ci);
	size_t n = 0;
	while (environ[n])
		n++;
	t->envp = xcalloc(n + 2, sizeof *t->envp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "PGPASSWORD=", 11) != 0)
			t->envp[k++] = xstrdup(environ[i]);
	if (password)
		t->envp[k++] = xasprintf("PGPASSWORD=%s", password);
	PQconninfoFree(opts);
}

/* ---- the plan ---- */

static long node_by_id(const struct dbt_project *p, const char *id)
{
	for (size_t i = 0; i < p->nnodes; i++)
		if (strcmp(p->nodes[i].unique_id, id) == 0)
			return (long)i;
	return -1;
}

static long source_by_id(const struct dbt_project *p, const char *id)
{
	for (size_t s = 0; s < p->nsources; s++) {
		char *sid = xasprintf("source.%s.%s.%s", p->name, p->sources[s].source_name, p->sources[s].table_name);
		bool same = strcmp(sid, id) == 0;
		free(sid);
		if (same)
			return (long)s;
	}
	return -1;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* Reads dqcheck --list's JSON (see dqcheck.h) into t->v. Returns 0, or -1
 * after saying what is wrong. */
static int read_list(struct mr_tests *t, const struct dbt_project *p, const char *path)
{
	struct ydoc d;
	char err[1024];
	if (ydoc_load(&d, path, err, sizeof err)) {
		log_error("reading dqcheck --list: %s", err);
		ydoc_free(&d);
		return -1;
	}
	yaml_node_t *list = ydoc_get(&d, ydoc_root(&d), "tests");
	t->n = ydoc_len(list);
	t->v = xcalloc(t->n ? t->n : 1, sizeof *t->v);
	for (size_t i = 0; i < t->n; i++) {
		yaml_node_t *e = ydoc_item(&d, list, i);
		struct mr_test *x = &t->v[i];
		x->name = xstrdup(ydoc_str(ydoc_get(&d, e, "name")));
		x->unique_id = xstrdup(ydoc_str(ydoc_get(&d, e, "unique_id")));
		x->file = xstrdup(ydoc_str(ydoc_get(&d, e, "file")));
		x->line = (size_t)strtoul(ydoc_str(ydoc_get(&d, e, "line")), NULL, 10);
		x->failures = -1;
		yaml_node_t *deps = ydoc_get(&d, e, "depends_on");
		for (size_t k = 0; k < ydoc_len(deps); k++) {
			const char *id = ydoc_str(ydoc_item(&d, deps, k));
			long at;
			if ((at = node_by_id(p, id)) >= 0) {
				x->nodes = xrealloc(x->nodes, (x->nnodes + 1) * sizeof *x->nodes);
				x->nodes[x->nnodes++] = (size_t)at;
			} else if ((at = source_by_id(p, id)) >= 0) {
				x->sources = xrealloc(x->sources, (x->nsources + 1) * sizeof *x->sources);
				x->sources[x->nsources++] = (size_t)at;
			}
		}
		if (x->nnodes)
			qsort(x->nodes, x->nnodes, sizeof *x->nodes, cmp_size);
		if (x->nsources)
			qsort(x->sources, x->nsources, sizeof *x->sources, cmp_size);
	}
	ydoc_free(&d);
	return 0;
}

static bool same_parents(const struct mr_test *a, const struct mr_test *b)
{
	return a->nnodes == b->nnodes && a->nsources == b->nsources &&
	       (!a->nnodes || memcmp(a->nodes, b->nodes, a->nnodes * sizeof *a->nodes) == 0) &&
	       (!a->nsources || memcmp(a->sources, b->sources, a->nsources * sizeof *a->sources) == 0);
}

/* Puts tests that read the same nodes and sources in one group: they
 * become ready together and hold up the same nodes, so one dqcheck runs
 * them (and folds the column tests on one relation into one query). */
static void make_groups(struct mr_tests *t)
{
	for (size_t i = 0; i < t->n; i++) {
		size_t g = 0;
		while (g < t->ngroups && !same_parents(&t->v[t->groups[g].tests[0]], &t->v[i]))
			g++;
		if (g == t->ngroups) {
			t->groups = xrealloc(t->groups, (t->ngroups + 1) * sizeof *t->groups);
			t->groups[t->ngroups++] = (struct mr_test_group){ 0 };
		}
		struct mr_test_group *gr = &t->groups[g];
		gr->tests = xrealloc(gr->tests, (gr->ntests + 1) * sizeof *gr->tests);
		gr->tests[gr->ntests++] = i;
		t->v[i].group = g;
	}
}

#define BIT_SET(v, i) ((v)[(i) / 64] |= (uint64_t)1 << ((i) % 64))
#define BIT_HAS(v, i) (((v)[(i) / 64] >> ((i) % 64)) & 1)

/* dbt's edges from tests to nodes: a group precedes node N when every
 * node it reads is a strict ancestor of N and every source it reads is
 * read by N or an ancestor. up[i] holds node i's ancestors (bits 0 to
 * nnodes - 1) and sources (bits from nnodes on), in parents-first order. */
static void link_groups(struct mr_tests *t, const struct dbt_project *p)
{
	size_t words = (p->nnodes + p->nsources + 63) / 64 + 1;
	uint64_t *up = xcalloc((p->nnodes ? p->nnodes : 1) * words, sizeof *up);
	for (size_t k = 0; k < p->nnodes; k++) {
		size_t i = p->order[k];
		uint64_t *ui = up + i * words;
		for (size_t q = 0; q < p->nodes[i].nparents; q++) {
			size_t par = p->nodes[i].parents[q];
			for (size_t w = 0; w < words; w++)
				ui[w] |= up[par * words + w];
			BIT_SET(ui, par);
		}
		for (size_t s = 0; s < p->nodes[i].nsources; s++)
			BIT_SET(ui, p->nnodes + p->nodes[i].sources[s]);
	}
	for (size_t g = 0; g < t->ngroups; g++) {
		struct mr_test_group *gr = &t->groups[g];
		const struct mr_test *x = &t->v[gr->tests[0]];
		if (!x->nnodes && !x->nsources)
			continue; /* reads nothing: holds nothing up */
		for (size_t i = 0; i < p->nnodes; i++) {
			const uint64_t *ui = up + i * words;
			bool all = true;
			for (size_t k = 0; k < x->nnodes && all; k++)
				all = BIT_HAS(ui, x->nodes[k]);
			for (size_t k = 0; k < x->nsources && all; k++)
				all = BIT_HAS(ui, p->nnodes + x->sources[k]);
			if (all) {
				gr->children = xrealloc(gr->children, (gr->nchildren + 1) * sizeof *gr->children);
				gr->children[gr->nchildren++] = i;
			}
		}
	}
	free(up);
}

int mr_tests_plan(struct mr_ctx *ctx, const struct mr_test_opts *o)
{
	struct mr_tests *t = xcalloc(1, sizeof *t);
	ctx->tests = t;
	const char *tmp = getenv("TMPDIR");
	t->tmpdir = xstrdup(tmp && *tmp ? tmp : "/tmp");
	t->dqcheck = find_dqcheck();
	add_arg(t, "--project-dir");
	add_arg(t, ctx->p->dir);
	const char *flags[][2] = { { "--schema", o->schema },		{ "--vars", o->vars },
				   { "--profiles-dir", o->profiles_dir }, { "--profile", o->profile },
				   { "--target", o->target } };
	for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
		if (flags[i][1]) {
			add_arg(t, flags[i][0]);
			add_arg(t, flags[i][1]);
		}
	/* modelrun prints a line per test; dqcheck adds the failing rows (and
	 * with -v its SQL) */
	add_arg(t, log_level == LOG_VERBOSE ? "-v" : "-q");
	/* the list: the user's selection, without source freshness (dqcheck
	 * runs it as a test; dbt build and dbt test do not) */
	size_t nextra = 3 + 2 * (o->nselect + o->nexclude);
	char **extra = xcalloc(nextra + 1, sizeof *extra);
	size_t k = 0;
	extra[k++] = "--list";
	extra[k++] = "--exclude";
	extra[k++] = "test_type:freshness";
	for (size_t i = 0; i < o->nselect; i++) {
		extra[k++] = "--select";
		extra[k++] = (char *)o->select[i];
	}
	for (size_t i = 0; i < o->nexclude; i++) {
		extra[k++] = "--exclude";
		extra[k++] = (char *)o->exclude[i];
	}
	t->envp = environ;
	char *out = temp_file(t, "tests"), *err = out ? temp_file(t, "dqcheck") : NULL;
	int rc = err ? run_dqcheck(t, extra, out, err) : -1;
	t->envp = NULL;
	free(extra);
	if (err) {
		char *said = file_text(err);
		relay(said);
		free(said);
	}
	int status = EXIT_OK;
	if (rc != 0)
		status = rc > 0 ? rc : EXIT_OPER; /* dqcheck said why */
	else if (read_list(t, ctx->p, out) != 0)
		status = EXIT_OPER;
	drop_temp(out);
	drop_temp(err);
	if (status == EXIT_OK) {
		make_groups(t);
		link_groups(t, ctx->p);
		log_debug("%zu data tests in %zu groups, run by %s", t->n, t->ngroups, t->dqcheck);
	}
	return status;
}

size_t mr_tests_count(const struct mr_ctx *ctx)
{
	return ctx->tests ? ctx->tests->n : 0;
}

size_t mr_tests_units(const struct mr_ctx *ctx)
{
	return ctx->tests ? ctx->tests->ngroups : 0;
}

void mr_tests_connect_as(struct mr_ctx *ctx, PGconn *conn)
{
	struct mr_tests *t = ctx->tests;
	connect_as(t, conn);
	/* modelrun holds the project's lock; a child waiting for it would
	 * wait for ever */
	add_arg(t, "--no-lock");
}

/* ---- the build graph ---- */

/* Appends vertex c to the list of vertex at (sized for it). */
#define EDGE(list, count, c) ((list)[(count)++] = (c))

int mr_tests_dag_run(struct mr_ctx *ctx, const bool *selected, int nworkers, dag_work_fn work, dag_skip_fn skipped,
		     enum node_status *status)
{
	const struct dbt_project *p = ctx->p;
	const struct mr_tests *t = ctx->tests;
	size_t nu = mr_units_vertices(ctx), first_unit = p->nnodes + t->ngroups;
	size_t n = first_unit + nu;
	struct dag_vertex *v = xcalloc(n ? n : 1, sizeof *v);
	size_t **par = xcalloc(n ? n : 1, sizeof *par), **chi = xcalloc(n ? n : 1, sizeof *chi);
	/* nodes: their own edges plus those from and to groups and unit tests */
	for (size_t i = 0; i < p->nnodes; i++) {
		const struct dbt_node *nd = &p->nodes[i];
		par[i] = xcalloc(nd->nparents + t->ngroups + 2, sizeof **par);
		if (nd->nparents) /* memcpy may not be given NULL, even for nothing */
			memcpy(par[i], nd->parents, nd->nparents * sizeof **par);
		chi[i] = xcalloc(nd->nchildren + t->ngroups + nu + 1, sizeof **chi);
		if (nd->nchildren)
			memcpy(chi[i], nd->children, nd->nchildren * sizeof **chi);
		v[i] = (struct dag_vertex){ par[i], nd->nparents, chi[i], nd->nchildren };
	}
	for (size_t g = 0; g < t->ngroups; g++) {
		const struct mr_test_group *gr = &t->groups[g];
		const struct mr_test *x = &t->v[gr->tests[0]];
		size_t u = p->nnodes + g;
		chi[u] = xcalloc(gr->nchildren + nu + 1, sizeof **chi);
		if (gr->nchildren)
			memcpy(chi[u], gr->children, gr->nchildren * sizeof **chi);
		v[u] = (struct dag_vertex){ x->nodes, x->nnodes, chi[u], gr->nchildren };
		for (size_t k = 0; k < x->nnodes; k++)
			EDGE(chi[x->nodes[k]], v[x->nodes[k]].nchildren, u);
		for (size_t k = 0; k < gr->nchildren; k++)
			EDGE(par[gr->children[k]], v[gr->children[k]].nparents, u);
	}
	/* a model's unit tests: after all the model waits for (its parents and
	 * their tests), before the model, as dbt build runs them */
	for (size_t k = 0; k < nu; k++) {
		size_t u = first_unit + k, m = mr_units_model(ctx, k);
		if (m >= p->nnodes) /* a test of no model: it stands alone */
			continue;
		par[u] = xcalloc(v[m].nparents + 1, sizeof **par);
		if (v[m].nparents)
			memcpy(par[u], v[m].parents, v[m].nparents * sizeof **par);
		chi[u] = xcalloc(1, sizeof **chi);
		chi[u][0] = m;
		v[u] = (struct dag_vertex){ par[u], v[m].nparents, chi[u], 1 };
		for (size_t q = 0; q < v[u].nparents; q++)
			EDGE(chi[par[u][q]], v[par[u][q]].nchildren, u);
		EDGE(par[m], v[m].nparents, u);
	}
	/* the order ready vertices are taken in: each group right after the
	 * last of its nodes, so that one thread tests a node before it builds
	 * the next; a model's unit tests just before it */
	size_t *order = xcalloc(n ? n : 1, sizeof *order), *rank = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *rank);
	for (size_t k = 0; k < p->nnodes; k++)
		rank[p->order[k]] = k;
	size_t at = 0;
	for (size_t k = 0; k < nu; k++)
		if (mr_units_model(ctx, k) >= p->nnodes)
			order[at++] = first_unit + k;
	for (size_t k = 0; k <= p->nnodes; k++) {
		for (size_t g = 0; g < t->ngroups; g++) {
			const struct mr_test *x = &t->v[t->groups[g].tests[0]];
			size_t last = 0; /* 0: before every node; k: after the k-th */
			for (size_t q = 0; q < x->nnodes; q++)
				if (rank[x->nodes[q]] + 1 > last)
					last = rank[x->nodes[q]] + 1;
			if (last == k)
				order[at++] = p->nnodes + g;
		}
		if (k == p->nnodes)
			break;
		for (size_t u = 0; u < nu; u++)
			if (mr_units_model(ctx, u) == p->order[k])
				order[at++] = first_unit + u;
		order[at++] = p->order[k];
	}
	bool *sel = xcalloc(n ? n : 1, sizeof *sel);
	if (p->nnodes)
		memcpy(sel, selected, p->nnodes * sizeof *sel);
	for (size_t u = p->nnodes; u < n; u++)
		sel[u] = true;
	struct dag_graph graph = { n, v, order };
	int rc = dag_run_graph(&graph, sel, nworkers, work, skipped, ctx, status);
	for (size_t i = 0; i < n; i++) {
		free(par[i]);
		free(chi[i]);
	}
	free(par);
	free(chi);
	free(v);
	free(order);
	free(rank);
	free(sel);
	return rc;
}

/* ---- results ---- */

/* dbt's message for a test that found rows: "Got 2 results, configured
 * to fail if != 0". */
static char *dbt_message(long long failures, const char *verdict, const char *threshold)
{
	return xasprintf("Got %lld result%s, configured to %s if %s", failures, failures == 1 ? "" : "s", verdict,
			 threshold ? threshold : "!= 0");
}

/* Takes the verdicts of dqcheck's --json file for group g's tests; a test
 * the file does not name gets an error. */
static void read_results(struct mr_tests *t, size_t g, const char *path, const char *why)
{
	const struct mr_test_group *gr = &t->groups[g];
	struct ydoc d;
	char err[1024];
	bool loaded = ydoc_load(&d, path, err, sizeof err) == 0;
	yaml_node_t *res = loaded ? ydoc_get(&d, ydoc_root(&d), "results") : NULL;
	for (size_t i = 0; i < ydoc_len(res); i++) {
		yaml_node_t *e = ydoc_item(&d, res, i);
		const char *name = ydoc_str(ydoc_get(&d, e, "name"));
		struct mr_test *x = NULL;
		for (size_t k = 0; k < gr->ntests && !x; k++)
			if (name && strcmp(t->v[gr->tests[k]].name, name) == 0)
				x = &t->v[gr->tests[k]];
		if (!x)
			continue; /* another test the name picked as well */
		const char *st = ydoc_str(ydoc_get(&d, e, "status"));
		const char *failures = ydoc_str(ydoc_get(&d, e, "failures"));
		const char *secs = ydoc_str(ydoc_get(&d, e, "execution_time"));
		x->failures = failures ? strtoll(failures, NULL, 10) : 0;
		x->secs = secs ? strtod(secs, NULL) : 0;
		if (st && strcmp(st, "pass") == 0) {
			x->status = TS_PASS;
		} else if (st && strcmp(st, "warn") == 0) {
			x->status = TS_WARN;
			x->message = dbt_message(x->failures, "warn", ydoc_str(ydoc_get(&d, e, "warn_if")));
		} else if (st && strcmp(st, "fail") == 0) {
			x->status = TS_FAIL;
			x->message = dbt_message(x->failures, "fail", ydoc_str(ydoc_get(&d, e, "error_if")));
		} else {
			const char *m = ydoc_str(ydoc_get(&d, e, "message"));
			x->status = TS_ERROR;
			x->failures = -1;
			x->message = xstrdup(m ? m : "error");
		}
	}
	if (loaded)
		ydoc_free(&d);
	for (size_t k = 0; k < gr->ntests; k++) {
		struct mr_test *x = &t->v[gr->tests[k]];
		if (x->status == TS_PENDING) {
			x->status = TS_ERROR;
			x->message = xstrdup(why);
		}
	}
}

/* The line of one test, as run prints a model's: "[7/17] FAIL 1 test
 * unique_orders_id (0.01 s): Got 1 result, configured to fail if != 0". */
static void report_test(struct mr_ctx *ctx, const struct mr_test *x)
{
	size_t k = ++ctx->done;
	switch (x->status) {
	case TS_PASS: log_info("[%zu/%zu] PASS test %s (%.2f s)", k, ctx->total, x->name, x->secs); break;
	case TS_WARN:
		log_warn("[%zu/%zu] WARN %lld test %s (%.2f s): %s", k, ctx->total, x->failures, x->name, x->secs,
			 x->message);
		break;
	case TS_FAIL:
		log_error("[%zu/%zu] FAIL %lld test %s (%s:%zu, %.2f s): %s", k, ctx->total, x->failures, x->name,
			  x->file, x->line, x->secs, x->message);
		break;
	case TS_ERROR:
		log_error("[%zu/%zu] ERROR test %s (%s:%zu): %s", k, ctx->total, x->name, x->file, x->line,
			  x->message);
		break;
	default: log_info("[%zu/%zu] SKIP test %s: %s", k, ctx->total, x->name, x->message); break;
	}
}

int mr_tests_work(struct mr_ctx *ctx, int worker, size_t g)
{
	struct mr_tests *t = ctx->tests;
	const struct mr_test_group *gr = &t->groups[g];
	char **extra = xcalloc(2 * gr->ntests + 3, sizeof *extra);
	char *json = temp_file(t, "results"), *err = json ? temp_file(t, "dqcheck") : NULL;
	size_t k = 0;
	extra[k++] = "--json";
	extra[k++] = json;
	for (size_t i = 0; i < gr->ntests; i++) {
		extra[k++] = "--select";
		extra[k++] = t->v[gr->tests[i]].name;
	}
	double t0 = clock_seconds();
	int rc = err ? run_dqcheck(t, extra, NULL, err) : -1;
	char *said = err ? file_text(err) : xstrdup("");
	char why[256];
	if (rc < 0)
		snprintf(why, sizeof why, "not run: dqcheck could not run");
	else
		snprintf(why, sizeof why, "dqcheck exited with status %d without a verdict", rc);
	if (json)
		read_results(t, g, json, why);
	else
		read_results(t, g, "/nonexistent", why);
	bool failed = false;
	pthread_mutex_lock(&ctx->print_lock);
	for (size_t i = 0; i < gr->ntests; i++) {
		struct mr_test *x = &t->v[gr->tests[i]];
		x->thread = worker;
		if (rc < 0 || x->secs <= 0)
			x->secs = (clock_seconds() - t0) / (double)gr->ntests;
		failed |= x->status == TS_FAIL || x->status == TS_ERROR;
		report_test(ctx, x);
	}
	relay(said); /* the failing rows, and anything else dqcheck said */
	pthread_mutex_unlock(&ctx->print_lock);
	free(said);
	drop_temp(json);
	drop_temp(err);
	free(extra);
	return failed ? -1 : 0;
}

void mr_tests_skipped(struct mr_ctx *ctx, size_t g, const char *why)
{
	struct mr_tests *t = ctx->tests;
	const struct mr_test_group *gr = &t->groups[g];
	pthread_mutex_lock(&ctx->print_lock);
	for (size_t i = 0; i < gr->ntests; i++) {
		struct mr_test *x = &t->v[gr->tests[i]];
		if (x->status != TS_PENDING)
			continue;
		x->status = TS_SKIPPED;
		x->message = xstrdup(why);
		report_test(ctx, x);
	}
	pthread_mutex_unlock(&ctx->print_lock);
}

const char *mr_unit_name(const struct mr_ctx *ctx, size_t unit, char *buf, size_t len)
{
	const struct dbt_project *p = ctx->p;
	if (unit < p->nnodes)
		return p->nodes[unit].name;
	const struct mr_tests *t = ctx->tests;
	if (unit >= p->nnodes + t->ngroups)
		return mr_units_name(ctx, unit - p->nnodes - t->ngroups, buf, len);
	const struct mr_test_group *gr = &t->groups[unit - p->nnodes];
	const char *name = t->v[gr->tests[0]].name;
	for (size_t i = 0; i < gr->ntests; i++)
		if (t->v[gr->tests[i]].status == TS_FAIL || t->v[gr->tests[i]].status == TS_ERROR) {
			name = t->v[gr->tests[i]].name;
			break;
		}
	snprintf(buf, len, "test %s", name);
	return buf;
}

size_t mr_tests_summary(const struct mr_ctx *ctx, size_t failed_nodes)
{
	const struct mr_tests *t = ctx->tests;
	if (!t)
		return 0;
	size_t c[TS_SKIPPED + 1] = { 0 };
	for (size_t i = 0; i < t->n; i++)
		c[t->v[i].status]++;
	if (t->n)
		log_info("%zu test%s: %zu passed, %zu warned, %zu failed, %zu errors, %zu skipped", t->n,
			 t->n == 1 ? "" : "s", c[TS_PASS], c[TS_WARN], c[TS_FAIL], c[TS_ERROR], c[TS_SKIPPED]);
	/* as run lists failed nodes again: one among hundreds is easy to miss */
	bool list_failures = failed_nodes + c[TS_FAIL] + c[TS_ERROR] > 1;
	for (size_t i = 0; list_failures && i < t->n; i++) {
		const struct mr_test *x = &t->v[i];
		if (x->status == TS_FAIL || x->status == TS_ERROR)
			log_error("failed: test %s (%s:%zu): %s", x->name, x->file, x->line, x->message);
	}
	return c[TS_FAIL] + c[TS_ERROR];
}

void mr_test_json(struct buf *b, bool *first, const char *unique_id, const char *status, int thread, double secs,
		  const char *message, long long failures, bool compiled)
{
	buf_adds(b, *first ? "\n    {" : ",\n    {");
	*first = false;
	buf_adds(b, "\"unique_id\": ");
	json_string(b, unique_id);
	buf_printf(b, ", \"status\": \"%s\", \"thread_id\": \"Thread-%d\", \"execution_time\": %.6f, "
		      "\"timing\": [], \"message\": ",
		   status, thread + 1, secs);
	json_string(b, message);
	if (failures >= 0)
		buf_printf(b, ", \"failures\": %lld", failures);
	else
		buf_adds(b, ", \"failures\": null");
	buf_printf(b, ", \"adapter_response\": {}, \"compiled\": %s, \"compiled_code\": null, "
		      "\"relation_name\": null}",
		   compiled ? "true" : "false");
}

void mr_tests_json(const struct mr_ctx *ctx, struct buf *b, bool *first)
{
	const struct mr_tests *t = ctx->tests;
	static const char *const names[] = { "skipped", "pass", "warn", "fail", "error", "skipped" };
	for (size_t i = 0; t && i < t->n; i++) {
		const struct mr_test *x = &t->v[i];
		bool skip = x->status == TS_SKIPPED;
		/* dbt: no message for a pass, nor for a skip */
		mr_test_json(b, first, x->unique_id, names[x->status], x->thread, x->secs,
			     x->status == TS_PASS ? NULL : x->message, skip ? -1 : x->failures, !skip);
	}
}

void mr_tests_free(struct mr_ctx *ctx)
{
	struct mr_tests *t = ctx->tests;
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].unique_id);
		free(t->v[i].file);
		free(t->v[i].nodes);
		free(t->v[i].sources);
		free(t->v[i].message);
	}
	free(t->v);
	for (size_t g = 0; g < t->ngroups; g++) {
		free(t->groups[g].tests);
		free(t->groups[g].children);
	}
	free(t->groups);
	for (size_t i = 0; i < t->nargs; i++)
		free(t->args[i]);
	free(t->args);
	for (size_t i = 0; t->envp && t->envp[i]; i++)
		free(t->envp[i]);
	free(t->envp);
	free(t->dqcheck);
	free(t->tmpdir);
	free(t);
	ctx->tests = NULL;
}
