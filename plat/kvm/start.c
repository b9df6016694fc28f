/* kvm platform start: CPU tables, the mode (Xen ABI or none), the PVH start info as the boot handoff. */
#include <arch/cpu.h>
#include <xen/arch-x86/hvm/start_info.h>
#include "kvm.h"

extern char _end[];

_Noreturn void kvm_start(const struct hvm_start_info *si);

bool kvm_plain;

/* pvh.S's page table for the first 2 MiB. */
extern uint64_t kvm_pt[];

/* shared_info under Xen (the hypervisor maps it here); without Xen it stays a page of zeros. */
static char kvm_shared_page[MICA_PAGE_SIZE] __attribute__((aligned(MICA_PAGE_SIZE)));
/* The loader's copy may lie in memory the heap will get: argv lives here instead. */
static char kvm_cmdline[MICA_KVM_CMDLINE_MAX];

static uint64_t kvm_page_down(uint64_t a)
{
	return a & ~(MICA_PAGE_SIZE - 1);
}

/* Lowers free->end so that free no longer overlaps [addr, addr + len). */
static void kvm_exclude(struct plat_memregion *free, uint64_t addr, uint64_t len)
{
	if (len && addr < free->end && addr + len > free->start)
		free->end = addr > free->start ? kvm_page_down(addr) : free->start;
}

/*
 * mica writes the whole argv, its own argv[0] included; any other loader passes a kernel command
 * line of arguments only, so the app's name goes first as argv[0].
 */
static size_t kvm_take_cmdline(const struct hvm_start_info *si, bool has_argv0)
{
	const char *src = (const char *)(uintptr_t)si->cmdline_paddr;
	size_t len = 0, taken = 0;

	if (!has_argv0) {
		for (const char *p = MICA_APP_NAME " "; *p; p++)
			kvm_cmdline[len++] = *p;
	}
	if (si->cmdline_paddr)
		for (; len < sizeof(kvm_cmdline) - 1 && src[taken]; taken++)
			kvm_cmdline[len++] = src[taken];
	return taken;
}

static struct plat_memregion kvm_take_initrd(const struct hvm_start_info *si, uintptr_t image_end)
{
	const struct hvm_modlist_entry *mod = (const void *)(uintptr_t)si->modlist_paddr;

	if (!si->nr_modules || !si->modlist_paddr || !mod->size || mod->paddr < image_end ||
	    mod->paddr > KVM_MAPPED_END || mod->size > KVM_MAPPED_END - mod->paddr)
		return (struct plat_memregion){0, 0};
	return (struct plat_memregion){mod->paddr, mod->paddr + mod->size};
}

/*
 * Free memory: from the image's end to the end of the RAM range holding it, below anything the
 * loader put there that stays in use or is read during boot.
 */
static struct plat_memregion kvm_take_memory(const struct hvm_start_info *si, size_t cmdline_len,
					     struct plat_memregion initrd)
{
	uintptr_t start = ((uintptr_t)_end + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1);
	struct plat_memregion free = {start, start};
	const struct hvm_memmap_table_entry *map = (const void *)(uintptr_t)si->memmap_paddr;
	uint32_t entries = si->version >= 1 && si->memmap_paddr ? si->memmap_entries : 0;

	if (entries == 0)
		kvm_fail("kvm: the PVH start info has no memory map\n");
	for (uint32_t i = 0; i < entries; i++) {
		uint64_t end = map[i].addr + map[i].size;
		if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM && map[i].addr <= (uintptr_t)_end &&
		    (uintptr_t)_end < end)
			free.end = kvm_page_down(end < KVM_MAPPED_END ? end : KVM_MAPPED_END);
	}
	if (free.end < free.start)
		free.end = free.start;
	kvm_exclude(&free, kvm_page_down((uintptr_t)si), MICA_PAGE_SIZE);
	kvm_exclude(&free, si->cmdline_paddr, cmdline_len + 1);
	kvm_exclude(&free, si->memmap_paddr, entries * sizeof(*map));
	kvm_exclude(&free, si->modlist_paddr, si->nr_modules * sizeof(struct hvm_modlist_entry));
	kvm_exclude(&free, initrd.start, initrd.end - initrd.start);
	return free;
}

void kvm_start(const struct hvm_start_info *si)
{
	struct xen_boot boot = {.shared_info = (shared_info_t *)kvm_shared_page, .cmdline = kvm_cmdline};

	arch_cpu_init();
	arch_traps_init(kvm_trap);
	uint32_t xen = kvm_xen_cpuid_base();
	kvm_plain = xen == 0;
	if (kvm_plain)
		kvm_plain_setup(&boot);
	else
		kvm_xen_setup(xen, &boot);

	if (si->magic != XEN_HVM_START_MAGIC_VALUE)
		kvm_fail("kvm: %ebx holds no PVH start info (bad magic)\n");
	/* Mica's extension follows the start info in its page (never page 0); only mica writes it. */
	uintptr_t si_page = kvm_page_down((uintptr_t)si);
	if (!kvm_plain && si_page) {
		struct mica_start_ext *ext = (struct mica_start_ext *)(si_page + MICA_START_EXT_OFFSET);
		if (ext->magic == MICA_START_EXT_MAGIC)
			boot.ext = ext;
	}
	size_t cmdline_len = kvm_take_cmdline(si, boot.ext != NULL);
	boot.initrd = kvm_take_initrd(si, (uintptr_t)_end);
	boot.free_mem = kvm_take_memory(si, cmdline_len, boot.initrd);
	/* Everything the loader left in page 0 has been read: from now on a null pointer faults. */
	kvm_pt[0] = 0;
	cpu_invlpg(0);
	xen_boot(&boot);
}
