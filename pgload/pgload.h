/* SPDX-License-Identifier: MIT
 * What pgload's modules share: the options, the target table, one load's
 * state, and the calls between pgload.c (main, options, the COPY over one
 * connection), target.c (the target and audit tables, --create, the
 * target's lock) and jobs.c (--jobs: a load over several connections into
 * a partition of its own). Nothing here is used outside pgload/.
 *
 * Functions that return an int return 0 or an exit status (exitcode.h)
 * after the error has been reported on stderr, unless they say otherwise. */
#ifndef PGLOAD_H
#define PGLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "copybin.h"
#include "csvio.h"
#include "log.h"
#include "tableschema.h"

/* The default that stamps a row with its load (raw.sales' _load_id, and
 * --create's), as the server prints it back with pg_get_expr. A column
 * with this default gets the load id from this process in binary COPY,
 * since in the load's transaction the default can only give that value:
 * the server then skips looking the setting up by name, comparing it and
 * casting it for every row, which takes about a tenth of its time on
 * raw.sales. A server that prints the default another way gets it
 * evaluated as before: slower, never different. */
#define LOAD_ID_DEFAULT \
	"(NULLIF(current_setting('elt.load_id'::text, true), ''::text))::bigint"

/* The command line. */
struct opts {
	const char *dbname;
	const char *table;
	const char *key;
	const char *source;
	const char *schema_path;
	struct ts_schema schema; /* loaded when create */
	bool create;
	char delim;
	bool binary;
	bool sealed;             /* --sealed: commit only a stream its producer sealed */
	unsigned jobs;           /* connections to load over; see load_rows_jobs() */
	long long lock_timeout_ms; /* --lock-timeout; -1: the session's lock_timeout */
};

/* ---- the target table ---- */

struct column {
	char *name;
	uint32_t typid;
	char *type;  /* format_type(), for messages */
	bool fill;   /* its default is the load id; see LOAD_ID_DEFAULT */
	bool now;    /* its default is now(), the load's start */
};

struct target {
	char *schema, *name; /* as the user wrote them, unquoted; schema may be NULL */
	char *sql;           /* quoted for SQL text: "raw"."sales" */
	char *display;       /* the server's spelling, schema-qualified: raw.sales */
	char *relname;       /* the server's spelling of the name alone */
	char oid[16], nsp_oid[16];
	size_t ncols;
	struct column *cols;
};

/* ---- one load ---- */

/* Where a segment's rows sit in the input. Positions in a segment are
 * rows for binary COPY and lines for CSV (where the segment's own header
 * line is line 1), as the server counts them in its errors. From position
 * `row` on, the row at position k starts on input line `line + (k - row)`,
 * up to the next anchor; but positions `row` to `row + span` all belong to
 * the row at `row`, a CSV row holding `span` newlines (the server names
 * the line it was on when the row failed). An anchor is added only where
 * that rule would go wrong: at a segment's first row, at a CSV row that
 * spans lines, and where the rows sent stop being consecutive lines of the
 * input (with --jobs), so memory stays constant for one connection. */
struct anchor {
	uint64_t row, line, span;
};

struct load {
	PGconn *conn;
	const struct opts *o;
	const struct target *t;
	size_t ncols;           /* columns in the header */
	enum cb_type *types;    /* their encoders, in header order */
	const char **names;     /* their names, in header order */
	char *collist;          /* "a", "b", ... for the COPY statement */
	bool binary_ok;         /* every column has an encoder */
	/* Binary COPY also sends the columns the header leaves out whose
	 * default is the load id (see LOAD_ID_DEFAULT): nfill of them, named
	 * after collist in bin_collist, each row ending with the bytes in
	 * fill. CSV segments leave them to their defaults, which give the same
	 * value, so that a row with too few or too many fields is reported as
	 * in CSV mode. */
	size_t nfill;
	char *bin_collist;
	struct buf fill;

	bool in_copy, binary;   /* the COPY running now */
	uint64_t seg_first_line;/* input line of its first row */
	uint64_t seg_rows;      /* rows sent in it */
	uint64_t seg_lines;     /* lines sent in it, its header line included */
	struct anchor *anchors; /* see struct anchor */
	size_t nanchors, capanchors;

	uint64_t rows;          /* rows the server took in finished segments */
	uint64_t records;       /* records read, for progress */
	struct buf out;
	char load_id[24];
	char started_at[64];
	char *staging;          /* with --jobs: the staging table, quoted */
	char *part_key;         /* with --jobs: the target's partition key column */
	bool staging_made;      /* this load created it (and may drop it) */
	unsigned connections;   /* the data went over this many */
};

/* ---- pgload.c: the connection and the COPY ---- */

/* Logs what, then libpq's last message on conn, on one line. */
void log_conn_error(const char *what, PGconn *conn);

/* A connection set up for loading (server notices as warnings, a deep
 * send buffer), or NULL after reporting. The caller PQfinish()es it. */
PGconn *connect_db(const char *dbname);

/* Starts a COPY into L->t, binary or CSV, whose first row is on input
 * line first_line; the segment's line bookkeeping starts over. */
int segment_start(struct load *L, bool binary, uint64_t first_line);

/* Sends one record in the COPY running now (switching it to CSV when the
 * record cannot go as binary). A malformed record ends the COPY. */
int send_record(struct load *L, const struct csv_record *rec);

/* Ends the COPY running now and adds the rows it took to L->rows; a row
 * the server refused is reported by its input line. */
int segment_end(struct load *L);

/* Ends a COPY that cannot finish, if one is running: the server discards
 * what it got, and reason goes to it. */
void segment_abort(struct load *L, const char *reason);

/* ---- target.c: the target table, the audit table, the target's lock ---- */

/* Splits --table's [SCHEMA.]TABLE into t->schema (NULL when not given)
 * and t->name, malloc'd. False on an empty or badly quoted part. */
bool split_table(const char *s, char **schema, char **name);

/* Frees what t holds, not t itself. */
void target_free(struct target *t);

/* s quoted as one identifier, malloc'd; NULL after reporting. */
char *quote_ident(PGconn *conn, const char *s);

/* Appends the string s (without its NUL) to b. */
void sql_add(struct buf *b, const char *s);

/* Appends name quoted as an identifier to b; false after reporting. */
bool sql_add_ident(struct buf *b, PGconn *conn, const char *name);

/* Quotes t's name into t->sql and fills in the rest of t from the
 * server. Returns -1, reporting nothing, when there is no such table. */
int target_resolve(PGconn *conn, struct target *t);

/* Creates raw._loads (and schema raw) when it is missing. */
int audit_ensure(PGconn *conn);

/* Sets *seen when a committed load of key into table is in raw._loads,
 * and then copies its load id into load_id (n bytes). */
int audit_seen(PGconn *conn, const char *table, const char *key, char *load_id, size_t n, bool *seen);

/* Begins the load's transaction and creates t in it from the Table
 * Schema ts (with the two load columns) unless it exists; on failure
 * the caller rolls back. */
int create_table(PGconn *conn, const struct target *t, const struct ts_schema *ts);

/* A lock mode as LOCK TABLE spells it and as pg_locks names it, with the
 * modes (as pg_locks names them) that make it wait. */
struct lock_mode {
	const char *sql, *name, *conflicts;
};
extern const struct lock_mode LOCK_ACCESS_SHARE, LOCK_ROW_EXCLUSIVE, LOCK_SHARE_UPDATE_EXCLUSIVE;

/* Takes lock m on t in the transaction open on conn, quietly for a
 * moment, then saying whom it waits for. timeout_ms bounds the whole
 * wait (0: none; -1: the session's lock_timeout); past it, exit 3. The
 * session's lock_timeout is left as it was. */
int lock_target(PGconn *conn, const struct target *t, const struct lock_mode *m, long long timeout_ms);

/* Begins the load's transaction (unless --create did) with its audit row
 * "running", and sets L->load_id and elt.load_id. Sets *skipped, and
 * rolls back, when a load of the same key committed meanwhile. */
int load_begin(struct load *L, bool *skipped);

/* Marks the audit row committed with L->rows and bytes, and commits. */
int load_commit(struct load *L, uint64_t bytes);

/* Rolls back, drops the staging table this load made, and records the
 * failure (why) in raw._loads in a transaction of its own. Best effort:
 * says nothing when the connection is gone. */
void load_rollback(struct load *L, uint64_t bytes, const char *why);

/* ---- jobs.c: --jobs ---- */

/* Sets *key to the name of t's partition key column (malloc'd) when the
 * load can go over several connections into a partition of its own;
 * otherwise sets it to NULL and says why on one line. */
int jobs_possible(PGconn *conn, const struct target *t, char **key);

/* Drops the staging tables that loads into t's schema left when they
 * died. Best effort. */
void staging_cleanup(PGconn *conn, const struct target *t);

/* Runs the statement the server's format(fmt, args...) makes: for DDL,
 * which takes no parameters. At most 7 args. */
int exec_formatted(PGconn *conn, const char *fmt, int nargs, const char *const *args, const char *what);

/* Loads the records from rec (the first data record) to the end of r
 * over L->o->jobs connections into a staging table, and attaches it as
 * the target's partition in the load's transaction, open on L->conn. */
int load_rows_jobs(struct load *L, struct csvr *r, const struct csv_record *rec, struct progress *pg);

#endif
