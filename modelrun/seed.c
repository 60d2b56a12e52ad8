/* SPDX-License-Identifier: MIT
 * Seeds: a CSV file under the seed paths becomes a table.
 *
 * One pass over the file with the shared CSV reader infers each column's
 * type (integer, bigint, numeric, date, timestamp, timestamptz, boolean,
 * else text; +column_types overrides); a second pass streams the file's
 * bytes into COPY ... (FORMAT csv, HEADER) unchanged but for a lone \\. (see
 * is_end_marker), which reads exactly
 * the dialect the reader accepts (an empty unquoted field is NULL). The new
 * table is created, filled and swapped in inside one transaction, so
 * readers see the old content or the new, never a mix. dbt inserts seeds
 * with batched INSERTs; COPY loads a million rows in a couple of seconds. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caltime.h"
#include "csvio.h"
#include "exitcode.h"
#include "log.h"
#include "modelrun.h"
#include "pgconn.h"
#include "xalloc.h"

enum { T_INT = 1, T_BIGINT = 2, T_NUM = 4, T_DATE = 8, T_TS = 16, T_TSTZ = 32, T_BOOL = 64 };

struct column {
	char *name;
	unsigned can;   /* types every value so far fits */
	bool any;       /* a non-null value was seen */
};

static bool is_integer(const char *s, size_t n, bool *small)
{
	size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
	if (i == n || n - i > 19)
		return false;
	for (size_t k = i; k < n; k++)
		if (!isdigit((unsigned char)s[k]))
			return false;
	errno = 0; /* 19 digits may still be past bigint's range */
	long long v = strtoll(s, NULL, 10);
	if (errno == ERANGE)
		return false;
	*small = v >= -2147483648LL && v <= 2147483647LL;
	return true;
}

static bool is_numeric(const char *s, size_t n)
{
	size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
	size_t digits = 0, dots = 0;
	for (; i < n; i++) {
		if (isdigit((unsigned char)s[i]))
			digits++;
		else if (s[i] == '.' && !dots)
			dots++;
		else
			return false;
	}
	return digits > 0;
}

static bool two_digits(const char *s)
{
	return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]);
}

/* YYYY-MM-DD[T ]HH:MM[:SS[.f+]][Z|+HH[:MM]]; *tz says an offset was given. */
static bool is_timestamp(const char *s, size_t n, bool *tz)
{
	int64_t days;
	if (n < 16 || !cal_parse_date(s, 10, &days) || (s[10] != 'T' && s[10] != ' '))
		return false;
	const char *p = s + 11, *e = s + n;
	if (!two_digits(p) || p[2] != ':' || !two_digits(p + 3) || atoi(p) > 23 || atoi(p + 3) > 59)
		return false;
	p += 5;
	if (p < e && *p == ':') {
		if (e - p < 3 || !two_digits(p + 1) || atoi(p + 1) > 60)
			return false;
		p += 3;
		if (p < e && *p == '.') {
			p++;
			if (p >= e || !isdigit((unsigned char)*p))
				return false;
			while (p < e && isdigit((unsigned char)*p))
				p++;
		}
	}
	*tz = false;
	if (p == e)
		return true;
	*tz = true;
	if (*p == 'Z' || *p == 'z')
		return p + 1 == e;
	if (*p != '+' && *p != '-')
		return false;
	p++;
	if (e - p < 2 || !two_digits(p))
		return false;
	p += 2;
	if (p < e && *p == ':')
		p++;
	if (p == e)
		return true;
	return e - p == 2 && two_digits(p);
}

static bool is_bool(const char *s, size_t n)
{
	return (n == 4 && strncasecmp(s, "true", 4) == 0) || (n == 5 && strncasecmp(s, "false", 5) == 0);
}

static void observe(struct column *c, const struct csv_field *f)
{
	if (f->null)
		return;
	c->any = true;
	const char *s = f->data;
	size_t n = f->len;
	bool small = false, tz = false;
	unsigned can = 0;
	if (c->can & (T_INT | T_BIGINT | T_NUM)) {
		if (is_integer(s, n, &small))
			can |= (small ? T_INT : 0) | T_BIGINT | T_NUM;
		else if (is_numeric(s, n))
			can |= T_NUM;
	}
	if (c->can & T_DATE) {
		int64_t d;
		if (n == 10 && cal_parse_date(s, n, &d))
			can |= T_DATE;
	}
	if ((c->can & (T_TS | T_TSTZ)) && is_timestamp(s, n, &tz))
		can |= tz ? T_TSTZ : T_TS | T_TSTZ;
	if ((c->can & T_BOOL) && is_bool(s, n))
		can |= T_BOOL;
	c->can &= can;
}

static const char *type_of(const struct column *c)
{
	if (!c->any)
		return "text";
	if (c->can & T_INT)
		return "integer";
	if (c->can & T_BIGINT)
		return "bigint";
	if (c->can & T_NUM)
		return "numeric";
	if (c->can & T_DATE)
		return "date";
	if (c->can & T_TS)
		return "timestamp";
	if (c->can & T_TSTZ)
		return "timestamptz";
	if (c->can & T_BOOL)
		return "boolean";
	return "text";
}

static void free_columns(struct column *cols, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(cols[i].name);
	free(cols);
}

/* First pass: the header and each column's type. */
static int infer(const struct dbt_node *n, struct column **out, size_t *ncols, struct node_result *r)
{
	int fd = open(n->file, O_RDONLY);
	if (fd < 0) {
		mr_message(r, "%s: %s", n->path, strerror(errno));
		return -1;
	}
	struct csvr *rd = csvr_open(fd, n->path, ',');
	const struct csv_record *rec;
	struct column *cols = NULL;
	size_t nc = 0;
	int rc = 0;
	while ((rec = csvr_next(rd))) {
		if (rec->kind == CSVR_MALFORMED) {
			mr_message(r, "%s:%llu: %s", n->path, (unsigned long long)rec->line, rec->error);
			rc = -1;
			break;
		}
		if (rec->kind == CSVR_BLANK) {
			mr_message(r, "%s:%llu: blank line", n->path, (unsigned long long)rec->line);
			rc = -1;
			break;
		}
		if (!cols) {
			nc = rec->nfields;
			cols = xcalloc(nc, sizeof *cols);
			for (size_t i = 0; i < nc; i++) {
				cols[i].name = xasprintf("%.*s", (int)rec->fields[i].len, rec->fields[i].data);
				cols[i].can = ~0u;
				if (!rec->fields[i].len) {
					mr_message(r, "%s:1: column %zu has no name", n->path, i + 1);
					rc = -1;
				}
				for (size_t k = 0; k < i && !rc; k++)
					if (strcmp(cols[k].name, cols[i].name) == 0) {
						mr_message(r, "%s:1: column \"%s\" appears twice", n->path, cols[i].name);
						rc = -1;
					}
			}
			if (rc)
				break;
			continue;
		}
		if (rec->nfields != nc) {
			mr_message(r, "%s:%llu: %zu fields, the header has %zu", n->path, (unsigned long long)rec->line,
				   rec->nfields, nc);
			rc = -1;
			break;
		}
		for (size_t i = 0; i < nc; i++)
			observe(&cols[i], &rec->fields[i]);
	}
	if (!rc && csvr_error(rd)) {
		mr_message(r, "%s: %s", n->path, csvr_error(rd));
		rc = -1;
	}
	if (!rc && !cols) {
		mr_message(r, "%s: the file is empty; a seed needs a header row", n->path);
		rc = -1;
	}
	csvr_close(rd);
	close(fd);
	if (rc) {
		free_columns(cols, nc);
		return -1;
	}
	*out = cols;
	*ncols = nc;
	return 0;
}

/* PostgreSQL's COPY (checked on 15 over the protocol, not through psql,
 * which has a rule of its own) ends the data at a record that is exactly
 * the two bytes \. followed by the line end, even in CSV mode and even on
 * the header line, and silently drops the rest. Anything else that holds
 * \. is data: "\.x", " \.", a \. line inside a quoted multi-line field
 * (COPY only looks at the start of a record), a quoted "\.". Since every
 * record goes out as one line ended by LF, only a record whose raw bytes
 * are \. alone has to be sent quoted, as the same one-field value. */
static bool is_end_marker(const char *raw, size_t len)
{
	return len == 2 && raw[0] == '\\' && raw[1] == '.';
}

/* Second pass: the file's bytes into COPY. */
static int copy_file(PGconn *conn, const struct dbt_node *n, const char *tmprel, bool freeze, struct node_result *r)
{
	char *sql = xasprintf("copy %s from stdin with (format csv, header true%s)", tmprel,
			      freeze ? ", freeze true" : "");
	PGresult *res = PQexec(conn, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		mr_message(r, "COPY did not start: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	int fd = open(n->file, O_RDONLY);
	if (fd < 0) {
		mr_message(r, "%s: %s", n->path, strerror(errno));
		/* end the COPY; its (failed) results tell nothing new */
		if (PQputCopyEnd(conn, "cannot open the seed file") == 1)
			while ((res = PQgetResult(conn)))
				PQclear(res);
		return -1;
	}
	/* Each record as the reader found it, ended by one LF: a file may end
	 * its lines with LF, CRLF or CR, even mixed, which COPY would refuse.
	 * A record whose raw bytes were cut short (past 64 MiB) is written
	 * again from its fields. */
	struct csvr *rd = csvr_open(fd, n->path, ',');
	struct csvw *w = csvw_open_mem(',');
	const struct csv_record *rec;
	const char *fail = NULL;
	while (!fail && (rec = csvr_next(rd))) {
		/* A writer in memory fails only for want of it. */
		int wrote = rec->raw_cut ? csvw_record(w, rec->fields, rec->nfields)
			    : is_end_marker(rec->raw, rec->raw_len) ? csvw_raw(w, "\"\\.\"\n", 5)
			    : csvw_raw(w, rec->raw, rec->raw_len) || csvw_raw(w, "\n", 1);
		if (wrote != 0)
			die(EXIT_OPER, "out of memory");
		size_t n_out;
		const char *out = csvw_mem_data(w, &n_out);
		if (n_out >= 1 << 16) {
			if (PQputCopyData(conn, out, (int)n_out) != 1)
				fail = "sending data failed";
			csvw_mem_clear(w);
		}
	}
	size_t n_out;
	const char *out = csvw_mem_data(w, &n_out);
	if (!fail && n_out && PQputCopyData(conn, out, (int)n_out) != 1)
		fail = "sending data failed";
	if (!fail && csvr_error(rd))
		fail = "read error";
	csvw_close(w);
	csvr_close(rd);
	close(fd);
	if (PQputCopyEnd(conn, fail) != 1) {
		mr_message(r, "COPY failed: %s", PQerrorMessage(conn));
		return -1;
	}
	int rc = 0;
	while ((res = PQgetResult(conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			if (!rc) {
				/* Each record went with its own lines and one LF
				 * after them, so COPY counts the file's lines. */
				char *m = pgconn_error_line(conn, res), column[256];
				uint64_t line;
				if (pgconn_copy_position(res, &line, column, sizeof column))
					mr_message(r, "%s:%llu: %s%s%s%s", n->path, (unsigned long long)line,
						   *column ? "column " : "", column, *column ? ": " : "", m);
				else
					mr_message(r, "%s: %s", n->path, m);
				free(m);
			}
			rc = -1;
		} else {
			r->rows = atoll(PQcmdTuples(res));
			free(r->response);
			r->response = xstrdup(PQcmdStatus(res));
		}
		PQclear(res);
	}
	if (fail && !rc) {
		mr_message(r, "%s: %s", n->path, fail);
		rc = -1;
	}
	return rc;
}

int mr_seed(struct mr_ctx *ctx, PGconn *conn, size_t node, struct node_result *r)
{
	const struct dbt_node *n = &ctx->p->nodes[node];
	r->rows = -1;
	struct column *cols;
	size_t nc;
	if (infer(n, &cols, &nc, r))
		return -1;
	char tmp[64];
	mr_tmp_name(n->identifier, tmp);
	int rc = -1;
	char *sql = NULL, *qn = NULL, *tmprel = pgconn_quote_ident(conn, n->schema, tmp);
	if (!tmprel || !(qn = pgconn_quote_ident(conn, NULL, n->identifier))) {
		mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
		goto out;
	}
	sql = xasprintf("create table %s (", tmprel);
	for (size_t i = 0; i < nc; i++) {
		const char *type = type_of(&cols[i]);
		for (size_t k = 0; k < n->cfg.ncolumn_types; k++)
			if (strcmp(n->cfg.column_types[2 * k], cols[i].name) == 0)
				type = n->cfg.column_types[2 * k + 1];
		/* The type is the project's text (+column_types) or one of ours;
		 * PostgreSQL parses it as a type name, nothing more. */
		if (strchr(type, ';')) {
			mr_message(r, "column_types: \"%s\" is not a type name", type);
			goto out;
		}
		char *qc = pgconn_quote_ident(conn, NULL, cols[i].name);
		if (!qc) {
			mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
			goto out;
		}
		char *longer = xasprintf("%s%s%s %s", sql, i ? ", " : "", qc, type);
		free(qc);
		free(sql);
		sql = longer;
	}
	char *whole = xasprintf("%s)", sql);
	free(sql);
	sql = whole;
	int old_kind = mr_relkind(conn, r, n->schema, n->identifier);
	if (old_kind < 0)
		goto out;
	if (mr_hooks(ctx, conn, node, false, false, false, r))
		goto out;
	PGresult *res = mr_exec(conn, r, "BEGIN", "begin", 0, NULL);
	if (!res)
		goto out;
	PQclear(res);
	if (mr_hooks(ctx, conn, node, false, true, false, r))
		goto rollback;
	if (!(res = mr_exec(conn, r, "creating the seed table", sql, 0, NULL)))
		goto rollback;
	PQclear(res);
	/* Citus: a reference or distributed table before it fills, and COPY
	 * routes the rows (FREEZE is for a local table only) */
	if (mr_distribute(ctx, conn, n, tmprel, r))
		goto rollback;
	if (copy_file(conn, n, tmprel, !mr_distributes(ctx, n), r))
		goto rollback;
	free(sql);
	sql = xasprintf("analyze %s", tmprel);
	if (!(res = mr_exec(conn, r, "analyzing the seed table", sql, 0, NULL)))
		goto rollback;
	PQclear(res);
	if (old_kind) {
		if (mr_swap(conn, n->schema, n->identifier, tmp, (char)old_kind, 'r', r))
			goto rollback;
	} else {
		free(sql);
		sql = xasprintf("alter table %s rename to %s", tmprel, qn);
		if (!(res = mr_exec(conn, r, "renaming the seed table into place", sql, 0, NULL)))
			goto rollback;
		PQclear(res);
	}
	/* as dbt: grants and persist_docs before the post-hooks */
	if (n->cfg.ngrants || n->cfg.persist_relation || n->cfg.persist_columns) {
		char *rel = pgconn_quote_ident(conn, n->schema, n->identifier);
		if (!rel) {
			mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
			goto rollback;
		}
		int bad = mr_grants(conn, r, n, rel) || mr_persist_docs(conn, r, n, rel, 'r');
		free(rel);
		if (bad)
			goto rollback;
	}
	if (mr_hooks(ctx, conn, node, true, true, false, r))
		goto rollback;
	char *keep = r->response ? xstrdup(r->response) : NULL;
	res = mr_exec(conn, r, "COMMIT", "commit", 0, NULL);
	free(r->response);
	r->response = keep;
	if (!res)
		goto rollback;
	PQclear(res);
	rc = mr_hooks(ctx, conn, node, true, false, false, r);
	goto out;
rollback:
	mr_rollback(conn);
out:
	free(qn);
	free(sql);
	free(tmprel);
	free_columns(cols, nc);
	return rc;
}
