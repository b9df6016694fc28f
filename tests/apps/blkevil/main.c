/* Test guest: a hostile blkif frontend on raw rings; mica's blkback must refuse each malformed request and serve on. */
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
#include <xen/io/blkif.h>

#define EVIL_PAGE 4096
#define EVIL_MS 1000000ULL
/* Each malformed request is sent this often: mica must still log its class once. */
#define EVIL_REPEAT 5
/* Empty notifies in the storm, unless the command line says how many. */
#define EVIL_STORM 100000
#define EVIL_DATA 32
/* A ref in a table frame we never place, and one in frame 0 that we never grant. */
#define EVIL_REF_UNPLACED 2000
#define EVIL_REF_UNGRANTED 300
/* What evil_req returns when no answer came. */
#define EVIL_NONE 99

/* One disk as this frontend drives it. */
struct evil_disk {
	unsigned int index;
	uint8_t ring_page[EVIL_PAGE] __attribute__((aligned(EVIL_PAGE)));
	blkif_front_ring_t ring;
	grant_ref_t ring_ref;
	evtchn_port_t port;
	char backend[128];
	uint64_t sectors;
};

static struct evil_disk evil_rw = {.index = 0}, evil_ro = {.index = 1};
static uint8_t evil_data[EVIL_DATA][EVIL_PAGE] __attribute__((aligned(EVIL_PAGE)));
static grant_ref_t evil_data_ref[EVIL_DATA];
/* Granted read-only: a read into it must be refused. */
static uint8_t evil_ro_page[EVIL_PAGE] __attribute__((aligned(EVIL_PAGE)));
static grant_ref_t evil_ro_ref;
/* Segment lists for indirect requests, granted read-only as blkif asks. */
static uint8_t evil_ind[EVIL_PAGE] __attribute__((aligned(EVIL_PAGE)));
static grant_ref_t evil_ind_ref;
static uint64_t evil_id = 1;
/* How long an answer may take: generous on a loaded machine, short where none is expected. */
static uint64_t evil_wait_ms = 10000;
static int evil_failed;

static void evil_check(int ok, const char *name, long got)
{
	if (ok) {
		printf("ok - %s\n", name);
	} else {
		printf("not ok - %s (got %ld)\n", name, got);
		evil_failed = 1;
	}
}

static int evil_put_key(struct evil_disk *d, const char *key, const char *value)
{
	char path[64];
	snprintf(path, sizeof(path), "device/vbd/%u/%s", d->index, key);
	return xs_write(path, value);
}

/* The frontend's half of the handshake, done by hand: ring, event channel, keys, Initialised. */
static int evil_connect(struct evil_disk *d)
{
	char path[64], buf[32];
	snprintf(path, sizeof(path), "device/vbd/%u/backend", d->index);
	int rc = xs_read(path, d->backend, sizeof(d->backend));
	snprintf(path, sizeof(path), "%s/sectors", d->backend);
	if (rc < 0 || xs_read(path, buf, sizeof(buf)) < 0) {
		printf("blkevil: no vbd%u: run it with --disk RW.img --disk RO.img,ro\n", d->index);
		return -1;
	}
	d->sectors = strtoul(buf, 0, 10);
	blkif_sring_t *s = (blkif_sring_t *)d->ring_page;
	SHARED_RING_INIT(s);
	FRONT_RING_INIT(&d->ring, s, EVIL_PAGE);
	rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)d->ring_page, false, &d->ring_ref);
	if (!rc)
		rc = evtchn_alloc_unbound(MICA_DOMID_BACKEND, &d->port);
	if (!rc)
		rc = evtchn_set_handler(d->port, 0, 0);
	if (!rc) {
		snprintf(buf, sizeof(buf), "%u", d->ring_ref);
		rc = evil_put_key(d, "ring-ref", buf);
		snprintf(buf, sizeof(buf), "%u", d->port);
		rc |= evil_put_key(d, "event-channel", buf) | evil_put_key(d, "protocol", "x86_64-abi");
	}
	snprintf(path, sizeof(path), "device/vbd/%u", d->index);
	if (!rc)
		rc = xenbus_switch_state(path, XenbusStateInitialised);
	XenbusState st = xenbus_wait_state(d->backend, XenbusStateConnected, plat_time_ns() + 5000 * EVIL_MS);
	printf("blkevil: vbd%u: %llu sectors\n", d->index, (unsigned long long)d->sectors);
	return rc == 0 && st == XenbusStateConnected ? 0 : -1;
}

/* Waits for n answers beyond rsp_cons; how many came. */
static unsigned int evil_collect(struct evil_disk *d, unsigned int n, uint64_t deadline_ns)
{
	for (;;) {
		unsigned int got = d->ring.sring->rsp_prod - d->ring.rsp_cons;
		if (got >= n || plat_time_ns() >= deadline_ns)
			return got;
		/* Asks for an event at the next answer, then looks again before sleeping. */
		d->ring.sring->rsp_event = d->ring.rsp_cons + got + 1;
		cpu_mb();
		if (d->ring.sring->rsp_prod - d->ring.rsp_cons != got)
			continue;
		plat_block(deadline_ns);
	}
}

/* Sends r (its padding bytes 0xa5, so the answer's zeroing shows) and returns its answer's status. */
static int evil_req(struct evil_disk *d, const void *r, size_t len)
{
	blkif_request_t *slot = RING_GET_REQUEST(&d->ring, d->ring.req_prod_pvt);
	uint8_t *raw = (uint8_t *)slot;
	memset(raw, 0xa5, sizeof(*slot));
	memcpy(raw, r, len);
	uint64_t id = ((const blkif_request_t *)r)->id;
	d->ring.req_prod_pvt++;
	RING_PUSH_REQUESTS(&d->ring);
	evtchn_notify(d->port);
	if (evil_collect(d, 1, plat_time_ns() + evil_wait_ms * EVIL_MS) < 1)
		return EVIL_NONE;
	const uint8_t *a = (const uint8_t *)RING_GET_RESPONSE(&d->ring, d->ring.rsp_cons);
	blkif_response_t rsp;
	memcpy(&rsp, a, sizeof(rsp));
	d->ring.rsp_cons++;
	/* id 8, operation 1, pad 1, status 2, pad 4: the pads must be mica's zeros. */
	if (rsp.id != id || a[9] != 0 || a[12] != 0 || a[13] != 0 || a[14] != 0 || a[15] != 0)
		return EVIL_NONE - 1;
	return rsp.status;
}

static blkif_request_t evil_rw_req(uint8_t op, uint64_t sector, unsigned int nseg)
{
	blkif_request_t r;
	memset(&r, 0, sizeof(r));
	r.operation = op;
	r.nr_segments = (uint8_t)nseg;
	r.id = evil_id++;
	r.sector_number = sector;
	for (unsigned int i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		r.seg[i] = (struct blkif_request_segment){.gref = evil_data_ref[i], .first_sect = 0, .last_sect = 7};
	return r;
}

static blkif_request_t evil_indirect(uint8_t op, uint64_t sector, unsigned int nseg, grant_ref_t page)
{
	blkif_request_indirect_t ind;
	memset(&ind, 0, sizeof(ind));
	ind.operation = BLKIF_OP_INDIRECT;
	ind.indirect_op = op;
	ind.nr_segments = (uint16_t)nseg;
	ind.id = evil_id++;
	ind.sector_number = sector;
	ind.indirect_grefs[0] = page;
	blkif_request_t r;
	memset(&r, 0, sizeof(r));
	memcpy(&r, &ind, sizeof(ind));
	return r;
}

/* The segment list of n whole data pages in the indirect page. */
static void evil_list(unsigned int n)
{
	struct blkif_request_segment *seg = (struct blkif_request_segment *)evil_ind;
	for (unsigned int i = 0; i < n; i++)
		seg[i] = (struct blkif_request_segment){.gref = evil_data_ref[i % EVIL_DATA], .first_sect = 0, .last_sect = 7};
}

/* The pattern of disk 0's first 8 sectors, which every healthy read must bring back. */
static uint8_t evil_pattern(size_t i)
{
	return (uint8_t)(i * 31 + 7);
}

/* A healthy read of disk d's first page, answered OK with the data it holds. */
static bool evil_healthy(struct evil_disk *d, bool check)
{
	memset(evil_data[0], 0, EVIL_PAGE);
	blkif_request_t r = evil_rw_req(BLKIF_OP_READ, 0, 1);
	if (evil_req(d, &r, sizeof(r)) != BLKIF_RSP_OKAY)
		return false;
	for (size_t i = 0; check && i < EVIL_PAGE; i++)
		if (evil_data[0][i] != evil_pattern(i))
			return false;
	return true;
}

/* Sends r EVIL_REPEAT times, expecting status each time, then a healthy read. */
static void evil_refused(struct evil_disk *d, blkif_request_t r, int status, const char *name)
{
	int bad = 0, got = status;
	for (int i = 0; i < EVIL_REPEAT; i++) {
		r.id = evil_id++;
		int s = evil_req(d, &r, sizeof(r));
		if (s != status) {
			bad++;
			got = s;
		}
	}
	char msg[160];
	snprintf(msg, sizeof(msg), "%s: status %d, then a healthy read", name, status);
	evil_check(bad == 0 && evil_healthy(d, d == &evil_rw), msg, got);
}

static void evil_test_direct(void)
{
	blkif_request_t r = evil_rw_req(BLKIF_OP_READ, evil_rw.sectors - 1, 1);
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "a read past the end of the disk");
	r = evil_rw_req(BLKIF_OP_WRITE, UINT64_MAX - 3, 1);
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "a write at a sector number that wraps");
	r = evil_rw_req(BLKIF_OP_READ, 0, 1);
	r.seg[0].first_sect = 5;
	r.seg[0].last_sect = 2;
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "a segment with first_sect above last_sect");
	r.seg[0].first_sect = 0;
	r.seg[0].last_sect = 8;
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "a segment with last_sect 8");
	r = evil_rw_req(BLKIF_OP_READ, 0, 12);
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "a read of 12 segments");
	r = evil_rw_req(BLKIF_OP_WRITE, 0, 0);
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "a write of 0 segments");
	r = evil_rw_req(BLKIF_OP_WRITE, 0, 1);
	r.seg[0].gref = EVIL_REF_UNGRANTED;
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "a write from a ref never granted");
	r.seg[0].gref = EVIL_REF_UNPLACED;
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "a write from a ref in an unplaced table frame");
	r = evil_rw_req(BLKIF_OP_READ, 0, 1);
	r.seg[0].gref = evil_ro_ref;
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "a read into a read-only grant");
	r = evil_rw_req(BLKIF_OP_WRITE_BARRIER, 0, 1);
	evil_refused(&evil_rw, r, BLKIF_RSP_EOPNOTSUPP, "a write barrier");
	r = evil_rw_req(200, 0, 1);
	evil_refused(&evil_rw, r, BLKIF_RSP_EOPNOTSUPP, "operation 200");
	blkif_request_discard_t dis;
	memset(&dis, 0, sizeof(dis));
	dis.operation = BLKIF_OP_DISCARD;
	dis.sector_number = evil_rw.sectors - 8;
	dis.nr_sectors = 16;
	memcpy(&r, &dis, sizeof(dis));
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "a discard past the end of the disk");
}

static void evil_test_indirect(void)
{
	evil_list(256);
	blkif_request_t r = evil_indirect(BLKIF_OP_READ, 0, 257, evil_ind_ref);
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "an indirect read of 257 segments");
	r = evil_indirect(BLKIF_OP_READ, 0, 60000, evil_ind_ref);
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "an indirect read of 60000 segments (118 indirect pages)");
	r = evil_indirect(BLKIF_OP_WRITE, 0, 0, evil_ind_ref);
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "an indirect write of 0 segments");
	r = evil_indirect(BLKIF_OP_READ, 0, 4, EVIL_REF_UNGRANTED);
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "an indirect page never granted");
	r = evil_indirect(BLKIF_OP_FLUSH_DISKCACHE, 0, 4, evil_ind_ref);
	evil_refused(&evil_rw, r, BLKIF_RSP_EOPNOTSUPP, "an indirect flush");
	r = evil_indirect(BLKIF_OP_READ, evil_rw.sectors - 16, 4, evil_ind_ref);
	evil_refused(&evil_rw, r, BLKIF_RSP_ERROR, "an indirect read past the end of the disk");
	/* Garbage segment lists: a fixed xorshift sequence of bytes. */
	uint64_t x = 0x2545F4914F6CDD1Dull;
	int bad = 0;
	for (int k = 0; k < 20; k++) {
		for (size_t i = 0; i < EVIL_PAGE; i += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(evil_ind + i, &x, 8);
		}
		r = evil_indirect(k % 2 ? BLKIF_OP_WRITE : BLKIF_OP_READ, 0, 1 + k * 12, evil_ind_ref);
		if (evil_req(&evil_rw, &r, sizeof(r)) != BLKIF_RSP_ERROR)
			bad++;
	}
	evil_check(bad == 0 && evil_healthy(&evil_rw, true), "20 indirect requests of garbage segment lists: errors", bad);
	/* The same grant in many segments: served (one at a time), not refused. */
	evil_list(256);
	for (unsigned int i = 0; i < 256; i++)
		((struct blkif_request_segment *)evil_ind)[i].gref = evil_data_ref[1 + i % 3];
	r = evil_indirect(BLKIF_OP_READ, 8, 256, evil_ind_ref);
	evil_check(evil_req(&evil_rw, &r, sizeof(r)) == BLKIF_RSP_OKAY && evil_healthy(&evil_rw, true),
		   "an indirect read of 256 segments over 3 grants: served", 0);
}

static void evil_test_readonly(void)
{
	blkif_request_t r = evil_rw_req(BLKIF_OP_WRITE, 0, 1);
	evil_refused(&evil_ro, r, BLKIF_RSP_ERROR, "a write to the read-only disk");
	r = evil_rw_req(BLKIF_OP_FLUSH_DISKCACHE, 0, 1);
	evil_refused(&evil_ro, r, BLKIF_RSP_ERROR, "a flush carrying data to the read-only disk");
	evil_list(4);
	r = evil_indirect(BLKIF_OP_WRITE, 0, 4, evil_ind_ref);
	evil_refused(&evil_ro, r, BLKIF_RSP_ERROR, "an indirect write to the read-only disk");
	blkif_request_discard_t dis;
	memset(&dis, 0, sizeof(dis));
	dis.operation = BLKIF_OP_DISCARD;
	dis.nr_sectors = 8;
	memcpy(&r, &dis, sizeof(dis));
	evil_refused(&evil_ro, r, BLKIF_RSP_EOPNOTSUPP, "a discard on the read-only disk");
}

/* A full ring in one push: every request answered, in order, whatever mica's per-notify budget. */
static void evil_test_full_ring(void)
{
	unsigned int n = RING_SIZE(&evil_rw.ring), good = 0;
	for (unsigned int i = 0; i < n; i++) {
		blkif_request_t r = evil_rw_req(BLKIF_OP_READ, (uint64_t)i * 8, 1);
		r.seg[0].gref = evil_data_ref[i % EVIL_DATA];
		memcpy(RING_GET_REQUEST(&evil_rw.ring, evil_rw.ring.req_prod_pvt), &r, sizeof(r));
		evil_rw.ring.req_prod_pvt++;
	}
	uint64_t first = evil_id - n;
	RING_PUSH_REQUESTS(&evil_rw.ring);
	evtchn_notify(evil_rw.port);
	unsigned int got = evil_collect(&evil_rw, n, plat_time_ns() + evil_wait_ms * EVIL_MS);
	for (unsigned int i = 0; i < got; i++) {
		blkif_response_t rsp = *RING_GET_RESPONSE(&evil_rw.ring, evil_rw.ring.rsp_cons);
		evil_rw.ring.rsp_cons++;
		good += rsp.id == first + i && rsp.status == BLKIF_RSP_OKAY;
	}
	evil_check(got == n && good == n, "a full ring of 32 reads in one push: 32 answers, in order", good);
}

/* Ends data grants while a 1 MiB read into them may be under way; mica answers it either way. */
static void evil_test_revoke(void)
{
	int odd = 0;
	for (int k = 0; k < 10; k++) {
		evil_list(EVIL_DATA);
		blkif_request_t r = evil_indirect(BLKIF_OP_READ, 0, EVIL_DATA, evil_ind_ref);
		memcpy(RING_GET_REQUEST(&evil_rw.ring, evil_rw.ring.req_prod_pvt), &r, sizeof(r));
		evil_rw.ring.req_prod_pvt++;
		RING_PUSH_REQUESTS(&evil_rw.ring);
		evtchn_notify(evil_rw.port);
		/* Busy grants (mica holds them right now) are tried again until ended. */
		for (unsigned int i = 0; i < EVIL_DATA; i++)
			while (gnttab_end(evil_data_ref[i]) == -XEN_EBUSY)
				cpu_relax();
		if (evil_collect(&evil_rw, 1, plat_time_ns() + evil_wait_ms * EVIL_MS) < 1) {
			odd++;
			break;
		}
		blkif_response_t rsp = *RING_GET_RESPONSE(&evil_rw.ring, evil_rw.ring.rsp_cons);
		evil_rw.ring.rsp_cons++;
		if (rsp.id != r.id || (rsp.status != BLKIF_RSP_OKAY && rsp.status != BLKIF_RSP_ERROR))
			odd++;
		for (unsigned int i = 0; i < EVIL_DATA; i++)
			if (gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)evil_data[i], false, &evil_data_ref[i]) != 0)
				odd++;
	}
	evil_check(odd == 0 && evil_healthy(&evil_rw, true), "grants ended while a read uses them: answered, then healthy",
		   odd);
}

static void evil_test_storm(unsigned long n)
{
	uint64_t t0 = plat_time_ns();
	for (unsigned long i = 0; i < n; i++)
		evtchn_notify(evil_rw.port);
	uint64_t ms = (plat_time_ns() - t0) / EVIL_MS;
	printf("blkevil: %lu notifies with nothing queued took %llu ms\n", n, (unsigned long long)ms);
	evil_check(evil_healthy(&evil_rw, true), "a storm of empty notifies, then a healthy read", 0);
}

/* Last: indices no frontend makes stop disk 0 for good; disk 1 goes on. */
static void evil_test_ring(void)
{
	evil_rw.ring.sring->req_prod = evil_rw.ring.req_prod_pvt + 1000;
	evtchn_notify(evil_rw.port);
	blkif_request_t r = evil_rw_req(BLKIF_OP_READ, 0, 1);
	evil_rw.ring.req_prod_pvt += 1000;
	evil_wait_ms = 1000;
	int s = evil_req(&evil_rw, &r, sizeof(r));
	evil_wait_ms = 10000;
	evil_check(s == EVIL_NONE, "a req_prod 1000 ahead: disk 0 stops answering", s);
	evil_check(evil_healthy(&evil_ro, false), "disk 1 still serves a healthy read", 0);
}

int main(int argc, char **argv)
{
	char *end = 0;
	unsigned long storm = argc > 1 ? strtoul(argv[1], &end, 10) : EVIL_STORM;
	if (argc > 2 || (end && (*end || end == argv[1]))) {
		printf("usage: blkevil [NOTIFIES]: run with --disk RW.img --disk RO.img,ro (2 MiB or more each); "
		       "NOTIFIES in the storm (default %d)\n", EVIL_STORM);
		return 2;
	}
	int rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)evil_ro_page, true, &evil_ro_ref);
	if (!rc)
		rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)evil_ind, true, &evil_ind_ref);
	for (unsigned int i = 0; !rc && i < EVIL_DATA; i++)
		rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)evil_data[i], false, &evil_data_ref[i]);
	if (rc || evil_connect(&evil_rw) != 0 || evil_connect(&evil_ro) != 0) {
		printf("blkevil: cannot connect (grant error %d)\n", rc);
		return 1;
	}
	evil_check(1, "connected vbd0 and vbd1 by hand", 0);
	for (size_t i = 0; i < EVIL_PAGE; i++)
		evil_data[0][i] = evil_pattern(i);
	blkif_request_t w = evil_rw_req(BLKIF_OP_WRITE, 0, 1);
	evil_check(evil_req(&evil_rw, &w, sizeof(w)) == BLKIF_RSP_OKAY && evil_healthy(&evil_rw, true),
		   "a healthy write and read back; answers' padding zeroed", 0);
	evil_test_direct();
	evil_test_indirect();
	evil_test_readonly();
	evil_test_full_ring();
	evil_test_revoke();
	evil_test_storm(storm);
	evil_test_ring();
	printf("blkevil: %s\n", evil_failed ? "FAILED" : "passed");
	return evil_failed;
}
