/* SPDX-License-Identifier: MIT
 * What lib/dbtmodules.c and lib/dbtmodules_re.c share; nothing here is
 * for other modules (dbtmodules.h is the API).
 *
 * A Python object is a string value with attributes: the string is its
 * str(), the attributes its fields, its methods native functions bound to
 * it, and the hidden attribute "_type" says what it is. */
#ifndef ELT_DBTMODULES_INT_H
#define ELT_DBTMODULES_INT_H

#include <stdint.h>

#include "template.h"

struct tval dbtm_str(struct tmpl_render *r, const char *s);
/* An integer. */
struct tval dbtm_num(int64_t v);
/* An object printing as str, with room for n attributes, set with
 * dbtm_obj_set() (*i counting them from 0). */
struct tval dbtm_obj_new(struct tmpl_render *r, const char *str, size_t n);
void dbtm_obj_set(struct tval *o, size_t *i, const char *key, struct tval v);
/* Binds each of methods (NULL-terminated) to fn with o as self; the last
 * attributes to be set, since self is a copy of o sharing its items. */
void dbtm_obj_methods(struct tmpl_render *r, struct tval *o, size_t *i, const char *const *methods,
		      tmpl_native fn);
/* An object's "_type" ("date", "pattern", ...), "" for other values. */
const char *dbtm_obj_type(const struct tval *v);
long dbtm_num_attr(const struct tval *o, const char *k);
/* Argument i (or keyword kw) of c as an integer, dflt when not given;
 * -1 after tmpl_fail() when it is no integer. */
int dbtm_int_arg(struct tmpl_render *r, const struct tmpl_call *c, size_t i, const char *kw, long dflt, long *v);

/* ---- dbtmodules_re.c ---- */

/* modules.re.fn(...): 0 with *out, 1 when re has no fn, -1 after
 * tmpl_fail(). */
int dbtm_re_call(struct tmpl_render *r, const struct tmpl_call *c, const char *fn, struct tval *out);
/* The module object modules.re: its flags, and its functions as module_fn
 * bound under their full names. */
void dbtm_re_module(struct tmpl_render *r, struct tval *out, tmpl_native module_fn);

#endif
