/* SPDX-License-Identifier: MIT
 * libFuzzer target: the template engine (lib/template.c). Parses arbitrary
 * text as a model, walks its ref() calls as dependency discovery does, and
 * renders it with a host that answers ref, source, config, var and
 * is_incremental the way a project would. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

static int host_call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	(void)ud;
	if (!strcmp(c->name, "is_incremental")) {
		*out = (struct tval){ .kind = TV_BOOL, .b = c->line % 2 == 0 };
	} else if (!strcmp(c->name, "config")) {
		*out = (struct tval){ .kind = TV_STR, .s = "", .n = 0 };
	} else if (!strcmp(c->name, "var") && c->nargs >= 2) {
		*out = c->args[1];
	} else if (c->nargs >= 1 && c->args[0].kind == TV_STR) {
		*out = tval_str(r, c->args[0].s, c->args[0].n);
	} else {
		tmpl_fail(r, c->line, "%s() needs a string", c->name);
		return -1;
	}
	return 0;
}

static int host_global(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out)
{
	(void)ud, (void)line;
	if (strcmp(name, "this"))
		return 1;
	*out = tval_str(r, "analytics.this_model", strlen("analytics.this_model"));
	return 0;
}

static int count_ref(void *ud, const char *name, size_t nargs, const char *const *args, int line)
{
	(void)name, (void)args, (void)line;
	*(size_t *)ud += nargs;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct tmpl *t = tmpl_parse("fuzz.sql", (const char *)data, size, tmpl_dbt_functions, err, sizeof err);
	if (!t)
		return 0;
	size_t refs = 0;
	tmpl_calls(t, "ref", count_ref, &refs);
	struct tmpl_host host = { host_call, host_global, NULL };
	char *out = NULL;
	size_t outlen;
	if (tmpl_render(t, &host, &out, &outlen, err, sizeof err) == 0 && strlen(out) > outlen)
		abort(); /* the length must cover the text */
	free(out);
	tmpl_free(t);
	return 0;
}
