/* fuzz-sources: runtime/dev/blkback.c runtime/vm/guest.c runtime/xen/evtchn.c runtime/xen/xenstore.c runtime/xen/xenstore_tree.c runtime/xen/gnttab.c runtime/xen/hvm.c runtime/xen/console.c runtime/xen/hypercall.c runtime/xen/pvclock.c runtime/util/log.c runtime/util/uring.c */
/* fuzz-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/*
 * libFuzzer harness: a hostile blkfront. The input's first byte picks a read-only or writable
 * disk (a memfd); then records write raw ring slots (indirect and discard requests among them)
 * or runs of adjacent reads or writes (which blkback joins into one host call, an O_DIRECT one for
 * a large read of pages the memfd does not hold yet),
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
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/io/blkif.h>

#define RAM (64 * 4096)
/* 1 MiB: room for the runs of 256 KiB and more that blkback reads with O_DIRECT when uncached. */
#define DISK_SIZE (1024 * 1024)
#define RING_GADDR (MICA_RAM_BASE + 0x3000)
#define FE "/local/domain/1/device/vbd/"
#include "../unit/fake_guest.h"

/*
 * A run of requests that follow each other on the disk, as blkfront sends a large transfer, which
 * blkback joins into one host call: from ring slot idx on, n requests of one operation, direct or
 * indirect, of nseg segments each, their sectors contiguous (or not, when the input's last_sect
 * makes a segment short or invalid), their data pages and segment lists granted here with the
 * input's flags. Raw slots and grant records can then break any of it.
 */
static void fuzz_adjacent(blkif_sring_t *s, const uint8_t **p, const uint8_t *end)
{
	struct {
		uint8_t idx, n, op, nseg, ref, last;
		uint16_t sector, flags;
	} h;
	take(p, end, &h, sizeof(h));
	unsigned int n = h.n % 12 + 1, nseg = h.op & 2 ? h.nseg % 40 + 1 : h.nseg % BLKIF_MAX_SEGMENTS_PER_REQUEST + 1;
	uint8_t op = h.op & 1 ? BLKIF_OP_WRITE : BLKIF_OP_READ;
	uint64_t sector = h.sector % 2080; /* the disk has 2048 */
	for (unsigned int i = 0; i < n; i++) {
		struct blkif_request_segment seg[40];
		uint64_t len = 0;
		for (unsigned int k = 0; k < nseg; k++) {
			/* Refs 8..407 (1 is the ring), on pages 32..63 of RAM: distinct unless the input's ref wraps. */
			grant_ref_t ref = (grant_ref_t)(8 + (h.ref + i * nseg + k) % 400);
			grant(ref, MICA_RAM_BASE + (uint64_t)(32 + ref % 32) * PAGE, (uint16_t)(GTF_permit_access | (h.flags & 0xff1c)));
			uint8_t last = k + 1 == nseg ? h.last % 9 : 7;
			seg[k] = (struct blkif_request_segment){.gref = ref, .first_sect = 0, .last_sect = last};
			len += last + 1u;
		}
		blkif_request_t r;
		memset(&r, 0, sizeof(r));
		if (h.op & 2) {
			/* Its segment list in page 16 + i, granted as ref 420 + i. */
			memcpy(gp(MICA_RAM_BASE + (uint64_t)(16 + i) * PAGE), seg, nseg * sizeof(seg[0]));
			grant(420 + i, MICA_RAM_BASE + (uint64_t)(16 + i) * PAGE, GTF_permit_access | GTF_readonly);
			blkif_request_indirect_t ind = {.operation = BLKIF_OP_INDIRECT, .indirect_op = op,
							.nr_segments = (uint16_t)nseg, .id = i, .sector_number = sector};
			ind.indirect_grefs[0] = 420 + i;
			memcpy(&r, &ind, sizeof(ind));
		} else {
			r.operation = op;
			r.nr_segments = (uint8_t)nseg;
			r.id = i;
			r.sector_number = sector;
			memcpy(r.seg, seg, nseg * sizeof(seg[0]));
		}
		memcpy(&s->ring[(h.idx + i) % 32].req, &r, sizeof(r));
		sector += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fake_guest_reset();
	int fd = memfd_create("disk", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, DISK_SIZE) != 0)
		abort();
	struct run_disk cfg = {.path = "disk", .name = "disk0", .ro = size > 0 && (data[0] & 1), .fd = fd,
			       .size = DISK_SIZE};
	if (!blkback_create(&g, 0, &cfg))
		abort();

	blkif_sring_t *s = gp(RING_GADDR);
	SHARED_RING_INIT(s);
	grant(1, RING_GADDR, GTF_permit_access);
	uint32_t port = alloc_unbound();
	char v[16];
	snprintf(v, sizeof(v), "%u", port);
	fe_write(0, "ring-ref", "1");
	fe_write(0, "event-channel", v);
	fe_write(0, "protocol", "x86_64-abi");
	fe_write(0, "state", "3");

	static const char *const keys[] = {"state", "ring-ref", "event-channel", "protocol"};
	static const char *const values[] = {"3", "1", "4", "6", "0", "x86_32-abi", "99999999999", "x", "", "5"};
	const uint8_t *p = data + (size > 0), *end = data + size;
	while (p < end) {
		uint8_t kind = *p++;
		switch (kind & 3) {
		case 0: { /* a raw ring slot, or with kind's top bit a run of adjacent requests */
			if (kind & 0x80) {
				fuzz_adjacent(s, &p, end);
				break;
			}
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
			if (kind & 0x40)
				notify(port);
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
			fe_write(0, keys[k % 4], values[(k >> 2) % 10]);
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
