/* SPDX-License-Identifier: MIT
 * Jinja inside YAML, rendered the way dbt renders dbt_project.yml, schema
 * files and profiles.yml when it reads them.
 *
 * dbt renders every string value of those files that holds Jinja, and it
 * renders "natively": a value that is exactly one {{ expression }} takes
 * the expression's type (`+enabled: "{{ var('x', false) }}"` is the
 * boolean false, `port: "{{ env_var('P') | int }}"` a number), while
 * anything else (text around the braces, several expressions, {% %} blocks)
 * stays a string. dbt_yaml_render() does that in place on a loaded ydoc:
 * a rendered scalar gets the rendered text, plain style when it stands for
 * a boolean, number or null (so that ydoc_yaml11() reads it typed) and
 * quoted style when it is a string. Keys are never rendered, nor are the
 * values skip() leaves out (dbt renders hooks, descriptions and tests
 * later, when they run).
 *
 * The names the Jinja sees come from the caller's host (var(), env_var(),
 * target); dbt_env_var() is env_var() as dbt has it, for those hosts. */
#ifndef ELT_DBTYAML_H
#define ELT_DBTYAML_H

#include <stdbool.h>
#include <stddef.h>

#include "template.h"
#include "ydoc.h"

/* keys[0..depth) is the path from the rendered node down to the value
 * (a sequence item is "#"); true leaves that value, and all under it, as
 * it is. */
typedef bool (*dbt_yaml_skip_fn)(void *ud, const char *const *keys, size_t depth);

/* Renders the strings under n (n included) that hold "{{", "{%" or "{#".
 * funcs lists the callable names (as for tmpl_parse()). Returns 0, or -1
 * with "file:line: cannot render KEY: message" in err. */
int dbt_yaml_render(struct ydoc *d, yaml_node_t *n, const char *const *funcs, const struct tmpl_host *host,
		    dbt_yaml_skip_fn skip, void *skip_ud, char *err, size_t errlen);

/* env_var('NAME') or env_var('NAME', 'default') for a host's call(): the
 * variable's value, else the default, else an error. A DBT_ENV_SECRET_
 * variable is refused unless secrets is true (profiles.yml), as dbt
 * refuses it outside profiles.yml and packages.yml. Returns 0 with *out,
 * or -1 after tmpl_fail(); the message never holds a value. */
int dbt_env_var(struct tmpl_render *r, const struct tmpl_call *c, bool secrets, struct tval *out);

/* True when name is a variable whose value dbt never shows. */
bool dbt_env_is_secret(const char *name);

#endif
