/* netfront's connection: reading the NIC's xenstore keys, granting rings and buffers, the xenbus handshake. */
#include <xen/errno.h>
#include <mica/abi.h>
#include <mica/alloc.h>
#include <mica/gnttab.h>
#include <mica/kprint.h>
#include <mica/plat.h>
#include <mica/string.h>
#include <mica/xenbus_keys.h>
#include <mica/xenstore.h>
#include "internal.h"

/* How long the backend may take to answer Connected; mica answers inside the state write. */
#define NETFRONT_CONNECT_NS 2000000000ull

/* Reads what the runtime configured; 1 when there is no such NIC, -1 after printing why not. */
static int netfront_read_config(struct netfront *nf)
{
	char v[64];
	int rc;

	rc = xenbus_read_key(nf->dir, "backend", nf->backend, sizeof(nf->backend));
	if (rc == -XEN_ENOENT || rc == -XEN_ENODEV)
		return 1;
	if (rc < 0) {
		kprintf("netfront: vif%u: cannot read %s/backend (error %d)\n", nf->index, nf->dir, rc);
		return -1;
	}
	if (!xenbus_path_ok(nf->backend)) {
		kprintf("netfront: vif%u: backend path '%s' is not an absolute store path\n", nf->index,
			nf->backend);
		return -1;
	}
	if (xenbus_read_key(nf->dir, "mac", v, sizeof(v)) < 0 || netfront_parse_mac(v, nf->info.mac) != 0) {
		kprintf("netfront: vif%u: %s/mac is missing or not aa:bb:cc:dd:ee:ff\n", nf->index, nf->dir);
		return -1;
	}
	rc = xenbus_read_key(nf->dir, "ip", v, sizeof(v));
	if (rc >= 0) {
		if (netfront_parse_cidr(v, &nf->info.ip, &nf->info.netmask) != 0) {
			kprintf("netfront: vif%u: %s/ip '%s' is not A.B.C.D/N\n", nf->index, nf->dir, v);
			return -1;
		}
		nf->info.static_ip = true;
		rc = xenbus_read_key(nf->dir, "gateway", v, sizeof(v));
		if (rc >= 0 && v[0] != '\0' && netfront_parse_ipv4(v, &nf->info.gateway) != 0) {
			kprintf("netfront: vif%u: %s/gateway '%s' is not A.B.C.D\n", nf->index, nf->dir, v);
			return -1;
		}
	} else if (rc != -XEN_ENOENT) {
		kprintf("netfront: vif%u: cannot read %s/ip (error %d)\n", nf->index, nf->dir, rc);
		return -1;
	}
	nf->info.mtu = 1500;
	if (xenbus_read_key(nf->backend, "mtu", v, sizeof(v)) >= 0) {
		unsigned long mtu;
		/* 68 is IPv4's minimum; the frame (with its 14-byte header) must fit 65535 bytes. */
		if (netfront_parse_uint(v, 68, NETFRONT_FRAME_MAX - 14, &mtu) != 0) {
			kprintf("netfront: vif%u: %s/mtu '%s' is not a number in 68..65521\n", nf->index,
				nf->backend, v);
			return -1;
		}
		nf->info.mtu = (uint16_t)mtu;
	}
	return 0;
}

/*
 * Ends every grant made so far and frees what is no longer granted. A page whose grant the
 * backend still holds (it mapped a ring before failing) is left allocated rather than reused.
 */
static void netfront_release(struct netfront *nf)
{
	bool keep_tx = false, keep_rx = false;

	if (nf->port)
		evtchn_close(nf->port);
	if (nf->tx.sring && (nf->tx_ring_ref == NETFRONT_NO_REF || gnttab_end(nf->tx_ring_ref) == 0))
		page_free(nf->tx.sring, 1);
	if (nf->rx.sring && (nf->rx_ring_ref == NETFRONT_NO_REF || gnttab_end(nf->rx_ring_ref) == 0))
		page_free(nf->rx.sring, 1);
	for (unsigned int i = 0; i < NETFRONT_TX_PAGES; i++)
		if (nf->tx_gref[i] != NETFRONT_NO_REF && gnttab_end(nf->tx_gref[i]) != 0)
			keep_tx = true;
	for (unsigned int i = 0; i < NETFRONT_RX_RING_SIZE; i++)
		if (nf->rx_gref[i] != NETFRONT_NO_REF && gnttab_end(nf->rx_gref[i]) != 0)
			keep_rx = true;
	if (nf->tx_pages && !keep_tx)
		page_free(nf->tx_pages, NETFRONT_TX_PAGES);
	if (nf->rx_pages && !keep_rx)
		page_free(nf->rx_pages, NETFRONT_RX_RING_SIZE);
	if (nf->scratch)
		page_free(nf->scratch, NETFRONT_SCRATCH_PAGES);
	heap_free(nf);
}

/* Grants the rings (emptied) and the persistent buffers allocated; -1 after printing why not. */
static int netfront_grant_pages(struct netfront *nf)
{
	memset(nf->tx.sring, 0, NETFRONT_PAGE);
	memset(nf->rx.sring, 0, NETFRONT_PAGE);

	int rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)nf->tx.sring, false, &nf->tx_ring_ref);
	if (rc == 0)
		rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)nf->rx.sring, false, &nf->rx_ring_ref);
	for (unsigned int i = 0; rc == 0 && i < NETFRONT_TX_PAGES; i++)
		rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)(nf->tx_pages + i * NETFRONT_PAGE), true,
				  &nf->tx_gref[i]);
	for (unsigned int i = 0; rc == 0 && i < NETFRONT_RX_RING_SIZE; i++)
		rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)(nf->rx_pages + i * NETFRONT_PAGE), false,
				  &nf->rx_gref[i]);
	if (rc != 0) {
		kprintf("netfront: vif%u: cannot grant rings and buffers (error %d)\n", nf->index, rc);
		return -1;
	}
	return 0;
}

/* Allocates and grants the rings and the persistent buffers; -1 after printing why not. */
static int netfront_grant_all(struct netfront *nf)
{
	nf->tx.sring = page_alloc(1);
	nf->rx.sring = page_alloc(1);
	nf->tx_pages = page_alloc(NETFRONT_TX_PAGES);
	nf->rx_pages = page_alloc(NETFRONT_RX_RING_SIZE);
	nf->scratch = page_alloc(NETFRONT_SCRATCH_PAGES);
	if (!nf->tx.sring || !nf->rx.sring || !nf->tx_pages || !nf->rx_pages || !nf->scratch) {
		kprintf("netfront: vif%u: out of memory for rings and buffers\n", nf->index);
		return -1;
	}
	return netfront_grant_pages(nf);
}

/* Writes the frontend's keys and switches to Connected; -1 after printing why not. */
static int netfront_connect(struct netfront *nf)
{
	int rc = xenbus_write_uint(nf->dir, "tx-ring-ref", nf->tx_ring_ref);
	if (rc == 0)
		rc = xenbus_write_uint(nf->dir, "rx-ring-ref", nf->rx_ring_ref);
	if (rc == 0)
		rc = xenbus_write_uint(nf->dir, "event-channel", nf->port);
	if (rc == 0)
		rc = xenbus_write_uint(nf->dir, "request-rx-copy", 1);
	if (rc == 0)
		rc = xenbus_write_uint(nf->dir, "feature-sg", 1);
	if (rc == 0)
		rc = xenbus_write_uint(nf->dir, "feature-rx-notify", 1);
	if (rc == 0)
		rc = xenbus_switch_state(nf->dir, XenbusStateConnected);
	if (rc != 0) {
		kprintf("netfront: vif%u: cannot write %s (error %d)\n", nf->index, nf->dir, rc);
		return -1;
	}
	XenbusState st = xenbus_wait_state(nf->backend, XenbusStateConnected,
					   plat_time_ns() + NETFRONT_CONNECT_NS);
	if (st != XenbusStateConnected) {
		kprintf("netfront: vif%u: backend %s did not connect within 2 s (state %d)\n", nf->index,
			nf->backend, (int)st);
		xenbus_switch_state(nf->dir, XenbusStateClosed);
		return -1;
	}
	return 0;
}

/*
 * After a restore (docs/abi.md §14): the backend of these rings is gone and a new one waits.
 * Frames still on the old rings are dropped (as a lost frame on a wire: the caller's protocols
 * retransmit), the old port and grants are dropped (the runtime voided the old backend's holds),
 * and the emptied rings, granted anew with every rx buffer posted again, are connected by the
 * same handshake as at open. The caller keeps its interface (MAC, address) as it was. A NIC the
 * restore did not give, or a handshake that fails, leaves the device stopped: sends are dropped.
 */
static void netfront_restored(void *arg)
{
	struct netfront *nf = arg;
	bool ended = true;

	if (nf->port)
		evtchn_close(nf->port);
	nf->port = 0;
	nf->broken = true;
	ended &= gnttab_end_ref(&nf->tx_ring_ref);
	ended &= gnttab_end_ref(&nf->rx_ring_ref);
	for (unsigned int i = 0; i < NETFRONT_TX_PAGES; i++)
		ended &= gnttab_end_ref(&nf->tx_gref[i]);
	for (unsigned int i = 0; i < NETFRONT_RX_RING_SIZE; i++)
		ended &= gnttab_end_ref(&nf->rx_gref[i]);
	if (!ended) {
		kprintf("netfront: vif%u: a grant is still held after the restore; device stopped\n", nf->index);
		return;
	}
	struct netfront_info keep = nf->info;
	int rc = netfront_read_config(nf);
	nf->info = keep;
	if (rc == 1)
		kprintf("netfront: vif%u: the restore gave no such NIC; device stopped\n", nf->index);
	if (rc != 0)
		return;
	XenbusState st = xenbus_read_state(nf->backend);
	if (st != XenbusStateInitWait && st != XenbusStateConnected) {
		kprintf("netfront: vif%u: backend %s is in state %d after the restore, not InitWait (2) or Connected (4)\n",
			nf->index, nf->backend, (int)st);
		return;
	}
	if (netfront_grant_pages(nf) != 0)
		return;
	rc = evtchn_alloc_unbound(MICA_DOMID_BACKEND, &nf->port);
	if (rc != 0) {
		nf->port = 0;
		kprintf("netfront: vif%u: cannot allocate an event channel (error %d)\n", nf->index, rc);
		return;
	}
	memset(nf->tx_busy, 0, sizeof(nf->tx_busy));
	memset(nf->rx_busy, 0, sizeof(nf->rx_busy));
	nf->rx_ndone = 0;
	nf->chain_len = 0;
	nf->chain_bad = false;
	nf->warned = false;
	netfront_ring_init(nf);
	if (netfront_connect(nf) != 0)
		return;
	rc = evtchn_set_handler(nf->port, netfront_event, nf);
	if (rc != 0) {
		kprintf("netfront: vif%u: cannot handle event channel %u (error %d)\n", nf->index, nf->port, rc);
		xenbus_switch_state(nf->dir, XenbusStateClosed);
		return;
	}
	nf->broken = false;
	netfront_flush(nf);
}

struct netfront *netfront_open(unsigned int index, netfront_rx_fn rx, void *arg)
{
	struct netfront *nf = heap_calloc(1, sizeof(*nf));
	if (!nf) {
		kprintf("netfront: vif%u: out of memory\n", index);
		return 0;
	}
	nf->index = index;
	nf->rx_fn = rx;
	nf->rx_arg = arg;
	nf->tx_ring_ref = nf->rx_ring_ref = NETFRONT_NO_REF;
	for (unsigned int i = 0; i < NETFRONT_TX_PAGES; i++)
		nf->tx_gref[i] = NETFRONT_NO_REF;
	for (unsigned int i = 0; i < NETFRONT_RX_RING_SIZE; i++)
		nf->rx_gref[i] = NETFRONT_NO_REF;
	ksnprintf(nf->dir, sizeof(nf->dir), "device/vif/%u", index);

	int rc = netfront_read_config(nf);
	if (rc != 0)
		goto fail;
	XenbusState st = xenbus_read_state(nf->backend);
	if (st != XenbusStateInitWait && st != XenbusStateConnected) {
		kprintf("netfront: vif%u: backend %s is in state %d, not InitWait (2) or Connected (4)\n",
			index, nf->backend, (int)st);
		goto fail;
	}
	if (netfront_grant_all(nf) != 0)
		goto fail;
	rc = evtchn_alloc_unbound(MICA_DOMID_BACKEND, &nf->port);
	if (rc != 0) {
		nf->port = 0;
		kprintf("netfront: vif%u: cannot allocate an event channel (error %d)\n", index, rc);
		goto fail;
	}
	netfront_ring_init(nf);
	if (netfront_connect(nf) != 0)
		goto fail;
	/*
	 * Only now: the handshake blocks for the store's answers, and events handled then could hand
	 * frames to a caller that is still waiting for netfront_open to return.
	 */
	rc = evtchn_set_handler(nf->port, netfront_event, nf);
	if (rc != 0) {
		kprintf("netfront: vif%u: cannot handle event channel %u (error %d)\n", index, nf->port, rc);
		xenbus_switch_state(nf->dir, XenbusStateClosed);
		goto fail;
	}
	netfront_flush(nf);
	nf->restored = (struct plat_restore_hook){.fn = netfront_restored, .arg = nf};
	plat_on_restore(&nf->restored);
	return nf;
fail:
	netfront_release(nf);
	return 0;
}

void netfront_get_info(const struct netfront *nf, struct netfront_info *info)
{
	*info = nf->info;
}

void netfront_get_stats(const struct netfront *nf, struct netfront_stats *st)
{
	*st = nf->stats;
}
