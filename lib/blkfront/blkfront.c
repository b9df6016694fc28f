/* blkfront: the xenbus handshake for a vbd, and blkif requests (indirect when large) on the caller's pages or bounce pages. */
#include <xen/errno.h>
#include <arch/cpu.h>
#include <mica/abi.h>
#include <mica/alloc.h>
#include <mica/blkfront.h>
#include <mica/evtchn.h>
#include <mica/gnttab.h>
#include <mica/kprint.h>
#include <mica/plat.h>
#include <mica/string.h>
#include <mica/xenbus_keys.h>
#include <mica/xenstore.h>

/*
 * xen/io/ring.h leaves the barriers to its includer. x86 keeps loads in order and stores in
 * order, so only the store-then-load of the notification check needs a fence.
 */
#define xen_mb() cpu_mb()
#define xen_rmb() cpu_barrier()
#define xen_wmb() cpu_barrier()
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>

#define BLKFRONT_PAGE 4096u
/*
 * Pages a request carries: 32 (128 KiB) with indirect segments, of which a backend without them
 * gets 11 a request. 16 slots keep two 1 MiB transfers in flight, so the backend works on one
 * while the other's answers travel back; only the first 8 own bounce pages (a 1 MiB copy set,
 * as much as one transfer needs): the others carry only transfers on the caller's own pages.
 */
#define BLKFRONT_SEGS 32u
#define BLKFRONT_SLOTS 16u
#define BLKFRONT_BOUNCED 8u
#define BLKFRONT_PATH_MAX 256
#define BLKFRONT_NO_REF GNTTAB_NO_REF
/* How long the backend may take to answer Connected; mica answers inside the state write. */
#define BLKFRONT_CONNECT_NS 2000000000ull
/* A request unanswered this long means a dead backend: its slot can never be reused safely. */
#define BLKFRONT_IO_NS 30000000000ull

_Static_assert(__CONST_RING_SIZE(blkif, BLKFRONT_PAGE) >= BLKFRONT_SLOTS, "blkif ring size");
_Static_assert(BLKFRONT_SEGS * sizeof(struct blkif_request_segment) <= BLKFRONT_PAGE, "one indirect page a slot");
_Static_assert(BLKFRONT_BOUNCED <= BLKFRONT_SLOTS, "bounce slots are slots");

/* One request in flight: what its answer is awaited for, and the pages it is on. */
struct blkfront_slot {
	bool busy;
	bool done;
	bool indirect;      /* sent as BLKIF_OP_INDIRECT: its answer may name either operation */
	uint8_t op;
	int16_t status;
	uint8_t *dst;       /* the caller's buffer: its pages granted, or a read's copied to on completion */
	size_t len;
	/* Pages of the caller's buffer granted for this request instead of the bounce pages; 0 if none. */
	unsigned int own;
	grant_ref_t own_ref[BLKFRONT_SEGS];
};

struct blkfront {
	unsigned int index;
	char dir[32];                    /* device/vbd/<index> */
	char backend[BLKFRONT_PATH_MAX]; /* the backend's directory, as the frontend dir names it */
	struct blkfront_info info;
	evtchn_port_t port;
	blkif_front_ring_t ring;
	grant_ref_t ring_ref;
	/* Our own copy of what we published: the shared req_prod is the backend's to scribble on. */
	RING_IDX pushed;
	/*
	 * Slot i < BLKFRONT_BOUNCED owns the bounce pages pages + (i * BLKFRONT_SEGS + s) * BLKFRONT_PAGE,
	 * granted read-write; every slot owns its indirect page indirect + i * BLKFRONT_PAGE, granted
	 * read-only.
	 */
	uint8_t *pages;
	uint8_t *indirect;
	grant_ref_t gref[BLKFRONT_BOUNCED * BLKFRONT_SEGS];
	grant_ref_t indirect_ref[BLKFRONT_SLOTS];
	struct blkfront_slot slot[BLKFRONT_SLOTS];
	bool broken;  /* the backend broke the ring protocol or stopped answering: the device is dead */
	bool warned;  /* a bad response has been reported (once per device) */
	struct plat_restore_hook restored; /* blkfront_restored */
};

/* Reads the disk's geometry once the backend is Connected; -1 after printing why not. */
static int blkfront_read_disk(struct blkfront *bf)
{
	uint64_t sectors, ssize, vinfo;
	char mode[8];

	if (xenbus_read_u64(bf->backend, "sectors", &sectors) != 0 ||
	    xenbus_read_u64(bf->backend, "sector-size", &ssize) != 0 ||
	    xenbus_read_u64(bf->backend, "info", &vinfo) != 0) {
		kprintf("blkfront: vbd%u: %s has a sectors, sector-size or info that is not a number\n",
			bf->index, bf->backend);
		return -1;
	}
	/* A sector must cover whole 512-byte units and fit one segment's page. */
	if (ssize < 512 || ssize > BLKFRONT_PAGE || ssize % 512 != 0 || (ssize & (ssize - 1)) != 0) {
		kprintf("blkfront: vbd%u: sector-size %llu is not a power of two in 512..4096\n", bf->index,
			(unsigned long long)ssize);
		return -1;
	}
	int rc = xenbus_read_key(bf->backend, "mode", mode, sizeof(mode));
	if (rc < 0 && rc != -XEN_ENOENT) {
		kprintf("blkfront: vbd%u: cannot read %s/mode (error %d)\n", bf->index, bf->backend, rc);
		return -1;
	}
	bf->info.sectors = sectors;
	bf->info.sector_size = (uint32_t)ssize;
	bf->info.readonly = (vinfo & VDISK_READONLY) || (rc >= 0 && strcmp(mode, "w") != 0);
	uint64_t flush, discard, gran, segs;
	bf->info.flush = xenbus_read_u64(bf->backend, "feature-flush-cache", &flush) == 0 && flush == 1;
	bf->info.discard = !bf->info.readonly &&
			   xenbus_read_u64(bf->backend, "feature-discard", &discard) == 0 && discard == 1;
	/* A granule that is no multiple of the sector (or absurd) is taken as one sector. */
	if (xenbus_read_u64(bf->backend, "discard-granularity", &gran) != 0 || gran == 0 || gran % ssize != 0 ||
	    gran > (1u << 30))
		gran = ssize;
	bf->info.discard_granularity = (uint32_t)gran;
	if (xenbus_read_u64(bf->backend, "feature-max-indirect-segments", &segs) != 0)
		segs = 0;
	/* Indirect requests only when they carry more than a direct one; at most a slot's pages. */
	if (segs <= BLKIF_MAX_SEGMENTS_PER_REQUEST)
		segs = BLKIF_MAX_SEGMENTS_PER_REQUEST;
	bf->info.max_segments = segs < BLKFRONT_SEGS ? (uint32_t)segs : BLKFRONT_SEGS;
	return 0;
}

/* Reads where the backend is and the disk's name; 1 when there is no such disk, -1 after printing why not. */
static int blkfront_read_config(struct blkfront *bf)
{
	int rc = xenbus_read_key(bf->dir, "backend", bf->backend, sizeof(bf->backend));
	if (rc == -XEN_ENOENT || rc == -XEN_ENODEV)
		return 1;
	if (rc < 0) {
		kprintf("blkfront: vbd%u: cannot read %s/backend (error %d)\n", bf->index, bf->dir, rc);
		return -1;
	}
	if (!xenbus_path_ok(bf->backend)) {
		kprintf("blkfront: vbd%u: backend path '%s' is not an absolute store path\n", bf->index,
			bf->backend);
		return -1;
	}
	if (xenbus_read_key(bf->dir, "name", bf->info.name, sizeof(bf->info.name)) < 0)
		ksnprintf(bf->info.name, sizeof(bf->info.name), "disk%u", bf->index);
	return 0;
}

/*
 * Ends every grant made so far and frees what is no longer granted. A page whose grant the
 * backend still holds is left allocated rather than reused.
 */
static void blkfront_release(struct blkfront *bf)
{
	bool keep = false;

	if (bf->port)
		evtchn_close(bf->port);
	if (bf->ring.sring && (bf->ring_ref == BLKFRONT_NO_REF || gnttab_end(bf->ring_ref) == 0))
		page_free(bf->ring.sring, 1);
	for (unsigned int i = 0; i < BLKFRONT_BOUNCED * BLKFRONT_SEGS; i++)
		if (bf->gref[i] != BLKFRONT_NO_REF && gnttab_end(bf->gref[i]) != 0)
			keep = true;
	if (bf->pages && !keep)
		page_free(bf->pages, BLKFRONT_BOUNCED * BLKFRONT_SEGS);
	keep = false;
	for (unsigned int i = 0; i < BLKFRONT_SLOTS; i++)
		if (bf->indirect_ref[i] != BLKFRONT_NO_REF && gnttab_end(bf->indirect_ref[i]) != 0)
			keep = true;
	if (bf->indirect && !keep)
		page_free(bf->indirect, BLKFRONT_SLOTS);
	heap_free(bf);
}

/* Grants the ring (emptied) and the bounce pages allocated; -1 after printing why not. */
static int blkfront_grant_pages(struct blkfront *bf)
{
	memset(bf->ring.sring, 0, BLKFRONT_PAGE);
	int rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)bf->ring.sring, false, &bf->ring_ref);
	for (unsigned int i = 0; rc == 0 && i < BLKFRONT_BOUNCED * BLKFRONT_SEGS; i++)
		rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)(bf->pages + (size_t)i * BLKFRONT_PAGE), false,
				  &bf->gref[i]);
	for (unsigned int i = 0; rc == 0 && i < BLKFRONT_SLOTS; i++)
		rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)(bf->indirect + (size_t)i * BLKFRONT_PAGE), true,
				  &bf->indirect_ref[i]);
	if (rc != 0) {
		kprintf("blkfront: vbd%u: cannot grant the ring and bounce pages (error %d)\n", bf->index, rc);
		return -1;
	}
	SHARED_RING_INIT(bf->ring.sring);
	FRONT_RING_INIT(&bf->ring, bf->ring.sring, BLKFRONT_PAGE);
	bf->pushed = 0;
	return 0;
}

/* Allocates and grants the ring and the bounce pages; -1 after printing why not. */
static int blkfront_grant_all(struct blkfront *bf)
{
	bf->ring.sring = page_alloc(1);
	bf->pages = page_alloc(BLKFRONT_BOUNCED * BLKFRONT_SEGS);
	bf->indirect = page_alloc(BLKFRONT_SLOTS);
	if (!bf->ring.sring || !bf->pages || !bf->indirect) {
		kprintf("blkfront: vbd%u: out of memory for the ring and bounce pages\n", bf->index);
		return -1;
	}
	return blkfront_grant_pages(bf);
}

/* Initialised, wait for the backend's Connected, read the disk, Connected; -1 after printing why not. */
static int blkfront_connect(struct blkfront *bf)
{
	int rc = xenbus_write_uint(bf->dir, "ring-ref", bf->ring_ref);
	if (rc == 0)
		rc = xenbus_write_uint(bf->dir, "event-channel", bf->port);
	if (rc == 0)
		rc = xenbus_write_key(bf->dir, "protocol", XEN_IO_PROTO_ABI_X86_64);
	if (rc == 0)
		rc = xenbus_switch_state(bf->dir, XenbusStateInitialised);
	if (rc != 0) {
		kprintf("blkfront: vbd%u: cannot write %s (error %d)\n", bf->index, bf->dir, rc);
		return -1;
	}
	XenbusState st = xenbus_wait_state(bf->backend, XenbusStateConnected,
					   plat_time_ns() + BLKFRONT_CONNECT_NS);
	if (st != XenbusStateConnected) {
		kprintf("blkfront: vbd%u: backend %s did not connect within 2 s (state %d)\n", bf->index,
			bf->backend, (int)st);
		xenbus_switch_state(bf->dir, XenbusStateClosed);
		return -1;
	}
	if (blkfront_read_disk(bf) != 0 || (rc = xenbus_switch_state(bf->dir, XenbusStateConnected)) != 0) {
		if (rc != 0)
			kprintf("blkfront: vbd%u: cannot write %s/state (error %d)\n", bf->index, bf->dir, rc);
		xenbus_switch_state(bf->dir, XenbusStateClosed);
		return -1;
	}
	return 0;
}

/* Reports the first bad response of a device; later ones are only ignored. */
static void blkfront_bad(struct blkfront *bf, const char *what, unsigned long long v)
{
	if (bf->warned)
		return;
	bf->warned = true;
	kprintf("blkfront: vbd%u: backend sent %s %llu; ignored\n", bf->index, what, v);
}

/* Takes every response the backend has published, copying each out of the ring before reading it. */
static void blkfront_poll(struct blkfront *bf)
{
	for (;;) {
		/* The backend writes rsp_prod at any time: read it once, before the responses it covers. */
		RING_IDX prod = __atomic_load_n(&bf->ring.sring->rsp_prod, __ATOMIC_ACQUIRE);
		RING_IDX cons = bf->ring.rsp_cons;
		int more;

		if (bf->broken)
			return;
		if (prod - cons > bf->pushed - cons) {
			kprintf("blkfront: vbd%u: backend claims %u responses, more than requested; device stopped\n",
				bf->index, prod - cons);
			bf->broken = true;
			return;
		}
		for (; cons != prod; cons++) {
			blkif_response_t rsp;
			RING_COPY_RESPONSE(&bf->ring, cons, &rsp);
			struct blkfront_slot *s = rsp.id < BLKFRONT_SLOTS ? &bf->slot[rsp.id] : 0;
			if (!s || !s->busy || s->done) {
				blkfront_bad(bf, "a response for unused id", (unsigned long long)rsp.id);
				continue;
			}
			if (rsp.operation != s->op && !(s->indirect && rsp.operation == BLKIF_OP_INDIRECT)) {
				blkfront_bad(bf, "a response with the wrong operation", rsp.operation);
				s->status = BLKIF_RSP_ERROR;
			} else {
				s->status = rsp.status;
			}
			s->done = true;
		}
		bf->ring.rsp_cons = cons;
		RING_FINAL_CHECK_FOR_RESPONSES(&bf->ring, more);
		if (!more)
			return;
	}
}

static void blkfront_event(evtchn_port_t port, void *arg)
{
	(void)port;
	blkfront_poll(arg);
}

/*
 * Ends the grants of the caller's pages a slot used (a restore may have ended them already). The
 * backend has answered, so it holds none; one it still holds stays granted (its page is the
 * caller's: the device is stopped instead).
 */
static void blkfront_end_own(struct blkfront *bf, struct blkfront_slot *s)
{
	for (unsigned int k = 0; k < s->own; k++)
		if (!gnttab_end_ref(&s->own_ref[k]) && !bf->broken) {
			kprintf("blkfront: vbd%u: backend still holds a page it answered for; device stopped\n",
				bf->index);
			bf->broken = true;
		}
	s->own = 0;
}

/* Turns a finished slot's answer into the caller's result, copying a read out; frees the slot. */
static int blkfront_finish(struct blkfront *bf, unsigned int i)
{
	struct blkfront_slot *s = &bf->slot[i];
	int rc = 0;

	bool own = s->own != 0;
	blkfront_end_own(bf, s);
	if (s->status == BLKIF_RSP_OKAY) {
		if (s->op == BLKIF_OP_READ && !own)
			memcpy(s->dst, bf->pages + (size_t)i * BLKFRONT_SEGS * BLKFRONT_PAGE, s->len);
	} else if (s->status == BLKIF_RSP_EOPNOTSUPP) {
		rc = -XEN_EOPNOTSUPP;
	} else {
		/* BLKIF_RSP_ERROR and any value the protocol does not define. */
		rc = -XEN_EIO;
	}
	s->busy = s->done = false;
	return rc;
}

/* Waits until slot i has its answer; false when the device broke or stopped answering. */
static bool blkfront_wait(struct blkfront *bf, unsigned int i)
{
	uint64_t deadline = plat_time_ns() + BLKFRONT_IO_NS;
	bool yielded = false;

	for (;;) {
		blkfront_poll(bf);
		if (bf->broken)
			return false;
		if (bf->slot[i].done)
			return true;
		/*
		 * A backend that works once the notify has returned (proc) has usually answered by the
		 * time a yield comes back: one hypercall, where a block with its deadline takes three.
		 */
		if (!yielded) {
			yielded = true;
			plat_yield();
			continue;
		}
		if (plat_time_ns() >= deadline) {
			kprintf("blkfront: vbd%u: backend did not answer within 30 s; device stopped\n", bf->index);
			bf->broken = true;
			return false;
		}
		plat_block(deadline);
	}
}

/* Publishes the requests built so far and tells the backend when it needs telling. */
void blkfront_push(struct blkfront *bf)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&bf->ring, notify);
	bf->pushed = bf->ring.req_prod_pvt;
	if (notify)
		evtchn_notify(bf->port);
}

/* A transfer's sectors must be whole logical sectors of the disk, inside it. */
static bool blkfront_range_ok(const struct blkfront *bf, uint64_t sector, size_t nsectors)
{
	uint64_t unit = bf->info.sector_size / 512;
	return sector % unit == 0 && nsectors % unit == 0 && sector <= bf->info.sectors &&
	       nsectors <= bf->info.sectors - sector;
}

size_t blkfront_max_sectors(const struct blkfront *bf)
{
	return (size_t)bf->info.max_segments * (BLKFRONT_PAGE / 512);
}

/*
 * Whether a transfer of len bytes at buf can be on the caller's own pages, sparing the copy
 * through bounce pages: only whole pages of guest RAM qualify (the backend refuses any other
 * frame, and a page the transfer covers in part would expose, or take, more than the caller's
 * bytes).
 */
static bool blkfront_own_fits(const uint8_t *buf, size_t len)
{
	uintptr_t at = (uintptr_t)buf;
	uintptr_t ram_end = plat_free_memory().end;

	return at % BLKFRONT_PAGE == 0 && len % BLKFRONT_PAGE == 0 && at >= MICA_RAM_BASE && at <= ram_end &&
	       len <= ram_end - at;
}

/*
 * Grants the caller's pages of slot s's transfer (one that blkfront_own_fits), read-only for a
 * write; false, nothing granted, when out of refs.
 */
static bool blkfront_grant_own(struct blkfront_slot *s, bool write)
{
	unsigned int n = (unsigned int)(s->len / BLKFRONT_PAGE);
	for (unsigned int k = 0; k < n; k++)
		if (gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)s->dst + (uintptr_t)k * BLKFRONT_PAGE, write,
				 &s->own_ref[k]) != 0) {
			/* Never given to the backend, so they end at once. */
			while (k)
				gnttab_end(s->own_ref[--k]);
			return false;
		}
	s->own = n;
	return true;
}

/* The first free slot in [first, end); end when every one is busy. */
static unsigned int blkfront_free_slot(const struct blkfront *bf, unsigned int first, unsigned int end)
{
	while (first < end && bf->slot[first].busy)
		first++;
	return first;
}

/*
 * Takes a free slot for a request of op (a blkif operation) on len bytes at buf, granting the
 * caller's pages when they qualify. What needs no bounce pages takes a slot without them first,
 * keeping the bounce slots for transfers that need the copy; a transfer whose own grants cannot
 * be made (out of refs) falls back to a bounce slot. BLKFRONT_SLOTS when no fitting slot is free.
 */
static unsigned int blkfront_take(struct blkfront *bf, uint8_t op, uint8_t *buf, size_t len)
{
	bool rw = op == BLKIF_OP_READ || op == BLKIF_OP_WRITE, write = op == BLKIF_OP_WRITE;
	bool fits = rw && blkfront_own_fits(buf, len), out_of_refs = false;
	unsigned int i = rw && !fits ? BLKFRONT_SLOTS : blkfront_free_slot(bf, BLKFRONT_BOUNCED, BLKFRONT_SLOTS);

	if (i < BLKFRONT_SLOTS) {
		bf->slot[i] = (struct blkfront_slot){.busy = true, .op = op, .dst = buf, .len = len};
		if (!fits || blkfront_grant_own(&bf->slot[i], write))
			return i;
		bf->slot[i].busy = false;
		out_of_refs = true;
	}
	i = blkfront_free_slot(bf, 0, BLKFRONT_BOUNCED);
	if (i == BLKFRONT_BOUNCED)
		return BLKFRONT_SLOTS;
	bf->slot[i] = (struct blkfront_slot){.busy = true, .op = op, .dst = buf, .len = len};
	if (fits && !out_of_refs)
		blkfront_grant_own(&bf->slot[i], write);
	return i;
}

/* Fills slot i's request (and indirect page) for a read or write of n sectors on the pages of grefs. */
static void blkfront_build_rw(struct blkfront *bf, unsigned int i, blkif_request_t *req, uint8_t op,
			      uint64_t sector, size_t n, const grant_ref_t *grefs)
{
	unsigned int nseg = (unsigned int)((n + 7) / 8);
	struct blkif_request_segment seg[BLKFRONT_SEGS];

	for (unsigned int g = 0; g < nseg; g++) {
		size_t left = n - (size_t)g * 8;
		seg[g] = (struct blkif_request_segment){
			.gref = grefs[g], .first_sect = 0,
			.last_sect = (uint8_t)((left < 8 ? left : 8) - 1)};
	}
	memset(req, 0, sizeof(*req));
	if (nseg <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		req->operation = op;
		req->nr_segments = (uint8_t)nseg;
		req->handle = (blkif_vdev_t)bf->index;
		req->id = i;
		req->sector_number = sector;
		memcpy(req->seg, seg, nseg * sizeof(seg[0]));
		return;
	}
	blkif_request_indirect_t ind;
	memset(&ind, 0, sizeof(ind));
	ind.operation = BLKIF_OP_INDIRECT;
	ind.indirect_op = op;
	ind.nr_segments = (uint16_t)nseg;
	ind.id = i;
	ind.sector_number = sector;
	ind.handle = (blkif_vdev_t)bf->index;
	ind.indirect_grefs[0] = bf->indirect_ref[i];
	memcpy(bf->indirect + (size_t)i * BLKFRONT_PAGE, seg, nseg * sizeof(seg[0]));
	memcpy(req, &ind, sizeof(ind));
	bf->slot[i].indirect = true;
}

int blkfront_queue(struct blkfront *bf, enum blkfront_op op, uint64_t sector, void *buf, size_t nsectors)
{
	if (bf->broken)
		return -XEN_ENODEV;
	bool rw = op == BLKFRONT_OP_READ || op == BLKFRONT_OP_WRITE;
	if (op > BLKFRONT_OP_DISCARD || !blkfront_range_ok(bf, sector, nsectors) ||
	    (rw && (nsectors == 0 || nsectors > blkfront_max_sectors(bf) || !buf)) ||
	    (op == BLKFRONT_OP_FLUSH && (nsectors || buf)))
		return -XEN_EINVAL;
	if ((op == BLKFRONT_OP_FLUSH && !bf->info.flush) || (op == BLKFRONT_OP_DISCARD && !bf->info.discard))
		return -XEN_EOPNOTSUPP;
	static const uint8_t ops[] = {BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_DISCARD};
	unsigned int i = blkfront_take(bf, ops[op], buf, nsectors * 512);
	if (i == BLKFRONT_SLOTS)
		return -XEN_EAGAIN;
	struct blkfront_slot *s = &bf->slot[i];
	blkif_request_t *req = RING_GET_REQUEST(&bf->ring, bf->ring.req_prod_pvt);
	if (rw) {
		/* Not on the caller's pages: blkfront_take gave a slot with bounce pages. */
		const grant_ref_t *grefs = s->own ? s->own_ref : &bf->gref[i * BLKFRONT_SEGS];
		if (!s->own && op == BLKFRONT_OP_WRITE)
			memcpy(bf->pages + (size_t)i * BLKFRONT_SEGS * BLKFRONT_PAGE, buf, s->len);
		blkfront_build_rw(bf, i, req, ops[op], sector, nsectors, grefs);
	} else if (op == BLKFRONT_OP_DISCARD) {
		blkif_request_discard_t d;
		memset(&d, 0, sizeof(d));
		d.operation = BLKIF_OP_DISCARD;
		d.handle = (blkif_vdev_t)bf->index;
		d.id = i;
		d.sector_number = sector;
		d.nr_sectors = nsectors;
		memset(req, 0, sizeof(*req));
		memcpy(req, &d, sizeof(d));
	} else {
		memset(req, 0, sizeof(*req));
		req->operation = BLKIF_OP_FLUSH_DISKCACHE;
		req->handle = (blkif_vdev_t)bf->index;
		req->id = i;
	}
	bf->ring.req_prod_pvt++;
	return (int)i;
}

int blkfront_submit(struct blkfront *bf, enum blkfront_op op, uint64_t sector, void *buf, size_t nsectors)
{
	int tag = blkfront_queue(bf, op, sector, buf, nsectors);
	if (tag >= 0)
		blkfront_push(bf);
	return tag;
}

int blkfront_complete(struct blkfront *bf, int tag)
{
	if (tag < 0 || tag >= (int)BLKFRONT_SLOTS || !bf->slot[tag].busy)
		return -XEN_EINVAL;
	/* A request queued and never published would never be answered. */
	if (bf->pushed != bf->ring.req_prod_pvt)
		blkfront_push(bf);
	if (!blkfront_wait(bf, (unsigned int)tag))
		return -XEN_ENODEV;
	return blkfront_finish(bf, (unsigned int)tag);
}

/*
 * A synchronous call over the asynchronous ones: the transfer split into requests that are all
 * on the ring together (as many as there are fitting slots: all on the caller's pages, the
 * bounce slots through a copy), published with one push (one notify, and the backend finds them
 * side by side), completed in the order they were sent.
 */
static int blkfront_sync(struct blkfront *bf, enum blkfront_op op, uint64_t sector, uint8_t *buf, size_t nsectors)
{
	int tags[BLKFRONT_SLOTS], rc = 0;
	unsigned int head = 0, n = 0;
	size_t max = op == BLKFRONT_OP_READ || op == BLKFRONT_OP_WRITE ? blkfront_max_sectors(bf) : nsectors;

	if (bf->broken)
		return -XEN_ENODEV;
	if (!blkfront_range_ok(bf, sector, nsectors))
		return -XEN_EINVAL;
	do {
		size_t k = nsectors < max ? nsectors : max;
		int tag = blkfront_queue(bf, op, sector, op == BLKFRONT_OP_FLUSH ? 0 : buf, k);
		if (tag == -XEN_EAGAIN && n > 0) {
			blkfront_push(bf);
			int r = blkfront_complete(bf, tags[head]);
			head = (head + 1) % BLKFRONT_SLOTS;
			n--;
			if (r != 0 && rc == 0)
				rc = r;
			continue;
		}
		if (tag < 0) {
			if (rc == 0)
				rc = tag;
			break;
		}
		tags[(head + n++) % BLKFRONT_SLOTS] = tag;
		sector += k;
		if (buf)
			buf += k * 512;
		nsectors -= k;
	} while (nsectors > 0 && rc == 0);
	blkfront_push(bf);
	for (; n > 0; n--, head = (head + 1) % BLKFRONT_SLOTS) {
		int r = blkfront_complete(bf, tags[head]);
		if (r != 0 && rc == 0)
			rc = r;
	}
	return rc;
}

int blkfront_read(struct blkfront *bf, uint64_t sector, void *buf, size_t nsectors)
{
	return nsectors ? blkfront_sync(bf, BLKFRONT_OP_READ, sector, buf, nsectors)
			: (blkfront_range_ok(bf, sector, 0) ? 0 : -XEN_EINVAL);
}

int blkfront_write(struct blkfront *bf, uint64_t sector, const void *buf, size_t nsectors)
{
	/* The buffer is only read: a write's data is copied out of buf at submit, never into it. */
	return nsectors ? blkfront_sync(bf, BLKFRONT_OP_WRITE, sector, (uint8_t *)(uintptr_t)buf, nsectors)
			: (blkfront_range_ok(bf, sector, 0) ? 0 : -XEN_EINVAL);
}

int blkfront_flush(struct blkfront *bf)
{
	return blkfront_sync(bf, BLKFRONT_OP_FLUSH, 0, 0, 0);
}

int blkfront_discard(struct blkfront *bf, uint64_t sector, size_t nsectors)
{
	if (bf->broken)
		return -XEN_ENODEV;
	if (!blkfront_range_ok(bf, sector, nsectors))
		return -XEN_EINVAL;
	if (!bf->info.discard)
		return -XEN_EOPNOTSUPP;
	/* Whole granules only: the backend would round a part of one to nothing, or to too much. */
	uint64_t g = bf->info.discard_granularity / 512;
	uint64_t first = (sector + g - 1) / g * g, end = (sector + nsectors) / g * g;
	if (end <= first)
		return 0;
	return blkfront_sync(bf, BLKFRONT_OP_DISCARD, first, 0, (size_t)(end - first));
}

/*
 * After a restore (docs/abi.md §14): the backend that answered this ring is gone and a new one
 * waits in InitWait. Answers the old one published before the snapshot still count; a request
 * it never answered fails (-XEN_EIO). The old port and grants, those of the caller's pages in
 * flight too, are dropped (the runtime voided the old backend's holds, and no new backend is to
 * see those pages), and the ring, emptied and granted anew, is connected by the same
 * handshake as at open, reading the disk again: it may be another file, of another size. A disk
 * the restore did not give, or a handshake that fails, leaves the device stopped (-XEN_ENODEV).
 */
static void blkfront_restored(void *arg)
{
	struct blkfront *bf = arg;
	bool ended = true;

	blkfront_poll(bf);
	for (unsigned int i = 0; i < BLKFRONT_SLOTS; i++) {
		struct blkfront_slot *s = &bf->slot[i];
		if (s->busy && !s->done) {
			s->done = true;
			s->status = BLKIF_RSP_ERROR;
		}
		/* s->own stays: it tells blkfront_finish that a read's data is in the caller's pages. */
		for (unsigned int k = 0; s->busy && k < s->own; k++)
			ended &= gnttab_end_ref(&s->own_ref[k]);
	}
	if (bf->port)
		evtchn_close(bf->port);
	bf->port = 0;
	ended &= gnttab_end_ref(&bf->ring_ref);
	for (unsigned int i = 0; i < BLKFRONT_BOUNCED * BLKFRONT_SEGS; i++)
		ended &= gnttab_end_ref(&bf->gref[i]);
	for (unsigned int i = 0; i < BLKFRONT_SLOTS; i++)
		ended &= gnttab_end_ref(&bf->indirect_ref[i]);
	bf->broken = true;
	bf->warned = false;
	if (!ended) {
		kprintf("blkfront: vbd%u: a grant is still held after the restore; device stopped\n", bf->index);
		return;
	}
	int rc = blkfront_read_config(bf);
	if (rc == 1)
		kprintf("blkfront: vbd%u: the restore gave no such disk; device stopped\n", bf->index);
	if (rc != 0)
		return;
	XenbusState st = xenbus_read_state(bf->backend);
	if (st != XenbusStateInitWait) {
		kprintf("blkfront: vbd%u: backend %s is in state %d after the restore, not InitWait (2)\n", bf->index,
			bf->backend, (int)st);
		return;
	}
	if (blkfront_grant_pages(bf) != 0)
		return;
	rc = evtchn_alloc_unbound(MICA_DOMID_BACKEND, &bf->port);
	if (rc != 0) {
		bf->port = 0;
		kprintf("blkfront: vbd%u: cannot allocate an event channel (error %d)\n", bf->index, rc);
		return;
	}
	if (blkfront_connect(bf) != 0)
		return;
	rc = evtchn_set_handler(bf->port, blkfront_event, bf);
	if (rc != 0) {
		kprintf("blkfront: vbd%u: cannot handle event channel %u (error %d)\n", bf->index, bf->port, rc);
		xenbus_switch_state(bf->dir, XenbusStateClosed);
		return;
	}
	bf->broken = false;
}

struct blkfront *blkfront_open(unsigned int index)
{
	struct blkfront *bf = heap_calloc(1, sizeof(*bf));
	if (!bf) {
		kprintf("blkfront: vbd%u: out of memory\n", index);
		return 0;
	}
	bf->index = index;
	bf->ring_ref = BLKFRONT_NO_REF;
	for (unsigned int i = 0; i < BLKFRONT_BOUNCED * BLKFRONT_SEGS; i++)
		bf->gref[i] = BLKFRONT_NO_REF;
	for (unsigned int i = 0; i < BLKFRONT_SLOTS; i++)
		bf->indirect_ref[i] = BLKFRONT_NO_REF;
	ksnprintf(bf->dir, sizeof(bf->dir), "device/vbd/%u", index);

	int rc = blkfront_read_config(bf);
	if (rc != 0)
		goto fail;
	XenbusState st = xenbus_read_state(bf->backend);
	if (st != XenbusStateInitWait) {
		kprintf("blkfront: vbd%u: backend %s is in state %d, not InitWait (2)\n", index, bf->backend,
			(int)st);
		goto fail;
	}
	if (blkfront_grant_all(bf) != 0)
		goto fail;
	rc = evtchn_alloc_unbound(MICA_DOMID_BACKEND, &bf->port);
	if (rc != 0) {
		bf->port = 0;
		kprintf("blkfront: vbd%u: cannot allocate an event channel (error %d)\n", index, rc);
		goto fail;
	}
	if (blkfront_connect(bf) != 0)
		goto fail;
	rc = evtchn_set_handler(bf->port, blkfront_event, bf);
	if (rc != 0) {
		kprintf("blkfront: vbd%u: cannot handle event channel %u (error %d)\n", index, bf->port, rc);
		xenbus_switch_state(bf->dir, XenbusStateClosed);
		goto fail;
	}
	bf->restored = (struct plat_restore_hook){.fn = blkfront_restored, .arg = bf};
	plat_on_restore(&bf->restored);
	return bf;
fail:
	blkfront_release(bf);
	return 0;
}

void blkfront_get_info(const struct blkfront *bf, struct blkfront_info *info)
{
	*info = bf->info;
}
