/* SPDX-License-Identifier: MIT
 * The floor for validate's benchmark: parse CSV from stdin with libcsv, in
 * the strict mode validate uses, and count fields and records. Nothing else. */
#include <csv.h>
#include <stdio.h>
#include <unistd.h>

static size_t fields, records;

static void on_field(void *s, size_t len, void *data)
{
	(void)s, (void)len, (void)data;
	fields++;
}

static void on_record(int c, void *data)
{
	(void)c, (void)data;
	records++;
}

int main(void)
{
	static char buf[1 << 18];
	struct csv_parser p;
	csv_init(&p, CSV_STRICT);
	csv_set_blk_size(&p, 65536);
	ssize_t n;
	while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0)
		if (csv_parse(&p, buf, (size_t)n, on_field, on_record, NULL) != (size_t)n) {
			fprintf(stderr, "csvfloor: %s\n", csv_strerror(csv_error(&p)));
			return 1;
		}
	csv_fini(&p, on_field, on_record, NULL);
	csv_free(&p);
	printf("%zu records, %zu fields\n", records, fields);
	return 0;
}
