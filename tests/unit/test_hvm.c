/* unit-sources: runtime/vm/guest.c runtime/xen/evtchn.c runtime/xen/console.c runtime/xen/hypercall.c runtime/xen/pvclock.c runtime/xen/hvm.c runtime/xen/gnttab.c runtime/xen/hvm_start_info.c runtime/xen/xenstore.c runtime/xen/xenstore_tree.c runtime/xen/boot_args.c runtime/util/log.c */
/* unit-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/* Unit tests of the HVM (PVH) services: start info, HVM params, shared_info placement, hypercall page, upcall edges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include "vm/guest.h"
#include "xen/evtchn.h"
#include "xen/hvm.h"
#include "xen/hvm_start_info.h"
#include "xen/hypercall.h"
#include "xen/xenstore.h"
#include "unit.h"

#define RAM (256 * 1024)
#define ARG_GADDR (MICA_RAM_BASE + 0x1000)
#define SPECIAL_GADDR (MICA_RAM_BASE + RAM - 2 * MICA_PAGE_SIZE) /* the lowest special page: the store */
#define CONSOLE_GADDR (MICA_RAM_BASE + RAM - MICA_PAGE_SIZE)

static struct guest g;
static uint8_t *ram, *low;
static shared_info_t boot_shared;

static void fresh_guest(int argc, char **argv)
{
	xenstore_destroy(&g);
	free(ram);
	free(low);
	ram = calloc(1, RAM);
	low = calloc(1, MICA_RAM_BASE);
	memset(&g, 0, sizeof(g));
	memset(&boot_shared, 0, sizeof(boot_shared));
	g.ram = ram;
	g.ram_size = RAM;
	g.hvm = true;
	g.shared = &boot_shared;
	char err[128];
	if (hvm_start_info_build(&g, low, argc, argv, 0, NULL, 0, err, sizeof(err)) != 0)
		abort();
}

static void fresh(void)
{
	char *argv[] = {"app", "a b", NULL};
	fresh_guest(2, argv);
}

static long call(unsigned int nr, unsigned int cmd, const void *op, size_t size, void *out)
{
	memcpy(guest_ptr(&g, ARG_GADDR, size), op, size);
	uint64_t args[5] = {cmd, ARG_GADDR};
	bool wait;
	long rc = hypercall_dispatch(&g, nr, args, &wait);
	if (out)
		memcpy(out, guest_ptr(&g, ARG_GADDR, size), size);
	return rc;
}

static long get_param(uint32_t index, uint64_t *value)
{
	struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index};
	long rc = call(__HYPERVISOR_hvm_op, HVMOP_get_param, &p, sizeof(p), &p);
	*value = p.value;
	return rc;
}

static long set_param(uint32_t index, uint64_t value)
{
	struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index, .value = value};
	return call(__HYPERVISOR_hvm_op, HVMOP_set_param, &p, sizeof(p), NULL);
}

static long map_shared(uint64_t gpfn, domid_t dom, unsigned int space)
{
	struct xen_add_to_physmap op = {.domid = dom, .space = space, .gpfn = gpfn};
	return call(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, &op, sizeof(op), NULL);
}

static void test_start_info(void)
{
	fresh();
	struct hvm_start_info *si = (struct hvm_start_info *)(low + MICA_KVM_START_INFO);
	struct hvm_memmap_table_entry *map = (struct hvm_memmap_table_entry *)(low + si->memmap_paddr);
	unit_check(si->magic == XEN_HVM_START_MAGIC_VALUE && si->version == 1, "magic and version 1", NULL);
	unit_check(strcmp((char *)low + si->cmdline_paddr, "app a\\ b") == 0, "escaped command line",
		   (char *)low + si->cmdline_paddr);
	unit_check(si->memmap_entries == 2 && map[0].addr == MICA_RAM_BASE && map[0].type == XEN_HVM_MEMMAP_TYPE_RAM &&
			   map[0].addr + map[0].size == SPECIAL_GADDR && map[1].addr == SPECIAL_GADDR &&
			   map[1].size == 2 * MICA_PAGE_SIZE && map[1].type == XEN_HVM_MEMMAP_TYPE_RESERVED,
		   "memory map: RAM, then the reserved store and console pages", NULL);
	unit_check(g.ext && g.ext->magic == MICA_START_EXT_MAGIC &&
			   (uint8_t *)g.ext == low + MICA_KVM_START_INFO + MICA_START_EXT_OFFSET,
		   "Mica extension in the start info page", NULL);
	unit_check(si->nr_modules == 0, "no initrd, no module", NULL);
	hvm_start_info_initrd(&g, low, "0707", 4);
	struct hvm_modlist_entry *mod = (struct hvm_modlist_entry *)(low + si->modlist_paddr);
	unit_check(si->nr_modules == 1 && mod->size == 4 && mod->paddr == SPECIAL_GADDR - MICA_PAGE_SIZE &&
			   memcmp(guest_ptr(&g, mod->paddr, 4), "0707", 4) == 0,
		   "initrd module just below the special pages", NULL);

	char big[MICA_KVM_CMDLINE_MAX + 8];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char *argv[] = {big, NULL}, err[128];
	xenstore_destroy(&g);
	memset(&g, 0, sizeof(g));
	g.ram = ram;
	g.ram_size = RAM;
	g.shared = &boot_shared;
	unit_check(hvm_start_info_build(&g, low, 1, argv, 0, NULL, 0, err, sizeof(err)) != 0 && strstr(err, "1023"),
		   "overlong command line refused", err);
}

static void test_params(void)
{
	fresh();
	uint64_t v;
	unit_check(get_param(HVM_PARAM_CONSOLE_PFN, &v) == 0 && v == CONSOLE_GADDR >> MICA_PAGE_SHIFT,
		   "console pfn", NULL);
	unit_check(get_param(HVM_PARAM_CONSOLE_EVTCHN, &v) == 0 && v == g.console_port && v != 0, "console port", NULL);
	unit_check(get_param(HVM_PARAM_STORE_PFN, &v) == 0 && v == SPECIAL_GADDR >> MICA_PAGE_SHIFT, "store pfn", NULL);
	unit_check(get_param(HVM_PARAM_STORE_EVTCHN, &v) == 0 && v == g.store_port && v != 0 && v != g.console_port,
		   "store port", NULL);
	unit_check(hvm_callback_vector(&g) == -1, "no callback at first", NULL);
	uint64_t via = ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56) | 0xf3;
	unit_check(set_param(HVM_PARAM_CALLBACK_IRQ, via) == 0 && hvm_callback_vector(&g) == 0xf3,
		   "callback vector set", NULL);
	unit_check(get_param(HVM_PARAM_CALLBACK_IRQ, &v) == 0 && v == via, "callback read back", NULL);
	unit_check(set_param(HVM_PARAM_CALLBACK_IRQ, ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56) | 14) == -XEN_EINVAL,
		   "exception vector refused", NULL);
	unit_check(set_param(HVM_PARAM_CALLBACK_IRQ, 5) == -XEN_EINVAL, "GSI callback refused", NULL);
	unit_check(set_param(HVM_PARAM_CALLBACK_IRQ, via | 0x100) == -XEN_EINVAL, "stray bits refused", NULL);
	unit_check(hvm_callback_vector(&g) == 0xf3, "refusals leave the vector", NULL);
	unit_check(set_param(HVM_PARAM_CONSOLE_PFN, 7) == -XEN_EINVAL, "console pfn is read-only", NULL);
	struct xen_hvm_param other = {.domid = 3, .index = HVM_PARAM_CONSOLE_PFN};
	unit_check(call(__HYPERVISOR_hvm_op, HVMOP_get_param, &other, sizeof(other), NULL) == -XEN_EPERM,
		   "another domain's params refused", NULL);
	unit_check(call(__HYPERVISOR_hvm_op, 99, &other, sizeof(other), NULL) == -XEN_ENOSYS, "unknown HVMOP", NULL);
	uint64_t args[5] = {HVMOP_get_param, MICA_RAM_BASE + RAM - 4};
	bool wait;
	unit_check(hypercall_dispatch(&g, __HYPERVISOR_hvm_op, args, &wait) == -XEN_EFAULT, "op beyond RAM", NULL);

	g.hvm = false;
	unit_check(get_param(HVM_PARAM_CONSOLE_PFN, &v) == -XEN_ENOSYS, "PV guests have no HVM ops", NULL);
}

static void test_shared_info_move(void)
{
	fresh();
	uint32_t port = g.console_port;
	g.shared->evtchn_mask[0] &= ~(1UL << port);
	evtchn_raise(&g, port);
	uint64_t gpfn = (MICA_RAM_BASE + 0x3000) >> MICA_PAGE_SHIFT;
	unit_check(map_shared(gpfn, DOMID_SELF, XENMAPSPACE_shared_info) == 0 &&
			   (uint8_t *)g.shared == guest_ptr(&g, gpfn << MICA_PAGE_SHIFT, 1),
		   "shared_info moves into guest RAM", NULL);
	unit_check((g.shared->evtchn_pending[0] >> port) & 1 && g.shared->vcpu_info[0].evtchn_upcall_pending &&
			   !((g.shared->evtchn_mask[0] >> port) & 1) && (g.shared->evtchn_mask[0] >> (port + 1)) & 1,
		   "pending events and masks move with it", NULL);
	shared_info_t *before = g.shared;
	unit_check(map_shared(CONSOLE_GADDR >> MICA_PAGE_SHIFT, DOMID_SELF, XENMAPSPACE_shared_info) == -XEN_EINVAL,
		   "not onto the console page", NULL);
	unit_check(map_shared(SPECIAL_GADDR >> MICA_PAGE_SHIFT, DOMID_SELF, XENMAPSPACE_shared_info) == -XEN_EINVAL,
		   "not onto the store page", NULL);
	unit_check(map_shared((MICA_RAM_BASE + RAM) >> MICA_PAGE_SHIFT, DOMID_SELF, XENMAPSPACE_shared_info) == -XEN_EINVAL,
		   "not beyond RAM", NULL);
	unit_check(map_shared(0x10, DOMID_SELF, XENMAPSPACE_shared_info) == -XEN_EINVAL, "not below RAM", NULL);
	unit_check(map_shared(~0ULL, DOMID_SELF, XENMAPSPACE_shared_info) == -XEN_EINVAL, "not a huge gpfn", NULL);
	unit_check(map_shared(gpfn + 1, 5, XENMAPSPACE_shared_info) == -XEN_EPERM, "not for another domain", NULL);
	unit_check(map_shared(gpfn + 1, DOMID_SELF, XENMAPSPACE_gmfn) == -XEN_EINVAL, "only shared_info", NULL);
	unit_check(g.shared == before, "refusals leave it in place", NULL);
}

static void test_hypercall_page(void)
{
	fresh();
	uint64_t page = MICA_RAM_BASE + 0x5000;
	unit_check(hvm_hypercall_page(&g, page) == 0, "hypercall page installed", NULL);
	const uint8_t *p = guest_ptr(&g, page, MICA_PAGE_SIZE);
	static const uint8_t slot29[] = {0xb8, 29, 0, 0, 0, 0xe7, MICA_KVM_HC_PORT, 0xc3};
	unit_check(memcmp(p + 29 * MICA_HC_SLOT_SIZE, slot29, sizeof(slot29)) == 0, "slot 29: mov, out, ret", NULL);
	unit_check(p[29 * MICA_HC_SLOT_SIZE + 8] == 0xcc && p[MICA_PAGE_SIZE - 1] == 0xcc, "int3 between slots", NULL);
	unit_check(hvm_hypercall_page(&g, page + 8) != 0, "unaligned page refused", NULL);
	unit_check(hvm_hypercall_page(&g, CONSOLE_GADDR) != 0, "console page refused", NULL);
	unit_check(hvm_hypercall_page(&g, SPECIAL_GADDR) != 0, "store page refused", NULL);
	unit_check(hvm_hypercall_page(&g, MICA_RAM_BASE - MICA_PAGE_SIZE) != 0, "page below RAM refused", NULL);
	unit_check(hvm_hypercall_page(&g, MICA_RAM_BASE + RAM) != 0, "page beyond RAM refused", NULL);
}

static void test_upcall_edge(void)
{
	fresh();
	evtchn_alloc_unbound_t a = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
	unit_check(call(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &a, sizeof(a), &a) == 0, "alloc", NULL);
	g.shared->evtchn_mask[0] &= ~(1UL << a.port);
	evtchn_raise(&g, a.port);
	unit_check(g.upcall_raised, "first event raises the upcall edge", NULL);
	g.upcall_raised = false;
	evtchn_raise(&g, g.console_port); /* masked */
	unit_check(!g.upcall_raised, "a masked port raises no edge", NULL);
	g.shared->evtchn_mask[0] &= ~(1UL << g.console_port);
	evtchn_raise(&g, g.console_port);
	unit_check(!g.upcall_raised, "no new edge while the upcall is still pending", NULL);
	g.shared->vcpu_info[0].evtchn_upcall_pending = 0;
	g.shared->vcpu_info[0].evtchn_pending_sel = 0;
	g.shared->evtchn_pending[0] = 0;
	evtchn_raise(&g, a.port);
	unit_check(g.upcall_raised, "after the guest took its events, the next one is an edge again", NULL);
}

int main(void)
{
	test_start_info();
	test_params();
	test_shared_info_move();
	test_hypercall_page();
	test_upcall_edge();
	return unit_exit_status();
}
