/* The state of one guest that the Xen ABI services share, whatever backend runs it. */
#ifndef VM_GUEST_H
#define VM_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <xen/xen.h>
#include <xen/io/console.h>
#include <mica/abi.h>

#define GUEST_MAX_PORTS 256
#define GUEST_MAX_NICS 4       /* mica run --net: vif 0..3 */
#define GUEST_MAX_DISKS 4      /* mica run --disk: vbd 0..3 */
#define GUEST_MAX_HOST_FDS 16  /* a TAP and a timer per NIC, and room */

enum evtchn_state { EVS_FREE, EVS_UNBOUND, EVS_LOCAL, EVS_BACKEND, EVS_VIRQ };

/* A monitor-side service at the far end of an event channel (console, echo). */
struct guest;
struct xs_daemon;
struct netback;
struct xenstore_domain_interface;
typedef void (*backend_notify_fn)(struct guest *g, uint32_t port);

struct evtchn {
	enum evtchn_state state;
	uint16_t remote_dom;        /* EVS_UNBOUND */
	uint32_t peer;              /* EVS_LOCAL: the other guest port */
	backend_notify_fn backend;  /* EVS_BACKEND */
	void *backend_arg;          /* EVS_BACKEND: the device the port belongs to, if any */
	uint32_t virq;              /* EVS_VIRQ */
};

/* Grant-table frames a guest may place in its RAM (XENMEM_add_to_physmap, XENMAPSPACE_grant_table). */
#define GNTTAB_MAX_FRAMES 4

struct gnttab_state {
	uint64_t frame_gaddr[GNTTAB_MAX_FRAMES]; /* guest address of table frame i; 0: not placed */
	uint32_t nr_frames;                      /* 1 + the highest frame placed, 0 if none */
	uint64_t refused;                        /* backend accesses the grants did not allow */
};

/*
 * A host fd a device waits on (a TAP, a timer): the backend's loop polls it with its own fds and
 * calls fn with the revents. events 0: not polled for now.
 */
typedef void (*guest_fd_fn)(struct guest *g, short revents, void *arg);

struct guest_fd {
	int fd;
	short events;
	guest_fd_fn fn;
	void *arg;
};

enum guest_end { GUEST_RUNNING, GUEST_POWEROFF, GUEST_CRASH, GUEST_REBOOT };

struct guest {
	uint8_t *ram;               /* monitor's mapping of guest RAM, guest address MICA_RAM_BASE */
	uint64_t ram_size;
	shared_info_t *shared;
	start_info_t *start_info;
	struct xencons_interface *console;
	struct mica_start_ext *ext;

	struct evtchn ports[GUEST_MAX_PORTS];
	uint32_t console_port;
	struct xenstore_domain_interface *store; /* the xenstore ring page */
	uint32_t store_port;
	struct xs_daemon *xs;       /* xenstore.c's state, NULL before xenstore_setup */
	bool echo_offered;          /* dom0 echo port still unbound for the guest */
	uint32_t timer_port;        /* VIRQ_TIMER binding, 0 if none */
	uint64_t timer_deadline;    /* system time ns, 0 if no timer */

	bool blocked;               /* inside SCHEDOP_block, waiting for an event */

	/*
	 * Set by a VM backend whose vCPU runs on while the monitor works (proc): a guest's notify of
	 * a device port then only marks it in deferred_ports, and the device runs once the guest's
	 * hypercall has returned (evtchn_run_deferred), so the guest never waits for a device's I/O.
	 */
	bool defer_devices;
	uint64_t deferred_ports[GUEST_MAX_PORTS / 64];

	struct gnttab_state gnttab;

	struct guest_fd fds[GUEST_MAX_HOST_FDS];
	unsigned int nfds;
	struct netback *nics[GUEST_MAX_NICS];
	unsigned int nnics;
	struct blkback *disks[GUEST_MAX_DISKS]; /* blkback's, in the slots it chose; NULL: free */

	/* HVM guests (kvm backend) only */
	bool hvm;
	uint64_t callback_via;      /* HVM_PARAM_CALLBACK_IRQ as the guest set it; 0: none */
	bool upcall_raised;         /* evtchn_upcall_pending rose since the last upcall delivery */

	enum guest_end end;
	int exit_status;

	/* pvclock calibration: TSC and monotonic time when mica started */
	uint64_t calib_tsc, calib_ns;
	uint64_t hypercalls;
	bool console_corrupt_reported;
};

/* Host pointer for [gaddr, gaddr + len) of guest RAM, or NULL if any of it lies outside. */
void *guest_ptr(struct guest *g, uint64_t gaddr, size_t len);

/* Adds fd to the fds the backend polls; -1 when the table is full. */
int guest_fd_add(struct guest *g, int fd, short events, guest_fd_fn fn, void *arg);

/* Changes what fd is polled for (0: not at all). */
void guest_fd_events(struct guest *g, int fd, short events);

void guest_fd_remove(struct guest *g, int fd);

/* Fills pfd (GUEST_MAX_HOST_FDS entries) with the host fds; returns how many it used. */
unsigned int guest_fd_pollfds(const struct guest *g, struct pollfd *pfd);

/* Calls the callbacks of the n entries guest_fd_pollfds filled, for those that reported. */
void guest_fd_dispatch(struct guest *g, const struct pollfd *pfd, unsigned int n);

/* Polls the host fds without waiting and dispatches what is ready (kvm, between exits). */
void guest_fd_poll_now(struct guest *g);

/* Host monotonic clock in ns: the guest's Xen system time. */
uint64_t guest_now_ns(void);

/* The --stats lines every backend prints on stderr: boot time, hypercalls, run time. */
void guest_print_stats(const struct guest *g, uint64_t start_ns);

/* mica's exit status for a guest that shut itself down (g->end set), saying why when not 0. */
int guest_end_status(const struct guest *g);

#endif
