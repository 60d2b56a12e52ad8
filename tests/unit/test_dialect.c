/* SPDX-License-Identifier: MIT
 * Unit tests for lib/dialect.c: the Frictionless dialect object as the spec
 * words it (defaults, each property, what is refused), and the sniffer. */
#include "dialect.h"

#include <stdlib.h>

#include "unit.h"
#include "ydoc.h"

/* Applies the JSON text onto d; returns csv_dialect_read's result, with the
 * message in err. */
static int read_json(struct csv_dialect *d, const char *json, char *err, size_t errlen)
{
	struct ydoc doc;
	if (ydoc_load_string(&doc, "d.json", json, strlen(json), err, errlen) != 0)
		return -2;
	int rc = csv_dialect_read(d, &doc, ydoc_root(&doc), err, errlen);
	ydoc_free(&doc);
	return rc;
}

/* The spec's defaults: delimiter ",", quoteChar '"', doubleQuote true,
 * skipInitialSpace false, header true on row 1, no escape or comment. */
static void defaults_are_the_spec_s(void)
{
	struct csv_dialect d;
	char err[256];
	csv_dialect_init(&d, ',');
	CHECK(read_json(&d, "{}", err, sizeof err) == 0);
	CHECK(d.delimiter == ',' && d.quote_char == '"' && d.double_quote && !d.skip_initial_space);
	CHECK(d.header && d.header_row == 1);
	CHECK(d.escape_char == CSV_DIALECT_NONE && d.comment_char == CSV_DIALECT_NONE);
	CHECK(!csv_dialect_own_parser(&d));
}

static void every_property_is_read(void)
{
	struct csv_dialect d;
	char err[256];
	csv_dialect_init(&d, ',');
	CHECK(read_json(&d,
			"{\"delimiter\": \"\\t\", \"quoteChar\": \"'\", \"doubleQuote\": false, \"escapeChar\": \"\\\\\","
			" \"skipInitialSpace\": true, \"commentChar\": \"#\", \"header\": false, \"headerRows\": [3],"
			" \"lineTerminator\": \"\\n\", \"caseSensitiveHeader\": true, \"csvddfVersion\": 1.2}",
			err, sizeof err) == 0);
	CHECK(d.delimiter == '\t' && d.quote_char == '\'' && !d.double_quote && d.escape_char == '\\');
	CHECK(d.skip_initial_space && d.comment_char == '#' && !d.header && d.header_row == 3);
	CHECK(csv_dialect_own_parser(&d));
	/* what a later source leaves out stays as an earlier one set it */
	CHECK(read_json(&d, "{\"delimiter\": \";\"}", err, sizeof err) == 0);
	CHECK(d.delimiter == ';' && d.quote_char == '\'' && d.comment_char == '#');
}

static void what_is_not_supported_is_refused_by_name(void)
{
	struct csv_dialect d;
	char err[256];
	csv_dialect_init(&d, ',');
	CHECK(read_json(&d, "{\"delimiter\": \";;\"}", err, sizeof err) == -1);
	CHECK(strstr(err, "d.json:1: dialect: \"delimiter\" must be one character, not \";;\"") != NULL);
	CHECK(read_json(&d, "{\"headerRows\": [1, 2]}", err, sizeof err) == -1);
	CHECK(strstr(err, "a header of several rows is not supported") != NULL);
	CHECK(read_json(&d, "{\"nullSequence\": \"NA\"}", err, sizeof err) == -1);
	CHECK(strstr(err, "missingValues") != NULL);
	CHECK(read_json(&d, "{\"lineTerminator\": \";\"}", err, sizeof err) == -1);
	CHECK(read_json(&d, "{\"doubleQuote\": \"yes\"}", err, sizeof err) == -1);
	CHECK(strstr(err, "\"doubleQuote\" must be true or false") != NULL);
	CHECK(read_json(&d, "{\"commentChar\": \"//\"}", err, sizeof err) == -1);
	CHECK(read_json(&d, "[1]", err, sizeof err) == -1);
	csv_dialect_init(&d, ',');
	CHECK(read_json(&d, "{\"quoteChar\": \",\"}", err, sizeof err) == -1);
	CHECK(strstr(err, "the delimiter and the quote character are both ','") != NULL);
	csv_dialect_init(&d, ',');
	CHECK(read_json(&d, "{\"escapeChar\": \"\\\"\"}", err, sizeof err) == -1);
}

static void sniffer_finds_the_delimiter(void)
{
	struct csv_dialect d;
	size_t fields = 0;
	csv_dialect_init(&d, ',');
	const char *semi = "id;price;name\n1;2,50;\"a;b\"\n2;3,10;c\n";
	CHECK(csv_dialect_sniff(&d, semi, strlen(semi), &fields) == ';' && fields == 3);
	const char *tab = "a\tb\n1\t2\n";
	CHECK(csv_dialect_sniff(&d, tab, strlen(tab), &fields) == '\t' && fields == 2);
	const char *pipe = "a|b|c|d\n1|2|3|4\n";
	CHECK(csv_dialect_sniff(&d, pipe, strlen(pipe), &fields) == '|' && fields == 4);
	const char *comma = "a,b\n1,2\n";
	CHECK(csv_dialect_sniff(&d, comma, strlen(comma), &fields) == ',' && fields == 2);
	const char *one = "a\n1\n";
	CHECK(csv_dialect_sniff(&d, one, strlen(one), &fields) == 0);
	/* only whole lines count: a cut last line does not spoil the sample */
	const char *cut = "a;b\n1;2\n3;4;5;6";
	CHECK(csv_dialect_sniff(&d, cut, strlen(cut), &fields) == ';' && fields == 2);
}

int main(void)
{
	RUN(defaults_are_the_spec_s);
	RUN(every_property_is_read);
	RUN(what_is_not_supported_is_refused_by_name);
	RUN(sniffer_finds_the_delimiter);
	return UNIT_END();
}
