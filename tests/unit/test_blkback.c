/* unit-sources: runtime/dev/blkback.c runtime/vm/guest.c runtime/xen/evtchn.c runtime/xen/xenstore.c runtime/xen/xenstore_tree.c runtime/xen/gnttab.c runtime/xen/hvm.c runtime/xen/console.c runtime/xen/hypercall.c runtime/xen/pvclock.c runtime/util/log.c runtime/util/uring.c */
/* unit-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/*
 * Unit tests of blkback: a fake guest (RAM, a grant table, event channels, the xenstore daemon)
 * drives it as a frontend would, and a memfd stands in for the disk file.
 */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xen/event_channel.h>
#include "dev/blkback.h"
#include "util/uring.h"
#include "vm/guest.h"
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/io/blkif.h>
#include "unit.h"

#define RAM (1024 * 1024)
#define DISK_SIZE (64 * 1024) /* 128 sectors */
#define RING_GADDR(d) (MICA_RAM_BASE + 0x10000 + (uint64_t)(d) * PAGE)
#define BUF_GADDR(i) (MICA_RAM_BASE + 0x20000 + (uint64_t)(i) * PAGE)
#define REF_RING(d) (1 + (d))
#define REF_BUF(i) (100 + (i)) /* buffers 0..15 */
#define FE "/local/domain/1/device/vbd/"
#define BE "/local/domain/0/backend/vbd/1/"
#include "fake_guest.h"

/* One disk as its frontend sees it. */
struct fe {
	struct blkback *bb;
	int fd;
	blkif_front_ring_t ring;
	uint32_t port;
};
static struct fe disk[2];

static struct blkback_stats stats(unsigned int n)
{
	struct blkback_stats st;
	blkback_get_stats(disk[n].bb, &st);
	return st;
}

/* Disk n on fd (size bytes) as `mica run --disk` makes it, its ring granted and initialised, not yet connected. */
static void attach_disk(unsigned int n, int fd, uint64_t size, bool ro)
{
	struct fe *f = &disk[n];
	f->fd = fd;
	struct run_disk cfg = {.path = "disk.img", .ro = ro, .fd = fd, .size = size};
	snprintf(cfg.name, sizeof(cfg.name), n ? "second" : "disk0");
	f->bb = blkback_create(&g, n, &cfg);
	if (!f->bb)
		abort();
	blkif_sring_t *s = gp(RING_GADDR(n));
	SHARED_RING_INIT(s);
	FRONT_RING_INIT(&f->ring, s, PAGE);
	grant(REF_RING(n), RING_GADDR(n), GTF_permit_access);
	f->port = alloc_unbound();
}

/* A memfd of size bytes for a disk; aborts the test when it cannot be made. */
static int disk_memfd(uint64_t size)
{
	int fd = memfd_create("disk", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
		abort();
	return fd;
}

/* Disk n of DISK_SIZE on a memfd, not yet connected. */
static void add_disk(unsigned int n, bool ro)
{
	attach_disk(n, disk_memfd(DISK_SIZE), DISK_SIZE, ro);
}

/* The frontend's half of the handshake: its keys, then Initialised. */
static void connect_disk(unsigned int n)
{
	char v[16];
	snprintf(v, sizeof(v), "%d", REF_RING(n));
	fe_write(n, "ring-ref", v);
	snprintf(v, sizeof(v), "%u", disk[n].port);
	fe_write(n, "event-channel", v);
	fe_write(n, "protocol", "x86_64-abi");
	fe_write(n, "state", "3");
}

/* A guest with its grant table and store, and no disk yet. */
static void fresh_bare(void)
{
	blkback_stop(&g, false);
	xenstore_destroy(&g);
	for (int i = 0; i < 2; i++) {
		if (disk[i].bb)
			close(disk[i].fd);
		memset(&disk[i], 0, sizeof(disk[i]));
	}
	fake_guest_reset();
}

/* The same with disk 0 (read-write) connected. */
static void fresh(void)
{
	fresh_bare();
	add_disk(0, false);
	connect_disk(0);
}

/* Fills buffer page i with a pattern seeded by seed and grants it with flags. */
static uint8_t *buf(unsigned int i, uint8_t seed, uint16_t flags)
{
	uint8_t *p = gp(BUF_GADDR(i));
	for (int j = 0; j < PAGE; j++)
		p[j] = (uint8_t)(seed + j * 7);
	grant(REF_BUF(i), BUF_GADDR(i), flags);
	return p;
}

static void put(unsigned int n, blkif_request_t r)
{
	memcpy(RING_GET_REQUEST(&disk[n].ring, disk[n].ring.req_prod_pvt), &r, sizeof(r));
	disk[n].ring.req_prod_pvt++;
}

/* Publishes the requests put so far and lets blkback answer them all (reads in flight included). */
static void push(unsigned int n)
{
	RING_PUSH_REQUESTS(&disk[n].ring);
	notify(disk[n].port);
	blkback_quiesce(&g);
}

/* The next response; status 99 when there is none. */
static blkif_response_t rsp(unsigned int n)
{
	blkif_front_ring_t *r = &disk[n].ring;
	if (r->rsp_cons == r->sring->rsp_prod)
		return (blkif_response_t){.id = 0, .status = 99};
	return *RING_GET_RESPONSE(r, r->rsp_cons++);
}

/* One request pushed and its one response's status (99: none, 98: more than one). */
static int req1(unsigned int n, blkif_request_t r)
{
	put(n, r);
	push(n);
	blkif_response_t a = rsp(n);
	if (a.status != 99 && a.id != r.id)
		return 97;
	return rsp(n).status != 99 ? 98 : a.status;
}

static blkif_request_t rw(uint8_t op, uint64_t id, uint64_t sector, unsigned int nseg)
{
	blkif_request_t r = {.operation = op, .nr_segments = (uint8_t)nseg, .id = id, .sector_number = sector};
	for (unsigned int i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		r.seg[i] = (struct blkif_request_segment){.gref = REF_BUF(i), .first_sect = 0, .last_sect = 7};
	return r;
}

static void test_keys(void)
{
	fresh_bare();
	add_disk(0, false);
	add_disk(1, true);
	unit_check(strcmp(store_read(FE "0/backend"), BE "0") == 0 && strcmp(store_read(FE "0/backend-id"), "0") == 0 &&
			   strcmp(store_read(FE "0/virtual-device"), "51712") == 0 &&
			   strcmp(store_read(FE "1/virtual-device"), "51728") == 0 &&
			   strcmp(store_read(FE "0/device-type"), "disk") == 0 &&
			   strcmp(store_read(FE "1/name"), "second") == 0 && strcmp(store_read(FE "0/state"), "1") == 0,
		   "frontend keys: backend, backend-id, virtual-device, device-type, name, state 1", "vdev %s name %s",
		   store_read(FE "1/virtual-device"), store_read(FE "1/name"));
	unit_check(strcmp(store_read(BE "0/state"), "2") == 0 && strcmp(store_read(BE "0/mode"), "w") == 0 &&
			   strcmp(store_read(BE "0/sectors"), "128") == 0 &&
			   strcmp(store_read(BE "0/sector-size"), "512") == 0 &&
			   strcmp(store_read(BE "0/physical-sector-size"), "512") == 0 &&
			   strcmp(store_read(BE "0/feature-flush-cache"), "1") == 0 &&
			   strcmp(store_read(BE "0/feature-discard"), "1") == 0 &&
			   strcmp(store_read(BE "0/discard-granularity"), "4096") == 0 &&
			   strcmp(store_read(BE "0/info"), "(none)") == 0 && strcmp(store_read(BE "0/frontend"), FE "0") == 0 &&
			   strcmp(store_read(BE "0/frontend-id"), "1") == 0,
		   "backend keys: mode w, sectors, sector sizes, features, frontend, state 2", "state %s sectors %s",
		   store_read(BE "0/state"), store_read(BE "0/sectors"));
	unit_check(strcmp(store_read(BE "1/mode"), "r") == 0 && strcmp(store_read(BE "1/info"), "4") == 0 &&
			   strcmp(store_read(BE "1/feature-discard"), "(none)") == 0,
		   "a read-only disk: mode r, info VDISK_READONLY, no feature-discard", "mode %s info %s",
		   store_read(BE "1/mode"), store_read(BE "1/info"));
	connect_disk(0);
	unit_check(strcmp(store_read(BE "0/state"), "4") == 0 && stats(0).connected,
		   "the frontend's state 3 connects it at once: backend state 4", "state %s", store_read(BE "0/state"));
	unit_check((grant_flags(REF_RING(0)) & (GTF_reading | GTF_writing)) == (GTF_reading | GTF_writing),
		   "the ring page stays mapped while connected", "flags %#x", grant_flags(REF_RING(0)));
	fe_write(0, "state", "6");
	unit_check(strcmp(store_read(BE "0/state"), "6") == 0 && !stats(0).connected &&
			   (grant_flags(REF_RING(0)) & (GTF_reading | GTF_writing)) == 0,
		   "the frontend closing releases the ring: backend state 6", "state %s", store_read(BE "0/state"));
	blkback_stop(&g, false);
	unit_check(g.ports[disk[0].port].state == EVS_UNBOUND, "teardown releases the port", NULL);
	close(disk[0].fd);
	close(disk[1].fd);
	memset(disk, 0, sizeof(disk));
}

static void test_handshake_errors(void)
{
	fresh_bare();
	add_disk(0, false);
	char v[16];
	snprintf(v, sizeof(v), "%u", disk[0].port);
	fe_write(0, "ring-ref", "5"); /* never granted */
	fe_write(0, "event-channel", v);
	fe_write(0, "state", "3");
	unit_check(strcmp(store_read(BE "0/state"), "5") == 0 && !stats(0).connected &&
			   strstr(store_read(BE "0/error"), "ring-ref 5") != NULL,
		   "an ungranted ring-ref: Closing, with the reason in error", "state %s error %s",
		   store_read(BE "0/state"), store_read(BE "0/error"));
	fresh_bare();
	add_disk(0, false);
	connect_disk(0);
	fe_write(0, "protocol", "x86_32-abi");
	unit_check(stats(0).connected, "a connected disk ignores later protocol keys", NULL);
	fresh_bare();
	add_disk(0, false);
	snprintf(v, sizeof(v), "%d", REF_RING(0));
	fe_write(0, "ring-ref", v);
	fe_write(0, "event-channel", "99999");
	fe_write(0, "state", "3");
	unit_check(!stats(0).connected && strcmp(store_read(BE "0/state"), "5") == 0 &&
			   (grant_flags(REF_RING(0)) & (GTF_reading | GTF_writing)) == 0,
		   "a bad event-channel: Closing, the ring unmapped", NULL);
	fresh_bare();
	add_disk(0, false);
	snprintf(v, sizeof(v), "%u", disk[0].port);
	fe_write(0, "ring-ref", "1");
	fe_write(0, "event-channel", v);
	fe_write(0, "protocol", "x86_32-abi");
	fe_write(0, "state", "3");
	unit_check(!stats(0).connected && strstr(store_read(BE "0/error"), "protocol") != NULL,
		   "a protocol other than x86_64-abi is refused", "error %s", store_read(BE "0/error"));
}

static void test_good(void)
{
	fresh();
	uint8_t want[3 * PAGE], got[3 * PAGE];
	for (int i = 0; i < 3; i++)
		memcpy(want + i * PAGE, buf((unsigned int)i, (uint8_t)(i * 31 + 1), GTF_permit_access | GTF_readonly), PAGE);
	unit_check(req1(0, rw(BLKIF_OP_WRITE, 7, 8, 3)) == BLKIF_RSP_OKAY && pread(disk[0].fd, got, sizeof(got), 8 * 512) ==
			   (ssize_t)sizeof(got) && memcmp(got, want, sizeof(got)) == 0,
		   "a 3-segment write from read-only grants lands on the file", NULL);
	for (int i = 0; i < 3; i++)
		buf((unsigned int)i, 0, GTF_permit_access);
	unit_check(req1(0, rw(BLKIF_OP_READ, 8, 8, 3)) == BLKIF_RSP_OKAY &&
			   memcmp(gp(BUF_GADDR(0)), want, PAGE) == 0 && memcmp(gp(BUF_GADDR(2)), want + 2 * PAGE, PAGE) == 0,
		   "a 3-segment read brings it back into the guest's pages", NULL);
	/* Partial segments: sectors 2..3 of page 0 and 0..0 of page 1, 3 sectors from disk sector 100. */
	uint8_t *p0 = buf(0, 0x55, GTF_permit_access), *p1 = buf(1, 0x66, GTF_permit_access);
	blkif_request_t w = rw(BLKIF_OP_WRITE, 9, 100, 2);
	w.seg[0].first_sect = 2;
	w.seg[0].last_sect = 3;
	w.seg[1].first_sect = w.seg[1].last_sect = 0;
	memcpy(want, p0 + 1024, 1024);
	memcpy(want + 1024, p1, 512);
	unit_check(req1(0, w) == BLKIF_RSP_OKAY && pread(disk[0].fd, got, 1536, 100 * 512) == 1536 &&
			   memcmp(got, want, 1536) == 0,
		   "partial segments write their sectors only, in order", NULL);
	memset(p0, 0, PAGE);
	memset(p1, 0, PAGE);
	w.operation = BLKIF_OP_READ;
	unit_check(req1(0, w) == BLKIF_RSP_OKAY && memcmp(p0 + 1024, want, 1024) == 0 &&
			   memcmp(p1, want + 1024, 512) == 0 && p0[0] == 0 && p0[2048] == 0 && p1[512] == 0,
		   "partial segments read into their sectors only", NULL);
	unit_check(req1(0, rw(BLKIF_OP_READ, 10, 127, 0)) == BLKIF_RSP_ERROR,
		   "a read of 0 segments is refused", NULL);
	blkif_request_t last = rw(BLKIF_OP_WRITE, 11, 127, 1);
	last.seg[0].first_sect = last.seg[0].last_sect = 7;
	unit_check(req1(0, last) == BLKIF_RSP_OKAY, "the last sector of the disk can be written", NULL);
	unit_check(req1(0, rw(BLKIF_OP_FLUSH_DISKCACHE, 12, 0, 0)) == BLKIF_RSP_OKAY && stats(0).flushes == 1,
		   "a flush of 0 segments succeeds", NULL);
	buf(0, 0x77, GTF_permit_access | GTF_readonly);
	unit_check(req1(0, rw(BLKIF_OP_FLUSH_DISKCACHE, 13, 16, 1)) == BLKIF_RSP_OKAY &&
			   pread(disk[0].fd, got, PAGE, 16 * 512) == PAGE && memcmp(got, gp(BUF_GADDR(0)), PAGE) == 0,
		   "a flush carrying data writes it first", NULL);
	blkif_request_discard_t d = {.operation = BLKIF_OP_DISCARD, .id = 14, .sector_number = 8, .nr_sectors = 8};
	blkif_request_t dr;
	memset(&dr, 0, sizeof(dr));
	memcpy(&dr, &d, sizeof(d));
	memset(want, 0, PAGE);
	unit_check(req1(0, dr) == BLKIF_RSP_OKAY && pread(disk[0].fd, got, PAGE, 8 * 512) == PAGE &&
			   memcmp(got, want, PAGE) == 0 && pread(disk[0].fd, got, 512, 16 * 512) == 512 && got[0] == 0x77,
		   "a discard punches a hole in its sectors only", NULL);
	struct blkback_stats st = stats(0);
	unit_check(st.reads == 2 && st.writes == 4 && st.discards == 1 && st.io_errors == 0 &&
			   st.refused[BLKBACK_REFUSED_SEGMENTS] == 1,
		   "counters: reads, writes, discards", "%llu reads %llu writes", (unsigned long long)st.reads,
		   (unsigned long long)st.writes);
	/* The response's padding: fill the ring's response area, then check what mica wrote. */
	memset(RING_GET_RESPONSE(&disk[0].ring, disk[0].ring.rsp_cons), 0xa5, sizeof(blkif_response_t));
	put(0, rw(BLKIF_OP_FLUSH_DISKCACHE, 15, 0, 0));
	push(0);
	const uint8_t *raw = (const uint8_t *)RING_GET_RESPONSE(&disk[0].ring, disk[0].ring.rsp_cons);
	blkif_response_t r = rsp(0);
	blkif_response_t z;
	memset(&z, 0, sizeof(z));
	z.id = 15;
	z.operation = BLKIF_OP_FLUSH_DISKCACHE;
	unit_check(r.status == 0 && memcmp(raw, &z, sizeof(z)) == 0, "response padding is zeroed", NULL);
}

static void test_refused(void)
{
	fresh();
	buf(0, 1, GTF_permit_access);
	buf(1, 2, GTF_permit_access | GTF_readonly);
	blkif_request_t r = rw(BLKIF_OP_WRITE, 1, 0, 12);
	unit_check(req1(0, r) == BLKIF_RSP_ERROR && stats(0).refused[BLKBACK_REFUSED_SEGMENTS] == 1,
		   "12 segments: error, counted", NULL);
	r = rw(BLKIF_OP_WRITE, 2, 0, 1);
	r.seg[0].first_sect = 4;
	r.seg[0].last_sect = 3;
	unit_check(req1(0, r) == BLKIF_RSP_ERROR, "first_sect above last_sect: error", NULL);
	r.seg[0].first_sect = 0;
	r.seg[0].last_sect = 8;
	unit_check(req1(0, r) == BLKIF_RSP_ERROR && stats(0).refused[BLKBACK_REFUSED_SECTOR] == 2,
		   "last_sect 8: error, counted", NULL);
	unit_check(req1(0, rw(BLKIF_OP_READ, 3, 121, 1)) == BLKIF_RSP_ERROR &&
			   req1(0, rw(BLKIF_OP_READ, 4, UINT64_MAX - 3, 1)) == BLKIF_RSP_ERROR &&
			   stats(0).refused[BLKBACK_REFUSED_RANGE] == 2,
		   "sectors beyond the disk (and a wrapping sector number): error, counted", NULL);
	r = rw(BLKIF_OP_READ, 5, 0, 2); /* page 1 is granted read-only: mica may not write it */
	unit_check(req1(0, r) == BLKIF_RSP_ERROR && stats(0).refused[BLKBACK_REFUSED_GRANT] == 1,
		   "a read into a read-only grant: error, counted", NULL);
	r = rw(BLKIF_OP_WRITE, 6, 0, 1);
	r.seg[0].gref = 5000;
	unit_check(req1(0, r) == BLKIF_RSP_ERROR && stats(0).refused[BLKBACK_REFUSED_GRANT] == 2,
		   "a write from a bad gref: error, and the file is untouched", NULL);
	unit_check(req1(0, rw(BLKIF_OP_WRITE_BARRIER, 8, 0, 1)) == BLKIF_RSP_EOPNOTSUPP &&
			   req1(0, rw(200, 9, 0, 1)) == BLKIF_RSP_EOPNOTSUPP && stats(0).refused[BLKBACK_REFUSED_OP] == 2,
		   "barrier and unknown operations: EOPNOTSUPP, counted", NULL);
	blkif_request_discard_t d = {.operation = BLKIF_OP_DISCARD, .id = 10, .sector_number = 120, .nr_sectors = 9};
	blkif_request_t dr;
	memset(&dr, 0, sizeof(dr));
	memcpy(&dr, &d, sizeof(d));
	unit_check(req1(0, dr) == BLKIF_RSP_ERROR && stats(0).refused[BLKBACK_REFUSED_RANGE] == 3,
		   "a discard beyond the disk: error", NULL);
	unit_check(req1(0, rw(BLKIF_OP_READ, 11, 0, 1)) == BLKIF_RSP_OKAY, "the disk keeps serving after refusals", NULL);
	uint8_t z[512], got[512];
	memset(z, 0, sizeof(z));
	unit_check(pread(disk[0].fd, got, 512, 0) == 512 && memcmp(got, z, 512) == 0,
		   "no refused write reached the file", NULL);
}

/* Runs the monitor loop's part for the host fds: whatever mica polls and finds ready. */
static int loop_turn(void)
{
	struct pollfd pfd[GUEST_MAX_HOST_FDS];
	unsigned int n = guest_fd_pollfds(&g, pfd);
	int ready = poll(pfd, n, 0);
	if (ready > 0)
		guest_fd_dispatch(&g, pfd, n);
	return ready;
}

/* Requests the ring delivers together are each answered, in order, half a ring per loop turn. */
static void test_batch(void)
{
	fresh();
	buf(0, 3, GTF_permit_access);
	unit_check(loop_turn() == 0, "an idle disk has nothing for the monitor loop", NULL);
	for (uint64_t id = 1; id <= 32; id++)
		put(0, rw(id % 2 ? BLKIF_OP_WRITE : BLKIF_OP_READ, id, id, 1));
	push(0);
	unsigned int answered = disk[0].ring.sring->rsp_prod - disk[0].ring.rsp_cons;
	unit_check(answered == 16 && stats(0).resumed == 1, "one notify serves a budget of 16 requests",
		   "%u answered", answered);
	unit_check(loop_turn() == 1 && disk[0].ring.sring->rsp_prod - disk[0].ring.rsp_cons == 32 && loop_turn() == 0,
		   "the next loop turn serves the rest, then the disk is idle again", NULL);
	int good = 0;
	for (uint64_t id = 1; id <= 32; id++) {
		blkif_response_t r = rsp(0);
		good += r.id == id && r.status == BLKIF_RSP_OKAY && r.operation == (id % 2 ? BLKIF_OP_WRITE : BLKIF_OP_READ);
	}
	unit_check(good == 32 && rsp(0).status == 99, "a full ring of 32 requests: 32 responses, in order", "%d good",
		   good);
}

/* An indirect request of nseg segments from indirect page ipage (ref REF_BUF(ipage)), grefs REF_BUF(seg % mod). */
static blkif_request_t indirect(uint8_t op, uint64_t id, uint64_t sector, unsigned int nseg, unsigned int mod,
				unsigned int ipage)
{
	struct blkif_request_segment *list = gp(BUF_GADDR(ipage));
	for (unsigned int i = 0; i < nseg && i < PAGE / sizeof(*list); i++)
		list[i] = (struct blkif_request_segment){.gref = REF_BUF(i % mod), .first_sect = 0, .last_sect = 7};
	grant(REF_BUF(ipage), BUF_GADDR(ipage), GTF_permit_access | GTF_readonly);
	blkif_request_indirect_t ind = {.operation = BLKIF_OP_INDIRECT, .indirect_op = op, .nr_segments = (uint16_t)nseg,
					.id = id, .sector_number = sector};
	ind.indirect_grefs[0] = REF_BUF(ipage);
	blkif_request_t r;
	memset(&r, 0, sizeof(r));
	memcpy(&r, &ind, sizeof(ind));
	return r;
}

static void test_indirect(void)
{
	fresh();
	unit_check(strcmp(store_read(BE "0/feature-max-indirect-segments"), "256") == 0,
		   "feature-max-indirect-segments 256 is offered", "%s", store_read(BE "0/feature-max-indirect-segments"));
	uint8_t want[14 * PAGE], got[14 * PAGE];
	for (unsigned int i = 0; i < 14; i++)
		memcpy(want + i * PAGE, buf(i, (uint8_t)(i * 13 + 5), GTF_permit_access), PAGE);
	put(0, indirect(BLKIF_OP_WRITE, 21, 2, 14, 14, 15));
	push(0);
	blkif_response_t r = rsp(0);
	unit_check(r.id == 21 && r.status == BLKIF_RSP_OKAY && r.operation == BLKIF_OP_WRITE &&
			   pread(disk[0].fd, got, sizeof(got), 2 * 512) == (ssize_t)sizeof(got) &&
			   memcmp(got, want, sizeof(got)) == 0,
		   "an indirect write of 14 segments lands on the file; the answer names the indirect_op", "status %d op %u",
		   r.status, r.operation);
	for (unsigned int i = 0; i < 14; i++)
		buf(i, 0, GTF_permit_access);
	unit_check(req1(0, indirect(BLKIF_OP_READ, 22, 2, 14, 14, 15)) == BLKIF_RSP_OKAY &&
			   memcmp(gp(BUF_GADDR(0)), want, PAGE) == 0 && memcmp(gp(BUF_GADDR(13)), want + 13 * PAGE, PAGE) == 0,
		   "an indirect read of 14 segments", NULL);
	/* Segments naming the same grant twice cannot all be held at once: the copying path serves them. */
	for (unsigned int i = 0; i < 3; i++)
		buf(i, (uint8_t)(i + 40), GTF_permit_access);
	unit_check(req1(0, indirect(BLKIF_OP_WRITE, 23, 0, 12, 3, 15)) == BLKIF_RSP_OKAY &&
			   pread(disk[0].fd, got, PAGE, 9 * 8 * 512) == PAGE && memcmp(got, gp(BUF_GADDR(0)), PAGE) == 0 &&
			   pread(disk[0].fd, got, PAGE, 11 * 8 * 512) == PAGE && memcmp(got, gp(BUF_GADDR(2)), PAGE) == 0,
		   "an indirect write of 12 segments over 3 grants, each used 4 times", NULL);
	struct blkback_stats st = stats(0);
	unit_check(st.writes == 2 && st.reads == 1 && st.written_bytes == 26 * PAGE && st.refused[BLKBACK_REFUSED_GRANT] == 0,
		   "counted as 2 writes and a read, no refusal", NULL);

	blkif_request_t bad = indirect(BLKIF_OP_READ, 24, 0, 0, 1, 15);
	unit_check(req1(0, bad) == BLKIF_RSP_ERROR, "an indirect request of 0 segments: error", NULL);
	bad = indirect(BLKIF_OP_READ, 25, 0, 257, 1, 15);
	unit_check(req1(0, bad) == BLKIF_RSP_ERROR && stats(0).refused[BLKBACK_REFUSED_SEGMENTS] == 2,
		   "257 indirect segments: error, counted", NULL);
	unit_check(req1(0, indirect(BLKIF_OP_FLUSH_DISKCACHE, 26, 0, 1, 1, 15)) == BLKIF_RSP_EOPNOTSUPP &&
			   req1(0, indirect(BLKIF_OP_INDIRECT, 27, 0, 1, 1, 15)) == BLKIF_RSP_EOPNOTSUPP &&
			   stats(0).refused[BLKBACK_REFUSED_OP] == 2,
		   "an indirect flush or indirect indirect: EOPNOTSUPP, counted", NULL);
	bad = indirect(BLKIF_OP_READ, 28, 0, 2, 1, 15);
	bad.seg[0].gref = 0; /* not in the request for an indirect one: its indirect_grefs[0] is at the same place */
	blkif_request_indirect_t *bi = (blkif_request_indirect_t *)&bad;
	bi->indirect_grefs[0] = 5000;
	unit_check(req1(0, bad) == BLKIF_RSP_ERROR && stats(0).refused[BLKBACK_REFUSED_GRANT] == 1,
		   "an indirect page that is not granted: error, counted", NULL);
	bad = indirect(BLKIF_OP_WRITE, 29, 0, 2, 1, 15);
	((struct blkif_request_segment *)gp(BUF_GADDR(15)))[1].last_sect = 8;
	unit_check(req1(0, bad) == BLKIF_RSP_ERROR && stats(0).refused[BLKBACK_REFUSED_SECTOR] == 1,
		   "an indirect segment of sectors 0..8: error, counted", NULL);
	unit_check(req1(0, indirect(BLKIF_OP_READ, 30, 100, 4, 4, 15)) == BLKIF_RSP_ERROR &&
			   stats(0).refused[BLKBACK_REFUSED_RANGE] == 1,
		   "an indirect read beyond the disk: error, counted", NULL);
	bad = indirect(BLKIF_OP_READ, 31, 0, 1, 1, 15);
	grant(REF_BUF(0), BUF_GADDR(0), GTF_permit_access | GTF_readonly);
	unit_check(req1(0, bad) == BLKIF_RSP_ERROR && stats(0).refused[BLKBACK_REFUSED_GRANT] == 2,
		   "an indirect read into a read-only grant: error, counted", NULL);
	buf(0, 9, GTF_permit_access);
	unit_check(req1(0, indirect(BLKIF_OP_READ, 32, 0, 2, 2, 15)) == BLKIF_RSP_OKAY,
		   "the disk keeps serving after refusals", NULL);
}

static void test_readonly(void)
{
	fresh_bare();
	add_disk(0, true);
	connect_disk(0);
	if (pwrite(disk[0].fd, "abc", 3, 0) != 3)
		abort();
	buf(0, 1, GTF_permit_access);
	blkif_request_discard_t d = {.operation = BLKIF_OP_DISCARD, .id = 3, .sector_number = 0, .nr_sectors = 8};
	blkif_request_t dr;
	memset(&dr, 0, sizeof(dr));
	memcpy(&dr, &d, sizeof(d));
	unit_check(req1(0, rw(BLKIF_OP_WRITE, 1, 0, 1)) == BLKIF_RSP_ERROR &&
			   req1(0, rw(BLKIF_OP_FLUSH_DISKCACHE, 2, 0, 1)) == BLKIF_RSP_ERROR &&
			   req1(0, dr) == BLKIF_RSP_EOPNOTSUPP && req1(0, indirect(BLKIF_OP_WRITE, 6, 0, 1, 1, 15)) == BLKIF_RSP_ERROR &&
			   stats(0).refused[BLKBACK_REFUSED_READONLY] == 4,
		   "writes, indirect writes and data flushes to a read-only disk: error; discards: EOPNOTSUPP; counted", NULL);
	uint8_t *p = gp(BUF_GADDR(0));
	unit_check(req1(0, rw(BLKIF_OP_READ, 4, 0, 1)) == BLKIF_RSP_OKAY && memcmp(p, "abc", 3) == 0 &&
			   req1(0, rw(BLKIF_OP_FLUSH_DISKCACHE, 5, 0, 0)) == BLKIF_RSP_OKAY,
		   "a read-only disk reads and flushes", NULL);
}

/* Runs fn with stderr captured; returns the lines it logged and the last in line. */
static int logged(void (*fn)(void), char *line, size_t len)
{
	fflush(stderr);
	int saved = dup(2);
	FILE *log = tmpfile();
	dup2(fileno(log), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(log);
	int lines = 0;
	line[0] = '\0';
	while (fgets(line, (int)len, log))
		lines++;
	fclose(log);
	return lines;
}

static void many_bad(void)
{
	for (int i = 0; i < 5; i++)
		req1(0, rw(BLKIF_OP_READ, 1, 0, 0));
}

static void corrupt(void)
{
	disk[0].ring.sring->req_prod = 1000;
	notify(disk[0].port);
	notify(disk[0].port);
}

static void test_logged_once(void)
{
	fresh();
	char line[512];
	int lines = logged(many_bad, line, sizeof(line));
	unit_check(lines == 1 && strstr(line, "disk0:") != NULL && stats(0).refused[BLKBACK_REFUSED_SEGMENTS] == 5,
		   "a refusal class is logged once per disk, counted every time", "%d lines: %s", lines, line);
	add_disk(1, false);
	connect_disk(1);
	lines = logged(corrupt, line, sizeof(line));
	unit_check(stats(0).stopped && lines == 1 && strstr(line, "disk0: ring indices are corrupt") != NULL,
		   "a req_prod beyond the ring stops the disk with one line", "%d lines: %s", lines, line);
	buf(0, 1, GTF_permit_access);
	unit_check(req1(1, rw(BLKIF_OP_READ, 1, 0, 1)) == BLKIF_RSP_OKAY, "the other disk keeps working", NULL);
}

static void stop_with_stats(void)
{
	blkback_stop(&g, true);
}

static void test_stats(void)
{
	fresh();
	buf(0, 1, GTF_permit_access);
	req1(0, rw(BLKIF_OP_READ, 1, 0, 1));
	req1(0, rw(BLKIF_OP_READ, 1, 0, 0));
	char line[512];
	int lines = logged(stop_with_stats, line, sizeof(line));
	unit_check(lines == 1 && strstr(line, "stats: disk0: 1 reads (4096 bytes), 0 writes") != NULL &&
			   strstr(line, "0 I/O errors, 0 resumptions") != NULL &&
			   strstr(line, "refused: segments 1") != NULL,
		   "--stats: one line per disk", "%d lines: %s", lines, line);
	close(disk[0].fd);
	memset(disk, 0, sizeof(disk));
}

/* ------------------------------------------------------------ adjacent requests share one host call */

/* A request of nseg whole pages REF_BUF(first..first+nseg-1) at sector. */
static blkif_request_t pages_req(uint8_t op, uint64_t id, uint64_t sector, unsigned int first, unsigned int nseg)
{
	blkif_request_t r = {.operation = op, .nr_segments = (uint8_t)nseg, .id = id, .sector_number = sector};
	for (unsigned int i = 0; i < nseg; i++)
		r.seg[i] = (struct blkif_request_segment){.gref = REF_BUF(first + i), .first_sect = 0, .last_sect = 7};
	return r;
}

/*
 * Pushes the n requests put so far (ids whose last digits differ) and takes their answers, in any
 * order: st[id % 10] gets each one's status (99: no answer). Returns the host calls they took.
 */
static uint64_t serve_all(int16_t *st, unsigned int n)
{
	uint64_t calls = stats(0).host_calls;
	for (unsigned int i = 0; i < n; i++)
		st[i] = 99;
	push(0);
	for (unsigned int i = 0; i < n; i++) {
		blkif_response_t r = rsp(0);
		if (r.status != 99 && r.id % 10 < n)
			st[r.id % 10] = r.status;
	}
	return stats(0).host_calls - calls;
}

static void test_coalesce(void)
{
	fresh();
	uint8_t want[6 * PAGE], got[6 * PAGE];
	for (unsigned int i = 0; i < 6; i++)
		memcpy(want + i * PAGE, buf(i, (uint8_t)(i * 17 + 3), GTF_permit_access | GTF_readonly), PAGE);
	for (unsigned int i = 0; i < 3; i++)
		put(0, pages_req(BLKIF_OP_WRITE, 10 + i, i * 16, 2 * i, 2));
	int16_t st[8];
	uint64_t calls = serve_all(st, 3);
	unit_check(calls == 1 && st[0] == BLKIF_RSP_OKAY && st[1] == BLKIF_RSP_OKAY && st[2] == BLKIF_RSP_OKAY &&
			   pread(disk[0].fd, got, sizeof(got), 0) == (ssize_t)sizeof(got) && memcmp(got, want, sizeof(got)) == 0 &&
			   stats(0).writes == 3,
		   "three adjacent writes (24 KiB): one pwritev, three answers, the data in order", "%llu calls, %d %d %d",
		   (unsigned long long)calls, st[0], st[1], st[2]);

	for (unsigned int i = 0; i < 3; i++)
		buf(i, 0, GTF_permit_access);
	for (unsigned int i = 0; i < 3; i++)
		put(0, pages_req(BLKIF_OP_READ, 20 + i, 8 + i * 8, i, 1));
	calls = serve_all(st, 3);
	unit_check(calls == 1 && st[0] == BLKIF_RSP_OKAY && st[2] == BLKIF_RSP_OKAY &&
			   memcmp(gp(BUF_GADDR(0)), want + PAGE, PAGE) == 0 && memcmp(gp(BUF_GADDR(2)), want + 3 * PAGE, PAGE) == 0,
		   "three adjacent reads: one preadv, each page gets its own sectors", "%llu calls",
		   (unsigned long long)calls);

	put(0, pages_req(BLKIF_OP_WRITE, 30, 0, 0, 1));
	put(0, pages_req(BLKIF_OP_READ, 31, 8, 1, 1));
	put(0, pages_req(BLKIF_OP_WRITE, 32, 16, 2, 1));
	calls = serve_all(st, 3);
	unit_check(calls == 3 && st[0] == BLKIF_RSP_OKAY && st[1] == BLKIF_RSP_OKAY && st[2] == BLKIF_RSP_OKAY,
		   "the operation changes: each request on its own", "%llu calls", (unsigned long long)calls);

	put(0, pages_req(BLKIF_OP_WRITE, 40, 0, 0, 1));
	put(0, pages_req(BLKIF_OP_WRITE, 41, 16, 1, 1)); /* a gap of sectors 8..15 */
	put(0, pages_req(BLKIF_OP_WRITE, 42, 8, 2, 1));  /* before the last one, not after it */
	calls = serve_all(st, 3);
	unit_check(calls == 3 && st[0] == BLKIF_RSP_OKAY && st[1] == BLKIF_RSP_OKAY && st[2] == BLKIF_RSP_OKAY,
		   "a gap, or a request before the last one: not joined", "%llu calls", (unsigned long long)calls);

	put(0, pages_req(BLKIF_OP_WRITE, 50, 0, 0, 1));
	blkif_request_t bad = pages_req(BLKIF_OP_WRITE, 51, 8, 1, 1);
	bad.seg[0].last_sect = 9;
	put(0, bad);
	put(0, pages_req(BLKIF_OP_WRITE, 52, 8, 2, 1));
	calls = serve_all(st, 3);
	unit_check(calls == 1 && st[0] == BLKIF_RSP_OKAY && st[1] == BLKIF_RSP_ERROR && st[2] == BLKIF_RSP_OKAY,
		   "a refused request between two adjacent ones: refused alone, the others share one call",
		   "%llu calls, %d %d %d", (unsigned long long)calls, st[0], st[1], st[2]);

	put(0, pages_req(BLKIF_OP_WRITE, 60, 0, 0, 1));
	put(0, pages_req(BLKIF_OP_WRITE, 61, 8, 0, 1)); /* the same grant: it cannot be held twice */
	put(0, pages_req(BLKIF_OP_WRITE, 62, 16, 1, 1));
	calls = serve_all(st, 3);
	unit_check(calls == 2 && st[0] == BLKIF_RSP_OKAY && st[1] == BLKIF_RSP_OKAY && st[2] == BLKIF_RSP_OKAY &&
			   pread(disk[0].fd, got, PAGE, 8 * 512) == PAGE && memcmp(got, gp(BUF_GADDR(0)), PAGE) == 0,
		   "a grant already held by the batch: the batch first, then the copying path", "%llu calls",
		   (unsigned long long)calls);

	put(0, pages_req(BLKIF_OP_WRITE, 70, 0, 0, 1));
	put(0, (blkif_request_t){.operation = BLKIF_OP_FLUSH_DISKCACHE, .id = 71});
	put(0, pages_req(BLKIF_OP_WRITE, 72, 8, 1, 1));
	push(0);
	blkif_response_t a = rsp(0), b = rsp(0), c = rsp(0);
	unit_check(a.id == 70 && b.id == 71 && c.id == 72 && a.status == 0 && b.status == 0 && c.status == 0 &&
			   stats(0).flushes == 1,
		   "a flush between writes: the writes before it are done and answered first", "ids %llu %llu %llu",
		   (unsigned long long)a.id, (unsigned long long)b.id, (unsigned long long)c.id);
}

#define BIG_DISK (1024 * 1024)
#define BIG_SEGS 256u

/* Disk 0 of BIG_DISK bytes, connected, with three grant table frames (refs up to 1535). */
static void fresh_big(void)
{
	fresh_bare();
	attach_disk(0, disk_memfd(BIG_DISK), BIG_DISK, false);
	if (gnttab_place_frame(&g, 1, (TABLE_GADDR + PAGE) >> MICA_PAGE_SHIFT) != 0 ||
	    gnttab_place_frame(&g, 2, (TABLE_GADDR + 2 * PAGE) >> MICA_PAGE_SHIFT) != 0)
		abort();
	connect_disk(0);
}

/*
 * Indirect request k: nseg segments of sectors 0..last, each its own grant (refs 200 + k * BIG_SEGS
 * on) of buffer page k, its segment list in buffer page 8 + k.
 */
static blkif_request_t big_req(uint8_t op, unsigned int k, uint64_t sector, unsigned int nseg, uint8_t last)
{
	struct blkif_request_segment *list = gp(BUF_GADDR(8 + k));
	for (unsigned int i = 0; i < nseg; i++) {
		grant_ref_t ref = 200 + k * BIG_SEGS + i;
		grant(ref, BUF_GADDR(k), op == BLKIF_OP_READ ? GTF_permit_access : GTF_permit_access | GTF_readonly);
		list[i] = (struct blkif_request_segment){.gref = ref, .first_sect = 0, .last_sect = last};
	}
	grant(REF_BUF(8 + k), BUF_GADDR(8 + k), GTF_permit_access | GTF_readonly);
	blkif_request_indirect_t ind = {.operation = BLKIF_OP_INDIRECT, .indirect_op = op,
					.nr_segments = (uint16_t)nseg, .id = 80 + k, .sector_number = sector};
	ind.indirect_grefs[0] = REF_BUF(8 + k);
	blkif_request_t r;
	memset(&r, 0, sizeof(r));
	memcpy(&r, &ind, sizeof(ind));
	return r;
}

static void test_coalesce_iov_max(void)
{
	fresh_big();
	static char pattern[5 * BIG_SEGS * 512];
	for (unsigned int k = 0; k < 5; k++)
		memset(pattern + k * BIG_SEGS * 512, 'a' + (int)k, BIG_SEGS * 512);
	if (pwrite(disk[0].fd, pattern, 5 * BIG_SEGS * 512, 0) != 5 * BIG_SEGS * 512)
		abort();
	for (unsigned int k = 0; k < 5; k++) {
		memset(gp(BUF_GADDR(k)), 0, PAGE);
		put(0, big_req(BLKIF_OP_READ, k, (uint64_t)k * BIG_SEGS, BIG_SEGS, 0));
	}
	int16_t st[5];
	uint64_t calls = serve_all(st, 5);
	int same = 0;
	for (unsigned int k = 0; k < 5; k++) {
		const char *p = gp(BUF_GADDR(k));
		same += st[k] == BLKIF_RSP_OKAY && p[0] == 'a' + (int)k && p[511] == 'a' + (int)k && p[512] == 0;
	}
	unit_check(calls == 2 && same == 5,
		   "five adjacent reads of 256 segments: 1024 iovecs (IOV_MAX) in one preadv, the fifth in another",
		   "%llu calls, %d right", (unsigned long long)calls, same);
}

static void test_coalesce_write_chunks(void)
{
	fresh_big();
	for (unsigned int k = 0; k < 3; k++) {
		memset(gp(BUF_GADDR(k)), 'p' + (int)k, PAGE);
		put(0, big_req(BLKIF_OP_WRITE, k, (uint64_t)k * 16 * 8, 16, 7)); /* 64 KiB each */
	}
	int16_t st[3];
	uint64_t calls = serve_all(st, 3);
	char got[PAGE];
	int same = 0;
	for (unsigned int k = 0; k < 3; k++)
		same += st[k] == BLKIF_RSP_OKAY && pread(disk[0].fd, got, PAGE, (off_t)(k * 16 + 15) * PAGE) == PAGE &&
			got[0] == 'p' + (int)k && got[PAGE - 1] == 'p' + (int)k;
	unit_check(calls == 2 && same == 3, "three adjacent 64 KiB writes: pwritevs of at most 128 KiB (two), all landed",
		   "%llu calls, %d right", (unsigned long long)calls, same);
}

static void test_coalesce_short_write(void)
{
	fresh();
	for (unsigned int i = 0; i < 3; i++)
		buf(i, (uint8_t)(i + 90), GTF_permit_access | GTF_readonly);
	for (unsigned int i = 0; i < 3; i++)
		put(0, pages_req(BLKIF_OP_WRITE, 100 + i, i * 8, i, 1));
	/* The host file takes 10 KiB from offset 0 and no more: the pwritev comes back short. */
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 10 * 1024;
	void (*sig)(int) = signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &lim);
	int16_t st[3];
	uint64_t calls = serve_all(st, 3);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, sig);
	struct blkback_stats s = stats(0);
	uint8_t got[PAGE];
	unit_check(calls == 1 && st[0] == BLKIF_RSP_OKAY && st[1] == BLKIF_RSP_OKAY && st[2] == BLKIF_RSP_ERROR &&
			   s.writes == 2 && s.io_errors == 1 && pread(disk[0].fd, got, PAGE, PAGE) == PAGE &&
			   memcmp(got, gp(BUF_GADDR(1)), PAGE) == 0,
		   "a short pwritev fails only the request it did not cover wholly", "%llu calls, %d %d %d, %llu errors",
		   (unsigned long long)calls, st[0], st[1], st[2], (unsigned long long)s.io_errors);
}


/* Two guests of one process (the gateway's instances are threads): each its own four disks. */
static void test_disk_sets(void)
{
	fresh();
	static struct guest h;
	static shared_info_t h_shared;
	static uint8_t h_store[PAGE];
	memset(&h, 0, sizeof(h));
	h.ram = ram;
	h.ram_size = RAM;
	h.shared = &h_shared;
	h.store = (struct xenstore_domain_interface *)h_store;
	memset(h_shared.evtchn_mask, 0xff, sizeof(h_shared.evtchn_mask));
	if (xenstore_setup(&h) != 0)
		abort();
	int fds[8], made = 0;
	for (unsigned int i = 0; i < 8; i++) {
		fds[i] = memfd_create("disk", MFD_CLOEXEC);
		if (fds[i] < 0 || ftruncate(fds[i], DISK_SIZE) != 0)
			abort();
		struct run_disk cfg = {.path = "disk.img", .name = "d", .fd = fds[i], .size = DISK_SIZE};
		/* Disks 1..3 of g after its disk 0, and disks 0..3 of h. */
		if (i < 3)
			made += blkback_create(&g, i + 1, &cfg) != NULL;
		else if (i < 7)
			made += blkback_create(&h, i - 3, &cfg) != NULL;
	}
	bool apart = true;
	for (unsigned int i = 0; i < GUEST_MAX_DISKS; i++)
		for (unsigned int j = 0; j < GUEST_MAX_DISKS; j++)
			apart &= g.disks[i] && h.disks[j] && g.disks[i] != h.disks[j];
	unit_check(made == 7 && apart, "two guests hold four disks each, none shared", "%d made", made);
	blkback_stop(&h, false);
	bool h_empty = true, g_full = true;
	for (unsigned int i = 0; i < GUEST_MAX_DISKS; i++) {
		h_empty &= h.disks[i] == NULL;
		g_full &= g.disks[i] != NULL;
	}
	buf(0, 1, GTF_permit_access);
	unit_check(h_empty && g_full && req1(0, rw(BLKIF_OP_READ, 7, 0, 1)) == BLKIF_RSP_OKAY,
		   "stopping one guest's disks leaves the other's serving", NULL);
	xenstore_destroy(&h);
	for (unsigned int i = 0; i < 8; i++)
		close(fds[i]);
	blkback_stop(&g, false);
	memset(&disk[0], 0, sizeof(disk[0]));
	fresh();
}

/*
 * An indirect read or write of nseg whole pages at sector: segment i on page BUF_GADDR(dst + i)
 * (ref ref + i), which a read first fills with 0xee and a write with byte fill, its list in page
 * BUF_GADDR(list) (ref REF_BUF(list)).
 */
static blkif_request_t xfer_pages(uint8_t op, uint64_t id, uint64_t sector, unsigned int nseg, unsigned int dst,
				  unsigned int list, grant_ref_t ref, uint8_t fill)
{
	struct blkif_request_segment *l = gp(BUF_GADDR(list));
	for (unsigned int i = 0; i < nseg; i++) {
		memset(gp(BUF_GADDR(dst + i)), op == BLKIF_OP_READ ? 0xee : fill, PAGE);
		grant(ref + i, BUF_GADDR(dst + i), op == BLKIF_OP_READ ? GTF_permit_access : GTF_permit_access | GTF_readonly);
		l[i] = (struct blkif_request_segment){.gref = ref + i, .first_sect = 0, .last_sect = 7};
	}
	grant(REF_BUF(list), BUF_GADDR(list), GTF_permit_access | GTF_readonly);
	blkif_request_indirect_t ind = {.operation = BLKIF_OP_INDIRECT, .indirect_op = op,
					.nr_segments = (uint16_t)nseg, .id = id, .sector_number = sector};
	ind.indirect_grefs[0] = REF_BUF(list);
	blkif_request_t r;
	memset(&r, 0, sizeof(r));
	memcpy(&r, &ind, sizeof(ind));
	return r;
}

static blkif_request_t read_pages(uint64_t id, uint64_t sector, unsigned int nseg, unsigned int dst, unsigned int list,
				  grant_ref_t ref)
{
	return xfer_pages(BLKIF_OP_READ, id, sector, nseg, dst, list, ref, 0);
}

/* A read of 64 whole pages (256 KiB) at sector into pages BUF_GADDR(16 + i): its status. */
static int16_t read_pages64(uint64_t sector)
{
	return (int16_t)req1(0, read_pages(90, sector, 64, 16, 8, 300));
}

/* Whether the n pages from BUF_GADDR(dst) hold byte v0 + i each (v0 < 0: all zero). */
static bool pages_hold(unsigned int dst, unsigned int n, int v0)
{
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *p = gp(BUF_GADDR(dst + i));
		uint8_t want = v0 < 0 ? 0 : (uint8_t)(v0 + i);
		if (p[0] != want || p[PAGE - 1] != want)
			return false;
	}
	return true;
}

/* Whether the 64 pages of read_pages64 hold byte v0 + i each, as the file's pages do (v0 < 0: all zero). */
static bool pages64_hold(int v0)
{
	return pages_hold(16, 64, v0);
}

/*
 * Disk 0 on a real file of pages pages (the page cache and O_DIRECT are the host filesystem's:
 * tests/run's $T), page i < written holding byte i + 1, the rest a hole, none of it cached.
 * Returns whether the filesystem takes O_DIRECT (blkback then uses it for uncached reads).
 */
static bool fresh_file(unsigned int pages, unsigned int written)
{
	fresh_bare();
	char path[256];
	snprintf(path, sizeof(path), "%s/blkback-disk-XXXXXX", getenv("T") ? getenv("T") : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, (off_t)pages * PAGE) != 0)
		abort();
	unlink(path);
	static uint8_t page[PAGE];
	for (unsigned int i = 0; i < written; i++) {
		memset(page, (int)(i + 1), PAGE);
		if (pwrite(fd, page, PAGE, (off_t)i * PAGE) != PAGE)
			abort();
	}
	if (fdatasync(fd) != 0)
		abort();
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int probe = open(path, O_RDONLY | O_DIRECT);
	if (probe >= 0)
		close(probe);
	attach_disk(0, fd, (uint64_t)pages * PAGE, false);
	connect_disk(0);
	return probe >= 0;
}

static void test_read_direct(void)
{
	bool can = fresh_file(4 * 64, 128);
	struct fe *f = &disk[0];
	static uint8_t page[PAGE];

	/* Pages 64..127 left the cache on a disk filesystem (not on tmpfs, whose cache is the file). */
	struct {
		uint64_t off, len;
	} range = {64 * PAGE, 64 * PAGE};
	uint64_t cs[5];
	bool cold = syscall(451 /* cachestat */, f->fd, &range, cs, 0) == 0 && cs[0] == 0;
	unit_check(read_pages64(64 * 8) == BLKIF_RSP_OKAY && pages64_hold(65) &&
			   stats(0).direct_reads == (can && cold ? 1 : 0),
		   "a 256 KiB read of a range the page cache holds none of: O_DIRECT into the guest's pages, the file's bytes",
		   "%llu direct reads, O_DIRECT %s, range %s", (unsigned long long)stats(0).direct_reads,
		   can ? "works" : "refused", cold ? "uncached" : "cached");
	/* Pages 128..191 were never written: a hole, which no page cache holds on any filesystem. */
	uint64_t direct = stats(0).direct_reads;
	unit_check(read_pages64(128 * 8) == BLKIF_RSP_OKAY && pages64_hold(-1) &&
			   stats(0).direct_reads == direct + (can ? 1 : 0),
		   "a 256 KiB read of a hole: O_DIRECT where the filesystem takes it, zeros",
		   "%llu direct reads, O_DIRECT %s", (unsigned long long)stats(0).direct_reads, can ? "works" : "refused");
	direct = stats(0).direct_reads;
	if (pread(f->fd, page, PAGE, 5 * PAGE) != PAGE)
		abort();
	unit_check(read_pages64(0) == BLKIF_RSP_OKAY && pages64_hold(1) && stats(0).direct_reads == direct,
		   "a range the page cache holds part of: read through the cache, the file's bytes", "%llu direct reads",
		   (unsigned long long)stats(0).direct_reads);
	uint64_t calls = stats(0).host_calls;
	blkif_request_t small = rw(BLKIF_OP_READ, 91, 192 * 8, 2);
	buf(0, 1, GTF_permit_access);
	buf(1, 1, GTF_permit_access);
	unit_check(req1(0, small) == BLKIF_RSP_OKAY && stats(0).direct_reads == direct && stats(0).host_calls == calls + 1,
		   "a small read (8 KiB) of an uncached range: through the cache", NULL);
}

/* Answers disk n has published that the frontend has not taken. */
static unsigned int answered(unsigned int n)
{
	return disk[n].ring.sring->rsp_prod - disk[n].ring.rsp_cons;
}

/* Monitor loop turns, each waiting up to 100 ms for a host fd, until disk 0 has want answers (10 s at most). */
static unsigned int settle(unsigned int want)
{
	for (int i = 0; i < 100 && answered(0) < want; i++) {
		struct pollfd pfd[GUEST_MAX_HOST_FDS];
		unsigned int n = guest_fd_pollfds(&g, pfd);
		if (poll(pfd, n, 100) > 0)
			guest_fd_dispatch(&g, pfd, n);
	}
	return answered(0);
}

/* Whether this kernel gives mica an io_uring: where it does not, blkback reads at once. */
static bool uring_works(void)
{
	struct uring u;
	if (uring_init(&u, 1, -1) != 0)
		return false;
	uring_destroy(&u);
	return true;
}

/* Publishes the requests put so far without waiting for any answer, as a guest's notify does. */
static void push_only(void)
{
	RING_PUSH_REQUESTS(&disk[0].ring);
	notify(disk[0].port);
}

static void test_read_async(void)
{
	bool async = fresh_file(512, 256) && uring_works();
	put(0, read_pages(101, 0, 64, 16, 8, 200));
	put(0, read_pages(102, 128 * 8, 64, 80, 9, 264));
	put(0, read_pages(103, 320 * 8, 64, 144, 10, 328));
	push_only();
	unsigned int at_once = answered(0);
	unit_check(at_once == (async ? 0u : 3u),
		   "three large uncached reads: the notify returns with them in flight on io_uring (or done, without it)",
		   "%u answered at once, io_uring %s", at_once, async ? "works" : "absent");
	unit_check(settle(3) == 3, "the monitor loop's wake fd answers them", "%u answered", answered(0));
	blkif_response_t a = rsp(0), b = rsp(0), c = rsp(0);
	unit_check(a.id == 101 && b.id == 102 && c.id == 103 && !a.status && !b.status && !c.status &&
			   a.operation == BLKIF_OP_READ && pages_hold(16, 64, 1) && pages_hold(80, 64, 129) &&
			   pages_hold(144, 64, -1),
		   "in the order they came, each with the file's bytes (a hole's zeros)", "ids %llu %llu %llu, status %d %d %d",
		   (unsigned long long)a.id, (unsigned long long)b.id, (unsigned long long)c.id, a.status, b.status, c.status);
	struct blkback_stats st = stats(0);
	unit_check(st.reads == 3 && st.read_bytes == 3 * 64 * PAGE && st.direct_reads == (async ? 3u : st.direct_reads) &&
			   st.host_calls == st.direct_reads + (st.direct_reads == 3 ? 0 : 3 - st.direct_reads),
		   "counted once each: three reads, three host calls", "%llu reads, %llu calls, %llu direct",
		   (unsigned long long)st.reads, (unsigned long long)st.host_calls, (unsigned long long)st.direct_reads);
	unit_check(loop_turn() == 0 || (settle(3), loop_turn() == 0), "then the disk is idle", NULL);
}

static void test_read_async_bound(void)
{
	bool async = fresh_file(512, 0) && uring_works();
	for (unsigned int k = 0; k < 4; k++)
		put(0, read_pages(130 + k, (uint64_t)k * 128 * 8, 64, 16, 8 + k, (grant_ref_t)(200 + 64 * k)));
	push_only();
	unsigned int at_once = answered(0);
	unit_check(at_once >= (async ? 1u : 4u) && settle(4) == 4,
		   "four large reads in one notify: at most three in flight, the notify waits for the oldest",
		   "%u answered at once", at_once);
	int ok = 0;
	for (unsigned int k = 0; k < 4; k++) {
		blkif_response_t r = rsp(0);
		ok += r.id == 130 + k && r.status == BLKIF_RSP_OKAY;
	}
	unit_check(ok == 4, "all four answered, in order", "%d right", ok);
}

static void test_write_after_read(void)
{
	fresh_file(512, 64);
	put(0, read_pages(111, 0, 64, 16, 8, 200));
	put(0, xfer_pages(BLKIF_OP_WRITE, 112, 0, 64, 80, 9, 264, 0x5a));
	push_only();
	settle(2);
	blkif_response_t a = rsp(0), b = rsp(0);
	static uint8_t got[64 * PAGE];
	bool written = pread(disk[0].fd, got, sizeof(got), 0) == (ssize_t)sizeof(got);
	for (size_t i = 0; written && i < sizeof(got); i += PAGE / 2)
		written = got[i] == 0x5a;
	unit_check(a.id == 111 && b.id == 112 && !a.status && !b.status && pages_hold(16, 64, 1) && written,
		   "a write behind a read in flight of the same range: the read gets the old bytes, the file the new",
		   "ids %llu %llu, status %d %d", (unsigned long long)a.id, (unsigned long long)b.id, a.status, b.status);
}

static void test_read_async_short(void)
{
	fresh_file(512, 64);
	if (ftruncate(disk[0].fd, 32 * PAGE) != 0)
		abort();
	put(0, read_pages(121, 0, 32, 16, 8, 200));
	put(0, read_pages(122, 32 * 8, 32, 48, 9, 232));
	push_only();
	settle(2);
	blkif_response_t a = rsp(0), b = rsp(0);
	unit_check(a.id == 121 && a.status == BLKIF_RSP_OKAY && pages_hold(16, 32, 1) && b.id == 122 &&
			   b.status == BLKIF_RSP_ERROR && stats(0).io_errors == 1,
		   "a file shrunk under a 256 KiB read: the request it covers succeeds, the one past its end fails",
		   "status %d %d, %llu I/O errors", a.status, b.status, (unsigned long long)stats(0).io_errors);
}

static void test_stop_in_flight(void)
{
	fresh_file(512, 0);
	for (unsigned int k = 0; k < 3; k++)
		put(0, read_pages(140 + k, (uint64_t)k * 128 * 8, 64, 16 + 64 * k, 8 + k, (grant_ref_t)(200 + 64 * k)));
	push_only();
	blkback_stop(&g, false);
	unit_check(answered(0) == 3 && grant_flags(200) == GTF_permit_access && grant_flags(391) == GTF_permit_access,
		   "a disk stopped with reads in flight answers them first and holds no grant after", "%u answered",
		   answered(0));
}

int main(void)
{
	ram = aligned_alloc(PAGE, RAM);
	test_keys();
	test_handshake_errors();
	test_good();
	test_refused();
	test_batch();
	test_indirect();
	test_readonly();
	test_logged_once();
	test_stats();
	test_coalesce();
	test_coalesce_iov_max();
	test_coalesce_write_chunks();
	test_coalesce_short_write();
	test_disk_sets();
	test_read_direct();
	test_read_async();
	test_read_async_bound();
	test_write_after_read();
	test_read_async_short();
	test_stop_in_flight();
	fresh_bare();
	xenstore_destroy(&g);
	free(ram);
	return unit_exit_status();
}
