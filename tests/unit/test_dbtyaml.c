/* SPDX-License-Identifier: MIT
 * Jinja inside YAML (lib/dbtyaml): which values are rendered, which keep
 * the expression's type, which stay strings, and what skip() leaves. */
#include <stdlib.h>
#include <string.h>

#include "dbtyaml.h"
#include "unit.h"

static char err[1024];

static const char *const funcs[] = { "env_var", NULL };

static int call(void *ud, struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	(void)ud;
	return dbt_env_var(r, c, false, out);
}

static int global(void *ud, struct tmpl_render *r, const char *name, int line, struct tval *out)
{
	(void)ud;
	(void)line;
	if (strcmp(name, "flag") == 0) {
		*out = (struct tval){ .kind = TV_BOOL, .b = false };
		return 0;
	}
	if (strcmp(name, "name") == 0) {
		*out = tval_str(r, "prod", 4);
		return 0;
	}
	return 1;
}

static bool skip_hooks(void *ud, const char *const *keys, size_t depth)
{
	(void)ud;
	return depth && strcmp(keys[depth - 1], "+post-hook") == 0;
}

static struct ydoc d;
static const struct tmpl_host host = { call, global, NULL };

static int load(const char *text)
{
	if (ydoc_load_string(&d, "t.yml", text, strlen(text), err, sizeof err))
		return -1;
	return dbt_yaml_render(&d, ydoc_root(&d), funcs, &host, skip_hooks, NULL, err, sizeof err);
}

/* The kind ydoc reads the value of key as, and its text. */
static enum ydoc_kind kind_of(const char *key, const char **text)
{
	yaml_node_t *n = ydoc_get(&d, ydoc_root(&d), key);
	bool b;
	double num;
	*text = ydoc_str(n);
	return ydoc_yaml11(n, &b, &num);
}

static void one_expression_keeps_its_type(void)
{
	CHECK(load("a: \"{{ flag }}\"\nb: \"{{ 3 + 4 }}\"\nc: \"{{ 1.5 }}\"\nd: \"{{ none }}\"\n"
		   "e: \"{{ 'true' }}\"\nf: \"{{ '12' | as_number }}\"\ng: \"{{- 'True' | as_bool -}}\"\n") == 0);
	const char *t;
	CHECK(kind_of("a", &t) == YK_BOOL && strcmp(t, "false") == 0);
	CHECK(kind_of("b", &t) == YK_INT && strcmp(t, "7") == 0);
	CHECK(kind_of("c", &t) == YK_FLOAT && strcmp(t, "1.5") == 0);
	CHECK(kind_of("d", &t) == YK_NULL);
	/* a string stays a string, even one that reads as a boolean */
	CHECK(kind_of("e", &t) == YK_STR && strcmp(t, "true") == 0);
	CHECK(kind_of("f", &t) == YK_INT && strcmp(t, "12") == 0);
	CHECK(kind_of("g", &t) == YK_BOOL && strcmp(t, "true") == 0);
	ydoc_free(&d);
}

static void text_around_or_several_tags_make_a_string(void)
{
	CHECK(load("a: \" {{ flag }}\"\nb: \"{{ 1 }}{{ 2 }}\"\nc: \"{% if flag %}1{% else %}2{% endif %}\"\n"
		   "d: \"{{ name }}_x\"\ne: plain\nf: 12\n") == 0);
	const char *t;
	CHECK(kind_of("a", &t) == YK_STR && strcmp(t, " False") == 0);
	CHECK(kind_of("b", &t) == YK_STR && strcmp(t, "12") == 0);
	CHECK(kind_of("c", &t) == YK_STR && strcmp(t, "2") == 0);
	CHECK(kind_of("d", &t) == YK_STR && strcmp(t, "prod_x") == 0);
	/* values without Jinja keep their YAML type */
	CHECK(kind_of("e", &t) == YK_STR && kind_of("f", &t) == YK_INT);
	ydoc_free(&d);
}

static void skipped_keys_and_keys_are_left_as_written(void)
{
	CHECK(load("\"{{ name }}\": 1\nm:\n  - +post-hook: \"{{ this }}\"\n    +schema: \"{{ name }}\"\n") == 0);
	yaml_node_t *root = ydoc_root(&d);
	CHECK(strcmp(ydoc_str(ydoc_key(&d, root, 0)), "{{ name }}") == 0);
	yaml_node_t *item = ydoc_item(&d, ydoc_get(&d, root, "m"), 0);
	CHECK(strcmp(ydoc_str(ydoc_get(&d, item, "+post-hook")), "{{ this }}") == 0);
	CHECK(strcmp(ydoc_str(ydoc_get(&d, item, "+schema")), "prod") == 0);
	ydoc_free(&d);
}

static void errors_name_the_line_and_key_and_secrets_are_refused(void)
{
	CHECK(load("a: 1\nb: \"{{ env_var('NO_SUCH_VAR_X') }}\"\n") == -1);
	CHECK(strcmp(err, "t.yml:2: cannot render b: env_var('NO_SUCH_VAR_X'): the variable is not set and there "
			  "is no default") == 0);
	ydoc_free(&d);
	setenv("DBT_ENV_SECRET_T", "hush", 1);
	CHECK(load("a: \"{{ env_var('DBT_ENV_SECRET_T') }}\"\n") == -1);
	CHECK(strstr(err, "secret variables") && !strstr(err, "hush"));
	ydoc_free(&d);
	CHECK(load("a: \"{{ env_var('NO_SUCH_VAR_X', 'dflt') }}\"\n") == 0);
	const char *t;
	CHECK(kind_of("a", &t) == YK_STR && strcmp(t, "dflt") == 0);
	ydoc_free(&d);
}

int main(void)
{
	RUN(one_expression_keeps_its_type);
	RUN(text_around_or_several_tags_make_a_string);
	RUN(skipped_keys_and_keys_are_left_as_written);
	RUN(errors_name_the_line_and_key_and_secrets_are_refused);
	return UNIT_END();
}
