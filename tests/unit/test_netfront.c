/* unit-sources: lib/netfront/netfront.c lib/netfront/ring.c lib/netfront/parse.c plat/common/xenbus_keys.c */
/* unit-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/*
 * Host test of lib/netfront against a fake store, grant table and netback that follow the proc
 * backend (the backend works inside the frontend's notify): the handshake and its failures, tx
 * slots and scatter-gather, rx chains, batching of notifications, and a hostile backend's
 * responses (bad ids, offsets, statuses, overflowing producer indices).
 */
#include "../../lib/netfront/internal.h"
#include "fake_frontend.h"
#include "unit.h"

#define BACKEND "/local/domain/0/backend/vif/1/0"

/* ------------------------------------------------------------------ the store's writes */

static int xs_fail_write; /* a write error for paths containing this key's name */
static const char *xs_fail_key;

static bool backend_answers = true; /* the backend goes Connected when the frontend does */
static void backend_attach(void);
static bool handler_during_handshake; /* a handler was on when the frontend said Connected */

int xs_write(const char *path, const char *value)
{
	if (xs_fail_key && strstr(path, xs_fail_key))
		return xs_fail_write;
	store_set(path, value);
	if (strcmp(path, "device/vif/0/state") == 0 && strcmp(value, "4") == 0)
		handler_during_handshake = handler != NULL;
	if (strcmp(path, "device/vif/0/state") == 0 && strcmp(value, "4") == 0 && backend_answers) {
		backend_attach();
		store_set(BACKEND "/state", "4");
	}
	return 0;
}

static uint64_t wait_deadline;
XenbusState xenbus_wait_state(const char *dir, XenbusState want, uint64_t deadline_ns)
{
	(void)want;
	wait_deadline = deadline_ns;
	fake_now = deadline_ns; /* a backend that has not answered yet never will, here */
	return xenbus_read_state(dir);
}

/* ------------------------------------------------------------------ event channels and netback */

static unsigned int notifies;

/* The netback: tx frames it took, in order, and whether it consumes tx at all. */
static netif_tx_back_ring_t btx;
static netif_rx_back_ring_t brx;
static bool backend_holds_tx; /* takes no tx requests: the frontend's ring fills */
static uint8_t sent[8][70000];
static size_t sent_len[8];
static unsigned int sent_n, sent_slots, tx_bad;
static uint16_t first_size;

/* As the runtime does inside the frontend's write of Connected: the rings named by the store keys. */
static void backend_attach(void)
{
	netif_tx_sring_t *ts = (void *)grant_page((grant_ref_t)atoi(store_get("device/vif/0/tx-ring-ref")), 0, 4096, true);
	netif_rx_sring_t *rs = (void *)grant_page((grant_ref_t)atoi(store_get("device/vif/0/rx-ring-ref")), 0, 4096, true);
	if (!ts || !rs)
		abort();
	BACK_RING_INIT(&btx, ts, 4096);
	BACK_RING_INIT(&brx, rs, 4096);
}

static void backend_tx(void)
{
	static size_t frame_left, at;
	int more;

	if (backend_holds_tx)
		return;
	do {
		while (btx.req_cons != btx.sring->req_prod) {
			netif_tx_request_t req;
			RING_COPY_REQUEST(&btx, btx.req_cons, &req);
			btx.req_cons++;
			sent_slots++;
			bool head = frame_left == 0;
			size_t len = req.size;
			if (head) {
				first_size = req.size;
				frame_left = req.size;
				at = 0;
			}
			if (req.flags & NETTXF_more_data)
				len = head ? 2048 : req.size;
			if (len > frame_left)
				len = frame_left;
			uint8_t *p = grant_page(req.gref, req.offset, (unsigned int)len, false);
			if (!p)
				tx_bad++;
			else if (sent_n < 8)
				memcpy(sent[sent_n] + at, p, len);
			at += len;
			frame_left -= len;
			if (frame_left == 0) {
				if (sent_n < 8)
					sent_len[sent_n] = at;
				sent_n++;
			}
			netif_tx_response_t *rsp = RING_GET_RESPONSE(&btx, btx.rsp_prod_pvt);
			rsp->id = req.id;
			rsp->status = NETIF_RSP_OKAY;
			btx.rsp_prod_pvt++;
		}
		RING_PUSH_RESPONSES(&btx);
		RING_FINAL_CHECK_FOR_REQUESTS(&btx, more);
	} while (more);
}

int evtchn_notify(evtchn_port_t port)
{
	(void)port;
	notifies++;
	backend_tx();
	return 0;
}

static unsigned int rx_available(void)
{
	return brx.sring->req_prod - brx.req_cons;
}

/* Copies frame into the frontend's rx buffers, slot bytes per slot, and pushes the responses. */
static bool backend_rx(const uint8_t *frame, size_t len, size_t slot)
{
	size_t done = 0;
	do {
		if (rx_available() == 0)
			return false;
		netif_rx_request_t req;
		RING_COPY_REQUEST(&brx, brx.req_cons, &req);
		brx.req_cons++;
		size_t n = len - done < slot ? len - done : slot;
		uint8_t *p = grant_page(req.gref, 16, (unsigned int)n, true);
		if (!p)
			return false;
		memcpy(p, frame + done, n);
		done += n;
		netif_rx_response_t *rsp = RING_GET_RESPONSE(&brx, brx.rsp_prod_pvt);
		rsp->id = req.id;
		rsp->offset = 16;
		rsp->flags = done < len ? NETRXF_more_data : 0;
		rsp->status = (int16_t)n;
		brx.rsp_prod_pvt++;
	} while (done < len);
	RING_PUSH_RESPONSES(&brx);
	return true;
}

/* A response written by hand (a hostile backend), consuming one rx request. */
static void backend_rx_raw(int id_delta, uint16_t offset, uint16_t flags, int16_t status)
{
	netif_rx_request_t req;
	RING_COPY_REQUEST(&brx, brx.req_cons, &req);
	brx.req_cons++;
	netif_rx_response_t *rsp = RING_GET_RESPONSE(&brx, brx.rsp_prod_pvt);
	rsp->id = (uint16_t)(req.id + id_delta);
	rsp->offset = offset;
	rsp->flags = flags;
	rsp->status = status;
	brx.rsp_prod_pvt++;
	RING_PUSH_RESPONSES(&brx);
}

static void raise_event(void)
{
	handler(FRONT_PORT, handler_arg);
}

/* ------------------------------------------------------------------ the stack above, faked */

static uint8_t got[4][70000];
static size_t got_len[4];
static unsigned int got_n;
static struct netfront *echo_to; /* answers every frame from inside the callback */

static void rx_cb(void *arg, const void *frame, size_t len)
{
	(void)arg;
	if (got_n < 4) {
		memcpy(got[got_n], frame, len);
		got_len[got_n] = len;
	}
	got_n++;
	if (echo_to) {
		struct netfront_seg seg = {frame, len};
		netfront_xmit(echo_to, &seg, 1);
	}
}

/* ------------------------------------------------------------------ tests */

static void store_reset(void)
{
	store_n = 0;
	store_set("device/vif/0/backend", BACKEND);
	store_set("device/vif/0/backend-id", "0");
	store_set("device/vif/0/mac", "aa:bb:cc:00:01:02");
	store_set("device/vif/0/ip", "10.0.0.2/24");
	store_set("device/vif/0/gateway", "10.0.0.1");
	store_set("device/vif/0/state", "1");
	store_set(BACKEND "/state", "2");
	store_set(BACKEND "/mtu", "1500");
	xs_fail_key = NULL;
	handler = NULL;
	backend_answers = true;
	backend_holds_tx = false;
	klog[0] = 0;
	sent_n = sent_slots = tx_bad = got_n = 0;
	echo_to = NULL;
	fake_now = 1000;
}

/* netfront has no close: the devices opened stay reachable here, so no leak is reported. */
static struct netfront *opened[16];
static unsigned int opened_n;

static struct netfront *open0(void)
{
	struct netfront *nf = netfront_open(0, rx_cb, NULL);
	if (nf)
		opened[opened_n++] = nf;
	return nf;
}

static void test_open(void)
{
	store_reset();
	unsigned int before = notifies;
	struct netfront *nf = open0();
	unit_check(nf != NULL, "open: connects", "log: %s", klog);
	if (!nf)
		return;
	struct netfront_info info;
	netfront_get_info(nf, &info);
	static const uint8_t mac[6] = {0xaa, 0xbb, 0xcc, 0, 1, 2};
	const uint8_t *ip = (const uint8_t *)&info.ip, *nm = (const uint8_t *)&info.netmask,
		      *gw = (const uint8_t *)&info.gateway;
	unit_check(memcmp(info.mac, mac, 6) == 0 && info.mtu == 1500 && info.static_ip, "open: info mac, mtu",
		   NULL);
	unit_check(ip[0] == 10 && ip[3] == 2 && nm[0] == 255 && nm[2] == 255 && nm[3] == 0 && gw[0] == 10 &&
			   gw[3] == 1,
		   "open: ip, netmask, gateway in network byte order", "ip %08x mask %08x gw %08x", info.ip,
		   info.netmask, info.gateway);
	char want[32];
	snprintf(want, sizeof(want), "%u", nf->tx_ring_ref);
	const char *v = store_get("device/vif/0/tx-ring-ref");
	unit_check(v && strcmp(v, want) == 0, "open: tx-ring-ref written", "got %s", v ? v : "(none)");
	v = store_get("device/vif/0/event-channel");
	unit_check(v && strcmp(v, "7") == 0, "open: event-channel written", NULL);
	unit_check(store_get("device/vif/0/rx-ring-ref") && strcmp(store_get("device/vif/0/request-rx-copy"), "1") == 0 &&
			   strcmp(store_get("device/vif/0/feature-sg"), "1") == 0 &&
			   strcmp(store_get("device/vif/0/feature-rx-notify"), "1") == 0 &&
			   strcmp(store_get("device/vif/0/state"), "4") == 0,
		   "open: feature keys and state 4", NULL);
	unsigned int ro = 0, rw = 0;
	for (int r = 0; r < REFS; r++)
		if (grants[r].used)
			grants[r].readonly ? ro++ : rw++;
	unit_check(ro == 128 && rw == 258, "open: 128 read-only tx pages, 256 rx pages + 2 rings read-write",
		   "ro %u rw %u", ro, rw);
	unit_check(rx_available() == 256 && notifies == before + 1, "open: all 256 rx requests posted, one notify",
		   "posted %u notifies %u", rx_available(), notifies - before);
	unit_check(klog[0] == 0, "open: prints nothing when all is well", "log: %s", klog);
	unit_check(!handler_during_handshake && handler != NULL,
		   "open: events are handled only after the handshake, so no frame arrives before open returns", NULL);
}

static void test_open_failures(void)
{
	store_reset();
	store_del("device/vif/0/backend");
	size_t pages = pages_out;
	unsigned int refs = grants_used;
	unit_check(!open0() && klog[0] == 0 && grants_used == refs && pages_out == pages,
		   "open: no NIC is NULL, silent, nothing kept", "log: %s", klog);

	store_reset();
	store_set("device/vif/0/mac", "aa:bb:cc:00:01");
	unit_check(!open0() && strstr(klog, "mac") && grants_used == refs && pages_out == pages,
		   "open: bad mac refused with a line",
		   "log: %s", klog);

	const char *bad_ips[] = {"10.0.0.256/24", "10.0.0.2/33", "10.0.0.2", "10.0.0.2/", "010.0.0.2/24",
				 "10.0.0.2/24x", "10.0.0/24", ""};
	for (size_t i = 0; i < sizeof(bad_ips) / sizeof(bad_ips[0]); i++) {
		store_reset();
		store_set("device/vif/0/ip", bad_ips[i]);
		bool ok = !open0() && strstr(klog, "is not A.B.C.D/N");
		char name[64];
		snprintf(name, sizeof(name), "open: ip '%s' refused", bad_ips[i]);
		unit_check(ok, name, "log: %s", klog);
	}

	store_reset();
	store_del("device/vif/0/ip");
	store_del("device/vif/0/gateway");
	struct netfront *nf = open0();
	struct netfront_info info = {.static_ip = true};
	if (nf)
		netfront_get_info(nf, &info);
	unit_check(nf && !info.static_ip && info.ip == 0, "open: no ip key means DHCP", NULL);

	store_reset();
	store_set(BACKEND "/state", "1");
	unsigned int ports = ports_open;
	unit_check(!open0() && strstr(klog, "state 1") && ports_open == ports, "open: backend in state 1 refused",
		   "log: %s", klog);

	store_reset();
	store_set("device/vif/0/backend", "../etc");
	unit_check(!open0() && strstr(klog, "not an absolute store path"), "open: relative backend path refused",
		   "log: %s", klog);

	store_reset();
	backend_answers = false;
	refs = grants_used;
	pages = pages_out;
	uint64_t start = fake_now;
	bool refused = !open0();
	unit_check(refused && strstr(klog, "did not connect within 2 s (state 2)") &&
			   wait_deadline == start + 2000000000ull && grants_used == refs && pages_out == pages &&
			   ports_open == ports &&
			   strcmp(store_get("device/vif/0/state"), "6") == 0,
		   "open: silent backend: one line after 2 s, state Closed, grants and pages given back", "log: %s",
		   klog);

	store_reset();
	xs_fail_key = "feature-sg";
	xs_fail_write = -XEN_EACCES;
	unit_check(!open0() && strstr(klog, "cannot write") && grants_used == refs, "open: store write error",
		   "log: %s", klog);
}

static struct netfront *fresh(void)
{
	store_reset();
	return open0();
}

static void test_tx(void)
{
	struct netfront *nf = fresh();
	uint8_t frame[5000];
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7 + 1);

	struct netfront_seg one = {frame, 60};
	int rc = netfront_xmit(nf, &one, 1);
	unit_check(rc == 0 && sent_n == 1 && sent_len[0] == 60 && memcmp(sent[0], frame, 60) == 0 && sent_slots == 1,
		   "tx: a small frame is one slot, bytes intact", "rc %d sent %u slots %u", rc, sent_n, sent_slots);

	struct netfront_seg three[3] = {{frame, 14}, {frame + 14, 3000}, {frame + 3014, 1986}};
	sent_n = sent_slots = 0;
	rc = netfront_xmit(nf, three, 3);
	unit_check(rc == 0 && sent_n == 1 && sent_len[0] == 5000 && memcmp(sent[0], frame, 5000) == 0 &&
			   sent_slots == 3 && first_size == 5000 && tx_bad == 0,
		   "tx: 5000 bytes in 3 segments go as 3 slots, first size = frame", "rc %d slots %u len %zu", rc,
		   sent_slots, sent_len[0]);

	static uint8_t big[65536];
	struct netfront_seg huge = {big, 65536}, slots19 = {big, 18 * 2048 + 1}, max = {big, 18 * 2048},
			    none = {big, 0};
	sent_n = sent_slots = 0;
	unit_check(netfront_xmit(nf, &huge, 1) == -XEN_EMSGSIZE && netfront_xmit(nf, &none, 1) == -XEN_EMSGSIZE &&
			   netfront_xmit(nf, &slots19, 1) == -XEN_EMSGSIZE,
		   "tx: over 65535 bytes, over 18 slots or empty is -EMSGSIZE", NULL);
	unit_check(netfront_xmit(nf, &max, 1) == 0 && sent_n == 1 && sent_len[0] == 18 * 2048 && sent_slots == 18,
		   "tx: 18 slots of 2048 bytes go", NULL);

	backend_holds_tx = true;
	int ok = 0;
	while (netfront_xmit(nf, &one, 1) == 0)
		ok++;
	struct netfront_stats st;
	netfront_get_stats(nf, &st);
	unit_check(ok == 256 && st.tx_dropped == 1, "tx: a full ring is -EAGAIN after 256 frames, counted",
		   "sent %d dropped %llu", ok, (unsigned long long)st.tx_dropped);
	backend_holds_tx = false;
	sent_n = 0;
	backend_tx();
	unit_check(netfront_xmit(nf, &one, 1) == 0, "tx: room again once the backend answers", NULL);

	/* A backend answering an id twice or one never used must not free a buffer twice. */
	raise_event();
	backend_holds_tx = true;
	for (int i = 0; i < 3; i++)
		netfront_xmit(nf, &one, 1);
	unsigned int nfree = nf->tx_nfree;
	uint16_t id = RING_GET_REQUEST(&btx, btx.req_cons)->id;
	const uint16_t ids[3] = {300, id, id};
	for (int i = 0; i < 3; i++) {
		netif_tx_response_t *rsp = RING_GET_RESPONSE(&btx, btx.rsp_prod_pvt++);
		rsp->id = ids[i];
		rsp->status = NETIF_RSP_OKAY;
	}
	RING_PUSH_RESPONSES(&btx);
	raise_event();
	unit_check(nfree == 253 && nf->tx_nfree == nfree + 1 && strstr(klog, "tx response for unused id 300"),
		   "tx: responses for unknown or idle ids free nothing", "nfree %u -> %u log %s", nfree, nf->tx_nfree,
		   klog);
	backend_holds_tx = false;
}

static void test_rx(void)
{
	struct netfront *nf = fresh();
	uint8_t frame[9000];
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 13 + 5);

	backend_rx(frame, 1514, 4096 - 16);
	raise_event();
	unit_check(got_n == 1 && got_len[0] == 1514 && memcmp(got[0], frame, 1514) == 0,
		   "rx: a frame is delivered from offset 16", "got %u len %zu", got_n, got_len[0]);

	got_n = 0;
	backend_rx(frame, 9000, 3000);
	raise_event();
	unit_check(got_n == 1 && got_len[0] == 9000 && memcmp(got[0], frame, 9000) == 0,
		   "rx: a 3-slot chain is assembled", "got %u len %zu", got_n, got_len[0]);

	got_n = 0;
	static uint8_t jumbo[70000];
	backend_rx(jumbo, 70000, 4000);
	backend_rx(frame, 100, 4000);
	raise_event();
	struct netfront_stats st;
	netfront_get_stats(nf, &st);
	unit_check(got_n == 1 && got_len[0] == 100 && st.rx_dropped == 1,
		   "rx: a chain over 65535 bytes is dropped, the next frame goes", "got %u dropped %llu", got_n,
		   (unsigned long long)st.rx_dropped);
	unit_check(rx_available() == 256, "rx: every buffer is posted again", "posted %u", rx_available());

	got_n = 0;
	backend_rx(frame, 10, 4000);
	raise_event();
	netfront_get_stats(nf, &st);
	unit_check(got_n == 0 && st.rx_errors == 1, "rx: a frame shorter than an Ethernet header is an error", NULL);
}

static void test_rx_hostile(void)
{
	struct netfront *nf = fresh();
	uint8_t frame[100] = {1, 2, 3};

	backend_rx_raw(0, 4000, 0, 200);           /* beyond the page */
	backend_rx_raw(0, 0, 0, NETIF_RSP_ERROR);  /* backend error */
	backend_rx_raw(1000, 0, 0, 60);            /* id out of range */
	backend_rx_raw(0, 4096, 0, 0);             /* offset at the end of the page */
	backend_rx_raw(0, 0, NETRXF_extra_info, 60); /* extra info, never asked for */
	backend_rx(frame, 100, 4000);
	raise_event();
	struct netfront_stats st;
	netfront_get_stats(nf, &st);
	unit_check(got_n == 1 && got_len[0] == 100 && st.rx_errors == 5,
		   "rx: bad offset, status, id and flags are counted, the next frame still goes", "got %u errors %llu",
		   got_n, (unsigned long long)st.rx_errors);
	unit_check(rx_available() == 255, "rx: a bad id frees no buffer, the others are posted again",
		   "posted %u", rx_available());

	/* The same id twice: the second answer names a buffer the backend no longer holds. */
	netif_rx_request_t req;
	RING_COPY_REQUEST(&brx, brx.req_cons, &req);
	for (int i = 0; i < 2; i++) {
		netif_rx_response_t *rsp = RING_GET_RESPONSE(&brx, brx.rsp_prod_pvt++);
		rsp->id = req.id;
		rsp->offset = 0;
		rsp->flags = 0;
		rsp->status = 60;
	}
	brx.req_cons += 2;
	RING_PUSH_RESPONSES(&brx);
	got_n = 0;
	raise_event();
	netfront_get_stats(nf, &st);
	unit_check(got_n == 1 && st.rx_errors == 6, "rx: a reused id is refused", "got %u errors %llu", got_n,
		   (unsigned long long)st.rx_errors);

	klog[0] = 0;
	brx.sring->rsp_prod += 5000;
	raise_event();
	struct netfront_seg seg = {frame, 60};
	unit_check(nf->broken && strstr(klog, "device stopped") && netfront_xmit(nf, &seg, 1) == -XEN_EAGAIN,
		   "rx: more responses than requests stop the device", "log: %s", klog);
	klog[0] = 0;
	raise_event();
	unit_check(klog[0] == 0, "rx: a stopped device says so once", "log: %s", klog);
}

static void test_batching(void)
{
	struct netfront *nf = fresh();
	uint8_t frame[1000];
	memset(frame, 0x5a, sizeof(frame));

	echo_to = nf;
	for (int i = 0; i < 10; i++)
		backend_rx(frame, 60 + (size_t)i, 4000);
	unsigned int before = notifies;
	sent_n = 0;
	raise_event();
	unit_check(got_n == 10 && notifies == before + 1,
		   "batch: 10 frames answered from the rx callback cost one notification", "got %u notifies %u",
		   got_n, notifies - before);
	unit_check(sent_n == 10 && sent_len[7] == 67 && tx_bad == 0, "batch: the answers reach the backend",
		   "sent %u", sent_n);

	/* 100 answers of 3 slots each inside one event overflow the ring unless pushed mid-batch. */
	static uint8_t big[5000];
	struct netfront_stats st0, st;
	netfront_get_stats(nf, &st0);
	got_n = 0;
	before = notifies;
	for (int i = 0; i < 100; i++)
		backend_rx(big, sizeof(big), 4000);
	raise_event();
	netfront_get_stats(nf, &st);
	unit_check(got_n == 100 && st.tx_frames - st0.tx_frames == 100 && st.tx_dropped == st0.tx_dropped &&
			   notifies == before + 2,
		   "batch: a full tx ring is pushed mid-batch, no answer dropped",
		   "got %u tx %llu dropped %llu notifies %u", got_n, (unsigned long long)(st.tx_frames - st0.tx_frames),
		   (unsigned long long)(st.tx_dropped - st0.tx_dropped), notifies - before);

	backend_holds_tx = true;
	got_n = 0;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 100; i++)
			backend_rx(big, sizeof(big), 4000);
		raise_event();
	}
	netfront_get_stats(nf, &st0);
	unit_check(got_n == 200 && st0.tx_frames - st.tx_frames == 85 && st0.tx_dropped - st.tx_dropped == 115,
		   "batch: a stalled backend costs dropped answers, not a hang", "got %u tx %llu dropped %llu", got_n,
		   (unsigned long long)(st0.tx_frames - st.tx_frames), (unsigned long long)(st0.tx_dropped - st.tx_dropped));
	backend_holds_tx = false;
	backend_tx();
	struct netfront_seg seg = {frame, 60};
	unit_check(netfront_xmit(nf, &seg, 1) == 0, "batch: sending resumes once the backend catches up", NULL);
	echo_to = NULL;
}

static void test_parse(void)
{
	uint8_t mac[6];
	uint32_t ip, mask;
	unsigned long v;
	unit_check(netfront_parse_mac("AA:bb:0c:dd:ee:FF", mac) == 0 && mac[0] == 0xaa && mac[5] == 0xff,
		   "parse: mac, either case", NULL);
	unit_check(netfront_parse_mac("aa:bb:cc:dd:ee:ff:00", mac) != 0 && netfront_parse_mac("aa-bb-cc-dd-ee-ff", mac) != 0 &&
			   netfront_parse_mac("aa:bb:cc:dd:ee:f", mac) != 0 && netfront_parse_mac("", mac) != 0,
		   "parse: malformed macs refused", NULL);
	unit_check(netfront_parse_cidr("192.168.1.20/32", &ip, &mask) == 0 && mask == 0xffffffffu &&
			   netfront_parse_cidr("1.2.3.4/0", &ip, &mask) == 0 && mask == 0 &&
			   netfront_parse_cidr("1.2.3.4/8", &ip, &mask) == 0 && mask == 0xff,
		   "parse: prefixes 32, 0 and 8", "mask %08x", mask);
	unit_check(netfront_parse_uint("1500", 68, 9000, &v) == 0 && v == 1500 &&
			   netfront_parse_uint("67", 68, 9000, &v) != 0 && netfront_parse_uint("99999999999", 0, ~0ul, &v) != 0 &&
			   netfront_parse_uint("-1", 0, 10, &v) != 0,
		   "parse: numbers in range only", NULL);
}

/*
 * A restore, as plat_ready runs it: the store is the new run's (backend in InitWait, the frontend
 * Initialising, another MAC offered), and frames were still on the old rings.
 */
static void test_restored(void)
{
	store_reset();
	struct netfront *nf = open0();
	unit_check(nf && restore_hook && restore_hook->arg == nf, "restored: open registers a restore hook", NULL);
	if (!nf || !restore_hook)
		return;
	backend_holds_tx = true;
	static const uint8_t frame[60] = {1, 2, 3};
	struct netfront_seg seg = {frame, sizeof(frame)};
	netfront_xmit(nf, &seg, 1);
	unsigned int grants_before = grants_used, ports_before = ports_open;
	store_set(BACKEND "/state", "2");
	store_set("device/vif/0/state", "1");
	store_set("device/vif/0/mac", "aa:bb:cc:99:99:99");
	backend_holds_tx = false;
	klog[0] = 0;
	restore_hook->fn(restore_hook->arg);
	struct netfront_info info;
	netfront_get_info(nf, &info);
	unit_check(strcmp(store_get("device/vif/0/state"), "4") == 0 && klog[0] == 0 && info.mac[3] == 0,
		   "restored: connected again, the interface's MAC kept", "log: %s", klog);
	unit_check(grants_used == grants_before && ports_open == ports_before,
		   "restored: the old grants and port ended, as many made anew", "grants %u -> %u, ports %u -> %u",
		   grants_before, grants_used, ports_before, ports_open);
	unit_check(rx_available() == 256 && nf->tx_nfree == 256, "restored: every rx buffer posted again, tx slots all free",
		   "posted %u, tx free %u", rx_available(), nf->tx_nfree);
	sent_n = got_n = 0;
	unit_check(netfront_xmit(nf, &seg, 1) == 0 && sent_n == 1 && sent_len[0] == sizeof(frame),
		   "restored: a frame goes out on the new tx ring", "sent %u", sent_n);
	static const uint8_t in[80] = {9, 8, 7};
	unit_check(backend_rx(in, sizeof(in), 4096), "restored: the backend finds rx buffers", NULL);
	raise_event();
	unit_check(got_n == 1 && got_len[0] == sizeof(in) && memcmp(got[0], in, sizeof(in)) == 0,
		   "restored: a frame comes in on the new rx ring", "got %u", got_n);

	store_del("device/vif/0/backend");
	klog[0] = 0;
	restore_hook->fn(restore_hook->arg);
	unit_check(netfront_xmit(nf, &seg, 1) == -XEN_EAGAIN && strstr(klog, "no such NIC") != NULL,
		   "restored: a NIC the restore did not give stops; sends are dropped", "log: %s", klog);
}

int main(void)
{
	test_parse();
	test_open();
	test_open_failures();
	test_tx();
	test_rx();
	test_rx_hostile();
	test_batching();
	test_restored();
	return unit_exit_status();
}
