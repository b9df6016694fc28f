/* One-line messages from mica to stderr, and the exit statuses mica itself defines. */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include <stdbool.h>

/* Exit statuses (0..120 and 126..255 besides these are the guest's own poweroff status). */
#define MICA_EXIT_REBOOT 121    /* guest asked to reboot; mica does not restart guests */
#define MICA_EXIT_FORBIDDEN 122 /* guest made a host call outside the sandbox */
#define MICA_EXIT_CRASH 123     /* guest crashed: SHUTDOWN_crash, a CPU fault, a protocol abuse */
#define MICA_EXIT_TIMEOUT 124   /* --timeout expired */
#define MICA_EXIT_FAILURE 125   /* mica could not start the guest: usage, image or host error */
/* 128+N: mica was interrupted by signal N and stopped the guest. */

/* "mica: <message>\n" on stderr, unless the calling thread asked for quiet. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Silences (or restores) the calling thread's log_error lines; returns the previous setting. */
bool log_set_quiet(bool quiet);

#endif
