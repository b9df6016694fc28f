/* The vCPU as a PVH guest starts: CPUID with the Xen leaves, 32-bit flat registers, TSC. */
#ifndef VM_KVM_CPU_H
#define VM_KVM_CPU_H

#include <stddef.h>
#include <stdint.h>

/*
 * Sets CPUID (what KVM supports, plus the Xen leaves), the PVH entry state (rip = entry, ebx =
 * start_info) and a guest TSC equal to the host's, so pvclock needs no offset. Returns 0, or -1
 * with a message in err.
 */
int kvm_cpu_setup(int kvm_fd, int vcpu_fd, uint32_t entry, uint32_t start_info, char *err, size_t errlen);

#endif
