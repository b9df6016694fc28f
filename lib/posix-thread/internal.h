/* How posix-thread's parts share thread lifetime and futex wake-ups. */
#ifndef POSIX_THREAD_INTERNAL_H
#define POSIX_THREAD_INTERNAL_H

/* Linux UAPI values (linux/futex.h), which musl's headers do not carry. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

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
