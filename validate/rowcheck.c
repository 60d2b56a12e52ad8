/* SPDX-License-Identifier: MIT
 * validate's row checker. csvpar's threads check each row of a chunk: its
 * shape against the header, every cell against its field's type and
 * constraints, then the foreign keys (read-only sets loaded at the start).
 * What a chunk leaves behind (each row's verdict, the valid rows' output and
 * unique keys) is finished on the main thread in input order, which alone
 * holds the unique and primary key sets, writes the rejects and copies the
 * valid rows out.
 *
 * This is the hot path: millions of narrow rows, most cells short values
 * that repeat. Cells are checked in place; values that passed are
 * remembered per thread and column; a row without quotes and with its
 * columns in order is copied out as it came. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcode.h"
#include "validate.h"
#include "xalloc.h"

const char *const vd_rule_names[N_RULES] = {
	"blank-label", "duplicate-label", "missing-label", "extra-label", "incorrect-label", "source-error",
	"encoding-error", "blank-row", "missing-cell", "extra-cell", "type-error",
	"constraint-error", "unique-error", "primary-key", "foreign-key",
};

/* ---- rejects ---- */

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
/* s[0, len) read as Latin-1, in UTF-8: a new string of *out_len bytes. */
static char *latin1_as_utf8(const char *s, size_t len, size_t *out_len)
{
	char *out = xmalloc(2 * len + 1), *o = out;
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)s[i];
		if (b < 0x80) {
			*o++ = (char)b;
		} else {
			*o++ = (char)(0xC0 | b >> 6);
			*o++ = (char)(0x80 | (b & 0x3F));
		}
	}
	*out_len = (size_t)(o - out);
	return out;
}

void vd_reject(struct validator *v, uint64_t line, const char *column, enum rule rule,
	       const char *constraint, const char *message, const char *raw, size_t raw_len)
{
	size_t message_len = utf8_whole(message, strlen(message));
	if (rule == R_ENCODING && !v->encoding && !v->not_utf8 && !v->late_guess_line &&
	    decoder_suggest_for_line(raw, raw_len, &v->late_guess)) {
		v->late_guess_file = v->file;
		v->late_guess_line = line + v->late_guess.line - 1;
	}
	char *as_latin1 = NULL, *noted = NULL;
	if (v->rejects && raw_len && !utf8_valid(raw, raw_len)) {
		/* The rejects file is UTF-8 like all output. Read as Latin-1,
		 * every byte is a character of its own, so iconv -t latin1 gives
		 * the row's bytes back exactly: nothing of it is lost. */
		as_latin1 = latin1_as_utf8(raw, raw_len, &raw_len);
		raw = as_latin1;
		noted = xasprintf("%.*s (the raw row is not UTF-8: shown read as latin1)", (int)message_len, message);
		message = noted;
		message_len = strlen(noted);
	}
	if (v->rejects) {
		char linebuf[24];
		snprintf(linebuf, sizeof linebuf, "%llu", (unsigned long long)line);
		struct csv_field f[] = {
			{ v->file, strlen(v->file), false },
			{ linebuf, strlen(linebuf), false },
			{ column ? column : "", column ? strlen(column) : 0, true },
			{ vd_rule_names[rule], strlen(vd_rule_names[rule]), false },
			{ constraint ? constraint : "", constraint ? strlen(constraint) : 0, true },
			{ message, message_len, false },
			{ raw, raw_len, raw_len == 0 },
		};
		if (csvw_record(v->rejects, f, 7) != 0)
			vd_die_write("the rejects file");
	} else if (!v->quiet_rejects && v->stderr_rejects++ < 20) {
		log_warn("%s:%llu:%s%s %s: %.*s", v->file, (unsigned long long)line, column ? " column " : "",
			 column ? column : "", vd_rule_names[rule], (int)message_len, message);
	}
	free(as_latin1);
	free(noted);
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
enum rule vd_check_bytes(const char *s, size_t len, const char **why)
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
	case TSC_CATEGORIES: {
		int m = snprintf(p, left, "is not one of the categories ");
		for (size_t i = 0; i < f->n_cat && (size_t)m < left; i++)
			m += snprintf(p + m, left - (size_t)m, "%s%s", i ? ", " : "", f->cat_values[i]);
		break;
	}
	case TSC_JSON_SCHEMA: snprintf(p, left, "does not match jsonSchema: %s", ts_json_schema_error()); break;
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
	uint64_t problems[N_RULES];      /* every problem of its rows, by rule */
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
	char *msg;                       /* a rejected row's problems, all of them */
	size_t msg_len, msg_cap;
	bool *bad;                       /* by column: failed in the row being checked */
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
		if (v->field_col[key->cols[i]] < 0) /* a field the file lacks has no values */
			return NULL;
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
	 * quote or line break. That holds when the input's delimiter and
	 * quote are the output's (raw_copy_ok); a row in any other dialect is
	 * written out field by field, as RFC 4180 wants it. */
	if (v->same_order && v->raw_copy_ok) {
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

/* Adds a problem of the row being checked. The first one gives the row its
 * rule, column and constraint; each one's text goes into k->msg, the later
 * ones naming their column and rule, so that a reject lists them all. */
static void add_problem(struct checker *k, struct chunk_result *res, struct checked_row *row, const char *column,
			enum rule rule, const char *constraint, const char *text)
{
	size_t need = k->msg_len + strlen(text) + (column ? strlen(column) : 0) +
		      (constraint ? strlen(constraint) : 0) + 64;
	if (need > k->msg_cap) {
		k->msg_cap = 2 * need + 1024;
		k->msg = xrealloc(k->msg, k->msg_cap);
	}
	res->problems[rule]++;
	if (row->rule == N_RULES) {
		row->rule = rule;
		row->column = column;
		row->constraint = constraint;
		k->msg_len = (size_t)snprintf(k->msg, k->msg_cap, "%s", text);
		return;
	}
	k->msg_len += (size_t)snprintf(k->msg + k->msg_len, k->msg_cap - k->msg_len, "; %s%s%s%s%s%s: %s",
				       column ? "column " : "", column ? column : "", column ? ": " : "",
				       vd_rule_names[rule], constraint ? " " : "", constraint ? constraint : "", text);
}

/* True when every cell of the row holds a missing value: a blank row, which
 * frictionless reports as blank-row and nothing else. The first cell with a
 * value ends the look, so a row with data pays for one cell. */
static bool row_blank(const struct validator *v, const struct csv_record *rec)
{
	for (size_t c = 0; c < rec->nfields; c++) {
		const struct csv_field *cell = &rec->fields[c];
		long f = c < v->ncols ? v->col_field[c] : -1;
		if (f >= 0 ? !cell_missing(v, (size_t)f, cell) : cell->len != 0)
			return false;
	}
	return true;
}

/* Checks the first n cells of a row against their fields, adding a problem
 * for each one that fails (k->bad marks its column). */
static void check_cells(const struct validator *v, struct checker *k, const struct csv_record *rec, size_t n,
			struct chunk_result *res, struct checked_row *row)
{
	/* Every byte of a cell is in the raw row: one look at that clears them all. */
	bool raw_ascii = !rec->raw_cut && plain_ascii(rec->raw, rec->raw_len);
	for (size_t c = 0; c < n; c++) {
		const struct csv_field *cell = &rec->fields[c];
		const char *why = NULL, *constraint = NULL;
		enum rule rule = raw_ascii ? N_RULES : vd_check_bytes(cell->data, cell->len, &why);
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
						row->match_error = true;
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
		k->bad[c] = true;
		add_problem(k, res, row, v->labels[c], rule, constraint, local);
	}
}

/* Sizes a checker's memo and marks for the current header's columns. */
static void checker_fit(const struct validator *v, struct checker *k)
{
	if (k->ncols >= v->ncols)
		return;
	k->ncols = v->ncols;
	free(k->memo);
	free(k->memo_stats);
	free(k->bad);
	k->memo_bits = MEMO_MAX_BITS;
	while (k->memo_bits > MEMO_MIN_BITS && (k->ncols << k->memo_bits) * sizeof *k->memo > MEMO_BYTES)
		k->memo_bits--;
	k->memo_stats = xcalloc_lines(k->ncols * sizeof *k->memo_stats);
	k->bad = xcalloc(k->ncols, sizeof *k->bad);
	bool fits = (k->ncols << k->memo_bits) * sizeof *k->memo <= MEMO_BYTES;
	k->memo = fits ? xcalloc(k->ncols << k->memo_bits, sizeof *k->memo) : NULL;
	for (size_t c = 0; c < k->ncols && !fits; c++)
		k->memo_stats[c].off = true; /* memo_find() looks no further */
}

/* The foreign keys of a row with the header's shape. A key whose cells
 * already failed is not looked up: its problem is reported once. */
static void check_foreign_keys(const struct validator *v, struct checker *k, const struct csv_record *rec,
			       struct chunk_result *res, struct checked_row *row)
{
	for (size_t i = 0; i < v->schema.n_foreign_keys; i++) {
		const struct ts_foreign_key *fk = &v->schema.foreign_keys[i];
		struct memo_slot *m = NULL;
		unsigned bit = 2u << i;
		bool skip = false; /* a valid row so far has no failed cell to look for */
		for (size_t j = 0; j < fk->local.n && !skip && row->rule != N_RULES; j++) {
			long c = v->field_col[fk->local.cols[j]];
			skip = c >= 0 && k->bad[c];
		}
		if (skip)
			continue;
		if (fk->local.n == 1 && i < 7 && v->field_col[fk->local.cols[0]] >= 0) {
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
			char cols[512], msg[1024];
			describe_key(v, &fk->local, key, len, cols, sizeof cols);
			if (!fk->resource || (v->package && !strcmp(fk->resource, v->resource))) /* the same table */
				snprintf(msg, sizeof msg, "%s is in no row of this table", cols);
			else if (v->package)
				snprintf(msg, sizeof msg, "%s is not in resource \"%s\"", cols, fk->resource);
			else
				snprintf(msg, sizeof msg, "%s is not in %s", cols, fk->resource);
			add_problem(k, res, row, v->schema.fields[fk->local.cols[0]].name, R_FOREIGN_KEY, NULL, msg);
		}
	}
}

/* Checks one row and records the verdict in res: every problem it has, or
 * its output. Unique keys are left for finish_chunk(); foreign keys,
 * read-only sets, are checked here. */
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

	if (!v->header_ok) {
		add_problem(k, res, row, NULL, v->header_rule, NULL, v->unchecked);
	} else if (rec->kind == CSVR_BLANK || (rec->kind == CSVR_ROW && row_blank(v, rec))) {
		add_problem(k, res, row, NULL, R_BLANK_ROW, NULL, "the row is empty");
	} else if (rec->kind == CSVR_MALFORMED) {
		add_problem(k, res, row, NULL, R_SOURCE, NULL, rec->error);
	} else {
		checker_fit(v, k);
		size_t n = rec->nfields < v->ncols ? rec->nfields : v->ncols;
		if (rec->nfields != v->ncols) {
			bool missing = rec->nfields < v->ncols;
			snprintf(msg, sizeof msg, "the row has %zu fields, the header %zu", rec->nfields, v->ncols);
			add_problem(k, res, row, missing ? v->labels[rec->nfields] : NULL,
				    missing ? R_MISSING_CELL : R_EXTRA_CELL, NULL, msg);
		}
		check_cells(v, k, rec, n, res, row);
		/* Foreign keys need every key cell where the header puts it. */
		if (rec->nfields == v->ncols)
			check_foreign_keys(v, k, rec, res, row);
		if (row->rule != N_RULES)
			for (size_t c = 0; c < n; c++)
				k->bad[c] = false;
	}
	if (row->rule != N_RULES) {
		if (k->msg_len + 128 > k->msg_cap) {
			k->msg_cap = k->msg_len + 1024;
			k->msg = xrealloc(k->msg, k->msg_cap);
		}
		note_raw_cut(k->msg, k->msg_cap, rec->raw_cut, rec->raw_len);
		row->msg = add_text(res, k->msg, strlen(k->msg));
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
	free(k->msg);
	free(k->bad);
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
	memset(res->problems, 0, sizeof res->problems);
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
	/* bytes_so_far counts UTF-8, st_size the input's own bytes. */
	double per_row = (double)bytes_so_far * v->in_width / (double)v->rows;
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
		v->problems_by_rule[u->rule]++;
		vd_reject(v, row->line, v->schema.fields[u->key.cols[0]].name, u->rule, u->rule == R_UNIQUE ? "unique" : NULL,
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
			v->by_rule[row->rule]++, vd_reject(v, row->line, row->column, row->rule, row->constraint, res->text + row->msg,
			       res->text + row->raw, row->raw_len);
		else
			valid = unique_ok(v, res, row);
		if (valid && row->out == to) {
			to += row->out_len;
		} else if (valid) {
			if (csvw_raw(v->out, out + from, to - from) != 0)
				vd_die_write("standard output");
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
		vd_die_write("standard output");
	for (int r = 0; r < N_RULES; r++)
		v->problems_by_rule[r] += res->problems[r];
	progress_update(&v->progress, v->rows, bytes);
}

const struct csvpar_ops vd_rowcheck_ops = {
	.worker_new = checker_new,
	.worker_free = checker_free,
	.result_new = chunk_result_new,
	.result_clear = chunk_result_clear,
	.result_free = chunk_result_free,
	.work = work_on_chunk,
	.deliver = finish_chunk,
};

/* ---- foreign key sets, loaded before the first row ---- */

/* The columns of one file's header that hold the referenced fields: their
 * positions in by_position's fields when it is given (fieldsMatch exact),
 * else the columns so named. False when one is missing: tolerant, for the
 * table being validated, whose header check reports it; else it dies. */
static bool reference_columns(const struct csv_record *head, const char *name, char *const *fields, size_t nfields,
			      const struct ts_schema *by_position, bool tolerant, size_t *cols)
{
	for (size_t i = 0; i < nfields; i++) {
		size_t c = 0;
		if (by_position) {
			c = (size_t)ts_field_index(by_position, fields[i]);
		} else {
			while (c < head->nfields && (head->fields[c].len != strlen(fields[i]) ||
						     memcmp(head->fields[c].data, fields[i], head->fields[c].len)))
				c++;
		}
		if (c >= head->nfields && tolerant)
			return false;
		if (c >= head->nfields)
			die(EXIT_OPER, "%s: foreign key resource has no column \"%s\"", name, fields[i]);
		cols[i] = c;
	}
	return true;
}

/* An unlinked temporary file in $TMPDIR (or /tmp) for a copy of input
 * name that must be read twice or converted first; what says what it is
 * for, in messages. */
int vd_temp_copy_open(struct vd_temp_copy *t, const char *name, const char *what)
{
	const char *dir = getenv("TMPDIR");
	t->dir = dir && *dir ? dir : "/tmp";
	t->name = name;
	t->what = what;
	char path[4096];
	snprintf(path, sizeof path, "%s/validate-copy-XXXXXX", t->dir);
	t->fd = mkstemp(path);
	if (t->fd < 0)
		die(EXIT_OPER, "%s: %s (%s of %s)", path, strerror(errno), what, name);
	unlink(path);
	return t->fd;
}

/* Appends data to the copy; a full disk or any other failure stops the
 * run (exit 3), naming the copy and its directory. */
void vd_temp_copy_write(const struct vd_temp_copy *t, const char *data, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = write(t->fd, data + done, len - done);
		if (w < 0 && errno != EINTR)
			die(EXIT_OPER, "%s of %s in %s: %s", t->what, t->name, t->dir, strerror(errno));
		done += w < 0 ? 0 : (size_t)w;
	}
}

/* Rewinds the copy, done, to be read. Returns its fd. */
int vd_temp_copy_done(const struct vd_temp_copy *t)
{
	if (lseek(t->fd, 0, SEEK_SET) != 0)
		die(EXIT_OPER, "%s of %s: %s", t->what, t->name, strerror(errno));
	return t->fd;
}

/* A copy of what d reads, as UTF-8, rewound: a referenced file in another
 * encoding is converted as the inputs are, then read by the plain reader.
 * Returns its fd. */
static int decoded_copy(struct decoder *d, const char *name)
{
	struct vd_temp_copy t;
	vd_temp_copy_open(&t, name, "a UTF-8 copy");
	char *buf = xmalloc(1 << 16);
	ssize_t n;
	while ((n = decoder_read(d, buf, 1 << 16)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(EXIT_OPER, "%s: foreign key resource: %s", name, strerror(errno));
		vd_temp_copy_write(&t, buf, (size_t)n);
	}
	free(buf);
	return vd_temp_copy_done(&t);
}

/* fd as UTF-8, read the way the inputs are (decode.h): encoding, or else
 * a byte order mark. Returns fd itself, rewound, when it is UTF-8 already
 * and can be rewound; otherwise a converted copy (decoded_copy). */
static int reference_as_utf8(int fd, const char *name, const char *encoding)
{
	char err[256];
	struct decoder *d = decoder_open(fd, encoding, err, sizeof err);
	if (!d)
		die(EXIT_OPER, "%s: foreign key resource: %s", name, err);
	/* Its keys would match nothing: better said than rejecting every row. */
	struct decoder_guess g;
	if (!encoding && decoder_guess(d, &g)) {
		decoder_close(d);
		die(EXIT_OPER, "%s:%llu: foreign key resource is not UTF-8; it looks like %s: describe it in a data "
			       "package with its \"encoding\" and use --package",
		    name, (unsigned long long)g.line, g.encoding);
	}
	int out = fd;
	if (decoder_converts(d) || lseek(fd, 0, SEEK_SET) != 0)
		out = decoded_copy(d, name);
	decoder_close(d);
	return out;
}

/* With --sniff, a file of the table being validated is read with the
 * delimiter its first bytes suggest, as its rows will be: fd is a regular
 * file here (a pipe was copied), so they are read without moving it. */
static void sniff_reference(struct csv_dialect *d, int fd)
{
	char *sample = xmalloc(1 << 16);
	ssize_t n = pread(fd, sample, 1 << 16, 0);
	size_t fields;
	char found = n > 0 ? csv_dialect_sniff(d, sample, (size_t)n, &fields) : 0;
	if (found)
		d->delimiter = found;
	free(sample);
}

/* Adds the keys of one open file, written in dialect d, to set. Without a
 * header row (d->header false) the fields are found by their positions in
 * by_position, the first row being data. */
static void load_reference_file(struct keyset *set, int fd, const char *name, char *const *fields, size_t nfields,
				const struct ts_schema *by_position, const struct csv_dialect *d, bool tolerant)
{
	if (!d->header && !by_position) {
		if (tolerant)
			return;
		die(EXIT_OPER, "%s: foreign key resource has no header row (its dialect says \"header\": false) and no "
			       "schema to say which column is which", name);
	}
	struct csvr *r = csvr_open(fd, name, d->delimiter);
	csvr_set_dialect(r, d);
	csvr_split_plain_lines(r);
	const struct csv_record *rec = csvr_next(r);
	if (!rec || rec->kind != CSVR_ROW) {
		if (!rec && !d->header) { /* no rows, so no keys */
			csvr_close(r);
			return;
		}
		if (tolerant) { /* the table's own check reports its header */
			csvr_close(r);
			return;
		}
		die(EXIT_OPER, "%s: foreign key resource has no header", name);
	}
	if (!d->header)
		csvr_unread(r);
	size_t *cols = xrealloc(NULL, nfields * sizeof *cols);
	size_t ncols = rec->nfields;
	if (!reference_columns(rec, name, fields, nfields, by_position, tolerant, cols)) {
		free(cols);
		csvr_close(r);
		return;
	}
	char *key = NULL;
	size_t cap = 0;
	while ((rec = csvr_next(r))) {
		if (rec->kind == CSVR_BLANK) /* a blank line holds no key, as a trailing one often is */
			continue;
		/* In the table being validated itself, such a row is rejected by
		 * the row checks; here it simply holds no key. */
		if (tolerant && (rec->kind != CSVR_ROW || rec->nfields != ncols))
			continue;
		if (rec->kind != CSVR_ROW)
			die(EXIT_OPER, "%s:%llu: foreign key resource: %s", name, (unsigned long long)rec->line, rec->error);
		if (rec->nfields != ncols)
			die(EXIT_OPER, "%s:%llu: foreign key resource: %zu fields, the header has %zu", name,
			    (unsigned long long)rec->line, rec->nfields, ncols);
		/* The same key as row_key() makes of a row. */
		size_t n = 0;
		for (size_t i = 0; i < nfields; i++) {
			const struct csv_field *f = &rec->fields[cols[i]];
			if (n + f->len + KEY_PART_MAX > cap) {
				cap = 2 * (n + f->len + KEY_PART_MAX);
				key = xrealloc(key, cap);
			}
			if (nfields == 1) {
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
		die(EXIT_OPER, "%s: %s", name, csvr_error(r));
	free(key);
	free(cols);
	csvr_close(r);
}

void vd_load_reference(struct keyset *set, char *const *paths, size_t npaths, const int *fds, char *const *fields,
		       size_t nfields, const struct ts_schema *schema, bool by_position, const struct csv_dialect *dialect,
		       const char *encoding, bool sniff, bool tolerant)
{
	for (size_t i = 0; i < npaths; i++) {
		bool given = fds && fds[i] >= 0;
		const char *name = !strcmp(paths[i], "-") ? "<stdin>" : paths[i];
		int fd = given ? fds[i] : open(paths[i], O_RDONLY);
		if (fd < 0)
			die(EXIT_OPER, "%s: foreign key resource: %s", paths[i], strerror(errno));
		int utf8 = reference_as_utf8(fd, name, encoding);
		struct csv_dialect d = *dialect;
		if (sniff)
			sniff_reference(&d, utf8);
		/* Without a header row, positions are all there is to go by. */
		const struct ts_schema *pos = by_position || !d.header ? schema : NULL;
		load_reference_file(set, utf8, name, fields, nfields, pos, &d, tolerant);
		if (utf8 != fd)
			close(utf8);
		if (given && lseek(fd, 0, SEEK_SET) != 0) /* read again by the checks */
			die(EXIT_OPER, "%s: %s", name, strerror(errno));
		if (!given)
			close(fd);
	}
}
