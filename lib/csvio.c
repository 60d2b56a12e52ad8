/* SPDX-License-Identifier: MIT
 * CSV reader over libcsv and CSV writer; see csvio.h for the contract.
 *
 * The reader feeds libcsv one physical line at a time (up to and including
 * its LF, or its CR when a lone CR ends it). That costs one csv_parse()
 * call per line, which is small next to the per-byte work, and buys exact
 * line numbers, the raw bytes of every record, and a clean place to stop
 * and start again after a parse error, none of which libcsv offers by
 * itself. On request a line without quotes
 * is split here instead (see plain_line): libcsv's byte-by-byte state
 * machine was half of pgload's time on the sales stream. */
#include "csvio.h"

#include <csv.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dialect.h"
#include "exitcode.h"
#include "log.h"
#include "seal.h"
#include "xalloc.h"

enum {
	READ_CHUNK = 256 * 1024,
	/* A record's raw copy stops here (the record itself is read whole,
	 * up to max_record). A quoted field still open at a line end past it
	 * is taken for a quote never closed: the lines after the first are
	 * kept to be read again, and that bounds them. Large enough for a
	 * 10 MB field. */
	RAW_LIMIT = 64 * 1024 * 1024,
	CSV_BLOCK = 64 * 1024,
};

/* The most a caller may ask for: PostgreSQL takes no row (its COPY line
 * buffer) and no field of 1 GB or more. */
#define MAX_RECORD_CEILING ((size_t)1024 * 1024 * 1024 - 1)

struct recref {
	enum csvr_kind kind;
	uint64_t line;
	size_t first, n; /* into fields */
	const char *error;
	size_t raw_off;  /* where its bytes begin in the raw buffer */
	size_t raw_len;  /* and how many, terminator included */
	bool raw_cut;
};

/* The states of the reader's own parser (dialect.h: for what libcsv cannot
 * read), named as libcsv's where they mean the same. */
enum own_state {
	OWN_ROW_START,    /* nothing of a record yet */
	OWN_FIELD_START,  /* after a delimiter */
	OWN_UNQUOTED,
	OWN_UNQUOTED_ESC, /* after an escape character, outside quotes */
	OWN_QUOTED,
	OWN_QUOTED_ESC,   /* after an escape character, inside quotes */
	OWN_QUOTE_SEEN,   /* a quote inside a quoted field: the end, or doubled */
	OWN_CLOSED,       /* after a quoted field's closing quote */
};

struct csvr {
	int fd;
	const char *name;
	char delim;
	struct csv_dialect dialect;
	bool own_parser;       /* parsed here, not by libcsv (csv_dialect_own_parser) */
	enum own_state own;    /* its state */
	struct buf own_field;  /* the field it is reading */
	const char *own_error; /* why it stopped */
	bool ignoring;         /* a line may be ignored: see ignore_line */
	bool ignored_open;     /* the rest of an ignored line is still to come */
	unsigned long skip_left; /* lines above the header still to skip */
	struct csv_parser parser;
	const char *in;        /* input being parsed: inbuf, or a block */
	size_t in_pos, in_len;
	char *inbuf;           /* read buffer */
	bool blocks;           /* fed by csvr_feed(), not read from fd */
	bool last_block;       /* the block being parsed ends the input */
	bool eof, started;
	bool keeping_blanks;   /* the parser has never_space */
	bool split_plain_lines; /* csvr_split_plain_lines() */
	struct seal_in *seal;  /* csvr_hold_seal(): where the input's last bytes go */
	const char *read_error;
	char read_error_buf[256];
	uint64_t bytes;

	struct buf replay;   /* lines to parse again after an error */
	size_t replay_pos;
	const char *rest;      /* what follows a lone CR in the segment being */
	size_t rest_len;       /* fed: it is fed next, as a line of its own */
	bool rest_has_lf;
	bool from_rest;        /* the segment being fed came from rest */
	bool cr_ended_segment; /* the last segment ended at a CR: an LF next is its CRLF's */

	struct buf arena;    /* field bytes of queued records */
	struct csv_field *fields; /* queued records' fields, pointing into arena */
	size_t nfields, capfields;
	struct recref *recs;
	size_t nrecs, caprecs, next_rec;

	/* The record being parsed. */
	bool in_record;        /* bytes of a record have been fed */
	bool skipping;         /* after an error: drop the rest of the line */
	const char *skip_error;
	uint64_t start_line;   /* its first line */
	size_t first_field;    /* its first fieldref */
	struct buf raw;      /* input bytes of the queued records, then its own */
	size_t raw_start;      /* where its bytes begin in raw */
	size_t raw_first_line; /* where its first line ends in raw, terminator included; 0 until known */
	bool raw_overflow;     /* raw holds only its first raw_limit bytes */
	uint64_t raw_dropped;  /* its bytes left out of raw */
	bool last_term_cr;     /* the previous record ended at a CR */
	bool at_row_start;     /* libcsv has seen nothing since a record ended */
	uint64_t line;         /* the line being fed */

	struct csv_record rec;

	/* A record that grows past max_record is not parsed further: libcsv
	 * would hold all of it, and the callers copy it again (see
	 * csvr_set_max_record). raw_limit = min(RAW_LIMIT, max_record). */
	size_t max_record, raw_limit;
	char too_long[128];    /* the errors naming them */
	char open_too_long[128];
};

static const struct csv_record *engine_next(struct csvr *r);

static int never_space(unsigned char c)
{
	(void)c;
	return 0;
}

enum { SEEN_BLANK = 1, SEEN_CR = 2 };

/* What a line holds that changes how it is fed: a space or a tab (SEEN_BLANK,
 * bytes libcsv would trim) and a CR (SEEN_CR). Sixteen bytes at a time (GCC's
 * vector types make that SIMD on any target), the last sixteen overlapping
 * the ones before; both in one pass, as every line fed to libcsv needs it. */
static inline __attribute__((always_inline)) unsigned scan_line(const char *s, size_t len)
{
	typedef char v16 __attribute__((vector_size(16)));
	if (len < 16) {
		unsigned seen = 0;
		for (size_t i = 0; i < len; i++)
			seen |= (s[i] == ' ' || s[i] == '\t' ? SEEN_BLANK : 0) | (s[i] == '\r' ? SEEN_CR : 0);
		return seen;
	}
	const v16 space = { ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ' };
	const v16 tab = { '\t', '\t', '\t', '\t', '\t', '\t', '\t', '\t', '\t', '\t', '\t', '\t', '\t', '\t', '\t', '\t' };
	const v16 cr = { '\r', '\r', '\r', '\r', '\r', '\r', '\r', '\r', '\r', '\r', '\r', '\r', '\r', '\r', '\r', '\r' };
	v16 blanks = { 0 }, crs = { 0 };
	for (size_t i = 0;; i += 16) {
		if (i > len - 16)
			i = len - 16;
		v16 v;
		memcpy(&v, s + i, 16);
		blanks |= (v == space) | (v == tab);
		crs |= v == cr;
		if (i == len - 16)
			break;
	}
	uint64_t b[2], c[2];
	memcpy(b, &blanks, 16);
	memcpy(c, &crs, 16);
	return (b[0] | b[1] ? SEEN_BLANK : 0) | (c[0] | c[1] ? SEEN_CR : 0);
}

/* The first CR in s that is not the first half of a CRLF, or NULL. A CR
 * that ends s counts: whether an LF follows is not known yet. */
static const char *lone_cr(const char *s, size_t len)
{
	const char *end = s + len;
	for (const char *p = s; (p = memchr(p, '\r', (size_t)(end - p))) != NULL; p++)
		if (p + 1 == end || p[1] != '\n')
			return p;
	return NULL;
}

/* Queues the record being parsed, whose raw bytes end at raw_end in raw. */
static void push_record(struct csvr *r, enum csvr_kind kind, const char *error, size_t raw_end)
{
	if (r->nrecs == r->caprecs) {
		r->caprecs = r->caprecs ? 2 * r->caprecs : 16;
		r->recs = xrealloc(r->recs, r->caprecs * sizeof *r->recs);
	}
	r->recs[r->nrecs++] = (struct recref){
		.kind = kind,
		.line = r->start_line,
		.first = r->first_field,
		.n = kind == CSVR_ROW ? r->nfields - r->first_field : 0,
		.error = error,
		.raw_off = r->raw_start,
		.raw_len = raw_end - r->raw_start,
		.raw_cut = r->raw_overflow,
	};
	r->in_record = false;
	r->first_field = r->nfields;
}

/* Makes room for extra more bytes in the arena. The queued fields point
 * into it, so they are handed out as they are, without a pass to turn
 * offsets into pointers; when it moves (rarely: it grows to a chunk's
 * size and stays) they are pointed at the new copy. */
static void arena_reserve(struct csvr *r, size_t extra)
{
	struct buf *a = &r->arena;
	if (a->len + extra <= a->cap)
		return;
	size_t cap = a->cap ? a->cap : 4096;
	while (cap < a->len + extra)
		cap *= 2;
	char *moved = xrealloc(NULL, cap);
	if (a->len)
		memcpy(moved, a->data, a->len);
	for (size_t i = 0; i < r->nfields; i++)
		r->fields[i].data = moved + (r->fields[i].data - a->data);
	free(a->data);
	a->data = moved;
	a->cap = cap;
}

static void field_room(struct csvr *r)
{
	if (r->nfields == r->capfields) {
		r->capfields = r->capfields ? 2 * r->capfields : 256;
		r->fields = xrealloc(r->fields, r->capfields * sizeof *r->fields);
	}
}

/* on_field's rare work, out of line so the common path stays short: room
 * to grow. */
static __attribute__((noinline)) void field_prepare(struct csvr *r, size_t len)
{
	field_room(r);
	arena_reserve(r, len + 1);
}

/* Copies a field of up to 16 bytes without a call: two loads that may
 * overlap cover every byte, and never one outside the field. */
static inline void copy_short(char *to, const char *from, size_t len)
{
	if (len >= 8) {
		uint64_t a, b;
		memcpy(&a, from, 8);
		memcpy(&b, from + len - 8, 8);
		memcpy(to, &a, 8);
		memcpy(to + len - 8, &b, 8);
	} else if (len >= 4) {
		uint32_t a, b;
		memcpy(&a, from, 4);
		memcpy(&b, from + len - 4, 4);
		memcpy(to, &a, 4);
		memcpy(to + len - 4, &b, 4);
	} else {
		for (size_t i = 0; i < len; i++)
			to[i] = from[i];
	}
}

static void on_field(void *data, size_t len, void *ctx)
{
	struct csvr *r = ctx;
	if (r->nfields == r->capfields || r->arena.len + len + 1 > r->arena.cap)
		field_prepare(r, len);
	r->last_term_cr = false;
	char *to = r->arena.data + r->arena.len;
	r->fields[r->nfields++] = (struct csv_field){ to, len, data == NULL };
	if (len <= 16)
		copy_short(to, data, len);
	else
		memcpy(to, data, len);
	to[len] = '\0';
	r->arena.len += len + 1;
}

static void on_record(int term, void *ctx)
{
	struct csvr *r = ctx;
	/* libcsv is fed one line at a time and a line ends at its terminator,
	 * so nothing follows this one, and the record's bytes end with what
	 * raw holds. */
	r->at_row_start = true;
	bool fields = r->nfields > r->first_field;
	if (term == '\n' && r->last_term_cr && !fields) { /* the LF of a CRLF */
		r->last_term_cr = false;
		return;
	}
	r->last_term_cr = term == '\r';
	push_record(r, fields ? CSVR_ROW : CSVR_BLANK, NULL, r->raw.len);
}

/* libcsv grows its field buffer by blk_size at a time, asking realloc for
 * exactly that much more: a 100 MiB field took 1,600 reallocs, each one a
 * copy wherever realloc cannot remap the pages (under AddressSanitizer, a
 * minute). Given more than it asks for, it takes the growth in steps that
 * double instead. */
static void *grow_field_buffer(void *p, size_t n)
{
	if (p && malloc_usable_size(p) >= n)
		return p;
	void *q = n <= SIZE_MAX / 2 ? realloc(p, 2 * n) : NULL;
	return q ? q : realloc(p, n);
}

static void parser_init(struct csvr *r)
{
	if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_EMPTY_IS_NULL) != 0)
		die(EXIT_OPER, "out of memory");
	csv_set_delim(&r->parser, (unsigned char)r->delim);
	csv_set_quote(&r->parser, (unsigned char)r->dialect.quote_char);
	csv_set_space_func(&r->parser, never_space);
	r->keeping_blanks = true;
	csv_set_blk_size(&r->parser, CSV_BLOCK);
	csv_set_realloc_func(&r->parser, grow_field_buffer);
	r->at_row_start = true;
	r->own = OWN_ROW_START;
	r->own_field.len = 0;
}

/* Whether feed has to look for lines to ignore: one cheap test on the
 * common path. */
static void update_ignoring(struct csvr *r)
{
	r->ignoring = r->skip_left > 0 || r->ignored_open || r->dialect.comment_char != CSV_DIALECT_NONE;
}

struct csvr *csvr_open(int fd, const char *name, char delim)
{
	struct csvr *r = xrealloc(NULL, sizeof *r);
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->name = name;
	r->inbuf = xrealloc(NULL, READ_CHUNK);
	r->in = r->inbuf;
	r->line = 1;
	r->delim = delim;
	csv_dialect_init(&r->dialect, delim);
	parser_init(r);
	size_t max = CSVR_MAX_RECORD;
	const char *env = getenv("ELT_CSV_MAX_RECORD");
	if (env && *env) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(env, &end, 10);
		if (*end || errno || n == 0)
			die(EXIT_USAGE, "ELT_CSV_MAX_RECORD: \"%s\" is not a number of bytes", env);
		max = n > MAX_RECORD_CEILING ? MAX_RECORD_CEILING : (size_t)n;
	}
	csvr_set_max_record(r, max);
	return r;
}

/* "64 MiB", or the bytes when that would round. */
static void format_size(char *buf, size_t size, size_t n)
{
	if (n % (1024 * 1024) == 0)
		snprintf(buf, size, "%zu MiB", n / (1024 * 1024));
	else if (n % 1024 == 0)
		snprintf(buf, size, "%zu KiB", n / 1024);
	else
		snprintf(buf, size, "%zu bytes", n);
}

void csvr_set_max_record(struct csvr *r, size_t bytes)
{
	if (bytes == 0 || bytes > MAX_RECORD_CEILING)
		bytes = MAX_RECORD_CEILING;
	r->max_record = bytes;
	r->raw_limit = bytes < RAW_LIMIT ? bytes : RAW_LIMIT;
	char max[32], raw[32];
	format_size(max, sizeof max, r->max_record);
	format_size(raw, sizeof raw, r->raw_limit);
	snprintf(r->too_long, sizeof r->too_long, "the record is over %s, the most one row may hold", max);
	snprintf(r->open_too_long, sizeof r->open_too_long, "unterminated quoted field (still open after %s)", raw);
}

size_t csvr_max_record(const struct csvr *r)
{
	return r->max_record;
}

struct csvr *csvr_open_blocks(const char *name, char delim)
{
	struct csvr *r = csvr_open(-1, name, delim);
	r->blocks = true;
	return r;
}

void csvr_set_dialect(struct csvr *r, const struct csv_dialect *d)
{
	r->dialect = *d;
	r->delim = d->delimiter;
	r->own_parser = csv_dialect_own_parser(d);
	r->skip_left = d->header_row > 1 ? d->header_row - 1 : 0;
	csv_free(&r->parser);
	parser_init(r);
	update_ignoring(r);
}

void csvr_unread(struct csvr *r)
{
	if (r->next_rec > 0)
		r->next_rec--;
}

void csvr_restart(struct csvr *r, uint64_t first_line, bool at_start)
{
	csv_free(&r->parser);
	parser_init(r);
	r->in = NULL;
	r->in_pos = r->in_len = 0;
	r->last_block = r->eof = false;
	r->started = !at_start;
	r->read_error = NULL;
	r->bytes = 0;
	r->replay.len = r->replay_pos = r->rest_len = 0;
	r->cr_ended_segment = false;
	r->arena.len = r->nfields = r->nrecs = r->next_rec = 0;
	r->in_record = r->skipping = r->last_term_cr = false;
	r->first_field = 0;
	r->raw.len = r->raw_start = 0;
	r->line = first_line;
	r->ignored_open = false;
	r->skip_left = at_start && r->dialect.header_row > 1 ? r->dialect.header_row - 1 : 0;
	update_ignoring(r);
}

void csvr_feed(struct csvr *r, const char *data, size_t len, bool last)
{
	r->in = data;
	r->in_pos = 0;
	r->in_len = len;
	r->last_block = last;
	r->bytes += len;
	if (!r->started) {
		r->started = true;
		if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
			r->in_pos = 3;
	}
}

void csvr_split_plain_lines(struct csvr *r)
{
	r->split_plain_lines = true;
}

void csvr_hold_seal(struct csvr *r, struct seal_in *s)
{
	r->seal = s;
}

bool csvr_between_records(const struct csvr *r)
{
	/* A record can begin, even open a quote, with no field seen yet: only
	 * libcsv's own state tells. */
	return r->at_row_start && !r->in_record && !r->skipping && !r->ignored_open && r->replay_pos >= r->replay.len;
}

/* Refills the read buffer. Returns false at end of input or on error. */
static bool fill(struct csvr *r)
{
	if (r->eof || r->blocks)
		return false;
	r->in = r->inbuf;
	r->in_pos = r->in_len = 0;
	for (;;) {
		char *to = r->inbuf + r->in_len;
		size_t want = READ_CHUNK - r->in_len;
		ssize_t n = r->seal ? seal_read(r->seal, r->fd, to, want) : read(r->fd, to, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(r->read_error_buf, sizeof r->read_error_buf, "read error: %s", strerror(errno));
			r->read_error = r->read_error_buf;
			r->eof = true;
			break;
		}
		if (n == 0) {
			r->eof = true;
			break;
		}
		r->in_len += (size_t)n;
		/* The first read must see three bytes to recognise a BOM. */
		if (r->started || r->in_len >= 3)
			break;
	}
	if (!r->started) {
		r->started = true;
		if (r->in_len >= 3 && memcmp(r->in, "\xEF\xBB\xBF", 3) == 0)
			r->in_pos = 3;
	}
	r->bytes += r->in_len;
	return r->in_pos < r->in_len;
}

/* The next piece of input: up to and including the next LF, or to the end of
 * what is buffered. What followed a lone CR comes first, then replayed lines. */
static bool next_segment(struct csvr *r, const char **seg, size_t *len, bool *has_lf)
{
	r->from_rest = r->rest_len > 0;
	if (r->from_rest) {
		*seg = r->rest;
		*len = r->rest_len;
		*has_lf = r->rest_has_lf;
		r->rest_len = 0;
		return true;
	}
	const char *p;
	size_t avail;
	if (r->replay_pos < r->replay.len) {
		p = r->replay.data + r->replay_pos;
		avail = r->replay.len - r->replay_pos;
	} else {
		if (r->in_pos >= r->in_len && !fill(r))
			return false;
		p = r->in + r->in_pos;
		avail = r->in_len - r->in_pos;
	}
	const char *lf = memchr(p, '\n', avail);
	*seg = p;
	*len = lf ? (size_t)(lf - p) + 1 : avail;
	*has_lf = lf != NULL;
	if (r->replay_pos < r->replay.len)
		r->replay_pos += *len;
	else
		r->in_pos += *len;
	return true;
}

/* The raw buffer's length without a final LF or CRLF. */
static size_t trim_terminator(const char *s, size_t len)
{
	if (len && s[len - 1] == '\n')
		len--;
	if (len && s[len - 1] == '\r')
		len--;
	return len;
}

/* Called with the parser in error: forget the partial record and start
 * libcsv afresh, since it stays stuck after a strict error (and csv_fini
 * keeps failing after an unterminated quote). */
static void discard_partial(struct csvr *r)
{
	csv_free(&r->parser);
	parser_init(r);
	r->nfields = r->first_field;
	r->last_term_cr = false;
}

/* The record that failed started on an earlier line: reject its first line
 * only and parse the lines after it again, so that one stray quote costs
 * one row. raw holds every byte after the first line (see feed), and rest
 * what follows them. */
static void reject_first_line_and_replay(struct csvr *r, const char *error)
{
	/* raw's buffer becomes the replay, with no copy of what may be 64 MiB;
	 * raw keeps its bytes up to the end of the first line. */
	struct buf again = r->raw, kept = { 0 };
	buf_add(&kept, r->raw.data, r->raw_first_line);
	again.len -= r->raw_first_line;
	memmove(again.data, again.data + r->raw_first_line, again.len);
	buf_add(&again, r->rest, r->rest_len);
	if (r->replay_pos < r->replay.len) /* NULL + 0 is undefined: no replay yet */
		buf_add(&again, r->replay.data + r->replay_pos, r->replay.len - r->replay_pos);
	free(r->replay.data);
	r->replay = again;
	r->replay_pos = r->rest_len = 0;
	r->raw = kept;
	push_record(r, CSVR_MALFORMED, error, r->raw_first_line);
	r->cr_ended_segment = r->raw.data[r->raw_first_line - 1] == '\r';
	r->line = r->start_line + 1;
}

static const char *parse_error_reason(const struct csvr *r, char c)
{
	if (r->own_parser)
		return r->own_error;
	return c == r->dialect.quote_char ? "quote character inside an unquoted field"
					  : "character after the closing quote of a field";
}

/* The length of a whole line without its LF or CRLF when the line is a
 * record of its own with nothing for libcsv to decide: no quote, no other
 * CR, not blank. Such lines are most of every real input, and splitting
 * them at the delimiter here gives what libcsv gives (every byte kept, an
 * empty field null) in a fraction of its time. 0 for any other segment. */
static size_t plain_line(const struct csvr *r, const char *seg, size_t len, bool has_lf)
{
	if (!r->split_plain_lines || r->in_record || r->skipping || r->last_term_cr || r->from_rest || !has_lf ||
	    r->own_parser)
		return 0;
	size_t n = len - 1;
	if (n && seg[n - 1] == '\r')
		n--;
	if (memchr(seg, r->dialect.quote_char, n) || memchr(seg, '\r', n))
		return 0;
	return n;
}

/* Queues the fields of a plain line (see plain_line) as on_field would,
 * copying the line into the arena at once and ending each field there with
 * a NUL in place of its delimiter, then ends the record as libcsv would. */
static void split_plain(struct csvr *r, const char *s, size_t n)
{
	arena_reserve(r, n + 1);
	char *base = r->arena.data + r->arena.len, *p = base, *end = base + n;
	memcpy(base, s, n);
	*end = '\0';
	for (;;) {
		char *d = memchr(p, r->delim, (size_t)(end - p));
		if (d)
			*d = '\0';
		size_t flen = (size_t)((d ? d : end) - p);
		field_room(r);
		r->fields[r->nfields++] = (struct csv_field){ p, flen, flen == 0 };
		if (!d)
			break;
		p = d + 1;
	}
	r->arena.len += n + 1;
	on_record('\n', r);
}

/* ---- the reader's own parser ----
 * For what libcsv cannot read (doubleQuote false, an escape character,
 * skipInitialSpace): the same contract as csv_parse() with the options
 * parser_init gives libcsv (strict, every line end reported, an empty
 * unquoted field NULL, every byte kept), so that the rest of the reader
 * cannot tell the two apart. A byte at a time, which is fine for the files
 * that need it; the default dialect never comes here. */

static void own_field_end(struct csvr *r, bool quoted)
{
	struct buf *f = &r->own_field;
	if (f->len == 0 && !quoted) {
		on_field(NULL, 0, r);
		return;
	}
	buf_reserve(f, 1); /* on_field reads from a non-NULL pointer */
	on_field(f->data, f->len, r);
	f->len = 0;
}

/* Parses s[0, len): returns len, or the offset of the byte that makes the
 * record malformed, with why in own_error. */
static size_t own_parse(struct csvr *r, const char *s, size_t len)
{
	const struct csv_dialect *d = &r->dialect;
	const unsigned char delim = (unsigned char)d->delimiter, quote = (unsigned char)d->quote_char;
	const int esc = d->escape_char;
	struct buf *f = &r->own_field;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (r->own) {
		case OWN_ROW_START:
		case OWN_FIELD_START:
			if (c == '\r' || c == '\n') {
				if (r->own == OWN_FIELD_START)
					own_field_end(r, false);
				on_record(c, r);
				r->own = OWN_ROW_START;
			} else if (d->skip_initial_space && (c == ' ' || c == '\t')) {
				/* dropped: before a field, not part of it */
			} else if (c == delim) {
				own_field_end(r, false);
				r->own = OWN_FIELD_START;
			} else if (c == quote) {
				r->own = OWN_QUOTED;
			} else if ((int)c == esc) {
				r->own = OWN_UNQUOTED_ESC;
			} else {
				buf_addc(f, (char)c);
				r->own = OWN_UNQUOTED;
			}
			break;
		case OWN_UNQUOTED:
			if (c == delim) {
				own_field_end(r, false);
				r->own = OWN_FIELD_START;
			} else if (c == '\r' || c == '\n') {
				own_field_end(r, false);
				on_record(c, r);
				r->own = OWN_ROW_START;
			} else if (c == quote) {
				r->own_error = "quote character inside an unquoted field";
				return i;
			} else if ((int)c == esc) {
				r->own = OWN_UNQUOTED_ESC;
			} else {
				buf_addc(f, (char)c);
			}
			break;
		case OWN_UNQUOTED_ESC:
			buf_addc(f, (char)c);
			r->own = OWN_UNQUOTED;
			break;
		case OWN_QUOTED:
			if ((int)c == esc)
				r->own = OWN_QUOTED_ESC;
			else if (c == quote)
				r->own = d->double_quote ? OWN_QUOTE_SEEN : OWN_CLOSED;
			else
				buf_addc(f, (char)c);
			break;
		case OWN_QUOTED_ESC:
			buf_addc(f, (char)c);
			r->own = OWN_QUOTED;
			break;
		case OWN_QUOTE_SEEN:
			if (c == quote) { /* doubled: one quote */
				buf_addc(f, (char)c);
				r->own = OWN_QUOTED;
				break;
			}
			/* that quote closed the field */
			__attribute__((fallthrough));
		case OWN_CLOSED:
			if (c == delim) {
				own_field_end(r, true);
				r->own = OWN_FIELD_START;
			} else if (c == '\r' || c == '\n') {
				own_field_end(r, true);
				on_record(c, r);
				r->own = OWN_ROW_START;
			} else {
				r->own_error = c == quote ? "quote character after the closing quote of a field "
							    "(doubleQuote is false)"
							  : "character after the closing quote of a field";
				return i;
			}
			break;
		}
	}
	return len;
}

/* End of input: as csv_fini(), 0, or -1 inside a quoted field. */
static int own_fini(struct csvr *r)
{
	switch (r->own) {
	case OWN_ROW_START:
		return 0;
	case OWN_QUOTED:
	case OWN_QUOTED_ESC:
		return -1;
	case OWN_UNQUOTED_ESC: /* an escape with nothing to escape stays itself */
		buf_addc(&r->own_field, (char)r->dialect.escape_char);
		__attribute__((fallthrough));
	case OWN_FIELD_START:
	case OWN_UNQUOTED:
		own_field_end(r, false);
		break;
	case OWN_QUOTE_SEEN:
	case OWN_CLOSED:
		own_field_end(r, true);
		break;
	}
	on_record(-1, r);
	r->own = OWN_ROW_START;
	return 0;
}

/* Lines that are no records: the lines above the header (skip_left) and
 * comment lines, whose first byte is the comment character where a record
 * would begin. seg is a whole line or its first part (ends_line false),
 * whose rest is then ignored too. Returns true when seg was ignored. Out of
 * line: the default dialect never gets here. */
static __attribute__((noinline)) bool ignore_line(struct csvr *r, const char *seg, size_t len, bool ends_line)
{
	if (r->in_record || r->skipping)
		return false;
	if (!r->ignored_open && !r->skip_left && !(len && (unsigned char)seg[0] == r->dialect.comment_char))
		return false;
	r->ignored_open = !ends_line;
	r->last_term_cr = false; /* an LF after this line is no CRLF's */
	if (ends_line) {
		r->line++;
		if (r->skip_left)
			r->skip_left--;
	}
	update_ignoring(r);
	return true;
}

/* Adds seg to the raw copy of the record being fed, which feed found may
 * not have room for it: keeps what fits and counts the rest. Past its first
 * line a record is kept whole to be read again: feed holds it to raw_limit
 * bytes not counting the last line end, which takes up to two more. Rare:
 * out of line. */
static __attribute__((noinline)) void raw_add_capped(struct csvr *r, const char *seg, size_t len)
{
	size_t cap = r->raw_first_line ? r->raw_limit + 2 : r->raw_limit;
	size_t have = r->raw.len - r->raw_start;
	size_t room = have < cap ? cap - have : 0;
	if (len > room) {
		r->raw_overflow = true;
		r->raw_dropped += len - room;
		len = room;
	}
	buf_add(&r->raw, seg, len);
}

/* Feeds one line, or the part of one that the input buffer ended: up to and
 * including its LF, or its CR when a lone CR ends it (ends_line). plain is
 * plain_line()'s answer, blanks whether it holds a space or a tab, raw_fits
 * whether the raw copy surely has room for it. */
static inline void feed_line(struct csvr *r, const char *seg, size_t len, bool ends_line, size_t plain, bool blanks,
			     bool raw_fits)
{
	if (!r->in_record && !r->skipping) {
		r->in_record = true;
		r->start_line = r->line;
		r->first_field = r->nfields;
		r->raw_start = r->raw.len;
		r->raw_first_line = 0;
		r->raw_overflow = false;
		r->raw_dropped = 0;
	}
	if (raw_fits)
		buf_add(&r->raw, seg, len);
	else
		raw_add_capped(r, seg, len);
	if (ends_line && r->raw_first_line == 0)
		r->raw_first_line = r->raw.len;

	if (r->skipping) {
		if (ends_line) {
			r->skipping = false;
			push_record(r, CSVR_MALFORMED, r->skip_error, r->raw.len);
			r->line++;
		}
		return;
	}
	if (plain) {
		split_plain(r, seg, plain);
		r->line++;
		return;
	}
	/* never_space keeps blanks libcsv would trim, at the price of a call
	 * for every byte; a line without blanks parses the same without it. */
	if (blanks != r->keeping_blanks) {
		csv_set_space_func(&r->parser, blanks ? never_space : NULL);
		r->keeping_blanks = blanks;
	}
	r->at_row_start = false;
	size_t done = r->own_parser ? own_parse(r, seg, len) : csv_parse(&r->parser, seg, len, on_field, on_record, r);
	if (done < len) {
		const char *why = parse_error_reason(r, seg[done]);
		discard_partial(r);
		if (r->start_line == r->line) {
			/* The bad record began on this line: drop the rest of it. */
			r->skipping = true;
			r->skip_error = why;
			if (ends_line) {
				r->skipping = false;
				push_record(r, CSVR_MALFORMED, why, r->raw.len);
				r->line++;
			}
			return;
		}
		reject_first_line_and_replay(r, why);
		return;
	}
	if (ends_line)
		r->line++;
}

/* Splits the segment being fed at its first lone CR, if it has one: the
 * part after it is kept in rest, to be fed next. Returns SEEN_BLANK when
 * the part to feed now holds a blank. Rare: out of line. */
static __attribute__((noinline)) unsigned split_at_lone_cr(struct csvr *r, const char *seg, size_t *len,
							 bool *ends_line)
{
	const char *cr = lone_cr(seg, *len);
	if (cr) {
		size_t n = (size_t)(cr - seg) + 1;
		r->rest = cr + 1;
		r->rest_len = *len - n;
		r->rest_has_lf = *ends_line;
		r->cr_ended_segment = r->rest_len == 0;
		*len = n;
		*ends_line = true;
	}
	return scan_line(seg, *len) & SEEN_BLANK;
}

/* Puts seg back in front of what is left to feed (it is fed next, as a
 * segment of its own). What is left, when anything is, follows seg in
 * memory: it is what split_at_lone_cr() cut off the same segment. */
static void keep_rest(struct csvr *r, const char *seg, size_t len, bool has_lf)
{
	if (r->rest_len == 0)
		r->rest_has_lf = has_lf;
	r->rest = seg;
	r->rest_len += len;
}

/* The record being fed reaches its limit within seg (one line or part of
 * one): a first line max_record, the lines after it raw_limit (kept to be
 * read again, see reject_first_line_and_replay). Its line end does not
 * count, so that where a read or a chunk cut a CRLF changes nothing.
 *   - The bytes up to the limit are fed first and the rest kept for later:
 *     a parse error in them is the record's error wherever the input was
 *     cut into segments, as csvpar needs.
 *   - At the limit, a record on its first line stops being parsed: libcsv
 *     would keep every byte (a 1 GB line took 1 GB there, then as much
 *     again in the arena and in the callers' copies), and no row that long
 *     can be loaded anyway. The rest of its line is skipped (feed_line), and
 *     it comes back as malformed, naming the limit.
 *   - At the limit, a record past its first line goes on only inside a
 *     quoted field, most likely a quote never closed: its first line is
 *     rejected and the lines after it read again.
 * Called when seg may not fit in the raw copy (raw_limit <= max_record), a
 * bound that costs the common path one comparison. Returns SIZE_MAX when
 * seg is dealt with; otherwise feed_line is to take it: 0, as it is (or to
 * skip it), n > 0, only its first n bytes, which end no line. Rare: out of
 * line, and feed_line is left with one caller to be inlined into. */
static __attribute__((noinline)) size_t over_limit(struct csvr *r, const char *seg, size_t len, bool has_lf)
{
	if (r->skipping)
		return 0;
	uint64_t used = r->in_record ? (uint64_t)(r->raw.len - r->raw_start) + r->raw_dropped : 0;
	bool more_lines = r->in_record && r->raw_first_line;
	size_t limit = more_lines ? r->raw_limit : r->max_record;
	size_t content = len;
	if (content && seg[content - 1] == '\n')
		content--;
	if (content && seg[content - 1] == '\r')
		content--;
	if (used + content <= limit)
		return 0;
	size_t room = used < limit ? (size_t)(limit - used) : 0;
	if (room) {
		keep_rest(r, seg + room, len - room, has_lf);
		return room;
	}
	discard_partial(r);
	if (more_lines) {
		keep_rest(r, seg, len, has_lf);
		reject_first_line_and_replay(r, r->open_too_long);
		return SIZE_MAX;
	}
	r->skipping = true;
	r->skip_error = r->too_long;
	return 0;
}

/* Feeds one segment (see next_segment). A lone CR ends a line as an LF does
 * (COPY counts it so in a file of CR line ends, and libcsv ends a record
 * there): libcsv gets the segment one such line at a time, so that a record
 * can only end where a line does and its raw bytes are exactly the lines
 * it was read from. */
static void feed(struct csvr *r, const char *seg, size_t len, bool has_lf)
{
	bool ends_line = has_lf;
	size_t plain = 0;
	unsigned seen = 0;
	if (r->cr_ended_segment && seg[0] == '\n') {
		/* The LF of a CRLF that a read split: its CR ended the line. */
		r->cr_ended_segment = false;
		if (!r->in_record && !r->skipping)
			return;
		ends_line = false; /* inside a quoted field */
	} else {
		r->cr_ended_segment = false;
		plain = plain_line(r, seg, len, has_lf);
		if (!plain && !r->from_rest) {
			size_t n = len; /* the CR of a final CRLF is no lone CR */
			if (has_lf && --n && seg[n - 1] == '\r')
				n--;
			seen = scan_line(seg, n);
		}
		if (r->from_rest || (seen & SEEN_CR))
			seen = split_at_lone_cr(r, seg, &len, &ends_line);
	}
	if (r->ignoring && ignore_line(r, seg, len, ends_line))
		return;
	/* seg is now one line or the part of one that the input holds. When
	 * the record's raw copy has room for all of it, it is within every
	 * limit too; otherwise over_limit looks closer. */
	size_t used = r->in_record ? r->raw.len - r->raw_start : 0;
	bool raw_fits = used + len <= r->raw_limit;
	if (!raw_fits) {
		size_t part = over_limit(r, seg, len, has_lf);
		if (part == SIZE_MAX)
			return;
		if (part) {
			len = part;
			ends_line = false;
			plain = 0;
			seen = SEEN_BLANK; /* nothing said whether seg holds any */
		}
	}
	feed_line(r, seg, len, ends_line, plain, seen & SEEN_BLANK, raw_fits);
}

/* End of input: flush libcsv. An open quote at this point means the record
 * that holds it was never closed. */
static void finish(struct csvr *r)
{
	if (r->skipping) {
		r->skipping = false;
		push_record(r, CSVR_MALFORMED, r->skip_error, r->raw.len);
		return;
	}
	if ((r->own_parser ? own_fini(r) : csv_fini(&r->parser, on_field, on_record, r)) == 0)
		return;
	const char *why = "unterminated quoted field";
	discard_partial(r);
	if (r->raw_first_line == 0 || r->raw_first_line == r->raw.len)
		push_record(r, CSVR_MALFORMED, why, r->raw.len);
	else
		reject_first_line_and_replay(r, why);
}

/* Drops the bytes of records already handed out, keeping a record in
 * progress (one that goes on past a lone CR that ended another) at the
 * front. */
static void compact(struct csvr *r)
{
	r->nrecs = r->next_rec = 0;
	if (!r->in_record && !r->skipping) {
		r->raw.len = 0;
	} else if (r->raw_start) {
		size_t keep = r->raw_start;
		memmove(r->raw.data, r->raw.data + keep, r->raw.len - keep);
		r->raw.len -= keep;
		r->raw_start -= keep;
		if (r->raw_first_line)
			r->raw_first_line -= keep;
	}
	if (!r->in_record || r->first_field == r->nfields) {
		r->arena.len = 0;
		r->nfields = r->first_field = 0;
		return;
	}
	size_t base = (size_t)(r->fields[r->first_field].data - r->arena.data);
	memmove(r->arena.data, r->arena.data + base, r->arena.len - base);
	r->arena.len -= base;
	size_t n = r->nfields - r->first_field;
	memmove(r->fields, r->fields + r->first_field, n * sizeof *r->fields);
	for (size_t i = 0; i < n; i++)
		r->fields[i].data -= base;
	r->nfields = n;
	r->first_field = 0;
}

static const struct csv_record *engine_next(struct csvr *r)
{
	if (r->next_rec == r->nrecs) {
		compact(r);
		bool ended = false;
		while (r->nrecs == 0 && !ended) {
			const char *seg;
			size_t len;
			bool has_lf;
			if (next_segment(r, &seg, &len, &has_lf)) {
				feed(r, seg, len, has_lf);
			} else if (r->read_error || (r->blocks && !r->last_block)) {
				return NULL; /* or, fed by blocks: wait for the next */
			} else {
				finish(r);
				/* finish() may have queued lines to parse again. */
				ended = r->replay_pos >= r->replay.len;
			}
		}
		if (r->nrecs == 0)
			return NULL;
	}
	const struct recref *q = &r->recs[r->next_rec++];
	r->rec = (struct csv_record){
		.kind = q->kind,
		.line = q->line,
		.nfields = q->n,
		.fields = q->n ? r->fields + q->first : NULL,
		.raw = r->raw.data ? r->raw.data + q->raw_off : "",
		.raw_len = r->raw.data ? trim_terminator(r->raw.data + q->raw_off, q->raw_len) : 0,
		.raw_cut = q->raw_cut,
		.error = q->error,
		.too_long = q->error == r->too_long,
	};
	return &r->rec;
}

const struct csv_record *csvr_next(struct csvr *r)
{
	return engine_next(r);
}

const char *csvr_error(const struct csvr *r)
{
	return r->read_error;
}

uint64_t csvr_bytes(const struct csvr *r)
{
	return r->bytes;
}

void csvr_close(struct csvr *r)
{
	if (!r)
		return;
	csv_free(&r->parser);
	free(r->inbuf);
	free(r->replay.data);
	free(r->arena.data);
	free(r->fields);
	free(r->recs);
	free(r->raw.data);
	free(r->own_field.data);
	free(r);
}

/* ---- writer ---- */

enum { WRITE_BUF = 128 * 1024 };

struct csvw {
	int fd;                /* -1: kept in memory */
	char delim;
	bool at_record_start;
	size_t len, cap;
	uint64_t bytes;
	char *buf;
};

struct csvw *csvw_open(int fd, char delim)
{
	struct csvw *w = xrealloc(NULL, sizeof *w);
	*w = (struct csvw){ .fd = fd, .delim = delim, .at_record_start = true, .cap = WRITE_BUF };
	w->buf = xrealloc(NULL, w->cap);
	return w;
}

struct csvw *csvw_open_mem(char delim)
{
	return csvw_open(-1, delim);
}

const char *csvw_mem_data(const struct csvw *w, size_t *len)
{
	*len = w->len;
	return w->buf;
}

void csvw_mem_clear(struct csvw *w)
{
	w->len = 0;
	w->at_record_start = true;
}

/* Makes room in a full buffer: writes it out, or in memory grows it. */
static int make_room(struct csvw *w)
{
	if (w->fd >= 0)
		return csvw_flush(w);
	w->cap *= 2;
	w->buf = xrealloc(w->buf, w->cap);
	return 0;
}

int csvw_flush(struct csvw *w)
{
	if (w->fd < 0)
		return 0;
	size_t off = 0;
	while (off < w->len) {
		ssize_t n = write(w->fd, w->buf + off, w->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* Keep what was not written out of later flushes. */
			memmove(w->buf, w->buf + off, w->len - off);
			w->len -= off;
			return -1;
		}
		off += (size_t)n;
	}
	w->len = 0;
	return 0;
}

/* write() all of data; -1 on error. */
static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int csvw_raw(struct csvw *w, const char *data, size_t len)
{
	w->bytes += len;
	if (w->fd >= 0 && len >= w->cap) /* as it is, not through the buffer */
		return csvw_flush(w) != 0 || write_all(w->fd, data, len) != 0 ? -1 : 0;
	while (len) {
		if (w->len == w->cap && make_room(w) != 0)
			return -1;
		size_t n = w->cap - w->len;
		if (n > len)
			n = len;
		memcpy(w->buf + w->len, data, n);
		w->len += n;
		data += n;
		len -= n;
	}
	return 0;
}

static int put_char(struct csvw *w, char c)
{
	if (w->len == w->cap && make_room(w) != 0)
		return -1;
	w->buf[w->len++] = c;
	w->bytes++;
	return 0;
}

static bool needs_quotes(const char *s, size_t len, char delim)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == delim || c == '"' || c == '\n' || c == '\r')
			return true;
	}
	return false;
}

int csvw_field(struct csvw *w, const char *data, size_t len, bool null)
{
	if (!w->at_record_start && put_char(w, w->delim) != 0)
		return -1;
	w->at_record_start = false;
	if (len == 0)
		return null ? 0 : csvw_raw(w, "\"\"", 2);
	if (!needs_quotes(data, len, w->delim))
		return csvw_raw(w, data, len);
	if (put_char(w, '"') != 0)
		return -1;
	const char *end = data + len;
	while (data < end) {
		const char *q = memchr(data, '"', (size_t)(end - data));
		size_t n = q ? (size_t)(q - data) + 1 : (size_t)(end - data);
		if (csvw_raw(w, data, n) != 0)
			return -1;
		if (q && put_char(w, '"') != 0) /* double the quote */
			return -1;
		data += n;
	}
	return put_char(w, '"');
}

int csvw_str(struct csvw *w, const char *s)
{
	return csvw_field(w, s, strlen(s), false);
}

int csvw_end_record(struct csvw *w)
{
	w->at_record_start = true;
	return put_char(w, '\n');
}

int csvw_record(struct csvw *w, const struct csv_field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (csvw_field(w, fields[i].data, fields[i].len, fields[i].null) != 0)
			return -1;
	return csvw_end_record(w);
}

uint64_t csvw_bytes(const struct csvw *w)
{
	return w->bytes;
}

int csvw_close(struct csvw *w)
{
	int rc = csvw_flush(w);
	free(w->buf);
	free(w);
	return rc;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		size_t n;
		unsigned min, cp;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1, min = 0x80, cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2, min = 0x800, cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false; /* continuation byte, C0/C1 overlong lead, or > F4 */
		}
		if ((size_t)(end - p) <= n)
			return false;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += n + 1;
	}
	return true;
}
