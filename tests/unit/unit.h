/* Verdict lines for the host unit tests, as tests/run reads them: `ok - NAME` or `not ok - NAME: DETAIL`. */
#ifndef MICA_TESTS_UNIT_H
#define MICA_TESTS_UNIT_H

#include <stdarg.h>
#include <stdio.h>

/*
 * Host stdio only: some tests rename printf, snprintf and friends to the library under test, and a
 * verdict must not depend on the code it judges. `__printf__` because `printf` may be such a macro.
 * Static, as each test is one program; unused, so a test that needs only some of this compiles.
 */

static int unit_failures;

/*
 * One case: NAME is the stable part tests/run reports; DETAIL_FMT (NULL when the name says it
 * all) explains a failure and is only formatted then.
 */
__attribute__((format(__printf__, 3, 4), unused))
static void unit_check(int ok, const char *name, const char *detail_fmt, ...)
{
	va_list ap;

	if (ok) {
		fprintf(stdout, "ok - %s\n", name);
		return;
	}
	unit_failures++;
	fprintf(stdout, "not ok - %s", name);
	if (detail_fmt != NULL) {
		fputs(": ", stdout);
		va_start(ap, detail_fmt);
		vfprintf(stdout, detail_fmt, ap);
		va_end(ap);
	}
	fputc('\n', stdout);
}

/* What main returns: 1 after any failure, with their count so a long log says how bad it is. */
__attribute__((unused))
static int unit_exit_status(void)
{
	if (unit_failures == 0)
		return 0;
	fprintf(stdout, "%d failure(s)\n", unit_failures);
	return 1;
}

#endif
