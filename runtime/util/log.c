/* One-line messages from mica to stderr, written with a single write so lines never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include "util/log.h"

/* Per thread: the gateway runs guests in threads, each with its own verbosity. */
static __thread bool log_quiet;

bool log_set_quiet(bool quiet)
{
	bool was = log_quiet;
	log_quiet = quiet;
	return was;
}

void log_error(const char *fmt, ...)
{
	if (log_quiet)
		return;
	char buf[1024];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "mica: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	ssize_t unused = write(STDERR_FILENO, buf, (size_t)n);
	(void)unused;
}
