/* SPDX-License-Identifier: MIT
 * A growable byte buffer; see buf.h. */
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

int buf_read_file(struct buf *b, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* The size is a first guess: the file may grow, or be a pipe. */
	buf_reserve(b, st.st_size > 0 ? (size_t)st.st_size + 1 : 4096);
	for (;;) {
		if (b->len == b->cap)
			buf_grow(b, b->cap);
		ssize_t got = read(fd, b->data + b->len, b->cap - b->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (got == 0)
			break;
		b->len += (size_t)got;
	}
	close(fd);
	return 0;
}
