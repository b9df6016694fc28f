/* fuzz-sources: runtime/dev/netback.c runtime/vm/guest.c runtime/xen/evtchn.c runtime/xen/xenstore.c runtime/xen/xenstore_tree.c runtime/xen/gnttab.c runtime/xen/hvm.c runtime/xen/console.c runtime/xen/hypercall.c runtime/xen/pvclock.c runtime/util/log.c */
/* fuzz-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/*
 * libFuzzer harness: a hostile netfront. The input is a list of records that write raw tx and rx
 * ring slots, move the request producers (notifying or not), rewrite grant entries, write the
 * frontend's xenstore keys (the handshake included), and send frames from the host side of the
 * TAP (a socketpair). Out-of-bounds access, a leak or any sanitizer report is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xen/event_channel.h>
#include "dev/netback.h"
#include "vm/guest.h"
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/io/netif.h>

#define RAM (64 * 4096)
#define TX_GADDR (MICA_RAM_BASE + 0x3000)
#define RX_GADDR (MICA_RAM_BASE + 0x4000)
#define FE "/local/domain/1/device/vif/"
#include "../unit/fake_guest.h"

static uint8_t frame[9100];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fake_guest_reset();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) != 0)
		abort();
	struct run_nic cfg = {.mac = {2, 0, 0, 0, 0, 1}};
	if (!netback_create(&g, 0, sv[0], &cfg))
		abort();

	netif_tx_sring_t *txs = gp(TX_GADDR);
	netif_rx_sring_t *rxs = gp(RX_GADDR);
	SHARED_RING_INIT(txs);
	SHARED_RING_INIT(rxs);
	grant(1, TX_GADDR, GTF_permit_access);
	grant(2, RX_GADDR, GTF_permit_access);
	uint32_t port = alloc_unbound();
	char v[16];
	snprintf(v, sizeof(v), "%u", port);
	fe_write(0, "tx-ring-ref", "1");
	fe_write(0, "rx-ring-ref", "2");
	fe_write(0, "event-channel", v);
	fe_write(0, "request-rx-copy", "1");
	fe_write(0, "feature-sg", "1");
	fe_write(0, "state", "4");

	static const char *const keys[] = {"state", "tx-ring-ref", "rx-ring-ref", "event-channel",
					   "event-channel-tx", "event-channel-rx", "request-rx-copy", "feature-sg"};
	static const char *const values[] = {"4", "1", "2", "6", "0", "3", "99999999999", "x", "", "5"};
	const uint8_t *p = data, *end = data + size;
	while (p < end) {
		uint8_t kind = *p++;
		switch (kind & 7) {
		case 0: { /* a raw tx slot */
			uint8_t idx = 0;
			take(&p, end, &idx, 1);
			netif_tx_request_t r;
			take(&p, end, &r, sizeof(r));
			txs->ring[idx].req = r;
			break;
		}
		case 1: { /* the tx producer moves; kind's high bits: by how much, and whether it notifies */
			uint8_t n = 0;
			take(&p, end, &n, 1);
			__atomic_store_n(&txs->req_prod, txs->req_prod + (kind & 0x80 ? (uint32_t)n << 8 : n % 32),
					 __ATOMIC_RELEASE);
			if (kind & 0x40)
				notify(port);
			break;
		}
		case 2: { /* a raw rx slot */
			uint8_t idx = 0;
			take(&p, end, &idx, 1);
			netif_rx_request_t r;
			take(&p, end, &r, sizeof(r));
			rxs->ring[idx].req = r;
			break;
		}
		case 3: {
			uint8_t n = 0;
			take(&p, end, &n, 1);
			__atomic_store_n(&rxs->req_prod, rxs->req_prod + (kind & 0x80 ? (uint32_t)n << 8 : n % 32),
					 __ATOMIC_RELEASE);
			if (kind & 0x40)
				notify(port);
			break;
		}
		case 4: { /* a grant entry, pointing anywhere in (or past) RAM */
			uint8_t ref = 0, page = 0;
			uint16_t flags = 0;
			take(&p, end, &ref, 1);
			take(&p, end, &flags, 2);
			take(&p, end, &page, 1);
			grant_entry_v1_t *e = guest_ptr(&g, TABLE_GADDR + ref * sizeof(*e), sizeof(*e));
			e->frame = (uint32_t)(MICA_RAM_BASE / PAGE + page);
			e->domid = kind & 0x80 ? 5 : MICA_DOMID_BACKEND;
			e->flags = flags;
			break;
		}
		case 5: { /* a frame from the host */
			uint16_t len = 0;
			take(&p, end, &len, 2);
			len %= sizeof(frame);
			for (uint16_t i = 0; i < len; i++)
				frame[i] = (uint8_t)(i ^ kind);
			if (send(sv[1], frame, len, 0) < 0)
				break;
			guest_fd_poll_now(&g);
			break;
		}
		case 6: { /* a frontend key */
			uint8_t k = 0;
			take(&p, end, &k, 1);
			fe_write(0, keys[k % 8], values[(k >> 3) % 10]);
			break;
		}
		default: /* the host drains the TAP, the loop looks at the fds, events are cleared */
			while (recv(sv[1], frame, sizeof(frame), 0) > 0)
				;
			guest_fd_poll_now(&g);
			memset(shared.evtchn_pending, 0, sizeof(shared.evtchn_pending));
			break;
		}
	}
	netback_stop(&g, false);
	xenstore_destroy(&g);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
