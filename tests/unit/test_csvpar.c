/* SPDX-License-Identifier: MIT
 * Unit tests for parallel reading (validate/csvpar.c): whatever the chunk size
 * and the number of threads, the records, line numbers, raw rows and errors
 * must be exactly those of one plain reader, malformed input included. */
/* First: it asks for _GNU_SOURCE before any system header. */
#include "../../validate/csvpar.c"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "../helpers/csvdump.h"
#include "unit.h"

/* A fd reading the given bytes, through a temporary file. */
static int fd_on(const char *data, size_t len)
{
	FILE *f = tmpfile();
	if (!f || fwrite(data, 1, len, f) != len || fflush(f) != 0) {
		perror("tmpfile");
		exit(1);
	}
	int fd = dup(fileno(f));
	fclose(f);
	return fd;
}

/* Compares csvpar with a plain reader on data, for the chunk sizes (0
 * ends the list) and thread counts up to max_threads given; reports the
 * first difference. */
static void same_with_dialect(const char *data, size_t len, const struct csv_dialect *d, const size_t *chunks,
			      unsigned max_threads)
{
	struct dump want = { 0 };
	int fd = fd_on(data, len);
	lseek(fd, 0, SEEK_SET);
	dump_plain_dialect(&want, fd, d->delimiter, d);
	for (size_t c = 0; c == 0 || chunks[c - 1]; c++)
		for (unsigned threads = 0; threads <= max_threads; threads++) {
			struct dump got = { 0 };
			lseek(fd, 0, SEEK_SET);
			dump_parallel_dialect(&got, fd, d->delimiter, chunks[c], threads, d);
			if (got.len != want.len || (want.len && memcmp(got.s, want.s, want.len) != 0)) {
				printf("# input:");
				for (size_t i = 0; i < len; i++)
					printf(" %02x", (unsigned char)data[i]);
				printf("\n# chunk %zu, %u threads: got\n%s# want\n%s", chunks[c], threads, got.s ? got.s : "",
				       want.s ? want.s : "");
				unit_case_failed = 1;
				free(got.s);
				goto out;
			}
			free(got.s);
		}
out:
	free(want.s);
	close(fd);
}

static void same_with(const char *data, size_t len, char delim, const size_t *chunks, unsigned max_threads)
{
	struct csv_dialect d;
	csv_dialect_init(&d, delim);
	same_with_dialect(data, len, &d, chunks, max_threads);
}

/* Every chunk size that matters for short inputs, up to three threads. */
static void same_as_plain(const char *data, size_t len, char delim)
{
	static const size_t chunks[] = { 1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, 1000, 0 };
	same_with(data, len, delim, chunks, 3);
}

#define SAME(s) same_as_plain((s), sizeof(s) - 1, ',')

static void well_formed_rows(void)
{
	SAME("a,b\n1,2\n3,4\n5,6\n");
	SAME("a,b\n1,2\n3,4"); /* no final newline */
	SAME("a,b\r\n1,2\r\n\r\n3,4\r\n");
	SAME("\xEF\xBB\xBF" "a,b\n1,2\n");
	SAME("a\n\n\n1\n\n");
	SAME("a, b ,c\n 1 ,\t2, 3\n");
	SAME("a,b\n0123456789abcdefghij,klmnopqrstuvwxyz \n0123456789abcdefghij,k\tlmnopqrstuvwxyz\n");
}

static void quoted_fields_across_lines(void)
{
	SAME("a,b\n1,\"x\ny\nz\"\n2,\"\"\"q\"\"\"\n3,\"a,b\"\n");
	SAME("k,v\n1,\"one\ntwo\"\n2,\"three\r\nfour\"\n3,\"\"\n4,\n");
}

static void malformed_input(void)
{
	SAME("a,b\n1,x\"y\n2,3\n4,5\n");                /* stray quote */
	SAME("a,b\n1,\"open\n2,3\n4,5\n");               /* unterminated, resynchronises */
	SAME("a,b\n1,\"x\"y\n2,\"3\n\"\n4,5\n");         /* after the closing quote */
	SAME("a,b\n1,\"never closed\n2,3\n");           /* at the very end */
	SAME("a,\"b\n1,2\n3,4\n");                      /* in the header */
	SAME("a,b\n\"1\"\"\n2,3\n\"\n4,5\n");
	SAME("a,b\r1,2\r3,4\r");                        /* lone CRs */
	SAME("a,b\n1,2\r3,4\n5,\"x\ry\"\n");
	SAME("a,b\n1,2\r3,4,5\r6,7\n8,9\n1,2\r\r\n3,4\n");  /* lone CRs end lines too */
	SAME("a\r\"x\ry\"\r\n1\r2,\"open\r3\n4\r");
	same_as_plain("a,b\n1,\0x\n2,3\n", 14, ',');     /* NUL */
	SAME("\"\n\"\n\"\n\"\n");
	/* Quotes balance at a line end the reader is not at a record's end:
	 * the stray quote is rejected on its own, so the next quote opens a
	 * field that runs on past the cut. */
	SAME("a,b\n1,x\"y\n2,\"open\n3,4\n5,6\n7,8\n");
	SAME("a,b\n1,x\"y\n2,\"open\n3,4\n5,\"6\n7,8\"\n9,0\n");
}

/* Short random inputs over the bytes that matter to CSV. */
static void random_inputs(void)
{
	static const char alphabet[] = "a,\"\n\r \"\n";
	unsigned seed = 12345;
	for (int i = 0; i < 3000 && !unit_case_failed; i++) {
		char buf[48];
		size_t len = (size_t)(rand_r(&seed) % 40);
		for (size_t j = 0; j < len; j++)
			buf[j] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
		static const size_t chunks[] = { 1, 3, 7, 64, 0 }; /* fewer: thousands of inputs */
		same_with(buf, len, ',', chunks, 2);
	}
}

static void tab_separated(void)
{
	same_as_plain("a\tb\n1\t 2 \n\"x\ty\"\t3\n", 19, '\t');
}

static void empty_input(void)
{
	SAME("");
	SAME("\xEF\xBB\xBF");
	SAME("\n");
}

/* Many chunks of the default size, on threads: same records as one reader. */
static void a_long_input(void)
{
	size_t n = 0, cap = 2 * 1024 * 1024;
	char *buf = malloc(cap + 4096);
	n += (size_t)sprintf(buf, "k,v\n");
	for (int row = 0; n < cap; row++)
		n += (size_t)sprintf(buf + n, row % 1000 == 7 ? "%d,\"x\"y\n" : row % 3 ? "%d,\"line one\nline two\"\n" : "%d,plain\n", row);
	struct dump want = { 0 }, got = { 0 };
	int fd = fd_on(buf, n);
	lseek(fd, 0, SEEK_SET);
	dump_plain(&want, fd, ',');
	lseek(fd, 0, SEEK_SET);
	dump_parallel(&got, fd, ',', 0, 2);
	CHECK(got.len == want.len && memcmp(got.s, want.s, want.len) == 0);
	free(want.s);
	free(got.s);
	free(buf);
	close(fd);
}

static void no_header(void *ctx, const struct csv_record *rec)
{
	(void)ctx, (void)rec;
}

static void note_chunk(void *ctx, void *result, uint64_t bytes)
{
	(void)result;
	uint64_t *seen = ctx; /* input so far, the largest chunk */
	if (bytes - seen[0] > seen[1])
		seen[1] = bytes - seen[0];
	seen[0] = bytes;
}

/* A quote that never closes leaves no quote-balanced line end after it;
 * chunks are cut at line ends all the same, and the records stay those
 * of one reader. */
static void stray_quote_keeps_chunks_small(void)
{
	size_t n = 0, cap = 512 * 1024;
	char *buf = malloc(cap + 64);
	n += (size_t)sprintf(buf, "k,v\n1,\"open\n");
	for (int row = 2; n < cap; row++)
		n += (size_t)sprintf(buf + n, "%d,plain\n", row);
	static const size_t chunks[] = { 1000, 4096, 0 };
	same_with(buf, n, ',', chunks, 2);
	int fd = fd_on(buf, n);
	lseek(fd, 0, SEEK_SET);
	uint64_t seen[2] = { 0, 0 };
	const struct csvpar_opts o = { .name = "t", .delim = ',', .threads = 2, .chunk_bytes = 4096 };
	const struct csvpar_ops ops = {
		.ctx = seen,
		.header = no_header,
		.result_new = dump_new,
		.result_clear = dump_clear,
		.result_free = dump_free,
		.work = dump_work,
		.deliver = note_chunk,
	};
	char err[256];
	CHECK(csvpar_run(fd, &o, &ops, err, sizeof err));
	CHECK(seen[0] == n && seen[1] <= 8 * 4096);
	close(fd);
	free(buf);
}

/* A line of many chunks' worth, or a file of CR line ends, has no LF to
 * cut at: chunks are cut inside the line and stay small, and the records
 * are still those of a plain reader, with the limit on a record's length
 * or without it. */
static void no_line_feed_keeps_chunks_small(void)
{
	size_t n = 0, cap = 256 * 1024;
	char *buf = malloc(cap + 64);
	n += (size_t)sprintf(buf, "k,v\r\n1,");
	memset(buf + n, 'x', cap - n);
	n = cap;
	n += (size_t)sprintf(buf + n, "\r\n2,y\r\n");
	static const size_t chunks[] = { 1000, 4096, 0 };
	for (int limit = 0; limit <= 1; limit++) {
		if (limit)
			setenv("ELT_CSV_MAX_RECORD", "5000", 1);
		same_with(buf, n, ',', chunks, 2);
		for (size_t i = 0; i < n; i++) /* the same with CR line ends */
			if (buf[i] == '\n')
				buf[i] = '\r', memmove(buf + i - 1, buf + i, n - i), n--;
		same_with(buf, n, ',', chunks, 2);
		int fd = fd_on(buf, n);
		lseek(fd, 0, SEEK_SET);
		uint64_t seen[2] = { 0, 0 };
		const struct csvpar_opts o = { .name = "t", .delim = ',', .threads = 2, .chunk_bytes = 4096 };
		const struct csvpar_ops ops = {
			.ctx = seen,
			.header = no_header,
			.result_new = dump_new,
			.result_clear = dump_clear,
			.result_free = dump_free,
			.work = dump_work,
			.deliver = note_chunk,
		};
		char err[256];
		CHECK(csvpar_run(fd, &o, &ops, err, sizeof err));
		CHECK(seen[0] == n && seen[1] <= 4 * 4096);
		close(fd);
		/* back to CRLF for the next round */
		n = 0;
		n += (size_t)sprintf(buf, "k,v\r\n1,");
		memset(buf + n, 'x', cap - n);
		n = cap;
		n += (size_t)sprintf(buf + n, "\r\n2,y\r\n");
	}
	unsetenv("ELT_CSV_MAX_RECORD");
	free(buf);
}

/* With a small limit on a record's length, records that reach it (on their
 * first line or past it, with a parse error before the limit or not, with
 * CRLF or lone CR line ends right at it) read the same whatever the chunks. */
static void records_over_a_limit_read_the_same_in_chunks(void)
{
	static const char *const inputs[] = {
		"a,b\n1,\"0123456789012345678901234567890123456789\"x\n2,3\n",
		"a,b\n1,\"x\"y012345678901234567890123456789012345678\n2,3\n",
		"a,b\n1,\"open\n0,XX22\na,b\n.66,162.66ab,bcd1,42\r10:3:11\n3,4\n",
		"a,b\n1,\"open\n2,\"x\"y,0123456789012345678901234567890\n3,4\n",
		"a\r\n0123456789012345678901234567890123456789\r\n01234567890123456789012345678901234567890\r\nz\r\n",
		"a\r0123456789012345678901234567890123456789\r01234567890123456789012345678901234567890\rz\r",
		"a\n\"0123456789\r\n0123456789\r\n0123456789\r\n012345\"\nz\n",
	};
	setenv("ELT_CSV_MAX_RECORD", "40", 1);
	for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++)
		same_as_plain(inputs[i], strlen(inputs[i]), ',');
	unsetenv("ELT_CSV_MAX_RECORD");
}

static void read_error_is_reported(void)
{
	struct dump got = { 0 };
	dump_parallel(&got, 1000, ',', 0, 2); /* not open */
	CHECK(got.s && strstr(got.s, "error: read error: Bad file descriptor"));
	free(got.s);
}

/* Rows written slowly into a pipe come out before the writer is done. */
static void rows_flow_from_a_pipe(void)
{
	int fds[2];
	CHECK(pipe(fds) == 0);
	CHECK(write(fds[1], "a\n1\n2\n", 6) == 6);
	pid_t child = fork();
	if (child == 0) {
		usleep(200 * 1000);
		if (write(fds[1], "3\n", 2) != 2)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	struct dump got = { 0 };
	dump_parallel(&got, fds[0], ',', 0, 2);
	CHECK(got.s && strstr(got.s, "line 4 fields 1: 1[3]"));
	free(got.s);
	close(fds[0]);
}

/* ---- dialects: the same records in chunks as from one reader ---- */

static const size_t some_chunks[] = { 1, 2, 3, 5, 8, 13, 64, 1000, 0 };

#define SAME_D(d, s) same_with_dialect((s), sizeof(s) - 1, (d), some_chunks, 3)

/* Whether one reader's dump of an input in a dialect (as dump_record
 * writes it) holds want, so that a test can say what the spec's text asks. */
static void reads_as(const struct csv_dialect *d, const char *in, const char *want)
{
	struct dump got = { 0 };
	int fd = fd_on(in, strlen(in));
	lseek(fd, 0, SEEK_SET);
	dump_plain_dialect(&got, fd, d->delimiter, d);
	close(fd);
	if (!got.s || !strstr(got.s, want)) {
		printf("#   input \"%s\": want \"%s\" in\n%s", in, want, got.s ? got.s : "");
		unit_case_failed = 1;
	}
	free(got.s);
}

static void dialect_semicolon_and_quote_char(void)
{
	struct csv_dialect d;
	csv_dialect_init(&d, ';');
	d.quote_char = '\'';
	reads_as(&d, "id;name\n1;'apple;fruits'\n", "fields 2: 1[1] 12[apple;fruits]");
	reads_as(&d, "a;b\n1;'it''s'\n", "4[it's]");
	reads_as(&d, "a;b\n1;x\"y\n", "3[x\"y]"); /* a double quote is an ordinary byte */
	SAME_D(&d, "a;b\n1;'x\ny'\n2;'''q'''\n3;x'y\n4;'open\n5;6\n");
	SAME_D(&d, "a;b\n1;\"x\n2;\"\n3;'a\n'\n");
}

static void dialect_escape_char(void)
{
	struct csv_dialect d;
	csv_dialect_init(&d, ',');
	d.escape_char = '|';
	/* the spec's example: 1,apple|,fruits reads apple,fruits */
	reads_as(&d, "id,name\n1,apple|,fruits\n", "fields 2: 1[1] 12[apple,fruits]");
	d.escape_char = '\\';
	reads_as(&d, "a,b\n1,\"say \\\"hi\\\"\"\n", "8[say \"hi\"]");
	reads_as(&d, "a,b\n1,x\\\ny\n", "line 2 fields 2: 1[1] 3[x\ny]"); /* an escaped line end */
	reads_as(&d, "a,b\n1,\\\\\n", "1[\\]");
	SAME_D(&d, "a,b\n1,x\\\ny\n2,\"q\\\"\n\"\n3,\\\"\n4,\"\\\\\"\n5,\"open\\\"\n6,7\n");
}

static void dialect_double_quote_false(void)
{
	struct csv_dialect d;
	csv_dialect_init(&d, ',');
	d.double_quote = false;
	reads_as(&d, "a,b\n1,\"x\"\"y\"\n", "quote character after the closing quote");
	reads_as(&d, "a,b\n1,\"x,y\"\n", "3[x,y]");
	d.escape_char = '\\';
	reads_as(&d, "a,b\n1,\"x\\\"y\"\n", "3[x\"y]");
	SAME_D(&d, "a,b\n1,\"x\"\"y\"\n2,\"\\\"\n\"\n3,4\n");
}

static void dialect_skip_initial_space(void)
{
	struct csv_dialect d;
	csv_dialect_init(&d, ',');
	d.skip_initial_space = true;
	/* the spec's example: "id, name" / "1, apple" */
	reads_as(&d, "id, name\n1, apple\n", "line 2 fields 2: 1[1] 5[apple]");
	reads_as(&d, "a,b\n1,  \"x, y\"\n", "4[x, y]");
	reads_as(&d, "a,b\n1, \n", "line 2 fields 2: 1[1] null0[]");
	reads_as(&d, "a,b\n1,x \n", "2[x ]"); /* only before a field */
	SAME_D(&d, "a, b\n 1,\t2\n  \n3, \"x\n y\"\n4,  \"q\"z\n");
}

static void dialect_comment_lines(void)
{
	struct csv_dialect d;
	csv_dialect_init(&d, ',');
	d.comment_char = '#';
	/* the spec's example: a #fruits line between the rows is no row */
	reads_as(&d, "id,name\n#fruits\n1,apple\n", "line 3 fields 2: 1[1] 5[apple]");
	reads_as(&d, "a,b\n1,\"x\n#y\"\n", "4[x\n#y]"); /* inside quotes: data */
	reads_as(&d, "a,b\n1,#x\n", "2[#x]");             /* not at a line start */
	SAME_D(&d, "#c \"\na,b\n#it's \"odd\n1,2\n# x\n3,\"#\n\"\n#\n4,5\n");
	SAME_D(&d, "a,b\r#x\"\r1,2\r#y\r\n3,4\r\n");
	d.escape_char = '\\';
	SAME_D(&d, "a,b\n#\\\n1,x\\\n#y\n2,3\n");
}

static void dialect_header_row(void)
{
	struct csv_dialect d;
	csv_dialect_init(&d, ',');
	d.header_row = 3;
	reads_as(&d, "title \"x\nmore\nid,name\n1,apple\n", "kind 0 line 3 fields 2: 2[id] 4[name]");
	SAME_D(&d, "title \"x\nmore\nid,name\n1,apple\n2,\"b\nc\"\n");
	SAME_D(&d, "1\r2\r\na,b\n3,4\n");
	SAME_D(&d, "only\n");
}

/* Random short inputs over each dialect's special bytes: the records of
 * one reader, whatever the chunks. */
static void dialect_random_inputs(void)
{
	static const char alphabet[] = "a;'\"\n\r #\\\n,";
	struct csv_dialect dialects[4];
	for (int i = 0; i < 4; i++)
		csv_dialect_init(&dialects[i], ';');
	dialects[0].quote_char = '\'';
	dialects[1].escape_char = '\\', dialects[1].comment_char = '#';
	dialects[2].double_quote = false, dialects[2].skip_initial_space = true, dialects[2].header_row = 2;
	dialects[3].quote_char = '\'', dialects[3].escape_char = '\\', dialects[3].double_quote = false;
	dialects[3].comment_char = '#', dialects[3].skip_initial_space = true;
	unsigned seed = 777;
	for (int i = 0; i < 2000 && !unit_case_failed; i++) {
		char buf[48];
		size_t len = (size_t)(rand_r(&seed) % 40);
		for (size_t j = 0; j < len; j++)
			buf[j] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
		static const size_t chunks[] = { 1, 3, 7, 64, 0 };
		same_with_dialect(buf, len, &dialects[i % 4], chunks, 2);
	}
}

/* A dialect's long input on threads, with the default chunk size. */
static void dialect_long_input(void)
{
	struct csv_dialect d;
	csv_dialect_init(&d, ';');
	d.escape_char = '\\', d.comment_char = '#', d.quote_char = '\'', d.skip_initial_space = true;
	size_t n = 0, cap = 2 * 1024 * 1024;
	char *buf = malloc(cap + 4096);
	n += (size_t)sprintf(buf, "k; v\n");
	for (int row = 0; n < cap; row++) {
		if (row % 997 == 5)
			n += (size_t)sprintf(buf + n, "# it's a comment\n");
		else if (row % 3)
			n += (size_t)sprintf(buf + n, "%d; 'line one\nline two'\n", row);
		else if (row % 5)
			n += (size_t)sprintf(buf + n, "%d; a\\;b\\\nc\n", row);
		else
			n += (size_t)sprintf(buf + n, "%d; x'y\n", row);
	}
	static const size_t chunks[] = { 0, 0 };
	same_with_dialect(buf, n, &d, chunks, 2);
	free(buf);
}

int main(void)
{
	RUN(well_formed_rows);
	RUN(quoted_fields_across_lines);
	RUN(malformed_input);
	RUN(random_inputs);
	RUN(tab_separated);
	RUN(empty_input);
	RUN(a_long_input);
	RUN(stray_quote_keeps_chunks_small);
	RUN(no_line_feed_keeps_chunks_small);
	RUN(records_over_a_limit_read_the_same_in_chunks);
	RUN(read_error_is_reported);
	RUN(rows_flow_from_a_pipe);
	RUN(dialect_semicolon_and_quote_char);
	RUN(dialect_escape_char);
	RUN(dialect_double_quote_false);
	RUN(dialect_skip_initial_space);
	RUN(dialect_comment_lines);
	RUN(dialect_header_row);
	RUN(dialect_random_inputs);
	RUN(dialect_long_input);
	return UNIT_END();
}
