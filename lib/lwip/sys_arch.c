/* lwIP's sys_arch on lib/sched: semaphores, mutexes and mailboxes with timeouts, threads and time. */
#include <mica/panic.h>
#include <mica/plat.h>
#include <mica/sched.h>
#include "lwip/err.h"
#include "lwip/mem.h"
#include "lwip/sys.h"

#define SYS_NS_PER_MS 1000000ULL

static uint64_t sys_rand_state;

void sys_init(void) { sys_rand_state = plat_time_ns() | 1; }

u32_t sys_now(void) { return (u32_t)(plat_time_ns() / SYS_NS_PER_MS); }

/* xorshift64*: lwIP wants unpredictable-enough ISNs and ephemeral ports, not cryptography. */
uint32_t lwip_port_rand(void)
{
	uint64_t x = sys_rand_state ^ plat_time_ns();

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	sys_rand_state = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

_Noreturn void lwip_port_assert(const char *msg, const char *file, int line)
{
	panic("lwip: assertion failed: %s (%s:%d)", msg, file, line);
}

/* Absolute deadline for a timeout in ms, 0 meaning none. */
static uint64_t sys_deadline(u32_t timeout_ms)
{
	return timeout_ms == 0 ? UINT64_MAX : plat_time_ns() + (uint64_t)timeout_ms * SYS_NS_PER_MS;
}

static void sys_waiter_add(struct sys_waiter **list, struct sys_waiter *w)
{
	while (*list != NULL)
		list = &(*list)->next;
	w->next = NULL;
	w->thread = sched_current();
	*list = w;
}

static void sys_waiter_remove(struct sys_waiter **list, struct sys_waiter *w)
{
	while (*list != NULL && *list != w)
		list = &(*list)->next;
	if (*list == w)
		*list = w->next;
}

/* Wakes the oldest waiter, which re-checks its condition (sched_wake never switches threads). */
static void sys_waiter_wake(struct sys_waiter *list)
{
	if (list != NULL)
		sched_wake(list->thread);
}

/*
 * Blocks until woken or the deadline; false when the deadline passed. Wakes can be stale
 * (lib/sched keeps one that came early), so callers loop on their own condition.
 */
static bool sys_wait_on(struct sys_waiter **list, uint64_t deadline)
{
	struct sys_waiter w;
	bool woken;

	sys_waiter_add(list, &w);
	woken = deadline == UINT64_MAX ? (sched_block(), true) : sched_block_until(deadline);
	sys_waiter_remove(list, &w);
	return woken;
}

static u32_t sys_elapsed_ms(uint64_t start)
{
	return (u32_t)((plat_time_ns() - start) / SYS_NS_PER_MS);
}

err_t sys_sem_new(sys_sem_t *sem, u8_t count)
{
	sem->count = count;
	sem->waiters = NULL;
	sem->valid = 1;
	return ERR_OK;
}

void sys_sem_free(sys_sem_t *sem) { sem->valid = 0; }

void sys_sem_signal(sys_sem_t *sem)
{
	sem->count++;
	sys_waiter_wake(sem->waiters);
}

u32_t sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout)
{
	uint64_t start = plat_time_ns(), deadline = sys_deadline(timeout);

	while (sem->count == 0) {
		if (!sys_wait_on(&sem->waiters, deadline) && sem->count == 0)
			return SYS_ARCH_TIMEOUT;
	}
	sem->count--;
	/* Another waiter may be able to go too (several signals came in before anyone ran). */
	if (sem->count > 0)
		sys_waiter_wake(sem->waiters);
	return sys_elapsed_ms(start);
}

err_t sys_mutex_new(sys_mutex_t *mutex) { return sys_sem_new(mutex, 1); }
void sys_mutex_free(sys_mutex_t *mutex) { sys_sem_free(mutex); }
void sys_mutex_lock(sys_mutex_t *mutex) { sys_arch_sem_wait(mutex, 0); }
void sys_mutex_unlock(sys_mutex_t *mutex) { sys_sem_signal(mutex); }

/* Slots come from lwIP's own heap: mailboxes are made by threads, never in dispatch context. */
err_t sys_mbox_new(sys_mbox_t *mbox, int size)
{
	if (size <= 0)
		return ERR_VAL;
	mbox->slots = mem_malloc((mem_size_t)((size_t)size * sizeof(void *)));
	if (mbox->slots == NULL)
		return ERR_MEM;
	mbox->size = (uint32_t)size;
	mbox->head = mbox->count = 0;
	mbox->readers = mbox->writers = NULL;
	mbox->valid = 1;
	return ERR_OK;
}

void sys_mbox_free(sys_mbox_t *mbox)
{
	mem_free(mbox->slots);
	mbox->slots = NULL;
	mbox->valid = 0;
}

static void sys_mbox_put(sys_mbox_t *mbox, void *msg)
{
	mbox->slots[(mbox->head + mbox->count) % mbox->size] = msg;
	mbox->count++;
	sys_waiter_wake(mbox->readers);
}

void sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
	while (mbox->count == mbox->size)
		sys_wait_on(&mbox->writers, UINT64_MAX);
	sys_mbox_put(mbox, msg);
}

/* Never waits: netfront's rx handler posts frames through here from event dispatch. */
err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
	if (mbox->count == mbox->size)
		return ERR_MEM;
	sys_mbox_put(mbox, msg);
	return ERR_OK;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg) { return sys_mbox_trypost(mbox, msg); }

static void sys_mbox_take(sys_mbox_t *mbox, void **msg)
{
	void *m = mbox->slots[mbox->head];

	mbox->head = (mbox->head + 1) % mbox->size;
	mbox->count--;
	if (msg != NULL)
		*msg = m;
	sys_waiter_wake(mbox->writers);
	if (mbox->count > 0)
		sys_waiter_wake(mbox->readers);
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout)
{
	uint64_t start = plat_time_ns(), deadline = sys_deadline(timeout);

	while (mbox->count == 0) {
		if (!sys_wait_on(&mbox->readers, deadline) && mbox->count == 0)
			return SYS_ARCH_TIMEOUT;
	}
	sys_mbox_take(mbox, msg);
	return sys_elapsed_ms(start);
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
	if (mbox->count == 0)
		return SYS_MBOX_EMPTY;
	sys_mbox_take(mbox, msg);
	return 0;
}

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn thread, void *arg, int stacksize, int prio)
{
	struct sched_thread *t;

	(void)prio; /* one cooperative run queue: no priorities */
	t = sched_thread_create(name, thread, arg, stacksize > 0 ? (size_t)stacksize : 0);
	if (t == NULL)
		panic("lwip: cannot start thread %s", name);
	return t;
}
