/* SPDX-License-Identifier: MIT
 * Seeds: a CSV file under the seed paths becomes a table, with the
 * columns and values dbt-postgres would give it.
 *
 * One pass over the file with the shared CSV reader infers each column's
 * type as dbt does (lib/seedcell.c: integer, float8, date, timestamp,
 * boolean, else text; +column_types overrides, and such a column's values
 * go in as written). A second pass writes each record to COPY ... (FORMAT
 * csv, HEADER), each value as dbt would insert it: "null" and blanks are
 * NULL, "$1,234" is 1234, a date or time is written out in full. The new
 * table is created, filled and swapped in inside one transaction, so
 * readers see the old content or the new, never a mix. dbt inserts seeds
 * with batched INSERTs; COPY loads a million rows in a couple of seconds. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvio.h"
#include "exitcode.h"
#include "log.h"
#include "modelrun.h"
#include "pgconn.h"
#include "seedcell.h"
#include "xalloc.h"

/* A column of the seed, as the first pass finds it. */
struct column {
	char *name;
	const char *forced;   /* its +column_types type: read as text */
	unsigned can;         /* SEED_* every value so far can be read as */
	bool any;             /* a value that is not null was seen */
	bool aware;           /* an ISO 8601 value with an offset */
	bool nonfinite;       /* NaN or Infinity */
	bool past_float;      /* a number that float8 cannot hold (1e400) */
	int int_range;        /* whole numbers so far fit 0 integer, 1 bigint, 2 neither */
	struct seed_precision prec;
};

/* Where whole number v fits: 0 integer, 1 bigint, 2 neither. */
static int int_range(const struct seed_number *v)
{
	size_t nd = strlen(v->digits);
	if (v->kind != SEED_FINITE || v->exp < 0 || (long)nd + v->exp > 19)
		return 2;
	uint64_t x = 0; /* 19 digits fit */
	for (size_t i = 0; i < nd; i++)
		x = x * 10 + (uint64_t)(v->digits[i] - '0');
	for (long i = 0; i < v->exp; i++)
		x *= 10;
	uint64_t top = v->neg ? 1 : 0; /* one more below zero */
	if (x <= 2147483647u + top)
		return 0;
	return x <= 9223372036854775807u + top ? 1 : 2;
}

/* Whether float8 holds v: PostgreSQL refuses what overflows, or
 * underflows to zero. */
static bool fits_float8(const struct seed_number *v)
{
	char text[48];
	if (v->kind != SEED_FINITE || !v->digits[0] || !seed_number_text(v, false, text, sizeof text))
		return true;
	errno = 0;
	double x = strtod(text, NULL);
	return errno != ERANGE || (x != 0 && x != HUGE_VAL && x != -HUGE_VAL);
}

static void observe(struct column *c, const struct csv_field *f)
{
	if (c->forced)
		return;
	struct seed_cell v;
	seed_cell_read(f->data, f->len, c->can, &v);
	if (v.null)
		return;
	c->any = true;
	c->can &= v.can;
	if (v.can & SEED_NUMBER) {
		seed_precision_add(&c->prec, &v.num);
		c->nonfinite |= v.num.kind != SEED_FINITE;
		c->past_float |= !fits_float8(&v.num);
		int range = int_range(&v.num);
		if (range > c->int_range)
			c->int_range = range;
	}
	if (v.can & SEED_ISODATETIME)
		c->aware |= v.iso.aware;
}

/* The type dbt gives the column, which column_value() writes to. Where
 * dbt would fail (an integer column with a value past its range, NaN in
 * an integer column), the column is what takes the values. */
static const char *type_of(const struct column *c)
{
	if (c->forced)
		return c->forced;
	if (!c->any) /* dbt's Integer takes a column of nulls, or no rows */
		return "integer";
	if (c->can & SEED_NUMBER) {
		/* dbt would fail on 1e400 in float8: numeric takes it */
		if (c->past_float)
			return "numeric";
		if (c->nonfinite || seed_precision(&c->prec) != 0)
			return "double precision";
		return c->int_range == 0 ? "integer" : c->int_range == 1 ? "bigint" : "numeric";
	}
	if (c->can & SEED_DATE)
		return "date";
	if (c->can & (SEED_DATETIME | SEED_ISODATETIME))
		return "timestamp without time zone";
	if (c->can & SEED_BOOL)
		return "boolean";
	return "text";
}

/* The value of f that goes into COPY for column c, in buf when it is
 * rewritten; NULL for a null. */
static const char *column_value(const struct column *c, const struct csv_field *f, char *buf, size_t len)
{
	if (c->forced || !(c->any && c->can)) {
		/* text: as written, but dbt's nulls are null */
		return seed_is_null(f->data, f->len) ? NULL : f->data;
	}
	/* the one type the column has: the first it can be */
	unsigned type = c->can & -c->can;
	bool whole = !c->past_float && !c->nonfinite && seed_precision(&c->prec) == 0 && c->int_range < 2;
	if (seed_plain(f->data, f->len, type, whole))
		return f->data;
	struct seed_cell v;
	seed_cell_read(f->data, f->len, type, &v);
	if (v.null || (type == SEED_BOOL && v.bool_null))
		return NULL;
	if (c->can & SEED_NUMBER) {
		seed_number_text(&v.num, whole, buf, len);
	} else if (c->can & SEED_DATE) {
		seed_date_text(&v.date, buf, len);
	} else if (c->can & SEED_DATETIME) {
		seed_time_text(&v.datetime, buf, len);
	} else if (c->can & SEED_ISODATETIME) {
		seed_time_text(&v.iso, buf, len);
	} else {
		return v.boolean ? "true" : "false";
	}
	return buf;
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
				for (size_t k = 0; k < n->cfg.ncolumn_types; k++)
					if (strcmp(n->cfg.column_types[2 * k], cols[i].name) == 0)
						cols[i].forced = n->cfg.column_types[2 * k + 1];
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

/* Second pass: the file's records into COPY, each value as dbt would
 * insert it. */
static int copy_file(PGconn *conn, const struct dbt_node *n, const struct column *cols, size_t nc,
		     const char *tmprel, bool freeze, struct node_result *r)
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
	/* Each record goes out as one line ended by LF, whatever ended the
	 * file's lines (LF, CRLF or CR, even mixed, which COPY would refuse);
	 * the header as it is. */
	struct csvr *rd = csvr_open(fd, n->path, ',');
	struct csvw *w = csvw_open_mem(',');
	struct csv_field *out_fields = xcalloc(nc, sizeof *out_fields);
	char (*bufs)[64] = xcalloc(nc, sizeof *bufs);
	const struct csv_record *rec;
	const char *fail = NULL;
	bool header = true;
	while (!fail && (rec = csvr_next(rd))) {
		for (size_t i = 0; i < nc && i < rec->nfields; i++) {
			const char *v = header ? rec->fields[i].data : column_value(&cols[i], &rec->fields[i], bufs[i],
										       sizeof bufs[i]);
			out_fields[i] = (struct csv_field){ .data = v ? v : "", .len = v ? strlen(v) : 0, .null = !v };
			if (v == rec->fields[i].data)
				out_fields[i].len = rec->fields[i].len; /* it may hold a NUL */
		}
		header = false;
		/* a record whose every value goes as it is goes as its bytes */
		bool as_is = !rec->raw_cut;
		for (size_t i = 0; i < nc && as_is; i++)
			as_is = out_fields[i].null ? rec->fields[i].null : out_fields[i].data == rec->fields[i].data;
		/* A writer in memory fails only for want of it. */
		int wrote = nc == 1 && is_end_marker(out_fields[0].data, out_fields[0].len) && !out_fields[0].null ?
				    csvw_raw(w, "\"\\.\"\n", 5) :
			    as_is ? csvw_raw(w, rec->raw, rec->raw_len) || csvw_raw(w, "\n", 1) :
				    csvw_record(w, out_fields, nc);
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
	free(out_fields);
	free(bufs);
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

/* The columns that loaded as timestamptz (times with offsets) become
 * timestamps in the session's time zone, as dbt's inserts of such times
 * into a timestamp column make them. */
static int to_local_time(PGconn *conn, const struct column *cols, size_t nc, const char *tmprel,
			 struct node_result *r)
{
	for (size_t i = 0; i < nc; i++) {
		if (!cols[i].aware || strcmp(type_of(&cols[i]), "timestamp without time zone") != 0)
			continue;
		char *qc = pgconn_quote_ident(conn, NULL, cols[i].name);
		if (!qc) {
			mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
			return -1;
		}
		char *sql = xasprintf("alter table %s alter column %s type timestamp without time zone", tmprel, qc);
		PGresult *res = mr_exec(conn, r, "converting times with offsets to timestamps", sql, 0, NULL);
		free(sql);
		free(qc);
		if (!res)
			return -1;
		PQclear(res);
	}
	return 0;
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
		/* a column of times with offsets loads as timestamptz and
		 * becomes a timestamp after COPY, in the session's time zone,
		 * as dbt's inserts convert them */
		const char *type = cols[i].aware && !strcmp(type_of(&cols[i]), "timestamp without time zone") ?
					   "timestamp with time zone" : type_of(&cols[i]);
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
	if (copy_file(conn, n, cols, nc, tmprel, !mr_distributes(ctx, n), r) || to_local_time(conn, cols, nc, tmprel, r))
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
