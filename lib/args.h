/* SPDX-License-Identifier: MIT
 * Option-argument parsing shared by the programs. Each function either
 * returns a value that is in range or prints one line naming the option and
 * the problem and exits with EXIT_USAGE. */
#ifndef ELT_ARGS_H
#define ELT_ARGS_H

#include <stdint.h>

/* A decimal whole number in [min, max]; no sign, no spaces, no suffix. */
uint64_t args_u64(const char *opt, const char *s, uint64_t min, uint64_t max);
/* A decimal fraction in [0, 1]. */
double args_rate(const char *opt, const char *s);
/* A date YYYY-MM-DD, as days since 1970-01-01. */
int64_t args_date(const char *opt, const char *s);

/* Prints the message for getopt_long's answer c ('?' for an unknown option,
 * ':' for a missing value; the option string must start with ':' so that
 * getopt itself stays silent) naming the option as the user wrote it. */
void args_bad_option(int c, char **argv);

#endif
