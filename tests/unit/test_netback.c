/* unit-sources: runtime/dev/netback.c runtime/vm/guest.c runtime/xen/evtchn.c runtime/xen/xenstore.c runtime/xen/xenstore_tree.c runtime/xen/gnttab.c runtime/xen/hvm.c runtime/xen/console.c runtime/xen/hypercall.c runtime/xen/pvclock.c runtime/util/log.c */
/* unit-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/*
 * Unit tests of netback: a fake guest (RAM, a grant table, event channels, the xenstore daemon)
 * drives it as a frontend would, and a SOCK_SEQPACKET socketpair stands in for the TAP.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xen/event_channel.h>
#include <xen/io/xs_wire.h>
#include "dev/netback.h"
#include "vm/guest.h"
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/io/netif.h>
#include "unit.h"

#define RAM (1024 * 1024)
#define RING_GADDR(nic, rx) (MICA_RAM_BASE + 0x10000 + (uint64_t)((nic) * 2 + (rx)) * PAGE)
#define BUF_GADDR(i) (MICA_RAM_BASE + 0x20000 + (uint64_t)(i) * PAGE)
#define REF_RING(nic, rx) (1 + (nic) * 2 + (rx))
#define REF_BUF(i) (100 + (i)) /* buffers 0..63 */
#define FE "/local/domain/1/device/vif/"
#define BE "/local/domain/0/backend/vif/1/"
#include "fake_guest.h"

/* One NIC as its frontend sees it. */
struct fe {
	struct netback *nb;
	int peer;                /* the host's end of the "TAP" */
	int fd;
	netif_tx_front_ring_t tx;
	netif_rx_front_ring_t rx;
	uint32_t port;
};
static struct fe nic[2];

static struct netback_stats stats(unsigned int n)
{
	struct netback_stats st;
	netback_get_stats(nic[n].nb, &st);
	return st;
}

/* A NIC created as `mica run --net` does, its rings granted and initialised, not yet connected. */
static void add_nic(unsigned int n)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) != 0)
		abort();
	struct fe *f = &nic[n];
	f->fd = sv[0];
	f->peer = sv[1];
	struct run_nic cfg = {.mac = {0x02, 0, 0, 0, 0, (uint8_t)n}, .ip = "10.0.0.2/24", .gw = "10.0.0.1"};
	f->nb = netback_create(&g, n, f->fd, &cfg);
	if (!f->nb)
		abort();
	netif_tx_sring_t *txs = gp(RING_GADDR(n, 0));
	netif_rx_sring_t *rxs = gp(RING_GADDR(n, 1));
	SHARED_RING_INIT(txs);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&f->tx, txs, PAGE);
	FRONT_RING_INIT(&f->rx, rxs, PAGE);
	grant(REF_RING(n, 0), RING_GADDR(n, 0), GTF_permit_access);
	grant(REF_RING(n, 1), RING_GADDR(n, 1), GTF_permit_access);
	f->port = alloc_unbound();
}

/* The frontend's half of the handshake: its keys, then Connected. */
static void connect_nic(unsigned int n)
{
	char v[16];
	snprintf(v, sizeof(v), "%d", REF_RING(n, 0));
	fe_write(n, "tx-ring-ref", v);
	snprintf(v, sizeof(v), "%d", REF_RING(n, 1));
	fe_write(n, "rx-ring-ref", v);
	snprintf(v, sizeof(v), "%u", nic[n].port);
	fe_write(n, "event-channel", v);
	fe_write(n, "request-rx-copy", "1");
	fe_write(n, "feature-sg", "1");
	fe_write(n, "feature-rx-notify", "1");
	fe_write(n, "state", "4");
}

/* A guest with its grant table and store, and no NIC yet. */
static void fresh_bare(void)
{
	netback_stop(&g, false);
	xenstore_destroy(&g);
	for (int i = 0; i < 2; i++) {
		if (nic[i].peer > 0) {
			close(nic[i].peer);
			close(nic[i].fd);
		}
		memset(&nic[i], 0, sizeof(nic[i]));
	}
	fake_guest_reset();
}

/* The same with NIC 0 connected. */
static void fresh(void)
{
	fresh_bare();
	add_nic(0);
	connect_nic(0);
}

/* ---------------------------------------------------------------------------------- tx */

/* Puts request r on NIC n's tx ring (not yet pushed). */
static void tx_put(unsigned int n, netif_tx_request_t r)
{
	*RING_GET_REQUEST(&nic[n].tx, nic[n].tx.req_prod_pvt) = r;
	nic[n].tx.req_prod_pvt++;
}

static void tx_push(unsigned int n)
{
	RING_PUSH_REQUESTS(&nic[n].tx);
	notify(nic[n].port);
}

/* The next tx response; status 99 when there is none. */
static netif_tx_response_t tx_rsp(unsigned int n)
{
	netif_tx_front_ring_t *r = &nic[n].tx;
	if (r->rsp_cons == r->sring->rsp_prod)
		return (netif_tx_response_t){.id = 0xffff, .status = 99};
	return *RING_GET_RESPONSE(r, r->rsp_cons++);
}

/* Fills buffer page i with len bytes of a pattern seeded by seed, granted read-only. */
static uint8_t *tx_buf(unsigned int i, uint8_t seed)
{
	uint8_t *p = gp(BUF_GADDR(i));
	for (int j = 0; j < PAGE; j++)
		p[j] = (uint8_t)(seed + j * 7);
	grant(REF_BUF(i), BUF_GADDR(i), GTF_permit_access | GTF_readonly);
	return p;
}

static ssize_t peer_recv(unsigned int n, uint8_t *buf, size_t len)
{
	return recv(nic[n].peer, buf, len, 0);
}

static uint8_t frame[70000];

static void test_keys(void)
{
	fresh_bare();
	add_nic(0);
	unit_check(strcmp(store_read(FE "0/backend"), BE "0") == 0 && strcmp(store_read(FE "0/backend-id"), "0") == 0 &&
			   strcmp(store_read(FE "0/mac"), "02:00:00:00:00:00") == 0 &&
			   strcmp(store_read(FE "0/ip"), "10.0.0.2/24") == 0 &&
			   strcmp(store_read(FE "0/gateway"), "10.0.0.1") == 0 && strcmp(store_read(FE "0/state"), "1") == 0,
		   "frontend keys: backend, backend-id, mac, ip, gateway, state 1", "mac %s state %s",
		   store_read(FE "0/mac"), store_read(FE "0/state"));
	unit_check(strcmp(store_read(BE "0/state"), "2") == 0 && strcmp(store_read(BE "0/feature-rx-copy"), "1") == 0 &&
			   strcmp(store_read(BE "0/feature-rx-flip"), "0") == 0 &&
			   strcmp(store_read(BE "0/feature-sg"), "1") == 0 &&
			   strcmp(store_read(BE "0/feature-split-event-channels"), "1") == 0 &&
			   strcmp(store_read(BE "0/mtu"), "1500") == 0 &&
			   strcmp(store_read(BE "0/frontend"), FE "0") == 0 &&
			   strcmp(store_read(BE "0/frontend-id"), "1") == 0,
		   "backend keys: features, mtu, frontend, state 2 (InitWait)", "state %s", store_read(BE "0/state"));
	connect_nic(0);
	unit_check(strcmp(store_read(BE "0/state"), "4") == 0 && stats(0).connected,
		   "the frontend's state 4 connects it at once: backend state 4", "state %s", store_read(BE "0/state"));
	unit_check((grant_flags(REF_RING(0, 0)) & (GTF_reading | GTF_writing)) == (GTF_reading | GTF_writing),
		   "both ring pages stay mapped (held) while connected", "flags %#x", grant_flags(REF_RING(0, 0)));
	netback_stop(&g, false);
	unit_check((grant_flags(REF_RING(0, 0)) & (GTF_reading | GTF_writing)) == 0 &&
			   (grant_flags(REF_RING(0, 1)) & (GTF_reading | GTF_writing)) == 0 &&
			   g.ports[nic[0].port].state == EVS_UNBOUND && g.nfds == 0,
		   "teardown releases the ring grants, the port and the polled fds", NULL);
	nic[0].nb = NULL;
}

static void test_handshake_errors(void)
{
	fresh_bare();
	add_nic(0);
	char v[16];
	snprintf(v, sizeof(v), "%u", nic[0].port);
	fe_write(0, "tx-ring-ref", "1");
	fe_write(0, "rx-ring-ref", "2");
	fe_write(0, "event-channel", v);
	fe_write(0, "state", "4");
	unit_check(strcmp(store_read(BE "0/state"), "5") == 0 && strstr(store_read(BE "0/error"), "request-rx-copy") &&
			   !stats(0).connected,
		   "no request-rx-copy: backend Closing with an error key", "state %s error %s",
		   store_read(BE "0/state"), store_read(BE "0/error"));
	fe_write(0, "state", "1");
	fe_write(0, "request-rx-copy", "1");
	grant(REF_RING(0, 1), RING_GADDR(0, 1), GTF_permit_access | GTF_readonly);
	fe_write(0, "state", "4");
	unit_check(strcmp(store_read(BE "0/state"), "5") == 0 && strstr(store_read(BE "0/error"), "rx-ring-ref 2") &&
			   (grant_flags(REF_RING(0, 0)) & (GTF_reading | GTF_writing)) == 0,
		   "a read-only ring grant is refused and the other ring released", "error %s",
		   store_read(BE "0/error"));
	grant(REF_RING(0, 1), RING_GADDR(0, 1), GTF_permit_access);
	fe_write(0, "event-channel", "200");
	fe_write(0, "state", "4");
	unit_check(strstr(store_read(BE "0/error"), "event-channel") != NULL && !stats(0).connected,
		   "a port that is not unbound for domain 0 is refused", "error %s", store_read(BE "0/error"));
	fe_write(0, "event-channel", v);
	fe_write(0, "state", "1");
	fe_write(0, "state", "4");
	unit_check(strcmp(store_read(BE "0/state"), "4") == 0 && stats(0).connected,
		   "a frontend starting over connects after a failure", "state %s", store_read(BE "0/state"));
	fe_write(0, "state", "6");
	fe_write(0, "event-channel-tx", "junk");
	fe_write(0, "state", "4");
	unit_check(strstr(store_read(BE "0/error"), "event-channel-tx") != NULL && !stats(0).connected,
		   "an event-channel-tx that is no port is refused, not ignored for event-channel", "error %s",
		   store_read(BE "0/error"));
	fe_write(0, "state", "6");
	unit_check(strcmp(store_read(BE "0/state"), "6") == 0 && !stats(0).connected &&
			   g.ports[nic[0].port].state == EVS_UNBOUND,
		   "frontend Closed: backend Closed, port unbound again", "state %s", store_read(BE "0/state"));
}

/* A request as the guest writes it into the store ring: type, tx_id, then the payload's parts. */
static void xs_put(uint32_t type, uint32_t tx_id, const char *a, const char *b, bool b_nul)
{
	struct xenstore_domain_interface *r = g.store;
	size_t alen = strlen(a) + 1, blen = b ? strlen(b) + b_nul : 0;
	struct xsd_sockmsg h = {type, 1, tx_id, (uint32_t)(alen + blen)};
	char msg[512];
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), a, alen);
	if (b)
		memcpy(msg + sizeof(h) + alen, b, blen);
	for (size_t i = 0; i < sizeof(h) + alen + blen; i++)
		r->req[MASK_XENSTORE_IDX(r->req_prod + i)] = msg[i];
	__atomic_store_n(&r->req_prod, r->req_prod + (uint32_t)(sizeof(h) + alen + blen), __ATOMIC_RELEASE);
}

/* The next response that is not a watch event, its payload NUL-terminated in data. */
static uint32_t xs_get(char *data, size_t len)
{
	struct xenstore_domain_interface *r = g.store;
	for (;;) {
		struct xsd_sockmsg h;
		if (r->rsp_prod - r->rsp_cons < sizeof(h))
			return 0xffff;
		for (size_t i = 0; i < sizeof(h); i++)
			((char *)&h)[i] = r->rsp[MASK_XENSTORE_IDX(r->rsp_cons + i)];
		for (size_t i = 0; i < h.len && i + 1 < len; i++)
			data[i] = r->rsp[MASK_XENSTORE_IDX(r->rsp_cons + sizeof(h) + i)];
		data[h.len < len ? h.len : len - 1] = '\0';
		r->rsp_cons += (uint32_t)sizeof(h) + h.len;
		if (h.type != XS_WATCH_EVENT)
			return h.type;
	}
}

static void test_store_ring_handshake(void)
{
	char data[256];
	fresh_bare();
	add_nic(0);
	char v[16];
	snprintf(v, sizeof(v), "%u", nic[0].port);
	fe_write(0, "tx-ring-ref", "1");
	fe_write(0, "rx-ring-ref", "2");
	fe_write(0, "event-channel", v);
	fe_write(0, "request-rx-copy", "1");
	/* Both requests in the ring before one notify: the read must already see the answer. */
	xs_put(XS_WRITE, 0, "device/vif/0/state", "4", false);
	xs_put(XS_READ, 0, BE "0/state", NULL, false);
	notify(g.store_port);
	uint32_t t1 = xs_get(data, sizeof(data));
	uint32_t t2 = xs_get(data, sizeof(data));
	unit_check(t1 == XS_WRITE && t2 == XS_READ && strcmp(data, "4") == 0,
		   "the guest's XS_WRITE of state 4 connects before its next request is read", "types %u %u read '%s'",
		   t1, t2, data);

	fresh_bare();
	add_nic(0);
	fe_write(0, "tx-ring-ref", "1");
	fe_write(0, "rx-ring-ref", "2");
	fe_write(0, "event-channel", v);
	fe_write(0, "request-rx-copy", "1");
	xs_put(XS_TRANSACTION_START, 0, "", NULL, false);
	notify(g.store_port);
	xs_get(data, sizeof(data));
	uint32_t tx = (uint32_t)strtoul(data, NULL, 10);
	xs_put(XS_WRITE, tx, "device/vif/0/state", "4", false);
	notify(g.store_port);
	xs_get(data, sizeof(data));
	bool before = strcmp(store_read(BE "0/state"), "2") == 0;
	xs_put(XS_TRANSACTION_END, tx, "T", NULL, false);
	notify(g.store_port);
	xs_get(data, sizeof(data));
	unit_check(before && strcmp(store_read(BE "0/state"), "4") == 0,
		   "inside a transaction state 4 waits for the commit, then connects", "before %d state %s", before,
		   store_read(BE "0/state"));
}

static void test_split_channels(void)
{
	fresh_bare();
	add_nic(0);
	uint32_t rxp = alloc_unbound();
	char v[16];
	fe_write(0, "tx-ring-ref", "1");
	fe_write(0, "rx-ring-ref", "2");
	snprintf(v, sizeof(v), "%u", nic[0].port);
	fe_write(0, "event-channel-tx", v);
	snprintf(v, sizeof(v), "%u", rxp);
	fe_write(0, "event-channel-rx", v);
	fe_write(0, "request-rx-copy", "1");
	fe_write(0, "state", "4");
	unit_check(stats(0).connected && g.ports[nic[0].port].state == EVS_BACKEND && g.ports[rxp].state == EVS_BACKEND,
		   "split event channels: both ports bound", NULL);
	tx_buf(0, 1);
	tx_put(0, (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = 0, .id = 3, .size = 60});
	tx_push(0);
	netif_tx_response_t r = tx_rsp(0);
	unit_check(r.id == 3 && r.status == NETIF_RSP_OKAY && (shared.evtchn_pending[0] >> nic[0].port & 1) &&
			   !(shared.evtchn_pending[0] >> rxp & 1),
		   "split: a tx completion raises the tx port only", "status %d", r.status);
}

static void test_tx_good(void)
{
	fresh();
	uint8_t *p = tx_buf(0, 5), got[PAGE * 4];
	tx_put(0, (netif_tx_request_t){.gref = REF_BUF(0), .offset = 100, .flags = 0, .id = 7, .size = 60});
	tx_push(0);
	netif_tx_response_t r = tx_rsp(0);
	ssize_t n = peer_recv(0, got, sizeof(got));
	unit_check(r.id == 7 && r.status == NETIF_RSP_OKAY && n == 60 && memcmp(got, p + 100, 60) == 0,
		   "tx: a one-slot frame reaches the TAP whole and is answered OKAY with its id", "id %u status %d n %zd",
		   r.id, r.status, n);
	unit_check(tx_rsp(0).status == 99 && stats(0).tx_frames == 1 && stats(0).tx_bytes == 60,
		   "tx: one response per request, counted", NULL);

	uint8_t *a = tx_buf(1, 1), *b = tx_buf(2, 2), *c = tx_buf(3, 3);
	tx_put(0, (netif_tx_request_t){.gref = REF_BUF(1), .offset = 4000, .flags = NETTXF_more_data, .id = 1, .size = 5096});
	tx_put(0, (netif_tx_request_t){.gref = REF_BUF(2), .offset = 0, .flags = NETTXF_more_data, .id = 2, .size = 4096});
	tx_put(0, (netif_tx_request_t){.gref = REF_BUF(3), .offset = 10, .flags = 0, .id = 9, .size = 904});
	tx_push(0);
	n = peer_recv(0, got, sizeof(got));
	netif_tx_response_t r1 = tx_rsp(0), r2 = tx_rsp(0), r3 = tx_rsp(0);
	unit_check(n == 5096 && memcmp(got, a + 4000, 96) == 0 && memcmp(got + 96, b, 4096) == 0 &&
			   memcmp(got + 4192, c + 10, 904) == 0,
		   "tx: a three-slot frame is gathered in order (first slot: total size)", "n %zd", n);
	unit_check(r1.id == 1 && r2.id == 2 && r3.id == 9 && r1.status == 0 && r2.status == 0 && r3.status == 0,
		   "tx: every slot of the frame answered OKAY in its own ring slot", NULL);

	/* A GSO extra-info slot after the first: ignored (not advertised), answered NULL. */
	tx_put(0, (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = NETTXF_extra_info, .id = 4, .size = 64});
	netif_extra_info_t x = {.type = XEN_NETIF_EXTRA_TYPE_GSO, .flags = 0};
	netif_tx_request_t xr;
	memset(&xr, 0, sizeof(xr));
	memcpy(&xr, &x, sizeof(x));
	tx_put(0, xr);
	tx_push(0);
	n = peer_recv(0, got, sizeof(got));
	r1 = tx_rsp(0);
	r2 = tx_rsp(0);
	unit_check(n == 64 && r1.id == 4 && r1.status == NETIF_RSP_OKAY && r2.status == NETIF_RSP_NULL,
		   "tx: an extra-info slot is answered NETIF_RSP_NULL and the frame still goes", "n %zd %d %d", n,
		   r1.status, r2.status);
}

static uint16_t csum_check(const uint8_t *f, uint32_t l3, uint32_t l4, uint32_t l4len, uint8_t proto, bool v6)
{
	uint32_t sum = 0;
	const uint8_t *a = f + l3 + (v6 ? 8 : 12);
	for (int i = 0; i < (v6 ? 32 : 8); i += 2)
		sum += (uint32_t)a[i] << 8 | a[i + 1];
	sum += proto + l4len;
	for (uint32_t i = 0; i < l4len; i += 2)
		sum += (uint32_t)f[l4 + i] << 8 | (i + 1 < l4len ? f[l4 + i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* proc's vCPU runs on during device work: a notify only marks the port, and the device runs after the hypercall. */
static void test_deferred_notify(void)
{
	fresh();
	tx_buf(0, 5);
	g.defer_devices = true;
	tx_put(0, (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = 0, .id = 1, .size = 60});
	tx_push(0);
	unit_check(tx_rsp(0).status == 99 && stats(0).tx_frames == 0 &&
			   (g.deferred_ports[nic[0].port / 64] >> (nic[0].port % 64) & 1),
		   "deferred: the notify returns before netback has looked at the ring", NULL);
	evtchn_run_deferred(&g);
	uint8_t got[PAGE];
	netif_tx_response_t r = tx_rsp(0);
	unit_check(r.id == 1 && r.status == NETIF_RSP_OKAY && peer_recv(0, got, sizeof(got)) == 60 &&
			   g.deferred_ports[nic[0].port / 64] == 0,
		   "deferred: evtchn_run_deferred serves the frame once", "id %u status %d", r.id, r.status);

	tx_put(0, (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = 0, .id = 2, .size = 60});
	tx_push(0);
	netback_stop(&g, false);
	evtchn_run_deferred(&g);
	unit_check(g.ports[nic[0].port].state != EVS_BACKEND && g.deferred_ports[nic[0].port / 64] == 0,
		   "deferred: a device gone before its turn is not called", NULL);
}

static void test_tx_csum(void)
{
	fresh();
	uint8_t *p = gp(BUF_GADDR(0)), got[2048];
	memset(p, 0, PAGE);
	/* Ethernet, IPv4 (20), UDP (8) + 21 bytes of payload: an odd length. */
	p[12] = 0x08;
	p[13] = 0x00;
	uint8_t *ip = p + 14;
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = 49;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){10, 0, 0, 2, 10, 0, 0, 1}, 8);
	uint8_t *udp = ip + 20;
	udp[0] = 0x30;
	udp[1] = 0x39;
	udp[2] = 0x00;
	udp[3] = 0x35;
	udp[5] = 29;
	udp[6] = 0xde; /* garbage where the frontend left the checksum blank */
	udp[7] = 0xad;
	for (int i = 0; i < 21; i++)
		udp[8 + i] = (uint8_t)(i * 13 + 1);
	grant(REF_BUF(0), BUF_GADDR(0), GTF_permit_access | GTF_readonly);
	tx_put(0, (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = NETTXF_csum_blank, .id = 1, .size = 14 + 49});
	tx_push(0);
	ssize_t n = peer_recv(0, got, sizeof(got));
	unit_check(n == 63 && csum_check(got, 14, 34, 29, 17, false) == 0xffff && (got[40] | got[41]) != 0,
		   "tx csum_blank: the UDP/IPv4 checksum is computed in full", "n %zd sum %#x", n,
		   n == 63 ? csum_check(got, 14, 34, 29, 17, false) : 0);

	/* Ethernet, IPv6 (40), TCP (20) + 7 bytes. */
	memset(p, 0, PAGE);
	p[12] = 0x86;
	p[13] = 0xdd;
	uint8_t *ip6 = p + 14;
	ip6[0] = 0x60;
	ip6[5] = 27;
	ip6[6] = 6;
	for (int i = 0; i < 32; i++)
		ip6[8 + i] = (uint8_t)(i * 5);
	uint8_t *tcp = ip6 + 40;
	tcp[12] = 0x50;
	for (int i = 0; i < 7; i++)
		tcp[20 + i] = (uint8_t)(0xa0 + i);
	tcp[16] = 0x12; /* a pseudo-header sum, as Linux leaves it */
	tx_put(0, (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = NETTXF_csum_blank, .id = 2, .size = 14 + 40 + 27});
	tx_push(0);
	n = peer_recv(0, got, sizeof(got));
	unit_check(n == 81 && csum_check(got, 14, 54, 27, 6, true) == 0xffff,
		   "tx csum_blank: the TCP/IPv6 checksum is computed in full", "n %zd", n);
	tx_rsp(0);
	tx_rsp(0);
}

/* Sends the requests, then expects every data slot answered ERROR, nothing on the TAP, why counted. */
static void expect_refused(const char *name, const netif_tx_request_t *reqs, unsigned int n, enum netback_refusal why)
{
	uint64_t before = stats(0).refused[why];
	for (unsigned int i = 0; i < n; i++)
		tx_put(0, reqs[i]);
	tx_push(0);
	bool all_error = true;
	for (unsigned int i = 0; i < n; i++) {
		netif_tx_response_t r = tx_rsp(0);
		all_error &= r.status == NETIF_RSP_ERROR || r.status == NETIF_RSP_NULL;
	}
	uint8_t got[PAGE];
	unit_check(all_error && tx_rsp(0).status == 99 && peer_recv(0, got, sizeof(got)) < 0 &&
			   stats(0).refused[why] == before + 1,
		   name, "refused %llu -> %llu", (unsigned long long)before, (unsigned long long)stats(0).refused[why]);
}

static void test_tx_refused(void)
{
	fresh();
	tx_buf(0, 0);
	tx_buf(1, 1);
	netif_tx_request_t q[24];

	q[0] = (netif_tx_request_t){.gref = 77, .offset = 0, .flags = 0, .id = 1, .size = 60};
	expect_refused("tx refused: a grant reference never granted", q, 1, NETBACK_REFUSED_GRANT);
	q[0] = (netif_tx_request_t){.gref = 5000, .offset = 0, .flags = 0, .id = 1, .size = 60};
	expect_refused("tx refused: a grant reference beyond the table", q, 1, NETBACK_REFUSED_GRANT);
	q[0] = (netif_tx_request_t){.gref = REF_RING(0, 0), .offset = 0, .flags = 0, .id = 1, .size = 60};
	expect_refused("tx refused: a grant already held (the ring page itself)", q, 1, NETBACK_REFUSED_GRANT);
	q[0] = (netif_tx_request_t){.gref = REF_BUF(0), .offset = 4000, .flags = 0, .id = 1, .size = 200};
	expect_refused("tx refused: offset + size beyond the page", q, 1, NETBACK_REFUSED_OFFSET);
	q[0] = (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = NETTXF_more_data, .id = 1, .size = 100};
	q[1] = (netif_tx_request_t){.gref = REF_BUF(1), .offset = 0, .flags = 0, .id = 2, .size = 0};
	expect_refused("tx refused: a 0-byte slot", q, 2, NETBACK_REFUSED_SIZE);
	q[0] = (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = NETTXF_more_data, .id = 1, .size = 100};
	q[1] = (netif_tx_request_t){.gref = REF_BUF(1), .offset = 0, .flags = 0, .id = 2, .size = 200};
	expect_refused("tx refused: a total size below the slots' sum", q, 2, NETBACK_REFUSED_SIZE);
	q[0] = (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = 0, .id = 1, .size = 0};
	expect_refused("tx refused: a 0-byte frame", q, 1, NETBACK_REFUSED_SIZE);
	q[0] = (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = 0, .id = 256, .size = 60};
	expect_refused("tx refused: an id beyond the ring", q, 1, NETBACK_REFUSED_ID);
	q[0] = (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = NETTXF_more_data, .id = 5, .size = 120};
	q[1] = (netif_tx_request_t){.gref = REF_BUF(1), .offset = 0, .flags = 0, .id = 5, .size = 60};
	expect_refused("tx refused: an id twice in flight", q, 2, NETBACK_REFUSED_ID);
	netif_extra_info_t x = {.type = 9};
	q[0] = (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = NETTXF_extra_info, .id = 1, .size = 60};
	memset(&q[1], 0, sizeof(q[1]));
	memcpy(&q[1], &x, sizeof(x));
	expect_refused("tx refused: an extra-info slot of unknown type", q, 2, NETBACK_REFUSED_EXTRA);
	for (unsigned int i = 0; i < 20; i++)
		q[i] = (netif_tx_request_t){.gref = REF_BUF(i % 2), .offset = 0, .flags = i < 19 ? NETTXF_more_data : 0,
					    .id = (uint16_t)i, .size = i == 0 ? 20 * 10 : 10};
	expect_refused("tx refused: a chain of more than XEN_NETIF_NR_SLOTS_MIN slots", q, 20, NETBACK_REFUSED_SLOTS);

	/* A guest revoking its grant: after the end of access, the same ref is refused. */
	grant(REF_BUF(2), BUF_GADDR(2), GTF_permit_access | GTF_readonly);
	__atomic_store_n(&((grant_entry_v1_t *)gp(TABLE_GADDR))[REF_BUF(2)].flags, 0, __ATOMIC_RELEASE);
	q[0] = (netif_tx_request_t){.gref = REF_BUF(2), .offset = 0, .flags = 0, .id = 1, .size = 60};
	expect_refused("tx refused: a grant the guest ended", q, 1, NETBACK_REFUSED_GRANT);

	uint8_t got[PAGE];
	tx_put(0, (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = 0, .id = 1, .size = 60});
	tx_push(0);
	unit_check(tx_rsp(0).status == NETIF_RSP_OKAY && peer_recv(0, got, sizeof(got)) == 60,
		   "tx: a good frame after every refusal still goes", NULL);
}

static void test_logged_once(void)
{
	fresh();
	fflush(stderr);
	int saved = dup(2);
	FILE *log = tmpfile();
	dup2(fileno(log), 2);
	for (int i = 0; i < 5; i++) {
		tx_put(0, (netif_tx_request_t){.gref = 77, .offset = 0, .flags = 0, .id = 1, .size = 60});
		tx_push(0);
		tx_rsp(0);
	}
	dup2(saved, 2);
	close(saved);
	char line[512];
	int lines = 0, grant_lines = 0;
	rewind(log);
	while (fgets(line, sizeof(line), log)) {
		lines++;
		grant_lines += strstr(line, "mica: vif0: tx grant reference 77") != NULL;
	}
	fclose(log);
	unit_check(lines == 1 && grant_lines == 1 && stats(0).refused[NETBACK_REFUSED_GRANT] == 5,
		   "a refusal class is counted every time and logged once per NIC", "%d lines", lines);
}

/* ---------------------------------------------------------------------------------- rx */

static void rx_post(unsigned int n, uint16_t id, grant_ref_t ref)
{
	*RING_GET_REQUEST(&nic[n].rx, nic[n].rx.req_prod_pvt) = (netif_rx_request_t){.id = id, .gref = ref};
	nic[n].rx.req_prod_pvt++;
}

static void rx_push(unsigned int n)
{
	bool want;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nic[n].rx, want);
	if (want)
		notify(nic[n].port);
}

static netif_rx_response_t rx_rsp(unsigned int n)
{
	netif_rx_front_ring_t *r = &nic[n].rx;
	if (r->rsp_cons == r->sring->rsp_prod)
		return (netif_rx_response_t){.id = 0xffff, .status = 9999};
	return *RING_GET_RESPONSE(r, r->rsp_cons++);
}

static void peer_send(unsigned int n, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		frame[i] = (uint8_t)(seed + i * 3);
	if (send(nic[n].peer, frame, len, 0) != (ssize_t)len)
		abort();
}

static void test_rx(void)
{
	fresh();
	unit_check(!stats(0).tap_polled, "rx: the TAP is not polled while no rx request is posted", NULL);
	peer_send(0, 1000, 1);
	guest_fd_poll_now(&g);
	unit_check(rx_rsp(0).status == 9999, "rx: a frame waits in the TAP until a request is posted", NULL);
	memset(gp(BUF_GADDR(10)), 0, PAGE);
	grant(REF_BUF(10), BUF_GADDR(10), GTF_permit_access);
	rx_post(0, 12, REF_BUF(10));
	shared.evtchn_pending[0] = 0;
	rx_push(0);
	netif_rx_response_t r = rx_rsp(0);
	unit_check(r.id == 12 && r.status == 1000 && r.offset == 0 && r.flags == 0 &&
			   memcmp(gp(BUF_GADDR(10)), frame, 1000) == 0 && (shared.evtchn_pending[0] >> nic[0].port & 1),
		   "rx: posting a request delivers the waiting frame at offset 0, notified, not data_validated",
		   "id %u status %d flags %#x", r.id, r.status, r.flags);
	unit_check(!stats(0).tap_polled && nic[0].rx.sring->req_event == nic[0].rx.req_prod_pvt + 1,
		   "rx: out of requests, the TAP is left alone and req_event asks for a notify", NULL);

	/* Several frames, then one notify for the batch. */
	for (int i = 0; i < 4; i++) {
		grant(REF_BUF(10 + i), BUF_GADDR(10 + i), GTF_permit_access);
		rx_post(0, (uint16_t)(20 + i), REF_BUF(10 + i));
	}
	rx_push(0);
	unit_check(stats(0).tap_polled, "rx: requests posted: the TAP is polled again", NULL);
	for (int i = 0; i < 3; i++)
		peer_send(0, 100 + (size_t)i, (uint8_t)i);
	shared.evtchn_pending[0] = 0;
	nic[0].rx.sring->rsp_event = nic[0].rx.rsp_cons + 1;
	guest_fd_poll_now(&g);
	netif_rx_response_t a = rx_rsp(0), b = rx_rsp(0), c = rx_rsp(0);
	unit_check(a.status == 100 && b.status == 101 && c.status == 102 && a.id == 20 && c.id == 22 &&
			   (shared.evtchn_pending[0] >> nic[0].port & 1) && stats(0).rx_frames == 4,
		   "rx: a batch of frames, each in its request's slot", "%d %d %d", a.status, b.status, c.status);

	/* Over a page: two slots, more_data on the first. */
	peer_send(0, 5000, 9);
	guest_fd_poll_now(&g);
	unit_check(rx_rsp(0).status == 9999 && !stats(0).tap_polled,
		   "rx: a frame needing two slots waits while only one is free", NULL);
	grant(REF_BUF(20), BUF_GADDR(20), GTF_permit_access);
	rx_post(0, 30, REF_BUF(20));
	rx_push(0);
	uint8_t *second = gp(BUF_GADDR(20));
	r = rx_rsp(0);
	netif_rx_response_t r2 = rx_rsp(0);
	unit_check(r.id == 23 && r.status == 4096 && r.flags == NETRXF_more_data && r2.id == 30 && r2.status == 904 &&
			   r2.flags == 0 && memcmp(gp(BUF_GADDR(13)), frame, 4096) == 0 && memcmp(second, frame + 4096, 904) == 0,
		   "rx: a 5000-byte frame spans two slots (feature-sg), more_data on the first", "%d %#x %d", r.status,
		   r.flags, r2.status);

	/* A request whose grant is read-only: the frame is refused into it. */
	grant(REF_BUF(21), BUF_GADDR(21), GTF_permit_access | GTF_readonly);
	rx_post(0, 31, REF_BUF(21));
	rx_post(0, 300, REF_BUF(10));
	rx_push(0);
	peer_send(0, 64, 1);
	peer_send(0, 64, 2);
	guest_fd_poll_now(&g);
	r = rx_rsp(0);
	r2 = rx_rsp(0);
	unit_check(r.id == 31 && r.status == NETIF_RSP_ERROR && stats(0).refused[NETBACK_REFUSED_GRANT] == 1 &&
			   r2.id == 300 && r2.status == NETIF_RSP_ERROR && stats(0).refused[NETBACK_REFUSED_ID] == 1,
		   "rx refused: a read-only grant, an id beyond the ring (answered ERROR, counted)", "%d %d", r.status,
		   r2.status);
}

static void test_rx_no_sg(void)
{
	fresh();
	fe_write(0, "state", "6");
	fe_write(0, "feature-sg", "0");
	fe_write(0, "state", "4");
	for (int i = 0; i < 3; i++) {
		grant(REF_BUF(i), BUF_GADDR(i), GTF_permit_access);
		rx_post(0, (uint16_t)i, REF_BUF(i));
	}
	rx_push(0);
	peer_send(0, 5000, 1);
	peer_send(0, 70, 2);
	guest_fd_poll_now(&g);
	netif_rx_response_t r = rx_rsp(0);
	unit_check(r.status == 70 && r.id == 0 && stats(0).rx_dropped == 1,
		   "rx: without feature-sg a frame over a page is dropped and counted", "status %d", r.status);
}

/* --------------------------------------------------------------------------- hostile */

static void test_corrupt_ring(void)
{
	fresh();
	add_nic(1);
	connect_nic(1);
	fflush(stderr);
	int saved = dup(2);
	FILE *log = tmpfile();
	dup2(fileno(log), 2);
	nic[0].tx.sring->req_prod = 1000;
	notify(nic[0].port);
	notify(nic[0].port);
	dup2(saved, 2);
	close(saved);
	char line[512] = "";
	rewind(log);
	int lines = 0;
	while (fgets(line, sizeof(line), log))
		lines++;
	fclose(log);
	unit_check(stats(0).stopped && lines == 1 && strstr(line, "vif0: tx ring indices are corrupt") != NULL,
		   "a tx req_prod beyond the ring stops the NIC with one line", "%d lines: %s", lines, line);
	tx_buf(0, 0);
	tx_put(1, (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = 0, .id = 1, .size = 60});
	tx_push(1);
	uint8_t got[PAGE];
	unit_check(tx_rsp(1).status == NETIF_RSP_OKAY && peer_recv(1, got, sizeof(got)) == 60,
		   "the other NIC keeps working", NULL);
	nic[1].rx.sring->req_prod = 0x80000000u;
	notify(nic[1].port);
	unit_check(stats(1).stopped && !stats(1).tap_polled, "an rx req_prod beyond the ring stops that NIC too", NULL);
}

static void test_storm(void)
{
	fresh();
	fflush(stderr);
	int saved = dup(2);
	FILE *log = tmpfile();
	dup2(fileno(log), 2);
	for (int i = 0; i < 1000; i++)
		notify(nic[0].port);
	dup2(saved, 2);
	close(saved);
	char line[512];
	int lines = 0;
	rewind(log);
	while (fgets(line, sizeof(line), log))
		lines += strstr(line, "event storm") != NULL;
	fclose(log);
	struct netback_stats st = stats(0);
	unit_check(st.throttled && lines == 1 && st.refused[NETBACK_REFUSED_STORM] == 1000 - 256 + 1,
		   "an event storm is counted, logged once and throttled", "throttled %d lines %d storm %llu",
		   st.throttled, lines, (unsigned long long)st.refused[NETBACK_REFUSED_STORM]);
	tx_buf(0, 0);
	tx_put(0, (netif_tx_request_t){.gref = REF_BUF(0), .offset = 0, .flags = 0, .id = 1, .size = 60});
	tx_push(0);
	unit_check(tx_rsp(0).status == 99, "throttled: a notify does not run the NIC at once", NULL);
	struct timespec ts = {0, 3000000};
	nanosleep(&ts, NULL);
	guest_fd_poll_now(&g);
	uint8_t got[PAGE];
	unit_check(tx_rsp(0).status == NETIF_RSP_OKAY && peer_recv(0, got, sizeof(got)) == 60 && !stats(0).throttled,
		   "throttled: the timer serves the work within a ms, and work ends the throttle", NULL);
}

int main(void)
{
	ram = aligned_alloc(PAGE, RAM);
	test_keys();
	test_handshake_errors();
	test_store_ring_handshake();
	test_split_channels();
	test_tx_good();
	test_tx_csum();
	test_deferred_notify();
	test_tx_refused();
	test_logged_once();
	test_rx();
	test_rx_no_sg();
	test_corrupt_ring();
	test_storm();
	fresh();
	netback_stop(&g, false);
	xenstore_destroy(&g);
	for (int i = 0; i < 2; i++)
		if (nic[i].peer > 0) {
			close(nic[i].peer);
			close(nic[i].fd);
		}
	free(ram);
	return unit_exit_status();
}
