/*
 * netback: a guest NIC served on a host TAP. The rings, requests, grants and xenstore keys are
 * the guest's to scribble on concurrently, so each request is copied once and then validated,
 * every frame byte goes through the grant layer, and a refusal is counted, never trusted.
 */
#include "dev/netback.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "util/log.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "xen/xenstore.h"

/* xen/io/ring.h's barriers: the guest runs on another CPU while mica works on its rings. */
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>
#include <xen/io/xs_wire.h>

#define NETBACK_ETH_HLEN 14
#define NETBACK_FRAME_MAX XEN_NETIF_MAX_TX_SIZE
/* A frame's slots as the frontend may queue them: data slots and the extra-info slots between. */
#define NETBACK_TX_SLOTS (XEN_NETIF_NR_SLOTS_MIN + XEN_NETIF_EXTRA_TYPE_MAX)
#define NETBACK_RX_SLOTS ((NETBACK_FRAME_MAX + MICA_PAGE_SIZE - 1) / MICA_PAGE_SIZE)
/* Work per call (tx slots, rx frames read): one busy NIC cannot keep the monitor from the rest. */
#define NETBACK_TX_BUDGET 512
#define NETBACK_RX_BATCH 64
/* Notifies in a row that find nothing to do before the NIC is served on a timer instead. */
#define NETBACK_STORM_IDLE 256
#define NETBACK_STORM_DELAY_NS 1000000

struct netback {
	struct guest *g;
	unsigned int idx;
	int fd, timer_fd;
	char fe[48], be[48];        /* the frontend's and the backend's xenstore directories */
	XenbusState be_state;
	bool connected, stopped, throttled, timer_armed, tap_polled, fe_sg;
	bool tap_gone;              /* the TAP reported an error (deleted): never polled again */
	uint32_t logged;            /* refusal classes and handshake failures already logged */
	uint32_t idle;              /* notifies in a row that found nothing to do */

	struct gnttab_mapping tx_map, rx_map;
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
	uint32_t tx_port, rx_port;  /* the same port unless the frontend split them */

	/* The frame being gathered: private copies of its slots, taken off the ring once each. */
	netif_tx_request_t txq[NETBACK_TX_SLOTS];
	bool txq_extra[NETBACK_TX_SLOTS];
	unsigned int txq_n, txq_data, txq_extras;
	bool want_extra, want_data;
	bool tx_skip;               /* answering the rest of a chain that had too many slots */

	uint32_t rx_len;            /* a frame read from the TAP and waiting for rx slots, or 0 */
	struct netback_stats st;
	uint8_t tx_buf[NETBACK_FRAME_MAX];
	uint8_t rx_buf[NETBACK_FRAME_MAX + 1]; /* a byte more: a longer frame reads as too long, not cut */
};

#define NETBACK_LOGGED_HANDSHAKE (1u << NETBACK_NR_REFUSALS)

static void netback_refuse(struct netback *nb, enum netback_refusal why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void netback_refuse(struct netback *nb, enum netback_refusal why, const char *fmt, ...)
{
	nb->st.refused[why]++;
	if (nb->logged & (1u << why))
		return;
	nb->logged |= 1u << why;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("vif%u: %s; refused (counted in --stats, not logged again)", nb->idx, msg);
}

static void netback_notify(struct guest *g, uint32_t port);

static void netback_raise(struct netback *nb, uint32_t port)
{
	evtchn_raise_bound(nb->g, port, netback_notify, nb);
}

static void netback_poll_tap(struct netback *nb, bool on)
{
	on &= !nb->tap_gone;
	if (on != nb->tap_polled)
		guest_fd_events(nb->g, nb->fd, on ? POLLIN : 0);
	nb->tap_polled = on;
}

/* Runs the NIC again after ns (0: at the loop's next turn), unless a run is already due. */
static void netback_kick(struct netback *nb, uint64_t ns)
{
	if (nb->timer_armed)
		return;
	struct itimerspec its = {.it_value = {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)}};
	if (ns == 0)
		its.it_value.tv_nsec = 1; /* 0 would disarm it */
	if (timerfd_settime(nb->timer_fd, 0, &its, NULL) == 0)
		nb->timer_armed = true;
}

/* Indices no frontend can make: nothing on this ring can be trusted any more, but mica goes on. */
static void netback_stop_ring(struct netback *nb, const char *ring, RING_IDX prod, RING_IDX done)
{
	nb->stopped = true;
	nb->st.refused[NETBACK_REFUSED_RING]++;
	netback_poll_tap(nb, false);
	if (nb->logged & (1u << NETBACK_REFUSED_RING))
		return;
	nb->logged |= 1u << NETBACK_REFUSED_RING;
	log_error("vif%u: %s ring indices are corrupt (requests up to %u, %u answered, ring of %u); NIC stopped",
		  nb->idx, ring, prod, done, (unsigned int)RING_SIZE(&nb->tx));
}

/* ------------------------------------------------------------------------------------- tx */

static uint16_t netback_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t netback_sum(uint32_t sum, const uint8_t *p, uint32_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/*
 * NETTXF_csum_blank: the frontend left the TCP or UDP checksum to the backend. mica computes all
 * of it, ignoring what the field holds (Linux leaves the pseudo-header's sum there, others 0), for
 * IPv4 (unfragmented) and IPv6 without extension headers; any other frame goes out as it is.
 */
static void netback_csum_fill(uint8_t *f, uint32_t len)
{
	const uint32_t l3 = NETBACK_ETH_HLEN;
	uint32_t l4, l4len, sum, at;
	uint8_t proto;
	if (len < l3)
		return;
	uint16_t type = netback_be16(f + 12);
	if (type == 0x0800) {
		if (len < l3 + 20 || f[l3] >> 4 != 4)
			return;
		uint32_t ihl = (f[l3] & 15u) * 4, total = netback_be16(f + l3 + 2);
		if (ihl < 20 || total < ihl || l3 + total > len || (netback_be16(f + l3 + 6) & 0x3fff))
			return;
		proto = f[l3 + 9];
		l4 = l3 + ihl;
		l4len = total - ihl;
		sum = netback_sum(0, f + l3 + 12, 8);
	} else if (type == 0x86dd) {
		if (len < l3 + 40 || f[l3] >> 4 != 6)
			return;
		proto = f[l3 + 6];
		l4 = l3 + 40;
		l4len = netback_be16(f + l3 + 4);
		if (l4 + l4len > len)
			return;
		sum = netback_sum(0, f + l3 + 8, 32);
	} else {
		return;
	}
	if (proto == 6 && l4len >= 20)
		at = l4 + 16;
	else if (proto == 17 && l4len >= 8)
		at = l4 + 6;
	else
		return;
	f[at] = f[at + 1] = 0;
	sum = netback_sum(sum + proto + l4len, f + l4, l4len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t c = (uint16_t)~sum;
	if (proto == 17 && c == 0)
		c = 0xffff; /* UDP: 0 would mean "no checksum" */
	f[at] = (uint8_t)(c >> 8);
	f[at + 1] = (uint8_t)c;
}

/* Answers every queued slot in its own ring slot: extra-info slots NETIF_RSP_NULL, data slots status. */
static void netback_tx_respond(struct netback *nb, int16_t status)
{
	for (unsigned int i = 0; i < nb->txq_n; i++) {
		netif_tx_response_t *rsp = RING_GET_RESPONSE(&nb->tx, nb->tx.rsp_prod_pvt);
		*rsp = nb->txq_extra[i] ? (netif_tx_response_t){.id = 0, .status = NETIF_RSP_NULL}
					: (netif_tx_response_t){.id = nb->txq[i].id, .status = status};
		nb->tx.rsp_prod_pvt++;
	}
	nb->txq_n = nb->txq_data = nb->txq_extras = 0;
}

/* Validates the queued frame's private copies; false (refusal counted) when it must be refused. */
static bool netback_tx_valid(struct netback *nb)
{
	uint32_t total = nb->txq[0].size, rest = 0;
	uint64_t seen[256 / 64] = {0};
	for (unsigned int i = 0; i < nb->txq_n; i++) {
		const netif_tx_request_t *r = &nb->txq[i];
		if (nb->txq_extra[i]) {
			netif_extra_info_t x;
			memcpy(&x, r, sizeof(x));
			if (x.type == XEN_NETIF_EXTRA_TYPE_NONE || x.type >= XEN_NETIF_EXTRA_TYPE_MAX) {
				netback_refuse(nb, NETBACK_REFUSED_EXTRA, "tx extra-info slot of unknown type %u", x.type);
				return false;
			}
			continue;
		}
		if (r->id >= RING_SIZE(&nb->tx) || (seen[r->id / 64] >> (r->id % 64) & 1)) {
			netback_refuse(nb, NETBACK_REFUSED_ID, "tx request id %u %s", r->id,
				       r->id >= RING_SIZE(&nb->tx) ? "beyond the ring" : "used twice in one frame");
			return false;
		}
		seen[r->id / 64] |= 1ULL << (r->id % 64);
		if (i > 0 && r->size == 0) {
			netback_refuse(nb, NETBACK_REFUSED_SIZE, "tx slot of 0 bytes");
			return false;
		}
		if (i > 0)
			rest += r->size;
	}
	if (total < rest || total < NETBACK_ETH_HLEN) {
		netback_refuse(nb, NETBACK_REFUSED_SIZE, "tx frame of %u bytes, %s", total,
			       total < rest ? "less than its slots hold" : "shorter than an Ethernet header");
		return false;
	}
	for (unsigned int i = 0; i < nb->txq_n; i++) {
		const netif_tx_request_t *r = &nb->txq[i];
		uint32_t len = i == 0 ? total - rest : r->size;
		if (!nb->txq_extra[i] && (uint32_t)r->offset + len > MICA_PAGE_SIZE) {
			netback_refuse(nb, NETBACK_REFUSED_OFFSET, "tx slot of %u bytes at offset %u crosses its page",
				       len, r->offset);
			return false;
		}
	}
	return true;
}

/* The queued frame is whole: gathers it through the grants and hands it to the TAP. */
static void netback_tx_frame(struct netback *nb)
{
	int16_t status = NETIF_RSP_ERROR;
	uint32_t total = nb->txq[0].size, at = 0;
	bool ok = netback_tx_valid(nb);
	if (ok) {
		uint32_t rest = 0;
		for (unsigned int i = 1; i < nb->txq_n; i++)
			rest += nb->txq_extra[i] ? 0 : nb->txq[i].size;
		for (unsigned int i = 0; i < nb->txq_n && ok; i++) {
			const netif_tx_request_t *r = &nb->txq[i];
			if (nb->txq_extra[i])
				continue;
			uint32_t len = i == 0 ? total - rest : r->size;
			if (gnttab_copy_from_guest(nb->g, r->gref, r->offset, nb->tx_buf + at, len) != 0) {
				netback_refuse(nb, NETBACK_REFUSED_GRANT, "tx grant reference %u is not readable by domain 0",
					       r->gref);
				ok = false;
			}
			at += len;
		}
	}
	if (ok) {
		if (nb->txq[0].flags & NETTXF_csum_blank)
			netback_csum_fill(nb->tx_buf, total);
		if (write(nb->fd, nb->tx_buf, total) == (ssize_t)total) {
			nb->st.tx_frames++;
			nb->st.tx_bytes += total;
			status = NETIF_RSP_OKAY;
		} else {
			nb->st.tx_dropped++; /* the TAP is full or down: a full NIC queue drops too */
			status = NETIF_RSP_DROPPED;
		}
	}
	netback_tx_respond(nb, status);
}

/* Takes one request, already copied off the ring, into the frame being gathered. */
static void netback_tx_slot(struct netback *nb, const netif_tx_request_t *req)
{
	if (nb->tx_skip) {
		nb->txq[0] = *req;
		nb->txq_extra[0] = false;
		nb->txq_n = 1;
		nb->tx_skip = (req->flags & NETTXF_more_data) != 0;
		netback_tx_respond(nb, NETIF_RSP_ERROR);
		return;
	}
	unsigned int i = nb->txq_n++;
	bool extra = i > 0 && nb->want_extra;
	nb->txq[i] = *req;
	nb->txq_extra[i] = extra;
	if (i == 0) {
		nb->want_extra = (req->flags & NETTXF_extra_info) != 0;
		nb->want_data = (req->flags & NETTXF_more_data) != 0;
	} else if (extra) {
		netif_extra_info_t x;
		memcpy(&x, req, sizeof(x));
		nb->want_extra = (x.flags & XEN_NETIF_EXTRA_FLAG_MORE) != 0;
		nb->txq_extras++;
	} else {
		nb->want_data = (req->flags & NETTXF_more_data) != 0;
		nb->txq_data++;
	}
	if (nb->txq_data + 1 > XEN_NETIF_NR_SLOTS_MIN || nb->txq_extras >= XEN_NETIF_EXTRA_TYPE_MAX) {
		netback_refuse(nb, NETBACK_REFUSED_SLOTS, "tx frame of more than %u slots", XEN_NETIF_NR_SLOTS_MIN);
		nb->tx_skip = nb->want_data;
		netback_tx_respond(nb, NETIF_RSP_ERROR);
		return;
	}
	if (!nb->want_extra && !nb->want_data)
		netback_tx_frame(nb);
}

/* Serves the tx ring; true if it found requests. */
static bool netback_tx(struct netback *nb)
{
	unsigned int budget = NETBACK_TX_BUDGET;
	bool work = false, notify = false, more;
	if (!nb->connected || nb->stopped)
		return false;
	do {
		RING_IDX prod = __atomic_load_n(&nb->tx.sring->req_prod, __ATOMIC_ACQUIRE);
		if (RING_REQUEST_PROD_OVERFLOW(&nb->tx, prod)) {
			netback_stop_ring(nb, "tx", prod, nb->tx.rsp_prod_pvt);
			break;
		}
		while (nb->tx.req_cons != prod && budget) {
			netif_tx_request_t req;
			RING_COPY_REQUEST(&nb->tx, nb->tx.req_cons, &req);
			nb->tx.req_cons++;
			budget--;
			work = true;
			netback_tx_slot(nb, &req);
		}
		bool n;
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&nb->tx, n);
		notify |= n;
		if (!budget) {
			netback_kick(nb, 0);
			break;
		}
		RING_FINAL_CHECK_FOR_REQUESTS(&nb->tx, more);
	} while (more);
	if (notify)
		netback_raise(nb, nb->tx_port);
	return work;
}

/* ------------------------------------------------------------------------------------- rx */

/* Rx requests posted and not yet used; false (the NIC stopped) for indices no frontend makes. */
static bool netback_rx_avail(struct netback *nb, RING_IDX *avail)
{
	RING_IDX prod = __atomic_load_n(&nb->rx.sring->req_prod, __ATOMIC_ACQUIRE);
	if (RING_REQUEST_PROD_OVERFLOW(&nb->rx, prod)) {
		netback_stop_ring(nb, "rx", prod, nb->rx.rsp_prod_pvt);
		return false;
	}
	*avail = prod - nb->rx.req_cons;
	return true;
}

static unsigned int netback_rx_slots(uint32_t len)
{
	return (len + MICA_PAGE_SIZE - 1) / MICA_PAGE_SIZE;
}

/* The bytes of the waiting frame that go in its slot i. */
static uint32_t netback_rx_chunk(const struct netback *nb, unsigned int i)
{
	uint32_t left = nb->rx_len - i * MICA_PAGE_SIZE;
	return left < MICA_PAGE_SIZE ? left : MICA_PAGE_SIZE;
}

/* Copies the waiting frame into the next slots' granted pages (offset 0), answering each slot. */
static void netback_rx_frame(struct netback *nb, unsigned int slots)
{
	netif_rx_request_t req[NETBACK_RX_SLOTS];
	bool ok = true;
	for (unsigned int i = 0; i < slots; i++)
		RING_COPY_REQUEST(&nb->rx, nb->rx.req_cons + i, &req[i]);
	nb->rx.req_cons += slots;
	for (unsigned int i = 0; i < slots && ok; i++) {
		if (req[i].id >= RING_SIZE(&nb->rx)) {
			netback_refuse(nb, NETBACK_REFUSED_ID, "rx request id %u beyond the ring", req[i].id);
			ok = false;
		}
	}
	for (unsigned int i = 0; i < slots && ok; i++) {
		uint32_t len = netback_rx_chunk(nb, i);
		if (gnttab_copy_to_guest(nb->g, req[i].gref, 0, nb->rx_buf + i * MICA_PAGE_SIZE, len) != 0) {
			netback_refuse(nb, NETBACK_REFUSED_GRANT, "rx grant reference %u is not writable by domain 0",
				       req[i].gref);
			ok = false;
		}
	}
	for (unsigned int i = 0; i < slots; i++) {
		uint32_t len = netback_rx_chunk(nb, i);
		netif_rx_response_t *rsp = RING_GET_RESPONSE(&nb->rx, nb->rx.rsp_prod_pvt);
		*rsp = (netif_rx_response_t){.id = req[i].id, .offset = 0,
					     .flags = i + 1 < slots ? NETRXF_more_data : 0,
					     .status = ok ? (int16_t)len : NETIF_RSP_ERROR};
		nb->rx.rsp_prod_pvt++;
	}
	if (ok) {
		nb->st.rx_frames++;
		nb->st.rx_bytes += nb->rx_len;
	} else {
		nb->st.rx_dropped++;
	}
	nb->rx_len = 0;
}

/*
 * Moves frames from the TAP into posted rx slots, a batch at a time, then polls the TAP only if a
 * frame could go somewhere: else it asks the frontend (req_event) to notify its next requests.
 * True if it delivered a frame or started polling the TAP again.
 */
static bool netback_rx(struct netback *nb)
{
	bool work = false, was_polled = nb->tap_polled;
	unsigned int frames = 0;
	RING_IDX avail;
	if (!nb->connected || nb->stopped)
		return false;
	for (;;) {
		if (!netback_rx_avail(nb, &avail))
			return work;
		if (nb->rx_len == 0) {
			if (avail == 0 || frames == NETBACK_RX_BATCH)
				break;
			ssize_t n = read(nb->fd, nb->rx_buf, sizeof(nb->rx_buf));
			if (n <= 0)
				break;
			frames++; /* frames dropped below count too: a flood of them ends the turn as well */
			if (n > NETBACK_FRAME_MAX) {
				nb->st.rx_dropped++;
				continue;
			}
			nb->rx_len = (uint32_t)n;
		}
		unsigned int slots = netback_rx_slots(nb->rx_len);
		if (slots > 1 && !nb->fe_sg) {
			nb->st.rx_dropped++; /* a frame over a page and a frontend without feature-sg */
			nb->rx_len = 0;
			continue;
		}
		if (avail < slots) {
			/* Ask for a notify once enough are posted, then look again: they may be already. */
			nb->rx.sring->req_event = nb->rx.req_cons + slots;
			xen_mb();
			if (!netback_rx_avail(nb, &avail))
				return work;
			if (avail < slots)
				break;
		}
		netback_rx_frame(nb, slots);
		work = true;
	}
	bool notify;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&nb->rx, notify);
	if (notify)
		netback_raise(nb, nb->rx_port);
	if (nb->rx_len == 0 && avail == 0) {
		nb->rx.sring->req_event = nb->rx.req_cons + 1;
		xen_mb();
		if (!netback_rx_avail(nb, &avail))
			return work;
	}
	netback_poll_tap(nb, nb->rx_len == 0 && avail > 0);
	return work || (nb->tap_polled && !was_polled);
}

/* ------------------------------------------------------------------------------ events */

/* Storm control: a frontend that keeps notifying for nothing gets served once per ms instead. */
static void netback_account(struct netback *nb, bool work)
{
	if (work) {
		nb->idle = 0;
		return;
	}
	if (++nb->idle < NETBACK_STORM_IDLE)
		return;
	nb->throttled = true;
	netback_refuse(nb, NETBACK_REFUSED_STORM,
		       "%u notifies in a row found nothing to do (an event storm); serving the NIC once per ms until "
		       "one does",
		       NETBACK_STORM_IDLE);
}

static void netback_notify(struct guest *g, uint32_t port)
{
	struct netback *nb = g->ports[port].backend_arg;
	if (nb->throttled) {
		nb->st.refused[NETBACK_REFUSED_STORM]++;
		netback_kick(nb, NETBACK_STORM_DELAY_NS);
		return;
	}
	bool work = false;
	if (port == nb->tx_port)
		work |= netback_tx(nb);
	if (port == nb->rx_port)
		work |= netback_rx(nb);
	netback_account(nb, work);
}

static void netback_tap_ready(struct guest *g, short revents, void *arg)
{
	struct netback *nb = arg;
	(void)g;
	if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
		/* A TAP deleted under mica stays readable-with-error: polling it again would spin. */
		netback_poll_tap(nb, false);
		nb->tap_gone = true;
		log_error("vif%u: the TAP device reported an error (deleted?); the NIC receives nothing more", nb->idx);
		return;
	}
	netback_rx(nb);
}

static void netback_timer(struct guest *g, short revents, void *arg)
{
	struct netback *nb = arg;
	uint64_t expirations;
	(void)g;
	(void)revents;
	if (read(nb->timer_fd, &expirations, sizeof(expirations)) < 0 && errno == EAGAIN)
		return;
	nb->timer_armed = false;
	bool work = netback_tx(nb);
	work |= netback_rx(nb);
	if (work) {
		nb->throttled = false;
		nb->idle = 0;
	}
}

/* ---------------------------------------------------------------------------- handshake */

static int netback_write(struct netback *nb, const char *dir, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int netback_write(struct netback *nb, const char *dir, const char *key, const char *fmt, ...)
{
	char path[128], value[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xenstore_write(nb->g, path, value);
}

static void netback_set_state(struct netback *nb, XenbusState s)
{
	if (nb->be_state == s)
		return;
	nb->be_state = s;
	netback_write(nb, nb->be, "state", "%d", (int)s);
}

/* A decimal frontend key no larger than max: plain digits only, as the frontend is hostile. */
static int netback_read_uint(struct netback *nb, const char *key, unsigned long max, unsigned long *v)
{
	char path[128], buf[16], *end;
	snprintf(path, sizeof(path), "%s/%s", nb->fe, key);
	if (xenstore_read(nb->g, path, buf, sizeof(buf)) <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	errno = 0;
	*v = strtoul(buf, &end, 10);
	return *end != '\0' || errno != 0 || *v > max ? -1 : 0;
}

/* Whether the frontend wrote key at all, whatever its value (any value fits in buf). */
static bool netback_key_exists(struct netback *nb, const char *key)
{
	char path[128], buf[XENSTORE_PAYLOAD_MAX + 1];
	snprintf(path, sizeof(path), "%s/%s", nb->fe, key);
	return xenstore_read(nb->g, path, buf, sizeof(buf)) >= 0;
}

static void netback_disconnect(struct netback *nb)
{
	evtchn_unbind_guest(nb->g, nb->tx_port, netback_notify, nb);
	evtchn_unbind_guest(nb->g, nb->rx_port, netback_notify, nb);
	gnttab_unmap(&nb->tx_map);
	gnttab_unmap(&nb->rx_map);
	netback_poll_tap(nb, false);
	nb->tx_port = nb->rx_port = 0;
	nb->connected = nb->stopped = nb->throttled = false;
	nb->txq_n = nb->txq_data = nb->txq_extras = 0;
	nb->tx_skip = false;
	nb->rx_len = 0;
	nb->idle = 0;
}

/* The handshake failed: one line (per NIC), the reason in the backend's error key, state Closing. */
static void netback_fail(struct netback *nb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void netback_fail(struct netback *nb, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	netback_disconnect(nb);
	if (!(nb->logged & NETBACK_LOGGED_HANDSHAKE))
		log_error("vif%u: %s; NIC not connected", nb->idx, msg);
	nb->logged |= NETBACK_LOGGED_HANDSHAKE;
	netback_write(nb, nb->be, "error", "%s", msg);
	netback_set_state(nb, XenbusStateClosing);
}

static void *netback_map_ring(struct netback *nb, const char *key, struct gnttab_mapping *m)
{
	unsigned long ref;
	if (netback_read_uint(nb, key, UINT32_MAX, &ref) != 0) {
		netback_fail(nb, "the frontend gave no valid %s", key);
		return NULL;
	}
	void *page = gnttab_map(nb->g, (grant_ref_t)ref, true, m);
	if (!page)
		netback_fail(nb, "%s %lu is not a page granted read-write to domain 0", key, ref);
	return page;
}

static int netback_bind(struct netback *nb, const char *key, uint32_t *port)
{
	unsigned long p;
	if (netback_read_uint(nb, key, GUEST_MAX_PORTS - 1, &p) != 0 ||
	    evtchn_bind_guest_unbound(nb->g, (uint32_t)p, netback_notify, nb) != 0) {
		netback_fail(nb, "%s is not a port the guest allocated unbound for domain 0", key);
		return -1;
	}
	*port = (uint32_t)p;
	return 0;
}

static void netback_connect(struct netback *nb)
{
	unsigned long rx_copy = 0, sg = 0;
	if (netback_read_uint(nb, "request-rx-copy", 1, &rx_copy) != 0 || rx_copy != 1) {
		netback_fail(nb, "the frontend did not set request-rx-copy = 1 (mica only copies, it never flips pages)");
		return;
	}
	nb->fe_sg = netback_read_uint(nb, "feature-sg", 1, &sg) == 0 && sg == 1;
	netif_tx_sring_t *tx = netback_map_ring(nb, "tx-ring-ref", &nb->tx_map);
	if (!tx)
		return;
	netif_rx_sring_t *rx = netback_map_ring(nb, "rx-ring-ref", &nb->rx_map);
	if (!rx)
		return;
	if (netback_key_exists(nb, "event-channel-tx")) {
		if (netback_bind(nb, "event-channel-tx", &nb->tx_port) != 0 ||
		    netback_bind(nb, "event-channel-rx", &nb->rx_port) != 0)
			return;
	} else {
		if (netback_bind(nb, "event-channel", &nb->tx_port) != 0)
			return;
		nb->rx_port = nb->tx_port;
	}
	BACK_RING_INIT(&nb->tx, tx, MICA_PAGE_SIZE);
	BACK_RING_INIT(&nb->rx, rx, MICA_PAGE_SIZE);
	nb->connected = true;
	netback_set_state(nb, XenbusStateConnected);
	netback_tx(nb);
	netback_rx(nb);
}

/* The frontend's state node changed (a change hook, once the guest's request is complete). */
static void netback_frontend_changed(struct guest *g, const char *path, void *arg)
{
	struct netback *nb = arg;
	char buf[8];
	if (xenstore_read(g, path, buf, sizeof(buf)) != 1)
		return;
	switch (buf[0] - '0') {
	case XenbusStateConnected:
		if (!nb->connected)
			netback_connect(nb);
		break;
	case XenbusStateClosing:
	case XenbusStateClosed:
		netback_disconnect(nb);
		netback_set_state(nb, XenbusStateClosed);
		break;
	case XenbusStateInitialising:
		if (!nb->connected)
			netback_set_state(nb, XenbusStateInitWait); /* a frontend starting over */
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------------------ lifetime */

/* The keys of docs/abi.md §12, written before the guest runs: it finds them on its first read. */
static int netback_publish(struct netback *nb, const struct run_nic *nic)
{
	char mac[18], handle[12], fe_id[8], be_id[8], state[64];
	const uint8_t *m = nic->mac;
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	snprintf(handle, sizeof(handle), "%u", nb->idx);
	snprintf(fe_id, sizeof(fe_id), "%u", MICA_DOMID_GUEST);
	snprintf(be_id, sizeof(be_id), "%u", MICA_DOMID_BACKEND);
	/* Empty values (no ip, no gateway) are not written. State last in each directory. */
	const char *const keys[][3] = {
		{nb->fe, "backend", nb->be},
		{nb->fe, "backend-id", be_id},
		{nb->fe, "handle", handle},
		{nb->fe, "mac", mac},
		{nb->fe, "ip", nic->ip},
		{nb->fe, "gateway", nic->gw},
		{nb->fe, "state", "1"},
		{nb->be, "frontend", nb->fe},
		{nb->be, "frontend-id", fe_id},
		{nb->be, "handle", handle},
		{nb->be, "mac", mac},
		{nb->be, "feature-rx-copy", "1"},
		{nb->be, "feature-rx-flip", "0"},
		{nb->be, "feature-sg", "1"},
		{nb->be, "feature-split-event-channels", "1"},
		{nb->be, "mtu", "1500"},
		{nb->be, "state", "2"},
	};
	_Static_assert(XenbusStateInitialising == 1 && XenbusStateInitWait == 2, "the states written above");
	int rc = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i][2][0])
			rc |= netback_write(nb, keys[i][0], keys[i][1], "%s", keys[i][2]);
	nb->be_state = XenbusStateInitWait;
	snprintf(state, sizeof(state), "%s/state", nb->fe);
	return rc | xenstore_on_change(nb->g, state, netback_frontend_changed, nb);
}

struct netback *netback_create(struct guest *g, unsigned int idx, int fd, const struct run_nic *nic)
{
	if (g->nnics == GUEST_MAX_NICS || g->nfds + 2 > GUEST_MAX_HOST_FDS) {
		log_error("vif%u: no room for another NIC", idx);
		return NULL;
	}
	struct netback *nb = calloc(1, sizeof(*nb));
	if (!nb) {
		log_error("vif%u: out of memory", idx);
		return NULL;
	}
	nb->g = g;
	nb->idx = idx;
	nb->fd = fd;
	snprintf(nb->fe, sizeof(nb->fe), "/local/domain/%u/device/vif/%u", MICA_DOMID_GUEST, idx);
	snprintf(nb->be, sizeof(nb->be), "/local/domain/%u/backend/vif/%u/%u", MICA_DOMID_BACKEND,
		 MICA_DOMID_GUEST, idx);
	nb->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (nb->timer_fd < 0) {
		log_error("vif%u: cannot create its timer (%s)", idx, strerror(errno));
		free(nb);
		return NULL;
	}
	guest_fd_add(g, fd, 0, netback_tap_ready, nb);
	guest_fd_add(g, nb->timer_fd, POLLIN, netback_timer, nb);
	g->nics[g->nnics++] = nb;
	if (netback_publish(nb, nic) != 0) {
		log_error("vif%u: cannot publish its xenstore keys", idx);
		return NULL; /* g keeps it: netback_stop frees it */
	}
	return nb;
}

int netback_start(struct guest *g, const struct run_config *cfg)
{
	for (int i = 0; i < cfg->nnics; i++)
		if (!netback_create(g, (unsigned int)i, cfg->nics[i].fd, &cfg->nics[i]))
			return -1;
	return 0;
}

void netback_destroy(struct netback *nb)
{
	netback_disconnect(nb);
	guest_fd_remove(nb->g, nb->fd);
	guest_fd_remove(nb->g, nb->timer_fd);
	close(nb->timer_fd);
	free(nb);
}

void netback_get_stats(const struct netback *nb, struct netback_stats *st)
{
	*st = nb->st;
	st->connected = nb->connected;
	st->stopped = nb->stopped;
	st->throttled = nb->throttled;
	st->tap_polled = nb->tap_polled;
}

static void netback_print_stats(const struct netback *nb)
{
	static const char *const names[NETBACK_NR_REFUSALS] = {"grant", "offset", "size", "slots",
								 "id",    "extra",  "ring", "storm"};
	const struct netback_stats *s = &nb->st;
	char refused[256] = "none";
	size_t at = 0;
	for (int i = 0; i < NETBACK_NR_REFUSALS; i++)
		if (s->refused[i] && at < sizeof(refused))
			at += (size_t)snprintf(refused + at, sizeof(refused) - at, "%s%s %llu", at ? ", " : "", names[i],
					       (unsigned long long)s->refused[i]);
	fprintf(stderr,
		"stats: vif%u: tx %llu frames (%llu bytes), %llu dropped; rx %llu frames (%llu bytes), %llu dropped; "
		"refused: %s\n",
		nb->idx, (unsigned long long)s->tx_frames, (unsigned long long)s->tx_bytes,
		(unsigned long long)s->tx_dropped, (unsigned long long)s->rx_frames, (unsigned long long)s->rx_bytes,
		(unsigned long long)s->rx_dropped, refused);
}

void netback_stop(struct guest *g, bool stats)
{
	for (unsigned int i = 0; i < g->nnics; i++) {
		if (stats)
			netback_print_stats(g->nics[i]);
		netback_destroy(g->nics[i]);
		g->nics[i] = NULL;
	}
	g->nnics = 0;
}
