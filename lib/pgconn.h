/* SPDX-License-Identifier: MIT
 * Connecting to PostgreSQL the libpq way, for the programs that talk to it.
 *
 * The connection comes from a conninfo string or postgresql:// URI when the
 * user gave one (-d/--dbname), and otherwise from libpq's own environment
 * (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD/PGPASSFILE, PGSSLMODE,
 * service files). Error text is libpq's or the server's. The conninfo string
 * is never printed, because it may hold a password, and where libpq's own
 * message quotes a malformed one, any password in it is masked. */
#ifndef ELT_PGCONN_H
#define ELT_PGCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* Returns an open connection, or NULL after printing one line such as
 * "pgload: cannot connect to the database (host /run/postgresql, port 5432):
 * connection to server on socket ... failed: No such file or directory".
 * dbname may be NULL. Unless PGCONNECT_TIMEOUT or the conninfo says
 * otherwise, it gives up after 10 seconds. The caller frees with PQfinish(). */
PGconn *pgconn_open(const char *dbname);

/* As pgconn_open(), with connection keywords and values (NULL-terminated,
 * e.g. from a dbt profile) under dbname: a conninfo string or URI in
 * dbname overrides the keywords it names, a bare name overrides dbname,
 * and PG* variables fill in only what neither gives. The "password"
 * value, when given, is masked in messages like a conninfo password. */
PGconn *pgconn_open_params(const char *const *keys, const char *const *vals, const char *dbname);

/* For -d/--dbname: returns a copy of arg to connect with, and overwrites
 * every password in arg itself with '*', so that ps and /proc/PID/cmdline
 * show it no longer (call it as soon as the option is parsed; until then
 * it was visible, which is why the man pages point to PGPASSFILE). The
 * copy lives until the next call or exit. */
const char *pgconn_take_dbname(char *arg);

/* libpq's messages span lines ("...failed: No such file\n\tIs the server
 * running...?"); a diagnostic here is one line. Joins the lines with ". "
 * (or a space after punctuation) and drops the final newline. The caller
 * frees the result. */
char *pgconn_one_line(const char *msg);

/* Prints what went wrong with a failed result (res may be NULL): the
 * server's message prefixed by what was being done, then DETAIL, HINT and
 * CONTEXT lines when present; libpq's message on one line when the server
 * gave none; "connection to the server was lost: ..." when it is gone. */
void pgconn_report(PGconn *conn, const PGresult *res, const char *what);

/* As pgconn_report(), but without the CONTEXT line: for a caller whose
 * prefix already says where the error happened, such as the input line
 * of a failed COPY (see pgconn_copy_position()). */
void pgconn_report_at(PGconn *conn, const PGresult *res, const char *where);

/* ---- failed results: one place that says what went wrong ---- */

/* What went wrong, on one line: the server's message followed by
 * " (DETAIL: ...)" and " (HINT: ...)" when it gave them; without one,
 * libpq's (res may be NULL); for a connection that is gone, "lost the
 * connection to the server (...)". Free with free(). */
char *pgconn_error_line(PGconn *conn, const PGresult *res);

/* The exit status a failed result stands for (see exitcode.h): EXIT_DATA
 * when the server rejected the data (SQLSTATE class 22, a data exception;
 * 23, an integrity constraint; P0, a PL/pgSQL RAISE, as from a trigger),
 * EXIT_OPER for anything else, a lost connection included. */
int pgconn_exit_status(PGconn *conn, const PGresult *res);

/* The result's SQLSTATE, or "" when it has none. */
const char *pgconn_sqlstate(const PGresult *res);

/* Runs sql with text parameters and expects status want. Returns the
 * result, or NULL after pgconn_report() with *status set to the exit
 * status. */
PGresult *pgconn_query(PGconn *conn, const char *sql, int n, const char *const *params, ExecStatusType want,
		       const char *what, int *status);

/* Runs statements without parameters (PQexec: several may go as one
 * string). Returns 0, or the exit status after pgconn_report(). */
int pgconn_command(PGconn *conn, const char *sql, const char *what);

/* Where a failed COPY stopped, from the CONTEXT line "COPY t, line N[,
 * column c][: ...]": the line as the server counts it (the COPY's own
 * header line, if any, is line 1) and the column, "" when not named.
 * False when the error names no line (a foreign key's, say). */
bool pgconn_copy_position(const PGresult *res, uint64_t *line, char *column, size_t colsize);

/* Server notices (a trigger's RAISE NOTICE, "... does not exist,
 * skipping") go to the log on one line, prefixed "server: ": as warnings
 * at LOG_NORMAL, at LOG_VERBOSE only with -v. */
void pgconn_log_notices(PGconn *conn, int level);

/* ---- quoting ---- */

/* name quoted as an identifier, or schema.name with each part quoted when
 * schema is not NULL, by the server's rules (PQescapeIdentifier); NULL when
 * a part cannot be quoted (not valid in the connection's encoding), and
 * PQerrorMessage(conn) says why. Free with free(). */
char *pgconn_quote_ident(PGconn *conn, const char *schema, const char *name);

/* n identifiers quoted and joined with ", " (a column list), likewise. */
char *pgconn_quote_list(PGconn *conn, const char *const *names, size_t n);

/* A value quoted as a string literal (PQescapeLiteral), likewise. */
char *pgconn_quote_literal(PGconn *conn, const char *value);

#endif
