/* fuzz-sources: runtime/dev/blkback.c runtime/vm/guest.c runtime/xen/evtchn.c runtime/xen/xenstore.c runtime/xen/xenstore_tree.c runtime/xen/gnttab.c runtime/xen/hvm.c runtime/xen/console.c runtime/xen/hypercall.c runtime/xen/pvclock.c runtime/util/log.c */
/* fuzz-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/*
 * libFuzzer harness: a hostile blkfront. The input's first byte picks a read-only or writable
 * disk (a memfd); then records write raw ring slots (indirect and discard requests among them),
 * move the request producer (notifying or not, running the monitor loop's turn for work beyond
 * the budget or not), rewrite grant entries (for data or indirect pages, which the same records
 * fill) and write the frontend's xenstore keys (the handshake included).
 * Out-of-bounds access, a leak or any sanitizer report is a finding.
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/event_channel.h>
#include "dev/blkback.h"
#include "vm/guest.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "xen/xenstore.h"
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/io/blkif.h>

#define RAM (64 * 4096)
#define PAGE 4096
#define DISK_SIZE (64 * 1024)
#define ARG_GADDR (MICA_RAM_BASE + 0x1000)
#define TABLE_GADDR (MICA_RAM_BASE + 0x2000)
#define RING_GADDR (MICA_RAM_BASE + 0x3000)
#define FE "/local/domain/1/device/vbd/0/"

static struct guest g;
static uint8_t *ram;
static shared_info_t shared;
static uint8_t store_page[PAGE];

static void *gp(uint64_t gaddr)
{
	return guest_ptr(&g, gaddr, PAGE);
}

static long op(unsigned int cmd, const void *arg, size_t size, void *out)
{
	memcpy(gp(ARG_GADDR), arg, size);
	long rc = evtchn_op(&g, cmd, ARG_GADDR);
	if (out)
		memcpy(out, gp(ARG_GADDR), size);
	return rc;
}

static size_t take(const uint8_t **p, const uint8_t *end, void *dst, size_t n)
{
	size_t k = (size_t)(end - *p) < n ? (size_t)(end - *p) : n;
	memset(dst, 0, n);
	memcpy(dst, *p, k);
	*p += k;
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ram)
		ram = aligned_alloc(PAGE, RAM);
	memset(&g, 0, sizeof(g));
	memset(ram, 0, RAM);
	memset(&shared, 0, sizeof(shared));
	memset(store_page, 0, sizeof(store_page));
	g.ram = ram;
	g.ram_size = RAM;
	g.shared = &shared;
	g.store = (struct xenstore_domain_interface *)store_page;
	if (gnttab_place_frame(&g, 0, TABLE_GADDR >> MICA_PAGE_SHIFT) != 0 || xenstore_setup(&g) != 0)
		abort();
	int fd = memfd_create("disk", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, DISK_SIZE) != 0)
		abort();
	struct run_disk cfg = {.path = "disk", .name = "disk0", .ro = size > 0 && (data[0] & 1), .fd = fd,
			       .size = DISK_SIZE};
	if (!blkback_create(&g, 0, &cfg))
		abort();

	blkif_sring_t *s = gp(RING_GADDR);
	SHARED_RING_INIT(s);
	grant_entry_v1_t *e = guest_ptr(&g, TABLE_GADDR + sizeof(*e), sizeof(*e));
	e->frame = (uint32_t)(RING_GADDR >> MICA_PAGE_SHIFT);
	e->domid = MICA_DOMID_BACKEND;
	e->flags = GTF_permit_access;
	evtchn_alloc_unbound_t au = {.dom = DOMID_SELF, .remote_dom = MICA_DOMID_BACKEND};
	op(EVTCHNOP_alloc_unbound, &au, sizeof(au), &au);
	uint32_t port = au.port;
	char v[16];
	snprintf(v, sizeof(v), "%u", port);
	xenstore_write(&g, FE "ring-ref", "1");
	xenstore_write(&g, FE "event-channel", v);
	xenstore_write(&g, FE "protocol", "x86_64-abi");
	xenstore_write(&g, FE "state", "3");

	static const char *const keys[] = {"state", "ring-ref", "event-channel", "protocol"};
	static const char *const values[] = {"3", "1", "4", "6", "0", "x86_32-abi", "99999999999", "x", "", "5"};
	const uint8_t *p = data + (size > 0), *end = data + size;
	while (p < end) {
		uint8_t kind = *p++;
		switch (kind & 3) {
		case 0: { /* a raw ring slot */
			uint8_t idx = 0;
			take(&p, end, &idx, 1);
			blkif_request_t r;
			take(&p, end, &r, sizeof(r));
			memcpy(&s->ring[idx % 32].req, &r, sizeof(r));
			break;
		}
		case 1: { /* the producer moves; kind's high bits: by how much, whether it notifies, a loop turn */
			uint8_t n = 0;
			take(&p, end, &n, 1);
			__atomic_store_n(&s->req_prod, s->req_prod + (kind & 0x80 ? (uint32_t)n << 8 : n % 33),
					 __ATOMIC_RELEASE);
			if (kind & 0x40) {
				evtchn_send_t sp = {.port = port};
				op(EVTCHNOP_send, &sp, sizeof(sp), NULL);
			}
			if (kind & 0x20) {
				struct pollfd pfd[GUEST_MAX_HOST_FDS];
				unsigned int n = guest_fd_pollfds(&g, pfd);
				if (poll(pfd, n, 0) > 0)
					guest_fd_dispatch(&g, pfd, n);
			}
			break;
		}
		case 2: { /* a grant entry, pointing anywhere in (or past) RAM */
			uint8_t ref = 0, page = 0;
			uint16_t flags = 0;
			take(&p, end, &ref, 1);
			take(&p, end, &flags, 2);
			take(&p, end, &page, 1);
			grant_entry_v1_t *ge = guest_ptr(&g, TABLE_GADDR + ref * sizeof(*ge), sizeof(*ge));
			ge->frame = (uint32_t)(MICA_RAM_BASE / PAGE + page);
			ge->domid = kind & 0x80 ? 5 : MICA_DOMID_BACKEND;
			ge->flags = flags;
			if (kind & 0x40) { /* and the page's first bytes: a segment list for indirect requests */
				struct blkif_request_segment seg[4];
				take(&p, end, seg, sizeof(seg));
				memcpy(gp(MICA_RAM_BASE + (uint64_t)(page % (RAM / PAGE)) * PAGE), seg, sizeof(seg));
			}
			break;
		}
		default: { /* a frontend key */
			uint8_t k = 0;
			take(&p, end, &k, 1);
			char path[64];
			snprintf(path, sizeof(path), FE "%s", keys[k % 4]);
			xenstore_write(&g, path, values[(k >> 2) % 10]);
			memset(shared.evtchn_pending, 0, sizeof(shared.evtchn_pending));
			break;
		}
		}
	}
	blkback_stop(&g, false);
	xenstore_destroy(&g);
	close(fd);
	return 0;
}
