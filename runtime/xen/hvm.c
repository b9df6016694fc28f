/*
 * HVM services for PVH guests, and memory_op, which PV guests share for grant-table frames. Every
 * page the guest names must be one of its own RAM pages and not one of the runtime's special
 * pages, so a guest can only ever point mica at its own memory.
 */
#include "xen/hvm.h"
#include <string.h>
#include <xen/errno.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include "xen/gnttab.h"
#include "xen/hvm_start_info.h"
#include "xen/start_info.h"

/* The lowest vector an upcall may use: 0..31 are CPU exceptions. */
#define HVM_FIRST_VECTOR 32

void *hvm_ram_page(struct guest *g, uint64_t gaddr)
{
	uint64_t reserved = g->hvm ? HVM_START_INFO_RESERVED : START_INFO_RESERVED;
	if (gaddr & (MICA_PAGE_SIZE - 1))
		return NULL;
	if (gaddr >= MICA_RAM_BASE + g->ram_size - reserved)
		return NULL;
	return guest_ptr(g, gaddr, MICA_PAGE_SIZE);
}

int hvm_callback_vector(const struct guest *g)
{
	if (g->callback_via >> 56 != HVM_PARAM_CALLBACK_TYPE_VECTOR)
		return -1;
	return (int)(g->callback_via & 0xff);
}

static bool hvm_self(domid_t dom)
{
	return dom == DOMID_SELF || dom == MICA_DOMID_GUEST;
}

static long hvm_set_param(struct guest *g, const struct xen_hvm_param *p)
{
	if (p->index != HVM_PARAM_CALLBACK_IRQ)
		return -XEN_EINVAL;
	uint64_t vector = p->value & 0xff;
	if (p->value != 0 && (p->value >> 56 != HVM_PARAM_CALLBACK_TYPE_VECTOR ||
			      (p->value & ~HVM_PARAM_CALLBACK_IRQ_TYPE_MASK) != vector ||
			      vector < HVM_FIRST_VECTOR))
		return -XEN_EINVAL; /* only vector callbacks: there is no emulated interrupt controller */
	g->callback_via = p->value;
	return 0;
}

static long hvm_get_param(struct guest *g, struct xen_hvm_param *p)
{
	switch (p->index) {
	case HVM_PARAM_CALLBACK_IRQ:
		p->value = g->callback_via;
		return 0;
	case HVM_PARAM_CONSOLE_PFN:
		p->value = ((uint64_t)((uint8_t *)g->console - g->ram) + MICA_RAM_BASE) >> MICA_PAGE_SHIFT;
		return 0;
	case HVM_PARAM_CONSOLE_EVTCHN:
		p->value = g->console_port;
		return 0;
	case HVM_PARAM_STORE_PFN:
		p->value = ((uint64_t)((uint8_t *)g->store - g->ram) + MICA_RAM_BASE) >> MICA_PAGE_SHIFT;
		return 0;
	case HVM_PARAM_STORE_EVTCHN:
		p->value = g->store_port;
		return 0;
	default:
		return -XEN_EINVAL;
	}
}

long hvm_op(struct guest *g, unsigned int cmd, uint64_t arg)
{
	if (cmd != HVMOP_set_param && cmd != HVMOP_get_param)
		return -XEN_ENOSYS;
	struct xen_hvm_param p;
	void *gp = guest_ptr(g, arg, sizeof(p));
	if (!gp)
		return -XEN_EFAULT;
	memcpy(&p, gp, sizeof(p));
	if (!hvm_self(p.domid))
		return -XEN_EPERM;
	long rc = cmd == HVMOP_set_param ? hvm_set_param(g, &p) : hvm_get_param(g, &p);
	if (rc == 0 && cmd == HVMOP_get_param)
		memcpy(gp, &p, sizeof(p));
	return rc;
}

long hvm_memory_op(struct guest *g, unsigned int cmd, uint64_t arg)
{
	if (cmd != XENMEM_add_to_physmap)
		return -XEN_ENOSYS;
	struct xen_add_to_physmap op;
	void *gp = guest_ptr(g, arg, sizeof(op));
	if (!gp)
		return -XEN_EFAULT;
	memcpy(&op, gp, sizeof(op));
	if (!hvm_self(op.domid))
		return -XEN_EPERM;
	if (op.space == XENMAPSPACE_grant_table)
		return gnttab_place_frame(g, op.idx, op.gpfn);
	if (!g->hvm || op.space != XENMAPSPACE_shared_info || op.idx != 0)
		return -XEN_EINVAL;
	if (op.gpfn > (UINT64_MAX >> MICA_PAGE_SHIFT))
		return -XEN_EINVAL;
	shared_info_t *page = hvm_ram_page(g, op.gpfn << MICA_PAGE_SHIFT);
	if (!page)
		return -XEN_EINVAL;
	/* The page takes over the live state: masks the runtime set, events already pending. */
	if (page != g->shared) {
		memcpy(page, g->shared, sizeof(*page));
		g->shared = page;
	}
	return 0;
}

int hvm_hypercall_page(struct guest *g, uint64_t gaddr)
{
	uint8_t *page = hvm_ram_page(g, gaddr);
	if (!page)
		return -1;
	memset(page, 0xcc, MICA_PAGE_SIZE); /* int3 between the stubs */
	for (uint32_t nr = 0; nr < MICA_HC_SLOTS; nr++) {
		uint8_t *s = page + nr * MICA_HC_SLOT_SIZE;
		s[0] = 0xb8; /* mov $nr, %eax */
		memcpy(s + 1, &nr, 4);
		s[5] = 0xe7; /* out %eax, $port */
		s[6] = MICA_KVM_HC_PORT;
		s[7] = 0xc3; /* ret */
	}
	return 0;
}
