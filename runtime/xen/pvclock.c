/*
 * pvclock for the guest. The host CPUID offers no TSC frequency here, so the rate is measured
 * against CLOCK_MONOTONIC from mica's start, and the (TSC, ns) anchor is refreshed at every
 * hypercall: the guest only ever extrapolates from a recent anchor, so rate error stays tiny.
 */
#include <time.h>
#include <x86intrin.h>
#include "xen/pvclock.h"

void pvclock_start(struct guest *g, uint64_t tsc, uint64_t ns)
{
	g->calib_tsc = tsc;
	g->calib_ns = ns;
}

/*
 * mul/shift such that ns = ((tsc_delta <<>> shift) * mul) >> 32 for the rate ns/tsc: the TSC side
 * is shifted until the ratio lies in [0.5, 1), where it fits 32 bits with full precision.
 */
static void pvclock_scale(uint64_t ns, uint64_t tsc, uint32_t *mul, int8_t *shift)
{
	int8_t s = 0;

	while (ns >= tsc && s < 31) {
		tsc <<= 1;
		s++;
	}
	while ((tsc >> 1) > ns && s > -31) {
		tsc >>= 1;
		s--;
	}
	*mul = (uint32_t)(((unsigned __int128)ns << 32) / tsc);
	*shift = s;
}

void pvclock_update(struct guest *g)
{
	uint64_t tsc = __rdtsc();
	uint64_t now = guest_now_ns();
	uint64_t dns = now - g->calib_ns, dtsc = tsc - g->calib_tsc;
	struct vcpu_time_info *t = &g->shared->vcpu_info[0].time;
	uint32_t mul;
	int8_t shift;

	/* Until a few microseconds have passed, assume 1 GHz; the anchor keeps the error small. */
	if (dns < 20000 || dtsc == 0) {
		dns = 1;
		dtsc = 1;
	}
	pvclock_scale(dns, dtsc, &mul, &shift);

	uint32_t v = __atomic_load_n(&t->version, __ATOMIC_RELAXED);
	__atomic_store_n(&t->version, v + 1, __ATOMIC_SEQ_CST);
	t->tsc_timestamp = tsc;
	t->system_time = now;
	t->tsc_to_system_mul = mul;
	t->tsc_shift = shift;
	t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
	__atomic_store_n(&t->version, v + 2, __ATOMIC_SEQ_CST);

	if (g->shared->wc_version == 0) {
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		uint64_t wall = (uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec - now;
		__atomic_store_n(&g->shared->wc_version, 1, __ATOMIC_SEQ_CST);
		g->shared->wc_sec = (uint32_t)(wall / 1000000000ULL);
		g->shared->xen_wc_sec_hi = (uint32_t)((wall / 1000000000ULL) >> 32);
		g->shared->wc_nsec = (uint32_t)(wall % 1000000000ULL);
		__atomic_store_n(&g->shared->wc_version, 2, __ATOMIC_SEQ_CST);
	}
}
