/* SPDX-License-Identifier: MIT
 * The template engine's dbt context hooks: the names of the functions dbt
 * models call. The engine itself is split by job: template_lex.c,
 * template_expr.c, template_parse.c, template_eval.c, template_value.c, with
 * template_int.h between them. */
#include "template.h"

const char *const tmpl_dbt_functions[] = { "ref", "source", "config", "var", "is_incremental", NULL };
