/* SPDX-License-Identifier: MIT
 * Binary COPY encoding for pgload: turns the text of a CSV field into the
 * binary send format of its column's type, so that the server skips its
 * text parsing (the larger part of a CSV COPY's cost) while this process
 * does that work on another core.
 *
 * The encoder is deliberately narrow. It accepts only the plain, canonical
 * spellings whose meaning it knows exactly (digits with an optional minus,
 * RFC 3339 times with an explicit offset, ...). Anything else, including
 * every invalid value, makes copybin_value() answer false; pgload then
 * hands the rest of the input to the server as CSV, so that the server, and
 * not this file, decides what a value means or says why it is wrong. Being
 * unsure therefore costs speed, never correctness. */
#ifndef PGLOAD_COPYBIN_H
#define PGLOAD_COPYBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The column types with a binary encoder. */
enum cb_type {
	CB_NONE,        /* no encoder: such a column needs CSV */
	CB_TEXT,        /* text, varchar, bpchar: the bytes as they are */
	CB_INT2,
	CB_INT4,
	CB_INT8,
	CB_NUMERIC,
	CB_FLOAT4,
	CB_FLOAT8,
	CB_BOOL,
	CB_DATE,
	CB_TIMESTAMP,   /* without time zone: the value must carry no offset */
	CB_TIMESTAMPTZ, /* the value must carry Z or an offset */
};

/* The encoder for a type, by the type's OID in pg_type; CB_NONE for types
 * without one (domains included: their checks belong to the server). */
enum cb_type copybin_type(uint32_t typid);

/* The file header (signature, flags, extension length). */
void copybin_header(struct buf *b);
/* A tuple's field count; the fields follow through copybin_value(). */
void copybin_tuple(struct buf *b, uint16_t nfields);
/* Appends one field. Returns false, leaving the buffer as it was, when the
 * text is not in a form this encoder is sure of. s must be NUL-terminated
 * at s[len] (csvio's fields are). */
bool copybin_value(struct buf *b, enum cb_type t, const char *s, size_t len, bool null);
/* The end-of-data marker. */
void copybin_trailer(struct buf *b);

#endif
