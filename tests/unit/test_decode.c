/* SPDX-License-Identifier: MIT
 * Unit tests for lib/decode: the same UTF-8 out whatever sizes the input
 * arrives in and is asked for; byte order marks; bytes an encoding does
 * not define kept out of valid UTF-8; and the guess of what a file that is
 * clearly not UTF-8 is. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "decode.h"
#include "unit.h"

/* Writes data to a pipe in pieces of `piece` bytes from a child process
 * and reads it back through a decoder for encoding with buffers of `want`
 * bytes. Returns the output (the caller frees it) and its length. */
static char *decode(const char *data, size_t len, const char *encoding, size_t piece, size_t want, size_t *got,
		    struct decoder_guess *guess, bool *guessed)
{
	int fd;
	pid_t pid = unit_feed_pipe(data, len, piece, &fd);
	if (pid < 0)
		return NULL;
	char err[256];
	struct decoder *d = decoder_open(fd, encoding, err, sizeof err);
	CHECK(d != NULL);
	char *out = malloc(4 * len + 16), *buf = malloc(want);
	*got = 0;
	ssize_t n;
	while (d && (n = decoder_read(d, buf, want)) > 0) {
		CHECK((size_t)n <= want);
		memcpy(out + *got, buf, (size_t)n);
		*got += (size_t)n;
	}
	if (guess)
		*guessed = decoder_guess(d, guess);
	decoder_close(d);
	close(fd);
	free(buf);
	unit_reap(pid);
	return out;
}

/* Decodes data every way (pieces of 1, 3 and 4096 bytes, reads of 1, 5,
 * 16 and 4096) and checks each output against want. */
static void decodes_to(const char *data, size_t len, const char *encoding, const char *want)
{
	static const size_t pieces[] = { 1, 3, 4096 }, wants[] = { 1, 5, 16, 4096 };
	for (size_t p = 0; p < 3; p++)
		for (size_t w = 0; w < 4; w++) {
			size_t got;
			char *out = decode(data, len, encoding, pieces[p], wants[w], &got, NULL, NULL);
			CHECK_STR(out, got, want);
			free(out);
		}
}

static void passes_utf8_through_with_its_mark(void)
{
	decodes_to("a,b\n\xC3\xA9,\xE2\x82\xAC\n", 11, NULL, "a,b\n\xC3\xA9,\xE2\x82\xAC\n");
	/* The CSV reader drops a UTF-8 mark; the decoder leaves it alone. */
	decodes_to("\xEF\xBB\xBF" "a\n", 5, NULL, "\xEF\xBB\xBF" "a\n");
	decodes_to("a\n\xE9\n", 4, "utf-8", "a\n\xE9\n"); /* named: no conversion, no guess */
	decodes_to("", 0, NULL, "");
}

static void reads_utf16_and_utf32_by_their_mark(void)
{
	decodes_to("\xFF\xFE" "a\0,\0\xE9\0\n\0\xAC\x20", 12, NULL, "a,\xC3\xA9\n\xE2\x82\xAC");
	decodes_to("\xFE\xFF" "\0a\0,\0\xE9\0\n\x20\xAC", 12, NULL, "a,\xC3\xA9\n\xE2\x82\xAC");
	decodes_to("\xFF\xFE\0\0" "a\0\0\0\n\0\0\0", 12, NULL, "a\n");
	decodes_to("\0\0\xFE\xFF" "\0\0\0a\0\0\0\n", 12, NULL, "a\n");
	/* A character beyond U+FFFF, as a surrogate pair. */
	decodes_to("\xFF\xFE" "\x3D\xD8\x00\xDE", 6, NULL, "\xF0\x9F\x98\x80");
	/* Named: iconv keeps the mark as U+FEFF, which the CSV reader drops. */
	decodes_to("\xFF\xFE" "a\0", 4, "UTF-16LE", "\xEF\xBB\xBF" "a");
}

static void converts_single_byte_encodings_through_a_table(void)
{
	decodes_to("Jos\xE9,K\xF6ln\n", 10, "latin1", "Jos\xC3\xA9,K\xC3\xB6ln\n");
	decodes_to("\x80 \x93x\x94 \x85\n", 8, "windows-1252", "\xE2\x82\xAC \xE2\x80\x9Cx\xE2\x80\x9D \xE2\x80\xA6\n");
	decodes_to("\x80", 1, "cp1252", "\xE2\x82\xAC");
	/* Long ASCII runs go eight bytes at a time; the tail one by one. */
	decodes_to("abcdefghijklmnopqrstuvwxyz\xE9" "0123456789", 37, "ISO-8859-1",
		   "abcdefghijklmnopqrstuvwxyz\xC3\xA9" "0123456789");
	/* ISO-8859-15 has the euro where Latin-1 has the currency sign. */
	decodes_to("\xA4", 1, "ISO-8859-15", "\xE2\x82\xAC");
}

static void keeps_undefined_bytes_out_of_valid_utf8(void)
{
	/* 0x81 means nothing in Windows-1252: it stays as it is, a byte that
	 * cannot start or end UTF-8. */
	decodes_to("a\x81z", 3, "windows-1252", "a\x81z");
	/* Half a surrogate pair, and an odd byte at the end of UTF-16: 0xFF. */
	decodes_to("\xFF\xFE" "\x00\xD8" "a\0", 6, NULL, "\xFF\xFF" "a");
	decodes_to("\xFF\xFE" "a\0b", 5, NULL, "a\xFF");
}

static void suggests_an_encoding_for_a_late_line(void)
{
	struct decoder_guess g;
	CHECK(!decoder_suggest_for_line("caf\xC3\xA9,1\n", 8, &g));
	CHECK(decoder_suggest_for_line("ok \xC3\xA9,\"a\nb\xE9\",1\n", 15, &g));
	CHECK(!strcmp(g.encoding, "latin1") && g.byte == 0xE9 && g.line == 2 && !strcmp(g.shown, "\xC3\xA9"));
	CHECK(decoder_suggest_for_line("\x93quoted\x94", 8, &g));
	CHECK(!strcmp(g.encoding, "windows-1252") && g.byte == 0x93 && g.line == 1);
	CHECK(decoder_suggest_for_line("\x81", 1, &g));
	CHECK(!strcmp(g.encoding, "latin1"));
}

static void guesses_what_is_clearly_not_utf8(void)
{
	struct decoder_guess g;
	CHECK(decoder_guess_bytes("name\nJos\xE9\nK\xF6ln\n", 15, true, &g));
	CHECK(!strcmp(g.encoding, "latin1") && g.line == 2 && g.byte == 0xE9 && !g.nul);
	/* Windows-1252's punctuation in 0x80-0x9F. */
	CHECK(decoder_guess_bytes("a\r\nb\rc \x93q\x94\n", 12, true, &g));
	CHECK(!strcmp(g.encoding, "windows-1252") && g.line == 3 && g.byte == 0x93);
	/* 0x81 is not Windows-1252's: Latin-1 then. */
	CHECK(decoder_guess_bytes("\x93\x81", 2, true, &g));
	CHECK(!strcmp(g.encoding, "latin1"));
	/* UTF-16 without a mark: NULs in every other byte. */
	CHECK(decoder_guess_bytes("a\0b\0\n\0", 6, true, &g));
	CHECK(!strcmp(g.encoding, "utf-16le") && g.nul && g.line == 1);
	CHECK(decoder_guess_bytes("\0a\0b\0\n\0c", 8, true, &g));
	CHECK(!strcmp(g.encoding, "utf-16be") && g.line == 1);
}

static void does_not_guess_about_utf8_with_a_flaw(void)
{
	struct decoder_guess g;
	CHECK(!decoder_guess_bytes("plain ascii\n", 12, true, &g));
	CHECK(!decoder_guess_bytes("a\ncaf\xE9\n", 8, true, &g)); /* one odd byte: a flaw, maybe */
	CHECK(!decoder_guess_bytes("\xC3\xA9\xC3\xA9,\xE9\n", 7, true, &g)); /* more valid than not */
	/* A character cut by the end of what was read is no evidence ... */
	CHECK(!decoder_guess_bytes("ab\xE2\x82", 4, false, &g));
	/* ... unless the input ends there. */
	CHECK(decoder_guess_bytes("ab\xE2\x82", 4, true, &g));
	CHECK(!decoder_guess_bytes("a,b\n1,\0\n", 8, true, &g)); /* one NUL is not UTF-16 */
}

static void guesses_on_the_first_bytes_only_without_a_name(void)
{
	struct decoder_guess g;
	bool guessed;
	size_t got;
	free(decode("a\n\xE9\xE9\n", 5, NULL, 4096, 4096, &got, &g, &guessed));
	CHECK(guessed && !strcmp(g.encoding, "latin1") && g.line == 2);
	CHECK(!strcmp(g.shown, "\xC3\xA9"));
	free(decode("a\n\xE9\xE9\n", 5, "latin1", 4096, 4096, &got, &g, &guessed));
	CHECK(!guessed);
	free(decode("\xFF\xFE" "a\0", 4, NULL, 4096, 4096, &got, &g, &guessed));
	CHECK(!guessed);
}

static void knows_names_iconv_knows(void)
{
	CHECK(decoder_known("latin1"));
	CHECK(decoder_known("windows-1252"));
	CHECK(decoder_known("UTF-16BE"));
	CHECK(decoder_known("utf8"));
	CHECK(!decoder_known("no-such-encoding"));
	int fds[2];
	char err[256];
	CHECK(pipe(fds) == 0 && write(fds[1], "a\n", 2) == 2 && close(fds[1]) == 0);
	CHECK(decoder_open(fds[0], "no-such-encoding", err, sizeof err) == NULL);
	CHECK(strstr(err, "unknown encoding \"no-such-encoding\"") != NULL);
	close(fds[0]);
}

int main(void)
{
	RUN(passes_utf8_through_with_its_mark);
	RUN(reads_utf16_and_utf32_by_their_mark);
	RUN(converts_single_byte_encodings_through_a_table);
	RUN(keeps_undefined_bytes_out_of_valid_utf8);
	RUN(guesses_what_is_clearly_not_utf8);
	RUN(suggests_an_encoding_for_a_late_line);
	RUN(does_not_guess_about_utf8_with_a_flaw);
	RUN(guesses_on_the_first_bytes_only_without_a_name);
	RUN(knows_names_iconv_knows);
	return UNIT_END();
}
