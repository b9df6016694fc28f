/* Handoff from a platform's entry code to the common Xen ABI client (platform code only). */
#ifndef MICA_XEN_BOOT_H
#define MICA_XEN_BOOT_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/console.h>
#include <xen/io/xs_wire.h>
#include <mica/abi.h>
#include <mica/evtchn.h>
#include <mica/plat.h>

/*
 * What a platform that finds no Xen ABI (kvm under a plain VMM) serves itself: the common client
 * forwards the matching plat_ calls here instead of using the console ring, pvclock and sched_op.
 */
struct xen_native_ops {
	void (*console_write)(const char *buf, size_t len);
	size_t (*console_read)(char *buf, size_t len);
	uint64_t (*time_ns)(void);
	uint64_t (*wallclock_ns)(void);
	void (*block)(uint64_t deadline_ns);
	void (*shutdown)(unsigned int reason) __attribute__((noreturn)); /* MICA_SHUTDOWN_REASON */
};

struct xen_boot {
	shared_info_t *shared_info;      /* without Xen, a zeroed page: no event is ever pending */
	struct xencons_interface *console;
	evtchn_port_t console_port;
	struct xenstore_domain_interface *store; /* NULL when the runtime offers no xenstore */
	evtchn_port_t store_port;
	const char *cmdline;             /* space-separated, backslash escapes */
	struct plat_memregion free_mem;
	struct plat_memregion initrd;    /* {0, 0} when none */
	struct mica_start_ext *ext;      /* NULL when the runtime offers none */
	const struct xen_native_ops *native; /* NULL when the Xen ABI is there */
};

/* Brings up the Xen ABI client, runs the initcalls and main(), then powers off. */
_Noreturn void xen_boot(const struct xen_boot *boot);

/* Shared state for the files of plat/common. */
extern shared_info_t *xen_shared_info;
extern const struct xen_native_ops *xen_native;

void xen_console_init(struct xencons_interface *ring, evtchn_port_t port, struct mica_start_ext *ext);
void xen_xs_init(struct xenstore_domain_interface *ring, evtchn_port_t port);
/* After a restore: the client starts over on the ring the runtime emptied and sets its watches again. */
void xen_xs_restored(void);

/* The FS base the guest set last (plat_set_tls): a snapshot's context carries it (plat_ready). */
extern uintptr_t xen_tls_base;

/*
 * After a restore: system time may read less than the guest saw before the snapshot (another
 * host boot); from then on plat_time_ns adds what keeps it monotonic.
 */
void xen_time_restored(void);

/* The runtime's system time for a deadline in the guest's (plat_time_ns) time. */
uint64_t xen_time_to_system(uint64_t guest_ns);

#endif
