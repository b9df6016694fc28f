/* The seccomp filter that confines a proc guest process. */
#ifndef VM_PROC_SECCOMP_H
#define VM_PROC_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Writes the filter for a guest whose hypercall page is [hcpage, hcpage + 4096) into prog (room
 * for cap instructions) and returns its length, or 0 if cap is too small.
 *
 * Allowed, and only from inside the hypercall page: exit_group, arch_prctl(ARCH_SET_FS, ...),
 * futex(..., FUTEX_WAKE, ...). Any other call from x86_64 code goes to mica as a user
 * notification: hypercalls are answered there, anything else is reported and kills the guest.
 * Calls made with another architecture's calling convention kill the process outright.
 */
size_t seccomp_build_filter(struct sock_filter *prog, size_t cap, uint64_t hcpage);

#endif
