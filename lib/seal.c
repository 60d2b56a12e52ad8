/* SPDX-License-Identifier: MIT
 * The seal that ends a finished producer's stream; see seal.h. */
#include "seal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SEAL_PREFIX "#elt-seal v1 rows="
enum { SEAL_DIGITS = 20, PREFIX_LEN = sizeof SEAL_PREFIX - 1 };
_Static_assert(PREFIX_LEN + SEAL_DIGITS + 1 == SEAL_LEN, "the seal's layout");

void seal_format(char out[SEAL_LEN], uint64_t rows)
{
	char text[SEAL_LEN + 1];
	snprintf(text, sizeof text, SEAL_PREFIX "%020" PRIu64 "\n", rows);
	memcpy(out, text, SEAL_LEN);
}

static bool well_formed(const char *t)
{
	if (memcmp(t, SEAL_PREFIX, PREFIX_LEN) != 0 || t[SEAL_LEN - 1] != '\n')
		return false;
	for (size_t i = PREFIX_LEN; i < SEAL_LEN - 1; i++)
		if (t[i] < '0' || t[i] > '9')
			return false;
	return true;
}

static ssize_t read_fd(void *fd, char *buf, size_t want)
{
	return read(*(int *)fd, buf, want);
}

ssize_t seal_read(struct seal_in *s, int fd, char *buf, size_t want)
{
	return seal_read_from(s, read_fd, &fd, buf, want);
}

ssize_t seal_read_from(struct seal_in *s, seal_source *rd, void *arg, char *buf, size_t want)
{
	if (want == 0)
		return 0;
	if (s->unsealed) { /* handing out what was held back as data */
		size_t give = s->len < want ? s->len : want;
		memcpy(buf, s->tail, give);
		memmove(s->tail, s->tail + give, s->len - give);
		s->len -= give;
		return (ssize_t)give;
	}
	for (;;) {
		/* The held-back bytes go first, then what is read after them;
		 * of the whole, all but the last SEAL_LEN bytes can be given.
		 * A small buffer is read through one of our own. */
		char small[2 * SEAL_LEN];
		char *at = want > SEAL_LEN ? buf : small;
		size_t room = want > SEAL_LEN ? want : s->len + want;
		memcpy(at, s->tail, s->len);
		ssize_t n = rd(arg, at + s->len, room - s->len);
		if (n < 0)
			return n; /* the tail stays where it was */
		if (n == 0) {
			if (s->len == SEAL_LEN && well_formed(s->tail))
				return 0;
			/* No seal: what was held back is the data's end, and the
			 * reader should see it all; seal_check() says the rest. */
			s->unsealed = true;
			return s->len ? seal_read_from(s, rd, arg, buf, want) : 0;
		}
		size_t total = s->len + (size_t)n;
		size_t give = total > SEAL_LEN ? total - SEAL_LEN : 0; /* at most want */
		s->len = total - give;
		memmove(s->tail, at + give, s->len);
		if (give == 0)
			continue; /* too little yet to tell data from the seal */
		if (at != buf)
			memcpy(buf, at, give);
		return (ssize_t)give;
	}
}

bool seal_check(const struct seal_in *s, uint64_t *rows, char *err, size_t errsize)
{
	if (s->unsealed || s->len != SEAL_LEN) {
		snprintf(err, errsize, "the input ends without a seal: the program writing it stopped before it "
			 "finished, or was not asked to --seal its output");
		return false;
	}
	uint64_t n = 0;
	for (size_t i = PREFIX_LEN; i < SEAL_LEN - 1; i++) {
		unsigned d = (unsigned)(s->tail[i] - '0');
		if (n > (UINT64_MAX - d) / 10) {
			snprintf(err, errsize, "the input's seal counts more rows than fit in 64 bits");
			return false;
		}
		n = n * 10 + d;
	}
	*rows = n;
	return true;
}
