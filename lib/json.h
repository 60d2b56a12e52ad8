/* SPDX-License-Identifier: MIT
 * Writing JSON: string values, escaped, into a buffer or a stream. The
 * programs write their JSON (validate's --report json summary, dqcheck's
 * --json file, modelrun's run_results.json) with their own layout around
 * these.
 *
 * A string is written between double quotes with " and \ escaped by a
 * backslash; backspace, form feed, newline, carriage return and tab as
 * \b \f \n \r \t (as Python's json module writes them, and so dbt's
 * artifacts), and every other control character (below 0x20) as \u00XX. Other
 * bytes are copied as they are: the text is expected to be UTF-8. A NULL
 * string is written as null. */
#ifndef ELT_JSON_H
#define ELT_JSON_H

#include <stdio.h>

#include "buf.h"

/* Appends s as a JSON string value (or null) to b. */
void json_string(struct buf *b, const char *s);

/* Writes s as a JSON string value (or null) to f; errors are left in f's
 * error indicator, for the caller's check of the final flush. */
void json_fstring(FILE *f, const char *s);

#endif
