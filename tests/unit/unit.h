/* SPDX-License-Identifier: MIT
 * A few macros for C unit tests that print TAP ("ok N - name"), which
 * tests/run.sh counts together with the bats results. */
#ifndef ELT_UNIT_H
#define ELT_UNIT_H

#include <stdio.h>
#include <string.h>

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

#define UNIT_END() (printf("1..%d\n", unit_n), unit_failed ? 1 : 0)

#endif
