/* panic(): how a library or an app stops the guest on an error it cannot handle. */
#include <stdbool.h>
#include <mica/panic.h>
#include <mica/plat.h>
#include <mica/print.h>

_Noreturn void panic(const char *fmt, ...)
{
	static bool panicking;
	va_list ap;

	/* A panic raised while printing a panic would otherwise recurse until the stack is gone. */
	if (!panicking) {
		panicking = true;
		printf("panic: ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
	plat_crash(NULL);
}
