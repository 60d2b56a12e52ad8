/* SPDX-License-Identifier: MIT
 * JSON string values; see json.h. */
#include "json.h"

#include <stdio.h>
#include <string.h>

/* Whether byte c is written escaped under flags. */
static inline bool needs_escape(unsigned char c, unsigned flags)
{
	if (c < 0x20 || c == '"' || c == '\\')
		return true;
	if (c >= 0x80)
		return flags & JSON_ASCII;
	return (flags & JSON_HTML_SAFE) && (c == '<' || c == '>' || c == '&' || c == '\'');
}

/* The UTF-8 sequence at *p (before end) as \uXXXX, or two of them (a
 * surrogate pair) above the Basic Multilingual Plane; moves *p past it. */
static void escape_code_point(struct buf *b, const char **p, const char *end)
{
	unsigned char c = (unsigned char)**p;
	size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	unsigned cp = len == 1 ? c : c & (0x3fu >> (len - 1));
	size_t k = 1;
	for (; k < len && *p + k < end; k++)
		cp = (cp << 6) | ((unsigned char)(*p)[k] & 0x3f);
	*p += k;
	char esc[16];
	if (cp >= 0x10000) {
		cp -= 0x10000;
		snprintf(esc, sizeof esc, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		buf_add(b, esc, 12);
	} else {
		snprintf(esc, sizeof esc, "\\u%04x", cp);
		buf_add(b, esc, 6);
	}
}

void json_string_n(struct buf *b, const char *s, size_t n, unsigned flags)
{
	const char *end = s + n;
	buf_addc(b, '"');
	for (;;) {
		/* The bytes that need no escape, at once. */
		const char *run = s;
		while (s < end && !needs_escape((unsigned char)*s, flags))
			s++;
		buf_add(b, run, (size_t)(s - run));
		if (s == end)
			break;
		unsigned char c = (unsigned char)*s;
		if (c >= 0x80) {
			escape_code_point(b, &s, end);
			continue;
		}
		s++;
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

void json_string(struct buf *b, const char *s)
{
	if (!s)
		buf_add(b, "null", 4);
	else
		json_string_n(b, s, strlen(s), 0);
}

void json_fstring(FILE *f, const char *s)
{
	struct buf b = { 0 };
	json_string(&b, s);
	fwrite(b.data, 1, b.len, f);
	buf_free(&b);
}
