/* SPDX-License-Identifier: MIT
 * CSV dialects: how a delimited file is written (delimiter, quoting,
 * escapes, comment lines, where its header is), as Frictionless's CSV
 * Dialect (v1.2) and Table Dialect (v2) describe them, read from a JSON or
 * YAML object, and a sniffer that guesses the delimiter from a sample.
 *
 * The reader (csvio.h, csvr_set_dialect) takes a dialect; programs read one
 * from their options, a dialect file, a schema's or a Data Package
 * resource's "dialect" property, all with csv_dialect_read().
 *
 * What is taken of the spec, and how:
 *   delimiter         one byte (the spec allows a longer sequence: refused);
 *   quoteChar         one byte;
 *   doubleQuote       true: "" inside a quoted field is one quote; false: a
 *                     quote always closes the field (a second one after it
 *                     is a malformed row, unless escapeChar escapes it);
 *   escapeChar        one byte that makes the next byte, whatever it is
 *                     (delimiter, quote, line end, itself), part of the
 *                     field, in quoted and unquoted fields alike;
 *   skipInitialSpace  spaces and tabs right after a delimiter, or at the
 *                     start of a line, are dropped (never inside quotes);
 *   commentChar       a line whose first byte it is, where a row would
 *                     begin, is ignored whole (one byte: v1's one-character
 *                     string; a longer v2 prefix is refused);
 *   header            false: the first row is data;
 *   headerRows        [N]: the header is line N, the lines above it are
 *                     skipped unread (several header rows: refused);
 *   lineTerminator    "\r\n", "\n" or "\r": all three always end a line;
 *                     any other is refused;
 *   nullSequence      refused with a pointer to the schema's missingValues;
 *   caseSensitiveHeader, csvddfVersion, $schema, type, and the properties
 *   of JSON and spreadsheet dialects (property, itemType, itemKeys,
 *   sheetNumber, sheetName, table): ignored, as they do not apply here.
 * A property the spec does not know is warned about and ignored. */
#ifndef ELT_DIALECT_H
#define ELT_DIALECT_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

struct ydoc;

/* No escape or comment character. */
#define CSV_DIALECT_NONE (-1)

struct csv_dialect {
	char delimiter;           /* ',' */
	char quote_char;          /* '"' */
	bool double_quote;        /* true */
	int escape_char;          /* a byte, or CSV_DIALECT_NONE (the default) */
	bool skip_initial_space;  /* false */
	int comment_char;         /* a byte, or CSV_DIALECT_NONE (the default) */
	bool header;              /* true: the first row read is the header */
	unsigned long header_row; /* 1: the line the header (or, without one,
	                           * the first row) is on; the lines above it
	                           * are skipped unread */
};

/* The defaults: RFC 4180 with a header on line 1. */
void csv_dialect_init(struct csv_dialect *d, char delimiter);

/* True when reading d needs more than libcsv gives (doubleQuote false, an
 * escape character, skipInitialSpace): the reader then parses itself. */
bool csv_dialect_own_parser(const struct csv_dialect *d);

/* Applies the properties of the dialect object obj (a mapping in doc) onto
 * d, leaving what obj does not set as it was, so that a later source can
 * override an earlier one. Returns 0, or -1 with a message naming the file
 * and line in err ("dialect.json:3: dialect: \"quoteChar\" must be one
 * character, not \"''\"") and d partly changed. */
int csv_dialect_read(struct csv_dialect *d, struct ydoc *doc, const yaml_node_t *obj, char *err, size_t errlen);

/* csv_dialect_read() of a whole file holding a dialect object (JSON or
 * YAML); with member, of that member of the file's root object instead (a
 * schema's "dialect"), where *found says whether there was one. */
int csv_dialect_load(struct csv_dialect *d, const char *path, const char *member, bool *found, char *err,
		     size_t errlen);

/* Checks that the characters can work together (none is CR or LF, the
 * delimiter, quote and escape differ). Returns 0, or -1 with why in err. */
int csv_dialect_check(const struct csv_dialect *d, char *err, size_t errlen);

/* A byte as messages show it: "','", "tab", "'\\x01'". */
const char *csv_dialect_char_name(int c, char buf[16]);

/* The field counts of the first records of sample (whole lines: what
 * follows its last line end is left out) read with d, where d->delimiter
 * is replaced by delim. counts[0] is the first record's (the header's);
 * up to max counts are written, a blank line counting 0 and a malformed
 * record (size_t)-1. Returns how many were written. */
size_t csv_dialect_field_counts(const struct csv_dialect *d, char delim, const char *sample, size_t len,
				size_t *counts, size_t max);

/* The candidate delimiters of csv_dialect_sniff, in the order a tie goes. */
extern const char csv_dialect_candidates[];

/* Guesses the delimiter of sample among csv_dialect_candidates: the one
 * under which the first records (up to 100) have the same number of fields,
 * at least two, most often, the header's count deciding. Returns it, with
 * that count in *fields, or 0 when no candidate gives two fields or more. */
char csv_dialect_sniff(const struct csv_dialect *d, const char *sample, size_t len, size_t *fields);

#endif
