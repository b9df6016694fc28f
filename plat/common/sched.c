/* Blocking, yielding and shutdown through sched_op and the singleshot timer. */
#include <mica/evtchn.h>
#include <xen/sched.h>
#include <mica/hypercall.h>
#include <mica/plat.h>
#include <mica/xen_boot.h>

/* VIRQ_TIMER must be bound for a timed block to wake; bound on first use, not at boot. */
static evtchn_port_t sched_timer_port;

/*
 * The system time the singleshot timer is set for, until its event says it fired; 0 when none is
 * pending. The event, not the guest's clock, says so: the guest extrapolates time from the last
 * hypercall, and a clock that lags the runtime's would take a fired timer for a pending one and
 * block with none. System time is the runtime's own unit, so a restore that moves the guest's
 * clock against it leaves the comparison with a new deadline right.
 */
static uint64_t sched_timer_armed;

static void sched_timer_fired(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	sched_timer_armed = 0;
}

static void sched_bind_timer(void)
{
	if (sched_timer_port)
		return;
	if (evtchn_bind_virq(VIRQ_TIMER, &sched_timer_port) != 0 ||
	    evtchn_set_handler(sched_timer_port, sched_timer_fired, 0) != 0)
		plat_crash("cannot bind VIRQ_TIMER\n");
}

/*
 * Sets the timer for deadline_ns unless an earlier one is pending: a block that wakes before its
 * deadline (an event came) leaves the timer for the next one, which saves a set and a clear per
 * wait. A later block woken by that earlier timer returns early, as for any event: every caller
 * of plat_block loops until its own condition or deadline.
 */
static void sched_arm_timer(uint64_t deadline_ns)
{
	uint64_t at = xen_time_to_system(deadline_ns); /* never 0, which would cancel the timer */

	if (sched_timer_armed && sched_timer_armed <= at)
		return;
	sched_bind_timer();
	HYPERVISOR_set_timer_op(at);
	sched_timer_armed = at;
}

void plat_block(uint64_t deadline_ns)
{
	if (xen_native) {
		xen_native->block(deadline_ns);
		return;
	}
	if (!evtchn_any_pending()) {
		if (deadline_ns != UINT64_MAX)
			sched_arm_timer(deadline_ns);
		HYPERVISOR_sched_op(SCHEDOP_block, 0);
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
