/* SPDX-License-Identifier: MIT
 * Parallel CSV reading: one input is cut into chunks of whole lines, a pool
 * of threads parses and works on the chunks, and the caller's thread gets
 * each chunk's result back in input order.
 *
 * A chunk ends at a line end where the number of quote characters since the
 * chunk began is even, or, when there is none in a few chunks' worth of
 * input, at any line end (in a line longer than that, anywhere), so that
 * memory stays bounded. In well-formed CSV
 * the first is always the end of a record, so each chunk can be parsed on
 * its own, from a clean start, with line numbers counted ahead. Malformed
 * input (a stray quote) or the second kind of cut can make that guess
 * wrong; the chunk's reader then ends inside a record, its
 * result is thrown away, and the caller's thread parses on from that
 * chunk's start one chunk at a time, as a single reader would, until a chunk
 * ends between records again. With a dialect, quotes are its quote
 * character, an escaped byte is not counted, and a comment line is passed
 * over (the guess only has to be good: correctness never rests on it).
 * Records, line numbers and errors are
 * therefore those of csvr_open() on the same input, whatever the chunk size
 * and the number of threads (the tests compare them). */
#ifndef ELT_CSVPAR_H
#define ELT_CSVPAR_H

#include "csvio.h"
#include "decode.h"
#include "dialect.h"
#include "seal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct csvpar_ops {
	void *ctx; /* passed to every function below */
	/* The input's first record, on the caller's thread, before any work. */
	void (*header)(void *ctx, const struct csv_record *rec);
	/* State of one working thread (may return NULL). */
	void *(*worker_new)(void *ctx);
	void (*worker_free)(void *ctx, void *worker);
	/* A chunk's result: one is kept per chunk in flight and reused. */
	void *(*result_new)(void *ctx);
	void (*result_clear)(void *ctx, void *result);
	void (*result_free)(void *ctx, void *result);
	/* On any thread: takes the chunk's records from r with csvr_next()
	 * until NULL and writes what it finds into result. */
	void (*work)(void *ctx, void *worker, struct csvr *r, void *result);
	/* On the caller's thread, in input order. bytes: input read up to the
	 * end of this chunk. */
	void (*deliver)(void *ctx, void *result, uint64_t bytes);
};

struct csvpar_opts {
	const char *name;   /* for messages */
	char delim;
	const struct csv_dialect *dialect; /* or NULL: RFC 4180 with delim */
	bool first_is_data; /* the header callback's record is also the first
	                       row the work gets (a dialect without a header) */
	const char *prefix; /* the input's first prefix_len bytes, already read */
	size_t prefix_len;  /* from fd by the caller (to sniff them) */
	unsigned threads;   /* working threads besides the caller's; 0: none */
	size_t chunk_bytes; /* 0: 1 MiB, or $ELT_CSV_CHUNK_BYTES (for tests) */
	struct seal_in *seal; /* a sealed input: its seal is held back here, for
	                         the caller to check (see seal.h); or NULL */
	struct decoder *in;   /* the input is read through this decoder, as UTF-8
	                         (see decode.h), instead of from fd; or NULL */
};

/* Reads fd to its end. Returns true, or false with what stopped it in err
 * (a read error, or a record too long to recover from: as csvr_error()). A
 * header callback that never came means the input was empty. */
bool csvpar_run(int fd, const struct csvpar_opts *o, const struct csvpar_ops *ops, char *err, size_t errsize);

/* The number of processors online, at least 1. */
unsigned csvpar_cpus(void);

#endif
