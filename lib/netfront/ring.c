/* netfront's data path: the tx and rx rings, persistent buffers, batching of notifications, backend checks. */
#include <xen/errno.h>
#include <mica/kprint.h>
#include <mica/string.h>
#include "internal.h"

_Static_assert(NETFRONT_TX_RING_SIZE == 256 && NETFRONT_RX_RING_SIZE == 256, "netif ring sizes");
_Static_assert(XEN_EAGAIN == 11 && XEN_EMSGSIZE == 90, "Xen's errno values are Linux's");

/* The backend writes rsp_prod at any time: read it once, before the responses it covers. */
static RING_IDX netfront_rsp_prod(const RING_IDX *rsp_prod)
{
	return __atomic_load_n(rsp_prod, __ATOMIC_ACQUIRE);
}

/* Reports the first protocol violation of a device; the counters tell the rest. */
static void netfront_bad(struct netfront *nf, const char *what, unsigned int v)
{
	if (nf->warned)
		return;
	nf->warned = true;
	kprintf("netfront: vif%u: backend sent %s %u; ignored\n", nf->index, what, v);
}

/* More responses than requests published cannot be repaired: the device stops for good. */
static void netfront_break(struct netfront *nf, const char *ring, unsigned int claimed)
{
	if (!nf->broken)
		kprintf("netfront: vif%u: backend claims %u %s responses, more than requested; device stopped\n",
			nf->index, claimed, ring);
	nf->broken = true;
}

static void netfront_rx_post(struct netfront *nf, uint16_t id)
{
	netif_rx_request_t *req = RING_GET_REQUEST(&nf->rx, nf->rx.req_prod_pvt);
	req->id = id;
	req->gref = nf->rx_gref[id];
	nf->rx.req_prod_pvt++;
	nf->rx_busy[id] = true;
}

void netfront_ring_init(struct netfront *nf)
{
	SHARED_RING_INIT(nf->tx.sring);
	FRONT_RING_INIT(&nf->tx, nf->tx.sring, NETFRONT_PAGE);
	SHARED_RING_INIT(nf->rx.sring);
	FRONT_RING_INIT(&nf->rx, nf->rx.sring, NETFRONT_PAGE);
	nf->tx_nfree = NETFRONT_TX_RING_SIZE;
	for (unsigned int i = 0; i < NETFRONT_TX_RING_SIZE; i++)
		nf->tx_free[i] = (uint16_t)(NETFRONT_TX_RING_SIZE - 1 - i);
	for (unsigned int i = 0; i < NETFRONT_RX_RING_SIZE; i++)
		netfront_rx_post(nf, (uint16_t)i);
}

/* Pushes queued requests of both rings; one notification covers both (one event channel). */
void netfront_flush(struct netfront *nf)
{
	int tx_notify, rx_notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->tx, tx_notify);
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->rx, rx_notify);
	nf->tx_pushed = nf->tx.req_prod_pvt;
	nf->rx_pushed = nf->rx.req_prod_pvt;
	if (tx_notify || rx_notify)
		evtchn_notify(nf->port);
}

/* Takes back the tx buffers the backend is done with. */
static void netfront_tx_reap(struct netfront *nf)
{
	RING_IDX prod = netfront_rsp_prod(&nf->tx.sring->rsp_prod);
	RING_IDX cons = nf->tx.rsp_cons;

	if (nf->broken)
		return;
	if (prod - cons > nf->tx_pushed - cons) {
		netfront_break(nf, "tx", prod - cons);
		return;
	}
	for (; cons != prod; cons++) {
		netif_tx_response_t rsp;
		RING_COPY_RESPONSE(&nf->tx, cons, &rsp);
		/* NULL answers an extra-info slot, which this frontend never sends: nothing to free. */
		if (rsp.status == NETIF_RSP_NULL)
			continue;
		if (rsp.id >= NETFRONT_TX_RING_SIZE || !nf->tx_busy[rsp.id]) {
			netfront_bad(nf, "a tx response for unused id", rsp.id);
			continue;
		}
		nf->tx_busy[rsp.id] = false;
		nf->tx_free[nf->tx_nfree++] = rsp.id;
		if (rsp.status != NETIF_RSP_OKAY && nf->tx_head[rsp.id])
			nf->stats.tx_dropped++;
	}
	nf->tx.rsp_cons = cons;
}

/* True when n tx slots are free, after taking back what the backend has finished. */
static bool netfront_tx_room(struct netfront *nf, unsigned int n)
{
	if (nf->tx_nfree >= n && RING_FREE_REQUESTS(&nf->tx) >= n)
		return true;
	netfront_tx_reap(nf);
	return nf->tx_nfree >= n && RING_FREE_REQUESTS(&nf->tx) >= n;
}

int netfront_xmit(struct netfront *nf, const struct netfront_seg *segs, unsigned int nsegs)
{
	size_t total = 0;

	for (unsigned int i = 0; i < nsegs; i++) {
		if (segs[i].len > NETFRONT_FRAME_MAX)
			return -XEN_EMSGSIZE;
		total += segs[i].len;
	}
	if (total == 0 || total > NETFRONT_FRAME_MAX)
		return -XEN_EMSGSIZE;
	unsigned int slots = (unsigned int)((total + NETFRONT_TX_BUF - 1) / NETFRONT_TX_BUF);
	if (slots > NETFRONT_TX_SLOTS_MAX)
		return -XEN_EMSGSIZE;
	bool room = !nf->broken && netfront_tx_room(nf, slots);
	/* Inside the handler requests wait to be pushed; pushing may be what frees room. */
	if (!room && !nf->broken && nf->in_event) {
		netfront_flush(nf);
		room = netfront_tx_room(nf, slots);
	}
	if (!room) {
		nf->stats.tx_dropped++;
		return -XEN_EAGAIN;
	}
	unsigned int seg = 0;
	size_t seg_off = 0, left = total;
	for (unsigned int s = 0; s < slots; s++) {
		uint16_t id = nf->tx_free[--nf->tx_nfree];
		uint8_t *buf = nf->tx_pages + (size_t)id * NETFRONT_TX_BUF;
		size_t chunk = left < NETFRONT_TX_BUF ? left : NETFRONT_TX_BUF;

		for (size_t done = 0; done < chunk;) {
			while (seg_off == segs[seg].len) {
				seg++;
				seg_off = 0;
			}
			size_t n = segs[seg].len - seg_off;
			if (n > chunk - done)
				n = chunk - done;
			memcpy(buf + done, (const uint8_t *)segs[seg].data + seg_off, n);
			done += n;
			seg_off += n;
		}
		netif_tx_request_t *req = RING_GET_REQUEST(&nf->tx, nf->tx.req_prod_pvt);
		req->gref = nf->tx_gref[id / (NETFRONT_PAGE / NETFRONT_TX_BUF)];
		req->offset = (uint16_t)(id % (NETFRONT_PAGE / NETFRONT_TX_BUF) * NETFRONT_TX_BUF);
		req->flags = left > chunk ? NETTXF_more_data : 0;
		req->id = id;
		/* The first slot carries the whole frame's size, the others their own. */
		req->size = (uint16_t)(s == 0 ? total : chunk);
		nf->tx.req_prod_pvt++;
		nf->tx_busy[id] = true;
		nf->tx_head[id] = s == 0;
		left -= chunk;
	}
	nf->stats.tx_frames++;
	if (!nf->in_event)
		netfront_flush(nf);
	return 0;
}

/* Ends the frame being assembled: hands it on if every slot of it was good. */
static void netfront_rx_deliver(struct netfront *nf)
{
	if (!nf->chain_bad) {
		if (nf->chain_len < 14) {
			nf->stats.rx_errors++;
		} else {
			nf->stats.rx_frames++;
			if (nf->rx_fn)
				nf->rx_fn(nf->rx_arg, nf->scratch, nf->chain_len);
		}
	}
	nf->chain_len = 0;
	nf->chain_bad = false;
}

/* One response, copied out of the ring; its buffer (when it names a valid one) is to be posted again. */
static void netfront_rx_one(struct netfront *nf, const netif_rx_response_t *rsp)
{
	if (rsp->id >= NETFRONT_RX_RING_SIZE || !nf->rx_busy[rsp->id]) {
		netfront_bad(nf, "an rx response for unused id", rsp->id);
		nf->stats.rx_errors++;
		nf->chain_bad = true;
	} else {
		uint16_t id = rsp->id;
		nf->rx_busy[id] = false;
		if (rsp->status < 0) {
			nf->stats.rx_errors++;
			nf->chain_bad = true;
		} else if (rsp->offset >= NETFRONT_PAGE || rsp->status > (int)(NETFRONT_PAGE - rsp->offset)) {
			netfront_bad(nf, "an rx slot beyond its page, offset", rsp->offset);
			nf->stats.rx_errors++;
			nf->chain_bad = true;
		} else if (rsp->flags & NETRXF_extra_info) {
			/* Extra-info slots come only with features this frontend never asks for. */
			netfront_bad(nf, "rx extra info, flags", rsp->flags);
			nf->stats.rx_errors++;
			nf->chain_bad = true;
		} else if (nf->chain_len + (size_t)rsp->status > NETFRONT_FRAME_MAX) {
			if (!nf->chain_bad)
				nf->stats.rx_dropped++;
			nf->chain_bad = true;
		} else if (!nf->chain_bad) {
			memcpy(nf->scratch + nf->chain_len, nf->rx_pages + (size_t)id * NETFRONT_PAGE + rsp->offset,
			       (size_t)rsp->status);
			nf->chain_len += (size_t)rsp->status;
		}
		nf->rx_done[nf->rx_ndone++] = id;
	}
	if (!(rsp->flags & NETRXF_more_data))
		netfront_rx_deliver(nf);
}

static void netfront_rx_poll(struct netfront *nf)
{
	for (;;) {
		RING_IDX prod = netfront_rsp_prod(&nf->rx.sring->rsp_prod);
		RING_IDX cons = nf->rx.rsp_cons;

		if (nf->broken || prod == cons)
			return;
		if (prod - cons > nf->rx_pushed - cons) {
			netfront_break(nf, "rx", prod - cons);
			return;
		}
		for (; cons != prod; cons++) {
			netif_rx_response_t rsp;
			RING_COPY_RESPONSE(&nf->rx, cons, &rsp);
			/* Consumed before the callback, which may send and so let the backend run. */
			nf->rx.rsp_cons = cons + 1;
			netfront_rx_one(nf, &rsp);
			if (nf->broken)
				return;
		}
		while (nf->rx_ndone)
			netfront_rx_post(nf, nf->rx_done[--nf->rx_ndone]);
	}
}

void netfront_event(evtchn_port_t port, void *arg)
{
	struct netfront *nf = arg;
	int more;

	(void)port;
	if (nf->in_event)
		return;
	nf->in_event = true;
	do {
		netfront_tx_reap(nf);
		netfront_rx_poll(nf);
		if (nf->broken)
			break;
		RING_FINAL_CHECK_FOR_RESPONSES(&nf->rx, more);
	} while (more);
	nf->in_event = false;
	if (!nf->broken)
		netfront_flush(nf);
}
