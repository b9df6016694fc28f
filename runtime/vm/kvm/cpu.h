/* The vCPU as a PVH guest starts (CPUID with the Xen leaves, 32-bit flat registers, TSC), and as a snapshot holds it. */
#ifndef VM_KVM_CPU_H
#define VM_KVM_CPU_H

#include <stddef.h>
#include <stdint.h>
#include "snapshot/format.h"

/*
 * Sets CPUID (what KVM supports, plus the Xen leaves), the PVH entry state (rip = entry, ebx =
 * start_info) and a guest TSC equal to the host's, so pvclock needs no offset. Returns 0, or -1
 * with a message in err.
 */
int kvm_cpu_setup(int kvm_fd, int vcpu_fd, uint32_t entry, uint32_t start_info, char *err, size_t errlen);

/*
 * Fills k's vCPU part (registers, control registers, FPU, XCR0, the listed MSRs) from the vCPU
 * stopped at the ready hypercall, to resume at resume_rip/resume_rsp with rax 1. Returns 0, or -1
 * with a message in err.
 */
int kvm_cpu_save(int vcpu_fd, uint64_t resume_rip, uint64_t resume_rsp, struct snapshot_kvm *k, char *err,
		 size_t errlen);

/* A fresh vCPU gets CPUID as at a boot, k's state (validated by snapshot_parse) and the host TSC. */
int kvm_cpu_restore(int kvm_fd, int vcpu_fd, const struct snapshot_kvm *k, char *err, size_t errlen);

#endif
