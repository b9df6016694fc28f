/* The guest's Linux clocks, for the libraries that take timeouts and report uptime. */
#ifndef MICA_POSIX_TIME_H
#define MICA_POSIX_TIME_H

#include <stdbool.h>
#include <stdint.h>

struct timespec;

/* Nanoseconds since the guest booted. */
uint64_t posix_time_uptime_ns(void);

/*
 * The plat_time_ns at which a timeout of ts on Linux clock `clock` ends: ts from now, or the
 * clock reading ts when absolute. 0, or -EINVAL for a malformed ts or an unknown clock.
 */
int posix_time_deadline(int clock, const struct timespec *ts, bool absolute, uint64_t *deadline_ns);

#endif
