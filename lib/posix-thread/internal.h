/* How posix-thread's parts share thread lifetime and futex wake-ups. */
#ifndef POSIX_THREAD_INTERNAL_H
#define POSIX_THREAD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A thread running fn(arg) on the stack that ends at stack, with FS base tls when set_tls
 * (else its creator's), and clear_tid zeroed and futex-woken when it ends. Its tid, or -ENOMEM.
 */
int posix_thread_start(int (*fn)(void *), void *arg, void *stack, bool set_tls, uintptr_t tls, int *clear_tid);

/* Ends the calling thread; after the last of the program's threads, the guest, with status. */
_Noreturn void posix_thread_exit(int status);

/* FUTEX_WAKE: wakes up to n (at least one) threads waiting on uaddr; returns how many. */
int posix_futex_wake(int *uaddr, int n);

/* The futex system call, named so that host unit tests can call it. */
long posix_thread_sys_futex(long, long, long, long, long, long);

#endif
