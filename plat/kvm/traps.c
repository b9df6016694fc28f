/* kvm exception handler: a CPU exception is reported with every register and ends the guest. */
#include <arch/cpu.h>
#include "kvm.h"

void kvm_trap(const struct arch_trap_frame *frame)
{
	/* A fault while reporting one must not recurse: the second time only end, the third stop. */
	static unsigned int kvm_trap_depth;

	switch (kvm_trap_depth++) {
	case 0: {
		char report[ARCH_TRAP_REPORT_MAX];
		kvm_report(report, arch_trap_describe(frame, report, sizeof(report)));
		kvm_die();
	}
	case 1:
		kvm_die();
	default:
		cpu_stop();
	}
}
