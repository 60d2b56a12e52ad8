/* SPDX-License-Identifier: MIT
 * A seed's cell read as dbt reads it. dbt-postgres loads a seed through
 * agate with these types, tried in this order for each column:
 *
 *   integer   only when every value is null (agate's own integers come
 *             from Python objects, never from text);
 *   number    Python's Decimal after agate has taken away blanks, '%'
 *             at either end, a leading '-', currency signs at either end
 *             and every ','; the column is float8 when any value has
 *             decimal places once trailing zeros are dropped, integer
 *             otherwise;
 *   date      strptime "%Y-%m-%d";
 *   datetime  strptime "%Y-%m-%d %H:%M:%S";
 *   ISO 8601  isodate's parse_datetime: a date and a time around one 'T',
 *             each matched at its start only (what follows is ignored),
 *             in any of isodate's forms;
 *   boolean   "true" or "false" in any case, after ',' is dropped;
 *   text.
 *
 * A value that is blank or "null" in any case is null in every type. The
 * two datetime types both become "timestamp without time zone"; a value
 * with an offset is converted to the session's time zone on the way in.
 * Every rule here was checked against dbt-core 1.11 on PostgreSQL 15. */
#include "seedcell.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "caltime.h"

/* ---- Python's str.strip() ---- */

/* The length of the whitespace character (as Python's str.isspace()
 * has it) at s, or 0. */
static size_t space_at(const unsigned char *s, size_t n)
{
	if (!n)
		return 0;
	if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r') || (s[0] >= 0x1c && s[0] <= 0x1f))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) /* U+1680 */
		return 3;
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	    ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf)) /* U+2000..200A, 2028, 2029, 202F */
		return 3;
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) /* U+205F */
		return 3;
	if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) /* U+3000 */
		return 3;
	return 0;
}

/* The whitespace character that ends s[0..n), or 0. */
static size_t space_before(const unsigned char *s, size_t n)
{
	for (size_t k = 1; k <= 3 && k <= n; k++)
		if (space_at(s + n - k, k) == k)
			return k;
	return 0;
}

/* what may start a blank: a control character, a space, or a byte of a
 * multi-byte character */
static bool may_be_blank(unsigned char c)
{
	return c <= ' ' || c >= 0x80;
}

static void strip(const char **s, size_t *n)
{
	if (!*n || (!may_be_blank((unsigned char)(*s)[0]) && !may_be_blank((unsigned char)(*s)[*n - 1])))
		return;
	size_t k;
	while ((k = space_at((const unsigned char *)*s, *n))) {
		*s += k;
		*n -= k;
	}
	while ((k = space_before((const unsigned char *)*s, *n)))
		*n -= k;
}

static bool is_null_text(const char *s, size_t n)
{
	return n == 0 || (n == 4 && strncasecmp(s, "null", 4) == 0);
}

/* ---- numbers ---- */

/* agate's currency signs, in the order it strips them */
static const char *const currencies[] = { "\u060b", "$", "\u0192", "\u17db", "\u00a5", "\u20a1", "\u20b1",
					  "\u00a3", "\u20ac", "\u00a2", "\ufdfc", "\u20aa", "\u20a9", "\u20ad",
					  "\u20ae", "\u20a6", "\u0e3f", "\u20a4", "\u20ab" };

/* s.strip(c) for a one-character c of clen bytes */
static void strip_char(const char **s, size_t *n, const char *c, size_t clen)
{
	while (*n >= clen && memcmp(*s, c, clen) == 0) {
		*s += clen;
		*n -= clen;
	}
	while (*n >= clen && memcmp(*s + *n - clen, c, clen) == 0)
		*n -= clen;
}

/* Rounds the significant digits d (len of them, no leading zeros) to 28,
 * half to even as Python's context does, and drops trailing zeros. */
static void round_digits(struct seed_number *v, const char *d, size_t len, long exp)
{
	char buf[30];
	size_t keep = len > 28 ? 28 : len;
	memcpy(buf, d, keep);
	if (len > 28) {
		exp += (long)(len - 28);
		int first = d[28] - '0';
		bool rest = false;
		for (size_t i = 29; i < len; i++)
			rest |= d[i] != '0';
		bool up = first > 5 || (first == 5 && (rest || (buf[27] - '0') % 2));
		for (size_t i = 28; up && i-- > 0;) {
			if (buf[i] == '9') {
				buf[i] = '0';
			} else {
				buf[i]++;
				up = false;
			}
		}
		if (up) { /* 999...9 became 1000...0 */
			memmove(buf + 1, buf, 27);
			buf[0] = '1';
			exp++;
		}
	}
	while (keep && buf[keep - 1] == '0') {
		keep--;
		exp++;
	}
	memcpy(v->digits, buf, keep);
	v->digits[keep] = '\0';
	v->exp = keep ? exp : 0;
}

/* The zeros of Unicode's decimal digits (category Nd, Unicode 14, as
 * Python 3.11 has them), each the first of ten: Python's Decimal reads
 * any of them as the digit it stands for. */
static const uint32_t digit_zeros[] = {
	0x660,   0x6f0,   0x7c0,   0x966,   0x9e6,   0xa66,   0xae6,   0xb66,   0xbe6,   0xc66,   0xce6,
	0xd66,   0xde6,   0xe50,   0xed0,   0xf20,   0x1040,  0x1090,  0x17e0,  0x1810,  0x1946,  0x19d0,
	0x1a80,  0x1a90,  0x1b50,  0x1bb0,  0x1c40,  0x1c50,  0xa620,  0xa8d0,  0xa900,  0xa9d0,  0xa9f0,
	0xaa50,  0xabf0,  0xff10,  0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450,
	0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0,
	0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
};

/* s[0..n) with every decimal digit of another script written as its
 * ASCII digit, into out (of len bytes); other characters stay. Returns
 * the length, or 0 when it does not fit. */
static size_t ascii_digits(const char *s, size_t n, char *out, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		if (k > n - i)
			k = 1;
		uint32_t cp = k == 1 ? c : c & (0x7f >> k);
		for (size_t j = 1; j < k; j++)
			cp = cp << 6 | ((unsigned char)s[i + j] & 0x3f);
		char d = 0;
		for (size_t z = 0; k > 1 && z < sizeof digit_zeros / sizeof *digit_zeros && !d; z++)
			if (cp >= digit_zeros[z] && cp <= digit_zeros[z] + 9)
				d = (char)('0' + (cp - digit_zeros[z]));
		size_t w = d ? 1 : k;
		if (o + w > len)
			return 0;
		if (d)
			out[o] = d;
		else
			memcpy(out + o, s + i, k);
		o += w;
		i += k;
	}
	return o;
}

/* Python's Decimal(s) on s[0..n) with every ',' taken out (agate's
 * grouping), as far as Decimal's grammar goes: sign, digits with one
 * '.', an exponent; Inf, Infinity, NaN with digits after it; blanks
 * around; '_' anywhere is ignored. sNaN is refused: Python fails on it
 * later, and dbt with it. */
static bool parse_decimal(const char *s, size_t n, struct seed_number *v)
{
	char ascii[512];
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80) {
			n = ascii_digits(s, n, ascii, sizeof ascii);
			s = ascii;
			if (!n)
				return false;
			break;
		}
	/* blanks next to the commas taken out are at the ends too */
	for (size_t k = 1; k;) {
		strip(&s, &n);
		for (k = 0; k < n && (s[k] == ',' || s[k] == '_'); k++)
			;
		s += k;
		n -= k;
		while (n && (s[n - 1] == ',' || s[n - 1] == '_'))
			n--, k++;
	}
	const char *p = s, *e = s + n;
	v->neg = false;
	if (p < e && (*p == '+' || *p == '-'))
		v->neg = *p++ == '-';
	if (p < e && ((*p | 0x20) == 'i' || (*p | 0x20) == 'n')) {
		/* the words, from a copy without '_' and ',' */
		char w[16];
		size_t wl = 0;
		for (; p < e; p++)
			if (*p != '_' && *p != ',') {
				if (wl == sizeof w - 1)
					return false;
				w[wl++] = *p;
			}
		w[wl] = '\0';
		if (!strcasecmp(w, "inf") || !strcasecmp(w, "infinity")) {
			v->kind = SEED_INF;
			return true;
		}
		v->kind = SEED_NAN;
		return !strncasecmp(w, "nan", 3) && strspn(w + 3, "0123456789") == wl - 3;
	}
	v->kind = SEED_FINITE;
	char dig[512];
	size_t dl = 0;
	long exp = 0;
	bool any = false, dot = false;
	for (; p < e; p++) {
		if (*p >= '0' && *p <= '9') {
			any = true;
			if (dl || *p != '0') {
				if (dl == sizeof dig)
					return false;
				dig[dl++] = *p;
			}
			if (dot)
				exp--;
		} else if (*p == '.' && !dot) {
			dot = true;
		} else if (*p != '_' && *p != ',') {
			break;
		}
	}
	if (!any)
		return false;
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		while (p < e && (*p == '_' || *p == ','))
			p++;
		bool eneg = p < e && *p == '-';
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		long x = 0;
		int nd = 0;
		for (; p < e; p++) {
			if (*p >= '0' && *p <= '9') {
				if (++nd > 9)
					return false;
				x = x * 10 + (*p - '0');
			} else if (*p != '_' && *p != ',') {
				break;
			}
		}
		if (!nd)
			return false;
		exp += eneg ? -x : x;
	}
	if (p != e)
		return false;
	round_digits(v, dig, dl, exp);
	if (!v->digits[0])
		v->neg = false; /* -0 goes in as 0 */
	return true;
}

/* agate's Number.cast on an already stripped value */
static bool read_number(const char *s, size_t n, struct seed_number *v)
{
	strip_char(&s, &n, "%", 1);
	bool neg = n && s[0] == '-';
	if (neg) {
		s++;
		n--;
	}
	/* currency signs: only when the value starts or ends with one */
	if (n && !((s[0] >= '0' && s[0] <= '9') && (s[n - 1] >= '0' && s[n - 1] <= '9')))
		for (size_t i = 0; i < sizeof currencies / sizeof *currencies; i++)
			strip_char(&s, &n, currencies[i], strlen(currencies[i]));
	if (!parse_decimal(s, n, v))
		return false;
	if (neg && (v->kind != SEED_FINITE || v->digits[0]))
		v->neg = !v->neg;
	return true;
}

void seed_precision_add(struct seed_precision *p, const struct seed_number *v)
{
	if (v->kind != SEED_FINITE)
		return;
	long places = -v->exp, whole = (long)strlen(v->digits) - places;
	if (!v->digits[0])
		places = 0, whole = 1;
	if (whole > p->whole)
		p->whole = whole;
	if (places > p->decimals)
		p->decimals = places;
}

long seed_precision(const struct seed_precision *p)
{
	/* agate keeps whole and decimal places within the 28 digits */
	return p->whole + p->decimals > 28 ? 28 - p->whole : p->decimals;
}

/* n as `width` digits or more at o; returns the end */
static char *put_uint(char *o, unsigned long n, int width)
{
	char tmp[24];
	int k = 0;
	do {
		tmp[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n || k < width);
	while (k)
		*o++ = tmp[--k];
	return o;
}

/* (written by hand: this runs for every value of a seed) */
bool seed_number_text(const struct seed_number *v, bool whole, char *out, size_t len)
{
	if (len < 48)
		return false;
	/* dbt's driver (psycopg2) sends every Decimal that is not finite as
	 * NaN, Infinity too */
	if (v->kind != SEED_FINITE) {
		memcpy(out, "NaN", 4);
		return !whole;
	}
	char *o = out;
	size_t nd = strlen(v->digits);
	if (!nd) {
		memcpy(out, "0", 2);
		return true;
	}
	if (whole && (v->exp < 0 || (long)nd + v->exp > 40))
		return false;
	if (v->neg)
		*o++ = '-';
	memcpy(o, v->digits, nd);
	o += nd;
	if (whole) {
		memset(o, '0', (size_t)v->exp);
		o += v->exp;
	} else if (v->exp) {
		*o++ = 'e';
		if (v->exp < 0)
			*o++ = '-';
		o = put_uint(o, (unsigned long)(v->exp < 0 ? -v->exp : v->exp), 1);
	}
	*o = '\0';
	return true;
}

/* ---- strptime ---- */

/* One field of a strptime format as Python's regex for it has it: the
 * alternatives, tried in order, each a string where 'd' is any digit, a
 * digit stands for itself only where the class says so: "[..]" takes
 * one of the listed characters, ' ' a space. */
struct alt {
	const char *cls[3]; /* one class per character, NULL after the last */
};

static bool in_class(const char *cls, char c)
{
	if (!strcmp(cls, "d"))
		return c >= '0' && c <= '9';
	if (cls[0] == '[' && cls[2] == '-') /* "[a-b]" */
		return c >= cls[1] && c <= cls[3];
	return c == cls[0];
}

/* The parts of a format: a field (alternatives), a literal character, or
 * whitespace (one or more blanks, as a blank in a format matches). */
struct part {
	char lit;              /* 0: a field, ' ': whitespace */
	const struct alt *alts;
	size_t nalts;
	int *value;
};

static bool match_parts(const char *s, size_t n, const struct part *parts, size_t np)
{
	if (!np)
		return n == 0;
	const struct part *p = &parts[0];
	if (p->lit == ' ') {
		size_t k = 0, w;
		while ((w = space_at((const unsigned char *)s + k, n - k)))
			k += w;
		/* as \s+ gives back characters when what follows fails */
		for (size_t used = k, w; used > 0; used -= w) {
			if (match_parts(s + used, n - used, parts + 1, np - 1))
				return true;
			/* (the run is read back from its end; a character that does
			 * not read the same both ways ends the tries) */
			if (!(w = space_before((const unsigned char *)s, used)))
				break;
		}
		return false;
	}
	if (p->lit)
		return n && s[0] == p->lit && match_parts(s + 1, n - 1, parts + 1, np - 1);
	for (size_t a = 0; a < p->nalts; a++) {
		size_t k = 0;
		int v = 0;
		for (; k < 3 && p->alts[a].cls[k]; k++) {
			if (k >= n || !in_class(p->alts[a].cls[k], s[k]))
				break;
			v = s[k] == ' ' ? v : v * 10 + (s[k] - '0');
		}
		if (k < 3 && p->alts[a].cls[k])
			continue;
		if (match_parts(s + k, n - k, parts + 1, np - 1)) {
			*p->value = v;
			return true;
		}
	}
	return false;
}

static const struct alt year_alts[] = { { { "d", "d", "d" } } }; /* and a fourth below */
static const struct alt month_alts[] = { { { "1", "[0-2]" } }, { { "0", "[1-9]" } }, { { "[1-9]" } } };
static const struct alt day_alts[] = { { { "3", "[0-1]" } }, { { "[1-2]", "d" } }, { { "0", "[1-9]" } },
				       { { "[1-9]" } }, { { " ", "[1-9]" } } };
static const struct alt hour_alts[] = { { { "2", "[0-3]" } }, { { "[0-1]", "d" } }, { { "d" } } };
static const struct alt minute_alts[] = { { { "[0-5]", "d" } }, { { "d" } } };
static const struct alt second_alts[] = { { { "6", "[0-1]" } }, { { "[0-5]", "d" } }, { { "d" } } };

/* strptime(s, "%Y-%m-%d") or, with_time, "%Y-%m-%d %H:%M:%S"; Python's
 * %Y is four digits, taken here as a three-digit field and one more. */
static bool read_strptime(const char *s, size_t n, bool with_time, struct seed_time *t)
{
	static const struct alt one_digit[] = { { { "d" } } };
	int y3 = 0, y1 = 0;
	memset(t, 0, sizeof *t);
	struct part parts[] = {
		{ 0, year_alts, 1, &y3 },       { 0, one_digit, 1, &y1 },       { '-', NULL, 0, NULL },
		{ 0, month_alts, 3, &t->month }, { '-', NULL, 0, NULL },         { 0, day_alts, 5, &t->day },
		{ ' ', NULL, 0, NULL },          { 0, hour_alts, 3, &t->hour },  { ':', NULL, 0, NULL },
		{ 0, minute_alts, 2, &t->minute }, { ':', NULL, 0, NULL },       { 0, second_alts, 3, &t->second },
	};
	if (!match_parts(s, n, parts, with_time ? 12 : 6))
		return false;
	t->year = y3 * 10 + y1;
	/* what Python's date and datetime then refuse */
	return t->year >= 1 && t->day <= cal_days_in_month(t->year, t->month) && t->second <= 59;
}

/* ---- isodate ---- */

/* n digits at s (all there), as a number */
static bool digits(const char *s, size_t avail, size_t n, int *v)
{
	if (avail < n)
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

static bool set_date(struct seed_time *t, int64_t days)
{
	int64_t y;
	cal_civil_from_days(days, &y, &t->month, &t->day);
	t->year = (int)y;
	return y >= 1 && y <= 9999;
}

/* isodate's parse_date: the first of its forms that matches at the
 * start of s; what follows the match is ignored, and a match that is
 * not a date fails without trying the other forms. */
static bool iso_date(const char *s, size_t n, struct seed_time *t)
{
	int y, m, d, w;
	if (!digits(s, n, 4, &y)) {
		/* a century: its first year */
		if (!digits(s, n, 2, &y))
			return false;
		return set_date(t, cal_days_from_civil(y * 100 + 1, 1, 1));
	}
	const char *p = s + 4;
	size_t r = n - 4;
	bool dash = r && *p == '-';
	const char *q = p + dash;
	size_t rq = r - dash;
	/* YYYY-MM-DD, YYYYMMDD */
	if (digits(q, rq, 2, &m) && rq > 2 && (!dash || q[2] == '-') && digits(q + 2 + dash, rq - 2 - dash, 2, &d)) {
		if (m < 1 || m > 12 || d < 1 || d > cal_days_in_month(y, m) || y < 1)
			return false;
		return set_date(t, cal_days_from_civil(y, m, d));
	}
	/* week dates, with a day and without: from the Monday of week 1 */
	if (rq && *q == 'W' && digits(q + 1, rq - 1, 2, &w)) {
		if (y < 1)
			return false;
		int day = 1;
		const char *e = q + 3;
		size_t re = rq - 3;
		if (dash ? (re >= 2 && e[0] == '-' && digits(e + 1, re - 1, 1, &day)) : digits(e, re, 1, &day)) {
		} else {
			day = 1;
		}
		int64_t jan1 = cal_days_from_civil(y, 1, 1);
		int wd = cal_weekday(jan1); /* 0 Monday */
		int64_t ref = jan1;
		/* isocalendar() of 1 January: its ISO week is 1 when it falls on
		 * Monday to Thursday */
		bool week1 = wd <= 3;
		return set_date(t, ref + 7 * (int64_t)(w - (week1 ? 1 : 0)) - (wd + 1) + day);
	}
	/* ordinal dates */
	int ord;
	if (digits(q, rq, 3, &ord)) {
		if (y < 1)
			return false;
		return set_date(t, cal_days_from_civil(y, 1, 1) + ord - 1);
	}
	/* YYYY-MM, YYYYMM */
	if (digits(q, rq, 2, &m)) {
		if (m < 1 || m > 12 || y < 1)
			return false;
		return set_date(t, cal_days_from_civil(y, m, 1));
	}
	if (y < 1)
		return false;
	return set_date(t, cal_days_from_civil(y, 1, 1));
}

/* [,.][0-9]+ at s: the fraction's digits (at most 18 counted), or 0 */
static size_t fraction(const char *s, size_t n, uint64_t *num, int *places)
{
	if (n < 2 || (s[0] != ',' && s[0] != '.') || s[1] < '0' || s[1] > '9')
		return 0;
	size_t k = 1;
	*num = 0;
	*places = 0;
	for (; k < n && s[k] >= '0' && s[k] <= '9'; k++)
		if (*places < 18) {
			*num = *num * 10 + (uint64_t)(s[k] - '0');
			(*places)++;
		}
	return k;
}

static uint64_t pow10u(int n)
{
	uint64_t p = 1;
	while (n-- > 0)
		p *= 10;
	return p;
}

/* num / 10^places of a unit of `unit` microseconds: the whole
 * microseconds in *us, and whether what is left rounds them up (half to
 * even, as Python's Decimal rounds) */
static bool fraction_usec(uint64_t num, int places, uint64_t unit, uint64_t *us)
{
	unsigned __int128 x = (unsigned __int128)num * unit;
	uint64_t den = pow10u(places);
	*us = (uint64_t)(x / den);
	unsigned __int128 rem = x % den;
	return rem * 2 > den || (rem * 2 == den && (*us & 1));
}

/* hh, mm and ss of the first n (2, 4 or 6) digits of s */
static bool clock_digits(const char *s, size_t avail, size_t n, int *h, int *m, int *sec)
{
	int v;
	if (!digits(s, avail, n, &v))
		return false;
	*h = (s[0] - '0') * 10 + s[1] - '0';
	*m = n >= 4 ? (s[2] - '0') * 10 + s[3] - '0' : 0;
	*sec = n >= 6 ? (s[4] - '0') * 10 + s[5] - '0' : 0;
	return true;
}

/* isodate's parse_time: hh:mm:ss, hhmmss, hh:mm, hhmm, hh, the last
 * field with a fraction, then an optional Z or +hh[:mm] / +hhmm; matched
 * at the start, the rest ignored. */
static bool iso_time(const char *s, size_t n, struct seed_time *t)
{
	int h, m, sec, fields;
	size_t k;
	if (clock_digits(s, n, 2, &h, &m, &sec) && n > 2 && s[2] == ':' && digits(s + 3, n - 3, 2, &m) &&
	    n > 5 && s[5] == ':' && digits(s + 6, n - 6, 2, &sec))
		fields = 3, k = 8;
	else if (clock_digits(s, n, 6, &h, &m, &sec))
		fields = 3, k = 6;
	else if (clock_digits(s, n, 2, &h, &m, &sec) && n > 2 && s[2] == ':' && digits(s + 3, n - 3, 2, &m))
		fields = 2, k = 5;
	else if (clock_digits(s, n, 4, &h, &m, &sec))
		fields = 2, k = 4;
	else if (clock_digits(s, n, 2, &h, &m, &sec))
		fields = 1, k = 2;
	else
		return false;
	uint64_t num = 0, us = 0;
	int places = 0;
	size_t fk = fraction(s + k, n - k, &num, &places);
	k += fk;
	if (fk) {
		/* the last field's fraction, in microseconds */
		static const uint64_t unit_us[] = { 0, 3600000000ULL, 60000000ULL, 1000000ULL };
		bool up = fraction_usec(num, places, unit_us[fields], &us);
		if (fields == 1) {
			m = (int)(us / 60000000ULL);
			us %= 60000000ULL;
		}
		if (fields < 3) {
			sec = (int)(us / 1000000ULL);
			us %= 1000000ULL;
		}
		us += up;
		/* seconds are rounded as a whole (a carry reaches them); a
		 * fraction of a minute or an hour rounds only its microseconds,
		 * and Python refuses the million that a carry leaves */
		if (us == 1000000 && fields == 3) {
			sec++;
			us = 0;
		}
		if (us >= 1000000)
			return false;
	}
	if (h > 23 || m > 59 || sec > 59)
		return false;
	t->hour = h;
	t->minute = m;
	t->second = sec;
	t->usec = (int)us;
	t->aware = false;
	t->offset_min = 0;
	if (k < n && s[k] == 'Z') {
		t->aware = true;
	} else if (k < n && (s[k] == '+' || s[k] == '-')) {
		int oh, om = 0;
		if (digits(s + k + 1, n - k - 1, 2, &oh)) {
			size_t j = k + 3;
			if (j < n && s[j] == ':')
				j++;
			if (!digits(s + j, n - j, 2, &om))
				om = 0;
			int off = oh * 60 + om;
			/* Python refuses an offset of a day or more when it is used */
			if (off >= 24 * 60)
				return false;
			t->aware = true;
			t->offset_min = s[k] == '-' ? -off : off;
		}
	}
	return true;
}

static bool read_iso(const char *s, size_t n, struct seed_time *t)
{
	const char *tee = memchr(s, 'T', n);
	if (!tee || memchr(tee + 1, 'T', n - (size_t)(tee - s) - 1))
		return false;
	struct seed_time d;
	if (!iso_date(s, (size_t)(tee - s), &d) || !iso_time(tee + 1, n - (size_t)(tee - s) - 1, t))
		return false;
	t->year = d.year;
	t->month = d.month;
	t->day = d.day;
	return true;
}

/* ---- booleans ---- */

/* agate's Boolean.cast: ',' dropped, stripped, lower-cased; a value that
 * is then blank or "null" is a null boolean. */
static bool read_bool(const char *s, size_t n, bool *b, bool *null)
{
	char buf[64];
	size_t bl = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != ',') {
			if (bl == sizeof buf)
				return false;
			buf[bl++] = s[i];
		}
	const char *p = buf;
	strip(&p, &bl);
	*null = is_null_text(p, bl);
	*b = bl == 4 && strncasecmp(p, "true", 4) == 0;
	return *null || *b || (bl == 5 && strncasecmp(p, "false", 5) == 0);
}

bool seed_is_null(const char *s, size_t n)
{
	strip(&s, &n);
	return is_null_text(s, n);
}

/* -?[0-9]+(.[0-9]*)? or -?.[0-9]+: a number and nothing else can be */
static bool plain_number(const char *s, size_t n, bool *dot)
{
	size_t i = n && s[0] == '-', digits = 0;
	*dot = false;
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && !*dot)
			*dot = true;
		else
			return false;
	}
	return digits > 0;
}

/* YYYY-MM-DD: a date, and nothing else, when it is one */
static bool plain_date(const char *s, size_t n)
{
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

bool seed_plain(const char *s, size_t n, unsigned type, bool whole)
{
	bool dot;
	switch (type) {
	case SEED_NUMBER:
		/* "-0" would be float8's negative zero; dbt's is 0 */
		return plain_number(s, n, &dot) && !(whole && dot) && !(s[0] == '-' && strspn(s + 1, "0.") == n - 1);
	case SEED_DATE:
		return plain_date(s, n);
	case SEED_DATETIME:
		if (n != 19 || !plain_date(s, 10) || s[10] != ' ' || s[13] != ':' || s[16] != ':')
			return false;
		for (size_t i = 11; i < 19; i++)
			if (i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
				return false;
		return true;
	case SEED_BOOL:
		return (n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s, "false", 5));
	}
	return false;
}

void seed_cell_read(const char *s, size_t n, unsigned want, struct seed_cell *c)
{
	c->can = 0;
	c->bool_null = false;
	strip(&s, &n);
	c->null = is_null_text(s, n);
	if (c->null)
		return;
	/* the common shapes first, where only one type can take the value */
	bool dot;
	if (plain_number(s, n, &dot)) {
		if ((want & SEED_NUMBER) && parse_decimal(s, n, &c->num))
			c->can = SEED_NUMBER;
		return;
	}
	if (plain_date(s, n)) {
		struct seed_time *t = &c->date;
		memset(t, 0, sizeof *t);
		t->year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
		t->month = (s[5] - '0') * 10 + (s[6] - '0');
		t->day = (s[8] - '0') * 10 + (s[9] - '0');
		if ((want & SEED_DATE) && t->year >= 1 && t->month >= 1 && t->month <= 12 && t->day >= 1 &&
		    t->day <= cal_days_in_month(t->year, t->month))
			c->can = SEED_DATE;
		return;
	}
	if ((want & SEED_NUMBER) && read_number(s, n, &c->num))
		c->can |= SEED_NUMBER;
	/* every date and time starts with four digits and a '-', or holds a T */
	bool datelike = n >= 4 && s[0] >= '0' && s[0] <= '9';
	if ((want & SEED_DATE) && datelike && read_strptime(s, n, false, &c->date))
		c->can |= SEED_DATE;
	if ((want & SEED_DATETIME) && datelike && read_strptime(s, n, true, &c->datetime))
		c->can |= SEED_DATETIME;
	if ((want & SEED_ISODATETIME) && n >= 3 && read_iso(s, n, &c->iso))
		c->can |= SEED_ISODATETIME;
	bool bnull = false;
	if ((want & SEED_BOOL) && read_bool(s, n, &c->boolean, &bnull))
		c->can |= SEED_BOOL;
	c->bool_null = bnull;
}

static char *put_date(char *o, const struct seed_time *t)
{
	o = put_uint(o, (unsigned long)t->year, 4);
	*o++ = '-';
	o = put_uint(o, (unsigned long)t->month, 2);
	*o++ = '-';
	return put_uint(o, (unsigned long)t->day, 2);
}

void seed_date_text(const struct seed_time *t, char *out, size_t len)
{
	if (len >= 11)
		*put_date(out, t) = '\0';
}

void seed_time_text(const struct seed_time *t, char *out, size_t len)
{
	if (len < 33)
		return;
	char *o = put_date(out, t);
	*o++ = ' ';
	o = put_uint(o, (unsigned long)t->hour, 2);
	*o++ = ':';
	o = put_uint(o, (unsigned long)t->minute, 2);
	*o++ = ':';
	o = put_uint(o, (unsigned long)t->second, 2);
	if (t->usec) {
		*o++ = '.';
		o = put_uint(o, (unsigned long)t->usec, 6);
	}
	if (t->aware) {
		int off = t->offset_min < 0 ? -t->offset_min : t->offset_min;
		*o++ = t->offset_min < 0 ? '-' : '+';
		o = put_uint(o, (unsigned long)(off / 60), 2);
		*o++ = ':';
		o = put_uint(o, (unsigned long)(off % 60), 2);
	}
	*o = '\0';
}
