/* netfront's device record, shared by the handshake (netfront.c), the data path (ring.c) and the parsers. */
#ifndef NETFRONT_INTERNAL_H
#define NETFRONT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arch/cpu.h>
#include <mica/evtchn.h>
#include <mica/gnttab.h>
#include <mica/plat.h>
#include <mica/netfront.h>

/*
 * xen/io/ring.h leaves the barriers to its includer. x86 keeps loads in order and stores in
 * order, so only the store-then-load of the notification check needs a fence.
 */
#define xen_mb() cpu_mb()
#define xen_rmb() cpu_barrier()
#define xen_wmb() cpu_barrier()
#include <xen/io/netif.h>

#define NETFRONT_PAGE 4096u
#define NETFRONT_TX_RING_SIZE __CONST_RING_SIZE(netif_tx, NETFRONT_PAGE)
#define NETFRONT_RX_RING_SIZE __CONST_RING_SIZE(netif_rx, NETFRONT_PAGE)
/* A tx buffer is half a page: a full-MTU frame fits one, and one grant serves two. */
#define NETFRONT_TX_BUF 2048u
#define NETFRONT_TX_PAGES (NETFRONT_TX_RING_SIZE * NETFRONT_TX_BUF / NETFRONT_PAGE)
#define NETFRONT_FRAME_MAX 65535u
/* Slots of one tx frame: every backend must take XEN_NETIF_NR_SLOTS_MIN (18), so 36 KiB a frame. */
#define NETFRONT_TX_SLOTS_MAX XEN_NETIF_NR_SLOTS_MIN
#define NETFRONT_SCRATCH_PAGES ((NETFRONT_FRAME_MAX + NETFRONT_PAGE - 1) / NETFRONT_PAGE)
#define NETFRONT_PATH_MAX 256
/* Marks a grant not made (yet): refs are table indices, and no table has 2^32 entries. */
#define NETFRONT_NO_REF GNTTAB_NO_REF

struct netfront {
	unsigned int index;
	char dir[32];                     /* device/vif/<index> */
	char backend[NETFRONT_PATH_MAX];  /* the backend's directory, as the frontend dir names it */
	netfront_rx_fn rx_fn;
	void *rx_arg;
	struct netfront_info info;
	struct netfront_stats stats;
	evtchn_port_t port;

	netif_tx_front_ring_t tx;
	netif_rx_front_ring_t rx;
	grant_ref_t tx_ring_ref, rx_ring_ref;
	/* Our own copies of what we published: the shared req_prod is the backend's to scribble on. */
	RING_IDX tx_pushed, rx_pushed;

	/* tx buffer id i is tx_pages + i * NETFRONT_TX_BUF, granted read-only by tx_gref[i / 2]. */
	uint8_t *tx_pages;
	grant_ref_t tx_gref[NETFRONT_TX_PAGES];
	uint16_t tx_free[NETFRONT_TX_RING_SIZE]; /* a stack of the ids not on the ring */
	unsigned int tx_nfree;
	bool tx_busy[NETFRONT_TX_RING_SIZE];
	bool tx_head[NETFRONT_TX_RING_SIZE];     /* the first slot of its frame */

	/* rx buffer id i is the page rx_pages + i * NETFRONT_PAGE, granted read-write by rx_gref[i]. */
	uint8_t *rx_pages;
	grant_ref_t rx_gref[NETFRONT_RX_RING_SIZE];
	bool rx_busy[NETFRONT_RX_RING_SIZE];
	/*
	 * Buffers answered in this pass, posted again only after it: a second answer naming the same
	 * id within the pass is then recognised as bogus.
	 */
	uint16_t rx_done[NETFRONT_RX_RING_SIZE];
	unsigned int rx_ndone;

	/* Every received frame is copied here before anyone reads it: the backend keeps its grants. */
	uint8_t *scratch;
	size_t chain_len;   /* bytes of the frame being assembled (its slots said NETRXF_more_data) */
	bool chain_bad;     /* some slot of the frame was bad: drop the rest of it */

	bool in_event;      /* inside the event handler: requests are pushed once, at its end */
	bool broken;        /* the backend broke the ring protocol: the device is dead */
	bool warned;        /* a bad response has been reported (once per device) */
	struct plat_restore_hook restored; /* netfront_restored */
};

/* ring.c */
void netfront_ring_init(struct netfront *nf);
void netfront_event(evtchn_port_t port, void *arg);
void netfront_flush(struct netfront *nf);

/* parse.c: strict parsers of the values the runtime writes; each returns 0 or -1. */
int netfront_parse_mac(const char *s, uint8_t mac[6]);
/* "A.B.C.D" into network byte order. */
int netfront_parse_ipv4(const char *s, uint32_t *ip);
/* "A.B.C.D/N" into an address and its netmask, both in network byte order. */
int netfront_parse_cidr(const char *s, uint32_t *ip, uint32_t *netmask);
/* A decimal in [min, max]. */
int netfront_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *v);

#endif
