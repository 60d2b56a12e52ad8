/* SPDX-License-Identifier: MIT
 * Allocation that cannot fail: out of memory, the program says so and exits
 * with status 3 (see exitcode.h), from whichever thread ran out. */
#ifndef ELT_XALLOC_H
#define ELT_XALLOC_H

#include <stddef.h>

void *xrealloc(void *p, size_t n); /* n may be 0 */
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);      /* NULL gives "" */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
