/* Dispatch of guest hypercalls: sched_op, set_timer_op, event_channel_op, console_io, xen_version, grant_table_op, memory_op, HVM ops. */
#include "xen/hypercall.h"
#include <string.h>
#include <unistd.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <xen/version.h>
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "xen/hvm.h"
#include "xen/pvclock.h"

/* Bounds CONSOLEIO_write so one hypercall cannot make mica copy unbounded guest memory. */
#define HYPERCALL_CONSOLEIO_MAX 65536

bool hypercall_block_done(struct guest *g)
{
	return evtchn_guest_has_pending(g);
}

void hypercall_timer_check(struct guest *g, uint64_t now)
{
	if (g->timer_deadline && now >= g->timer_deadline) {
		g->timer_deadline = 0;
		if (g->timer_port)
			evtchn_raise(g, g->timer_port);
	}
}

static long hypercall_shutdown(struct guest *g, uint64_t arg)
{
	struct sched_shutdown op;
	void *gp = guest_ptr(g, arg, sizeof(op));
	if (!gp)
		return -XEN_EFAULT;
	memcpy(&op, gp, sizeof(op));
	switch (MICA_SHUTDOWN_REASON_CODE(op.reason)) {
	case SHUTDOWN_poweroff:
		g->end = GUEST_POWEROFF;
		g->exit_status = (int)MICA_SHUTDOWN_REASON_STATUS(op.reason);
		return 0;
	case SHUTDOWN_reboot:
		g->end = GUEST_REBOOT;
		return 0;
	case SHUTDOWN_crash:
	case SHUTDOWN_watchdog:
		g->end = GUEST_CRASH;
		return 0;
	default:
		return -XEN_EINVAL;
	}
}

static long hypercall_sched_op(struct guest *g, uint64_t cmd, uint64_t arg, bool *wait)
{
	switch (cmd) {
	case SCHEDOP_yield:
		return 0;
	case SCHEDOP_block:
		/* Blocking re-enables event delivery, as on Xen. */
		g->shared->vcpu_info[0].evtchn_upcall_mask = 0;
		hypercall_timer_check(g, guest_now_ns());
		if (!hypercall_block_done(g)) {
			g->blocked = true;
			*wait = true;
		}
		return 0;
	case SCHEDOP_shutdown:
		return hypercall_shutdown(g, arg);
	default:
		return -XEN_ENOSYS;
	}
}

static long hypercall_console_io(struct guest *g, uint64_t cmd, uint64_t count, uint64_t buf)
{
	if (cmd != CONSOLEIO_write)
		return -XEN_ENOSYS;
	if (count > HYPERCALL_CONSOLEIO_MAX)
		return -XEN_EINVAL;
	void *gp = guest_ptr(g, buf, count);
	if (!gp)
		return -XEN_EFAULT;
	console_drain(g); /* keep ordering with ring output */
	ssize_t n = console_write(gp, count);
	return n < 0 ? -XEN_EIO : n;
}

long hypercall_dispatch(struct guest *g, unsigned int nr, const uint64_t a[5], bool *wait)
{
	*wait = false;
	g->hypercalls++;
	pvclock_update(g);

	switch (nr) {
	case __HYPERVISOR_sched_op:
		return hypercall_sched_op(g, a[0], a[1], wait);
	case __HYPERVISOR_event_channel_op:
		return evtchn_op(g, (unsigned int)a[0], a[1]);
	case __HYPERVISOR_set_timer_op:
		g->timer_deadline = a[0];
		hypercall_timer_check(g, guest_now_ns());
		return 0;
	case __HYPERVISOR_console_io:
		return hypercall_console_io(g, a[0], a[1], a[2]);
	case __HYPERVISOR_memory_op:
		return hvm_memory_op(g, (unsigned int)a[0], a[1]);
	case __HYPERVISOR_grant_table_op:
		return gnttab_op(g, (unsigned int)a[0], a[1], a[2]);
	case __HYPERVISOR_hvm_op:
		return g->hvm ? hvm_op(g, (unsigned int)a[0], a[1]) : -XEN_ENOSYS;
	case MICA_HC_READY:
		/* Without --snapshot (which the backend serves itself) the guest just goes on. */
		return 0;
	case __HYPERVISOR_xen_version:
		/* The interface mica implements a subset of: Xen 4.17's public headers. */
		return a[0] == XENVER_version ? (4 << 16) | 17 : -XEN_ENOSYS;
	default:
		return -XEN_ENOSYS;
	}
}
