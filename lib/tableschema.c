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

static const char *const type_names[] = {
	[TS_STRING] = "string", [TS_INTEGER] = "integer", [TS_NUMBER] = "number",
	[TS_BOOLEAN] = "boolean", [TS_DATE] = "date", [TS_DATETIME] = "datetime",
	[TS_TIME] = "time", [TS_YEAR] = "year",
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
	v->sign = n ? sign : 0;
	v->digits = digits;
	v->ndigits = n;
	v->exp = n ? exp + int_digits : 0;
	return true;
}

static int compare_decimal(const struct ts_value *a, const struct ts_value *b)
{
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

/* Formats with strptime-like directives: %Y %m %d %H %M %S %z and literals. */
static bool parse_with_format(const char *fmt, const char *s, size_t len, struct civil *c,
			      const char **why)
{
	const char *p = s, *end = s + len;
	*c = (struct civil){ .year = 1970, .month = 1, .day = 1 };
	for (const char *f = fmt; *f; f++) {
		bool ok = true;
		if (*f != '%') {
			ok = expect(&p, end, *f);
		} else {
			switch (*++f) {
			case 'Y': ok = read_digits(&p, end, 4, &c->year); break;
			case 'm': ok = read_digits(&p, end, 2, &c->month); break;
			case 'd': ok = read_digits(&p, end, 2, &c->day); break;
			case 'H': ok = read_digits(&p, end, 2, &c->hour) && c->hour <= 23; break;
			case 'M': ok = read_digits(&p, end, 2, &c->minute) && c->minute <= 59; break;
			case 'S': ok = read_digits(&p, end, 2, &c->second) && c->second <= 59; break;
			case 'z': ok = parse_offset(&p, end, c, why) && c->has_offset; break;
			case '%': ok = expect(&p, end, '%'); break;
			default: ok = false;
			}
		}
		if (!ok) {
			*why = "does not match the format";
			return false;
		}
	}
	if (p != end) {
		*why = "does not match the format";
		return false;
	}
	return true;
}

/* Checks a format string when the schema is loaded. */
static bool format_supported(const char *fmt)
{
	for (const char *f = fmt; *f; f++)
		if (*f == '%' && (!f[1] || !strchr("YmdHMSz%", *++f))) /* strchr finds the NUL too */
			return false;
	return true;
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
	} else if (!parse_with_format(f->format, s, len, &c, why)) {
		return false;
	}
	if (!check_date(&c, why))
		return false;
	v->i = cal_days_from_civil(c.year, c.month, c.day);
	return true;
}

static bool parse_datetime_value(const struct ts_field *f, const char *s, size_t len, struct ts_value *v,
				 const char **why)
{
	struct civil c = { 0 };
	const char *p = s, *end = s + len;
	bool lenient = f->format && !strcmp(f->format, "any");
	if (is_default_format(f->format) || lenient) {
		/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM); "any" also takes a
		 * space for the T, no seconds and no offset (then UTC). */
		if (!read_digits(&p, end, 4, &c.year) || !expect(&p, end, '-') ||
		    !read_digits(&p, end, 2, &c.month) || !expect(&p, end, '-') ||
		    !read_digits(&p, end, 2, &c.day) ||
		    !(expect(&p, end, 'T') || expect(&p, end, 't') || (lenient && expect(&p, end, ' ')))) {
			*why = "is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS with Z or an offset)";
			return false;
		}
		if (!parse_clock(&p, end, &c, lenient, why) || !parse_offset(&p, end, &c, why))
			return false;
		if (p != end || (!c.has_offset && !lenient)) {
			*why = "is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS with Z or an offset)";
			return false;
		}
	} else if (!parse_with_format(f->format, s, len, &c, why)) {
		return false;
	}
	if (!check_date(&c, why) || !check_leap_second(&c, why))
		return false;
	int64_t days = cal_days_from_civil(c.year, c.month, c.day);
	int64_t secs = days * 86400 + c.hour * 3600 + c.minute * 60 + c.second - c.offset_minutes * 60;
	v->i = secs * 1000000 + c.micros;
	return true;
}

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
		return parse_decimal(f, cell, len, false, v, digits, why);
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
	default:
		return a->i < b->i ? -1 : a->i > b->i;
	}
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
		if (f->minimum.set && compare_bound(v, &f->minimum) < 0)
			return *failed = TSC_MINIMUM, false;
		if (f->maximum.set && compare_bound(v, &f->maximum) > 0)
			return *failed = TSC_MAXIMUM, false;
		if (f->xminimum.set && compare_bound(v, &f->xminimum) <= 0)
			return *failed = TSC_EXCLUSIVE_MINIMUM, false;
		if (f->xmaximum.set && compare_bound(v, &f->xmaximum) >= 0)
			return *failed = TSC_EXCLUSIVE_MAXIMUM, false;
	}
	if (f->min_length >= 0 || f->max_length >= 0) {
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
		for (size_t i = 0; i < f->n_enum && !found; i++)
			found = f->type == TS_STRING ? f->enum_lens[i] == len && !memcmp(f->enum_values[i], cell, len)
						     : ts_compare(v, &f->enum_parsed[i]) == 0;
		if (!found)
			return *failed = TSC_ENUM, false;
	}
	return true;
}

bool ts_is_missing(const struct ts_schema *s, const char *cell, size_t len)
{
	return in_list(s->missing_values, s->n_missing, cell, len);
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
	if (f->type == TS_STRING || f->type == TS_BOOLEAN) {
		*why = "applies only to numbers, dates and times";
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

int ts_set_constraint(struct ts_field *f, enum ts_constraint c, const char *text, char *err, size_t errlen)
{
	const char *why = NULL;
	int rc = 0;
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
	if (f->type == TS_STRING)
		return 0;
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
			if (string_list(L, v, "enum", false, true, &vals, &n) != 0)
				return -1;
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
		"falseValues", "decimalChar", "groupChar", "bareNumber", "rdfType", NULL,
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
		return fail(L, type, "field \"%s\": type \"%s\" is not supported (string, integer, number, "
				     "boolean, date, datetime, time, year)",
			    name, ydoc_str(type) ? ydoc_str(type) : "?");
	yaml_node_t *format = ydoc_get(&L->doc, n, "format");
	if (format) {
		if (!is_string(format))
			return fail(L, format, "field \"%s\": \"format\" must be a string", name);
		/* "default" is kept as NULL, so that no cell compares strings for it */
		f->format = strcmp(ydoc_str(format), "default") ? xstrdup(ydoc_str(format)) : NULL;
		bool temporal = f->type == TS_DATE || f->type == TS_DATETIME || f->type == TS_TIME;
		if (temporal && !is_default_format(f->format) && strcmp(f->format, "any") &&
		    !format_supported(f->format))
			return fail(L, format, "field \"%s\": format \"%s\" uses a directive other than %%Y %%m %%d %%H %%M %%S %%z",
				    name, f->format);
	}
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
		} else if (!strcmp(key, "missingValues")) {
			free_list(L->s->missing_values, L->s->n_missing);
			if (string_list(L, v, "missingValues", false, false, &L->s->missing_values, &L->s->n_missing))
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
