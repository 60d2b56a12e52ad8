/* SPDX-License-Identifier: MIT
 * pgload: streams CSV from stdin into a PostgreSQL table with COPY, as one
 * all-or-nothing transaction, and records every load in raw._loads.
 *
 *   pgload [--table raw.sales] [--key K] [--format binary|csv] < sales.csv
 *
 * The header names the columns (a COPY column list); columns it leaves out
 * take their defaults, which is how raw.sales gets its _load_id (from the
 * transaction's elt.load_id setting, or in binary COPY from this process:
 * see LOAD_ID_DEFAULT) and _loaded_at. A load is one
 * transaction holding the rows and the audit row together: if the server
 * rejects a row, the input cannot be read, the connection drops or pgload
 * is killed, nothing of it is visible afterwards. With --key, the audit
 * table's unique index makes a second load of the same key into the same
 * table a no-op, also when two such loads run at once: the second one waits
 * on the first one's uncommitted audit row and then skips.
 *
 * Tuned for a few million short rows on a machine whose other core runs the
 * server: by default this process converts the CSV to binary COPY (see
 * copybin.h), which the server ingests with much less work than CSV. When a
 * value is not in a form the encoder is sure of, the binary COPY is ended
 * and the rest of the input goes to the server as CSV in a second COPY of
 * the same transaction, so the server judges that value exactly as it
 * would have in CSV mode. Errors name the physical input line (header =
 * line 1): the server's line numbers are translated back, remembering only
 * the rows whose line is not the previous row's line plus one, so memory
 * stays constant in the input size.
 *
 * The target and audit tables, --create and the target's lock are in
 * target.c; --jobs, a load over several connections, in jobs.c. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "args.h"
#include "copybin.h"
#include "csvio.h"
#include "exitcode.h"
#include "log.h"
#include "pgconn.h"
#include "pgload.h"
#include "seal.h"
#include "tableschema.h"
#include "xalloc.h"

/* Data goes to libpq in pieces of this size. Small pieces keep the
 * socket to the server topped up while the next piece is encoded: with
 * 256 KB pieces the server sat idle for a third of a 3M-row load, waiting
 * for this process; with 8 KB to 32 KB pieces it hardly ever waits. */
#define FLUSH_AT (16 * 1024)
/* The send buffer asked for on the connection's socket; see connect_db. */
#define SOCKET_BUFFER (4 * 1024 * 1024)

static void usage(FILE *to)
{
	fputs("usage: pgload [-d CONNINFO] [--table [SCHEMA.]TABLE] [--create --schema FILE]\n"
	      "              [--key KEY] [--source NAME] [--format binary|csv] [--sealed] [-j N]\n"
	      "              [--lock-timeout DURATION] [-t] [-q | -v] < FILE\n",
	      to);
}

static void help(void)
{
	usage(stdout);
	fputs("\nLoads CSV from standard input into a PostgreSQL table with COPY, in one\n"
	      "transaction, and records the load in raw._loads.\n\n"
	      "  -d, --dbname CONNINFO  connection string or postgresql:// URI (default: PG* variables)\n"
	      "  -T, --table NAME       target table, [SCHEMA.]TABLE (default raw.sales); write a part\n"
	      "                         in double quotes when it holds a dot\n"
	      "      --create           create the table from --schema when it does not exist\n"
	      "  -s, --schema FILE      Frictionless Table Schema (JSON or YAML) for --create\n"
	      "  -k, --key KEY          idempotency key: skip the load if KEY was loaded into the table\n"
	      "      --source NAME      where the data came from, for the audit table (default stdin)\n"
	      "  -f, --format FORMAT    binary (default: converted here, faster) or csv (passed through)\n"
	      "      --sealed           the input must end with its producer's seal (gen --seal,\n"
	      "                         validate --seal) counting the rows that arrived; without\n"
	      "                         it nothing is committed: the way to make a pipe all or nothing\n"
	      "  -j, --jobs N           load over N connections into a new partition for the load,\n"
	      "                         attached when all is in; only into a table partitioned by\n"
	      "                         list of its load id that nothing would be bypassed in, else\n"
	      "                         over one connection, saying why (default 1; see pgload(1))\n"
	      "      --lock-timeout DURATION  give up (exit 3) when the table stays locked this long\n"
	      "                         (500ms, 10s, 2min; default: the server's lock_timeout)\n"
	      "  -t, --tsv              tab-separated input\n"
	      "  -q, --quiet            errors only on stderr\n"
	      "  -v, --verbose          more detail on stderr\n"
	      "  -h, --help             this help\n"
	      "  -V, --version          version\n\n"
	      "Exit status: 0 success (or skipped), 1 the server rejected a row or the header does\n"
	      "not fit the table, 2 usage error, 3 operational failure (connection, I/O, input\n"
	      "that cannot be parsed, a lock not had within --lock-timeout).\n",
	      stdout);
}

/* ---- small helpers ---- */

/* Reads a duration as PostgreSQL's lock_timeout takes it: a number with
 * an optional fraction and unit (us, ms, s, min, h, d; none is ms), into
 * whole milliseconds, rounded. Returns false when it is not one, or does
 * not fit lock_timeout (at most INT_MAX ms). */
static bool parse_duration(const char *s, long long *ms)
{
	static const struct { const char *unit; double ms; } units[] = {
		{ "", 1 }, { "us", 0.001 }, { "ms", 1 }, { "s", 1000 }, { "min", 60000 },
		{ "h", 3600000 }, { "d", 86400000 },
	};
	if (!(*s >= '0' && *s <= '9') && *s != '.')
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || strpbrk(s, "eExXpP") != NULL) /* no exponents, hex or inf */
		return false;
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		double total = v * units[i].ms + 0.5;
		if (total >= 2147483648.0)
			return false;
		*ms = (long long)total;
		return true;
	}
	return false;
}

void log_conn_error(const char *what, PGconn *conn)
{
	char *msg = pgconn_one_line(PQerrorMessage(conn));
	log_error("%s%s", what, msg);
	free(msg);
}

PGconn *connect_db(const char *dbname)
{
	PGconn *conn = pgconn_open(dbname);
	if (!conn)
		return NULL;
	pgconn_log_notices(conn, LOG_NORMAL); /* a trigger's RAISE NOTICE is worth seeing */
	/* A timestamptz without an offset means UTC, as validate reads it, in
	 * both modes: whatever PGTZ or the server's default says, a naive time
	 * must not move by the loading session's zone. */
	if (pgconn_command(conn, "set time zone 'UTC'", "cannot set the session's time zone: ") != 0) {
		PQfinish(conn);
		return NULL;
	}
	/* A deeper socket buffer lets this process run ahead of the server, so
	 * that the server finds data waiting whenever it reads, instead of
	 * sleeping until the next piece arrives: measured, 3M sales rows load
	 * about 10% faster with 4 MB than with the 208 KB default of a unix
	 * socket. The kernel caps the size (wmem_max); a refusal costs only
	 * that speed. */
	int sndbuf = SOCKET_BUFFER;
	if (setsockopt(PQsocket(conn), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) != 0)
		log_debug("cannot enlarge the socket's send buffer: %s", strerror(errno));
	log_debug("connected to host %s, port %s, database %s as %s", PQhost(conn), PQport(conn),
		  PQdb(conn), PQuser(conn));
	return conn;
}

/* A skipped load still reads its input to the end, so that the programs
 * before it in a pipeline (gen | validate | pgload) finish normally instead
 * of dying of SIGPIPE, which a shell with pipefail would count as failure. */
static void drain_stdin(void)
{
	static char buf[64 * 1024];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
		if (n == 0 || (n < 0 && errno != EINTR))
			return;
	}
}

/* ---- the load over one connection: its COPY segments ---- */

static int conn_lost(struct load *L)
{
	log_conn_error("connection to the server was lost: ", L->conn);
	return EXIT_OPER;
}

static int flush_out(struct load *L)
{
	if (L->out.len == 0)
		return EXIT_OK;
	if (PQputCopyData(L->conn, L->out.data, (int)L->out.len) != 1)
		return conn_lost(L);
	L->out.len = 0;
	return EXIT_OK;
}

int segment_start(struct load *L, bool binary, uint64_t first_line)
{
	/* A CSV segment gets a header line of its own, although the server
	 * only skips it: PostgreSQL 15 misses the newlines inside a quoted
	 * field that come before the first line end of the data, so without
	 * it the line numbers of a multi-line first row would be off. */
	const char *with = binary ? "format binary"
			   : L->o->delim == '\t' ? "format csv, header true, delimiter E'\\t'"
						 : "format csv, header true";
	const char *cols = binary ? L->bin_collist : L->collist;
	size_t len = strlen(L->t->sql) + strlen(cols) + strlen(with) + 64;
	char *sql = xrealloc(NULL, len);
	snprintf(sql, len, "copy %s (%s) from stdin with (%s)", L->t->sql, cols, with);
	int status = EXIT_OK;
	PGresult *res = pgconn_query(L->conn, sql, 0, NULL, PGRES_COPY_IN, "cannot start COPY: ", &status);
	free(sql);
	if (!res)
		return status;
	PQclear(res);
	L->in_copy = true;
	L->binary = binary;
	L->seg_first_line = first_line;
	L->seg_rows = 0;
	L->seg_lines = 1;
	L->nanchors = 0;
	if (binary)
		copybin_header(&L->out);
	else
		buf_add(&L->out, "pgload\n", 7);
	log_debug("line %" PRIu64 " on: %s COPY", first_line, binary ? "binary" : "CSV");
	return EXIT_OK;
}

static void anchor_add(struct load *L, uint64_t row, uint64_t line, uint64_t span)
{
	if (L->nanchors == L->capanchors) {
		L->capanchors = L->capanchors ? 2 * L->capanchors : 16;
		L->anchors = xrealloc(L->anchors, L->capanchors * sizeof *L->anchors);
	}
	L->anchors[L->nanchors++] = (struct anchor){ row, line, span };
}

/* The input line on which the segment's row that the server calls line n
 * starts. (For a row spanning lines, the server names its last line; the
 * input line where it starts is the one to look at.) */
static uint64_t segment_line(const struct load *L, uint64_t n)
{
	if (L->nanchors == 0 || n < L->anchors[0].row)
		return L->seg_first_line;
	size_t lo = 0, hi = L->nanchors; /* the last anchor with row <= n */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (L->anchors[mid].row <= n)
			lo = mid;
		else
			hi = mid;
	}
	const struct anchor *a = &L->anchors[lo];
	return n <= a->row + a->span ? a->line : a->line + (n - a->row);
}

/* Anchors the row about to be sent at position k, starting on input line
 * `line` and holding `span` newlines, when segment_line() could not tell
 * where it is otherwise. */
static void anchor_row(struct load *L, uint64_t k, uint64_t line, uint64_t span)
{
	const struct anchor *last = L->nanchors ? &L->anchors[L->nanchors - 1] : NULL;
	if (span || !last || last->span || last->line + (k - last->row) != line)
		anchor_add(L, k, line, span);
}

/* Reports the server's rejection of a COPY. Its CONTEXT says "COPY t, line
 * N[, column c][: "value"]"; N is counted within this segment (binary
 * COPY counts rows, a CSV segment lines after a header line of its own),
 * so it is translated back to the input line before it is shown. */
static void report_copy_error(const struct load *L, const PGresult *res)
{
	/* Room for a column's name (at most 63 bytes) and what the server
	 * may put after it, as in "column qty: null input". */
	char column[1024], where[1100];
	uint64_t n;
	if (!pgconn_copy_position(res, &n, column, sizeof column)) {
		pgconn_report(L->conn, res, "");
		return;
	}
	uint64_t line = segment_line(L, n);
	if (*column)
		snprintf(where, sizeof where, "line %" PRIu64 ", column %s: ", line, column);
	else
		snprintf(where, sizeof where, "line %" PRIu64 ": ", line);
	pgconn_report_at(L->conn, res, where); /* the CONTEXT is said by where */
}

/* Ends the COPY running now and takes its result. */
int segment_end(struct load *L)
{
	if (L->binary)
		copybin_trailer(&L->out);
	int status = flush_out(L);
	if (status)
		return status;
	L->in_copy = false;
	if (PQputCopyEnd(L->conn, NULL) != 1)
		return conn_lost(L);
	PGresult *res = PQgetResult(L->conn);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		L->rows += strtoull(PQcmdTuples(res), NULL, 10);
	} else if (PQstatus(L->conn) != CONNECTION_OK || !res) {
		status = conn_lost(L);
	} else {
		report_copy_error(L, res);
		status = pgconn_exit_status(L->conn, res);
	}
	PQclear(res);
	while ((res = PQgetResult(L->conn)) != NULL)
		PQclear(res);
	return status;
}

/* Ends a COPY that cannot finish; the server discards what it got. */
void segment_abort(struct load *L, const char *reason)
{
	if (!L->in_copy)
		return;
	L->in_copy = false;
	L->out.len = 0;
	if (PQputCopyEnd(L->conn, reason) == 1) {
		PGresult *res;
		while ((res = PQgetResult(L->conn)) != NULL)
			PQclear(res);
	}
}

/* Appends the record as a binary tuple. Returns false, with nothing
 * appended and *bad naming the column (or ncols for a wrong field count),
 * when it has to go as CSV. */
static bool encode_row(struct load *L, const struct csv_record *rec, size_t *bad)
{
	if (rec->kind != CSVR_ROW || rec->nfields != L->ncols) {
		*bad = L->ncols;
		return false;
	}
	size_t mark = L->out.len;
	copybin_tuple(&L->out, (uint16_t)(L->ncols + L->nfill));
	for (size_t i = 0; i < L->ncols; i++) {
		const struct csv_field *f = &rec->fields[i];
		if (!copybin_value(&L->out, L->types[i], f->data, f->len, f->null)) {
			L->out.len = mark;
			*bad = i;
			return false;
		}
	}
	if (L->nfill)
		buf_add(&L->out, L->fill.data, L->fill.len);
	anchor_row(L, ++L->seg_rows, rec->line, 0);
	return true;
}

/* A record rebuilt from its parsed fields, in the input's format, for a
 * record whose raw bytes were cut short. */
static void add_record(struct buf *b, const struct csv_record *rec, char delim)
{
	struct csvw *w = csvw_open_mem(delim);
	size_t len;
	if (csvw_record(w, rec->fields, rec->nfields) != 0)
		die(EXIT_OPER, "out of memory");
	const char *data = csvw_mem_data(w, &len);
	buf_add(b, data, len - 1); /* without its line end */
	csvw_close(w);
}

/* Sends one record in the COPY running now, first switching that COPY to
 * CSV when the record cannot go as binary. Returns 0 or an exit status. */
int send_record(struct load *L, const struct csv_record *rec)
{
	int status;
	if (rec->kind == CSVR_MALFORMED && rec->too_long) {
		/* Data that cannot be loaded, as a row the server refuses is:
		 * refused here before it takes gigabytes, or the server drops
		 * the connection over its 1 GB message limit. */
		log_error("line %" PRIu64 ": %s (PostgreSQL takes no row of 1 GB or more; "
			  "ELT_CSV_MAX_RECORD sets this limit in bytes)", rec->line, rec->error);
		segment_abort(L, "pgload: a record over the row limit");
		return EXIT_DATA;
	}
	if (rec->kind == CSVR_MALFORMED) {
		log_error("line %" PRIu64 ": %s", rec->line, rec->error);
		segment_abort(L, "pgload: malformed CSV input");
		return EXIT_OPER;
	}
	if (L->binary) {
		size_t bad;
		if (encode_row(L, rec, &bad))
			goto sent;
		/* The server, not the encoder, is to judge this row: go on
		 * in CSV, in a new COPY of the same transaction. */
		if (bad < L->ncols)
			log_debug("line %" PRIu64 ", column %s: value not in a plain form; "
				  "sending the rest as CSV", rec->line, L->names[bad]);
		else
			log_debug("line %" PRIu64 ": %zu fields for %zu columns; "
				  "sending the rest as CSV", rec->line, rec->nfields, L->ncols);
		if ((status = segment_end(L)) != 0 || (status = segment_start(L, false, rec->line)) != 0)
			return status;
	}
	size_t start = L->out.len;
	if (rec->raw_cut) /* raw holds only the start of a huge row */
		add_record(&L->out, rec, L->o->delim);
	else if (rec->raw_len == 2 && rec->raw[0] == '\\' && rec->raw[1] == '.')
		/* A line that is exactly \. ends the data of a CSV COPY:
		 * PostgreSQL (15) drops the rest without an error. Quoted it
		 * is the value it is. Inside a quoted field such a line is
		 * data already, and \. with anything else on its line too;
		 * csvr has cut off a CR before the line end. */
		buf_add(&L->out, "\"\\.\"", 4);
	else
		buf_add(&L->out, rec->raw, rec->raw_len);
	uint64_t nl = 0;
	for (const char *p = L->out.data + start, *end = L->out.data + L->out.len;
	     (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		nl++;
	buf_add(&L->out, "\n", 1);
	L->seg_rows++;
	anchor_row(L, L->seg_lines + 1, rec->line, nl);
	L->seg_lines += 1 + nl;
sent:
	if (L->out.len >= FLUSH_AT)
		return flush_out(L);
	return EXIT_OK;
}

/* Streams the records from `rec` (the first data record) to the end of
 * the input. Returns 0 when every COPY succeeded. */
static int load_rows(struct load *L, struct csvr *r, const struct csv_record *rec,
		     struct progress *pg)
{
	int status = lock_target(L->conn, L->t, &LOCK_ROW_EXCLUSIVE, L->o->lock_timeout_ms);
	if (!status)
		status = segment_start(L, L->binary_ok && L->o->binary, rec->line);
	if (status)
		return status;
	for (; rec; rec = csvr_next(r)) {
		L->records++;
		if ((status = send_record(L, rec)) != 0)
			return status;
		progress_update(pg, L->records, csvr_bytes(r));
	}
	if (csvr_error(r)) {
		log_error("standard input: %s", csvr_error(r));
		segment_abort(L, "pgload: read error on the input");
		return EXIT_OPER;
	}
	return segment_end(L);
}

/* Does the header name this column of the table? (The header's names
 * point into the table's columns.) */
static bool header_has(const struct load *L, const char *name)
{
	for (size_t i = 0; i < L->ncols; i++)
		if (L->names[i] == name)
			return true;
	return false;
}

/* Matches the header against the table's columns and makes the COPY
 * column lists. Returns 0, or 1 after saying what does not fit. */
static int header_check(struct load *L, const struct csv_record *h)
{
	const struct target *t = L->t;
	L->ncols = h->nfields;
	L->types = xrealloc(NULL, h->nfields * sizeof *L->types);
	L->names = xrealloc(NULL, h->nfields * sizeof *L->names);
	L->binary_ok = true;
	for (size_t i = 0; i < h->nfields; i++) {
		const struct csv_field *f = &h->fields[i];
		if (f->len == 0) {
			log_error("line 1: the header's field %zu is empty", i + 1);
			return EXIT_DATA;
		}
		if (strlen(f->data) != f->len) {
			log_error("line 1: the header's field %zu holds a NUL byte", i + 1);
			return EXIT_DATA;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(h->fields[j].data, f->data) == 0) {
				log_error("line 1: column \"%s\" appears twice in the header", f->data);
				return EXIT_DATA;
			}
		const struct column *c = NULL;
		for (size_t j = 0; j < t->ncols && !c; j++)
			if (strcmp(t->cols[j].name, f->data) == 0)
				c = &t->cols[j];
		if (!c) {
			log_error("line 1: table %s has no column \"%s\"", t->display, f->data);
			return EXIT_DATA;
		}
		L->names[i] = c->name;
		L->types[i] = copybin_type(c->typid);
		if (L->types[i] == CB_NONE) {
			if (L->binary_ok && L->o->binary)
				log_debug("column %s has type %s, which has no binary encoder here: "
					  "loading as CSV", c->name, c->type);
			L->binary_ok = false;
		}
	}
	/* Quoted by the server's rules, through lib/pgconn. */
	struct buf list = { 0 };
	for (size_t i = 0; i < L->ncols; i++) {
		if (i)
			sql_add(&list, ", ");
		if (!sql_add_ident(&list, L->conn, L->names[i]))
			goto oper;
	}
	buf_add(&list, "", 1);
	L->collist = xrealloc(NULL, list.len);
	memcpy(L->collist, list.data, list.len);
	list.len--; /* back over the NUL */
	for (size_t j = 0; j < t->ncols && L->binary_ok && L->o->binary; j++) {
		const struct column *c = &t->cols[j];
		if (!c->fill || header_has(L, c->name))
			continue;
		log_debug("column %s: the load id goes with every binary row, its default is not "
			  "evaluated", c->name);
		sql_add(&list, ", ");
		if (!sql_add_ident(&list, L->conn, c->name))
			goto oper;
		L->nfill++;
	}
	buf_add(&list, "", 1);
	L->bin_collist = list.data; /* the buffer is handed over */
	return EXIT_OK;
oper:
	buf_free(&list);
	return EXIT_OPER;
}

static void load_free(struct load *L)
{
	free(L->types);
	free(L->names);
	free(L->collist);
	free(L->bin_collist);
	buf_free(&L->fill);
	free(L->anchors);
	buf_free(&L->out);
	free(L->staging);
	free(L->part_key);
}

/* With --sealed, after the input's end: did its producer finish, and
 * does its count match what arrived? */
static int seal_verdict(const struct seal_in *seal, uint64_t records)
{
	char err[256];
	uint64_t rows;
	if (!seal_check(seal, &rows, err, sizeof err)) {
		log_error("standard input: %s", err);
		return EXIT_OPER;
	}
	if (rows != records) {
		log_error("standard input: the seal counts %" PRIu64 " rows, %" PRIu64 " arrived: "
			  "the stream was changed on the way", rows, records);
		return EXIT_OPER;
	}
	return EXIT_OK;
}

static const char *exit_reason(int status)
{
	return status == EXIT_DATA ? "the server rejected the data" : "operational failure";
}

/* The whole load once connected. Returns the exit status. */
static int run(PGconn *conn, const struct opts *o, struct target *t)
{
	int status = audit_ensure(conn);
	if (status)
		return status;
	status = target_resolve(conn, t);
	if (status == -1 && o->create) {
		if ((status = create_table(conn, t, &o->schema)) == 0) {
			log_info("creating table %s from %s", o->table, o->schema_path);
			free(t->sql);
			t->sql = NULL;
			status = target_resolve(conn, t);
		}
		if (status) {
			PQclear(PQexec(conn, "rollback"));
			return status == -1 ? EXIT_OPER : status;
		}
	}
	if (status == -1) {
		log_error("table %s does not exist%s", o->table,
			  o->create ? "" : " (--create --schema FILE makes it)");
		return EXIT_OPER;
	}
	if (status)
		return status;
	if (o->key) {
		char id[24];
		bool seen;
		if ((status = audit_seen(conn, t->display, o->key, id, sizeof id, &seen)) != 0)
			return status;
		if (seen) {
			log_info("skipped: key \"%s\" was already loaded into %s by load %s", o->key,
				 t->display, id);
			drain_stdin();
			return EXIT_OK;
		}
	}

	struct load L = { .conn = conn, .o = o, .t = t };
	struct csvr *r = csvr_open(STDIN_FILENO, "stdin", o->delim);
	csvr_split_plain_lines(r);
	struct seal_in seal = { 0 };
	if (o->sealed)
		csvr_hold_seal(r, &seal);
	struct progress pg;
	progress_init(&pg);
	const struct csv_record *h = csvr_next(r);
	const struct csv_record *first = NULL;
	if (!h) {
		if (csvr_error(r))
			log_error("standard input: %s", csvr_error(r));
		else
			log_error("the input is empty: a header line naming the columns is needed");
		status = EXIT_OPER;
		goto out;
	}
	if (h->kind != CSVR_ROW) {
		log_error("line 1: %s", h->kind == CSVR_BLANK ? "the header line is empty" : h->error);
		status = EXIT_OPER;
		goto out;
	}
	if ((status = header_check(&L, h)) != 0)
		goto out;
	/* One record ahead, so that a header-only input is known before the
	 * transaction starts. */
	first = csvr_next(r);
	if (!first && csvr_error(r)) {
		log_error("standard input: %s", csvr_error(r));
		status = EXIT_OPER;
		goto out;
	}
	if (!first)
		log_info("the input holds a header and no rows");

	bool jobs = false;
	if (o->jobs > 1 && first) {
		if (PQtransactionStatus(conn) == PQTRANS_INTRANS) {
			log_info("--jobs: %s is new in this load's transaction; loading over one connection",
				 t->display);
		} else if ((status = jobs_possible(conn, t, &L.part_key)) != 0) {
			goto out;
		} else if (L.part_key) {
			jobs = true;
			staging_cleanup(conn, t);
		}
	}
	bool skipped = false;
	const char *why = NULL; /* for the audit row, when not exit_reason()'s */
	if ((status = load_begin(&L, &skipped)) != 0)
		goto failed;
	if (skipped) {
		log_info("skipped: key \"%s\" was loaded into %s by a load that ran at the same time",
			 o->key, t->display);
		drain_stdin();
		goto out;
	}
	log_debug("load %s into %s", L.load_id, t->display);
	if (first && (status = jobs ? load_rows_jobs(&L, r, first, &pg) : load_rows(&L, r, first, &pg)) != 0)
		goto failed;
	progress_end(&pg);
	if (o->sealed && (status = seal_verdict(&seal, L.records)) != 0) {
		why = "the input was not sealed as its producer would have sealed it";
		goto failed;
	}
	if ((status = load_commit(&L, csvr_bytes(r))) != 0)
		goto failed;
	double secs = clock_seconds() - pg.start;
	char over[48] = "";
	if (L.connections > 1)
		snprintf(over, sizeof over, " over %u connections", L.connections);
	log_info("loaded %" PRIu64 " rows into %s in %.2f s (%.0f rows/s, %s%s), load %s", L.rows,
		 t->display, secs, secs > 0 ? (double)L.rows / secs : 0.0,
		 !first ? "no COPY" : L.binary ? "binary COPY"
		 : L.binary_ok && o->binary ? "binary COPY, then CSV" : "CSV COPY",
		 over, L.load_id);
	goto out;
failed:
	progress_end(&pg);
	segment_abort(&L, "pgload: load abandoned");
	load_rollback(&L, csvr_bytes(r), why ? why : exit_reason(status));
	if (L.load_id[0])
		log_error("nothing was loaded into %s: load %s was rolled back", t->display, L.load_id);
	else
		log_error("nothing was loaded into %s", t->display);
out:
	/* A header that does not fit, after --create: the new table goes. */
	if (PQtransactionStatus(conn) == PQTRANS_INTRANS)
		PQclear(PQexec(conn, "rollback"));
	csvr_close(r);
	load_free(&L);
	return status;
}

/* Reads the options into o. Returns -1 to go on, or the status to exit
 * with (after --help, --version or a usage error). */
static int parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "dbname", required_argument, NULL, 'd' },
		{ "table", required_argument, NULL, 'T' },
		{ "key", required_argument, NULL, 'k' },
		{ "source", required_argument, NULL, 'S' },
		{ "create", no_argument, NULL, 'C' },
		{ "schema", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "sealed", no_argument, NULL, 'z' },
		{ "lock-timeout", required_argument, NULL, 'L' },
		{ "tsv", no_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, ":d:T:k:s:f:j:tqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->dbname = pgconn_take_dbname(optarg); break;
		case 'T': o->table = optarg; break;
		case 'k': o->key = optarg; break;
		case 'S': o->source = optarg; break;
		case 'C': o->create = true; break;
		case 's': o->schema_path = optarg; break;
		case 'f':
			if (strcmp(optarg, "binary") == 0) {
				o->binary = true;
			} else if (strcmp(optarg, "csv") == 0) {
				o->binary = false;
			} else {
				log_error("--format: \"%s\" is neither binary nor csv", optarg);
				usage(stderr);
				return EXIT_USAGE;
			}
			break;
		case 'j': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (!*optarg || *end || n < 1 || n > 64) {
				log_error("--jobs: \"%s\" is not a number of connections from 1 to 64", optarg);
				usage(stderr);
				return EXIT_USAGE;
			}
			o->jobs = (unsigned)n;
			break;
		}
		case 'z': o->sealed = true; break;
		case 'L':
			if (!parse_duration(optarg, &o->lock_timeout_ms)) {
				log_error("--lock-timeout: \"%s\" is not a duration such as 500ms, 10s or 2min",
					  optarg);
				usage(stderr);
				return EXIT_USAGE;
			}
			break;
		case 't': o->delim = '\t'; break;
		case 'q': log_level = LOG_QUIET; break;
		case 'v': log_level = LOG_VERBOSE; break;
		case 'h': help(); return EXIT_OK;
		case 'V': puts("pgload " ELT_VERSION); return EXIT_OK;
		default:
			args_bad_option(c, argv);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument \"%s\": the data comes on standard input", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o->key && !*o->key) {
		log_error("--key: the key is empty");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o->create != (o->schema_path != NULL)) {
		log_error(o->create ? "--create needs --schema FILE" : "--schema is used with --create only");
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	log_init("pgload");
	struct opts o = { .table = "raw.sales", .source = "stdin", .delim = ',', .binary = true, .jobs = 1,
			 .lock_timeout_ms = -1 };
	int status = parse_options(argc, argv, &o);
	if (status >= 0)
		return status;
	struct target t = { 0 };
	if (!split_table(o.table, &t.schema, &t.name)) {
		log_error("--table: \"%s\" is not [SCHEMA.]TABLE", o.table);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o.create) {
		char err[512];
		if (ts_load(&o.schema, o.schema_path, err, sizeof err) != 0) {
			log_error("%s", err);
			ts_free(&o.schema); /* what was loaded before the error */
			target_free(&t);
			return EXIT_OPER;
		}
	}
	PGconn *conn = connect_db(o.dbname);
	status = conn ? run(conn, &o, &t) : EXIT_OPER;
	PQfinish(conn);
	target_free(&t);
	if (o.create)
		ts_free(&o.schema);
	return status;
}
