/* unit-sources: arch/x86_64/switch.S lib/sched/sched.c lib/sched/waitq.c lib/alloc/page.c lib/alloc/heap.c lib/alloc/init.c lib/core/panic.c lib/core/console.c lib/core/format.c lib/core/libc_stdio.c lib/core/string.c */
/* unit-cflags: -Dmalloc=mica_malloc -Dfree=mica_free -Dcalloc=mica_calloc -Drealloc=mica_realloc -Daligned_alloc=mica_aligned_alloc -Dprintf=mica_printf -Dvprintf=mica_vprintf -Dsnprintf=mica_snprintf -Dvsnprintf=mica_vsnprintf -Dputs=mica_puts -Dputchar=mica_putchar -Dstrlen=mica_strlen -Dstrnlen=mica_strnlen -Dstrcmp=mica_strcmp -Dstrncmp=mica_strncmp -Dstrchr=mica_strchr -Dmemchr=mica_memchr */
/*
 * Host test of the context switch and lib/sched: real stack switching on the host CPU, with the
 * platform replaced by a fake clock, a fake event channel whose handler runs from plat_block or
 * evtchn_dispatch just as the guest's would, and a fake FS base that is only recorded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arch/context.h>
#include <mica/alloc.h>
#include <mica/evtchn.h>
#include <mica/plat.h>
#include <mica/sched.h>
#include "../../lib/alloc/internal.h"
#include "../../lib/sched/internal.h"
#include "fake_plat.h"
#include "unit.h"

/* ------------------------------------------------------------------ the fake clock and events */

/* Time moves a microsecond per reading, and jumps to the deadline when the guest blocks. */
static uint64_t fake_now = 1000000;
static uint64_t last_block_deadline;
static int block_calls;

uint64_t plat_time_ns(void) { return fake_now += 1000; }

/* What the FS base would be: the host's own must stay as it is, or its libc loses its TLS. */
static uintptr_t fake_tls;

void plat_set_tls(uintptr_t base) { fake_tls = base; }

static void (*event_handler)(void);

bool evtchn_any_pending(void) { return event_handler != NULL; }

void evtchn_dispatch(void)
{
	void (*h)(void) = event_handler;

	event_handler = NULL;
	if (h != NULL)
		h();
}

void plat_block(uint64_t deadline)
{
	block_calls++;
	last_block_deadline = deadline;
	if (event_handler != NULL) {
		evtchn_dispatch();
		return;
	}
	if (deadline == UINT64_MAX) {
		unit_check(0, "the guest would block forever", "no thread can run and no deadline is set");
		exit(unit_exit_status());
	}
	if (fake_now < deadline)
		fake_now = deadline;
}

/* ------------------------------------------------------------------ arch_context */

/* Not static: the assembly below refers to them by name. */
struct arch_context ctx_main, ctx_new;
uintptr_t entry_rsp;
void *entry_arg;

/* Records rsp exactly as the entry function sees it, then returns to the test. */
void probe_entry(void *arg);
__asm__(".text\n"
	"probe_entry:\n"
	"	movq %rsp, entry_rsp(%rip)\n"
	"	movq %rdi, entry_arg(%rip)\n"
	"	leaq ctx_new(%rip), %rdi\n"
	"	leaq ctx_main(%rip), %rsi\n"
	"	call arch_context_switch\n"
	"	ud2\n");

static void test_arch_context(void)
{
	static unsigned char stack[8192] __attribute__((aligned(16)));
	char name[128];

	/* A misaligned top must still give the ABI's alignment at entry. */
	for (int skew = 0; skew < 16; skew += 5) {
		entry_rsp = 0;
		arch_context_init(&ctx_new, stack + sizeof(stack) - skew, probe_entry, (void *)0x1234);
		arch_context_switch(&ctx_main, &ctx_new);
		snprintf(name, sizeof(name), "a context on a stack top %d bytes off alignment enters with rsp = 8 mod 16",
			 skew);
		unit_check(entry_rsp % 16 == 8 && entry_arg == (void *)0x1234 &&
				   entry_rsp < (uintptr_t)stack + sizeof(stack) - skew && entry_rsp > (uintptr_t)stack,
			   name, "rsp %#lx at entry, argument %p", (unsigned long)entry_rsp, entry_arg);
	}
}

/* ------------------------------------------------------------------ sched */

static int order[64], norder;
static int finished;

static void rr_thread(void *arg)
{
	for (int i = 0; i < 3; i++) {
		order[norder++] = (int)(intptr_t)arg;
		sched_thread_yield();
	}
	finished++;
}

static void test_round_robin(void)
{
	norder = 0;
	finished = 0;
	for (intptr_t i = 0; i < 3; i++)
		sched_thread_create("rr", rr_thread, (void *)i, 0);
	while (finished < 3)
		sched_thread_yield();
	int ok = norder == 9;
	for (int i = 0; i < norder && ok; i++)
		ok = order[i] == i % 3;
	unit_check(ok, "yield runs threads round robin", "wrong order");
}

static struct sched_waitq pp_q;
static int pp_turn;

static void pp_thread(void *arg)
{
	int me = (int)(intptr_t)arg;

	for (int round = 0; round < 5; round++) {
		while (pp_turn % 3 != me)
			sched_wait(&pp_q);
		order[norder++] = me;
		pp_turn++;
		sched_wake_all(&pp_q);
	}
	finished++;
}

static void waiter(void *q) { sched_wait(q); }

static void test_waitq(void)
{
	norder = 0;
	finished = 0;
	pp_turn = 0;
	sched_waitq_init(&pp_q);
	/* Created out of turn order, so the queue has to sort it out. */
	sched_thread_create("pp2", pp_thread, (void *)2, 0);
	sched_thread_create("pp1", pp_thread, (void *)1, 0);
	sched_thread_create("pp0", pp_thread, (void *)0, 0);
	while (finished < 3)
		sched_thread_yield();
	int ok = norder == 15;
	for (int i = 0; i < norder && ok; i++)
		ok = order[i] == i % 3;
	unit_check(ok, "three threads ping-pong through a wait queue", "wrong order");

	/* wake_one wakes in FIFO order, one at a time. */
	norder = 0;
	finished = 0;
	pp_turn = 0;
	sched_thread_create("w0", waiter, &pp_q, 0);
	sched_thread_create("w1", waiter, &pp_q, 0);
	sched_thread_yield();
	struct sched_thread *first = pp_q.head, *second = first != NULL ? first->next : NULL;
	int ok2 = first != NULL && second != NULL && strcmp(sched_thread_name(first), "w0") == 0 &&
		  strcmp(sched_thread_name(second), "w1") == 0;
	sched_wake_one(&pp_q);
	ok2 = ok2 && pp_q.head == second;
	sched_wake_one(&pp_q);
	ok2 = ok2 && pp_q.head == NULL;
	sched_wake_one(&pp_q);
	sched_thread_yield();
	unit_check(ok2, "wake_one takes waiters in arrival order", "queue order wrong");
}

static struct sched_thread *main_thread;
static uint64_t slept[3];

static void sleeper(void *arg)
{
	int i = (int)(intptr_t)arg;
	uint64_t ns = (uint64_t)(3 - i) * 1000000, t0 = plat_time_ns();

	sched_sleep_ns(ns);
	slept[i] = plat_time_ns() - t0;
	order[norder++] = i;
	if (++finished == 3)
		sched_wake(main_thread);
}

static void test_sleep(void)
{
	norder = 0;
	finished = 0;
	block_calls = 0;
	for (intptr_t i = 0; i < 3; i++)
		sched_thread_create("sleeper", sleeper, (void *)i, 0);
	uint64_t before = fake_now;
	sched_block();
	unit_check(finished == 3 && norder == 3 && order[0] == 2 && order[1] == 1 && order[2] == 0,
		   "sleepers wake in deadline order", "wrong order");
	unit_check(slept[0] >= 3000000 && slept[1] >= 2000000 && slept[2] >= 1000000, "each sleeper slept its time",
		   "slept %lu %lu %lu ns", (unsigned long)slept[0], (unsigned long)slept[1], (unsigned long)slept[2]);
	unit_check(block_calls >= 3 && last_block_deadline != UINT64_MAX && fake_now - before < 4000000,
		   "the idle loop blocks until the earliest deadline", "blocked too long or not at all");
}

static int x_returns;
static struct sched_thread *x_thread;

static void blocker(void *arg)
{
	(void)arg;
	sched_block();
	x_returns++;
	sched_block();
	x_returns++;
}

static void wake_x(void) { sched_wake(x_thread); }

static void test_block_wake(void)
{
	x_returns = 0;
	x_thread = sched_thread_create("blocker", blocker, NULL, 0);
	/* Woken before it ever blocked: its first sched_block returns at once. */
	sched_wake(x_thread);
	sched_thread_yield();
	unit_check(x_returns == 1, "a wake before sched_block is not lost", "the thread stayed blocked");
	sched_thread_yield();
	unit_check(x_returns == 1, "sched_block without a wake stays blocked", "it returned");

	/* The handler runs from the idle loop, as the guest's event channels do. */
	event_handler = wake_x;
	sched_sleep_ns(5000);
	unit_check(x_returns == 2, "an event handler wakes a blocked thread", "it stayed blocked");
}

static int reaped_runs;

static void short_lived(void *arg)
{
	(void)arg;
	reaped_runs++;
}

static void test_reaping(void)
{
	int ok = 1;

	reaped_runs = 0;
	/* 400 stacks of 64 KiB are six times the arena: only reaping lets them all exist in turn. */
	for (int i = 0; i < 400 && ok; i++) {
		ok = sched_thread_create("short", short_lived, NULL, 64 * 1024) != NULL;
		sched_thread_yield();
	}
	unit_check(ok && reaped_runs == 400, "exited threads' stacks are freed", "ran out of memory");
	unit_check(sched_thread_create("huge", short_lived, NULL, 8UL << 20) == NULL,
		   "creating a thread without memory for its stack is NULL", "got a thread");
}

static int until_result, until_returns;
static uint64_t until_waited;

static void until_thread(void *arg)
{
	uint64_t t0 = plat_time_ns();

	until_result = sched_block_until(t0 + (uint64_t)(uintptr_t)arg);
	until_waited = plat_time_ns() - t0;
	until_returns++;
	/* Woken before its deadline, it must be off the sleep list: this block lasts. */
	sched_block();
	until_returns++;
}

static void test_block_until(void)
{
	until_returns = 0;
	x_thread = sched_thread_create("until", until_thread, (void *)(uintptr_t)5000000, 0);
	sched_thread_yield();
	sched_wake(x_thread);
	sched_thread_yield();
	unit_check(until_returns == 1 && until_result && until_waited < 5000000,
		   "sched_block_until returns true when woken before the deadline", "returned %d after %lu ns",
		   until_result, (unsigned long)until_waited);
	sched_sleep_ns(10000000);
	unit_check(until_returns == 1, "a thread woken from sched_block_until is not woken again by its deadline",
		   "its old deadline woke it");
	sched_wake(x_thread);
	sched_thread_yield();

	until_returns = 0;
	x_thread = sched_thread_create("until", until_thread, (void *)(uintptr_t)2000000, 0);
	sched_sleep_ns(3000000);
	unit_check(until_returns == 1 && !until_result && until_waited >= 2000000,
		   "sched_block_until returns false at its deadline", "returned %d after %lu ns", until_result,
		   (unsigned long)until_waited);
	sched_wake(x_thread);
	sched_thread_yield();
}

static uintptr_t tls_seen[2];
static uintptr_t on_stack_local;

static void tls_thread(void *arg)
{
	int i = (int)(intptr_t)arg;

	tls_seen[i] = fake_tls;
	sched_thread_yield();
	/* Switched back in after main ran with its own: loaded again. */
	tls_seen[i] = tls_seen[i] == fake_tls ? fake_tls : 0;
	on_stack_local = (uintptr_t)&i;
	finished++;
}

static void test_tls(void)
{
	static unsigned char stack[16384] __attribute__((aligned(16)));

	finished = 0;
	sched_set_tls(main_thread, 0x1000);
	unit_check(fake_tls == 0x1000 && sched_tls(main_thread) == 0x1000, "sched_set_tls loads the current thread's",
		   "FS base %#lx", (unsigned long)fake_tls);
	struct sched_thread *own = sched_thread_create("tls0", tls_thread, (void *)0, 0);
	sched_thread_create("tls1", tls_thread, (void *)1, 0);
	sched_set_tls(own, 0x2000);
	unit_check(fake_tls == 0x1000, "setting another thread's leaves the FS base alone", NULL);
	while (finished < 2)
		sched_thread_yield();
	unit_check(tls_seen[0] == 0x2000 && tls_seen[1] == 0x1000 && fake_tls == 0x1000,
		   "each thread runs with its own FS base, new ones with their creator's", "saw %#lx and %#lx",
		   (unsigned long)tls_seen[0], (unsigned long)tls_seen[1]);
	sched_set_tls(main_thread, 0);

	finished = 0;
	struct sched_thread *t = sched_thread_create_on("on", tls_thread, (void *)0, stack + sizeof(stack));
	while (finished < 1)
		sched_thread_yield();
	unit_check(t != NULL && on_stack_local > (uintptr_t)stack && on_stack_local < (uintptr_t)stack + sizeof(stack),
		   "sched_thread_create_on runs the thread on the given stack", NULL);
}

static uint32_t mxcsr_seen[2];

static uint32_t get_mxcsr(void)
{
	uint32_t v;
	__asm__ __volatile__("stmxcsr %0" : "=m"(v));
	return v;
}

static void mxcsr_thread(void *arg)
{
	int i = (int)(intptr_t)arg;

	if (i == 0) {
		/* Round toward zero: a visible, harmless change. */
		uint32_t v = get_mxcsr() | 0x6000;
		__asm__ __volatile__("ldmxcsr %0" : : "m"(v));
	}
	sched_thread_yield();
	mxcsr_seen[i] = get_mxcsr();
	finished++;
}

static void test_fp_state(void)
{
	finished = 0;
	sched_thread_create("fp0", mxcsr_thread, (void *)0, 0);
	sched_thread_create("fp1", mxcsr_thread, (void *)1, 0);
	while (finished < 2)
		sched_thread_yield();
	unit_check((mxcsr_seen[0] & 0x6000) == 0x6000 && (mxcsr_seen[1] & 0x6000) == 0 &&
			   (get_mxcsr() & 0x6000) == 0,
		   "each thread keeps its own MXCSR", "rounding mode leaked");
}

static void test_names(void)
{
	struct sched_thread *t = sched_thread_create("a-very-long-thread-name", short_lived, NULL, 0);

	unit_check(sched_current() == main_thread && strcmp(sched_thread_name(main_thread), "main") == 0,
		   "the boot context is thread main", "it is not");
	unit_check(t != NULL && strcmp(sched_thread_name(t), "a-very-long-thr") == 0, "names are copied and truncated",
		   "%s", t != NULL ? sched_thread_name(t) : "NULL");
	sched_thread_yield();
}

static void overflow_thread(void *arg)
{
	(void)arg;
	*(uint64_t *)sched_current()->stack = 0;
	sched_thread_yield();
}

static void run_overflow_thread(void *arg)
{
	(void)arg;
	sched_thread_create("overflow", overflow_thread, NULL, 0);
	sched_thread_yield();
	sched_thread_yield();
}

/* Last: the panic leaves the scheduler mid-switch. */
static void test_canary(void)
{
	unit_check(panics(run_overflow_thread, NULL), "a thread that overwrote its stack bottom panics", "it went on");
}

int main(void)
{
	test_arch_context();
	unit_check(alloc_init() == 0 && sched_init() == 0, "alloc_init and sched_init", "failed");
	main_thread = sched_current();
	test_names();
	test_round_robin();
	test_waitq();
	test_sleep();
	test_block_wake();
	test_block_until();
	test_tls();
	test_reaping();
	test_fp_state();
	test_canary();
	return unit_exit_status();
}
