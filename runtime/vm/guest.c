/* Bounds-checked access to guest RAM, the system-time clock, and how a guest's run is reported. */
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
