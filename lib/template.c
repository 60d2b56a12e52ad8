/* SPDX-License-Identifier: MIT
 * The template engine's dbt hooks: the functions dbt models call through
 * the host, dbt's return(), and the filters dbt adds to Jinja. The engine
 * itself is split by job: template_lex.c (tokens), template_expr.c
 * (expressions), template_parse.c (statements), template_eval.c
 * (expressions' values), template_render.c (statements, macros, loops),
 * template_builtins.c (filters, tests, methods, globals) and
 * template_value.c (values and how Python prints them), with
 * template_int.h between them. */
#include "template.h"
#include "template_int.h"

#include <string.h>

const char *const tmpl_dbt_functions[] = { "ref", "source", "config", "var", "is_incremental", NULL };

/* dbt renders models as text, where as_bool, as_number, as_text and
 * as_native mark a value as str() of it; only dbt's native rendering (of
 * YAML configs) turns the marker back into a value. */
int tdbt_filter(struct tmpl_render *r, int line, const char *name, const struct tval *x,
		const struct targs *a, struct tval *out)
{
	(void)a;
	if (strcmp(name, "as_bool") != 0 && strcmp(name, "as_number") != 0 && strcmp(name, "as_text") != 0 &&
	    strcmp(name, "as_native") != 0)
		return 1;
	if (tval_lenient(r, x)) {
		*out = tval_str(r, "", 0); /* str() of Jinja's undefined */
		return 0;
	}
	if (x->kind == TV_UNDEF) {
		tmpl_fail(r, line, "%s", x->s);
		return -1;
	}
	*out = tval_as_string(r, x);
	return 0;
}

bool tdbt_is_global(const char *name)
{
	return strcmp(name, "return") == 0;
}

/* return(value): the macro being called ends and gives value. */
int tdbt_global(struct tmpl_render *r, int line, const char *name, const struct targs *a, struct tval *out)
{
	if (strcmp(name, "return") != 0)
		return 1;
	if (a->n != 1 || a->nkw) {
		tmpl_fail(r, line, "return() takes one value");
		return -1;
	}
	trender_return(r, a->v[0]);
	*out = (struct tval){ .kind = TV_STR, .s = "", .n = 0 };
	return 0;
}
