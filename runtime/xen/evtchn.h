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

/* True when an unmasked event waits for the guest. */
bool evtchn_guest_has_pending(struct guest *g);

#endif
