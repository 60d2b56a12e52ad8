/* SPDX-License-Identifier: MIT
 * A growable byte buffer: text being built (SQL, JSON, a template's
 * output) and the CSV reader's byte stores.
 *
 *   struct buf b = { 0 };
 *   buf_printf(&b, "%d rows", n);
 *   puts(buf_str(&b));
 *   buf_free(&b);
 *
 * A zeroed struct is an empty buffer. data holds len bytes, and is NULL
 * until something is added; the bytes are not NUL-terminated unless
 * buf_str() or buf_detach() is asked for. Memory comes from xalloc: out of
 * memory, the program exits with status 3. The appending functions are
 * inline, as the CSV reader calls them for every record: only growing is
 * out of line. */
#ifndef ELT_BUF_H
#define ELT_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *data;
	size_t len, cap;
};

/* Makes room for extra more bytes beyond len, moving data. */
void buf_grow(struct buf *b, size_t extra);

/* Makes sure extra more bytes fit without moving data again. */
static inline void buf_reserve(struct buf *b, size_t extra)
{
	if (extra > b->cap - b->len)
		buf_grow(b, extra);
}

static inline void buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0) /* p may be NULL then, which memcpy does not allow */
		return;
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void buf_addc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
}

static inline void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Appends printf-style formatted text (without a NUL). */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The contents as a C string: a NUL is written after them (not counted
 * in len). Valid until the buffer next changes. Never NULL. */
const char *buf_str(struct buf *b);

/* Hands the contents over as a C string the caller frees (never NULL),
 * leaving the buffer empty. */
char *buf_detach(struct buf *b);

/* Empties the buffer, keeping its memory for what comes next. */
static inline void buf_reset(struct buf *b)
{
	b->len = 0;
}

/* Frees the memory; the buffer is empty and may be used again. */
void buf_free(struct buf *b);

/* Appends the whole of the file at path (a project's YAML or SQL: small
 * files read at once). Returns 0, or -1 with "path: reason" in err. */
int buf_read_file(struct buf *b, const char *path, char *err, size_t errlen);

#endif
