/* SPDX-License-Identifier: MIT
 * Input in any encoding iconv knows, read as UTF-8; see decode.h.
 *
 * Three ways through, chosen once when the decoder opens:
 *   PASS   UTF-8: the first bytes read ahead are handed out, then read(2)
 *          goes straight into the caller's buffer;
 *   TABLE  one byte per character: a table built with iconv, applied here,
 *          ASCII runs copied eight bytes at a time;
 *   ICONV  anything else (UTF-16, UTF-32, multi-byte code pages): iconv(3)
 *          from our input buffer into the caller's buffer. */
#include "decode.h"

#include <errno.h>
#include <iconv.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "xalloc.h"

/* HEAD_MAX: how far ahead the decoder looks for a byte order mark and
 * for what is clearly not UTF-8. RAW_CAP: input read at once when
 * converting. SMALL: a caller asking for fewer bytes than this gets them
 * through pend, so that a character is never too big for its buffer. */
enum { HEAD_MAX = 64 * 1024, RAW_CAP = 256 * 1024, SMALL = 16 };

enum mode { PASS, TABLE, ICONV };

struct decoder {
	int fd;
	enum mode mode;
	char name[80];
	const char *bom_conflict;
	bool guessed;
	struct decoder_guess guess;

	/* Input read and not yet handed on or converted: first the bytes read
	 * ahead, then (converting) each read. */
	char *raw;
	size_t raw_pos, raw_len, raw_cap;
	bool eof;
	bool cut;            /* raw ends inside a character: more must be read */
	int read_errno;      /* a read error not yet reported */

	/* TABLE: the UTF-8 of each byte (tab_len 0: the encoding has none). */
	unsigned char tab[256][4];
	unsigned char tab_len[256];
	unsigned tab_max;    /* the longest entry */
	bool ascii_same;     /* bytes below 0x80 stand for themselves */

	/* ICONV */
	iconv_t cd;
	unsigned unit;       /* bytes to pass over at a sequence iconv refuses */

	/* Converted bytes waiting for a caller that asked for very few. */
	char pend[SMALL];
	size_t pend_pos, pend_len;
};

/* ---- names ---- */

/* name in capitals without '-' and '_', so that utf-16le and UTF_16LE
 * compare equal. */
static void squeeze(const char *name, char *out, size_t size)
{
	size_t n = 0;
	for (; *name && n + 1 < size; name++)
		if (*name != '-' && *name != '_')
			out[n++] = (char)(*name >= 'a' && *name <= 'z' ? *name - 'a' + 'A' : *name);
	out[n] = '\0';
}

static bool is_utf8(const char *name)
{
	char s[16];
	squeeze(name, s, sizeof s);
	return !strcmp(s, "UTF8");
}

bool decoder_known(const char *name)
{
	if (is_utf8(name))
		return true;
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return false;
	iconv_close(cd);
	return true;
}

/* The encoding a byte order mark at the start of s names, and its length;
 * NULL when there is none. UTF-32 is looked for first: its LE mark begins
 * with UTF-16 LE's. */
static const char *bom_of(const char *s, size_t len, size_t *bom_len)
{
	static const struct {
		const char *bytes, *name;
		size_t len;
	} marks[] = {
		{ "\x00\x00\xFE\xFF", "UTF-32BE", 4 }, { "\xFF\xFE\x00\x00", "UTF-32LE", 4 },
		{ "\xEF\xBB\xBF", "UTF-8", 3 },        { "\xFE\xFF", "UTF-16BE", 2 },
		{ "\xFF\xFE", "UTF-16LE", 2 },
	};
	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
		if (len >= marks[i].len && !memcmp(s, marks[i].bytes, marks[i].len)) {
			*bom_len = marks[i].len;
			return marks[i].name;
		}
	return NULL;
}

/* Whether a mark for bom contradicts the encoding named: UTF-16 (either
 * order) agrees with both UTF-16 marks. */
static bool bom_contradicts(const char *named, const char *bom)
{
	char a[80], b[16];
	squeeze(named, a, sizeof a);
	squeeze(bom, b, sizeof b);
	return strncmp(a, b, strlen(a)) != 0 || !*a;
}

/* ---- guessing ---- */

/* The length of the well-formed UTF-8 sequence at s (a byte >= 0x80), 0
 * when it is not one, or -1 when s[0, len) ends before it could tell. */
static int utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	int n;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((size_t)i >= len)
			return -1;
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xBF))
			return 0;
	}
	return n;
}

/* The physical line that offset `at` is on, counted as the CSV reader
 * counts: each LF, and each CR not followed by an LF, ends one. */
static uint64_t line_of(const char *s, size_t at)
{
	uint64_t line = 1;
	for (size_t i = 0; i < at; i++)
		line += s[i] == '\n' || (s[i] == '\r' && (i + 1 >= at || s[i + 1] != '\n'));
	return line;
}

/* UTF-16 with no mark: a NUL in at least half of the bytes on one side of
 * each pair, and next to none on the other side. */
static bool guess_utf16(const char *s, size_t len, struct decoder_guess *g)
{
	size_t pairs = len / 2, zero[2] = { 0, 0 }, first = len;
	for (size_t i = 0; i < 2 * pairs; i++)
		if (s[i] == '\0') {
			zero[i % 2]++;
			if (first == len)
				first = i;
		}
	for (int side = 0; side < 2; side++)
		if (zero[side] >= 2 && zero[side] * 2 >= pairs && zero[!side] * 8 <= zero[side]) {
			/* NULs in the odd bytes: the high halves of LE's ASCII. */
			*g = (struct decoder_guess){ side ? "utf-16le" : "utf-16be", line_of(s, first), 0, true, "" };
			return true;
		}
	return false;
}

/* The five bytes of 0x80-0x9F that Windows-1252 leaves undefined. */
static bool cp1252_undefined(unsigned char b)
{
	return b == 0x81 || b == 0x8D || b == 0x8F || b == 0x90 || b == 0x9D;
}

bool decoder_guess_bytes(const char *s, size_t len, bool at_end, struct decoder_guess *g)
{
	if (guess_utf16(s, len, g))
		return true;
	const unsigned char *u = (const unsigned char *)s;
	size_t valid = 0, invalid = 0, first = len;
	bool c1 = false, c1_undefined = false;
	for (size_t i = 0; i < len;) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		int n = utf8_seq(u + i, len - i);
		if (n < 0 && !at_end)
			break; /* a character cut by the end of what was read */
		if (n > 0) {
			valid++;
			i += (size_t)n;
			continue;
		}
		invalid++;
		if (first == len)
			first = i;
		i++;
	}
	/* One odd byte may be a flaw in UTF-8 as well as a sign of another
	 * encoding: that row alone is rejected. Two or more, outnumbering the
	 * well-formed characters, are taken as the file's own encoding. */
	if (invalid < 2 || invalid <= valid)
		return false;
	/* Windows-1252 puts its punctuation (€ ‚ „ … “ ” – —) in 0x80-0x9F,
	 * where Latin-1 has control characters no text uses, and leaves five
	 * of those bytes undefined. */
	for (size_t i = 0; i < len; i++) {
		c1 |= u[i] >= 0x80 && u[i] <= 0x9F;
		c1_undefined |= cp1252_undefined(u[i]);
	}
	*g = (struct decoder_guess){ c1 && !c1_undefined ? "windows-1252" : "latin1", line_of(s, first), u[first],
				     false, "" };
	return true;
}

/* ---- opening ---- */

/* Builds d's table when the encoding has one byte per character: every
 * byte converts alone, to at most four bytes of UTF-8, and nothing waits
 * for what follows (as a code page that composes accents does). */
static bool build_table(struct decoder *d, iconv_t cd)
{
	d->tab_max = 1;
	d->ascii_same = true;
	for (int b = 0; b < 256; b++) {
		char in = (char)b, out[16], *ip = &in, *op = out;
		size_t il = 1, ol = sizeof out;
		iconv(cd, NULL, NULL, NULL, NULL);
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
			if (errno != EILSEQ)
				return false; /* the start of a longer character */
			d->tab_len[b] = 0;
			d->ascii_same &= b >= 0x80;
			continue;
		}
		size_t before_flush = (size_t)(op - out);
		if (iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1)
			return false;
		size_t n = (size_t)(op - out);
		if (n == 0 || n > 4 || before_flush != n)
			return false;
		memcpy(d->tab[b], out, n);
		d->tab_len[b] = (unsigned char)n;
		if (n > d->tab_max)
			d->tab_max = (unsigned)n;
		if (b < 0x80)
			d->ascii_same &= n == 1 && (unsigned char)out[0] == b;
	}
	iconv(cd, NULL, NULL, NULL, NULL);
	return true;
}

/* True when more can be read from fd at once. */
static bool fd_ready(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	return poll(&pfd, 1, 0) > 0;
}

/* Reads the input's first bytes: at least four (a byte order mark),
 * then what there is at once, up to HEAD_MAX. */
static void read_head(struct decoder *d)
{
	d->raw_cap = HEAD_MAX;
	d->raw = xmalloc(d->raw_cap);
	while (d->raw_len < HEAD_MAX) {
		if (d->raw_len >= 4 && !fd_ready(d->fd))
			break;
		ssize_t n = read(d->fd, d->raw + d->raw_len, HEAD_MAX - d->raw_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			d->read_errno = errno;
			break;
		}
		if (n == 0) {
			d->eof = true;
			break;
		}
		d->raw_len += (size_t)n;
	}
}

/* Sets d up to convert from `from` (after the bytes of a mark, if any). */
static bool open_conversion(struct decoder *d, const char *from, char *err, size_t errsize)
{
	iconv_t cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1) {
		snprintf(err, errsize, "unknown encoding \"%s\" (iconv -l lists the names this system knows)", from);
		return false;
	}
	char s[80];
	squeeze(from, s, sizeof s);
	if (d->raw_cap < RAW_CAP) {
		d->raw_cap = RAW_CAP;
		d->raw = xrealloc(d->raw, d->raw_cap);
	}
	if (build_table(d, cd)) {
		iconv_close(cd);
		d->mode = TABLE;
		return true;
	}
	d->mode = ICONV;
	d->cd = cd;
	d->unit = !strncmp(s, "UTF16", 5) || !strncmp(s, "UCS2", 4) ? 2
		  : !strncmp(s, "UTF32", 5) || !strncmp(s, "UCS4", 4) ? 4 : 1;
	return true;
}

/* The byte b as the encoding reads it, in UTF-8, into out ("" if it
 * cannot be read). */
static void show_byte(unsigned char b, const char *encoding, char *out, size_t size)
{
	out[0] = '\0';
	iconv_t cd = iconv_open("UTF-8", encoding);
	if (cd == (iconv_t)-1)
		return;
	char in = (char)b, *ip = &in, *op = out;
	size_t il = 1, ol = size - 1;
	if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
		*op = '\0';
	else
		out[0] = '\0';
	iconv_close(cd);
}

bool decoder_suggest_for_line(const char *s, size_t len, struct decoder_guess *g)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		int n = u[i] < 0x80 ? 1 : utf8_seq(u + i, len - i);
		if (n > 0) {
			i += (size_t)n;
			continue;
		}
		unsigned char b = u[i];
		bool c1_defined = b >= 0x80 && b <= 0x9F && !cp1252_undefined(b);
		*g = (struct decoder_guess){ c1_defined ? "windows-1252" : "latin1", line_of(s, i), b, false, "" };
		show_byte(b, g->encoding, g->shown, sizeof g->shown);
		return true;
	}
	return false;
}

struct decoder *decoder_open(int fd, const char *encoding, char *err, size_t errsize)
{
	struct decoder *d = xcalloc(1, sizeof *d);
	d->fd = fd;
	d->mode = PASS;
	read_head(d);
	size_t bom_len = 0;
	const char *bom = bom_of(d->raw, d->raw_len, &bom_len);
	bool ok = true;
	if (encoding) {
		snprintf(d->name, sizeof d->name, "%s", encoding);
		if (bom && bom_contradicts(encoding, bom))
			d->bom_conflict = bom;
		if (!is_utf8(encoding))
			ok = open_conversion(d, encoding, err, errsize);
	} else if (bom && strcmp(bom, "UTF-8")) {
		/* The mark goes: iconv's LE and BE read it as a character. */
		snprintf(d->name, sizeof d->name, "%s (byte order mark)", bom);
		d->raw_pos = bom_len;
		ok = open_conversion(d, bom, err, errsize);
	} else {
		/* A UTF-8 mark stays, for the CSV reader to drop. */
		snprintf(d->name, sizeof d->name, "%s", bom ? "UTF-8 (byte order mark)" : "UTF-8");
		d->guessed = !bom && decoder_guess_bytes(d->raw, d->raw_len, d->eof, &d->guess);
		if (d->guessed && !d->guess.nul)
			show_byte(d->guess.byte, d->guess.encoding, d->guess.shown, sizeof d->guess.shown);
	}
	if (!ok) {
		decoder_close(d);
		return NULL;
	}
	return d;
}

void decoder_close(struct decoder *d)
{
	if (!d)
		return;
	if (d->mode == ICONV)
		iconv_close(d->cd);
	free(d->raw);
	free(d);
}

const char *decoder_name(const struct decoder *d)
{
	return d->name;
}

bool decoder_converts(const struct decoder *d)
{
	return d->mode != PASS;
}

unsigned decoder_width(const struct decoder *d)
{
	return d->mode == ICONV ? d->unit : 1;
}

bool decoder_guess(const struct decoder *d, struct decoder_guess *g)
{
	if (d->guessed)
		*g = d->guess;
	return d->guessed;
}

const char *decoder_bom_conflict(const struct decoder *d)
{
	return d->bom_conflict;
}

bool decoder_ready(const struct decoder *d)
{
	return d->pend_pos < d->pend_len || (d->raw_pos < d->raw_len && !d->cut) || d->eof || d->read_errno ||
	       fd_ready(d->fd);
}

/* ---- reading ---- */

/* Reads more input after what raw holds. Returns what read(2) returned;
 * the end of input sets eof. */
static ssize_t fill_raw(struct decoder *d, size_t most)
{
	if (d->read_errno) {
		errno = d->read_errno;
		d->read_errno = 0;
		return -1;
	}
	if (d->raw_pos > 0) {
		memmove(d->raw, d->raw + d->raw_pos, d->raw_len - d->raw_pos);
		d->raw_len -= d->raw_pos;
		d->raw_pos = 0;
	}
	size_t room = d->raw_cap - d->raw_len;
	ssize_t n = read(d->fd, d->raw + d->raw_len, most < room ? most : room);
	if (n == 0)
		d->eof = true;
	if (n > 0) {
		d->raw_len += (size_t)n;
		d->cut = false;
	}
	return n;
}

/* A byte the encoding does not define, as it goes out: bytes that can
 * never be part of UTF-8 there, whatever is next to them (see decode.h). */
static char stray(unsigned char b)
{
	return (char)(b >= 0x80 && b <= 0xBF ? b : 0xFF);
}

static size_t table_convert(struct decoder *d, char *out, size_t room)
{
	const unsigned char *in = (const unsigned char *)d->raw + d->raw_pos;
	size_t n = d->raw_len - d->raw_pos, i = 0, o = 0;
	if (n > room / d->tab_max)
		n = room / d->tab_max;
	while (i < n) {
		if (d->ascii_same) {
			/* Most text is ASCII: runs of it go over as they are. */
			uint64_t w;
			while (i + 8 <= n && (memcpy(&w, in + i, 8), !(w & 0x8080808080808080ull))) {
				memcpy(out + o, in + i, 8);
				i += 8;
				o += 8;
			}
			while (i < n && in[i] < 0x80)
				out[o++] = (char)in[i++];
			if (i == n)
				break;
		}
		unsigned char b = in[i++];
		unsigned len = d->tab_len[b];
		if (!len)
			out[o++] = stray(b);
		for (unsigned k = 0; k < len; k++)
			out[o++] = (char)d->tab[b][k];
	}
	d->raw_pos += i;
	return o;
}

/* Converts from raw into out[0, room) with iconv. Returns the bytes
 * written; sets d->cut when raw ends inside a character. */
static size_t iconv_convert(struct decoder *d, char *out, size_t room)
{
	char *op = out;
	size_t ol = room;
	while (d->raw_pos < d->raw_len) {
		char *ip = d->raw + d->raw_pos;
		size_t il = d->raw_len - d->raw_pos;
		size_t r = iconv(d->cd, &ip, &il, &op, &ol);
		d->raw_pos = (size_t)(ip - d->raw);
		if (r != (size_t)-1 || errno == E2BIG)
			break;
		if (errno == EINVAL && !d->eof) {
			d->cut = true;
			break;
		}
		/* EILSEQ, or a character cut by the end of input: pass over
		 * a unit of it, marked. */
		size_t skip = d->unit < d->raw_len - d->raw_pos ? d->unit : d->raw_len - d->raw_pos;
		if (ol < skip)
			break;
		for (size_t k = 0; k < skip; k++)
			*op++ = stray((unsigned char)d->raw[d->raw_pos + k]);
		ol -= skip;
		d->raw_pos += skip;
	}
	if (d->eof && d->raw_pos == d->raw_len && ol >= SMALL)
		iconv(d->cd, NULL, NULL, &op, &ol); /* a stateful encoding's way back */
	return (size_t)(op - out);
}

/* Converts into out[0, room) (room >= SMALL), reading as needed. Returns
 * the bytes written, 0 at the end, or -1 on a read error. */
static ssize_t convert_some(struct decoder *d, char *out, size_t room)
{
	for (;;) {
		size_t n = d->mode == TABLE ? table_convert(d, out, room) : iconv_convert(d, out, room);
		if (n > 0)
			return (ssize_t)n;
		if (d->eof && d->raw_pos == d->raw_len)
			return 0;
		/* Enough input for the room, as the table's longest output
		 * allows; iconv is given all there is room for. */
		size_t most = d->mode == TABLE ? room / d->tab_max : d->raw_cap;
		ssize_t got = fill_raw(d, most ? most : 1);
		if (got < 0)
			return -1;
	}
}

ssize_t decoder_read(struct decoder *d, char *buf, size_t want)
{
	if (want == 0)
		return 0;
	if (d->pend_pos < d->pend_len) {
		size_t give = d->pend_len - d->pend_pos < want ? d->pend_len - d->pend_pos : want;
		memcpy(buf, d->pend + d->pend_pos, give);
		d->pend_pos += give;
		return (ssize_t)give;
	}
	if (d->mode == PASS) {
		if (d->raw_pos < d->raw_len) {
			size_t give = d->raw_len - d->raw_pos < want ? d->raw_len - d->raw_pos : want;
			memcpy(buf, d->raw + d->raw_pos, give);
			d->raw_pos += give;
			return (ssize_t)give;
		}
		if (d->read_errno) {
			errno = d->read_errno;
			d->read_errno = 0;
			return -1;
		}
		if (d->eof)
			return 0;
		return read(d->fd, buf, want);
	}
	if (want < SMALL) {
		ssize_t n = convert_some(d, d->pend, sizeof d->pend);
		if (n <= 0)
			return n;
		d->pend_pos = 0;
		d->pend_len = (size_t)n;
		return decoder_read(d, buf, want);
	}
	return convert_some(d, buf, want);
}
