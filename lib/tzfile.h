/* SPDX-License-Identifier: MIT
 * Time zones of the system's time zone database (TZif files under
 * /usr/share/zoneinfo, or $TZDIR), read directly rather than through
 * setenv("TZ") and localtime_r(): that route changes the process's
 * environment, which is not thread-safe, and modelrun renders models on
 * several threads. The files are small (a few KiB); the answers are what
 * Python's pytz gives on the same machine (Debian's pytz reads the same
 * files), for dbt's modules.pytz:
 *
 *   - offsets are rounded to whole minutes, as pytz rounds them;
 *   - a zone's default offset, the one a datetime gets when the zone is
 *     passed as tzinfo= (not localize()d), is pytz's: the first standard
 *     time type of the file's version 1 data, which for most zones is the
 *     local mean time of before 1900 (America/Los_Angeles: -07:53);
 *   - after the file's last transition its type stays, as in pytz, which
 *     reads no footer: a file written "fat" (Debian's) lists transitions
 *     up to 2037, so America/New_York is on EST from November 2037 on,
 *     summers included. Only a "slim" file, whose transitions stop years
 *     earlier, has the POSIX TZ rule of its footer applied after them.
 *
 * Memory: tzfile_load() fills a struct the caller owns; tzfile_free()
 * releases what it holds. */
#ifndef ELT_TZFILE_H
#define ELT_TZFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tz_type {
	int32_t off;             /* seconds east of UTC, rounded to minutes */
	bool dst;
	char abbr[16];           /* "PDT", "LMT", "+0530" */
};

/* One end of a POSIX TZ rule's daylight saving period. */
struct tz_rule_date {
	char kind;               /* 'M' month.week.day, 'J' Julian day 1-365
				  * (no Feb 29), 'D' zero-based day 0-365 */
	int month, week, wday, day;
	int32_t secs;            /* local time of day; may be negative or
				  * beyond 24 h */
};

struct tzfile {
	char name[128];
	int64_t *trans;          /* UTC seconds, ascending */
	uint8_t *idx;            /* the type from each transition on */
	size_t ntrans;
	struct tz_type *types;
	size_t ntypes;
	struct tz_type dflt;     /* pytz's default (see above) */
	bool has_rule;           /* a footer with a rule: std (and dst) */
	bool rule_dst;           /* the rule has daylight saving time */
	struct tz_type std, dstt;
	struct tz_rule_date start, end;
};

/* Loads zone name ("America/Los_Angeles"). Names with "..", a leading
 * '/', or other bytes than letters, digits, '/', '_', '+' and '-' are
 * refused. Returns 0, or -1 with a message in err (an unknown zone, a
 * file that is not TZif). */
int tzfile_load(struct tzfile *z, const char *name, char *err, size_t errlen);
void tzfile_free(struct tzfile *z);

/* The type in effect at t seconds since 1970 UTC. */
struct tz_type tzfile_at_utc(const struct tzfile *z, int64_t t);

/* pytz's localize(): the type a wall-clock time (local seconds since
 * 1970, as if it were UTC) has in zone z. An ambiguous time (clocks set
 * back) takes the daylight saving type when is_dst, else the standard
 * one; a time that does not exist (clocks set forward) takes the type of
 * six hours before (is_dst false) or after (is_dst true), as pytz does. */
struct tz_type tzfile_localize(const struct tzfile *z, int64_t local, bool is_dst);

/* How many types fit a wall-clock time, as pytz's localize(dt,
 * is_dst=None) asks before it raises AmbiguousTimeError or
 * NonExistentTimeError. */
enum tz_fit { TZ_FIT_ONE, TZ_FIT_AMBIGUOUS, TZ_FIT_NONE };
enum tz_fit tzfile_fit(const struct tzfile *z, int64_t local);

/* Parses a POSIX TZ rule ("PST8PDT,M3.2.0,M11.1.0", "<+0530>-5:30") into
 * z's std, dstt, start and end; true when it is one. */
bool tzfile_parse_rule(struct tzfile *z, const char *s);

#endif
