/* netback: a guest NIC (xen/io/netif.h rings over grant tables) served on a host TAP. */
#ifndef DEV_NETBACK_H
#define DEV_NETBACK_H

#include <stdbool.h>
#include <stdint.h>
#include "vm/guest.h"
#include "vm/run.h"

/* What a hostile frontend can get refused for: each class counted, and logged once per NIC. */
enum netback_refusal {
	NETBACK_REFUSED_GRANT,  /* a grant reference mica may not use that way */
	NETBACK_REFUSED_OFFSET, /* offset + size beyond the page */
	NETBACK_REFUSED_SIZE,   /* an empty slot, a frame size below its slots' sum or an Ethernet header */
	NETBACK_REFUSED_SLOTS,  /* more than XEN_NETIF_NR_SLOTS_MIN data slots, or too many extras */
	NETBACK_REFUSED_ID,     /* an id beyond the ring, or twice in one frame */
	NETBACK_REFUSED_EXTRA,  /* an extra-info slot of unknown type */
	NETBACK_REFUSED_RING,   /* ring indices no frontend can make: the NIC stops */
	NETBACK_REFUSED_STORM,  /* notifies finding nothing to do, beyond the burst allowed */
	NETBACK_NR_REFUSALS
};

struct netback_stats {
	uint64_t tx_frames, tx_bytes, tx_dropped; /* guest to TAP; dropped: the TAP would not take it */
	uint64_t rx_frames, rx_bytes, rx_dropped; /* TAP to guest; dropped: no slot could hold it */
	uint64_t refused[NETBACK_NR_REFUSALS];
	bool connected, stopped, throttled, tap_polled;
};

/*
 * Makes vif idx of g on fd (a TAP, or anything that reads and writes one frame per call,
 * non-blocking; the caller keeps it open until netback_destroy): publishes the NIC's xenstore
 * keys (docs/abi.md §12) and connects when the frontend's state becomes Connected. NULL, with one
 * log line, when g has no room for it.
 */
struct netback *netback_create(struct guest *g, unsigned int idx, int fd, const struct run_nic *nic);

/* netback_create for every NIC of cfg, on the TAPs run_image opened; 0 or -1. */
int netback_start(struct guest *g, const struct run_config *cfg);

/* Releases the rings' grants, the event channels and the host fds it polls; fd is not closed. */
void netback_destroy(struct netback *nb);

/* netback_destroy for every NIC of g; with stats, first one `stats: vifN: ...` line each on stderr. */
void netback_stop(struct guest *g, bool stats);

void netback_get_stats(const struct netback *nb, struct netback_stats *st);

#endif
