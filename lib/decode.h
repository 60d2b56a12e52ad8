/* SPDX-License-Identifier: MIT
 * Input in any encoding iconv knows, read as UTF-8.
 *
 * The suite speaks UTF-8; the files people have are also Latin-1,
 * Windows-1252 and UTF-16. A decoder sits between a file descriptor and a
 * CSV reader and hands out UTF-8, read(2)-style, so that everything after
 * it (chunking, the seal, the parser, the output) sees UTF-8 only.
 *
 * What it reads the input as:
 *   - an encoding named by the caller (--encoding), whatever iconv(3)
 *     knows by that name;
 *   - otherwise what a byte order mark says: UTF-16 LE or BE, UTF-32 LE
 *     or BE (the mark itself is dropped), or UTF-8 (the mark is left for
 *     the CSV reader, which drops it);
 *   - otherwise UTF-8.
 * UTF-8 input is handed on as it is read, into the caller's buffer: no
 * copy, no per-byte work. Only the input's first bytes, read ahead to look
 * for a byte order mark and to guess the encoding, are copied, once.
 *
 * An encoding of one byte per character (Latin-1, Windows-1252 and the
 * other ISO-8859 and code-page encodings) is turned into a table of 256
 * entries built with iconv itself when the decoder opens, then converted
 * without iconv: several times faster, the same result. Any other goes
 * through iconv as a stream.
 *
 * Bytes the encoding does not define (0x81 in Windows-1252, half a UTF-16
 * surrogate pair, an odd byte at the end of UTF-16) are not guessed at:
 * each comes out as itself when it is 0x80-0xBF, as 0xFF otherwise, bytes
 * that never form UTF-8 with their neighbours, so that the record holding
 * them fails a UTF-8 check, never passes with a character made up. */
#ifndef ELT_DECODE_H
#define ELT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct decoder;

/* True when iconv can read the encoding called name into UTF-8. */
bool decoder_known(const char *name);

/* Opens a decoder over fd, which stays open and owned by the caller.
 * encoding: NULL to go by a byte order mark, else UTF-8; or a name iconv
 * knows. Reads the input's first bytes (up to 64 KiB, fewer from a pipe
 * that has no more at once). Returns NULL with err set only when encoding
 * is not one iconv can read; a read error is returned by decoder_read(). */
struct decoder *decoder_open(int fd, const char *encoding, char *err, size_t errsize);

/* read(2) of the input as UTF-8: up to want bytes into buf. Returns the
 * bytes given (at least one), 0 at the end of input, or -1 with errno set
 * (EINTR included). Never hands out part of a character unless want is
 * smaller than one. */
ssize_t decoder_read(struct decoder *d, char *buf, size_t want);

/* True when decoder_read() can give something without waiting: converted
 * bytes or input already read, or input ready on the fd. */
bool decoder_ready(const struct decoder *d);

/* What the input is read as, for messages: "UTF-8", "UTF-16LE (byte
 * order mark)", or the name given. */
const char *decoder_name(const struct decoder *d);

/* True when the decoder converts (the input is not read as UTF-8). */
bool decoder_converts(const struct decoder *d);

/* Input bytes per ASCII character: 1, or 2 in UTF-16, 4 in UTF-32. Set
 * when the decoder opens, so any thread may ask, to scale what the
 * output's size says about the input's. */
unsigned decoder_width(const struct decoder *d);

/* When no encoding was named and no byte order mark found, the first
 * bytes are looked at for what is clearly not UTF-8: two or more invalid
 * UTF-8 sequences, outnumbering the valid multi-byte ones, or a NUL in
 * every other byte (two at least).
 * Then decoder_guess() returns true and fills g; otherwise false. */
struct decoder_guess {
	const char *encoding; /* to suggest as --encoding: "windows-1252" when
	                         bytes 0x80-0x9F are used as it uses them,
	                         "latin1" otherwise, "utf-16le" / "utf-16be" */
	uint64_t line;        /* the physical line of the first such byte, from 1 */
	unsigned char byte;   /* that byte (not UTF-8, or the first NUL) */
	bool nul;             /* the NULs gave it away, not invalid UTF-8 */
	char shown[8];        /* decoder_guess(): that byte as the encoding
	                         suggested reads it, in UTF-8 ("" for a NUL) */
};
bool decoder_guess(const struct decoder *d, struct decoder_guess *g);

/* When an encoding was named but the input begins with a byte order mark
 * for another one: that one's name ("UTF-8", "UTF-16LE", ...), else
 * NULL. The input is read as named all the same. */
const char *decoder_bom_conflict(const struct decoder *d);

void decoder_close(struct decoder *d);

/* Used by decoder_guess(); exposed for the unit tests. Looks at
 * s[0, len) (the whole input when at_end, else its start, where a
 * character may be cut at the end) and says whether it is clearly not
 * UTF-8, as decoder_guess() describes. */
bool decoder_guess_bytes(const char *s, size_t len, bool at_end, struct decoder_guess *g);

/* For a line found not UTF-8 after the first bytes were judged: its first
 * byte that is not, and the encoding to suggest for it (windows-1252 for
 * a byte it defines in 0x80-0x9F, else latin1), with the byte as that
 * encoding reads it. False when s[0, len) is UTF-8 after all. */
bool decoder_suggest_for_line(const char *s, size_t len, struct decoder_guess *g);

#endif
