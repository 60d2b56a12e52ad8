/* SPDX-License-Identifier: MIT
 * Inside the Table Schema module: what its files share with one another
 * and with no one else. tableschema.c holds the names and the loading,
 * tsvalue.c parses and checks cell values, tsstrptime.c reads date
 * patterns, tsjson.c JSON values. Programs include tableschema.h, the API.
 *
 * The helpers that ts_parse() calls for every number or date cell, and
 * that another file also needs, are static inline here, so that tsvalue.c
 * keeps them inlinable on validate's hot path; the rest are ordinary
 * functions, called out of line. */
#ifndef ELT_TABLESCHEMA_INT_H
#define ELT_TABLESCHEMA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "caltime.h"
#include "strptime.h"
#include "tableschema.h"
#include "ydoc.h"

/* ---- exact decimals (tsvalue.c) ---- */

/* True for '0' to '9'. */
static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads an integer or decimal cell by f's number options into v (digits: len + 1 bytes); false with *why. */
bool parse_decimal(const struct ts_field *f, const char *s, size_t len, bool integer,
		   struct ts_value *v, char *digits, const char **why);

/* Orders two numbers parsed by parse_decimal(): -1, 0 or 1, as ts_compare() does. */
int compare_decimal(const struct ts_value *a, const struct ts_value *b);

/* ---- dates and times (tsvalue.c, tsstrptime.c) ---- */

/* A date and time as read from a cell, before it becomes a ts_value:
 * struct civil, of strptime.h. */

/* Reads exactly n digits. */
static inline bool read_digits(const char **p, const char *end, int n, int *out)
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

/* Steps over c when it comes next; false, nothing read, when it does not. */
static inline bool expect(const char **p, const char *end, char c)
{
	if (*p < end && **p == c) {
		(*p)++;
		return true;
	}
	return false;
}

/* True when c's year, month and day are a real date (there is no year 0); false with *why set. */
static inline bool check_date(const struct civil *c, const char **why)
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

/* True when a field's format is the default: none given, or "default". */
static inline bool is_default_format(const char *fmt)
{
	return !fmt || !strcmp(fmt, "default");
}

/* ---- strptime patterns (tsstrptime.c) ---- */

/* tsstrptime.c's supported_directives, as the loader lists them in its error. */
#define SUPPORTED_DIRECTIVES_TEXT "%Y %y %m %d %e %j %b %B %h %a %A %H %I %M %S %f %p %z %Z %T %F %%"

/* Reads the whole of s by the pattern fmt into c; false with *why set. */
bool parse_with_format(const char *fmt, const char *s, size_t len, struct civil *c, const char **why);

/* NULL when every directive of fmt can be read, else the first that cannot ("%U"; "%" for a lone one). */
const char *format_unsupported(const char *fmt);

/* ---- JSON values (tsjson.c) ---- */

/* True for the types whose cells hold JSON: object, array, geopoint, geojson. */
static inline bool is_json_type(enum ts_type t)
{
	return t == TS_OBJECT || t == TS_ARRAY || t == TS_GEOPOINT || t == TS_GEOJSON;
}

/* Appends node n of d to b as canonical JSON: compact, keys in byte order, one spelling per number. */
void canon_node(struct ydoc *d, const yaml_node_t *n, struct buf *b);

/* Parses an object, array or geojson cell (v->i: its items), to canon as canonical JSON if given; false with *why. */
bool parse_json_value(const struct ts_field *f, const char *s, size_t len, struct ts_value *v,
		      struct buf *canon, const char **why);

/* Parses a geopoint cell by f's format (scratch: len + 1 bytes), to canon as [lon,lat] if given; false with *why. */
bool parse_geopoint(const struct ts_field *f, const char *s, size_t len, char *scratch,
		    struct buf *canon, const char **why);

/* The cell as canonical JSON, malloc'd for the caller; NULL with *why when it is no value of f's type. */
char *json_canonical(const struct ts_field *f, const char *s, size_t len, const char **why);

/* ---- the jsonSchema constraint (tsjson.c) ---- */

#define TS_JSON_SCHEMA_KEYWORDS "supported: type, properties, required, additionalProperties, items, enum, " \
	"minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, minItems, maxItems, pattern"

/* Compiles node n of d, a JSON Schema in the subset tableschema.h lists.
 * Returns it, or NULL with a message in err and *at the node at fault. */
struct ts_json_schema *json_schema_compile(struct ydoc *d, const yaml_node_t *n, char *err, size_t errlen,
					   const yaml_node_t **at);
void json_schema_free(struct ts_json_schema *js);
/* True when the cell, checked JSON of the field's type, conforms; else
 * false with why (where and what, "/a/0: is not of type integer"). */
bool json_schema_check(const struct ts_json_schema *js, const char *s, size_t len, char *why, size_t whylen);

/* ---- list (tsvalue.c) ---- */

/* The item types a list may have, as the spec names them. */
#define LIST_ITEM_TYPES "string, integer, boolean, number, datetime, date, time"

#endif
