/* SPDX-License-Identifier: MIT
 * --select and --exclude over the collected tests (dq_select, see
 * dqcheck.h). dbt's node syntax goes through lib/select and picks the
 * tests that read a chosen node; test names, test_type:, tag: and source:
 * pick tests themselves. Words separated by spaces add up; the parts of a
 * word joined by commas must all hold. */
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dqcheck.h"
#include "select.h"
#include "xalloc.h"

/* ---- selection ---- */

/* Whether one term (a part of a word, no commas) picks the test by
 * itself: its name, its type, a tag in its config or the source it reads. */
static bool term_picks(const char *term, const struct dbt_project *p, const struct dq_test *t)
{
	if (!strncmp(term, "test_type:", 10)) {
		const char *v = term + 10;
		return (!strcmp(v, "singular") && t->kind == DQ_SINGULAR) ||
		       (!strcmp(v, "generic") && t->kind != DQ_SINGULAR && t->kind != DQ_FRESHNESS) /* DQ_MACRO is */ ||
		       (!strcmp(v, "freshness") && t->kind == DQ_FRESHNESS);
	}
	/* lib/select knows the nodes that are built; tests are dqcheck's */
	if (!strcmp(term, "resource_type:test"))
		return true;
	if (!strncmp(term, "tag:", 4)) {
		for (size_t i = 0; i < t->ntags; i++)
			if (fnmatch(term + 4, t->tags[i], 0) == 0)
				return true;
		return false;
	}
	if (!strncmp(term, "source:", 7) || !strncmp(term, "+source:", 8)) {
		char v[512];
		snprintf(v, sizeof v, "%s", strchr(term, ':') + 1);
		size_t n = strlen(v);
		if (n && v[n - 1] == '+')
			v[n - 1] = '\0';
		for (size_t i = 0; i < t->nsources; i++) {
			const struct dbt_source *s = &p->sources[t->sources[i]];
			char full[512];
			snprintf(full, sizeof full, "%s.%s", s->source_name, s->table_name);
			if (fnmatch(v, s->source_name, 0) == 0 || fnmatch(v, full, 0) == 0)
				return true;
		}
		return false;
	}
	/* a long name: dbt selects it by its full name; the shortened
	 * one, which dqcheck reports, is accepted too */
	return !strchr(term, ':') &&
	       (fnmatch(term, t->name, 0) == 0 || (t->full_name && fnmatch(term, t->full_name, 0) == 0));
}

/* Picks tests for one side (--select or --exclude). Words separated by
 * spaces add up; the parts of a word joined by commas must all hold. A
 * part holds for a test when it selects, through the shared syntax, a
 * node the test reads, or picks the test itself (term_picks). */
static int pick(const struct dbt_project *p, struct dq_suite *s, const char *const *args, size_t nargs, bool *out,
		char *err, size_t errlen)
{
	bool *nodes = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *nodes);
	bool *word = xcalloc(s->ntests ? s->ntests : 1, sizeof *word);
	int rc = 0;
	for (size_t i = 0; i < nargs && rc == 0; i++) {
		char *copy = xstrdup(args[i]), *save = NULL;
		for (char *tok = strtok_r(copy, " \t", &save); tok && rc == 0; tok = strtok_r(NULL, " \t", &save)) {
			for (size_t j = 0; j < s->ntests; j++)
				word[j] = true;
			char *psave = NULL;
			for (char *part = strtok_r(tok, ",", &psave); part; part = strtok_r(NULL, ",", &psave)) {
				memset(nodes, 0, (p->nnodes ? p->nnodes : 1) * sizeof *nodes);
				/* test_type is not a node method: keep it from lib/select */
				const char *one[1] = { part };
				if (strncmp(part, "test_type:", 10) != 0 &&
				    (rc = dbt_select(p, one, 1, NULL, 0, nodes, err, errlen)))
					break;
				for (size_t j = 0; j < s->ntests; j++) {
					const struct dq_test *t = &s->tests[j];
					bool m = term_picks(part, p, t);
					for (size_t k = 0; k < t->nnodes && !m; k++)
						m = nodes[t->nodes[k]];
					word[j] = word[j] && m;
				}
			}
			for (size_t j = 0; j < s->ntests && rc == 0; j++)
				out[j] = out[j] || word[j];
		}
		free(copy);
	}
	free(nodes);
	free(word);
	return rc ? -1 : 0;
}

int dq_select(const struct dbt_project *p, struct dq_suite *s, const char *const *sel, size_t nsel,
	      const char *const *exc, size_t nexc, char *err, size_t errlen)
{
	bool *in = xcalloc(s->ntests ? s->ntests : 1, sizeof *in), *out = xcalloc(s->ntests ? s->ntests : 1, 1);
	int rc = -1;
	if (nsel) {
		if (pick(p, s, sel, nsel, in, err, errlen))
			goto done;
	} else {
		for (size_t i = 0; i < s->ntests; i++)
			in[i] = true;
	}
	if (nexc && pick(p, s, exc, nexc, out, err, errlen))
		goto done;
	for (size_t i = 0; i < s->ntests; i++)
		s->tests[i].selected = in[i] && !out[i];
	rc = 0;
done:
	free(in);
	free(out);
	return rc;
}
