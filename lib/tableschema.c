/* SPDX-License-Identifier: MIT
 * Frictionless Table Schemas: type and constraint names, and loading a
 * schema file into fields, constraints, keys and missing values; see
 * tableschema.h.
 *
 * The module's other files deal with cell values: tsvalue.c parses and
 * checks them (validate's hot path), tsstrptime.c reads date patterns,
 * tsjson.c JSON values; tableschema_int.h is what the files share. A
 * schema is small and loaded once: loading spends its care on messages
 * that name the file, the line and the key. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tableschema.h"

#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tableschema_int.h"
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
		[TSC_JSON_SCHEMA] = "jsonSchema",
		[TSC_CATEGORIES] = "categories",
	};
	return names[c];
}

#define TS_TYPE_NAMES "string, integer, number, boolean, date, datetime, time, year, yearmonth, " \
	"duration, any, object, array, geopoint, geojson, list"
static const char *const type_names[] = {
	[TS_STRING] = "string", [TS_INTEGER] = "integer", [TS_NUMBER] = "number",
	[TS_BOOLEAN] = "boolean", [TS_DATE] = "date", [TS_DATETIME] = "datetime",
	[TS_TIME] = "time", [TS_YEAR] = "year", [TS_YEARMONTH] = "yearmonth",
	[TS_DURATION] = "duration", [TS_ANY] = "any", [TS_OBJECT] = "object", [TS_ARRAY] = "array",
	[TS_GEOPOINT] = "geopoint", [TS_GEOJSON] = "geojson", [TS_LIST] = "list",
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

/* ---- loading ---- */

struct loader {
	struct ydoc *doc;
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
	yaml_node_t *dup = ydoc_duplicate_key(L->doc, map);
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
		yaml_node_t *item = ydoc_item(L->doc, n, i);
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
	if (f->type == TS_STRING || f->type == TS_BOOLEAN || f->type == TS_ANY || f->type == TS_LIST ||
	    is_json_type(f->type)) {
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
 * collections, a list's counting its items; bounds for ordered types;
 * pattern for strings only; jsonSchema for objects and arrays). The older
 * types keep what validate always took. */
static bool constraint_applies(enum ts_type t, enum ts_constraint c)
{
	switch (c) {
	case TSC_REQUIRED:
	case TSC_UNIQUE:
	case TSC_ENUM:
		return true;
	case TSC_MIN_LENGTH:
	case TSC_MAX_LENGTH:
		return t < TS_YEARMONTH || t == TS_OBJECT || t == TS_ARRAY || t == TS_LIST;
	case TSC_PATTERN:
		return t < TS_YEARMONTH;
	case TSC_JSON_SCHEMA:
		return t == TS_OBJECT || t == TS_ARRAY;
	case TSC_CATEGORIES:
		return t == TS_STRING || t == TS_INTEGER;
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
	case TSC_JSON_SCHEMA:
	case TSC_CATEGORIES:
		/* Lists and objects: loaded from the schema file, not from text. */
		why = "internal: not set from a single value";
		rc = -1;
		break;
	}
	if (rc)
		snprintf(err, errlen, "\"%s\" %s", text, why ? why : "is not valid");
	return rc;
}

/* A list of allowed values (an enum, or categories) as the field's type
 * reads them, for typed comparison: strings, lists and any as written,
 * JSON values as canonical JSON, the rest parsed. what names the list in
 * messages. */
struct value_list {
	char **values;
	size_t *lens;
	struct ts_value *parsed;
	size_t n;
};

static int prepare_values(const struct ts_field *f, struct value_list *l, const char *what, char *err, size_t errlen)
{
	l->parsed = xcalloc(l->n + 1, sizeof *l->parsed);
	if (f->type == TS_STRING || f->type == TS_ANY || f->type == TS_LIST)
		return 0;
	if (is_json_type(f->type)) { /* each value becomes its canonical JSON */
		for (size_t i = 0; i < l->n; i++) {
			const char *why;
			char *canon = json_canonical(f, l->values[i], l->lens[i], &why);
			if (!canon) {
				snprintf(err, errlen, "%s value \"%s\" %s", what, l->values[i], why);
				return -1;
			}
			free(l->values[i]);
			l->values[i] = canon;
			l->lens[i] = strlen(canon);
		}
		return 0;
	}
	struct ts_field plain = *f;
	plain.bare_number = true;
	for (size_t i = 0; i < l->n; i++) {
		const char *why;
		/* The value's own buffer is long enough for its digits. */
		if (!ts_parse(&plain, l->values[i], strlen(l->values[i]), &l->parsed[i],
			      l->values[i] + strlen(l->values[i]) + 1, &why)) {
			snprintf(err, errlen, "%s value \"%s\" %s", what, l->values[i], why);
			return -1;
		}
	}
	return 0;
}

static int values_from_list(const struct ts_field *f, struct value_list *l, char **values, size_t n, const char *what,
			    char *err, size_t errlen)
{
	/* Each value gets room after its terminator for its normalised digits. */
	l->values = xcalloc(n + 1, sizeof *l->values);
	l->lens = xcalloc(n + 1, sizeof *l->lens);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(values[i]);
		l->values[i] = xcalloc(2 * len + 3, 1);
		memcpy(l->values[i], values[i], len);
		l->lens[i] = len;
	}
	l->n = n;
	return prepare_values(f, l, what, err, errlen);
}

int ts_enum_from_list(struct ts_field *f, char **values, size_t n, char *err, size_t errlen)
{
	struct value_list l = { 0 };
	int rc = values_from_list(f, &l, values, n, "enum", err, errlen);
	f->enum_values = l.values;
	f->enum_lens = l.lens;
	f->enum_parsed = l.parsed;
	f->n_enum = l.n;
	return rc;
}

/* Whether value i of list a equals a value of list b, by the field's type. */
static bool value_in(const struct ts_field *f, char *const *av, const size_t *alen, const struct ts_value *ap,
		     size_t i, char *const *bv, const size_t *blen, const struct ts_value *bp, size_t bn)
{
	for (size_t j = 0; j < bn; j++) {
		if (f->type == TS_INTEGER ? ts_compare(&ap[i], &bp[j]) == 0
					  : alen[i] == blen[j] && !memcmp(av[i], bv[j], alen[i]))
			return true;
	}
	return false;
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
	if (!ydoc_is_seq(n) || !ydoc_len(n) || !ydoc_is_map(ydoc_item(L->doc, n, 0)))
		return string_list(L, n, "missingValues", false, false, out, count);
	size_t len = ydoc_len(n);
	*out = xcalloc(len, sizeof **out);
	*count = 0;
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *item = ydoc_item(L->doc, n, i), *value = ydoc_get(L->doc, item, "value");
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
		"minLength", "maxLength", "pattern", "enum", "jsonSchema", NULL,
	};
	if (!ydoc_is_map(map))
		return fail(L, map, "field \"%s\": \"constraints\" must be a mapping", f->name);
	if (no_duplicates(L, map))
		return -1;
	for (size_t i = 0; i < ydoc_len(map); i++) {
		yaml_node_t *k = ydoc_key(L->doc, map, i), *v = ydoc_value(L->doc, map, i);
		const char *key = ydoc_str(k);
		if (!key || !key_is(key, known)) {
			warn_unknown(L, k, "constraints");
			continue;
		}
		char err[256];
		if (!strcmp(key, "jsonSchema")) {
			if (!constraint_applies(f->type, TSC_JSON_SCHEMA))
				return fail(L, v, "field \"%s\": constraint \"jsonSchema\": does not apply to a field of type %s",
					    f->name, ts_type_name(f->type));
			const yaml_node_t *at;
			json_schema_free(f->json_schema);
			f->json_schema = json_schema_compile(L->doc, v, err, sizeof err, &at);
			if (!f->json_schema)
				return fail(L, at, "field \"%s\": constraint \"jsonSchema\": %s", f->name, err);
			struct buf b = { 0 };
			canon_node(L->doc, v, &b);
			free(f->json_schema_text);
			f->json_schema_text = buf_detach(&b);
			continue;
		}
		if (!strcmp(key, "enum")) {
			char **vals;
			size_t n;
			if (is_json_type(f->type) && ydoc_is_seq(v)) {
				/* objects and arrays written as such, as the spec's enum of
				 * JSON values has them; each is taken as its JSON text */
				n = ydoc_len(v);
				vals = xcalloc(n + 1, sizeof *vals);
				for (size_t j = 0; j < n; j++) {
					yaml_node_t *item = ydoc_item(L->doc, v, j);
					struct buf b = { 0 };
					if (ydoc_is_scalar(item))
						buf_adds(&b, ydoc_str(item));
					else
						canon_node(L->doc, item, &b);
					vals[j] = buf_detach(&b);
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

/* categories: a list of values, or of objects with a "value" (and a
 * label, which changes nothing here), unique, each a value of the field's
 * type (string or integer). */
static int load_categories(struct loader *L, struct ts_field *f, yaml_node_t *v)
{
	if (!constraint_applies(f->type, TSC_CATEGORIES))
		return fail(L, v, "field \"%s\": \"categories\" applies only to string and integer fields", f->name);
	if (!ydoc_is_seq(v) || !ydoc_len(v))
		return fail(L, v, "field \"%s\": \"categories\" must be a list of values or of objects with a \"value\"",
			    f->name);
	size_t n = ydoc_len(v);
	char **vals = xcalloc(n, sizeof *vals);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		yaml_node_t *item = ydoc_item(L->doc, v, i);
		if (ydoc_is_map(item)) {
			if (no_duplicates(L, item))
				rc = -1;
			item = ydoc_get(L->doc, item, "value");
		}
		if (!rc && (!ydoc_is_scalar(item) || ydoc_is_null(item)))
			rc = fail(L, item ? item : ydoc_item(L->doc, v, i),
				  "field \"%s\": each of \"categories\" must be a value or an object with a \"value\"",
				  f->name);
		if (!rc)
			vals[i] = xstrdup(ydoc_str(item));
	}
	char err[256];
	struct value_list l = { 0 };
	if (!rc && values_from_list(f, &l, vals, n, "categories", err, sizeof err) != 0)
		rc = fail(L, v, "field \"%s\": %s", f->name, err);
	for (size_t i = 1; !rc && i < n; i++)
		if (value_in(f, l.values, l.lens, l.parsed, i, l.values, l.lens, l.parsed, i))
			rc = fail(L, ydoc_item(L->doc, v, i), "field \"%s\": categories: \"%s\" is listed twice", f->name,
				  l.values[i]);
	f->cat_values = l.values;
	f->cat_lens = l.lens;
	f->cat_parsed = l.parsed;
	f->n_cat = l.n;
	free_list(vals, n);
	return rc;
}

/* A list's delimiter (any non-empty string) and itemType; its items are
 * read as values of a field of that type with the default format and
 * options, as the spec asks. */
static int load_list_options(struct loader *L, struct ts_field *f, yaml_node_t *n)
{
	static const char *const item_types[] = { "string", "integer", "boolean", "number", "datetime", "date",
						  "time", NULL };
	yaml_node_t *delim = ydoc_get(L->doc, n, "delimiter"), *item = ydoc_get(L->doc, n, "itemType");
	if (delim && (!ydoc_is_scalar(delim) || !*ydoc_str(delim)))
		return fail(L, delim, "field \"%s\": \"delimiter\" must be a non-empty string", f->name);
	f->delimiter = xstrdup(delim ? ydoc_str(delim) : ",");
	const char *type = item ? ydoc_str(item) : "string";
	if (!type || !key_is(type, item_types))
		return fail(L, item, "field \"%s\": itemType \"%s\" is not supported (" LIST_ITEM_TYPES ")", f->name,
			    type ? type : "?");
	f->item = xcalloc(1, sizeof *f->item);
	field_defaults(f->item, f->name);
	ts_type_parse(type, &f->item->type);
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
		"falseValues", "decimalChar", "groupChar", "bareNumber", "rdfType", "missingValues", "categories",
		"categoriesOrdered", "delimiter", "itemType", NULL,
	};
	if (!ydoc_is_map(n))
		return fail(L, n, "each of \"fields\" must be a mapping");
	if (no_duplicates(L, n))
		return -1;
	const char *name = ydoc_str(ydoc_get(L->doc, n, "name"));
	if (!name || !*name)
		return fail(L, n, "field without a \"name\"");
	if (ts_field_index(L->s, name) >= 0)
		return fail(L, n, "field \"%s\" is declared twice", name);
	struct ts_field *f = ts_add_field(L->s, name);
	yaml_node_t *type = ydoc_get(L->doc, n, "type");
	if (type && (!ydoc_str(type) || !ts_type_parse(ydoc_str(type), &f->type)))
		return fail(L, type, "field \"%s\": type \"%s\" is not supported (%s)", name,
			    ydoc_str(type) ? ydoc_str(type) : "?", TS_TYPE_NAMES);
	yaml_node_t *format = ydoc_get(L->doc, n, "format");
	if (format && load_format(L, f, format) != 0)
		return -1;
	if (f->type == TS_LIST && load_list_options(L, f, n) != 0)
		return -1;
	/* Number options come before constraints, which are parsed with them. */
	for (size_t i = 0; i < ydoc_len(n); i++) {
		yaml_node_t *k = ydoc_key(L->doc, n, i), *v = ydoc_value(L->doc, n, i);
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
		else if ((!strcmp(key, "delimiter") || !strcmp(key, "itemType")) && f->type != TS_LIST)
			log_warn("%s:%zu: field \"%s\": \"%s\" applies only to a list field; it is ignored", L->s->path,
				 ydoc_line(k), name, key);
		else if (!strcmp(key, "categories"))
			rc = load_categories(L, f, v);
		else if (!strcmp(key, "categoriesOrdered")) {
			const char *b = ydoc_is_plain(v) ? ydoc_str(v) : NULL;
			if (!b || (strcmp(b, "true") && strcmp(b, "false")))
				rc = fail(L, v, "field \"%s\": \"categoriesOrdered\" must be true or false", name);
			else
				f->categories_ordered = !strcmp(b, "true");
		}
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
	if (f->categories_ordered && !f->n_cat)
		log_warn("%s:%zu: field \"%s\": \"categoriesOrdered\" without \"categories\" means nothing", L->s->path,
			 ydoc_line(n), name);
	yaml_node_t *constraints = ydoc_get(L->doc, n, "constraints");
	if (constraints && load_constraints(L, f, constraints) != 0)
		return -1;
	/* The spec: an enum beside categories must be a subset of them. */
	for (size_t i = 0; f->n_cat && i < f->n_enum; i++)
		if (!value_in(f, f->enum_values, f->enum_lens, f->enum_parsed, i, f->cat_values, f->cat_lens, f->cat_parsed,
			      f->n_cat))
			return fail(L, constraints, "field \"%s\": enum value \"%s\" is not one of its categories", name,
				    f->enum_values[i]);
	return 0;
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
	if (no_duplicates(L, n) || (ydoc_is_map(ydoc_get(L->doc, n, "reference")) &&
				     no_duplicates(L, ydoc_get(L->doc, n, "reference"))))
		return -1;
	yaml_node_t *fields = ydoc_get(L->doc, n, "fields"), *ref = ydoc_get(L->doc, n, "reference");
	if (!fields || !ydoc_is_map(ref))
		return fail(L, n, "foreignKeys: \"fields\" and a \"reference\" mapping are required");
	if (load_key(L, fields, "foreignKeys.fields", &fk->local) != 0)
		return -1;
	yaml_node_t *res_node = ydoc_get(L->doc, ref, "resource");
	const char *resource = ydoc_str(res_node);
	if (res_node && !is_string(res_node))
		return fail(L, res_node, "foreignKeys.reference: \"resource\" must be a string");
	yaml_node_t *rf = ydoc_get(L->doc, ref, "fields");
	if (!rf || string_list(L, rf, "foreignKeys.reference.fields", true, false, &fk->ref_fields, &fk->n_ref) != 0)
		return rf ? -1 : fail(L, ref, "foreignKeys.reference: \"fields\" is required");
	if (fk->n_ref != fk->local.n)
		return fail(L, ref, "foreignKeys: %zu fields refer to %zu", fk->local.n, fk->n_ref);
	for (size_t i = 0; i < fk->n_ref && (!resource || !*resource); i++)
		if (ts_field_index(L->s, fk->ref_fields[i]) < 0)
			return fail(L, rf, "foreignKeys.reference: the same table has no field \"%s\"", fk->ref_fields[i]);
	if (!resource || !*resource) /* v2 leaves it out, v1 wrote "": the same table */
		return 0;
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

static int load_schema(struct loader *L, yaml_node_t *root)
{
	static const char *const known[] = {
		"fields", "missingValues", "primaryKey", "uniqueKeys", "foreignKeys", "name", "title",
		"description", "$schema", "profile", "version", "created", "homepage", "keywords",
		"fieldsMatch", "dialect" /* a CSV Dialect: dialect.h reads it */, NULL,
	};
	if (!ydoc_is_map(root))
		return fail(L, root, "a Table Schema must be a mapping with \"fields\"");
	if (no_duplicates(L, root))
		return -1;
	yaml_node_t *fields = ydoc_get(L->doc, root, "fields");
	if (!ydoc_is_seq(fields))
		return fail(L, fields ? fields : root, "\"fields\" must be a list of fields");
	for (size_t i = 0; i < ydoc_len(fields); i++)
		if (load_field(L, ydoc_item(L->doc, fields, i)) != 0)
			return -1;
	for (size_t i = 0; i < ydoc_len(root); i++) {
		yaml_node_t *k = ydoc_key(L->doc, root, i), *v = ydoc_value(L->doc, root, i);
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
				if (load_key(L, ydoc_item(L->doc, v, j), "uniqueKeys", &L->s->unique_keys[j]))
					return -1;
			}
		} else if (!strcmp(key, "foreignKeys")) {
			if (!ydoc_is_seq(v))
				return fail(L, v, "\"foreignKeys\" must be a list");
			L->s->foreign_keys = xcalloc(ydoc_len(v), sizeof *L->s->foreign_keys);
			for (size_t j = 0; j < ydoc_len(v); j++) {
				L->s->n_foreign_keys++;
				if (load_foreign_key(L, ydoc_item(L->doc, v, j), &L->s->foreign_keys[j]))
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
	struct ydoc doc;
	struct loader L = { .doc = &doc, .s = s, .err = err, .errlen = errlen };
	if (ydoc_load(&doc, path, err, errlen) != 0)
		return -1;
	int rc = load_schema(&L, ydoc_root(&doc));
	ydoc_free(&doc);
	return rc;
}

int ts_load_node(struct ts_schema *s, struct ydoc *doc, struct yaml_node_s *root, const char *path, char *err,
		 size_t errlen)
{
	schema_init(s, path);
	struct loader L = { .doc = doc, .s = s, .err = err, .errlen = errlen };
	return load_schema(&L, root);
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
		free(f->delimiter);
		if (f->item) {
			struct ts_schema one = { .fields = f->item, .nfields = 1 };
			ts_free(&one); /* frees the item field and its name */
		}
		free_list(f->cat_values, f->n_cat);
		free(f->cat_lens);
		free(f->cat_parsed);
		json_schema_free(f->json_schema);
		free(f->json_schema_text);
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
