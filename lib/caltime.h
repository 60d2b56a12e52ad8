/* SPDX-License-Identifier: MIT
 * Proleptic Gregorian calendar arithmetic without the C library's time zone
 * machinery: days since 1970-01-01, and strict parsing of ISO 8601 dates. */
#ifndef ELT_CALTIME_H
#define ELT_CALTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool cal_is_leap(int64_t year);
int cal_days_in_month(int64_t year, int month);
/* Days from 1970-01-01 to the given date (negative before it). */
int64_t cal_days_from_civil(int64_t year, int month, int day);
void cal_civil_from_days(int64_t days, int64_t *year, int *month, int *day);
/* 0 = Monday ... 6 = Sunday. */
int cal_weekday(int64_t days);
/* Parses exactly YYYY-MM-DD naming a real calendar day. */
bool cal_parse_date(const char *s, size_t len, int64_t *days);

#endif
