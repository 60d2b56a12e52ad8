/* SPDX-License-Identifier: MIT
 * Parallel CSV reading; see csvpar.h for what it promises.
 *
 * Three kinds of thread share a ring of chunk slots:
 *   - the reader fills slots in input order, cutting at quote-balanced
 *     line ends and counting lines ahead;
 *   - workers take filled slots in order and run the caller's work on them,
 *     each with a block-fed reader of its own;
 *   - the caller's thread hands the results over in order and frees the
 *     slots. It also parses by itself, one chunk after another with one
 *     reader kept across chunks, while workers are not to be trusted: up to
 *     the end of the header, and from a chunk that ended inside a record
 *     until one ends between records again. */
#define _GNU_SOURCE /* memrchr */
#include "csvpar.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

/* Big enough that the cost of handing a chunk over is lost in its parsing,
 * small enough that the chunks in flight take little memory. A chunk that
 * has found no quote-balanced line end by CUT_ANYWAY times that size is cut
 * at its last line end all the same (see fill_chunk). */
enum { DEFAULT_CHUNK = 1024 * 1024, CUT_ANYWAY = 4 };

enum slot_state { FREE, READY, WORKING, DONE };

struct slot {
	enum slot_state state;
	uint64_t seq;
	char *data;
	size_t len, cap;
	uint64_t first_line;
	uint64_t end_bytes;    /* input read up to the end of this chunk */
	bool last;             /* nothing follows */
	char read_error[160];  /* with last: why reading stopped early */
	void *result;
	bool between;          /* a worker's reader ended it between records */
	char parse_error[256]; /* a worker's reader stopped on this */
};

struct pipeline {
	int fd;
	const struct csvpar_opts *o;
	struct csv_dialect dialect;
	bool simple_cut;      /* no escape or comment character: memchr for quotes */
	const struct csvpar_ops *ops;
	size_t chunk_bytes;

	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct slot *slots;
	size_t nslots;
	uint64_t next_read;   /* the reader fills this chunk next */
	uint64_t next_work;   /* workers take this one next, when allowed */
	bool parallel;        /* workers may take chunks */
	bool stop;            /* the caller is done: threads quit */

	pthread_t reader;
	bool reader_started;
	pthread_t *workers;
	unsigned nworkers;
};

unsigned csvpar_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

static struct slot *slot_of(struct pipeline *p, uint64_t seq)
{
	return &p->slots[seq % p->nslots];
}

/* Newlines in s[0, len), 16 bytes at a time: each byte of a comparison is
 * all ones where s holds '\n', so subtracting it adds one to that byte lane
 * (unsigned, so wrapping is defined); the lanes are added up before any
 * of them can pass 255. GCC's vector types make this SIMD on any target. */
static uint64_t count_newlines(const char *s, size_t len)
{
	typedef unsigned char v16 __attribute__((vector_size(16)));
	const v16 lf = (v16){ 0 } + '\n';
	uint64_t n = 0;
	size_t i = 0;
	while (i + 16 <= len) {
		v16 lanes = { 0 };
		for (int round = 0; round < 255 && i + 16 <= len; round++, i += 16) {
			v16 v;
			memcpy(&v, s + i, 16);
			lanes -= (v16)(v == lf);
		}
		for (int b = 0; b < 16; b++)
			n += lanes[b];
	}
	for (; i < len; i++)
		n += s[i] == '\n';
	return n;
}

/* Line ends in s[0, len) as the reader counts them: each LF, and each CR
 * not followed by an LF (one that ends s counts: a chunk ends at an LF or
 * at the end of input). Most input holds no CR, and one memchr says so. */
static uint64_t count_line_ends(const char *s, size_t len)
{
	uint64_t n = count_newlines(s, len);
	const char *end = s + len;
	for (const char *p = s; (p = memchr(p, '\r', (size_t)(end - p))) != NULL; p++)
		n += p + 1 == end || p[1] != '\n';
	return n;
}

/* Looking for where to end a chunk: just after the last LF that has an
 * even number of quotes before it. The scan goes on from where it stopped
 * as the chunk grows, so a long quoted field is read through once. */
struct cut_scan {
	size_t scanned; /* bytes looked at */
	bool odd;       /* quotes in them */
	size_t cut;     /* the best place so far, or 0 */
	bool escaped;   /* the last byte looked at was an escape character */
	bool in_comment; /* inside a comment line */
	bool line_start; /* the next byte starts a line (a chunk's first does) */
};

/* scan_for_cut for a dialect with an escape or a comment character: a
 * byte at a time. A chunk starts at a line start. */
static void scan_dialect(struct cut_scan *sc, const struct csv_dialect *d, const char *s, size_t len)
{
	size_t pos = sc->scanned;
	if (pos == 0)
		sc->line_start = true;
	for (; pos < len; pos++) {
		unsigned char c = (unsigned char)s[pos];
		bool at_start = sc->line_start;
		sc->line_start = false;
		if (sc->in_comment) {
			if (c == '\n') {
				sc->in_comment = false;
				sc->line_start = true;
				sc->cut = pos + 1;
			}
		} else if (sc->escaped) {
			sc->escaped = false;
		} else if ((int)c == d->escape_char) {
			sc->escaped = true;
		} else if (c == (unsigned char)d->quote_char) {
			sc->odd = !sc->odd;
		} else if (c == '\n') {
			sc->line_start = true;
			if (!sc->odd)
				sc->cut = pos + 1;
		} else if (at_start && !sc->odd && (int)c == d->comment_char) {
			sc->in_comment = true;
		}
	}
	sc->scanned = len;
}

static void scan_for_cut(const struct pipeline *p, struct cut_scan *sc, const char *s, size_t len)
{
	if (!p->simple_cut) {
		scan_dialect(sc, &p->dialect, s, len);
		return;
	}
	const char quote = p->dialect.quote_char;
	size_t pos = sc->scanned;
	while (pos < len) {
		const char *q = memchr(s + pos, quote, len - pos);
		size_t stop = q ? (size_t)(q - s) : len;
		if (!sc->odd) {
			const char *lf = memrchr(s + pos, '\n', stop - pos);
			if (lf)
				sc->cut = (size_t)(lf - s) + 1;
		}
		if (q)
			sc->odd = !sc->odd;
		pos = q ? stop + 1 : len;
	}
	sc->scanned = len;
}

/* True when more input can be read at once: a pipe that has run dry sends
 * what is already read on its way, so rows flow from a slow producer. */
static bool more_ready(const struct pipeline *p)
{
	if (p->o->in)
		return decoder_ready(p->o->in);
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	return poll(&pfd, 1, 0) > 0;
}

static ssize_t from_decoder(void *d, char *buf, size_t want)
{
	return decoder_read(d, buf, want);
}

/* One read(2) of the input: through its decoder when it has one, and with
 * the seal held back when it is sealed. */
static ssize_t read_input(struct pipeline *p, char *buf, size_t want)
{
	const struct csvpar_opts *o = p->o;
	if (o->seal)
		return o->in ? seal_read_from(o->seal, from_decoder, o->in, buf, want)
			     : seal_read(o->seal, p->fd, buf, want);
	return o->in ? decoder_read(o->in, buf, want) : read(p->fd, buf, want);
}

static void reserve(struct slot *c, size_t need)
{
	if (need <= c->cap)
		return;
	c->cap = need > 2 * c->cap ? need : 2 * c->cap;
	c->data = xrealloc(c->data, c->cap);
}

/* Reads into c (which already holds what the last chunk left over) until
 * it holds a chunk's worth with a place to cut, input runs dry after a
 * place to cut, or input ends. Returns the length to keep. The thread may
 * be cancelled inside read() and poll() (the decoder's too), and only there. */
static size_t fill_chunk(struct pipeline *p, struct slot *c)
{
	struct cut_scan sc = { 0 };
	for (;;) {
		if (c->len >= p->chunk_bytes) {
			scan_for_cut(p, &sc, c->data, c->len);
			if (sc.cut)
				return sc.cut;
			/* One stray quote makes every line end after it look inside
			 * a quoted field: waiting for a balanced one would hold the
			 * rest of the input. Cut at a line end anyway; if that is
			 * inside a record, the worker's reader says so and the
			 * caller's thread parses on from here as one reader would. */
			const char *lf = memrchr(c->data, '\n', c->len);
			if (lf && c->len >= CUT_ANYWAY * p->chunk_bytes)
				return (size_t)(lf - c->data) + 1;
			if (!lf) {
				/* No LF at all: a line of megabytes, or CR line
				 * ends. Waiting for an LF would hold all of it
				 * here, so cut inside it: the caller's reader
				 * takes it one chunk after another and keeps
				 * only what its record limit allows. Not between
				 * the CR and LF of a CRLF, which the line count
				 * would take for two line ends, and not before
				 * three bytes: a reader recognises a byte order
				 * mark only in a first block that holds it all. */
				size_t cut = c->len;
				if (c->data[cut - 1] == '\r')
					cut--;
				if (cut >= 3)
					return cut;
			}
		}
		/* Up to a chunk's worth, then as much again as there is until
		 * there is a place to cut, but never past CUT_ANYWAY chunks,
		 * where a cut is always made: a slot holds no more. */
		size_t want = c->len < p->chunk_bytes ? p->chunk_bytes - c->len : c->len;
		size_t most = CUT_ANYWAY * p->chunk_bytes;
		if (c->len < most && want > most - c->len)
			want = most - c->len;
		reserve(c, c->len + want);
		int was;
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &was);
		ssize_t n = read_input(p, c->data + c->len, want);
		int saved = errno;
		bool ready = n > 0 && (c->len + (size_t)n >= p->chunk_bytes || more_ready(p));
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &was);
		if (n < 0 && saved == EINTR)
			continue;
		if (n <= 0) {
			c->last = true;
			if (n < 0)
				snprintf(c->read_error, sizeof c->read_error, "read error: %s", strerror(saved));
			return c->len;
		}
		c->len += (size_t)n;
		if (!ready) {
			scan_for_cut(p, &sc, c->data, c->len);
			if (sc.cut)
				return sc.cut;
		}
	}
}

static void free_at(void *pointer_to_pointer)
{
	free(*(char **)pointer_to_pointer);
}

static void *reader_main(void *arg)
{
	struct pipeline *p = arg;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_setname_np(pthread_self(), "csv-read");
	size_t carry_len = p->o->prefix_len;
	char *carry = xrealloc(NULL, carry_len + 1);
	if (carry_len)
		memcpy(carry, p->o->prefix, carry_len);
	pthread_cleanup_push(free_at, &carry);
	uint64_t line = 1, bytes = 0;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		struct slot *c = slot_of(p, p->next_read);
		while (c->state != FREE && !p->stop)
			pthread_cond_wait(&p->changed, &p->lock);
		bool stop = p->stop;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;

		c->last = false;
		c->read_error[0] = '\0';
		c->len = 0;
		reserve(c, carry_len + p->chunk_bytes);
		if (carry_len)
			memcpy(c->data, carry, carry_len);
		c->len = carry_len;
		size_t keep = fill_chunk(p, c);
		carry_len = c->len - keep;
		carry = xrealloc(carry, carry_len);
		if (carry_len)
			memcpy(carry, c->data + keep, carry_len);
		c->len = keep;
		c->first_line = line;
		line += count_line_ends(c->data, keep);
		bytes += keep;
		c->end_bytes = bytes;

		pthread_mutex_lock(&p->lock);
		c->seq = p->next_read++;
		c->state = READY;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
		if (c->last)
			break;
	}
	pthread_cleanup_pop(1);
	return NULL;
}

/* Parses chunk c from a clean start with reader r and runs the work. */
static void work_on(struct pipeline *p, struct slot *c, struct csvr *r, void *worker)
{
	csvr_restart(r, c->first_line, c->seq == 0);
	csvr_feed(r, c->data, c->len, c->last && !c->read_error[0]);
	p->ops->result_clear(p->ops->ctx, c->result);
	p->ops->work(p->ops->ctx, worker, r, c->result);
	c->between = c->last || csvr_between_records(r);
	const char *e = csvr_error(r);
	snprintf(c->parse_error, sizeof c->parse_error, "%s", e ? e : "");
}

static void *worker_main(void *arg)
{
	struct pipeline *p = arg;
	const struct csvpar_ops *ops = p->ops;
	pthread_setname_np(pthread_self(), "csv-work");
	void *worker = ops->worker_new ? ops->worker_new(ops->ctx) : NULL;
	struct csvr *r = csvr_open_blocks(p->o->name, p->dialect.delimiter);
	csvr_set_dialect(r, &p->dialect);
	csvr_split_plain_lines(r);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct slot *c = slot_of(p, p->next_work);
		while (!p->stop && !(p->parallel && p->next_work < p->next_read && c->seq == p->next_work &&
				     c->state == READY)) {
			pthread_cond_wait(&p->changed, &p->lock);
			c = slot_of(p, p->next_work);
		}
		if (p->stop)
			break;
		c->state = WORKING;
		p->next_work++;
		pthread_mutex_unlock(&p->lock);
		work_on(p, c, r, worker);
		pthread_mutex_lock(&p->lock);
		c->state = DONE;
		pthread_cond_broadcast(&p->changed);
	}
	pthread_mutex_unlock(&p->lock);
	csvr_close(r);
	if (ops->worker_free)
		ops->worker_free(ops->ctx, worker);
	return NULL;
}

/* Waits until chunk seq has been read; with done, until a worker has also
 * finished with it. Without done, takes it away from the workers. */
static struct slot *wait_chunk(struct pipeline *p, uint64_t seq, bool done)
{
	struct slot *c = slot_of(p, seq);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		bool read = p->next_read > seq && c->seq == seq;
		if (read && (done ? c->state == DONE : c->state != WORKING))
			break;
		pthread_cond_wait(&p->changed, &p->lock);
	}
	if (!done) {
		c->state = WORKING;
		if (p->next_work <= seq)
			p->next_work = seq + 1;
	}
	pthread_mutex_unlock(&p->lock);
	return c;
}

static void release(struct pipeline *p, struct slot *c)
{
	pthread_mutex_lock(&p->lock);
	c->state = FREE;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

/* Lets the workers take chunks from seq on, starting them the first time.
 * Returns false when no worker could be started. */
static bool go_parallel(struct pipeline *p, uint64_t seq)
{
	if (!p->workers) {
		p->workers = xrealloc(NULL, p->o->threads * sizeof *p->workers);
		for (unsigned i = 0; i < p->o->threads; i++)
			if (pthread_create(&p->workers[p->nworkers], NULL, worker_main, p) == 0)
				p->nworkers++;
	}
	pthread_mutex_lock(&p->lock);
	p->parallel = p->nworkers > 0;
	if (p->next_work < seq)
		p->next_work = seq;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return p->parallel;
}

static void shut_down(struct pipeline *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	if (p->reader_started) {
		pthread_cancel(p->reader); /* in case it waits for input */
		pthread_join(p->reader, NULL);
	}
	for (unsigned i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i], NULL);
	free(p->workers);
	for (size_t i = 0; i < p->nslots; i++) {
		free(p->slots[i].data);
		p->ops->result_free(p->ops->ctx, p->slots[i].result);
	}
	free(p->slots);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->changed);
}

static size_t chunk_size(const struct csvpar_opts *o)
{
	if (o->chunk_bytes)
		return o->chunk_bytes;
	const char *env = getenv("ELT_CSV_CHUNK_BYTES");
	long n = env ? atol(env) : 0;
	return n > 0 ? (size_t)n : DEFAULT_CHUNK;
}

bool csvpar_run(int fd, const struct csvpar_opts *o, const struct csvpar_ops *ops, char *err, size_t errsize)
{
	struct pipeline p = { .fd = fd, .o = o, .ops = ops, .chunk_bytes = chunk_size(o) };
	if (o->dialect)
		p.dialect = *o->dialect;
	else
		csv_dialect_init(&p.dialect, o->delim);
	p.simple_cut = p.dialect.escape_char == CSV_DIALECT_NONE && p.dialect.comment_char == CSV_DIALECT_NONE;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.changed, NULL);
	p.nslots = 2 * (size_t)o->threads + 2;
	p.slots = xrealloc(NULL, p.nslots * sizeof *p.slots);
	memset(p.slots, 0, p.nslots * sizeof *p.slots);
	for (size_t i = 0; i < p.nslots; i++)
		p.slots[i].result = ops->result_new(ops->ctx);

	void *worker = ops->worker_new ? ops->worker_new(ops->ctx) : NULL;
	void *result = ops->result_new(ops->ctx);
	struct csvr *alone = csvr_open_blocks(o->name, p.dialect.delimiter); /* the caller's own */
	csvr_set_dialect(alone, &p.dialect);
	csvr_split_plain_lines(alone);
	csvr_restart(alone, 1, true);
	bool on_my_own = true, header_seen = false, ok = true;
	err[0] = '\0';
	if (pthread_create(&p.reader, NULL, reader_main, &p) != 0) {
		snprintf(err, errsize, "cannot start a thread: %s", strerror(errno));
		ok = false;
	}
	p.reader_started = ok;

	for (uint64_t seq = 0; ok; seq++) {
		struct slot *c = wait_chunk(&p, seq, !on_my_own);
		if (!on_my_own && !c->between) {
			/* The cut was not between records: parse on from here
			 * alone. The workers stop taking chunks meanwhile: they
			 * would parse from cuts that are no record's start, and
			 * in a line of gigabytes every cut is one. */
			on_my_own = true;
			pthread_mutex_lock(&p.lock);
			p.parallel = false;
			pthread_mutex_unlock(&p.lock);
			csvr_restart(alone, c->first_line, false);
		}
		const char *failed;
		if (on_my_own) {
			csvr_feed(alone, c->data, c->len, c->last && !c->read_error[0]);
			if (!header_seen) {
				const struct csv_record *rec = csvr_next(alone);
				if (rec) {
					ops->header(ops->ctx, rec);
					header_seen = true;
					if (o->first_is_data)
						csvr_unread(alone);
				}
			}
			ops->result_clear(ops->ctx, result);
			if (header_seen)
				ops->work(ops->ctx, worker, alone, result);
			ops->deliver(ops->ctx, result, c->end_bytes);
			failed = csvr_error(alone);
		} else {
			ops->deliver(ops->ctx, c->result, c->end_bytes);
			failed = c->parse_error[0] ? c->parse_error : NULL;
		}
		if (failed || c->read_error[0]) {
			snprintf(err, errsize, "%s", failed ? failed : c->read_error);
			ok = false;
		}
		bool last = c->last;
		bool clean = on_my_own && header_seen && csvr_between_records(alone);
		release(&p, c);
		if (last)
			break;
		if (clean && o->threads > 0)
			on_my_own = !go_parallel(&p, seq + 1);
	}

	shut_down(&p);
	csvr_close(alone);
	ops->result_free(ops->ctx, result);
	if (ops->worker_free)
		ops->worker_free(ops->ctx, worker);
	return ok;
}
