/* proc platform start: turns the PV start_info the runtime wrote into the common boot handoff. */
#include <mica/hypercall.h>
#include <mica/xen_boot.h>

extern char _end[];

_Noreturn void proc_start(start_info_t *si);

void plat_set_tls(uintptr_t base)
{
	xen_tls_base = base;
	HYPERVISOR_set_segment_base(SEGBASE_FS, base);
}

static uintptr_t proc_min(uintptr_t a, uintptr_t b)
{
	return a < b ? a : b;
}

void proc_start(start_info_t *si)
{
	uintptr_t console = (uintptr_t)si->console.domU.mfn << MICA_PAGE_SHIFT;
	struct mica_start_ext *ext = (struct mica_start_ext *)((char *)si + MICA_START_EXT_OFFSET);
	/* Everything the runtime placed in RAM sits above the image; the lowest of it bounds the heap. */
	uintptr_t special = proc_min(proc_min((uintptr_t)si, (uintptr_t)si->shared_info), console);
	if (si->store_mfn) /* 0 from runtimes without a xenstore */
		special = proc_min(special, (uintptr_t)si->store_mfn << MICA_PAGE_SHIFT);
	struct plat_memregion initrd = {0, 0};
	if (si->mod_len && si->mod_start >= (uintptr_t)_end && si->mod_start + si->mod_len <= special) {
		initrd = (struct plat_memregion){si->mod_start, si->mod_start + si->mod_len};
		special = si->mod_start & ~(MICA_PAGE_SIZE - 1);
	}
	struct xen_boot boot = {
		.shared_info = (shared_info_t *)si->shared_info,
		.console = (struct xencons_interface *)console,
		.console_port = si->console.domU.evtchn,
		.store = si->store_mfn ? (struct xenstore_domain_interface *)(si->store_mfn << MICA_PAGE_SHIFT) : 0,
		.store_port = si->store_mfn ? si->store_evtchn : 0,
		.cmdline = (const char *)si->cmd_line,
		.free_mem = {.start = ((uintptr_t)_end + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1),
			     .end = special},
		.initrd = initrd,
		.ext = ext->magic == MICA_START_EXT_MAGIC ? ext : 0,
	};
	si->cmd_line[MAX_GUEST_CMDLINE - 1] = '\0';
	xen_boot(&boot);
}
