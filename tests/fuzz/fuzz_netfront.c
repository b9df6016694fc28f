/* fuzz-sources: lib/netfront/netfront.c lib/netfront/ring.c lib/netfront/parse.c */
/* fuzz-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/*
 * libFuzzer harness: a hostile netback against lib/netfront. The input is a list of records that
 * write rx or tx responses (any id, offset, flags, status), move the response producers by any
 * amount, scribble on the shared ring pages, raise the event channel, or send frames (some from
 * inside the rx callback). Any sanitizer report is a finding, and so is a delivered frame outside
 * 14..65535 bytes or a tx buffer accounted twice.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/errno.h>
#include <mica/alloc.h>
#include <mica/gnttab.h>
#include <mica/kprint.h>
#include <mica/plat.h>
#include <mica/xenstore.h>
#include "../../lib/netfront/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int kprintf(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return r;
}

uint64_t plat_time_ns(void) { return 0; }
void *page_alloc(size_t npages) { return aligned_alloc(4096, npages * 4096); }
void page_free(void *p, size_t npages)
{
	(void)npages;
	free(p);
}
void *heap_calloc(size_t n, size_t size) { return calloc(n, size); }
void heap_free(void *p) { free(p); }

static grant_ref_t fuzz_next_ref;
int gnttab_grant(domid_t dom, uintptr_t page, bool readonly, grant_ref_t *ref)
{
	(void)dom, (void)page, (void)readonly;
	*ref = fuzz_next_ref++;
	return 0;
}
int gnttab_end(grant_ref_t ref)
{
	(void)ref;
	return 0;
}

/* The store of a NIC whose backend is already Connected. */
int xs_read(const char *path, char *buf, size_t len)
{
	static const char *const keys[][2] = {
		{"device/vif/0/backend", "/local/domain/0/backend/vif/1/0"},
		{"device/vif/0/mac", "02:00:00:00:00:01"},
		{"device/vif/0/ip", "10.0.0.2/24"},
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(path, keys[i][0]) == 0) {
			snprintf(buf, len, "%s", keys[i][1]);
			return (int)strlen(buf);
		}
	return -XEN_ENOENT;
}
int xs_write(const char *path, const char *value)
{
	(void)path, (void)value;
	return 0;
}
int xenbus_switch_state(const char *dir, XenbusState state)
{
	(void)dir, (void)state;
	return 0;
}
XenbusState xenbus_read_state(const char *dir)
{
	(void)dir;
	return XenbusStateConnected;
}
XenbusState xenbus_wait_state(const char *dir, XenbusState want, uint64_t deadline_ns)
{
	(void)dir, (void)want, (void)deadline_ns;
	return XenbusStateConnected;
}

static evtchn_handler_t fuzz_handler;
static void *fuzz_handler_arg;
int evtchn_alloc_unbound(uint16_t remote_dom, evtchn_port_t *port)
{
	(void)remote_dom;
	*port = 5;
	return 0;
}
int evtchn_close(evtchn_port_t port)
{
	(void)port;
	return 0;
}
int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t h, void *arg)
{
	(void)port;
	fuzz_handler = h;
	fuzz_handler_arg = arg;
	return 0;
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
			fuzz_handler(5, fuzz_handler_arg);
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
