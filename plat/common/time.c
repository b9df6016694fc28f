/* System and wall-clock time from the pvclock record (vcpu_time_info) in shared_info. */
#include <arch/cpu.h>
#include <mica/plat.h>
#include <mica/xen_boot.h>

/* The runtime refreshes the record at every hypercall; clamp so time never steps back. */
static uint64_t time_last_ns;

uint64_t plat_time_ns(void)
{
	if (xen_native)
		return xen_native->time_ns();
	volatile struct vcpu_time_info *t = &xen_shared_info->vcpu_info[0].time;
	uint32_t version, mul;
	uint64_t tsc_stamp, system_time, tsc;
	int8_t shift;

	do {
		version = t->version;
		cpu_barrier();
		tsc_stamp = t->tsc_timestamp;
		system_time = t->system_time;
		mul = t->tsc_to_system_mul;
		shift = t->tsc_shift;
		tsc = cpu_rdtsc();
		cpu_barrier();
	} while ((version & 1) || version != t->version);

	uint64_t delta = tsc > tsc_stamp ? tsc - tsc_stamp : 0;
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	uint64_t now = system_time + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
	if (now < time_last_ns)
		now = time_last_ns;
	time_last_ns = now;
	return now;
}

uint64_t plat_wallclock_ns(void)
{
	if (xen_native)
		return xen_native->wallclock_ns();
	volatile shared_info_t *s = xen_shared_info;
	uint32_t version;
	uint64_t sec, nsec;

	do {
		version = s->wc_version;
		cpu_barrier();
		sec = ((uint64_t)s->xen_wc_sec_hi << 32) | s->wc_sec;
		nsec = s->wc_nsec;
		cpu_barrier();
	} while ((version & 1) || version != s->wc_version);
	return sec * 1000000000ULL + nsec + plat_time_ns();
}
