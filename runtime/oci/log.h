/* The OCI commands' messages: one line on stderr and, with --log, a JSON or text line for the engine. */
#ifndef OCI_LOG_H
#define OCI_LOG_H

#include <stdbool.h>
#include "oci/args.h"

/* Where later messages go: --log's file (NULL: none) in --log-format; --debug shows warnings too. */
void oci_log_setup(const char *path, enum oci_log_format format, bool debug);

/* An error: "mica: MSG" on stderr and a level "error" line in the log. */
void oci_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Something ignored or worth knowing: a level "warning" line in the log (and stderr with --debug). */
void oci_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A level "debug" line in the log, only with --debug. */
void oci_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The current time as RFC 3339 with nanoseconds in UTC, as Go's logs and OCI states have it. */
void oci_rfc3339(char *buf, size_t len);

/* Formats one log line (with its '\n') of level and msg at the current time into buf; its length. */
size_t oci_log_format_line(char *buf, size_t len, enum oci_log_format format, const char *level,
			   const char *msg);

#endif
