/* SPDX-License-Identifier: MIT
 * validate: checks CSV against a Frictionless Table Schema or rules given on
 * the command line, passes the valid rows on and quarantines the rest.
 *
 *   gen | validate --schema sql/contracts/sales.schema.json --rejects bad.csv | pgload
 *
 * Valid rows go to stdout (header first, field contents unchanged, quoting
 * normalised to RFC 4180). Every other row goes to the rejects file with its
 * line, column, rule (Frictionless error names), a message and the raw row;
 * nothing is dropped silently. A malformed row is just another reject: only
 * input that cannot be resynchronised, or an I/O error, ends the run.
 *
 * Tuned for the pipeline's workload: millions of narrow rows, a handful of
 * typed columns, a unique id. Rows are parsed and checked on every core
 * (csvpar.c), cells in place without copies, repeated values once per
 * thread; unique keys are checked in input order, and kept for valid rows
 * only, so the output is unique and an invalid row never makes a later
 * valid one look like a duplicate. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "buf.h"
#include "decode.h"
#include "exitcode.h"
#include "json.h"
#include "seal.h"
#include "validate.h"
#include "xalloc.h"

static void usage(FILE *to)
{
	fputs("usage: validate [--schema FILE] [--rejects FILE] [--report text|json]\n"
	      "                [--max-rejects N] [--max-reject-rate R] [--require COLS]\n"
	      "                [--type COL=TYPE] [--min COL=V] [--max COL=V] [--enum COL=A,B]\n"
	      "                [--pattern COL=RE] [--unique COL] [--seal] [--sealed]\n"
	      "                [--encoding NAME] [--threads N] [-t] [-q | -v]\n"
	      "                [--dialect FILE] [--delimiter C] [--quote-char C] [--no-double-quote]\n"
	      "                [--escape-char C] [--skip-initial-space] [--comment-char C]\n"
	      "                [--header-row N | --skip-rows N] [--no-header] [--sniff]\n"
	      "                [FILE...]\n"
	      "       validate --package DATAPACKAGE [--rejects FILE] [--report text|json]\n"
	      "                [--max-rejects N] [--max-reject-rate R] [--seal] [--threads N]\n"
	      "                [-q | -v] [RESOURCE]\n",
	      to);
}

static void help(void)
{
	usage(stdout);
	fputs("\nChecks CSV (stdin, or the files named) and writes the valid rows to stdout.\n\n"
	      "  -s, --schema FILE         Frictionless Table Schema, JSON or YAML\n"
	      "      --package FILE        a Data Package (datapackage.json): validate its resource\n"
	      "                            RESOURCE, valid rows to stdout, or without RESOURCE\n"
	      "                            every resource, a summary for each on stderr and no\n"
	      "                            rows on stdout; each resource is read in its own\n"
	      "                            dialect and encoding, so the options for those and\n"
	      "                            --schema, -t, the rules and --sealed cannot be given\n"
	      "  -r, --rejects FILE        write every rejected row there, as CSV:\n"
	      "                            file,line,column,rule,constraint,message,raw\n"
	      "      --report text|json    the summary on stderr as text (default) or JSON\n"
	      "      --max-rejects N       exit 1 when more than N rows are rejected\n"
	      "      --max-reject-rate R   exit 1 when more than this fraction is rejected\n"
	      "                            (with neither, any rejected row exits 1)\n"
	      "      --require COLS        these comma-separated columns must have a value\n"
	      "      --type COL=TYPE       string, integer, number, boolean, date, datetime, time, year,\n"
	      "                            yearmonth, duration, object, array, geopoint, geojson, list, any\n"
	      "      --min COL=V, --max COL=V   bounds (inclusive) for a typed column\n"
	      "      --enum COL=A,B,C      the allowed values\n"
	      "      --pattern COL=RE      a regular expression the whole value must match\n"
	      "      --unique COL          no value may repeat\n"
	      "      --seal                end the output with a seal once everything passed, so\n"
	      "                            that pgload --sealed can tell a finished run from a\n"
	      "                            dead one (see pgload(1))\n"
	      "      --sealed              each input must end with its producer's seal (gen\n"
	      "                            --seal), counting the rows read; otherwise exit 3\n"
	      "      --encoding NAME       read the input as NAME (latin1, windows-1252, utf-16le,\n"
	      "                            any name iconv -l lists) and convert it to UTF-8;\n"
	      "                            without it: UTF-8, or UTF-16/32 by a byte order mark\n"
	      "  -t, --tsv                 tab-separated input and output\n"

	      "      --threads N           threads checking rows besides the main one\n"
	      "                            (default: one per processor; 0 checks in one thread)\n"
	      "  -q, --quiet               errors only on stderr\n"
	      "  -v, --verbose             more detail on stderr\n"
	      "  -h, --help                this help\n"
	      "  -V, --version             version\n"
	      "\nThe input's CSV dialect (Frictionless CSV Dialect; the output is always\n"
	      "RFC 4180 CSV with commas, or tabs with -t, whatever the input's):\n"
	      "      --dialect FILE        a dialect object (JSON or YAML); a schema's own\n"
	      "                            \"dialect\" is read first, these options last\n"
	      "      --delimiter C         the field delimiter, one byte (C may be \"tab\")\n"
	      "      --quote-char C        the quote character (default \")\n"
	      "      --no-double-quote     a doubled quote inside quotes is not one quote\n"
	      "      --escape-char C       C makes the byte after it part of the field\n"
	      "      --skip-initial-space  drop spaces and tabs after a delimiter\n"
	      "      --comment-char C      ignore lines that begin with C\n"
	      "      --header-row N        the header is line N; the lines above are skipped\n"
	      "      --skip-rows N         skip N lines above the header (--header-row N+1)\n"
	      "      --no-header           the first row is data; columns take the schema's\n"
	      "                            field names (field1, field2, ... without a schema)\n"
	      "      --sniff               guess the delimiter (, ; tab | :) from the first\n"
	      "                            64 KiB and say on stderr what was found\n"
	      "\n"
	      "Without a schema or rules, validate still checks that the CSV is well-formed,\n"
	      "valid UTF-8 and rectangular against its header. An input whose first bytes are\n"
	      "clearly in another encoding gets one message naming it, and its rows are\n"
	      "rejected unchecked. Output and rejects are UTF-8.\n\n"
	      "Exit status: 0 success (no rejects, or within a --max-* limit); 1 rejects\n"
	      "over the limit, a bad header, no header, a delimiter that looks wrong, an input\n"
	      "that is not UTF-8 (without --encoding); 2 usage error; 3 unreadable schema,\n"
	      "dialect or input, I/O error, a pattern that could not be matched, an input\n"
	      "without its seal (--sealed).\n"
	      "With --seal, the seal is written only when the exit status is 0.\n",
	      stdout);
}

void vd_die_write(const char *what)
{
	die(EXIT_OPER, "write error on %s: %s", what, strerror(errno));
}

/* ---- the header ---- */

static void free_labels(char **labels, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(labels[i]);
	free(labels);
}

static char **copy_labels(const struct csv_record *rec)
{
	char **labels = xrealloc(NULL, rec->nfields * sizeof *labels);
	for (size_t i = 0; i < rec->nfields; i++) {
		labels[i] = xrealloc(NULL, rec->fields[i].len + 1);
		memcpy(labels[i], rec->fields[i].data, rec->fields[i].len + 1);
	}
	return labels;
}

/* Reports a problem with the header, once: the rows are still checked
 * unless the columns cannot be mapped at all (impossible). */
static void header_problem(struct validator *v, const struct csv_record *rec, const char *label,
			   enum rule rule, const char *msg, bool impossible)
{
	if (impossible && v->header_rule == N_RULES)
		v->header_rule = rule;
	v->header_failed = true;
	v->header_by_rule[rule]++;
	vd_reject(v, rec->line, label, rule, NULL, msg, rec->raw, rec->raw_len);
}

/* Adds a name with its position; returns the position of the name already
 * there, or -1. */
static long name_add(struct keyset *set, const char *name, size_t pos)
{
	size_t len = strlen(name);
	return (long)keyset_find_or_add(set, keyset_hash(name, len), name, len, pos + 1) - 1;
}

/* The position of a name in a set, or -1. */
static long name_find(const struct keyset *set, const char *name)
{
	size_t len = strlen(name);
	return (long)keyset_find(set, keyset_hash(name, len), name, len) - 1;
}

/* fieldsMatch exact: column i is field i, whatever its label says; a label
 * that is not its field's name is incorrect-label, a column past the
 * fields extra-label, a field past the columns missing-label. */
static void map_by_position(struct validator *v, const struct csv_record *rec)
{
	char msg[512];
	size_t nf = v->schema.nfields;
	for (size_t c = 0; c < v->ncols; c++) {
		const char *label = v->labels[c];
		if (c >= nf) {
			snprintf(msg, sizeof msg, "column %zu \"%s\" is past the schema's %zu fields", c + 1, label, nf);
			header_problem(v, rec, label, R_EXTRA_LABEL, msg, false);
			continue;
		}
		v->col_field[c] = (long)c;
		v->field_col[c] = (long)c;
		if (*label && strcmp(label, v->schema.fields[c].name)) {
			snprintf(msg, sizeof msg, "column %zu is \"%s\" but the schema's field %zu is \"%s\"", c + 1, label,
				 c + 1, v->schema.fields[c].name);
			header_problem(v, rec, label, R_INCORRECT_LABEL, msg, false);
		}
	}
	for (size_t f = v->ncols; f < nf; f++) {
		snprintf(msg, sizeof msg, "no column %zu for the schema's field \"%s\"", f + 1, v->schema.fields[f].name);
		header_problem(v, rec, v->schema.fields[f].name, R_MISSING_LABEL, msg, false);
	}
}

/* fieldsMatch equal, subset, superset and partial, and rules from the
 * command line: columns are fields by name. What the mode allows decides
 * whether a column left over or a field without a column is a problem. */
static void map_by_name(struct validator *v, const struct csv_record *rec)
{
	char msg[512];
	enum ts_fields_match m = v->schema.fields_match;
	bool extra_bad = v->from_file && (m == TS_MATCH_EQUAL || m == TS_MATCH_SUPERSET);
	bool missing_bad = !v->from_file || m == TS_MATCH_EQUAL || m == TS_MATCH_SUBSET;
	size_t mapped = 0;
	for (size_t c = 0; c < v->ncols; c++) {
		const char *label = v->labels[c];
		if (!*label)
			continue; /* blank-label already */
		long f = name_find(v->field_names, label);
		if (f >= 0 && v->field_col[f] < 0) {
			v->col_field[c] = f;
			v->field_col[f] = (long)c;
			mapped++;
		} else if (f < 0 && extra_bad) {
			snprintf(msg, sizeof msg, "column \"%s\" is not in the schema", label);
			header_problem(v, rec, label, R_EXTRA_LABEL, msg, false);
		}
	}
	for (size_t f = 0; f < v->schema.nfields && missing_bad; f++)
		if (v->field_col[f] < 0) {
			const char *name = v->schema.fields[f].name;
			snprintf(msg, sizeof msg, "no column \"%s\"%s", name,
				 v->from_file ? " as the schema requires" : " for the rules given");
			header_problem(v, rec, name, R_MISSING_LABEL, msg, false);
		}
	if (v->from_file && m == TS_MATCH_PARTIAL && !mapped && v->schema.nfields)
		header_problem(v, rec, NULL, R_MISSING_LABEL, "no column is a field of the schema (fieldsMatch partial)",
			       false);
}

/* The first file fixes the output's columns, header and all. A later file
 * gives its rows in that order: position by position when its labels are
 * the same (or fieldsMatch is exact), by name otherwise. Returns false,
 * with the problem reported, when its columns cannot be put in that order. */
static bool map_output(struct validator *v, const struct csv_record *rec)
{
	char msg[512];
	bool ok = true;
	if (!v->out_labels) {
		v->n_out = v->ncols;
		v->out_labels = copy_labels(rec);
		v->out_names = keyset_new();
		for (size_t o = 0; o < v->n_out; o++)
			name_add(v->out_names, v->out_labels[o], o);
		struct csv_field *h = xrealloc(NULL, v->ncols * sizeof *h);
		for (size_t c = 0; c < v->ncols; c++)
			h[c] = (struct csv_field){ v->labels[c], strlen(v->labels[c]), !*v->labels[c] };
		if (csvw_record(v->out, h, v->ncols) != 0)
			vd_die_write("standard output");
		free(h);
	}
	v->out_order = xrealloc(v->out_order, v->n_out * sizeof *v->out_order);
	bool same = v->n_out == v->ncols;
	for (size_t o = 0; o < v->n_out && same; o++)
		same = !strcmp(v->out_labels[o], v->labels[o]);
	if (same || (v->by_position && v->n_out == v->ncols)) {
		for (size_t o = 0; o < v->n_out; o++)
			v->out_order[o] = o;
		v->same_order = true;
		return true;
	}
	if (v->by_position) {
		snprintf(msg, sizeof msg, "the file has %zu columns, the first file %zu", v->ncols, v->n_out);
		header_problem(v, rec, NULL, v->ncols < v->n_out ? R_MISSING_LABEL : R_EXTRA_LABEL, msg, true);
		return false;
	}
	if (keyset_count(v->out_names) != v->n_out || keyset_count(v->col_names) != v->ncols) {
		header_problem(v, rec, NULL, R_DUPLICATE_LABEL,
			       "with a name given twice or none, the columns cannot be matched to the first file's", true);
		return false;
	}
	for (size_t o = 0; o < v->n_out; o++) {
		long found = name_find(v->col_names, v->out_labels[o]);
		if (found < 0) {
			snprintf(msg, sizeof msg, "no column \"%s\" as in the first file's header", v->out_labels[o]);
			header_problem(v, rec, v->out_labels[o], R_MISSING_LABEL, msg, true);
			ok = false;
		}
		v->out_order[o] = found < 0 ? v->ncols : (size_t)found;
	}
	for (size_t c = 0; c < v->ncols; c++) {
		if (name_find(v->out_names, v->labels[c]) < 0) {
			snprintf(msg, sizeof msg, "column \"%s\" is not in the first file's header", v->labels[c]);
			header_problem(v, rec, v->labels[c], R_EXTRA_LABEL, msg, true);
			ok = false;
		}
	}
	v->same_order = false;
	return ok;
}

/* Maps the header onto the schema and onto the output's columns, reporting
 * each problem once. Returns whether the rows can be checked: false only
 * when the header cannot be read as names or the columns cannot be put in
 * the output's order. */
static bool read_header(struct validator *v, const struct csv_record *rec)
{
	char msg[512];
	v->header_rule = N_RULES;
	v->unchecked = "not checked: the header is invalid";
	free_labels(v->labels, v->ncols);
	v->ncols = rec->kind == CSVR_ROW ? rec->nfields : 0;
	v->labels = rec->kind == CSVR_ROW ? copy_labels(rec) : NULL;
	keyset_free(v->col_names);
	v->col_names = keyset_new();
	v->col_field = xrealloc(v->col_field, (v->ncols + 1) * sizeof *v->col_field);
	v->field_col = xrealloc(v->field_col, (v->schema.nfields + 1) * sizeof *v->field_col);
	for (size_t f = 0; f < v->schema.nfields; f++)
		v->field_col[f] = -1;
	if (rec->kind != CSVR_ROW) {
		header_problem(v, rec, NULL, rec->kind == CSVR_BLANK ? R_BLANK_LABEL : R_SOURCE,
			       rec->kind == CSVR_BLANK ? "the header is empty" : rec->error, true);
		return false;
	}
	bool readable = true;
	for (size_t c = 0; c < v->ncols; c++) {
		const char *label = v->labels[c], *why;
		v->col_field[c] = -1;
		enum rule bad = vd_check_bytes(rec->fields[c].data, rec->fields[c].len, &why);
		if (bad != N_RULES) { /* a NUL would cut the label short */
			snprintf(msg, sizeof msg, "the name of column %zu %s", c + 1, why);
			header_problem(v, rec, NULL, bad, msg, true);
			readable = false;
			continue;
		}
		if (!*label) {
			snprintf(msg, sizeof msg, "column %zu has no name", c + 1);
			header_problem(v, rec, NULL, R_BLANK_LABEL, msg, false);
			continue;
		}
		long d = name_add(v->col_names, label, c);
		if (d >= 0) {
			snprintf(msg, sizeof msg, "\"%s\" names columns %ld and %zu", label, d + 1, c + 1);
			header_problem(v, rec, label, R_DUPLICATE_LABEL, msg, false);
		}
	}
	if (!readable)
		return false;
	if (v->by_position)
		map_by_position(v, rec);
	else
		map_by_name(v, rec);
	return map_output(v, rec);
}

/* ---- each input ---- */

/* Without a header (dialect header false) the columns take the schema's
 * field names in order, or field1, field2, ... past them, as frictionless
 * names them; the first row, which gave their number, is data. */
static void header_from_names(struct validator *v, const struct csv_record *first)
{
	size_t n = first->kind == CSVR_ROW ? first->nfields : 0;
	if (n < v->schema.nfields)
		n = v->schema.nfields; /* a short row misses cells; no label is missing */
	struct csv_field *names = xcalloc(n + 1, sizeof *names);
	for (size_t i = 0; i < n; i++) {
		char buf[32];
		snprintf(buf, sizeof buf, "field%zu", i + 1);
		const char *name = i < v->schema.nfields ? v->schema.fields[i].name : buf;
		names[i] = (struct csv_field){ xstrdup(name), strlen(name), false };
	}
	struct csv_record rec = { .kind = CSVR_ROW, .line = first->line, .nfields = n, .fields = names, .raw = "" };
	v->header_ok = read_header(v, &rec);
	for (size_t i = 0; i < n; i++)
		free((char *)names[i].data);
	free(names);
}

static void on_header(void *ctx, const struct csv_record *rec)
{
	struct validator *v = ctx;
	v->header_seen = true;
	if (v->not_utf8) {
		/* Its names are no more to be read as UTF-8 than its rows:
		 * one problem for the input, every row rejected unchecked. */
		v->header_rule = N_RULES;
		v->unchecked = "not checked: the input is not UTF-8";
		header_problem(v, rec, NULL, R_ENCODING, v->not_utf8_msg, true);
		v->header_ok = false;
		return;
	}
	if (!v->in.header)
		header_from_names(v, rec);
	else
		v->header_ok = read_header(v, rec);
}

/* ---- the input's dialect ---- */

enum { SAMPLE_BYTES = 64 * 1024, SAMPLE_ROWS = 100 };

static ssize_t from_decoder(void *in, char *buf, size_t want)
{
	return decoder_read(in, buf, want);
}

/* Reads the input's first bytes into sample, to sniff them or to look at
 * its field counts: up to SAMPLE_BYTES, less at the end of input or, unless
 * all is needed (--sniff), when a pipe has no more ready for now, so that
 * rows from a slow producer are not held back. They are read through the
 * decoder, as UTF-8. Returns the length, or -1 after a read error (errno
 * set). */

static ssize_t read_sample(struct decoder *in, struct seal_in *seal, char *sample, bool all)
{
	size_t len = 0;
	while (len < SAMPLE_BYTES) {
		ssize_t n = seal ? seal_read_from(seal, from_decoder, in, sample + len, SAMPLE_BYTES - len)
				 : decoder_read(in, sample + len, SAMPLE_BYTES - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
		if (!all && !decoder_ready(in))
			break;
	}
	return (ssize_t)len;
}

/* --sniff: the delimiter the sample suggests, said on stderr. */
static void sniff_delimiter(struct validator *v, const char *name, const char *sample, size_t len)
{
	char a[16];
	size_t fields = 0;
	char found = csv_dialect_sniff(&v->in, sample, len, &fields);
	if (found) {
		v->in.delimiter = found;
		log_info("%s: sniffed the delimiter %s (%zu columns)", name, csv_dialect_char_name(found, a), fields);
	} else {
		log_warn("%s: --sniff found no delimiter that splits the first rows alike; reading with %s", name,
			 csv_dialect_char_name(v->in.delimiter, a));
	}
}

/* A file whose rows all come out the wrong width under its delimiter, but
 * alike under another, was written with that other one: the sample's
 * header and rows (its first SAMPLE_ROWS records in SAMPLE_BYTES) are
 * read with each delimiter sniffing knows. Wrong under the delimiter
 * given: every row in the sample (one at least) has another number of
 * fields than the header, or the header is one column where the schema
 * has several. Right under another: the header has two fields or more
 * and every row in the sample as many. Returns that delimiter, or 0. */
static char better_delimiter(const struct validator *v, const char *sample, size_t len, size_t *fields,
			     char *why, size_t whysize)
{
	size_t counts[SAMPLE_ROWS];
	size_t n = csv_dialect_field_counts(&v->in, v->in.delimiter, sample, len, counts, SAMPLE_ROWS);
	size_t rows = 0, wrong = 0;
	for (size_t i = 1; i < n; i++)
		if (counts[i]) {
			rows++;
			wrong += counts[i] != counts[0];
		}
	bool one_column = n > 0 && counts[0] == 1 && rows;
	bool schema_wants_more = one_column && v->schema.nfields > 1;
	if (n == 0 || !((rows && wrong == rows) || one_column))
		return 0;
	if (rows && wrong == rows)
		snprintf(why, whysize, "none of the first %zu rows has as many fields as the header (%zu)", rows,
			 counts[0]);
	else if (schema_wants_more)
		snprintf(why, whysize, "the header is one column where the schema has %zu fields", v->schema.nfields);
	else
		snprintf(why, whysize, "every row is one column");
	for (const char *c = csv_dialect_candidates; *c; c++) {
		if (*c == v->in.delimiter || *c == v->in.quote_char || *c == v->in.escape_char ||
		    *c == v->in.comment_char)
			continue;
		size_t m = csv_dialect_field_counts(&v->in, *c, sample, len, counts, SAMPLE_ROWS);
		bool alike = m > 1 && counts[0] >= 2 && counts[0] != (size_t)-1;
		for (size_t i = 1; i < m && alike; i++)
			alike = counts[i] == 0 || counts[i] == counts[0];
		if (alike) {
			*fields = counts[0];
			return *c;
		}
	}
	return 0;
}

/* Says once that the input's delimiter looks wrong, in place of a reject
 * for each of its rows, which are not read. */
static void report_wrong_delimiter(struct validator *v, char better, size_t fields, const char *why)
{
	char a[16], b[16], msg[512], opt[16];
	if (better == '\t')
		snprintf(opt, sizeof opt, "tab");
	else
		snprintf(opt, sizeof opt, "'%c'", better);
	snprintf(msg, sizeof msg,
		 "with the delimiter %s %s, but with %s the header and the first rows all have %zu fields: "
		 "try --delimiter %s (the rows were not checked)",
		 csv_dialect_char_name(v->in.delimiter, a), why, csv_dialect_char_name(better, b), fields, opt);
	struct csv_record none = { .kind = CSVR_ROW, .line = v->in.header_row, .raw = "" };
	header_problem(v, &none, NULL, R_SOURCE, msg, true);
	v->dialect_wrong = true;
}

/* Before the first row of an input: what it is read as, and whether its
 * first bytes are clearly in another encoding than UTF-8. Then one
 * message says so, naming the likely encoding and the option, and
 * on_header() makes that the input's one problem. */
static void look_at_encoding(struct validator *v, const struct decoder *d, const char *name)
{
	v->in_width = decoder_width(d);
	v->not_utf8 = v->quiet_rejects = false;
	log_debug("%s: read as %s", name, decoder_name(d));
	const char *bom = decoder_bom_conflict(d);
	if (bom)
		log_warn("%s: the input begins with a %s byte order mark, but is read as %s, as --encoding says", name,
			 bom, decoder_name(d));
	struct decoder_guess g;
	if (!decoder_guess(d, &g))
		return;
	char what[64];
	if (g.nul)
		snprintf(what, sizeof what, "a NUL in every other byte");
	else if (*g.shown)
		snprintf(what, sizeof what, "byte 0x%02X, %s in %s", g.byte, g.shown, g.encoding);
	else
		snprintf(what, sizeof what, "byte 0x%02X", g.byte);
	snprintf(v->not_utf8_msg, sizeof v->not_utf8_msg,
		 "the input is not UTF-8 (line %llu: %s); it looks like %s: use --encoding %s",
		 (unsigned long long)g.line, what, g.encoding, g.encoding);
	log_error("%s:%llu: not UTF-8 (%s); the input looks like %s: run again with --encoding %s", name,
		  (unsigned long long)g.line, what, g.encoding, g.encoding);
	v->not_utf8 = v->quiet_rejects = v->any_not_utf8 = true;
}

/* Validates one input. Returns false when it could not be read to the end. */
static bool validate_file(struct validator *v, int fd, const char *name)
{
	v->file = name;
	v->in_fd = fd;
	v->header_seen = v->reserved = false;
	progress_init(&v->progress);
	char err[256];
	struct decoder *in = decoder_open(fd, v->encoding, err, sizeof err);
	if (!in)
		die(EXIT_USAGE, "--encoding: %s", err);
	look_at_encoding(v, in, name);
	struct seal_in seal = { 0 };
	v->in = v->dialect;
	char *sample = xrealloc(NULL, SAMPLE_BYTES);
	ssize_t got = read_sample(in, v->sealed ? &seal : NULL, sample, v->sniff);
	if (got < 0) {
		log_error("%s: read error: %s", name, strerror(errno));
		free(sample);
		decoder_close(in);
		return false;
	}
	size_t sample_len = (size_t)got;
	if (v->sniff)
		sniff_delimiter(v, name, sample, sample_len);
	size_t fields = 0;
	char why[256];
	/* Bytes in another encoding than UTF-8 are the input's one problem. */
	char better = v->sniff || v->not_utf8 ? 0 : better_delimiter(v, sample, sample_len, &fields, why, sizeof why);
	if (better && v->schema.nfields == 0 && !strcmp(why, "every row is one column")) {
		/* A file of one column is fine CSV: only a hint. */
		char a[16], b[16];
		log_warn("%s: with the delimiter %s every row is one column, but with %s the header and the first "
			 "rows all have %zu fields: is the delimiter %s? (--delimiter or --sniff)",
			 name, csv_dialect_char_name(v->in.delimiter, a), csv_dialect_char_name(better, b), fields,
			 csv_dialect_char_name(better, b));
	} else if (better) {
		report_wrong_delimiter(v, better, fields, why);
		free(sample);
		decoder_close(in);
		return true;
	}
	v->raw_copy_ok = v->in.delimiter == v->delim && v->in.quote_char == '"';
	const struct csvpar_opts o = { .name = name, .delim = v->in.delimiter, .dialect = &v->in,
				       .first_is_data = !v->in.header, .prefix = sample, .prefix_len = sample_len,
				       .threads = v->threads, .seal = v->sealed ? &seal : NULL, .in = in };
	uint64_t rows_before = v->rows;
	struct csvpar_ops ops = vd_rowcheck_ops;
	ops.ctx = v;
	ops.header = on_header;
	bool ok = csvpar_run(fd, &o, &ops, err, sizeof err);
	free(sample);
	progress_end(&v->progress);
	decoder_close(in);
	v->not_utf8 = v->quiet_rejects = false;
	uint64_t sealed_rows;
	if (ok && v->sealed && !seal_check(&seal, &sealed_rows, err, sizeof err)) {
		ok = false;
		v->seal_broken = true;
	} else if (ok && v->sealed && sealed_rows != v->rows - rows_before) {
		snprintf(err, sizeof err, "the seal counts %llu rows, %llu arrived: the stream was changed on the way",
			 (unsigned long long)sealed_rows, (unsigned long long)(v->rows - rows_before));
		ok = false;
		v->seal_broken = true;
	}
	if (!ok) {
		log_error("%s: %s", name, err);
	} else if (!v->header_seen && v->schema.nfields) {
		/* The fields have no columns to be found in: the data failed. */
		struct csv_record none = { .kind = CSVR_ROW, .line = 1, .raw = "" };
		header_problem(v, &none, NULL, R_SOURCE, "the input is empty: no header", false);
		v->no_header = true;
	} else if (!v->header_seen) {
		log_warn("%s: empty input, no header", name);
	}
	return ok;
}

/* ---- set-up ---- */

/* Unique sets: single-field unique constraints, the primary key (unless it
 * is a single field already unique) and uniqueKeys. */
static void plan_unique_checks(struct validator *v)
{
	struct ts_schema *s = &v->schema;
	size_t max = s->nfields + 1 + s->n_unique_keys;
	v->uniques = xrealloc(NULL, max * sizeof *v->uniques);
	for (size_t f = 0; f < s->nfields; f++)
		if (s->fields[f].unique) {
			struct unique_check *u = &v->uniques[v->n_uniques++];
			*u = (struct unique_check){ 0 };
			u->rule = R_UNIQUE;
			u->owns_key = true;
			u->key.n = 1;
			u->key.cols = xrealloc(NULL, sizeof *u->key.cols);
			u->key.cols[0] = f;
		}
	const struct ts_key *pk = &s->primary_key;
	if (pk->n && !(pk->n == 1 && s->fields[pk->cols[0]].unique))
		v->uniques[v->n_uniques++] = (struct unique_check){ .rule = R_PRIMARY_KEY, .key = *pk };
	for (size_t i = 0; i < s->n_unique_keys; i++)
		v->uniques[v->n_uniques++] = (struct unique_check){ .rule = R_UNIQUE, .key = s->unique_keys[i] };
	for (size_t i = 0; i < v->n_uniques; i++)
		v->uniques[i].seen = keyset_new();
}

/* "col=value" from the command line. */
static void split_rule(const char *opt, const char *arg, char **col, const char **value)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		die(EXIT_USAGE, "%s: expected COLUMN=VALUE, got \"%s\"", opt, arg);
	*col = xrealloc(NULL, (size_t)(eq - arg) + 1);
	memcpy(*col, arg, (size_t)(eq - arg));
	(*col)[eq - arg] = '\0';
	*value = eq + 1;
}

static struct ts_field *rule_field(struct validator *v, const char *opt, const char *col)
{
	long f = ts_field_index(&v->schema, col);
	if (f >= 0)
		return &v->schema.fields[f];
	if (v->from_file)
		die(EXIT_USAGE, "%s: the schema has no field \"%s\"", opt, col);
	return ts_add_field(&v->schema, col);
}

struct rule_arg {
	int opt;
	const char *arg;
};

static const char *opt_name(int opt)
{
	switch (opt) {
	case 'R': return "--require";
	case 'T': return "--type";
	case 'm': return "--min";
	case 'M': return "--max";
	case 'e': return "--enum";
	case 'p': return "--pattern";
	default: return "--unique";
	}
}

/* Applies command-line rules: types first, since bounds and enums are read
 * by type. */
static void apply_rules(struct validator *v, const struct rule_arg *rules, size_t n)
{
	char err[512];
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			const char *opt = opt_name(rules[i].opt), *value;
			char *col;
			if ((rules[i].opt == 'T') != (pass == 0))
				continue;
			if (rules[i].opt == 'R' || rules[i].opt == 'U') {
				/* a comma-separated list of columns */
				char *list = xrealloc(NULL, strlen(rules[i].arg) + 1), *save = NULL;
				strcpy(list, rules[i].arg);
				for (char *c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
					struct ts_field *f = rule_field(v, opt, c);
					*(rules[i].opt == 'R' ? &f->required : &f->unique) = true;
				}
				free(list);
				continue;
			}
			split_rule(opt, rules[i].arg, &col, &value);
			struct ts_field *f = rule_field(v, opt, col);
			int rc = 0;
			if (rules[i].opt == 'T') {
				if (!ts_type_parse(value, &f->type))
					die(EXIT_USAGE, "--type: unknown type \"%s\" (string, integer, number, boolean, "
							"date, datetime, time, year, yearmonth, duration, object, array, "
							"geopoint, geojson, list, any)", value);
			} else if (rules[i].opt == 'e') {
				char *list = xrealloc(NULL, strlen(value) + 1), *save = NULL;
				strcpy(list, value);
				char **vals = NULL;
				size_t nv = 0;
				for (char *c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
					vals = xrealloc(vals, (nv + 1) * sizeof *vals);
					vals[nv++] = c;
				}
				rc = ts_enum_from_list(f, vals, nv, err, sizeof err);
				free(vals);
				free(list);
			} else {
				enum ts_constraint c = rules[i].opt == 'm' ? TSC_MINIMUM
						       : rules[i].opt == 'M' ? TSC_MAXIMUM : TSC_PATTERN;
				rc = ts_set_constraint(f, c, value, err, sizeof err);
			}
			if (rc)
				die(EXIT_USAGE, "%s: column %s: %s", opt, col, err);
			free(col);
		}
}

/* Counts by rule, as JSON members or as "(rule n, rule n)" text. */
static void print_counts(char *buf, size_t size, const uint64_t *by_rule, bool json)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int r = 0; r < N_RULES; r++)
		if (by_rule[r] && n < size)
			n += (size_t)snprintf(buf + n, size - n, json ? "%s\"%s\": %llu" : "%s%s %llu",
					      n ? ", " : json ? "" : " (", vd_rule_names[r], (unsigned long long)by_rule[r]);
	if (!json && n && n < size)
		snprintf(buf + n, size - n, ")");
}

/* Rows read = valid + rejected, and rejects_by_rule adds up to rejected;
 * problems with a header are not rows, so they are counted apart. */
static void print_summary(const struct validator *v, bool json, const char *verdict)
{
	char rules[1024], header[1024];
	if (v->late_guess_line) {
		/* The first bytes looked like UTF-8, so no hint came before the rows. */
		const struct decoder_guess *g = &v->late_guess;
		log_warn("%s:%llu: the first line that is not UTF-8 (byte 0x%02X%s%s%s%s); if the input is in another "
			 "encoding, run again with --encoding %s",
			 v->late_guess_file, (unsigned long long)v->late_guess_line, g->byte, *g->shown ? ", " : "",
			 g->shown, *g->shown ? " in " : "", *g->shown ? g->encoding : "", g->encoding);
	}
	print_counts(rules, sizeof rules, v->by_rule, json);
	print_counts(header, sizeof header, v->header_by_rule, json);
	if (json) {
		char problems[1024];
		print_counts(problems, sizeof problems, v->problems_by_rule, true);
		fputc('{', stderr);
		if (v->resource) {
			fputs("\"resource\": ", stderr);
			json_fstring(stderr, v->resource);
			fputs(", ", stderr);
		}
		fprintf(stderr, "\"rows\": %llu, \"valid\": %llu, \"rejected\": %llu, \"rejects_by_rule\": {%s}, "
				"\"header_problems\": {%s}, \"problems_by_rule\": {%s}, \"result\": ",
			(unsigned long long)v->rows, (unsigned long long)v->valid, (unsigned long long)v->rejected, rules,
			header, problems);
		json_fstring(stderr, verdict);
		fprintf(stderr, "}\n");
		return;
	}
	if (v->stderr_rejects > 20)
		log_info("... %u more rejects not shown (use --rejects FILE)", v->stderr_rejects - 20);
	log_info("%s%s%s%llu rows read, %llu valid, %llu rejected%s%s%s%s%s", v->resource ? "resource " : "",
		 v->resource ? v->resource : "", v->resource ? ": " : "", (unsigned long long)v->rows,
		 (unsigned long long)v->valid, (unsigned long long)v->rejected, rules, *header ? "; header problems" : "",
		 header, *verdict ? ": " : "", verdict);
}

/* Whether the file r describes is the open file fd (or, fd < 0, the file at
 * other). */
static bool same_file(const struct stat *r, int fd, const char *other)
{
	struct stat st;
	return (fd >= 0 ? fstat(fd, &st) : stat(other, &st)) == 0 && st.st_dev == r->st_dev && st.st_ino == r->st_ino;
}

/* Opening the rejects file empties it: if it is also an input, or the
 * standard output, rows would be lost before they are read or mixed with
 * the valid ones. */
static void refuse_same_file(const char *rejects, char **inputs, int ninputs)
{
	struct stat r;
	if (stat(rejects, &r) != 0 || !S_ISREG(r.st_mode))
		return;
	bool clash = ninputs == 0 && same_file(&r, STDIN_FILENO, NULL);
	for (int i = 0; i < ninputs && !clash; i++)
		clash = strcmp(inputs[i], "-") ? same_file(&r, -1, inputs[i]) : same_file(&r, STDIN_FILENO, NULL);
	if (clash)
		die(EXIT_USAGE, "--rejects %s is also the input: it would be emptied before it is read", rejects);
	if (same_file(&r, STDOUT_FILENO, NULL))
		die(EXIT_USAGE, "--rejects %s is also the standard output", rejects);
}

/* ---- the run ---- */

/* What the command line asked for. */
struct opts {
	const char *schema_path, *rejects_path;
	const char *package_path;  /* --package */
	bool tsv;                  /* -t given */
	bool json;                 /* --report json */
	uint64_t max_rejects;
	double max_rate;
	bool seal, sealed;
	const char *encoding;      /* --encoding, or NULL */
	char delim;                /* the output's */
	const char *dialect_path;  /* --dialect */
	struct csv_dialect cli;    /* the dialect options given ... */
	unsigned cli_set;          /* ... which of them (CLI_ bits) */
	bool sniff;
	const char *dialect_opt;   /* the first dialect option given, or NULL */
	unsigned threads;
	struct rule_arg *rules;    /* --require, --type, ... in the order given */
	size_t nrules;
	char **inputs;             /* none: stdin */
	int ninputs;
};

/* Which dialect options the command line gave: they override a dialect
 * file's and the schema's. */
enum {
	CLI_DELIMITER = 1, CLI_QUOTE = 2, CLI_DOUBLE_QUOTE = 4, CLI_ESCAPE = 8, CLI_SKIP_SPACE = 16,
	CLI_COMMENT = 32, CLI_HEADER_ROW = 64, CLI_NO_HEADER = 128,
};

/* getopt's value for --encoding, which has no short option (E is
 * --escape-char). */
enum { ENCODING_OPT = 256 };

/* A dialect character from the command line: one byte, or "tab" or "\t"
 * for a tab, as shells make a tab hard to type. */
static char dialect_char(const char *opt, const char *arg)
{
	if (!strcmp(arg, "tab") || !strcmp(arg, "\\t"))
		return '\t';
	if (strlen(arg) != 1)
		die(EXIT_USAGE, "%s: \"%s\" is not one character (a byte; \"tab\" for a tab)", opt, arg);
	if (arg[0] == '\r' || arg[0] == '\n')
		die(EXIT_USAGE, "%s: a line end cannot be a dialect character", opt);
	return arg[0];
}

/* --header-row and --skip-rows say the same thing two ways. */
static void set_header_row(struct opts *o, const char *opt, unsigned long row)
{
	if ((o->cli_set & CLI_HEADER_ROW) && o->cli.header_row != row)
		die(EXIT_USAGE, "%s: the header row is already line %lu", opt, o->cli.header_row);
	o->cli.header_row = row;
	o->cli_set |= CLI_HEADER_ROW;
}

/* --package takes the rules, the files and the dialect from the package:
 * what would say otherwise is refused. Returns -1 to go on, or EXIT_USAGE. */
static int package_options_ok(const struct opts *o)
{
	const char *clash = o->schema_path ? "--schema" : o->nrules ? opt_name(o->rules[0].opt)
			  : o->tsv ? "--tsv" : o->sealed ? "--sealed" : o->encoding ? "--encoding" : NULL;
	char dialect_opt[64];
	if (!clash && o->dialect_opt) /* the resource's "dialect" says how it is written */
		snprintf(dialect_opt, sizeof dialect_opt, "--%s", o->dialect_opt), clash = dialect_opt;
	if (clash) {
		log_error("%s cannot be used with --package, which says what the data is and how it is written", clash);
		return EXIT_USAGE;
	}
	if (o->ninputs > 1) {
		log_error("--package takes one RESOURCE name at most, not %d", o->ninputs);
		return EXIT_USAGE;
	}
	if (o->seal && !o->ninputs) {
		log_error("--seal needs a RESOURCE: without one no rows are written to seal");
		return EXIT_USAGE;
	}
	return -1;
}

/* Reads the options into o. Returns -1 to go on, or the exit status when
 * there is nothing more to do (--help, --version, a usage error). */
static int parse_options(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .max_rejects = UINT64_MAX, .max_rate = 2.0, .delim = ',', .threads = csvpar_cpus() };
	csv_dialect_init(&o->cli, ',');
	static const struct option longopts[] = {
		{ "schema", required_argument, NULL, 's' },
		{ "package", required_argument, NULL, 'P' },
		{ "rejects", required_argument, NULL, 'r' },
		{ "report", required_argument, NULL, 'j' },
		{ "max-rejects", required_argument, NULL, 'x' },
		{ "max-reject-rate", required_argument, NULL, 'X' },
		{ "require", required_argument, NULL, 'R' },
		{ "type", required_argument, NULL, 'T' },
		{ "min", required_argument, NULL, 'm' },
		{ "max", required_argument, NULL, 'M' },
		{ "enum", required_argument, NULL, 'e' },
		{ "pattern", required_argument, NULL, 'p' },
		{ "unique", required_argument, NULL, 'U' },
		{ "seal", no_argument, NULL, 'z' },
		{ "sealed", no_argument, NULL, 'Z' },
		{ "tsv", no_argument, NULL, 't' },
		{ "encoding", required_argument, NULL, ENCODING_OPT },
		{ "threads", required_argument, NULL, 'J' },
		{ "dialect", required_argument, NULL, 'D' },
		{ "delimiter", required_argument, NULL, 'd' },
		{ "quote-char", required_argument, NULL, 'Q' },
		{ "no-double-quote", no_argument, NULL, 'N' },
		{ "escape-char", required_argument, NULL, 'E' },
		{ "skip-initial-space", no_argument, NULL, 'S' },
		{ "comment-char", required_argument, NULL, 'C' },
		{ "header-row", required_argument, NULL, 'H' },
		{ "skip-rows", required_argument, NULL, 'K' },
		{ "no-header", no_argument, NULL, 'n' },
		{ "sniff", no_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c, idx = -1;
	while ((c = getopt_long(argc, argv, ":s:r:tqvhV", longopts, &idx)) != -1) {
		/* The first dialect option, which --package refuses. */
		if (c > 0 && c < 128 && strchr("DdQNESCHKnF", c) && idx >= 0 && !o->dialect_opt)
			o->dialect_opt = longopts[idx].name;
		idx = -1;
		switch (c) {
		case 's': o->schema_path = optarg; break;
		case 'P': o->package_path = optarg; break;
		case 'r': o->rejects_path = optarg; break;
		case 'j':
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				die(EXIT_USAGE, "--report: \"%s\" is not text or json", optarg);
			o->json = !strcmp(optarg, "json");
			break;
		case 'x': o->max_rejects = args_u64("--max-rejects", optarg, 0, UINT64_MAX); break;
		case 'X': o->max_rate = args_rate("--max-reject-rate", optarg); break;
		case 'R': case 'T': case 'm': case 'M': case 'e': case 'p': case 'U':
			o->rules = xrealloc(o->rules, (o->nrules + 1) * sizeof *o->rules);
			o->rules[o->nrules++] = (struct rule_arg){ c, optarg };
			break;
		case 'z': o->seal = true; break;
		case 'Z': o->sealed = true; break;
		case 't':
			o->delim = '\t', o->tsv = true;
			if (!(o->cli_set & CLI_DELIMITER)) /* --delimiter says otherwise for the input */
				o->cli.delimiter = '\t';
			o->cli_set |= CLI_DELIMITER;
			break;
		case 'D': o->dialect_path = optarg; break;
		case 'd': o->cli.delimiter = dialect_char("--delimiter", optarg), o->cli_set |= CLI_DELIMITER; break;
		case 'Q': o->cli.quote_char = dialect_char("--quote-char", optarg), o->cli_set |= CLI_QUOTE; break;
		case 'N': o->cli.double_quote = false, o->cli_set |= CLI_DOUBLE_QUOTE; break;
		case 'E':
			o->cli.escape_char = (unsigned char)dialect_char("--escape-char", optarg);
			o->cli_set |= CLI_ESCAPE;
			break;
		case 'S': o->cli.skip_initial_space = true, o->cli_set |= CLI_SKIP_SPACE; break;
		case 'C':
			o->cli.comment_char = (unsigned char)dialect_char("--comment-char", optarg);
			o->cli_set |= CLI_COMMENT;
			break;
		case 'H': set_header_row(o, "--header-row", (unsigned long)args_u64("--header-row", optarg, 1, 1000000)); break;
		case 'K': set_header_row(o, "--skip-rows", (unsigned long)args_u64("--skip-rows", optarg, 0, 999999) + 1); break;
		case 'n': o->cli.header = false, o->cli_set |= CLI_NO_HEADER; break;
		case 'F': o->sniff = true; break;
		case ENCODING_OPT:
			if (!decoder_known(optarg))
				die(EXIT_USAGE, "--encoding: unknown encoding \"%s\" (iconv -l lists the names this "
						"system knows)", optarg);
			o->encoding = optarg;
			break;
		case 'J': o->threads = (unsigned)args_u64("--threads", optarg, 0, 256); break;
		case 'q': log_level = LOG_QUIET; break;
		case 'v': log_level = LOG_VERBOSE; break;
		case 'h': help(); return EXIT_OK;
		case 'V': puts("validate " ELT_VERSION); return EXIT_OK;
		default:
			args_bad_option(c, argv);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (o->sniff && (o->cli_set & CLI_DELIMITER) && o->cli.delimiter != '\t')
		die(EXIT_USAGE, "--sniff guesses the delimiter: give it or --delimiter, not both");
	/* No tolerance stated: one rejected row fails the run. */
	if (o->max_rejects == UINT64_MAX && o->max_rate > 1.0)
		o->max_rejects = 0;
	o->inputs = argv + optind;
	o->ninputs = argc - optind;
	return o->package_path ? package_options_ok(o) : -1;
}

/* Opens the rejects file and writes its header. */
static void open_rejects(struct validator *v, const struct opts *o)
{
	refuse_same_file(o->rejects_path, o->inputs, o->ninputs);
	v->rejects_fd = open(o->rejects_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (v->rejects_fd < 0)
		die(EXIT_OPER, "%s: %s", o->rejects_path, strerror(errno));
	v->rejects = csvw_open(v->rejects_fd, ',');
	static const char *const head[] = { "file", "line", "column", "rule", "constraint", "message", "raw" };
	for (int i = 0; i < 7; i++)
		if (csvw_str(v->rejects, head[i]) != 0)
			vd_die_write(o->rejects_path);
	if (csvw_end_record(v->rejects) != 0)
		vd_die_write(o->rejects_path);
}

/* The inputs' dialect: the defaults, then the schema's "dialect", then
 * --dialect FILE, then each option given; or a package resource's, which
 * dp_load read and checked (the options cannot be given with --package).
 * Dies when they cannot work together. */
static void build_dialect(struct validator *v, const struct opts *o, const struct dp_resource *r)
{
	char err[1024];
	if (r) {
		v->dialect = r->dialect;
		return;
	}
	csv_dialect_init(&v->dialect, ',');
	if (o->schema_path && csv_dialect_load(&v->dialect, o->schema_path, "dialect", NULL, err, sizeof err) != 0)
		die(EXIT_OPER, "%s", err);
	if (o->dialect_path && csv_dialect_load(&v->dialect, o->dialect_path, NULL, NULL, err, sizeof err) != 0)
		die(EXIT_OPER, "%s", err);
	const struct csv_dialect *c = &o->cli;
	struct csv_dialect *d = &v->dialect;
	if (o->cli_set & CLI_DELIMITER)
		d->delimiter = c->delimiter;
	if (o->cli_set & CLI_QUOTE)
		d->quote_char = c->quote_char;
	if (o->cli_set & CLI_DOUBLE_QUOTE)
		d->double_quote = c->double_quote;
	if (o->cli_set & CLI_ESCAPE)
		d->escape_char = c->escape_char;
	if (o->cli_set & CLI_SKIP_SPACE)
		d->skip_initial_space = c->skip_initial_space;
	if (o->cli_set & CLI_COMMENT)
		d->comment_char = c->comment_char;
	if (o->cli_set & CLI_HEADER_ROW)
		d->header_row = c->header_row;
	if (o->cli_set & CLI_NO_HEADER)
		d->header = false;
	if (csv_dialect_check(d, err, sizeof err) != 0)
		die(EXIT_USAGE, "the dialect cannot be read: %s", err);
	v->sniff = o->sniff;
}

/* A copy of an input that cannot be read twice (stdin, a pipe) in an
 * unlinked temporary file, for a same-table foreign key: its parents are
 * read first, then its rows. */
static int spool_input(int from, const char *name)
{
	struct vd_temp_copy t;
	vd_temp_copy_open(&t, name, "a copy for a same-table foreign key");
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(from, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(EXIT_OPER, "%s: %s", name, strerror(errno));
		vd_temp_copy_write(&t, buf, (size_t)n);
	}
	return vd_temp_copy_done(&t);
}

/* For a same-table foreign key, every input must be read twice: regular
 * files are opened again, the others (stdin, a pipe such as <(...)) are
 * copied first. Sets v->input_fds. */
static void spool_inputs(struct validator *v, char **inputs, int ninputs)
{
	int n = ninputs ? ninputs : 1;
	v->n_input_fds = n;
	v->input_fds = xrealloc(NULL, (size_t)n * sizeof *v->input_fds);
	for (int i = 0; i < n; i++) {
		bool is_stdin = !ninputs || !strcmp(inputs[i], "-");
		struct stat st;
		v->input_fds[i] = -1;
		if (!is_stdin && stat(inputs[i], &st) == 0 && S_ISREG(st.st_mode))
			continue;
		int from = is_stdin ? STDIN_FILENO : open(inputs[i], O_RDONLY);
		if (from < 0)
			die(EXIT_OPER, "%s: %s", inputs[i], strerror(errno));
		v->input_fds[i] = spool_input(from, is_stdin ? "<stdin>" : inputs[i]);
		if (!is_stdin)
			close(from);
	}
}

/* Why a resource's data cannot be read as it is written, or NULL. Its
 * dialect was read with the package (dp_load refuses what the reader
 * cannot take); its encoding goes through the conversion --encoding uses,
 * so it must be one this system's iconv knows. */
static const char *resource_unreadable(const struct dp_resource *r, char *buf, size_t size)
{
	if (r->encoding && !decoder_known(r->encoding)) {
		snprintf(buf, size, "resource \"%s\": unknown encoding \"%s\" (iconv -l lists the names this system "
				    "knows)", r->name, r->encoding);
		return buf;
	}
	return NULL;
}

/* The foreign key sets: a reference to the same table takes its parents
 * from every row of the inputs, in a pass of their own before the rows
 * are checked, so that a row may name a parent that comes later and no
 * row is ever written out before its verdict is known; a reference to a
 * package's resource reads that resource's files; any other names a CSV
 * file. Each is read in its own dialect: the same table in the inputs'
 * (sniffed too with --sniff), a resource in the one the package gives it,
 * a CSV file named by path in the default one (RFC 4180 with a header):
 * the dialect options describe the inputs, and a lookup file is often
 * written by another tool than they are; a package says each one's. */
static void load_foreign_keys(struct validator *v, char **inputs, int ninputs)
{
	char *dash = "-", why[512];
	bool self = false;
	for (size_t i = 0; i < v->schema.n_foreign_keys; i++) {
		const char *res = v->schema.foreign_keys[i].resource;
		self = self || !res || (v->package && !strcmp(res, v->resource));
	}
	if (self)
		spool_inputs(v, inputs, ninputs);
	v->fks = xrealloc(NULL, (v->schema.n_foreign_keys + 1) * sizeof *v->fks);
	for (size_t i = 0; i < v->schema.n_foreign_keys; i++) {
		const struct ts_foreign_key *fk = &v->schema.foreign_keys[i];
		struct keyset *set = keyset_new();
		/* A package's resource naming itself is the same table too. */
		if (!fk->resource || (v->package && !strcmp(fk->resource, v->resource))) {
			vd_load_reference(set, ninputs ? inputs : &dash, ninputs ? (size_t)ninputs : 1, v->input_fds,
					  fk->ref_fields, fk->n_ref, &v->schema, v->by_position, &v->dialect, v->encoding,
					  v->sniff, true);
		} else if (v->package) {
			const struct dp_resource *to = dp_find(v->package, fk->resource); /* dp_load checked it */
			if (resource_unreadable(to, why, sizeof why))
				die(EXIT_OPER, "%s: %s (a foreign key of \"%s\" refers to it)", v->package->path, why,
				    v->resource);
			bool exact = to->has_schema && to->schema.fields_match == TS_MATCH_EXACT;
			vd_load_reference(set, to->paths, to->npaths, NULL, fk->ref_fields, fk->n_ref,
					  to->has_schema ? &to->schema : NULL, exact, &to->dialect, to->encoding, false,
					  false);
		} else {
			struct csv_dialect plain;
			csv_dialect_init(&plain, ',');
			vd_load_reference(set, &fk->path, 1, NULL, fk->ref_fields, fk->n_ref, NULL, false, &plain, NULL,
					  v->sniff, false);
		}
		v->fks[i] = (struct fk_check){ fk, set };
	}
}

/* Builds the run's state from the options: the schema with the
 * command-line rules applied (or, with r, a package's resource and its
 * schema), the unique and foreign key sets. Dies on anything it cannot
 * open or read. Freed by validator_free(); the caller opens the output and
 * the rejects file, and closes them itself to see their errors. */
static void validator_open(struct validator *v, const struct opts *o, const struct dp_package *pkg,
			   const struct dp_resource *r, char **inputs, int ninputs)
{
	*v = (struct validator){ .delim = o->delim, .threads = o->threads, .sealed = o->sealed, .rejects_fd = -1,
				 .package = pkg, .encoding = r ? r->encoding : o->encoding, .in_width = 1 };
	char err[1024];
	if (r) {
		v->resource = r->name;
		if (r->has_schema) { /* the package keeps it: borrowed, as it outlives us */
			v->schema = r->schema;
			v->borrowed_schema = v->from_file = true;
			v->by_position = v->schema.fields_match == TS_MATCH_EXACT;
		} else {
			ts_init_empty(&v->schema);
		}
	} else if (o->schema_path) {
		if (ts_load(&v->schema, o->schema_path, err, sizeof err) != 0)
			die(EXIT_OPER, "%s", err);
		v->from_file = true;
		v->by_position = v->schema.fields_match == TS_MATCH_EXACT;
	} else {
		ts_init_empty(&v->schema);
	}
	apply_rules(v, o->rules, o->nrules);
	build_dialect(v, o, r);
	plan_unique_checks(v);
	v->field_names = keyset_new();
	for (size_t i = 0; i < v->schema.nfields; i++)
		name_add(v->field_names, v->schema.fields[i].name, i);
	v->only_empty_missing = ts_missing_only_empty(&v->schema);
	v->field_plain = xrealloc(NULL, v->schema.nfields * sizeof *v->field_plain);
	for (size_t i = 0; i < v->schema.nfields; i++) {
		const struct ts_field *f = &v->schema.fields[i];
		v->field_plain[i] = f->type == TS_STRING && (!f->format || !strcmp(f->format, "default") ||
							    !strcmp(f->format, "any")) &&
				    f->min_length < 0 && f->max_length < 0 && !f->regex && !f->n_enum && !f->n_cat;
	}
	load_foreign_keys(v, inputs, ninputs);
}

static void validator_free(struct validator *v)
{
	for (size_t i = 0; i < v->n_uniques; i++) {
		keyset_free(v->uniques[i].seen);
		if (v->uniques[i].owns_key)
			free(v->uniques[i].key.cols);
	}
	for (size_t i = 0; i < v->schema.n_foreign_keys; i++)
		keyset_free(v->fks[i].values);
	free(v->fks);
	free(v->uniques);
	keyset_free(v->field_names);
	keyset_free(v->col_names);
	keyset_free(v->out_names);
	if (!v->borrowed_schema)
		ts_free(&v->schema);
	for (int i = 0; i < v->n_input_fds; i++)
		if (v->input_fds[i] >= 0)
			close(v->input_fds[i]);
	free(v->input_fds);
	free_labels(v->labels, v->ncols);
	free_labels(v->out_labels, v->n_out);
	free(v->col_field);
	free(v->field_plain);
	free(v->field_col);
	free(v->out_order);
}

/* Validates each input in turn, stdin when none is named, stopping at the
 * first that cannot be read to the end. Returns false then. */
static bool validate_inputs(struct validator *v, char **inputs, int ninputs)
{
	if (ninputs == 0)
		return validate_file(v, v->input_fds && v->input_fds[0] >= 0 ? v->input_fds[0] : STDIN_FILENO, "<stdin>");
	for (int i = 0; i < ninputs; i++) {
		bool is_stdin = !strcmp(inputs[i], "-"), copied = v->input_fds && v->input_fds[i] >= 0;
		int fd = copied ? v->input_fds[i] : is_stdin ? STDIN_FILENO : open(inputs[i], O_RDONLY);
		if (fd < 0) {
			log_error("%s: %s", inputs[i], strerror(errno));
			return false;
		}
		bool ok = validate_file(v, fd, is_stdin ? "<stdin>" : inputs[i]);
		if (!is_stdin && !copied)
			close(fd);
		if (!ok)
			return false;
	}
	return true;
}

static void close_rejects(struct validator *v, const char *path)
{
	if (v->rejects && (csvw_close(v->rejects) != 0 || close(v->rejects_fd) != 0))
		vd_die_write(path);
	v->rejects = NULL;
}

/* The exit status the run has earned, and *verdict the reason for the
 * summary ("" when it passed). */
static int judge(const struct validator *v, const struct opts *o, bool read_ok, const char **verdict)
{
	*verdict = "";
	if (!read_ok) {
		*verdict = v->seal_broken ? "the input is not sealed as its producer would have sealed it"
					  : "input could not be read to the end";
		return EXIT_OPER;
	}
	if (v->match_errors) {
		/* Those rows were never checked: the schema, not the data, is at fault. */
		*verdict = "a pattern could not be matched";
		log_error("%llu rows rejected unchecked: a pattern could not be matched against them",
			  (unsigned long long)v->match_errors);
		return EXIT_OPER;
	}
	if (v->header_failed) {
		*verdict = v->dialect_wrong  ? "an input's delimiter looks wrong"
			   : v->no_header    ? "an input has no header"
			   : v->any_not_utf8 ? "an input is not UTF-8 (see --encoding)"
					     : "the header does not match";
		return EXIT_DATA;
	}
	if (v->rejected > o->max_rejects) {
		*verdict = o->max_rejects ? "more rejects than --max-rejects allows" : "rows were rejected";
		return EXIT_DATA;
	}
	if (v->rows && (double)v->rejected / (double)v->rows > o->max_rate) {
		*verdict = "reject rate above --max-reject-rate";
		return EXIT_DATA;
	}
	return EXIT_OK;
}

/* Ends the output with the seal: written last, once nothing can fail any
 * more but the write of the output itself. */
static void write_seal(struct validator *v)
{
	char text[SEAL_LEN];
	seal_format(text, v->valid);
	if (csvw_raw(v->out, text, SEAL_LEN) != 0)
		vd_die_write("standard output");
}

/* Validates the package's resource only (its rows to stdout) or, without
 * one, every resource in turn, with a summary each on stderr and no rows on
 * stdout. One rejects file takes every resource's rejects, their files
 * telling them apart. The exit status is the worst of the resources'. */
static int run_package(const struct opts *o)
{
	struct dp_package pkg;
	char err[1024];
	if (dp_load(&pkg, o->package_path, err, sizeof err) != 0) {
		dp_free(&pkg);
		die(EXIT_OPER, "%s", err);
	}
	const struct dp_resource *only = o->ninputs ? dp_find(&pkg, o->inputs[0]) : NULL;
	if (o->ninputs && !only) {
		struct buf names = { 0 };
		for (size_t i = 0; i < pkg.nresources; i++)
			buf_adds(&names, i ? ", " : ""), buf_adds(&names, pkg.resources[i].name);
		log_error("%s: no resource named \"%s\" (it has %s)", o->package_path, o->inputs[0], buf_str(&names));
		buf_free(&names);
		dp_free(&pkg);
		return EXIT_USAGE;
	}
	if (o->rejects_path) { /* no resource's data may be the rejects file */
		char **all = NULL;
		int n = 0;
		for (size_t i = 0; i < pkg.nresources; i++)
			for (size_t j = 0; j < pkg.resources[i].npaths; j++) {
				all = xrealloc(all, (size_t)(n + 1) * sizeof *all);
				all[n++] = pkg.resources[i].paths[j];
			}
		refuse_same_file(o->rejects_path, all, n);
		free(all);
	}
	int out_fd = only ? STDOUT_FILENO : open("/dev/null", O_WRONLY);
	if (out_fd < 0)
		die(EXIT_OPER, "/dev/null: %s", strerror(errno));
	struct csvw *out = NULL, *rejects = NULL;
	int rejects_fd = -1, status = EXIT_OK;
	for (size_t i = 0; i < pkg.nresources; i++) {
		const struct dp_resource *r = only ? only : &pkg.resources[i];
		const char *why = resource_unreadable(r, err, sizeof err);
		if (why) { /* the others are still checked */
			log_error("%s: %s", o->package_path, why);
			status = EXIT_OPER;
			if (only)
				break;
			continue;
		}
		struct validator v;
		validator_open(&v, o, &pkg, r, r->paths, (int)r->npaths);
		if (o->rejects_path && !rejects)
			open_rejects(&v, o), rejects = v.rejects, rejects_fd = v.rejects_fd;
		v.rejects = rejects;
		v.rejects_fd = rejects_fd;
		if (!out)
			out = csvw_open(out_fd, v.delim);
		v.out = out;
		bool read_ok = validate_inputs(&v, r->paths, (int)r->npaths);
		const char *verdict;
		int st = judge(&v, o, read_ok, &verdict);
		print_summary(&v, o->json, verdict);
		if (st > status)
			status = st;
		if (only && o->seal && st == EXIT_OK && !log_failed())
			write_seal(&v);
		validator_free(&v);
		if (only)
			break;
	}
	if (rejects && (csvw_close(rejects) != 0 || close(rejects_fd) != 0))
		vd_die_write(o->rejects_path);
	if (log_failed() && status == EXIT_OK)
		status = EXIT_OPER;
	if (out && csvw_close(out) != 0)
		vd_die_write(only ? "standard output" : "/dev/null");
	if (!only)
		close(out_fd);
	dp_free(&pkg);
	return status;
}

int main(int argc, char **argv)
{
	log_init("validate");
	struct opts o;
	int status = parse_options(argc, argv, &o);
	if (status >= 0) {
		free(o.rules);
		return status;
	}
	if (o.package_path) {
		status = run_package(&o);
		free(o.rules);
		return status;
	}

	struct validator v;
	validator_open(&v, &o, NULL, NULL, o.inputs, o.ninputs);
	if (o.rejects_path)
		open_rejects(&v, &o);
	v.out = csvw_open(STDOUT_FILENO, v.delim);
	double t0 = clock_seconds();
	bool read_ok = validate_inputs(&v, o.inputs, o.ninputs);
	double secs = clock_seconds() - t0;
	close_rejects(&v, o.rejects_path);

	const char *verdict;
	status = judge(&v, &o, read_ok, &verdict);
	print_summary(&v, o.json, verdict);
	log_debug("%.2f s, %.0f rows/s", secs, secs > 0 ? (double)v.rows / secs : 0.0);
	if (log_failed() && status == EXIT_OK)
		status = EXIT_OPER; /* the summary, or a reject shown there, is lost */
	if (o.seal && status == EXIT_OK)
		write_seal(&v);
	if (csvw_close(v.out) != 0)
		vd_die_write("standard output");

	validator_free(&v);
	free(o.rules);
	return status;
}
