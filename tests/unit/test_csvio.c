/* SPDX-License-Identifier: MIT
 * Unit tests for the CSV reader and writer (lib/csvio.c): line numbers, raw
 * rows, recovery after malformed records, and quoting on the way out. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "../helpers/csvdump.h"
#include "csvio.h"
#include "unit.h"

static int reader_fd = -1; /* the open reader's, one at a time */

/* A reader over the given bytes, through a temporary file. */
static struct csvr *reader_on(const char *data, size_t len, char delim)
{
	FILE *f = tmpfile();
	if (!f || fwrite(data, 1, len, f) != len || fflush(f) != 0) {
		perror("tmpfile");
		exit(1);
	}
	reader_fd = dup(fileno(f));
	fclose(f);
	lseek(reader_fd, 0, SEEK_SET);
	return csvr_open(reader_fd, "test", delim);
}

static void reader_done(struct csvr *r)
{
	csvr_close(r);
	close(reader_fd);
	reader_fd = -1;
}

#define OPEN(s) reader_on((s), sizeof(s) - 1, ',')

static void simple_rows_and_line_numbers(void)
{
	struct csvr *r = OPEN("a,b\n1,2\n3,4\n");
	const struct csv_record *rec = csvr_next(r);
	CHECK(rec && rec->kind == CSVR_ROW && rec->line == 1 && rec->nfields == 2);
	CHECK_STR(rec->fields[1].data, rec->fields[1].len, "b");
	rec = csvr_next(r);
	CHECK(rec && rec->line == 2);
	CHECK_STR(rec->raw, rec->raw_len, "1,2");
	rec = csvr_next(r);
	CHECK(rec && rec->line == 3);
	CHECK(csvr_next(r) == NULL && csvr_error(r) == NULL);
	reader_done(r);
}

static void quoted_newlines_count_as_lines(void)
{
	struct csvr *r = OPEN("h1,h2\n\"x\ny\",\"p\"\"q\"\nlast,row\n");
	csvr_next(r);
	const struct csv_record *rec = csvr_next(r);
	CHECK(rec && rec->line == 2 && rec->nfields == 2);
	CHECK_STR(rec->fields[0].data, rec->fields[0].len, "x\ny");
	CHECK_STR(rec->fields[1].data, rec->fields[1].len, "p\"q");
	CHECK_STR(rec->raw, rec->raw_len, "\"x\ny\",\"p\"\"q\"");
	rec = csvr_next(r);
	CHECK(rec && rec->line == 4);
	reader_done(r);
}

static void crlf_bom_and_spaces(void)
{
	struct csvr *r = OPEN("\xEF\xBB\xBF\"id\", v \r\n1,  two\t\r\n");
	const struct csv_record *rec = csvr_next(r);
	CHECK(rec && rec->nfields == 2);
	CHECK_STR(rec->fields[0].data, rec->fields[0].len, "id");
	CHECK_STR(rec->fields[1].data, rec->fields[1].len, " v ");
	rec = csvr_next(r);
	CHECK(rec && rec->line == 2 && rec->kind == CSVR_ROW);
	CHECK_STR(rec->fields[1].data, rec->fields[1].len, "  two\t");
	CHECK_STR(rec->raw, rec->raw_len, "1,  two\t");
	CHECK(csvr_next(r) == NULL);
	reader_done(r);
}

static void blank_lines_are_reported(void)
{
	struct csvr *r = OPEN("a\n\n1\r\n\r\n2");
	const struct csv_record *rec;
	CHECK((rec = csvr_next(r)) && rec->line == 1 && rec->kind == CSVR_ROW);
	CHECK((rec = csvr_next(r)) && rec->line == 2 && rec->kind == CSVR_BLANK);
	CHECK((rec = csvr_next(r)) && rec->line == 3 && rec->kind == CSVR_ROW);
	CHECK((rec = csvr_next(r)) && rec->line == 4 && rec->kind == CSVR_BLANK);
	CHECK((rec = csvr_next(r)) && rec->line == 5 && rec->kind == CSVR_ROW);
	CHECK_STR(rec->raw, rec->raw_len, "2");
	CHECK(csvr_next(r) == NULL);
	reader_done(r);
}

static void empty_unquoted_is_null(void)
{
	struct csvr *r = OPEN(",\"\",x\n");
	const struct csv_record *rec = csvr_next(r);
	CHECK(rec && rec->nfields == 3);
	CHECK(rec->fields[0].null && rec->fields[0].len == 0);
	CHECK(!rec->fields[1].null && rec->fields[1].len == 0);
	CHECK(!rec->fields[2].null);
	reader_done(r);
}

/* Lines without quotes are split without libcsv: the same fields, nulls,
 * lines and raw bytes as the lines around them that go through libcsv. */
static void plain_lines_read_like_quoted_ones(void)
{
	struct csvr *r = OPEN("a,,b,\n,x\r\n\"q\",1\nc\rd,e\nf,g\n");
	csvr_split_plain_lines(r);
	const struct csv_record *rec = csvr_next(r);
	CHECK(rec && rec->line == 1 && rec->nfields == 4);
	CHECK(!rec->fields[0].null && rec->fields[1].null && rec->fields[3].null);
	CHECK_STR(rec->fields[2].data, rec->fields[2].len, "b");
	CHECK_STR(rec->raw, rec->raw_len, "a,,b,");
	rec = csvr_next(r);
	CHECK(rec && rec->line == 2 && rec->nfields == 2 && rec->fields[0].null);
	CHECK_STR(rec->fields[1].data, rec->fields[1].len, "x");
	CHECK_STR(rec->raw, rec->raw_len, ",x");
	rec = csvr_next(r);
	CHECK(rec && rec->line == 3 && rec->nfields == 2);
	CHECK_STR(rec->fields[0].data, rec->fields[0].len, "q");
	/* A lone CR ends a record and a line. */
	rec = csvr_next(r);
	CHECK(rec && rec->line == 4 && rec->nfields == 1);
	CHECK_STR(rec->fields[0].data, rec->fields[0].len, "c");
	rec = csvr_next(r);
	CHECK(rec && rec->line == 5 && rec->nfields == 2);
	CHECK_STR(rec->fields[1].data, rec->fields[1].len, "e");
	rec = csvr_next(r);
	CHECK(rec && rec->line == 6 && rec->nfields == 2);
	CHECK_STR(rec->raw, rec->raw_len, "f,g");
	CHECK(csvr_next(r) == NULL && csvr_error(r) == NULL);
	reader_done(r);
}

/* Random short inputs over the bytes that matter to CSV: the same records
 * with plain lines split here as with every byte through libcsv. */
static void plain_line_splitting_changes_nothing(void)
{
	static const char alphabet[] = "a,\"\n\r \n,b";
	unsigned seed = 777;
	for (int i = 0; i < 3000 && !unit_case_failed; i++) {
		char buf[64];
		size_t len = (size_t)(rand_r(&seed) % 60);
		for (size_t j = 0; j < len; j++)
			buf[j] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
		struct dump want = { 0 }, got = { 0 };
		struct csvr *r = reader_on(buf, len, ',');
		dump_records(&want, r);
		reader_done(r);
		r = reader_on(buf, len, ',');
		csvr_split_plain_lines(r);
		dump_records(&got, r);
		reader_done(r);
		CHECK(got.len == want.len && (!want.len || memcmp(got.s, want.s, want.len) == 0));
		free(want.s);
		free(got.s);
	}
}

static void stray_quote_rejects_one_line(void)
{
	struct csvr *r = OPEN("a,b\n1,x\"y\n2,\"ok\"z\n3,3\n");
	const struct csv_record *rec;
	csvr_next(r);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 2);
	CHECK(rec && rec->error && strstr(rec->error, "quote character inside an unquoted field"));
	CHECK_STR(rec->raw, rec->raw_len, "1,x\"y");
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 3);
	CHECK(rec && strstr(rec->error, "after the closing quote"));
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 4);
	CHECK_STR(rec->fields[0].data, rec->fields[0].len, "3");
	CHECK(csvr_next(r) == NULL && csvr_error(r) == NULL);
	reader_done(r);
}

static void unterminated_quote_costs_one_line(void)
{
	/* The quote opened on line 2 never closes: line 2 is rejected and the
	 * lines after it are read again as ordinary rows. */
	struct csvr *r = OPEN("a,b\n1,\"open\n2,two\n3,three\n");
	const struct csv_record *rec;
	csvr_next(r);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 2);
	CHECK(rec && strcmp(rec->error, "unterminated quoted field") == 0);
	CHECK_STR(rec->raw, rec->raw_len, "1,\"open");
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 3);
	CHECK_STR(rec->fields[1].data, rec->fields[1].len, "two");
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 4);
	CHECK(csvr_next(r) == NULL && csvr_error(r) == NULL);
	reader_done(r);
}

static void quote_closed_late_resynchronises(void)
{
	/* Line 2 opens a quote that line 3 closes with junk after it: only
	 * line 2 is lost, line 3 is reparsed and rejected on its own, and
	 * line 4 is read normally. */
	struct csvr *r = OPEN("a,b\n1,\"x\n2,\"y\"z\n4,w\n");
	const struct csv_record *rec;
	csvr_next(r);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 2);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 3);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 4);
	CHECK(csvr_next(r) == NULL);
	reader_done(r);
}

static void last_line_unterminated_quote(void)
{
	struct csvr *r = OPEN("a\n\"never closed");
	const struct csv_record *rec;
	csvr_next(r);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 2);
	CHECK_STR(rec->raw, rec->raw_len, "\"never closed");
	CHECK(csvr_next(r) == NULL && csvr_error(r) == NULL);
	reader_done(r);
}

/* Each record's raw is its own bytes and nothing of its neighbours', and
 * a lone CR counts as a line end, inside a quoted field too. */
static void lone_cr_ends_a_line(void)
{
	struct csvr *r = OPEN("a,b\n1,2\r3,4,5\r\r\n\"x\ry\",6\r7,\"open\n8,9\r");
	const struct csv_record *rec;
	csvr_next(r);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 2);
	CHECK_STR(rec->raw, rec->raw_len, "1,2");
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 3 && rec->nfields == 3);
	CHECK_STR(rec->raw, rec->raw_len, "3,4,5");
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_BLANK && rec->line == 4);
	CHECK(rec && rec->raw_len == 0);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 5);
	CHECK_STR(rec->raw, rec->raw_len, "\"x\ry\",6");
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 7);
	CHECK_STR(rec->raw, rec->raw_len, "7,\"open");
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 8);
	CHECK_STR(rec->raw, rec->raw_len, "8,9");
	CHECK(csvr_next(r) == NULL && csvr_error(r) == NULL);
	reader_done(r);
}

/* A file of CR line ends, longer than one read, with a CRLF that the
 * reads split between its CR and its LF: every record has its own raw
 * bytes and its own line, and the whole takes linear time. */
static void cr_line_ends_across_reads(void)
{
	size_t cap = 1024 * 1024, n = 0, split = 256 * 1024; /* csvio's READ_CHUNK */
	char *buf = malloc(cap + 64);
	int rows = 0;
	while (n < cap) {
		n += (size_t)sprintf(buf + n, "%d,x", rows++);
		if (n < split - 1 && n + 16 > split - 1) { /* pad to end the row at the split */
			memset(buf + n, 'p', split - 1 - n);
			n = split - 1;
			n += (size_t)sprintf(buf + n, "\r\n");
		} else {
			buf[n++] = '\r';
		}
	}
	struct csvr *r = reader_on(buf, n, ',');
	const struct csv_record *rec;
	int seen = 0, bad = 0;
	while ((rec = csvr_next(r))) {
		char want[32];
		int len = sprintf(want, "%d,x", seen);
		if (rec->kind != CSVR_ROW || rec->line != (uint64_t)seen + 1 || rec->raw_len < (size_t)len ||
		    rec->raw_len > (size_t)len + 20 || memcmp(rec->raw, want, (size_t)len) != 0)
			bad++;
		seen++;
	}
	CHECK(bad == 0 && seen == rows && csvr_error(r) == NULL);
	reader_done(r);
	free(buf);
}

/* A quoted field still open at a line end with 64 MiB after its first
 * line is taken for a quote never closed: its first line is rejected and
 * the lines after it are read again, so the rest of the input is neither
 * lost nor held in memory. */
static void quote_open_past_64_mib_costs_one_line(void)
{
	size_t rows = 5 * 1024 * 1024, n = 0; /* 70 MiB of them */
	char *buf = malloc(16 + rows * 14);
	n += (size_t)sprintf(buf, "a,b\n1,\"open\n");
	for (size_t i = 0; i < rows; i++, n += 14)
		memcpy(buf + n, "xxxxxxxxxxx,y\n", 14);
	struct csvr *r = reader_on(buf, n, ',');
	const struct csv_record *rec;
	csvr_next(r);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 2 && !rec->raw_cut);
	CHECK(rec && strcmp(rec->error, "unterminated quoted field (still open after 64 MiB)") == 0);
	CHECK(rec && rec->raw_len == 7 && memcmp(rec->raw, "1,\"open", 7) == 0);
	size_t seen = 0, bad = 0;
	while ((rec = csvr_next(r))) {
		if (rec->kind != CSVR_ROW || rec->line != seen + 3 || rec->raw_len != 13)
			bad++;
		seen++;
	}
	CHECK(bad == 0 && seen == rows && csvr_error(r) == NULL);
	reader_done(r);
	free(buf);
}

/* A record past 64 MiB is read whole; its raw holds the first 64 MiB. */
static void huge_row_keeps_the_start_of_its_raw(void)
{
	size_t big = 65 * 1024 * 1024, n = 0;
	char *buf = malloc(big + 16);
	n += (size_t)sprintf(buf, "1,");
	memset(buf + n, 'x', big);
	n += big;
	n += (size_t)sprintf(buf + n, "\n2,y\n");
	struct csvr *r = reader_on(buf, n, ',');
	const struct csv_record *rec;
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->nfields == 2 && rec->fields[1].len == big);
	CHECK(rec && rec->raw_cut && rec->raw_len == 64 * 1024 * 1024 && memcmp(rec->raw, "1,xx", 4) == 0);
	CHECK((rec = csvr_next(r)) && rec->line == 2 && !rec->raw_cut);
	CHECK_STR(rec->raw, rec->raw_len, "2,y");
	CHECK(csvr_next(r) == NULL && csvr_error(r) == NULL);
	reader_done(r);
	free(buf);
}

/* A record past the reader's limit is not parsed: it comes back malformed,
 * naming the limit, with the start of its raw bytes, and the next line is
 * read as usual. The limit counts the record's bytes without its line end:
 * 1000 bytes and a CRLF fit in 1000, 1001 do not. */
static void record_over_the_limit_is_malformed(void)
{
	for (int plain = 0; plain <= 1; plain++) {
		size_t n = 0;
		char *buf = malloc(8192);
		n += (size_t)sprintf(buf, "a,b\n");
		memset(buf + n, 'x', 998), n += 998;
		n += (size_t)sprintf(buf + n, ",y\r\n1,");
		memset(buf + n, 'z', 999), n += 999;
		n += (size_t)sprintf(buf + n, "\n\"q\",\"");
		memset(buf + n, 'w', 3000), n += 3000;
		n += (size_t)sprintf(buf + n, "\"\n2,ok\n");
		struct csvr *r = reader_on(buf, n, ',');
		csvr_set_max_record(r, 1000);
		CHECK(csvr_max_record(r) == 1000);
		if (plain)
			csvr_split_plain_lines(r);
		const struct csv_record *rec;
		csvr_next(r);
		CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 2 && rec->nfields == 2);
		CHECK(rec && rec->raw_len == 1000 && rec->raw_cut); /* its CRLF is not kept */
		CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 3 && rec->nfields == 0);
		CHECK(rec && rec->error && strcmp(rec->error, "the record is over 1000 bytes, the most one row may hold") == 0);
		CHECK(rec && rec->raw_cut && rec->raw_len == 1000 && memcmp(rec->raw, "1,zz", 4) == 0);
		CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 4 && rec->raw_cut);
		CHECK(rec && rec->raw_len == 1000 && memcmp(rec->raw, "\"q\",\"ww", 7) == 0);
		CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 5);
		CHECK_STR(rec->raw, rec->raw_len, "2,ok");
		CHECK(csvr_next(r) == NULL && csvr_error(r) == NULL);
		reader_done(r);
		free(buf);
	}
}

/* The last line too, when no line end follows it. */
static void last_record_over_the_limit(void)
{
	char buf[4096];
	size_t n = (size_t)sprintf(buf, "a\n");
	memset(buf + n, 'x', 3000), n += 3000;
	struct csvr *r = reader_on(buf, n, ',');
	csvr_set_max_record(r, 2048);
	const struct csv_record *rec;
	csvr_next(r);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 2);
	CHECK(rec && strcmp(rec->error, "the record is over 2 KiB, the most one row may hold") == 0);
	CHECK(csvr_next(r) == NULL && csvr_error(r) == NULL);
	reader_done(r);
}

/* A quoted field open over several lines counts against the limit too,
 * and is taken for a quote never closed: its first line is rejected and
 * the lines after it are read again. */
static void open_quote_past_a_lowered_limit(void)
{
	char buf[8192];
	size_t n = (size_t)sprintf(buf, "a,b\n1,\"open\n");
	for (int i = 0; i < 300; i++)
		n += (size_t)sprintf(buf + n, "x,%d\n", i);
	struct csvr *r = reader_on(buf, n, ',');
	csvr_set_max_record(r, 1000);
	const struct csv_record *rec;
	csvr_next(r);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 2 && !rec->raw_cut);
	CHECK(rec && strcmp(rec->error, "unterminated quoted field (still open after 1000 bytes)") == 0);
	size_t seen = 0;
	while ((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == seen + 3)
		seen++;
	CHECK(rec == NULL && seen == 300 && csvr_error(r) == NULL);
	reader_done(r);
}

/* Fed by blocks, a record over the limit may span many of them: the reader
 * keeps none of it past the limit, and the block after it ends between
 * records again. */
static void record_over_the_limit_across_blocks(void)
{
	struct csvr *r = csvr_open_blocks("test", ',');
	csvr_set_max_record(r, 1000);
	csvr_restart(r, 1, true);
	static char block[700];
	memset(block, 'x', sizeof block);
	const struct csv_record *rec;
	csvr_feed(r, "a\n", 2, false);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 1);
	CHECK(csvr_next(r) == NULL && csvr_between_records(r));
	for (int i = 0; i < 10; i++) {
		csvr_feed(r, block, sizeof block, false);
		CHECK(csvr_next(r) == NULL && !csvr_between_records(r));
	}
	csvr_feed(r, "x\nlast\n", 7, true);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 2 && rec->raw_cut &&
	      rec->raw_len == 1000);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 3);
	CHECK(csvr_next(r) == NULL && csvr_error(r) == NULL);
	csvr_close(r);
}

/* The default limit, with a real record past it: 101 MiB in one field. */
static void default_limit_is_100_mib(void)
{
	size_t big = 101 * 1024 * 1024, n = 0;
	char *buf = malloc(big + 32);
	n += (size_t)sprintf(buf, "1,\"");
	memset(buf + n, 'x', big);
	n += big;
	n += (size_t)sprintf(buf + n, "\"\n2,y\n");
	struct csvr *r = reader_on(buf, n, ',');
	CHECK(csvr_max_record(r) == CSVR_MAX_RECORD && CSVR_MAX_RECORD == 100 * 1024 * 1024);
	const struct csv_record *rec;
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_MALFORMED && rec->line == 1);
	CHECK(rec && strcmp(rec->error, "the record is over 100 MiB, the most one row may hold") == 0);
	CHECK(rec && rec->raw_cut && rec->raw_len == 64 * 1024 * 1024);
	CHECK((rec = csvr_next(r)) && rec->kind == CSVR_ROW && rec->line == 2);
	CHECK(csvr_next(r) == NULL && csvr_error(r) == NULL);
	reader_done(r);
	free(buf);
}

static void nul_bytes_are_kept(void)
{
	static const char in[] = "a\nx\0y\n";
	struct csvr *r = reader_on(in, sizeof in - 1, ',');
	const struct csv_record *rec;
	csvr_next(r);
	CHECK((rec = csvr_next(r)) && rec->nfields == 1 && rec->fields[0].len == 3);
	CHECK(rec && memcmp(rec->fields[0].data, "x\0y", 3) == 0);
	reader_done(r);
}

static void tab_separated(void)
{
	struct csvr *r = reader_on("a\tb,c\n1\t\"2\t3\"\n", 15, '\t');
	const struct csv_record *rec = csvr_next(r);
	CHECK(rec && rec->nfields == 2);
	CHECK_STR(rec->fields[1].data, rec->fields[1].len, "b,c");
	CHECK((rec = csvr_next(r)) && rec->nfields == 2);
	CHECK_STR(rec->fields[1].data, rec->fields[1].len, "2\t3");
	reader_done(r);
}

static void records_across_read_chunks(void)
{
	/* Long enough to cross several 256 KiB reads, with a field that
	 * spans a chunk boundary, and exact line numbers throughout. */
	size_t n = 0, cap = 3 * 1024 * 1024;
	char *buf = malloc(cap);
	n += (size_t)sprintf(buf, "k,v\n");
	int rows = 0;
	while (n < cap - 400 * 1024) {
		n += (size_t)sprintf(buf + n, "%d,\"line one\nline two %d\"\n", rows, rows);
		rows++;
	}
	memset(buf + n, 'z', 300 * 1024); /* one 300 KiB field */
	n += 300 * 1024;
	buf[n++] = '\n';
	struct csvr *r = reader_on(buf, n, ',');
	const struct csv_record *rec;
	csvr_next(r);
	int seen = 0, bad = 0;
	while ((rec = csvr_next(r)) && rec->nfields == 2) {
		char want[64];
		int len = sprintf(want, "line one\nline two %d", seen);
		if (rec->line != (uint64_t)(2 + 2 * seen) || rec->fields[1].len != (size_t)len ||
		    memcmp(rec->fields[1].data, want, (size_t)len) != 0)
			bad++;
		seen++;
	}
	CHECK(bad == 0 && seen == rows);
	CHECK(rec && rec->nfields == 1 && rec->fields[0].len == 300 * 1024);
	CHECK(rec && rec->line == (uint64_t)(2 + 2 * rows));
	CHECK(csvr_next(r) == NULL && csvr_error(r) == NULL);
	CHECK(csvr_bytes(r) == n);
	reader_done(r);
	free(buf);
}

static void read_error_is_reported(void)
{
	int fds[2];
	CHECK(pipe(fds) == 0);
	close(fds[1]);
	struct csvr *r = csvr_open(fds[0] + 100, "bad fd", ','); /* not open */
	CHECK(csvr_next(r) == NULL);
	CHECK(csvr_error(r) && strstr(csvr_error(r), "Bad file descriptor"));
	csvr_close(r);
	close(fds[0]);
}

/* Writes fields through the writer into a temp file and returns its bytes. */
static char *write_fields(const struct csv_field *f, size_t n, char delim, size_t *len)
{
	FILE *tmp = tmpfile();
	struct csvw *w = csvw_open(fileno(tmp), delim);
	CHECK(csvw_record(w, f, n) == 0);
	CHECK(csvw_close(w) == 0);
	long size = ftell(tmp);
	(void)size;
	*len = (size_t)lseek(fileno(tmp), 0, SEEK_END);
	char *out = malloc(*len + 1);
	CHECK(pread(fileno(tmp), out, *len, 0) == (ssize_t)*len);
	out[*len] = '\0';
	fclose(tmp);
	return out;
}

static void writer_quotes_only_when_needed(void)
{
	struct csv_field f[] = {
		{ "plain", 5, false }, { "", 0, true },          { "", 0, false },
		{ "a,b", 3, false },   { "say \"hi\"", 8, false }, { "x\ny", 3, false },
		{ "r\rs", 3, false },  { " pad ", 5, false },
	};
	size_t len;
	char *out = write_fields(f, 8, ',', &len);
	CHECK_STR(out, len, "plain,,\"\",\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",\"r\rs\", pad \n");
	free(out);
	out = write_fields(f + 3, 1, '\t', &len);
	CHECK_STR(out, len, "a,b\n");
	free(out);
}

static void writer_output_reads_back_identically(void)
{
	struct csv_field f[] = {
		{ "é\"ü", 5, false }, { "\r\n", 2, false }, { "", 0, false }, { "", 0, true }, { "\t", 1, false },
	};
	size_t len;
	char *out = write_fields(f, 5, ',', &len);
	struct csvr *r = reader_on(out, len, ',');
	const struct csv_record *rec = csvr_next(r);
	CHECK(rec && rec->nfields == 5);
	for (size_t i = 0; rec && i < 5; i++) {
		CHECK(rec->fields[i].null == f[i].null);
		CHECK_STR(rec->fields[i].data, rec->fields[i].len, f[i].data);
	}
	reader_done(r);
	free(out);
}

static void writer_reports_a_full_disk(void)
{
	int fd = open("/dev/full", 1);
	if (fd < 0)
		return;
	struct csvw *w = csvw_open(fd, ',');
	int rc = 0;
	for (int i = 0; i < 100000 && rc == 0; i++)
		rc = csvw_str(w, "some data");
	if (rc == 0)
		rc = csvw_flush(w);
	CHECK(rc == -1);
	csvw_close(w);
	close(fd);
}

static void utf8_validation(void)
{
	CHECK(utf8_valid("plain", 5));
	CHECK(utf8_valid("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9)); /* é € 😀 */
	CHECK(!utf8_valid("\xC3", 1));                              /* truncated */
	CHECK(!utf8_valid("\xC0\xAF", 2));                          /* overlong '/' */
	CHECK(!utf8_valid("\xE0\x80\xAF", 3));                      /* overlong, 3 bytes */
	CHECK(!utf8_valid("\xED\xA0\x80", 3));                      /* surrogate */
	CHECK(!utf8_valid("\xF4\x90\x80\x80", 4));                  /* above U+10FFFF */
	CHECK(!utf8_valid("\xFF", 1));
	CHECK(!utf8_valid("a\x80", 2));                             /* lone continuation */
}

int main(void)
{
	RUN(simple_rows_and_line_numbers);
	RUN(quoted_newlines_count_as_lines);
	RUN(crlf_bom_and_spaces);
	RUN(blank_lines_are_reported);
	RUN(empty_unquoted_is_null);
	RUN(plain_lines_read_like_quoted_ones);
	RUN(plain_line_splitting_changes_nothing);
	RUN(stray_quote_rejects_one_line);
	RUN(unterminated_quote_costs_one_line);
	RUN(quote_closed_late_resynchronises);
	RUN(last_line_unterminated_quote);
	RUN(lone_cr_ends_a_line);
	RUN(cr_line_ends_across_reads);
	RUN(quote_open_past_64_mib_costs_one_line);
	RUN(huge_row_keeps_the_start_of_its_raw);
	RUN(record_over_the_limit_is_malformed);
	RUN(last_record_over_the_limit);
	RUN(open_quote_past_a_lowered_limit);
	RUN(record_over_the_limit_across_blocks);
	RUN(default_limit_is_100_mib);
	RUN(nul_bytes_are_kept);
	RUN(tab_separated);
	RUN(records_across_read_chunks);
	RUN(read_error_is_reported);
	RUN(writer_quotes_only_when_needed);
	RUN(writer_output_reads_back_identically);
	RUN(writer_reports_a_full_disk);
	RUN(utf8_validation);
	return UNIT_END();
}
