/* SPDX-License-Identifier: MIT
 * A growable byte buffer; see buf.h. */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "exitcode.h"
#include "log.h"
#include "xalloc.h"

/* Doubling from 4 KiB: a buffer that grows to n bytes was copied less
 * than n bytes in all. */
void buf_grow(struct buf *b, size_t extra)
{
	if (extra > SIZE_MAX / 2 - b->len)
		die(EXIT_OPER, "out of memory");
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	/* Straight into the room there is; a second try when that is short. */
	size_t room = b->cap - b->len;
	va_start(ap, fmt);
	int n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? room : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die(EXIT_OPER, "cannot format \"%s\"", fmt);
	if ((size_t)n >= room) {
		buf_reserve(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

const char *buf_str(struct buf *b)
{
	buf_reserve(b, 1);
	b->data[b->len] = '\0';
	return b->data;
}

char *buf_detach(struct buf *b)
{
	buf_str(b);
	char *s = b->data;
	*b = (struct buf){ 0 };
	return s;
}

void buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf){ 0 };
}
