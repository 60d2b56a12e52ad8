/* SPDX-License-Identifier: MIT
 * lib/strptime.h: Python's datetime.strptime as dbt's modules.datetime
 * reads it, beside the Table Schema's stricter use of the same reader:
 * what is read and ignored, what wins over what, where text is left over,
 * and which directives Python has that modelrun lacks. */
#include "unit.h"

#include "strptime.h"

#include <stdio.h>
#include <string.h>

static enum strptime_status parse(const char *fmt, const char *s, struct civil *c, size_t *used)
{
	*used = 0;
	return strptime_python(fmt, s, strlen(s), c, used);
}

static void fields_as_python(void)
{
	struct civil c;
	size_t used;
	/* left out: 1900-01-01 00:00:00 */
	CHECK(parse("%H:%M", "7:05", &c, &used) == STRPTIME_OK);
	CHECK(c.year == 1900 && c.month == 1 && c.day == 1 && c.hour == 7 && c.minute == 5);
	/* %I with %p; 12 a.m. is midnight */
	CHECK(parse("%I %p", "12 am", &c, &used) == STRPTIME_OK && c.hour == 0);
	CHECK(parse("%I %p", "1 PM", &c, &used) == STRPTIME_OK && c.hour == 13);
	/* a weekday is read, not checked: 2021-01-01 was a Friday */
	CHECK(parse("%A %Y-%m-%d", "Monday 2021-01-01", &c, &used) == STRPTIME_OK && c.day == 1);
	/* %j wins over a month and day, and runs into the next year */
	CHECK(parse("%Y %m %d %j", "2021 05 05 032", &c, &used) == STRPTIME_OK && c.month == 2 && c.day == 1);
	CHECK(parse("%Y %j", "2021 366", &c, &used) == STRPTIME_OK && c.year == 2022 && c.month == 1 && c.day == 1);
	/* %f: up to six digits, as a fraction */
	CHECK(parse("%S.%f", "7.25", &c, &used) == STRPTIME_OK && c.second == 7 && c.micros == 250000);
	/* %z gives an offset; %Z (UTC, GMT) gives none */
	CHECK(parse("%z", "-0130", &c, &used) == STRPTIME_OK && c.has_offset && c.offset_minutes == -90);
	CHECK(parse("%Z", "GMT", &c, &used) == STRPTIME_OK && !c.has_offset);
}

static void failures_as_python(void)
{
	struct civil c;
	size_t used;
	CHECK(parse("%Y", "x2021", &c, &used) == STRPTIME_NO_MATCH);
	CHECK(parse("%Y-%m", "2021-01xyz", &c, &used) == STRPTIME_LEFT_OVER && used == 7);
	CHECK(parse("%Y-%m-%d", "2021-02-29", &c, &used) == STRPTIME_BAD_DATE);
	CHECK(parse("%Y", "0000", &c, &used) == STRPTIME_BAD_DATE && c.year == 0);
}

static void directives(void)
{
	bool knows;
	CHECK(strptime_python_unsupported("%Y-%m-%d %H:%M:%S.%f %z %%", &knows) == NULL);
	const char *bad = strptime_python_unsupported("%Y %U", &knows);
	CHECK(bad && strcmp(bad, "%U") == 0 && knows);
	/* C's %F and %e are not Python's: a bad directive there too */
	bad = strptime_python_unsupported("%F", &knows);
	CHECK(bad && strcmp(bad, "%F") == 0 && !knows);
	bad = strptime_python_unsupported("%Y%", &knows);
	CHECK(bad && strcmp(bad, "%") == 0 && !knows);
}

int main(void)
{
	RUN(fields_as_python);
	RUN(failures_as_python);
	RUN(directives);
	return UNIT_END();
}
