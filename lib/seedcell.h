/* SPDX-License-Identifier: MIT
 * How dbt reads a cell of a seed file, so that a seed loads as it does
 * under dbt-postgres: dbt gives each column the first of its types that
 * every value of the column passes (number, date, datetime, ISO 8601
 * datetime, boolean, else text), and turns the values into that type
 * before it inserts them. The rules are those of the agate library as
 * dbt configures it, written down in seedcell.c. */
#ifndef SEEDCELL_H
#define SEEDCELL_H

#include <stdbool.h>
#include <stddef.h>

/* What a value can be read as. */
enum {
	SEED_NUMBER = 1,
	SEED_DATE = 2,
	SEED_DATETIME = 4,    /* YYYY-MM-DD HH:MM:SS, as strptime reads it */
	SEED_ISODATETIME = 8, /* ISO 8601 with a T */
	SEED_BOOL = 16,
};

/* A number as dbt holds it: a decimal of at most 28 significant digits
 * (Python's default context), without trailing zeros. */
struct seed_number {
	enum { SEED_FINITE, SEED_NAN, SEED_INF } kind;
	bool neg;
	char digits[29]; /* "" for zero */
	long exp;        /* the value is digits x 10^exp */
};

struct seed_time {
	int year, month, day, hour, minute, second, usec;
	bool aware;      /* an offset was given */
	int offset_min;  /* east of UTC */
};

struct seed_cell {
	bool null;       /* "", "null" in any case, or blanks: NULL */
	unsigned can;    /* SEED_* */
	struct seed_number num;
	struct seed_time date, datetime, iso;
	bool boolean;
	bool bool_null;   /* read as a boolean it is null ("," dropped first) */
};

/* Reads the value s[0..n) (UTF-8) as dbt would, as each of the types
 * in want (SEED_*); c->can says which it can be. */
void seed_cell_read(const char *s, size_t n, unsigned want, struct seed_cell *c);
/* Whether s[0..n), a value of a column of this type (SEED_*, whole for
 * an integer column), reads in PostgreSQL as what dbt would insert for
 * it, so that it can go as it is: plain numbers, dates and times. */
bool seed_plain(const char *s, size_t n, unsigned type, bool whole);
/* Whether dbt reads s[0..n) as null in any column, text too. */
bool seed_is_null(const char *s, size_t n);

/* The decimal places dbt counts for a column of numbers (agate's
 * MaxPrecision): feed every finite value to seed_precision_add(), then
 * seed_precision() is not 0 when dbt makes the column float8. */
struct seed_precision {
	long whole, decimals;
};
#define SEED_PRECISION_INIT { 1, 0 }
void seed_precision_add(struct seed_precision *p, const struct seed_number *v);
long seed_precision(const struct seed_precision *p);

/* The number as PostgreSQL reads it, in out (48 bytes or more):
 * "-15e-1", "0", "NaN" (for Infinity too, as dbt sends it); whole = true writes an integer's
 * plain digits instead, and fails (returns false) past 40 digits or
 * when the number has a fraction. */
bool seed_number_text(const struct seed_number *v, bool whole, char *out, size_t len);

/* A date or time as PostgreSQL reads it, in out (33 bytes or more):
 * "2026-01-05", "2026-01-05 10:00:00.500000", with "+02:00" after an
 * aware one. */
void seed_date_text(const struct seed_time *t, char *out, size_t len);
void seed_time_text(const struct seed_time *t, char *out, size_t len);

#endif
