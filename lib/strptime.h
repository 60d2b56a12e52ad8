/* SPDX-License-Identifier: MIT
 * strptime patterns ("%d/%m/%Y %H:%M") read as Python reads them, for two
 * users: the Table Schema's date formats (tsstrptime.c adds its own checks
 * to them, see tableschema_int.h) and dbt's
 * modules.datetime.datetime.strptime (lib/dbtmodules.c), which is Python's
 * own. The code lives in lib/tsstrptime.c. */
#ifndef ELT_STRPTIME_H
#define ELT_STRPTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A date and time as read from text. */
struct civil {
	int year, month, day, hour, minute, second;
	int64_t micros;        /* fraction of the second */
	bool has_offset;
	int offset_minutes;
};

enum strptime_status {
	STRPTIME_OK,
	STRPTIME_NO_MATCH,     /* Python: time data '...' does not match format '...' */
	STRPTIME_LEFT_OVER,    /* Python: unconverted data remains: ... */
	STRPTIME_BAD_DATE,     /* Python: day is out of range for month (or year 0) */
};

/* Python's datetime.strptime(s, fmt): fields fmt leaves out are those of
 * 1900-01-01 00:00:00; a weekday (%a %A) is read and not checked; a day of
 * the year (%j) sets the month and day; %Z reads UTC or GMT and gives no
 * offset, %z (Z, +HHMM, +HH:MM) gives one. Text that matches fmt and has
 * more after it is STRPTIME_LEFT_OVER, with *used the bytes that matched.
 * fmt must have passed strptime_python_unsupported(). */
enum strptime_status strptime_python(const char *fmt, const char *s, size_t len, struct civil *c, size_t *used);

/* NULL when every directive of fmt is read here as Python reads it; else
 * the first that is not ("%U"; "%" for a lone one at the end), with
 * *python_knows set when Python has it (%U %W %w %u %c %x %X %G %V) and
 * clear when Python refuses it too (a bad directive). */
const char *strptime_python_unsupported(const char *fmt, bool *python_knows);

#endif
