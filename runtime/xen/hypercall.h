/* Dispatch of one guest hypercall to the Xen ABI services, for every backend. */
#ifndef XEN_HYPERCALL_H
#define XEN_HYPERCALL_H

#include "vm/guest.h"

/*
 * Handles hypercall nr with its five arguments. Returns the value for the guest's rax, unless
 * the guest must wait (SCHEDOP_block with nothing pending): then *wait is set, g->blocked is
 * true, and the backend answers 0 once hypercall_block_done() says so.
 */
long hypercall_dispatch(struct guest *g, unsigned int nr, const uint64_t args[5], bool *wait);

/* True when a blocked guest may continue: an event is pending for it. */
bool hypercall_block_done(struct guest *g);

/* Fires VIRQ_TIMER if the guest's singleshot timer has expired at system time now. */
void hypercall_timer_check(struct guest *g, uint64_t now);

#endif
