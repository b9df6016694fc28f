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
static struct sched_thread *sched_cur;
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
			free(t);
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
		arch_context_switch(&prev->ctx, &next->ctx);
	}
	sched_reap();
}

void sched_yield(void) { sched_switch(SCHED_RUNNABLE); }

void sched_sleep_ns(uint64_t ns)
{
	struct sched_thread *t = sched_cur, **link = &sched_sleepers;
	uint64_t now = plat_time_ns();

	t->deadline = ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
	/* After equal deadlines, so that sleepers due together wake in the order they slept. */
	while (*link != NULL && (*link)->deadline <= t->deadline)
		link = &(*link)->next;
	t->next = *link;
	*link = t;
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

void sched_wake(struct sched_thread *t)
{
	if (t->state == SCHED_BLOCKED)
		sched_make_runnable(t);
	else if (t->state != SCHED_EXITED)
		t->wake_pending = true;
}

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

struct sched_thread *sched_thread_create(const char *name, void (*fn)(void *), void *arg, size_t stack_size)
{
	struct sched_thread *t = malloc(sizeof(*t));

	if (t == NULL)
		return NULL;
	if (stack_size == 0)
		stack_size = SCHED_DEFAULT_STACK;
	t->stack_pages = stack_size / ALLOC_PAGE_SIZE + (stack_size % ALLOC_PAGE_SIZE != 0);
	t->stack = page_alloc(t->stack_pages);
	if (t->stack == NULL) {
		free(t);
		return NULL;
	}
	*(uint64_t *)t->stack = SCHED_STACK_CANARY;
	sched_set_name(t, name);
	t->fn = fn;
	t->arg = arg;
	t->wake_pending = false;
	arch_context_init(&t->ctx, (char *)t->stack + t->stack_pages * ALLOC_PAGE_SIZE, sched_thread_start, t);
	sched_make_runnable(t);
	return t;
}
