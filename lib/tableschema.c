/* SPDX-License-Identifier: MIT
 * Frictionless Table Schema loading and cell parsing; see tableschema.h.
 *
 * Cell parsing sits on validate's hot path (millions of cells a second), so
 * it works on (pointer, length) pairs in place, allocates nothing, and runs
 * pattern constraints through PCRE2's JIT. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tableschema.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caltime.h"
#include "exitcode.h"
#include "log.h"
#include "ydoc.h"
#include "xalloc.h"

const char *ts_constraint_name(enum ts_constraint c)
{
	static const char *const names[] = {
		[TSC_REQUIRED] = "required",
		[TSC_UNIQUE] = "unique",
		[TSC_MINIMUM] = "minimum",
		[TSC_MAXIMUM] = "maximum",
		[TSC_EXCLUSIVE_MINIMUM] = "exclusiveMinimum",
		[TSC_EXCLUSIVE_MAXIMUM] = "exclusiveMaximum",
		[TSC_MIN_LENGTH] = "minLength",
		[TSC_MAX_LENGTH] = "maxLength",
		[TSC_PATTERN] = "pattern",
		[TSC_ENUM] = "enum",
	};
	return names[c];
}

#define TS_TYPE_NAMES "string, integer, number, boolean, date, datetime, time, year, yearmonth, " \
	"duration, any, object, array, geopoint, geojson"
static const char *const type_names[] = {
	[TS_STRING] = "string", [TS_INTEGER] = "integer", [TS_NUMBER] = "number",
	[TS_BOOLEAN] = "boolean", [TS_DATE] = "date", [TS_DATETIME] = "datetime",
	[TS_TIME] = "time", [TS_YEAR] = "year", [TS_YEARMONTH] = "yearmonth",
	[TS_DURATION] = "duration", [TS_ANY] = "any", [TS_OBJECT] = "object", [TS_ARRAY] = "array",
	[TS_GEOPOINT] = "geopoint", [TS_GEOJSON] = "geojson",
};

const char *ts_type_name(enum ts_type t)
{
	return type_names[t];
}

bool ts_type_parse(const char *name, enum ts_type *type)
{
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (!strcmp(name, type_names[i])) {
			*type = (enum ts_type)i;
			return true;
		}
	return false;
}

/* ---- numbers: exact decimals ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parses an integer or decimal into sign, significant digits and exponent
 * (value = 0.d1d2d3... × 10^exp). digits needs len + 1 bytes. */
static bool parse_decimal(const struct ts_field *f, const char *s, size_t len, bool integer,
			  struct ts_value *v, char *digits, const char **why)
{
	const char *p = s, *end = s + len;
	if (!f->bare_number) { /* allow "$12.50", "45%": skip what is not part of the number */
		while (p < end && !is_digit(*p) && *p != '-' && *p != '+' && *p != f->decimal_char)
			p++;
		while (end > p && !is_digit(end[-1]))
			end--;
	}
	int sign = 1;
	if (p < end && (*p == '-' || *p == '+'))
		sign = *p++ == '-' ? -1 : 1;
	size_t n = 0;
	int64_t int_digits = 0;
	bool any = false, leading = true;
	int64_t exp = 0;
	for (; p < end; p++) {
		if (is_digit(*p)) {
			any = true;
			if (leading && *p == '0') {
				continue;
			}
			leading = false;
			digits[n++] = *p;
			int_digits++;
		} else if (f->group_char && *p == f->group_char && any && p + 1 < end && is_digit(p[1])) {
			continue;
		} else {
			break;
		}
	}
	if (!integer && p < end && *p == f->decimal_char) {
		p++;
		bool frac_any = false;
		for (; p < end && is_digit(*p); p++) {
			frac_any = true;
			if (leading && *p == '0') {
				exp--; /* 0.05: a leading zero after the point moves the point */
				continue;
			}
			leading = false;
			digits[n++] = *p;
		}
		any = any || frac_any;
	}
	if (!any) {
		*why = integer ? "is not an integer" : "is not a number";
		return false;
	}
	if (!integer && p < end && (*p == 'e' || *p == 'E')) {
		p++;
		int esign = 1;
		if (p < end && (*p == '-' || *p == '+'))
			esign = *p++ == '-' ? -1 : 1;
		if (p == end) {
			*why = "is not a number";
			return false;
		}
		int64_t e = 0;
		for (; p < end && is_digit(*p); p++) {
			e = e * 10 + (*p - '0');
			if (e > 1000000000) {
				*why = "has an exponent out of range";
				return false;
			}
		}
		exp += esign * e;
	}
	if (p != end) {
		*why = integer ? "is not an integer" : "is not a number";
		return false;
	}
	while (n && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	v->special = TS_FINITE;
	v->sign = n ? sign : 0;
	v->digits = digits;
	v->ndigits = n;
	v->exp = n ? exp + int_digits : 0;
	return true;
}

/* NaN, INF and -INF, which the spec permits for numbers in any case, and
 * only as the whole cell. Tried only after a cell failed as a decimal, so
 * that ordinary numbers pay nothing for them. */
static bool parse_special(const char *s, size_t len, struct ts_value *v, char *digits)
{
	int sign = 1;
	if (len == 4 && s[0] == '-') {
		sign = -1;
		s++;
		len--;
	}
	if (len != 3)
		return false;
	bool nan = sign > 0 && strncasecmp(s, "nan", 3) == 0;
	if (!nan && strncasecmp(s, "inf", 3) != 0)
		return false;
	digits[0] = '\0';
	v->special = nan ? TS_NAN : TS_INF;
	v->sign = nan ? 0 : sign;
	v->digits = digits;
	v->ndigits = 0;
	v->exp = 0;
	return true;
}

/* -INF < finite numbers < INF < NaN, as PostgreSQL orders numeric. */
static int special_rank(const struct ts_value *v)
{
	return v->special == TS_FINITE ? 0 : v->special == TS_NAN ? 3 : 2 * v->sign;
}

static int compare_decimal(const struct ts_value *a, const struct ts_value *b)
{
	if ((a->special | b->special) != TS_FINITE) {
		int ra = special_rank(a), rb = special_rank(b);
		return ra < rb ? -1 : ra > rb;
	}
	if (a->sign != b->sign)
		return a->sign < b->sign ? -1 : 1;
	if (a->sign == 0)
		return 0;
	int mag;
	if (a->exp != b->exp) {
		mag = a->exp < b->exp ? -1 : 1;
	} else {
		size_t n = a->ndigits < b->ndigits ? a->ndigits : b->ndigits;
		mag = memcmp(a->digits, b->digits, n);
		if (mag == 0 && a->ndigits != b->ndigits)
			mag = a->ndigits < b->ndigits ? -1 : 1;
		mag = mag < 0 ? -1 : mag > 0;
	}
	return a->sign * mag;
}

/* ---- dates and times ---- */

/* Reads exactly n digits. */
static bool read_digits(const char **p, const char *end, int n, int *out)
{
	if (end - *p < n)
		return false;
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (!is_digit(c))
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p < end && **p == c) {
		(*p)++;
		return true;
	}
	return false;
}

struct civil {
	int year, month, day, hour, minute, second;
	int64_t micros;        /* fraction of the second */
	bool has_offset;
	int offset_minutes;
};

static bool check_date(const struct civil *c, const char **why)
{
	if (c->year == 0) {
		*why = "is in year 0, which does not exist";
		return false;
	}
	if (c->month < 1 || c->month > 12 || c->day < 1 || c->day > cal_days_in_month(c->year, c->month)) {
		*why = "is not a calendar date";
		return false;
	}
	return true;
}

/* HH:MM:SS[.frac] */
static bool parse_clock(const char **p, const char *end, struct civil *c, bool seconds_optional,
			const char **why)
{
	if (!read_digits(p, end, 2, &c->hour) || !expect(p, end, ':') || !read_digits(p, end, 2, &c->minute)) {
		*why = "is not a time of day (HH:MM:SS)";
		return false;
	}
	c->second = 0;
	c->micros = 0;
	if (*p < end && **p == ':') {
		(*p)++;
		if (!read_digits(p, end, 2, &c->second)) {
			*why = "is not a time of day (HH:MM:SS)";
			return false;
		}
		if (*p < end && **p == '.') {
			(*p)++;
			int n = 0;
			int64_t scale = 100000;
			for (; *p < end && is_digit(**p); (*p)++, n++) {
				c->micros += (**p - '0') * scale;
				scale /= 10;
			}
			if (n == 0) {
				*why = "is not a time of day (HH:MM:SS)";
				return false;
			}
		}
	} else if (!seconds_optional) {
		*why = "is not a time of day (HH:MM:SS)";
		return false;
	}
	if (c->hour > 23 || c->minute > 59 || c->second > 60) {
		*why = "is not a real time of day";
		return false;
	}
	return true;
}

/* Z, z, or ±HH:MM */
static bool parse_offset(const char **p, const char *end, struct civil *c, const char **why)
{
	c->has_offset = false;
	c->offset_minutes = 0;
	if (*p == end)
		return true;
	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		c->has_offset = true;
		return true;
	}
	if (**p != '+' && **p != '-')
		return true;
	int sign = **p == '-' ? -1 : 1, h, m;
	(*p)++;
	if (!read_digits(p, end, 2, &h) || !expect(p, end, ':') || !read_digits(p, end, 2, &m)) {
		*why = "has a bad time zone offset (Z or +HH:MM)";
		return false;
	}
	if (h > 23 || m > 59) {
		*why = "has a time zone offset out of range";
		return false;
	}
	c->has_offset = true;
	c->offset_minutes = sign * (h * 60 + m);
	return true;
}

/* A leap second is real only in the last minute of a UTC day. */
static bool check_leap_second(const struct civil *c, const char **why)
{
	if (c->second != 60)
		return true;
	int utc_minute = ((c->hour * 60 + c->minute - c->offset_minutes) % 1440 + 1440) % 1440;
	if (utc_minute != 1439) {
		*why = "has second 60 outside a leap second";
		return false;
	}
	return true;
}

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
static const char supported_directives[] = "YymdejbBhaAHIMSfpzZTF%";
#define SUPPORTED_DIRECTIVES_TEXT "%Y %y %m %d %e %j %b %B %h %a %A %H %I %M %S %f %p %z %Z %T %F %%"

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
					c->has_offset = true;
					c->offset_minutes = 0;
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
static bool parse_with_format(const char *fmt, const char *s, size_t len, struct civil *c, const char **why)
{
	const char *p = s, *end = s + len;
	*c = (struct civil){ .year = 1900, .month = 1, .day = 1 };
	struct pattern_state st = { .hour12 = -1, .yday = -1, .wday = -1, .pm = -1 };
	if (!match_pattern_at(fmt, &p, end, c, &st) || p != end) {
		*why = "does not match the format";
		return false;
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

/* Checks a pattern when the schema is loaded: NULL, or the first directive
 * it cannot take ("%U", or "%" for a lone one at the end). */
static const char *format_unsupported(const char *fmt)
{
	static _Thread_local char bad[3];
	for (const char *f = fmt; *f; f++) {
		if (*f != '%')
			continue;
		if (!f[1] || !strchr(supported_directives, f[1])) {
			bad[0] = '%';
			bad[1] = f[1];
			bad[2] = '\0';
			return bad;
		}
		f++;
	}
	return NULL;
}

static bool is_default_format(const char *fmt)
{
	return !fmt || !strcmp(fmt, "default");
}

static bool parse_date_value(const struct ts_field *f, const char *s, size_t len, struct ts_value *v,
			     const char **why)
{
	struct civil c = { 0 };
	const char *p = s, *end = s + len;
	if (is_default_format(f->format) || !strcmp(f->format, "any")) {
		if (!read_digits(&p, end, 4, &c.year) || !expect(&p, end, '-') ||
		    !read_digits(&p, end, 2, &c.month) || !expect(&p, end, '-') ||
		    !read_digits(&p, end, 2, &c.day) || p != end) {
			*why = "is not a date (YYYY-MM-DD)";
			return false;
		}
		if (!check_date(&c, why))
			return false;
	} else if (!parse_with_format(f->format, s, len, &c, why)) {
		return false;
	}
	v->i = cal_days_from_civil(c.year, c.month, c.day);
	return true;
}

static const char datetime_shape[] =
	"is not a datetime (YYYY-MM-DDThh:mm:ss, then optional .fraction and Z or +hh:mm)";

static bool parse_datetime_value(const struct ts_field *f, const char *s, size_t len, struct ts_value *v,
				 const char **why)
{
	struct civil c = { 0 };
	const char *p = s, *end = s + len;
	bool lenient = f->format && !strcmp(f->format, "any");
	if (is_default_format(f->format) || lenient) {
		/* XML Schema's dateTime, as the spec has it: YYYY-MM-DDThh:mm:ss
		 * [.frac][Z|±hh:mm]; without an offset the time is taken as UTC.
		 * "any" also takes a space for the T and no seconds. */
		if (!read_digits(&p, end, 4, &c.year) || !expect(&p, end, '-') ||
		    !read_digits(&p, end, 2, &c.month) || !expect(&p, end, '-') ||
		    !read_digits(&p, end, 2, &c.day) ||
		    !(expect(&p, end, 'T') || expect(&p, end, 't') || (lenient && expect(&p, end, ' ')))) {
			*why = datetime_shape;
			return false;
		}
		if (!parse_clock(&p, end, &c, lenient, why)) {
			if (!strcmp(*why, "is not a time of day (HH:MM:SS)")) /* the shape, not the range */
				*why = datetime_shape;
			return false;
		}
		if (!parse_offset(&p, end, &c, why))
			return false;
		if (p != end) {
			*why = datetime_shape;
			return false;
		}
		if (!check_date(&c, why))
			return false;
	} else if (!parse_with_format(f->format, s, len, &c, why)) {
		return false;
	}
	if (!check_leap_second(&c, why))
		return false;
	int64_t days = cal_days_from_civil(c.year, c.month, c.day);
	int64_t secs = days * 86400 + c.hour * 3600 + c.minute * 60 + c.second - c.offset_minutes * 60;
	v->i = secs * 1000000 + c.micros;
	return true;
}

/* XML Schema's time: hh:mm:ss[.frac] with an optional offset, which is
 * checked but not applied (a time of day has no date to move across). */
static bool parse_time_value(const struct ts_field *f, const char *s, size_t len, struct ts_value *v,
			     const char **why)
{
	struct civil c = { 0 };
	const char *p = s, *end = s + len;
	if (is_default_format(f->format) || !strcmp(f->format, "any")) {
		if (!parse_clock(&p, end, &c, false, why) || !parse_offset(&p, end, &c, why))
			return false;
		if (p != end) {
			*why = "is not a time of day (HH:MM:SS)";
			return false;
		}
	} else if (!parse_with_format(f->format, s, len, &c, why)) {
		return false;
	}
	if (c.second == 60) {
		*why = "is not a real time of day";
		return false;
	}
	v->i = ((int64_t)c.hour * 3600 + c.minute * 60 + c.second) * 1000000 + c.micros;
	return true;
}

/* XML Schema's gYearMonth without a time zone: YYYY-MM. */
static bool parse_yearmonth_value(const char *s, size_t len, struct ts_value *v, const char **why)
{
	const char *p = s, *end = s + len;
	int y, m;
	if (!read_digits(&p, end, 4, &y) || !expect(&p, end, '-') || !read_digits(&p, end, 2, &m) || p != end ||
	    m < 1 || m > 12) {
		*why = "is not a year and month (YYYY-MM)";
		return false;
	}
	if (y == 0) {
		*why = "is in year 0, which does not exist";
		return false;
	}
	v->i = (int64_t)y * 12 + m - 1;
	return true;
}

/* ---- durations ---- */

/* XML Schema's duration: -?P(nY)?(nM)?(nD)?(T(nH)?(nM)?(n(.n)?S)?)?, at least
 * one part, at least one after a T, a fraction on the seconds only. The
 * value is months and microseconds (a day is 86,400 s, as in XML Schema
 * 1.1's value space, so P1D equals PT24H; digits past the microsecond are
 * dropped). Parts that overflow 64-bit microseconds are refused. */
static bool parse_duration_value(const char *s, size_t len, struct ts_value *v, const char **why)
{
	static const char designators[] = "YMDHMS"; /* in order; T before H */
	static const int64_t micros_per[] = { 0, 0, 86400000000, 3600000000, 60000000, 1000000 };
	const char *p = s, *end = s + len;
	*why = "is not a duration (ISO 8601: PnYnMnDTnHnMnS)";
	bool neg = expect(&p, end, '-');
	if (!expect(&p, end, 'P'))
		return false;
	int next = 0; /* index of the next designator allowed */
	bool any = false, time = false, time_any = false;
	int64_t months = 0, micros = 0;
	while (p < end) {
		if (*p == 'T') {
			if (time || next > 3)
				return false;
			time = true;
			next = 3;
			p++;
			continue;
		}
		int64_t n = 0, frac = 0;
		const char *start = p;
		for (; p < end && is_digit(*p); p++)
			if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, *p - '0', &n))
				goto too_big;
		if (p == start)
			return false;
		bool has_frac = p < end && *p == '.';
		if (has_frac) {
			p++;
			const char *fs = p;
			int64_t scale = 100000;
			for (; p < end && is_digit(*p); p++, scale /= 10)
				frac += (*p - '0') * scale;
			if (p == fs)
				return false;
		}
		if (p == end)
			return false;
		/* M is months before the T, minutes after it */
		const char *d = strchr(designators + next, *p);
		if (!d || !*p || (time ? d - designators < 3 : d - designators > 2) || (has_frac && *p != 'S'))
			return false;
		int k = (int)(d - designators);
		p++;
		next = k + 1;
		any = true;
		time_any |= time;
		if (k == 0 || k == 1) {
			int64_t m;
			if (__builtin_mul_overflow(n, k == 0 ? 12 : 1, &m) || __builtin_add_overflow(months, m, &months))
				goto too_big;
		} else {
			int64_t u;
			if (__builtin_mul_overflow(n, micros_per[k], &u) || __builtin_add_overflow(micros, u, &micros) ||
			    __builtin_add_overflow(micros, frac, &micros))
				goto too_big;
		}
	}
	if (!any || (time && !time_any))
		return false;
	/* Beyond 100 million years the calendar arithmetic of comparisons
	 * would overflow; no data means such a span. */
	if (months > 1200000000 || months < -1200000000)
		goto too_big;
	v->months = neg ? -months : months;
	v->i = neg ? -micros : micros;
	return true;
too_big:
	*why = "is a duration too long to hold";
	return false;
}

/* XML Schema's order of durations: a before b when it is so from each of
 * four starting instants chosen to cover the months' lengths. -1, 0, 1, or
 * 2 when the starting instant decides (P1M against P30D). */
static int duration_order(const struct ts_value *a, const struct ts_value *b)
{
	if (a->months == b->months)
		return a->i < b->i ? -1 : a->i > b->i;
	static const int starts[4][2] = { { 1696, 9 }, { 1697, 2 }, { 1903, 3 }, { 1903, 7 } };
	int order = 0;
	for (int k = 0; k < 4; k++) {
		__int128 at[2];
		for (int j = 0; j < 2; j++) {
			const struct ts_value *x = j ? b : a;
			int64_t total = (int64_t)starts[k][0] * 12 + (starts[k][1] - 1) + x->months;
			int64_t year = total >= 0 ? total / 12 : -((-total + 11) / 12);
			int month = (int)(total - year * 12) + 1;
			at[j] = (__int128)cal_days_from_civil(year, month, 1) * 86400000000 + x->i;
		}
		int o = at[0] < at[1] ? -1 : at[0] > at[1];
		if (k && o != order)
			return 2;
		order = o;
	}
	return order;
}

/* ---- JSON values: object, array, geopoint, geojson ----
 *
 * A cell is first held to RFC 8259's grammar by json_check(), because
 * libyaml, which reads JSON as YAML, also takes flow YAML that is no JSON
 * ({a: 1}, 'x', [1, 2,], comments, anchors). What needs the value's
 * members (geopoint, geojson, an enum) then reads the tree through ydoc. */

enum { JSON_MAX_DEPTH = 200 }; /* ydoc's own limit */

static bool json_number(const char **p, const char *end)
{
	const char *q = *p;
	if (q < end && *q == '-')
		q++;
	if (q < end && *q == '0') {
		q++;
	} else {
		if (q == end || *q < '1' || *q > '9')
			return false;
		while (q < end && is_digit(*q))
			q++;
	}
	if (q < end && *q == '.') {
		if (++q == end || !is_digit(*q))
			return false;
		while (q < end && is_digit(*q))
			q++;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q == end || !is_digit(*q))
			return false;
		while (q < end && is_digit(*q))
			q++;
	}
	*p = q;
	return true;
}

static bool json_string(const char **p, const char *end)
{
	const char *q = *p + 1; /* past the opening quote */
	for (; q < end; q++) {
		unsigned char c = (unsigned char)*q;
		if (c == '"') {
			*p = q + 1;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++q == end)
				return false;
			if (*q == 'u') {
				for (int i = 1; i <= 4; i++)
					if (q + i >= end || !isxdigit((unsigned char)q[i]))
						return false;
				q += 4;
			} else if (!strchr("\"\\/bfnrt", *q) || !*q) {
				return false;
			}
		}
	}
	return false;
}

static void json_space(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r'))
		(*p)++;
}

/* True when [s, s + len) is one JSON value and nothing more. *top gets its
 * first character ('{', '[', '"', or that of a number or literal), *items
 * the members of a top-level object or array. */
static bool json_check(const char *s, size_t len, char *top, int64_t *items, const char **why)
{
	const char *p = s, *end = s + len;
	char stack[JSON_MAX_DEPTH];
	int depth = 0;
	enum { VALUE, VALUE_OR_CLOSE, KEY, KEY_OR_CLOSE, COLON, AFTER } state = VALUE;
	*items = 0;
	*why = "is not valid JSON";
	json_space(&p, end);
	*top = p < end ? *p : '\0';
	for (;;) {
		json_space(&p, end);
		if (p == end)
			return false;
		char c = *p;
		switch (state) {
		case VALUE:
		case VALUE_OR_CLOSE:
			if (c == ']' && state == VALUE_OR_CLOSE) {
				p++;
				depth--;
				state = AFTER;
				break;
			}
			if (depth == 1 && stack[0] == '[')
				(*items)++;
			if (c == '{' || c == '[') {
				if (depth == JSON_MAX_DEPTH) {
					*why = "is JSON nested more than 200 levels deep";
					return false;
				}
				stack[depth++] = c;
				p++;
				state = c == '{' ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
				break;
			}
			if (c == '"' ? !json_string(&p, end)
			    : c == 't' ? !(end - p >= 4 && !memcmp(p, "true", 4) && (p += 4))
			    : c == 'f' ? !(end - p >= 5 && !memcmp(p, "false", 5) && (p += 5))
			    : c == 'n' ? !(end - p >= 4 && !memcmp(p, "null", 4) && (p += 4))
			    : !json_number(&p, end))
				return false;
			state = AFTER;
			break;
		case KEY:
		case KEY_OR_CLOSE:
			if (c == '}' && state == KEY_OR_CLOSE) {
				p++;
				depth--;
				state = AFTER;
				break;
			}
			if (c != '"' || !json_string(&p, end))
				return false;
			if (depth == 1)
				(*items)++;
			state = COLON;
			break;
		case COLON:
			if (c != ':')
				return false;
			p++;
			state = VALUE;
			break;
		case AFTER:
			if (c == ',' && depth) {
				state = stack[depth - 1] == '{' ? KEY : VALUE;
			} else if ((c == '}' || c == ']') && depth && stack[depth - 1] == (c == '}' ? '{' : '[')) {
				depth--;
			} else {
				return false;
			}
			p++;
			break;
		}
		if (state == AFTER && depth == 0) {
			json_space(&p, end);
			return p == end;
		}
	}
}

/* A growing text, for canonical JSON. */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1) + 64;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static const struct ts_field plain_number = { .type = TS_NUMBER, .decimal_char = '.', .bare_number = true };

/* A JSON number as 0, or -0.DIGITSeEXP: one spelling for one value. */
static void canon_number(struct sbuf *b, const char *s, size_t len)
{
	char *digits = xcalloc(len + 2, 1), head[32];
	struct ts_value v;
	const char *why;
	if (!parse_decimal(&plain_number, s, len, false, &v, digits, &why)) {
		sbuf_add(b, s, len); /* not reached for checked JSON */
	} else if (v.sign == 0) {
		sbuf_add(b, "0", 1);
	} else {
		sbuf_add(b, v.sign < 0 ? "-0." : "0.", v.sign < 0 ? 3 : 2);
		sbuf_add(b, v.digits, v.ndigits);
		sbuf_add(b, head, (size_t)snprintf(head, sizeof head, "e%lld", (long long)v.exp));
	}
	free(digits);
}

static void canon_string(struct sbuf *b, const char *s, size_t len)
{
	sbuf_add(b, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '"' || c == '\\' || c < 0x20)
			sbuf_add(b, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", c));
		else
			sbuf_add(b, &s[i], 1);
	}
	sbuf_add(b, "\"", 1);
}

static int canon_key_cmp(const yaml_node_t *a, const yaml_node_t *b)
{
	size_t la = a->data.scalar.length, lb = b->data.scalar.length;
	int c = memcmp(a->data.scalar.value, b->data.scalar.value, la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

/* A node as compact JSON, an object's members in the byte order of their
 * keys, numbers as canon_number() writes them. */
static void canon_node(struct ydoc *d, const yaml_node_t *n, struct sbuf *b)
{
	if (ydoc_is_seq(n)) {
		sbuf_add(b, "[", 1);
		for (size_t i = 0; i < ydoc_len(n); i++) {
			if (i)
				sbuf_add(b, ",", 1);
			canon_node(d, ydoc_item(d, n, i), b);
		}
		sbuf_add(b, "]", 1);
	} else if (ydoc_is_map(n)) {
		size_t len = ydoc_len(n), *order = xcalloc(len + 1, sizeof *order);
		for (size_t i = 0; i < len; i++) { /* insertion sort: objects in cells are small */
			size_t j = i;
			const yaml_node_t *k = ydoc_key(d, n, i);
			for (; j > 0 && ydoc_is_scalar(k) && ydoc_is_scalar(ydoc_key(d, n, order[j - 1])) &&
			       canon_key_cmp(ydoc_key(d, n, order[j - 1]), k) > 0;
			     j--)
				order[j] = order[j - 1];
			order[j] = i;
		}
		sbuf_add(b, "{", 1);
		for (size_t i = 0; i < len; i++) {
			if (i)
				sbuf_add(b, ",", 1);
			canon_node(d, ydoc_key(d, n, order[i]), b);
			sbuf_add(b, ":", 1);
			canon_node(d, ydoc_value(d, n, order[i]), b);
		}
		sbuf_add(b, "}", 1);
		free(order);
	} else if (ydoc_is_scalar(n)) {
		const char *s = (const char *)n->data.scalar.value;
		size_t len = n->data.scalar.length;
		if (!ydoc_is_plain(n))
			canon_string(b, s, len);
		else if (!strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "null"))
			sbuf_add(b, s, len);
		else if (len && (is_digit(s[0]) || s[0] == '-'))
			canon_number(b, s, len);
		else
			canon_string(b, s, len); /* a plain YAML word in a schema's enum */
	} else {
		sbuf_add(b, "null", 4);
	}
}

/* A JSON number in the tree: a plain scalar other than true, false, null. */
static bool node_is_number(const yaml_node_t *n)
{
	if (!ydoc_is_plain(n))
		return false;
	const char *s = ydoc_str(n);
	return *s && strcmp(s, "true") && strcmp(s, "false") && strcmp(s, "null");
}

/* A quoted scalar equal to s. */
static bool node_is_string(const yaml_node_t *n, const char *s)
{
	return ydoc_is_scalar(n) && !ydoc_is_plain(n) && (!s || !strcmp(ydoc_str(n), s));
}

/* |number| <= limit, exactly; scratch holds len + 1 bytes. */
static bool number_within(const char *s, size_t len, const char *limit, char *scratch)
{
	struct ts_value v, lim;
	char limdigits[8];
	const char *why;
	if (!parse_decimal(&plain_number, s, len, false, &v, scratch, &why))
		return false;
	parse_decimal(&plain_number, limit, strlen(limit), false, &lim, limdigits, &why);
	v.sign = v.sign < 0 ? 1 : v.sign;
	return compare_decimal(&v, &lim) <= 0;
}

static bool lon_lat_ok(const char *lon, size_t lon_len, const char *lat, size_t lat_len, char *scratch,
		       const char **why)
{
	*why = "is not a geographic point (lon, lat)";
	if (!number_within(lon, lon_len, "180", scratch) || !number_within(lat, lat_len, "90", scratch)) {
		*why = "is not a geographic point: longitude -180 to 180, latitude -90 to 90";
		return false;
	}
	return true;
}

/* A cell read as JSON into d, after json_check(). */
static bool json_tree(const char *s, size_t len, struct ydoc *d, const char **why)
{
	char err[160];
	if (ydoc_load_string(d, "cell", s, len, err, sizeof err) != 0 || !ydoc_root(d)) {
		*why = "is JSON that could not be read";
		return false;
	}
	return true;
}

/* geopoint: "lon, lat" (a space after the comma optional), [lon, lat] or
 * {"lon": x, "lat": y}, each a number; lon and lat are checked to be on
 * the globe. When canon is given, the point is written to it as [lon,lat]. */
static bool parse_geopoint(const struct ts_field *f, const char *s, size_t len, char *scratch,
			   struct sbuf *canon, const char **why)
{
	const char *fmt = f->format;
	if (is_default_format(fmt)) {
		const char *comma = memchr(s, ',', len), *lat = comma + 1, *end = s + len;
		if (!comma) {
			*why = "is not a geographic point (lon, lat)";
			return false;
		}
		while (lat < end && *lat == ' ')
			lat++;
		struct ts_value v;
		if (!parse_decimal(&plain_number, s, (size_t)(comma - s), false, &v, scratch, why) ||
		    !parse_decimal(&plain_number, lat, (size_t)(end - lat), false, &v, scratch, why)) {
			*why = "is not a geographic point (lon, lat)";
			return false;
		}
		if (!lon_lat_ok(s, (size_t)(comma - s), lat, (size_t)(end - lat), scratch, why))
			return false;
		if (canon) {
			sbuf_add(canon, "[", 1);
			canon_number(canon, s, (size_t)(comma - s));
			sbuf_add(canon, ",", 1);
			canon_number(canon, lat, (size_t)(end - lat));
			sbuf_add(canon, "]", 1);
		}
		return true;
	}
	bool array = !strcmp(fmt, "array");
	char top;
	int64_t items;
	if (!json_check(s, len, &top, &items, why) || top != (array ? '[' : '{') || items != 2) {
		*why = array ? "is not a geographic point ([lon, lat])" : "is not a geographic point ({\"lon\": x, \"lat\": y})";
		return false;
	}
	struct ydoc d;
	if (!json_tree(s, len, &d, why))
		return false;
	yaml_node_t *root = ydoc_root(&d), *lon, *lat;
	if (array) {
		lon = ydoc_item(&d, root, 0);
		lat = ydoc_item(&d, root, 1);
	} else {
		lon = ydoc_get(&d, root, "lon");
		lat = ydoc_get(&d, root, "lat");
	}
	bool ok = node_is_number(lon) && node_is_number(lat);
	if (!ok)
		*why = array ? "is not a geographic point ([lon, lat])" : "is not a geographic point ({\"lon\": x, \"lat\": y})";
	else
		ok = lon_lat_ok(ydoc_str(lon), strlen(ydoc_str(lon)), ydoc_str(lat), strlen(ydoc_str(lat)), scratch, why);
	if (ok && canon) {
		sbuf_add(canon, "[", 1);
		canon_node(&d, lon, canon);
		sbuf_add(canon, ",", 1);
		canon_node(&d, lat, canon);
		sbuf_add(canon, "]", 1);
	}
	ydoc_free(&d);
	return ok;
}

/* GeoJSON (RFC 7946) by its members: a geometry's type and the nesting of
 * its coordinates (a position is two or more numbers; a LineString has two
 * positions or more, a Polygon's rings four or more), a Feature's geometry
 * and properties, a FeatureCollection's features, a GeometryCollection's
 * geometries. Not checked: rings closed, winding order, bbox. */
static bool geojson_positions(struct ydoc *d, const yaml_node_t *n, int depth, size_t least)
{
	if (!ydoc_is_seq(n))
		return false;
	if (depth == 0) {
		if (ydoc_len(n) < 2)
			return false;
		for (size_t i = 0; i < ydoc_len(n); i++)
			if (!node_is_number(ydoc_item(d, n, i)))
				return false;
		return true;
	}
	if (depth == 1 && ydoc_len(n) < least)
		return false;
	for (size_t i = 0; i < ydoc_len(n); i++)
		if (!geojson_positions(d, ydoc_item(d, n, i), depth - 1, least))
			return false;
	return true;
}

static bool geojson_object(struct ydoc *d, const yaml_node_t *n, bool geometry_only, int depth)
{
	static const struct { const char *type; int depth; size_t least; } geometries[] = {
		{ "Point", 0, 0 }, { "MultiPoint", 1, 0 }, { "LineString", 1, 2 }, { "MultiLineString", 2, 2 },
		{ "Polygon", 2, 4 }, { "MultiPolygon", 3, 4 },
	};
	if (!ydoc_is_map(n) || depth > JSON_MAX_DEPTH)
		return false;
	const yaml_node_t *type = ydoc_get(d, n, "type");
	if (!node_is_string(type, NULL))
		return false;
	const char *t = ydoc_str(type);
	for (size_t i = 0; i < sizeof geometries / sizeof geometries[0]; i++)
		if (!strcmp(t, geometries[i].type))
			return geojson_positions(d, ydoc_get(d, n, "coordinates"), geometries[i].depth, geometries[i].least);
	if (!strcmp(t, "GeometryCollection")) {
		const yaml_node_t *g = ydoc_get(d, n, "geometries");
		if (!ydoc_is_seq(g))
			return false;
		for (size_t i = 0; i < ydoc_len(g); i++)
			if (!geojson_object(d, ydoc_item(d, g, i), true, depth + 1))
				return false;
		return true;
	}
	if (geometry_only)
		return false;
	if (!strcmp(t, "Feature")) {
		const yaml_node_t *g = ydoc_get(d, n, "geometry"), *props = ydoc_get(d, n, "properties");
		return g && props && (ydoc_is_null(g) || geojson_object(d, g, true, depth + 1)) &&
		       (ydoc_is_null(props) || ydoc_is_map(props));
	}
	if (!strcmp(t, "FeatureCollection")) {
		const yaml_node_t *fs = ydoc_get(d, n, "features");
		if (!ydoc_is_seq(fs))
			return false;
		for (size_t i = 0; i < ydoc_len(fs); i++) {
			const yaml_node_t *feature = ydoc_item(d, fs, i);
			if (!node_is_string(ydoc_get(d, feature, "type"), "Feature") ||
			    !geojson_object(d, feature, false, depth + 1))
				return false;
		}
		return true;
	}
	return false;
}

/* TopoJSON: a Topology with an objects object and an arcs array. */
static bool topojson_object(struct ydoc *d, const yaml_node_t *n)
{
	return ydoc_is_map(n) && node_is_string(ydoc_get(d, n, "type"), "Topology") &&
	       ydoc_is_map(ydoc_get(d, n, "objects")) && ydoc_is_seq(ydoc_get(d, n, "arcs"));
}

/* object, array, geojson: one JSON object (array); the items of an object
 * or array go to v->i. With canon, the value is written to it as JSON with
 * one spelling. */
static bool parse_json_value(const struct ts_field *f, const char *s, size_t len, struct ts_value *v,
			     struct sbuf *canon, const char **why)
{
	char top;
	int64_t items;
	bool array = f->type == TS_ARRAY;
	if (!json_check(s, len, &top, &items, why) || top != (array ? '[' : '{')) {
		*why = array ? "is not a JSON array" : f->type == TS_OBJECT ? "is not a JSON object"
			: "is not a GeoJSON object";
		return false;
	}
	v->i = items;
	if (f->type != TS_GEOJSON && !canon)
		return true;
	struct ydoc d;
	if (!json_tree(s, len, &d, why))
		return false;
	bool ok = true;
	if (f->type == TS_GEOJSON) {
		bool topo = f->format && !strcmp(f->format, "topojson");
		ok = topo ? topojson_object(&d, ydoc_root(&d)) : geojson_object(&d, ydoc_root(&d), false, 0);
		if (!ok)
			*why = topo ? "is not a TopoJSON topology" : "is not a GeoJSON object";
	}
	if (ok && canon)
		canon_node(&d, ydoc_root(&d), canon);
	ydoc_free(&d);
	return ok;
}

/* The value of an object, array, geopoint or geojson cell as canonical
 * JSON, malloc'd; NULL when the cell is no such value. */
static char *json_canonical(const struct ts_field *f, const char *s, size_t len, const char **why)
{
	struct sbuf b = { 0 };
	struct ts_value v;
	char *scratch = xcalloc(len + 2, 1);
	bool ok = f->type == TS_GEOPOINT ? parse_geopoint(f, s, len, scratch, &b, why)
					 : parse_json_value(f, s, len, &v, &b, why);
	free(scratch);
	if (!ok) {
		free(b.s);
		return NULL;
	}
	if (!b.s)
		sbuf_add(&b, "", 0);
	return b.s;
}

static bool is_json_type(enum ts_type t)
{
	return t == TS_OBJECT || t == TS_ARRAY || t == TS_GEOPOINT || t == TS_GEOJSON;
}

/* RFC 4648 base64: groups of four characters of its alphabet, padding
 * with = only at the end. */
static bool is_base64(const char *s, size_t len)
{
	if (len % 4)
		return false;
	size_t pad = 0;
	while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '+' && c != '/')
			return false;
	}
	return true;
}

static bool in_list(char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (len == 0 ? list[i][0] == '\0'
			     : list[i][0] == s[0] && strnlen(list[i], len + 1) == len && memcmp(list[i], s, len) == 0)
			return true;
	return false;
}

/* String formats: only what can be checked without a network or a table. */
static bool check_string_format(const struct ts_field *f, const char *s, size_t len, const char **why)
{
	const char *fmt = f->format;
	if (is_default_format(fmt) || !strcmp(fmt, "any"))
		return true;
	if (!strcmp(fmt, "uuid")) {
		static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
		bool ok = len == sizeof shape - 1;
		for (size_t i = 0; ok && i < len; i++)
			ok = shape[i] == '-' ? s[i] == '-' : strchr("0123456789abcdefABCDEF", s[i]) && s[i];
		*why = "is not a UUID";
		return ok;
	}
	if (!strcmp(fmt, "email")) {
		const char *at = memchr(s, '@', len);
		*why = "is not an email address";
		return at && at > s && at < s + len - 1 && !memchr(at + 1, '@', (size_t)(s + len - at - 1)) &&
		       !memchr(s, ' ', len);
	}
	if (!strcmp(fmt, "uri")) {
		size_t i = 0;
		while (i < len && (isalnum((unsigned char)s[i]) || strchr("+.-", s[i])))
			i++;
		*why = "is not a URI";
		return i > 0 && i < len && s[i] == ':' && isalpha((unsigned char)s[0]) && !memchr(s, ' ', len);
	}
	if (!strcmp(fmt, "binary")) {
		*why = "is not base64";
		return is_base64(s, len);
	}
	return true; /* a format of no meaning here, warned about at load */
}

bool ts_parse(const struct ts_field *f, const char *cell, size_t len, struct ts_value *v, char *digits,
	      const char **why)
{
	v->type = f->type;
	switch (f->type) {
	case TS_STRING:
		return check_string_format(f, cell, len, why);
	case TS_INTEGER:
		return parse_decimal(f, cell, len, true, v, digits, why);
	case TS_NUMBER:
		return parse_decimal(f, cell, len, false, v, digits, why) || parse_special(cell, len, v, digits);
	case TS_BOOLEAN:
		if (in_list(f->true_values, f->n_true, cell, len)) {
			v->boolean = true;
			return true;
		}
		if (in_list(f->false_values, f->n_false, cell, len)) {
			v->boolean = false;
			return true;
		}
		*why = "is not a boolean";
		return false;
	case TS_DATE:
		return parse_date_value(f, cell, len, v, why);
	case TS_DATETIME:
		return parse_datetime_value(f, cell, len, v, why);
	case TS_TIME:
		return parse_time_value(f, cell, len, v, why);
	case TS_YEAR: {
		const char *p = cell;
		int y;
		if (!read_digits(&p, cell + len, 4, &y) || p != cell + len) {
			*why = "is not a year (YYYY)";
			return false;
		}
		if (y == 0) {
			*why = "is in year 0, which does not exist";
			return false;
		}
		v->i = y;
		return true;
	}
	case TS_YEARMONTH:
		return parse_yearmonth_value(cell, len, v, why);
	case TS_DURATION:
		return parse_duration_value(cell, len, v, why);
	case TS_ANY:
		return true;
	case TS_OBJECT:
	case TS_ARRAY:
	case TS_GEOJSON:
		return parse_json_value(f, cell, len, v, NULL, why);
	case TS_GEOPOINT:
		return parse_geopoint(f, cell, len, digits, NULL, why);
	}
	return false;
}

int ts_compare(const struct ts_value *a, const struct ts_value *b)
{
	switch (a->type) {
	case TS_INTEGER:
	case TS_NUMBER:
		return compare_decimal(a, b);
	case TS_BOOLEAN:
		return (int)a->boolean - (int)b->boolean;
	case TS_DURATION: {
		int o = duration_order(a, b);
		if (o != 2)
			return o;
		return a->months != b->months ? (a->months < b->months ? -1 : 1) : (a->i < b->i ? -1 : a->i > b->i);
	}
	case TS_ANY:
	case TS_OBJECT:
	case TS_ARRAY:
	case TS_GEOPOINT:
	case TS_GEOJSON:
		return 0;
	default:
		return a->i < b->i ? -1 : a->i > b->i;
	}
}

const char *ts_length_unit(const struct ts_field *f)
{
	return f->type == TS_OBJECT || f->type == TS_ARRAY ? "items" : "characters";
}

/* Code points in valid UTF-8. */
static int64_t utf8_length(const char *s, size_t len)
{
	int64_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* A bound's digits live in the bound itself, which moves with the field
 * array, so they are pointed at afresh for each comparison. */
static int compare_bound(const struct ts_value *v, const struct ts_bound *b)
{
	struct ts_value bound = b->v;
	bound.digits = b->digits;
	return ts_compare(v, &bound);
}

/* Whether a value is within a bound: NaN is within none, and a duration
 * only when it is so whatever the starting date. */
static bool within(const struct ts_value *v, const struct ts_bound *b, int lo, int hi)
{
	if (v->type == TS_NUMBER && v->special == TS_NAN)
		return false;
	int c;
	if (v->type == TS_DURATION) {
		struct ts_value bound = b->v;
		c = duration_order(v, &bound);
		if (c == 2)
			return false;
	} else {
		c = compare_bound(v, b);
	}
	return c >= lo && c <= hi;
}

/* Pattern matches need somewhere to put the match, and the JIT a stack
 * deeper than its default 32 KiB, on which a repeated group over a few
 * thousand characters already runs out: one of each per thread. */
static _Thread_local pcre2_match_data *match_data;
static _Thread_local pcre2_match_context *match_context;
static _Thread_local pcre2_jit_stack *jit_stack;
/* Why this thread's last pattern could not be matched, for ts_match_error(). */
static _Thread_local char match_error[128];

void ts_thread_done(void)
{
	pcre2_match_data_free(match_data);
	pcre2_match_context_free(match_context);
	pcre2_jit_stack_free(jit_stack);
	match_data = NULL;
	match_context = NULL;
	jit_stack = NULL;
}

const char *ts_match_error(void)
{
	return match_error[0] ? match_error : NULL;
}

/* Matches a whole cell: 1, 0 for no match, or a PCRE2 error code. */
static int match_pattern(const struct ts_field *f, const char *cell, size_t len)
{
	if (!match_data) {
		match_data = pcre2_match_data_create(1, NULL);
		match_context = pcre2_match_context_create(NULL);
		jit_stack = pcre2_jit_stack_create(32 << 10, 8 << 20, NULL);
		if (!match_data || !match_context || !jit_stack)
			die(EXIT_OPER, "out of memory");
		pcre2_jit_stack_assign(match_context, NULL, jit_stack);
	}
	int rc = PCRE2_ERROR_JIT_BADOPTION;
	/* The cell is valid UTF-8 by now: the direct JIT call, which checks
	 * nothing, is safe and saves the general entry's work. */
	if (f->regex_jit)
		rc = pcre2_jit_match(f->regex, (PCRE2_SPTR)cell, len, 0, 0, match_data, match_context);
	/* Without JIT code, or when a value outgrows even the bigger stack,
	 * the interpreter, which keeps its backtracking on the heap. */
	if (rc == PCRE2_ERROR_JIT_BADOPTION || rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = pcre2_match(f->regex, (PCRE2_SPTR)cell, len, 0, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, match_data,
				 match_context);
	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
}

bool ts_check(const struct ts_field *f, const char *cell, size_t len, const struct ts_value *v,
	      enum ts_constraint *failed)
{
	if (f->type != TS_STRING) {
		if (f->minimum.set && !within(v, &f->minimum, 0, 1))
			return *failed = TSC_MINIMUM, false;
		if (f->maximum.set && !within(v, &f->maximum, -1, 0))
			return *failed = TSC_MAXIMUM, false;
		if (f->xminimum.set && !within(v, &f->xminimum, 1, 1))
			return *failed = TSC_EXCLUSIVE_MINIMUM, false;
		if (f->xmaximum.set && !within(v, &f->xmaximum, -1, -1))
			return *failed = TSC_EXCLUSIVE_MAXIMUM, false;
	}
	if ((f->type == TS_OBJECT || f->type == TS_ARRAY) && (f->min_length >= 0 || f->max_length >= 0)) {
		if (f->min_length >= 0 && v->i < f->min_length)
			return *failed = TSC_MIN_LENGTH, false;
		if (f->max_length >= 0 && v->i > f->max_length)
			return *failed = TSC_MAX_LENGTH, false;
	} else if (f->min_length >= 0 || f->max_length >= 0) {
		/* A cell of len bytes holds len/4 to len characters: count only
		 * when that range crosses a bound. */
		int64_t most = (int64_t)len, least = (most + 3) / 4;
		bool in_range = (f->min_length < 0 || least >= f->min_length) && (f->max_length < 0 || most <= f->max_length);
		int64_t n = in_range ? most : utf8_length(cell, len);
		if (f->min_length >= 0 && n < f->min_length)
			return *failed = TSC_MIN_LENGTH, false;
		if (f->max_length >= 0 && n > f->max_length)
			return *failed = TSC_MAX_LENGTH, false;
	}
	if (f->regex) {
		int rc = match_pattern(f, cell, len);
		if (rc <= 0) {
			match_error[0] = '\0';
			if (rc < 0)
				pcre2_get_error_message(rc, (PCRE2_UCHAR *)match_error, sizeof match_error);
			return *failed = TSC_PATTERN, false;
		}
	}
	if (f->n_enum) {
		bool found = false;
		if (is_json_type(f->type)) { /* compared as JSON: rare, so parsed again */
			const char *why;
			char *canon = json_canonical(f, cell, len, &why);
			for (size_t i = 0; canon && i < f->n_enum && !found; i++)
				found = !strcmp(f->enum_values[i], canon);
			free(canon);
		} else if (f->type == TS_STRING || f->type == TS_ANY) {
			for (size_t i = 0; i < f->n_enum && !found; i++)
				found = f->enum_lens[i] == len && !memcmp(f->enum_values[i], cell, len);
		} else {
			for (size_t i = 0; i < f->n_enum && !found; i++)
				found = ts_compare(v, &f->enum_parsed[i]) == 0;
		}
		if (!found)
			return *failed = TSC_ENUM, false;
	}
	return true;
}

bool ts_is_missing(const struct ts_schema *s, const char *cell, size_t len)
{
	return in_list(s->missing_values, s->n_missing, cell, len);
}

bool ts_field_is_missing(const struct ts_schema *s, size_t field, const char *cell, size_t len)
{
	const struct ts_field *f = &s->fields[field];
	return f->missing_values ? in_list(f->missing_values, f->n_missing, cell, len)
				 : in_list(s->missing_values, s->n_missing, cell, len);
}

static bool only_empty(char *const *list, size_t n)
{
	return n == 1 && !list[0][0];
}

bool ts_missing_only_empty(const struct ts_schema *s)
{
	if (!only_empty(s->missing_values, s->n_missing))
		return false;
	for (size_t i = 0; i < s->nfields; i++)
		if (s->fields[i].missing_values && !only_empty(s->fields[i].missing_values, s->fields[i].n_missing))
			return false;
	return true;
}

/* ---- loading ---- */

struct loader {
	struct ydoc doc;
	struct ts_schema *s;
	char *err;
	size_t errlen;
};

static int fail(struct loader *L, const yaml_node_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct loader *L, const yaml_node_t *at, const char *fmt, ...)
{
	int n = snprintf(L->err, L->errlen, "%s:%zu: ", L->s->path, ydoc_line(at));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(L->err + n, L->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A mapping that holds a key twice is malformed. */
static int no_duplicates(struct loader *L, const yaml_node_t *map)
{
	yaml_node_t *dup = ydoc_duplicate_key(&L->doc, map);
	return dup ? fail(L, dup, "key \"%s\" appears twice", ydoc_str(dup)) : 0;
}

static void warn_unknown(struct loader *L, const yaml_node_t *key, const char *where)
{
	log_warn("%s:%zu: %s: unknown key \"%s\" ignored", L->s->path, ydoc_line(key), where,
		 ydoc_str(key) ? ydoc_str(key) : "?");
}

static bool key_is(const char *k, const char *const *known)
{
	for (; *known; known++)
		if (!strcmp(k, *known))
			return true;
	return false;
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* A list of strings; a single string counts as a list of one when
 * single_ok. */
/* A scalar the schema meant as a string: quoted, or plain and not a
 * null, boolean or number (as JSON and YAML read them). */
static bool is_string(const yaml_node_t *n)
{
	if (!ydoc_is_scalar(n))
		return false;
	const char *s = ydoc_str(n);
	if (!ydoc_is_plain(n))
		return true;
	char *end;
	strtod(s, &end);
	return !ydoc_is_null(n) && (!*s || *end) && strcmp(s, "true") && strcmp(s, "false") && strcmp(s, "True") &&
	       strcmp(s, "False") && strcmp(s, "TRUE") && strcmp(s, "FALSE");
}

/* A list of scalars (strings only, unless scalars_ok), or with single_ok
 * one scalar, as malloc'd strings. */
static int string_list(struct loader *L, const yaml_node_t *n, const char *what, bool single_ok, bool scalars_ok,
		       char ***out, size_t *count)
{
	*out = NULL; /* callers free the old list first: never leave it behind */
	*count = 0;
	if (single_ok && ydoc_is_scalar(n) && (scalars_ok || is_string(n))) {
		*out = xcalloc(1, sizeof **out);
		(*out)[0] = xstrdup(ydoc_str(n));
		*count = 1;
		return 0;
	}
	if (!ydoc_is_seq(n))
		return fail(L, n, "%s: must be a list of strings", what);
	size_t len = ydoc_len(n);
	*out = xcalloc(len, sizeof **out);
	*count = 0;
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *item = ydoc_item(&L->doc, n, i);
		if (scalars_ok ? !ydoc_is_scalar(item) : !is_string(item)) {
			free_list(*out, *count); /* a failed list leaves nothing to free */
			*out = NULL;
			*count = 0;
			return fail(L, item, "%s: must be a list of strings", what);
		}
		(*out)[(*count)++] = xstrdup(ydoc_str(item));
	}
	return 0;
}

static int set_bound(struct ts_field *f, struct ts_bound *b, const char *text, const char **why)
{
	if (strlen(text) + 2 > sizeof b->digits) {
		*why = "is too long";
		return -1;
	}
	if (f->type == TS_STRING || f->type == TS_BOOLEAN || f->type == TS_ANY || is_json_type(f->type)) {
		*why = "applies only to numbers, dates, times and durations";
		return -1;
	}
	/* A bound is written plainly even where cells have a currency sign. */
	struct ts_field plain = *f;
	plain.bare_number = true;
	plain.group_char = 0;
	plain.decimal_char = '.';
	if (!ts_parse(&plain, text, strlen(text), &b->v, b->digits, why))
		return -1;
	strcpy(b->text, text);
	b->set = true;
	return 0;
}

/* The constraints the spec gives the types it added after v1 (lengths for
 * collections, bounds for ordered types, pattern for strings only). The
 * older types keep what validate always took. */
static bool constraint_applies(enum ts_type t, enum ts_constraint c)
{
	switch (c) {
	case TSC_REQUIRED:
	case TSC_UNIQUE:
	case TSC_ENUM:
		return true;
	case TSC_MIN_LENGTH:
	case TSC_MAX_LENGTH:
		return t < TS_YEARMONTH || t == TS_OBJECT || t == TS_ARRAY;
	case TSC_PATTERN:
		return t < TS_YEARMONTH;
	default: /* bounds: set_bound() says which */
		return true;
	}
}

int ts_set_constraint(struct ts_field *f, enum ts_constraint c, const char *text, char *err, size_t errlen)
{
	const char *why = NULL;
	int rc = 0;
	if (!constraint_applies(f->type, c)) {
		snprintf(err, errlen, "does not apply to a field of type %s", ts_type_name(f->type));
		return -1;
	}
	switch (c) {
	case TSC_REQUIRED:
	case TSC_UNIQUE: {
		bool on = !strcmp(text, "true") || !strcmp(text, "True") || !strcmp(text, "TRUE");
		if (!on && strcmp(text, "false") && strcmp(text, "False") && strcmp(text, "FALSE")) {
			why = "must be true or false";
			rc = -1;
		} else if (c == TSC_REQUIRED) {
			f->required = on;
		} else {
			f->unique = on;
		}
		break;
	}
	case TSC_MINIMUM: rc = set_bound(f, &f->minimum, text, &why); break;
	case TSC_MAXIMUM: rc = set_bound(f, &f->maximum, text, &why); break;
	case TSC_EXCLUSIVE_MINIMUM: rc = set_bound(f, &f->xminimum, text, &why); break;
	case TSC_EXCLUSIVE_MAXIMUM: rc = set_bound(f, &f->xmaximum, text, &why); break;
	case TSC_MIN_LENGTH:
	case TSC_MAX_LENGTH: {
		char *end;
		errno = 0;
		long long v = strtoll(text, &end, 10);
		if (!*text || *end || errno || v < 0) {
			why = "is not a whole number";
			rc = -1;
		} else {
			*(c == TSC_MIN_LENGTH ? &f->min_length : &f->max_length) = v;
		}
		break;
	}
	case TSC_PATTERN: {
		int code;
		PCRE2_SIZE off;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED,
					       PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF | PCRE2_UCP, &code, &off, NULL);
		if (!re) {
			static char msg[160];
			pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg);
			snprintf(err, errlen, "\"%s\": %s at offset %zu", text, msg, (size_t)off);
			return -1;
		}
		if (f->regex)
			pcre2_code_free(f->regex);
		/* Without JIT, matching falls back to the interpreter. */
		f->regex_jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
		free(f->pattern);
		f->regex = re;
		f->pattern = xstrdup(text);
		break;
	}
	case TSC_ENUM:
		/* A single value from the command line; lists come through load_enum. */
		why = "internal: enum is set as a list";
		rc = -1;
		break;
	}
	if (rc)
		snprintf(err, errlen, "\"%s\" %s", text, why ? why : "is not valid");
	return rc;
}

/* Parses the enum values by the field's type, for typed comparison. */
static int prepare_enum(struct ts_field *f, char *err, size_t errlen)
{
	f->enum_parsed = xcalloc(f->n_enum, sizeof *f->enum_parsed);
	if (f->type == TS_STRING || f->type == TS_ANY)
		return 0;
	if (is_json_type(f->type)) { /* each value becomes its canonical JSON */
		for (size_t i = 0; i < f->n_enum; i++) {
			const char *why;
			char *canon = json_canonical(f, f->enum_values[i], f->enum_lens[i], &why);
			if (!canon) {
				snprintf(err, errlen, "enum value \"%s\" %s", f->enum_values[i], why);
				return -1;
			}
			free(f->enum_values[i]);
			f->enum_values[i] = canon;
			f->enum_lens[i] = strlen(canon);
		}
		return 0;
	}
	struct ts_field plain = *f;
	plain.bare_number = true;
	for (size_t i = 0; i < f->n_enum; i++) {
		const char *why;
		/* The value's own buffer is long enough for its digits. */
		if (!ts_parse(&plain, f->enum_values[i], strlen(f->enum_values[i]), &f->enum_parsed[i],
			      f->enum_values[i] + strlen(f->enum_values[i]) + 1, &why)) {
			snprintf(err, errlen, "enum value \"%s\" %s", f->enum_values[i], why);
			return -1;
		}
	}
	return 0;
}

int ts_enum_from_list(struct ts_field *f, char **values, size_t n, char *err, size_t errlen)
{
	/* Each value gets room after its terminator for its normalised digits. */
	f->enum_values = xcalloc(n, sizeof *f->enum_values);
	f->enum_lens = xcalloc(n, sizeof *f->enum_lens);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(values[i]);
		f->enum_values[i] = xcalloc(2 * len + 3, 1);
		memcpy(f->enum_values[i], values[i], len);
		f->enum_lens[i] = len;
	}
	f->n_enum = n;
	return prepare_enum(f, err, errlen);
}

static const char *const default_true[] = { "true", "True", "TRUE", "1" };
static const char *const default_false[] = { "false", "False", "FALSE", "0" };

static void field_defaults(struct ts_field *f, const char *name)
{
	memset(f, 0, sizeof *f);
	f->name = xstrdup(name);
	f->type = TS_STRING;
	f->min_length = f->max_length = -1;
	f->decimal_char = '.';
	f->bare_number = true;
	f->n_true = f->n_false = 4;
	f->true_values = xcalloc(4, sizeof(char *));
	f->false_values = xcalloc(4, sizeof(char *));
	for (int i = 0; i < 4; i++) {
		f->true_values[i] = xstrdup(default_true[i]);
		f->false_values[i] = xstrdup(default_false[i]);
	}
}

struct ts_field *ts_add_field(struct ts_schema *s, const char *name)
{
	s->fields = xrealloc(s->fields, (s->nfields + 1) * sizeof *s->fields);
	field_defaults(&s->fields[s->nfields], name);
	return &s->fields[s->nfields++];
}

long ts_field_index(const struct ts_schema *s, const char *name)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (!strcmp(s->fields[i].name, name))
			return (long)i;
	return -1;
}

/* missingValues: strings, or (v2) objects whose "value" is the string. */
static int missing_list(struct loader *L, const yaml_node_t *n, char ***out, size_t *count)
{
	if (!ydoc_is_seq(n) || !ydoc_len(n) || !ydoc_is_map(ydoc_item(&L->doc, n, 0)))
		return string_list(L, n, "missingValues", false, false, out, count);
	size_t len = ydoc_len(n);
	*out = xcalloc(len, sizeof **out);
	*count = 0;
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *item = ydoc_item(&L->doc, n, i), *value = ydoc_get(&L->doc, item, "value");
		if (!ydoc_is_map(item) || !is_string(value)) {
			free_list(*out, *count);
			*out = NULL;
			*count = 0;
			return fail(L, item, "missingValues: must be a list of strings or of objects with a string \"value\"");
		}
		(*out)[(*count)++] = xstrdup(ydoc_str(value));
	}
	return 0;
}

/* The formats each type has besides "default"; NULL for the types whose
 * format is a strptime pattern. */
static const char *const *type_formats(enum ts_type t)
{
	static const char *const string_formats[] = { "email", "uri", "binary", "uuid", NULL };
	static const char *const geopoint_formats[] = { "array", "object", NULL };
	static const char *const geojson_formats[] = { "topojson", NULL };
	static const char *const none[] = { NULL };
	switch (t) {
	case TS_STRING: return string_formats;
	case TS_GEOPOINT: return geopoint_formats;
	case TS_GEOJSON: return geojson_formats;
	case TS_DATE:
	case TS_DATETIME:
	case TS_TIME: return NULL;
	default: return none;
	}
}

/* A field's format. v1's "fmt:" prefix is dropped, as v2 asks. A pattern
 * with a directive validate cannot read, or a geopoint or geojson format it
 * does not know (it could not read the values), is an error; another type's
 * unknown format is warned about once and ignored. */
static int load_format(struct loader *L, struct ts_field *f, yaml_node_t *format)
{
	if (!is_string(format))
		return fail(L, format, "field \"%s\": \"format\" must be a string", f->name);
	const char *text = ydoc_str(format);
	if (!strncmp(text, "fmt:", 4))
		text += 4;
	/* "default" is kept as NULL, so that no cell compares strings for it */
	f->format = strcmp(text, "default") ? xstrdup(text) : NULL;
	if (!f->format)
		return 0;
	const char *const *known = type_formats(f->type);
	if (!known) {
		const char *bad = strcmp(f->format, "any") ? format_unsupported(f->format) : NULL;
		if (bad && !bad[1])
			return fail(L, format, "field \"%s\": format \"%s\" ends in a lone %%", f->name, f->format);
		if (bad)
			return fail(L, format, "field \"%s\": format \"%s\" uses %s, which is not supported (%s)", f->name,
				    f->format, bad, SUPPORTED_DIRECTIVES_TEXT);
		return 0;
	}
	if (key_is(f->format, known))
		return 0;
	if (f->type == TS_GEOPOINT || f->type == TS_GEOJSON)
		return fail(L, format, "field \"%s\": a %s field has no format \"%s\" (default, %s%s)", f->name,
			    ts_type_name(f->type), f->format, known[0], known[1] ? ", object" : "");
	log_warn("%s:%zu: field \"%s\": a %s field has no format \"%s\"; it is ignored", L->s->path,
		 ydoc_line(format), f->name, ts_type_name(f->type), f->format);
	free(f->format);
	f->format = NULL;
	return 0;
}

static int load_constraints(struct loader *L, struct ts_field *f, yaml_node_t *map)
{
	static const char *const known[] = {
		"required", "unique", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
		"minLength", "maxLength", "pattern", "enum", NULL,
	};
	if (!ydoc_is_map(map))
		return fail(L, map, "field \"%s\": \"constraints\" must be a mapping", f->name);
	if (no_duplicates(L, map))
		return -1;
	for (size_t i = 0; i < ydoc_len(map); i++) {
		yaml_node_t *k = ydoc_key(&L->doc, map, i), *v = ydoc_value(&L->doc, map, i);
		const char *key = ydoc_str(k);
		if (!key || !key_is(key, known)) {
			warn_unknown(L, k, "constraints");
			continue;
		}
		char err[256];
		if (!strcmp(key, "enum")) {
			char **vals;
			size_t n;
			if (is_json_type(f->type) && ydoc_is_seq(v)) {
				/* objects and arrays written as such, as the spec's enum of
				 * JSON values has them; each is taken as its JSON text */
				n = ydoc_len(v);
				vals = xcalloc(n + 1, sizeof *vals);
				for (size_t j = 0; j < n; j++) {
					yaml_node_t *item = ydoc_item(&L->doc, v, j);
					struct sbuf b = { 0 };
					if (ydoc_is_scalar(item))
						sbuf_add(&b, ydoc_str(item), strlen(ydoc_str(item)));
					else
						canon_node(&L->doc, item, &b);
					vals[j] = b.s ? b.s : xstrdup("");
				}
			} else if (string_list(L, v, "enum", false, true, &vals, &n) != 0) {
				return -1;
			}
			if (!n) { /* no value could pass: surely not what was meant */
				free_list(vals, n);
				return fail(L, v, "field \"%s\": constraint \"enum\" lists no value", f->name);
			}
			int rc = ts_enum_from_list(f, vals, n, err, sizeof err);
			free_list(vals, n);
			if (rc)
				return fail(L, v, "field \"%s\": constraint \"enum\": %s", f->name, err);
			continue;
		}
		enum ts_constraint c = TSC_REQUIRED;
		for (size_t j = 0; known[j]; j++)
			if (!strcmp(key, known[j]))
				c = (enum ts_constraint)j;
		if (!ydoc_is_scalar(v))
			return fail(L, v, "field \"%s\": constraint \"%s\" must be a single value", f->name, key);
		if (ts_set_constraint(f, c, ydoc_str(v), err, sizeof err) != 0)
			return fail(L, v, "field \"%s\": constraint \"%s\": %s", f->name, key, err);
	}
	return 0;
}

static int load_char(struct loader *L, struct ts_field *f, yaml_node_t *v, const char *key, char *out)
{
	const char *s = ydoc_str(v);
	if (!s || strlen(s) != 1)
		return fail(L, v, "field \"%s\": \"%s\" must be a single character", f->name, key);
	*out = s[0];
	return 0;
}

static int load_field(struct loader *L, yaml_node_t *n)
{
	static const char *const known[] = {
		"name", "type", "format", "title", "description", "example", "constraints", "trueValues",
		"falseValues", "decimalChar", "groupChar", "bareNumber", "rdfType", "missingValues", NULL,
	};
	if (!ydoc_is_map(n))
		return fail(L, n, "each of \"fields\" must be a mapping");
	if (no_duplicates(L, n))
		return -1;
	const char *name = ydoc_str(ydoc_get(&L->doc, n, "name"));
	if (!name || !*name)
		return fail(L, n, "field without a \"name\"");
	if (ts_field_index(L->s, name) >= 0)
		return fail(L, n, "field \"%s\" is declared twice", name);
	struct ts_field *f = ts_add_field(L->s, name);
	yaml_node_t *type = ydoc_get(&L->doc, n, "type");
	if (type && (!ydoc_str(type) || !ts_type_parse(ydoc_str(type), &f->type)))
		return fail(L, type, "field \"%s\": type \"%s\" is not supported (%s)", name,
			    ydoc_str(type) ? ydoc_str(type) : "?", TS_TYPE_NAMES);
	yaml_node_t *format = ydoc_get(&L->doc, n, "format");
	if (format && load_format(L, f, format) != 0)
		return -1;
	/* Number options come before constraints, which are parsed with them. */
	for (size_t i = 0; i < ydoc_len(n); i++) {
		yaml_node_t *k = ydoc_key(&L->doc, n, i), *v = ydoc_value(&L->doc, n, i);
		const char *key = ydoc_str(k);
		int rc = 0;
		if (!key || !key_is(key, known))
			warn_unknown(L, k, name);
		else if (!strcmp(key, "decimalChar"))
			rc = load_char(L, f, v, key, &f->decimal_char);
		else if (!strcmp(key, "groupChar"))
			rc = load_char(L, f, v, key, &f->group_char);
		else if (!strcmp(key, "bareNumber"))
			f->bare_number = !(ydoc_str(v) && !strcmp(ydoc_str(v), "false"));
		else if (!strcmp(key, "trueValues")) {
			free_list(f->true_values, f->n_true);
			rc = string_list(L, v, "trueValues", false, false, &f->true_values, &f->n_true);
		} else if (!strcmp(key, "falseValues")) {
			free_list(f->false_values, f->n_false);
			rc = string_list(L, v, "falseValues", false, false, &f->false_values, &f->n_false);
		} else if (!strcmp(key, "missingValues")) {
			free_list(f->missing_values, f->n_missing);
			rc = missing_list(L, v, &f->missing_values, &f->n_missing);
		}
		if (rc)
			return -1;
	}
	if (f->group_char && f->group_char == f->decimal_char)
		return fail(L, n, "field \"%s\": decimalChar and groupChar are both '%c'", name, f->group_char);
	yaml_node_t *constraints = ydoc_get(&L->doc, n, "constraints");
	return constraints ? load_constraints(L, f, constraints) : 0;
}

/* A list of field names (or one name) as field indexes. */
static int load_key(struct loader *L, yaml_node_t *n, const char *what, struct ts_key *key)
{
	char **names;
	size_t count;
	if (string_list(L, n, what, true, false, &names, &count) != 0)
		return -1;
	key->cols = xcalloc(count, sizeof *key->cols);
	key->n = count;
	int rc = 0;
	for (size_t i = 0; i < count && !rc; i++) {
		long idx = ts_field_index(L->s, names[i]);
		if (idx < 0)
			rc = fail(L, n, "%s: no field named \"%s\"", what, names[i]);
		else
			key->cols[i] = (size_t)idx;
		for (size_t j = 0; j < i && !rc; j++)
			if (key->cols[j] == key->cols[i])
				rc = fail(L, n, "%s: field \"%s\" is listed twice", what, names[i]);
	}
	free_list(names, count);
	return rc;
}

static int load_foreign_key(struct loader *L, yaml_node_t *n, struct ts_foreign_key *fk)
{
	if (!ydoc_is_map(n))
		return fail(L, n, "each of \"foreignKeys\" must be a mapping");
	if (no_duplicates(L, n) || (ydoc_is_map(ydoc_get(&L->doc, n, "reference")) &&
				     no_duplicates(L, ydoc_get(&L->doc, n, "reference"))))
		return -1;
	yaml_node_t *fields = ydoc_get(&L->doc, n, "fields"), *ref = ydoc_get(&L->doc, n, "reference");
	if (!fields || !ydoc_is_map(ref))
		return fail(L, n, "foreignKeys: \"fields\" and a \"reference\" mapping are required");
	if (load_key(L, fields, "foreignKeys.fields", &fk->local) != 0)
		return -1;
	const char *resource = ydoc_str(ydoc_get(&L->doc, ref, "resource"));
	if (!resource || !*resource)
		return fail(L, ref, "foreignKeys.reference: \"resource\" must name a CSV file "
				    "(references within the same file are not supported)");
	yaml_node_t *rf = ydoc_get(&L->doc, ref, "fields");
	if (!rf || string_list(L, rf, "foreignKeys.reference.fields", true, false, &fk->ref_fields, &fk->n_ref) != 0)
		return rf ? -1 : fail(L, ref, "foreignKeys.reference: \"fields\" is required");
	if (fk->n_ref != fk->local.n)
		return fail(L, ref, "foreignKeys: %zu fields refer to %zu", fk->local.n, fk->n_ref);
	fk->resource = xstrdup(resource);
	const char *slash = strrchr(L->s->path, '/');
	if (resource[0] == '/' || !slash) {
		fk->path = xstrdup(resource);
	} else {
		size_t dir = (size_t)(slash - L->s->path) + 1;
		fk->path = xcalloc(dir + strlen(resource) + 1, 1);
		memcpy(fk->path, L->s->path, dir);
		strcpy(fk->path + dir, resource);
	}
	return 0;
}

static int load_schema(struct loader *L)
{
	static const char *const known[] = {
		"fields", "missingValues", "primaryKey", "uniqueKeys", "foreignKeys", "name", "title",
		"description", "$schema", "profile", "version", "created", "homepage", "keywords",
		"fieldsMatch", NULL,
	};
	yaml_node_t *root = ydoc_root(&L->doc);
	if (!ydoc_is_map(root))
		return fail(L, root, "a Table Schema must be a mapping with \"fields\"");
	if (no_duplicates(L, root))
		return -1;
	yaml_node_t *fields = ydoc_get(&L->doc, root, "fields");
	if (!ydoc_is_seq(fields))
		return fail(L, fields ? fields : root, "\"fields\" must be a list of fields");
	for (size_t i = 0; i < ydoc_len(fields); i++)
		if (load_field(L, ydoc_item(&L->doc, fields, i)) != 0)
			return -1;
	for (size_t i = 0; i < ydoc_len(root); i++) {
		yaml_node_t *k = ydoc_key(&L->doc, root, i), *v = ydoc_value(&L->doc, root, i);
		const char *key = ydoc_str(k);
		if (!key || !key_is(key, known)) {
			warn_unknown(L, k, "schema");
		} else if (!strcmp(key, "fieldsMatch")) {
			const char *m = ydoc_str(v);
			bool found = false;
			for (int j = TS_MATCH_EXACT; m && j <= TS_MATCH_PARTIAL && !found; j++)
				if (!strcmp(m, ts_fields_match_name((enum ts_fields_match)j))) {
					L->s->fields_match = (enum ts_fields_match)j;
					found = true;
				}
			if (!found)
				return fail(L, v, "\"fieldsMatch\" must be exact, equal, subset, superset or partial");
		} else if (!strcmp(key, "missingValues")) {
			free_list(L->s->missing_values, L->s->n_missing);
			if (missing_list(L, v, &L->s->missing_values, &L->s->n_missing))
				return -1;
		} else if (!strcmp(key, "primaryKey")) {
			if (load_key(L, v, "primaryKey", &L->s->primary_key) != 0)
				return -1;
			for (size_t j = 0; j < L->s->primary_key.n; j++) /* a key part cannot be missing */
				L->s->fields[L->s->primary_key.cols[j]].required = true;
		} else if (!strcmp(key, "uniqueKeys")) {
			if (!ydoc_is_seq(v))
				return fail(L, v, "\"uniqueKeys\" must be a list of field lists");
			L->s->unique_keys = xcalloc(ydoc_len(v), sizeof *L->s->unique_keys);
			for (size_t j = 0; j < ydoc_len(v); j++) {
				L->s->n_unique_keys++; /* counted first, so ts_free frees a half-loaded one */
				if (load_key(L, ydoc_item(&L->doc, v, j), "uniqueKeys", &L->s->unique_keys[j]))
					return -1;
			}
		} else if (!strcmp(key, "foreignKeys")) {
			if (!ydoc_is_seq(v))
				return fail(L, v, "\"foreignKeys\" must be a list");
			L->s->foreign_keys = xcalloc(ydoc_len(v), sizeof *L->s->foreign_keys);
			for (size_t j = 0; j < ydoc_len(v); j++) {
				L->s->n_foreign_keys++;
				if (load_foreign_key(L, ydoc_item(&L->doc, v, j), &L->s->foreign_keys[j]))
					return -1;
			}
		}
	}
	return 0;
}

const char *ts_fields_match_name(enum ts_fields_match m)
{
	static const char *const names[] = { "exact", "equal", "subset", "superset", "partial" };
	return names[m];
}

static void schema_init(struct ts_schema *s, const char *path)
{
	memset(s, 0, sizeof *s);
	s->path = xstrdup(path);
	s->missing_values = xcalloc(1, sizeof(char *));
	s->missing_values[0] = xstrdup("");
	s->n_missing = 1;
}

int ts_load(struct ts_schema *s, const char *path, char *err, size_t errlen)
{
	schema_init(s, path);
	struct loader L = { .s = s, .err = err, .errlen = errlen };
	if (ydoc_load(&L.doc, path, err, errlen) != 0)
		return -1;
	int rc = load_schema(&L);
	ydoc_free(&L.doc);
	return rc;
}

void ts_init_empty(struct ts_schema *s)
{
	schema_init(s, "(command line)");
}

static void free_key(struct ts_key *k)
{
	free(k->cols);
}

void ts_free(struct ts_schema *s)
{
	for (size_t i = 0; i < s->nfields; i++) {
		struct ts_field *f = &s->fields[i];
		free(f->name);
		free(f->format);
		free(f->pattern);
		if (f->regex)
			pcre2_code_free(f->regex);
		free_list(f->enum_values, f->n_enum);
		free(f->enum_lens);
		free(f->enum_parsed);
		free_list(f->true_values, f->n_true);
		free_list(f->false_values, f->n_false);
		free_list(f->missing_values, f->n_missing);
	}
	free(s->fields);
	free_list(s->missing_values, s->n_missing);
	free_key(&s->primary_key);
	for (size_t i = 0; i < s->n_unique_keys; i++)
		free_key(&s->unique_keys[i]);
	free(s->unique_keys);
	for (size_t i = 0; i < s->n_foreign_keys; i++) {
		struct ts_foreign_key *fk = &s->foreign_keys[i];
		free_key(&fk->local);
		free(fk->resource);
		free(fk->path);
		free_list(fk->ref_fields, fk->n_ref);
	}
	free(s->foreign_keys);
	free(s->path);
	memset(s, 0, sizeof *s);
}
