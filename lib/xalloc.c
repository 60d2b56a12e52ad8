/* SPDX-License-Identifier: MIT
 * Allocation that cannot fail; see xalloc.h. */
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die(EXIT_OPER, "out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die(EXIT_OPER, "out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		die(EXIT_OPER, "out of memory");
	return d;
}
