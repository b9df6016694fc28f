/* unit-sources: runtime/vm/guest.c runtime/xen/evtchn.c runtime/xen/console.c runtime/xen/hypercall.c runtime/xen/pvclock.c runtime/xen/start_info.c runtime/xen/hvm.c runtime/xen/gnttab.c runtime/xen/xenstore.c runtime/xen/xenstore_tree.c runtime/xen/boot_args.c runtime/util/log.c */
/* unit-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/* Unit tests of the runtime's Xen ABI services against a guest RAM buffer: event channels, sched_op, console ring. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vm/guest.h"
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/hypercall.h"
#include "xen/start_info.h"
#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/sched.h>
#include "xen/xenstore.h"
#include "unit.h"

#define RAM (256 * 1024)

static struct guest g;
static uint8_t *ram;

/* A scratch area in guest RAM for hypercall argument structures. */
#define ARG_GADDR (MICA_RAM_BASE + 0x1000)

static void fresh_guest(bool echo)
{
	xenstore_destroy(&g);
	free(ram);
	ram = calloc(1, RAM);
	memset(&g, 0, sizeof(g));
	g.ram = ram;
	g.ram_size = RAM;
	g.echo_offered = echo;
	char *argv[] = {"app", "a b", NULL};
	char err[128];
	if (start_info_build(&g, 2, argv, 0, NULL, 0, err, sizeof(err)) != 0)
		abort();
}

static long evop(unsigned int cmd, const void *op, size_t size, void *out)
{
	memcpy(guest_ptr(&g, ARG_GADDR, size), op, size);
	uint64_t args[5] = {cmd, ARG_GADDR};
	bool wait;
	long rc = hypercall_dispatch(&g, __HYPERVISOR_event_channel_op, args, &wait);
	if (out)
		memcpy(out, guest_ptr(&g, ARG_GADDR, size), size);
	return rc;
}

static bool pending(uint32_t port)
{
	return (g.shared->evtchn_pending[port / 64] >> (port % 64)) & 1;
}

static void unmask_port(uint32_t port)
{
	evtchn_unmask_t op = {.port = port};
	evop(EVTCHNOP_unmask, &op, sizeof(op), NULL);
}

static void test_start_info(void)
{
	fresh_guest(false);
	unit_check(strcmp((char *)g.start_info->cmd_line, "app a\\ b") == 0,
		   "command line joins argv, escaping spaces", NULL);
	unit_check(g.start_info->console.domU.evtchn == g.console_port && g.console_port != 0,
		   "console port in start_info", NULL);
	unit_check(g.start_info->shared_info == MICA_RAM_BASE + RAM - 2 * MICA_PAGE_SIZE,
		   "shared_info below start_info", NULL);
	unit_check(g.start_info->console.domU.mfn == (MICA_RAM_BASE + RAM - 3 * MICA_PAGE_SIZE) >> MICA_PAGE_SHIFT &&
			   g.start_info->store_mfn == (MICA_RAM_BASE + RAM - 4 * MICA_PAGE_SIZE) >> MICA_PAGE_SHIFT,
		   "console, then store below shared_info", NULL);
	unit_check(g.start_info->store_evtchn == g.store_port && g.store_port != 0 && g.store_port != g.console_port,
		   "store port in start_info", NULL);
	unit_check(g.shared->evtchn_mask[0] == ~0UL, "every port starts masked", NULL);
	char *long_argv[] = {"app", NULL, NULL};
	char big[1100];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	long_argv[1] = big;
	char err[128];
	unit_check(start_info_build(&g, 2, long_argv, 0, NULL, 0, err, sizeof(err)) != 0 && strstr(err, "1023"),
		   "overlong command line refused", NULL);
}

static void test_loopback_pair(void)
{
	fresh_guest(false);
	evtchn_alloc_unbound_t au = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
	unit_check(evop(EVTCHNOP_alloc_unbound, &au, sizeof(au), &au) == 0 && au.port > 0, "alloc_unbound", NULL);
	evtchn_bind_interdomain_t bi = {.remote_dom = DOMID_SELF, .remote_port = au.port};
	unit_check(evop(EVTCHNOP_bind_interdomain, &bi, sizeof(bi), &bi) == 0 && bi.local_port != au.port,
		   "bind_interdomain to own unbound port", NULL);
	evtchn_send_t send = {.port = bi.local_port};
	unit_check(evop(EVTCHNOP_send, &send, sizeof(send), NULL) == 0 && pending(au.port),
		   "send raises the peer", NULL);
	unit_check(!evtchn_guest_has_pending(&g), "masked port raises no upcall", NULL);
	unmask_port(au.port);
	unit_check(evtchn_guest_has_pending(&g), "unmasking a pending port raises the upcall", NULL);
	evtchn_close_t cl = {.port = bi.local_port};
	unit_check(evop(EVTCHNOP_close, &cl, sizeof(cl), NULL) == 0, "close", NULL);
	unit_check(evop(EVTCHNOP_send, &send, sizeof(send), NULL) == -XEN_EINVAL, "send on closed port fails", NULL);
	evtchn_bind_interdomain_t again = {.remote_dom = DOMID_SELF, .remote_port = au.port};
	unit_check(evop(EVTCHNOP_bind_interdomain, &again, sizeof(again), NULL) == 0,
		   "peer of a closed port is unbound again", NULL);
}

static void test_echo(void)
{
	fresh_guest(false);
	evtchn_bind_interdomain_t bi = {.remote_dom = 0, .remote_port = MICA_DOM0_ECHO_PORT};
	unit_check(evop(EVTCHNOP_bind_interdomain, &bi, sizeof(bi), NULL) == -XEN_EINVAL,
		   "echo refused when not declared", NULL);
	fresh_guest(true);
	unit_check(evop(EVTCHNOP_bind_interdomain, &bi, sizeof(bi), &bi) == 0, "echo bound when declared", NULL);
	unit_check(evop(EVTCHNOP_bind_interdomain, &bi, sizeof(bi), NULL) == -XEN_EINVAL, "echo binds only once", NULL);
	unmask_port(bi.local_port);
	evtchn_send_t send = {.port = bi.local_port};
	unit_check(evop(EVTCHNOP_send, &send, sizeof(send), NULL) == 0 && pending(bi.local_port) &&
			   evtchn_guest_has_pending(&g),
		   "echo raises the sender's port", NULL);
	evtchn_bind_interdomain_t other = {.remote_dom = 0, .remote_port = 2};
	unit_check(evop(EVTCHNOP_bind_interdomain, &other, sizeof(other), NULL) == -XEN_EINVAL,
		   "other dom0 ports refused", NULL);
}

static void test_errors(void)
{
	fresh_guest(false);
	evtchn_send_t send = {.port = 9999};
	unit_check(evop(EVTCHNOP_send, &send, sizeof(send), NULL) == -XEN_EINVAL, "send on out-of-range port", NULL);
	send.port = 0;
	unit_check(evop(EVTCHNOP_send, &send, sizeof(send), NULL) == -XEN_EINVAL, "send on port 0", NULL);
	uint64_t args[5] = {EVTCHNOP_send, 0x10};
	bool wait;
	unit_check(hypercall_dispatch(&g, __HYPERVISOR_event_channel_op, args, &wait) == -XEN_EFAULT,
		   "pointer below RAM", NULL);
	args[1] = MICA_RAM_BASE + RAM - 2;
	unit_check(hypercall_dispatch(&g, __HYPERVISOR_event_channel_op, args, &wait) == -XEN_EFAULT,
		   "pointer straddling RAM end", NULL);
	args[0] = 77;
	args[1] = ARG_GADDR;
	unit_check(hypercall_dispatch(&g, __HYPERVISOR_event_channel_op, args, &wait) == -XEN_ENOSYS,
		   "unknown EVTCHNOP", NULL);
	unit_check(hypercall_dispatch(&g, 63, args, &wait) == -XEN_ENOSYS, "unknown hypercall", NULL);
	int ports = 0;
	evtchn_alloc_unbound_t au = {.dom = DOMID_SELF, .remote_dom = 0};
	while (evop(EVTCHNOP_alloc_unbound, &au, sizeof(au), NULL) == 0)
		ports++;
	unit_check(ports == GUEST_MAX_PORTS - 3 && evop(EVTCHNOP_alloc_unbound, &au, sizeof(au), NULL) == -XEN_ENOSPC,
		   "port exhaustion gives ENOSPC", NULL);
	evtchn_alloc_unbound_t foreign = {.dom = 5, .remote_dom = 0};
	unit_check(evop(EVTCHNOP_alloc_unbound, &foreign, sizeof(foreign), NULL) == -XEN_EPERM,
		   "alloc for another domain refused", NULL);
	evtchn_bind_virq_t v = {.virq = VIRQ_TIMER, .vcpu = 1};
	unit_check(evop(EVTCHNOP_bind_virq, &v, sizeof(v), NULL) == -XEN_ENOENT, "virq on vcpu 1 refused", NULL);
}

static void test_block_and_timer(void)
{
	fresh_guest(false);
	evtchn_bind_virq_t v = {.virq = VIRQ_TIMER};
	unit_check(evop(EVTCHNOP_bind_virq, &v, sizeof(v), &v) == 0, "bind VIRQ_TIMER", NULL);
	unit_check(evop(EVTCHNOP_bind_virq, &v, sizeof(v), NULL) == -XEN_EEXIST, "VIRQ_TIMER binds once", NULL);
	unmask_port(v.port);
	bool wait;
	uint64_t args[5] = {SCHEDOP_block};
	unit_check(hypercall_dispatch(&g, __HYPERVISOR_sched_op, args, &wait) == 0 && wait && g.blocked,
		   "block with nothing pending waits", NULL);
	unit_check(!hypercall_block_done(&g), "still blocked", NULL);
	uint64_t deadline = guest_now_ns() - 1;
	g.timer_deadline = deadline;
	hypercall_timer_check(&g, guest_now_ns());
	unit_check(hypercall_block_done(&g) && pending(v.port) && g.timer_deadline == 0,
		   "expired timer raises VIRQ_TIMER", NULL);
	unit_check(hypercall_dispatch(&g, __HYPERVISOR_sched_op, args, &wait) == 0 && !wait,
		   "block with an event pending returns", NULL);
}

static void test_shutdown(void)
{
	struct {
		unsigned int reason;
		enum guest_end end;
		int status;
	} cases[] = {
		{MICA_SHUTDOWN_REASON(SHUTDOWN_poweroff, 0), GUEST_POWEROFF, 0},
		{MICA_SHUTDOWN_REASON(SHUTDOWN_poweroff, 255), GUEST_POWEROFF, 255},
		{SHUTDOWN_crash, GUEST_CRASH, 0},
		{SHUTDOWN_reboot, GUEST_REBOOT, 0},
		{SHUTDOWN_watchdog, GUEST_CRASH, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fresh_guest(false);
		struct sched_shutdown op = {.reason = cases[i].reason};
		memcpy(guest_ptr(&g, ARG_GADDR, sizeof(op)), &op, sizeof(op));
		uint64_t args[5] = {SCHEDOP_shutdown, ARG_GADDR};
		bool wait;
		char what[64];
		snprintf(what, sizeof(what), "shutdown reason %#x", cases[i].reason);
		unit_check(hypercall_dispatch(&g, __HYPERVISOR_sched_op, args, &wait) == 0 && g.end == cases[i].end &&
				   g.exit_status == cases[i].status,
			   what, NULL);
	}
	fresh_guest(false);
	struct sched_shutdown bad = {.reason = 9};
	memcpy(guest_ptr(&g, ARG_GADDR, sizeof(bad)), &bad, sizeof(bad));
	uint64_t args[5] = {SCHEDOP_shutdown, ARG_GADDR};
	bool wait;
	unit_check(hypercall_dispatch(&g, __HYPERVISOR_sched_op, args, &wait) == -XEN_EINVAL && g.end == GUEST_RUNNING,
		   "unknown shutdown reason refused", NULL);
}

/* Captures what the console backend writes to stdout. */
static char *console_capture(void (*fn)(void))
{
	static char buf[8192];
	fflush(stdout);
	int saved = dup(1), p[2];
	if (pipe(p) != 0)
		abort();
	dup2(p[1], 1);
	fn();
	dup2(saved, 1);
	close(saved);
	close(p[1]);
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static void console_write_wrapped(void)
{
	struct xencons_interface *r = g.console;
	r->out_cons = r->out_prod = 0xfffffffe; /* indices wrap during this write */
	const char *msg = "wrapped hello\n";
	for (size_t i = 0; i < strlen(msg); i++)
		r->out[MASK_XENCONS_IDX(r->out_prod + i, r->out)] = msg[i];
	r->out_prod += (XENCONS_RING_IDX)strlen(msg);
	console_drain(&g);
}

static void console_write_corrupt(void)
{
	g.console->out_cons = 0;
	g.console->out_prod = 5000; /* more than the ring holds: the guest lied */
	console_drain(&g);
	g.console->out_prod = 9000;
	console_drain(&g);
}

static void test_console(void)
{
	fresh_guest(false);
	unit_check(strcmp(console_capture(console_write_wrapped), "wrapped hello\n") == 0,
		   "ring output across index wrap", NULL);
	unit_check(g.console->out_cons == g.console->out_prod, "consumer index advanced", NULL);
	unit_check(strcmp(console_capture(console_write_corrupt), "") == 0 && g.console_corrupt_reported &&
			   g.console->out_cons == 9000,
		   "corrupt ring drops output, reported once", NULL);
	fresh_guest(false);
	unit_check(console_input_space(&g) == sizeof(g.console->in), "input ring starts empty", NULL);
	char big[2000];
	memset(big, 'i', sizeof(big));
	unit_check(console_input(&g, big, sizeof(big)) == sizeof(g.console->in) && console_input_space(&g) == 0,
		   "input stops when the ring is full", NULL);
	g.console->in_cons = 5;
	g.console->in_prod = 5000;
	unit_check(console_input_space(&g) == 0 && console_input(&g, "x", 1) == 0,
		   "corrupt input indices give no room", NULL);
}

int main(void)
{
	int devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, 2); /* the corrupt-ring report goes to stderr */
	test_start_info();
	test_loopback_pair();
	test_echo();
	test_errors();
	test_block_and_timer();
	test_shutdown();
	test_console();
	return unit_exit_status();
}
