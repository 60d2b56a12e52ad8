/* SPDX-License-Identifier: MIT
 * Table Schema cells that hold JSON: object, array, geopoint and geojson
 * fields, and canonical JSON (one spelling for one value), with which an
 * enum of such a field compares cells. Only fields of these types come
 * here, so the code favours plain checks over speed. Part of the Table
 * Schema module; tableschema_int.h declares what it shares. */
#include "tableschema_int.h"

#include <ctype.h>
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
