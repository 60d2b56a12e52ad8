/* SPDX-License-Identifier: MIT
 * Reporting test results: one line per test on stderr with up to 5 sample
 * failing rows, and the --junit (JUnit XML, one testcase per test, for CI
 * dashboards) and --json files. Only selected tests appear.
 *
 * The samples come from the database in UTF-8 (dqcheck sets the client
 * encoding), so escaping here is about markup and control characters, not
 * about encodings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dqcheck.h"
#include "json.h"
#include "log.h"

/* What the test found, in words. The caller frees it. */
static char *failures_text(const struct dq_test *t)
{
	if (t->status == DQ_ERROR)
		return xstrdup(t->message ? t->message : "error");
	if (t->kind == DQ_FRESHNESS)
		return xstrdup(t->message);
	return xasprintf("%lld failing row%s", t->failures, t->failures == 1 ? "" : "s");
}

/* The length in bytes of s's first max characters (UTF-8), so that a value
 * cut short never ends in half a character. */
static int utf8_prefix(const char *s, size_t max)
{
	size_t n = 0, chars = 0;
	for (; s[n]; n++)
		if (((unsigned char)s[n] & 0xC0) != 0x80 && chars++ == max)
			break;
	return (int)n;
}

/* A sample value on the terminal: control bytes (an escape sequence, a line
 * end) shown as '?', so that data cannot move the cursor or split a row. */
static void put_value(const char *s, int len)
{
	for (int i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		fputc(c < 0x20 || c == 0x7F ? '?' : c, stderr);
	}
}

void dq_report_line(const struct dq_test *t)
{
	if (log_level < LOG_NORMAL && t->status != DQ_FAIL && t->status != DQ_ERROR)
		return;
	char *what = failures_text(t);
	fprintf(stderr, "%-5s %s: %s, %.3f s\n", dq_status_name(t->status), t->name, what, t->seconds);
	free(what);
	if (t->stored_in && t->status != DQ_PASS)
		fprintf(stderr, "      failing rows stored in %s\n", t->stored_in);
	if (t->status == DQ_PASS || t->status == DQ_ERROR || !t->sample.nrows || t->kind == DQ_FRESHNESS)
		return;
	const struct dq_sample *s = &t->sample;
	/* a header and the rows, each value cut at 40 characters */
	fputs("      ", stderr);
	for (size_t j = 0; j < s->ncols; j++) {
		fputs(j ? " | " : "", stderr);
		put_value(s->cols[j], utf8_prefix(s->cols[j], 40));
	}
	fputc('\n', stderr);
	for (size_t i = 0; i < s->nrows; i++) {
		fputs("      ", stderr);
		for (size_t j = 0; j < s->ncols; j++) {
			const char *v = s->vals[i * s->ncols + j];
			if (!v)
				v = "NULL";
			fputs(j ? " | " : "", stderr);
			put_value(v, utf8_prefix(v, 40));
		}
		fputc('\n', stderr);
	}
	if ((long long)s->nrows < t->failures)
		fprintf(stderr, "      (%lld more)\n", t->failures - (long long)s->nrows);
}

/* ---- files ---- */

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		log_error("%s: %s", path, strerror(errno));
	return f;
}

static int close_out(FILE *f, const char *path)
{
	int bad = fflush(f) != 0 || ferror(f);
	int err = errno;
	if (fclose(f) != 0 && !bad) {
		bad = 1;
		err = errno;
	}
	if (bad)
		log_error("%s: write error: %s", path, strerror(err));
	return bad ? -1 : 0;
}

static void xml_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			/* XML 1.0 has no place for other control characters */
			if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
				fputc(c, f);
			else
				fputc('?', f);
		}
	}
}

static void xml_sample(FILE *f, const struct dq_test *t)
{
	const struct dq_sample *s = &t->sample;
	for (size_t j = 0; j < s->ncols; j++) {
		fputs(j ? " | " : "", f);
		xml_text(f, s->cols[j]);
	}
	fputc('\n', f);
	for (size_t i = 0; i < s->nrows; i++) {
		for (size_t j = 0; j < s->ncols; j++) {
			const char *v = s->vals[i * s->ncols + j];
			fputs(j ? " | " : "", f);
			xml_text(f, v ? v : "NULL");
		}
		fputc('\n', f);
	}
}

int dq_write_junit(const char *path, const struct dq_suite *s, const char *project, double seconds)
{
	FILE *f = open_out(path);
	if (!f)
		return -1;
	size_t n = 0, nfail = 0, nerr = 0;
	for (size_t i = 0; i < s->ntests; i++) {
		const struct dq_test *t = &s->tests[i];
		if (!t->selected)
			continue;
		n++;
		nfail += t->status == DQ_FAIL;
		nerr += t->status == DQ_ERROR;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dqcheck\"", f);
	fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n", n, nfail, nerr, seconds);
	fputs("  <testsuite name=\"", f);
	xml_text(f, project);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.3f\">\n", n, nfail, nerr,
		seconds);
	for (size_t i = 0; i < s->ntests; i++) {
		const struct dq_test *t = &s->tests[i];
		if (!t->selected)
			continue;
		fputs("    <testcase name=\"", f);
		xml_text(f, t->name);
		fputs("\" classname=\"", f);
		xml_text(f, project);
		fputc('.', f);
		xml_text(f, t->on);
		fprintf(f, "\" time=\"%.3f\"", t->seconds);
		if (t->status == DQ_PASS) {
			fputs("/>\n", f);
			continue;
		}
		fputs(">\n", f);
		char *what = failures_text(t);
		if (t->status == DQ_ERROR) {
			fputs("      <error type=\"ERROR\" message=\"", f);
			xml_text(f, what);
			fputs("\"/>\n", f);
		} else if (t->status == DQ_FAIL) {
			fputs("      <failure type=\"FAIL\" message=\"", f);
			xml_text(f, what);
			fputs("\">", f);
			xml_sample(f, t);
			fputs("</failure>\n", f);
		} else {
			/* a warning is not a failure: JUnit has no third state */
			fputs("      <system-out>WARN: ", f);
			xml_text(f, what);
			fputc('\n', f);
			xml_sample(f, t);
			fputs("</system-out>\n", f);
		}
		free(what);
		fputs("    </testcase>\n", f);
	}
	fputs("  </testsuite>\n</testsuites>\n", f);
	return close_out(f, path);
}

/* A threshold as dbt's messages show it: "!= 0", "> 10". */
static void threshold_text(char *buf, size_t n, struct dq_threshold th)
{
	static const char *const ops[] = { "!=", "=", ">", ">=", "<", "<=" };
	snprintf(buf, n, "%s %lld", ops[th.op], th.n);
}

/* A test's id as dbt forms it: a generic test's was made when it was
 * read (with dbt's hash); a singular test's is its name's. */
static void unique_id(FILE *f, const char *project, const struct dq_test *t)
{
	if (t->unique_id) {
		json_fstring(f, t->unique_id);
		return;
	}
	char *id = xasprintf("test.%s.%s", project, t->name);
	json_fstring(f, id);
	free(id);
}

/* Opens a test's entry of a JSON list (after a comma unless *first) with
 * its name and unique_id. */
static void entry_start(FILE *f, bool *first, const char *project, const struct dq_test *t)
{
	fputs(*first ? "\n  {" : ",\n  {", f);
	*first = false;
	fputs("\"name\": ", f);
	json_fstring(f, t->name);
	fputs(", \"unique_id\": ", f);
	unique_id(f, project, t);
}

int dq_write_list(FILE *f, const struct dbt_project *p, const struct dq_suite *s)
{
	fputs("{\"tests\": [", f);
	bool first = true;
	for (size_t i = 0; i < s->ntests; i++) {
		const struct dq_test *t = &s->tests[i];
		if (!t->selected)
			continue;
		entry_start(f, &first, p->name, t);
		fputs(", \"file\": ", f);
		json_fstring(f, t->file);
		fprintf(f, ", \"line\": %zu, \"severity\": \"%s\", \"depends_on\": [", t->line,
			t->warn_severity ? "warn" : "error");
		for (size_t k = 0; k < t->nnodes; k++) {
			fputs(k ? ", " : "", f);
			json_fstring(f, p->nodes[t->nodes[k]].unique_id);
		}
		for (size_t k = 0; k < t->nsources; k++) {
			const struct dbt_source *src = &p->sources[t->sources[k]];
			char *id = xasprintf("source.%s.%s.%s", p->name, src->source_name, src->table_name);
			fputs(k || t->nnodes ? ", " : "", f);
			json_fstring(f, id);
			free(id);
		}
		fputs("]}", f);
	}
	fputs("\n]}\n", f);
	return fflush(f) != 0 || ferror(f) ? -1 : 0;
}

int dq_write_json(const char *path, const struct dq_suite *s, const char *project, double seconds,
		  const struct dq_stats *st)
{
	FILE *f = open_out(path);
	if (!f)
		return -1;
	static const char *const lower[] = { "pass", "warn", "fail", "error" };
	fputs("{\"project\": ", f);
	json_fstring(f, project);
	fprintf(f, ", \"elapsed_time\": %.3f, \"queries\": %zu, \"results\": [", seconds, st->queries);
	bool first = true;
	for (size_t i = 0; i < s->ntests; i++) {
		const struct dq_test *t = &s->tests[i];
		if (!t->selected)
			continue;
		entry_start(f, &first, project, t);
		fputs(", \"full_name\": ", f); /* as dbt ls prints it */
		json_fstring(f, t->full_name ? t->full_name : t->name);
		fputs(", \"test\": ", f);
		json_fstring(f, t->test_type);
		fputs(", \"on\": ", f);
		json_fstring(f, t->on);
		fputs(", \"column\": ", f);
		json_fstring(f, t->kind == DQ_FRESHNESS ? NULL : t->column.text);
		fputs(", \"file\": ", f);
		json_fstring(f, t->file);
		fprintf(f, ", \"line\": %zu, \"status\": \"%s\", \"severity\": \"%s\", \"failures\": %lld, "
			   "\"execution_time\": %.6f, \"folded_with\": %zu, \"message\": ",
			t->line, lower[t->status], t->warn_severity ? "warn" : "error", t->failures, t->seconds,
			t->fold_size ? t->fold_size - 1 : 0);
		json_fstring(f, t->message);
		char th[64];
		threshold_text(th, sizeof th, t->warn_if);
		fputs(", \"warn_if\": ", f);
		json_fstring(f, th);
		threshold_text(th, sizeof th, t->error_if);
		fputs(", \"error_if\": ", f);
		json_fstring(f, th);
		fputs(", \"stored_in\": ", f);
		json_fstring(f, t->stored_in);
		fputs(", \"sample\": {\"columns\": [", f);
		const struct dq_sample *sm = &t->sample;
		for (size_t j = 0; j < sm->ncols; j++) {
			fputs(j ? ", " : "", f);
			json_fstring(f, sm->cols[j]);
		}
		fputs("], \"rows\": [", f);
		for (size_t r = 0; r < sm->nrows; r++) {
			fputs(r ? ", [" : "[", f);
			for (size_t j = 0; j < sm->ncols; j++) {
				fputs(j ? ", " : "", f);
				json_fstring(f, sm->vals[r * sm->ncols + j]);
			}
			fputc(']', f);
		}
		fputs("]}}", f);
	}
	fputs("\n]}\n", f);
	return close_out(f, path);
}
