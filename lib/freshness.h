/* SPDX-License-Identifier: MIT
 * Source freshness, shared by dqcheck (freshness as a test) and modelrun
 * (the docs site): a source table's freshness block read as dbt reads it,
 * the query that measures the age of its newest row, and the verdict.
 *
 * The block is the table's own merged key by key over its source's (a
 * key the table writes wins, null included); `freshness: null` on the
 * table turns its source's off. Blocks sit at the top level of an entry
 * or under its config:, as dbt 1.10 writes them. warn_after and
 * error_after take {count, period} with period minute, hour or day; count
 * and period each come from the table's block when it has them, else from
 * the source's. */
#ifndef ELT_FRESHNESS_H
#define ELT_FRESHNESS_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "dbtproject.h"

struct fresh_rule {
	bool set;            /* warn_after or error_after is given */
	double warn_after;   /* seconds; 0: not set */
	double error_after;
	const char *filter;  /* SQL condition as written (points into the yml), or NULL */
	size_t line;         /* where the block that applies starts */
	bool no_field;       /* the rule is set but there is no loaded_at_field */
};

/* Reads the freshness rule of source table s into r (r->set false when it
 * has none). Returns 0, or -1 with "file:line: key: problem" in err. A
 * rule without a loaded_at_field is an error too (r->no_field then set:
 * dbt source freshness reports it as that source's runtime error). */
int fresh_rule_of(const struct dbt_source *s, struct fresh_rule *r, char *err, size_t errlen);

/* The query measuring s's freshness, in three columns: max_loaded_at,
 * snapshotted_at and age_seconds (NULL for an empty table). field is the
 * loaded_at_field as SQL (an identifier already quoted, or an expression,
 * as dbt uses it), relation the quoted relation. Run it with the session
 * time zone UTC: dbt takes a timestamp without time zone to be UTC.
 * Malloc'd. */
char *fresh_sql(const char *field, const char *relation, const char *filter);

enum fresh_status { FRESH_PASS, FRESH_WARN, FRESH_ERROR };

/* The verdict for a table whose newest row is age seconds old (has_rows
 * false: the table is empty, which is an error under error_after and a
 * warning otherwise), with what it means in *message ("last loaded 3.0
 * hours ago (warn after 12.0 hours, error after 2.0 days)"), malloc'd. */
enum fresh_status fresh_judge(const struct fresh_rule *r, bool has_rows, double age, char **message);

/* What measuring a source table found. Timestamps are written as dbt
 * writes them in sources.json ("2026-12-03T10:20:13.275003+00:00"); an
 * empty table has dbt's stand-in "0001-01-01T00:00:00+00:00" and the age
 * since then. */
struct fresh_result {
	bool measured;          /* false: error says why */
	bool has_rows;
	enum fresh_status status;
	char *message;          /* fresh_judge's words */
	char *max_loaded_at;
	char *snapshotted_at;
	double age;             /* seconds */
	char *error;            /* the server's message when not measured */
};

/* Measures source table s under rule r (r->set) on conn, in the session
 * time zone UTC (put back afterwards). The loaded_at_field is quoted when
 * it is a plain name (folded as PostgreSQL folds an unquoted one) and
 * used as written otherwise (an expression). Returns 0, or -1 with
 * out->error; out is to be freed with fresh_result_free() either way. */
int fresh_measure(PGconn *conn, const struct dbt_source *s, const struct fresh_rule *r, struct fresh_result *out);
void fresh_result_free(struct fresh_result *f);

#endif
