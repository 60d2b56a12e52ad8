/* SPDX-License-Identifier: MIT
 * For the C tests and fuzz targets: every record of an input written out as
 * text, once through one csvr_open() reader and once through csvpar, so the
 * two can be compared byte for byte. */
#ifndef ELT_CSVDUMP_H
#define ELT_CSVDUMP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "../../validate/csvpar.h"

struct dump {
	char *s;
	size_t len, cap;
};

static inline void dump_add(struct dump *d, const void *p, size_t n)
{
	if (d->len + n + 1 > d->cap) {
		d->cap = 2 * (d->len + n + 1) + 256;
		d->s = realloc(d->s, d->cap);
		if (!d->s)
			abort();
	}
	memcpy(d->s + d->len, p, n);
	d->len += n;
	d->s[d->len] = '\0';
}

static inline void dump_printf(struct dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void dump_printf(struct dump *d, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	dump_add(d, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

static inline void dump_record(struct dump *d, const struct csv_record *rec)
{
	dump_printf(d, "kind %d line %llu fields %zu:", (int)rec->kind, (unsigned long long)rec->line, rec->nfields);
	for (size_t i = 0; i < rec->nfields; i++) {
		dump_printf(d, " %s%zu[", rec->fields[i].null ? "null" : "", rec->fields[i].len);
		dump_add(d, rec->fields[i].data, rec->fields[i].len);
		dump_add(d, "]", 1);
	}
	dump_printf(d, " raw %zu[", rec->raw_len);
	dump_add(d, rec->raw, rec->raw_len);
	dump_printf(d, "] %s\n", rec->error ? rec->error : "");
}

/* Every record a reader gives, then its error if any. */
static inline void dump_records(struct dump *d, struct csvr *r)
{
	const struct csv_record *rec;
	while ((rec = csvr_next(r)))
		dump_record(d, rec);
	if (csvr_error(r))
		dump_printf(d, "error: %s\n", csvr_error(r));
}

/* The records as one csvr_open() reader gives them, with a dialect (or
 * NULL: RFC 4180 with delim). */
static inline void dump_plain_dialect(struct dump *d, int fd, char delim, const struct csv_dialect *dialect)
{
	struct csvr *r = csvr_open(fd, "dump", delim);
	if (dialect)
		csvr_set_dialect(r, dialect);
	dump_records(d, r);
	csvr_close(r);
}

static inline void dump_plain(struct dump *d, int fd, char delim)
{
	dump_plain_dialect(d, fd, delim, NULL);
}

static inline void dump_header(void *ctx, const struct csv_record *rec)
{
	dump_record(ctx, rec);
}

static inline void *dump_new(void *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(struct dump));
}

static inline void dump_clear(void *ctx, void *result)
{
	(void)ctx;
	((struct dump *)result)->len = 0;
}

static inline void dump_free(void *ctx, void *result)
{
	(void)ctx;
	if (result)
		free(((struct dump *)result)->s);
	free(result);
}

static inline void dump_work(void *ctx, void *worker, struct csvr *r, void *result)
{
	(void)ctx, (void)worker;
	const struct csv_record *rec;
	while ((rec = csvr_next(r)))
		dump_record(result, rec);
}

static inline void dump_deliver(void *ctx, void *result, uint64_t bytes)
{
	(void)bytes;
	struct dump *chunk = result;
	dump_add(ctx, chunk->s ? chunk->s : "", chunk->len);
}

/* The records as csvpar gives them, cut into chunks of chunk_bytes. */
static inline void dump_parallel_dialect(struct dump *d, int fd, char delim, size_t chunk_bytes, unsigned threads,
					 const struct csv_dialect *dialect)
{
	const struct csvpar_opts o = { .name = "dump", .delim = delim, .threads = threads, .chunk_bytes = chunk_bytes,
				       .dialect = dialect };
	const struct csvpar_ops ops = {
		.ctx = d,
		.header = dump_header,
		.result_new = dump_new,
		.result_clear = dump_clear,
		.result_free = dump_free,
		.work = dump_work,
		.deliver = dump_deliver,
	};
	char err[256];
	if (!csvpar_run(fd, &o, &ops, err, sizeof err))
		dump_printf(d, "error: %s\n", err);
}

static inline void dump_parallel(struct dump *d, int fd, char delim, size_t chunk_bytes, unsigned threads)
{
	dump_parallel_dialect(d, fd, delim, chunk_bytes, threads, NULL);
}

#endif
