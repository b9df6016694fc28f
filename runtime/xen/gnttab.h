/* Grant tables v1: the guest's grant_table_op and the one layer through which backends reach guest frames. */
#ifndef XEN_GNTTAB_H
#define XEN_GNTTAB_H

#include "vm/guest.h"
#include <xen/grant_table.h> /* after guest.h: it needs stdint.h and xen.h first */

/* A grant a backend holds mapped: the entry it marked and the GTF_ bits it holds there. */
struct gnttab_mapping {
	uint32_t *entry; /* the entry's flags and domid, as one word */
	uint32_t held;   /* 0 when nothing is held */
};

/*
 * A restore: the backends that held grants (GTF_reading/GTF_writing in the saved table) are gone,
 * so those bits are cleared in every frame placed; the guest can then end the grants.
 */
void gnttab_drop_holds(struct guest *g);

/* GNTTABOP_* from the guest (cmd, guest address of count op structures). Only query_size. */
long gnttab_op(struct guest *g, unsigned int cmd, uint64_t arg, uint64_t count);

/* Makes the guest RAM page gpfn frame idx of g's grant table (XENMAPSPACE_grant_table). */
long gnttab_place_frame(struct guest *g, uint64_t idx, uint64_t gpfn);

/*
 * Copy len bytes at offset in the frame that grant ref gives the backend (domain 0), from or to
 * the runtime's buffer. Returns 0, or a negative Xen errno, counted in g->gnttab.refused:
 * -XEN_EINVAL (no such ref, or the bytes cross the frame's end), -XEN_EPERM (not granted to the
 * backend, or read-only for a write), -XEN_EBUSY (already held, or changed while being taken),
 * -XEN_EFAULT (the granted frame is not ordinary guest RAM).
 */
int gnttab_copy_from_guest(struct guest *g, grant_ref_t ref, uint32_t offset, void *dst, uint32_t len);
int gnttab_copy_to_guest(struct guest *g, grant_ref_t ref, uint32_t offset, const void *src, uint32_t len);

/*
 * The host address of the granted frame, held (GTF_reading, and GTF_writing if writable) until
 * gnttab_unmap(m), so the guest cannot end the grant meanwhile. NULL, counted as refused, when the
 * grant does not allow it (as for the copies).
 */
void *gnttab_map(struct guest *g, grant_ref_t ref, bool writable, struct gnttab_mapping *m);
void gnttab_unmap(struct gnttab_mapping *m);

#endif
