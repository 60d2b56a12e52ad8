/* SPDX-License-Identifier: MIT
 * CSV dialects: defaults, the Frictionless dialect object, the sniffer; see
 * dialect.h for what is taken of the spec. */
#define _GNU_SOURCE /* memrchr */
#include "dialect.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "log.h"
#include "ydoc.h"

const char csv_dialect_candidates[] = { ',', ';', '\t', '|', ':', '\0' };

void csv_dialect_init(struct csv_dialect *d, char delimiter)
{
	*d = (struct csv_dialect){
		.delimiter = delimiter,
		.quote_char = '"',
		.double_quote = true,
		.escape_char = CSV_DIALECT_NONE,
		.comment_char = CSV_DIALECT_NONE,
		.header = true,
		.header_row = 1,
	};
}

bool csv_dialect_own_parser(const struct csv_dialect *d)
{
	return !d->double_quote || d->escape_char != CSV_DIALECT_NONE || d->skip_initial_space;
}

const char *csv_dialect_char_name(int c, char buf[16])
{
	if (c == '\t')
		return "tab";
	if (c == ' ')
		return "space";
	if (c < 0x20 || c >= 0x7f)
		snprintf(buf, 16, "'\\x%02x'", (unsigned)(unsigned char)c);
	else
		snprintf(buf, 16, "'%c'", c);
	return buf;
}

static int fail(char *err, size_t errlen, struct ydoc *doc, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(char *err, size_t errlen, struct ydoc *doc, const yaml_node_t *n, const char *fmt, ...)
{
	int k = snprintf(err, errlen, "%s:%zu: dialect: ", doc->path, n ? ydoc_line(n) : (size_t)1);
	if (k < 0 || (size_t)k >= errlen)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

/* A one-byte string property into *c. */
static int one_byte(struct ydoc *doc, const yaml_node_t *v, const char *key, int *c, char *err, size_t errlen)
{
	const char *s = ydoc_str(v);
	if (!s || ydoc_is_null(v))
		return fail(err, errlen, doc, v, "\"%s\" must be a string of one character", key);
	if (strlen(s) != 1)
		return fail(err, errlen, doc, v, "\"%s\" must be one character, not \"%s\"%s", key, s,
			    strlen(s) > 1 ? " (longer ones are not supported)" : "");
	*c = (unsigned char)s[0];
	return 0;
}

static int boolean(struct ydoc *doc, const yaml_node_t *v, const char *key, bool *b, char *err, size_t errlen)
{
	const char *s = ydoc_str(v);
	if (!s || !ydoc_is_plain(v) || (strcmp(s, "true") && strcmp(s, "false")))
		return fail(err, errlen, doc, v, "\"%s\" must be true or false", key);
	*b = !strcmp(s, "true");
	return 0;
}

/* headerRows: [N] only. */
static int header_rows(struct ydoc *doc, const yaml_node_t *v, struct csv_dialect *d, char *err, size_t errlen)
{
	if (!ydoc_is_seq(v) || ydoc_len(v) == 0)
		return fail(err, errlen, doc, v, "\"headerRows\" must be a list of row numbers");
	if (ydoc_len(v) > 1)
		return fail(err, errlen, doc, v, "\"headerRows\" lists %zu rows: a header of several rows is not supported",
			    ydoc_len(v));
	const yaml_node_t *n = ydoc_item(doc, v, 0);
	const char *s = ydoc_str(n);
	char *end = NULL;
	unsigned long row = s && ydoc_is_plain(n) && *s >= '1' && *s <= '9' ? strtoul(s, &end, 10) : 0;
	if (!row || *end || row > 1000000)
		return fail(err, errlen, doc, n, "\"headerRows\" must hold a row number from 1");
	d->header_row = row;
	return 0;
}

int csv_dialect_read(struct csv_dialect *d, struct ydoc *doc, const yaml_node_t *obj, char *err, size_t errlen)
{
	static const char *const ignored[] = {
		"caseSensitiveHeader", "csvddfVersion", "$schema", "type", "headerJoin", "property", "itemType",
		"itemKeys", "sheetNumber", "sheetName", "table", "title", "description", NULL,
	};
	if (!ydoc_is_map(obj))
		return fail(err, errlen, doc, obj, "a dialect must be an object");
	yaml_node_t *dup = ydoc_duplicate_key(doc, obj);
	if (dup)
		return fail(err, errlen, doc, dup, "\"%s\" is given twice", ydoc_str(dup) ? ydoc_str(dup) : "");
	for (size_t i = 0; i < ydoc_len(obj); i++) {
		const yaml_node_t *k = ydoc_key(doc, obj, i), *v = ydoc_value(doc, obj, i);
		const char *key = ydoc_str(k) ? ydoc_str(k) : "";
		int c, rc = 0;
		if (!strcmp(key, "delimiter")) {
			if ((rc = one_byte(doc, v, key, &c, err, errlen)) == 0)
				d->delimiter = (char)c;
		} else if (!strcmp(key, "quoteChar")) {
			if ((rc = one_byte(doc, v, key, &c, err, errlen)) == 0)
				d->quote_char = (char)c;
		} else if (!strcmp(key, "escapeChar")) {
			rc = one_byte(doc, v, key, &d->escape_char, err, errlen);
		} else if (!strcmp(key, "commentChar")) {
			rc = one_byte(doc, v, key, &d->comment_char, err, errlen);
		} else if (!strcmp(key, "doubleQuote")) {
			rc = boolean(doc, v, key, &d->double_quote, err, errlen);
		} else if (!strcmp(key, "skipInitialSpace")) {
			rc = boolean(doc, v, key, &d->skip_initial_space, err, errlen);
		} else if (!strcmp(key, "header")) {
			rc = boolean(doc, v, key, &d->header, err, errlen);
		} else if (!strcmp(key, "headerRows")) {
			rc = header_rows(doc, v, d, err, errlen);
		} else if (!strcmp(key, "lineTerminator")) {
			const char *s = ydoc_str(v);
			if (!s || (strcmp(s, "\r\n") && strcmp(s, "\n") && strcmp(s, "\r")))
				rc = fail(err, errlen, doc, v, "\"lineTerminator\" other than CRLF, LF or CR is not supported");
		} else if (!strcmp(key, "nullSequence")) {
			rc = fail(err, errlen, doc, v, "\"nullSequence\" is not supported: list the value in the schema's "
						       "missingValues instead");
		} else if (!strcmp(key, "commentRows")) {
			rc = fail(err, errlen, doc, v, "\"commentRows\" is not supported: use commentChar, or headerRows "
						       "for rows above the header");
		} else {
			bool known = false;
			for (size_t j = 0; ignored[j] && !known; j++)
				known = !strcmp(key, ignored[j]);
			if (!known)
				log_warn("%s:%zu: dialect: unknown key \"%s\" ignored", doc->path, ydoc_line(k), key);
		}
		if (rc)
			return -1;
	}
	if (csv_dialect_check(d, err, errlen) != 0) {
		char why[256];
		snprintf(why, sizeof why, "%s", err);
		return fail(err, errlen, doc, obj, "%s", why);
	}
	return 0;
}

int csv_dialect_load(struct csv_dialect *d, const char *path, const char *member, bool *found, char *err,
		     size_t errlen)
{
	struct ydoc doc;
	if (found)
		*found = false;
	if (ydoc_load(&doc, path, err, errlen) != 0)
		return -1;
	yaml_node_t *obj = ydoc_root(&doc);
	if (member)
		obj = ydoc_is_map(obj) ? ydoc_get(&doc, obj, member) : NULL;
	int rc = 0;
	if (obj || !member) {
		if (found)
			*found = true;
		rc = csv_dialect_read(d, &doc, obj, err, errlen);
	}
	ydoc_free(&doc);
	return rc;
}

int csv_dialect_check(const struct csv_dialect *d, char *err, size_t errlen)
{
	char a[16], b[16];
	const int chars[] = { d->delimiter, d->quote_char, d->escape_char, d->comment_char };
	const char *names[] = { "the delimiter", "the quote character", "the escape character", "the comment character" };
	for (int i = 0; i < 4; i++)
		if (chars[i] == '\r' || chars[i] == '\n' || chars[i] == '\0') {
			snprintf(err, errlen, "%s cannot be %s", names[i], chars[i] ? "a line end" : "a NUL byte");
			return -1;
		}
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (chars[i] != CSV_DIALECT_NONE && chars[i] == chars[j]) {
				snprintf(err, errlen, "%s and %s are both %s", names[i], names[j],
					 csv_dialect_char_name(chars[i], a));
				return -1;
			}
	if (d->skip_initial_space && (d->delimiter == ' ')) {
		snprintf(err, errlen, "skipInitialSpace cannot go with %s as the delimiter",
			 csv_dialect_char_name(d->delimiter, b));
		return -1;
	}
	return 0;
}

size_t csv_dialect_field_counts(const struct csv_dialect *d, char delim, const char *sample, size_t len,
				size_t *counts, size_t max)
{
	const char *last_lf = len ? memrchr(sample, '\n', len) : NULL;
	if (!last_lf || max == 0)
		return 0;
	struct csv_dialect with = *d;
	with.delimiter = delim;
	char err[256];
	if (csv_dialect_check(&with, err, sizeof err) != 0)
		return 0;
	struct csvr *r = csvr_open_blocks("sample", delim);
	csvr_set_dialect(r, &with);
	csvr_restart(r, 1, true);
	csvr_feed(r, sample, (size_t)(last_lf - sample) + 1, true);
	size_t n = 0;
	const struct csv_record *rec;
	while (n < max && (rec = csvr_next(r)))
		counts[n++] = rec->kind == CSVR_ROW ? rec->nfields : rec->kind == CSVR_BLANK ? 0 : (size_t)-1;
	csvr_close(r);
	return n;
}

char csv_dialect_sniff(const struct csv_dialect *d, const char *sample, size_t len, size_t *fields)
{
	enum { SNIFF_ROWS = 100 };
	size_t counts[SNIFF_ROWS];
	char best = 0;
	double best_share = 0.5; /* a candidate must fit more than half the rows */
	for (const char *c = csv_dialect_candidates; *c; c++) {
		if (*c == d->quote_char || *c == d->escape_char || *c == d->comment_char)
			continue;
		size_t n = csv_dialect_field_counts(d, *c, sample, len, counts, SNIFF_ROWS);
		if (n == 0 || counts[0] < 2 || counts[0] == (size_t)-1)
			continue;
		size_t rows = 0, fit = 0;
		for (size_t i = 0; i < n; i++)
			if (counts[i]) {
				rows++;
				fit += counts[i] == counts[0];
			}
		double share = (double)fit / (double)rows;
		if (share > best_share) {
			best = *c;
			best_share = share;
			*fields = counts[0];
		}
	}
	return best;
}
