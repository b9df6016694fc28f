/* Futexes: threads parked on an address until woken through it, requeued, or timed out. */
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <mica/posix_time.h>
#include <mica/sched.h>
#include <mica/syscall.h>
#include "internal.h"

#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

#define FUTEX_BUCKETS 64

/*
 * A waiting thread, on its own stack. Waiters are kept per address, not on lib/sched wait
 * queues: a wake must pick waiters by address and bitset, a requeue move them, and a timeout
 * take one out, none of which a FIFO wait queue offers.
 */
struct futex_waiter {
	struct futex_waiter *next;
	int *addr;
	uint32_t bitset;
	struct sched_thread *thread;
	bool woken;
};

/* Each bucket in arrival order, so that wakes go first come, first served. */
static struct futex_waiter *futex_buckets[FUTEX_BUCKETS];

static struct futex_waiter **futex_bucket(const int *addr)
{
	uintptr_t a = (uintptr_t)addr >> 2;

	return &futex_buckets[(a ^ (a >> 6) ^ (a >> 12)) % FUTEX_BUCKETS];
}

static void futex_append(struct futex_waiter *w)
{
	struct futex_waiter **link = futex_bucket(w->addr);

	while (*link != NULL)
		link = &(*link)->next;
	w->next = NULL;
	*link = w;
}

static void futex_unlink(struct futex_waiter *w)
{
	struct futex_waiter **link = futex_bucket(w->addr);

	while (*link != w)
		link = &(*link)->next;
	*link = w->next;
}

/* Parks the calling thread on addr until a wake picks it or deadline_ns passes (UINT64_MAX: never). */
static long futex_wait(int *addr, int val, uint64_t deadline_ns, uint32_t bitset)
{
	struct futex_waiter w = {.addr = addr, .bitset = bitset, .thread = sched_current()};

	/* Nothing runs between this check and parking: no wake can slip in between. */
	if (*(volatile int *)addr != val)
		return -EAGAIN;
	futex_append(&w);
	/* Other wakes of this thread (lib/sched keeps early ones) are not ours: wait on. */
	while (!w.woken) {
		if (deadline_ns == UINT64_MAX) {
			sched_block();
		} else if (!sched_block_until(deadline_ns) && !w.woken) {
			futex_unlink(&w);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

/*
 * Wakes up to nr_wake waiters on addr whose bitset meets bitset, then moves up to nr_requeue
 * further ones to addr2 (none without addr2). Returns how many it woke and moved.
 */
static int futex_wake_requeue(int *addr, int nr_wake, uint32_t bitset, int *addr2, int nr_requeue)
{
	struct futex_waiter **link = futex_bucket(addr), *moved = NULL, **moved_tail = &moved;
	int woken = 0, requeued = 0;

	while (*link != NULL) {
		struct futex_waiter *w = *link;
		if (w->addr != addr || !(w->bitset & bitset)) {
			link = &w->next;
			continue;
		}
		if (woken < nr_wake) {
			*link = w->next;
			w->woken = true;
			sched_wake(w->thread);
			woken++;
		} else if (addr2 != NULL && requeued < nr_requeue) {
			*link = w->next;
			w->addr = addr2;
			*moved_tail = w;
			moved_tail = &w->next;
			requeued++;
		} else {
			break;
		}
	}
	/* Appended only now: addr2 may hash to the bucket being walked. */
	*moved_tail = NULL;
	while (moved != NULL) {
		struct futex_waiter *w = moved;
		moved = w->next;
		futex_append(w);
	}
	return woken + requeued;
}

/* A count below one wakes one, as Linux's FUTEX_WAKE does (its requeues take 0 to mean 0). */
static int futex_wake(int *addr, int n, uint32_t bitset)
{
	return futex_wake_requeue(addr, n > 0 ? n : 1, bitset, NULL, 0);
}

int posix_futex_wake(int *uaddr, int n) { return futex_wake(uaddr, n, FUTEX_BITSET_MATCH_ANY); }

/*
 * FUTEX_PRIVATE_FLAG changes nothing: there is one address space. The arguments are Linux's:
 * uaddr, op, val, then timeout (FUTEX_WAIT: relative, on CLOCK_MONOTONIC; FUTEX_WAIT_BITSET:
 * absolute, on CLOCK_MONOTONIC or with FUTEX_CLOCK_REALTIME on CLOCK_REALTIME) or for the
 * requeues a count, uaddr2, and val3 (the bitset, or the value FUTEX_CMP_REQUEUE compares).
 */
long posix_thread_sys_futex(MICA_SYSCALL_ARGS)
{
	int *uaddr = (int *)a1, *uaddr2 = (int *)a5;
	int op = (int)a2, cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME), val = (int)a3;
	const struct timespec *timeout = (const struct timespec *)a4;
	uint32_t val3 = (uint32_t)a6, bitset = FUTEX_BITSET_MATCH_ANY;
	uint64_t deadline = UINT64_MAX;

	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	if ((uintptr_t)uaddr % sizeof(int) != 0)
		return -EINVAL;
	switch (cmd) {
	case FUTEX_WAIT_BITSET:
		bitset = val3;
		if (bitset == 0)
			return -EINVAL;
		/* fall through */
	case FUTEX_WAIT:
		if (timeout != NULL) {
			int clock = (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
			int r = posix_time_deadline(clock, timeout, cmd == FUTEX_WAIT_BITSET, &deadline);
			if (r != 0)
				return r;
		}
		return futex_wait(uaddr, val, deadline, bitset);
	case FUTEX_WAKE_BITSET:
		bitset = val3;
		if (bitset == 0)
			return -EINVAL;
		/* fall through */
	case FUTEX_WAKE:
		return futex_wake(uaddr, val, bitset);
	case FUTEX_CMP_REQUEUE:
	case FUTEX_REQUEUE: {
		int nr_requeue = (int)(uint32_t)a4;
		if ((uintptr_t)uaddr2 % sizeof(int) != 0 || val < 0 || nr_requeue < 0)
			return -EINVAL;
		if (cmd == FUTEX_CMP_REQUEUE && *(volatile int *)uaddr != (int)val3)
			return -EAGAIN;
		return futex_wake_requeue(uaddr, val, FUTEX_BITSET_MATCH_ANY, uaddr2, nr_requeue);
	}
	}
	return -ENOSYS;
}
MICA_SYSCALL(SYS_futex, posix_thread_sys_futex);
