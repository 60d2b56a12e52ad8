/* SPDX-License-Identifier: MIT
 * libFuzzer target: a seed's cell read as dbt reads it (lib/seedcell.c),
 * as every type at once, then each reading written out as PostgreSQL
 * text. Looks for crashes and sanitizer reports, and checks that what is
 * written reads back the same: a number as the same digits and exponent,
 * a date as the same date, and that a value seed_plain() lets go as it
 * is reads as what would be written for it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seedcell.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1); /* the reader's fields end with a NUL */
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct seed_cell c, back;
	char text[64];
	seed_cell_read(s, size, ~0u, &c);
	if (c.null && c.can)
		abort();
	if (c.can & SEED_NUMBER) {
		if (!seed_number_text(&c.num, false, text, sizeof text))
			abort();
		seed_cell_read(text, strlen(text), SEED_NUMBER, &back);
		/* (Infinity goes as NaN, as dbt sends it) */
		if (!(back.can & SEED_NUMBER) || back.num.kind != (c.num.kind == SEED_FINITE ? SEED_FINITE : SEED_NAN))
			abort();
		if (c.num.kind == SEED_FINITE &&
		    (strcmp(back.num.digits, c.num.digits) || back.num.exp != c.num.exp || back.num.neg != c.num.neg))
			abort();
		if (seed_number_text(&c.num, true, text, sizeof text) && c.num.exp < 0)
			abort();
	}
	if (c.can & SEED_DATE) {
		seed_date_text(&c.date, text, sizeof text);
		seed_cell_read(text, strlen(text), SEED_DATE, &back);
		if (!(back.can & SEED_DATE) || memcmp(&back.date, &c.date, sizeof c.date))
			abort();
	}
	if (c.can & SEED_DATETIME)
		seed_time_text(&c.datetime, text, sizeof text);
	if (c.can & SEED_ISODATETIME)
		seed_time_text(&c.iso, text, sizeof text);
	/* a value of its type let through as it is is what would be written */
	if ((c.can & SEED_DATE) && seed_plain(s, size, SEED_DATE, false)) {
		seed_date_text(&c.date, text, sizeof text);
		if (strcmp(text, s))
			abort();
	}
	if ((c.can & SEED_DATETIME) && seed_plain(s, size, SEED_DATETIME, false)) {
		seed_time_text(&c.datetime, text, sizeof text);
		if (strcmp(text, s))
			abort();
	}
	if ((c.can & SEED_BOOL) && seed_plain(s, size, SEED_BOOL, false) && strcmp(s, c.boolean ? "true" : "false"))
		abort();
	free(s);
	return 0;
}
