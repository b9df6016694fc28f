/* panic(): how a library or an app stops the guest on an error it cannot handle. */
#include <stdbool.h>
#include <mica/panic.h>
#include <mica/plat.h>
#include <mica/kprint.h>

_Noreturn void panic(const char *fmt, ...)
{
	static bool panicking;
	va_list ap;

	/* A panic raised while printing a panic would otherwise recurse until the stack is gone. */
	if (!panicking) {
		panicking = true;
		kprintf("panic: ");
		va_start(ap, fmt);
		kvprintf(fmt, ap);
		va_end(ap);
		kprintf("\n");
	}
	plat_crash(NULL);
}
