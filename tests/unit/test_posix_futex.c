/* unit-sources: arch/x86_64/switch.S lib/sched/sched.c lib/sched/waitq.c lib/alloc/page.c lib/alloc/heap.c lib/alloc/init.c lib/posix-thread/futex.c lib/posix-time/clock.c */
/* unit-cflags: -Ilib/syscall/include -Ilib/posix-time/include */
/*
 * Host test of lib/posix-thread's futexes on lib/sched's real threads, with a fake clock that
 * jumps to the next deadline when every thread waits: wait and wake, bitsets, first come first
 * served, timeouts on both clocks, requeueing (also within one hash bucket) and the errors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <mica/evtchn.h>
#include <mica/plat.h>
#include <mica/sched.h>
#include "../../lib/alloc/internal.h"
#include "../../lib/posix-thread/internal.h"
#include "unit.h"

#define WALL_OFFSET 1700000000000000000ULL

/* ------------------------------------------------------------------ the fake platform */

#define ARENA_SIZE (4UL << 20)
static unsigned char arena[ARENA_SIZE] __attribute__((aligned(4096)));
static uint64_t fake_now = 1000000;

struct plat_memregion plat_free_memory(void)
{
	return (struct plat_memregion){(uintptr_t)arena, (uintptr_t)arena + ARENA_SIZE};
}

uint64_t plat_time_ns(void) { return fake_now += 1000; }
uint64_t plat_wallclock_ns(void) { return WALL_OFFSET + plat_time_ns(); }
void plat_set_tls(uintptr_t base) { (void)base; }
bool evtchn_any_pending(void) { return false; }
void evtchn_dispatch(void) {}

void plat_block(uint64_t deadline)
{
	if (deadline == UINT64_MAX) {
		unit_check(0, "the guest would block forever", "every thread waits and none has a deadline");
		exit(unit_exit_status());
	}
	if (fake_now < deadline)
		fake_now = deadline;
}

#include "fatal_panic.h"

/* ------------------------------------------------------------------ helpers */

static long futex(int *uaddr, int op, int val, const void *timeout, int *uaddr2, unsigned val3)
{
	return posix_thread_sys_futex((long)uaddr, op, val, (long)timeout, (long)uaddr2, val3);
}

/* A thread that waits on its word with its bitset and records the result and its wake order. */
struct waiter {
	int *addr;
	unsigned bitset;
	long result;
	int done;
};

static void waiter_thread(void *arg)
{
	struct waiter *w = arg;

	w->result = futex(w->addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, w->bitset);
	w->done = 1;
}

static struct waiter waiters[8];

/* Starts n waiters on addr (bitset b) and lets them all reach their wait. */
static void start_waiters(int first, int n, int *addr, unsigned b)
{
	for (int i = first; i < first + n; i++) {
		waiters[i] = (struct waiter){.addr = addr, .bitset = b, .result = -1};
		sched_thread_create("waiter", waiter_thread, &waiters[i], 0);
	}
	sched_thread_yield();
}

static int count_done(int first, int n)
{
	int d = 0;

	for (int i = first; i < first + n; i++)
		d += waiters[i].done;
	return d;
}

/* ------------------------------------------------------------------ tests */

static int word_a, word_b;

static void test_wait_wake(void)
{
	word_a = 1;
	unit_check(futex(&word_a, FUTEX_WAIT, 0, NULL, NULL, 0) == -EAGAIN, "FUTEX_WAIT on a changed word is EAGAIN",
		   NULL);
	word_a = 0;
	start_waiters(0, 3, &word_a, ~0u);
	unit_check(count_done(0, 3) == 0, "waiters stay parked", NULL);
	long r = futex(&word_a, FUTEX_WAKE, 2, NULL, NULL, 0);
	sched_thread_yield();
	unit_check(r == 2 && count_done(0, 3) == 2 && waiters[0].done && waiters[1].done && waiters[0].result == 0,
		   "FUTEX_WAKE wakes as many as asked, first come first served", "woke %ld", r);
	unit_check(futex(&word_a, FUTEX_WAKE, 0, NULL, NULL, 0) == 1, "FUTEX_WAKE of 0 wakes one, as on Linux", NULL);
	sched_thread_yield();
	unit_check(futex(&word_a, FUTEX_WAKE, 5, NULL, NULL, 0) == 0, "nobody left to wake", NULL);
}

static void test_bitset(void)
{
	word_a = 0;
	start_waiters(0, 1, &word_a, 0x1);
	start_waiters(1, 1, &word_a, 0x2);
	long r = futex(&word_a, FUTEX_WAKE_BITSET, 10, NULL, NULL, 0x2);
	sched_thread_yield();
	unit_check(r == 1 && !waiters[0].done && waiters[1].done, "FUTEX_WAKE_BITSET wakes only matching bitsets", NULL);
	r = futex(&word_a, FUTEX_WAKE, 10, NULL, NULL, 0);
	sched_thread_yield();
	unit_check(r == 1 && waiters[0].done, "FUTEX_WAKE matches every bitset", NULL);
	unit_check(futex(&word_a, FUTEX_WAIT_BITSET, 0, NULL, NULL, 0) == -EINVAL &&
			   futex(&word_a, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0) == -EINVAL,
		   "a bitset of 0 is EINVAL", NULL);
}

static void test_timeouts(void)
{
	struct timespec rel = {0, 2000000}, bad = {0, 1000000000};
	uint64_t t0 = fake_now;

	word_a = 0;
	unit_check(futex(&word_a, FUTEX_WAIT, 0, &rel, NULL, 0) == -ETIMEDOUT && fake_now - t0 >= 2000000,
		   "FUTEX_WAIT times out after its relative timeout", "after %lu ns", (unsigned long)(fake_now - t0));
	uint64_t now = fake_now;
	struct timespec abs_mono = {(time_t)((now + 3000000) / 1000000000), (long)((now + 3000000) % 1000000000)};
	unit_check(futex(&word_a, FUTEX_WAIT_BITSET, 0, &abs_mono, NULL, ~0u) == -ETIMEDOUT && fake_now >= now + 3000000,
		   "FUTEX_WAIT_BITSET times out at its absolute monotonic deadline", NULL);
	uint64_t wall = plat_wallclock_ns() + 1000000;
	struct timespec abs_real = {(time_t)(wall / 1000000000), (long)(wall % 1000000000)};
	unit_check(futex(&word_a, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &abs_real, NULL, ~0u) == -ETIMEDOUT &&
			   plat_wallclock_ns() >= wall,
		   "FUTEX_CLOCK_REALTIME deadlines are on the wall clock", NULL);
	struct timespec past = {1, 0};
	unit_check(futex(&word_a, FUTEX_WAIT_BITSET, 0, &past, NULL, ~0u) == -ETIMEDOUT,
		   "a deadline already past times out", NULL);
	unit_check(futex(&word_a, FUTEX_WAIT, 0, &bad, NULL, 0) == -EINVAL, "a malformed timeout is EINVAL", NULL);
	unit_check(futex(&word_a, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 0, &rel, NULL, 0) == -ENOSYS,
		   "FUTEX_CLOCK_REALTIME with FUTEX_WAIT is ENOSYS, as on Linux", NULL);

}

/* Two words whose waiters share a hash bucket, so that a requeue moves within the bucket it walks. */
static int bucket_words[4096];

static void find_same_bucket(int **x, int **y)
{
	/* The hash is futex.c's: reproduce it to find a pair. */
	for (int i = 1; i < 4096; i++) {
		uintptr_t a = (uintptr_t)&bucket_words[0] >> 2, b = (uintptr_t)&bucket_words[i] >> 2;
		if ((a ^ (a >> 6) ^ (a >> 12)) % 64 == (b ^ (b >> 6) ^ (b >> 12)) % 64) {
			*x = &bucket_words[0];
			*y = &bucket_words[i];
			return;
		}
	}
	*x = &word_a;
	*y = &word_b;
}

static void test_requeue(void)
{
	int *a, *b;

	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0) {
			a = &word_a;
			b = &word_b;
		} else {
			find_same_bucket(&a, &b);
		}
		*a = *b = 0;
		start_waiters(0, 5, a, ~0u);
		long r = futex(a, FUTEX_REQUEUE, 1, (void *)2, b, 0);
		sched_thread_yield();
		int ok = r == 3 && count_done(0, 5) == 1 && waiters[0].done;
		r = futex(a, FUTEX_WAKE, 10, NULL, NULL, 0);
		sched_thread_yield();
		ok = ok && r == 2 && waiters[3].done && waiters[4].done && !waiters[1].done && !waiters[2].done;
		r = futex(b, FUTEX_WAKE, 10, NULL, NULL, 0);
		sched_thread_yield();
		ok = ok && r == 2 && count_done(0, 5) == 5;
		unit_check(ok, pass == 0 ? "FUTEX_REQUEUE wakes some and moves the next to the other word"
					 : "FUTEX_REQUEUE between words of one hash bucket",
			   "last count %ld", r);
	}

	*a = 0;
	start_waiters(0, 1, a, ~0u);
	*a = 7;
	unit_check(futex(a, FUTEX_CMP_REQUEUE, 1, (void *)1, b, 6) == -EAGAIN && !waiters[0].done,
		   "FUTEX_CMP_REQUEUE with a changed word is EAGAIN", NULL);
	*a = 0;
	unit_check(futex(a, FUTEX_CMP_REQUEUE, 0, (void *)1, b, 0) == 1 && futex(b, FUTEX_WAKE, 1, NULL, NULL, 0) == 1,
		   "FUTEX_CMP_REQUEUE of 0 wakes none and moves one", NULL);
	sched_thread_yield();
	unit_check(futex(a, FUTEX_REQUEUE, -1, (void *)1, b, 0) == -EINVAL, "a negative count is EINVAL", NULL);
}

static void test_errors(void)
{
	unit_check(futex((int *)((char *)&word_a + 1), FUTEX_WAKE, 1, NULL, NULL, 0) == -EINVAL,
		   "an unaligned address is EINVAL", NULL);
	unit_check(futex(&word_a, 5, 1, NULL, NULL, 0) == -ENOSYS && futex(&word_a, 6, 1, NULL, NULL, 0) == -ENOSYS,
		   "operations not offered are ENOSYS", NULL);
}

int main(void)
{
	unit_check(alloc_init() == 0, "alloc_init", NULL);
	test_wait_wake();
	test_bitset();
	test_timeouts();
	test_requeue();
	test_errors();
	return unit_exit_status();
}
