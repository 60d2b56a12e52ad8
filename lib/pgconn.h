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

#include <libpq-fe.h>

/* Returns an open connection, or NULL after printing one line such as
 * "pgload: cannot connect to the database (host /run/postgresql, port 5432):
 * connection to server on socket ... failed: No such file or directory".
 * dbname may be NULL. Unless PGCONNECT_TIMEOUT or the conninfo says
 * otherwise, it gives up after 10 seconds. The caller frees with PQfinish(). */
PGconn *pgconn_open(const char *dbname);

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

/* Prints the server's message for a failed result: its primary text, with
 * DETAIL, HINT and CONTEXT lines when present, prefixed by what was being
 * done. */
void pgconn_report(const PGresult *res, const char *what);

/* Runs a command that returns no rows. Returns 0, or -1 after reporting. */
int pgconn_exec(PGconn *conn, const char *sql);

/* Returns a quoted identifier from PQescapeIdentifier, or NULL after
 * reporting. Free with PQfreemem(). */
char *pgconn_ident(PGconn *conn, const char *name);

#endif
