/* The guest's Linux system call layer: how libraries register handlers, and the dispatcher libc calls. */
#ifndef MICA_SYSCALL_H
#define MICA_SYSCALL_H

/*
 * A handler gets the six raw arguments and returns the result as Linux would: a value, or
 * -errno (Linux errno values). Declare it with MICA_SYSCALL_ARGS and register it with
 * MICA_SYSCALL(SYS_read, sys_read); a later registration of the same number is a build error
 * caught at boot.
 */
#define MICA_SYSCALL_ARGS                                                                        \
	__attribute__((unused)) long a1, __attribute__((unused)) long a2,                       \
		__attribute__((unused)) long a3, __attribute__((unused)) long a4,               \
		__attribute__((unused)) long a5, __attribute__((unused)) long a6

typedef long (*mica_syscall_fn)(long, long, long, long, long, long);

struct mica_syscall_entry {
	long nr;
	mica_syscall_fn fn;
};

#define MICA_SYSCALL(nr, fn)                                                                     \
	static const struct mica_syscall_entry __mica_syscall_##fn                               \
		__attribute__((used, section(".mica_syscall"), aligned(8))) = {(nr), (fn)}

/* Linux system call n, made by a function call: what musl's syscall instructions became. */
long mica_syscall(long n, long a1, long a2, long a3, long a4, long a5, long a6);

#endif
