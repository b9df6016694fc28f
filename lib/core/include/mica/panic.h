/* Stopping the guest on a fatal error: panic() and an assert() that is never compiled out. */
#ifndef MICA_PANIC_H
#define MICA_PANIC_H

/* Prints "panic: <message>" and ends the guest as crashed. */
_Noreturn void panic(const char *fmt, ...) __attribute__((format(__printf__, 1, 2), cold));

/* Evaluates expr exactly once, in every build. */
#define assert(expr)                                                                            \
	((void)(__builtin_expect(!!(expr), 1) ||                                               \
		(panic("assertion failed: %s (%s:%d)", #expr, __FILE__, __LINE__), 0)))

#endif
