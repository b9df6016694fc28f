/* What every platform offers the libraries above it: console, time, blocking, memory, shutdown. */
#ifndef MICA_PLAT_H
#define MICA_PLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes all of buf to the guest console, waiting for the backend when the ring is full. */
void plat_console_write(const char *buf, size_t len);

/* Takes up to len bytes the console has received, without waiting; returns how many. */
size_t plat_console_read(char *buf, size_t len);

/* True once the console's input has ended and all of it has been read: the end of the file. */
bool plat_console_eof(void);

/*
 * Registers fn (one at a time; NULL removes it), called from event dispatch whenever the console
 * port fires: input arrived or the backend freed room for output. Lets a library wake threads
 * waiting on the console without polling it. Returns false where the console has no event (kvm
 * without Xen): fn is never called there, and a waiter must look at the console again now and then.
 */
bool plat_console_on_event(void (*fn)(void));

/* Monotonic system time in nanoseconds (Xen system time, from pvclock). */
uint64_t plat_time_ns(void);

/* Wall-clock time in nanoseconds since the Unix epoch. */
uint64_t plat_wallclock_ns(void);

/*
 * Waits until an event channel has a pending event or the system time reaches deadline_ns
 * (UINT64_MAX: no deadline), then runs the handlers of pending event channels. Returns at once
 * if an event is already pending. It may also return before deadline_ns with no event of the
 * caller's (the timer of an earlier deadline still armed): callers loop on their own condition.
 */
void plat_block(uint64_t deadline_ns);

/* Gives the host CPU away once without waiting for anything. */
void plat_yield(void);

/* The RAM the image and the platform's own pages leave free, page-aligned: [start, end). */
struct plat_memregion {
	uintptr_t start;
	uintptr_t end;
};
struct plat_memregion plat_free_memory(void);

/* Fills vars with the guest's environment ("NAME=VALUE"), at most max; returns how many. */
int plat_env(const char **vars, int max);

/* The initrd the runtime handed over, in guest memory: [start, end); {0, 0} when none. */
struct plat_memregion plat_initrd(void);

/* Sets the FS base used for thread-local storage. */
void plat_set_tls(uintptr_t base);

/*
 * The guest's ready point for snapshots (MICA_HC_READY, mica/abi.h). Returns 0 when the guest
 * just goes on; 1 when it resumes from a snapshot: then seed holds 32 bytes of fresh entropy
 * from the runtime and the clocks read the present. Under `mica run --snapshot` the runtime
 * saves the guest here and it never returns to this run.
 */
int plat_ready(uint8_t seed[32]);

/*
 * A driver's reconnection after a restore: the runtime made its devices afresh, so each frontend
 * drops its old ring, grants and event channel and does the xenbus handshake again.
 */
struct plat_restore_hook {
	void (*fn)(void *arg);
	void *arg;
	struct plat_restore_hook *next;
};

/*
 * Registers h (the caller's storage, kept for good). When plat_ready returns 1, the hooks have
 * run, in the order registered, after the clocks and the xenstore client resumed.
 */
void plat_on_restore(struct plat_restore_hook *h);

/* Ends the guest: poweroff with an exit status (0..255). Flushes the console first. */
_Noreturn void plat_poweroff(int status);

/* Ends the guest as crashed, after writing msg (may be NULL) to the console. */
_Noreturn void plat_crash(const char *msg);

#endif
