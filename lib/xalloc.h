/* SPDX-License-Identifier: MIT
 * Allocation that cannot fail: out of memory, the program says so and exits
 * with status 3 (see exitcode.h), from whichever thread ran out. */
#ifndef ELT_XALLOC_H
#define ELT_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n); /* n may be 0 */
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);      /* NULL gives "" */
/* Zeroed memory on 64-byte cache lines of its own (size rounded up; free()
 * frees it): for what one thread writes often while others work nearby,
 * which would otherwise share a line with their data and bounce between
 * cores. */
void *xcalloc_lines(size_t size);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
