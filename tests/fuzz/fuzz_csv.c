/* SPDX-License-Identifier: MIT
 * libFuzzer target: the CSV reader with every field run through the Table
 * Schema cell checks of each type, and written back out; then the same
 * input read in parallel chunks (validate/csvpar.c), which must give exactly the
 * same records, as must a reader that splits quote-free lines itself, with
 * or without a small limit on a record's length. Looks
 * for crashes, sanitizer reports and broken invariants
 * (line numbers never going backwards, raw rows inside the input's size). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../validate/csvpar.c"
#include "../helpers/csvdump.h"
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

static void run(int fd, size_t size, char delim)
{
	struct csvr *r = csvr_open(fd, "fuzz", delim);
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
}

/* Chunks of 1 to 16 bytes, on 0 to 2 threads, chosen by the input. */
static void same_in_parallel(int fd, const uint8_t *data, size_t size, char delim)
{
	struct dump plain = { 0 }, parallel = { 0 };
	unsigned pick = size ? data[size - 1] : 0;
	/* Half the time a record limit of 40 bytes, so that records over it
	 * (skipped, and cut across chunks) must read the same everywhere. */
	if (pick / 48 % 2 && setenv("ELT_CSV_MAX_RECORD", "40", 1) != 0)
		abort();
	lseek(fd, 0, SEEK_SET);
	dump_plain(&plain, fd, delim);
	lseek(fd, 0, SEEK_SET);
	dump_parallel(&parallel, fd, delim, 1 + pick % 16, pick / 16 % 3);
	if (plain.len != parallel.len || (plain.len && memcmp(plain.s, parallel.s, plain.len) != 0)) {
		fprintf(stderr, "parallel reading differs:\n%s---\n%s", plain.s, parallel.s);
		abort();
	}
	/* and with quote-free lines split outside libcsv, as pgload reads */
	struct dump split = { 0 };
	lseek(fd, 0, SEEK_SET);
	struct csvr *r = csvr_open(fd, "fuzz", delim);
	csvr_split_plain_lines(r);
	dump_records(&split, r);
	csvr_close(r);
	if (plain.len != split.len || (plain.len && memcmp(plain.s, split.s, plain.len) != 0)) {
		fprintf(stderr, "splitting plain lines differs:\n%s---\n%s", plain.s, split.s);
		abort();
	}
	free(plain.s);
	free(parallel.s);
	free(split.s);
	unsetenv("ELT_CSV_MAX_RECORD");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!schema.nfields)
		build_schema();
	int fd = memfd_create("fuzz", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	char delim = size && data[0] == '\t' ? '\t' : ',';
	run(fd, size, delim);
	same_in_parallel(fd, data, size, delim);
	close(fd);
	return 0;
}
