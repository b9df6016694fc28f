/* Xen hypercalls through the hypercall page, with the Xen x86_64 register convention. */
#ifndef MICA_HYPERCALL_H
#define MICA_HYPERCALL_H

#include <stdint.h>
#include <xen/xen.h>
#include <mica/abi.h>

/* Every platform places (or maps) the hypercall page at this symbol. */
extern char hypercall_page[];

/*
 * The slot is called directly; the stub may clobber rcx and r11 (syscall/sysret) and any
 * argument register, so arguments are in/out operands.
 */
#define HYPERCALL__CALL "call hypercall_page + %c[off]"
#define HYPERCALL__OFF(nr) [off] "i"((nr) * MICA_HC_SLOT_SIZE)

#define hypercall2(nr, a1, a2)                                                                  \
	({                                                                                      \
		long __ret;                                                                     \
		register unsigned long __a1 __asm__("rdi") = (unsigned long)(a1);               \
		register unsigned long __a2 __asm__("rsi") = (unsigned long)(a2);               \
		__asm__ __volatile__(HYPERCALL__CALL                                            \
				     : "=a"(__ret), "+r"(__a1), "+r"(__a2)                      \
				     : HYPERCALL__OFF(nr)                                       \
				     : "rcx", "r11", "rdx", "r10", "r8", "memory");             \
		__ret;                                                                          \
	})

#define hypercall3(nr, a1, a2, a3)                                                              \
	({                                                                                      \
		long __ret;                                                                     \
		register unsigned long __a1 __asm__("rdi") = (unsigned long)(a1);               \
		register unsigned long __a2 __asm__("rsi") = (unsigned long)(a2);               \
		register unsigned long __a3 __asm__("rdx") = (unsigned long)(a3);               \
		__asm__ __volatile__(HYPERCALL__CALL                                            \
				     : "=a"(__ret), "+r"(__a1), "+r"(__a2), "+r"(__a3)          \
				     : HYPERCALL__OFF(nr)                                       \
				     : "rcx", "r11", "r10", "r8", "memory");                    \
		__ret;                                                                          \
	})

static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_sched_op, cmd, arg);
}

static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_event_channel_op, cmd, arg);
}

static inline long HYPERVISOR_set_timer_op(uint64_t deadline_ns)
{
	return hypercall2(__HYPERVISOR_set_timer_op, deadline_ns, 0);
}

static inline long HYPERVISOR_console_io(int cmd, int count, const char *buf)
{
	return hypercall3(__HYPERVISOR_console_io, cmd, count, buf);
}

static inline long HYPERVISOR_set_segment_base(int reg, unsigned long value)
{
	return hypercall2(__HYPERVISOR_set_segment_base, reg, value);
}

static inline long HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_memory_op, cmd, arg);
}

static inline long HYPERVISOR_hvm_op(int op, void *arg)
{
	return hypercall2(__HYPERVISOR_hvm_op, op, arg);
}

#endif
