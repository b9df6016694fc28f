/* Blocking, yielding and shutdown through sched_op and the singleshot timer. */
#include <mica/evtchn.h>
#include <xen/sched.h>
#include <mica/hypercall.h>
#include <mica/plat.h>
#include <mica/xen_boot.h>

/* VIRQ_TIMER must be bound for a timed block to wake; bound on first use, not at boot. */
static evtchn_port_t sched_timer_port;

static void sched_bind_timer(void)
{
	if (sched_timer_port)
		return;
	if (evtchn_bind_virq(VIRQ_TIMER, &sched_timer_port) != 0)
		plat_crash("cannot bind VIRQ_TIMER\n");
	evtchn_unmask(sched_timer_port);
}

void plat_block(uint64_t deadline_ns)
{
	if (xen_native) {
		xen_native->block(deadline_ns);
		return;
	}
	if (!evtchn_any_pending()) {
		if (deadline_ns != UINT64_MAX) {
			sched_bind_timer();
			HYPERVISOR_set_timer_op(deadline_ns ? xen_time_to_system(deadline_ns) : 1);
		}
		HYPERVISOR_sched_op(SCHEDOP_block, 0);
		if (deadline_ns != UINT64_MAX)
			HYPERVISOR_set_timer_op(0);
	}
	evtchn_dispatch();
}

void plat_yield(void)
{
	HYPERVISOR_sched_op(SCHEDOP_yield, 0);
}

static _Noreturn void sched_shutdown(unsigned int reason)
{
	if (xen_native)
		xen_native->shutdown(reason);
	struct sched_shutdown op = {.reason = reason};
	for (;;)
		HYPERVISOR_sched_op(SCHEDOP_shutdown, &op);
}

void plat_poweroff(int status)
{
	sched_shutdown(MICA_SHUTDOWN_REASON(SHUTDOWN_poweroff, status));
}

void plat_crash(const char *msg)
{
	if (msg) {
		const char *end = msg;
		while (*end)
			end++;
		plat_console_write(msg, (size_t)(end - msg));
	}
	sched_shutdown(SHUTDOWN_crash);
}
