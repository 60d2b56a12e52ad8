/* SPDX-License-Identifier: MIT
 * Unit tests for lib/buf and lib/json: a buffer keeps every byte across
 * growth, formats past its room, hands over a C string even when empty;
 * JSON strings escape quotes, backslashes and control characters and leave
 * UTF-8 alone. */
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "json.h"
#include "unit.h"

static void bytes_survive_growth(void)
{
	struct buf b = { 0 };
	for (int i = 0; i < 100000; i++)
		buf_addc(&b, (char)('a' + i % 26));
	buf_add(&b, NULL, 0);
	CHECK(b.len == 100000);
	int bad = 0;
	for (int i = 0; i < 100000; i++)
		bad += b.data[i] != (char)('a' + i % 26);
	CHECK(bad == 0);
	buf_reset(&b);
	buf_adds(&b, "again");
	CHECK_STR(b.data, b.len, "again");
	buf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void printf_past_the_room(void)
{
	struct buf b = { 0 };
	buf_printf(&b, "%d-%s", 42, "x");
	CHECK_STR(b.data, b.len, "42-x");
	char big[10000];
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	buf_printf(&b, "[%s]", big);
	CHECK(b.len == 4 + 2 + sizeof big - 1);
	CHECK(b.data[4] == '[' && b.data[b.len - 1] == ']' && b.data[5] == 'z');
	buf_free(&b);
}

static void strings_from_empty_and_full(void)
{
	struct buf b = { 0 };
	CHECK(strcmp(buf_str(&b), "") == 0);
	CHECK(b.len == 0);
	char *s = buf_detach(&b);
	CHECK(s && strcmp(s, "") == 0);
	free(s);
	CHECK(b.data == NULL);
	buf_add(&b, "abc", 3);
	CHECK(strcmp(buf_str(&b), "abc") == 0 && b.len == 3);
	s = buf_detach(&b);
	CHECK(strcmp(s, "abc") == 0);
	free(s);
}

static void json_escapes(void)
{
	struct buf b = { 0 };
	json_string(&b, "plain");
	buf_addc(&b, ' ');
	json_string(&b, NULL);
	buf_addc(&b, ' ');
	json_string(&b, "q\"b\\n\n\t\x01\x1f end");
	buf_addc(&b, ' ');
	json_string(&b, "caf\xc3\xa9 \xe2\x82\xac");
	buf_addc(&b, ' ');
	json_string(&b, "");
	CHECK_STR(b.data, b.len,
		  "\"plain\" null \"q\\\"b\\\\n\\n\\t\\u0001\\u001f end\" \"caf\xc3\xa9 \xe2\x82\xac\" \"\"");
	buf_free(&b);
}

static void json_to_a_stream(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_fstring(f, "a\"\n");
	fputc(' ', f);
	json_fstring(f, NULL);
	fclose(f);
	CHECK_STR(text, len, "\"a\\\"\\n\" null");
	free(text);
}

/* Expected: Python's json.dumps (ensure_ascii) with Jinja's tojson
 * replacements of < > & and '. */
static void json_ascii_and_html_safe(void)
{
	struct buf b = { 0 };
	const char s[] = "<a href='x'>&\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0\n";
	json_string_n(&b, s, sizeof s - 1, JSON_ASCII | JSON_HTML_SAFE);
	CHECK_STR(b.data, b.len,
		  "\"\\u003ca href=\\u0027x\\u0027\\u003e\\u0026\\u00e9\\u20ac\\ud83d\\ude00\\u0000\\n\"");
	buf_reset(&b);
	json_string_n(&b, s, sizeof s - 1, 0);
	CHECK_STR(b.data, b.len, "\"<a href='x'>&\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\u0000\\n\"");
	buf_free(&b);
}

int main(void)
{
	RUN(bytes_survive_growth);
	RUN(printf_past_the_room);
	RUN(strings_from_empty_and_full);
	RUN(json_escapes);
	RUN(json_to_a_stream);
	RUN(json_ascii_and_html_safe);
	return UNIT_END();
}
