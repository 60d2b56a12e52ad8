/* SPDX-License-Identifier: MIT
 * The floors for validate's benchmark: parse CSV from stdin, in the strict
 * mode validate uses, and count fields and records. Nothing else.
 *
 *   csvfloor            every byte through libcsv: the floor.
 *   csvfloor --plain    a line with no quote in it, outside a quoted field,
 *                       is split at its commas by memchr and the rest goes
 *                       to libcsv, as validate's and pgload's reader do
 *                       (lib/csvio.c, csvr_split_plain_lines). The floor of
 *                       that way of reading, for reference. */
#include <csv.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static size_t fields, records;
static bool record_ended;

static void on_field(void *s, size_t len, void *data)
{
	(void)s, (void)len, (void)data;
	fields++;
}

static void on_record(int c, void *data)
{
	(void)c, (void)data;
	records++;
	record_ended = true;
}

static int parse(struct csv_parser *p, const char *s, size_t len)
{
	if (csv_parse(p, s, len, on_field, on_record, NULL) == len)
		return 0;
	fprintf(stderr, "csvfloor: %s\n", csv_strerror(csv_error(p)));
	return 1;
}

/* One whole line with its LF: split here when it can only be read one way,
 * else fed to libcsv, which then also gets every line up to the end of the
 * record (a quoted field may hold line ends). */
static int line(struct csv_parser *p, const char *s, size_t len, bool *in_record)
{
	if (!*in_record && len > 1 && !memchr(s, '"', len) && !memchr(s, '\r', len)) {
		const char *end = s + len - 1;
		for (const char *c = s; (c = memchr(c, ',', (size_t)(end - c))) != NULL; c++)
			fields++;
		fields++, records++;
		return 0;
	}
	record_ended = false;
	if (parse(p, s, len))
		return 1;
	*in_record = !record_ended;
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[1 << 18];
	bool plain = argc > 1 && strcmp(argv[1], "--plain") == 0, in_record = false;
	struct csv_parser p;
	csv_init(&p, CSV_STRICT);
	csv_set_blk_size(&p, 65536);
	size_t have = 0;
	ssize_t n;
	while ((n = read(STDIN_FILENO, buf + have, sizeof buf - have)) > 0) {
		if (!plain) {
			if (parse(&p, buf, (size_t)n))
				return 1;
			continue;
		}
		have += (size_t)n;
		char *s = buf, *end = buf + have, *lf;
		while ((lf = memchr(s, '\n', (size_t)(end - s))) != NULL) {
			if (line(&p, s, (size_t)(lf + 1 - s), &in_record))
				return 1;
			s = lf + 1;
		}
		have = (size_t)(end - s);
		if (have == sizeof buf) { /* a line longer than buf: libcsv takes it */
			if (parse(&p, buf, have))
				return 1;
			in_record = true, have = 0;
		} else {
			memmove(buf, s, have);
		}
	}
	if (have && parse(&p, buf, have))
		return 1;
	csv_fini(&p, on_field, on_record, NULL);
	csv_free(&p);
	printf("%zu records, %zu fields\n", records, fields);
	return 0;
}
