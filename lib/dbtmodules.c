/* SPDX-License-Identifier: MIT
 * dbt's modules.datetime, modules.pytz and modules.re; see dbtmodules.h.
 *
 * The template engine has no objects, so a Python object is a string
 * value with attributes (what tval_get() reads): the string is the
 * object's str(), the attributes its fields, and its methods are native
 * functions bound to it. A hidden attribute "_type" says what it is.
 * Nothing is kept between calls: a zone is read from its file each time
 * it is named (a few KiB), which a model does a handful of times. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "dbtmodules.h"

#include <math.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "caltime.h"
#include "tzfile.h"
#include "xalloc.h"

/* ---- values with attributes ---- */

static struct tval str_value(struct tmpl_render *r, const char *s)
{
	return tval_str(r, s, strlen(s));
}

/* An object printing as str, with room for n attributes (set with
 * obj_set(), *i counting them from 0). */
static struct tval obj_new(struct tmpl_render *r, const char *str, size_t n)
{
	struct tval o = str_value(r, str);
	o.items = tval_alloc(r, n);
	o.keys = tval_alloc_keys(r, n);
	return o;
}

static void obj_set(struct tval *o, size_t *i, const char *key, struct tval v)
{
	o->keys[*i] = key;
	o->items[(*i)++] = v;
	o->nattr = *i;
}

/* Binds each name of methods to fn with o as self; the last attributes
 * to be set, since self is a copy of o that shares its items. */
static void obj_methods(struct tmpl_render *r, struct tval *o, size_t *i, const char *const *methods, tmpl_native fn)
{
	size_t first = *i;
	for (const char *const *m = methods; *m; m++)
		obj_set(o, i, *m, (struct tval){ .kind = TV_NONE });
	for (size_t k = first; k < *i; k++)
		o->items[k] = tval_native(r, o->keys[k], fn, o);
}

static const char *obj_type(const struct tval *v)
{
	const struct tval *t = v->kind == TV_STR && v->nattr ? tval_get(v, "_type") : NULL;
	return t && t->kind == TV_STR ? t->s : "";
}

static long num_attr(const struct tval *o, const char *k)
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
static int int_arg(struct tmpl_render *r, const struct tmpl_call *c, size_t i, const char *kw, long dflt, long *v)
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

static struct tval num_value(int64_t v)
{
	return (struct tval){ .kind = TV_NUM, .num = (double)v };
}

/* ---- timedelta ---- */

static int native_td(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c, struct tval *out);

/* A timedelta of us microseconds: str() as Python prints it
 * ("-1 day, 16:07:00", "0:00:00.500000"). */
static struct tval timedelta_value(struct tmpl_render *r, int64_t us)
{
	static const char *const methods[] = { "total_seconds", NULL };
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
	struct tval o = obj_new(r, s, 6);
	size_t i = 0;
	obj_set(&o, &i, "_type", str_value(r, "timedelta"));
	obj_set(&o, &i, "days", num_value(days));
	obj_set(&o, &i, "seconds", num_value(secs));
	obj_set(&o, &i, "microseconds", num_value(micro));
	obj_set(&o, &i, "_us", num_value(us));
	obj_methods(r, &o, &i, methods, native_td);
	return o;
}

static int native_td(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c, struct tval *out)
{
	(void)r;
	(void)c;
	const struct tval *us = tval_get(self, "_us");
	*out = (struct tval){ .kind = TV_NUM, .real = true, .num = us ? us->num / 1e6 : 0 };
	return 0;
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
	struct tval o = obj_new(r, z->name, 9);
	size_t i = 0;
	obj_set(&o, &i, "_type", str_value(r, "tz"));
	obj_set(&o, &i, "zone", str_value(r, z->name));
	obj_set(&o, &i, "_off", (struct tval){ .kind = TV_NUM, .num = z->type.off });
	obj_set(&o, &i, "_dst", (struct tval){ .kind = TV_BOOL, .b = z->type.dst });
	obj_set(&o, &i, "_abbr", str_value(r, z->type.abbr));
	obj_methods(r, &o, &i, methods, native_tz);
	return o;
}

static void zone_of(const struct tval *tz, struct zone *z)
{
	snprintf(z->name, sizeof z->name, "%s", str_attr(tz, "zone"));
	z->type.off = (int32_t)num_attr(tz, "_off");
	const struct tval *d = tval_get(tz, "_dst");
	z->type.dst = d && d->kind == TV_BOOL && d->b;
	snprintf(z->type.abbr, sizeof z->type.abbr, "%s", str_attr(tz, "_abbr"));
}

static bool is_utc_name(const char *name)
{
	return strcasecmp(name, "UTC") == 0;
}

/* Loads zone name for a call; pytz's utc needs no file. */
static int zone_file(struct tmpl_render *r, int line, const char *name, struct tzfile *f)
{
	char err[256];
	if (is_utc_name(name)) {
		memset(f, 0, sizeof *f);
		snprintf(f->name, sizeof f->name, "UTC");
		f->dflt = (struct tz_type){ 0, false, "UTC" };
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
	static const char *const date_methods[] = { "strftime", "isoformat", "replace", "weekday", "isoweekday", NULL };
	static const char *const dt_methods[] = { "strftime", "isoformat", "replace", "weekday", "isoweekday", "date",
						  "astimezone", "utcoffset", "tzname", NULL };
	char s[96];
	fmt_dt(s, sizeof s, t, ' ');
	struct tval o = obj_new(r, s, 20);
	size_t i = 0;
	obj_set(&o, &i, "_type", str_value(r, t->date_only ? "date" : "datetime"));
	obj_set(&o, &i, "year", num_value(t->y));
	obj_set(&o, &i, "month", num_value(t->mo));
	obj_set(&o, &i, "day", num_value(t->d));
	if (t->date_only) {
		obj_methods(r, &o, &i, date_methods, native_dt);
		return o;
	}
	obj_set(&o, &i, "hour", num_value(t->h));
	obj_set(&o, &i, "minute", num_value(t->mi));
	obj_set(&o, &i, "second", num_value(t->s));
	obj_set(&o, &i, "microsecond", num_value(t->us));
	obj_set(&o, &i, "tzinfo", t->aware ? tz_value(r, &t->z) : (struct tval){ .kind = TV_NONE });
	obj_methods(r, &o, &i, dt_methods, native_dt);
	return o;
}

static void dt_of(const struct tval *v, struct dt *t)
{
	memset(t, 0, sizeof *t);
	t->date_only = strcmp(obj_type(v), "date") == 0;
	t->y = num_attr(v, "year");
	t->mo = (int)num_attr(v, "month");
	t->d = (int)num_attr(v, "day");
	if (t->date_only)
		return;
	t->h = (int)num_attr(v, "hour");
	t->mi = (int)num_attr(v, "minute");
	t->s = (int)num_attr(v, "second");
	t->us = (int)num_attr(v, "microsecond");
	const struct tval *tz = tval_get(v, "tzinfo");
	t->aware = tz && strcmp(obj_type(tz), "tz") == 0;
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
	if (!tz || strcmp(obj_type(tz), "tz") != 0) {
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
		if (*p != '%' || !p[1]) {
			buf_addc(&f, *p);
			continue;
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

static int native_dt(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c, struct tval *out)
{
	struct dt t;
	dt_of(self, &t);
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
		*out = str_value(r, s);
		return 0;
	}
	if (strcmp(m, "weekday") == 0 || strcmp(m, "isoweekday") == 0) {
		*out = num_value(cal_weekday(days) + (m[0] == 'i'));
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
			*out = str_value(r, t.z.type.abbr);
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
	if (!v || strcmp(obj_type(v), "datetime") != 0) {
		tmpl_fail(r, c->line, "%s() needs a datetime (modules.datetime.datetime(...))", c->name);
		return -1;
	}
	dt_of(v, t);
	return 0;
}

/* A pytz zone's localize(dt, is_dst=False), normalize(dt), utcoffset(dt)
 * and tzname(dt). */
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
	const struct tval *is_dst = tmpl_call_arg(c, 1, "is_dst");
	struct tzfile f;
	if (zone_file(r, c->line, z.name, &f))
		return -1;
	/* an aware datetime's own offset decides; a naive one is localized */
	z.type = t.aware ? tzfile_at_utc(&f, dt_local_secs(&t) - t.z.type.off)
			 : tzfile_localize(&f, dt_local_secs(&t), is_dst && tval_truthy(is_dst));
	tzfile_free(&f);
	if (strcmp(c->name, "utcoffset") == 0)
		*out = timedelta_value(r, (int64_t)z.type.off * 1000000);
	else if (strcmp(c->name, "tzname") == 0)
		*out = str_value(r, z.type.abbr);
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
		if (int_arg(r, c, i, names[i], 0, &v[i]))
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

/* ---- re, through PCRE2 ---- */

/* Python's flag values. */
enum { RE_I = 2, RE_M = 8, RE_S = 16, RE_X = 64, RE_A = 256 };

struct rx {
	pcre2_code *code;
	pcre2_match_data *md;
	const char *pattern;
	long flags;
	uint32_t ngroups;
};

static void rx_free(struct rx *x)
{
	pcre2_match_data_free(x->md);
	pcre2_code_free(x->code);
}

/* Compiles a pattern given as a string or a compiled pattern, with
 * Python's flags. Python's \Z (the very end) is PCRE2's \z; the rest of
 * Python's syntax PCRE2 reads alike ((?P<name>...), (?P=name), \A, \b,
 * lookarounds, lazy quantifiers). */
static int rx_compile(struct tmpl_render *r, const struct tmpl_call *c, const struct tval *pat, long flags,
		      struct rx *x)
{
	memset(x, 0, sizeof *x);
	if (pat && strcmp(obj_type(pat), "pattern") == 0) {
		flags |= num_attr(pat, "flags");
		pat = tval_get(pat, "pattern");
	}
	if (!pat || pat->kind != TV_STR) {
		tmpl_fail(r, c->line, "%s(): the pattern must be a string", c->name);
		return -1;
	}
	struct buf p = { 0 };
	for (size_t i = 0; i < pat->n; i++) {
		if (pat->s[i] == '\\' && i + 1 < pat->n) {
			buf_addc(&p, '\\');
			buf_addc(&p, pat->s[i + 1] == 'Z' ? 'z' : pat->s[i + 1]);
			i++;
		} else {
			buf_addc(&p, pat->s[i]);
		}
	}
	uint32_t opt = PCRE2_UTF | ((flags & RE_A) ? 0 : PCRE2_UCP) | ((flags & RE_I) ? PCRE2_CASELESS : 0) |
		       ((flags & RE_M) ? PCRE2_MULTILINE : 0) | ((flags & RE_S) ? PCRE2_DOTALL : 0) |
		       ((flags & RE_X) ? PCRE2_EXTENDED : 0);
	int code;
	PCRE2_SIZE off;
	x->code = pcre2_compile((PCRE2_SPTR)p.data, p.len, opt, &code, &off, NULL);
	buf_free(&p);
	if (!x->code) {
		char msg[160];
		pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg);
		tmpl_fail(r, c->line, "%s(): re.error: %s at position %zu of '%s'", c->name, msg, (size_t)off, pat->s);
		return -1;
	}
	pcre2_pattern_info(x->code, PCRE2_INFO_CAPTURECOUNT, &x->ngroups);
	x->md = pcre2_match_data_create_from_pattern(x->code, NULL);
	x->pattern = pat->s;
	x->flags = flags;
	return 0;
}

/* The next match in s from byte start: 1, 0 for none, -1 after a
 * failure. After an empty match at start, notempty asks for a non-empty
 * one there (Python's rule for the match after an empty one). */
static int rx_next(struct tmpl_render *r, int line, struct rx *x, const struct tval *s, size_t start,
		   uint32_t opts)
{
	int rc = pcre2_match(x->code, (PCRE2_SPTR)s->s, s->n, start, opts, x->md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		char msg[160];
		pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof msg);
		tmpl_fail(r, line, "re: matching '%s': %s", x->pattern, msg);
		return -1;
	}
	return 1;
}

/* Group g of the last match: its bytes, or false when it took no part. */
static bool rx_group(const struct rx *x, uint32_t g, size_t *b, size_t *e)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(x->md);
	if (g > x->ngroups || ov[2 * g] == PCRE2_UNSET)
		return false;
	*b = ov[2 * g];
	*e = ov[2 * g + 1];
	return true;
}

static struct tval rx_group_value(struct tmpl_render *r, const struct rx *x, const struct tval *s, uint32_t g,
				  const struct tval *dflt)
{
	size_t b = 0, e = 0;
	if (!rx_group(x, g, &b, &e))
		return dflt ? *dflt : (struct tval){ .kind = TV_NONE };
	return tval_str(r, s->s + b, e - b);
}

/* Python counts characters, not bytes. */
static int64_t char_index(const struct tval *s, size_t byte)
{
	int64_t n = 0;
	for (size_t i = 0; i < byte && i < s->n; i++)
		n += ((unsigned char)s->s[i] & 0xC0) != 0x80;
	return n;
}

static int native_match(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c,
			struct tval *out);

/* A match object: groups as a list, spans as a list of (start, end) in
 * characters, group names as a dict of numbers. */
static struct tval match_value(struct tmpl_render *r, const struct rx *x, const struct tval *s)
{
	static const char *const methods[] = { "group", "groups", "groupdict", "start", "end", "span", NULL };
	struct tval groups = tval_list_new(r, x->ngroups + 1), spans = tval_list_new(r, x->ngroups + 1);
	for (uint32_t g = 0; g <= x->ngroups; g++) {
		groups.items[g] = rx_group_value(r, x, s, g, NULL);
		size_t b = 0, e = 0;
		bool in = rx_group(x, g, &b, &e);
		struct tval sp = tval_list_new(r, 2);
		sp.tuple = true;
		sp.items[0] = num_value(in ? char_index(s, b) : -1);
		sp.items[1] = num_value(in ? char_index(s, e) : -1);
		spans.items[g] = sp;
	}
	uint32_t nnames = 0, entry = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(x->code, PCRE2_INFO_NAMECOUNT, &nnames);
	pcre2_pattern_info(x->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
	pcre2_pattern_info(x->code, PCRE2_INFO_NAMETABLE, &table);
	struct tval names = tval_dict_new(r, nnames);
	for (uint32_t i = 0; i < nnames; i++) {
		const unsigned char *e = table + i * entry;
		names.keys[i] = tval_str(r, (const char *)e + 2, strlen((const char *)e + 2)).s;
		names.items[i] = num_value(e[0] << 8 | e[1]);
	}
	struct buf rep = { 0 };
	buf_printf(&rep, "<re.Match object; span=(%lld, %lld), match='%s'>", (long long)spans.items[0].items[0].num,
		   (long long)spans.items[0].items[1].num, groups.items[0].s);
	struct tval o = obj_new(r, buf_str(&rep), 12);
	buf_free(&rep);
	size_t i = 0;
	obj_set(&o, &i, "_type", str_value(r, "match"));
	obj_set(&o, &i, "_groups", groups);
	obj_set(&o, &i, "_spans", spans);
	obj_set(&o, &i, "_names", names);
	obj_set(&o, &i, "string", *s);
	obj_methods(r, &o, &i, methods, native_match);
	return o;
}

/* The group a match method names (a number or a group's name), or -1
 * after tmpl_fail(). */
static long match_group_index(struct tmpl_render *r, int line, const struct tval *self, const struct tval *g)
{
	const struct tval *groups = tval_get(self, "_groups"), *names = tval_get(self, "_names");
	if (!g)
		return 0;
	if (g->kind == TV_NUM && !g->real && g->num >= 0 && (size_t)g->num < groups->n)
		return (long)g->num;
	const struct tval *k = g->kind == TV_STR ? tval_get(names, g->s) : NULL;
	if (k)
		return (long)k->num;
	tmpl_fail(r, line, "IndexError: no such group");
	return -1;
}

static int native_match(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c,
			struct tval *out)
{
	const struct tval *groups = tval_get(self, "_groups"), *spans = tval_get(self, "_spans");
	const char *m = c->name;
	if (strcmp(m, "groups") == 0 || strcmp(m, "groupdict") == 0) {
		const struct tval *dflt = tmpl_call_arg(c, 0, "default");
		if (m[5] == 'd') {
			const struct tval *names = tval_get(self, "_names");
			*out = tval_dict_new(r, names->n);
			for (size_t i = 0; i < names->n; i++) {
				const struct tval *g = &groups->items[(size_t)names->items[i].num];
				out->keys[i] = names->keys[i];
				out->items[i] = g->kind == TV_NONE && dflt ? *dflt : *g;
			}
			return 0;
		}
		*out = tval_list_new(r, groups->n - 1);
		out->tuple = true;
		for (size_t i = 1; i < groups->n; i++)
			out->items[i - 1] = groups->items[i].kind == TV_NONE && dflt ? *dflt : groups->items[i];
		return 0;
	}
	if (strcmp(m, "group") == 0 && c->nargs > 1) {
		*out = tval_list_new(r, c->nargs);
		out->tuple = true;
		for (size_t i = 0; i < c->nargs; i++) {
			long g = match_group_index(r, c->line, self, &c->args[i]);
			if (g < 0)
				return -1;
			out->items[i] = groups->items[g];
		}
		return 0;
	}
	long g = match_group_index(r, c->line, self, tmpl_call_arg(c, 0, "group"));
	if (g < 0)
		return -1;
	const struct tval *sp = &spans->items[g];
	if (strcmp(m, "group") == 0)
		*out = groups->items[g];
	else if (strcmp(m, "start") == 0)
		*out = sp->items[0];
	else if (strcmp(m, "end") == 0)
		*out = sp->items[1];
	else
		*out = *sp;
	return 0;
}

/* Appends repl with its group references filled in from the last match,
 * as Python's re.sub() reads a replacement string: \1 .. \99, \g<n>,
 * \g<name>, and the escapes \n \t \r \f \v \a \b \\. */
static int expand_repl(struct tmpl_render *r, int line, const struct rx *x, const struct tval *s,
		       const struct tval *repl, struct buf *out)
{
	const char *p = repl->s, *end = repl->s + repl->n;
	while (p < end) {
		if (*p != '\\' || p + 1 == end) {
			buf_addc(out, *p++);
			continue;
		}
		char e = p[1];
		p += 2;
		long g = -1;
		if (e >= '0' && e <= '9') {
			g = e - '0';
			if (p < end && *p >= '0' && *p <= '9')
				g = g * 10 + (*p++ - '0');
		} else if (e == 'g' && p < end && *p == '<') {
			const char *close = memchr(p, '>', (size_t)(end - p));
			if (!close) {
				tmpl_fail(r, line, "re.error: missing '>' in a \\g<...> of the replacement");
				return -1;
			}
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
			char *ne;
			g = strtol(name, &ne, 10);
			if (*ne || !*name)
				g = pcre2_substring_number_from_name(x->code, (PCRE2_SPTR)name);
			if (g < 0) {
				tmpl_fail(r, line, "IndexError: unknown group name '%s' in the replacement", name);
				return -1;
			}
			p = close + 1;
		} else {
			static const char from[] = "ntrfvab\\", to[] = "\n\t\r\f\v\a\b\\";
			const char *k = strchr(from, e);
			if (k && e) {
				buf_addc(out, to[k - from]);
			} else if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
				tmpl_fail(r, line, "re.error: bad escape \\%c in the replacement", e);
				return -1;
			} else {
				buf_addc(out, '\\');
				buf_addc(out, e);
			}
			continue;
		}
		if ((uint32_t)g > x->ngroups) {
			tmpl_fail(r, line, "re.error: invalid group reference %ld in the replacement", g);
			return -1;
		}
		size_t b = 0, ge = 0;
		if (rx_group(x, (uint32_t)g, &b, &ge))
			buf_add(out, s->s + b, ge - b);
	}
	return 0;
}

/* Walks the matches of x in s as Python's finditer does, calling each
 * for every match (at most max of them; 0: all). */
typedef int (*match_fn)(struct tmpl_render *r, const struct tmpl_call *c, struct rx *x, const struct tval *s,
			void *ud);

static int rx_each(struct tmpl_render *r, const struct tmpl_call *c, struct rx *x, const struct tval *s, long max,
		   match_fn each, void *ud)
{
	size_t pos = 0;
	uint32_t opts = 0;
	long count = 0;
	while (pos <= s->n && (max <= 0 || count < max)) {
		int rc = rx_next(r, c->line, x, s, pos, opts);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			if (!opts)
				break;
			/* no non-empty match here: step over one character */
			opts = 0;
			if (pos >= s->n)
				break;
			pos++;
			while (pos < s->n && ((unsigned char)s->s[pos] & 0xC0) == 0x80)
				pos++;
			continue;
		}
		size_t b = 0, e = 0;
		rx_group(x, 0, &b, &e);
		if (each(r, c, x, s, ud))
			return -1;
		count++;
		pos = e;
		opts = b == e ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
	}
	return 0;
}

struct sub_state {
	const struct tval *repl;
	struct buf out;
	size_t last;             /* the end of the previous match */
};

static int sub_one(struct tmpl_render *r, const struct tmpl_call *c, struct rx *x, const struct tval *s, void *ud)
{
	struct sub_state *st = ud;
	size_t b = 0, e = 0;
	rx_group(x, 0, &b, &e);
	buf_add(&st->out, s->s + st->last, b - st->last);
	st->last = e;
	if (st->repl->kind == TV_FUNC) {
		/* a function of the match, as Python allows */
		struct tval m = match_value(r, x, s), v;
		if (tmpl_call_func(r, st->repl, c->line, 1, &m, &v))
			return -1;
		if (v.kind != TV_STR) {
			tmpl_fail(r, c->line, "%s(): the replacement function must return a string", c->name);
			return -1;
		}
		buf_add(&st->out, v.s, v.n);
		return 0;
	}
	return expand_repl(r, c->line, x, s, st->repl, &st->out);
}

/* The items findall() and split() collect, made a list at the end. */
struct list_state {
	struct tval *v;
	size_t n, cap;
	size_t last;             /* split: the end of the previous match */
};

static void list_push(struct list_state *st, struct tval v)
{
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 16;
		st->v = xrealloc(st->v, st->cap * sizeof *st->v);
	}
	st->v[st->n++] = v;
}

static struct tval list_done(struct tmpl_render *r, struct list_state *st)
{
	struct tval l = tval_list_new(r, st->n);
	for (size_t i = 0; i < st->n; i++)
		l.items[i] = st->v[i];
	free(st->v);
	return l;
}

static int findall_one(struct tmpl_render *r, const struct tmpl_call *c, struct rx *x, const struct tval *s,
		       void *ud)
{
	(void)c;
	struct list_state *st = ud;
	struct tval empty = str_value(r, "");
	if (x->ngroups <= 1) {
		list_push(st, rx_group_value(r, x, s, x->ngroups, &empty));
		return 0;
	}
	struct tval t = tval_list_new(r, x->ngroups);
	t.tuple = true;
	for (uint32_t g = 1; g <= x->ngroups; g++)
		t.items[g - 1] = rx_group_value(r, x, s, g, &empty);
	list_push(st, t);
	return 0;
}

static int split_one(struct tmpl_render *r, const struct tmpl_call *c, struct rx *x, const struct tval *s, void *ud)
{
	(void)c;
	struct list_state *st = ud;
	size_t b = 0, e = 0;
	rx_group(x, 0, &b, &e);
	list_push(st, tval_str(r, s->s + st->last, b - st->last));
	for (uint32_t g = 1; g <= x->ngroups; g++)
		list_push(st, rx_group_value(r, x, s, g, NULL));
	st->last = e;
	return 0;
}

static int native_pattern(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c,
			  struct tval *out);

static struct tval pattern_value(struct tmpl_render *r, const struct rx *x)
{
	static const char *const methods[] = { "match", "search", "fullmatch", "sub", "findall", "split", NULL };
	struct buf rep = { 0 };
	buf_printf(&rep, "re.compile('%s')", x->pattern);
	struct tval o = obj_new(r, buf_str(&rep), 12);
	buf_free(&rep);
	size_t i = 0;
	obj_set(&o, &i, "_type", str_value(r, "pattern"));
	obj_set(&o, &i, "pattern", str_value(r, x->pattern));
	obj_set(&o, &i, "flags", num_value(x->flags));
	obj_set(&o, &i, "groups", num_value(x->ngroups));
	obj_methods(r, &o, &i, methods, native_pattern);
	return o;
}

/* re.X(pattern, ...) and pattern.X(...) alike: the pattern is the first
 * argument of the one and self of the other; shift is 1 or 0. */
static int re_op(struct tmpl_render *r, const struct tmpl_call *c, const char *op, const struct tval *pat,
		 size_t shift, struct tval *out)
{
	bool sub = strcmp(op, "sub") == 0, split = strcmp(op, "split") == 0;
	/* the places of the arguments after the pattern: sub(repl, string,
	 * count, flags), split(string, maxsplit, flags), compile(flags), the
	 * others (string, flags); a pattern's methods take no flags */
	size_t sarg = sub ? 1 : 0;
	size_t farg = strcmp(op, "compile") == 0 ? 0 : sub ? 3 : split ? 2 : 1;
	long flags = 0, count = 0;
	if (shift && int_arg(r, c, farg + shift, "flags", 0, &flags))
		return -1;
	if ((sub || split) && int_arg(r, c, sarg + 1 + shift, sub ? "count" : "maxsplit", 0, &count))
		return -1;
	const struct tval *s = tmpl_call_arg(c, sarg + shift, "string");
	if (strcmp(op, "compile") != 0 && (!s || s->kind != TV_STR)) {
		tmpl_fail(r, c->line, "%s(): the string must be a string", c->name);
		return -1;
	}
	struct rx x;
	if (rx_compile(r, c, pat, flags, &x))
		return -1;
	int rc = 0;
	if (strcmp(op, "compile") == 0) {
		*out = pattern_value(r, &x);
	} else if (sub) {
		const struct tval *repl = tmpl_call_arg(c, shift, "repl");
		if (!repl || (repl->kind != TV_STR && repl->kind != TV_FUNC)) {
			tmpl_fail(r, c->line, "%s(): the replacement must be a string or a function", c->name);
			rx_free(&x);
			return -1;
		}
		struct sub_state st = { repl, { 0 }, 0 };
		rc = rx_each(r, c, &x, s, count, sub_one, &st);
		buf_add(&st.out, s->s + st.last, s->n - st.last);
		*out = tval_str(r, st.out.data ? st.out.data : "", st.out.len);
		buf_free(&st.out);
	} else if (strcmp(op, "findall") == 0 || split) {
		struct list_state st = { NULL, 0, 0, 0 };
		rc = rx_each(r, c, &x, s, split ? count : 0, split ? split_one : findall_one, &st);
		if (split)
			list_push(&st, tval_str(r, s->s + st.last, s->n - st.last));
		*out = list_done(r, &st);
	} else {
		/* match: at the start; fullmatch: the whole; search: anywhere */
		uint32_t opts = op[0] == 'm' ? PCRE2_ANCHORED : op[0] == 'f' ? PCRE2_ANCHORED | PCRE2_ENDANCHORED : 0;
		rc = rx_next(r, c->line, &x, s, 0, opts);
		*out = rc > 0 ? match_value(r, &x, s) : (struct tval){ .kind = TV_NONE };
		rc = rc < 0 ? -1 : 0;
	}
	rx_free(&x);
	return rc;
}

static int native_pattern(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c,
			  struct tval *out)
{
	return re_op(r, c, c->name, self, 0, out);
}

/* re.escape(s): every character but letters, digits and '_' escaped. */
static int re_escape(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	const struct tval *s = tmpl_call_arg(c, 0, "pattern");
	if (!s || s->kind != TV_STR) {
		tmpl_fail(r, c->line, "modules.re.escape() needs a string");
		return -1;
	}
	struct buf b = { 0 };
	for (size_t i = 0; i < s->n; i++) {
		unsigned char ch = (unsigned char)s->s[i];
		if (ch < 0x80 && !(ch >= '0' && ch <= '9') && !(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    ch != '_')
			buf_addc(&b, '\\');
		buf_addc(&b, (char)ch);
	}
	*out = tval_str(r, b.data ? b.data : "", b.len);
	buf_free(&b);
	return 0;
}

/* ---- the modules ---- */

static const char *const re_ops[] = { "compile", "match", "search", "fullmatch", "sub", "findall", "split", NULL };

static bool listed(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

static int native_module_fn(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c,
			    struct tval *out)
{
	(void)self;
	return dbt_modules_call(r, c, out);
}

/* modules.m.a.b(...) that is none of the functions above: a method of a
 * module's attribute (modules.pytz.utc.localize(dt)). */
static int call_attribute(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	char path[256];
	snprintf(path, sizeof path, "%s", c->name);
	char *mod_end = strchr(path + 8, '.');
	struct tval v;
	if (mod_end) {
		*mod_end = '\0';
		if (dbt_modules_global(r, path, &v) == 0) {
			for (char *p = mod_end + 1, *dot; p && v.kind != TV_FUNC; p = dot ? dot + 1 : NULL) {
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
		}
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
	if (strcmp(n, "datetime.timedelta") == 0)
		return call_timedelta(r, c, out);
	if (strcmp(n, "pytz.timezone") == 0)
		return call_timezone(r, c, out);
	if (strncmp(n, "re.", 3) == 0 && listed(re_ops, n + 3))
		return re_op(r, c, n + 3, tmpl_call_arg(c, 0, "pattern"), 1, out);
	if (strcmp(n, "re.escape") == 0)
		return re_escape(r, c, out);
	return call_attribute(r, c, out);
}


int dbt_modules_global(struct tmpl_render *r, const char *name, struct tval *out)
{
	static const char *const re_fns[] = { "modules.re.compile", "modules.re.match", "modules.re.search",
					      "modules.re.fullmatch", "modules.re.sub", "modules.re.findall",
					      "modules.re.split", "modules.re.escape", NULL };
	static const struct { const char *name; long v; } re_flags[] = {
		{ "I", RE_I }, { "IGNORECASE", RE_I }, { "M", RE_M }, { "MULTILINE", RE_M }, { "S", RE_S },
		{ "DOTALL", RE_S }, { "X", RE_X }, { "VERBOSE", RE_X }, { "A", RE_A }, { "ASCII", RE_A },
	};
	size_t i = 0;
	if (strcmp(name, "modules.re") == 0) {
		*out = obj_new(r, "<module 're'>", 32);
		for (size_t k = 0; k < sizeof re_flags / sizeof *re_flags; k++)
			obj_set(out, &i, re_flags[k].name, num_value(re_flags[k].v));
		for (const char *const *f = re_fns; *f; f++)
			obj_set(out, &i, *f + 11, tval_native(r, *f, native_module_fn, out));
	} else if (strcmp(name, "modules.pytz") == 0) {
		struct zone utc = { "UTC", { 0, false, "UTC" } };
		*out = obj_new(r, "<module 'pytz'>", 3);
		obj_set(out, &i, "utc", tz_value(r, &utc));
		obj_set(out, &i, "UTC", out->items[0]);
		obj_set(out, &i, "timezone", tval_native(r, "modules.pytz.timezone", native_module_fn, out));
	} else if (strcmp(name, "modules.datetime") == 0) {
		*out = obj_new(r, "<module 'datetime'>", 4);
		obj_set(out, &i, "MINYEAR", num_value(1));
		obj_set(out, &i, "MAXYEAR", num_value(9999));
		obj_set(out, &i, "date", tval_native(r, "modules.datetime.date", native_module_fn, out));
		obj_set(out, &i, "timedelta", tval_native(r, "modules.datetime.timedelta", native_module_fn, out));
	} else {
		return 1;
	}
	return 0;
}
