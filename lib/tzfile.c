/* SPDX-License-Identifier: MIT
 * TZif reader and POSIX TZ rules; see tzfile.h. The format is RFC 8536:
 * a version 1 block of 32-bit times, then (version 2 and later) the same
 * data with 64-bit times and a footer holding the rule for the times
 * after the last transition. */
#include "tzfile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "caltime.h"
#include "xalloc.h"

/* Python's floor division, for pytz's rounding of offsets to minutes. */
static int32_t round_minutes(int32_t off)
{
	int32_t q = (off + 30) / 60;
	if ((off + 30) % 60 < 0)
		q--;
	return q * 60;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The counts of a TZif header at p. */
struct counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static bool header(const unsigned char *p, size_t left, struct counts *c)
{
	if (left < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	*c = (struct counts){ be32(p + 20), be32(p + 24), be32(p + 28), be32(p + 32), be32(p + 36), be32(p + 40) };
	return c->type >= 1 && c->type <= 256 && c->time <= 1u << 20 && c->chars <= 1u << 16 && c->leap <= 1u << 16;
}

static size_t block_size(const struct counts *c, size_t tsize)
{
	return c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) + c->isstd + c->isut;
}

static void read_type(struct tz_type *t, const unsigned char *p, const char *chars, size_t nchars)
{
	t->off = round_minutes((int32_t)be32(p));
	t->dst = p[4] != 0;
	size_t ai = p[5];
	snprintf(t->abbr, sizeof t->abbr, "%.*s", ai < nchars ? (int)strnlen(chars + ai, nchars - ai) : 0,
		 ai < nchars ? chars + ai : "");
}

/* Reads a data block of time size tsize at p into z (transitions and
 * types); for the version 1 block only the default type is kept. */
static void read_block(struct tzfile *z, const unsigned char *p, const struct counts *c, size_t tsize, bool v1)
{
	const unsigned char *times = p, *idx = times + c->time * tsize, *types = idx + c->time;
	const char *chars = (const char *)(types + c->type * 6);
	if (v1) {
		/* pytz: the first type that is not daylight saving time */
		read_type(&z->dflt, types, chars, c->chars);
		for (uint32_t i = 0; i < c->type; i++)
			if (!types[i * 6 + 4]) {
				read_type(&z->dflt, types + i * 6, chars, c->chars);
				break;
			}
		return;
	}
	z->ntrans = c->time;
	z->trans = xcalloc(c->time + 1, sizeof *z->trans);
	z->idx = xcalloc(c->time + 1, 1);
	for (uint32_t i = 0; i < c->time; i++) {
		z->trans[i] = tsize == 8 ? be64(times + i * 8) : (int32_t)be32(times + i * 4);
		z->idx[i] = idx[i] < c->type ? idx[i] : 0;
	}
	z->ntypes = c->type;
	z->types = xcalloc(c->type, sizeof *z->types);
	for (uint32_t i = 0; i < c->type; i++)
		read_type(&z->types[i], types + i * 6, chars, c->chars);
}

static bool good_name(const char *s)
{
	if (!*s || *s == '/' || strstr(s, "..") || strlen(s) >= sizeof ((struct tzfile *)0)->name)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("/_+-", *s))
			return false;
	return true;
}

int tzfile_load(struct tzfile *z, const char *name, char *err, size_t errlen)
{
	memset(z, 0, sizeof *z);
	if (!good_name(name)) {
		snprintf(err, errlen, "'%s' is not a time zone name", name);
		return -1;
	}
	const char *dir = getenv("TZDIR");
	char *path = xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	struct buf b = { 0 };
	char why[256];
	int rc = buf_read_file(&b, path, why, sizeof why);
	free(path);
	if (rc) {
		snprintf(err, errlen, "unknown time zone '%s' (not in the time zone database)", name);
		buf_free(&b);
		return -1;
	}
	const unsigned char *p = (const unsigned char *)b.data;
	size_t len = b.len;
	struct counts c1, c2;
	if (!header(p, len, &c1) || 44 + block_size(&c1, 4) > len) {
		snprintf(err, errlen, "time zone '%s': not a TZif file", name);
		buf_free(&b);
		return -1;
	}
	snprintf(z->name, sizeof z->name, "%s", name);
	read_block(z, p + 44, &c1, 4, true);
	size_t at = 44 + block_size(&c1, 4);
	if (p[4] >= '2' && header(p + at, len - at, &c2) && at + 44 + block_size(&c2, 8) <= len) {
		read_block(z, p + at + 44, &c2, 8, false);
		at += 44 + block_size(&c2, 8);
		/* the footer: "\n" rule "\n" */
		if (at < len && p[at] == '\n') {
			const char *f = (const char *)p + at + 1;
			const char *nl = memchr(f, '\n', len - at - 1);
			if (nl && nl > f) {
				char *rule = xasprintf("%.*s", (int)(nl - f), f);
				z->has_rule = tzfile_parse_rule(z, rule);
				free(rule);
			}
		}
	} else {
		read_block(z, p + 44, &c1, 4, false);
	}
	buf_free(&b);
	return 0;
}

void tzfile_free(struct tzfile *z)
{
	free(z->trans);
	free(z->idx);
	free(z->types);
	memset(z, 0, sizeof *z);
}

/* ---- POSIX TZ rules ---- */

/* An abbreviation: letters, or anything between < and >. */
static const char *rule_abbr(const char *s, char *out, size_t n)
{
	const char *b = s, *e;
	if (*s == '<') {
		e = strchr(++b, '>');
		if (!e)
			return NULL;
		s = e + 1;
	} else {
		while (isalpha((unsigned char)*s))
			s++;
		e = s;
	}
	if (e - b < 3 || (size_t)(e - b) >= n)
		return NULL;
	snprintf(out, n, "%.*s", (int)(e - b), b);
	return s;
}

/* [+-]hh[:mm[:ss]] into seconds. */
static const char *rule_time(const char *s, int32_t *secs)
{
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*s))
		return NULL;
	int32_t v = 0, part = 0;
	for (int field = 0; field < 3; field++) {
		part = 0;
		while (isdigit((unsigned char)*s) && part < 1000)
			part = part * 10 + (*s++ - '0');
		v += part * (field == 0 ? 3600 : field == 1 ? 60 : 1);
		if (field == 2 || *s != ':' || !isdigit((unsigned char)s[1]))
			break;
		s++;
	}
	*secs = sign * v;
	return s;
}

static const char *rule_date(const char *s, struct tz_rule_date *d)
{
	char *end;
	d->secs = 7200;
	if (*s == 'M') {
		d->kind = 'M';
		d->month = (int)strtol(s + 1, &end, 10);
		if (*end != '.')
			return NULL;
		d->week = (int)strtol(end + 1, &end, 10);
		if (*end != '.')
			return NULL;
		d->wday = (int)strtol(end + 1, &end, 10);
		if (d->month < 1 || d->month > 12 || d->week < 1 || d->week > 5 || d->wday < 0 || d->wday > 6)
			return NULL;
	} else {
		d->kind = *s == 'J' ? 'J' : 'D';
		d->day = (int)strtol(s + (*s == 'J'), &end, 10);
		if (end == s + (*s == 'J') || d->day < 0 || d->day > 365)
			return NULL;
	}
	s = end;
	if (*s == '/')
		s = rule_time(s + 1, &d->secs);
	return s;
}

bool tzfile_parse_rule(struct tzfile *z, const char *s)
{
	int32_t off;
	if (!(s = rule_abbr(s, z->std.abbr, sizeof z->std.abbr)) || !(s = rule_time(s, &off)))
		return false;
	/* POSIX counts hours west of UTC */
	z->std.off = round_minutes(-off);
	z->std.dst = false;
	z->rule_dst = false;
	if (!*s)
		return true;
	if (!(s = rule_abbr(s, z->dstt.abbr, sizeof z->dstt.abbr)))
		return false;
	z->dstt.off = z->std.off + 3600;
	z->dstt.dst = true;
	if (*s && *s != ',') {
		if (!(s = rule_time(s, &off)))
			return false;
		z->dstt.off = round_minutes(-off);
	}
	if (*s++ != ',' || !(s = rule_date(s, &z->start)) || *s++ != ',' || !(s = rule_date(s, &z->end)) || *s)
		return false;
	z->rule_dst = true;
	return true;
}

/* Local seconds (since 1970, as if UTC) at which date d of year y begins
 * or ends. */
static int64_t rule_local(const struct tz_rule_date *d, int64_t y)
{
	int64_t days;
	if (d->kind == 'M') {
		int64_t first = cal_days_from_civil(y, d->month, 1);
		/* cal_weekday: 0 Monday; the rule's: 0 Sunday */
		int wd = (cal_weekday(first) + 1) % 7;
		int64_t day = 1 + (d->wday - wd + 7) % 7 + (int64_t)(d->week - 1) * 7;
		while (day > cal_days_in_month(y, d->month))
			day -= 7;
		days = first + day - 1;
	} else if (d->kind == 'J') {
		/* 1-365, February 29 never counted */
		days = cal_days_from_civil(y, 1, 1) + d->day - 1 + (cal_is_leap(y) && d->day > 59);
	} else {
		days = cal_days_from_civil(y, 1, 1) + d->day;
	}
	return days * 86400 + d->secs;
}

static struct tz_type rule_at_utc(const struct tzfile *z, int64_t t)
{
	if (!z->rule_dst)
		return z->std;
	int64_t y;
	int m, d;
	cal_civil_from_days((t + z->std.off) / 86400 - ((t + z->std.off) % 86400 < 0), &y, &m, &d);
	/* the period's ends in UTC: it starts in standard time and ends in
	 * daylight saving time */
	int64_t start = rule_local(&z->start, y) - z->std.off, end = rule_local(&z->end, y) - z->dstt.off;
	bool in = start < end ? t >= start && t < end : !(t >= end && t < start);
	return in ? z->dstt : z->std;
}

/* 2037-01-01 UTC: zic writes a fat file's transitions up to 2037. */
#define FAT_FILE_END INT64_C(2114380800)

struct tz_type tzfile_at_utc(const struct tzfile *z, int64_t t)
{
	if (!z->ntrans)
		return z->has_rule ? rule_at_utc(z, t) : z->ntypes ? z->types[0] : z->dflt;
	if (t < z->trans[0])
		return z->types[0];
	size_t lo = 0, hi = z->ntrans; /* the last transition <= t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	/* pytz keeps the last transition's type for good. In a file written
	 * "fat" (Debian's) the transitions run to 2037 and so does pytz: only
	 * a "slim" file, whose transitions stop where its rule takes over,
	 * needs the rule, and pytz is no guide for one (it reads nothing) */
	if (lo == z->ntrans - 1 && z->has_rule && z->trans[lo] < FAT_FILE_END)
		return rule_at_utc(z, t);
	return z->types[z->idx[lo]];
}

static bool same_type(const struct tz_type *a, const struct tz_type *b)
{
	return a->off == b->off && a->dst == b->dst && strcmp(a->abbr, b->abbr) == 0;
}

/* pytz's candidates for a wall-clock time: every type of the zone that,
 * applied to it, gives an instant at which that type is in effect; with
 * those instants in at. Returns how many (at most 8). */
static size_t candidates(const struct tzfile *z, int64_t local, struct tz_type *cand, int64_t *at)
{
	size_t n = 0;
	size_t ntry = z->ntypes + 2;
	for (size_t i = 0; i < ntry && n < 8; i++) {
		const struct tz_type *t = i < z->ntypes ? &z->types[i] : i == z->ntypes ? &z->std : &z->dstt;
		if (i >= z->ntypes && !z->has_rule)
			continue;
		int64_t u = local - t->off;
		struct tz_type got = tzfile_at_utc(z, u);
		if (got.off != t->off)
			continue;
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++)
			dup = same_type(&cand[k], &got);
		if (!dup) {
			cand[n] = got;
			at[n++] = u;
		}
	}
	return n;
}

enum tz_fit tzfile_fit(const struct tzfile *z, int64_t local)
{
	struct tz_type cand[8];
	int64_t at[8];
	size_t n = candidates(z, local, cand, at);
	return n == 1 ? TZ_FIT_ONE : n == 0 ? TZ_FIT_NONE : TZ_FIT_AMBIGUOUS;
}

struct tz_type tzfile_localize(const struct tzfile *z, int64_t local, bool is_dst)
{
	struct tz_type cand[8];
	int64_t at[8];
	size_t n = candidates(z, local, cand, at);
	if (n == 1)
		return cand[0];
	if (n == 0) /* in a gap: the type of six hours before or after */
		return tzfile_localize(z, local + (is_dst ? 6 : -6) * 3600, is_dst);
	/* ambiguous: the one whose dst matches; of several, the earliest
	 * instant when is_dst, else the latest */
	size_t best = SIZE_MAX;
	for (int pass = 0; pass < 2 && best == SIZE_MAX; pass++)
		for (size_t k = 0; k < n; k++)
			if ((pass || cand[k].dst == is_dst) &&
			    (best == SIZE_MAX || (is_dst ? at[k] < at[best] : at[k] > at[best])))
				best = k;
	return cand[best];
}
