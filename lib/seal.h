/* SPDX-License-Identifier: MIT
 * The seal: how a program in a pipe tells the next one that it finished.
 *
 * A pipe carries no word of its writer's fate: a reader that sees end of
 * input cannot tell a producer that finished from one that died between
 * two rows, or one that wrote everything and then failed a check. So a
 * producer asked for it (gen --seal, validate --seal) ends its stream,
 * after the last byte of data and only once it knows it succeeded, with a
 * fixed-size trailer:
 *
 *     #elt-seal v1 rows=00000000000000001234\n      (SEAL_LEN bytes)
 *
 * where rows counts the records it wrote after the header. A consumer
 * asked for it (validate --sealed, pgload --sealed) holds back the last
 * SEAL_LEN bytes of its input while it reads, so the trailer never reaches
 * its CSV parser, and at the end requires a well-formed seal whose count
 * equals the records it read. No seal, a malformed one or another count
 * means the stream is not whole; pgload then commits nothing.
 *
 * The cost is one copy of SEAL_LEN bytes per read() call, whatever the
 * size of the input: rows are not written twice. */
#ifndef ELT_SEAL_H
#define ELT_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum { SEAL_LEN = 39 };

/* Writes the seal for `rows` records into out (SEAL_LEN bytes, no NUL). */
void seal_format(char out[SEAL_LEN], uint64_t rows);

/* The held-back end of a sealed input; zero-initialise it. */
struct seal_in {
	char tail[SEAL_LEN];
	size_t len;
	bool unsealed; /* the input ended without a seal */
};

/* read(2) for a sealed input: fills buf with up to `want` bytes of data,
 * never handing out the input's last SEAL_LEN bytes when they are a seal,
 * which stay in s. An input that ends without one is handed out whole, so
 * that its reader sees the data as it is and seal_check() alone says what
 * is missing. Returns the bytes given, 0 at the end of input, or -1 with
 * errno set (EINTR included, as read() does). */
ssize_t seal_read(struct seal_in *s, int fd, char *buf, size_t want);

/* seal_read() from another source than a fd: rd behaves as read(2) on
 * arg (a decoder, see decode.h). */
typedef ssize_t seal_source(void *arg, char *buf, size_t want);
ssize_t seal_read_from(struct seal_in *s, seal_source *rd, void *arg, char *buf, size_t want);

/* At the end of input: true and *rows when s holds a well-formed seal;
 * otherwise false with what is wrong in err. */
bool seal_check(const struct seal_in *s, uint64_t *rows, char *err, size_t errsize);

#endif
