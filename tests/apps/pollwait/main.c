/*
 * Guest proof that waiting for readiness does not stall the other threads: one thread waits in
 * poll, select or epoll_wait (2 s timeout) on an eventfd while another counts, yielding, and then
 * writes it; the count and the waiter's early, correct wake-up are checked. Prints "ok - NAME" or
 * "not ok - NAME: detail" and a summary line; exit 1 on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#define POLLWAIT_COUNT 1000
#define POLLWAIT_TIMEOUT_MS 2000

static int pollwait_checks, pollwait_failed;

static void check(int ok, const char *name, const char *fmt, long a, long b)
{
	pollwait_checks++;
	if (ok) {
		printf("ok - %s\n", name);
		return;
	}
	pollwait_failed++;
	printf("not ok - %s: ", name);
	printf(fmt, a, b);
	printf("\n");
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int efd;
static volatile long counted;

/* Counts, giving the CPU away after each step, then wakes the waiter (not with a non-NULL arg). */
static void *counter_main(void *arg)
{
	for (int i = 0; i < POLLWAIT_COUNT; i++) {
		counted++;
		sched_yield();
	}
	if (arg != NULL)
		return NULL;
	uint64_t one = 1;
	if (write(efd, &one, sizeof(one)) != sizeof(one))
		printf("pollwait: eventfd write failed: %s\n", strerror(errno));
	return NULL;
}

enum wait_kind { WAIT_POLL, WAIT_SELECT, WAIT_EPOLL };

/* Waits on efd the given way while a counter thread runs: the wait's result. */
static int wait_once(enum wait_kind kind, int ep)
{
	struct pollfd p = {.fd = efd, .events = POLLIN};
	struct timeval tv = {POLLWAIT_TIMEOUT_MS / 1000, 0};
	struct epoll_event ev;
	fd_set r;

	switch (kind) {
	case WAIT_POLL:
		return poll(&p, 1, POLLWAIT_TIMEOUT_MS);
	case WAIT_SELECT:
		FD_ZERO(&r);
		FD_SET(efd, &r);
		return select(efd + 1, &r, NULL, NULL, &tv) == 1 && FD_ISSET(efd, &r) ? 1 : -1;
	case WAIT_EPOLL:
		return epoll_wait(ep, &ev, 1, POLLWAIT_TIMEOUT_MS) == 1 && ev.data.u64 == 0xfeed ? 1 : -1;
	}
	return -1;
}

static void check_wait(enum wait_kind kind, int ep, const char *name, const char *soon)
{
	pthread_t t;
	uint64_t v;
	long start, took;
	int r;

	counted = 0;
	if (pthread_create(&t, NULL, counter_main, NULL) != 0) {
		check(0, name, "pthread_create failed%ld%ld", 0, 0);
		return;
	}
	start = now_ms();
	r = wait_once(kind, ep);
	took = now_ms() - start;
	/* Read at once: after the wake-up, before anything else could run. */
	long seen = counted;
	pthread_join(t, NULL);
	check(r == 1 && seen == POLLWAIT_COUNT, name, "woke with %ld, the other thread had counted %ld", r, seen);
	check(took < POLLWAIT_TIMEOUT_MS / 2, soon, "woke after %ld ms (timeout %ld ms)", took, POLLWAIT_TIMEOUT_MS);
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		check(0, name, "eventfd read failed (%ld, %ld)", errno, 0);
}

/* With stdin open and silent: polling the console for 300 ms still lets a counting thread finish. */
static void check_console(void)
{
	struct pollfd p = {.fd = 0, .events = POLLIN};
	pthread_t t;
	long start, took;
	int r;

	counted = 0;
	pthread_create(&t, NULL, counter_main, (void *)1);
	start = now_ms();
	r = poll(&p, 1, 300);
	took = now_ms() - start;
	long seen = counted;
	pthread_join(t, NULL);
	check(r == 0 && seen == POLLWAIT_COUNT, "poll on a silent console lets another thread run",
	      "returned %ld, the other thread had counted %ld", r, seen);
	check(took >= 300 && took < 1000, "poll on a silent console times out at 300 ms", "after %ld ms%.0ld", took, 0);
}

/* A blocking console read with another thread alive: it must end with the input, on every platform. */
static int check_read(void)
{
	char buf[64];
	pthread_t t;
	ssize_t n;

	counted = 0;
	pthread_create(&t, NULL, counter_main, (void *)1);
	n = read(0, buf, sizeof(buf) - 1);
	pthread_join(t, NULL);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("pollwait: read '%s'; the other thread counted %ld\n", buf, (long)counted);
	return 0;
}

int main(int argc, char **argv)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0xfeed};
	struct pollfd p;
	long start, took;
	int ep;

	if (argc > 1 && strcmp(argv[1], "read") == 0)
		return check_read();
	if (argc > 1 && strcmp(argv[1], "console") == 0) {
		check_console();
		printf("pollwait: %d checks, %d failed\n", pollwait_checks, pollwait_failed);
		return pollwait_failed != 0;
	}

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (efd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0) {
		printf("pollwait: setup failed: %s\n", strerror(errno));
		return 1;
	}
	check_wait(WAIT_POLL, ep, "poll waits while another thread runs, and wakes on its write",
		   "poll wakes well before its timeout");
	check_wait(WAIT_SELECT, ep, "select waits while another thread runs, and wakes on its write",
		   "select wakes well before its timeout");
	check_wait(WAIT_EPOLL, ep, "epoll_wait waits while another thread runs, and wakes on its write",
		   "epoll_wait wakes well before its timeout");

	p = (struct pollfd){.fd = efd, .events = POLLIN};
	start = now_ms();
	int r = poll(&p, 1, 200);
	took = now_ms() - start;
	check(r == 0 && took >= 200 && took < 1000, "poll with nothing coming times out at 200 ms",
	      "returned %ld after %ld ms", r, took);

	printf("pollwait: %d checks, %d failed\n", pollwait_checks, pollwait_failed);
	return pollwait_failed != 0;
}
