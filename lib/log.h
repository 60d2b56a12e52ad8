/* SPDX-License-Identifier: MIT
 * Diagnostics on stderr, prefixed with the program's name, and a progress
 * line that appears only when stderr is a terminal. stdout is never touched:
 * it carries data.
 *
 * Levels: -q shows errors only, the default adds warnings and summaries,
 * -v adds debugging detail. */
#ifndef ELT_LOG_H
#define ELT_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

enum log_level { LOG_QUIET = 0, LOG_NORMAL = 1, LOG_VERBOSE = 2 };

extern const char *log_prog; /* program name used as the prefix */
extern int log_level;

/* Sets the prefix and restores the default SIGPIPE action, so that a reader
 * that goes away (`gen | head -1`) ends the program quietly, as with any
 * Unix filter, whatever disposition the parent left behind. */
void log_init(const char *prog);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_error, then exit with the given status. */
noreturn void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True when a message could not be written to stderr (2>/dev/full): a
 * program whose report is part of its result fails rather than exit 0. */
bool log_failed(void);

/* Monotonic seconds since an arbitrary point. */
double clock_seconds(void);

/* A progress line redrawn in place at most a few times a second. */
struct progress {
	bool on;
	double start, last;
	uint64_t calls;
};

/* Enabled when stderr is a terminal and the level is not quiet. */
void progress_init(struct progress *p);
/* Cheap enough to call for every row: it looks at the clock only every few
 * thousand calls. */
void progress_update(struct progress *p, uint64_t rows, uint64_t bytes);
/* Erases the line so the summary that follows starts clean. */
void progress_end(struct progress *p);

#endif
