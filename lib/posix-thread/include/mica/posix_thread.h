/* The program's threads as other libraries see them: their Linux ids and each one's signal mask. */
#ifndef MICA_POSIX_THREAD_H
#define MICA_POSIX_THREAD_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The calling thread's id: 1 for the boot thread, whose id is also the process id. Threads that
 * lib/sched started for a library (not through clone) count as part of the boot thread.
 */
int posix_thread_tid(void);

/* Whether tid is the id of a thread of the program that has not exited. */
bool posix_thread_exists(int tid);

/*
 * The calling thread's signal mask (bit n - 1 for signal n), kept with its thread because Linux
 * keeps it per thread; a new thread starts with its creator's. posix-process owns its meaning.
 */
uint64_t *posix_thread_sigmask(void);

#endif
