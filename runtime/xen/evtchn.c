/* Event channel operations for the guest: allocation, binding, sending, masking, closing. */
#include "xen/evtchn.h"
#include <string.h>
#include <xen/errno.h>
#include <xen/event_channel.h>

static uint32_t evtchn_alloc_port(struct guest *g)
{
	for (uint32_t p = 1; p < GUEST_MAX_PORTS; p++)
		if (g->ports[p].state == EVS_FREE)
			return p;
	return 0;
}

static bool evtchn_valid(struct guest *g, uint32_t port)
{
	return port > 0 && port < GUEST_MAX_PORTS && g->ports[port].state != EVS_FREE;
}

uint32_t evtchn_bind_backend(struct guest *g, backend_notify_fn fn)
{
	uint32_t p = evtchn_alloc_port(g);
	if (p) {
		g->ports[p] = (struct evtchn){.state = EVS_BACKEND, .backend = fn};
		__atomic_or_fetch(&g->shared->evtchn_mask[p / 64], 1UL << (p % 64), __ATOMIC_SEQ_CST);
	}
	return p;
}

int evtchn_bind_guest_unbound(struct guest *g, uint32_t port, backend_notify_fn fn, void *arg)
{
	if (!evtchn_valid(g, port) || g->ports[port].state != EVS_UNBOUND ||
	    g->ports[port].remote_dom != MICA_DOMID_BACKEND)
		return -1;
	g->ports[port] = (struct evtchn){.state = EVS_BACKEND, .backend = fn, .backend_arg = arg};
	return 0;
}

static bool evtchn_bound_to(struct guest *g, uint32_t port, backend_notify_fn fn, void *arg)
{
	return evtchn_valid(g, port) && g->ports[port].state == EVS_BACKEND && g->ports[port].backend == fn &&
	       g->ports[port].backend_arg == arg;
}

void evtchn_unbind_guest(struct guest *g, uint32_t port, backend_notify_fn fn, void *arg)
{
	if (evtchn_bound_to(g, port, fn, arg))
		g->ports[port] = (struct evtchn){.state = EVS_UNBOUND, .remote_dom = MICA_DOMID_BACKEND};
}

void evtchn_raise_bound(struct guest *g, uint32_t port, backend_notify_fn fn, void *arg)
{
	if (evtchn_bound_to(g, port, fn, arg))
		evtchn_raise(g, port);
}

bool evtchn_guest_has_pending(struct guest *g)
{
	return __atomic_load_n(&g->shared->vcpu_info[0].evtchn_upcall_pending, __ATOMIC_SEQ_CST) != 0;
}

/* Sets the vCPU's upcall flag; its rising edge is what an HVM guest's callback vector reports. */
static void evtchn_upcall(struct guest *g)
{
	vcpu_info_t *v = &g->shared->vcpu_info[0];
	if (!__atomic_exchange_n(&v->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST))
		g->upcall_raised = true;
}

void evtchn_raise(struct guest *g, uint32_t port)
{
	shared_info_t *s = g->shared;
	unsigned long bit = 1UL << (port % 64);
	unsigned long old = __atomic_fetch_or(&s->evtchn_pending[port / 64], bit, __ATOMIC_SEQ_CST);
	if ((old & bit) || (__atomic_load_n(&s->evtchn_mask[port / 64], __ATOMIC_SEQ_CST) & bit))
		return;
	vcpu_info_t *v = &s->vcpu_info[0];
	unsigned long selbit = 1UL << (port / 64);
	if (!(__atomic_fetch_or(&v->evtchn_pending_sel, selbit, __ATOMIC_SEQ_CST) & selbit))
		evtchn_upcall(g);
}

void evtchn_echo(struct guest *g, uint32_t port)
{
	evtchn_raise(g, port);
}

static long evtchn_alloc_unbound(struct guest *g, evtchn_alloc_unbound_t *op)
{
	if (op->dom != DOMID_SELF && op->dom != MICA_DOMID_GUEST)
		return -XEN_EPERM;
	uint32_t p = evtchn_alloc_port(g);
	if (!p)
		return -XEN_ENOSPC;
	g->ports[p] = (struct evtchn){.state = EVS_UNBOUND, .remote_dom = op->remote_dom};
	op->port = p;
	return 0;
}

static long evtchn_bind_interdomain(struct guest *g, evtchn_bind_interdomain_t *op)
{
	uint32_t p;

	if (op->remote_dom == MICA_DOMID_BACKEND) {
		/* The only dom0 port a guest may bind is the echo service it declared. */
		if (op->remote_port != MICA_DOM0_ECHO_PORT || !g->echo_offered)
			return -XEN_EINVAL;
		if (!(p = evtchn_bind_backend(g, evtchn_echo)))
			return -XEN_ENOSPC;
		g->echo_offered = false;
		op->local_port = p;
		return 0;
	}
	if (op->remote_dom != DOMID_SELF && op->remote_dom != MICA_DOMID_GUEST)
		return -XEN_EINVAL;
	uint32_t rp = op->remote_port;
	if (!evtchn_valid(g, rp) || g->ports[rp].state != EVS_UNBOUND ||
	    (g->ports[rp].remote_dom != DOMID_SELF && g->ports[rp].remote_dom != MICA_DOMID_GUEST))
		return -XEN_EINVAL;
	if (!(p = evtchn_alloc_port(g)))
		return -XEN_ENOSPC;
	g->ports[p] = (struct evtchn){.state = EVS_LOCAL, .peer = rp};
	g->ports[rp] = (struct evtchn){.state = EVS_LOCAL, .peer = p};
	op->local_port = p;
	return 0;
}

static long evtchn_bind_virq(struct guest *g, evtchn_bind_virq_t *op)
{
	if (op->vcpu != 0)
		return -XEN_ENOENT;
	if (op->virq != VIRQ_TIMER)
		return -XEN_EINVAL;
	if (g->timer_port)
		return -XEN_EEXIST;
	uint32_t p = evtchn_alloc_port(g);
	if (!p)
		return -XEN_ENOSPC;
	g->ports[p] = (struct evtchn){.state = EVS_VIRQ, .virq = op->virq};
	g->timer_port = p;
	op->port = p;
	return 0;
}

static long evtchn_close(struct guest *g, uint32_t port)
{
	if (!evtchn_valid(g, port))
		return -XEN_EINVAL;
	struct evtchn *e = &g->ports[port];
	if (e->state == EVS_LOCAL && e->peer != port)
		g->ports[e->peer] = (struct evtchn){.state = EVS_UNBOUND, .remote_dom = DOMID_SELF};
	if (e->state == EVS_VIRQ)
		g->timer_port = 0;
	if (port == g->console_port)
		g->console_port = 0;
	*e = (struct evtchn){.state = EVS_FREE};
	__atomic_and_fetch(&g->shared->evtchn_pending[port / 64], ~(1UL << (port % 64)), __ATOMIC_SEQ_CST);
	return 0;
}

void evtchn_run_deferred(struct guest *g)
{
	for (uint32_t w = 0; w < GUEST_MAX_PORTS / 64; w++) {
		while (g->deferred_ports[w]) {
			uint32_t port = w * 64 + (uint32_t)__builtin_ctzll(g->deferred_ports[w]);
			g->deferred_ports[w] &= g->deferred_ports[w] - 1;
			/* The device may have gone (closed, unbound) since the guest's notify. */
			if (g->ports[port].state == EVS_BACKEND && g->ports[port].backend_arg != NULL)
				g->ports[port].backend(g, port);
		}
	}
}

static long evtchn_send(struct guest *g, uint32_t port)
{
	if (!evtchn_valid(g, port))
		return -XEN_EINVAL;
	struct evtchn *e = &g->ports[port];
	switch (e->state) {
	case EVS_LOCAL:
		evtchn_raise(g, e->peer);
		return 0;
	case EVS_BACKEND:
		if (e->backend_arg != NULL && g->defer_devices)
			g->deferred_ports[port / 64] |= 1ULL << (port % 64);
		else
			e->backend(g, port);
		return 0;
	case EVS_UNBOUND:
		return 0; /* nobody listening yet: Xen drops it too */
	default:
		return -XEN_EINVAL;
	}
}

static long evtchn_unmask(struct guest *g, uint32_t port)
{
	if (!evtchn_valid(g, port))
		return -XEN_EINVAL;
	shared_info_t *s = g->shared;
	unsigned long bit = 1UL << (port % 64);
	__atomic_and_fetch(&s->evtchn_mask[port / 64], ~bit, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&s->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) & bit) {
		vcpu_info_t *v = &s->vcpu_info[0];
		__atomic_or_fetch(&v->evtchn_pending_sel, 1UL << (port / 64), __ATOMIC_SEQ_CST);
		evtchn_upcall(g);
	}
	return 0;
}

/* Each op is copied out of guest memory once, validated, handled, and its result copied back. */
long evtchn_op(struct guest *g, unsigned int cmd, uint64_t arg)
{
	union {
		evtchn_alloc_unbound_t alloc_unbound;
		evtchn_bind_interdomain_t bind_interdomain;
		evtchn_bind_virq_t bind_virq;
		evtchn_close_t close;
		evtchn_send_t send;
		evtchn_unmask_t unmask;
	} op;
	size_t size;

	switch (cmd) {
	case EVTCHNOP_alloc_unbound: size = sizeof(op.alloc_unbound); break;
	case EVTCHNOP_bind_interdomain: size = sizeof(op.bind_interdomain); break;
	case EVTCHNOP_bind_virq: size = sizeof(op.bind_virq); break;
	case EVTCHNOP_close: size = sizeof(op.close); break;
	case EVTCHNOP_send: size = sizeof(op.send); break;
	case EVTCHNOP_unmask: size = sizeof(op.unmask); break;
	default: return -XEN_ENOSYS;
	}
	void *gp = guest_ptr(g, arg, size);
	if (!gp)
		return -XEN_EFAULT;
	memcpy(&op, gp, size);

	long rc;
	switch (cmd) {
	case EVTCHNOP_alloc_unbound: rc = evtchn_alloc_unbound(g, &op.alloc_unbound); break;
	case EVTCHNOP_bind_interdomain: rc = evtchn_bind_interdomain(g, &op.bind_interdomain); break;
	case EVTCHNOP_bind_virq: rc = evtchn_bind_virq(g, &op.bind_virq); break;
	case EVTCHNOP_close: return evtchn_close(g, op.close.port);
	case EVTCHNOP_send: return evtchn_send(g, op.send.port);
	default: return evtchn_unmask(g, op.unmask.port);
	}
	if (rc == 0)
		memcpy(gp, &op, size);
	return rc;
}
