/* Linux threads on lib/sched: their records and ids, set_tid_address, gettid and exit. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <mica/init.h>
#include <mica/plat.h>
#include <mica/posix_thread.h>
#include <mica/sched.h>
#include <mica/syscall.h>
#include "internal.h"

/* Linux's largest pid_max: ids wrap there, as the kernel's do. */
#define THREAD_TID_MAX 4194304
/* struct robust_list_head on x86_64: the only length set_robust_list accepts. */
#define THREAD_ROBUST_LIST_LEN 24

struct posix_thread {
	struct posix_thread *next; /* on thread_list */
	struct sched_thread *sched;
	int tid;
	int *clear_tid; /* CLONE_CHILD_CLEARTID or set_tid_address */
	uint64_t sigmask;
	int (*fn)(void *);
	void *arg;
};

/* The boot thread's record lives here; every other lives at the top of its own stack. */
static struct posix_thread thread_main = {.tid = 1};
static struct posix_thread *thread_list = &thread_main;
static int thread_live = 1;
static int thread_next_tid = 2;

static int thread_init(void)
{
	thread_main.sched = sched_current();
	return 0;
}
MICA_INITCALL(thread_init, MICA_INIT_LIB);

static struct posix_thread *thread_find_sched(const struct sched_thread *s)
{
	struct posix_thread *t = thread_list;

	while (t != NULL && t->sched != s)
		t = t->next;
	return t;
}

/* The caller's record; the boot thread's for threads lib/sched started for a library. */
static struct posix_thread *thread_self(void)
{
	struct posix_thread *t = thread_find_sched(sched_current());

	return t != NULL ? t : &thread_main;
}

int posix_thread_tid(void) { return thread_self()->tid; }

uint64_t *posix_thread_sigmask(void) { return &thread_self()->sigmask; }

bool posix_thread_exists(int tid)
{
	struct posix_thread *t = thread_list;

	while (t != NULL && t->tid != tid)
		t = t->next;
	return t != NULL;
}

static int thread_new_tid(void)
{
	int tid;

	do {
		tid = thread_next_tid;
		thread_next_tid = tid == THREAD_TID_MAX ? 2 : tid + 1;
	} while (posix_thread_exists(tid));
	return tid;
}

static void thread_run(void *arg)
{
	struct posix_thread *t = arg;

	posix_thread_exit(t->fn(t->arg));
}

int posix_thread_start(int (*fn)(void *), void *arg, void *stack, bool set_tls, uintptr_t tls, int *clear_tid)
{
	/* The record takes the top of the new stack, so creating a thread needs no allocation of ours. */
	struct posix_thread *t = (struct posix_thread *)(((uintptr_t)stack - sizeof(*t)) & ~(uintptr_t)15);

	t->fn = fn;
	t->arg = arg;
	t->clear_tid = clear_tid;
	t->sigmask = *posix_thread_sigmask();
	t->sched = sched_thread_create_on("posix", thread_run, t, t);
	if (t->sched == NULL)
		return -ENOMEM;
	if (set_tls)
		sched_set_tls(t->sched, tls);
	t->tid = thread_new_tid();
	t->next = thread_list;
	thread_list = t;
	thread_live++;
	return t->tid;
}

_Noreturn void posix_thread_exit(int status)
{
	struct posix_thread **link = &thread_list;

	while (*link != NULL && (*link)->sched != sched_current())
		link = &(*link)->next;
	/* A thread lib/sched started for a library just ends: it is no thread of the program's. */
	if (*link != NULL) {
		struct posix_thread *t = *link;
		*link = t->next;
		/* What a joiner waits for: musl's pthread_join, and its thread list lock. */
		if (t->clear_tid != NULL) {
			*t->clear_tid = 0;
			posix_futex_wake(t->clear_tid, 1);
		}
		if (--thread_live == 0)
			plat_poweroff(status & 0xff);
	}
	sched_thread_exit();
}

/* Ends only the calling thread, as on Linux; exit_group ends them all. */
static long sys_exit(MICA_SYSCALL_ARGS) { posix_thread_exit((int)a1); }
MICA_SYSCALL(SYS_exit, sys_exit);

static long sys_set_tid_address(MICA_SYSCALL_ARGS)
{
	struct posix_thread *t = thread_find_sched(sched_current());

	if (t != NULL)
		t->clear_tid = (int *)a1;
	return posix_thread_tid();
}
MICA_SYSCALL(SYS_set_tid_address, sys_set_tid_address);

static long sys_gettid(MICA_SYSCALL_ARGS) { return posix_thread_tid(); }
MICA_SYSCALL(SYS_gettid, sys_gettid);

/*
 * The kernel walks a robust list only for a thread that dies without unlocking; musl walks it
 * itself at pthread_exit, and a thread here cannot die any other way. So the list is checked
 * and not kept.
 */
static long sys_set_robust_list(MICA_SYSCALL_ARGS)
{
	return a2 == THREAD_ROBUST_LIST_LEN ? 0 : -EINVAL;
}
MICA_SYSCALL(SYS_set_robust_list, sys_set_robust_list);
