/* SPDX-License-Identifier: MIT
 * CSV reader over libcsv and CSV writer; see csvio.h for the contract.
 *
 * The reader feeds libcsv one physical line at a time (up to and including
 * its LF). That costs one csv_parse() call per line, which is small next to
 * the per-byte work, and buys exact line numbers, the raw bytes of every
 * record, and a clean place to stop and start again after a parse error,
 * none of which libcsv offers by itself. A line without quotes is split
 * here instead (see plain_line): libcsv's byte-by-byte state machine was
 * half of pgload's time on the sales stream. */
#include "csvio.h"

#include <csv.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	READ_CHUNK = 256 * 1024,
	/* A record longer than this keeps no raw copy; a parse error inside
	 * it can then not be recovered from. Large enough for a 10 MB field. */
	RAW_LIMIT = 64 * 1024 * 1024,
	CSV_BLOCK = 64 * 1024,
};

static void oom(void)
{
	fputs("out of memory\n", stderr);
	abort();
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

/* A growable byte buffer. */
struct bytes {
	char *data;
	size_t len, cap;
};

static void bytes_reserve(struct bytes *b, size_t extra)
{
	if (b->len + extra <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

static void bytes_add(struct bytes *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	bytes_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

struct fieldref {
	size_t off, len;
	bool null;
};

struct recref {
	enum csvr_kind kind;
	uint64_t line;
	size_t first, n; /* into fieldrefs */
	const char *error;
	size_t raw_len;  /* 0: the whole raw buffer; else a prefix of it */
};

struct csvr {
	int fd;
	const char *name;
	char delim;
	struct csv_parser parser;
	char *in;              /* read buffer */
	size_t in_pos, in_len;
	bool eof, started;
	const char *read_error;
	char read_error_buf[256];
	uint64_t bytes;

	struct bytes replay;   /* lines to parse again after an error */
	size_t replay_pos;

	struct bytes arena;    /* field bytes of queued records */
	struct fieldref *fields;
	size_t nfields, capfields;
	struct recref *recs;
	size_t nrecs, caprecs, next_rec;

	/* The record being parsed. */
	bool in_record;        /* bytes of a record have been fed */
	bool skipping;         /* after an error: drop the rest of the line */
	const char *skip_error;
	uint64_t start_line;   /* its first line */
	size_t first_field;    /* its first fieldref */
	struct bytes raw;      /* its input bytes */
	size_t raw_first_line; /* length of its first line in raw, LF included; 0 until known */
	bool raw_overflow;
	bool last_term_cr;     /* the previous record ended at a CR */
	uint64_t line;         /* the line being fed */

	struct csv_field *out; /* the fields handed out */
	size_t capout;
	struct csv_record rec;

	struct readahead *ahead; /* csvr_open_threaded() only */
};

static const struct csv_record *engine_next(struct csvr *r);
static void publish_before_read(struct csvr *r);

static int never_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void push_record(struct csvr *r, enum csvr_kind kind, const char *error, size_t raw_len)
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
		.raw_len = raw_len,
	};
	r->in_record = false;
	r->first_field = r->nfields;
}

/* The fields handed out for a record: refs[first] to refs[first + n - 1],
 * as pointers into base. refs may be NULL when n is 0. */
static void fields_out(struct csv_field **out, size_t *cap, const char *base, const struct fieldref *refs,
		       size_t first, size_t n)
{
	if (n > *cap) {
		*cap = n;
		*out = xrealloc(*out, n * sizeof **out);
	}
	for (size_t i = 0; i < n; i++) {
		const struct fieldref *f = &refs[first + i];
		(*out)[i] = (struct csv_field){ base + f->off, f->len, f->null };
	}
}

static void on_field(void *data, size_t len, void *ctx)
{
	struct csvr *r = ctx;
	if (!r->in_record) { /* a record that starts mid-line, after a lone CR */
		r->in_record = true;
		r->start_line = r->line;
		r->first_field = r->nfields;
	}
	r->last_term_cr = false;
	if (r->nfields == r->capfields) {
		r->capfields = r->capfields ? 2 * r->capfields : 256;
		r->fields = xrealloc(r->fields, r->capfields * sizeof *r->fields);
	}
	r->fields[r->nfields++] = (struct fieldref){ r->arena.len, len, data == NULL };
	bytes_reserve(&r->arena, len + 1);
	if (len)
		memcpy(r->arena.data + r->arena.len, data, len);
	r->arena.data[r->arena.len + len] = '\0';
	r->arena.len += len + 1;
}

static void on_record(int term, void *ctx)
{
	struct csvr *r = ctx;
	bool fields = r->nfields > r->first_field;
	if (term == '\n' && r->last_term_cr && !fields) { /* the LF of a CRLF */
		r->last_term_cr = false;
		return;
	}
	r->last_term_cr = term == '\r';
	if (!r->in_record) /* a blank line after a lone CR */
		r->start_line = r->line;
	push_record(r, fields ? CSVR_ROW : CSVR_BLANK, NULL, 0);
}

static void parser_init(struct csvr *r)
{
	if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_EMPTY_IS_NULL) != 0)
		oom();
	csv_set_delim(&r->parser, (unsigned char)r->delim);
	csv_set_space_func(&r->parser, never_space);
	csv_set_blk_size(&r->parser, CSV_BLOCK);
}

struct csvr *csvr_open(int fd, const char *name, char delim)
{
	struct csvr *r = xrealloc(NULL, sizeof *r);
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->name = name;
	r->in = xrealloc(NULL, READ_CHUNK);
	r->line = 1;
	r->delim = delim;
	parser_init(r);
	return r;
}

/* Refills the read buffer. Returns false at end of input or on error. */
static bool fill(struct csvr *r)
{
	if (r->eof)
		return false;
	r->in_pos = r->in_len = 0;
	for (;;) {
		/* A reader thread may be cancelled while it waits for input, and
		 * only then: it holds no lock and no half-made batch here. */
		int was;
		publish_before_read(r);
		if (r->ahead)
			pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &was);
		ssize_t n = read(r->fd, r->in + r->in_len, READ_CHUNK - r->in_len);
		if (r->ahead)
			pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &was);
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
 * what is buffered. Replayed lines come first. */
static bool next_segment(struct csvr *r, const char **seg, size_t *len, bool *has_lf)
{
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
 * one row. Returns false when the raw copy was too large to keep. */
static bool reject_first_line_and_replay(struct csvr *r, const char *error)
{
	if (r->raw_overflow)
		return false;
	struct bytes again = { 0 };
	bytes_add(&again, r->raw.data + r->raw_first_line, r->raw.len - r->raw_first_line);
	if (r->replay_pos < r->replay.len) /* NULL + 0 is undefined: no replay yet */
		bytes_add(&again, r->replay.data + r->replay_pos, r->replay.len - r->replay_pos);
	free(r->replay.data);
	r->replay = again;
	r->replay_pos = 0;
	push_record(r, CSVR_MALFORMED, error, r->raw_first_line);
	r->line = r->start_line + 1;
	return true;
}

static const char *parse_error_reason(char c)
{
	return c == '"' ? "quote character inside an unquoted field"
			: "character after the closing quote of a field";
}

/* The length of a whole line without its LF or CRLF when the line is a
 * record of its own with nothing for libcsv to decide: no quote, no other
 * CR, not blank. Such lines are most of every real input, and splitting
 * them at the delimiter here gives what libcsv gives (every byte kept, an
 * empty field null) in a fraction of its time. 0 for any other segment. */
static size_t plain_line(const struct csvr *r, const char *seg, size_t len, bool has_lf)
{
	if (r->in_record || r->skipping || r->last_term_cr || !has_lf)
		return 0;
	size_t n = len - 1;
	if (n && seg[n - 1] == '\r')
		n--;
	if (memchr(seg, '"', n) || memchr(seg, '\r', n))
		return 0;
	return n;
}

/* Queues the fields of a plain line (see plain_line) as on_field would,
 * copying the line into the arena at once and ending each field there with
 * a NUL in place of its delimiter, then ends the record as libcsv would. */
static void split_plain(struct csvr *r, const char *s, size_t n)
{
	bytes_reserve(&r->arena, n + 1);
	char *base = r->arena.data + r->arena.len, *p = base, *end = base + n;
	memcpy(base, s, n);
	*end = '\0';
	for (;;) {
		char *d = memchr(p, r->delim, (size_t)(end - p));
		if (d)
			*d = '\0';
		size_t flen = (size_t)((d ? d : end) - p);
		if (r->nfields == r->capfields) {
			r->capfields = r->capfields ? 2 * r->capfields : 256;
			r->fields = xrealloc(r->fields, r->capfields * sizeof *r->fields);
		}
		r->fields[r->nfields++] = (struct fieldref){ r->arena.len + (size_t)(p - base), flen, flen == 0 };
		if (!d)
			break;
		p = d + 1;
	}
	r->arena.len += n + 1;
	on_record('\n', r);
}

/* Feeds one segment. Returns false on a fatal error (message in read_error). */
static bool feed(struct csvr *r, const char *seg, size_t len, bool has_lf)
{
	size_t plain = plain_line(r, seg, len, has_lf);
	if (!r->in_record && !r->skipping) {
		r->in_record = true;
		r->start_line = r->line;
		r->first_field = r->nfields;
		r->raw.len = 0;
		r->raw_first_line = 0;
		r->raw_overflow = false;
	}
	if (r->raw.len + len <= RAW_LIMIT)
		bytes_add(&r->raw, seg, len);
	else
		r->raw_overflow = true;
	if (has_lf && r->raw_first_line == 0)
		r->raw_first_line = r->raw.len;

	if (r->skipping) {
		if (has_lf) {
			r->skipping = false;
			push_record(r, CSVR_MALFORMED, r->skip_error, 0);
			r->line++;
		}
		return true;
	}
	if (plain) {
		split_plain(r, seg, plain);
		r->line++;
		return true;
	}
	size_t done = csv_parse(&r->parser, seg, len, on_field, on_record, r);
	if (done < len) {
		const char *why = parse_error_reason(seg[done]);
		discard_partial(r);
		if (r->start_line == r->line) {
			/* The bad record began on this line: drop the rest of it. */
			r->skipping = true;
			r->skip_error = why;
			if (has_lf) {
				r->skipping = false;
				push_record(r, CSVR_MALFORMED, why, 0);
				r->line++;
			}
			return true;
		}
		if (reject_first_line_and_replay(r, why))
			return true;
		snprintf(r->read_error_buf, sizeof r->read_error_buf,
			 "line %llu: %s, in a record too long to recover from",
			 (unsigned long long)r->start_line, why);
		r->read_error = r->read_error_buf;
		return false;
	}
	if (has_lf)
		r->line++;
	return true;
}

/* End of input: flush libcsv. An open quote at this point means the record
 * that holds it was never closed. */
static bool finish(struct csvr *r)
{
	if (r->skipping) {
		r->skipping = false;
		push_record(r, CSVR_MALFORMED, r->skip_error, 0);
		return true;
	}
	if (csv_fini(&r->parser, on_field, on_record, r) == 0)
		return true;
	const char *why = "unterminated quoted field";
	discard_partial(r);
	if (r->raw_first_line == 0 || r->raw_first_line == r->raw.len) {
		push_record(r, CSVR_MALFORMED, why, 0);
		return true;
	}
	if (reject_first_line_and_replay(r, why))
		return true;
	snprintf(r->read_error_buf, sizeof r->read_error_buf,
		 "line %llu: %s, in a record too long to recover from",
		 (unsigned long long)r->start_line, why);
	r->read_error = r->read_error_buf;
	return false;
}

/* Drops the bytes of records already handed out, keeping a record in
 * progress (one that began after a lone CR mid-line) at the front. */
static void compact(struct csvr *r)
{
	r->nrecs = r->next_rec = 0;
	if (!r->in_record || r->first_field == r->nfields) {
		r->arena.len = 0;
		r->nfields = r->first_field = 0;
		return;
	}
	size_t base = r->fields[r->first_field].off;
	memmove(r->arena.data, r->arena.data + base, r->arena.len - base);
	r->arena.len -= base;
	size_t n = r->nfields - r->first_field;
	memmove(r->fields, r->fields + r->first_field, n * sizeof *r->fields);
	for (size_t i = 0; i < n; i++)
		r->fields[i].off -= base;
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
				if (!feed(r, seg, len, has_lf))
					return NULL;
			} else if (r->read_error) {
				return NULL;
			} else {
				if (!finish(r))
					return NULL;
				/* finish() may have queued lines to parse again. */
				ended = r->replay_pos >= r->replay.len;
			}
		}
		if (r->nrecs == 0)
			return NULL;
	}
	const struct recref *q = &r->recs[r->next_rec++];
	fields_out(&r->out, &r->capout, r->arena.data, r->fields, q->first, q->n);
	size_t raw_len = q->raw_len ? q->raw_len : r->raw.len;
	r->rec = (struct csv_record){
		.kind = q->kind,
		.line = q->line,
		.nfields = q->n,
		.fields = r->out,
		.raw = r->raw.data ? r->raw.data : "",
		.raw_len = r->raw.data ? trim_terminator(r->raw.data, raw_len) : 0,
		.error = q->error,
	};
	return &r->rec;
}

/* ---- reading ahead in a thread ----
 *
 * The reader thread runs the engine above and copies its records into
 * batches of a few thousand; the caller's thread takes whole batches. With
 * two cores, parsing then overlaps whatever the caller does with the rows. */

enum { N_BATCHES = 4, BATCH_RECORDS = 4096, BATCH_BYTES = 1024 * 1024 };

struct brec {
	enum csvr_kind kind;
	uint64_t line;
	size_t first, n;         /* into the batch's fields */
	size_t raw_off, raw_len; /* into the batch's bytes */
	const char *error;       /* static text */
};

struct batch {
	struct bytes data;
	struct fieldref *fields;
	size_t nfields, capfields;
	struct brec *recs;
	size_t nrecs, caprecs;
	uint64_t bytes;          /* input consumed when the batch was closed */
	bool last;               /* nothing follows */
};

struct readahead {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct batch batches[N_BATCHES];
	size_t filled;           /* batches ready for the caller, from head */
	size_t head;             /* the caller's current batch */
	size_t next_rec;         /* within it */
	struct batch *cur;       /* the reader thread's, being filled */
	size_t next_slot;        /* the reader thread's next batch */
	bool started;            /* the caller holds batches[head] */
	bool closing;            /* csvr_close() wants the thread gone */
	const char *error;       /* the engine's, when done */
	struct csv_field *out;
	size_t capout;
	struct csv_record rec;
};

static void batch_add(struct batch *b, const struct csv_record *rec)
{
	if (b->nrecs == b->caprecs) {
		b->caprecs = b->caprecs ? 2 * b->caprecs : BATCH_RECORDS;
		b->recs = xrealloc(b->recs, b->caprecs * sizeof *b->recs);
	}
	if (b->nfields + rec->nfields > b->capfields) {
		b->capfields = 2 * (b->nfields + rec->nfields) + 256;
		b->fields = xrealloc(b->fields, b->capfields * sizeof *b->fields);
	}
	struct brec *q = &b->recs[b->nrecs++];
	*q = (struct brec){ rec->kind, rec->line, b->nfields, rec->nfields, 0, rec->raw_len, rec->error };
	for (size_t i = 0; i < rec->nfields; i++) {
		const struct csv_field *f = &rec->fields[i];
		b->fields[b->nfields++] = (struct fieldref){ b->data.len, f->len, f->null };
		bytes_reserve(&b->data, f->len + 1);
		memcpy(b->data.data + b->data.len, f->data, f->len + 1); /* with its NUL */
		b->data.len += f->len + 1;
	}
	q->raw_off = b->data.len;
	bytes_add(&b->data, rec->raw, rec->raw_len);
}

/* Hands the batch being filled to the caller. */
static void publish(struct csvr *r, bool last)
{
	struct readahead *a = r->ahead;
	a->cur->bytes = r->bytes;
	a->cur->last = last;
	pthread_mutex_lock(&a->lock);
	if (last)
		a->error = r->read_error;
	a->filled++;
	pthread_cond_broadcast(&a->changed);
	pthread_mutex_unlock(&a->lock);
	a->cur = NULL;
}

/* Called by the engine before it blocks on input: rows already parsed go to
 * the caller now rather than when the batch is full, so a slow stream
 * (tail -f | validate) flows row by row. */
static void publish_before_read(struct csvr *r)
{
	if (r->ahead && r->ahead->cur && r->ahead->cur->nrecs > 0)
		publish(r, false);
}

/* Waits for a free batch; NULL when the reader is being closed. Batches are
 * filled and given back in ring order, so the next slot is free whenever
 * fewer than all are filled. */
static struct batch *acquire(struct readahead *a)
{
	pthread_mutex_lock(&a->lock);
	while (a->filled == N_BATCHES && !a->closing)
		pthread_cond_wait(&a->changed, &a->lock);
	bool closing = a->closing;
	pthread_mutex_unlock(&a->lock);
	if (closing)
		return NULL;
	struct batch *b = &a->batches[a->next_slot];
	a->next_slot = (a->next_slot + 1) % N_BATCHES;
	b->data.len = b->nfields = b->nrecs = 0;
	return b;
}

static void *reader_thread(void *arg)
{
	struct csvr *r = arg;
	struct readahead *a = r->ahead;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	for (;;) {
		if (!a->cur && !(a->cur = acquire(a)))
			return NULL;
		const struct csv_record *rec = engine_next(r);
		if (!a->cur && !(a->cur = acquire(a))) /* the engine may have published */
			return NULL;
		if (!rec) {
			publish(r, true);
			return NULL;
		}
		batch_add(a->cur, rec);
		if (a->cur->nrecs >= BATCH_RECORDS || a->cur->data.len >= BATCH_BYTES)
			publish(r, false);
	}
}

struct csvr *csvr_open_threaded(int fd, const char *name, char delim)
{
	struct csvr *r = csvr_open(fd, name, delim);
	struct readahead *a = xrealloc(NULL, sizeof *a);
	memset(a, 0, sizeof *a);
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->changed, NULL);
	r->ahead = a;
	if (pthread_create(&a->thread, NULL, reader_thread, r) != 0) {
		/* No thread: read in the caller's thread instead. */
		r->ahead = NULL;
		pthread_mutex_destroy(&a->lock);
		pthread_cond_destroy(&a->changed);
		free(a);
	}
	return r;
}

static const struct csv_record *ahead_next(struct readahead *a)
{
	struct batch *b = a->started ? &a->batches[a->head] : NULL;
	if (!b || a->next_rec == b->nrecs) {
		if (b && b->last)
			return NULL;
		pthread_mutex_lock(&a->lock);
		if (b) { /* give the finished batch back */
			a->head = (a->head + 1) % N_BATCHES;
			a->filled--;
			pthread_cond_broadcast(&a->changed);
		}
		while (a->filled == 0)
			pthread_cond_wait(&a->changed, &a->lock);
		a->started = true;
		a->next_rec = 0;
		pthread_mutex_unlock(&a->lock);
		b = &a->batches[a->head];
		if (b->nrecs == 0)
			return NULL;
	}
	const struct brec *q = &b->recs[a->next_rec++];
	fields_out(&a->out, &a->capout, b->data.data, b->fields, q->first, q->n);
	a->rec = (struct csv_record){
		.kind = q->kind,
		.line = q->line,
		.nfields = q->n,
		.fields = a->out,
		.raw = b->data.data ? b->data.data + q->raw_off : "",
		.raw_len = q->raw_len,
		.error = q->error,
	};
	return &a->rec;
}

const struct csv_record *csvr_next(struct csvr *r)
{
	return r->ahead ? ahead_next(r->ahead) : engine_next(r);
}

const char *csvr_error(const struct csvr *r)
{
	if (r->ahead) {
		struct readahead *a = r->ahead;
		bool over = a->started && a->batches[a->head].last;
		return over ? a->error : NULL;
	}
	return r->read_error;
}

uint64_t csvr_bytes(const struct csvr *r)
{
	if (r->ahead)
		return r->ahead->started ? r->ahead->batches[r->ahead->head].bytes : 0;
	return r->bytes;
}

static void ahead_close(struct readahead *a)
{
	pthread_cancel(a->thread); /* takes effect only while it waits for input */
	pthread_mutex_lock(&a->lock);
	a->closing = true;         /* wakes it if it waits for a free batch */
	pthread_cond_broadcast(&a->changed);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	for (int i = 0; i < N_BATCHES; i++) {
		free(a->batches[i].data.data);
		free(a->batches[i].fields);
		free(a->batches[i].recs);
	}
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->changed);
	free(a->out);
	free(a);
}

void csvr_close(struct csvr *r)
{
	if (!r)
		return;
	if (r->ahead)
		ahead_close(r->ahead);
	csv_free(&r->parser);
	free(r->in);
	free(r->replay.data);
	free(r->arena.data);
	free(r->fields);
	free(r->recs);
	free(r->raw.data);
	free(r->out);
	free(r);
}

/* ---- writer ---- */

enum { WRITE_BUF = 128 * 1024 };

struct csvw {
	int fd;
	char delim;
	bool at_record_start;
	size_t len;
	uint64_t bytes;
	char buf[WRITE_BUF];
};

struct csvw *csvw_open(int fd, char delim)
{
	struct csvw *w = xrealloc(NULL, sizeof *w);
	w->fd = fd;
	w->delim = delim;
	w->at_record_start = true;
	w->len = 0;
	w->bytes = 0;
	return w;
}

int csvw_flush(struct csvw *w)
{
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

int csvw_raw(struct csvw *w, const char *data, size_t len)
{
	w->bytes += len;
	while (len) {
		if (w->len == WRITE_BUF && csvw_flush(w) != 0)
			return -1;
		size_t n = WRITE_BUF - w->len;
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
	if (w->len == WRITE_BUF && csvw_flush(w) != 0)
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
