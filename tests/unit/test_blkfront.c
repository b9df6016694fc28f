/* unit-sources: lib/blkfront/blkfront.c plat/common/xenbus_keys.c */
/* unit-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/*
 * Host test of lib/blkfront against a fake store, grant table and blkback that answer inside the
 * frontend's notify (as the proc backend does) or only when the frontend waits: the handshake,
 * transfers split into direct or indirect requests in flight together, the asynchronous API and
 * its two kinds of request slots (with bounce pages or for the caller's own pages), discards in
 * whole granules, 4096-byte sectors, restores, and a hostile backend's responses (unknown ids,
 * error statuses, overflowing producer indices).
 */
#include <mica/blkfront.h>
/* The fake backend runs in the same thread: compiler barriers are enough. */
#define xen_mb() __sync_synchronize()
#define xen_rmb() __asm__ volatile("" ::: "memory")
#define xen_wmb() __asm__ volatile("" ::: "memory")
#include <xen/io/blkif.h>
#include "fake_frontend.h"
#include "unit.h"

#define BACKEND "/local/domain/0/backend/vbd/1/0"
#define DISK_SECTORS 2048
/* The fake disk's capacity: disks opened with more sectors than DISK_SECTORS use the rest. */
#define BIG_SECTORS 4096

static void back_process(void);
static bool back_lazy;
static unsigned int yields;
/* A lazy backend answers while the frontend yields or blocks; otherwise a wait reaches its deadline. */
void plat_yield(void)
{
	yields++;
	if (back_lazy)
		back_process();
}
/* A lazy backend answers while the frontend waits; otherwise a wait reaches its deadline. */
void plat_block(uint64_t deadline_ns)
{
	if (back_lazy)
		back_process();
	else
		fake_now = deadline_ns;
}

/* The fake blkback's view of a granted page, whatever its access. */
static uint8_t *grant_ptr(grant_ref_t ref)
{
	return grant_page(ref, 0, 4096, false);
}

static blkif_back_ring_t bring;

int xs_write(const char *path, const char *value)
{
	store_set(path, value);
	if (strcmp(path, "device/vbd/0/state") == 0 && strcmp(value, "3") == 0) {
		char ref[16];
		xs_read("device/vbd/0/ring-ref", ref, sizeof(ref));
		BACK_RING_INIT(&bring, (blkif_sring_t *)grant_ptr((grant_ref_t)atoi(ref)), 4096);
		store_set(BACKEND "/state", "4");
	}
	return 0;
}

XenbusState xenbus_wait_state(const char *dir, XenbusState want, uint64_t deadline_ns)
{
	(void)want;
	(void)deadline_ns;
	return xenbus_read_state(dir);
}

/* The fake blkback: a RAM disk, and how it misbehaves. */
static uint8_t disk[BIG_SECTORS * 512];
static enum { BACK_OK, BACK_BAD_ID, BACK_ERROR, BACK_OVERFLOW, BACK_SILENT, BACK_INDIRECT_OP } back_mode;
static unsigned int back_requests, back_max_segs, back_flushes, back_indirect, back_in_flight;
static uint64_t back_discard_sector, back_discard_n;
static unsigned int back_discards;

static void back_respond(uint64_t id, uint8_t op, int16_t status)
{
	blkif_response_t *rsp = RING_GET_RESPONSE(&bring, bring.rsp_prod_pvt);
	rsp->id = id;
	rsp->operation = op;
	rsp->status = status;
	bring.rsp_prod_pvt++;
}

/* One read or write of nseg segments at sector, the data moved through the grants. */
static void back_rw(uint8_t op, uint64_t sector, const struct blkif_request_segment *seg, unsigned int nseg)
{
	if (nseg > back_max_segs)
		back_max_segs = nseg;
	for (unsigned int g = 0; g < nseg; g++) {
		uint8_t *page = grant_ptr(seg[g].gref);
		size_t off = seg[g].first_sect * 512u, len = (seg[g].last_sect - seg[g].first_sect + 1u) * 512u;
		if (!page || grants[seg[g].gref].readonly || sector * 512 + len > sizeof(disk))
			abort();
		if (op == BLKIF_OP_WRITE)
			memcpy(disk + sector * 512, page + off, len);
		else
			memcpy(page + off, disk + sector * 512, len);
		sector += len / 512;
	}
}

static void back_process(void)
{
	int more;
	if (bring.req_cons != bring.sring->req_prod && bring.sring->req_prod - bring.req_cons > back_in_flight)
		back_in_flight = bring.sring->req_prod - bring.req_cons;
	do {
	while (bring.req_cons != bring.sring->req_prod) {
		blkif_request_t req;
		RING_COPY_REQUEST(&bring, bring.req_cons, &req);
		bring.req_cons++;
		back_requests++;
		uint8_t op = req.operation;
		if (req.operation == BLKIF_OP_INDIRECT) {
			blkif_request_indirect_t ind;
			memcpy(&ind, &req, sizeof(ind));
			const uint8_t *page = grant_ptr(ind.indirect_grefs[0]);
			if (!page || ind.nr_segments > 512)
				abort();
			back_indirect++;
			back_rw(ind.indirect_op, ind.sector_number, (const struct blkif_request_segment *)page,
				ind.nr_segments);
			op = back_mode == BACK_INDIRECT_OP ? BLKIF_OP_INDIRECT : ind.indirect_op;
		} else if (req.operation == BLKIF_OP_DISCARD) {
			blkif_request_discard_t d;
			memcpy(&d, &req, sizeof(d));
			back_discards++;
			back_discard_sector = d.sector_number;
			back_discard_n = d.nr_sectors;
		} else {
			back_rw(req.operation, req.sector_number, req.seg, req.nr_segments);
		}
		if (req.operation == BLKIF_OP_FLUSH_DISKCACHE)
			back_flushes++;
		if (back_mode == BACK_BAD_ID)
			back_respond(req.id + 100, op, 0);
		else
			back_respond(req.id, op, back_mode == BACK_ERROR ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
	}
	/* Re-arms req_event, as a backend must, so the frontend notifies for its next requests. */
	RING_FINAL_CHECK_FOR_REQUESTS(&bring, more);
	} while (more);
	/* The frontend polls after every notify here, so whether it asked to be told does not matter. */
	int notify;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&bring, notify);
	(void)notify;
	if (back_mode == BACK_OVERFLOW)
		bring.sring->rsp_prod += 50;
}

static unsigned int notifies;
int evtchn_notify(evtchn_port_t port)
{
	(void)port;
	notifies++;
	if (back_mode != BACK_SILENT && !back_lazy)
		back_process();
	return 0;
}

/* The request producer the frontend has published on the shared ring. */
static RING_IDX bf_req_prod(void)
{
	return bring.sring->req_prod;
}

static struct blkfront *open_disk(const char *mode, const char *info)
{
	store_n = 0;
	back_lazy = false;
	store_set("device/vbd/0/backend", BACKEND);
	store_set("device/vbd/0/name", "data");
	store_set(BACKEND "/state", "2");
	store_set(BACKEND "/sectors", "2048");
	store_set(BACKEND "/sector-size", "512");
	store_set(BACKEND "/mode", mode);
	store_set(BACKEND "/info", info);
	store_set(BACKEND "/feature-flush-cache", "1");
	store_set(BACKEND "/feature-discard", "1");
	store_set(BACKEND "/discard-granularity", "4096");
	back_mode = BACK_OK;
	return blkfront_open(0);
}

/* The same with feature-max-indirect-segments, a sector size and a disk size set first. */
static struct blkfront *open_sized(const char *segs, const char *ssize, const char *sectors)
{
	store_n = 0;
	store_set(BACKEND "/feature-max-indirect-segments", segs);
	store_set(BACKEND "/sector-size", ssize);
	store_set("device/vbd/0/backend", BACKEND);
	store_set(BACKEND "/state", "2");
	store_set(BACKEND "/sectors", sectors);
	store_set(BACKEND "/mode", "w");
	store_set(BACKEND "/feature-flush-cache", "1");
	store_set(BACKEND "/feature-discard", "1");
	store_set(BACKEND "/discard-granularity", "4096");
	back_mode = BACK_OK;
	back_lazy = false;
	return blkfront_open(0);
}

static struct blkfront *open_indirect(const char *segs, const char *ssize)
{
	return open_sized(segs, ssize, "2048");
}

static uint8_t buf[DISK_SECTORS * 512 + 8], out[DISK_SECTORS * 512];
/* blkfront has no close: the devices stay reachable here, as in a guest, for the leak check. */
static struct blkfront *volatile opened[8];

static void test_own_pages(struct blkfront *bf);
static void test_slots(void);
static void test_restored(void);

int main(void)
{
	struct blkfront_info info;

	unit_check(blkfront_open(1) == NULL, "no disk 1 is NULL", NULL);
	struct blkfront *bf = opened[0] = open_disk("w", "");
	unit_check(bf != NULL, "open", "%s", klog);
	if (!bf)
		return 1;
	blkfront_get_info(bf, &info);
	unit_check(info.sectors == 2048 && info.sector_size == 512 && !info.readonly && info.flush &&
			   info.discard && info.discard_granularity == 4096 && info.max_segments == 11 &&
			   strcmp(info.name, "data") == 0, "info from the store (no indirect segments offered: 11)", NULL);
	char state[8] = "";
	xs_read("device/vbd/0/state", state, sizeof(state));
	unit_check(strcmp(state, "4") == 0 && handler != NULL, "frontend Connected, handler on", "state %s", state);

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + i / 512);
	back_requests = 0;
	int rc = blkfront_write(bf, 0, buf + 1, 200);
	unit_check(rc == 0 && memcmp(disk, buf + 1, 200 * 512) == 0, "200-sector write from an odd address", "rc %d", rc);
	unit_check(back_requests == 3 && back_max_segs == 11, "split into requests of 11 segments",
		   "%u requests, %u segments at most", back_requests, back_max_segs);
	rc = blkfront_read(bf, 3, out, 97);
	unit_check(rc == 0 && memcmp(out, buf + 1 + 3 * 512, 97 * 512) == 0, "97-sector read", "rc %d", rc);
	unit_check(blkfront_flush(bf) == 0 && back_flushes == 1, "flush", NULL);
	unit_check(blkfront_read(bf, 2042, out, 7) == -XEN_EINVAL, "read past the end refused", NULL);
	back_discards = 0;
	rc = blkfront_discard(bf, 1, 20);
	unit_check(rc == 0 && back_discards == 1 && back_discard_sector == 8 && back_discard_n == 8,
		   "a discard sends only the whole 4096-byte granules inside it", "rc %d: %u at %llu+%llu", rc,
		   back_discards, (unsigned long long)back_discard_sector, (unsigned long long)back_discard_n);
	rc = blkfront_discard(bf, 9, 6);
	unit_check(rc == 0 && back_discards == 1, "a discard inside one granule sends nothing", "rc %d", rc);
	unit_check(blkfront_discard(bf, 2040, 16) == -XEN_EINVAL, "a discard past the end is refused", NULL);

	back_mode = BACK_ERROR;
	unit_check(blkfront_write(bf, 0, buf, 1) == -XEN_EIO, "error status is EIO", NULL);
	back_mode = BACK_BAD_ID;
	klog[0] = '\0';
	rc = blkfront_read(bf, 0, out, 1);
	/* Ignored: the request it was meant for stays unanswered until the device gives up. */
	unit_check(rc == -XEN_ENODEV && strstr(klog, "unused id 100") != NULL, "response for an unknown id ignored",
		   "rc %d log %s", rc, klog);
	bf = opened[1] = open_disk("w", "");
	back_mode = BACK_OVERFLOW;
	klog[0] = '\0';
	rc = blkfront_read(bf, 0, out, 1);
	unit_check(rc == -XEN_ENODEV && strstr(klog, "more than requested") != NULL,
		   "overflowing rsp_prod stops the device", "rc %d log %s", rc, klog);
	back_mode = BACK_OK;
	rc = blkfront_read(bf, 0, out, 1);
	unit_check(rc == -XEN_ENODEV, "a stopped device refuses further transfers", "rc %d", rc);

	bf = opened[2] = open_disk("r", "4");
	blkfront_get_info(bf, &info);
	unit_check(bf && info.readonly && !info.discard, "read-only from mode and info, no discards", NULL);
	unit_check(blkfront_discard(bf, 0, 8) == -XEN_EOPNOTSUPP, "a discard on a read-only disk: EOPNOTSUPP", NULL);
	back_mode = BACK_SILENT;
	klog[0] = '\0';
	rc = blkfront_read(bf, 0, out, 1);
	unit_check(rc == -XEN_ENODEV && strstr(klog, "30 s") != NULL, "a silent backend times out", "rc %d", rc);

	/* Indirect segments: the backend offers 256, blkfront takes 32 (128 KiB) a request. */
	bf = opened[3] = open_indirect("256", "512");
	blkfront_get_info(bf, &info);
	unit_check(bf && info.max_segments == 32 && blkfront_max_sectors(bf) == 256, "32 segments a request with indirect",
		   "%u", info.max_segments);
	back_requests = back_max_segs = back_indirect = back_in_flight = 0;
	back_lazy = true;
	rc = blkfront_write(bf, 0, buf + 3, 2048);
	unit_check(rc == 0 && memcmp(disk, buf + 3, DISK_SECTORS * 512) == 0 && back_requests == 8 && back_indirect == 8 &&
			   back_max_segs == 32 && back_in_flight == 8,
		   "a 1 MiB write: 8 indirect requests of 32 segments, all in flight together",
		   "rc %d: %u requests (%u indirect), %u segments, %u in flight", rc, back_requests, back_indirect,
		   back_max_segs, back_in_flight);
	memset(out, 0, sizeof(out));
	back_requests = back_indirect = 0;
	rc = blkfront_read(bf, 8, out, 2040 - 8 - 5);
	unit_check(rc == 0 && memcmp(out, disk + 8 * 512, (2040 - 13) * 512) == 0 && back_indirect == 8,
		   "an odd-sized read over indirect requests", "rc %d, %u indirect", rc, back_indirect);
	yields = 0;
	rc = blkfront_read(bf, 0, out, 8);
	unit_check(rc == 0 && yields == 1, "a wait yields once before it blocks, and the answer is there", "rc %d, %u yields",
		   rc, yields);
	back_mode = BACK_INDIRECT_OP;
	rc = blkfront_read(bf, 0, out, 100);
	unit_check(rc == 0, "an answer naming BLKIF_OP_INDIRECT is taken too", "rc %d", rc);
	back_mode = BACK_OK;

	/* The asynchronous API: 8 slots for transfers through bounce pages, answers taken in any order. */
	int tags[9];
	for (int i = 0; i < 9; i++)
		tags[i] = blkfront_submit(bf, BLKFRONT_OP_READ, (uint64_t)i * 16, out + i * 16 * 512, 16);
	unit_check(tags[7] >= 0 && tags[8] == -XEN_EAGAIN, "8 bounced requests in flight, a 9th is EAGAIN", "%d %d",
		   tags[7], tags[8]);
	unit_check(blkfront_complete(bf, tags[5]) == 0 && blkfront_complete(bf, tags[0]) == 0 &&
			   blkfront_complete(bf, tags[5]) == -XEN_EINVAL,
		   "complete in any order; a tag completes once", NULL);
	for (int i = 1; i < 8; i++)
		if (i != 5)
			blkfront_complete(bf, tags[i]);
	unit_check(memcmp(out, disk, 8 * 16 * 512) == 0, "each read landed in its own buffer", NULL);
	unit_check(blkfront_submit(bf, BLKFRONT_OP_WRITE, 0, buf, 257) == -XEN_EINVAL &&
			   blkfront_submit(bf, BLKFRONT_OP_FLUSH, 0, buf, 0) == -XEN_EINVAL &&
			   blkfront_submit(bf, (enum blkfront_op)9, 0, buf, 8) == -XEN_EINVAL,
		   "a submit larger than a request, a flush with data, an unknown op: EINVAL", NULL);
	int t = blkfront_submit(bf, BLKFRONT_OP_FLUSH, 0, NULL, 0);
	unit_check(t >= 0 && blkfront_complete(bf, t) == 0, "an asynchronous flush", "%d", t);

	/* Queued requests reach the backend together, at the push (or at a completion). */
	RING_IDX before = bf_req_prod();
	notifies = 0;
	memset(out, 0, sizeof(out));
	for (int i = 0; i < 3; i++)
		tags[i] = blkfront_queue(bf, BLKFRONT_OP_READ, (uint64_t)i * 16, out + i * 16 * 512, 16);
	RING_IDX queued = bf_req_prod();
	blkfront_push(bf);
	unit_check(tags[2] >= 0 && queued == before && bf_req_prod() == before + 3 && notifies == 1,
		   "three queued requests: unpublished until the push, then published with one notify",
		   "req_prod +%u before the push, +%u after, %u notifies", queued - before, bf_req_prod() - before, notifies);
	tags[3] = blkfront_queue(bf, BLKFRONT_OP_READ, 3 * 16, out + 3 * 16 * 512, 16);
	int done = 0;
	for (int i = 0; i < 4; i++)
		done += blkfront_complete(bf, tags[i]) == 0;
	unit_check(done == 4 && bf_req_prod() == before + 4 && memcmp(out, disk, 4 * 16 * 512) == 0,
		   "a completion publishes what is still queued, so its answer comes", "%d completed", done);
	back_lazy = false;

	/* 4096-byte sectors: transfers in whole logical sectors only. */
	bf = opened[4] = open_indirect("8", "4096");
	blkfront_get_info(bf, &info);
	unit_check(bf && info.sector_size == 4096 && info.max_segments == 11, "sector-size 4096; 8 indirect is no gain",
		   NULL);
	unit_check(blkfront_read(bf, 4, out, 8) == -XEN_EINVAL && blkfront_write(bf, 8, buf, 12) == -XEN_EINVAL &&
			   blkfront_write(bf, 8, buf, 16) == 0 && memcmp(disk + 8 * 512, buf, 16 * 512) == 0,
		   "4096-byte sectors: misaligned transfers refused, aligned ones done", NULL);
	opened[5] = open_indirect("256", "512");
	test_own_pages(opened[5]);
	test_slots();
	test_restored();
	return unit_failures ? 1 : 0;
}

/* Where guest RAM ends for blkfront's zero-copy check; 0 (most tests): nothing qualifies. */
static uintptr_t fake_ram_end;
static uint8_t own[64 * 4096] __attribute__((aligned(4096)));

/*
 * A restore, as plat_ready runs it: the store is the new run's (backend in InitWait, the frontend
 * Initialising, here a disk twice the size), and the old backend never answered the 16 requests
 * in flight, 8 on the caller's pages and 8 through bounce pages.
 */
static void test_restored(void)
{
	struct blkfront_info info;
	struct blkfront *bf = opened[6] = open_indirect("256", "512");
	unit_check(bf && restore_hook && restore_hook->arg == bf, "open registers a restore hook", NULL);
	if (!bf || !restore_hook)
		return;
	back_lazy = true;
	fake_ram_end = UINTPTR_MAX;
	unsigned int grants_open = grants_used;
	int tags[17], busy = 0;
	for (int i = 0; i < 17; i++) {
		uint8_t *p = i < 8 ? own + i * 4096 : out + 1 + (i - 8) * 4096;
		tags[i] = blkfront_submit(bf, BLKFRONT_OP_READ, (uint64_t)i * 8, p, 8);
		busy += tags[i] >= 0;
	}
	unit_check(busy == 16 && tags[16] == -XEN_EAGAIN && grants_used == grants_open + 8,
		   "before the restore: 16 requests in flight, 8 on their own pages", "%d in flight, %u own grants", busy,
		   grants_used - grants_open);
	unsigned int grants_before = grants_used, ports_before = ports_open;
	store_set(BACKEND "/state", "2");
	store_set(BACKEND "/sectors", "4096");
	store_set("device/vbd/0/state", "1");
	klog[0] = '\0';
	restore_hook->fn(restore_hook->arg);
	char state[8] = "";
	xs_read("device/vbd/0/state", state, sizeof(state));
	blkfront_get_info(bf, &info);
	unit_check(strcmp(state, "4") == 0 && info.sectors == 4096 && klog[0] == '\0',
		   "after a restore: connected again, the disk's size read again", "state %s, %llu sectors, log %s", state,
		   (unsigned long long)info.sectors, klog);
	unit_check(grants_used == grants_before - 8 && ports_open == ports_before,
		   "the old grants (the caller's pages' too) and port ended, the device's own made anew",
		   "grants %u -> %u, ports %u -> %u", grants_before, grants_used, ports_before, ports_open);
	int rc = 0, failed = 0;
	for (int i = 15; i >= 0; i--) {
		rc = blkfront_complete(bf, tags[i]);
		failed += rc == -XEN_EIO;
	}
	unit_check(failed == 16 && grants_used == grants_open,
		   "the 16 requests the old backend never answered fail with EIO, and their own grants end",
		   "%d failed, %u grants left over", failed, grants_used - grants_open);
	memset(out, 0, 8 * 512);
	rc = blkfront_read(bf, 0, out, 8);
	unit_check(rc == 0 && memcmp(out, disk, 8 * 512) == 0, "a read on the new ring", "rc %d", rc);
	busy = 0;
	for (int i = 0; i < 16; i++) {
		uint8_t *p = i < 8 ? own + i * 4096 : out + 1 + (i - 8) * 4096;
		tags[i] = blkfront_submit(bf, BLKFRONT_OP_READ, (uint64_t)i * 8, p, 8);
		busy += tags[i] >= 0;
	}
	for (int i = 0; i < 16; i++)
		busy += tags[i] >= 0 && blkfront_complete(bf, tags[i]) == 0;
	unit_check(busy == 32 && memcmp(own, disk, 8 * 4096) == 0 && memcmp(out + 1, disk + 64 * 512, 8 * 512) == 0,
		   "after the restore every one of the 16 slots takes a request again", "%d of 32", busy);
	back_lazy = false;
	fake_ram_end = 0;

	/* The restore gave no such disk: the device stops, its calls fail with ENODEV. */
	store_del("device/vbd/0/backend");
	klog[0] = '\0';
	restore_hook->fn(restore_hook->arg);
	rc = blkfront_read(bf, 0, out, 8);
	unit_check(rc == -XEN_ENODEV && strstr(klog, "no such disk") != NULL, "a disk the restore did not give: ENODEV",
		   "rc %d, log %s", rc, klog);
}

/* ------------------------------------------------------- transfers on the caller's own pages */

struct plat_memregion plat_free_memory(void)
{
	return (struct plat_memregion){.start = 0, .end = fake_ram_end};
}

/* The request waiting at the fake backend, its segments in seg; its id. */
static uint64_t own_pending(struct blkif_request_segment *seg, unsigned int *nseg, uint8_t *op, uint64_t *sector)
{
	blkif_request_t req;
	RING_COPY_REQUEST(&bring, bring.req_cons, &req);
	if (req.operation != BLKIF_OP_INDIRECT) {
		*nseg = req.nr_segments;
		*op = req.operation;
		*sector = req.sector_number;
		memcpy(seg, req.seg, *nseg * sizeof(*seg));
		return req.id;
	}
	blkif_request_indirect_t ind;
	memcpy(&ind, &req, sizeof(ind));
	*nseg = ind.nr_segments <= 32 ? ind.nr_segments : 0;
	*op = ind.indirect_op;
	*sector = ind.sector_number;
	memcpy(seg, grant_ptr(ind.indirect_grefs[0]), *nseg * sizeof(*seg));
	return ind.id;
}

/* How many of the waiting request's segments are granted on the caller's pages from page0, in order, with the access an op needs. */
static unsigned int own_granted(const uint8_t *page0)
{
	struct blkif_request_segment seg[32];
	unsigned int nseg, n = 0;
	uint8_t op;
	uint64_t sector;
	own_pending(seg, &nseg, &op, &sector);
	for (unsigned int k = 0; k < nseg; k++)
		n += grant_ptr(seg[k].gref) == page0 + k * 4096 && grants[seg[k].gref].readonly == (op == BLKIF_OP_WRITE);
	return n;
}

/* Serves the waiting request as a backend that honours read-only grants, answering status. */
static void own_serve(int16_t status)
{
	struct blkif_request_segment seg[32];
	unsigned int nseg;
	uint8_t op;
	uint64_t sector;
	uint64_t id = own_pending(seg, &nseg, &op, &sector);
	for (unsigned int k = 0; k < nseg && status == BLKIF_RSP_OKAY; k++) {
		size_t off = seg[k].first_sect * 512u, len = (seg[k].last_sect - seg[k].first_sect + 1u) * 512u;
		uint8_t *page = grant_page(seg[k].gref, (unsigned int)off, (unsigned int)len, op == BLKIF_OP_READ);
		if (!page || sector * 512 + len > sizeof(disk))
			abort();
		if (op == BLKIF_OP_WRITE)
			memcpy(disk + sector * 512, page, len);
		else
			memcpy(page, disk + sector * 512, len);
		sector += len / 512;
	}
	bring.req_cons++;
	back_respond(id, op, status);
	RING_PUSH_RESPONSES(&bring);
	/* Re-armed as a backend must, so the frontend notifies for its next requests. */
	int more;
	RING_FINAL_CHECK_FOR_REQUESTS(&bring, more);
	(void)more;
}

/* One asynchronous transfer served by own_serve; how many of its segments were on the caller's pages. */
static unsigned int own_one(struct blkfront *bf, enum blkfront_op op, uint64_t sector, uint8_t *p, size_t n, int *rc)
{
	int tag = blkfront_submit(bf, op, sector, p, n);
	if (tag < 0) {
		*rc = tag;
		return 0;
	}
	unsigned int granted = own_granted((const uint8_t *)((uintptr_t)p & ~(uintptr_t)4095));
	own_serve(BLKIF_RSP_OKAY);
	*rc = blkfront_complete(bf, tag);
	return granted;
}

/* Takes every free grant ref but leave of them (each granting page) into hog; how many it took. */
static unsigned int hog_refs(grant_ref_t *hog, const void *page, unsigned int leave)
{
	unsigned int n = 0;
	while (gnttab_grant(0, (uintptr_t)page, true, &hog[n]) == 0)
		n++;
	for (unsigned int k = 0; k < leave; k++)
		gnttab_end(hog[--n]);
	return n;
}

static void test_own_pages(struct blkfront *bf)
{
	int rc;
	back_mode = BACK_SILENT; /* notifies do nothing: own_serve answers */
	back_lazy = false;
	fake_ram_end = UINTPTR_MAX;
	unsigned int in_use = grants_used;
	for (size_t i = 0; i < sizeof(own); i++)
		own[i] = (uint8_t)(i * 11 + i / 4096);

	unsigned int granted = own_one(bf, BLKFRONT_OP_WRITE, 16, own, 256, &rc);
	unit_check(rc == 0 && granted == 32 && memcmp(disk + 16 * 512, own, 256 * 512) == 0 && grants_used == in_use,
		   "a write from whole pages of RAM grants them read-only, no copy; the grants end with the answer",
		   "rc %d, %u of 32 granted, %u grants left over", rc, granted, grants_used - in_use);

	uint8_t *dst = own + 32 * 4096;
	memset(dst, 0, 32 * 4096);
	granted = own_one(bf, BLKFRONT_OP_READ, 16, dst, 256, &rc);
	unit_check(rc == 0 && granted == 32 && memcmp(dst, own, 256 * 512) == 0 && grants_used == in_use,
		   "a read into whole pages of RAM: the backend writes them in place", "rc %d, %u of 32 granted", rc, granted);

	memset(dst, 0, 4096 * 3);
	unsigned int bounced = own_one(bf, BLKFRONT_OP_READ, 16, dst + 512, 16, &rc) == 0 && rc == 0 &&
			       memcmp(dst + 512, own, 16 * 512) == 0;
	memset(dst, 0, 4096 * 3);
	bounced += (own_one(bf, BLKFRONT_OP_READ, 16, dst, 12, &rc) == 0 && rc == 0 && memcmp(dst, own, 12 * 512) == 0 &&
		    dst[12 * 512] == 0) << 1;
	fake_ram_end = (uintptr_t)dst + 4096;
	bounced += (own_one(bf, BLKFRONT_OP_WRITE, 0, dst, 16, &rc) == 0 && rc == 0 && memcmp(disk, dst, 16 * 512) == 0) << 2;
	fake_ram_end = UINTPTR_MAX;
	unit_check(bounced == 7 && grants_used == in_use,
		   "a misaligned buffer, part of a page, or pages past RAM: through the bounce pages", "cases %#x done", bounced);

	/* Three refs left: not enough for eight pages. */
	static grant_ref_t hog[REFS];
	unsigned int nhog = hog_refs(hog, own, 3);
	granted = own_one(bf, BLKFRONT_OP_WRITE, 64, own, 64, &rc);
	unit_check(rc == 0 && granted == 0 && memcmp(disk + 64 * 512, own, 64 * 512) == 0 && grants_used == REFS - 8 - 3,
		   "out of grant refs: the bounce pages serve, the refs taken meanwhile are given back",
		   "rc %d, %u granted, %u in use", rc, granted, grants_used);
	while (nhog)
		gnttab_end(hog[--nhog]);

	int tag = blkfront_submit(bf, BLKFRONT_OP_READ, 0, dst, 64);
	own_serve(BLKIF_RSP_ERROR);
	rc = blkfront_complete(bf, tag);
	unit_check(rc == -XEN_EIO && grants_used == in_use, "a failed read on the caller's pages: EIO, its grants end",
		   "rc %d", rc);

	/* A synchronous 1 MiB read: eight requests, one push, the backend finds them together. */
	back_mode = BACK_OK;
	back_in_flight = 0;
	static uint8_t big[DISK_SECTORS * 512] __attribute__((aligned(4096)));
	rc = blkfront_read(bf, 0, big, DISK_SECTORS);
	unit_check(rc == 0 && memcmp(big, disk, sizeof(big)) == 0 && back_in_flight == 8 && grants_used == in_use,
		   "a synchronous 1 MiB read into its own pages: eight requests published by one push",
		   "rc %d, %u in flight at once", rc, back_in_flight);
	fake_ram_end = 0;
}

/* ---------------------------------------------- 16 request slots, 8 of them with bounce pages */

static uint8_t slots_buf[2 * 1024 * 1024 + 4096] __attribute__((aligned(4096)));

/* Reads of 64 sectors into slots_buf + at + i * 32 KiB from sector first + 64 i, for i < n; how many were taken. */
static int slots_submit(struct blkfront *bf, int *tags, int n, size_t at, uint64_t first)
{
	int taken = 0;
	for (int i = 0; i < n; i++) {
		uint8_t *p = slots_buf + at + (size_t)i * 64 * 512;
		tags[i] = blkfront_submit(bf, BLKFRONT_OP_READ, first + (uint64_t)i * 64, p, 64);
		taken += tags[i] >= 0;
	}
	return taken;
}

/* Completes the n tags (last first); how many succeeded with their data in place. */
static int slots_complete(struct blkfront *bf, const int *tags, int n, size_t at, uint64_t first)
{
	int ok = 0;
	for (int i = n - 1; i >= 0; i--)
		ok += blkfront_complete(bf, tags[i]) == 0 &&
		      memcmp(slots_buf + at + (size_t)i * 64 * 512, disk + (first + (uint64_t)i * 64) * 512, 64 * 512) == 0;
	return ok;
}

static void test_slots(void)
{
	size_t pages_before = pages_out;
	struct blkfront *bf = opened[7] = open_sized("256", "512", "4096");
	unit_check(bf != NULL, "open a 2 MiB disk", "%s", klog);
	if (!bf)
		return;
	unit_check(pages_out - pages_before == 1 + 8 * 32 + 16,
		   "a disk's pages: the ring, 8 bounce sets of 32 pages, an indirect page for each of 16 slots",
		   "%zu pages", pages_out - pages_before);
	fake_ram_end = UINTPTR_MAX;
	back_mode = BACK_OK;
	back_lazy = true; /* answers come only while the frontend waits: submitted requests stay in flight */
	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 13 + i / 4096);
	unsigned int in_use = grants_used;
	int tags[17], more[17];

	/* Sixteen on their own pages, answered in reverse order: each ends its own grants only. */
	memset(slots_buf, 0, sizeof(slots_buf));
	back_in_flight = 0;
	int taken = slots_submit(bf, tags, 17, 0, 0);
	unit_check(taken == 16 && tags[16] == -XEN_EAGAIN && grants_used == in_use + 16 * 8,
		   "16 transfers on their own pages in flight, all granted in place; a 17th is EAGAIN",
		   "%d taken, 17th %d, %u grants", taken, tags[16], grants_used - in_use);
	int ok = 0;
	for (int i = 15; i >= 0; i--)
		ok += blkfront_complete(bf, tags[i]) == 0 && grants_used == in_use + (unsigned int)i * 8 &&
		      memcmp(slots_buf + (size_t)i * 64 * 512, disk + (size_t)i * 64 * 512, 64 * 512) == 0;
	unit_check(ok == 16 && back_in_flight == 16,
		   "the 16 were on the ring together; completed last first, each read is in its buffer, its grants end with it",
		   "%d of 16, %u in flight at most", ok, back_in_flight);

	/* Through bounce pages: 8 at most, though the slots for own pages are free. */
	int taken_bounced = 0;
	for (int i = 0; i < 9; i++) {
		tags[i] = blkfront_submit(bf, BLKFRONT_OP_READ, (uint64_t)i * 16, slots_buf + 1 + (size_t)i * 16 * 512, 16);
		taken_bounced += tags[i] >= 0;
	}
	unit_check(taken_bounced == 8 && tags[8] == -XEN_EAGAIN && grants_used == in_use,
		   "8 transfers through bounce pages in flight; a 9th is EAGAIN while own-page slots are free",
		   "%d taken, 9th %d", taken_bounced, tags[8]);
	int rc = blkfront_read(bf, 0, out + 1, 8);
	unit_check(rc == -XEN_EAGAIN, "a synchronous bounced read with every bounce slot held by submitted tags: EAGAIN",
		   "rc %d", rc);
	rc = blkfront_read(bf, 2048, slots_buf + 1024 * 1024, 64);
	unit_check(rc == 0 && memcmp(slots_buf + 1024 * 1024, disk + 2048 * 512, 64 * 512) == 0,
		   "a synchronous read on its own pages meanwhile goes", "rc %d", rc);
	int flush = blkfront_submit(bf, BLKFRONT_OP_FLUSH, 0, NULL, 0);
	int discard = blkfront_submit(bf, BLKFRONT_OP_DISCARD, 0, NULL, 8);
	taken = slots_submit(bf, more, 7, 1024 * 1024, 2048);
	unit_check(flush >= 0 && discard >= 0 && taken == 6 && more[6] == -XEN_EAGAIN,
		   "with the 8 bounce slots busy, a flush, a discard and 6 transfers on their own pages take the rest",
		   "flush %d, discard %d, %d taken, 7th %d", flush, discard, taken, more[6]);
	ok = blkfront_complete(bf, flush) == 0;
	ok += blkfront_complete(bf, discard) == 0;
	ok += slots_complete(bf, more, 6, 1024 * 1024, 2048);
	for (int i = 0; i < 8; i++)
		ok += blkfront_complete(bf, tags[i]) == 0 &&
		      memcmp(slots_buf + 1 + (size_t)i * 16 * 512, disk + (size_t)i * 16 * 512, 16 * 512) == 0;
	unit_check(ok == 16 && grants_used == in_use, "all 16 answered, the bounced reads copied out, no grant left over",
		   "%d of 16, %u grants left over", ok, grants_used - in_use);

	/* Own pages first to the slots without bounce pages, which leaves all 8 bounce slots free. */
	taken = slots_submit(bf, tags, 8, 0, 0);
	taken_bounced = 0;
	uint8_t *odd = slots_buf + 1024 * 1024 + 1;
	for (int i = 0; i < 8; i++) {
		more[i] = blkfront_submit(bf, BLKFRONT_OP_READ, 1024 + (uint64_t)i * 16, odd + (size_t)i * 16 * 512, 16);
		taken_bounced += more[i] >= 0;
	}
	unit_check(taken == 8 && taken_bounced == 8,
		   "8 transfers on their own pages leave the 8 bounce slots to 8 that need them", "%d own, %d bounced",
		   taken, taken_bounced);
	ok = slots_complete(bf, tags, taken, 0, 0);
	for (int i = 0; i < 8; i++)
		ok += more[i] >= 0 && blkfront_complete(bf, more[i]) == 0 &&
		      memcmp(odd + (size_t)i * 16 * 512, disk + (1024 + (size_t)i * 16) * 512, 16 * 512) == 0;
	unit_check(ok == 16 && grants_used == in_use, "all answered in place", "%d of 16", ok);

	/* Out of grant refs with the bounce slots busy: nothing fits, nothing is left granted. */
	for (int i = 0; i < 8; i++)
		tags[i] = blkfront_submit(bf, BLKFRONT_OP_READ, (uint64_t)i * 16, slots_buf + 1 + (size_t)i * 16 * 512, 16);
	static grant_ref_t hog[REFS];
	unsigned int nhog = hog_refs(hog, own, 3);
	unsigned int before = grants_used;
	int t = blkfront_submit(bf, BLKFRONT_OP_READ, 0, slots_buf + 1024 * 1024, 64);
	unit_check(t == -XEN_EAGAIN && grants_used == before,
		   "own pages that cannot be granted with every bounce slot busy: EAGAIN, the refs taken given back",
		   "%d, %u grants taken", t, grants_used - before);
	while (nhog)
		gnttab_end(hog[--nhog]);
	ok = 0;
	for (int i = 0; i < 8; i++)
		ok += blkfront_complete(bf, tags[i]) == 0;
	t = blkfront_submit(bf, BLKFRONT_OP_READ, 0, slots_buf + 1024 * 1024, 64);
	ok += t >= 0 && blkfront_complete(bf, t) == 0;
	unit_check(ok == 9 && grants_used == in_use, "with refs back, the same transfer goes", "%d of 9", ok);
	back_lazy = false;

	/* Synchronous 2 MiB: on its own pages in one push; through bounce pages 8 at a time. */
	memset(slots_buf, 0, sizeof(slots_buf));
	back_in_flight = back_requests = 0;
	rc = blkfront_read(bf, 0, slots_buf, BIG_SECTORS);
	unit_check(rc == 0 && memcmp(slots_buf, disk, sizeof(disk)) == 0 && back_in_flight == 16 && back_requests == 16 &&
			   grants_used == in_use,
		   "a synchronous 2 MiB read into its own pages: 16 requests published by one push",
		   "rc %d, %u requests, %u in flight at once", rc, back_requests, back_in_flight);
	for (size_t i = 0; i < sizeof(slots_buf); i++)
		slots_buf[i] = (uint8_t)(i * 5 + i / 512);
	back_in_flight = back_requests = 0;
	rc = blkfront_write(bf, 0, slots_buf + 1, BIG_SECTORS);
	unit_check(rc == 0 && memcmp(disk, slots_buf + 1, sizeof(disk)) == 0 && back_in_flight == 8 && back_requests == 16 &&
			   grants_used == in_use,
		   "a synchronous 2 MiB write from an odd address: 16 requests, 8 in flight at once through bounce pages",
		   "rc %d, %u requests, %u in flight at once", rc, back_requests, back_in_flight);
	fake_ram_end = 0;
}
