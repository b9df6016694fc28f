/* The OCI commands' messages: one line on stderr and, with --log, a JSON or text line for the engine. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "oci/log.h"
#include "util/log.h"

static const char *oci_log_path;
static enum oci_log_format oci_log_fmt;
static bool oci_log_debug;

void oci_log_setup(const char *path, enum oci_log_format format, bool debug)
{
	oci_log_path = path;
	oci_log_fmt = format;
	oci_log_debug = debug;
}

/* Appends msg to buf[*n] quoted for JSON (text format uses the same quoting, as logrus does). */
static void oci_log_quote(char *buf, size_t len, size_t *n, const char *msg)
{
	static const char hex[] = "0123456789abcdef";
	if (*n + 1 < len)
		buf[(*n)++] = '"';
	for (const unsigned char *c = (const unsigned char *)msg; *c && *n + 8 < len; c++) {
		if (*c == '"' || *c == '\\') {
			buf[(*n)++] = '\\';
			buf[(*n)++] = (char)*c;
		} else if (*c < 0x20 || *c >= 0x7f) {
			/* Bytes outside ASCII are escaped one by one: the line stays valid whatever a path holds. */
			*n += (size_t)snprintf(buf + *n, len - *n, "\\u00%c%c", hex[*c >> 4], hex[*c & 15]);
		} else {
			buf[(*n)++] = (char)*c;
		}
	}
	if (*n + 1 < len)
		buf[(*n)++] = '"';
}

void oci_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

size_t oci_log_format_line(char *buf, size_t len, enum oci_log_format format, const char *level,
			   const char *msg)
{
	char when[64];
	oci_rfc3339(when, sizeof(when));

	size_t n;
	if (format == OCI_LOG_JSON) {
		n = (size_t)snprintf(buf, len, "{\"level\":\"%s\",\"msg\":", level);
		oci_log_quote(buf, len - 32 - strlen(when), &n, msg);
		n += (size_t)snprintf(buf + n, len - n, ",\"time\":\"%s\"}\n", when);
	} else {
		n = (size_t)snprintf(buf, len, "time=\"%s\" level=%s msg=", when, level);
		oci_log_quote(buf, len - 2, &n, msg);
		buf[n++] = '\n';
	}
	return n;
}

static void oci_log_write(const char *level, const char *msg)
{
	if (!oci_log_path)
		return;
	char line[4096];
	size_t n = oci_log_format_line(line, sizeof(line), oci_log_fmt, level, msg);
	int fd = open(oci_log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	ssize_t unused = write(fd, line, n);
	(void)unused;
	close(fd);
}

void oci_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	oci_log_write("error", msg);
}

void oci_warn(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (oci_log_debug)
		log_error("%s", msg);
	oci_log_write("warning", msg);
}

void oci_debug(const char *fmt, ...)
{
	if (!oci_log_debug)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	oci_log_write("debug", msg);
}
