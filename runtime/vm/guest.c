/* Guest RAM access, the host fds devices wait on, the system-time clock, and how a run is reported. */
#include <stdio.h>
#include <time.h>
#include "util/log.h"
#include "vm/guest.h"

void *guest_ptr(struct guest *g, uint64_t gaddr, size_t len)
{
	if (gaddr < MICA_RAM_BASE)
		return NULL;
	uint64_t off = gaddr - MICA_RAM_BASE;
	if (off > g->ram_size || len > g->ram_size - off)
		return NULL;
	return g->ram + off;
}

int guest_fd_add(struct guest *g, int fd, short events, guest_fd_fn fn, void *arg)
{
	if (g->nfds == GUEST_MAX_HOST_FDS)
		return -1;
	g->fds[g->nfds++] = (struct guest_fd){fd, events, fn, arg};
	return 0;
}

void guest_fd_events(struct guest *g, int fd, short events)
{
	for (unsigned int i = 0; i < g->nfds; i++)
		if (g->fds[i].fd == fd)
			g->fds[i].events = events;
}

void guest_fd_remove(struct guest *g, int fd)
{
	for (unsigned int i = 0; i < g->nfds; i++) {
		if (g->fds[i].fd == fd) {
			g->fds[i] = g->fds[--g->nfds];
			return;
		}
	}
}

unsigned int guest_fd_pollfds(const struct guest *g, struct pollfd *pfd)
{
	for (unsigned int i = 0; i < g->nfds; i++)
		pfd[i] = (struct pollfd){.fd = g->fds[i].events ? g->fds[i].fd : -1, .events = g->fds[i].events};
	return g->nfds;
}

void guest_fd_dispatch(struct guest *g, const struct pollfd *pfd, unsigned int n)
{
	/* A callback may change events, never the table, so entry i is still pfd[i]'s. */
	for (unsigned int i = 0; i < n && i < g->nfds; i++)
		if (pfd[i].fd >= 0 && pfd[i].revents)
			g->fds[i].fn(g, pfd[i].revents, g->fds[i].arg);
}

void guest_fd_poll_now(struct guest *g)
{
	struct pollfd pfd[GUEST_MAX_HOST_FDS];
	if (g->nfds == 0)
		return;
	unsigned int n = guest_fd_pollfds(g, pfd);
	if (poll(pfd, n, 0) > 0)
		guest_fd_dispatch(g, pfd, n);
}

uint64_t guest_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int guest_end_status(const struct guest *g)
{
	switch (g->end) {
	case GUEST_POWEROFF:
		return g->exit_status;
	case GUEST_REBOOT:
		log_error("guest asked to reboot; mica does not restart guests");
		return MICA_EXIT_REBOOT;
	default:
		log_error("guest crashed: it reported a crash (SHUTDOWN_crash)");
		return MICA_EXIT_CRASH;
	}
}

void guest_print_stats(const struct guest *g, uint64_t start_ns)
{
	if (g->ext && g->ext->guest_main_ns > start_ns)
		fprintf(stderr, "stats: runtime start to guest main: %.1f us\n",
			(double)(g->ext->guest_main_ns - start_ns) / 1e3);
	fprintf(stderr, "stats: hypercalls: %llu\n", (unsigned long long)g->hypercalls);
	fprintf(stderr, "stats: runtime start to guest end: %.1f us\n",
		(double)(guest_now_ns() - start_ns) / 1e3);
}
