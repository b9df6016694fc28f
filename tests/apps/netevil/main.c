/* Test guest: a hostile netif frontend on raw rings, checking that mica's netback refuses each malformed request. */
#include <arch/cpu.h>
#include <xen/errno.h>
#include <mica/abi.h>
#include <mica/evtchn.h>
#include <mica/gnttab.h>
#include <mica/plat.h>
#include <mica/print.h>
#include <mica/string.h>
#include <mica/xenstore.h>

/* xen/io/ring.h leaves the barriers to us; x86 orders loads with loads and stores with stores. */
#define xen_mb() cpu_mb()
#define xen_rmb() cpu_barrier()
#define xen_wmb() cpu_barrier()
#include <xen/io/netif.h>

#define EVIL_PAGE 4096
#define EVIL_MS 1000000ULL
/* Each malformed request is sent this often: mica must still log its class once. */
#define EVIL_REPEAT 20
#define EVIL_STORM 100000
#define EVIL_CHAIN (XEN_NETIF_NR_SLOTS_MIN + 2)
#define EVIL_DIR "device/vif/0"
/* A ref in a table frame we never place, and one in frame 0 that we never grant. */
#define EVIL_REF_UNPLACED 2000
#define EVIL_REF_UNGRANTED 300

static uint8_t evil_tx_page[EVIL_PAGE] __attribute__((aligned(EVIL_PAGE)));
static uint8_t evil_rx_page[EVIL_PAGE] __attribute__((aligned(EVIL_PAGE)));
/* A well-formed ARP request at offset 0, granted read-only: the one frame mica should send. */
static uint8_t evil_frame[EVIL_PAGE] __attribute__((aligned(EVIL_PAGE)));
static uint8_t evil_rx_ro[EVIL_PAGE] __attribute__((aligned(EVIL_PAGE)));
static uint8_t evil_rx_buf[EVIL_PAGE] __attribute__((aligned(EVIL_PAGE)));
static uint8_t evil_spare[EVIL_PAGE] __attribute__((aligned(EVIL_PAGE)));

static netif_tx_front_ring_t evil_tx;
static netif_rx_front_ring_t evil_rx;
static evtchn_port_t evil_port;
static grant_ref_t evil_tx_ref, evil_rx_ref, evil_frame_ref;
static char evil_backend[128];
static uint8_t evil_mac[6], evil_ip[4], evil_gw[4];
static int evil_failed;

#define EVIL_ARP_LEN 42

static void evil_check(int ok, const char *name, long got)
{
	if (ok) {
		printf("ok - %s\n", name);
	} else {
		printf("not ok - %s (got %ld)\n", name, got);
		evil_failed = 1;
	}
}

static int evil_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool evil_parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++, s += 3) {
		int hi = evil_hex(s[0]), lo = evil_hex(s[1]);
		if (hi < 0 || lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* A.B.C.D, ending at NUL or '/'. */
static bool evil_parse_ip(const char *s, uint8_t ip[4])
{
	for (int i = 0; i < 4; i++) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);
		char want = i < 3 ? '.' : (*end == '/' ? '/' : '\0');
		if (end == s || v > 255 || *end != want)
			return false;
		ip[i] = (uint8_t)v;
		s = end + 1;
	}
	return true;
}

static void evil_build_arp(void)
{
	static const uint8_t head[] = {0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1};
	uint8_t *f = evil_frame;
	memset(f, 0xff, 6);
	memcpy(f + 6, evil_mac, 6);
	memcpy(f + 12, head, sizeof(head));
	memcpy(f + 22, evil_mac, 6);
	memcpy(f + 28, evil_ip, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, evil_gw, 4);
}

static int evil_key(const char *key, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "%s/%s", EVIL_DIR, key);
	return xs_read(path, buf, len);
}

static int evil_put_key(const char *key, unsigned long v)
{
	char path[64], value[24];
	snprintf(path, sizeof(path), "%s/%s", EVIL_DIR, key);
	snprintf(value, sizeof(value), "%lu", v);
	return xs_write(path, value);
}

/* The frontend's half of the handshake, done by hand: rings, one event channel, keys, Connected. */
static int evil_connect(void)
{
	char buf[64];
	if (evil_key("backend", evil_backend, sizeof(evil_backend)) < 0 || evil_key("mac", buf, sizeof(buf)) < 0 ||
	    !evil_parse_mac(buf, evil_mac) || evil_key("ip", buf, sizeof(buf)) < 0 || !evil_parse_ip(buf, evil_ip) ||
	    evil_key("gateway", buf, sizeof(buf)) < 0 || !evil_parse_ip(buf, evil_gw)) {
		printf("netevil: no vif0 with mac, ip and gateway: run it with --net tap=NAME,ip=A.B.C.D/N,gw=A.B.C.D\n");
		return -1;
	}
	netif_tx_sring_t *txs = (netif_tx_sring_t *)evil_tx_page;
	netif_rx_sring_t *rxs = (netif_rx_sring_t *)evil_rx_page;
	SHARED_RING_INIT(txs);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&evil_tx, txs, EVIL_PAGE);
	FRONT_RING_INIT(&evil_rx, rxs, EVIL_PAGE);
	evil_build_arp();
	int rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)evil_tx_page, false, &evil_tx_ref);
	if (!rc)
		rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)evil_rx_page, false, &evil_rx_ref);
	if (!rc)
		rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)evil_frame, true, &evil_frame_ref);
	if (!rc)
		rc = evtchn_alloc_unbound(MICA_DOMID_BACKEND, &evil_port);
	if (!rc)
		rc = evtchn_set_handler(evil_port, 0, 0);
	if (!rc)
		rc = evil_put_key("tx-ring-ref", evil_tx_ref) | evil_put_key("rx-ring-ref", evil_rx_ref) |
		     evil_put_key("event-channel", evil_port) | evil_put_key("request-rx-copy", 1) |
		     evil_put_key("feature-sg", 1) | evil_put_key("feature-rx-notify", 1);
	if (!rc)
		rc = xenbus_switch_state(EVIL_DIR, XenbusStateConnected);
	XenbusState st = xenbus_wait_state(evil_backend, XenbusStateConnected, plat_time_ns() + 5000 * EVIL_MS);
	evil_check(rc == 0 && st == XenbusStateConnected, "connect to vif0 by hand", rc ? rc : (long)st);
	return rc == 0 && st == XenbusStateConnected ? 0 : -1;
}

static void evil_tx_put(grant_ref_t gref, uint16_t offset, uint16_t flags, uint16_t id, uint16_t size)
{
	netif_tx_request_t *r = RING_GET_REQUEST(&evil_tx, evil_tx.req_prod_pvt);
	*r = (netif_tx_request_t){.gref = gref, .offset = offset, .flags = flags, .id = id, .size = size};
	evil_tx.req_prod_pvt++;
}

/* Takes up to n tx responses into rsp, waiting until deadline_ns for them; returns how many came. */
static unsigned int evil_tx_collect(netif_tx_response_t *rsp, unsigned int n, uint64_t deadline_ns)
{
	unsigned int got = 0;
	for (;;) {
		while (got < n && RING_HAS_UNCONSUMED_RESPONSES(&evil_tx)) {
			rsp[got++] = *RING_GET_RESPONSE(&evil_tx, evil_tx.rsp_cons);
			evil_tx.rsp_cons++;
		}
		if (got == n || plat_time_ns() >= deadline_ns)
			return got;
		evil_tx.sring->rsp_event = evil_tx.rsp_cons + 1;
		xen_mb();
		if (!RING_HAS_UNCONSUMED_RESPONSES(&evil_tx))
			plat_block(deadline_ns);
	}
}

/* Publishes the requests put so far, notifies (always: a hostile frontend does), takes n responses. */
static unsigned int evil_tx_send(netif_tx_response_t *rsp, unsigned int n)
{
	xen_wmb();
	evil_tx.sring->req_prod = evil_tx.req_prod_pvt;
	evtchn_notify(evil_port);
	return evil_tx_collect(rsp, n, plat_time_ns() + 1000 * EVIL_MS);
}

/* Sends the well-formed frame; its status, or 1 when no response came. */
static int evil_tx_good(void)
{
	netif_tx_response_t rsp;
	evil_tx_put(evil_frame_ref, 0, 0, 7, EVIL_ARP_LEN);
	return evil_tx_send(&rsp, 1) == 1 ? rsp.status : 1;
}

/* Counts the repeats of one malformed request in which every response said NETIF_RSP_ERROR. */
static bool evil_all_errors(const netif_tx_response_t *rsp, unsigned int got, unsigned int want)
{
	if (got != want)
		return false;
	for (unsigned int i = 0; i < got; i++)
		if (rsp[i].status != NETIF_RSP_ERROR)
			return false;
	return true;
}

/* Sends a one-slot frame EVIL_REPEAT times, alternating grefs a and b; each must get NETIF_RSP_ERROR. */
static void evil_single(const char *name, grant_ref_t a, grant_ref_t b, uint16_t offset, uint16_t size)
{
	unsigned int ok = 0;
	for (int i = 0; i < EVIL_REPEAT; i++) {
		netif_tx_response_t rsp;
		evil_tx_put(i % 2 ? b : a, offset, 0, (uint16_t)i, size);
		unsigned int got = evil_tx_send(&rsp, 1);
		ok += evil_all_errors(&rsp, got, 1) && rsp.id == i;
	}
	evil_check(ok == EVIL_REPEAT, name, (long)ok);
}

static void evil_test_tx(void)
{
	int st = evil_tx_good();
	evil_check(st == NETIF_RSP_OKAY, "a well-formed frame is sent (NETIF_RSP_OKAY)", st);

	evil_single("a gref never granted: NETIF_RSP_ERROR, 20 times", EVIL_REF_UNPLACED, EVIL_REF_UNGRANTED, 0,
		    EVIL_ARP_LEN);
	evil_single("offset + size beyond the page: NETIF_RSP_ERROR, 20 times", evil_frame_ref, evil_frame_ref, 4000,
		    200);
	evil_single("a frame of size 0: NETIF_RSP_ERROR, 20 times", evil_frame_ref, evil_frame_ref, 0, 0);

	/* One chain longer than XEN_NETIF_NR_SLOTS_MIN: every slot of it must be answered with an error. */
	static netif_tx_response_t rsp[EVIL_CHAIN * 5];
	unsigned int ok = 0;
	for (int r = 0; r < 5; r++) {
		for (unsigned int i = 0; i < EVIL_CHAIN; i++)
			evil_tx_put(evil_frame_ref, 0, i + 1 < EVIL_CHAIN ? NETTXF_more_data : 0, (uint16_t)i,
				    i == 0 ? EVIL_CHAIN * 60 : 60);
		ok += evil_all_errors(rsp, evil_tx_send(rsp, EVIL_CHAIN), EVIL_CHAIN);
	}
	evil_check(ok == 5, "a 20-slot chain (more than 18): every slot NETIF_RSP_ERROR, 5 times", (long)ok);
	st = evil_tx_good();
	evil_check(st == NETIF_RSP_OKAY, "the next well-formed frame after the chains is sent", st);

	ok = 0;
	for (int r = 0; r < EVIL_REPEAT; r++) {
		evil_tx_put(evil_frame_ref, 0, NETTXF_more_data, 5, EVIL_ARP_LEN);
		evil_tx_put(evil_frame_ref, 0, 0, r % 2 ? 5 : 300, 20);
		ok += evil_all_errors(rsp, evil_tx_send(rsp, 2), 2);
	}
	evil_check(ok == EVIL_REPEAT, "an id reused within a frame, or beyond the ring: NETIF_RSP_ERROR", (long)ok);

	ok = 0;
	for (int r = 0; r < EVIL_REPEAT; r++) {
		evil_tx_put(evil_frame_ref, 0, NETTXF_extra_info, 9, EVIL_ARP_LEN);
		netif_extra_info_t *x = (netif_extra_info_t *)RING_GET_REQUEST(&evil_tx, evil_tx.req_prod_pvt);
		*x = (netif_extra_info_t){.type = XEN_NETIF_EXTRA_TYPE_MAX + 3, .flags = 0};
		evil_tx.req_prod_pvt++;
		unsigned int got = evil_tx_send(rsp, 2);
		ok += got == 2 && rsp[0].status == NETIF_RSP_ERROR && rsp[1].status == NETIF_RSP_NULL;
	}
	evil_check(ok == EVIL_REPEAT, "an extra-info slot of unknown type: NETIF_RSP_ERROR", (long)ok);

	grant_ref_t ended;
	int rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)evil_spare, true, &ended);
	if (!rc)
		rc = gnttab_end(ended);
	evil_check(rc == 0, "grant and end a page", rc);
	evil_single("a gref used after gnttab_end: NETIF_RSP_ERROR, 20 times", ended, ended, 0, EVIL_ARP_LEN);
}

/* Posts one rx request, sends the ARP request (its reply comes back on rx) and waits for the rx answer. */
static int evil_rx_once(grant_ref_t gref, uint16_t id, netif_rx_response_t *rsp)
{
	netif_rx_request_t *r = RING_GET_REQUEST(&evil_rx, evil_rx.req_prod_pvt);
	*r = (netif_rx_request_t){.id = id, .gref = gref};
	evil_rx.req_prod_pvt++;
	xen_wmb();
	evil_rx.sring->req_prod = evil_rx.req_prod_pvt;
	evtchn_notify(evil_port);
	int st = evil_tx_good();
	if (st != NETIF_RSP_OKAY)
		return -1;
	uint64_t deadline = plat_time_ns() + 2000 * EVIL_MS;
	for (;;) {
		if (RING_HAS_UNCONSUMED_RESPONSES(&evil_rx)) {
			*rsp = *RING_GET_RESPONSE(&evil_rx, evil_rx.rsp_cons);
			evil_rx.rsp_cons++;
			return 0;
		}
		if (plat_time_ns() >= deadline)
			return -1;
		evil_rx.sring->rsp_event = evil_rx.rsp_cons + 1;
		xen_mb();
		if (!RING_HAS_UNCONSUMED_RESPONSES(&evil_rx))
			plat_block(deadline);
	}
}

static void evil_test_rx(void)
{
	netif_rx_response_t rsp;
	grant_ref_t ro;
	memset(evil_rx_ro, 0x5a, sizeof(evil_rx_ro));
	int rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)evil_rx_ro, true, &ro);
	if (!rc)
		rc = evil_rx_once(ro, 1, &rsp);
	bool intact = true;
	for (size_t i = 0; i < sizeof(evil_rx_ro); i++)
		intact &= evil_rx_ro[i] == 0x5a;
	evil_check(rc == 0 && rsp.id == 1 && rsp.status == NETIF_RSP_ERROR && intact,
		   "a read-only gref in an rx request: NETIF_RSP_ERROR, the page untouched", rc ? rc : rsp.status);
	gnttab_end(ro);

	grant_ref_t ended;
	rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)evil_spare, false, &ended);
	if (!rc)
		rc = gnttab_end(ended);
	if (!rc)
		rc = evil_rx_once(ended, 2, &rsp);
	evil_check(rc == 0 && rsp.id == 2 && rsp.status == NETIF_RSP_ERROR,
		   "an rx request with a gref after gnttab_end: NETIF_RSP_ERROR", rc ? rc : rsp.status);

	grant_ref_t good;
	rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)evil_rx_buf, false, &good);
	if (!rc)
		rc = evil_rx_once(good, 3, &rsp);
	evil_check(rc == 0 && rsp.id == 3 && rsp.status >= 14, "a well-formed rx request still gets a frame",
		   rc ? rc : rsp.status);
}

static void evil_test_storm(void)
{
	uint64_t t0 = plat_time_ns();
	for (int i = 0; i < EVIL_STORM; i++)
		evtchn_notify(evil_port);
	uint64_t us = (plat_time_ns() - t0) / 1000;
	printf("netevil: %d notifications in %llu us\n", EVIL_STORM, (unsigned long long)us);
	int st = evil_tx_good();
	evil_check(st == NETIF_RSP_OKAY, "after 100000 notifications a well-formed frame is still sent", st);
}

static void evil_test_ring(void)
{
	netif_tx_response_t rsp;
	evil_tx_put(evil_frame_ref, 0, 0, 11, EVIL_ARP_LEN);
	xen_wmb();
	evil_tx.sring->req_prod = evil_tx.req_prod_pvt + 100000;
	evtchn_notify(evil_port);
	unsigned int got = evil_tx_collect(&rsp, 1, plat_time_ns() + 100 * EVIL_MS);
	evil_check(got == 0, "req_prod far beyond the ring: no response (the NIC stops)", (long)got);
	int rc = gnttab_end(evil_tx_ref);
	evil_check(rc == -XEN_EBUSY, "the stopped NIC's ring is still mapped: gnttab_end is EBUSY", rc);
	rc = xenbus_switch_state(EVIL_DIR, XenbusStateClosing);
	XenbusState be = xenbus_read_state(evil_backend);
	rc = rc ? rc : gnttab_end(evil_tx_ref);
	if (!rc)
		rc = gnttab_end(evil_rx_ref);
	evil_check(rc == 0 && be == XenbusStateClosed, "after Closing the backend let go of both rings",
		   rc ? rc : (long)be);
}

int main(void)
{
	if (evil_connect() != 0)
		return 1;
	evil_test_tx();
	evil_test_rx();
	evil_test_storm();
	evil_test_ring();
	return evil_failed;
}
