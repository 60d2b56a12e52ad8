/* SPDX-License-Identifier: MIT
 * libFuzzer target: the dbt project reader (lib/dbtproject.c) on arbitrary
 * dbt_project.yml or models/schema.yml text (the first byte chooses),
 * in a small project of two models, then every model rendered. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbtproject.h"
#include "log.h"

static char dir[64];

static void write_file(const char *name, const void *data, size_t size)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
}

static const char project[] = "name: fuzz\nmodel-paths: [models]\nmodels:\n  fuzz:\n    +materialized: view\n";
static const char schema[] = "version: 2\nsources:\n  - name: raw\n    tables: [{name: sales}]\n"
			     "models:\n  - name: a\n    columns:\n      - name: id\n        tests: [not_null, unique]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_level = LOG_QUIET;
	if (!dir[0]) {
		strcpy(dir, "/tmp/fuzz-dbt.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		char models[96];
		snprintf(models, sizeof models, "%s/models", dir);
		mkdir(models, 0755);
		write_file("models/a.sql", "select 1 as id from {{ source('raw', 'sales') }}", 48);
		write_file("models/b.sql", "{{ config(materialized='table') }} select * from {{ ref('a') }}", 64);
	}
	bool as_project = size && (data[0] & 1);
	const uint8_t *body = size ? data + 1 : data;
	size_t len = size ? size - 1 : 0;
	write_file("dbt_project.yml", as_project ? (const void *)body : project, as_project ? len : strlen(project));
	write_file("models/schema.yml", as_project ? (const void *)schema : body, as_project ? strlen(schema) : len);
	struct dbt_project p;
	struct dbt_options o = { .dir = dir };
	char err[1024];
	if (dbt_project_load(&p, &o, err, sizeof err) == 0) {
		for (size_t i = 0; i < p.nnodes; i++) {
			char *sql = NULL;
			struct dbt_render_opts ro = { 0 };
			if (p.nodes[i].kind == DBT_MODEL && dbt_render(&p, i, &ro, &sql, err, sizeof err) == 0)
				free(sql);
		}
	}
	dbt_project_free(&p); /* also after a failed load, as modelrun does */
	return 0;
}
