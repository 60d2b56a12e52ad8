/* SPDX-License-Identifier: MIT
 * dbt's `modules` in templates: the parts of Python's datetime, pytz and
 * re that dbt packages use (dbt_date, dbt_utils), answering as Python
 * does on the same machine.
 *
 *   modules.datetime  date(y, m, d), date.today(), datetime(y, m, d[, h,
 *                     mi, s, us, tzinfo]), datetime.now([tz]),
 *                     datetime.utcnow(), datetime.strptime(s, fmt),
 *                     datetime.fromisoformat(s), date.fromisoformat(s),
 *                     timedelta(days, seconds,
 *                     microseconds, milliseconds, minutes, hours, weeks);
 *                     dates and datetimes have year .. microsecond,
 *                     tzinfo, strftime(), isoformat(), replace(), date(),
 *                     weekday(), isoweekday(), astimezone(), utcoffset(),
 *                     tzname(); timedeltas days, seconds, microseconds,
 *                     total_seconds()
 *   modules.pytz      timezone(name) from the system's time zone database
 *                     (lib/tzfile.h), with localize(dt, is_dst=False),
 *                     normalize(dt), utcoffset(dt), tzname(dt) (is_dst=None
 *                     raising pytz's AmbiguousTimeError and
 *                     NonExistentTimeError), zone; utc and UTC
 *   modules.re        compile, match, search, fullmatch, sub, findall,
 *                     split, escape, the flags I/IGNORECASE, M/MULTILINE,
 *                     S/DOTALL, X/VERBOSE, A/ASCII; patterns with the same
 *                     methods; match objects with group(), groups(),
 *                     groupdict(), start(), end(), span(). Python's syntax
 *                     through PCRE2, which reads it alike (\Z is mapped)
 *
 * Every value prints as Python's str() prints it (a date as 1997-09-29, a
 * datetime with a zone as 1997-09-29 06:14:00-07:53), since what a
 * template does with one is print it into SQL. Dates take + and - of a
 * timedelta, and - of another date (the engine calls their __add__ and
 * __sub__). Not there: strptime's week and locale directives, and
 * anything else of these modules: each is an error naming the construct,
 * never a guess. */
#ifndef ELT_DBTMODULES_H
#define ELT_DBTMODULES_H

#include "template.h"

/* The entry for tmpl_parse()'s function list: every modules.* call. */
#define DBT_MODULES_FUNCTIONS "modules.*"

/* A call of modules.x.y(...). Returns 0 with *out, 1 when c is not a
 * call into modules.datetime, .pytz or .re (another module is the host's
 * to name as lacking), -1 after tmpl_fail(). */
int dbt_modules_call(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out);

/* The value of a dotted global "modules.datetime", "modules.pytz" or
 * "modules.re": the module, whose attributes are its constants and
 * functions. Returns 0 with *out, 1 for another name. */
int dbt_modules_global(struct tmpl_render *r, const char *name, struct tval *out);

#endif
