/* SPDX-License-Identifier: MIT
 * Source freshness as tests: a source table whose freshness block (its
 * own, merged key by key over its source's, as dbt merges them) sets
 * warn_after or error_after becomes a DQ_FRESHNESS test on its
 * loaded_at_field, named source_freshness_<source>_<table>. `freshness:
 * null` on a table turns its source's off. See collect.h. */
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "dqcheck.h"
#include "ydoc.h"
#include "xalloc.h"

/* ---- freshness ---- */

/* A warn_after or error_after threshold, in seconds (0 when not set). v is
 * the table's, base the source's: count and period each come from v when
 * it has them, as dbt merges them. */
static int period_seconds(struct ctx *c, struct ydoc *d, const char *key, yaml_node_t *v, yaml_node_t *base,
			  double *out)
{
	*out = 0;
	if (!v || ydoc_is_null(v))
		return 0;
	if (!ydoc_is_map(v))
		return dq_fail(c, d->path, ydoc_line(v), key, "needs count and period (minute, hour or day)");
	yaml_node_t *cnt = ydoc_get(d, v, "count"), *per = ydoc_get(d, v, "period");
	if (!cnt)
		cnt = ydoc_get(d, base, "count");
	if (!per)
		per = ydoc_get(d, base, "period");
	const char *cs = ydoc_str(cnt), *ps = ydoc_str(per);
	if (!cs || !ps)
		return dq_fail(c, d->path, ydoc_line(v), key, "needs count and period (minute, hour or day)");
	if (!dq_is_number(cs) || strtod(cs, NULL) < 0)
		return dq_fail(c, d->path, ydoc_line(cnt), "count", "'%s' is not a number of periods", cs);
	double unit = !strcmp(ps, "minute") ? 60 : !strcmp(ps, "hour") ? 3600 : !strcmp(ps, "day") ? 86400 : 0;
	if (!unit)
		return dq_fail(c, d->path, ydoc_line(per), "period", "'%s' is not minute, hour or day", ps);
	*out = strtod(cs, NULL) * unit;
	return 0;
}

/* An entry's freshness block, at the top level or under config:. */
static yaml_node_t *freshness_of(struct ydoc *d, yaml_node_t *entry)
{
	yaml_node_t *f = ydoc_get(d, entry, "freshness");
	return f ? f : ydoc_get(d, ydoc_get(d, entry, "config"), "freshness");
}

/* The freshness blocks of a source table (*table) and of its source
 * (*source), either NULL when not written. */
static void find_freshness(struct ydoc *d, const struct dbt_source *s, yaml_node_t **table, yaml_node_t **source)
{
	*table = freshness_of(d, s->node);
	*source = NULL;
	yaml_node_t *srcs = ydoc_get(d, ydoc_root(d), "sources");
	for (size_t i = 0; i < ydoc_len(srcs); i++) {
		yaml_node_t *e = ydoc_item(d, srcs, i);
		const char *n = ydoc_str(ydoc_get(d, e, "name"));
		if (n && !strcmp(n, s->source_name)) {
			*source = freshness_of(d, e);
			return;
		}
	}
}

/* One key of the merged freshness: the table's when it writes the key
 * (null included, which turns it off), else the source's. */
static yaml_node_t *merged(struct ydoc *d, yaml_node_t *table, yaml_node_t *source, const char *key)
{
	for (size_t i = 0; i < ydoc_len(table); i++) {
		const char *k = ydoc_str(ydoc_key(d, table, i));
		if (k && !strcmp(k, key))
			return ydoc_value(d, table, i);
	}
	return ydoc_get(d, source, key);
}

int dq_freshness_tests(struct ctx *c)
{
	for (size_t i = 0; i < c->p->nsources; i++) {
		const struct dbt_source *s = &c->p->sources[i];
		struct ydoc *d = s->doc;
		yaml_node_t *tf, *sf;
		find_freshness(d, s, &tf, &sf);
		/* freshness: null on the table turns its source's off */
		if (tf && ydoc_is_null(tf))
			continue;
		if (sf && ydoc_is_null(sf))
			sf = NULL;
		yaml_node_t *f = tf ? tf : sf;
		if (!f)
			continue;
		if (!ydoc_is_map(f) || (sf && !ydoc_is_map(sf)))
			return dq_fail(c, d->path, ydoc_line(ydoc_is_map(f) ? sf : f), "freshness",
				       "must be a mapping");
		struct dq_test x = { .kind = DQ_FRESHNESS, .limit = -1, .store_failures = 0, .line = ydoc_line(f) };
		if (period_seconds(c, d, "warn_after", merged(d, tf, sf, "warn_after"), ydoc_get(d, sf, "warn_after"),
				   &x.warn_after) ||
		    period_seconds(c, d, "error_after", merged(d, tf, sf, "error_after"),
				   ydoc_get(d, sf, "error_after"), &x.error_after))
			return -1;
		if (!x.warn_after && !x.error_after)
			continue;
		if (!s->loaded_at_field)
			return dq_fail(c, d->path, ydoc_line(f), "loaded_at_field",
				       "freshness of %s.%s needs a loaded_at_field", s->source_name, s->table_name);
		const char *filter = ydoc_str(merged(d, tf, sf, "filter"));
		x.filter = filter && filter[0] ? xstrdup(filter) : NULL;
		x.file = xstrdup(d->path);
		x.test_type = xstrdup("freshness");
		x.relation = xstrdup(s->relation);
		x.on = xasprintf("source %s.%s", s->source_name, s->table_name);
		x.column = dq_make_col(s->loaded_at_field, true);
		DQ_PUSH(x.sources, x.nsources, i);
		char *raw = xasprintf("source_freshness_%s_%s", s->source_name, s->table_name);
		dq_set_unique_name(c, &x, dq_sanitize(raw));
		free(raw);
		DQ_PUSH(c->s->tests, c->s->ntests, x);
	}
	return 0;
}
