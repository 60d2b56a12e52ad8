/* SPDX-License-Identifier: MIT
 * libFuzzer target: the CSV reader (plain and read-ahead) with every field
 * run through the Table Schema cell checks of each type, and written back
 * out. Looks for crashes, sanitizer reports and broken invariants (line
 * numbers never going backwards, raw rows inside the input's size). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csvio.h"
#include "tableschema.h"

static struct ts_schema schema;

static void build_schema(void)
{
	static const char *const types[] = { "string", "integer", "number", "boolean", "date", "datetime", "time", "year" };
	char err[256];
	ts_init_empty(&schema);
	for (int i = 0; i < 8; i++) {
		char name[8];
		snprintf(name, sizeof name, "f%d", i);
		struct ts_field *f = ts_add_field(&schema, name);
		ts_type_parse(types[i], &f->type);
		if (f->type == TS_STRING) {
			ts_set_constraint(f, TSC_PATTERN, "[A-Z]{2}[0-9]*", err, sizeof err);
			ts_set_constraint(f, TSC_MAX_LENGTH, "5", err, sizeof err);
		} else if (f->type != TS_BOOLEAN) {
			const char *lo = f->type == TS_DATE ? "2000-01-01" : f->type == TS_DATETIME ? "2000-01-01T00:00:00Z"
					 : f->type == TS_TIME ? "01:00:00" : "1";
			ts_set_constraint(f, TSC_MINIMUM, lo, err, sizeof err);
		}
	}
}

static void run(const uint8_t *data, size_t size, struct csvr *(*open_reader)(int, const char *, char))
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	struct csvr *r = open_reader(fd, "fuzz", size && data[0] == '\t' ? '\t' : ',');
	int out = open("/dev/null", O_WRONLY);
	struct csvw *w = csvw_open(out, ',');
	const struct csv_record *rec;
	uint64_t last_line = 0;
	char *digits = NULL;
	while ((rec = csvr_next(r))) {
		if (rec->line < last_line || rec->raw_len > size)
			abort();
		last_line = rec->line;
		for (size_t i = 0; i < rec->nfields; i++) {
			const struct csv_field *c = &rec->fields[i];
			utf8_valid(c->data, c->len);
			const struct ts_field *f = &schema.fields[i % schema.nfields];
			digits = realloc(digits, c->len + 2);
			struct ts_value v;
			const char *why;
			enum ts_constraint failed;
			if (utf8_valid(c->data, c->len) && ts_parse(f, c->data, c->len, &v, digits, &why))
				ts_check(f, c->data, c->len, &v, &failed);
		}
		csvw_record(w, rec->fields, rec->nfields);
	}
	free(digits);
	csvw_close(w);
	close(out);
	csvr_close(r);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!schema.nfields)
		build_schema();
	run(data, size, csvr_open);
	run(data, size, csvr_open_threaded);
	return 0;
}
