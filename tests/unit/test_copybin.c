/* SPDX-License-Identifier: MIT
 * Unit tests for pgload's binary COPY encoder (pgload/copybin.c): the exact
 * bytes of every type's send format (integers in network order, numeric as
 * base-10000 digits with ndigits, weight, sign and dscale, booleans, dates
 * as days and timestamps as microseconds since 2000-01-01 UTC, offsets
 * applied), the file header, tuple and trailer, and that every spelling the
 * encoder is not sure of is refused with the buffer left as it was, so that
 * pgload falls back to CSV. The numeric and framing bytes were taken from a
 * PostgreSQL 15 server's "copy (select 'V'::numeric) to stdout with (format
 * binary)"; timestamps and floats from Python's datetime and struct. */
#include <stdio.h>
#include <stdlib.h>

#include "../../pgload/copybin.c"
#include "unit.h"

/* The field's bytes in hex, or "refused" (checking that a refusal wrote
 * nothing after what the buffer already held). */
static const char *enc(enum cb_type t, const char *s)
{
	static char hex[512];
	struct buf b = { 0 };
	buf_add(&b, "x", 1);
	if (!copybin_value(&b, t, s, strlen(s), false)) {
		snprintf(hex, sizeof hex, b.len == 1 && b.data[0] == 'x' ? "refused" : "refused, but wrote");
	} else {
		size_t k = 0;
		for (size_t i = 1; i < b.len && k + 3 < sizeof hex; i++)
			k += (size_t)snprintf(hex + k, sizeof hex - k, "%02x", (unsigned char)b.data[i]);
		hex[k] = '\0';
	}
	buf_free(&b);
	return hex;
}

#define ENC(t, s, want)                                   \
	do {                                              \
		const char *got_ = enc((t), (s));         \
		CHECK_STR(got_, strlen(got_), want);      \
	} while (0)

static void type_oids(void)
{
	CHECK(copybin_type(16) == CB_BOOL && copybin_type(20) == CB_INT8);
	CHECK(copybin_type(21) == CB_INT2 && copybin_type(23) == CB_INT4);
	CHECK(copybin_type(25) == CB_TEXT && copybin_type(1043) == CB_TEXT && copybin_type(1042) == CB_TEXT);
	CHECK(copybin_type(700) == CB_FLOAT4 && copybin_type(701) == CB_FLOAT8);
	CHECK(copybin_type(1700) == CB_NUMERIC && copybin_type(1082) == CB_DATE);
	CHECK(copybin_type(1114) == CB_TIMESTAMP && copybin_type(1184) == CB_TIMESTAMPTZ);
	CHECK(copybin_type(114) == CB_NONE);  /* json */
	CHECK(copybin_type(1083) == CB_NONE); /* time */
	CHECK(copybin_type(0) == CB_NONE);
}

static void framing(void)
{
	struct buf b = { 0 };
	copybin_header(&b);
	copybin_tuple(&b, 1);
	CHECK(copybin_value(&b, CB_INT4, "1", 1, false));
	copybin_tuple(&b, 2);
	CHECK(copybin_value(&b, CB_TEXT, "", 0, true)); /* NULL: length -1, no bytes */
	CHECK(copybin_value(&b, CB_INT8, "", 0, true));
	copybin_trailer(&b);
	static const unsigned char want[] = {
		'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0, /* signature */
		0, 0, 0, 0, 0, 0, 0, 0,                                  /* flags, extension */
		0, 1, 0, 0, 0, 4, 0, 0, 0, 1,                            /* (1) */
		0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,    /* (NULL, NULL) */
		0xff, 0xff,                                              /* trailer */
	};
	CHECK(b.len == sizeof want && memcmp(b.data, want, sizeof want) == 0);
	buf_free(&b);
	CHECK(b.data == NULL && b.len == 0);
}

static void text_as_is(void)
{
	ENC(CB_TEXT, "", "00000000");
	ENC(CB_TEXT, "ab", "000000026162");
	ENC(CB_TEXT, " 1,\"é\"", "0000000720312c22c3a922");
}

static void integers(void)
{
	ENC(CB_INT2, "0", "000000020000");
	ENC(CB_INT2, "-1", "00000002ffff");
	ENC(CB_INT2, "32767", "000000027fff");
	ENC(CB_INT2, "-32768", "000000028000");
	ENC(CB_INT2, "32768", "refused");
	ENC(CB_INT2, "-32769", "refused");
	ENC(CB_INT4, "2147483647", "000000047fffffff");
	ENC(CB_INT4, "-2147483648", "0000000480000000");
	ENC(CB_INT4, "2147483648", "refused");
	ENC(CB_INT4, "-2147483649", "refused");
	ENC(CB_INT4, "305419896", "0000000412345678");
	ENC(CB_INT8, "9223372036854775807", "000000087fffffffffffffff");
	ENC(CB_INT8, "-9223372036854775808", "000000088000000000000000");
	ENC(CB_INT8, "9223372036854775808", "refused");
	ENC(CB_INT8, "-9223372036854775809", "refused");
	ENC(CB_INT8, "99999999999999999999", "refused"); /* 20 digits */
	ENC(CB_INT8, "-1", "00000008ffffffffffffffff");
	ENC(CB_INT4, "-0", "0000000400000000");
	/* Spellings the server would take but this encoder leaves to it. */
	static const char *const odd[] = { "", "-", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "1_000", "1,000", "١" };
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		ENC(CB_INT2, odd[i], "refused");
		ENC(CB_INT4, odd[i], "refused");
		ENC(CB_INT8, odd[i], "refused");
	}
}

/* Length, then ndigits, weight, sign (0x4000 negative), dscale, digits. */
static void numerics(void)
{
	ENC(CB_NUMERIC, "1.5", "0000000c000200000000000100011388");
	ENC(CB_NUMERIC, "1.50", "0000000c000200000000000200011388");
	ENC(CB_NUMERIC, "-12345.678", "0000000e0003000140000003000109291a7c");
	ENC(CB_NUMERIC, "0.0001", "0000000a0001ffff000000040001");
	ENC(CB_NUMERIC, "0.00001", "0000000a0001fffe0000000503e8");
	ENC(CB_NUMERIC, "10000", "0000000a00010001000000000001");
	ENC(CB_NUMERIC, "100000000.10", "00000010000400020000000200010000000003e8");
	ENC(CB_NUMERIC, "12345678.9", "0000000e000300010000000104d2162e2328");
	ENC(CB_NUMERIC, "-0.5", "0000000a0001ffff400000011388");
	/* Zero has no digits, weight 0 and a positive sign, whatever its spelling. */
	ENC(CB_NUMERIC, "0", "000000080000000000000000");
	ENC(CB_NUMERIC, "-0.00", "000000080000000000000002");
	ENC(CB_NUMERIC, "000.000", "000000080000000000000003");
	/* Leading zeros do not count. */
	ENC(CB_NUMERIC, "007", "0000000a00010000000000000007");
	static const char *const odd[] = { "", "-", ".5", "1.", "-.5", "+1", "1e3", "1E-2", "NaN", "Infinity",
					   " 1", "1 ", "1,5", "1_0", "--1", "0x1" };
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
		ENC(CB_NUMERIC, odd[i], "refused");
}

/* More digits than the encoder keeps room for go to the server. */
static void long_numerics(void)
{
	char s[1200];
	memset(s, '9', 1000);
	s[1000] = '\0';
	struct buf b = { 0 };
	CHECK(copybin_value(&b, CB_NUMERIC, s, 1000, false));
	/* 250 groups of 9999, weight 249, dscale 0 */
	CHECK(b.len == 4 + 8 + 500);
	CHECK(b.len > 12 && memcmp(b.data, "\x00\x00\x01\xfc\x00\xfa\x00\xf9\x00\x00\x00\x00\x27\x0f", 14) == 0);
	b.len = 0;
	s[0] = '1';
	s[1] = '.';
	memset(s + 2, '0', 998);
	s[1000] = '1';
	s[1001] = '\0';
	CHECK(!copybin_value(&b, CB_NUMERIC, s, 1001, false));
	CHECK(b.len == 0);
	buf_free(&b);
}

static void floats(void)
{
	ENC(CB_FLOAT8, "1.5", "000000083ff8000000000000");
	ENC(CB_FLOAT8, "0.1", "000000083fb999999999999a");
	ENC(CB_FLOAT8, "-1.25e-3", "00000008bf547ae147ae147b");
	ENC(CB_FLOAT4, "1.5", "000000043fc00000");
	ENC(CB_FLOAT4, "0.1", "000000043dcccccd");
	ENC(CB_FLOAT4, "-2", "00000004c0000000");
	static const char *const odd[] = { "", "NaN", "Infinity", "-Infinity", "inf", "1e999", "0x1p3", ".5",
					   "1.", "+1", " 1", "1e", "1e+" };
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		ENC(CB_FLOAT4, odd[i], "refused");
		ENC(CB_FLOAT8, odd[i], "refused");
	}
	ENC(CB_FLOAT4, "1e39", "refused"); /* beyond float4 */
}

static void booleans(void)
{
	static const char *const yes[] = { "t", "true", "TRUE", "True", "1", "yes" };
	static const char *const no[] = { "f", "false", "FALSE", "False", "0", "no" };
	for (size_t i = 0; i < 6; i++) {
		ENC(CB_BOOL, yes[i], "0000000101");
		ENC(CB_BOOL, no[i], "0000000100");
	}
	static const char *const odd[] = { "", "tRuE", "on", "off", "y", "n", " t", "true ", "2" };
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
		ENC(CB_BOOL, odd[i], "refused");
}

static void dates(void)
{
	ENC(CB_DATE, "2000-01-01", "0000000400000000");
	ENC(CB_DATE, "1999-12-31", "00000004ffffffff");
	ENC(CB_DATE, "2026-12-03", "0000000400002669");
	ENC(CB_DATE, "0001-01-01", "00000004fff4dbf9");
	ENC(CB_DATE, "9999-12-31", "00000004002c95d3");
	ENC(CB_DATE, "2000-02-29", "000000040000003b");
	static const char *const odd[] = { "", "0000-01-01", "1900-02-29", "2023-02-29", "2023-04-31", "2023-13-01",
					   "2023-1-01", "20230101", "2023/01/01", "2023-01-01 ", "infinity",
					   "2023-01-01T00:00:00" };
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
		ENC(CB_DATE, odd[i], "refused");
}

static void timestamps(void)
{
	ENC(CB_TIMESTAMPTZ, "2000-01-01T00:00:00Z", "000000080000000000000000");
	ENC(CB_TIMESTAMPTZ, "2000-01-01T00:00:00+01:00", "00000008ffffffff296c5c00");
	ENC(CB_TIMESTAMPTZ, "2026-11-01T10:15:30.25Z", "000000080003023313e14510");
	ENC(CB_TIMESTAMPTZ, "2026-11-01 10:15:30.25Z", "000000080003023313e14510");
	ENC(CB_TIMESTAMPTZ, "2026-11-01T10:15:30.123456-05:30", "0000000800030237b00b5cc0");
	ENC(CB_TIMESTAMPTZ, "2026-11-01T10:15:30+05", "000000080003022ee2fb4080");
	ENC(CB_TIMESTAMPTZ, "1970-01-01T00:00:00Z", "00000008fffca2fec4c82000");
	ENC(CB_TIMESTAMPTZ, "1999-12-31T23:59:59.5Z", "00000008fffffffffff85ee0");
	ENC(CB_TIMESTAMPTZ, "0001-01-01T00:00:00Z", "00000008ff1fe2ffc59c6000");
	ENC(CB_TIMESTAMPTZ, "9999-12-31T23:59:59.999999Z", "000000080380e70b913b7fff");
	ENC(CB_TIMESTAMP, "2024-02-29 12:00:00", "000000080002b582c4781000");
	ENC(CB_TIMESTAMP, "2024-02-29T12:00:00", "000000080002b582c4781000");
	ENC(CB_TIMESTAMP, "2000-01-01 00:00:00.5", "00000008000000000007a120");
	/* timestamptz without a zone is UTC (pgload's sessions are in UTC);
	 * timestamp must have none. */
	ENC(CB_TIMESTAMPTZ, "2024-02-29 12:00:00", "000000080002b582c4781000");
	ENC(CB_TIMESTAMPTZ, "2024-02-29T12:00:00.5", "000000080002b582c47fb120");
	ENC(CB_TIMESTAMP, "2024-02-29 12:00:00Z", "refused");
	ENC(CB_TIMESTAMP, "2024-02-29 12:00:00+01:00", "refused");
	static const char *const odd[] = {
		"", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
		"2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z", "2016-12-31T23:59:60Z", /* leap second */
		"2024-01-01T00:00:00.1234567Z", "2024-01-01T00:00:00.Z", "2024-01-01T00:00Z",
		"2024-01-01T00:00:00z", "2024-01-01T00:00:00+16:00", "2024-01-01T00:00:00+05:60",
		"2024-01-01T00:00:00+0530", "2024-01-01T00:00:00+5", "2024-01-01T00:00:00+05:30:00",
		"2024-01-01T00:00:00 UTC", "2024-01-01t00:00:00Z", "2024-01-01T0:00:00Z", "24-01-01T00:00:00Z",
		"now", "infinity", "2024-01-01T00:00:00Z ",
	};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
		ENC(CB_TIMESTAMPTZ, odd[i], "refused");
	ENC(CB_TIMESTAMP, "2024-01-01 00:00:00.1234567", "refused");
	ENC(CB_TIMESTAMP, "2024-01-01 24:00:00", "refused");
}

static void no_encoder(void)
{
	ENC(CB_NONE, "1", "refused");
}

int main(void)
{
	RUN(type_oids);
	RUN(framing);
	RUN(text_as_is);
	RUN(integers);
	RUN(numerics);
	RUN(long_numerics);
	RUN(floats);
	RUN(booleans);
	RUN(dates);
	RUN(timestamps);
	RUN(no_encoder);
	return UNIT_END();
}
