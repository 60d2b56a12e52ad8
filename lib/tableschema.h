/* SPDX-License-Identifier: MIT
 * Frictionless Table Schemas (JSON or YAML): loading, and parsing cell
 * values by field type. validate checks data with it; pgload --create makes
 * tables from it.
 *
 * Supported (Table Schema v2 where it differs from v1): field types
 * string (formats email, uri, uuid, binary as base64), integer, number
 * (with NaN, INF and -INF in any case), boolean, date, datetime (an offset
 * or Z optional: without one the value is taken as UTC), time, year,
 * yearmonth, duration (XML Schema's PnYnMnDTnHnMnS), any, object and array
 * (one JSON object or array: RFC 8259's grammar, then read with libyaml
 * through ydoc), geopoint (formats default "lon, lat", array, object) and
 * geojson (a GeoJSON object, or with format topojson a Topology, by its
 * type members), list (items split at the field's delimiter, each read as
 * a value of its itemType in the default format); date/time patterns with strptime directives (%Y %y %m %d
 * %e %j %b %B %h %a %A %H %I %M %S %f %p %z %Z %T %F %%), any other
 * directive being an error. Constraints required, unique, minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum, minLength, maxLength (characters, or
 * items of an object or array), pattern (a whole-value match, PCRE2
 * syntax, which covers XML Schema's \d, \w and friends), enum, jsonSchema
 * (object and array: a subset of JSON Schema, TS_JSON_SCHEMA_KEYWORDS in
 * tableschema_int.h, any other keyword an error); a constraint the spec
 * does not apply to one of the newer types is an error. categories (string
 * and integer fields: the only values, by logical value; an enum beside
 * them must be a subset) and categoriesOrdered.
 * missingValues (strings or {value, label} objects) for the schema and
 * per field (a field's own replaces the schema's), primaryKey, uniqueKeys,
 * trueValues/falseValues, decimalChar/groupChar/bareNumber, and foreignKeys
 * whose reference is the same table (resource left out, or ""), or names a
 * resource: a CSV file (a path relative to the schema), or under a Data
 * Package (datapackage.h) a resource of the package.
 * Unknown keys, and formats a type does not have, are warned about and
 * ignored.
 *
 * Numbers are exact decimals: they are compared digit by digit and never
 * turned into floating point. Dates and times are proleptic Gregorian;
 * year 0 is refused, as PostgreSQL refuses it. */
#ifndef ELT_TABLESCHEMA_H
#define ELT_TABLESCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ts_type {
	TS_STRING, TS_INTEGER, TS_NUMBER, TS_BOOLEAN, TS_DATE, TS_DATETIME, TS_TIME, TS_YEAR,
	TS_YEARMONTH, TS_DURATION, TS_ANY, TS_OBJECT, TS_ARRAY, TS_GEOPOINT, TS_GEOJSON, TS_LIST,
};

/* A number that is not a finite decimal. */
enum ts_special { TS_FINITE, TS_NAN, TS_INF /* sign says which */ };

/* A parsed cell value, comparable with values of the same field. Numbers
 * point into a normalised digit buffer owned by whoever parsed them. */
struct ts_value {
	enum ts_type type;
	bool boolean;
	int64_t i;       /* date: days since 1970-01-01; datetime: UTC microseconds since
			    1970; time: microseconds of the day; year: the year;
			    yearmonth: months since year 0; duration: its
			    microseconds (days and smaller); object, array,
			    list: items */
	int64_t months;  /* duration: its years and months, in months */
	enum ts_special special; /* number */
	int sign;        /* number, integer: -1, 0 or 1 */
	int64_t exp;     /* number, integer: value = 0.digits × 10^exp */
	const char *digits; /* number, integer: significant digits, no leading/trailing zeros */
	size_t ndigits;
};

/* Bounds keep their digits in a buffer of their own. */
struct ts_bound {
	bool set;
	struct ts_value v;
	char digits[64];
	char text[64]; /* as written, for messages */
};

enum ts_constraint {
	TSC_REQUIRED, TSC_UNIQUE, TSC_MINIMUM, TSC_MAXIMUM, TSC_EXCLUSIVE_MINIMUM,
	TSC_EXCLUSIVE_MAXIMUM, TSC_MIN_LENGTH, TSC_MAX_LENGTH, TSC_PATTERN, TSC_ENUM,
	TSC_JSON_SCHEMA, /* v2: a JSON Schema for object and array fields */
	TSC_CATEGORIES,  /* v2: not a constraint but a field property; named so in rejects */
};
/* "minimum", "exclusiveMaximum", ...: the names the spec uses. */
const char *ts_constraint_name(enum ts_constraint c);

struct ts_field {
	char *name;
	enum ts_type type;
	char *format;            /* NULL for the default */
	bool required, unique;
	struct ts_bound minimum, maximum, xminimum, xmaximum;
	int64_t min_length, max_length; /* -1 when not set */
	char *pattern;           /* as written, for messages */
	void *regex;             /* compiled pattern (pcre2_code) */
	bool regex_jit;          /* and compiled to machine code */
	char **enum_values;      /* as written */
	size_t *enum_lens;       /* their lengths */
	struct ts_value *enum_parsed; /* for typed comparison; digits point into enum_values */
	size_t n_enum;
	char **true_values, **false_values;
	size_t n_true, n_false;
	char decimal_char, group_char;
	bool bare_number;
	char **missing_values;   /* the field's own missingValues, or NULL for the schema's */
	size_t n_missing;
	/* list: how items are separated, and the field items are read by
	 * (default options and format of item_type) */
	char *delimiter;
	struct ts_field *item;
	/* categories (string and integer fields): the allowed values, kept
	 * as an enum is, and whether their order is meaningful */
	char **cat_values;
	size_t *cat_lens;
	struct ts_value *cat_parsed;
	size_t n_cat;
	bool categories_ordered;
	struct ts_json_schema *json_schema; /* the jsonSchema constraint, compiled */
	char *json_schema_text;  /* as canonical JSON, for messages */
};

struct ts_key {
	size_t *cols; /* field indexes */
	size_t n;
};

struct ts_foreign_key {
	struct ts_key local;
	char *resource;  /* as written; NULL for a reference to the same table
			    (the v2 spec's omitted resource, v1's "") */
	char *path;      /* resolved against the schema's directory; NULL for
			    the same table. Under a Data Package the resource
			    is a resource's name instead, and the package says
			    where its data is. */
	char **ref_fields;
	size_t n_ref;
};

/* How the schema's fields map onto a file's columns (fieldsMatch):
 * EXACT by position, the others by name, differing in what a missing or
 * an extra column means. */
enum ts_fields_match {
	TS_MATCH_EXACT,    /* the same fields, in the same order (the default) */
	TS_MATCH_EQUAL,    /* the same fields, in any order */
	TS_MATCH_SUBSET,   /* every field; other columns too */
	TS_MATCH_SUPERSET, /* only fields, maybe not all of them */
	TS_MATCH_PARTIAL,  /* at least one field; other columns too */
};
const char *ts_fields_match_name(enum ts_fields_match m);

struct ts_schema {
	char *path;
	enum ts_fields_match fields_match;
	struct ts_field *fields;
	size_t nfields;
	char **missing_values;
	size_t n_missing;
	struct ts_key primary_key;  /* n == 0: none */
	struct ts_key *unique_keys;
	size_t n_unique_keys;
	struct ts_foreign_key *foreign_keys;
	size_t n_foreign_keys;
};

/* Loads a schema. Returns 0, or -1 with err holding "FILE:LINE: key "x": what is
 * wrong". Unknown keys are reported through log_warn(). */
int ts_load(struct ts_schema *s, const char *path, char *err, size_t errlen);
void ts_free(struct ts_schema *s);

/* Loads a schema written inside another document (a Data Package's
 * resource): root is its node in doc, path the document's file, which
 * messages name and relative references are resolved against. Returns as
 * ts_load() does; free with ts_free() either way. */
struct ydoc;
struct yaml_node_s;
int ts_load_node(struct ts_schema *s, struct ydoc *doc, struct yaml_node_s *root, const char *path, char *err,
		 size_t errlen);

/* An empty schema (no fields, missingValues [""]) to build from command-line
 * rules. Free with ts_free(). */
void ts_init_empty(struct ts_schema *s);

/* Adds an untyped string field (for rules given on the command line) and
 * returns it. The pointer is good until the next field is added. */
struct ts_field *ts_add_field(struct ts_schema *s, const char *name);
/* Index of the named field, or -1. */
long ts_field_index(const struct ts_schema *s, const char *name);
/* Parses a type name ("integer"); false if unknown. */
bool ts_type_parse(const char *name, enum ts_type *type);
const char *ts_type_name(enum ts_type t);
/* Sets a bound, a length, a pattern or an enum from text, as the schema file
 * would. Returns 0, or -1 with a message in err. */
int ts_set_constraint(struct ts_field *f, enum ts_constraint c, const char *text,
		      char *err, size_t errlen);

/* Sets the field's enum constraint from a list of values, parsed by the
 * field's type (set the type first). Returns 0, or -1 with a message in err. */
int ts_enum_from_list(struct ts_field *f, char **values, size_t n, char *err, size_t errlen);

/* True when the cell is one of the schema's missing values. */
bool ts_is_missing(const struct ts_schema *s, const char *cell, size_t len);
/* True when the cell is one of the field's missing values: its own
 * missingValues when it has them, else the schema's. */
bool ts_field_is_missing(const struct ts_schema *s, size_t field, const char *cell, size_t len);
/* True when the only missing value of every field is "" (the default):
 * then a cell is missing exactly when it is empty. */
bool ts_missing_only_empty(const struct ts_schema *s);

/* Parses a cell by the field's type. digits is scratch space of at least
 * len + 2 bytes for numbers. Returns true, or false with why set to a short
 * reason that reads after the value ("is not a calendar date", ...). */
bool ts_parse(const struct ts_field *f, const char *cell, size_t len, struct ts_value *v,
	      char *digits, const char **why);
/* Compares two values of the same type: <0, 0, >0. Numbers order as
 * PostgreSQL orders them: -INF, the finite ones, INF, then NaN (equal to
 * itself). Durations that XML Schema leaves unordered fall back to months,
 * then the rest. Objects, arrays, geopoints and geojson compare equal. */
int ts_compare(const struct ts_value *a, const struct ts_value *b);

/* What minLength and maxLength count in the field's values: "items" for
 * an object or array, else "characters". */
const char *ts_length_unit(const struct ts_field *f);

/* Checks the constraints other than required and unique on a parsed value.
 * A duration's bounds hold only when they hold from every starting date
 * (XML Schema's partial order: P1M is neither above nor below P30D); NaN
 * is within no bound. An enum of an object, array, geopoint or geojson
 * field compares values as JSON (key order, spacing and number spelling
 * aside).
 * Returns true, or false with *failed set. Patterns use PCRE2 with UCP, so
 * \d, \w and friends are Unicode classes, as in XML Schema. */
bool ts_check(const struct ts_field *f, const char *cell, size_t len, const struct ts_value *v,
	      enum ts_constraint *failed);
/* ts_check() may be called from several threads at once; a thread that
 * called it calls this before it ends, to free what it kept for patterns. */
void ts_thread_done(void);
/* After ts_check() failed on TSC_PATTERN: NULL when the value does not
 * match, else why the pattern could not be matched at all (PCRE2's message,
 * e.g. its match limit), which says nothing about the value. Per thread. */
const char *ts_match_error(void);
/* After ts_check() failed on TSC_JSON_SCHEMA: where in the value and why
 * ("/qty: is not of type integer"). Per thread. */
const char *ts_json_schema_error(void);

#endif
