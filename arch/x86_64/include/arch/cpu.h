/* x86_64 CPU primitives shared by every layer: barriers, TSC, atomic bit operations, CPUID, MSRs. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <stdbool.h>
#include <stdint.h>

static inline void cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }
static inline void cpu_barrier(void) { __asm__ __volatile__("" ::: "memory"); }
static inline void cpu_mb(void) { __asm__ __volatile__("mfence" ::: "memory"); }

static inline uint64_t cpu_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Bit operations on memory shared with the hypervisor: always locked. */
static inline bool cpu_test_and_clear_bit(unsigned long nr, volatile unsigned long *addr)
{
	bool old;
	__asm__ __volatile__("lock btrq %2, %1" : "=@ccc"(old), "+m"(*addr) : "r"(nr) : "memory");
	return old;
}

static inline bool cpu_test_and_set_bit(unsigned long nr, volatile unsigned long *addr)
{
	bool old;
	__asm__ __volatile__("lock btsq %2, %1" : "=@ccc"(old), "+m"(*addr) : "r"(nr) : "memory");
	return old;
}

static inline void cpu_set_bit(unsigned long nr, volatile unsigned long *addr)
{
	__asm__ __volatile__("lock btsq %1, %0" : "+m"(*addr) : "r"(nr) : "memory");
}

static inline void cpu_clear_bit(unsigned long nr, volatile unsigned long *addr)
{
	__asm__ __volatile__("lock btrq %1, %0" : "+m"(*addr) : "r"(nr) : "memory");
}

static inline bool cpu_test_bit(unsigned long nr, const volatile unsigned long *addr)
{
	return (addr[nr / 64] >> (nr % 64)) & 1;
}

static inline unsigned long cpu_xchg(volatile unsigned long *p, unsigned long v)
{
	__asm__ __volatile__("xchgq %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

/* Index of the lowest set bit; x must be non-zero. */
static inline unsigned int cpu_ffs64(unsigned long x) { return (unsigned int)__builtin_ctzl(x); }

struct cpu_cpuid_result {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpu_cpuid_result cpu_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpu_cpuid_result r;
	__asm__ __volatile__("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			     : "a"(leaf), "c"(subleaf));
	return r;
}

static inline void cpu_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* Drops the TLB entry of the page holding addr, after its page table entry changed. */
static inline void cpu_invlpg(uintptr_t addr)
{
	__asm__ __volatile__("invlpg (%0)" : : "r"(addr) : "memory");
}

static inline void cpu_irq_enable(void) { __asm__ __volatile__("sti" ::: "memory"); }

/* Stops this CPU for good: with interrupts off only an NMI could wake hlt, so it loops. */
static inline _Noreturn void cpu_stop(void)
{
	for (;;)
		__asm__ __volatile__("cli; hlt" ::: "memory");
}

#endif
