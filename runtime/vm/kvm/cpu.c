/*
 * vCPU setup for PVH entry, and the vCPU state a snapshot saves and a restore sets. The CPUID the
 * guest sees is KVM's supported set with KVM's own signature leaves replaced by Xen's, which name
 * the hypercall MSR and the TSC frequency.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <x86intrin.h>
#include <xen/arch-x86/cpuid.h>
#include <mica/abi.h>
#include "vm/kvm/cpu.h"

#define CPU_MAX_ENTRIES 256
#define CPU_HYPERVISOR_LEAVES 0x40000000u
#define CPU_FEATURE_HYPERVISOR (1u << 31) /* leaf 1 ECX: running under a hypervisor */
#define CPU_MSR_TSC 0x10

static int cpu_fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "cannot set up the virtual CPU: %s (%s)", what, strerror(errno));
	return -1;
}

static void cpu_add(struct kvm_cpuid2 *c, uint32_t fn, uint32_t index, uint32_t flags, uint32_t eax,
		    uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){
		.function = fn, .index = index, .flags = flags, .eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx};
}

static int cpu_set_cpuid(int kvm_fd, int vcpu_fd, char *err, size_t errlen)
{
	size_t size = sizeof(struct kvm_cpuid2) + CPU_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *all = calloc(1, size), *c = calloc(1, size);
	int rc = -1;

	if (!all || !c) {
		errno = ENOMEM;
		rc = cpu_fail(err, errlen, "CPUID table");
		goto out;
	}
	all->nent = CPU_MAX_ENTRIES - 8; /* room for the Xen leaves */
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, all) != 0) {
		rc = cpu_fail(err, errlen, "KVM_GET_SUPPORTED_CPUID");
		goto out;
	}
	for (uint32_t i = 0; i < all->nent; i++) {
		struct kvm_cpuid_entry2 e = all->entries[i];
		if ((e.function & 0xf0000000u) == CPU_HYPERVISOR_LEAVES)
			continue;
		if (e.function == 1)
			e.ecx |= CPU_FEATURE_HYPERVISOR;
		c->entries[c->nent++] = e;
	}
	int tsc_khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);
	if (tsc_khz < 0)
		tsc_khz = 0; /* unknown: the guest falls back to pvclock alone */
	cpu_add(c, XEN_CPUID_LEAF(0), 0, 0, XEN_CPUID_LEAF(4), XEN_CPUID_SIGNATURE_EBX,
		XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX);
	cpu_add(c, XEN_CPUID_LEAF(1), 0, 0, (4u << 16) | 17, 0, 0, 0);
	cpu_add(c, XEN_CPUID_LEAF(2), 0, 0, 1, MICA_KVM_HC_MSR, 0, 0);
	cpu_add(c, XEN_CPUID_LEAF(3), 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 0, 0, (uint32_t)tsc_khz, 0);
	cpu_add(c, XEN_CPUID_LEAF(4), 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 0, 0, 0, 0);
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) != 0) {
		rc = cpu_fail(err, errlen, "KVM_SET_CPUID2");
		goto out;
	}
	rc = 0;
out:
	free(all);
	free(c);
	return rc;
}

/* PVH: 32-bit protected mode, flat 4 GiB segments, paging and interrupts off (Xen's pvh.pandoc). */
static int cpu_set_entry_state(int vcpu_fd, uint32_t entry, uint32_t start_info, char *err, size_t errlen)
{
	struct kvm_sregs s;
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &s) != 0)
		return cpu_fail(err, errlen, "KVM_GET_SREGS");
	struct kvm_segment code = {.base = 0, .limit = 0xffffffff, .selector = 0x8, .type = 0xb,
				   .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1};
	struct kvm_segment data = code;
	data.selector = 0x10;
	data.type = 0x3;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	/* A busy 32-bit TSS: VMX refuses to enter with an unusable task register. */
	s.tr = (struct kvm_segment){.selector = 0x18, .limit = 0x67, .type = 0xb, .present = 1};
	s.cr0 = 0x11; /* PE | ET */
	s.cr4 = 0;
	s.efer = 0;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &s) != 0)
		return cpu_fail(err, errlen, "KVM_SET_SREGS");

	struct kvm_regs r = {.rip = entry, .rbx = start_info, .rflags = 0x2};
	if (ioctl(vcpu_fd, KVM_SET_REGS, &r) != 0)
		return cpu_fail(err, errlen, "KVM_SET_REGS");
	return 0;
}

/* Writing the guest TSC from the host makes KVM derive its offset from this moment's host TSC. */
static int cpu_set_tsc(int vcpu_fd, char *err, size_t errlen)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = {.hdr = {.nmsrs = 1}, .e = {.index = CPU_MSR_TSC}};
	m.e.data = __rdtsc();
	if (ioctl(vcpu_fd, KVM_SET_MSRS, &m) != 1)
		return cpu_fail(err, errlen, "KVM_SET_MSRS(TSC)");
	return 0;
}

/* The snapshot's MSRs, in SNAPSHOT_KVM_MSR_LIST order. */
struct cpu_msrs {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[SNAPSHOT_KVM_MSRS];
};

int kvm_cpu_save(int vcpu_fd, uint64_t resume_rip, uint64_t resume_rsp, struct snapshot_kvm *k, char *err,
		 size_t errlen)
{
	static const uint32_t list[SNAPSHOT_KVM_MSRS] = {SNAPSHOT_KVM_MSR_LIST};
	if (ioctl(vcpu_fd, KVM_GET_REGS, &k->regs) != 0)
		return cpu_fail(err, errlen, "KVM_GET_REGS");
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &k->sregs) != 0)
		return cpu_fail(err, errlen, "KVM_GET_SREGS");
	/* Never at the ready call's exit (an injected vector is taken before the OUT runs); a file cannot hold one. */
	for (size_t i = 0; i < sizeof(k->sregs.interrupt_bitmap) / sizeof(k->sregs.interrupt_bitmap[0]); i++)
		if (k->sregs.interrupt_bitmap[i]) {
			snprintf(err, errlen, "an interrupt was being delivered at the ready call; no snapshot written");
			return -1;
		}
	if (ioctl(vcpu_fd, KVM_GET_FPU, &k->fpu) != 0)
		return cpu_fail(err, errlen, "KVM_GET_FPU");
	struct kvm_xcrs xcrs = {0};
	k->xcr0 = 1;
	if (ioctl(vcpu_fd, KVM_GET_XCRS, &xcrs) == 0)
		for (uint32_t i = 0; i < xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++)
			if (xcrs.xcrs[i].xcr == 0)
				k->xcr0 = xcrs.xcrs[i].value;
	struct cpu_msrs m = {.hdr = {.nmsrs = SNAPSHOT_KVM_MSRS}};
	for (int i = 0; i < SNAPSHOT_KVM_MSRS; i++)
		m.e[i].index = list[i];
	if (ioctl(vcpu_fd, KVM_GET_MSRS, &m) != SNAPSHOT_KVM_MSRS)
		return cpu_fail(err, errlen, "KVM_GET_MSRS");
	for (int i = 0; i < SNAPSHOT_KVM_MSRS; i++) {
		k->msrs[i].index = list[i];
		k->msrs[i].reserved = 0;
		k->msrs[i].data = m.e[i].data;
	}
	/* Where the ready call returns, with 1 (docs/abi.md §14); the rest is the call's own state. */
	k->regs.rip = resume_rip;
	k->regs.rsp = resume_rsp;
	k->regs.rax = 1;
	return 0;
}

int kvm_cpu_restore(int kvm_fd, int vcpu_fd, const struct snapshot_kvm *k, char *err, size_t errlen)
{
	if (cpu_set_cpuid(kvm_fd, vcpu_fd, err, errlen) != 0)
		return -1;
	struct kvm_sregs sregs = k->sregs;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) != 0)
		return cpu_fail(err, errlen, "KVM_SET_SREGS (the snapshot's control registers)");
	if (k->xcr0 != 1) {
		struct kvm_xcrs xcrs = {.nr_xcrs = 1, .xcrs = {{.xcr = 0, .value = k->xcr0}}};
		if (ioctl(vcpu_fd, KVM_SET_XCRS, &xcrs) != 0)
			return cpu_fail(err, errlen, "KVM_SET_XCRS (the snapshot's XCR0: taken on another CPU?)");
	}
	struct kvm_fpu fpu = k->fpu;
	if (ioctl(vcpu_fd, KVM_SET_FPU, &fpu) != 0)
		return cpu_fail(err, errlen, "KVM_SET_FPU");
	struct kvm_regs regs = k->regs;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) != 0)
		return cpu_fail(err, errlen, "KVM_SET_REGS");
	struct cpu_msrs m = {.hdr = {.nmsrs = SNAPSHOT_KVM_MSRS}};
	for (int i = 0; i < SNAPSHOT_KVM_MSRS; i++)
		m.e[i] = (struct kvm_msr_entry){.index = k->msrs[i].index, .data = k->msrs[i].data};
	if (ioctl(vcpu_fd, KVM_SET_MSRS, &m) != SNAPSHOT_KVM_MSRS)
		return cpu_fail(err, errlen, "KVM_SET_MSRS (the snapshot's MSRs)");
	/* As at a boot: guest TSC = host TSC, so the pvclock mica publishes holds for the guest. */
	return cpu_set_tsc(vcpu_fd, err, errlen);
}

int kvm_cpu_setup(int kvm_fd, int vcpu_fd, uint32_t entry, uint32_t start_info, char *err, size_t errlen)
{
	if (cpu_set_cpuid(kvm_fd, vcpu_fd, err, errlen) != 0)
		return -1;
	if (cpu_set_entry_state(vcpu_fd, entry, start_info, err, errlen) != 0)
		return -1;
	return cpu_set_tsc(vcpu_fd, err, errlen);
}
