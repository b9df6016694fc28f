/* Threads waiting for readiness (poll, select, epoll_wait, vfs_wait_ready) and the notification that wakes them. */
#include "vfs.h"
#include <mica/sched.h>

/*
 * One list for every file: readiness changes are rare next to the cost of a waiter looking at
 * its few files again, and a file needs no wait queue of its own. Waiters live on their
 * threads' stacks and leave the list when woken, so a second notification before the thread
 * runs does not leave it a stray wake-up.
 */
struct wait_entry {
	struct wait_entry *prev, *next;
	struct sched_thread *thread;
	bool linked;
};

static struct wait_entry *wait_head;
static uint64_t wait_generation;

#define WAIT_NS_PER_SEC 1000000000ULL

/*
 * Console input wakes waiters through plat_console_on_event, but kvm without Xen (plain QEMU)
 * has no console event: it polls COM1 in plat_block and calls nobody. There a wait that includes
 * the console also ends this often, to look again; where the console has its event, a wait sleeps
 * to its own deadline and costs no timer re-arms.
 */
#define WAIT_CONSOLE_POLL_NS 20000000ULL

static bool wait_console_polled;

static void wait_unlink(struct wait_entry *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		wait_head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	w->linked = false;
}

uint64_t vfs_deadline(uint64_t sec, uint64_t ns)
{
	uint64_t now = plat_time_ns();

	if (ns >= WAIT_NS_PER_SEC || sec > (UINT64_MAX - now - ns) / WAIT_NS_PER_SEC)
		return UINT64_MAX;
	return now + sec * WAIT_NS_PER_SEC + ns;
}

uint64_t vfs_poll_generation(void)
{
	return wait_generation;
}

void vfs_poll_notify(void)
{
	wait_generation++;
	while (wait_head != NULL) {
		struct sched_thread *t = wait_head->thread;

		wait_unlink(wait_head);
		sched_wake(t);
	}
}

void vfs_wait(uint64_t seen_generation, uint64_t deadline_ns, bool console)
{
	struct wait_entry w = {.thread = sched_current()};

	if (wait_generation != seen_generation)
		return;
	if (console && wait_console_polled) {
		uint64_t now = plat_time_ns();

		if (deadline_ns > now && deadline_ns - now > WAIT_CONSOLE_POLL_NS)
			deadline_ns = now + WAIT_CONSOLE_POLL_NS;
	}
	w.linked = true;
	w.next = wait_head;
	if (wait_head != NULL)
		wait_head->prev = &w;
	wait_head = &w;
	sched_block_until(deadline_ns);
	if (w.linked)
		wait_unlink(&w);
}

void vfs_wait_init(void)
{
	wait_console_polled = !plat_console_on_event(vfs_poll_notify);
}
