/* System and wall-clock time from the pvclock record (vcpu_time_info) in shared_info. */
#include <arch/cpu.h>
#include <mica/plat.h>
#include <mica/xen_boot.h>

/* The runtime refreshes the record at every hypercall; clamp so time never steps back. */
static uint64_t time_last_ns;
/* Added to system time after a restore on a host whose clock reads less than before. */
static uint64_t time_offset_ns;

/* Xen system time from the pvclock record. */
static uint64_t time_system_ns(void)
{
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
	return system_time + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

void xen_time_restored(void)
{
	uint64_t now = time_system_ns();
	time_offset_ns = now < time_last_ns ? time_last_ns - now : 0;
}

uint64_t xen_time_to_system(uint64_t guest_ns)
{
	return guest_ns > time_offset_ns ? guest_ns - time_offset_ns : 1;
}

uint64_t plat_time_ns(void)
{
	if (xen_native)
		return xen_native->time_ns();
	uint64_t now = time_system_ns() + time_offset_ns;
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
	/* Unix time at system time 0, plus system time: the offset has no place here. */
	return sec * 1000000000ULL + nsec + time_system_ns();
}
