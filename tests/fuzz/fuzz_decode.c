/* SPDX-License-Identifier: MIT
 * libFuzzer target: lib/decode over any bytes, read as each of a few
 * encodings (none named, UTF-8, Latin-1 and Windows-1252 through the
 * table, UTF-16LE and Shift_JIS through iconv) in reads of sizes the
 * input chooses, and the guess about the first bytes. Looks for crashes,
 * sanitizer reports and broken promises: UTF-8 without a mark comes out
 * byte for byte, Latin-1 (which defines every byte) as valid UTF-8 of
 * the same characters, no read larger than asked. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csvio.h"
#include "decode.h"

/* Decodes data as encoding with reads of sizes taken in turn from sizes;
 * returns the output (malloc'ed) and its length, or NULL. */
static char *decode_all(const uint8_t *data, size_t size, const char *encoding, const uint8_t *sizes,
			size_t nsizes, size_t *out_len)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	char err[256];
	struct decoder *d = decoder_open(fd, encoding, err, sizeof err);
	if (!d) {
		close(fd);
		return NULL;
	}
	char *out = malloc(4 * size + 64), buf[300];
	size_t n = 0;
	for (size_t i = 0;; i++) {
		size_t want = nsizes ? (size_t)sizes[i % nsizes] % sizeof buf + 1 : sizeof buf;
		ssize_t got = decoder_read(d, buf, want);
		if (got < 0 || (size_t)got > want || n + (size_t)got > 4 * size + 64)
			abort();
		if (got == 0)
			break;
		memcpy(out + n, buf, (size_t)got);
		n += (size_t)got;
	}
	decoder_close(d);
	close(fd);
	*out_len = n;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const encodings[] = { NULL, "UTF-8", "latin1", "windows-1252", "UTF-16LE", "SHIFT_JIS" };
	const uint8_t *sizes = data;
	size_t nsizes = size < 4 ? size : 4;
	for (size_t e = 0; e < sizeof encodings / sizeof encodings[0]; e++) {
		size_t len;
		char *out = decode_all(data, size, encodings[e], sizes, nsizes, &len);
		if (!out)
			abort();
		bool marked = size >= 2 && (!memcmp(data, "\xFF\xFE", 2) || !memcmp(data, "\xFE\xFF", 2) ||
					    (size >= 4 && !memcmp(data, "\0\0\xFE\xFF", 4)));
		if ((e == 1 || (e == 0 && !marked)) && (len != size || memcmp(out, data, size)))
			abort(); /* UTF-8 goes through untouched */
		if (e == 2) {
			size_t high = 0;
			for (size_t i = 0; i < size; i++)
				high += data[i] >= 0x80;
			if (len != size + high || !utf8_valid(out, len))
				abort();
		}
		free(out);
	}
	struct decoder_guess g;
	for (int at_end = 0; at_end < 2; at_end++)
		if (decoder_guess_bytes((const char *)data, size, at_end, &g) && (!g.encoding || g.line > size + 1))
			abort();
	return 0;
}
