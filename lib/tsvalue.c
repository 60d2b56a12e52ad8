/* SPDX-License-Identifier: MIT
 * Table Schema cell values: a cell parsed by its field's type (exact
 * decimals, booleans, dates and times, years, durations, string formats),
 * parsed values compared, and checked against the field's constraints and
 * missing values; see tableschema.h.
 *
 * This is validate's hot path (millions of cells a second), so it works on
 * (pointer, length) pairs in place, allocates nothing, and runs pattern
 * constraints through PCRE2's JIT. The parsers of the common types live
 * here beside ts_parse() and ts_check(), their only callers, so that the
 * compiler may inline them; date patterns (tsstrptime.c) and JSON values
 * (tsjson.c) are called out of line. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tableschema_int.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caltime.h"
#include "exitcode.h"
#include "log.h"

/* ---- numbers: exact decimals ---- */

/* Parses an integer or decimal into sign, significant digits and exponent
 * (value = 0.d1d2d3... × 10^exp). digits needs len + 1 bytes. */
bool parse_decimal(const struct ts_field *f, const char *s, size_t len, bool integer,
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

int compare_decimal(const struct ts_value *a, const struct ts_value *b)
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

/* list: items split at the delimiter, each read as a value of the item
 * type (v->i: how many). An empty cell never gets here (it is missing), so
 * a list has at least one item; an empty item is a value like any other,
 * which only a string item takes. */
static bool parse_list(const struct ts_field *f, const char *cell, size_t len, struct ts_value *v, char *digits,
		       const char **why)
{
	/* A field made list from the command line has the spec's defaults:
	 * "," between items, each a string. */
	const char *p = cell, *end = cell + len, *d = f->delimiter ? f->delimiter : ",";
	size_t dlen = strlen(d);
	enum ts_type item_type = f->item ? f->item->type : TS_STRING;
	int64_t items = 0;
	for (;;) {
		const char *next = p;
		while (next < end && ((size_t)(end - next) < dlen || memcmp(next, d, dlen)))
			next++;
		if (next + dlen > end)
			next = end;
		struct ts_value item;
		if (item_type != TS_STRING && !ts_parse(f->item, p, (size_t)(next - p), &item, digits, why)) {
			static _Thread_local char msg[96];
			snprintf(msg, sizeof msg, "has item %lld that is not a%s %s", (long long)items + 1,
				 item_type == TS_INTEGER ? "n" : "", ts_type_name(item_type));
			*why = msg;
			return false;
		}
		items++;
		if (next == end)
			break;
		p = next + dlen;
	}
	v->i = items;
	return true;
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
	case TS_LIST:
		return parse_list(f, cell, len, v, digits, why);
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
	case TS_LIST:
		return 0;
	default:
		return a->i < b->i ? -1 : a->i > b->i;
	}
}

const char *ts_length_unit(const struct ts_field *f)
{
	return f->type == TS_OBJECT || f->type == TS_ARRAY || f->type == TS_LIST ? "items" : "characters";
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
/* Where and why this thread's last value failed its jsonSchema. */
static _Thread_local char json_schema_error[256];

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
	if ((f->type == TS_OBJECT || f->type == TS_ARRAY || f->type == TS_LIST) &&
	    (f->min_length >= 0 || f->max_length >= 0)) {
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
		} else if (f->type == TS_STRING || f->type == TS_ANY || f->type == TS_LIST) {
			for (size_t i = 0; i < f->n_enum && !found; i++)
				found = f->enum_lens[i] == len && !memcmp(f->enum_values[i], cell, len);
		} else {
			for (size_t i = 0; i < f->n_enum && !found; i++)
				found = ts_compare(v, &f->enum_parsed[i]) == 0;
		}
		if (!found)
			return *failed = TSC_ENUM, false;
	}
	if (f->n_cat) { /* string or integer only */
		bool found = false;
		for (size_t i = 0; i < f->n_cat && !found; i++)
			found = f->type == TS_INTEGER ? ts_compare(v, &f->cat_parsed[i]) == 0
						      : f->cat_lens[i] == len && !memcmp(f->cat_values[i], cell, len);
		if (!found)
			return *failed = TSC_CATEGORIES, false;
	}
	if (f->json_schema) {
		json_schema_error[0] = '\0';
		if (!json_schema_check(f->json_schema, cell, len, json_schema_error, sizeof json_schema_error))
			return *failed = TSC_JSON_SCHEMA, false;
	}
	return true;
}

const char *ts_json_schema_error(void)
{
	return json_schema_error;
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
