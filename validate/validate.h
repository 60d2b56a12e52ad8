/* SPDX-License-Identifier: MIT
 * What validate's files share: the run's state, the rules a reject names,
 * and the row checker's entry points. Nothing here is used outside
 * validate/.
 *
 *   validate.c  options, set-up, each input's header, the summary, main()
 *   rowcheck.c  rows: cells against the schema's fields and constraints and
 *               foreign keys on csvpar's threads; unique and primary keys,
 *               rejects and the output in input order on the main thread
 *   csvpar.c    one input parsed and worked on by several threads
 *   keyset.c    the hash sets of names and keys */
#ifndef VALIDATE_H
#define VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csvio.h"
#include "csvpar.h"
#include "dialect.h"
#include "datapackage.h"
#include "keyset.h"
#include "log.h"
#include "tableschema.h"

/* Frictionless error names, in summary order. */
enum rule {
	R_BLANK_LABEL, R_DUPLICATE_LABEL, R_MISSING_LABEL, R_EXTRA_LABEL, R_INCORRECT_LABEL, R_SOURCE, R_ENCODING,
	R_BLANK_ROW, R_MISSING_CELL, R_EXTRA_CELL, R_TYPE, R_CONSTRAINT, R_UNIQUE, R_PRIMARY_KEY,
	R_FOREIGN_KEY, N_RULES
};
extern const char *const vd_rule_names[N_RULES];

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
	bool borrowed_schema;      /* schema belongs to the package, not to us */
	const struct dp_package *package; /* --package, or NULL */
	const char *resource;      /* --package: the resource being validated */
	int *input_fds;            /* by input (stdin when none is named): a copy
				      in a temporary file to read it twice, or -1 */
	int n_input_fds;
	bool sealed;               /* --sealed: each input ends with a seal */
	bool seal_broken;          /* one did not, or counted other rows */
	bool from_file;            /* header must match the schema's fields */
	bool by_position;          /* fieldsMatch exact: column i is field i */
	char delim;                /* the output's: ',', or tab with -t */
	struct csv_dialect dialect; /* the inputs', from the options, a dialect file, the schema */
	struct csv_dialect in;     /* the current input's: dialect, or with --sniff what was found */
	bool sniff;                /* --sniff: guess each input's delimiter */
	bool raw_copy_ok;          /* the input's raw rows can be output as they are */
	bool dialect_wrong;        /* an input's delimiter looked wrong: its rows were not read */
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
	int rejects_fd;
	enum rule header_rule;     /* why the current file's rows cannot be checked */
	const char *unchecked;     /* and what their rejects say */

	/* Encodings: --encoding, or NULL to read UTF-8 or what a byte order
	 * mark says. An input whose first bytes are clearly not UTF-8 is
	 * reported once (not_utf8) and its rows rejected unchecked, each
	 * into the rejects file only (quiet_rejects), not on stderr. */
	const char *encoding;
	unsigned in_width;         /* input bytes per ASCII character */
	bool not_utf8, quiet_rejects, any_not_utf8;
	char not_utf8_msg[320];
	/* Without --encoding, the first row rejected as not UTF-8 in an input
	 * whose first bytes looked like UTF-8: what to suggest at the end. */
	struct decoder_guess late_guess;
	const char *late_guess_file;
	uint64_t late_guess_line;

	/* The current input. */
	int in_fd;
	unsigned threads;          /* checking threads besides the main one */
	bool header_seen;
	bool header_ok;            /* its columns map onto the fields: rows can be checked */

	/* Written by the main thread for every row, so on cache lines of
	 * their own: sharing one with what the checking threads read for
	 * every cell above, they kept taking the line from each other. */
	_Alignas(64) uint64_t rows;
	uint64_t valid, rejected, by_rule[N_RULES]; /* rows, by their first problem */
	uint64_t problems_by_rule[N_RULES];          /* every problem of the rows */
	uint64_t header_by_rule[N_RULES];            /* header problems, not rows */
	uint64_t match_errors;     /* rows rejected because a pattern could not be matched */
	unsigned stderr_rejects;   /* rejects shown on stderr without --rejects */
	bool header_failed;
	bool no_header;            /* an input with nothing in it, where fields were expected */
	bool reserved;             /* the unique sets have been sized */
	struct progress progress;
};

/* ---- validate.c ---- */

/* Ends the run with EXIT_OPER after a failed write to what. */
noreturn void vd_die_write(const char *what);

/* ---- rowcheck.c ---- */

/* Where a cell's bytes are not plain printable ASCII, tells NUL bytes and
 * invalid UTF-8 apart. Returns the rule to report (*why saying what is
 * wrong), or N_RULES if the bytes are fine. */
enum rule vd_check_bytes(const char *s, size_t len, const char **why);

/* Records a rejected row (or header) in the rejects file, or on stderr
 * without one; the caller counts it. column and constraint may be NULL. */
/* A copy of an input in an unlinked temporary file (rowcheck.c): opened,
 * written, then rewound to be read. Every failure stops the run. */
struct vd_temp_copy {
	int fd;
	const char *dir, *name, *what;
};
int vd_temp_copy_open(struct vd_temp_copy *t, const char *name, const char *what);
void vd_temp_copy_write(const struct vd_temp_copy *t, const char *data, size_t len);
int vd_temp_copy_done(const struct vd_temp_copy *t);

void vd_reject(struct validator *v, uint64_t line, const char *column, enum rule rule,
	       const char *constraint, const char *message, const char *raw, size_t raw_len);

/* Adds the values of the referenced fields, from every row of the CSV
 * files, to a foreign key's set, as the row checker looks them up. fds,
 * when given, holds for each path an open descriptor of a regular file to
 * read instead (then put back at its start), or -1. The files are read in
 * dialect (with sniff, each with the delimiter its first bytes suggest,
 * as --sniff reads the inputs), in encoding as decode.h reads it (NULL: a
 * byte order mark says, else UTF-8); a file that is converted is read
 * from a UTF-8 copy in $TMPDIR. With a header row, the fields are the
 * columns it names so, or with by_position (fieldsMatch exact) the columns
 * at their positions in schema; without one (the dialect's "header":
 * false), always at their positions in schema, which must then be given.
 * tolerant, for the table being validated itself: a row that cannot hold
 * a key (malformed, of another width) is passed over, since the row checks
 * reject it; otherwise it ends the run. Dies with EXIT_OPER when a file
 * cannot be read. */
void vd_load_reference(struct keyset *set, char *const *paths, size_t npaths, const int *fds, char *const *fields,
		       size_t nfields, const struct ts_schema *schema, bool by_position, const struct csv_dialect *dialect,
		       const char *encoding, bool sniff, bool tolerant);

/* The row checker as csvpar runs it: per-thread checkers, chunk results,
 * the work on a chunk and its delivery in input order. The caller sets
 * ctx (the struct validator) and header. */
extern const struct csvpar_ops vd_rowcheck_ops;

#endif
