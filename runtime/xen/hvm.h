/* The Xen services of HVM (PVH) guests: HVM params, memory_op (PV too), hypercall page. */
#ifndef XEN_HVM_H
#define XEN_HVM_H

#include "vm/guest.h"

/* HVMOP_* from the guest; arg is the guest address of the op structure. */
long hvm_op(struct guest *g, unsigned int cmd, uint64_t arg);

/* XENMEM_* from any guest: only add_to_physmap, of grant-table frames, or of shared_info (HVM only). */
long hvm_memory_op(struct guest *g, unsigned int cmd, uint64_t arg);

/*
 * Writes the hypercall stubs into the guest page at gaddr (the guest's write to
 * MICA_KVM_HC_MSR). Returns 0, or -1 if gaddr is not a page of RAM outside the special pages.
 */
int hvm_hypercall_page(struct guest *g, uint64_t gaddr);

/* Host pointer for the whole guest page at gaddr, if it is RAM outside the special pages (any guest). */
void *hvm_ram_page(struct guest *g, uint64_t gaddr);

/* The vector the guest asked event upcalls on (HVM_PARAM_CALLBACK_IRQ), or -1 for none. */
int hvm_callback_vector(const struct guest *g);

#endif
