/* SPDX-License-Identifier: MIT
 * Option-argument parsing; see args.h. */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "caltime.h"
#include "exitcode.h"
#include "log.h"

uint64_t args_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v = 0;
	if (!*s)
		die(EXIT_USAGE, "%s: a number is required", opt);
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			die(EXIT_USAGE, "%s: \"%s\" is not a whole number", opt, s);
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			die(EXIT_USAGE, "%s: \"%s\" is too large (at most %llu)", opt, s,
			    (unsigned long long)max);
		v = v * 10 + d;
	}
	if (v < min || v > max)
		die(EXIT_USAGE, "%s: %s is out of range (%llu to %llu)", opt, s,
		    (unsigned long long)min, (unsigned long long)max);
	return v;
}

double args_rate(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || !(v >= 0.0 && v <= 1.0))
		die(EXIT_USAGE, "%s: \"%s\" is not a fraction between 0 and 1", opt, s);
	return v;
}

int64_t args_date(const char *opt, const char *s)
{
	int64_t days;
	if (!cal_parse_date(s, strlen(s), &days))
		die(EXIT_USAGE, "%s: \"%s\" is not a calendar date (YYYY-MM-DD)", opt, s);
	return days;
}

void args_bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1];
	char shortopt[3] = { '-', (char)optopt, '\0' };
	const char *name = strncmp(arg, "--", 2) == 0 || !optopt ? arg : shortopt;
	size_t len = strcspn(name, "=");
	if (c == ':')
		log_error("option '%.*s' needs a value", (int)len, name);
	else
		log_error("unknown option '%.*s'", (int)len, name);
}
