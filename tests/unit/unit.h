/* SPDX-License-Identifier: MIT
 * A few macros for C unit tests that print TAP ("ok N - name"), which
 * tests/run.sh counts together with the bats results. */
#ifndef ELT_UNIT_H
#define ELT_UNIT_H

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int unit_n, unit_failed, unit_case_failed;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			unit_case_failed = 1;                                          \
		}                                                                      \
	} while (0)

#define CHECK_STR(got, len, want)                                                          \
	do {                                                                               \
		size_t want_len_ = strlen(want);                                           \
		if ((len) != want_len_ || memcmp((got), (want), want_len_) != 0) {         \
			printf("#   %s:%d: got \"%.*s\", want \"%s\"\n", __FILE__, __LINE__, \
			       (int)(len), (got), (want));                                 \
			unit_case_failed = 1;                                              \
		}                                                                          \
	} while (0)

#define RUN(fn)                                                              \
	do {                                                                 \
		unit_case_failed = 0;                                        \
		fn();                                                        \
		unit_n++;                                                    \
		printf("%sok %d - %s\n", unit_case_failed ? "not " : "", unit_n, #fn); \
		unit_failed += unit_case_failed;                             \
	} while (0)

/* A child that writes data[0, len) into a pipe in pieces of `piece` bytes,
 * pausing after small ones so that reads come back short. Returns its pid
 * with *read_fd the end to read, or -1. Reap it with unit_reap(). */
static inline pid_t unit_feed_pipe(const char *data, size_t len, size_t piece, int *read_fd)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		for (size_t at = 0; at < len; at += piece) {
			size_t n = len - at < piece ? len - at : piece;
			if (write(fds[1], data + at, n) != (ssize_t)n)
				_exit(1);
			if (piece < 8)
				usleep(100);
		}
		_exit(0);
	}
	close(fds[1]);
	*read_fd = fds[0];
	return pid;
}

/* Waits for unit_feed_pipe()'s child: it must have written everything. */
static inline void unit_reap(pid_t pid)
{
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#define UNIT_END() (printf("1..%d\n", unit_n), unit_failed ? 1 : 0)

#endif
