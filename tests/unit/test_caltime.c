/* SPDX-License-Identifier: MIT
 * Unit tests for calendar arithmetic (lib/caltime.c): leap years by the
 * Gregorian rule (1900 no, 2000 yes), day numbers of known dates (worked
 * out with Python's datetime), a walk over every day from 0001-01-01 to
 * 9999-12-31 that steps the calendar by hand and checks both directions
 * and the weekday, and strict YYYY-MM-DD parsing. */
#include <stdint.h>

#include "caltime.h"
#include "unit.h"

static void leap_years(void)
{
	CHECK(cal_is_leap(2024) && cal_is_leap(2000) && cal_is_leap(1600) && cal_is_leap(4));
	CHECK(!cal_is_leap(1900) && !cal_is_leap(2100) && !cal_is_leap(2023) && !cal_is_leap(1));
	CHECK(cal_days_in_month(2024, 2) == 29 && cal_days_in_month(1900, 2) == 28);
	CHECK(cal_days_in_month(2000, 2) == 29 && cal_days_in_month(2023, 2) == 28);
	CHECK(cal_days_in_month(2023, 4) == 30 && cal_days_in_month(2023, 12) == 31);
	CHECK(cal_days_in_month(2023, 0) == 0 && cal_days_in_month(2023, 13) == 0);
}

/* Day numbers from Python: (date(y, m, d) - date(1970, 1, 1)).days and
 * date.weekday(). */
static void known_days(void)
{
	static const struct {
		int64_t y;
		int m, d;
		int64_t days;
		int wday;
	} k[] = {
		{ 1970, 1, 1, 0, 3 },          { 1969, 12, 31, -1, 2 },      { 1, 1, 1, -719162, 0 },
		{ 2000, 1, 1, 10957, 5 },      { 2000, 2, 29, 11016, 1 },    { 2000, 3, 1, 11017, 2 },
		{ 1900, 2, 28, -25509, 2 },    { 1900, 3, 1, -25508, 3 },    { 1600, 2, 29, -135081, 1 },
		{ 2100, 3, 1, 47541, 0 },      { 2024, 2, 29, 19782, 3 },    { 2026, 12, 3, 20790, 3 },
		{ 9999, 12, 31, 2932896, 4 },
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		int64_t y;
		int m, d;
		CHECK(cal_days_from_civil(k[i].y, k[i].m, k[i].d) == k[i].days);
		cal_civil_from_days(k[i].days, &y, &m, &d);
		CHECK(y == k[i].y && m == k[i].m && d == k[i].d);
		CHECK(cal_weekday(k[i].days) == k[i].wday);
	}
}

/* Steps through every day of years 1 to 9999 with a month table of its
 * own, so that neither direction is checked against the other alone. */
static void every_day_of_years_1_to_9999(void)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t days = -719162; /* 0001-01-01, a Monday */
	int wday = 0, bad = 0;
	for (int64_t y = 1; y <= 9999; y++) {
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		for (int m = 1; m <= 12; m++) {
			int n = mdays[m - 1] + (m == 2 && leap);
			for (int d = 1; d <= n; d++, days++, wday = (wday + 1) % 7) {
				int64_t gy;
				int gm, gd;
				cal_civil_from_days(days, &gy, &gm, &gd);
				if (cal_days_from_civil(y, m, d) != days || gy != y || gm != m || gd != d ||
				    cal_weekday(days) != wday) {
					if (bad++ < 5)
						printf("#   %04lld-%02d-%02d: day %lld\n", (long long)y, m, d, (long long)days);
				}
			}
		}
	}
	CHECK(bad == 0);
	CHECK(days == 2932897); /* the day after 9999-12-31 */
}

static void weekday_before_1970(void)
{
	/* The remainder of a negative day number must not give a negative weekday. */
	CHECK(cal_weekday(-1) == 2);  /* 1969-12-31, Wednesday */
	CHECK(cal_weekday(-3) == 0);  /* 1969-12-29, Monday */
	CHECK(cal_weekday(-4) == 6);  /* 1969-12-28, Sunday */
	CHECK(cal_weekday(-7) == 3);
}

static void parse_date(void)
{
	int64_t days = 12345;
	CHECK(cal_parse_date("2000-02-29", 10, &days) && days == 11016);
	CHECK(cal_parse_date("0001-01-01", 10, &days) && days == -719162);
	CHECK(cal_parse_date("9999-12-31", 10, &days) && days == 2932896);
	days = 12345;
	CHECK(!cal_parse_date("1900-02-29", 10, &days));
	CHECK(!cal_parse_date("2023-02-29", 10, &days));
	CHECK(!cal_parse_date("2023-04-31", 10, &days));
	CHECK(!cal_parse_date("2023-00-10", 10, &days));
	CHECK(!cal_parse_date("2023-13-01", 10, &days));
	CHECK(!cal_parse_date("2023-01-00", 10, &days));
	CHECK(!cal_parse_date("2023-1-01", 9, &days));
	CHECK(!cal_parse_date("2023/01/01", 10, &days));
	CHECK(!cal_parse_date("2023-01-011", 11, &days));
	CHECK(!cal_parse_date("2023-01-0", 9, &days));
	CHECK(!cal_parse_date("+023-01-01", 10, &days));
	CHECK(!cal_parse_date("2023-0a-01", 10, &days));
	CHECK(!cal_parse_date("", 0, &days));
	/* A length shorter than the string: only len bytes count. */
	CHECK(!cal_parse_date("2023-01-01", 9, &days));
	CHECK(days == 12345); /* untouched by failures */
}

int main(void)
{
	RUN(leap_years);
	RUN(known_days);
	RUN(every_day_of_years_1_to_9999);
	RUN(weekday_before_1970);
	RUN(parse_date);
	return UNIT_END();
}
