/* SPDX-License-Identifier: MIT
 * CSV (RFC 4180) reading over libcsv and writing, for every program that
 * takes or makes CSV.
 *
 * The reader hands out one record at a time together with the physical line
 * it starts on (header = line 1, a newline inside a quoted field counts, as
 * PostgreSQL's COPY counts) and the raw input bytes it came from, so callers
 * can say exactly where a problem is and quarantine the row unchanged.
 *
 * What it accepts and how it differs from bare libcsv:
 *   - every byte of a field is kept (libcsv would trim spaces and tabs);
 *   - LF and CRLF end a line and a record; a lone CR does too, as in libcsv
 *     and COPY (a file of CR line ends reads as one of LFs would);
 *   - a UTF-8 byte order mark at the very start is dropped;
 *   - a blank line comes back as a record of kind CSVR_BLANK;
 *   - a malformed record (a stray quote, an unterminated quoted field) comes
 *     back as CSVR_MALFORMED with a reason, and reading goes on: the reader
 *     rejects the record's first line and parses again from the line after
 *     it, so one bad quote cannot swallow the rest of the file. A quoted
 *     field still open at a line end 64 MiB after its record's first line
 *     is taken for a quote never closed, so that the lines kept to be read
 *     again stay bounded;
 *   - a record longer than the reader's limit (csvr_set_max_record) is
 *     not parsed: it comes back as CSVR_MALFORMED ("the record is over
 *     100 MiB, ...") with the start of its raw bytes, and reading goes on
 *     after the line where it passed the limit. That bounds the memory a
 *     reader and its callers take whatever the input;
 *   - an empty unquoted field is marked null; "" is an empty string (the
 *     distinction COPY makes in CSV mode).
 * Field data is NUL-terminated for convenience but may itself hold NUL
 * bytes; use the length. Nothing here checks UTF-8: see utf8_valid(). */
#ifndef ELT_CSVIO_H
#define ELT_CSVIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct csv_field {
	const char *data; /* NUL-terminated; valid until the next csvr_next() */
	size_t len;
	bool null;        /* empty and unquoted */
};

enum csvr_kind {
	CSVR_ROW,       /* an ordinary record */
	CSVR_BLANK,     /* an empty line */
	CSVR_MALFORMED, /* cannot be parsed; see error */
};

struct csv_record {
	enum csvr_kind kind;
	uint64_t line;       /* physical line the record starts on, from 1 */
	size_t nfields;
	const struct csv_field *fields;
	const char *raw;     /* the input lines holding the record, without the */
	size_t raw_len;      /* final line terminator; a multi-line record keeps */
	                     /* its inner newlines */
	bool raw_cut;        /* raw holds only the first 64 MiB of a huge record
	                      * (or the first max_record bytes, when less) */
	const char *error;   /* CSVR_MALFORMED only: what is wrong, for people */
	bool too_long;       /* CSVR_MALFORMED for being over the reader's limit */
};

struct csvr;

/* The longest record a reader takes by default, in bytes as read: quotes
 * and the line ends inside it count, its final line end does not.
 * PostgreSQL takes rows up to 1 GB, but a record is held about three times
 * over on its way (libcsv's field buffer, the reader's copy, the caller's
 * output), so the default is what a load can carry in a few hundred MB; a
 * longer record is refused with its line rather than taking gigabytes or
 * reaching the server's limit. Refusing one costs about 170 MB (libcsv's
 * buffer up to the limit and the first 64 MiB of raw bytes). $ELT_CSV_MAX_RECORD (bytes)
 * sets another for every reader of a run, as csvr_set_max_record() does for
 * one. */
#define CSVR_MAX_RECORD ((size_t)100 * 1024 * 1024)

/* Reads from fd, which stays open and owned by the caller. name is used in
 * messages only. delim is ',' or '\t'. Never returns NULL (aborts on
 * out-of-memory). */
struct csvr *csvr_open(int fd, const char *name, char delim);

/* Reads r with dialect d (dialect.h) instead of RFC 4180 with the
 * delimiter given to csvr_open(): its delimiter, quote and escape
 * characters, doubleQuote and skipInitialSpace; comment lines, and the
 * lines above d->header_row, are skipped unread (they count in line
 * numbers, and no record is made of them). d->header is the caller's to
 * act on. Call before the first csvr_next() or csvr_restart(). The default
 * dialect reads exactly as without it; the others that libcsv cannot read
 * are parsed here, a byte at a time. */
struct csv_dialect;
void csvr_set_dialect(struct csvr *r, const struct csv_dialect *d);

/* Makes the next csvr_next() return the record it returned last once more
 * (csvpar: a first row that is data, not a header). */
void csvr_unread(struct csvr *r);

/* A reader the caller feeds with blocks of input instead of a fd; csvpar
 * uses it to parse pieces of one input on several threads.
 *   csvr_restart() forgets everything and starts parsing afresh at
 *     first_line (at_start: at the start of the input, where a BOM is
 *     dropped);
 *   csvr_feed() gives it the next block, which must stay untouched until
 *     csvr_next() has returned NULL; last says the input ends with it;
 *   csvr_next() then returns the records completed within the block, and
 *     NULL when it is used up (or, after the last block, at the end);
 *   csvr_between_records() says, after that NULL, whether the block ended
 *     between records: false when a record goes on into the next block. */
struct csvr *csvr_open_blocks(const char *name, char delim);
void csvr_restart(struct csvr *r, uint64_t first_line, bool at_start);
void csvr_feed(struct csvr *r, const char *data, size_t len, bool last);
bool csvr_between_records(const struct csvr *r);

/* The next record, or NULL at the end of input or on a read error (then
 * csvr_error() says what happened). The record and its fields stay valid
 * until the next call. */
const struct csv_record *csvr_next(struct csvr *r);

/* Sets the longest record r takes (bytes; 0 or more than 1 GB - 1: that
 * ceiling, the most PostgreSQL takes in one row). Call before the first
 * csvr_next(). csvr_open() sets CSVR_MAX_RECORD or $ELT_CSV_MAX_RECORD,
 * and stops the program with EXIT_USAGE when that is not a number. */
void csvr_set_max_record(struct csvr *r, size_t bytes);
size_t csvr_max_record(const struct csvr *r);

/* From now on, splits a line that holds no quote and no lone CR at the
 * delimiter here rather than in libcsv: the same records, in a fraction of
 * the time. pgload and validate ask for it. */
void csvr_split_plain_lines(struct csvr *r);

/* Before the first csvr_next(), for a sealed input (see seal.h): the
 * input's last SEAL_LEN bytes are never parsed but left in s, for the
 * caller to check with seal_check() once csvr_next() has returned NULL. */
struct seal_in;
void csvr_hold_seal(struct csvr *r, struct seal_in *s);

/* NULL after a clean end of input; otherwise a message such as
 * "read error: Is a directory". */
const char *csvr_error(const struct csvr *r);

/* Bytes consumed from the input so far, for progress and summaries. */
uint64_t csvr_bytes(const struct csvr *r);

void csvr_close(struct csvr *r);

/* The writer. Output is buffered; every function returns 0, or -1 with errno
 * set after a failed write (the caller reports it and stops). */
struct csvw;

struct csvw *csvw_open(int fd, char delim);
/* Appends one field, quoting it only when it must be: when it holds the
 * delimiter, a quote, CR or LF, or is an empty string that is not null. */
int csvw_field(struct csvw *w, const char *data, size_t len, bool null);
int csvw_str(struct csvw *w, const char *s); /* a C string, never null */
/* Appends bytes the caller has already made safe, e.g. a formatted number. */
int csvw_raw(struct csvw *w, const char *data, size_t len);
int csvw_end_record(struct csvw *w);
/* All fields of a record, then the end of the record. */
int csvw_record(struct csvw *w, const struct csv_field *fields, size_t n);
/* Bytes handed to the writer so far. */
uint64_t csvw_bytes(const struct csvw *w);
int csvw_flush(struct csvw *w);
/* A writer that keeps what it is given in memory, for a thread to make
 * output that another writes out: csvw_mem_data() is all of it so far,
 * csvw_mem_clear() empties it. */
struct csvw *csvw_open_mem(char delim);
const char *csvw_mem_data(const struct csvw *w, size_t *len);
void csvw_mem_clear(struct csvw *w);
/* Flushes and frees; the fd stays open. Returns the flush's result. */
int csvw_close(struct csvw *w);

/* True when the bytes are well-formed UTF-8 (no overlong forms, surrogates
 * or code points above U+10FFFF). */
bool utf8_valid(const char *s, size_t len);

#endif
