/* SPDX-License-Identifier: MIT
 * Logging and progress on stderr; see log.h. */
#include "log.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

const char *log_prog = "elt";
int log_level = LOG_NORMAL;

void log_init(const char *prog)
{
	log_prog = prog;
	signal(SIGPIPE, SIG_DFL);
}

static void vlog(const char *fmt, va_list ap)
{
	/* One buffer and one write, so lines from programs sharing a terminal
	 * do not interleave mid-line. */
	char line[4096];
	int n = snprintf(line, sizeof line, "%s: ", log_prog);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	/* A message may quote data: a line end in it would break the one line,
	 * and an escape sequence would reach the terminal. */
	for (size_t i = (size_t)n; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c == '\n' || c == '\r')
			line[i] = ' ';
		else if ((c < 0x20 && c != '\t') || c == 0x7F)
			line[i] = '?';
	}
	line[len++] = '\n';
	fwrite(line, 1, len, stderr);
}

bool log_failed(void)
{
	return fflush(stderr) != 0 || ferror(stderr);
}

#define LOG_AT(min)                       \
	do {                              \
		if (log_level < (min))    \
			return;           \
		va_list ap;               \
		va_start(ap, fmt);        \
		vlog(fmt, ap);            \
		va_end(ap);               \
	} while (0)

void log_error(const char *fmt, ...) { LOG_AT(LOG_QUIET); }
void log_warn(const char *fmt, ...) { LOG_AT(LOG_NORMAL); }
void log_info(const char *fmt, ...) { LOG_AT(LOG_NORMAL); }
void log_debug(const char *fmt, ...) { LOG_AT(LOG_VERBOSE); }

void die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	exit(status);
}

double clock_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p)
{
	p->on = log_level >= LOG_NORMAL && isatty(STDERR_FILENO);
	p->start = p->last = clock_seconds();
	p->calls = 0;
}

void progress_update(struct progress *p, uint64_t rows, uint64_t bytes)
{
	if (!p->on || (++p->calls & 0xfff) != 0)
		return;
	double now = clock_seconds();
	if (now - p->last < 0.25)
		return;
	p->last = now;
	double secs = now - p->start;
	double mb = (double)bytes / 1e6;
	fprintf(stderr, "\r%s: %llu rows, %.1f MB, %.1f MB/s ", log_prog,
		(unsigned long long)rows, mb, secs > 0 ? mb / secs : 0.0);
}

void progress_end(struct progress *p)
{
	if (p->on)
		fputs("\r\033[K", stderr);
}
