/* SPDX-License-Identifier: MIT
 * YAML/JSON document loading and access; see ydoc.h. */
#include "ydoc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "buf.h"

/* How deep a document may nest, flow collections ([ {) and block ones
 * (indentation) together: the template engine's limit, since var() values
 * become template values, and far beyond any schema or project file. */
enum { MAX_DEPTH = 200 };

/* Whether a quote at c starts a quoted scalar: only where a scalar can
 * start, so that the apostrophe of "don't" in a plain scalar is no quote.
 * prev is the last non-blank character before it on the line, 0 if none. */
static bool starts_scalar(char prev)
{
	return prev == 0 || strchr("[{,:-?", prev) != NULL;
}

/* Whether a line's text from c on is a block scalar header (| or >, with
 * indentation and chomping indicators) and nothing more but a comment. */
static bool block_scalar_header(const char *c, const char *eol)
{
	for (c++; c < eol && (*c == '-' || *c == '+' || (*c >= '0' && *c <= '9')); c++)
		;
	const char *blank = c;
	while (c < eol && (*c == ' ' || *c == '\t' || *c == '\r'))
		c++;
	return c == eol || (*c == '#' && c > blank);
}

/* Refuses a text nested more than MAX_DEPTH levels deep before libyaml
 * sees it. libyaml rescans its stack of open collections as it goes: a
 * schema of 100,000 nested [ took a minute to reach its error, and the
 * callers that walk values recursively would exhaust the stack on one that
 * parses. The scan is a cheap approximation of YAML's syntax, in one pass:
 * brackets count outside quoted scalars, comments and block scalars (| >);
 * in block context each deeper indentation, and each "- " of a compact
 * nested sequence, opens a level. It may count fewer levels than there are
 * (a sequence at its key's indentation), never more for a document without
 * stray brackets, so no document it passes nests much deeper than MAX_DEPTH.
 * Returns 0, or -1 with "name:line:column: nested more than 200 levels
 * deep" in err. */
static int check_depth(const char *name, const char *s, size_t len, char *err, size_t errlen)
{
	size_t cols[MAX_DEPTH]; /* indentation of the open block levels */
	size_t ncols = 0, flow = 0, line = 1;
	char quote = 0;                 /* inside a quoted scalar: its quote */
	size_t scalar_indent = SIZE_MAX; /* inside a block scalar: its header line's indentation */
	const char *end = s + len;
	for (const char *p = s; p < end; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *next = eol < end ? eol + 1 : end;
		size_t indent = 0;
		while (p + indent < eol && p[indent] == ' ')
			indent++;
		const char *text = p + indent;
		bool blank = text == eol || *text == '\r' || *text == '#';
		if (!quote && scalar_indent != SIZE_MAX) {
			if (blank || indent > scalar_indent) {
				p = next;
				continue;
			}
			scalar_indent = SIZE_MAX;
		}
		const char *deep = NULL; /* where the limit was passed */
		if (!quote && flow == 0 && !blank) {
			while (ncols && cols[ncols - 1] > indent)
				ncols--;
			const char *at = text;
			for (;;) {
				size_t col = (size_t)(at - p);
				/* a flow collection is counted at its bracket */
				if (*at != '[' && *at != '{' && (!ncols || cols[ncols - 1] < col)) {
					if (ncols == MAX_DEPTH) {
						deep = at;
						break;
					}
					cols[ncols++] = col;
				}
				/* "- - x": a sequence in a sequence, on one line */
				if (at + 1 >= eol || at[0] != '-' || at[1] != ' ')
					break;
				for (at += 2; at < eol && *at == ' '; at++)
					;
				if (at == eol || *at == '#' || *at == '\r')
					break;
			}
		}
		char prev = 0;
		for (const char *c = p; c < eol && !deep; c++) {
			if (quote == '"') {
				if (*c == '\\')
					c++;
				else if (*c == '"')
					quote = 0;
				prev = '"';
				continue;
			}
			if (quote == '\'') {
				if (*c == '\'' && c + 1 < eol && c[1] == '\'')
					c++;
				else if (*c == '\'')
					quote = 0;
				prev = '\'';
				continue;
			}
			if (*c == '#' && (c == p || c[-1] == ' ' || c[-1] == '\t'))
				break;
			if ((*c == '"' || *c == '\'') && starts_scalar(prev)) {
				quote = *c;
				continue;
			}
			if (*c == '[' || *c == '{') {
				if (ncols + flow >= MAX_DEPTH)
					deep = c;
				flow++;
			} else if ((*c == ']' || *c == '}') && flow) {
				flow--;
			} else if ((*c == '|' || *c == '>') && flow == 0 && (c == text || c[-1] == ' ') &&
				   block_scalar_header(c, eol)) {
				scalar_indent = indent;
				break;
			}
			if (*c != ' ' && *c != '\t')
				prev = *c;
		}
		if (deep) {
			snprintf(err, errlen, "%s:%zu:%zu: nested more than %d levels deep", name, line,
				 (size_t)(deep - p) + 1, MAX_DEPTH);
			return -1;
		}
		p = next;
	}
	return 0;
}

static int load(struct ydoc *d, yaml_parser_t *p, const char *name, char *err, size_t errlen)
{
	memset(&d->doc, 0, sizeof d->doc);
	d->path = strdup(name);
	if (!yaml_parser_load(p, &d->doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: %s%s%s", name, p->problem_mark.line + 1,
			 p->problem_mark.column + 1, p->problem ? p->problem : "cannot parse",
			 p->context ? " " : "", p->context ? p->context : "");
		yaml_parser_delete(p);
		free(d->path);
		d->path = NULL;
		return -1;
	}
	yaml_parser_delete(p);
	return 0;
}

int ydoc_load(struct ydoc *d, const char *path, char *err, size_t errlen)
{
	/* The file's bytes, whole (these are small configuration files), for
	 * the depth check to see before libyaml does. */
	struct buf text = { 0 };
	int rc = buf_read_file(&text, path, err, errlen);
	if (rc == 0)
		rc = ydoc_load_string(d, path, buf_str(&text), text.len, err, errlen);
	buf_free(&text);
	return rc;
}

int ydoc_load_string(struct ydoc *d, const char *name, const char *text, size_t len,
		     char *err, size_t errlen)
{
	if (check_depth(name, text, len, err, errlen) != 0) {
		/* as after a parse error: nothing to free */
		memset(&d->doc, 0, sizeof d->doc);
		d->path = NULL;
		return -1;
	}
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	return load(d, &p, name, err, errlen);
}

void ydoc_free(struct ydoc *d)
{
	if (!d->path)
		return;
	yaml_document_delete(&d->doc);
	free(d->path);
	d->path = NULL;
}

yaml_node_t *ydoc_root(struct ydoc *d)
{
	return yaml_document_get_root_node(&d->doc);
}

yaml_node_t *ydoc_node(struct ydoc *d, int index)
{
	return yaml_document_get_node(&d->doc, index);
}

bool ydoc_is_map(const yaml_node_t *n) { return n && n->type == YAML_MAPPING_NODE; }
bool ydoc_is_seq(const yaml_node_t *n) { return n && n->type == YAML_SEQUENCE_NODE; }
bool ydoc_is_scalar(const yaml_node_t *n) { return n && n->type == YAML_SCALAR_NODE; }

bool ydoc_is_plain(const yaml_node_t *n)
{
	return ydoc_is_scalar(n) && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

bool ydoc_is_null(const yaml_node_t *n)
{
	if (!ydoc_is_plain(n))
		return false;
	const char *s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* The digits of a YAML 1.1 number in base `base`, '_' ignored; false
 * when there is none or another character. */
static bool digits_in(const char *s, const char *end, int base, double *out)
{
	double v = 0;
	bool any = false;
	for (; s < end; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
			*s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
			*s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : *s == '_' ? -1 : 99;
		if (d >= base)
			return false;
		if (d >= 0) {
			v = v * base + d;
			any = true;
		}
	}
	*out = v;
	return any;
}

/* "a:b:c" in base 60, each part after the first 0 to 59; the first part
 * in [p, colon), the rest up to end. PyYAML's int pattern starts the
 * first part with 1-9 ([1-9][0-9_]*(:[0-5]?[0-9])+), its float pattern
 * with any digit ([0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*): lead_zero says
 * which. */
static bool sexagesimal(const char *p, const char *end, bool lead_zero, double *out)
{
	const char *colon = memchr(p, ':', (size_t)(end - p));
	double v;
	if (!colon || (*p == '0' && !lead_zero) || !digits_in(p, colon, 10, &v))
		return false;
	for (const char *q = colon; q < end && *q == ':';) {
		const char *e = q + 1;
		while (e < end && *e >= '0' && *e <= '9')
			e++;
		double part;
		if (e - q - 1 < 1 || e - q - 1 > 2 || !digits_in(q + 1, e, 10, &part) || part > 59)
			return false;
		v = v * 60 + part;
		q = e;
		if (q < end && *q != ':')
			return false;
	}
	*out = v;
	return true;
}

enum ydoc_kind ydoc_yaml11(const yaml_node_t *n, bool *b, double *num)
{
	if (!ydoc_is_plain(n))
		return YK_STR;
	const char *s = ydoc_str(n), *end = s + strlen(s);
	if (ydoc_is_null(n))
		return YK_NULL;
	static const char *const yes[] = { "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON" };
	static const char *const no[] = { "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*b = !strcmp(s, yes[i]);
			return YK_BOOL;
		}
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		*num = NAN;
		return YK_FLOAT;
	}
	const char *p = s + (*s == '-' || *s == '+');
	double sign = *s == '-' ? -1 : 1;
	if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF")) {
		*num = sign * INFINITY;
		return YK_FLOAT;
	}
	double v;
	const char *dot = strchr(p, '.');
	if (!dot) {
		bool ok = (p[0] == '0' && p[1] == 'b') ? digits_in(p + 2, end, 2, &v) :
			  (p[0] == '0' && p[1] == 'x') ? digits_in(p + 2, end, 16, &v) :
			  (p[0] == '0' && p[1]) ? digits_in(p + 1, end, 8, &v) :
			  strchr(p, ':') ? sexagesimal(p, end, false, &v) : digits_in(p, end, 10, &v);
		if (!ok || (p[0] == '_'))
			return YK_STR;
		*num = sign * v;
		return YK_INT;
	}
	/* PyYAML 6's float pattern, less .inf and .nan (above):
	 *   [-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?
	 *   \.[0-9][0-9_]*([eE][-+][0-9]+)?           (unsigned, a digit first)
	 *   [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*  (sexagesimal: no exponent)
	 * so 0:30.5 is 30.5, while ._5 and 1:30.5e+1 are strings. */
	double whole = 0, frac;
	bool sexa = memchr(p, ':', (size_t)(dot - p)) != NULL;
	if (dot == p) {
		if (p != s || !(dot[1] >= '0' && dot[1] <= '9'))
			return YK_STR;
	} else if (!(sexa ? sexagesimal(p, dot, true, &whole) : digits_in(p, dot, 10, &whole)) || p[0] == '_') {
		return YK_STR;
	}
	const char *e = dot + 1;
	while (e < end && ((*e >= '0' && *e <= '9') || *e == '_'))
		e++;
	if (e < end && (*e == 'e' || *e == 'E')) {
		if (sexa || !(e[1] == '+' || e[1] == '-') || !(e[2] >= '0' && e[2] <= '9'))
			return YK_STR;
		const char *x = e + 2;
		while (x < end && *x >= '0' && *x <= '9')
			x++;
		if (x != end)
			return YK_STR;
	} else if (e != end) {
		return YK_STR;
	}
	/* the value: strtod over the text without '_'; a sexagesimal whole
	 * part was read in base 60 above */
	char buf[128];
	size_t k = 0;
	for (const char *q = sexa ? dot : p; q < end && k + 1 < sizeof buf; q++)
		if (*q != '_')
			buf[k++] = *q;
	buf[k] = '\0';
	frac = strtod(buf, NULL);
	*num = sign * ((sexa ? whole : 0) + frac);
	return YK_FLOAT;
}

const char *ydoc_str(const yaml_node_t *n)
{
	return ydoc_is_scalar(n) ? (const char *)n->data.scalar.value : NULL;
}

size_t ydoc_line(const yaml_node_t *n)
{
	return n ? n->start_mark.line + 1 : 0;
}

size_t ydoc_len(const yaml_node_t *n)
{
	if (ydoc_is_seq(n))
		return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (ydoc_is_map(n))
		return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	return 0;
}

yaml_node_t *ydoc_item(struct ydoc *d, const yaml_node_t *seq, size_t i)
{
	return i < ydoc_len(seq) && ydoc_is_seq(seq) ? ydoc_node(d, seq->data.sequence.items.start[i]) : NULL;
}

yaml_node_t *ydoc_key(struct ydoc *d, const yaml_node_t *map, size_t i)
{
	return i < ydoc_len(map) && ydoc_is_map(map) ? ydoc_node(d, map->data.mapping.pairs.start[i].key) : NULL;
}

yaml_node_t *ydoc_value(struct ydoc *d, const yaml_node_t *map, size_t i)
{
	return i < ydoc_len(map) && ydoc_is_map(map) ? ydoc_node(d, map->data.mapping.pairs.start[i].value) : NULL;
}

yaml_node_t *ydoc_get(struct ydoc *d, const yaml_node_t *map, const char *key)
{
	for (size_t i = 0; i < ydoc_len(map) && ydoc_is_map(map); i++) {
		const char *k = ydoc_str(ydoc_key(d, map, i));
		if (k && !strcmp(k, key))
			return ydoc_value(d, map, i);
	}
	return NULL;
}

yaml_node_t *ydoc_duplicate_key(struct ydoc *d, const yaml_node_t *map)
{
	size_t n = ydoc_len(map);
	for (size_t i = 1; i < n && ydoc_is_map(map); i++) {
		const char *k = ydoc_str(ydoc_key(d, map, i));
		for (size_t j = 0; k && j < i; j++) {
			const char *prev = ydoc_str(ydoc_key(d, map, j));
			if (prev && !strcmp(prev, k))
				return ydoc_key(d, map, i);
		}
	}
	return NULL;
}
