/* 2-level event channels: port operations, handler table and delivery of pending ports. */
#include <arch/cpu.h>
#include <xen/errno.h>
#include <xen/event_channel.h>
#include <mica/evtchn.h>
#include <mica/hypercall.h>
#include <mica/xen_boot.h>

/* Ports above this are refused: the runtime allocates low ports and the table lives in bss. */
#define EVTCHN_GUEST_PORTS 256

struct evtchn_slot {
	evtchn_handler_t handler;
	void *arg;
};

static struct evtchn_slot evtchn_slots[EVTCHN_GUEST_PORTS];

int evtchn_alloc_unbound(uint16_t remote_dom, evtchn_port_t *port)
{
	evtchn_alloc_unbound_t op = {.dom = DOMID_SELF, .remote_dom = remote_dom};
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op);
	if (rc == 0)
		*port = op.port;
	return (int)rc;
}

int evtchn_bind_interdomain(uint16_t remote_dom, evtchn_port_t remote_port, evtchn_port_t *port)
{
	evtchn_bind_interdomain_t op = {.remote_dom = remote_dom, .remote_port = remote_port};
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &op);
	if (rc == 0)
		*port = op.local_port;
	return (int)rc;
}

int evtchn_bind_virq(uint32_t virq, evtchn_port_t *port)
{
	evtchn_bind_virq_t op = {.virq = virq, .vcpu = 0};
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &op);
	if (rc == 0)
		*port = op.port;
	return (int)rc;
}

int evtchn_close(evtchn_port_t port)
{
	evtchn_close_t op = {.port = port};
	evtchn_mask(port);
	if (port < EVTCHN_GUEST_PORTS)
		evtchn_slots[port].handler = 0;
	return (int)HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
}

int evtchn_notify(evtchn_port_t port)
{
	evtchn_send_t op = {.port = port};
	return (int)HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t handler, void *arg)
{
	if (port == 0 || port >= EVTCHN_GUEST_PORTS)
		return -XEN_EINVAL;
	evtchn_slots[port].handler = handler;
	evtchn_slots[port].arg = arg;
	evtchn_unmask(port);
	return 0;
}

void evtchn_mask(evtchn_port_t port)
{
	cpu_set_bit(port, xen_shared_info->evtchn_mask);
}

/*
 * Unmasking needs no hypercall: if an event arrived while masked, the guest raises its own
 * selector and upcall flags, which is all the hypervisor would have done.
 */
void evtchn_unmask(evtchn_port_t port)
{
	shared_info_t *s = xen_shared_info;
	vcpu_info_t *v = &s->vcpu_info[0];

	cpu_clear_bit(port, s->evtchn_mask);
	if (cpu_test_bit(port, s->evtchn_pending) &&
	    !cpu_test_and_set_bit(port / 64, &v->evtchn_pending_sel))
		v->evtchn_upcall_pending = 1;
}

bool evtchn_any_pending(void)
{
	return xen_shared_info->vcpu_info[0].evtchn_upcall_pending != 0;
}

void evtchn_dispatch(void)
{
	shared_info_t *s = xen_shared_info;
	vcpu_info_t *v = &s->vcpu_info[0];

	while (v->evtchn_upcall_pending) {
		v->evtchn_upcall_pending = 0;
		cpu_barrier();
		unsigned long sel = cpu_xchg(&v->evtchn_pending_sel, 0);
		while (sel) {
			unsigned int word = cpu_ffs64(sel);
			sel &= sel - 1;
			unsigned long pend;
			while ((pend = s->evtchn_pending[word] & ~s->evtchn_mask[word]) != 0) {
				evtchn_port_t port = word * 64 + cpu_ffs64(pend);
				cpu_clear_bit(port, s->evtchn_pending);
				if (port < EVTCHN_GUEST_PORTS && evtchn_slots[port].handler)
					evtchn_slots[port].handler(port, evtchn_slots[port].arg);
			}
		}
	}
}
