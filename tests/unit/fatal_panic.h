/* panic() for tests that link guest libraries without lib/core: any panic ends the test as failed. */
#ifndef MICA_TESTS_FATAL_PANIC_H
#define MICA_TESTS_FATAL_PANIC_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	fputs("not ok - unexpected panic: ", stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	exit(1);
}

#endif
