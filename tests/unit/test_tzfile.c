/* SPDX-License-Identifier: MIT
 * lib/tzfile: POSIX TZ rules (the footer that governs times after a
 * zone's last transition), and zones read from the system's database as
 * pytz reads them (its rounding, its default type, localize()). */
#include "unit.h"

#include "caltime.h"
#include "tzfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int64_t utc(int64_t y, int m, int d, int h, int mi)
{
	return cal_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60;
}

static void rule_us_pacific(void)
{
	struct tzfile z = { 0 };
	CHECK(tzfile_parse_rule(&z, "PST8PDT,M3.2.0,M11.1.0"));
	z.has_rule = true;
	CHECK(z.std.off == -8 * 3600 && z.dstt.off == -7 * 3600 && z.rule_dst);
	/* 2040: second Sunday of March is the 11th, first of November the 4th */
	CHECK(tzfile_at_utc(&z, utc(2040, 3, 11, 9, 59)).off == -8 * 3600);
	CHECK(tzfile_at_utc(&z, utc(2040, 3, 11, 10, 0)).off == -7 * 3600);
	CHECK(tzfile_at_utc(&z, utc(2040, 11, 4, 8, 59)).dst);
	CHECK(!tzfile_at_utc(&z, utc(2040, 11, 4, 9, 0)).dst);
	CHECK(strcmp(tzfile_at_utc(&z, utc(2040, 7, 1, 0, 0)).abbr, "PDT") == 0);
}

static void rule_southern_and_odd_forms(void)
{
	struct tzfile z = { 0 };
	CHECK(tzfile_parse_rule(&z, "AEST-10AEDT,M10.1.0,M4.1.0/3"));
	z.has_rule = true;
	/* the southern summer spans the new year */
	CHECK(tzfile_at_utc(&z, utc(2041, 1, 15, 0, 0)).off == 11 * 3600);
	CHECK(tzfile_at_utc(&z, utc(2041, 7, 15, 0, 0)).off == 10 * 3600);
	struct tzfile k = { 0 };
	CHECK(tzfile_parse_rule(&k, "<+0530>-5:30"));
	CHECK(k.std.off == 19800 && !k.rule_dst && strcmp(k.std.abbr, "+0530") == 0);
	struct tzfile g = { 0 };
	/* negative transition times, as America/Nuuk's rule has them */
	CHECK(tzfile_parse_rule(&g, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0"));
	CHECK(g.start.secs == -3600 && g.end.secs == 0);
	struct tzfile j = { 0 };
	CHECK(tzfile_parse_rule(&j, "XST3XDT,J60,300/1:30"));
	CHECK(j.start.kind == 'J' && j.start.day == 60 && j.end.kind == 'D' && j.end.secs == 5400);
	struct tzfile bad = { 0 };
	CHECK(!tzfile_parse_rule(&bad, "PST8PDT,M13.2.0,M11.1.0"));
	CHECK(!tzfile_parse_rule(&bad, "P8"));
}

static void zone_from_the_database(void)
{
	struct tzfile z;
	char err[256];
	if (tzfile_load(&z, "America/Los_Angeles", err, sizeof err)) {
		printf("# no time zone database: %s\n", err);
		unit_case_failed = 1;
		return;
	}
	/* pytz's default: local mean time -7:52:58, rounded to -7:53 */
	CHECK(z.dflt.off == -(7 * 3600 + 53 * 60) && strcmp(z.dflt.abbr, "LMT") == 0);
	CHECK(tzfile_at_utc(&z, utc(1997, 9, 29, 13, 14)).off == -7 * 3600);
	CHECK(tzfile_localize(&z, utc(2021, 1, 7, 8, 0), false).off == -8 * 3600);
	/* 01:30 on 2021-11-07 happens twice; 02:30 on 2021-03-14 never */
	CHECK(tzfile_localize(&z, utc(2021, 11, 7, 1, 30), false).off == -8 * 3600);
	CHECK(tzfile_localize(&z, utc(2021, 11, 7, 1, 30), true).off == -7 * 3600);
	CHECK(tzfile_localize(&z, utc(2021, 3, 14, 2, 30), false).off == -8 * 3600);
	CHECK(tzfile_localize(&z, utc(2021, 3, 14, 2, 30), true).off == -7 * 3600);
	/* after the last transition (2037) its type, as pytz has it, not the
	 * footer's rule */
	CHECK(z.has_rule && tzfile_at_utc(&z, utc(2050, 7, 1, 0, 0)).off == -8 * 3600);
	CHECK(tzfile_at_utc(&z, utc(2037, 7, 1, 0, 0)).off == -7 * 3600);
	/* what localize(dt, is_dst=None) refuses */
	CHECK(tzfile_fit(&z, utc(2021, 11, 7, 1, 30)) == TZ_FIT_AMBIGUOUS);
	CHECK(tzfile_fit(&z, utc(2021, 3, 14, 2, 30)) == TZ_FIT_NONE);
	CHECK(tzfile_fit(&z, utc(2021, 3, 14, 3, 30)) == TZ_FIT_ONE);
	tzfile_free(&z);
}

static void names_refused(void)
{
	struct tzfile z;
	char err[256];
	CHECK(tzfile_load(&z, "../../etc/passwd", err, sizeof err) == -1);
	CHECK(strstr(err, "is not a time zone name") != NULL);
	CHECK(tzfile_load(&z, "/etc/localtime", err, sizeof err) == -1);
	CHECK(tzfile_load(&z, "Mars/Olympus_Mons", err, sizeof err) == -1);
	CHECK(strstr(err, "unknown time zone 'Mars/Olympus_Mons'") != NULL);
}

/* Files cut short or not TZif at all, in a $TZDIR of their own: refused
 * with a message, never read past their end. */
static void damaged_files(void)
{
	char dir[] = "/tmp/test_tzfile.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[256], err[256];
	FILE *in = fopen("/usr/share/zoneinfo/America/Los_Angeles", "rb");
	static unsigned char data[1 << 16];
	size_t n = in ? fread(data, 1, sizeof data, in) : 0;
	if (in)
		fclose(in);
	CHECK(n > 100);
	setenv("TZDIR", dir, 1);
	size_t cuts[] = { 0, 10, 44, 60, n / 2, n - 5 };
	for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
		snprintf(path, sizeof path, "%s/Cut", dir);
		FILE *out = fopen(path, "wb");
		CHECK(out != NULL);
		if (!out)
			break;
		fwrite(data, 1, cuts[i], out);
		fclose(out);
		struct tzfile z;
		int rc = tzfile_load(&z, "Cut", err, sizeof err);
		/* a cut in the version 2 block leaves version 1's data, which
		 * is a zone still; anything shorter is refused */
		if (cuts[i] < 60)
			CHECK(rc == -1 && strstr(err, "not a TZif file") != NULL);
		if (rc == 0)
			tzfile_free(&z);
		remove(path);
	}
	unsetenv("TZDIR");
	rmdir(dir);
}

int main(void)
{
	RUN(rule_us_pacific);
	RUN(rule_southern_and_odd_forms);
	RUN(zone_from_the_database);
	RUN(names_refused);
	RUN(damaged_files);
	return UNIT_END();
}
