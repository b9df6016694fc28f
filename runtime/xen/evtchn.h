/* The runtime's side of 2-level event channels: the port table and raising events. */
#ifndef XEN_EVTCHN_H
#define XEN_EVTCHN_H

#include "vm/guest.h"

/* EVTCHNOP_* from the guest; arg is the guest address of the op structure. */
long evtchn_op(struct guest *g, unsigned int cmd, uint64_t arg);

/* Marks port pending as Xen does (respecting the mask); wakes a blocked guest. */
void evtchn_raise(struct guest *g, uint32_t port);

/* Binds a fresh guest port to a monitor-side service; returns the port or 0 when full. */
uint32_t evtchn_bind_backend(struct guest *g, backend_notify_fn fn);

/*
 * Binds the guest's port, which it allocated unbound for the backend domain (EVTCHNOP_alloc_unbound
 * with remote_dom 0), to a device: the guest's EVTCHNOP_send on it calls fn (inside the
 * hypercall, or after it with g->defer_devices), and g->ports[port].backend_arg is arg. Returns 0,
 * or -1 when port is not such a port.
 */
int evtchn_bind_guest_unbound(struct guest *g, uint32_t port, backend_notify_fn fn, void *arg);

/* Runs the devices whose ports the guest notified while g->defer_devices held them back. */
void evtchn_run_deferred(struct guest *g);

/* Undoes that bind, if port is still bound to fn and arg: the port is unbound again. */
void evtchn_unbind_guest(struct guest *g, uint32_t port, backend_notify_fn fn, void *arg);

/* Raises port if it is still bound to fn and arg (the guest may have closed and reused it). */
void evtchn_raise_bound(struct guest *g, uint32_t port, backend_notify_fn fn, void *arg);

/* The dom0 echo service's notify: raises the port straight back (snapshots rebind it). */
void evtchn_echo(struct guest *g, uint32_t port);

/* True when an unmasked event waits for the guest. */
bool evtchn_guest_has_pending(struct guest *g);

#endif
