/* Guest side of grant tables v1: granting frames of guest RAM to a backend domain and ending the grants. */
#ifndef MICA_GNTTAB_H
#define MICA_GNTTAB_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

/*
 * Grants the 4096-byte frame at guest address page (page-aligned) to domain dom, read-only or
 * read-write. The table's frames are placed with the runtime on first use (docs/abi.md §5).
 * Returns 0 with *ref set, or a negative Xen errno: -XEN_ENOSPC when every ref is in use.
 */
int gnttab_grant(domid_t dom, uintptr_t page, bool readonly, grant_ref_t *ref);

/*
 * Ends the grant and frees the ref, unless the backend is reading or writing the frame right
 * now: then -XEN_EBUSY and the grant stays as it was (the caller tries again later). A ref not
 * in use is -XEN_EINVAL.
 */
int gnttab_end(grant_ref_t ref);

/* A frontend's "no grant made" ref: never handed out (the table holds far fewer). */
#define GNTTAB_NO_REF ((grant_ref_t)~0u)

/* Ends *ref unless it is GNTTAB_NO_REF, and forgets it; false when the backend still holds it. */
static inline bool gnttab_end_ref(grant_ref_t *ref)
{
	bool ended = *ref == GNTTAB_NO_REF || gnttab_end(*ref) == 0;
	*ref = GNTTAB_NO_REF;
	return ended;
}

/* Refs in use, for tests and leak checks. */
unsigned int gnttab_refs_in_use(void);

#endif
