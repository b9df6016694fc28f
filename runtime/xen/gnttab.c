/* Grant tables v1: the guest's table frames, query_size, and the backends' checked access to granted frames. */
#include "xen/gnttab.h"
#include <stddef.h>
#include <string.h>
#include <xen/errno.h>
#include "xen/hvm.h"

#define GNTTAB_PER_FRAME (MICA_PAGE_SIZE / sizeof(grant_entry_v1_t))

_Static_assert(offsetof(grant_entry_v1_t, flags) == 0 && offsetof(grant_entry_v1_t, domid) == 2 &&
		       offsetof(grant_entry_v1_t, frame) == 4,
	       "flags and domid make the entry's first little-endian word, frame its second");

long gnttab_place_frame(struct guest *g, uint64_t idx, uint64_t gpfn)
{
	if (idx >= GNTTAB_MAX_FRAMES || gpfn > (UINT64_MAX >> MICA_PAGE_SHIFT))
		return -XEN_EINVAL;
	if (!hvm_ram_page(g, gpfn << MICA_PAGE_SHIFT))
		return -XEN_EINVAL;
	g->gnttab.frame_gaddr[idx] = gpfn << MICA_PAGE_SHIFT;
	if (idx >= g->gnttab.nr_frames)
		g->gnttab.nr_frames = (uint32_t)idx + 1;
	return 0;
}

long gnttab_op(struct guest *g, unsigned int cmd, uint64_t arg, uint64_t count)
{
	if (cmd != GNTTABOP_query_size)
		return -XEN_ENOSYS;
	if (count != 1)
		return -XEN_EINVAL; /* as Xen */
	struct gnttab_query_size op;
	void *gp = guest_ptr(g, arg, sizeof(op));
	if (!gp)
		return -XEN_EFAULT;
	memcpy(&op, gp, sizeof(op));
	if (op.dom == DOMID_SELF || op.dom == MICA_DOMID_GUEST) {
		op.nr_frames = g->gnttab.nr_frames;
		op.max_nr_frames = GNTTAB_MAX_FRAMES;
		op.status = GNTST_okay;
	} else {
		op.status = GNTST_bad_domain;
	}
	memcpy(gp, &op, sizeof(op));
	return 0;
}

/* The flags-and-domid word of entry ref, or NULL if ref lies outside the frames placed. */
static uint32_t *gnttab_entry(struct guest *g, grant_ref_t ref)
{
	uint64_t idx = ref / GNTTAB_PER_FRAME;
	if (idx >= GNTTAB_MAX_FRAMES || !g->gnttab.frame_gaddr[idx])
		return NULL;
	uint8_t *frame = guest_ptr(g, g->gnttab.frame_gaddr[idx], MICA_PAGE_SIZE);
	return (uint32_t *)(frame + ref % GNTTAB_PER_FRAME * sizeof(grant_entry_v1_t));
}

static void gnttab_release(uint32_t *entry, uint32_t bits)
{
	__atomic_fetch_and(entry, ~bits, __ATOMIC_RELEASE);
}

void gnttab_drop_holds(struct guest *g)
{
	for (int f = 0; f < GNTTAB_MAX_FRAMES; f++) {
		grant_entry_v1_t *e = g->gnttab.frame_gaddr[f] ? guest_ptr(g, g->gnttab.frame_gaddr[f], MICA_PAGE_SIZE) : NULL;
		for (size_t i = 0; e && i < GNTTAB_PER_FRAME; i++)
			gnttab_release((uint32_t *)&e[i], GTF_reading | GTF_writing);
	}
}

/*
 * Sets bits in entry ref if it grants the backend that access, returning the entry and the host
 * address of the granted frame. The guest is hostile and runs concurrently: flags and domid are
 * read as one word and taken with one compare-and-swap, so a grant revoked or retargeted between
 * the check and the access is never used, and the frame is read only once the entry is held.
 * One access at a time per entry, as the bits carry no count.
 */
static int gnttab_acquire(struct guest *g, grant_ref_t ref, uint32_t bits, uint32_t **entry, uint8_t **page)
{
	uint32_t *e = gnttab_entry(g, ref);
	if (!e)
		return -XEN_EINVAL;
	uint32_t word = __atomic_load_n(e, __ATOMIC_ACQUIRE);
	uint16_t flags = (uint16_t)word, domid = (uint16_t)(word >> 16);
	if ((flags & GTF_type_mask) != GTF_permit_access || domid != MICA_DOMID_BACKEND)
		return -XEN_EPERM;
	if ((bits & GTF_writing) && (flags & GTF_readonly))
		return -XEN_EPERM;
	if (flags & (GTF_reading | GTF_writing))
		return -XEN_EBUSY;
	if (!__atomic_compare_exchange_n(e, &word, word | bits, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return -XEN_EBUSY;
	uint32_t gfn = __atomic_load_n(e + 1, __ATOMIC_RELAXED);
	uint8_t *p = hvm_ram_page(g, (uint64_t)gfn << MICA_PAGE_SHIFT);
	if (!p) {
		gnttab_release(e, bits);
		return -XEN_EFAULT;
	}
	*entry = e;
	*page = p;
	return 0;
}

/* Takes ref for a copy of len bytes at offset, counting a refusal. */
static int gnttab_take(struct guest *g, grant_ref_t ref, uint32_t offset, uint32_t len, uint32_t bits,
		       uint32_t **entry, uint8_t **page)
{
	int rc = -XEN_EINVAL;
	if (offset <= MICA_PAGE_SIZE && len <= MICA_PAGE_SIZE - offset)
		rc = gnttab_acquire(g, ref, bits, entry, page);
	if (rc != 0)
		g->gnttab.refused++;
	return rc;
}

int gnttab_copy_from_guest(struct guest *g, grant_ref_t ref, uint32_t offset, void *dst, uint32_t len)
{
	uint32_t *entry;
	uint8_t *page;
	int rc = gnttab_take(g, ref, offset, len, GTF_reading, &entry, &page);
	if (rc != 0)
		return rc;
	memcpy(dst, page + offset, len);
	gnttab_release(entry, GTF_reading);
	return 0;
}

int gnttab_copy_to_guest(struct guest *g, grant_ref_t ref, uint32_t offset, const void *src, uint32_t len)
{
	uint32_t *entry;
	uint8_t *page;
	int rc = gnttab_take(g, ref, offset, len, GTF_reading | GTF_writing, &entry, &page);
	if (rc != 0)
		return rc;
	memcpy(page + offset, src, len);
	gnttab_release(entry, GTF_reading | GTF_writing);
	return 0;
}

void *gnttab_map(struct guest *g, grant_ref_t ref, bool writable, struct gnttab_mapping *m)
{
	uint32_t bits = writable ? GTF_reading | GTF_writing : GTF_reading;
	uint8_t *page;
	m->held = 0;
	if (gnttab_acquire(g, ref, bits, &m->entry, &page) != 0) {
		g->gnttab.refused++;
		return NULL;
	}
	m->held = bits;
	return page;
}

void gnttab_unmap(struct gnttab_mapping *m)
{
	if (m->held)
		gnttab_release(m->entry, m->held);
	m->held = 0;
}
