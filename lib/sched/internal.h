/* The thread record and the switching primitive shared by the scheduler and its wait queues. */
#ifndef SCHED_INTERNAL_H
#define SCHED_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arch/context.h>
#include <mica/sched.h>

enum sched_state {
	SCHED_RUNNING,
	SCHED_RUNNABLE, /* on the run queue */
	SCHED_BLOCKED,  /* in sched_block, until sched_wake; in sched_block_until, also on the sleep list */
	SCHED_SLEEPING, /* on the sleep list, until its deadline */
	SCHED_WAITING,  /* on a wait queue, until woken through it */
	SCHED_EXITED,   /* on the dead list, until the next thread to run frees it */
};

struct sched_thread {
	struct arch_context ctx;
	struct sched_thread *next; /* on the one list its state puts it on */
	uint64_t deadline;         /* SLEEPING, or BLOCKED with timed set */
	void (*fn)(void *);
	void *arg;
	void *stack; /* NULL for main, which runs on the boot stack */
	size_t stack_pages;
	enum sched_state state;
	bool wake_pending; /* a sched_wake that came while not in sched_block */
	bool timed;        /* BLOCKED in sched_block_until, so also on the sleep list */
	bool timed_out;    /* the last sched_block_until ended at its deadline */
	uintptr_t tls;     /* FS base while this thread runs */
	char name[16];
};

/* The MICA_INIT_LIB initcall: the boot context becomes thread "main". Host unit tests call it. */
int sched_init(void);

/* Puts a stopped thread at the end of the run queue. */
void sched_make_runnable(struct sched_thread *t);

/*
 * The current thread stops in state (RUNNABLE puts it back on the run queue; for any other
 * state the caller has already put it where it will be found) and the next runnable thread runs.
 * Returns when the current thread is picked again.
 */
void sched_switch(enum sched_state state);

#endif
