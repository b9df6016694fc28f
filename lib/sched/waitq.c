/* Wait queues: threads parked in FIFO order until another thread or an event handler wakes them. */
#include "internal.h"

void sched_waitq_init(struct sched_waitq *q)
{
	q->head = NULL;
	q->tail = NULL;
}

void sched_wait(struct sched_waitq *q)
{
	struct sched_thread *t = sched_current();

	t->next = NULL;
	if (q->tail != NULL)
		q->tail->next = t;
	else
		q->head = t;
	q->tail = t;
	sched_switch(SCHED_WAITING);
}

void sched_wake_one(struct sched_waitq *q)
{
	struct sched_thread *t = q->head;

	if (t == NULL)
		return;
	q->head = t->next;
	if (q->head == NULL)
		q->tail = NULL;
	sched_make_runnable(t);
}

void sched_wake_all(struct sched_waitq *q)
{
	struct sched_thread *t = q->head;

	q->head = NULL;
	q->tail = NULL;
	while (t != NULL) {
		struct sched_thread *next = t->next;
		sched_make_runnable(t);
		t = next;
	}
}
