/* Bounds-checked access to guest RAM and the system-time clock shared by all services. */
#include <time.h>
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
