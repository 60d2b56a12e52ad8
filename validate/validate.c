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
 * (lib/csvpar), cells in place without copies, repeated values once per
 * thread; unique keys are checked in input order, and kept for valid rows
 * only, so the output is unique and an invalid row never makes a later
 * valid one look like a duplicate. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "csvio.h"
#include "csvpar.h"
#include "exitcode.h"
#include "keyset.h"
#include "log.h"
#include "seal.h"
#include "tableschema.h"
#include "xalloc.h"

static void usage(FILE *to)
{
	fputs("usage: validate [--schema FILE] [--rejects FILE] [--report text|json]\n"
	      "                [--max-rejects N] [--max-reject-rate R] [--require COLS]\n"
	      "                [--type COL=TYPE] [--min COL=V] [--max COL=V] [--enum COL=A,B]\n"
	      "                [--pattern COL=RE] [--unique COL] [--seal] [--sealed]\n"
	      "                [--threads N] [-t] [-q | -v]\n"
	      "                [FILE...]\n",
	      to);
}

static void help(void)
{
	usage(stdout);
	fputs("\nChecks CSV (stdin, or the files named) and writes the valid rows to stdout.\n\n"
	      "  -s, --schema FILE         Frictionless Table Schema, JSON or YAML\n"
	      "  -r, --rejects FILE        write every rejected row there, as CSV:\n"
	      "                            file,line,column,rule,constraint,message,raw\n"
	      "      --report text|json    the summary on stderr as text (default) or JSON\n"
	      "      --max-rejects N       exit 1 when more than N rows are rejected\n"
	      "      --max-reject-rate R   exit 1 when more than this fraction is rejected\n"
	      "      --require COLS        these comma-separated columns must have a value\n"
	      "      --type COL=TYPE       string, integer, number, boolean, date, datetime, time, year\n"
	      "      --min COL=V, --max COL=V   bounds (inclusive) for a typed column\n"
	      "      --enum COL=A,B,C      the allowed values\n"
	      "      --pattern COL=RE      a regular expression the whole value must match\n"
	      "      --unique COL          no value may repeat\n"
	      "      --seal                end the output with a seal once everything passed, so\n"
	      "                            that pgload --sealed can tell a finished run from a\n"
	      "                            dead one (see pgload(1))\n"
	      "      --sealed              each input must end with its producer's seal (gen\n"
	      "                            --seal), counting the rows read; otherwise exit 3\n"
	      "  -t, --tsv                 tab-separated input and output\n"
	      "      --threads N           threads checking rows besides the main one\n"
	      "                            (default: one per processor; 0 checks in one thread)\n"
	      "  -q, --quiet               errors only on stderr\n"
	      "  -v, --verbose             more detail on stderr\n"
	      "  -h, --help                this help\n"
	      "  -V, --version             version\n\n"
	      "Without a schema or rules, validate still checks that the CSV is well-formed,\n"
	      "valid UTF-8 and rectangular against its header.\n\n"
	      "Exit status: 0 success (rejects are quarantined); 1 rejects over a --max-* limit\n"
	      "or a bad header; 2 usage error; 3 unreadable schema or input, I/O error,\n"
	      "a pattern that could not be matched, an input without its seal (--sealed).\n"
	      "With --seal, the seal is written only when the exit status is 0.\n",
	      stdout);
}

/* Frictionless error names, in summary order. */
enum rule {
	R_BLANK_LABEL, R_DUPLICATE_LABEL, R_MISSING_LABEL, R_EXTRA_LABEL, R_SOURCE, R_ENCODING,
	R_BLANK_ROW, R_MISSING_CELL, R_EXTRA_CELL, R_TYPE, R_CONSTRAINT, R_UNIQUE, R_PRIMARY_KEY,
	R_FOREIGN_KEY, N_RULES
};
static const char *const rule_names[N_RULES] = {
	"blank-label", "duplicate-label", "missing-label", "extra-label", "source-error",
	"encoding-error", "blank-row", "missing-cell", "extra-cell", "type-error",
	"constraint-error", "unique-error", "primary-key", "foreign-key",
};

/* A set of columns whose combined values must not repeat. */
struct unique_check {
	enum rule rule;
	struct ts_key key;   /* field indexes */
	bool owns_key;       /* key.cols allocated here, not borrowed from the schema */
	struct keyset *seen;
};

struct fk_check {
	const struct ts_foreign_key *fk;
	struct keyset *values;
};

struct validator {
	struct ts_schema schema;
	bool sealed;               /* --sealed: each input ends with a seal */
	bool seal_broken;          /* one did not, or counted other rows */
	bool from_file;            /* header must match the schema's fields */
	char delim;
	struct unique_check *uniques;
	size_t n_uniques;
	struct fk_check *fks;

	/* Names to positions (+1, as keysets keep no 0), so that mapping a
	 * header costs a lookup a column, not a search through the others:
	 * the schema's fields, the current header's columns, the output's. */
	struct keyset *field_names, *col_names, *out_names;

	/* The current file's header, mapped to schema fields. */
	const char *file;
	size_t ncols;
	char **labels;
	long *col_field;           /* column -> field, or -1 */
	bool *field_plain;         /* a string field with nothing to check but presence */
	long *field_col;           /* field -> column, or -1 */
	size_t *out_order;         /* output column i <- input column out_order[i] */
	bool same_order;           /* out_order is the identity */
	bool only_empty_missing;   /* every field's missingValues is [""], the common case */

	/* The output's header: the first file's. */
	char **out_labels;
	size_t n_out;

	struct csvw *out, *rejects;
	enum rule header_rule;     /* the current file's first header problem */

	/* The current input. */
	int in_fd;
	unsigned threads;          /* checking threads besides the main one */
	bool header_seen, header_ok;

	/* Written by the main thread for every row, so on cache lines of
	 * their own: sharing one with what the checking threads read for
	 * every cell above, they kept taking the line from each other. */
	_Alignas(64) uint64_t rows;
	uint64_t valid, rejected, by_rule[N_RULES]; /* rows */
	uint64_t header_by_rule[N_RULES];            /* header problems, not rows */
	uint64_t match_errors;     /* rows rejected because a pattern could not be matched */
	unsigned stderr_rejects;   /* rejects shown on stderr without --rejects */
	bool header_failed;
	bool reserved;             /* the unique sets have been sized */
	struct progress progress;
};

static void die_write(const char *what)
{
	die(EXIT_OPER, "write error on %s: %s", what, strerror(errno));
}

/* The length of s without a character that a full message buffer cut
 * short at its end. */
static size_t utf8_whole(const char *s, size_t len)
{
	size_t i = len;
	while (i > 0 && len - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0)
		return len;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	return len - (i - 1) < need ? i - 1 : len;
}

/* Records a rejected row (or header): the caller counts it. column may be
 * NULL. */
static void reject(struct validator *v, uint64_t line, const char *column, enum rule rule,
		   const char *constraint, const char *message, const char *raw, size_t raw_len)
{
	size_t message_len = utf8_whole(message, strlen(message));
	if (v->rejects) {
		char linebuf[24];
		snprintf(linebuf, sizeof linebuf, "%llu", (unsigned long long)line);
		struct csv_field f[] = {
			{ v->file, strlen(v->file), false },
			{ linebuf, strlen(linebuf), false },
			{ column ? column : "", column ? strlen(column) : 0, true },
			{ rule_names[rule], strlen(rule_names[rule]), false },
			{ constraint ? constraint : "", constraint ? strlen(constraint) : 0, true },
			{ message, message_len, false },
			{ raw, raw_len, raw_len == 0 },
		};
		if (csvw_record(v->rejects, f, 7) != 0)
			die_write("the rejects file");
	} else if (v->stderr_rejects++ < 20) {
		log_warn("%s:%llu:%s%s %s: %.*s", v->file, (unsigned long long)line, column ? " column " : "",
			 column ? column : "", rule_names[rule], (int)message_len, message);
	}
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

static enum rule check_bytes(const char *s, size_t len, const char **why);

/* Reports a problem with the header; the first one's rule is also the rule
 * of every row of the file, which goes unchecked. */
static void header_problem(struct validator *v, const struct csv_record *rec, const char *label,
			   enum rule rule, const char *msg)
{
	if (v->header_rule == N_RULES)
		v->header_rule = rule;
	v->header_failed = true;
	v->header_by_rule[rule]++;
	reject(v, rec->line, label, rule, NULL, msg, rec->raw, rec->raw_len);
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

/* Maps the header onto the schema and onto the output's columns. Returns
 * the number of header problems, each already reported. */
static unsigned read_header(struct validator *v, const struct csv_record *rec)
{
	unsigned problems = 0;
	char msg[512];
	v->header_rule = N_RULES;
	free_labels(v->labels, v->ncols);
	v->ncols = rec->nfields;
	v->labels = copy_labels(rec);
	keyset_free(v->col_names);
	v->col_names = keyset_new();
	v->col_field = xrealloc(v->col_field, v->ncols * sizeof *v->col_field);
	v->field_col = xrealloc(v->field_col, v->schema.nfields * sizeof *v->field_col);
	for (size_t f = 0; f < v->schema.nfields; f++)
		v->field_col[f] = -1;
	if (rec->kind != CSVR_ROW) {
		header_problem(v, rec, NULL, rec->kind == CSVR_BLANK ? R_BLANK_LABEL : R_SOURCE,
			       rec->kind == CSVR_BLANK ? "the header is empty" : rec->error);
		return 1;
	}
	for (size_t c = 0; c < v->ncols; c++) {
		const char *label = v->labels[c], *why;
		v->col_field[c] = -1;
		enum rule bad = check_bytes(rec->fields[c].data, rec->fields[c].len, &why);
		if (bad != N_RULES) { /* a NUL would cut the label short */
			snprintf(msg, sizeof msg, "the name of column %zu %s", c + 1, why);
			header_problem(v, rec, NULL, bad, msg);
			problems++;
			continue;
		}
		if (!*label) {
			snprintf(msg, sizeof msg, "column %zu has no name", c + 1);
			header_problem(v, rec, NULL, R_BLANK_LABEL, msg);
			problems++;
			continue;
		}
		long d = name_add(v->col_names, label, c);
		if (d >= 0) {
			snprintf(msg, sizeof msg, "\"%s\" names columns %ld and %zu", label, d + 1, c + 1);
			header_problem(v, rec, label, R_DUPLICATE_LABEL, msg);
			problems++;
		}
		long f = name_find(v->field_names, label);
		if (f >= 0 && v->field_col[f] < 0) {
			v->col_field[c] = f;
			v->field_col[f] = (long)c;
		} else if (f < 0 && v->from_file) {
			snprintf(msg, sizeof msg, "column \"%s\" is not in the schema", label);
			header_problem(v, rec, label, R_EXTRA_LABEL, msg);
			problems++;
		}
	}
	for (size_t f = 0; f < v->schema.nfields; f++)
		if (v->field_col[f] < 0) {
			const char *name = v->schema.fields[f].name;
			snprintf(msg, sizeof msg, "no column \"%s\"%s", name,
				 v->from_file ? " as the schema requires" : " for the rules given");
			header_problem(v, rec, name, R_MISSING_LABEL, msg);
			problems++;
		}
	if (problems)
		return problems;

	/* The first file fixes the output's columns; later ones must have the
	 * same names, in any order. */
	if (!v->out_labels) {
		v->n_out = v->ncols;
		v->out_labels = copy_labels(rec);
		v->out_names = keyset_new();
		for (size_t o = 0; o < v->n_out; o++)
			name_add(v->out_names, v->out_labels[o], o);
		struct csv_field *h = xrealloc(NULL, v->ncols * sizeof *h);
		for (size_t c = 0; c < v->ncols; c++)
			h[c] = (struct csv_field){ v->labels[c], strlen(v->labels[c]), false };
		if (csvw_record(v->out, h, v->ncols) != 0)
			die_write("standard output");
		free(h);
	}
	v->out_order = xrealloc(v->out_order, v->n_out * sizeof *v->out_order);
	for (size_t o = 0; o < v->n_out; o++) {
		long found = name_find(v->col_names, v->out_labels[o]);
		size_t c = found < 0 ? v->ncols : (size_t)found;
		if (found < 0) {
			snprintf(msg, sizeof msg, "no column \"%s\" as in the first file's header", v->out_labels[o]);
			header_problem(v, rec, v->out_labels[o], R_MISSING_LABEL, msg);
			problems++;
		}
		v->out_order[o] = c;
	}
	v->same_order = v->n_out == v->ncols;
	for (size_t o = 0; o < v->n_out; o++)
		v->same_order = v->same_order && v->out_order[o] == o;
	for (size_t c = 0; c < v->ncols && !problems; c++) {
		if (name_find(v->out_names, v->labels[c]) < 0) {
			snprintf(msg, sizeof msg, "column \"%s\" is not in the first file's header", v->labels[c]);
			header_problem(v, rec, v->labels[c], R_EXTRA_LABEL, msg);
			problems++;
		}
	}
	return problems;
}

/* ---- rows ---- */

/* True when every byte is ASCII and none is NUL: sixteen at a time (GCC's
 * vector types make that SIMD on any target), the last sixteen overlapping
 * the ones before. */
static bool plain_ascii(const char *s, size_t len)
{
	typedef signed char v16 __attribute__((vector_size(16)));
	if (len < 16) {
		for (size_t i = 0; i < len; i++)
			if (s[i] == '\0' || (s[i] & 0x80))
				return false;
		return true;
	}
	for (size_t i = 0;; i += 16) {
		if (i > len - 16)
			i = len - 16;
		v16 v, zero = { 0 };
		memcpy(&v, s + i, 16);
		v16 bad = (v <= zero); /* a byte >= 0x80 is negative */
		uint64_t half[2];
		memcpy(half, &bad, 16);
		if (half[0] | half[1])
			return false;
		if (i == len - 16)
			return true;
	}
}

/* Where a cell's bytes are not plain printable ASCII, tells NUL bytes and
 * invalid UTF-8 apart. Returns the rule to report, or N_RULES if fine. */
static enum rule check_bytes(const char *s, size_t len, const char **why)
{
	if (plain_ascii(s, len))
		return N_RULES;
	for (size_t j = 0; j < len; j++)
		if (s[j] == '\0' || (s[j] & 0x80)) {
			if (memchr(s + j, '\0', len - j)) {
				*why = "holds a NUL byte";
				return R_SOURCE;
			}
			if (!utf8_valid(s + j, len - j)) {
				*why = "is not valid UTF-8";
				return R_ENCODING;
			}
			break;
		}
	return N_RULES;
}

/* A value quoted in a message: at most max bytes of it, cut before a
 * character, not inside one, so that the message stays UTF-8, and "..."
 * when cut. For "%.*s%s". */
#define QUOTE_ARGS(s, len, max) utf8_cut((s), (len), (max)), (s), (len) > (max) ? "..." : ""
static int utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return (int)len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return (int)max;
}

static void describe_constraint(char *msg, size_t size, const struct ts_field *f, enum ts_constraint c,
				const char *cell, size_t len)
{
	int n = snprintf(msg, size, "\"%.*s%s\" ", QUOTE_ARGS(cell, len, 200));
	char *p = msg + n;
	size_t left = size - (size_t)n;
	switch (c) {
	case TSC_MINIMUM: snprintf(p, left, "is below the minimum %s", f->minimum.text); break;
	case TSC_MAXIMUM: snprintf(p, left, "is above the maximum %s", f->maximum.text); break;
	case TSC_EXCLUSIVE_MINIMUM: snprintf(p, left, "is not greater than %s", f->xminimum.text); break;
	case TSC_EXCLUSIVE_MAXIMUM: snprintf(p, left, "is not less than %s", f->xmaximum.text); break;
	case TSC_MIN_LENGTH: snprintf(p, left, "is shorter than %lld %s", (long long)f->min_length, ts_length_unit(f)); break;
	case TSC_MAX_LENGTH: snprintf(p, left, "is longer than %lld %s", (long long)f->max_length, ts_length_unit(f)); break;
	case TSC_PATTERN: snprintf(p, left, "does not match the pattern %s", f->pattern); break;
	case TSC_ENUM: {
		int m = snprintf(p, left, "is not one of ");
		for (size_t i = 0; i < f->n_enum && (size_t)m < left; i++)
			m += snprintf(p + m, left - (size_t)m, "%s%s", i ? ", " : "", f->enum_values[i]);
		break;
	}
	default: snprintf(p, left, "breaks the %s constraint", ts_constraint_name(c)); break;
	}
}

/* ---- checking rows, on any thread ----
 *
 * Rows are checked by csvpar's threads, a chunk of input at a time: every
 * cell, then the foreign keys. What a chunk leaves behind (its rows'
 * verdicts, output and unique keys) is finished in input order on the main
 * thread, which alone holds the unique-key sets and writes the output. */

/* The reader keeps only the first 64 MiB of a row's raw bytes (csvio.h),
 * or its record limit's worth when that is less: a reject whose raw is cut
 * says so, since raw is otherwise the row as read. raw_len is how much. */
static void note_raw_cut(char *msg, size_t size, bool cut, size_t raw_len)
{
	if (cut) {
		size_t n = strlen(msg);
		if (raw_len % (1024 * 1024) == 0)
			snprintf(msg + n, size - n, " (raw holds only the row's first %zu MiB)", raw_len / (1024 * 1024));
		else
			snprintf(msg + n, size - n, " (raw holds only the row's first %zu bytes)", raw_len);
	}
}

/* A row as checked: rejected, or passed so far with its output ready. */
struct checked_row {
	uint64_t line;
	enum rule rule;                  /* N_RULES: passed */
	const char *column, *constraint; /* rejected: long-lived strings */
	size_t msg;                      /* rejected: message, in text */
	size_t raw, raw_len;             /* in text, or in out when raw_in_out */
	bool raw_in_out;                 /* the output is the raw row */
	bool raw_cut;                    /* raw is the start of a huge row */
	bool match_error;                /* rejected: a pattern could not be matched */
	size_t out, out_len;             /* passed: output, in the chunk's out */
	size_t keys;                     /* passed: its n_uniques keys */
};

struct key_ref {
	size_t off, len;                 /* in text */
	uint64_t hash;
	bool missing;                    /* a part is missing: not checked */
};

struct chunk_result {
	struct checked_row *rows;
	size_t nrows, caprows;
	struct key_ref *keys;
	size_t nkeys, capkeys;
	char *text;                      /* raw rows, messages, key bytes */
	size_t text_len, text_cap;
	struct csvw *out;                /* valid rows' output, in memory */
	size_t out_len;                  /* its length */
};

/* Values a column has passed its checks with. Most columns repeat their
 * values (a price, a store, a currency), and the checks depend on nothing
 * but the value, so a value seen before skips them: its type and
 * constraints (MEMO_CELL), and each single-column foreign key (the bit
 * after). Values of up to 8 bytes (codes, amounts, counts) fit in a word,
 * so a slot compares without a call. Direct-mapped: a new value simply
 * takes its slot. 4096 slots (64 KiB a column, in the second-level cache)
 * hold a price list or a thousand products with few collisions: on the
 * sales stream 512 slots missed almost 4 times as often, and each miss
 * costs a parse and the constraints, more than waiting on the cache. A
 * wide table gets fewer slots a column, so that a thread's memo stays
 * within MEMO_BYTES: down to 2, and past 131,072 columns none, the memo
 * being off for every column. */
enum { MEMO_MIN_BITS = 1, MEMO_MAX_BITS = 12, MEMO_BYTES = 4 << 20, MEMO_MAX = 8, MEMO_CELL = 1 };
struct memo_slot {
	uint64_t value;                  /* the value's bytes, see memo_find() */
	uint8_t len;                     /* 0: empty (an empty cell is missing, never here) */
	uint8_t passed;                  /* MEMO_CELL, and 2 << i for foreign key i */
};

/* Scratch of one checking thread. */
struct checker {
	size_t ncols;                    /* columns the memo is sized for */
	unsigned memo_bits;              /* log2 of its slots a column */
	struct memo_slot *memo;
	struct memo_stats {
		uint32_t lookups, hits;
		bool off;
	} *memo_stats;                   /* by column */
	char *digits;                    /* for number parsing */
	size_t digits_cap;
	char *keybuf;                    /* for composite keys */
	size_t keybuf_cap;
};

/* Looks a cell of column c up: its slot, with *hit when the slot holds
 * the value with all of the bits of what; NULL when the value is longer
 * than MEMO_MAX or the column has shown it hardly repeats. Inlined: it
 * runs for most cells, and its first test often ends it. */
static inline __attribute__((always_inline)) struct memo_slot *
memo_find(struct checker *k, size_t c, const struct csv_field *cell, unsigned what, bool *hit)
{
	size_t len = cell->len;
	struct memo_stats *st = &k->memo_stats[c];
	*hit = false;
	if (len > MEMO_MAX || len == 0 || st->off)
		return NULL;
	if (++st->lookups == 4096)
		st->off = st->hits < 1024; /* fewer than one in four: not worth it */
	/* Loads that together cover every byte (overlapping ones from 4
	 * bytes on): with the length, the word is the value. */
	const char *s = cell->data;
	uint64_t value;
	if (len >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, s, 4);
		memcpy(&hi, s + len - 4, 4);
		value = lo | (uint64_t)hi << 32;
	} else {
		value = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
			(uint64_t)(unsigned char)s[len - 1] << 16;
	}
	uint64_t h = (value ^ len) * 0x9E3779B97F4A7C15ULL;
	struct memo_slot *m = &k->memo[(c << k->memo_bits) + (h >> (64 - k->memo_bits))];
	if (m->len == len && m->value == value) {
		*hit = (m->passed & what) == what;
		st->hits += *hit;
	} else { /* the slot is the value's from now on */
		*m = (struct memo_slot){ .value = value, .len = (uint8_t)len };
	}
	return m;
}

static size_t add_text(struct chunk_result *res, const char *s, size_t len)
{
	if (res->text_len + len + 1 > res->text_cap) {
		res->text_cap = 2 * (res->text_len + len + 1) + 4096;
		res->text = xrealloc(res->text, res->text_cap);
	}
	size_t at = res->text_len;
	memcpy(res->text + at, s, len);
	res->text[at + len] = '\0';
	res->text_len += len + 1;
	return at;
}

/* True when a cell holds one of its field's missing values. */
static inline bool cell_missing(const struct validator *v, size_t field, const struct csv_field *cell)
{
	return v->only_empty_missing ? cell->len == 0 : ts_field_is_missing(&v->schema, field, cell->data, cell->len);
}

/* Appends one part of a composite key: its length as a varint, then its
 * bytes. With the lengths, no two lists of parts make the same key, as
 * parts joined by a separator byte that a value may itself hold did.
 * to has room for len + KEY_PART_MAX bytes. */
enum { KEY_PART_MAX = 10 };
static size_t key_part(char *to, const char *data, size_t len)
{
	size_t n = 0, l = len;
	for (; l > 0x7f; l >>= 7)
		to[n++] = (char)(0x80 | (l & 0x7f));
	to[n++] = (char)l;
	memcpy(to + n, data, len);
	return n + len;
}

/* The next part of a key key_part() made, from *p on; moves *p past it. */
static const char *key_next_part(const char **p, size_t *len)
{
	const unsigned char *s = (const unsigned char *)*p;
	size_t l = 0;
	for (unsigned shift = 0;; shift += 7) {
		l |= (size_t)(*s & 0x7f) << shift;
		if (!(*s++ & 0x80))
			break;
	}
	*len = l;
	*p = (const char *)s + l;
	return (const char *)s;
}

/* The key of a row over the given fields: the cell itself for one field,
 * the parts as key_part() writes them in *buf otherwise. NULL when a part
 * is missing (missing values take no part in unique and foreign keys). */
static const char *row_key(const struct validator *v, const struct csv_record *rec, const struct ts_key *key,
			   char **buf, size_t *cap, size_t *len)
{
	size_t need = 0;
	for (size_t i = 0; i < key->n; i++) {
		const struct csv_field *cell = &rec->fields[v->field_col[key->cols[i]]];
		if (cell_missing(v, key->cols[i], cell))
			return NULL;
		need += cell->len + KEY_PART_MAX;
	}
	if (key->n == 1) {
		const struct csv_field *cell = &rec->fields[v->field_col[key->cols[0]]];
		*len = cell->len;
		return cell->data;
	}
	if (need > *cap) {
		*cap = need * 2;
		*buf = xrealloc(*buf, *cap);
	}
	size_t n = 0;
	for (size_t i = 0; i < key->n; i++) {
		const struct csv_field *cell = &rec->fields[v->field_col[key->cols[i]]];
		n += key_part(*buf + n, cell->data, cell->len);
	}
	*len = n;
	return *buf;
}

/* "sale_id \"A\"" for one column, "(a, b) (\"1\", \"2\")" for several,
 * from a key as row_key() made it. */
static void describe_key(const struct validator *v, const struct ts_key *key, const char *value, size_t len,
			 char *buf, size_t size)
{
	size_t n = 0;
	if (key->n == 1) {
		snprintf(buf, size, "%s \"%.*s%s\"", v->schema.fields[key->cols[0]].name, QUOTE_ARGS(value, len, 200));
		return;
	}
	for (size_t i = 0; i < key->n && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "(", v->schema.fields[key->cols[i]].name);
	const char *p = value;
	for (size_t i = 0; i < key->n && n < size; i++) {
		size_t part;
		const char *s = key_next_part(&p, &part);
		n += (size_t)snprintf(buf + n, size - n, "%s\"%.*s%s\"", i ? ", " : ") (", QUOTE_ARGS(s, part, 100));
	}
	if (n < size)
		snprintf(buf + n, size - n, ")");
}

/* The output of a row that passed, in the output's column order. Returns
 * true when that is the raw row as it came. */
static bool write_row(const struct validator *v, struct csvw *out, const struct csv_record *rec)
{
	/* When the input row had no quotes (its raw length is its fields plus
	 * delimiters) and the columns keep their order, the raw bytes are
	 * already the normal form: an unquoted field cannot hold a delimiter,
	 * quote or line break. */
	if (v->same_order) {
		size_t plain = rec->nfields - 1;
		for (size_t c = 0; c < rec->nfields; c++)
			plain += rec->fields[c].len;
		if (plain == rec->raw_len) {
			csvw_raw(out, rec->raw, rec->raw_len);
			csvw_end_record(out);
			return true;
		}
	}
	for (size_t o = 0; o < v->n_out; o++) {
		const struct csv_field *f = &rec->fields[v->out_order[o]];
		csvw_field(out, f->data, f->len, f->null);
	}
	csvw_end_record(out);
	return false;
}

/* The first problem of a row's cells, in column order, or N_RULES; msg
 * gets its message and *more the number of other problems. */
static enum rule check_cells(const struct validator *v, struct checker *k, const struct csv_record *rec,
			     char *msg, size_t size, const char **column, const char **constraint_out,
			     unsigned *more, bool *match_error)
{
	enum rule first_rule = N_RULES;
	*more = 0;
	/* Every byte of a cell is in the raw row: one look at that clears them all. */
	bool raw_ascii = !rec->raw_cut && plain_ascii(rec->raw, rec->raw_len);
	for (size_t c = 0; c < v->ncols; c++) {
		const struct csv_field *cell = &rec->fields[c];
		const char *why = NULL, *constraint = NULL;
		enum rule rule = raw_ascii ? N_RULES : check_bytes(cell->data, cell->len, &why);
		char local[1024];
		if (rule != N_RULES) {
			snprintf(local, sizeof local, "the value %s", why);
		} else if (v->col_field[c] >= 0) {
			const struct ts_field *f = &v->schema.fields[v->col_field[c]];
			if (cell_missing(v, (size_t)v->col_field[c], cell)) {
				if (f->required) {
					rule = R_CONSTRAINT;
					constraint = "required";
					snprintf(local, sizeof local, "a value is required");
				}
			} else if (!v->field_plain[v->col_field[c]]) {
				bool known;
				struct memo_slot *m = memo_find(k, c, cell, MEMO_CELL, &known);
				if (known)
					continue;
				struct ts_value val;
				enum ts_constraint failed;
				if (cell->len + 2 > k->digits_cap) {
					k->digits_cap = 2 * cell->len + 2;
					k->digits = xrealloc(k->digits, k->digits_cap);
				}
				if (!ts_parse(f, cell->data, cell->len, &val, k->digits, &why)) {
					rule = R_TYPE;
					snprintf(local, sizeof local, "\"%.*s%s\" %s", QUOTE_ARGS(cell->data, cell->len, 200),
						 why);
				} else if (!ts_check(f, cell->data, cell->len, &val, &failed)) {
					const char *error = failed == TSC_PATTERN ? ts_match_error() : NULL;
					rule = R_CONSTRAINT;
					constraint = ts_constraint_name(failed);
					if (error) { /* the pattern's fault, not the value's */
						*match_error = true;
						snprintf(local, sizeof local, "the pattern %s could not be matched: %s",
							 f->pattern, error);
					} else {
						describe_constraint(local, sizeof local, f, failed, cell->data, cell->len);
					}
				} else if (m) {
					m->passed |= MEMO_CELL;
				}
			}
		}
		if (rule == N_RULES)
			continue;
		if (first_rule == N_RULES) {
			first_rule = rule;
			*column = v->labels[c];
			*constraint_out = constraint;
			snprintf(msg, size, "%s", local);
		} else {
			(*more)++;
		}
	}
	return first_rule;
}

/* Checks one row and records the verdict in res. Unique keys are left for
 * finish_chunk(); foreign keys, read-only sets, are checked here. */
static void check_row(const struct validator *v, struct checker *k, const struct csv_record *rec,
		      struct chunk_result *res)
{
	if (res->nrows == res->caprows) {
		res->caprows = res->caprows ? 2 * res->caprows : 4096;
		res->rows = xrealloc(res->rows, res->caprows * sizeof *res->rows);
	}
	struct checked_row *row = &res->rows[res->nrows++];
	/* Field by field: a compound literal here was a rep stos per row. */
	row->line = rec->line;
	row->rule = N_RULES;
	row->column = row->constraint = NULL;
	row->msg = row->raw = row->out = row->out_len = row->keys = 0;
	row->raw_len = rec->raw_len;
	row->raw_in_out = row->match_error = false;
	row->raw_cut = rec->raw_cut;
	char msg[1024];
	unsigned more = 0;

	if (!v->header_ok) {
		row->rule = v->header_rule;
		snprintf(msg, sizeof msg, "not checked: the header is invalid");
	} else if (rec->kind == CSVR_BLANK) {
		row->rule = R_BLANK_ROW;
		snprintf(msg, sizeof msg, "the row is empty");
	} else if (rec->kind == CSVR_MALFORMED) {
		row->rule = R_SOURCE;
		snprintf(msg, sizeof msg, "%s", rec->error);
	} else if (rec->nfields != v->ncols) {
		bool missing = rec->nfields < v->ncols;
		row->rule = missing ? R_MISSING_CELL : R_EXTRA_CELL;
		row->column = missing ? v->labels[rec->nfields] : NULL;
		snprintf(msg, sizeof msg, "the row has %zu fields, the header %zu", rec->nfields, v->ncols);
	} else {
		if (k->ncols < v->ncols) {
			k->ncols = v->ncols;
			free(k->memo);
			free(k->memo_stats);
			k->memo_bits = MEMO_MAX_BITS;
			while (k->memo_bits > MEMO_MIN_BITS &&
			       (k->ncols << k->memo_bits) * sizeof *k->memo > MEMO_BYTES)
				k->memo_bits--;
			k->memo_stats = xcalloc_lines(k->ncols * sizeof *k->memo_stats);
			bool fits = (k->ncols << k->memo_bits) * sizeof *k->memo <= MEMO_BYTES;
			k->memo = fits ? xcalloc(k->ncols << k->memo_bits, sizeof *k->memo) : NULL;
			for (size_t c = 0; c < k->ncols && !fits; c++)
				k->memo_stats[c].off = true; /* memo_find() looks no further */
		}
		row->rule = check_cells(v, k, rec, msg, sizeof msg, &row->column, &row->constraint, &more,
				        &row->match_error);
		/* Foreign keys: checked only when the cells are fine. */
		for (size_t i = 0; i < v->schema.n_foreign_keys && row->rule == N_RULES; i++) {
			const struct ts_foreign_key *fk = &v->schema.foreign_keys[i];
			struct memo_slot *m = NULL;
			unsigned bit = 2u << i;
			if (fk->local.n == 1 && i < 7) {
				long c = v->field_col[fk->local.cols[0]];
				bool known;
				m = memo_find(k, (size_t)c, &rec->fields[c], bit, &known);
				if (known)
					continue;
			}
			size_t len;
			const char *key = row_key(v, rec, &fk->local, &k->keybuf, &k->keybuf_cap, &len);
			if (key && keyset_find(v->fks[i].values, keyset_hash(key, len), key, len)) {
				if (m)
					m->passed |= bit;
			} else if (key) {
				char cols[512];
				row->rule = R_FOREIGN_KEY;
				row->column = v->schema.fields[fk->local.cols[0]].name;
				describe_key(v, &fk->local, key, len, cols, sizeof cols);
				snprintf(msg, sizeof msg, "%s is not in %s", cols, fk->resource);
			}
		}
	}
	if (row->rule != N_RULES) {
		if (more) {
			size_t n = strlen(msg);
			snprintf(msg + n, sizeof msg - n, " (and %u more problem%s)", more, more == 1 ? "" : "s");
		}
		note_raw_cut(msg, sizeof msg, rec->raw_cut, rec->raw_len);
		row->msg = add_text(res, msg, strlen(msg));
		row->raw = add_text(res, rec->raw, rec->raw_len);
		return;
	}

	row->keys = res->nkeys;
	if (res->nkeys + v->n_uniques > res->capkeys) {
		res->capkeys = 2 * (res->nkeys + v->n_uniques) + 1024;
		res->keys = xrealloc(res->keys, res->capkeys * sizeof *res->keys);
	}
	for (size_t i = 0; i < v->n_uniques; i++) {
		struct key_ref *kr = &res->keys[res->nkeys++];
		size_t len = 0;
		const char *key = row_key(v, rec, &v->uniques[i].key, &k->keybuf, &k->keybuf_cap, &len);
		*kr = (struct key_ref){ .missing = key == NULL };
		if (key) {
			kr->off = add_text(res, key, len);
			kr->len = len;
			kr->hash = keyset_hash(key, len);
		}
	}
	size_t before = res->out_len, after;
	row->raw_in_out = write_row(v, res->out, rec);
	csvw_mem_data(res->out, &after);
	res->out_len = after;
	row->out = before;
	row->out_len = after - before;
	/* A row that passed may yet be a duplicate, rejected with its raw row. */
	row->raw = row->raw_in_out ? before : add_text(res, rec->raw, rec->raw_len);
}

static void work_on_chunk(void *ctx, void *worker, struct csvr *r, void *result)
{
	const struct csv_record *rec;
	while ((rec = csvr_next(r)))
		check_row(ctx, worker, rec, result);
}

static void *checker_new(void *ctx)
{
	(void)ctx;
	return xcalloc_lines(sizeof(struct checker));
}

static void checker_free(void *ctx, void *worker)
{
	(void)ctx;
	struct checker *k = worker;
	ts_thread_done();
	free(k->memo);
	free(k->memo_stats);
	free(k->digits);
	free(k->keybuf);
	free(k);
}

static void *chunk_result_new(void *ctx)
{
	struct validator *v = ctx;
	/* Each worker writes its chunk's result for every row; results made
	 * one after another must not share a cache line. */
	struct chunk_result *res = xcalloc_lines(sizeof *res);
	res->out = csvw_open_mem(v->delim);
	return res;
}

static void chunk_result_clear(void *ctx, void *result)
{
	(void)ctx;
	struct chunk_result *res = result;
	res->nrows = res->nkeys = res->text_len = res->out_len = 0;
	csvw_mem_clear(res->out);
}

static void chunk_result_free(void *ctx, void *result)
{
	(void)ctx;
	struct chunk_result *res = result;
	free(res->rows);
	free(res->keys);
	free(res->text);
	csvw_close(res->out);
	free(res);
}

/* ---- finishing rows, in input order, on the main thread ---- */

/* Once the first rows show how long a row is, sizes the unique-key sets
 * for the whole of a regular file, so they are not rehashed again and again
 * as they grow to millions of keys. */
static void reserve_unique_keys(struct validator *v, uint64_t bytes_so_far)
{
	struct stat st;
	v->reserved = true;
	if (!v->n_uniques || fstat(v->in_fd, &st) != 0 || !S_ISREG(st.st_mode) || !bytes_so_far)
		return;
	double per_row = (double)bytes_so_far / (double)v->rows;
	size_t expect = (size_t)((double)st.st_size / per_row * 1.05);
	if (expect > 1000000000)
		return;
	for (size_t i = 0; i < v->n_uniques; i++)
		keyset_reserve(v->uniques[i].seen, expect);
}

/* The unique checks of a row that passed everything else: false, with the
 * row rejected, when a key was seen on an earlier valid row. */
static bool unique_ok(struct validator *v, const struct chunk_result *res, const struct checked_row *row)
{
	const struct key_ref *keys = &res->keys[row->keys];
	for (size_t i = 0; i < v->n_uniques; i++) {
		const struct unique_check *u = &v->uniques[i];
		const char *key = res->text + keys[i].off;
		uint64_t seen_on;
		if (keys[i].missing)
			continue;
		/* With one set, one probe both looks and adds. */
		seen_on = v->n_uniques == 1 ? keyset_find_or_add(u->seen, keys[i].hash, key, keys[i].len, row->line)
					    : keyset_find(u->seen, keys[i].hash, key, keys[i].len);
		if (!seen_on)
			continue;
		char cols[512], msg[1024];
		describe_key(v, &u->key, key, keys[i].len, cols, sizeof cols);
		snprintf(msg, sizeof msg, "%s already appeared on line %llu", cols, (unsigned long long)seen_on);
		note_raw_cut(msg, sizeof msg, row->raw_cut, row->raw_len);
		size_t out_len;
		const char *raw = (row->raw_in_out ? csvw_mem_data(res->out, &out_len) : res->text) + row->raw;
		v->by_rule[u->rule]++;
		reject(v, row->line, v->schema.fields[u->key.cols[0]].name, u->rule, u->rule == R_UNIQUE ? "unique" : NULL,
		       msg, raw, row->raw_len);
		return false;
	}
	if (v->n_uniques == 1) /* keyset_find_or_add() has added it */
		return true;
	for (size_t i = 0; i < v->n_uniques; i++)
		if (!keys[i].missing)
			keyset_add(v->uniques[i].seen, keys[i].hash, res->text + keys[i].off, keys[i].len, row->line);
	return true;
}

/* Writes out a chunk's verdicts: rejects, unique checks, valid rows. */
static void finish_chunk(void *ctx, void *result, uint64_t bytes)
{
	struct validator *v = ctx;
	struct chunk_result *res = result;
	size_t out_len;
	const char *out = csvw_mem_data(res->out, &out_len);
	size_t from = 0, to = 0; /* valid rows' output not yet written */
	enum { AHEAD = 8 };      /* rows whose unique slots are fetched early */
	for (size_t i = 0; i < res->nrows; i++) {
		const struct checked_row *row = &res->rows[i];
		if (i + AHEAD < res->nrows && res->rows[i + AHEAD].rule == N_RULES) {
			const struct key_ref *keys = &res->keys[res->rows[i + AHEAD].keys];
			for (size_t u = 0; u < v->n_uniques; u++)
				if (!keys[u].missing)
					keyset_prefetch(v->uniques[u].seen, keys[u].hash);
		}
		v->rows++;
		bool valid = row->rule == N_RULES;
		if (!valid)
			v->by_rule[row->rule]++, reject(v, row->line, row->column, row->rule, row->constraint, res->text + row->msg,
			       res->text + row->raw, row->raw_len);
		else
			valid = unique_ok(v, res, row);
		if (valid && row->out == to) {
			to += row->out_len;
		} else if (valid) {
			if (csvw_raw(v->out, out + from, to - from) != 0)
				die_write("standard output");
			from = row->out;
			to = from + row->out_len;
		}
		if (valid) {
			v->valid++;
		} else {
			v->rejected++;
			v->match_errors += row->match_error;
		}
		if (!v->reserved && v->rows >= 8192)
			reserve_unique_keys(v, bytes);
	}
	if (csvw_raw(v->out, out + from, to - from) != 0)
		die_write("standard output");
	progress_update(&v->progress, v->rows, bytes);
}

static void on_header(void *ctx, const struct csv_record *rec)
{
	struct validator *v = ctx;
	v->header_seen = true;
	v->header_ok = read_header(v, rec) == 0;
}

/* Validates one input. Returns false when it could not be read to the end. */
static bool validate_file(struct validator *v, int fd, const char *name)
{
	v->file = name;
	v->in_fd = fd;
	v->header_seen = v->reserved = false;
	progress_init(&v->progress);
	struct seal_in seal = { 0 };
	const struct csvpar_opts o = { .name = name, .delim = v->delim, .threads = v->threads,
				       .seal = v->sealed ? &seal : NULL };
	uint64_t rows_before = v->rows;
	const struct csvpar_ops ops = {
		.ctx = v,
		.header = on_header,
		.worker_new = checker_new,
		.worker_free = checker_free,
		.result_new = chunk_result_new,
		.result_clear = chunk_result_clear,
		.result_free = chunk_result_free,
		.work = work_on_chunk,
		.deliver = finish_chunk,
	};
	char err[256];
	bool ok = csvpar_run(fd, &o, &ops, err, sizeof err);
	progress_end(&v->progress);
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
	if (!ok)
		log_error("%s: %s", name, err);
	else if (!v->header_seen)
		log_warn("%s: empty input, no header", name);
	return ok;
}

/* ---- set-up ---- */

/* Loads a foreign key's referenced CSV into a set of its key values. */
static struct keyset *load_reference(const struct ts_foreign_key *fk, char delim)
{
	int fd = open(fk->path, O_RDONLY);
	if (fd < 0)
		die(EXIT_OPER, "%s: foreign key resource: %s", fk->path, strerror(errno));
	struct csvr *r = csvr_open(fd, fk->path, delim);
	const struct csv_record *rec = csvr_next(r);
	if (!rec || rec->kind != CSVR_ROW)
		die(EXIT_OPER, "%s: foreign key resource has no header", fk->path);
	size_t *cols = xrealloc(NULL, fk->n_ref * sizeof *cols);
	size_t ncols = rec->nfields;
	for (size_t i = 0; i < fk->n_ref; i++) {
		size_t c = 0;
		while (c < rec->nfields && (rec->fields[c].len != strlen(fk->ref_fields[i]) ||
					    memcmp(rec->fields[c].data, fk->ref_fields[i], rec->fields[c].len)))
			c++;
		if (c == rec->nfields)
			die(EXIT_OPER, "%s: foreign key resource has no column \"%s\"", fk->path, fk->ref_fields[i]);
		cols[i] = c;
	}
	struct keyset *set = keyset_new();
	char *key = NULL;
	size_t cap = 0;
	while ((rec = csvr_next(r))) {
		if (rec->kind == CSVR_BLANK) /* a blank line holds no key, as a trailing one often is */
			continue;
		if (rec->kind != CSVR_ROW)
			die(EXIT_OPER, "%s:%llu: foreign key resource: %s", fk->path, (unsigned long long)rec->line,
			    rec->error);
		if (rec->nfields != ncols)
			die(EXIT_OPER, "%s:%llu: foreign key resource: %zu fields, the header has %zu", fk->path,
			    (unsigned long long)rec->line, rec->nfields, ncols);
		/* The same key as row_key() makes of a row. */
		size_t n = 0;
		for (size_t i = 0; i < fk->n_ref; i++) {
			const struct csv_field *f = &rec->fields[cols[i]];
			if (n + f->len + KEY_PART_MAX > cap) {
				cap = 2 * (n + f->len + KEY_PART_MAX);
				key = xrealloc(key, cap);
			}
			if (fk->n_ref == 1) {
				memcpy(key, f->data, f->len);
				n = f->len;
			} else {
				n += key_part(key + n, f->data, f->len);
			}
		}
		const char *k = key ? key : "";
		uint64_t h = keyset_hash(k, n);
		if (!keyset_find(set, h, k, n))
			keyset_add(set, h, k, n, rec->line);
	}
	if (csvr_error(r))
		die(EXIT_OPER, "%s: %s", fk->path, csvr_error(r));
	free(key);
	free(cols);
	csvr_close(r);
	close(fd);
	return set;
}

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
							"date, datetime, time, year)", value);
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

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Counts by rule, as JSON members or as "(rule n, rule n)" text. */
static void print_counts(char *buf, size_t size, const uint64_t *by_rule, bool json)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int r = 0; r < N_RULES; r++)
		if (by_rule[r] && n < size)
			n += (size_t)snprintf(buf + n, size - n, json ? "%s\"%s\": %llu" : "%s%s %llu",
					      n ? ", " : json ? "" : " (", rule_names[r], (unsigned long long)by_rule[r]);
	if (!json && n && n < size)
		snprintf(buf + n, size - n, ")");
}

/* Rows read = valid + rejected, and rejects_by_rule adds up to rejected;
 * problems with a header are not rows, so they are counted apart. */
static void print_summary(const struct validator *v, bool json, const char *verdict)
{
	char rules[1024], header[1024];
	print_counts(rules, sizeof rules, v->by_rule, json);
	print_counts(header, sizeof header, v->header_by_rule, json);
	if (json) {
		fprintf(stderr, "{\"rows\": %llu, \"valid\": %llu, \"rejected\": %llu, \"rejects_by_rule\": {%s}, "
				"\"header_problems\": {%s}, \"result\": ",
			(unsigned long long)v->rows, (unsigned long long)v->valid, (unsigned long long)v->rejected, rules,
			header);
		json_string(stderr, verdict);
		fprintf(stderr, "}\n");
		return;
	}
	if (v->stderr_rejects > 20)
		log_info("... %u more rejects not shown (use --rejects FILE)", v->stderr_rejects - 20);
	log_info("%llu rows read, %llu valid, %llu rejected%s%s%s%s%s", (unsigned long long)v->rows,
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

int main(int argc, char **argv)
{
	log_init("validate");
	struct validator v = { .delim = ',', .threads = csvpar_cpus() };
	const char *schema_path = NULL, *rejects_path = NULL;
	bool json = false;
	uint64_t max_rejects = UINT64_MAX;
	double max_rate = 2.0;
	bool seal = false;
	struct rule_arg *rules = NULL;
	size_t nrules = 0;
	static const struct option longopts[] = {
		{ "schema", required_argument, NULL, 's' },
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
		{ "threads", required_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, ":s:r:tqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's': schema_path = optarg; break;
		case 'r': rejects_path = optarg; break;
		case 'j':
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				die(EXIT_USAGE, "--report: \"%s\" is not text or json", optarg);
			json = !strcmp(optarg, "json");
			break;
		case 'x': max_rejects = args_u64("--max-rejects", optarg, 0, UINT64_MAX); break;
		case 'X': max_rate = args_rate("--max-reject-rate", optarg); break;
		case 'R': case 'T': case 'm': case 'M': case 'e': case 'p': case 'U':
			rules = xrealloc(rules, (nrules + 1) * sizeof *rules);
			rules[nrules++] = (struct rule_arg){ c, optarg };
			break;
		case 'z': seal = true; break;
		case 'Z': v.sealed = true; break;
		case 't': v.delim = '\t'; break;
		case 'J': v.threads = (unsigned)args_u64("--threads", optarg, 0, 256); break;
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

	char err[1024];
	if (schema_path) {
		if (ts_load(&v.schema, schema_path, err, sizeof err) != 0)
			die(EXIT_OPER, "%s", err);
		v.from_file = true;
	} else {
		ts_init_empty(&v.schema);
	}
	apply_rules(&v, rules, nrules);
	free(rules);
	plan_unique_checks(&v);
	v.field_names = keyset_new();
	for (size_t i = 0; i < v.schema.nfields; i++)
		name_add(v.field_names, v.schema.fields[i].name, i);
	v.only_empty_missing = ts_missing_only_empty(&v.schema);
	v.field_plain = xrealloc(NULL, v.schema.nfields * sizeof *v.field_plain);
	for (size_t i = 0; i < v.schema.nfields; i++) {
		const struct ts_field *f = &v.schema.fields[i];
		v.field_plain[i] = f->type == TS_STRING && (!f->format || !strcmp(f->format, "default") ||
							   !strcmp(f->format, "any")) &&
				   f->min_length < 0 && f->max_length < 0 && !f->regex && !f->n_enum;
	}
	v.fks = xrealloc(NULL, v.schema.n_foreign_keys * sizeof *v.fks);
	for (size_t i = 0; i < v.schema.n_foreign_keys; i++)
		v.fks[i] = (struct fk_check){ &v.schema.foreign_keys[i], load_reference(&v.schema.foreign_keys[i], ',') };

	int rejects_fd = -1;
	if (rejects_path) {
		refuse_same_file(rejects_path, argv + optind, argc - optind);
		rejects_fd = open(rejects_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (rejects_fd < 0)
			die(EXIT_OPER, "%s: %s", rejects_path, strerror(errno));
		v.rejects = csvw_open(rejects_fd, ',');
		static const char *const head[] = { "file", "line", "column", "rule", "constraint", "message", "raw" };
		for (int i = 0; i < 7; i++)
			if (csvw_str(v.rejects, head[i]) != 0)
				die_write(rejects_path);
		if (csvw_end_record(v.rejects) != 0)
			die_write(rejects_path);
	}
	v.out = csvw_open(STDOUT_FILENO, v.delim);

	double t0 = clock_seconds();
	bool read_ok = true;
	if (optind == argc) {
		read_ok = validate_file(&v, STDIN_FILENO, "<stdin>");
	} else {
		for (int i = optind; i < argc && read_ok; i++) {
			bool is_stdin = !strcmp(argv[i], "-");
			int fd = is_stdin ? STDIN_FILENO : open(argv[i], O_RDONLY);
			if (fd < 0) {
				log_error("%s: %s", argv[i], strerror(errno));
				read_ok = false;
				break;
			}
			read_ok = validate_file(&v, fd, is_stdin ? "<stdin>" : argv[i]);
			if (!is_stdin)
				close(fd);
		}
	}
	double secs = clock_seconds() - t0;

	if (v.rejects && (csvw_close(v.rejects) != 0 || close(rejects_fd) != 0))
		die_write(rejects_path);

	int status = EXIT_OK;
	const char *verdict = "";
	if (!read_ok) {
		status = EXIT_OPER;
		verdict = v.seal_broken ? "the input is not sealed as its producer would have sealed it"
					: "input could not be read to the end";
	} else if (v.match_errors) {
		/* Those rows were never checked: the schema, not the data, is at fault. */
		status = EXIT_OPER;
		verdict = "a pattern could not be matched";
		log_error("%llu rows rejected unchecked: a pattern could not be matched against them",
			  (unsigned long long)v.match_errors);
	} else if (v.header_failed) {
		status = EXIT_DATA;
		verdict = "the header does not match";
	} else if (v.rejected > max_rejects) {
		status = EXIT_DATA;
		verdict = "more rejects than --max-rejects allows";
	} else if (v.rows && (double)v.rejected / (double)v.rows > max_rate) {
		status = EXIT_DATA;
		verdict = "reject rate above --max-reject-rate";
	}
	print_summary(&v, json, verdict);
	log_debug("%.2f s, %.0f rows/s", secs, secs > 0 ? (double)v.rows / secs : 0.0);
	if (log_failed() && status == EXIT_OK)
		status = EXIT_OPER; /* the summary, or a reject shown there, is lost */
	/* The seal goes last, once nothing can fail any more but the write
	 * of the output itself. */
	if (seal && status == EXIT_OK) {
		char text[SEAL_LEN];
		seal_format(text, v.valid);
		if (csvw_raw(v.out, text, SEAL_LEN) != 0)
			die_write("standard output");
	}
	if (csvw_close(v.out) != 0)
		die_write("standard output");

	for (size_t i = 0; i < v.n_uniques; i++) {
		keyset_free(v.uniques[i].seen);
		if (v.uniques[i].owns_key)
			free(v.uniques[i].key.cols);
	}
	for (size_t i = 0; i < v.schema.n_foreign_keys; i++)
		keyset_free(v.fks[i].values);
	free(v.fks);
	free(v.uniques);
	keyset_free(v.field_names);
	keyset_free(v.col_names);
	keyset_free(v.out_names);
	ts_free(&v.schema);
	free_labels(v.labels, v.ncols);
	free_labels(v.out_labels, v.n_out);
	free(v.col_field);
	free(v.field_plain);
	free(v.field_col);
	free(v.out_order);
	return status;
}
