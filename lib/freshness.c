/* SPDX-License-Identifier: MIT
 * Source freshness; see freshness.h. */
#include "freshness.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgconn.h"
#include "xalloc.h"
#include "ydoc.h"

static int fail(char *err, size_t errlen, const char *file, size_t line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static int fail(char *err, size_t errlen, const char *file, size_t line, const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%zu: %s: %s", file, line, key, msg);
	return -1;
}

/* A decimal number as SQL reads one: digits with at most one point. */
static bool is_number(const char *s)
{
	const char *p = s + (*s == '+' || *s == '-');
	size_t digits = strspn(p, "0123456789");
	p += digits;
	if (*p == '.') {
		size_t frac = strspn(p + 1, "0123456789");
		digits += frac;
		p += 1 + frac;
	}
	return digits && !*p;
}

/* A warn_after or error_after threshold, in seconds (0 when not set). v is
 * the merged value, base the source's: count and period each come from v
 * when it has them. */
static int period_seconds(struct ydoc *d, const char *key, yaml_node_t *v, yaml_node_t *base, double *out,
			  char *err, size_t errlen)
{
	*out = 0;
	if (!v || ydoc_is_null(v))
		return 0;
	if (!ydoc_is_map(v))
		return fail(err, errlen, d->path, ydoc_line(v), key, "needs count and period (minute, hour or day)");
	yaml_node_t *cnt = ydoc_get(d, v, "count"), *per = ydoc_get(d, v, "period");
	if (!cnt)
		cnt = ydoc_get(d, base, "count");
	if (!per)
		per = ydoc_get(d, base, "period");
	const char *cs = ydoc_str(cnt), *ps = ydoc_str(per);
	if (!cs || !ps)
		return fail(err, errlen, d->path, ydoc_line(v), key, "needs count and period (minute, hour or day)");
	if (!is_number(cs) || strtod(cs, NULL) < 0)
		return fail(err, errlen, d->path, ydoc_line(cnt), "count", "'%s' is not a number of periods", cs);
	double unit = !strcmp(ps, "minute") ? 60 : !strcmp(ps, "hour") ? 3600 : !strcmp(ps, "day") ? 86400 : 0;
	if (!unit)
		return fail(err, errlen, d->path, ydoc_line(per), "period", "'%s' is not minute, hour or day", ps);
	*out = strtod(cs, NULL) * unit;
	return 0;
}

/* An entry's freshness block, at the top level or under config:. */
static yaml_node_t *block_of(struct ydoc *d, yaml_node_t *entry)
{
	yaml_node_t *f = ydoc_get(d, entry, "freshness");
	return f ? f : ydoc_get(d, ydoc_get(d, entry, "config"), "freshness");
}

/* The source's entry of table s in its schema file, or NULL. */
static yaml_node_t *source_entry(struct ydoc *d, const struct dbt_source *s)
{
	yaml_node_t *srcs = ydoc_get(d, ydoc_root(d), "sources");
	for (size_t i = 0; i < ydoc_len(srcs); i++) {
		yaml_node_t *e = ydoc_item(d, srcs, i);
		const char *n = ydoc_str(ydoc_get(d, e, "name"));
		if (n && !strcmp(n, s->source_name))
			return e;
	}
	return NULL;
}

/* One key of the merged block: the table's when it writes the key (null
 * included), else the source's. */
static yaml_node_t *merged(struct ydoc *d, yaml_node_t *table, yaml_node_t *source, const char *key)
{
	for (size_t i = 0; i < ydoc_len(table); i++) {
		const char *k = ydoc_str(ydoc_key(d, table, i));
		if (k && !strcmp(k, key))
			return ydoc_value(d, table, i);
	}
	return ydoc_get(d, source, key);
}

int fresh_rule_of(const struct dbt_source *s, struct fresh_rule *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	struct ydoc *d = s->doc;
	yaml_node_t *tf = block_of(d, s->node), *entry = source_entry(d, s);
	yaml_node_t *sf = entry ? block_of(d, entry) : NULL;
	if (tf && ydoc_is_null(tf))
		return 0;
	if (sf && ydoc_is_null(sf))
		sf = NULL;
	yaml_node_t *f = tf ? tf : sf;
	if (!f)
		return 0;
	if (!ydoc_is_map(f) || (sf && !ydoc_is_map(sf)))
		return fail(err, errlen, d->path, ydoc_line(ydoc_is_map(f) ? sf : f), "freshness", "must be a mapping");
	r->line = ydoc_line(f);
	if (period_seconds(d, "warn_after", merged(d, tf, sf, "warn_after"), ydoc_get(d, sf, "warn_after"),
			   &r->warn_after, err, errlen) ||
	    period_seconds(d, "error_after", merged(d, tf, sf, "error_after"), ydoc_get(d, sf, "error_after"),
			   &r->error_after, err, errlen))
		return -1;
	if (!r->warn_after && !r->error_after)
		return 0;
	r->no_field = !s->loaded_at_field;
	if (r->no_field)
		return fail(err, errlen, d->path, ydoc_line(f), "loaded_at_field",
			    "freshness of %s.%s needs a loaded_at_field", s->source_name, s->table_name);
	/* filter: null (on the table, over the source's) means no filter,
	 * not the SQL condition "null", which would leave no rows */
	yaml_node_t *fn = merged(d, tf, sf, "filter");
	const char *filter = fn && !ydoc_is_null(fn) ? ydoc_str(fn) : NULL;
	r->filter = filter && filter[0] ? filter : NULL;
	r->set = true;
	return 0;
}

char *fresh_sql(const char *field, const char *relation, const char *filter)
{
	return xasprintf("select max(%s) as max_loaded_at, now() as snapshotted_at, "
			 "extract(epoch from now() - max(%s)::timestamptz)::float8 as age_seconds from %s%s%s",
			 field, field, relation, filter ? " where " : "", filter ? filter : "");
}

static void duration(char *buf, size_t len, double secs)
{
	if (secs >= 2 * 86400)
		snprintf(buf, len, "%.1f days", secs / 86400);
	else if (secs >= 2 * 3600)
		snprintf(buf, len, "%.1f hours", secs / 3600);
	else
		snprintf(buf, len, "%.1f minutes", secs / 60);
}

enum fresh_status fresh_judge(const struct fresh_rule *r, bool has_rows, double age, char **message)
{
	char limits[128] = "", w[48], e[48], a[48];
	duration(w, sizeof w, r->warn_after);
	duration(e, sizeof e, r->error_after);
	duration(a, sizeof a, age);
	if (r->warn_after)
		snprintf(limits, sizeof limits, "warn after %s", w);
	if (r->error_after)
		snprintf(limits + strlen(limits), sizeof limits - strlen(limits), "%serror after %s",
			 r->warn_after ? ", " : "", e);
	if (!has_rows) {
		*message = xasprintf("no rows, so no last load time (%s)", limits);
		return r->error_after ? FRESH_ERROR : FRESH_WARN;
	}
	*message = xasprintf("last loaded %s ago (%s)", a, limits);
	if (r->error_after && age > r->error_after)
		return FRESH_ERROR;
	return r->warn_after && age > r->warn_after ? FRESH_WARN : FRESH_PASS;
}

/* A name PostgreSQL would read unquoted (as opposed to an expression). */
static bool plain_ident(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '$')
			return false;
	return true;
}

/* A to_char() timestamp as Python's isoformat() writes it: no fraction
 * when it is zero. Malloc'd. */
static char *iso_time(const char *s)
{
	char *t = xstrdup(s);
	char *z = strstr(t, ".000000+");
	if (z)
		memmove(z, z + 7, strlen(z + 7) + 1);
	return t;
}

int fresh_measure(PGconn *conn, const struct dbt_source *s, const struct fresh_rule *r, struct fresh_result *out)
{
	memset(out, 0, sizeof *out);
	char *field;
	if (plain_ident(s->loaded_at_field)) { /* folded, as PostgreSQL reads it unquoted */
		char *lower = xstrdup(s->loaded_at_field);
		for (char *q = lower; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		field = pgconn_quote_ident(conn, NULL, lower);
		free(lower);
	} else {
		field = xstrdup(s->loaded_at_field);
	}
	if (!field) {
		out->error = xstrdup(PQerrorMessage(conn));
		return -1;
	}
	char *inner = fresh_sql(field, s->relation, r->filter);
	free(field);
	/* an empty table reads as dbt has it: loaded at the year 1 */
	char *sql = xasprintf("select to_char(coalesce(max_loaded_at::timestamptz, '0001-01-01 00:00:00+00'), "
			      "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'), "
			      "to_char(snapshotted_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'), "
			      "coalesce(age_seconds, extract(epoch from snapshotted_at - '0001-01-01 00:00:00+00')::float8), "
			      "max_loaded_at is not null from (%s) f", inner);
	free(inner);
	PQclear(PQexec(conn, "set timezone = 'UTC'"));
	PGresult *res = PQexec(conn, sql);
	free(sql);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		out->error = pgconn_error_line(conn, res);
		rc = -1;
	} else {
		out->measured = true;
		out->has_rows = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
		out->max_loaded_at = iso_time(PQgetvalue(res, 0, 0));
		out->snapshotted_at = iso_time(PQgetvalue(res, 0, 1));
		out->age = strtod(PQgetvalue(res, 0, 2), NULL);
		out->status = fresh_judge(r, out->has_rows, out->age, &out->message);
	}
	PQclear(res);
	PQclear(PQexec(conn, "reset timezone"));
	return rc;
}

void fresh_result_free(struct fresh_result *f)
{
	free(f->message);
	free(f->max_loaded_at);
	free(f->snapshotted_at);
	free(f->error);
	memset(f, 0, sizeof *f);
}
