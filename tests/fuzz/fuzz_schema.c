/* SPDX-License-Identifier: MIT
 * libFuzzer target: the Table Schema loader (YAML or JSON) on arbitrary
 * bytes, then a few cells through each loaded field. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "tableschema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_level = LOG_QUIET; /* unknown keys are warnings: keep the output quiet */
	int fd = memfd_create("schema", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64], err[512];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct ts_schema s;
	if (ts_load(&s, path, err, sizeof err) == 0) {
		static const char *const cells[] = { "", "1", "-0.5", "2026-02-28", "2026-11-26T14:03:11Z", "12:00:00", "true", "x",
						      "1,2", "[1, \"a\"]", "{\"a\": [1]}" };
		char digits[64];
		for (size_t i = 0; i < s.nfields; i++)
			for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++) {
				struct ts_value v;
				const char *why;
				enum ts_constraint failed;
				if (ts_parse(&s.fields[i], cells[c], strlen(cells[c]), &v, digits, &why))
					ts_check(&s.fields[i], cells[c], strlen(cells[c]), &v, &failed);
			}
	}
	ts_free(&s);
	close(fd);
	return 0;
}
