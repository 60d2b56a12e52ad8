/* SPDX-License-Identifier: MIT
 * Binary COPY encoders; see copybin.h for the contract.
 *
 * Tuned for the sales stream: short ASCII fields, one RFC 3339 timestamp
 * and two money amounts per row, millions of rows. Every encoder works on
 * the field in place, with no allocation once the buffer has grown to the
 * size of one flush. The formats are PostgreSQL's *_send functions: all
 * integers in network byte order, times in microseconds and dates in days
 * since 2000-01-01, numeric as base-10000 digits. */
#include "copybin.h"

#include <endian.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caltime.h"
#include "xalloc.h"

/* Type OIDs fixed in PostgreSQL's pg_type.dat, the same on every server. */
enum {
	OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25,
	OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_BPCHAR = 1042, OID_VARCHAR = 1043,
	OID_DATE = 1082, OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184, OID_NUMERIC = 1700,
};

/* Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01. */
#define PG_EPOCH_DAYS 10957
/* Longer numerics than this go to the server as text; far beyond money. */
#define NUMERIC_MAX_DIGITS 1000

enum cb_type copybin_type(uint32_t typid)
{
	switch (typid) {
	case OID_TEXT: case OID_VARCHAR: case OID_BPCHAR: return CB_TEXT;
	case OID_INT2: return CB_INT2;
	case OID_INT4: return CB_INT4;
	case OID_INT8: return CB_INT8;
	case OID_NUMERIC: return CB_NUMERIC;
	case OID_FLOAT4: return CB_FLOAT4;
	case OID_FLOAT8: return CB_FLOAT8;
	case OID_BOOL: return CB_BOOL;
	case OID_DATE: return CB_DATE;
	case OID_TIMESTAMP: return CB_TIMESTAMP;
	case OID_TIMESTAMPTZ: return CB_TIMESTAMPTZ;
	default: return CB_NONE;
	}
}

/* Callers reserve first; these only store. */
static void put16(struct buf *b, uint16_t v)
{
	v = htobe16(v);
	memcpy(b->data + b->len, &v, 2);
	b->len += 2;
}

static void put32(struct buf *b, uint32_t v)
{
	v = htobe32(v);
	memcpy(b->data + b->len, &v, 4);
	b->len += 4;
}

static void put64(struct buf *b, uint64_t v)
{
	v = htobe64(v);
	memcpy(b->data + b->len, &v, 8);
	b->len += 8;
}

void copybin_header(struct buf *b)
{
	static const char sig[11] = "PGCOPY\n\377\r\n\0";
	buf_reserve(b, 19);
	memcpy(b->data + b->len, sig, 11);
	b->len += 11;
	put32(b, 0); /* flags: no OIDs */
	put32(b, 0); /* no header extension */
}

void copybin_tuple(struct buf *b, uint16_t nfields)
{
	buf_reserve(b, 2);
	put16(b, nfields);
}

void copybin_trailer(struct buf *b)
{
	buf_reserve(b, 2);
	put16(b, 0xFFFF);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at s as a number; false unless all are digits. */
static bool num(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* An optional minus and 1 to 19 digits, within [min, max]. A plus sign,
 * spaces, underscores or an empty string go to the server. */
static bool parse_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	bool neg = len && s[0] == '-';
	size_t i = neg ? 1 : 0;
	if (len == i || len - i > 19)
		return false;
	uint64_t v = 0;
	for (; i < len; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits cannot overflow */
	}
	if (neg ? v > (uint64_t)max + 1 : v > (uint64_t)max)
		return false;
	int64_t r = neg ? (int64_t)(0 - v) : (int64_t)v;
	if (r < min)
		return false;
	*out = r;
	return true;
}

/* -?[0-9]+(\.[0-9]+)? as base-10000 digits: int16 ndigits, weight, sign,
 * dscale, then the digits, most significant first, without leading or
 * trailing zero groups. The scale is the number of decimals written, as
 * numeric_in keeps it; a column's precision and scale are applied by the
 * server's numeric_recv exactly as for text input. */
static bool put_numeric(struct buf *b, const char *s, size_t len)
{
	size_t i = 0;
	bool neg = len && s[0] == '-';
	if (neg)
		i++;
	size_t int_start = i;
	while (i < len && is_digit(s[i]))
		i++;
	size_t int_end = i;
	size_t frac_start = i, frac_end = i;
	if (i < len && s[i] == '.') {
		frac_start = ++i;
		while (i < len && is_digit(s[i]))
			i++;
		frac_end = i;
		if (frac_end == frac_start)
			return false;
	}
	if (i != len || int_end == int_start || len > NUMERIC_MAX_DIGITS)
		return false;
	while (int_start < int_end && s[int_start] == '0')
		int_start++;
	size_t ni = int_end - int_start, nf = frac_end - frac_start;
	size_t int_groups = (ni + 3) / 4, frac_groups = (nf + 3) / 4;
	uint16_t digits[NUMERIC_MAX_DIGITS / 4 + 4];
	size_t nd = 0;
	/* The integer part, grouped from the decimal point leftwards. */
	size_t first = ni % 4 ? ni % 4 : 4;
	size_t p = int_start;
	for (size_t g = 0; g < int_groups; g++) {
		size_t n = g == 0 ? first : 4;
		uint16_t d = 0;
		for (size_t k = 0; k < n; k++)
			d = (uint16_t)(d * 10 + (s[p++] - '0'));
		digits[nd++] = d;
	}
	/* The fraction, grouped rightwards and padded with zeros. */
	p = frac_start;
	for (size_t g = 0; g < frac_groups; g++) {
		uint16_t d = 0;
		for (size_t k = 0; k < 4; k++)
			d = (uint16_t)(d * 10 + (p < frac_end ? s[p++] - '0' : 0));
		digits[nd++] = d;
	}
	int weight = (int)int_groups - 1;
	size_t lead = 0;
	while (lead < nd && digits[lead] == 0) {
		lead++;
		weight--;
	}
	while (nd > lead && digits[nd - 1] == 0)
		nd--;
	size_t ndigits = nd - lead;
	if (ndigits == 0) {
		weight = 0;
		neg = false;
	}
	buf_reserve(b, 4 + 8 + 2 * ndigits);
	put32(b, (uint32_t)(8 + 2 * ndigits));
	put16(b, (uint16_t)ndigits);
	put16(b, (uint16_t)(int16_t)weight);
	put16(b, neg ? 0x4000 : 0x0000);
	put16(b, (uint16_t)nf);
	for (size_t k = lead; k < nd; k++)
		put16(b, digits[k]);
	return true;
}

/* A plain decimal float: -?digits(.digits)?([eE][+-]?digits)?. Spellings
 * such as "Infinity", "NaN", hex floats and out-of-range values go to the
 * server, whose float8in/float4in use the same strtod/strtof. */
static bool plain_float(const char *s, size_t len)
{
	size_t i = 0;
	if (i < len && s[i] == '-')
		i++;
	size_t d = i;
	while (i < len && is_digit(s[i]))
		i++;
	if (i == d)
		return false;
	if (i < len && s[i] == '.') {
		d = ++i;
		while (i < len && is_digit(s[i]))
			i++;
		if (i == d)
			return false;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		d = i;
		while (i < len && is_digit(s[i]))
			i++;
		if (i == d)
			return false;
	}
	return i == len && len < 64;
}

/* YYYY-MM-DD[T ]HH:MM:SS[.ffffff], then for timestamptz Z, +HH:MM / +HH or
 * nothing, which is UTC (pgload's sessions are in UTC, so the server reads
 * it so too), for timestamp nothing (the server would silently drop an
 * offset).
 * Seconds 60, hour 24 and more than six decimals (the server rounds them)
 * go to the server. */
static bool parse_timestamp(const char *s, size_t len, bool zone, int64_t *us)
{
	int y, mo, d, h, mi, se;
	if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return false;
	if (!num(s, 4, &y) || !num(s + 5, 2, &mo) || !num(s + 8, 2, &d) ||
	    !num(s + 11, 2, &h) || !num(s + 14, 2, &mi) || !num(s + 17, 2, &se))
		return false;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > cal_days_in_month(y, mo) ||
	    h > 23 || mi > 59 || se > 59)
		return false;
	size_t i = 19;
	int64_t frac = 0;
	if (i < len && s[i] == '.') {
		size_t start = ++i;
		while (i < len && is_digit(s[i]) && i - start < 6)
			frac = frac * 10 + (s[i++] - '0');
		size_t n = i - start;
		if (n == 0 || (i < len && is_digit(s[i])))
			return false;
		for (; n < 6; n++)
			frac *= 10;
	}
	int64_t offset = 0;
	if (zone) {
		if (i < len && s[i] == 'Z') {
			i++;
		} else if (i < len && (s[i] == '+' || s[i] == '-')) {
			int oh, om = 0;
			if (len - i < 3 || !num(s + i + 1, 2, &oh))
				return false;
			size_t j = i + 3;
			if (j < len && s[j] == ':') {
				if (len - j < 3 || !num(s + j + 1, 2, &om) || om > 59)
					return false;
				j += 3;
			}
			if (oh > 15)
				return false;
			offset = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
			i = j;
		}
	}
	if (i != len)
		return false;
	int64_t days = cal_days_from_civil(y, mo, d) - PG_EPOCH_DAYS;
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset;
	*us = secs * 1000000 + frac;
	return true;
}

static bool parse_bool(const char *s, size_t len, bool *v)
{
	static const struct { const char *s; bool v; } words[] = {
		{ "t", true }, { "true", true }, { "TRUE", true }, { "True", true },
		{ "1", true }, { "yes", true }, { "f", false }, { "false", false },
		{ "FALSE", false }, { "False", false }, { "0", false }, { "no", false },
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strlen(words[i].s) == len && memcmp(words[i].s, s, len) == 0) {
			*v = words[i].v;
			return true;
		}
	return false;
}

bool copybin_value(struct buf *b, enum cb_type t, const char *s, size_t len, bool null)
{
	if (null) {
		buf_reserve(b, 4);
		put32(b, 0xFFFFFFFF);
		return true;
	}
	int64_t i;
	switch (t) {
	case CB_TEXT:
		if (len > INT32_MAX)
			return false;
		buf_reserve(b, 4 + len);
		put32(b, (uint32_t)len);
		memcpy(b->data + b->len, s, len);
		b->len += len;
		return true;
	case CB_INT2:
		if (!parse_int(s, len, INT16_MIN, INT16_MAX, &i))
			return false;
		buf_reserve(b, 6);
		put32(b, 2);
		put16(b, (uint16_t)(int16_t)i);
		return true;
	case CB_INT4:
		if (!parse_int(s, len, INT32_MIN, INT32_MAX, &i))
			return false;
		buf_reserve(b, 8);
		put32(b, 4);
		put32(b, (uint32_t)(int32_t)i);
		return true;
	case CB_INT8:
		if (!parse_int(s, len, INT64_MIN, INT64_MAX, &i))
			return false;
		buf_reserve(b, 12);
		put32(b, 8);
		put64(b, (uint64_t)i);
		return true;
	case CB_NUMERIC:
		return put_numeric(b, s, len);
	case CB_FLOAT4: {
		if (!plain_float(s, len))
			return false;
		errno = 0;
		float f = strtof(s, NULL);
		if (errno || isinf(f))
			return false;
		uint32_t bits;
		memcpy(&bits, &f, 4);
		buf_reserve(b, 8);
		put32(b, 4);
		put32(b, bits);
		return true;
	}
	case CB_FLOAT8: {
		if (!plain_float(s, len))
			return false;
		errno = 0;
		double f = strtod(s, NULL);
		if (errno || isinf(f))
			return false;
		uint64_t bits;
		memcpy(&bits, &f, 8);
		buf_reserve(b, 12);
		put32(b, 8);
		put64(b, bits);
		return true;
	}
	case CB_BOOL: {
		bool v;
		if (!parse_bool(s, len, &v))
			return false;
		buf_reserve(b, 5);
		put32(b, 1);
		b->data[b->len++] = v ? 1 : 0;
		return true;
	}
	case CB_DATE: {
		int64_t days;
		if (len != 10 || memcmp(s, "0000", 4) == 0 || !cal_parse_date(s, len, &days))
			return false;
		buf_reserve(b, 8);
		put32(b, 4);
		put32(b, (uint32_t)(int32_t)(days - PG_EPOCH_DAYS));
		return true;
	}
	case CB_TIMESTAMP:
	case CB_TIMESTAMPTZ:
		if (!parse_timestamp(s, len, t == CB_TIMESTAMPTZ, &i))
			return false;
		buf_reserve(b, 12);
		put32(b, 8);
		put64(b, (uint64_t)i);
		return true;
	case CB_NONE:
		break;
	}
	return false;
}
