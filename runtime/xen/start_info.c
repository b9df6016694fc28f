/* Builds the PV start_info (with the guest's command line), shared_info, console and xenstore pages. */
#include <stdio.h>
#include <string.h>
#include "xen/boot_args.h"
#include "xen/console.h"
#include "xen/start_info.h"
#include "xen/xenstore.h"

static uint64_t start_info_page(const struct guest *g, unsigned int from_top)
{
	return MICA_RAM_BASE + g->ram_size - (uint64_t)from_top * MICA_PAGE_SIZE;
}

uint64_t start_info_gaddr(const struct guest *g)
{
	return start_info_page(g, 1);
}

void start_info_attach(struct guest *g)
{
	g->start_info = guest_ptr(g, start_info_page(g, 1), MICA_PAGE_SIZE);
	g->shared = guest_ptr(g, start_info_page(g, 2), MICA_PAGE_SIZE);
	g->console = guest_ptr(g, start_info_page(g, 3), MICA_PAGE_SIZE);
	g->store = guest_ptr(g, start_info_page(g, 4), MICA_PAGE_SIZE);
	g->ext = (struct mica_start_ext *)((uint8_t *)g->start_info + MICA_START_EXT_OFFSET);
}

int start_info_build(struct guest *g, int argc, char *const argv[], int nenv, char *const env[],
		     uint64_t runtime_start_ns, char *err, size_t errlen)
{
	uint64_t shared_addr = start_info_page(g, 2),
		 console_addr = start_info_page(g, 3), store_addr = start_info_page(g, 4);

	start_info_attach(g);

	start_info_t *si = g->start_info;
	if (boot_args_cmdline((char *)si->cmd_line, MAX_GUEST_CMDLINE, argc, argv, err, errlen) != 0)
		return -1;
	snprintf(si->magic, sizeof(si->magic), "xen-3.0-x86_64");
	si->nr_pages = (g->ram_size + MICA_RAM_BASE) >> MICA_PAGE_SHIFT;
	si->shared_info = shared_addr;
	si->console.domU.mfn = console_addr >> MICA_PAGE_SHIFT;

	/* Every port starts masked; the guest unmasks what it handles. */
	memset(g->shared->evtchn_mask, 0xff, sizeof(g->shared->evtchn_mask));
	g->shared->vcpu_info[0].evtchn_upcall_mask = 1;

	if (console_setup(g) != 0) {
		snprintf(err, errlen, "no event channel left for the console");
		return -1;
	}
	si->console.domU.evtchn = g->console_port;
	if (xenstore_setup(g) != 0) {
		snprintf(err, errlen, "cannot start the xenstore");
		return -1;
	}
	si->store_mfn = store_addr >> MICA_PAGE_SHIFT;
	si->store_evtchn = g->store_port;

	return boot_args_ext(g, g->start_info, nenv, env, runtime_start_ns, err, errlen);
}

void start_info_initrd(struct guest *g, const void *data, uint64_t size)
{
	uint64_t pages = (size + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1);
	uint64_t gaddr = MICA_RAM_BASE + g->ram_size - START_INFO_RESERVED - pages;
	memcpy(guest_ptr(g, gaddr, size), data, size);
	g->start_info->mod_start = gaddr;
	g->start_info->mod_len = size;
}
