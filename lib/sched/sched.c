/* Cooperative threads: run queue, sleepers, the idle loop and thread lifetime. */
#include <mica/alloc.h>
#include <mica/evtchn.h>
#include <mica/init.h>
#include <mica/panic.h>
#include <mica/plat.h>
#include <mica/string.h>
#include "internal.h"

#define SCHED_DEFAULT_STACK (64 * 1024)
/* Written at the lowest word of each thread stack; a thread that overwrote it ran off its stack. */
#define SCHED_STACK_CANARY 0x5ca1ab1e0ddba11ULL

static struct sched_thread sched_main;
/* Set before sched_init so that the boot context can record its TLS from the first instruction. */
static struct sched_thread *sched_cur = &sched_main;
static struct sched_thread *sched_runq_head, *sched_runq_tail;
static struct sched_thread *sched_sleepers; /* by deadline, earliest first */
static struct sched_thread *sched_dead;
/* Event handlers run on whichever thread's stack is idling; they must not switch from there. */
static bool sched_in_handlers;

static void sched_set_name(struct sched_thread *t, const char *name)
{
	size_t n = strnlen(name, sizeof(t->name) - 1);

	memcpy(t->name, name, n);
	t->name[n] = '\0';
}

int sched_init(void)
{
	sched_set_name(&sched_main, "main");
	sched_main.state = SCHED_RUNNING;
	sched_cur = &sched_main;
	return 0;
}
MICA_INITCALL(sched_init, MICA_INIT_LIB);

struct sched_thread *sched_current(void) { return sched_cur; }

const char *sched_thread_name(const struct sched_thread *t) { return t->name; }

void sched_make_runnable(struct sched_thread *t)
{
	t->state = SCHED_RUNNABLE;
	t->next = NULL;
	if (sched_runq_tail != NULL)
		sched_runq_tail->next = t;
	else
		sched_runq_head = t;
	sched_runq_tail = t;
}

static void sched_poll_events(void)
{
	if (!evtchn_any_pending())
		return;
	sched_in_handlers = true;
	evtchn_dispatch();
	sched_in_handlers = false;
}

/* Nothing is runnable: wait in the platform for an event or the earliest sleeper. */
static void sched_idle(void)
{
	sched_in_handlers = true;
	plat_block(sched_sleepers != NULL ? sched_sleepers->deadline : UINT64_MAX);
	sched_in_handlers = false;
}

/* Handles due events and sleepers, then takes the head of the run queue, if any. */
static struct sched_thread *sched_pick(void)
{
	struct sched_thread *t;

	sched_poll_events();
	if (sched_sleepers != NULL) {
		uint64_t now = plat_time_ns();
		while (sched_sleepers != NULL && sched_sleepers->deadline <= now) {
			t = sched_sleepers;
			sched_sleepers = t->next;
			if (t->timed) {
				t->timed = false;
				t->timed_out = true;
			}
			sched_make_runnable(t);
		}
	}
	t = sched_runq_head;
	if (t != NULL) {
		sched_runq_head = t->next;
		if (sched_runq_head == NULL)
			sched_runq_tail = NULL;
		t->state = SCHED_RUNNING;
	}
	return t;
}

/* Frees the threads that exited; never the current one, whose stack is still in use. */
static void sched_reap(void)
{
	while (sched_dead != NULL) {
		struct sched_thread *t = sched_dead;
		sched_dead = t->next;
		if (t != &sched_main) {
			page_free(t->stack, t->stack_pages);
			heap_free(t);
		}
	}
}

void sched_switch(enum sched_state state)
{
	struct sched_thread *prev = sched_cur, *next;

	if (sched_in_handlers)
		panic("sched: thread %s tried to switch inside an event handler", prev->name);
	if (prev->stack != NULL && *(const uint64_t *)prev->stack != SCHED_STACK_CANARY)
		panic("sched: thread %s overflowed its stack", prev->name);

	prev->state = state;
	if (state == SCHED_RUNNABLE)
		sched_make_runnable(prev);
	while ((next = sched_pick()) == NULL)
		sched_idle();

	if (next != prev) {
		sched_cur = next;
		if (next->tls != prev->tls)
			plat_set_tls(next->tls);
		arch_context_switch(&prev->ctx, &next->ctx);
	}
	sched_reap();
}

void sched_thread_yield(void) { sched_switch(SCHED_RUNNABLE); }

static void sched_sleepers_add(struct sched_thread *t, uint64_t deadline)
{
	struct sched_thread **link = &sched_sleepers;

	t->deadline = deadline;
	/* After equal deadlines, so that sleepers due together wake in the order they slept. */
	while (*link != NULL && (*link)->deadline <= t->deadline)
		link = &(*link)->next;
	t->next = *link;
	*link = t;
}

void sched_sleep_ns(uint64_t ns)
{
	uint64_t now = plat_time_ns();

	sched_sleepers_add(sched_cur, ns > UINT64_MAX - now ? UINT64_MAX : now + ns);
	sched_switch(SCHED_SLEEPING);
}

void sched_block(void)
{
	struct sched_thread *t = sched_cur;

	if (t->wake_pending) {
		t->wake_pending = false;
		return;
	}
	sched_switch(SCHED_BLOCKED);
}

bool sched_block_until(uint64_t deadline_ns)
{
	struct sched_thread *t = sched_cur;

	if (t->wake_pending) {
		t->wake_pending = false;
		return true;
	}
	t->timed = true;
	t->timed_out = false;
	sched_sleepers_add(t, deadline_ns);
	sched_switch(SCHED_BLOCKED);
	return !t->timed_out;
}

void sched_wake(struct sched_thread *t)
{
	if (t->state == SCHED_BLOCKED) {
		if (t->timed) {
			struct sched_thread **link = &sched_sleepers;
			while (*link != t)
				link = &(*link)->next;
			*link = t->next;
			t->timed = false;
		}
		sched_make_runnable(t);
	} else if (t->state != SCHED_EXITED) {
		t->wake_pending = true;
	}
}

void sched_set_tls(struct sched_thread *t, uintptr_t base)
{
	t->tls = base;
	if (t == sched_cur)
		plat_set_tls(base);
}

uintptr_t sched_tls(const struct sched_thread *t) { return t->tls; }

_Noreturn void sched_thread_exit(void)
{
	struct sched_thread *t = sched_cur;

	t->next = sched_dead;
	sched_dead = t;
	sched_switch(SCHED_EXITED);
	__builtin_unreachable();
}

static void sched_thread_start(void *arg)
{
	struct sched_thread *t = arg;

	/* A new thread did not come through sched_switch, so it does that function's cleanup. */
	sched_reap();
	t->fn(t->arg);
	sched_thread_exit();
}

/* A thread record with everything but its stack; NULL without memory. */
static struct sched_thread *sched_thread_new(const char *name, void (*fn)(void *), void *arg)
{
	struct sched_thread *t = heap_alloc(sizeof(*t));

	if (t == NULL)
		return NULL;
	sched_set_name(t, name);
	t->fn = fn;
	t->arg = arg;
	t->wake_pending = false;
	t->timed = false;
	t->tls = sched_cur->tls;
	return t;
}

struct sched_thread *sched_thread_create(const char *name, void (*fn)(void *), void *arg, size_t stack_size)
{
	struct sched_thread *t = sched_thread_new(name, fn, arg);

	if (t == NULL)
		return NULL;
	if (stack_size == 0)
		stack_size = SCHED_DEFAULT_STACK;
	t->stack_pages = stack_size / ALLOC_PAGE_SIZE + (stack_size % ALLOC_PAGE_SIZE != 0);
	t->stack = page_alloc(t->stack_pages);
	if (t->stack == NULL) {
		heap_free(t);
		return NULL;
	}
	*(uint64_t *)t->stack = SCHED_STACK_CANARY;
	arch_context_init(&t->ctx, (char *)t->stack + t->stack_pages * ALLOC_PAGE_SIZE, sched_thread_start, t);
	sched_make_runnable(t);
	return t;
}

struct sched_thread *sched_thread_create_on(const char *name, void (*fn)(void *), void *arg, void *stack_top)
{
	struct sched_thread *t = sched_thread_new(name, fn, arg);

	if (t == NULL)
		return NULL;
	/* No stack of ours: nothing to check for overflow, and reaping frees only the record. */
	t->stack = NULL;
	t->stack_pages = 0;
	arch_context_init(&t->ctx, stack_top, sched_thread_start, t);
	sched_make_runnable(t);
	return t;
}
