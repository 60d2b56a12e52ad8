/* SPDX-License-Identifier: MIT
 * dbt's modules.datetime, modules.pytz and modules.re; see dbtmodules.h.
 *
 * The template engine has no objects, so a Python object is a string
 * value with attributes (what tval_get() reads): the string is the
 * object's str(), the attributes its fields, and its methods are native
 * functions bound to it. A hidden attribute "_type" says what it is.
 * Nothing is kept between calls: a zone is read from its file each time
 * it is named (a few KiB), which a model does a handful of times.
 * modules.re is in dbtmodules_re.c. */
#include "dbtmodules.h"
#include "dbtmodules_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "caltime.h"
#include "strptime.h"
#include "tzfile.h"
#include "xalloc.h"

/* ---- values with attributes (dbtmodules_int.h) ---- */

struct tval dbtm_str(struct tmpl_render *r, const char *s)
{
	return tval_str(r, s, strlen(s));
}

/* An object printing as str, with room for n attributes (set with
 * dbtm_obj_set(), *i counting them from 0). */
struct tval dbtm_obj_new(struct tmpl_render *r, const char *str, size_t n)
{
	struct tval o = dbtm_str(r, str);
	o.items = tval_alloc(r, n);
	o.keys = tval_alloc_keys(r, n);
	return o;
}

void dbtm_obj_set(struct tval *o, size_t *i, const char *key, struct tval v)
{
	o->keys[*i] = key;
	o->items[(*i)++] = v;
	o->nattr = *i;
}

/* Binds each name of methods to fn with o as self; the last attributes
 * to be set, since self is a copy of o that shares its items. */
void dbtm_obj_methods(struct tmpl_render *r, struct tval *o, size_t *i, const char *const *methods, tmpl_native fn)
{
	size_t first = *i;
	for (const char *const *m = methods; *m; m++)
		dbtm_obj_set(o, i, *m, (struct tval){ .kind = TV_NONE });
	for (size_t k = first; k < *i; k++)
		o->items[k] = tval_native(r, o->keys[k], fn, o);
}

const char *dbtm_obj_type(const struct tval *v)
{
	const struct tval *t = v->kind == TV_STR && v->nattr ? tval_get(v, "_type") : NULL;
	return t && t->kind == TV_STR ? t->s : "";
}

long dbtm_num_attr(const struct tval *o, const char *k)
{
	const struct tval *v = tval_get(o, k);
	return v && v->kind == TV_NUM ? (long)v->num : 0;
}

static const char *str_attr(const struct tval *o, const char *k)
{
	const struct tval *v = tval_get(o, k);
	return v && v->kind == TV_STR ? v->s : "";
}

/* Python's integer arguments: a number without a fraction. */
int dbtm_int_arg(struct tmpl_render *r, const struct tmpl_call *c, size_t i, const char *kw, long dflt, long *v)
{
	const struct tval *a = tmpl_call_arg(c, i, kw);
	if (!a || a->kind == TV_NONE) {
		*v = dflt;
		return 0;
	}
	if (a->kind != TV_NUM || a->real) {
		tmpl_fail(r, c->line, "%s(): %s must be an integer", c->name, kw);
		return -1;
	}
	*v = (long)a->num;
	return 0;
}

struct tval dbtm_num(int64_t v)
{
	return (struct tval){ .kind = TV_NUM, .num = (double)v };
}

/* ---- timedelta ---- */

static int native_td(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c, struct tval *out);

/* A timedelta of us microseconds: str() as Python prints it
 * ("-1 day, 16:07:00", "0:00:00.500000"). */
static struct tval timedelta_value(struct tmpl_render *r, int64_t us)
{
	static const char *const methods[] = { "total_seconds", "__add__", "__sub__", NULL };
	/* room for the 5 fields and the 3 methods */
	int64_t day = 86400 * (int64_t)1000000;
	int64_t days = us / day - (us % day < 0), rem = us - days * day;
	int64_t secs = rem / 1000000, micro = rem % 1000000;
	char s[96];
	int k = 0;
	if (days)
		k = snprintf(s, sizeof s, "%lld day%s, ", (long long)days, days == 1 || days == -1 ? "" : "s");
	k += snprintf(s + k, sizeof s - (size_t)k, "%lld:%02lld:%02lld", (long long)(secs / 3600),
		      (long long)(secs / 60 % 60), (long long)(secs % 60));
	if (micro)
		snprintf(s + k, sizeof s - (size_t)k, ".%06lld", (long long)micro);
	struct tval o = dbtm_obj_new(r, s, 8);
	size_t i = 0;
	dbtm_obj_set(&o, &i, "_type", dbtm_str(r, "timedelta"));
	dbtm_obj_set(&o, &i, "days", dbtm_num(days));
	dbtm_obj_set(&o, &i, "seconds", dbtm_num(secs));
	dbtm_obj_set(&o, &i, "microseconds", dbtm_num(micro));
	dbtm_obj_set(&o, &i, "_us", dbtm_num(us));
	dbtm_obj_methods(r, &o, &i, methods, native_td);
	return o;
}

static int dt_shift(struct tmpl_render *r, const struct tmpl_call *c, const struct tval *v, int64_t us,
		    struct tval *out);

static int64_t td_us(const struct tval *td)
{
	const struct tval *us = tval_get(td, "_us");
	return us ? (int64_t)us->num : 0;
}

/* total_seconds(), and + and - with another timedelta, or + with a date
 * or datetime. */
static int native_td(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c, struct tval *out)
{
	int64_t us = td_us(self);
	if (strcmp(c->name, "total_seconds") == 0) {
		*out = (struct tval){ .kind = TV_NUM, .real = true, .num = (double)us / 1e6 };
		return 0;
	}
	const struct tval *o = tmpl_call_arg(c, 0, NULL);
	const char *type = o ? dbtm_obj_type(o) : "";
	if (strcmp(type, "timedelta") == 0) {
		*out = timedelta_value(r, c->name[2] == 'a' ? us + td_us(o) : us - td_us(o));
		return 0;
	}
	if (c->name[2] == 'a' && (strcmp(type, "date") == 0 || strcmp(type, "datetime") == 0))
		return dt_shift(r, c, o, us, out);
	tmpl_fail(r, c->line, "TypeError: unsupported operand types for %s: 'timedelta' and '%s'",
		  c->name[2] == 'a' ? "+" : "-", *type ? type : "value");
	return -1;
}

/* timedelta(days, seconds, microseconds, milliseconds, minutes, hours,
 * weeks), each any number, as Python adds them up (to the microsecond,
 * rounded half to even as Python rounds). */
static int call_timedelta(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	static const char *const names[] = { "days", "seconds", "microseconds", "milliseconds", "minutes", "hours",
					     "weeks" };
	static const double scale[] = { 86400e6, 1e6, 1, 1e3, 60e6, 3600e6, 604800e6 };
	double total = 0;
	if (c->nargs > 7) {
		tmpl_fail(r, c->line, "timedelta() takes at most 7 arguments");
		return -1;
	}
	for (size_t k = 0; k < c->nkw; k++) {
		size_t i = 0;
		while (i < 7 && strcmp(names[i], c->kwnames[k]) != 0)
			i++;
		if (i == 7) {
			tmpl_fail(r, c->line, "timedelta() has no argument '%s'", c->kwnames[k]);
			return -1;
		}
	}
	for (size_t i = 0; i < 7; i++) {
		const struct tval *a = tmpl_call_arg(c, i, names[i]);
		if (!a)
			continue;
		if (a->kind != TV_NUM) {
			tmpl_fail(r, c->line, "timedelta(): %s must be a number", names[i]);
			return -1;
		}
		total += a->num * scale[i];
	}
	if (total > 1e17 || total < -1e17) {
		tmpl_fail(r, c->line, "OverflowError: timedelta() out of range");
		return -1;
	}
	double whole = nearbyint(total);
	*out = timedelta_value(r, (int64_t)whole);
	return 0;
}

/* ---- time zones ---- */

/* A zone as pytz has it: its name and the type (offset, dst, name) of
 * this instance; pytz's zone object itself carries the default type. */
struct zone {
	char name[128];
	struct tz_type type;
};

static int native_tz(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c, struct tval *out);

static struct tval tz_value(struct tmpl_render *r, const struct zone *z)
{
	static const char *const methods[] = { "localize", "normalize", "utcoffset", "tzname", NULL };
	struct tval o = dbtm_obj_new(r, z->name, 9);
	size_t i = 0;
	dbtm_obj_set(&o, &i, "_type", dbtm_str(r, "tz"));
	dbtm_obj_set(&o, &i, "zone", dbtm_str(r, z->name));
	dbtm_obj_set(&o, &i, "_off", (struct tval){ .kind = TV_NUM, .num = z->type.off });
	dbtm_obj_set(&o, &i, "_dst", (struct tval){ .kind = TV_BOOL, .b = z->type.dst });
	dbtm_obj_set(&o, &i, "_abbr", dbtm_str(r, z->type.abbr));
	dbtm_obj_methods(r, &o, &i, methods, native_tz);
	return o;
}

static void zone_of(const struct tval *tz, struct zone *z)
{
	snprintf(z->name, sizeof z->name, "%s", str_attr(tz, "zone"));
	z->type.off = (int32_t)dbtm_num_attr(tz, "_off");
	const struct tval *d = tval_get(tz, "_dst");
	z->type.dst = d && d->kind == TV_BOOL && d->b;
	snprintf(z->type.abbr, sizeof z->type.abbr, "%s", str_attr(tz, "_abbr"));
}

static bool is_utc_name(const char *name)
{
	return strcasecmp(name, "UTC") == 0;
}

/* The offset of a fixed zone's name as Python's datetime.timezone prints
 * it, "UTC+05:30" (or "UTC-08:00:30"); false for another name. */
static bool fixed_offset_name(const char *name, int32_t *off)
{
	int h, m, sec = 0, n = 0;
	if (strncmp(name, "UTC", 3) != 0 || (name[3] != '+' && name[3] != '-'))
		return false;
	if (sscanf(name + 4, "%2d:%2d%n", &h, &m, &n) != 2)
		return false;
	if (name[4 + n] == ':' && sscanf(name + 5 + n, "%2d", &sec) != 1)
		return false;
	*off = (name[3] == '-' ? -1 : 1) * (h * 3600 + m * 60 + sec);
	return true;
}

/* Loads zone name for a call; pytz's utc and a fixed offset (what %z and
 * fromisoformat() give) need no file. */
static int zone_file(struct tmpl_render *r, int line, const char *name, struct tzfile *f)
{
	char err[256];
	int32_t off = 0;
	if (is_utc_name(name) || fixed_offset_name(name, &off)) {
		memset(f, 0, sizeof *f);
		snprintf(f->name, sizeof f->name, "%s", name);
		f->dflt = (struct tz_type){ off, false, "" };
		snprintf(f->dflt.abbr, sizeof f->dflt.abbr, "%s", name);
		f->has_rule = true;
		f->std = f->dflt;
		return 0;
	}
	if (tzfile_load(f, name, err, sizeof err)) {
		tmpl_fail(r, line, "modules.pytz.timezone('%s'): %s", name, err);
		return -1;
	}
	return 0;
}

/* ---- dates and datetimes ---- */

struct dt {
	bool date_only;
	int64_t y;
	int mo, d, h, mi, s, us;
	bool aware;
	struct zone z;
};

static int native_dt(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c, struct tval *out);

/* "+HH:MM" (and ":SS" when there are seconds), as Python's str(). */
static void fmt_offset(char *buf, size_t n, int32_t off, const char *sep)
{
	char sign = off < 0 ? '-' : '+';
	int32_t a = off < 0 ? -off : off;
	if (a % 60)
		snprintf(buf, n, "%c%02d%s%02d%s%02d", sign, a / 3600, sep, a / 60 % 60, sep, a % 60);
	else
		snprintf(buf, n, "%c%02d%s%02d", sign, a / 3600, sep, a / 60 % 60);
}

/* A fixed offset as Python's datetime.timezone: UTC, or UTC+05:30. */
static void fixed_zone(struct zone *z, int32_t off)
{
	char o[24] = "";
	if (off)
		fmt_offset(o, sizeof o, off, ":");
	snprintf(z->name, sizeof z->name, "UTC%s", o);
	z->type = (struct tz_type){ off, false, "" };
	snprintf(z->type.abbr, sizeof z->type.abbr, "UTC%s", o);
}

static void fmt_dt(char *buf, size_t n, const struct dt *t, char sep)
{
	int k = snprintf(buf, n, "%04lld-%02d-%02d", (long long)t->y, t->mo, t->d);
	if (t->date_only || k < 0 || (size_t)k >= n)
		return;
	k += snprintf(buf + k, n - (size_t)k, "%c%02d:%02d:%02d", sep, t->h, t->mi, t->s);
	if (t->us && (size_t)k < n)
		k += snprintf(buf + k, n - (size_t)k, ".%06d", t->us);
	if (t->aware && (size_t)k < n)
		fmt_offset(buf + k, n - (size_t)k, t->z.type.off, ":");
}

static struct tval dt_value(struct tmpl_render *r, const struct dt *t)
{
	static const char *const date_methods[] = { "strftime", "isoformat", "replace", "weekday", "isoweekday",
						    "__add__", "__sub__", NULL };
	static const char *const dt_methods[] = { "strftime", "isoformat", "replace", "weekday", "isoweekday", "date",
						  "astimezone", "utcoffset", "tzname", "__add__", "__sub__", NULL };
	char s[96];
	fmt_dt(s, sizeof s, t, ' ');
	struct tval o = dbtm_obj_new(r, s, 20);
	size_t i = 0;
	dbtm_obj_set(&o, &i, "_type", dbtm_str(r, t->date_only ? "date" : "datetime"));
	dbtm_obj_set(&o, &i, "year", dbtm_num(t->y));
	dbtm_obj_set(&o, &i, "month", dbtm_num(t->mo));
	dbtm_obj_set(&o, &i, "day", dbtm_num(t->d));
	if (t->date_only) {
		dbtm_obj_methods(r, &o, &i, date_methods, native_dt);
		return o;
	}
	dbtm_obj_set(&o, &i, "hour", dbtm_num(t->h));
	dbtm_obj_set(&o, &i, "minute", dbtm_num(t->mi));
	dbtm_obj_set(&o, &i, "second", dbtm_num(t->s));
	dbtm_obj_set(&o, &i, "microsecond", dbtm_num(t->us));
	dbtm_obj_set(&o, &i, "tzinfo", t->aware ? tz_value(r, &t->z) : (struct tval){ .kind = TV_NONE });
	dbtm_obj_methods(r, &o, &i, dt_methods, native_dt);
	return o;
}

static void dt_of(const struct tval *v, struct dt *t)
{
	memset(t, 0, sizeof *t);
	t->date_only = strcmp(dbtm_obj_type(v), "date") == 0;
	t->y = dbtm_num_attr(v, "year");
	t->mo = (int)dbtm_num_attr(v, "month");
	t->d = (int)dbtm_num_attr(v, "day");
	if (t->date_only)
		return;
	t->h = (int)dbtm_num_attr(v, "hour");
	t->mi = (int)dbtm_num_attr(v, "minute");
	t->s = (int)dbtm_num_attr(v, "second");
	t->us = (int)dbtm_num_attr(v, "microsecond");
	const struct tval *tz = tval_get(v, "tzinfo");
	t->aware = tz && strcmp(dbtm_obj_type(tz), "tz") == 0;
	if (t->aware)
		zone_of(tz, &t->z);
}

/* Python's range checks, with its words. */
static int dt_check(struct tmpl_render *r, int line, const struct dt *t)
{
	const char *why = NULL;
	if (t->y < 1 || t->y > 9999)
		why = "year is out of range";
	else if (t->mo < 1 || t->mo > 12)
		why = "month must be in 1..12";
	else if (t->d < 1 || t->d > cal_days_in_month(t->y, t->mo))
		why = "day is out of range for month";
	else if (t->h < 0 || t->h > 23)
		why = "hour must be in 0..23";
	else if (t->mi < 0 || t->mi > 59)
		why = "minute must be in 0..59";
	else if (t->s < 0 || t->s > 59)
		why = "second must be in 0..59";
	else if (t->us < 0 || t->us > 999999)
		why = "microsecond must be in 0..999999";
	if (why)
		tmpl_fail(r, line, "ValueError: %s", why);
	return why ? -1 : 0;
}

/* Seconds since 1970 of the wall time, as if it were UTC. */
static int64_t dt_local_secs(const struct dt *t)
{
	return cal_days_from_civil(t->y, t->mo, t->d) * 86400 + t->h * 3600 + t->mi * 60 + t->s;
}

static void dt_set_local(struct dt *t, int64_t secs)
{
	int64_t days = secs / 86400 - (secs % 86400 < 0);
	int64_t rem = secs - days * 86400;
	int m, d;
	cal_civil_from_days(days, &t->y, &m, &d);
	t->mo = m;
	t->d = d;
	t->h = (int)(rem / 3600);
	t->mi = (int)(rem / 60 % 60);
	t->s = (int)(rem % 60);
}

/* The zone value given as tz, or an error. */
static int zone_arg(struct tmpl_render *r, const struct tmpl_call *c, const struct tval *tz, struct zone *z)
{
	if (!tz || strcmp(dbtm_obj_type(tz), "tz") != 0) {
		tmpl_fail(r, c->line, "%s(): the zone must be a time zone (modules.pytz.timezone(...))", c->name);
		return -1;
	}
	zone_of(tz, z);
	return 0;
}

/* Converts aware t to zone z (pytz's fromutc: the type in effect then). */
static int dt_to_zone(struct tmpl_render *r, int line, struct dt *t, const struct zone *z)
{
	int64_t utc = dt_local_secs(t) - t->z.type.off;
	struct tzfile f;
	if (zone_file(r, line, z->name, &f))
		return -1;
	t->z = *z;
	t->z.type = tzfile_at_utc(&f, utc);
	tzfile_free(&f);
	dt_set_local(t, utc + t->z.type.off);
	return 0;
}

/* The value of aware t in zone z (astimezone(), normalize()); a naive t
 * is an error, since its instant is unknown. */
static int convert_value(struct tmpl_render *r, const struct tmpl_call *c, struct dt *t, const struct zone *z,
			 struct tval *out)
{
	if (!t->aware) {
		tmpl_fail(r, c->line, "ValueError: %s() needs a datetime with a zone (localize() gives one)", c->name);
		return -1;
	}
	if (dt_to_zone(r, c->line, t, z))
		return -1;
	*out = dt_value(r, t);
	return 0;
}

/* strftime as Python does it: %f, %z and %Z by Python, the rest by the C
 * library (in the C locale, as Python's, which never sets LC_TIME). */
static int dt_strftime(struct tmpl_render *r, int line, const struct dt *t, const char *fmt, struct tval *out)
{
	struct buf f = { 0 };
	char tmp[32];
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			buf_addc(&f, *p);
			continue;
		}
		if (!p[1]) { /* a '%' at the end stays one, as in Python */
			buf_adds(&f, "%%");
			break;
		}
		p++;
		if (*p == 'f') {
			snprintf(tmp, sizeof tmp, "%06d", t->us);
			buf_adds(&f, tmp);
		} else if (*p == 'z') {
			if (t->aware) {
				fmt_offset(tmp, sizeof tmp, t->z.type.off, "");
				buf_adds(&f, tmp);
			}
		} else if (*p == 'Z') {
			if (t->aware)
				for (const char *a = t->z.type.abbr; *a; a++) {
					if (*a == '%')
						buf_addc(&f, '%');
					buf_addc(&f, *a);
				}
		} else {
			buf_addc(&f, '%');
			buf_addc(&f, *p);
		}
	}
	buf_addc(&f, 'x'); /* so that an empty result is not strftime's 0 */
	int64_t days = cal_days_from_civil(t->y, t->mo, t->d);
	struct tm tm = { .tm_year = (int)(t->y - 1900), .tm_mon = t->mo - 1, .tm_mday = t->d, .tm_hour = t->h,
			 .tm_min = t->mi, .tm_sec = t->s, .tm_wday = (cal_weekday(days) + 1) % 7,
			 .tm_yday = (int)(days - cal_days_from_civil(t->y, 1, 1)), .tm_isdst = -1 };
	size_t cap = f.len * 8 + 64, n = 0;
	char *res = NULL;
	while (cap <= (1u << 20)) {
		res = realloc(res, cap);
		if (!res)
			break;
		n = strftime(res, cap, buf_str(&f), &tm);
		if (n)
			break;
		cap *= 4;
	}
	buf_free(&f);
	if (!n) {
		free(res);
		tmpl_fail(r, line, "strftime('%s'): the result is too long", fmt);
		return -1;
	}
	*out = tval_str(r, res, n - 1);
	free(res);
	return 0;
}

static int dt_replace(struct tmpl_render *r, const struct tmpl_call *c, struct dt *t)
{
	static const char *const names[] = { "year", "month", "day", "hour", "minute", "second", "microsecond" };
	if (c->nargs) {
		tmpl_fail(r, c->line, "replace() takes keyword arguments only");
		return -1;
	}
	for (size_t k = 0; k < c->nkw; k++) {
		const struct tval *v = &c->kwargs[k];
		const char *n = c->kwnames[k];
		if (strcmp(n, "tzinfo") == 0 && !t->date_only) {
			if (v->kind == TV_NONE)
				t->aware = false;
			else if (zone_arg(r, c, v, &t->z))
				return -1;
			else
				t->aware = true;
			continue;
		}
		size_t i = 0;
		while (i < (t->date_only ? 3u : 7u) && strcmp(names[i], n) != 0)
			i++;
		if (i == (t->date_only ? 3u : 7u) || v->kind != TV_NUM || v->real) {
			tmpl_fail(r, c->line, "replace(): '%s' is not an integer field of a %s", n,
				  t->date_only ? "date" : "datetime");
			return -1;
		}
		long x = (long)v->num;
		switch (i) {
		case 0: t->y = x; break;
		case 1: t->mo = (int)x; break;
		case 2: t->d = (int)x; break;
		case 3: t->h = (int)x; break;
		case 4: t->mi = (int)x; break;
		case 5: t->s = (int)x; break;
		default: t->us = (int)x;
		}
	}
	return dt_check(r, c->line, t);
}

/* v (a date or datetime) moved by us microseconds: a date by the whole
 * days of it, as Python's date + timedelta; an aware datetime keeps its
 * offset (pytz's normalize() gives the one in force). */
static int dt_shift(struct tmpl_render *r, const struct tmpl_call *c, const struct tval *v, int64_t us,
		    struct tval *out)
{
	struct dt t;
	dt_of(v, &t);
	int64_t day = 86400 * (int64_t)1000000;
	int64_t total = t.date_only ? (dt_local_secs(&t) / 86400 + us / day - (us % day < 0)) * day
				    : dt_local_secs(&t) * 1000000 + t.us + us;
	int64_t secs = total / 1000000 - (total % 1000000 < 0);
	t.us = (int)(total - secs * 1000000);
	dt_set_local(&t, secs);
	if (t.y < 1 || t.y > 9999) {
		tmpl_fail(r, c->line, "OverflowError: date value out of range");
		return -1;
	}
	*out = dt_value(r, &t);
	return 0;
}

/* self - o for a date or datetime o: the timedelta between them, by
 * their instants when both have a zone. */
static int dt_diff(struct tmpl_render *r, const struct tmpl_call *c, const struct dt *a, const struct tval *o,
		   struct tval *out)
{
	struct dt b;
	dt_of(o, &b);
	if (a->date_only != b.date_only || a->aware != b.aware) {
		tmpl_fail(r, c->line, "TypeError: cannot subtract a %s%s from a %s%s", b.aware ? "zoned " : "",
			  b.date_only ? "date" : "datetime", a->aware ? "zoned " : "", a->date_only ? "date" : "datetime");
		return -1;
	}
	int64_t ua = (dt_local_secs(a) - (a->aware ? a->z.type.off : 0)) * 1000000 + a->us;
	int64_t ub = (dt_local_secs(&b) - (b.aware ? b.z.type.off : 0)) * 1000000 + b.us;
	*out = timedelta_value(r, ua - ub);
	return 0;
}

static int native_dt(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c, struct tval *out)
{
	struct dt t;
	dt_of(self, &t);
	if (c->name[0] == '_') {
		/* __add__ and __sub__ */
		const struct tval *o = tmpl_call_arg(c, 0, NULL);
		const char *type = o ? dbtm_obj_type(o) : "";
		if (strcmp(type, "timedelta") == 0) {
			/* a date moves by the timedelta's days either way, as
			 * Python's date - timedelta(days=30, hours=5) is 30 days */
			int64_t day = 86400 * (int64_t)1000000, us = td_us(o);
			if (t.date_only)
				us = (us / day - (us % day < 0)) * day;
			return dt_shift(r, c, self, c->name[2] == 'a' ? us : -us, out);
		}
		if (c->name[2] == 's' && (strcmp(type, "date") == 0 || strcmp(type, "datetime") == 0))
			return dt_diff(r, c, &t, o, out);
		tmpl_fail(r, c->line, "TypeError: unsupported operand types for %s: '%s' and '%s'",
			  c->name[2] == 'a' ? "+" : "-", t.date_only ? "date" : "datetime", *type ? type : "value");
		return -1;
	}
	const char *m = c->name;
	int64_t days = cal_days_from_civil(t.y, t.mo, t.d);
	if (strcmp(m, "strftime") == 0) {
		const struct tval *f = tmpl_call_arg(c, 0, "format");
		if (!f || f->kind != TV_STR) {
			tmpl_fail(r, c->line, "strftime() needs a format string");
			return -1;
		}
		return dt_strftime(r, c->line, &t, f->s, out);
	}
	if (strcmp(m, "isoformat") == 0) {
		const struct tval *sep = tmpl_call_arg(c, 0, "sep");
		char s[96];
		fmt_dt(s, sizeof s, &t, sep && sep->kind == TV_STR && sep->n == 1 ? sep->s[0] : 'T');
		*out = dbtm_str(r, s);
		return 0;
	}
	if (strcmp(m, "weekday") == 0 || strcmp(m, "isoweekday") == 0) {
		*out = dbtm_num(cal_weekday(days) + (m[0] == 'i'));
		return 0;
	}
	if (strcmp(m, "replace") == 0) {
		if (dt_replace(r, c, &t))
			return -1;
		*out = dt_value(r, &t);
		return 0;
	}
	if (strcmp(m, "date") == 0) {
		t.date_only = true;
		*out = dt_value(r, &t);
		return 0;
	}
	if (strcmp(m, "utcoffset") == 0 || strcmp(m, "tzname") == 0) {
		if (!t.aware)
			*out = (struct tval){ .kind = TV_NONE };
		else if (m[0] == 't')
			*out = dbtm_str(r, t.z.type.abbr);
		else
			*out = timedelta_value(r, (int64_t)t.z.type.off * 1000000);
		return 0;
	}
	/* astimezone(tz) */
	struct zone z;
	if (zone_arg(r, c, tmpl_call_arg(c, 0, "tz"), &z))
		return -1;
	return convert_value(r, c, &t, &z, out);
}

/* A datetime value given as the argument i of c, or an error. */
static int dt_arg(struct tmpl_render *r, const struct tmpl_call *c, size_t i, const char *kw, struct dt *t)
{
	const struct tval *v = tmpl_call_arg(c, i, kw);
	if (!v || strcmp(dbtm_obj_type(v), "datetime") != 0) {
		tmpl_fail(r, c->line, "%s() needs a datetime (modules.datetime.datetime(...))", c->name);
		return -1;
	}
	dt_of(v, t);
	return 0;
}

/* A pytz zone's localize(dt, is_dst=False), normalize(dt), utcoffset(dt,
 * is_dst=None) and tzname(dt, is_dst=None); is_dst=None raises, as pytz
 * does, for a time that happens twice or never. */
static int native_tz(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c, struct tval *out)
{
	struct zone z;
	zone_of(self, &z);
	struct dt t;
	if (dt_arg(r, c, 0, "dt", &t))
		return -1;
	if (strcmp(c->name, "normalize") == 0)
		return convert_value(r, c, &t, &z, out);
	if (t.aware && strcmp(c->name, "localize") == 0) {
		tmpl_fail(r, c->line, "ValueError: Not naive datetime (tzinfo is already set)");
		return -1;
	}
	/* is_dst=None refuses to guess; it is the default of utcoffset() and
	 * tzname(), while localize() defaults to False */
	const struct tval *is_dst = tmpl_call_arg(c, 1, "is_dst");
	bool guess = strcmp(c->name, "localize") == 0 ? !is_dst || is_dst->kind != TV_NONE
						       : is_dst && is_dst->kind != TV_NONE;
	struct tzfile f;
	if (zone_file(r, c->line, z.name, &f))
		return -1;
	enum tz_fit fit = t.aware || guess ? TZ_FIT_ONE : tzfile_fit(&f, dt_local_secs(&t));
	/* an aware datetime's own offset decides; a naive one is localized */
	z.type = t.aware ? tzfile_at_utc(&f, dt_local_secs(&t) - t.z.type.off)
			 : tzfile_localize(&f, dt_local_secs(&t), is_dst && tval_truthy(is_dst));
	tzfile_free(&f);
	if (fit != TZ_FIT_ONE) {
		char when[96];
		fmt_dt(when, sizeof when, &t, ' ');
		tmpl_fail(r, c->line, "%s: %s",
			  fit == TZ_FIT_AMBIGUOUS ? "pytz.exceptions.AmbiguousTimeError" : "pytz.exceptions.NonExistentTimeError",
			  when);
		return -1;
	}
	if (strcmp(c->name, "utcoffset") == 0)
		*out = timedelta_value(r, (int64_t)z.type.off * 1000000);
	else if (strcmp(c->name, "tzname") == 0)
		*out = dbtm_str(r, z.type.abbr);
	else {
		t.aware = true;
		t.z = z;
		*out = dt_value(r, &t);
	}
	return 0;
}

/* modules.pytz.timezone(name): the zone with pytz's default type. */
static int call_timezone(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	const struct tval *name = tmpl_call_arg(c, 0, "zone");
	if (!name || name->kind != TV_STR) {
		tmpl_fail(r, c->line, "modules.pytz.timezone() needs a zone name");
		return -1;
	}
	struct tzfile f;
	if (zone_file(r, c->line, name->s, &f))
		return -1;
	struct zone z;
	snprintf(z.name, sizeof z.name, "%s", f.name);
	z.type = f.dflt;
	tzfile_free(&f);
	*out = tz_value(r, &z);
	return 0;
}

/* datetime(year, month, day, hour=0, minute=0, second=0, microsecond=0,
 * tzinfo=None) and date(year, month, day). */
static int call_datetime(struct tmpl_render *r, const struct tmpl_call *c, bool date_only, struct tval *out)
{
	static const char *const names[] = { "year", "month", "day", "hour", "minute", "second", "microsecond" };
	long v[7] = { 0 };
	size_t n = date_only ? 3 : 7;
	if (c->nargs > n + !date_only) {
		tmpl_fail(r, c->line, "%s() takes at most %zu arguments", c->name, n + !date_only);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (i < 3 && !tmpl_call_arg(c, i, names[i])) {
			tmpl_fail(r, c->line, "%s(): missing the %s", c->name, names[i]);
			return -1;
		}
		if (dbtm_int_arg(r, c, i, names[i], 0, &v[i]))
			return -1;
	}
	struct dt t = { date_only, v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5], (int)v[6], false,
			{ "", { 0, false, "" } } };
	const struct tval *tz = date_only ? NULL : tmpl_call_arg(c, 7, "tzinfo");
	if (tz && tz->kind != TV_NONE) {
		if (zone_arg(r, c, tz, &t.z))
			return -1;
		t.aware = true;
	}
	if (dt_check(r, c->line, &t))
		return -1;
	*out = dt_value(r, &t);
	return 0;
}

/* Python's repr() of a string, for its messages. */
static const char *py_repr(struct tmpl_render *r, const struct tval *v)
{
	return tval_repr(r, v).s;
}

/* datetime.strptime(date_string, format), as Python reads it (see
 * strptime.h), failing with Python's words. */
static int call_strptime(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	const struct tval *s = tmpl_call_arg(c, 0, "date_string"), *f = tmpl_call_arg(c, 1, "format");
	if (!s || !f || s->kind != TV_STR || f->kind != TV_STR || c->nargs > 2) {
		tmpl_fail(r, c->line, "TypeError: strptime() takes a string and a format string");
		return -1;
	}
	bool python_knows;
	const char *bad = strptime_python_unsupported(f->s, &python_knows);
	if (bad && python_knows) {
		tmpl_fail(r, c->line, "unsupported construct: strptime directive %s (modelrun's modules: see modelrun(1))",
			  bad);
		return -1;
	}
	if (bad && !bad[1]) {
		tmpl_fail(r, c->line, "ValueError: stray %% in format %s", py_repr(r, f));
		return -1;
	}
	if (bad) {
		tmpl_fail(r, c->line, "ValueError: '%c' is a bad directive in format %s", bad[1], py_repr(r, f));
		return -1;
	}
	struct civil cv;
	size_t used = 0;
	switch (strptime_python(f->s, s->s, s->n, &cv, &used)) {
	case STRPTIME_NO_MATCH:
		tmpl_fail(r, c->line, "ValueError: time data %s does not match format %s", py_repr(r, s), py_repr(r, f));
		return -1;
	case STRPTIME_LEFT_OVER:
		tmpl_fail(r, c->line, "ValueError: unconverted data remains: %s", s->s + used);
		return -1;
	case STRPTIME_BAD_DATE:
		tmpl_fail(r, c->line, "ValueError: %s", cv.year == 0 ? "year 0 is out of range" : "day is out of range for month");
		return -1;
	case STRPTIME_OK:
		break;
	}
	struct dt t = { false, cv.year, cv.month, cv.day, cv.hour, cv.minute, cv.second, (int)cv.micros, cv.has_offset,
			{ "", { 0, false, "" } } };
	if (cv.has_offset)
		fixed_zone(&t.z, cv.offset_minutes * 60);
	*out = dt_value(r, &t);
	return 0;
}

/* Reads n digits at *p into *v. */
static bool iso_digits(const char **p, const char *end, int n, int *v)
{
	if (end - *p < n)
		return false;
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

/* An ISO 8601 date as Python 3.11's fromisoformat() reads it: 2021-03-04,
 * 20210304, or a week date 2021-W09-4, 2021W094 (Monday when the day is
 * left out). The month and day are checked later (dt_check). */
static bool iso_date(const char **p, const char *end, struct dt *t)
{
	int y, a, b = 1;
	if (!iso_digits(p, end, 4, &y))
		return false;
	bool ext = *p < end && **p == '-';
	*p += ext;
	t->y = y;
	if (*p < end && **p == 'W') {
		(*p)++;
		if (!iso_digits(p, end, 2, &a) || a < 1 || a > 53)
			return false;
		if (*p < end && (!ext || **p == '-')) {
			*p += ext;
			if (!iso_digits(p, end, 1, &b) || b < 1 || b > 7)
				return false;
		}
		int64_t jan4 = cal_days_from_civil(y, 1, 4);
		int64_t day = jan4 - cal_weekday(jan4) + (a - 1) * 7 + (b - 1);
		cal_civil_from_days(day, &t->y, &t->mo, &t->d);
		return true;
	}
	if (!iso_digits(p, end, 2, &a) || (ext && !(*p < end && *(*p)++ == '-')) || !iso_digits(p, end, 2, &b))
		return false;
	t->mo = a;
	t->d = b;
	return true;
}

/* HH[[:]MM[[:]SS[.fff]]], the fraction with '.' or ',' and cut to
 * microseconds; the hour and minute are checked later. */
static bool iso_time(const char **p, const char *end, int *h, int *mi, int *sec, int *us)
{
	int *parts[3] = { h, mi, sec };
	*mi = *sec = *us = 0;
	for (int i = 0; i < 3; i++) {
		if (i > 0 && (*p == end || **p == 'Z' || **p == '+' || **p == '-' || **p == '.' || **p == ','))
			return true;
		if (i > 0 && **p == ':')
			(*p)++;
		if (!iso_digits(p, end, 2, parts[i]))
			return false;
	}
	if (*p < end && (**p == '.' || **p == ',')) {
		(*p)++;
		int n = 0;
		for (; *p < end && **p >= '0' && **p <= '9'; (*p)++, n++)
			if (n < 6)
				*us = *us * 10 + (**p - '0');
		if (!n)
			return false;
		for (; n < 6; n++)
			*us *= 10;
	}
	return true;
}

/* datetime.fromisoformat(s) and date.fromisoformat(s), Python 3.11's. */
static int call_fromisoformat(struct tmpl_render *r, const struct tmpl_call *c, bool date_only, struct tval *out)
{
	const struct tval *s = tmpl_call_arg(c, 0, "date_string");
	if (!s || s->kind != TV_STR || c->nargs > 1) {
		tmpl_fail(r, c->line, "TypeError: fromisoformat: argument must be str");
		return -1;
	}
	const char *p = s->s, *end = s->s + s->n;
	struct dt t = { date_only, 0, 0, 0, 0, 0, 0, 0, false, { "", { 0, false, "" } } };
	bool ok = iso_date(&p, end, &t);
	if (ok && !date_only && p < end) {
		p++; /* the separator: any character */
		ok = iso_time(&p, end, &t.h, &t.mi, &t.s, &t.us);
		if (ok && p < end && *p == 'Z') {
			p++;
			t.aware = true;
			fixed_zone(&t.z, 0);
		} else if (ok && p < end && (*p == '+' || *p == '-')) {
			int sign = *p++ == '-' ? -1 : 1, oh, om, os, ous;
			ok = iso_time(&p, end, &oh, &om, &os, &ous) && oh < 24 && om < 60 && os < 60;
			t.aware = true;
			fixed_zone(&t.z, sign * (oh * 3600 + om * 60 + os));
		}
	}
	if (!ok || p != end) {
		tmpl_fail(r, c->line, "ValueError: Invalid isoformat string: %s", py_repr(r, s));
		return -1;
	}
	if (dt_check(r, c->line, &t))
		return -1;
	*out = dt_value(r, &t);
	return 0;
}

/* now([tz]), utcnow(), today() and date.today(), from the system clock;
 * local time is the process's (TZ, /etc/localtime), as Python's. */
static int call_now(struct tmpl_render *r, const struct tmpl_call *c, const char *which, bool date_only,
		    struct tval *out)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	const struct tval *tz = strcmp(which, "now") == 0 ? tmpl_call_arg(c, 0, "tz") : NULL;
	bool utc = strcmp(which, "utcnow") == 0 || (tz && tz->kind != TV_NONE);
	if (utc)
		gmtime_r(&ts.tv_sec, &tm);
	else
		localtime_r(&ts.tv_sec, &tm);
	struct dt t = { date_only, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			tm.tm_sec > 59 ? 59 : tm.tm_sec, (int)(ts.tv_nsec / 1000), false, { "", { 0, false, "" } } };
	if (tz && tz->kind != TV_NONE) {
		struct zone z;
		if (zone_arg(r, c, tz, &z))
			return -1;
		t.aware = true;
		snprintf(t.z.name, sizeof t.z.name, "UTC");
		t.z.type = (struct tz_type){ 0, false, "UTC" };
		if (dt_to_zone(r, c->line, &t, &z))
			return -1;
	}
	*out = dt_value(r, &t);
	return 0;
}

/* ---- the modules ---- */

static int native_module_fn(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c,
			    struct tval *out)
{
	(void)self;
	return dbt_modules_call(r, c, out);
}

/* modules.m.a.b(...) that is none of the functions above: a method of a
 * module's attribute (modules.pytz.utc.localize(dt)). 1 when m is not one
 * of these modules: the host says what it lacks. */
static int call_attribute(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	char path[256];
	snprintf(path, sizeof path, "%s", c->name);
	char *mod_end = strchr(path + 8, '.');
	if (mod_end)
		*mod_end = '\0';
	struct tval v;
	if (dbt_modules_global(r, path, &v) != 0)
		return 1;
	for (char *p = mod_end ? mod_end + 1 : NULL, *dot; p && v.kind != TV_FUNC; p = dot ? dot + 1 : NULL) {
		dot = strchr(p, '.');
		if (dot)
			*dot = '\0';
		const struct tval *a = tval_get(&v, p);
		if (!a || (a->kind == TV_FUNC && dot))
			break;
		v = *a;
		if (v.kind == TV_FUNC && !dot)
			return tmpl_call_with(r, &v, c, out);
	}
	tmpl_fail(r, c->line, "unsupported construct: function '%s()' (modelrun's modules: see modelrun(1))", c->name);
	return -1;
}

int dbt_modules_call(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	const char *n = c->name;
	if (strncmp(n, "modules.", 8) != 0)
		return 1;
	n += 8;
	if (strcmp(n, "datetime.date") == 0 || strcmp(n, "datetime.datetime") == 0)
		return call_datetime(r, c, n[13] == '\0', out);
	if (strcmp(n, "datetime.datetime.now") == 0 || strcmp(n, "datetime.datetime.utcnow") == 0 ||
	    strcmp(n, "datetime.datetime.today") == 0)
		return call_now(r, c, n + 18, false, out);
	if (strcmp(n, "datetime.date.today") == 0)
		return call_now(r, c, "today", true, out);
	if (strcmp(n, "datetime.datetime.strptime") == 0)
		return call_strptime(r, c, out);
	if (strcmp(n, "datetime.datetime.fromisoformat") == 0 || strcmp(n, "datetime.date.fromisoformat") == 0)
		return call_fromisoformat(r, c, n[13] == '.', out);
	if (strcmp(n, "datetime.timedelta") == 0)
		return call_timedelta(r, c, out);
	if (strcmp(n, "pytz.timezone") == 0)
		return call_timezone(r, c, out);
	int rc = strncmp(n, "re.", 3) == 0 ? dbtm_re_call(r, c, n + 3, out) : 1;
	return rc != 1 ? rc : call_attribute(r, c, out);
}


int dbt_modules_global(struct tmpl_render *r, const char *name, struct tval *out)
{
	size_t i = 0;
	if (strcmp(name, "modules.re") == 0) {
		dbtm_re_module(r, out, native_module_fn);
	} else if (strcmp(name, "modules.pytz") == 0) {
		struct zone utc = { "UTC", { 0, false, "UTC" } };
		*out = dbtm_obj_new(r, "<module 'pytz'>", 3);
		dbtm_obj_set(out, &i, "utc", tz_value(r, &utc));
		dbtm_obj_set(out, &i, "UTC", out->items[0]);
		dbtm_obj_set(out, &i, "timezone", tval_native(r, "modules.pytz.timezone", native_module_fn, out));
	} else if (strcmp(name, "modules.datetime") == 0) {
		*out = dbtm_obj_new(r, "<module 'datetime'>", 4);
		dbtm_obj_set(out, &i, "MINYEAR", dbtm_num(1));
		dbtm_obj_set(out, &i, "MAXYEAR", dbtm_num(9999));
		dbtm_obj_set(out, &i, "date", tval_native(r, "modules.datetime.date", native_module_fn, out));
		dbtm_obj_set(out, &i, "timedelta", tval_native(r, "modules.datetime.timedelta", native_module_fn, out));
	} else {
		return 1;
	}
	return 0;
}
