/* SPDX-License-Identifier: MIT
 * Unit tests for lib/seal: whatever sizes the reads come in (one byte at a
 * time from a pipe, or buffers smaller than the seal), a sealed input hands
 * out exactly its data and keeps exactly its seal; an input without one is
 * handed out whole and reported; a damaged seal is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seal.h"
#include "unit.h"

/* Writes data to a pipe in pieces of `piece` bytes from a child process
 * and reads it back through seal_read() with buffers of `want` bytes.
 * Returns what was handed out (the caller frees it) and its length. */
static char *read_sealed(const char *data, size_t len, size_t piece, size_t want, struct seal_in *s,
			 size_t *got)
{
	int fd;
	pid_t pid = unit_feed_pipe(data, len, piece, &fd);
	if (pid < 0)
		return NULL;
	char *out = malloc(len + 1), *buf = malloc(want);
	*got = 0;
	ssize_t n;
	while ((n = seal_read(s, fd, buf, want)) > 0) {
		CHECK((size_t)n <= want);
		memcpy(out + *got, buf, (size_t)n);
		*got += (size_t)n;
	}
	CHECK(n == 0);
	close(fd);
	free(buf);
	unit_reap(pid);
	return out;
}

static void keeps_the_seal_back_whatever_the_read_sizes(void)
{
	char seal[SEAL_LEN];
	seal_format(seal, 3);
	CHECK_STR(seal, SEAL_LEN, "#elt-seal v1 rows=00000000000000000003\n");
	const char *rows = "id,name\n1,a\n2,b\n3,c\n";
	char stream[256];
	size_t dlen = strlen(rows);
	memcpy(stream, rows, dlen);
	memcpy(stream + dlen, seal, SEAL_LEN);
	const size_t pieces[] = { 1, 3, 39, 40, 4096 }, wants[] = { 1, 2, 38, 39, 40, 41, 65536 };
	for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++)
		for (size_t j = 0; j < sizeof wants / sizeof *wants; j++) {
			struct seal_in s = { 0 };
			size_t got;
			char *out = read_sealed(stream, dlen + SEAL_LEN, pieces[i], wants[j], &s, &got);
			CHECK_STR(out, got, rows);
			uint64_t n = 0;
			char err[256];
			CHECK(seal_check(&s, &n, err, sizeof err));
			CHECK(n == 3);
			free(out);
		}
}

static void hands_out_an_unsealed_input_whole(void)
{
	const char *shapes[] = { "", "a\n", "id\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n",
				 "id\n#elt-seal v1 rows=0000000000000000000\n" /* one digit short */ };
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
		struct seal_in s = { 0 };
		size_t got;
		char *out = read_sealed(shapes[i], strlen(shapes[i]), 5, 7, &s, &got);
		CHECK_STR(out, got, shapes[i]);
		uint64_t n;
		char err[256];
		CHECK(!seal_check(&s, &n, err, sizeof err));
		CHECK(strstr(err, "ends without a seal") != NULL);
		free(out);
	}
}

static void refuses_a_count_too_large(void)
{
	char stream[64] = "x\n";
	memcpy(stream + 2, "#elt-seal v1 rows=99999999999999999999\n", SEAL_LEN);
	struct seal_in s = { 0 };
	size_t got;
	char *out = read_sealed(stream, 2 + SEAL_LEN, 64, 64, &s, &got);
	CHECK_STR(out, got, "x\n");
	uint64_t n;
	char err[256];
	CHECK(!seal_check(&s, &n, err, sizeof err));
	free(out);
	seal_format(stream, UINT64_MAX);
	memcpy(s.tail, stream, SEAL_LEN);
	CHECK(seal_check(&s, &n, err, sizeof err) && n == UINT64_MAX);
}

int main(void)
{
	RUN(keeps_the_seal_back_whatever_the_read_sizes);
	RUN(hands_out_an_unsealed_input_whole);
	RUN(refuses_a_count_too_large);
	return UNIT_END();
}
