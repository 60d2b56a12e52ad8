/* SPDX-License-Identifier: MIT
 * target/manifest.json, in the shape dbt writes it (schema v12), and what
 * it needs from the project beyond lib/dbtproject: the documentation
 * blocks ({% docs name %}...{% enddocs %} in .md files under the model
 * paths) and descriptions with their {{ doc('name') }} references
 * resolved.
 *
 * What is written is what tools that read a manifest rely on: every model
 * and seed with its config, checksum, raw and (when known) compiled code,
 * refs, sources and depends_on; the sources with their freshness rules;
 * descriptions of nodes and columns; doc blocks; parent_map and
 * child_map. Tests are not among the nodes (dbt's test ids end in a hash
 * of dbt's own), and there are no macros. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "freshness.h"
#include "json.h"
#include "log.h"
#include "modelrun.h"
#include "xalloc.h"

#define PUSH(arr, n, v)                                             \
	do {                                                        \
		(arr) = xrealloc((arr), ((n) + 1) * sizeof *(arr)); \
		(arr)[(n)++] = (v);                                 \
	} while (0)

/* ---- files ---- */

void mr_iso_now(char *buf, size_t n)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t w = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + w, n - w, ".%06ldZ", ts.tv_nsec / 1000);
}

int mr_write_text(const char *path, const char *text, size_t len)
{
	/* mkdir -p for the directories above path */
	char *dir = xstrdup(path);
	for (char *s = dir + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
			log_error("%s: cannot create directory: %s", dir, strerror(errno));
			free(dir);
			return -1;
		}
		*s = '/';
	}
	free(dir);
	/* written beside and renamed into place, so a reader (a browser
	 * reloading the page) never sees half a file */
	char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0) {
		log_error("%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			log_error("%s: write error: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			free(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		log_error("%s: write error: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* ---- documentation blocks ---- */

/* Every *.md file under dir (paths relative to the project), sorted. */
static void walk_md(const char *projdir, const char *rel, char ***out, size_t *n)
{
	char *full = xasprintf("%s/%s", projdir, rel);
	struct dirent **ents;
	int count = scandir(full, &ents, NULL, alphasort);
	free(full);
	for (int i = 0; i < count; i++) {
		const char *name = ents[i]->d_name;
		if (name[0] != '.') {
			char *r = xasprintf("%s/%s", rel, name);
			char *f = xasprintf("%s/%s", projdir, r);
			struct stat st;
			if (stat(f, &st) == 0 && S_ISDIR(st.st_mode)) {
				walk_md(projdir, r, out, n);
				free(r);
			} else if (strlen(name) > 3 && strcmp(name + strlen(name) - 3, ".md") == 0) {
				PUSH(*out, *n, r);
			} else {
				free(r);
			}
			free(f);
		}
		free(ents[i]);
	}
	if (count >= 0)
		free(ents);
}

/* Matches a Jinja tag at s: "{%", optional "-", spaces, the word, then
 * returns where the tag's argument starts, or NULL. */
static const char *tag_at(const char *s, const char *word)
{
	if (s[0] != '{' || s[1] != '%')
		return NULL;
	s += 2;
	if (*s == '-')
		s++;
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(word);
	if (strncmp(s, word, n) != 0 || isalnum((unsigned char)s[n]) || s[n] == '_')
		return NULL;
	return s + n;
}

/* Past the "%}" closing a tag that starts before s, or NULL. */
static const char *tag_end(const char *s)
{
	const char *e = strstr(s, "%}");
	return e ? e + 2 : NULL;
}

static size_t line_of(const char *text, const char *at)
{
	size_t line = 1;
	for (const char *s = text; s < at; s++)
		line += *s == '\n';
	return line;
}

/* Reads the blocks of one .md file. Returns 0, or -1 with err. */
static int parse_md(const struct dbt_project *p, const char *rel, const char *base, struct mr_docset *ds, char *err,
		    size_t errlen)
{
	char *path = xasprintf("%s/%s", p->dir, rel);
	struct buf b = { 0 };
	int rc = -1;
	if (buf_read_file(&b, path, err, errlen))
		goto out;
	const char *text = buf_str(&b);
	for (const char *s = text; (s = strstr(s, "{%"));) {
		const char *arg = tag_at(s, "docs");
		if (!arg) {
			s += 2;
			continue;
		}
		const char *close = tag_end(arg);
		if (!close) {
			snprintf(err, errlen, "%s:%zu: a docs tag without its %%}", path, line_of(text, s));
			goto out;
		}
		/* the name, between the word and "%}" (or "-%}") */
		const char *ns = arg, *ne = close - 2;
		while (ns < ne && isspace((unsigned char)*ns))
			ns++;
		if (ne > ns && ne[-1] == '-')
			ne--;
		while (ne > ns && isspace((unsigned char)ne[-1]))
			ne--;
		if (ne == ns) {
			snprintf(err, errlen, "%s:%zu: a docs block needs a name", path, line_of(text, s));
			goto out;
		}
		/* the contents run to {% enddocs %} */
		const char *body = close, *end = body;
		while ((end = strstr(end, "{%")) && !tag_at(end, "enddocs"))
			end += 2;
		if (!end) {
			snprintf(err, errlen, "%s:%zu: docs block '%.*s' has no {%% enddocs %%}", path, line_of(text, s),
				 (int)(ne - ns), ns);
			goto out;
		}
		const char *after = tag_end(end);
		if (!after) {
			snprintf(err, errlen, "%s:%zu: an enddocs tag without its %%}", path, line_of(text, end));
			goto out;
		}
		/* dbt strips the block's contents of surrounding whitespace */
		const char *cs = body, *ce = end;
		while (cs < ce && isspace((unsigned char)*cs))
			cs++;
		while (ce > cs && isspace((unsigned char)ce[-1]))
			ce--;
		char *name = xasprintf("%.*s", (int)(ne - ns), ns);
		for (size_t i = 0; i < ds->n; i++)
			if (strcmp(ds->v[i].name, name) == 0) {
				snprintf(err, errlen, "%s:%zu: docs block '%s' is also in %s", path, line_of(text, s), name,
					 ds->v[i].file);
				free(name);
				goto out;
			}
		const char *under = rel + strlen(base);
		while (*under == '/')
			under++;
		struct mr_docblock blk = { .name = name, .path = xstrdup(under), .file = xstrdup(rel),
					   .text = xasprintf("%.*s", (int)(ce - cs), cs) };
		PUSH(ds->v, ds->n, blk);
		s = after;
	}
	rc = 0;
out:
	buf_free(&b);
	free(path);
	return rc;
}

int mr_docs_load(const struct dbt_project *p, struct mr_docset *ds, char *err, size_t errlen)
{
	memset(ds, 0, sizeof *ds);
	for (size_t k = 0; k < p->nmodel_paths; k++) {
		char **files = NULL;
		size_t n = 0;
		walk_md(p->dir, p->model_paths[k], &files, &n);
		int rc = 0;
		for (size_t i = 0; i < n; i++) {
			if (!rc)
				rc = parse_md(p, files[i], p->model_paths[k], ds, err, errlen);
			free(files[i]);
		}
		free(files);
		if (rc)
			return -1;
	}
	return 0;
}

void mr_docs_free(struct mr_docset *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		free(ds->v[i].name);
		free(ds->v[i].path);
		free(ds->v[i].file);
		free(ds->v[i].text);
	}
	free(ds->v);
	memset(ds, 0, sizeof *ds);
}

/* A quoted string at *s ('x' or "x"), moving past it. Malloc'd, or NULL. */
static char *quoted_at(const char **s)
{
	const char *q = *s;
	while (isspace((unsigned char)*q))
		q++;
	if (*q != '\'' && *q != '"')
		return NULL;
	const char *e = strchr(q + 1, *q);
	if (!e)
		return NULL;
	*s = e + 1;
	return xasprintf("%.*s", (int)(e - q - 1), q + 1);
}

/* At s, "{{ doc('name') }}" or "{{ doc('package', 'name') }}": returns
 * the name (malloc'd) and sets *end past the "}}", or NULL. */
static char *doc_call_at(const char *s, const char **end)
{
	if (s[0] != '{' || s[1] != '{')
		return NULL;
	s += 2;
	if (*s == '-')
		s++;
	while (isspace((unsigned char)*s))
		s++;
	if (strncmp(s, "doc", 3) != 0)
		return NULL;
	s += 3;
	while (isspace((unsigned char)*s))
		s++;
	if (*s++ != '(')
		return NULL;
	char *name = quoted_at(&s);
	if (!name)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == ',') { /* doc('package', 'name'): the second is the name */
		s++;
		char *second = quoted_at(&s);
		free(name);
		if (!second)
			return NULL;
		name = second;
		while (isspace((unsigned char)*s))
			s++;
	}
	if (*s++ != ')') {
		free(name);
		return NULL;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-')
		s++;
	if (s[0] != '}' || s[1] != '}') {
		free(name);
		return NULL;
	}
	*end = s + 2;
	return name;
}

char *mr_describe(const struct mr_docset *ds, const char *text, const char *file, size_t line)
{
	if (!text)
		return xstrdup("");
	struct buf b = { 0 };
	for (const char *s = text; *s;) {
		const char *end;
		char *name = s[0] == '{' ? doc_call_at(s, &end) : NULL;
		if (!name) {
			buf_addc(&b, *s++);
			continue;
		}
		const struct mr_docblock *blk = NULL;
		for (size_t i = 0; i < ds->n && !blk; i++)
			if (strcmp(ds->v[i].name, name) == 0)
				blk = &ds->v[i];
		if (blk) {
			buf_adds(&b, blk->text);
		} else {
			log_warn("%s:%zu: no docs block called '%s' (the text is kept as written)", file, line, name);
			buf_add(&b, s, (size_t)(end - s));
		}
		free(name);
		s = end;
	}
	return buf_detach(&b);
}

/* The list of the doc blocks text refers to, as dbt lists them:
 * ["doc.<project>.<name>", ...], in order. */
static void doc_blocks_json(struct buf *b, const char *project, const char *text)
{
	buf_addc(b, '[');
	size_t n = 0;
	for (const char *s = text ? text : ""; *s;) {
		const char *end;
		char *name = s[0] == '{' ? doc_call_at(s, &end) : NULL;
		if (!name) {
			s++;
			continue;
		}
		char *id = xasprintf("doc.%s.%s", project, name);
		buf_adds(b, n++ ? ", " : "");
		json_string(b, id);
		free(id);
		free(name);
		s = end;
	}
	buf_addc(b, ']');
}

/* ---- JSON pieces ---- */

static void key(struct buf *b, const char *k)
{
	json_string(b, k);
	buf_adds(b, ": ");
}

static void str_list(struct buf *b, char *const *v, size_t n)
{
	buf_addc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_adds(b, ", ");
		json_string(b, v[i]);
	}
	buf_addc(b, ']');
}

/* The file's contents without the whitespace around them, as dbt reads
 * a model or seed (its raw_code, and what its checksum is of). */
static void read_stripped(const char *path, struct buf *b, const char **text, size_t *len)
{
	char err[512];
	if (buf_read_file(b, path, err, sizeof err))
		log_warn("%s", err);
	const char *s = buf_str(b), *e = s + b->len;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*text = s;
	*len = (size_t)(e - s);
}

/* Seeds larger than this are checksummed by their path (dbt's
 * MAXIMUM_SEED_SIZE): a seed may be gigabytes, read by COPY as a stream. */
#define BIG_SEED (1024 * 1024)

static void sha256_hex(const char *text, size_t len, char out[65])
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	out[0] = '\0';
	if (EVP_Digest(text, len, sum, &n, EVP_sha256(), NULL) && n == 32)
		for (unsigned i = 0; i < 32; i++)
			snprintf(out + 2 * i, 3, "%02x", sum[i]);
}

char *mr_node_checksum(const struct dbt_node *n, const char **kind)
{
	struct stat st;
	if (n->kind == DBT_SEED && stat(n->file, &st) == 0 && st.st_size > BIG_SEED) {
		/* as dbt: a big seed is known by its path, not read for a hash */
		*kind = "path";
		return xstrdup(n->path);
	}
	struct buf file = { 0 };
	const char *code;
	size_t len;
	read_stripped(n->file, &file, &code, &len);
	char sum[65];
	sha256_hex(code, len, sum);
	buf_free(&file);
	*kind = "sha256";
	return xstrdup(sum);
}

/* A path as opened (under the project dir) relative to the project. */
static const char *project_rel(const struct dbt_project *p, const char *path)
{
	size_t l = strlen(p->dir);
	if (strncmp(path, p->dir, l) == 0 && path[l] == '/')
		path += l + 1;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	return path;
}

/* The folders of a path below its model or test path, each as ", \"f\""
 * (the middle of an fqn). */
static void fqn_folders(struct buf *b, const char *under)
{
	for (const char *q = under, *e; (e = strchr(q, '/')); q = e + 1) {
		buf_adds(b, ", ");
		char *part = xasprintf("%.*s", (int)(e - q), q);
		json_string(b, part);
		free(part);
	}
}

static char *source_id(const struct dbt_project *p, size_t i)
{
	return xasprintf("source.%s.%s.%s", p->name, p->sources[i].source_name, p->sources[i].table_name);
}

/* The fields every node, source and test starts with in dbt's manifest:
 * {"database": ..., "schema", "name", "resource_type", "package_name",
 * "path", "original_file_path", "unique_id" (the object left open). */
static void entry_head(struct buf *b, const char *database, const char *schema, const char *name, const char *type,
		       const char *package, const char *path, const char *original, const char *unique_id)
{
	const char *const keys[] = { "schema", "name", "resource_type", "package_name", "path", "original_file_path",
				     "unique_id" };
	const char *const vals[] = { schema, name, type, package, path, original, unique_id };
	buf_adds(b, "{\"database\": ");
	json_string(b, database);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		buf_adds(b, ", ");
		key(b, keys[i]);
		json_string(b, vals[i]);
	}
}

/* ', "refs": [...], "sources": [...]' of what a model or test reads. */
static void refs_json(struct buf *b, const struct dbt_project *p, const size_t *nodes, size_t nnodes,
		      const size_t *srcs, size_t nsrcs)
{
	buf_adds(b, ", \"refs\": [");
	for (size_t k = 0; k < nnodes; k++) {
		buf_adds(b, k ? ", {\"name\": " : "{\"name\": ");
		json_string(b, p->nodes[nodes[k]].name);
		buf_adds(b, ", \"package\": null, \"version\": null}");
	}
	buf_adds(b, "], \"sources\": [");
	for (size_t k = 0; k < nsrcs; k++) {
		buf_adds(b, k ? ", [" : "[");
		json_string(b, p->sources[srcs[k]].source_name);
		buf_adds(b, ", ");
		json_string(b, p->sources[srcs[k]].table_name);
		buf_addc(b, ']');
	}
	buf_addc(b, ']');
}

void mr_relation_name(struct buf *b, const char *database, const char *relation)
{
	if (!database) {
		json_string(b, relation);
		return;
	}
	char *q = dbt_quote_ident(database);
	char *full = xasprintf("%s.%s", q, relation);
	json_string(b, full);
	free(full);
	free(q);
}

static void hooks_json(struct buf *b, const struct dbt_hook *h, size_t n)
{
	buf_addc(b, '[');
	for (size_t i = 0; i < n; i++) {
		buf_adds(b, i ? ", {" : "{");
		key(b, "sql");
		json_string(b, h[i].sql);
		buf_printf(b, ", \"transaction\": %s, \"index\": null}", h[i].transaction ? "true" : "false");
	}
	buf_addc(b, ']');
}

static void config_json(struct buf *b, const struct dbt_node *n)
{
	const struct dbt_config *c = &n->cfg;
	buf_printf(b, "{\"enabled\": %s, \"alias\": ", c->enabled ? "true" : "false");
	json_string(b, c->alias);
	buf_adds(b, ", \"schema\": ");
	json_string(b, c->schema);
	buf_adds(b, ", \"database\": null, \"tags\": ");
	str_list(b, c->tags, c->ntags);
	buf_adds(b, ", \"meta\": {}, \"group\": null, \"static_analysis\": null, \"materialized\": ");
	json_string(b, dbt_mat_name(c->materialized));
	buf_adds(b, ", \"incremental_strategy\": ");
	json_string(b, c->materialized != MAT_INCREMENTAL ? NULL : c->merge ? "merge" : c->append_only ? "append" :
		       c->nunique ? "delete+insert" : NULL);
	buf_adds(b, ", \"batch_size\": null, \"lookback\": 1, \"begin\": null, \"persist_docs\": {}, \"post-hook\": ");
	hooks_json(b, c->post_hooks, c->npost_hooks);
	buf_adds(b, ", \"pre-hook\": ");
	hooks_json(b, c->pre_hooks, c->npre_hooks);
	buf_adds(b, ", \"quoting\": {}, \"column_types\": {");
	for (size_t i = 0; i < c->ncolumn_types; i++) {
		if (i)
			buf_adds(b, ", ");
		key(b, c->column_types[2 * i]);
		json_string(b, c->column_types[2 * i + 1]);
	}
	buf_adds(b, "}, \"full_refresh\": null, \"unique_key\": ");
	if (c->nunique == 1)
		json_string(b, c->unique_key[0]);
	else if (c->nunique)
		str_list(b, c->unique_key, c->nunique);
	else
		buf_adds(b, "null");
	static const char *const osc[] = { "ignore", "fail", "append_new_columns", "sync_all_columns" };
	static const char *const occ[] = { "apply", "continue", "fail" };
	buf_printf(b, ", \"on_schema_change\": \"%s\", \"on_configuration_change\": \"%s\"", osc[c->on_schema_change],
		   occ[c->on_configuration_change]);
	buf_adds(b, ", \"grants\": {}, \"packages\": [], \"docs\": {\"show\": true, \"node_color\": null}, "
		    "\"contract\": {\"enforced\": false, \"alias_types\": true}, \"event_time\": null, "
		    "\"concurrent_batches\": null");
	if (n->kind == DBT_MODEL)
		buf_adds(b, ", \"access\": \"protected\", \"freshness\": null");
	else
		buf_adds(b, ", \"delimiter\": \",\", \"quote_columns\": null");
	if (c->nmerge_update) {
		buf_adds(b, ", \"merge_update_columns\": ");
		str_list(b, c->merge_update_columns, c->nmerge_update);
	}
	if (c->nmerge_exclude) {
		buf_adds(b, ", \"merge_exclude_columns\": ");
		str_list(b, c->merge_exclude_columns, c->nmerge_exclude);
	}
	if (c->nindexes) {
		buf_adds(b, ", \"indexes\": [");
		for (size_t i = 0; i < c->nindexes; i++) {
			buf_adds(b, i ? ", {\"columns\": " : "{\"columns\": ");
			str_list(b, c->indexes[i].columns, c->indexes[i].ncolumns);
			if (c->indexes[i].unique)
				buf_adds(b, ", \"unique\": true");
			if (c->indexes[i].type) {
				buf_adds(b, ", \"type\": ");
				json_string(b, c->indexes[i].type);
			}
			buf_addc(b, '}');
		}
		buf_addc(b, ']');
	}
	if (c->distributed_by) {
		buf_adds(b, ", \"distributed_by\": ");
		json_string(b, c->distributed_by);
	}
	if (c->colocate_with) {
		buf_adds(b, ", \"colocate_with\": ");
		json_string(b, c->colocate_with);
	}
	if (c->replicated)
		buf_adds(b, ", \"distributed_replicated\": true");
	buf_addc(b, '}');
}

/* "columns": {...} of a schema-file entry, descriptions resolved; file
 * is the schema file, for warnings. */
static void columns_json(struct buf *b, const char *project, const struct mr_docset *ds, const struct dbt_column *cols,
			 size_t ncols, const char *file)
{
	buf_addc(b, '{');
	for (size_t i = 0; i < ncols; i++) {
		const struct dbt_column *c = &cols[i];
		if (i)
			buf_adds(b, ", ");
		key(b, c->name);
		buf_adds(b, "{\"name\": ");
		json_string(b, c->name);
		char *text = mr_describe(ds, c->description, file, c->description_line);
		buf_adds(b, ", \"description\": ");
		json_string(b, text);
		free(text);
		buf_adds(b, ", \"meta\": ");
		buf_adds(b, c->meta ? c->meta : "{}");
		buf_adds(b, ", \"data_type\": ");
		json_string(b, c->data_type);
		buf_adds(b, ", \"constraints\": [], \"quote\": null, \"config\": {\"meta\": {}, \"tags\": []}, \"tags\": ");
		str_list(b, c->tags, c->ntags);
		buf_adds(b, ", \"granularity\": null, \"doc_blocks\": ");
		doc_blocks_json(b, project, c->description);
		buf_addc(b, '}');
	}
	buf_addc(b, '}');
}

static void node_json(struct buf *b, const struct dbt_project *p, const struct mr_docset *ds, size_t i,
		      const char *database, const char *compiled, double now)
{
	const struct dbt_node *n = &p->nodes[i];
	bool model = n->kind == DBT_MODEL;
	entry_head(b, database, n->schema, n->name, model ? "model" : "seed", p->name,
		   model ? dbt_path_below(p->model_paths, p->nmodel_paths, n->path) :
			   dbt_path_below(p->seed_paths, p->nseed_paths, n->path),
		   n->path, n->unique_id);
	buf_adds(b, ", \"fqn\": ");
	str_list(b, n->fqn, n->nfqn);
	buf_adds(b, ", \"alias\": ");
	json_string(b, n->identifier);
	struct buf file = { 0 };
	const char *code = "";
	size_t code_len = 0;
	if (model)
		read_stripped(n->file, &file, &code, &code_len);
	const char *kind;
	char *sum = mr_node_checksum(n, &kind);
	buf_printf(b, ", \"checksum\": {\"name\": \"%s\", \"checksum\": ", kind);
	json_string(b, sum);
	free(sum);
	buf_adds(b, "}, \"config\": ");
	config_json(b, n);
	buf_adds(b, ", \"tags\": ");
	str_list(b, n->cfg.tags, n->cfg.ntags);
	char *text = mr_describe(ds, n->description, n->yml_file ? n->yml_file : n->file, n->description_line);
	buf_adds(b, ", \"description\": ");
	json_string(b, text);
	free(text);
	buf_adds(b, ", \"columns\": ");
	columns_json(b, p->name, ds, n->columns, n->ncolumns, n->yml_file);
	buf_adds(b, ", \"meta\": {}, \"group\": null, \"docs\": {\"show\": true, \"node_color\": null}, \"patch_path\": ");
	if (n->yml_file) {
		const char *rel = project_rel(p, n->yml_file);
		char *pp = xasprintf("%s://%s", p->name, rel);
		json_string(b, pp);
		free(pp);
	} else {
		buf_adds(b, "null");
	}
	buf_adds(b, ", \"build_path\": null, \"unrendered_config\": {");
	for (size_t k = 0; k < n->cfg.nunrendered; k++) {
		buf_adds(b, k ? ", " : "");
		key(b, n->cfg.unrendered[2 * k]);
		buf_adds(b, n->cfg.unrendered[2 * k + 1]);
	}
	buf_printf(b, "}, \"created_at\": %.6f, \"relation_name\": ", now);
	if (model && n->cfg.materialized == MAT_EPHEMERAL)
		buf_adds(b, "null");
	else
		mr_relation_name(b, database, n->relation);
	buf_adds(b, ", \"raw_code\": ");
	if (model)
		json_string_n(b, code, code_len, 0);
	else
		buf_adds(b, "\"\"");
	buf_free(&file);
	buf_adds(b, ", \"doc_blocks\": ");
	doc_blocks_json(b, p->name, n->description);
	if (!model) {
		buf_adds(b, ", \"root_path\": ");
		char *abs = realpath(p->dir, NULL);
		json_string(b, abs ? abs : p->dir);
		free(abs);
		buf_adds(b, ", \"depends_on\": {\"macros\": []}}");
		return;
	}
	buf_adds(b, ", \"language\": \"sql\"");
	refs_json(b, p, n->parents, n->nparents, n->sources, n->nsources);
	buf_adds(b, ", \"metrics\": [], \"functions\": [], \"depends_on\": {\"macros\": [], \"nodes\": [");
	bool first = true;
	for (size_t k = 0; k < n->nsources; k++) {
		const struct dbt_source *s = &p->sources[n->sources[k]];
		char *id = xasprintf("source.%s.%s.%s", p->name, s->source_name, s->table_name);
		buf_adds(b, first ? "" : ", ");
		first = false;
		json_string(b, id);
		free(id);
	}
	for (size_t k = 0; k < n->nparents; k++) {
		buf_adds(b, first ? "" : ", ");
		first = false;
		json_string(b, p->nodes[n->parents[k]].unique_id);
	}
	buf_adds(b, "]}, \"compiled_path\": ");
	if (compiled) {
		char *cp = xasprintf("target/compiled/%s/%s", p->name, n->path);
		json_string(b, cp);
		free(cp);
		buf_adds(b, ", \"compiled\": true, \"compiled_code\": ");
		json_string(b, compiled);
		buf_adds(b, ", \"extra_ctes_injected\": true, \"extra_ctes\": []");
	} else {
		buf_adds(b, "null");
	}
	buf_adds(b, ", \"contract\": {\"enforced\": false, \"alias_types\": true, \"checksum\": null}, "
		    "\"access\": \"protected\", \"constraints\": [], \"version\": null, \"latest_version\": null, "
		    "\"deprecation_date\": null, \"primary_key\": [], \"time_spine\": null}");
}

void mr_freshness_json(struct buf *b, const struct fresh_rule *r)
{
	const double *v[] = { &r->warn_after, &r->error_after };
	const char *const names[] = { "warn_after", "error_after" };
	buf_addc(b, '{');
	for (int i = 0; i < 2; i++) {
		key(b, names[i]);
		double s = r->set ? *v[i] : 0;
		/* back in the largest period that divides it */
		if (!s)
			buf_adds(b, "{\"count\": null, \"period\": null}");
		else if (s >= 86400 && (long long)s % 86400 == 0)
			buf_printf(b, "{\"count\": %lld, \"period\": \"day\"}", (long long)s / 86400);
		else if (s >= 3600 && (long long)s % 3600 == 0)
			buf_printf(b, "{\"count\": %lld, \"period\": \"hour\"}", (long long)s / 3600);
		else
			buf_printf(b, "{\"count\": %g, \"period\": \"minute\"}", s / 60);
		buf_adds(b, ", ");
	}
	key(b, "filter");
	json_string(b, r->set ? r->filter : NULL);
	buf_addc(b, '}');
}

static void source_json(struct buf *b, const struct dbt_project *p, const struct mr_docset *ds, size_t i,
			const char *database, double now)
{
	const struct dbt_source *s = &p->sources[i];
	struct ydoc *d = s->doc;
	const char *rel = project_rel(p, d->path);
	char *id = source_id(p, i);
	entry_head(b, database, s->schema, s->table_name, "source", p->name, rel, rel, id);
	free(id);
	/* fqn: project, the folders of the schema file below its model
	 * path, source, table */
	buf_adds(b, ", \"fqn\": [");
	json_string(b, p->name);
	fqn_folders(b, dbt_path_below(p->model_paths, p->nmodel_paths, rel));
	buf_adds(b, ", ");
	json_string(b, s->source_name);
	buf_adds(b, ", ");
	json_string(b, s->table_name);
	buf_adds(b, "], \"source_name\": ");
	json_string(b, s->source_name);
	char *text = mr_describe(ds, s->source_description, d->path, s->source_description_line);
	buf_adds(b, ", \"source_description\": ");
	json_string(b, text);
	free(text);
	buf_adds(b, ", \"loader\": ");
	json_string(b, s->loader ? s->loader : "");
	buf_adds(b, ", \"identifier\": ");
	json_string(b, s->identifier);
	buf_adds(b, ", \"quoting\": {\"database\": null, \"schema\": null, \"identifier\": null, \"column\": null}");
	buf_adds(b, ", \"loaded_at_field\": ");
	json_string(b, s->loaded_at_field);
	struct fresh_rule rule;
	char err[512];
	if (fresh_rule_of(s, &rule, err, sizeof err)) {
		log_warn("%s", err);
		memset(&rule, 0, sizeof rule);
	}
	buf_adds(b, ", \"loaded_at_query\": null, \"freshness\": ");
	mr_freshness_json(b, &rule);
	text = mr_describe(ds, s->description, d->path, s->description_line);
	buf_adds(b, ", \"external\": null, \"description\": ");
	json_string(b, text);
	free(text);
	buf_adds(b, ", \"columns\": ");
	columns_json(b, p->name, ds, s->columns, s->ncolumns, d->path);
	buf_adds(b, ", \"meta\": {}, \"source_meta\": {}, \"tags\": [], \"config\": {\"enabled\": true, "
		    "\"event_time\": null, \"freshness\": ");
	mr_freshness_json(b, &rule);
	buf_adds(b, ", \"loaded_at_field\": ");
	json_string(b, s->loaded_at_field);
	buf_adds(b, ", \"loaded_at_query\": null, \"meta\": {}, \"tags\": [], \"static_analysis\": null}, "
		    "\"patch_path\": null, \"unrendered_config\": {\"loaded_at_field\": ");
	json_string(b, s->loaded_at_field);
	buf_adds(b, ", \"loaded_at_query\": null, \"meta\": {}, \"tags\": []}, \"relation_name\": ");
	mr_relation_name(b, database, s->relation);
	buf_printf(b, ", \"created_at\": %.6f, \"unrendered_database\": null, \"unrendered_schema\": ", now);
	/* as written: a source without schema: has null */
	json_string(b, strcmp(s->schema, s->source_name) ? s->schema : NULL);
	buf_adds(b, ", \"doc_blocks\": ");
	doc_blocks_json(b, p->name, s->description);
	buf_addc(b, '}');
}

/* The text of macro m as dbt keeps it in macro_sql: from its {% macro %}
 * (or {% test %}) tag through its end tag, with the whitespace a "{%-"
 * before it or a "-%}" after it trims, as dbt cuts its blocks. Malloc'd;
 * "" when not found. */
static char *macro_sql(const struct dbt_macro *m)
{
	const char *src = tmpl_source(m->t), *s = src;
	for (int line = 1; line < m->line && (s = strchr(s, '\n')); line++)
		s++;
	if (!s)
		return xstrdup("");
	const char *start = NULL;
	for (const char *q = s; !start && (q = strstr(q, "{%")); q += 2)
		if (tag_at(q, "macro") || tag_at(q, "test"))
			start = q;
	bool test = start && tag_at(start, "test");
	for (const char *q = start; q && (q = strstr(q + 2, "{%"));) {
		if (tag_at(q, test ? "endtest" : "endmacro")) {
			const char *e = tag_end(q);
			if (!e)
				return xstrdup("");
			/* whitespace between two blocks goes to the one whose tag
			 * trims it, the earlier first; none at either end of the
			 * file */
			const char *ws = e;
			while (isspace((unsigned char)*ws))
				ws++;
			if (e[-3] == '-' && *ws)
				e = ws;
			ws = start;
			while (ws > src && isspace((unsigned char)ws[-1]))
				ws--;
			if (start[2] == '-' && ws > src && !(ws - src >= 3 && strncmp(ws - 3, "-%}", 3) == 0))
				start = ws;
			return xasprintf("%.*s", (int)(e - start), start);
		}
	}
	return xstrdup("");
}

/* "macros": the project's and the packages' (not the built-ins, which
 * are modelrun's own and not dbt's), in dbt's shape. */
static void macros_json(struct buf *b, const struct dbt_project *p, double now)
{
	const struct dbt_macros *ms = &p->macros;
	bool first = true;
	for (size_t i = 0; i < ms->n; i++) {
		const struct dbt_macro *m = &ms->v[i];
		if (m->pkg == DBT_PKG_BUILTIN)
			continue;
		const char *pkg = m->pkg == DBT_PKG_ROOT ? p->name : ms->pkgs[m->pkg];
		const char *file = project_rel(p, tmpl_file(m->t));
		for (size_t k = 0; k < p->npackages; k++) { /* a package's path is below its own dir */
			const char *pd = project_rel(p, p->packages[k].dir);
			size_t l = strlen(pd);
			if (p->packages[k].pkg == m->pkg && strncmp(file, pd, l) == 0 && file[l] == '/')
				file += l + 1;
		}
		char *id = xasprintf("macro.%s.%s", pkg, m->name);
		buf_adds(b, first ? "\n    " : ",\n    ");
		first = false;
		key(b, id);
		buf_adds(b, "{\"name\": ");
		json_string(b, m->name);
		buf_adds(b, ", \"resource_type\": \"macro\", \"package_name\": ");
		json_string(b, pkg);
		buf_adds(b, ", \"path\": ");
		json_string(b, file);
		buf_adds(b, ", \"original_file_path\": ");
		json_string(b, file);
		buf_adds(b, ", \"unique_id\": ");
		json_string(b, id);
		char *sql = macro_sql(m);
		buf_adds(b, ", \"macro_sql\": ");
		json_string(b, sql);
		free(sql);
		buf_printf(b, ", \"depends_on\": {\"macros\": []}, \"description\": \"\", \"meta\": {}, "
			      "\"docs\": {\"show\": true, \"node_color\": null}, \"config\": {\"meta\": {}, "
			      "\"docs\": {\"show\": true, \"node_color\": null}}, \"patch_path\": null, "
			      "\"arguments\": [], \"created_at\": %.6f, \"supported_languages\": null}", now);
		free(id);
	}
}

/* ---- singular tests ---- */

/* A singular test (a .sql file under a test path), and what it reads. */
struct stest {
	char *name, *unique_id, *rel;
	size_t *nodes, nnodes;      /* refs, node indices */
	size_t *srcs, nsrcs;        /* sources */
};
struct stests {
	struct stest *v;
	size_t n;
};

static void stest_reads(void *ud, bool source, size_t idx)
{
	struct stest *t = ud;
	size_t **v = source ? &t->srcs : &t->nodes, *n = source ? &t->nsrcs : &t->nnodes;
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == idx)
			return;
	PUSH(*v, *n, idx);
}

/* Reads every singular test and renders it for its refs and sources (a
 * test that does not render has none, with a note under -v). */
static void stests_load(const struct dbt_project *p, struct stests *ts)
{
	memset(ts, 0, sizeof *ts);
	for (size_t i = 0; i < p->nsingular; i++) {
		const char *path = p->singular_tests[i], *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		struct stest t = { .name = xasprintf("%.*s", (int)(strlen(base) - 4), base),
				   .rel = xstrdup(project_rel(p, path)) };
		t.unique_id = xasprintf("test.%s.%s", p->name, t.name);
		struct buf file = { 0 };
		char err[1024], *sql = NULL;
		if (buf_read_file(&file, path, err, sizeof err) == 0 &&
		    dbt_render_text_with(p, path, buf_str(&file), file.len,
					 &(struct dbt_text_opts){ .reads = stest_reads, .ud = &t }, &sql, err, sizeof err))
			log_debug("manifest: %s", err);
		free(sql);
		buf_free(&file);
		PUSH(ts->v, ts->n, t);
	}
}

static void stests_free(struct stests *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		free(ts->v[i].name);
		free(ts->v[i].unique_id);
		free(ts->v[i].rel);
		free(ts->v[i].nodes);
		free(ts->v[i].srcs);
	}
	free(ts->v);
}

/* What a test reads: depends_on.nodes, sources first as dbt lists them. */
static void stest_depends(struct buf *b, const struct dbt_project *p, const struct stest *t)
{
	buf_addc(b, '[');
	for (size_t k = 0; k < t->nsrcs + t->nnodes; k++) {
		buf_adds(b, k ? ", " : "");
		if (k < t->nsrcs) {
			char *id = source_id(p, t->srcs[k]);
			json_string(b, id);
			free(id);
		} else {
			json_string(b, p->nodes[t->nodes[k - t->nsrcs]].unique_id);
		}
	}
	buf_addc(b, ']');
}

/* A singular test as dbt writes it among the nodes. */
static void stest_json(struct buf *b, const struct dbt_project *p, const struct stest *t, const char *database,
		       double now)
{
	char *schema = xasprintf("%s_dbt_test__audit", p->target_schema);
	const char *under = dbt_path_below(p->test_paths, p->ntest_paths, t->rel);
	entry_head(b, database, schema, t->name, "test", p->name, under, t->rel, t->unique_id);
	free(schema);
	buf_adds(b, ", \"fqn\": [");
	json_string(b, p->name);
	fqn_folders(b, under);
	buf_adds(b, ", ");
	json_string(b, t->name);
	buf_adds(b, "], \"alias\": ");
	json_string(b, t->name);
	struct buf file = { 0 };
	const char *code;
	size_t len;
	char *path = xasprintf("%s/%s", p->dir, t->rel), sum[65];
	read_stripped(path, &file, &code, &len);
	free(path);
	sha256_hex(code, len, sum);
	buf_printf(b, ", \"checksum\": {\"name\": \"sha256\", \"checksum\": \"%s\"}", sum);
	buf_adds(b, ", \"config\": {\"enabled\": true, \"alias\": null, \"schema\": \"dbt_test__audit\", "
		    "\"database\": null, \"tags\": [], \"meta\": {}, \"group\": null, \"static_analysis\": null, "
		    "\"materialized\": \"test\", \"severity\": \"ERROR\", \"store_failures\": null, "
		    "\"store_failures_as\": null, \"where\": null, \"limit\": null, \"fail_calc\": \"count(*)\", "
		    "\"warn_if\": \"!= 0\", \"error_if\": \"!= 0\"}, \"tags\": [], \"description\": \"\", "
		    "\"columns\": {}, \"meta\": {}, \"group\": null, \"docs\": {\"show\": true, \"node_color\": null}, "
		    "\"patch_path\": null, \"build_path\": null, \"unrendered_config\": {}");
	buf_printf(b, ", \"created_at\": %.6f, \"relation_name\": null, \"raw_code\": ", now);
	json_string_n(b, code, len, 0);
	buf_free(&file);
	buf_adds(b, ", \"doc_blocks\": [], \"language\": \"sql\"");
	refs_json(b, p, t->nodes, t->nnodes, t->srcs, t->nsrcs);
	buf_adds(b, ", \"metrics\": [], \"functions\": [], \"depends_on\": {\"macros\": [], \"nodes\": ");
	stest_depends(b, p, t);
	buf_adds(b, "}, \"compiled_path\": null, \"contract\": {\"enforced\": false, \"alias_types\": true, "
		    "\"checksum\": null}}");
}

/* The ids of the singular tests that read node (source false) or source
 * i, each after a comma or the first. */
static void stest_children(struct buf *b, const struct stests *ts, bool source, size_t i, bool *first)
{
	for (size_t t = 0; t < ts->n; t++) {
		const size_t *v = source ? ts->v[t].srcs : ts->v[t].nodes;
		size_t n = source ? ts->v[t].nsrcs : ts->v[t].nnodes;
		for (size_t k = 0; k < n; k++)
			if (v[k] == i) {
				buf_adds(b, *first ? "" : ", ");
				*first = false;
				json_string(b, ts->v[t].unique_id);
				break;
			}
	}
}

/* parent_map (parents) or child_map: every model, seed and source. */
static void graph_map(struct buf *b, const struct dbt_project *p, const struct stests *ts, bool children)
{
	buf_addc(b, '{');
	bool first = true;
	for (size_t i = 0; i < p->nnodes; i++) {
		const struct dbt_node *n = &p->nodes[i];
		if (!n->cfg.enabled)
			continue;
		buf_adds(b, first ? "\n    " : ",\n    ");
		first = false;
		key(b, n->unique_id);
		buf_addc(b, '[');
		bool f2 = true;
		if (children) {
			for (size_t k = 0; k < n->nchildren; k++) {
				buf_adds(b, f2 ? "" : ", ");
				f2 = false;
				json_string(b, p->nodes[n->children[k]].unique_id);
			}
			stest_children(b, ts, false, i, &f2);
		} else {
			for (size_t k = 0; k < n->nsources; k++) {
				char *id = source_id(p, n->sources[k]);
				buf_adds(b, f2 ? "" : ", ");
				f2 = false;
				json_string(b, id);
				free(id);
			}
			for (size_t k = 0; k < n->nparents; k++) {
				buf_adds(b, f2 ? "" : ", ");
				f2 = false;
				json_string(b, p->nodes[n->parents[k]].unique_id);
			}
		}
		buf_addc(b, ']');
	}
	for (size_t s = 0; s < p->nsources; s++) {
		char *id = source_id(p, s);
		buf_adds(b, first ? "\n    " : ",\n    ");
		first = false;
		key(b, id);
		free(id);
		buf_addc(b, '[');
		bool f2 = true;
		for (size_t i = 0; children && i < p->nnodes; i++) {
			const struct dbt_node *n = &p->nodes[i];
			bool uses = false;
			for (size_t k = 0; k < n->nsources && !uses; k++)
				uses = n->sources[k] == s;
			if (!uses || !n->cfg.enabled)
				continue;
			buf_adds(b, f2 ? "" : ", ");
			f2 = false;
			json_string(b, n->unique_id);
		}
		if (children)
			stest_children(b, ts, true, s, &f2);
		buf_addc(b, ']');
	}
	for (size_t t = 0; t < ts->n; t++) {
		buf_adds(b, first ? "\n    " : ",\n    ");
		first = false;
		key(b, ts->v[t].unique_id);
		if (children)
			buf_adds(b, "[]");
		else
			stest_depends(b, p, &ts->v[t]);
	}
	buf_adds(b, "\n  }");
}

int mr_write_manifest(const struct dbt_project *p, const struct mr_docset *ds, const char *database,
		      char *const *compiled)
{
	struct buf b = { 0 };
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	char when[40];
	mr_iso_now(when, sizeof when);
	buf_printf(&b, "{\n  \"metadata\": {\"dbt_schema_version\": \"https://schemas.getdbt.com/dbt/manifest/v12.json\", "
		       "\"dbt_version\": \"modelrun-%s\", \"generated_at\": \"%s\", \"invocation_id\": null, "
		       "\"invocation_started_at\": \"%s\", \"env\": {}, \"project_name\": ",
		   ELT_VERSION, when, when);
	json_string(&b, p->name);
	buf_adds(&b, ", \"project_id\": null, \"user_id\": null, \"send_anonymous_usage_stats\": false, "
		     "\"adapter_type\": \"postgres\", \"quoting\": {\"database\": true, \"schema\": true, "
		     "\"identifier\": true, \"column\": null}, \"run_started_at\": ");
	json_string(&b, when);
	buf_adds(&b, "},\n  \"nodes\": {");
	bool first = true;
	for (size_t k = 0; k < p->nnodes; k++) {
		size_t i = p->order[k];
		if (!p->nodes[i].cfg.enabled)
			continue;
		buf_adds(&b, first ? "\n    " : ",\n    ");
		first = false;
		key(&b, p->nodes[i].unique_id);
		node_json(&b, p, ds, i, database, compiled ? compiled[i] : NULL, now);
	}
	struct stests st;
	stests_load(p, &st);
	for (size_t t = 0; t < st.n; t++) {
		buf_adds(&b, first ? "\n    " : ",\n    ");
		first = false;
		key(&b, st.v[t].unique_id);
		stest_json(&b, p, &st.v[t], database, now);
	}
	buf_adds(&b, "\n  },\n  \"sources\": {");
	for (size_t i = 0; i < p->nsources; i++) {
		const struct dbt_source *s = &p->sources[i];
		char *id = xasprintf("source.%s.%s.%s", p->name, s->source_name, s->table_name);
		buf_adds(&b, i ? ",\n    " : "\n    ");
		key(&b, id);
		free(id);
		source_json(&b, p, ds, i, database, now);
	}
	buf_adds(&b, "\n  },\n  \"macros\": {");
	macros_json(&b, p, now);
	buf_adds(&b, "\n  },\n  \"docs\": {");
	for (size_t i = 0; i < ds->n; i++) {
		const struct mr_docblock *d = &ds->v[i];
		char *id = xasprintf("doc.%s.%s", p->name, d->name);
		buf_adds(&b, i ? ",\n    " : "\n    ");
		key(&b, id);
		buf_adds(&b, "{\"name\": ");
		json_string(&b, d->name);
		buf_adds(&b, ", \"resource_type\": \"doc\", \"package_name\": ");
		json_string(&b, p->name);
		buf_adds(&b, ", \"path\": ");
		json_string(&b, d->path);
		buf_adds(&b, ", \"original_file_path\": ");
		json_string(&b, d->file);
		buf_adds(&b, ", \"unique_id\": ");
		json_string(&b, id);
		buf_adds(&b, ", \"block_contents\": ");
		json_string(&b, d->text);
		buf_addc(&b, '}');
		free(id);
	}
	buf_adds(&b, "\n  },\n  \"exposures\": {},\n  \"metrics\": {},\n  \"groups\": {},\n  \"selectors\": {},\n"
		     "  \"disabled\": {},\n  \"parent_map\": ");
	graph_map(&b, p, &st, false);
	buf_adds(&b, ",\n  \"child_map\": ");
	graph_map(&b, p, &st, true);
	buf_adds(&b, ",\n  \"group_map\": {},\n  \"saved_queries\": {},\n  \"semantic_models\": {},\n"
		     "  \"unit_tests\": {},\n  \"functions\": {}\n}\n");
	stests_free(&st);
	char *path = xasprintf("%s/target/manifest.json", p->dir);
	int rc = mr_write_text(path, b.data, b.len);
	free(path);
	buf_free(&b);
	return rc;
}
