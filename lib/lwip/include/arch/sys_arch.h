/* lwIP's operating-system types on lib/sched: semaphores, mutexes, mailboxes and threads. */
#ifndef MICA_LWIP_ARCH_SYS_ARCH_H
#define MICA_LWIP_ARCH_SYS_ARCH_H

#include <stdint.h>

struct sched_thread;

/* A thread waiting in sys_arch_sem_wait or on a mailbox, linked from its own stack. */
struct sys_waiter {
	struct sys_waiter *next;
	struct sched_thread *thread;
};

struct sys_sem {
	uint32_t count;
	struct sys_waiter *waiters; /* oldest first */
	int valid;
};
typedef struct sys_sem sys_sem_t;

/* One vCPU and cooperative threads: a mutex is a binary semaphore. */
typedef struct sys_sem sys_mutex_t;

struct sys_mbox {
	void **slots;
	uint32_t size, head, count;
	struct sys_waiter *readers, *writers;
	int valid;
};
typedef struct sys_mbox sys_mbox_t;

typedef struct sched_thread *sys_thread_t;

#define sys_sem_valid(s) ((s)->valid)
#define sys_sem_set_invalid(s) ((s)->valid = 0)
#define sys_mutex_valid(m) ((m)->valid)
#define sys_mutex_set_invalid(m) ((m)->valid = 0)
#define sys_mbox_valid(m) ((m)->valid)
#define sys_mbox_set_invalid(m) ((m)->valid = 0)

/*
 * Nothing to protect against: threads switch only when they block, yield or exit, and event
 * handlers (netfront's rx) run only at those points, never in the middle of lwIP code. So a
 * section lwIP guards with SYS_ARCH_PROTECT can never be entered twice at once.
 */
#define SYS_ARCH_DECL_PROTECT(lev)
#define SYS_ARCH_PROTECT(lev)
#define SYS_ARCH_UNPROTECT(lev)

#endif
