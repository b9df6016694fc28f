/* Thread-local storage on kvm: the FS base is an MSR the guest writes itself, in both modes. */
#include <arch/cpu.h>
#include <arch/cpu_regs.h>
#include <mica/plat.h>
#include <mica/xen_boot.h>

void plat_set_tls(uintptr_t base)
{
	xen_tls_base = base;
	cpu_wrmsr(ARCH_MSR_FS_BASE, base);
}
