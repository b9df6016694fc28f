/* unit-sources: runtime/vm/guest.c runtime/xen/evtchn.c runtime/xen/console.c runtime/xen/hypercall.c runtime/xen/pvclock.c runtime/xen/hvm.c runtime/xen/gnttab.c runtime/util/log.c */
/* unit-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/* Unit tests of grant tables v1: table placement, query_size, and the backend's checked copies and mappings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xen/errno.h>
#include <xen/memory.h>
#include "vm/guest.h"
#include "xen/gnttab.h"
#include "xen/hvm_start_info.h"
#include "xen/hypercall.h"
#include "xen/start_info.h"
#include "unit.h"

#define RAM (256 * 1024)
#define ARG_GADDR (MICA_RAM_BASE + 0x1000)
#define TABLE_GADDR (MICA_RAM_BASE + 0x2000)
#define DATA_GADDR (MICA_RAM_BASE + 0x8000)
#define REF 10

static struct guest g;
static uint8_t *ram;
static shared_info_t boot_shared;

static long call(unsigned int nr, unsigned int cmd, const void *op, size_t size, uint64_t count, void *out)
{
	memcpy(guest_ptr(&g, ARG_GADDR, size), op, size);
	uint64_t args[5] = {cmd, ARG_GADDR, count};
	bool wait;
	long rc = hypercall_dispatch(&g, nr, args, &wait);
	if (out)
		memcpy(out, guest_ptr(&g, ARG_GADDR, size), size);
	return rc;
}

static long place(uint64_t idx, uint64_t gaddr, domid_t dom)
{
	struct xen_add_to_physmap op = {.domid = dom, .space = XENMAPSPACE_grant_table, .idx = idx,
					.gpfn = gaddr >> MICA_PAGE_SHIFT};
	return call(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, &op, sizeof(op), 0, NULL);
}

static long query(domid_t dom, uint64_t count, struct gnttab_query_size *out)
{
	struct gnttab_query_size op = {.dom = dom, .status = 99};
	return call(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, &op, sizeof(op), count, out);
}

/*
 * A guest with no grant-table frame placed yet: PV (the proc backend's) unless hvm. Only RAM and
 * shared_info (which every hypercall refreshes the clock in): grants need nothing else.
 */
static void fresh_unplaced(bool hvm)
{
	free(ram);
	ram = calloc(1, RAM);
	memset(&g, 0, sizeof(g));
	memset(&boot_shared, 0, sizeof(boot_shared));
	g.ram = ram;
	g.ram_size = RAM;
	g.shared = &boot_shared;
	g.hvm = hvm;
}

/* The same, with frame 0 of its table at TABLE_GADDR, placed through the hypercall. */
static void fresh(void)
{
	fresh_unplaced(false);
	if (place(0, TABLE_GADDR, DOMID_SELF) != 0)
		abort();
}

static grant_entry_v1_t *entry(grant_ref_t ref)
{
	return guest_ptr(&g, TABLE_GADDR + ref * sizeof(grant_entry_v1_t), sizeof(grant_entry_v1_t));
}

/* The guest's side of a grant: frame and domid first, flags last, as a guest must. */
static void grant(grant_ref_t ref, domid_t dom, uint16_t flags, uint64_t gaddr)
{
	grant_entry_v1_t *e = entry(ref);
	e->frame = (uint32_t)(gaddr >> MICA_PAGE_SHIFT);
	e->domid = dom;
	__atomic_store_n(&e->flags, flags, __ATOMIC_RELEASE);
}

/* The guest's end of access, as Linux's: flags to 0, only while the backend holds nothing. */
static bool end_access(grant_ref_t ref)
{
	uint16_t *flags = &entry(ref)->flags, f = __atomic_load_n(flags, __ATOMIC_ACQUIRE);
	do {
		if (f & (GTF_reading | GTF_writing))
			return false;
	} while (!__atomic_compare_exchange_n(flags, &f, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return true;
}

static int read_ref(grant_ref_t ref)
{
	uint8_t buf[16];
	return gnttab_copy_from_guest(&g, ref, 0, buf, sizeof(buf));
}

static void test_placement(void)
{
	struct gnttab_query_size q;
	uint64_t special = MICA_RAM_BASE + RAM - START_INFO_RESERVED;
	fresh_unplaced(false);
	unit_check(query(DOMID_SELF, 1, &q) == 0 && q.status == GNTST_okay && q.nr_frames == 0 &&
			   q.max_nr_frames == GNTTAB_MAX_FRAMES,
		   "query_size: no frame before any is placed", "nr %u max %u status %d", q.nr_frames,
		   q.max_nr_frames, q.status);
	unit_check(place(0, TABLE_GADDR, DOMID_SELF) == 0 && query(MICA_DOMID_GUEST, 1, &q) == 0 &&
			   q.nr_frames == 1,
		   "PV guest places frame 0", NULL);
	unit_check(place(2, TABLE_GADDR + 2 * MICA_PAGE_SIZE, DOMID_SELF) == 0 && query(DOMID_SELF, 1, &q) == 0 &&
			   q.nr_frames == 3,
		   "nr_frames counts up to the highest frame placed", NULL);
	unit_check(query(5, 1, &q) == 0 && q.status == GNTST_bad_domain, "query_size of another domain", NULL);
	unit_check(query(DOMID_SELF, 2, &q) == -XEN_EINVAL, "query_size takes one op", NULL);
	struct gnttab_setup_table setup = {.dom = DOMID_SELF, .nr_frames = 1};
	unit_check(call(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &setup, sizeof(setup), 1, NULL) == -XEN_ENOSYS,
		   "setup_table is not offered", NULL);
	uint64_t args[5] = {GNTTABOP_query_size, MICA_RAM_BASE + RAM - 4, 1};
	bool wait;
	unit_check(hypercall_dispatch(&g, __HYPERVISOR_grant_table_op, args, &wait) == -XEN_EFAULT,
		   "query_size op beyond RAM", NULL);

	unit_check(place(GNTTAB_MAX_FRAMES, TABLE_GADDR, DOMID_SELF) == -XEN_EINVAL, "frame index too big", NULL);
	unit_check(place(XENMAPIDX_grant_table_status, TABLE_GADDR, DOMID_SELF) == -XEN_EINVAL,
		   "no v2 status frames", NULL);
	unit_check(place(1, special, DOMID_SELF) == -XEN_EINVAL &&
			   place(1, MICA_RAM_BASE + RAM - MICA_PAGE_SIZE, DOMID_SELF) == -XEN_EINVAL,
		   "not onto the special pages", NULL);
	unit_check(place(1, MICA_RAM_BASE + RAM, DOMID_SELF) == -XEN_EINVAL, "not beyond RAM", NULL);
	unit_check(place(1, 0x10000, DOMID_SELF) == -XEN_EINVAL, "not below RAM", NULL);
	struct xen_add_to_physmap huge = {.domid = DOMID_SELF, .space = XENMAPSPACE_grant_table, .gpfn = ~0ULL};
	unit_check(call(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, &huge, sizeof(huge), 0, NULL) == -XEN_EINVAL,
		   "not a huge gpfn", NULL);
	unit_check(place(1, TABLE_GADDR, 3) == -XEN_EPERM, "not for another domain", NULL);
	unit_check(query(DOMID_SELF, 1, &q) == 0 && q.nr_frames == 3 && g.gnttab.frame_gaddr[1] == 0,
		   "refusals place nothing", NULL);
	struct xen_add_to_physmap si = {.domid = DOMID_SELF, .space = XENMAPSPACE_shared_info,
					.gpfn = DATA_GADDR >> MICA_PAGE_SHIFT};
	shared_info_t *before = g.shared;
	unit_check(call(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, &si, sizeof(si), 0, NULL) == -XEN_EINVAL &&
			   g.shared == before,
		   "PV shared_info stays put", NULL);
	unit_check(place(1, special - MICA_PAGE_SIZE, DOMID_SELF) == 0, "the page below the special pages", NULL);

	special = MICA_RAM_BASE + RAM - HVM_START_INFO_RESERVED;
	fresh_unplaced(true);
	unit_check(place(0, TABLE_GADDR, DOMID_SELF) == 0 && g.gnttab.frame_gaddr[0] == TABLE_GADDR,
		   "HVM guest places frame 0", NULL);
	unit_check(place(1, special, DOMID_SELF) == -XEN_EINVAL && place(1, special - MICA_PAGE_SIZE, DOMID_SELF) == 0,
		   "HVM: not onto its special pages, up to them", NULL);
}

static void test_refusals(void)
{
	fresh();
	unit_check(read_ref(REF) == -XEN_EPERM, "entry never granted", NULL);
	grant(REF, MICA_DOMID_BACKEND, GTF_permit_access, DATA_GADDR);
	unit_check(read_ref(512) == -XEN_EINVAL, "ref in a frame not placed", NULL);
	unit_check(read_ref(GNTTAB_MAX_FRAMES * 512) == -XEN_EINVAL, "ref beyond the largest table", NULL);
	unit_check(read_ref(UINT32_MAX) == -XEN_EINVAL, "ref UINT32_MAX", NULL);
	grant(REF, 3, GTF_permit_access, DATA_GADDR);
	unit_check(read_ref(REF) == -XEN_EPERM, "granted to another domain", NULL);
	grant(REF, MICA_DOMID_BACKEND, GTF_accept_transfer, DATA_GADDR);
	unit_check(read_ref(REF) == -XEN_EPERM, "a transfer grant is no access grant", NULL);
	grant(REF, MICA_DOMID_BACKEND, GTF_permit_access | GTF_readonly, DATA_GADDR);
	unit_check(gnttab_copy_to_guest(&g, REF, 0, "x", 1) == -XEN_EPERM, "write to a read-only grant", NULL);
	struct gnttab_mapping m;
	unit_check(gnttab_map(&g, REF, true, &m) == NULL && m.held == 0, "writable map of a read-only grant", NULL);
	grant(REF, MICA_DOMID_BACKEND, GTF_permit_access, DATA_GADDR);
	uint8_t buf[256];
	unit_check(gnttab_copy_from_guest(&g, REF, 4000, buf, 200) == -XEN_EINVAL, "bytes past the frame's end", NULL);
	unit_check(gnttab_copy_from_guest(&g, REF, 16, buf, UINT32_MAX) == -XEN_EINVAL, "offset + len overflows", NULL);
	unit_check(gnttab_copy_from_guest(&g, REF, UINT32_MAX, buf, 2) == -XEN_EINVAL, "offset beyond the frame", NULL);
	grant(REF, MICA_DOMID_BACKEND, GTF_permit_access, MICA_RAM_BASE + RAM);
	unit_check(read_ref(REF) == -XEN_EFAULT, "granted frame beyond RAM", NULL);
	grant(REF, MICA_DOMID_BACKEND, GTF_permit_access, 0);
	unit_check(read_ref(REF) == -XEN_EFAULT, "granted frame below RAM", NULL);
	grant(REF, MICA_DOMID_BACKEND, GTF_permit_access, MICA_RAM_BASE + RAM - START_INFO_RESERVED);
	unit_check(read_ref(REF) == -XEN_EFAULT, "granted frame is a special page", NULL);
	unit_check(entry(REF)->flags == GTF_permit_access, "a refused frame leaves no bit held", "flags %#x",
		   entry(REF)->flags);
	grant(REF, MICA_DOMID_BACKEND, GTF_permit_access | GTF_reading, DATA_GADDR);
	unit_check(read_ref(REF) == -XEN_EBUSY, "entry already held", NULL);
	grant(REF, MICA_DOMID_BACKEND, GTF_permit_access, DATA_GADDR);
	unit_check(read_ref(REF) == 0 && end_access(REF) && read_ref(REF) == -XEN_EPERM, "access after revoke", NULL);
	unit_check(g.gnttab.refused == 16, "every refusal counted", "%llu", (unsigned long long)g.gnttab.refused);
}

static void test_copies(void)
{
	fresh();
	uint8_t *data = guest_ptr(&g, DATA_GADDR, MICA_PAGE_SIZE);
	for (unsigned int i = 0; i < MICA_PAGE_SIZE; i++)
		data[i] = (uint8_t)i;
	grant(REF, MICA_DOMID_BACKEND, GTF_permit_access | GTF_readonly, DATA_GADDR);
	uint8_t buf[8];
	unit_check(gnttab_copy_from_guest(&g, REF, 4088, buf, 8) == 0 && memcmp(buf, data + 4088, 8) == 0,
		   "read of the frame's last bytes", NULL);
	unit_check(entry(REF)->flags == (GTF_permit_access | GTF_readonly), "no bit left after the read", NULL);
	grant(REF, MICA_DOMID_BACKEND, GTF_permit_access, DATA_GADDR);
	unit_check(gnttab_copy_to_guest(&g, REF, 100, "grant", 5) == 0 && memcmp(data + 100, "grant", 5) == 0 &&
			   data[99] == 99 && data[105] == 105,
		   "write lands at the offset, nothing around it", NULL);
	unit_check(entry(REF)->flags == GTF_permit_access, "no bit left after the write", NULL);
	grant(REF + 512, MICA_DOMID_BACKEND, GTF_permit_access, DATA_GADDR);
	unit_check(place(1, TABLE_GADDR + MICA_PAGE_SIZE, DOMID_SELF) == 0 &&
			   gnttab_copy_from_guest(&g, 512 + REF, 0, buf, 1) == 0 && buf[0] == data[0],
		   "ref in the second frame", NULL);
	unit_check(g.gnttab.refused == 0, "no refusal counted", NULL);
}

static void test_map(void)
{
	fresh();
	struct gnttab_mapping m;
	grant(REF, MICA_DOMID_BACKEND, GTF_permit_access | GTF_readonly, DATA_GADDR);
	void *p = gnttab_map(&g, REF, false, &m);
	unit_check(p == guest_ptr(&g, DATA_GADDR, 1), "read-only map gives the granted frame", NULL);
	unit_check(entry(REF)->flags == (GTF_permit_access | GTF_readonly | GTF_reading), "GTF_reading while mapped",
		   "flags %#x", entry(REF)->flags);
	unit_check(!end_access(REF), "guest cannot end access while mapped", NULL);
	uint8_t buf[1];
	unit_check(gnttab_copy_from_guest(&g, REF, 0, buf, 1) == -XEN_EBUSY, "no second access while mapped", NULL);
	gnttab_unmap(&m);
	unit_check(entry(REF)->flags == (GTF_permit_access | GTF_readonly) && m.held == 0, "unmap clears GTF_reading",
		   NULL);
	unit_check(end_access(REF) && entry(REF)->flags == 0, "guest ends access after unmap", NULL);
	unit_check(gnttab_map(&g, REF, false, &m) == NULL, "no map after revoke", NULL);

	grant(REF, MICA_DOMID_BACKEND, GTF_permit_access, DATA_GADDR);
	p = gnttab_map(&g, REF, true, &m);
	unit_check(p && entry(REF)->flags == (GTF_permit_access | GTF_reading | GTF_writing),
		   "GTF_reading|GTF_writing while mapped writable", NULL);
	unit_check(!end_access(REF), "guest cannot end a writable mapping", NULL);
	gnttab_unmap(&m);
	gnttab_unmap(&m);
	unit_check(entry(REF)->flags == GTF_permit_access && end_access(REF), "unmap (twice) releases it", NULL);
}

int main(void)
{
	test_placement();
	test_refusals();
	test_copies();
	test_map();
	return unit_exit_status();
}
