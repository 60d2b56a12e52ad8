/* SPDX-License-Identifier: MIT
 * Unit tests for Data Packages (lib/datapackage.c), with expectations from
 * the Data Package and Data Resource specs' text:
 *   a path is a POSIX path relative to the descriptor's directory; "/"
 *     (absolute), "../" (a parent) and hidden folders (".x") MUST NOT be
 *     used; URLs are http, https, ftp or ftps (validate reads none);
 *   a resource MUST have a name unique in the package, and a path (one,
 *     or a list) or inline data; v0's "url" counts as "path";
 *   a schema or dialect is an object, or a path to one;
 *   a foreign key's resource names a resource of the same package; left
 *     out, the reference is to the same table. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datapackage.h"
#include "unit.h"

static char dir[64], err[1024];

/* Writes text to dir/name and returns the path (static). */
static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void unsafe_paths(void)
{
	CHECK(dp_unsafe_path("data.csv") == NULL);
	CHECK(dp_unsafe_path("my-data-directory/my-csv.csv") == NULL);
	CHECK(dp_unsafe_path("./data.csv") == NULL);
	CHECK(dp_unsafe_path("a..b.csv") == NULL);
	CHECK(dp_unsafe_path("/etc/passwd") != NULL);
	CHECK(dp_unsafe_path("../secret.csv") != NULL);
	CHECK(dp_unsafe_path("data/../../secret.csv") != NULL);
	CHECK(dp_unsafe_path("data/..") != NULL);
	CHECK(dp_unsafe_path(".hidden/data.csv") != NULL);
	CHECK(dp_unsafe_path("data/.git/config") != NULL);
	CHECK(dp_unsafe_path("~/data.csv") != NULL);
	CHECK(dp_unsafe_path("http://example.com/solar-system.csv") != NULL);
	CHECK(dp_unsafe_path("") != NULL);
}

static void loads(void)
{
	mkdir(strcat(strcpy(err, dir), "/data"), 0755);
	write_file("s.json", "{\"fields\": [{\"name\": \"code\"}]}");
	const char *path = write_file("datapackage.json",
		"{\"name\": \"p\", \"resources\": [\n"
		" {\"name\": \"codes\", \"path\": \"data/codes.csv\", \"schema\": \"s.json\"},\n"
		" {\"name\": \"pop\", \"url\": [\"data/a.csv\", \"data/b.csv\"], \"encoding\": \"utf-8\",\n"
		"  \"dialect\": {\"delimiter\": \";\"},\n"
		"  \"schema\": {\"fields\": [{\"name\": \"code\"}, {\"name\": \"up\"}],\n"
		"   \"foreignKeys\": [{\"fields\": \"code\", \"reference\": {\"resource\": \"codes\", \"fields\": \"code\"}},\n"
		"                   {\"fields\": \"up\", \"reference\": {\"fields\": \"code\"}}]}}]}\n");
	struct dp_package p;
	CHECK(dp_load(&p, path, err, sizeof err) == 0);
	if (err[0] && p.nresources != 2)
		printf("#   %s\n", err);
	const struct dp_resource *codes = dp_find(&p, "codes"), *pop = dp_find(&p, "pop");
	CHECK(codes && pop && !dp_find(&p, "nope"));
	if (codes && pop) {
		char want[256];
		snprintf(want, sizeof want, "%s/data/codes.csv", dir);
		CHECK(codes->npaths == 1 && !strcmp(codes->paths[0], want));
		CHECK(codes->has_schema && codes->schema.nfields == 1 && !codes->has_dialect && !codes->encoding &&
		      codes->dialect.delimiter == ',' && codes->dialect.header);
		snprintf(want, sizeof want, "%s/data/b.csv", dir);
		CHECK(pop->npaths == 2 && !strcmp(pop->paths[1], want));
		CHECK(pop->encoding && !strcmp(pop->encoding, "utf-8"));
		CHECK(pop->has_dialect && pop->dialect.delimiter == ';' && pop->dialect.quote_char == '"' &&
		      pop->dialect.double_quote && pop->dialect.header && pop->dialect.header_row == 1);
		CHECK(pop->schema.n_foreign_keys == 2 && !strcmp(pop->schema.foreign_keys[0].resource, "codes") &&
		      !pop->schema.foreign_keys[0].path && !pop->schema.foreign_keys[1].resource);
	}
	dp_free(&p);
}

static void load_errors(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "{\"resources\": []}", ":1: \"resources\" must be a non-empty list" },
		{ "{\"resources\": [{\"path\": \"a.csv\"}]}", ":1: a resource without a \"name\"" },
		{ "{\"resources\": [{\"name\": \"a\", \"path\": \"a.csv\"},\n {\"name\": \"a\", \"path\": \"b.csv\"}]}",
		  ":2: resource \"a\" is declared twice" },
		{ "{\"resources\": [{\"name\": \"a\"}]}", ":1: resource \"a\" has no \"path\"" },
		{ "{\"resources\": [{\"name\": \"a\",\n \"data\": [[1]]}]}",
		  ":2: resource \"a\": inline \"data\" is not supported: give the data as a file with \"path\"" },
		{ "{\"resources\": [{\"name\": \"a\",\n \"path\": \"../a.csv\"}]}",
		  ":2: resource \"a\": path \"../a.csv\" has a \"..\" part: a package's paths must stay inside its "
		  "directory" },
		{ "{\"resources\": [{\"name\": \"a\", \"path\": [\"a.csv\",\n \"/etc/passwd\"]}]}",
		  ":2: resource \"a\": path \"/etc/passwd\" is absolute: a package's paths must stay inside its directory" },
		{ "{\"resources\": [{\"name\": \"a\", \"path\": \"https://example.com/a.csv\"}]}",
		  ":1: resource \"a\": path \"https://example.com/a.csv\" is a URL: only local files are read" },
		{ "{\"resources\": [{\"name\": \"a\", \"path\": \"a.csv\",\n \"schema\": \"../s.json\"}]}",
		  ":2: resource \"a\": schema \"../s.json\" has a \"..\" part: a package's paths must stay inside its "
		  "directory" },
		{ "{\"resources\": [{\"name\": \"a\", \"path\": \"a.xlsx\",\n \"format\": \"xlsx\"}]}",
		  ":2: resource \"a\": format \"xlsx\" is not supported (csv only)" },
		{ "{\"resources\": [{\"name\": \"a\", \"path\": \"a.csv\", \"schema\": {\"fields\": [{\"name\": \"x\"}],\n"
		  " \"foreignKeys\": [{\"fields\": \"x\", \"reference\": {\"resource\": \"b\", \"fields\": \"y\"}}]}}]}",
		  ": resource \"a\": a foreign key refers to \"b\", which is no resource of the package" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *path = write_file("bad.json", cases[i].text);
		struct dp_package p;
		err[0] = '\0';
		CHECK(dp_load(&p, path, err, sizeof err) == -1);
		size_t pl = strlen(path);
		if (strncmp(err, path, pl) != 0 || strcmp(err + pl, cases[i].want) != 0) {
			printf("#   case %zu: got \"%s\"\n#   want \"%s%s\"\n", i, err, path, cases[i].want);
			CHECK(!"message");
		}
		dp_free(&p);
	}
}

/* A resource's dialect is read over the defaults, inline or from its own
 * file; what the dialect reader refuses names the package's file and line. */
static void dialects(void)
{
	write_file("d.json", "{\"delimiter\": \"|\", \"header\": false, \"commentChar\": \"#\"}");
	const char *path = write_file("datapackage.json",
		"{\"resources\": [\n"
		" {\"name\": \"a\", \"path\": \"a.csv\", \"dialect\": \"d.json\"},\n"
		" {\"name\": \"b\", \"path\": \"b.csv\",\n"
		"  \"dialect\": {\"quoteChar\": \"'\", \"doubleQuote\": false, \"escapeChar\": \"\\\\\",\n"
		"              \"skipInitialSpace\": true, \"headerRows\": [3]}}]}\n");
	struct dp_package p;
	CHECK(dp_load(&p, path, err, sizeof err) == 0);
	const struct dp_resource *a = dp_find(&p, "a"), *b = dp_find(&p, "b");
	CHECK(a && a->has_dialect && a->dialect.delimiter == '|' && !a->dialect.header && a->dialect.comment_char == '#' &&
	      a->dialect.quote_char == '"');
	CHECK(b && b->has_dialect && b->dialect.delimiter == ',' && b->dialect.quote_char == '\'' &&
	      !b->dialect.double_quote && b->dialect.escape_char == '\\' && b->dialect.skip_initial_space &&
	      b->dialect.header && b->dialect.header_row == 3);
	dp_free(&p);

	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "{\"resources\": [{\"name\": \"a\", \"path\": \"a.csv\",\n \"dialect\": {\"delimiter\": \";;\"}}]}",
		  ":2: dialect: \"delimiter\" must be one character, not \";;\" (longer ones are not supported)" },
		{ "{\"resources\": [{\"name\": \"a\", \"path\": \"a.csv\",\n \"dialect\": {\"delimiter\": \"\\\"\"}}]}",
		  ":2: dialect: the delimiter and the quote character are both '\"'" },
		{ "{\"resources\": [{\"name\": \"a\", \"path\": \"a.csv\",\n \"dialect\": \"../d.json\"}]}",
		  ":2: resource \"a\": dialect \"../d.json\" has a \"..\" part: a package's paths must stay inside its "
		  "directory" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		path = write_file("bad.json", cases[i].text);
		err[0] = '\0';
		CHECK(dp_load(&p, path, err, sizeof err) == -1);
		size_t pl = strlen(path);
		if (strncmp(err, path, pl) != 0 || strcmp(err + pl, cases[i].want) != 0) {
			printf("#   dialect case %zu: got \"%s\"\n#   want \"%s%s\"\n", i, err, path, cases[i].want);
			CHECK(!"message");
		}
		dp_free(&p);
	}
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_datapackage_%ld", (long)getpid());
	mkdir(dir, 0755);
	RUN(unsafe_paths);
	RUN(loads);
	RUN(load_errors);
	RUN(dialects);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return UNIT_END();
}
