/* Builds what a PVH guest starts from: hvm_start_info (version 1), its memory map and modules. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xen/arch-x86/hvm/start_info.h>
#include "xen/boot_args.h"
#include "xen/console.h"
#include "xen/hvm_start_info.h"
#include "xen/xenstore.h"

static uint64_t hvm_special_base(const struct guest *g)
{
	return MICA_RAM_BASE + g->ram_size - HVM_START_INFO_RESERVED;
}

int hvm_start_info_build(struct guest *g, uint8_t *low, int argc, char *const argv[], int nenv,
			 char *const env[], uint64_t runtime_start_ns, char *err, size_t errlen)
{
	uint8_t *page = low + MICA_KVM_START_INFO;
	struct hvm_start_info *si = (struct hvm_start_info *)page;
	struct hvm_memmap_table_entry *map = (struct hvm_memmap_table_entry *)(page + MICA_KVM_MEMMAP_OFFSET);
	uint64_t special = hvm_special_base(g);

	if (boot_args_cmdline((char *)low + MICA_KVM_CMDLINE, MICA_KVM_CMDLINE_MAX, argc, argv, err,
			      errlen) != 0)
		return -1;
	map[0] = (struct hvm_memmap_table_entry){MICA_RAM_BASE, special - MICA_RAM_BASE,
						  XEN_HVM_MEMMAP_TYPE_RAM, 0};
	map[1] = (struct hvm_memmap_table_entry){special, HVM_START_INFO_RESERVED,
						  XEN_HVM_MEMMAP_TYPE_RESERVED, 0};
	*si = (struct hvm_start_info){
		.magic = XEN_HVM_START_MAGIC_VALUE,
		.version = 1,
		.cmdline_paddr = MICA_KVM_CMDLINE,
		.memmap_paddr = MICA_KVM_START_INFO + MICA_KVM_MEMMAP_OFFSET,
		.memmap_entries = 2,
	};

	/* From the top down: the console ring, then the xenstore ring. */
	g->console = guest_ptr(g, special + HVM_START_INFO_RESERVED - MICA_PAGE_SIZE, MICA_PAGE_SIZE);
	g->store = guest_ptr(g, special, MICA_PAGE_SIZE);
	/* Every port starts masked; the guest unmasks what it handles. */
	memset(g->shared->evtchn_mask, 0xff, sizeof(g->shared->evtchn_mask));
	g->shared->vcpu_info[0].evtchn_upcall_mask = 1;
	if (console_setup(g) != 0) {
		snprintf(err, errlen, "no event channel left for the console");
		return -1;
	}
	if (xenstore_setup(g) != 0) {
		snprintf(err, errlen, "cannot start the xenstore");
		return -1;
	}
	return boot_args_ext(g, page, nenv, env, runtime_start_ns, err, errlen);
}

void hvm_start_info_initrd(struct guest *g, uint8_t *low, const void *data, uint64_t size)
{
	uint8_t *page = low + MICA_KVM_START_INFO;
	struct hvm_start_info *si = (struct hvm_start_info *)page;
	struct hvm_modlist_entry *mod = (struct hvm_modlist_entry *)(page + MICA_KVM_MODLIST_OFFSET);
	uint64_t gaddr = hvm_special_base(g) - ((size + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1));

	memcpy(guest_ptr(g, gaddr, size), data, size);
	*mod = (struct hvm_modlist_entry){.paddr = gaddr, .size = size};
	si->nr_modules = 1;
	si->modlist_paddr = MICA_KVM_START_INFO + MICA_KVM_MODLIST_OFFSET;
}
