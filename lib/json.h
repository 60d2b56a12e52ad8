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

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"

/* Appends s as a JSON string value (or null) to b. */
void json_string(struct buf *b, const char *s);

/* Flags for json_string_n. */
enum {
	JSON_ASCII = 1,     /* every non-ASCII character as \uXXXX (Python's ensure_ascii) */
	JSON_HTML_SAFE = 2, /* < > & ' as \u00XX too, as Jinja's tojson filter writes them */
};

/* Appends the n bytes at s (NULs included) as a JSON string value. */
void json_string_n(struct buf *b, const char *s, size_t n, unsigned flags);

/* Writes s as a JSON string value (or null) to f; errors are left in f's
 * error indicator, for the caller's check of the final flush. */
void json_fstring(FILE *f, const char *s);

#endif
