/* Grant tables v1, guest side: the table frames in our RAM, a free list of refs, granting and ending. */
#include <arch/cpu.h>
#include <xen/errno.h>
#include <xen/memory.h>
#include <mica/gnttab.h>
#include <mica/hypercall.h>

/* docs/abi.md §5: mica honours at most 4 frames (refs 0..2047). */
#define GNTTAB_FRAMES 4
#define GNTTAB_PER_FRAME (MICA_PAGE_SIZE / sizeof(grant_entry_v1_t))
#define GNTTAB_REFS (GNTTAB_FRAMES * GNTTAB_PER_FRAME)

/*
 * bss is zero, which is all the runtime asks of a frame before it is placed; a frame is placed
 * only when its first ref is handed out, so a guest without devices makes no hypercall.
 */
static grant_entry_v1_t gnttab_table[GNTTAB_REFS] __attribute__((aligned(MICA_PAGE_SIZE)));
static unsigned int gnttab_frames_placed;
/* Refs below this have been handed out at least once; ended refs go to the free list. */
static grant_ref_t gnttab_fresh = GNTTAB_NR_RESERVED_ENTRIES;
static grant_ref_t gnttab_next_free[GNTTAB_REFS];
static grant_ref_t gnttab_free_head;
static unsigned int gnttab_free_count;
static unsigned long gnttab_used[GNTTAB_REFS / 64];
static unsigned int gnttab_in_use;

static int gnttab_place(unsigned int idx)
{
	struct xen_add_to_physmap op = {
		.domid = DOMID_SELF,
		.space = XENMAPSPACE_grant_table,
		.idx = idx,
		.gpfn = (uintptr_t)&gnttab_table[idx * GNTTAB_PER_FRAME] >> MICA_PAGE_SHIFT,
	};
	long rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &op);
	if (rc == 0)
		gnttab_frames_placed = idx + 1;
	return (int)rc;
}

static int gnttab_alloc(grant_ref_t *ref)
{
	if (gnttab_free_count) {
		*ref = gnttab_free_head;
		gnttab_free_head = gnttab_next_free[*ref];
		gnttab_free_count--;
		return 0;
	}
	if (gnttab_fresh >= GNTTAB_REFS)
		return -XEN_ENOSPC;
	unsigned int idx = gnttab_fresh / GNTTAB_PER_FRAME;
	if (idx >= gnttab_frames_placed) {
		int rc = gnttab_place(idx);
		if (rc != 0)
			return rc;
	}
	*ref = gnttab_fresh++;
	return 0;
}

int gnttab_grant(domid_t dom, uintptr_t page, bool readonly, grant_ref_t *ref)
{
	if (page & (MICA_PAGE_SIZE - 1) || (page >> MICA_PAGE_SHIFT) > UINT32_MAX)
		return -XEN_EINVAL;
	grant_ref_t r;
	int rc = gnttab_alloc(&r);
	if (rc != 0)
		return rc;
	grant_entry_v1_t *e = &gnttab_table[r];
	e->frame = (uint32_t)(page >> MICA_PAGE_SHIFT);
	e->domid = dom;
	/* The backend may look at the entry any time: frame and domid must be there before the flag. */
	__atomic_store_n(&e->flags, GTF_permit_access | (readonly ? GTF_readonly : 0), __ATOMIC_RELEASE);
	cpu_set_bit(r, gnttab_used);
	gnttab_in_use++;
	*ref = r;
	return 0;
}

int gnttab_end(grant_ref_t ref)
{
	if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= gnttab_fresh || !cpu_test_bit(ref, gnttab_used))
		return -XEN_EINVAL;
	grant_entry_v1_t *e = &gnttab_table[ref];
	uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
	/* The backend sets GTF_reading/GTF_writing while it holds the frame: never pull it away then. */
	do {
		if (flags & (GTF_reading | GTF_writing))
			return -XEN_EBUSY;
	} while (!__atomic_compare_exchange_n(&e->flags, &flags, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	cpu_clear_bit(ref, gnttab_used);
	gnttab_in_use--;
	gnttab_next_free[ref] = gnttab_free_head;
	gnttab_free_head = ref;
	gnttab_free_count++;
	return 0;
}

unsigned int gnttab_refs_in_use(void)
{
	return gnttab_in_use;
}
