/* SPDX-License-Identifier: MIT
 * Unit tests for reading a seed's cells as dbt does (lib/seedcell.c).
 * Each expectation was taken from agate's types as dbt-core 1.11 builds
 * them (dbt_common's build_type_tester), cast on the same text. */
#include <string.h>

#include "seedcell.h"
#include "unit.h"

/* The type bits of s, and its number as PostgreSQL text ("" when it is
 * not a number). */
static unsigned read_as(const char *s, char *num, size_t len)
{
	struct seed_cell c;
	seed_cell_read(s, strlen(s), ~0u, &c);
	num[0] = '\0';
	if (c.can & SEED_NUMBER)
		seed_number_text(&c.num, false, num, len);
	return c.can;
}

static void numbers(void)
{
	static const struct {
		const char *in, *text;
	} k[] = {
		{ "1", "1e0" },           { "1.50", "15e-1" },     { "$1,234.5", "12345e-1" }, { "-$5", "-5e0" },
		{ "--5", "5e0" },         { "5%", "5e0" },         { "1e5", "1e5" },           { "2.5E-3", "25e-4" },
		{ " 7 ", "7e0" },         { "\u00a07\u00a0", "7e0" }, { "1_000", "1e3" },
		/* 28 significant digits, as Python's context rounds */
		{ "1.0000000000000000000000000000005", "1e0" },
		/* digits of other scripts, as Python's Decimal reads them */
		{ "\u0661\u0662\u0663", "123e0" }, { "\uff11.\uff15", "15e-1" },
		{ "NaN", "NaN" },         { "-inf", "NaN" },       { "0.00", "0" },            { "-0", "0" },
	};
	char num[64];
	for (size_t i = 0; i < sizeof k / sizeof *k; i++) {
		CHECK(read_as(k[i].in, num, sizeof num) == SEED_NUMBER);
		CHECK_STR(num, strlen(num), k[i].text);
	}
	CHECK(!(read_as("1e", num, sizeof num) & SEED_NUMBER));
	CHECK(!(read_as("0x1", num, sizeof num) & SEED_NUMBER));
	CHECK(!(read_as("€$5", num, sizeof num) & SEED_NUMBER)); /* € is stripped after $ */
}

/* agate's MaxPrecision: trailing zeros do not count */
static void precision(void)
{
	static const struct {
		const char *a, *b;
		long places;
	} k[] = {
		{ "1.0", "2.00", 0 }, { "1.5", "2", 1 }, { "1e5", "0.25", 2 }, { "1.0000000000000000000000000000005", "1", 0 },
	};
	for (size_t i = 0; i < sizeof k / sizeof *k; i++) {
		struct seed_precision p = SEED_PRECISION_INIT;
		struct seed_cell c;
		seed_cell_read(k[i].a, strlen(k[i].a), ~0u, &c);
		seed_precision_add(&p, &c.num);
		seed_cell_read(k[i].b, strlen(k[i].b), ~0u, &c);
		seed_precision_add(&p, &c.num);
		CHECK(seed_precision(&p) == k[i].places);
	}
	/* whole numbers as an integer column takes them */
	struct seed_cell c;
	char out[64];
	seed_cell_read("1.50e3", 6, ~0u, &c);
	CHECK(seed_number_text(&c.num, true, out, sizeof out));
	CHECK_STR(out, strlen(out), "1500");
	seed_cell_read("7", 1, ~0u, &c);
	CHECK(seed_number_text(&c.num, true, out, sizeof out));
	CHECK_STR(out, strlen(out), "7");
	seed_cell_read("0.5", 3, ~0u, &c);
	CHECK(!seed_number_text(&c.num, true, out, sizeof out));
}

static void times(void)
{
	static const struct {
		const char *in;
		unsigned can;
		const char *text;
	} k[] = {
		{ "2026-1-5", SEED_DATE, "2026-01-05" },
		{ "2026-01- 5", SEED_DATE, "2026-01-05" },
		{ "2026-02-30", 0, NULL },
		{ "2026-01-05  1:2:3", SEED_DATETIME, "2026-01-05 01:02:03" },
		{ "2026-01-05 10:00:60", 0, NULL },
		{ "2026-01-05T10:00:00+02:00", SEED_ISODATETIME, "2026-01-05 10:00:00+02:00" },
		{ "20260105T1000", SEED_ISODATETIME, "2026-01-05 10:00:00" },
		{ "2026-W02-3T10", SEED_ISODATETIME, "2026-01-07 10:00:00" },
		{ "2026-032T00", SEED_ISODATETIME, "2026-02-01 00:00:00" },
		{ "2026T10.5", SEED_ISODATETIME, "2026-01-01 10:30:00" },
		{ "2026-01-05T10:30.25", SEED_ISODATETIME, "2026-01-05 10:30:15" },
		{ "2026-01-05T23:59:59.9999999", 0, NULL },
		{ "2026-01-05T10:00:00.9999996", SEED_ISODATETIME, "2026-01-05 10:00:01" },
		{ "2026-01-05t10", 0, NULL },
	};
	for (size_t i = 0; i < sizeof k / sizeof *k; i++) {
		struct seed_cell c;
		char out[64];
		seed_cell_read(k[i].in, strlen(k[i].in), ~0u, &c);
		CHECK(c.can == k[i].can);
		if (!k[i].text)
			continue;
		if (c.can == SEED_DATE)
			seed_date_text(&c.date, out, sizeof out);
		else
			seed_time_text(c.can == SEED_DATETIME ? &c.datetime : &c.iso, out, sizeof out);
		CHECK_STR(out, strlen(out), k[i].text);
	}
}

static void booleans_and_nulls(void)
{
	struct seed_cell c;
	seed_cell_read("TrUe", 4, ~0u, &c);
	CHECK(c.can == SEED_BOOL && c.boolean);
	seed_cell_read("f,alse", 6, ~0u, &c);
	CHECK(c.can == SEED_BOOL && !c.boolean && !c.bool_null);
	seed_cell_read(",,", 2, ~0u, &c);
	CHECK(c.can == SEED_BOOL && c.bool_null);
	seed_cell_read(" NULL ", 6, ~0u, &c);
	CHECK(c.null);
	CHECK(seed_is_null("", 0) && seed_is_null("null", 4) && seed_is_null("\t", 1));
	CHECK(!seed_is_null("x", 1) && !seed_is_null("nul", 3));
	seed_cell_read("x", 1, ~0u, &c);
	CHECK(c.can == 0 && !c.null);
}

int main(void)
{
	RUN(numbers);
	RUN(precision);
	RUN(times);
	RUN(booleans_and_nulls);
	return UNIT_END();
}
