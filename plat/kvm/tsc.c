/* Monotonic time without Xen: the TSC, at CPUID's frequency or one measured against the PIT when needed. */
#include <arch/cpu.h>
#include <arch/io.h>
#include "kvm.h"

#define KVM_PIT_HZ 1193182
#define KVM_PIT_TICKS 11932 /* 10 ms: under 0.01 % quantisation error */
#define KVM_PIT_CH2 0x42
#define KVM_PIT_MODE 0x43
#define KVM_PIT_CH2_ONESHOT 0xb0 /* channel 2, low then high byte, mode 0: count down once */
#define KVM_PORT_B 0x61
#define KVM_PORT_B_GATE2 0x01
#define KVM_PORT_B_SPEAKER 0x02
#define KVM_PORT_B_OUT2 0x20

static bool kvm_tsc_started;
static uint64_t kvm_tsc_origin;
static uint64_t kvm_tsc_ns_mult; /* nanoseconds per cycle, 32.32 fixed point */

static uint64_t kvm_tsc_hz_cpuid(void)
{
	uint32_t max = cpu_cpuid(0, 0).eax;

	if (max >= 0x15) {
		/* Crystal clock in ECX; the TSC runs at EBX/EAX times it. Either may be unstated (0). */
		struct cpu_cpuid_result r = cpu_cpuid(0x15, 0);
		if (r.eax && r.ebx && r.ecx)
			return (uint64_t)r.ecx * r.ebx / r.eax;
	}
	if (max >= 0x16) {
		uint32_t base_mhz = cpu_cpuid(0x16, 0).eax & 0xffff;
		if (base_mhz)
			return base_mhz * 1000000ULL;
	}
	return 0;
}

static uint64_t kvm_tsc_hz_pit(void)
{
	uint8_t port_b = cpu_inb(KVM_PORT_B);

	cpu_outb(KVM_PORT_B, (port_b & ~KVM_PORT_B_SPEAKER) | KVM_PORT_B_GATE2);
	cpu_outb(KVM_PIT_MODE, KVM_PIT_CH2_ONESHOT);
	cpu_outb(KVM_PIT_CH2, KVM_PIT_TICKS & 0xff);
	cpu_outb(KVM_PIT_CH2, KVM_PIT_TICKS >> 8);
	uint64_t start = cpu_rdtsc();
	while (!(cpu_inb(KVM_PORT_B) & KVM_PORT_B_OUT2))
		cpu_relax();
	uint64_t cycles = cpu_rdtsc() - start;
	cpu_outb(KVM_PORT_B, port_b);
	return cycles * KVM_PIT_HZ / KVM_PIT_TICKS;
}

uint64_t kvm_tsc_time_ns(void)
{
	uint64_t tsc = cpu_rdtsc();

	/* Time starts at the first reading, which needs no frequency: a boot-time reading is free. */
	if (!kvm_tsc_started) {
		kvm_tsc_started = true;
		kvm_tsc_origin = tsc;
		return 0;
	}
	if (!kvm_tsc_ns_mult) {
		uint64_t hz = kvm_tsc_hz_cpuid();
		if (!hz)
			hz = kvm_tsc_hz_pit();
		kvm_tsc_ns_mult = (1000000000ULL << 32) / hz;
	}
	return (uint64_t)(((unsigned __int128)(tsc - kvm_tsc_origin) * kvm_tsc_ns_mult) >> 32);
}
