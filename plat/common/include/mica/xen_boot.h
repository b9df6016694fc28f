/* Handoff from a platform's entry code to the common Xen ABI client (platform code only). */
#ifndef MICA_XEN_BOOT_H
#define MICA_XEN_BOOT_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/console.h>
#include <mica/abi.h>
#include <mica/evtchn.h>
#include <mica/plat.h>

struct xen_boot {
	shared_info_t *shared_info;
	struct xencons_interface *console;
	evtchn_port_t console_port;
	const char *cmdline;             /* space-separated, backslash escapes */
	struct plat_memregion free_mem;
	struct plat_memregion initrd;    /* {0, 0} when none */
	struct mica_start_ext *ext;      /* NULL when the runtime offers none */
};

/* Brings up the Xen ABI client, runs the initcalls and main(), then powers off. */
_Noreturn void xen_boot(const struct xen_boot *boot);

/* Shared state for the files of plat/common. */
extern shared_info_t *xen_shared_info;

void xen_console_init(struct xencons_interface *ring, evtchn_port_t port, struct mica_start_ext *ext);

#endif
