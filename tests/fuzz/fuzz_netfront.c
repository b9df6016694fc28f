/* fuzz-sources: lib/netfront/netfront.c lib/netfront/ring.c lib/netfront/parse.c plat/common/xenbus_keys.c */
/* fuzz-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/*
 * libFuzzer harness: a hostile netback against lib/netfront. The input is a list of records that
 * write rx or tx responses (any id, offset, flags, status), move the response producers by any
 * amount, scribble on the shared ring pages, raise the event channel, or send frames (some from
 * inside the rx callback). Any sanitizer report is a finding, and so is a delivered frame outside
 * 14..65535 bytes or a tx buffer accounted twice.
 */
#include "../../lib/netfront/internal.h"
#include "../unit/fake_frontend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BACKEND "/local/domain/0/backend/vif/1/0"

/* A backend that is Connected already and does its work only when the input says. */
int xs_write(const char *path, const char *value)
{
	(void)path, (void)value;
	return 0;
}
XenbusState xenbus_wait_state(const char *dir, XenbusState want, uint64_t deadline_ns)
{
	(void)want, (void)deadline_ns;
	return xenbus_read_state(dir);
}
int evtchn_notify(evtchn_port_t port)
{
	(void)port;
	return 0;
}

static struct netfront *fuzz_nf;
static uint8_t fuzz_frame[40000];
static unsigned int fuzz_echo; /* frames the rx callback still sends back from inside */
static volatile uint8_t fuzz_sum;

static void fuzz_rx(void *arg, const void *frame, size_t len)
{
	(void)arg;
	if (len < 14 || len > NETFRONT_FRAME_MAX)
		abort();
	/* Reading all of it: an over-long claim would show as a sanitizer report. */
	for (size_t i = 0; i < len; i++)
		fuzz_sum ^= ((const uint8_t *)frame)[i];
	if (fuzz_echo) {
		fuzz_echo--;
		struct netfront_seg seg = {frame, len > sizeof(fuzz_frame) ? sizeof(fuzz_frame) : len};
		netfront_xmit(fuzz_nf, &seg, 1);
	}
}

/* Every tx id is either free (once) or busy, never both and never twice. */
static void fuzz_check_tx(const struct netfront *nf)
{
	bool seen[NETFRONT_TX_RING_SIZE] = {0};
	if (nf->tx_nfree > NETFRONT_TX_RING_SIZE)
		abort();
	for (unsigned int i = 0; i < nf->tx_nfree; i++) {
		uint16_t id = nf->tx_free[i];
		if (id >= NETFRONT_TX_RING_SIZE || seen[id] || nf->tx_busy[id])
			abort();
		seen[id] = true;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz_nf) {
		store_set("device/vif/0/backend", BACKEND);
		store_set("device/vif/0/mac", "02:00:00:00:00:01");
		store_set("device/vif/0/ip", "10.0.0.2/24");
		store_set(BACKEND "/state", "4");
		fuzz_nf = netfront_open(0, fuzz_rx, 0);
		if (!fuzz_nf)
			abort();
	}
	struct netfront *nf = fuzz_nf;
	/* Each input starts from a fresh device state, on the same memory. */
	memset(nf->tx.sring, 0, NETFRONT_PAGE);
	memset(nf->rx.sring, 0, NETFRONT_PAGE);
	memset(nf->tx_busy, 0, sizeof(nf->tx_busy));
	memset(nf->rx_busy, 0, sizeof(nf->rx_busy));
	nf->rx.req_prod_pvt = nf->rx.rsp_cons = nf->tx.req_prod_pvt = nf->tx.rsp_cons = 0;
	nf->tx_pushed = nf->rx_pushed = 0;
	nf->chain_len = 0;
	nf->chain_bad = nf->broken = nf->warned = false;
	nf->rx_ndone = 0;
	netfront_ring_init(nf);
	netfront_flush(nf);
	fuzz_echo = 0;

	while (size >= 8) {
		uint8_t op = data[0];
		uint16_t a = (uint16_t)(data[1] | data[2] << 8), b = (uint16_t)(data[3] | data[4] << 8);
		uint16_t c = (uint16_t)(data[5] | data[6] << 8);
		uint8_t d = data[7];
		data += 8;
		size -= 8;
		switch (op % 7) {
		case 0: { /* an rx response at the producer, which moves by one */
			netif_rx_response_t *r = RING_GET_RESPONSE(&nf->rx, nf->rx.sring->rsp_prod);
			r->id = a;
			r->offset = b;
			r->flags = (uint16_t)(d & 0x1f);
			r->status = (int16_t)c;
			nf->rx.sring->rsp_prod++;
			break;
		}
		case 1: { /* a tx response */
			netif_tx_response_t *r = RING_GET_RESPONSE(&nf->tx, nf->tx.sring->rsp_prod);
			r->id = a;
			r->status = (int16_t)c;
			nf->tx.sring->rsp_prod++;
			break;
		}
		case 2: /* a producer moved by anything */
			if (d & 1)
				nf->rx.sring->rsp_prod += a;
			else
				nf->tx.sring->rsp_prod += a;
			break;
		case 3: /* scribbles on a ring page */
			((uint8_t *)(d & 1 ? (void *)nf->rx.sring : (void *)nf->tx.sring))[a % NETFRONT_PAGE] = (uint8_t)b;
			break;
		case 4:
			handler(FRONT_PORT, handler_arg);
			break;
		case 5: { /* a frame of up to 3 segments */
			struct netfront_seg segs[3] = {{fuzz_frame, a % 20000}, {fuzz_frame, b % 20000}, {fuzz_frame, c % 2000}};
			int rc = netfront_xmit(nf, segs, 1 + d % 3);
			if (rc != 0 && rc != -XEN_EAGAIN && rc != -XEN_EMSGSIZE)
				abort();
			break;
		}
		case 6:
			fuzz_echo = d;
			break;
		}
		fuzz_check_tx(nf);
	}
	return 0;
}
