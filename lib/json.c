/* SPDX-License-Identifier: MIT
 * JSON string values; see json.h. */
#include "json.h"

#include <string.h>

void json_string(struct buf *b, const char *s)
{
	if (!s) {
		buf_add(b, "null", 4);
		return;
	}
	buf_addc(b, '"');
	for (;;) {
		/* The bytes that need no escape, at once. */
		const char *run = s;
		while ((unsigned char)*s >= 0x20 && *s != '"' && *s != '\\')
			s++;
		buf_add(b, run, (size_t)(s - run));
		if (!*s)
			break;
		unsigned char c = (unsigned char)*s++;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			buf_add(b, e, 2);
		} else if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
			/* The short forms, as Python's json module (and so dbt's
			 * artifacts) writes them. */
			char e[2] = { '\\', c == '\b' ? 'b' : c == '\f' ? 'f' : c == '\n' ? 'n' : c == '\r' ? 'r' : 't' };
			buf_add(b, e, 2);
		} else {
			static const char hex[] = "0123456789abcdef";
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			buf_add(b, e, 6);
		}
	}
	buf_addc(b, '"');
}

void json_fstring(FILE *f, const char *s)
{
	struct buf b = { 0 };
	json_string(&b, s);
	fwrite(b.data, 1, b.len, f);
	buf_free(&b);
}
