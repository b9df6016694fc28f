/* Cooperative threads on one vCPU: a thread runs until it yields, sleeps, blocks or exits. */
#ifndef MICA_SCHED_H
#define MICA_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sched_thread;

/*
 * A runnable thread that calls fn(arg) once the current thread gives up the CPU; returning from
 * fn exits it. name is copied (up to 15 characters); stack_size 0 means 64 KiB. NULL if there is
 * not enough memory.
 */
struct sched_thread *sched_thread_create(const char *name, void (*fn)(void *), void *arg, size_t stack_size);
/*
 * The same on a stack the caller provides, ending at stack_top, which lib/sched neither checks
 * for overflow nor frees: a C library's threads come with stacks it manages itself.
 */
struct sched_thread *sched_thread_create_on(const char *name, void (*fn)(void *), void *arg, void *stack_top);
/* The boot context is the current thread, "main", even before sched_init runs. */
struct sched_thread *sched_current(void);
const char *sched_thread_name(const struct sched_thread *t);

/* Lets every other runnable thread, and pending event handlers, run once. */
void sched_thread_yield(void);

/* Sleeps for at least ns nanoseconds of plat_time_ns. */
void sched_sleep_ns(uint64_t ns);

/*
 * Stops the current thread until sched_wake. A wake that arrives while the thread is not in
 * sched_block is kept for its next one, which then returns at once: callers re-check whatever
 * condition they were waiting for.
 */
void sched_block(void);
/* Safe from event-channel handlers. */
void sched_wake(struct sched_thread *t);
/* sched_block that also returns once plat_time_ns reaches deadline_ns: false if it timed out. */
bool sched_block_until(uint64_t deadline_ns);

/*
 * Each thread's thread pointer (FS base): plat_set_tls loads it whenever the thread is switched
 * in, and at once when t is the current thread. A new thread starts with its creator's, so code
 * that reads TLS keeps working in threads a library starts for itself.
 */
void sched_set_tls(struct sched_thread *t, uintptr_t base);
uintptr_t sched_tls(const struct sched_thread *t);

_Noreturn void sched_thread_exit(void);

/* Threads waiting for something, woken in the order they started waiting. */
struct sched_waitq {
	struct sched_thread *head, *tail;
};

void sched_waitq_init(struct sched_waitq *q);
/* Stops the current thread until sched_wake_one or sched_wake_all on q picks it. */
void sched_wait(struct sched_waitq *q);
/* Both are safe from event-channel handlers. */
void sched_wake_one(struct sched_waitq *q);
void sched_wake_all(struct sched_waitq *q);

#endif
