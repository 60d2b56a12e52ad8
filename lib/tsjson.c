/* SPDX-License-Identifier: MIT
 * Table Schema cells that hold JSON: object, array, geopoint and geojson
 * fields, and canonical JSON (one spelling for one value), with which an
 * enum of such a field compares cells. Only fields of these types come
 * here, so the code favours plain checks over speed. Part of the Table
 * Schema module; tableschema_int.h declares what it shares. The jsonSchema
 * constraint's subset of JSON Schema lives here too, at the end. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tableschema_int.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"
#include "ydoc.h"

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

/* Steps *p over the JSON string that starts there, checking it (lib/json.h's
 * json_string() writes one). */
static bool json_skip_string(const char **p, const char *end)
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
			if (c == '"' ? !json_skip_string(&p, end)
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
			if (c != '"' || !json_skip_string(&p, end))
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

static const struct ts_field plain_number = { .type = TS_NUMBER, .decimal_char = '.', .bare_number = true };

/* A JSON number as 0, or -0.DIGITSeEXP: one spelling for one value. */
static void canon_number(struct buf *b, const char *s, size_t len)
{
	char *digits = xcalloc(len + 2, 1), head[32];
	struct ts_value v;
	const char *why;
	if (!parse_decimal(&plain_number, s, len, false, &v, digits, &why)) {
		buf_add(b, s, len); /* not reached for checked JSON */
	} else if (v.sign == 0) {
		buf_addc(b, '0');
	} else {
		buf_add(b, v.sign < 0 ? "-0." : "0.", v.sign < 0 ? 3 : 2);
		buf_add(b, v.digits, v.ndigits);
		buf_add(b, head, (size_t)snprintf(head, sizeof head, "e%lld", (long long)v.exp));
	}
	free(digits);
}

static void canon_string(struct buf *b, const char *s, size_t len)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '"' || c == '\\' || c < 0x20)
			buf_add(b, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", c));
		else
			buf_addc(b, s[i]);
	}
	buf_addc(b, '"');
}

static int canon_key_cmp(const yaml_node_t *a, const yaml_node_t *b)
{
	size_t la = a->data.scalar.length, lb = b->data.scalar.length;
	int c = memcmp(a->data.scalar.value, b->data.scalar.value, la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

/* A node as compact JSON, an object's members in the byte order of their
 * keys, numbers as canon_number() writes them. */
void canon_node(struct ydoc *d, const yaml_node_t *n, struct buf *b)
{
	if (ydoc_is_seq(n)) {
		buf_addc(b, '[');
		for (size_t i = 0; i < ydoc_len(n); i++) {
			if (i)
				buf_addc(b, ',');
			canon_node(d, ydoc_item(d, n, i), b);
		}
		buf_addc(b, ']');
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
		buf_addc(b, '{');
		for (size_t i = 0; i < len; i++) {
			if (i)
				buf_addc(b, ',');
			canon_node(d, ydoc_key(d, n, order[i]), b);
			buf_addc(b, ':');
			canon_node(d, ydoc_value(d, n, order[i]), b);
		}
		buf_addc(b, '}');
		free(order);
	} else if (ydoc_is_scalar(n)) {
		const char *s = (const char *)n->data.scalar.value;
		size_t len = n->data.scalar.length;
		if (!ydoc_is_plain(n))
			canon_string(b, s, len);
		else if (!strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "null"))
			buf_add(b, s, len);
		else if (len && (is_digit(s[0]) || s[0] == '-'))
			canon_number(b, s, len);
		else
			canon_string(b, s, len); /* a plain YAML word in a schema's enum */
	} else {
		buf_add(b, "null", 4);
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
bool parse_geopoint(const struct ts_field *f, const char *s, size_t len, char *scratch,
		    struct buf *canon, const char **why)
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
			buf_addc(canon, '[');
			canon_number(canon, s, (size_t)(comma - s));
			buf_addc(canon, ',');
			canon_number(canon, lat, (size_t)(end - lat));
			buf_addc(canon, ']');
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
		buf_addc(canon, '[');
		canon_node(&d, lon, canon);
		buf_addc(canon, ',');
		canon_node(&d, lat, canon);
		buf_addc(canon, ']');
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
bool parse_json_value(const struct ts_field *f, const char *s, size_t len, struct ts_value *v,
		      struct buf *canon, const char **why)
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
char *json_canonical(const struct ts_field *f, const char *s, size_t len, const char **why)
{
	struct buf b = { 0 };
	struct ts_value v;
	char *scratch = xcalloc(len + 2, 1);
	bool ok = f->type == TS_GEOPOINT ? parse_geopoint(f, s, len, scratch, &b, why)
					 : parse_json_value(f, s, len, &v, &b, why);
	free(scratch);
	if (!ok) {
		buf_free(&b);
		return NULL;
	}
	/* Cut to size: a buffer starts at 4 KiB, and an enum keeps its values. */
	size_t n = b.len;
	return xrealloc(buf_detach(&b), n + 1);
}

/* ---- the jsonSchema constraint: a subset of JSON Schema ----
 *
 * Compiled once at load into a tree of the keywords each (sub)schema has;
 * a cell is read into a ydoc tree and walked beside it. Keywords outside
 * the subset are refused at load rather than ignored, so that a schema
 * never passes values it was written to stop. Annotations (title,
 * description, $schema, $id, $comment, default, examples) assert nothing
 * and are accepted. */

enum js_kind { JS_NULL = 1, JS_BOOLEAN = 2, JS_OBJECT = 4, JS_ARRAY = 8, JS_NUMBER = 16, JS_STRING = 32,
	       JS_INTEGER = 64 /* a number with no fraction */ };
static const char *const js_kind_names[] = { "null", "boolean", "object", "array", "number", "string", "integer" };

struct js_prop {
	char *name;
	struct ts_json_schema *schema;
};

struct ts_json_schema {
	unsigned types;              /* JS_* allowed; 0: any */
	struct js_prop *props;
	size_t n_props;
	char **required;
	size_t n_required;
	int additional;              /* -1: not given, 0: false, 1: true or a schema */
	struct ts_json_schema *additional_schema;
	struct ts_json_schema *items;
	char **enum_canon;           /* the enum's values as canonical JSON */
	size_t n_enum;
	char *minimum, *maximum, *xminimum, *xmaximum; /* numbers as written */
	int64_t min_length, max_length, min_items, max_items; /* -1: not given */
	char *pattern;
	pcre2_code *regex;
};

void json_schema_free(struct ts_json_schema *js)
{
	if (!js)
		return;
	for (size_t i = 0; i < js->n_props; i++) {
		free(js->props[i].name);
		json_schema_free(js->props[i].schema);
	}
	free(js->props);
	for (size_t i = 0; i < js->n_required; i++)
		free(js->required[i]);
	free(js->required);
	json_schema_free(js->additional_schema);
	json_schema_free(js->items);
	for (size_t i = 0; i < js->n_enum; i++)
		free(js->enum_canon[i]);
	free(js->enum_canon);
	free(js->minimum);
	free(js->maximum);
	free(js->xminimum);
	free(js->xmaximum);
	free(js->pattern);
	if (js->regex)
		pcre2_code_free(js->regex);
	free(js);
}

struct js_compiler {
	struct ydoc *d;
	char *err;
	size_t errlen;
	const yaml_node_t **at;
};

static struct ts_json_schema *js_fail(struct js_compiler *C, const yaml_node_t *at, struct ts_json_schema *js,
				      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static struct ts_json_schema *js_fail(struct js_compiler *C, const yaml_node_t *at, struct ts_json_schema *js,
				      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(C->err, C->errlen, fmt, ap);
	va_end(ap);
	*C->at = at;
	json_schema_free(js);
	return NULL;
}

/* A plain scalar that is a JSON number (or YAML's spelling of one). */
static bool js_number_text(const yaml_node_t *n)
{
	if (!ydoc_is_scalar(n) || !ydoc_is_plain(n))
		return false;
	struct ts_value v;
	const char *s = ydoc_str(n), *why;
	char *digits = xcalloc(strlen(s) + 2, 1);
	bool ok = parse_decimal(&plain_number, s, strlen(s), false, &v, digits, &why);
	free(digits);
	return ok;
}

static bool js_whole(const yaml_node_t *n, int64_t *out)
{
	if (!js_number_text(n))
		return false;
	char *end;
	long long v = strtoll(ydoc_str(n), &end, 10);
	if (*end || v < 0)
		return false;
	*out = v;
	return true;
}

static bool js_type_bit(const char *name, unsigned *bit)
{
	for (unsigned i = 0; i < sizeof js_kind_names / sizeof js_kind_names[0]; i++)
		if (!strcmp(name, js_kind_names[i])) {
			*bit = 1u << i;
			return true;
		}
	return false;
}

static struct ts_json_schema *js_compile(struct js_compiler *C, const yaml_node_t *n, int depth);

/* One keyword of a schema; returns false after js_fail() has said why
 * (js is then already freed by the caller's js_fail). */
static bool js_keyword(struct js_compiler *C, struct ts_json_schema *js, const char *key, const yaml_node_t *v,
		       int depth)
{
	static const char *const annotations[] = { "title", "description", "$schema", "$id", "$comment", "default",
						   "examples", NULL };
	for (const char *const *a = annotations; *a; a++)
		if (!strcmp(key, *a))
			return true;
	if (!strcmp(key, "type")) {
		size_t n = ydoc_is_seq(v) ? ydoc_len(v) : 1;
		for (size_t i = 0; i < n; i++) {
			const yaml_node_t *t = ydoc_is_seq(v) ? ydoc_item(C->d, v, i) : v;
			unsigned bit;
			if (!ydoc_str(t) || !js_type_bit(ydoc_str(t), &bit)) {
				js_fail(C, t, NULL, "\"type\" must name null, boolean, object, array, number, string or integer");
				return false;
			}
			js->types |= bit;
		}
		return true;
	}
	if (!strcmp(key, "properties")) {
		if (!ydoc_is_map(v)) {
			js_fail(C, v, NULL, "\"properties\" must be an object of schemas");
			return false;
		}
		js->props = xcalloc(ydoc_len(v) + 1, sizeof *js->props);
		for (size_t i = 0; i < ydoc_len(v); i++) {
			struct ts_json_schema *sub = js_compile(C, ydoc_value(C->d, v, i), depth + 1);
			if (!sub)
				return false;
			js->props[js->n_props].name = xstrdup(ydoc_str(ydoc_key(C->d, v, i)) ? ydoc_str(ydoc_key(C->d, v, i)) : "");
			js->props[js->n_props++].schema = sub;
		}
		return true;
	}
	if (!strcmp(key, "required")) {
		if (!ydoc_is_seq(v)) {
			js_fail(C, v, NULL, "\"required\" must be a list of property names");
			return false;
		}
		js->required = xcalloc(ydoc_len(v) + 1, sizeof *js->required);
		for (size_t i = 0; i < ydoc_len(v); i++) {
			const yaml_node_t *item = ydoc_item(C->d, v, i);
			if (!ydoc_is_scalar(item)) {
				js_fail(C, item, NULL, "\"required\" must be a list of property names");
				return false;
			}
			js->required[js->n_required++] = xstrdup(ydoc_str(item));
		}
		return true;
	}
	if (!strcmp(key, "additionalProperties")) {
		const char *b = ydoc_is_plain(v) ? ydoc_str(v) : NULL;
		if (b && (!strcmp(b, "true") || !strcmp(b, "false"))) {
			js->additional = !strcmp(b, "true");
			return true;
		}
		js->additional = 1;
		return (js->additional_schema = js_compile(C, v, depth + 1)) != NULL;
	}
	if (!strcmp(key, "items")) {
		if (ydoc_is_seq(v)) {
			js_fail(C, v, NULL, "\"items\" as a list (one schema per position) is not supported: give one schema");
			return false;
		}
		return (js->items = js_compile(C, v, depth + 1)) != NULL;
	}
	if (!strcmp(key, "enum")) {
		if (!ydoc_is_seq(v) || !ydoc_len(v)) {
			js_fail(C, v, NULL, "\"enum\" must be a list of values");
			return false;
		}
		js->enum_canon = xcalloc(ydoc_len(v), sizeof *js->enum_canon);
		for (size_t i = 0; i < ydoc_len(v); i++) {
			struct buf b = { 0 };
			canon_node(C->d, ydoc_item(C->d, v, i), &b);
			js->enum_canon[js->n_enum++] = buf_detach(&b);
		}
		return true;
	}
	char **bound = !strcmp(key, "minimum") ? &js->minimum : !strcmp(key, "maximum") ? &js->maximum
		     : !strcmp(key, "exclusiveMinimum") ? &js->xminimum : !strcmp(key, "exclusiveMaximum") ? &js->xmaximum
		     : NULL;
	if (bound) {
		if (!js_number_text(v)) {
			js_fail(C, v, NULL, "\"%s\" must be a number", key);
			return false;
		}
		*bound = xstrdup(ydoc_str(v));
		return true;
	}
	int64_t *count = !strcmp(key, "minLength") ? &js->min_length : !strcmp(key, "maxLength") ? &js->max_length
		       : !strcmp(key, "minItems") ? &js->min_items : !strcmp(key, "maxItems") ? &js->max_items : NULL;
	if (count) {
		if (!js_whole(v, count)) {
			js_fail(C, v, NULL, "\"%s\" must be a whole number", key);
			return false;
		}
		return true;
	}
	if (!strcmp(key, "pattern")) {
		int code;
		PCRE2_SIZE off;
		if (!ydoc_is_scalar(v)) {
			js_fail(C, v, NULL, "\"pattern\" must be a string");
			return false;
		}
		/* JSON Schema's patterns are not anchored: a match anywhere counts. */
		js->regex = pcre2_compile((PCRE2_SPTR)ydoc_str(v), PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &code, &off,
					  NULL);
		if (!js->regex) {
			char msg[160];
			pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg);
			js_fail(C, v, NULL, "\"pattern\" \"%s\": %s at offset %zu", ydoc_str(v), msg, (size_t)off);
			return false;
		}
		js->pattern = xstrdup(ydoc_str(v));
		return true;
	}
	js_fail(C, v, NULL, "keyword \"%s\" is not supported (" TS_JSON_SCHEMA_KEYWORDS ")", key);
	return false;
}

static struct ts_json_schema *js_compile(struct js_compiler *C, const yaml_node_t *n, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return js_fail(C, n, NULL, "nested more than %d levels deep", JSON_MAX_DEPTH);
	if (!ydoc_is_map(n))
		return js_fail(C, n, NULL, "a schema must be an object");
	yaml_node_t *dup = ydoc_duplicate_key(C->d, n);
	if (dup)
		return js_fail(C, dup, NULL, "key \"%s\" appears twice", ydoc_str(dup));
	struct ts_json_schema *js = xcalloc(1, sizeof *js);
	js->additional = -1;
	js->min_length = js->max_length = js->min_items = js->max_items = -1;
	for (size_t i = 0; i < ydoc_len(n); i++) {
		const char *key = ydoc_str(ydoc_key(C->d, n, i));
		if (!key || !js_keyword(C, js, key, ydoc_value(C->d, n, i), depth)) {
			if (!key)
				js_fail(C, ydoc_key(C->d, n, i), NULL, "a key must be a string");
			json_schema_free(js);
			return NULL;
		}
	}
	return js;
}

struct ts_json_schema *json_schema_compile(struct ydoc *d, const yaml_node_t *n, char *err, size_t errlen,
					   const yaml_node_t **at)
{
	struct js_compiler C = { d, err, errlen, at };
	*at = n;
	return js_compile(&C, n, 0);
}

/* ---- checking a value against a compiled schema ---- */

struct js_walk {
	struct ydoc *d;
	char path[256];          /* JSON Pointer of the node being checked */
	char *why;
	size_t whylen;
};

static bool js_bad(struct js_walk *W, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool js_bad(struct js_walk *W, const char *fmt, ...)
{
	int n = snprintf(W->why, W->whylen, "%s: ", W->path[0] ? W->path : "/");
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < W->whylen)
		vsnprintf(W->why + n, W->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

/* What a node of a checked JSON cell is. */
static unsigned js_kind_of(const yaml_node_t *n)
{
	if (ydoc_is_map(n))
		return JS_OBJECT;
	if (ydoc_is_seq(n))
		return JS_ARRAY;
	if (!ydoc_is_plain(n))
		return JS_STRING;
	const char *s = ydoc_str(n);
	if (!strcmp(s, "null"))
		return JS_NULL;
	if (!strcmp(s, "true") || !strcmp(s, "false"))
		return JS_BOOLEAN;
	/* JSON Schema counts 1.0 as an integer: a number is one when no
	 * significant digit falls after the point. */
	struct ts_value v;
	const char *why;
	char *digits = xcalloc(strlen(s) + 2, 1);
	bool whole = parse_decimal(&plain_number, s, strlen(s), false, &v, digits, &why) &&
		     (v.sign == 0 || (int64_t)v.ndigits <= v.exp);
	free(digits);
	return JS_NUMBER | (whole ? JS_INTEGER : 0);
}

/* -1, 0, 1: the number a against the bound's text b. */
static int js_compare_number(const char *a, const char *b)
{
	struct ts_value va, vb;
	const char *why;
	char *da = xcalloc(strlen(a) + 2, 1), *db = xcalloc(strlen(b) + 2, 1);
	parse_decimal(&plain_number, a, strlen(a), false, &va, da, &why);
	parse_decimal(&plain_number, b, strlen(b), false, &vb, db, &why);
	int c = compare_decimal(&va, &vb);
	free(da);
	free(db);
	return c;
}

static int64_t js_chars(const char *s, size_t len)
{
	int64_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

static void js_type_list(unsigned types, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < sizeof js_kind_names / sizeof js_kind_names[0] && n < size; i++)
		if (types & (1u << i))
			n += (size_t)snprintf(out + n, size - n, "%s%s", n ? " or " : "", js_kind_names[i]);
}

static bool js_walk_node(struct js_walk *W, const struct ts_json_schema *js, const yaml_node_t *n);

/* Checks a member or item with the path extended by its name or index. */
static bool js_walk_child(struct js_walk *W, const struct ts_json_schema *js, const yaml_node_t *n, const char *step)
{
	size_t at = strlen(W->path);
	snprintf(W->path + at, sizeof W->path - at, "/%s", step);
	bool ok = js_walk_node(W, js, n);
	W->path[at] = '\0';
	return ok;
}

static bool js_walk_object(struct js_walk *W, const struct ts_json_schema *js, const yaml_node_t *n)
{
	for (size_t i = 0; i < js->n_required; i++)
		if (!ydoc_get(W->d, n, js->required[i]))
			return js_bad(W, "the property \"%s\" is required", js->required[i]);
	for (size_t i = 0; i < ydoc_len(n); i++) {
		const char *key = ydoc_str(ydoc_key(W->d, n, i));
		const struct ts_json_schema *sub = NULL;
		bool declared = false;
		for (size_t j = 0; j < js->n_props && !declared; j++)
			if (!strcmp(js->props[j].name, key)) {
				declared = true;
				sub = js->props[j].schema;
			}
		if (!declared && js->additional == 0)
			return js_bad(W, "the property \"%s\" is not allowed (additionalProperties is false)", key);
		if (!declared)
			sub = js->additional_schema;
		if (sub && !js_walk_child(W, sub, ydoc_value(W->d, n, i), key))
			return false;
	}
	return true;
}

static bool js_walk_node(struct js_walk *W, const struct ts_json_schema *js, const yaml_node_t *n)
{
	unsigned kind = js_kind_of(n);
	if (js->types && !(js->types & kind)) {
		char want[128];
		js_type_list(js->types, want, sizeof want);
		return js_bad(W, "is not of type %s", want);
	}
	if (js->n_enum) {
		struct buf b = { 0 };
		canon_node(W->d, n, &b);
		bool found = false;
		for (size_t i = 0; i < js->n_enum && !found; i++)
			found = !strcmp(js->enum_canon[i], buf_str(&b));
		buf_free(&b);
		if (!found)
			return js_bad(W, "is not one of the enum's values");
	}
	if (kind & JS_NUMBER) {
		const char *s = ydoc_str(n);
		if (js->minimum && js_compare_number(s, js->minimum) < 0)
			return js_bad(W, "%s is below the minimum %s", s, js->minimum);
		if (js->maximum && js_compare_number(s, js->maximum) > 0)
			return js_bad(W, "%s is above the maximum %s", s, js->maximum);
		if (js->xminimum && js_compare_number(s, js->xminimum) <= 0)
			return js_bad(W, "%s is not greater than %s", s, js->xminimum);
		if (js->xmaximum && js_compare_number(s, js->xmaximum) >= 0)
			return js_bad(W, "%s is not less than %s", s, js->xmaximum);
	} else if (kind == JS_STRING) {
		const char *s = (const char *)n->data.scalar.value;
		size_t len = n->data.scalar.length;
		int64_t chars = js_chars(s, len);
		if (js->min_length >= 0 && chars < js->min_length)
			return js_bad(W, "is shorter than %lld characters", (long long)js->min_length);
		if (js->max_length >= 0 && chars > js->max_length)
			return js_bad(W, "is longer than %lld characters", (long long)js->max_length);
		if (js->regex) {
			pcre2_match_data *md = pcre2_match_data_create_from_pattern(js->regex, NULL);
			int rc = pcre2_match(js->regex, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
			pcre2_match_data_free(md);
			if (rc < 0)
				return js_bad(W, rc == PCRE2_ERROR_NOMATCH ? "does not match the pattern %s"
									   : "the pattern %s could not be matched",
					      js->pattern);
		}
	} else if (kind == JS_OBJECT) {
		if (!js_walk_object(W, js, n))
			return false;
	} else if (kind == JS_ARRAY) {
		int64_t items = (int64_t)ydoc_len(n);
		if (js->min_items >= 0 && items < js->min_items)
			return js_bad(W, "has fewer than %lld items", (long long)js->min_items);
		if (js->max_items >= 0 && items > js->max_items)
			return js_bad(W, "has more than %lld items", (long long)js->max_items);
		for (size_t i = 0; js->items && i < ydoc_len(n); i++) {
			char step[24];
			snprintf(step, sizeof step, "%zu", i);
			if (!js_walk_child(W, js->items, ydoc_item(W->d, n, i), step))
				return false;
		}
	}
	return true;
}

bool json_schema_check(const struct ts_json_schema *js, const char *s, size_t len, char *why, size_t whylen)
{
	struct ydoc d;
	const char *reason;
	if (!json_tree(s, len, &d, &reason)) {
		snprintf(why, whylen, "%s", reason);
		return false;
	}
	struct js_walk W = { .d = &d, .why = why, .whylen = whylen };
	bool ok = js_walk_node(&W, js, ydoc_root(&d));
	ydoc_free(&d);
	return ok;
}
