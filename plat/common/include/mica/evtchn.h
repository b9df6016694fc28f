/* Guest side of 2-level Xen event channels: binding ports to handlers and delivering them. */
#ifndef MICA_EVTCHN_H
#define MICA_EVTCHN_H

#include <stdbool.h>
#include <stdint.h>

typedef uint32_t evtchn_port_t;
typedef void (*evtchn_handler_t)(evtchn_port_t port, void *arg);

/* Each returns 0 or a negative Xen errno. */
int evtchn_alloc_unbound(uint16_t remote_dom, evtchn_port_t *port);
int evtchn_bind_interdomain(uint16_t remote_dom, evtchn_port_t remote_port, evtchn_port_t *port);
int evtchn_bind_virq(uint32_t virq, evtchn_port_t *port);
int evtchn_close(evtchn_port_t port);
int evtchn_notify(evtchn_port_t port);

/* Routes events on port to handler (run from evtchn_dispatch) and unmasks the port. */
int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t handler, void *arg);
void evtchn_mask(evtchn_port_t port);
void evtchn_unmask(evtchn_port_t port);

/* True when some unmasked port has an event pending. */
bool evtchn_any_pending(void);

/* Clears and handles every pending unmasked port; ports without a handler are just cleared. */
void evtchn_dispatch(void);

#endif
