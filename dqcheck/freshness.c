/* SPDX-License-Identifier: MIT
 * Source freshness as tests: a source table whose freshness rule (read by
 * lib/freshness, as dbt merges a table's block over its source's) sets
 * warn_after or error_after becomes a DQ_FRESHNESS test on its
 * loaded_at_field, named source_freshness_<source>_<table>. See collect.h. */
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "dqcheck.h"
#include "freshness.h"
#include "xalloc.h"

int dq_freshness_tests(struct ctx *c)
{
	for (size_t i = 0; i < c->p->nsources; i++) {
		const struct dbt_source *s = &c->p->sources[i];
		struct fresh_rule rule;
		if (fresh_rule_of(s, &rule, c->err, c->errlen))
			return -1;
		if (!rule.set)
			continue;
		struct dq_test x = { .kind = DQ_FRESHNESS, .limit = -1, .store_failures = 0, .line = rule.line };
		x.warn_after = rule.warn_after;
		x.error_after = rule.error_after;
		x.filter = rule.filter ? xstrdup(rule.filter) : NULL;
		x.file = xstrdup(s->doc->path);
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
