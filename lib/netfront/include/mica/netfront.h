/* netfront: the guest's Xen network device (xen/io/netif.h) as a frame interface for a stack. */
#ifndef MICA_NETFRONT_H
#define MICA_NETFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netfront;

/*
 * A received frame (Ethernet header first, no FCS), in memory netfront owns: valid only during
 * the call. Called from event-channel dispatch (never from inside netfront_xmit), so the stack
 * must not block in it.
 */
typedef void (*netfront_rx_fn)(void *arg, const void *frame, size_t len);

/* What the runtime configured for the NIC (docs/abi.md §12). Addresses in network byte order. */
struct netfront_info {
	uint8_t mac[6];
	uint16_t mtu;      /* 1500 unless the backend says otherwise */
	bool static_ip;    /* false: no address given, the stack should use DHCP */
	uint32_t ip, netmask, gateway; /* gateway 0: none */
};

/*
 * Connects vif <index> (xenstore device/vif/<index>): rings, grants, event channel, handshake.
 * NULL when the runtime offers no such NIC; errors in the handshake are printed once.
 */
struct netfront *netfront_open(unsigned int index, netfront_rx_fn rx, void *arg);
void netfront_get_info(const struct netfront *nf, struct netfront_info *info);

/* One piece of a frame to send; the pieces are sent back to back as one frame. */
struct netfront_seg {
	const void *data;
	size_t len;
};

/*
 * Queues one frame (copied: the caller's memory is free on return) and tells the backend when it
 * needs telling. Returns 0, -EAGAIN when the tx ring has no room (the caller drops or retries),
 * -EMSGSIZE for a frame over 65535 bytes or more slots than the ring allows.
 */
int netfront_xmit(struct netfront *nf, const struct netfront_seg *segs, unsigned int nsegs);

/* Counters for tests and --stats-like reports. */
struct netfront_stats {
	uint64_t tx_frames, rx_frames, tx_dropped, rx_dropped, rx_errors;
};
void netfront_get_stats(const struct netfront *nf, struct netfront_stats *st);

#endif
