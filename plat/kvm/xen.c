/* kvm with the Xen ABI (mica --backend kvm, Xen): hypercall page, shared_info, console, upcall. */
#include <arch/cpu.h>
#include <xen/arch-x86/cpuid.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include <mica/hypercall.h>
#include "kvm.h"

/* Above the exceptions; the runtime injects it when evtchn_upcall_pending rises. */
#define KVM_XEN_UPCALL_VECTOR 0xf3

/* Leaves are searched where Xen may put them: after other hypervisors' (Viridian) leaves. */
#define KVM_XEN_CPUID_END (XEN_CPUID_FIRST_LEAF + 0x10000)
#define KVM_XEN_CPUID_STEP 0x100

/*
 * The hypervisor writes its stubs here once told the address; pvh.S's identity map has no NX,
 * so this bss page is executable.
 */
char hypercall_page[MICA_PAGE_SIZE] __attribute__((aligned(MICA_PAGE_SIZE)));

/* Counted by upcall.S. */
void kvm_xen_upcall_entry(void);
volatile uint64_t kvm_xen_upcalls;

uint64_t kvm_upcall_count(void)
{
	return kvm_xen_upcalls;
}

uint32_t kvm_xen_cpuid_base(void)
{
	for (uint32_t base = XEN_CPUID_FIRST_LEAF; base < KVM_XEN_CPUID_END; base += KVM_XEN_CPUID_STEP) {
		struct cpu_cpuid_result r = cpu_cpuid(base, 0);
		if (r.ebx == XEN_CPUID_SIGNATURE_EBX && r.ecx == XEN_CPUID_SIGNATURE_ECX &&
		    r.edx == XEN_CPUID_SIGNATURE_EDX && r.eax >= base + 2)
			return base;
	}
	return 0;
}

/* A parameter the hypervisor may not offer: 0 then. */
static uint64_t kvm_xen_param_or_0(uint32_t index)
{
	struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index};

	return HYPERVISOR_hvm_op(HVMOP_get_param, &p) == 0 ? p.value : 0;
}

static uint64_t kvm_xen_param(uint32_t index, const char *fail)
{
	struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index};

	if (HYPERVISOR_hvm_op(HVMOP_get_param, &p) != 0)
		kvm_fail(fail);
	return p.value;
}

void kvm_xen_setup(uint32_t cpuid_base, struct xen_boot *boot)
{
	/* Leaf 3 names the MSR that takes the hypercall page's address (page index 0 in bits 0..11). */
	cpu_wrmsr(cpu_cpuid(cpuid_base + 2, 0).ebx, (uintptr_t)hypercall_page);

	struct xen_add_to_physmap shared = {
		.domid = DOMID_SELF,
		.space = XENMAPSPACE_shared_info,
		.idx = 0,
		.gpfn = (uintptr_t)boot->shared_info >> MICA_PAGE_SHIFT,
	};
	if (HYPERVISOR_memory_op(XENMEM_add_to_physmap, &shared) != 0)
		kvm_fail("kvm: XENMEM_add_to_physmap refused the shared_info page\n");

	uint64_t console = kvm_xen_param(HVM_PARAM_CONSOLE_PFN,
					 "kvm: no console page (HVM_PARAM_CONSOLE_PFN)\n");
	if (console == 0 || console >= KVM_MAPPED_END >> MICA_PAGE_SHIFT)
		kvm_fail("kvm: the console page lies outside the mapped 4 GiB\n");
	boot->console = (struct xencons_interface *)(uintptr_t)(console << MICA_PAGE_SHIFT);
	boot->console_port = (evtchn_port_t)kvm_xen_param(HVM_PARAM_CONSOLE_EVTCHN,
							  "kvm: no console port (HVM_PARAM_CONSOLE_EVTCHN)\n");

	/* A runtime without a xenstore (or a page we could not reach) leaves the guest without one. */
	uint64_t store = kvm_xen_param_or_0(HVM_PARAM_STORE_PFN);
	if (store != 0 && store < KVM_MAPPED_END >> MICA_PAGE_SHIFT) {
		boot->store = (struct xenstore_domain_interface *)(uintptr_t)(store << MICA_PAGE_SHIFT);
		boot->store_port = (evtchn_port_t)kvm_xen_param_or_0(HVM_PARAM_STORE_EVTCHN);
	}

	arch_irq_set_entry(KVM_XEN_UPCALL_VECTOR, kvm_xen_upcall_entry);
	struct xen_hvm_param callback = {
		.domid = DOMID_SELF,
		.index = HVM_PARAM_CALLBACK_IRQ,
		.value = (uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56 | KVM_XEN_UPCALL_VECTOR,
	};
	if (HYPERVISOR_hvm_op(HVMOP_set_param, &callback) != 0)
		kvm_fail("kvm: HVMOP_set_param refused the upcall vector\n");
	cpu_irq_enable();
}
