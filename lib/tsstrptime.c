/* SPDX-License-Identifier: MIT
 * Date, datetime and time fields whose format is a strptime pattern
 * ("%d/%m/%Y %H:%M"): the pattern checked when the schema is loaded, then
 * matched against each cell of such a field. Cells in the default formats
 * never come here (tsvalue.c reads them itself). Part of the Table Schema
 * module; tableschema_int.h declares what it shares. The same reader
 * serves dbt's modules.datetime.datetime.strptime (strptime.h), without
 * the Table Schema's extra checks, since that one is Python's own. */
#include "tableschema_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "caltime.h"

/* ---- strptime patterns ----
 *
 * The spec points at Python's / C's strptime. Taken: the directives whose
 * meaning does not hang on a locale or a week numbering, read as Python
 * reads them (English names in any case, %d %m %H %I %M %S %j one to two
 * or three digits, %y 69-99 as 19xx and 00-68 as 20xx, %I without %p as
 * a.m., a space in the pattern as one or more white-space characters,
 * literals in any case), plus C's %e %h %T %F. Stricter than Python where
 * Python drops what it read: a weekday (%a %A) must be the date's, and a
 * day of the year (%j) with a month and day must agree with them. */
static const char supported_directives[] = "YymdejbBhaAHIMSfpzZTF%"; /* and SUPPORTED_DIRECTIVES_TEXT */

static const char *const month_names[] = { "january", "february", "march", "april", "may", "june", "july",
					   "august", "september", "october", "november", "december" };
static const char *const day_names[] = { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
					 "sunday" };

/* Reads min to max digits, as many as there are. */
static bool read_upto(const char **p, const char *end, int min, int max, int *out)
{
	int v = 0, n = 0;
	for (; n < max && *p + n < end && is_digit((*p)[n]); n++)
		v = v * 10 + ((*p)[n] - '0');
	if (n < min)
		return false;
	*p += n;
	*out = v;
	return true;
}

/* One of n names, in full or by its first three letters, in any case. */
static bool read_name(const char **p, const char *end, const char *const *names, int n, bool full, int *out)
{
	for (int i = 0; i < n; i++) {
		size_t len = full ? strlen(names[i]) : 3;
		if ((size_t)(end - *p) >= len && strncasecmp(*p, names[i], len) == 0) {
			*p += len;
			*out = i;
			return true;
		}
	}
	return false;
}

/* %z as Python reads it: Z, or +HHMM or +HH:MM. */
static bool read_zone(const char **p, const char *end, struct civil *c)
{
	if (*p < end && **p == 'Z') {
		(*p)++;
		c->has_offset = true;
		c->offset_minutes = 0;
		return true;
	}
	if (*p == end || (**p != '+' && **p != '-'))
		return false;
	int sign = **p == '-' ? -1 : 1, h, m;
	(*p)++;
	if (!read_digits(p, end, 2, &h))
		return false;
	expect(p, end, ':');
	if (!read_digits(p, end, 2, &m) || h > 23 || m > 59)
		return false;
	c->has_offset = true;
	c->offset_minutes = sign * (h * 60 + m);
	return true;
}

/* What a pattern read besides the civil fields. */
struct pattern_state {
	int hour12, yday, wday;   /* -1 when not read */
	int pm;                   /* -1 not read, 0 a.m., 1 p.m. */
	bool month_or_day;
	bool zone_name;           /* %Z read UTC or GMT */
};

static bool match_pattern_at(const char *fmt, const char **p, const char *end, struct civil *c,
			     struct pattern_state *st)
{
	for (const char *f = fmt; *f; f++) {
		bool ok = true;
		int v = 0;
		if (isspace((unsigned char)*f)) {
			while (isspace((unsigned char)f[1]))
				f++;
			ok = *p < end && isspace((unsigned char)**p);
			while (*p < end && isspace((unsigned char)**p))
				(*p)++;
		} else if (*f != '%') {
			ok = *p < end && tolower((unsigned char)**p) == tolower((unsigned char)*f);
			*p += ok;
		} else {
			switch (*++f) {
			case 'Y': ok = read_digits(p, end, 4, &c->year); break;
			case 'y':
				ok = read_digits(p, end, 2, &v);
				c->year = v < 69 ? 2000 + v : 1900 + v;
				break;
			case 'm': ok = read_upto(p, end, 1, 2, &c->month); st->month_or_day = true; break;
			case 'd':
			case 'e':
				if (*p < end && **p == ' ')
					(*p)++;
				ok = read_upto(p, end, 1, 2, &c->day);
				st->month_or_day = true;
				break;
			case 'j': ok = read_upto(p, end, 1, 3, &st->yday) && st->yday >= 1; break;
			case 'b':
			case 'h':
			case 'B':
				ok = read_name(p, end, month_names, 12, *f == 'B', &v);
				c->month = v + 1;
				st->month_or_day = true;
				break;
			case 'a':
			case 'A': ok = read_name(p, end, day_names, 7, *f == 'A', &st->wday); break;
			case 'H': ok = read_upto(p, end, 1, 2, &c->hour) && c->hour <= 23; break;
			case 'I': ok = read_upto(p, end, 1, 2, &st->hour12) && st->hour12 >= 1 && st->hour12 <= 12; break;
			case 'M': ok = read_upto(p, end, 1, 2, &c->minute) && c->minute <= 59; break;
			case 'S': ok = read_upto(p, end, 1, 2, &c->second) && c->second <= 59; break;
			case 'f': {
				int n = 0;
				int64_t scale = 100000;
				c->micros = 0;
				for (; n < 6 && *p < end && is_digit(**p); (*p)++, n++, scale /= 10)
					c->micros += (**p - '0') * scale;
				ok = n > 0;
				break;
			}
			case 'p':
				ok = end - *p >= 2 && (tolower((unsigned char)(*p)[0]) == 'a' ||
						       tolower((unsigned char)(*p)[0]) == 'p') &&
				     tolower((unsigned char)(*p)[1]) == 'm';
				if (ok) {
					st->pm = tolower((unsigned char)(*p)[0]) == 'p';
					*p += 2;
				}
				break;
			case 'z': ok = read_zone(p, end, c); break;
			case 'Z':
				ok = end - *p >= 3 && (strncasecmp(*p, "UTC", 3) == 0 || strncasecmp(*p, "GMT", 3) == 0);
				if (ok) {
					*p += 3;
					st->zone_name = true;
				}
				break;
			case 'T': ok = match_pattern_at("%H:%M:%S", p, end, c, st); break;
			case 'F': ok = match_pattern_at("%Y-%m-%d", p, end, c, st); break;
			case '%': ok = expect(p, end, '%'); break;
			default: ok = false; /* refused when the schema was loaded */
			}
		}
		if (!ok)
			return false;
	}
	return true;
}

/* Parses by a strptime pattern. Fields the pattern leaves out are those of
 * 1900-01-01T00:00:00, as in Python. */
bool parse_with_format(const char *fmt, const char *s, size_t len, struct civil *c, const char **why)
{
	const char *p = s, *end = s + len;
	*c = (struct civil){ .year = 1900, .month = 1, .day = 1 };
	struct pattern_state st = { .hour12 = -1, .yday = -1, .wday = -1, .pm = -1 };
	if (!match_pattern_at(fmt, &p, end, c, &st) || p != end) {
		*why = "does not match the format";
		return false;
	}
	if (st.zone_name && !c->has_offset) {
		c->has_offset = true; /* UTC or GMT: a cell's offset, unlike Python */
		c->offset_minutes = 0;
	}
	if (st.hour12 >= 0)
		c->hour = st.hour12 % 12 + (st.pm == 1 ? 12 : 0);
	if (st.yday >= 0) {
		int64_t jan1 = cal_days_from_civil(c->year, 1, 1);
		if (st.yday > (cal_is_leap(c->year) ? 366 : 365)) {
			*why = "has a day of the year past the year's end";
			return false;
		}
		int64_t y;
		int m, d;
		cal_civil_from_days(jan1 + st.yday - 1, &y, &m, &d);
		if (!st.month_or_day) {
			c->month = m;
			c->day = d;
		} else if (m != c->month || d != c->day) {
			*why = "has a day of the year that is not its date's";
			return false;
		}
	}
	if (!check_date(c, why))
		return false;
	if (st.wday >= 0 && cal_weekday(cal_days_from_civil(c->year, c->month, c->day)) != st.wday) {
		*why = "has a weekday that is not its date's";
		return false;
	}
	return true;
}

/* The first directive of fmt whose letter is not in ok ("%U", or "%" for a
 * lone one at the end), or NULL. */
static const char *directive_not_in(const char *fmt, const char *ok)
{
	static _Thread_local char bad[3];
	for (const char *f = fmt; *f; f++) {
		if (*f != '%')
			continue;
		if (!f[1] || !strchr(ok, f[1])) {
			bad[0] = '%';
			bad[1] = f[1];
			bad[2] = '\0';
			return bad;
		}
		f++;
	}
	return NULL;
}

/* Checks a pattern when the schema is loaded: NULL, or the first directive
 * it cannot take ("%U", or "%" for a lone one at the end). */
const char *format_unsupported(const char *fmt)
{
	return directive_not_in(fmt, supported_directives);
}

enum strptime_status strptime_python(const char *fmt, const char *s, size_t len, struct civil *c, size_t *used)
{
	const char *p = s, *end = s + len;
	*c = (struct civil){ .year = 1900, .month = 1, .day = 1 };
	struct pattern_state st = { .hour12 = -1, .yday = -1, .wday = -1, .pm = -1 };
	if (!match_pattern_at(fmt, &p, end, c, &st))
		return STRPTIME_NO_MATCH;
	*used = (size_t)(p - s);
	if (p != end)
		return STRPTIME_LEFT_OVER;
	if (st.hour12 >= 0)
		c->hour = st.hour12 % 12 + (st.pm == 1 ? 12 : 0);
	if (c->year == 0)
		return STRPTIME_BAD_DATE;
	if (st.yday >= 0) {
		/* Python trusts the day of the year over a month and day */
		int64_t y;
		cal_civil_from_days(cal_days_from_civil(c->year, 1, 1) + st.yday - 1, &y, &c->month, &c->day);
		c->year = (int)y;
	}
	const char *why;
	return check_date(c, &why) ? STRPTIME_OK : STRPTIME_BAD_DATE;
}

const char *strptime_python_unsupported(const char *fmt, bool *python_knows)
{
	/* supported_directives without C's %e %h %T %F, which Python lacks */
	const char *bad = directive_not_in(fmt, "YymdjbBaAHIMSfpzZ%");
	*python_knows = bad && bad[1] && strchr("UWwucxXGV", bad[1]);
	return bad;
}
