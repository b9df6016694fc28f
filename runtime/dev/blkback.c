/*
 * blkback: a guest disk served on a host file. The ring, requests, grants and xenstore keys are
 * the guest's to scribble on concurrently, so each request is copied once and then validated,
 * every data byte goes through the grant layer, and a refusal is answered and counted, never trusted.
 */
#include "dev/blkback.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "util/log.h"
#include "util/uring.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "xen/xenstore.h"

/* xen/io/ring.h's barriers: the guest runs on another CPU while mica works on its ring. */
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>
#include <xen/io/xs_wire.h>

#define BLKBACK_SECTOR 512u
#define BLKBACK_SECTORS_PER_PAGE (MICA_PAGE_SIZE / BLKBACK_SECTOR)
#define BLKBACK_VDEV_BASE 51712u /* xvda: major 202, minor 0; each disk 16 minors on */
#define BLKBACK_LOGGED_HANDSHAKE (1u << BLKBACK_NR_REFUSALS)
/* feature-max-indirect-segments: 1 MiB a request, whose segments fit one indirect page. */
#define BLKBACK_MAX_SEGS 256u
#define BLKBACK_SEGS_PER_INDIRECT (MICA_PAGE_SIZE / sizeof(struct blkif_request_segment))
/*
 * Work one notify (or one resumption) may do before mica looks at its other duties: half a ring
 * of requests or 8 MiB of data, whichever comes first. The rest waits one monitor loop turn.
 */
#define BLKBACK_BUDGET_REQUESTS 16u
#define BLKBACK_BUDGET_BYTES (8u << 20)
/* IOV_MAX on Linux: the most one preadv/pwritev takes, so the most segments a batch holds. */
#define BLKBACK_BATCH_IOV 1024u
/*
 * A batch stops growing at 1 MiB, so a frontend that keeps two 1 MiB transfers on the ring gets
 * the first answered while the device reads the second, instead of both after one 2 MiB read.
 */
#define BLKBACK_BATCH_BYTES (1u << 20)
/* Batches a disk holds: up to three reads in flight on its io_uring, and one filling. */
#define BLKBACK_BATCHES 4u
/*
 * The most one pwritev of a batch writes. The page cache allocates folios as large as the write
 * (a 1 MiB pwritev, 1 MiB folios): measured with tests/bench/disk.sh on this paravirtualized host,
 * where fresh large folios are dear, 1 MiB pwritevs took twice as long as 128 KiB ones. Reads
 * have no such cost and go in one preadv.
 */
#define BLKBACK_WRITE_CHUNK (128u << 10)
/*
 * Reads of at least this much that the page cache holds none of go to the device with O_DIRECT,
 * straight into the guest's pages. The cached path copies every byte from freshly filled page
 * cache, which on this paravirtualized host costs more than the device: measured with
 * tests/bench/disk.sh, 1 MiB reads through the cache ran at 0.5-0.8x dd iflag=direct whenever
 * the kernel handed out page cache the host had not touched lately. Smaller reads (a file
 * system's metadata) keep the cache.
 */
#define BLKBACK_DIRECT_MIN (256u << 10)
/* cachestat(2) (Linux 6.5), which the C library's headers predate. */
#define BLKBACK_SYS_CACHESTAT 451
struct blkback_cachestat_range {
	uint64_t off, len;
};
struct blkback_cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

_Static_assert(BLKBACK_MAX_SEGS <= BLKBACK_SEGS_PER_INDIRECT * BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST,
	       "indirect segments fit the indirect pages a request can name");
_Static_assert(BLKBACK_BATCH_IOV >= BLKBACK_MAX_SEGS, "the largest request fits a batch alone");

/* A read or write, direct or indirect, in mica's own memory: what is validated is what is done. */
struct blkback_io {
	uint8_t op;          /* BLKIF_OP_READ or BLKIF_OP_WRITE (an indirect request's indirect_op) */
	unsigned int nseg;
	uint64_t sector;
	struct blkif_request_segment seg[BLKBACK_MAX_SEGS];
};

/*
 * Reads or writes of one notify that follow each other on the disk, their grants held, done
 * together and then answered one by one: a 1 MiB read the frontend sent as eight requests costs
 * the host one preadv (a write, pwritevs of BLKBACK_WRITE_CHUNK).
 */
struct blkback_batch {
	uint8_t op;
	unsigned int n, niov;       /* requests, and their segments held in seg_map / iov */
	uint64_t sector, next;      /* the first sector, and the one after the last */
	uint32_t bytes;
	struct {
		uint64_t id;
		uint32_t len;
		uint8_t rsp_op;
	} req[BLKBACK_BUDGET_REQUESTS];
	uint64_t done;              /* bytes moved, up to the first short transfer */
	unsigned int host_calls, direct_reads;
	bool finished;              /* its read in flight has come back (blkback_reap) */
	struct gnttab_mapping seg_map[BLKBACK_BATCH_IOV];
	struct iovec iov[BLKBACK_BATCH_IOV];
};

struct blkback {
	struct guest *g;
	unsigned int idx;
	int fd;
	bool ro;
	uint64_t sectors;
	char fe[48], be[48];        /* the frontend's and the backend's xenstore directories */
	XenbusState be_state;
	bool connected, stopped;
	uint32_t logged;            /* refusal classes and handshake failures already logged */
	struct gnttab_mapping map;
	blkif_back_ring_t ring;
	uint32_t port;
	/*
	 * Polled by the monitor loop: readable when requests wait beyond a notify's budget (blkback
	 * writes 1 to it) or a read in flight has finished (the io_uring's registered eventfd).
	 */
	int wake_fd;
	/* The file again with O_DIRECT, for large reads the page cache holds none of; -1: none. */
	int dfd;
	struct uring uring;         /* the O_DIRECT reads in flight; made on the first (uring_tried) */
	bool uring_tried;
	struct blkback_stats st;
	struct blkback_io io;
	/*
	 * batches[k % BLKBACK_BATCHES] for k in [answered, queued) are reads in flight, answered in
	 * that order; batches[queued % BLKBACK_BATCHES] is the one filling.
	 */
	struct blkback_batch batches[BLKBACK_BATCHES];
	unsigned int queued, answered;
	uint8_t buf[BLKBACK_MAX_SEGS * MICA_PAGE_SIZE];
};

_Static_assert(GUEST_MAX_DISKS == RUN_MAX_DISKS, "a guest holds every --disk");

static void blkback_refuse(struct blkback *bb, enum blkback_refusal why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void blkback_refuse(struct blkback *bb, enum blkback_refusal why, const char *fmt, ...)
{
	bb->st.refused[why]++;
	if (bb->logged & (1u << why))
		return;
	bb->logged |= 1u << why;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("disk%u: %s; refused (counted in --stats, not logged again)", bb->idx, msg);
}

static void blkback_notify(struct guest *g, uint32_t port);

/* ---------------------------------------------------------------------------------- requests */

static void blkback_respond(struct blkback *bb, uint64_t id, uint8_t op, int16_t status)
{
	/* Built whole in a zeroed local: the padding the guest reads holds nothing of mica's. */
	blkif_response_t rsp;
	memset(&rsp, 0, sizeof(rsp));
	rsp.id = id;
	rsp.operation = op;
	rsp.status = status;
	memcpy(RING_GET_RESPONSE(&bb->ring, bb->ring.rsp_prod_pvt), &rsp, sizeof(rsp));
	bb->ring.rsp_prod_pvt++;
}

/* Validates bb->io's segments and range; its byte count, or 0 (refusal counted) to refuse it. */
static uint32_t blkback_rw_valid(struct blkback *bb, const char *what)
{
	const struct blkback_io *io = &bb->io;
	uint64_t total = 0;
	for (unsigned int i = 0; i < io->nseg; i++) {
		const struct blkif_request_segment *s = &io->seg[i];
		if (s->first_sect > s->last_sect || s->last_sect >= BLKBACK_SECTORS_PER_PAGE) {
			blkback_refuse(bb, BLKBACK_REFUSED_SECTOR, "%s segment of sectors %u..%u (0 <= first <= last <= 7)",
				       what, s->first_sect, s->last_sect);
			return 0;
		}
		total += (uint64_t)s->last_sect - s->first_sect + 1;
	}
	if (io->sector > bb->sectors || total > bb->sectors - io->sector) {
		blkback_refuse(bb, BLKBACK_REFUSED_RANGE, "%s of %llu sectors at sector %llu beyond the disk's %llu",
			       what, (unsigned long long)total, (unsigned long long)io->sector,
			       (unsigned long long)bb->sectors);
		return 0;
	}
	return (uint32_t)(total * BLKBACK_SECTOR);
}

static uint32_t blkback_seg_len(const struct blkif_request_segment *s)
{
	return (uint32_t)(s->last_sect - s->first_sect + 1) * BLKBACK_SECTOR;
}

/*
 * Holds bb->io's granted pages as iovecs at the end of batch b, for I/O straight between the file
 * and the guest: no copy in mica. False, nothing held, when a grant cannot be held that way (the
 * copying path then decides).
 */
static bool blkback_hold(struct blkback *bb, struct blkback_batch *b)
{
	const struct blkback_io *io = &bb->io;
	bool read = io->op == BLKIF_OP_READ;
	unsigned int at = b->niov;
	for (unsigned int i = 0; i < io->nseg; i++) {
		const struct blkif_request_segment *s = &io->seg[i];
		uint8_t *page = gnttab_map(bb->g, s->gref, read, &b->seg_map[at + i]);
		if (!page) {
			while (i)
				gnttab_unmap(&b->seg_map[at + --i]);
			return false;
		}
		b->iov[at + i] = (struct iovec){page + s->first_sect * BLKBACK_SECTOR, blkback_seg_len(s)};
	}
	return true;
}

static void blkback_count(struct blkback *bb, uint8_t op, uint32_t len)
{
	if (op == BLKIF_OP_READ) {
		bb->st.reads++;
		bb->st.read_bytes += len;
	} else {
		bb->st.writes++;
		bb->st.written_bytes += len;
	}
}

/*
 * Whether n iovecs from iov at file offset at are whole pages: aligned for O_DIRECT on any
 * logical block size up to a page, which is what the frontend's 1 MiB transfers are.
 */
static bool blkback_dio_aligned(const struct iovec *iov, unsigned int n, off_t at)
{
	if ((uint64_t)at % MICA_PAGE_SIZE)
		return false;
	for (unsigned int i = 0; i < n; i++)
		if ((uintptr_t)iov[i].iov_base % MICA_PAGE_SIZE || iov[i].iov_len % MICA_PAGE_SIZE)
			return false;
	return true;
}

/* Reads go through the page cache from now on. */
static void blkback_no_direct(struct blkback *bb)
{
	close(bb->dfd);
	bb->dfd = -1;
}

/* Drops the first skip bytes of the n iovecs at *iov, advancing *iov and *n past used-up ones. */
static void blkback_iov_skip(struct iovec **iov, unsigned int *n, uint64_t skip)
{
	while (*n && skip >= (*iov)->iov_len) {
		skip -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n && skip) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + skip;
		(*iov)->iov_len -= skip;
	}
}

/*
 * Whether len bytes at at (b's n iovecs) are worth reading with O_DIRECT: large, aligned, and
 * none of it in the page cache (cachestat(2)), whose copy would serve a cached range better and
 * whose dirty pages O_DIRECT would first have to write back.
 */
static bool blkback_read_direct_ok(struct blkback *bb, const struct blkback_batch *b, off_t at, size_t len,
				   unsigned int n)
{
	if (bb->dfd < 0 || len < BLKBACK_DIRECT_MIN || !blkback_dio_aligned(b->iov, n, at))
		return false;
	struct blkback_cachestat_range range = {(uint64_t)at, len};
	struct blkback_cachestat cs;
	if (syscall(BLKBACK_SYS_CACHESTAT, bb->fd, &range, &cs, 0) == 0)
		return cs.nr_cache == 0;
	if (errno == ENOSYS)
		blkback_no_direct(bb); /* a kernel before 6.5 */
	return false;
}

/*
 * After a direct read of b's *n iovecs that moved got bytes (got < 0: failed with err): counts
 * it, and leaves in b->iov the *n iovecs still to fill, for the cached path. The bytes moved.
 */
static uint64_t blkback_direct_done(struct blkback *bb, struct blkback_batch *b, ssize_t got, int err,
				    unsigned int *n)
{
	b->host_calls++;
	if (got <= 0) {
		if (got < 0 && err == EINVAL)
			blkback_no_direct(bb); /* the filesystem wants more than page alignment */
		return 0;
	}
	b->direct_reads++;
	struct iovec *iov = b->iov;
	blkback_iov_skip(&iov, n, (uint64_t)got);
	memmove(b->iov, iov, *n * sizeof(*iov));
	return (uint64_t)got;
}

/* The O_DIRECT read of b's n iovecs at at, if blkback_read_direct_ok, as blkback_direct_done leaves it. */
static uint64_t blkback_read_direct(struct blkback *bb, struct blkback_batch *b, off_t at, unsigned int *n)
{
	if (!blkback_read_direct_ok(bb, b, at, b->bytes, *n))
		return 0;
	ssize_t got = preadv(bb->dfd, b->iov, (int)*n, at);
	return blkback_direct_done(bb, b, got, errno, n);
}

/*
 * The first n iovecs of b at at through the page cache: one preadv, or pwritevs of at most
 * BLKBACK_WRITE_CHUNK (or one iovec) each. The bytes moved, up to the first short call or error.
 */
static uint64_t blkback_host_io_cached(struct blkback *bb, struct blkback_batch *b, bool read, off_t at,
				       unsigned int n)
{
	uint64_t done = 0;
	for (unsigned int i = 0; i < n;) {
		unsigned int k = 1;
		size_t want = b->iov[i].iov_len;
		while (i + k < n && (read || want + b->iov[i + k].iov_len <= BLKBACK_WRITE_CHUNK))
			want += b->iov[i + k++].iov_len;
		ssize_t got = read ? preadv(bb->fd, b->iov + i, (int)k, at + (off_t)done)
				   : pwritev(bb->fd, b->iov + i, (int)k, at + (off_t)done);
		b->host_calls++;
		if (got > 0)
			done += (uint64_t)got;
		if (got != (ssize_t)want)
			break;
		i += k;
	}
	return done;
}

/* b's host I/O, done now: a read's O_DIRECT preadv (see BLKBACK_DIRECT_MIN) or through the cache. */
static void blkback_batch_do(struct blkback *bb, struct blkback_batch *b)
{
	bool read = b->op == BLKIF_OP_READ;
	off_t at = (off_t)(b->sector * BLKBACK_SECTOR);
	unsigned int n = b->niov;
	uint64_t direct = read ? blkback_read_direct(bb, b, at, &n) : 0;
	b->done = direct + blkback_host_io_cached(bb, b, read, at + (off_t)direct, n);
}

/* Empties b for the next requests (its iovecs and grants are overwritten as they are held). */
static void blkback_batch_clear(struct blkback_batch *b)
{
	memset(b, 0, offsetof(struct blkback_batch, seg_map));
}

/*
 * Releases a done batch's grants and answers its requests in order: each one wholly inside what
 * the host moved succeeded, each one reaching past a short transfer failed. The caller pushes.
 */
static void blkback_batch_answer(struct blkback *bb, struct blkback_batch *b)
{
	for (unsigned int i = 0; i < b->niov; i++)
		gnttab_unmap(&b->seg_map[i]);
	bb->st.host_calls += b->host_calls;
	bb->st.direct_reads += b->direct_reads;
	uint64_t end = 0;
	for (unsigned int i = 0; i < b->n; i++) {
		end += b->req[i].len;
		int16_t status = BLKIF_RSP_OKAY;
		if (end <= b->done) {
			blkback_count(bb, b->op, b->req[i].len);
		} else {
			bb->st.io_errors++;
			status = BLKIF_RSP_ERROR;
		}
		blkback_respond(bb, b->req[i].id, b->req[i].rsp_op, status);
	}
	blkback_batch_clear(b);
}

/* The batch being filled; there is always one (blkback_submit keeps one free). */
static struct blkback_batch *blkback_filling(struct blkback *bb)
{
	return &bb->batches[bb->queued % BLKBACK_BATCHES];
}

/*
 * Starts b's read with O_DIRECT on the disk's io_uring, made on the first such read (a disk never
 * read in bulk costs no ring), when blkback_read_direct_ok. False: b is to be read now.
 */
static bool blkback_read_async(struct blkback *bb, struct blkback_batch *b)
{
	off_t at = (off_t)(b->sector * BLKBACK_SECTOR);
	if (!blkback_read_direct_ok(bb, b, at, b->bytes, b->niov))
		return false;
	if (!bb->uring_tried) {
		bb->uring_tried = true;
		uring_init(&bb->uring, BLKBACK_BATCHES, bb->wake_fd);
	}
	return uring_readv(&bb->uring, bb->dfd, b->iov, b->niov, at, bb->queued) == 0;
}

/* Takes the reads io_uring has finished (what they left is read through the cache) and answers
 * the batches at the head of the queue that are done, in order. The caller pushes. */
static void blkback_reap(struct blkback *bb)
{
	uint64_t tag;
	int32_t res;
	while (uring_reap(&bb->uring, &tag, &res)) {
		struct blkback_batch *b = &bb->batches[tag % BLKBACK_BATCHES];
		unsigned int n = b->niov;
		uint64_t direct = blkback_direct_done(bb, b, res, res < 0 ? -res : 0, &n);
		b->done = direct + blkback_host_io_cached(bb, b, true, (off_t)(b->sector * BLKBACK_SECTOR + direct), n);
		b->finished = true;
	}
	for (; bb->answered != bb->queued; bb->answered++) {
		struct blkback_batch *b = &bb->batches[bb->answered % BLKBACK_BATCHES];
		if (!b->finished)
			break;
		blkback_batch_answer(bb, b);
	}
}

/* Waits for every read in flight and answers it: the file and the grants are then the caller's. */
static void blkback_drain(struct blkback *bb)
{
	blkback_reap(bb);
	while (bb->answered != bb->queued) {
		uring_wait(&bb->uring); /* an interrupted wait is retried */
		blkback_reap(bb);
	}
}

/*
 * Hands the filling batch on: a large uncached read to io_uring, leaving the monitor loop free to
 * answer the batches before it and take the frontend's next requests (the device then reads the
 * next transfer while the last one's answer travels, as under a host program with two reads
 * queued), and anything else done and answered at once, a write after the reads in flight.
 */
static void blkback_submit(struct blkback *bb)
{
	struct blkback_batch *b = blkback_filling(bb);
	if (!b->n)
		return;
	if (b->op == BLKIF_OP_READ && blkback_read_async(bb, b)) {
		bb->queued++;
		while (bb->queued - bb->answered == BLKBACK_BATCHES) {
			uring_wait(&bb->uring);
			blkback_reap(bb);
		}
		return;
	}
	if (b->op != BLKIF_OP_READ)
		blkback_drain(bb);
	blkback_batch_do(bb, b);
	blkback_batch_answer(bb, b);
}

/* The same through mica's buffer, one grant at a time, for the requests the direct path cannot hold. */
static int16_t blkback_rw_copy(struct blkback *bb, uint32_t len, const char *what)
{
	struct blkback_io *io = &bb->io;
	bool read = io->op == BLKIF_OP_READ;
	off_t off = (off_t)(io->sector * BLKBACK_SECTOR);
	if (read && pread(bb->fd, bb->buf, len, off) != (ssize_t)len) {
		bb->st.io_errors++;
		return BLKIF_RSP_ERROR;
	}
	uint32_t at = 0;
	for (unsigned int i = 0; i < io->nseg; i++) {
		const struct blkif_request_segment *s = &io->seg[i];
		uint32_t n = blkback_seg_len(s), o = s->first_sect * BLKBACK_SECTOR;
		int rc = read ? gnttab_copy_to_guest(bb->g, s->gref, o, bb->buf + at, n)
			      : gnttab_copy_from_guest(bb->g, s->gref, o, bb->buf + at, n);
		if (rc != 0) {
			blkback_refuse(bb, BLKBACK_REFUSED_GRANT, "%s %s grant reference %u, not %s by domain 0", what,
				       read ? "into" : "from", s->gref, read ? "writable" : "readable");
			return BLKIF_RSP_ERROR;
		}
		at += n;
	}
	if (!read && pwrite(bb->fd, bb->buf, len, off) != (ssize_t)len) {
		bb->st.io_errors++;
		return BLKIF_RSP_ERROR;
	}
	return BLKIF_RSP_OKAY;
}

/* bb->io's checks before the file is touched: its byte count, or 0 (refusal counted) to refuse it. */
static uint32_t blkback_rw_check(struct blkback *bb, const char *what)
{
	if (bb->io.op == BLKIF_OP_WRITE && bb->ro) {
		/* An error, as Linux's blkback answers: the guest's write failed, it is not an unknown op. */
		blkback_refuse(bb, BLKBACK_REFUSED_READONLY, "%s to a read-only disk", what);
		return 0;
	}
	return blkback_rw_valid(bb, what);
}

/* bb->io done at once, with nothing in flight (blkback_drain first): a flush's data. */
static int16_t blkback_rw(struct blkback *bb, const char *what)
{
	struct blkback_io *io = &bb->io;
	uint32_t len = blkback_rw_check(bb, what);
	if (!len)
		return BLKIF_RSP_ERROR;
	struct blkback_batch *b = blkback_filling(bb);
	if (blkback_hold(bb, b)) {
		b->op = io->op;
		b->sector = io->sector;
		b->niov = io->nseg;
		b->bytes = len;
		blkback_batch_do(bb, b);
		uint64_t done = b->done;
		for (unsigned int i = 0; i < b->niov; i++)
			gnttab_unmap(&b->seg_map[i]);
		bb->st.host_calls += b->host_calls;
		blkback_batch_clear(b);
		if (done != len) {
			bb->st.io_errors++;
			return BLKIF_RSP_ERROR;
		}
	} else {
		int16_t st = blkback_rw_copy(bb, len, what);
		if (st != BLKIF_RSP_OKAY)
			return st;
	}
	blkback_count(bb, io->op, len);
	return BLKIF_RSP_OKAY;
}

/*
 * bb->io, a read or a write the frontend sent as request id: joins the batch when it continues
 * it (else the batch is done first and it starts the next one), and is answered when the batch
 * is done. It is answered at once (false, its status in *status) when refused or when its grants
 * cannot be held (then it goes through the copying path, after the batch). *len: its bytes.
 */
static bool blkback_rw_queue(struct blkback *bb, uint64_t id, uint8_t rsp_op, const char *what, int16_t *status,
			     uint32_t *len)
{
	struct blkback_io *io = &bb->io;
	struct blkback_batch *b = blkback_filling(bb);
	*len = blkback_rw_check(bb, what);
	if (!*len) {
		*status = BLKIF_RSP_ERROR;
		return false;
	}
	if (b->n && (b->op != io->op || b->next != io->sector || b->niov + io->nseg > BLKBACK_BATCH_IOV ||
		     b->n == BLKBACK_BUDGET_REQUESTS || b->bytes + *len > BLKBACK_BATCH_BYTES)) {
		blkback_submit(bb);
		b = blkback_filling(bb);
	}
	if (!blkback_hold(bb, b)) {
		/* Everything before it first: the file sees the requests in the order they came. */
		blkback_submit(bb);
		blkback_drain(bb);
		*status = blkback_rw_copy(bb, *len, what);
		if (*status == BLKIF_RSP_OKAY)
			blkback_count(bb, io->op, *len);
		return false;
	}
	if (!b->n) {
		b->op = io->op;
		b->sector = io->sector;
	}
	b->req[b->n].id = id;
	b->req[b->n].len = *len;
	b->req[b->n].rsp_op = rsp_op;
	b->n++;
	b->niov += io->nseg;
	b->bytes += *len;
	b->next = io->sector + *len / BLKBACK_SECTOR;
	return true;
}

/* A direct request's segments into bb->io; false (refusal counted) for a count blkif forbids. */
static bool blkback_direct_io(struct blkback *bb, const blkif_request_t *req, uint8_t op, const char *what)
{
	if (req->nr_segments == 0 || req->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		blkback_refuse(bb, BLKBACK_REFUSED_SEGMENTS, "%s of %u segments (1 to %u allowed)", what,
			       req->nr_segments, BLKIF_MAX_SEGMENTS_PER_REQUEST);
		return false;
	}
	bb->io.op = op;
	bb->io.nseg = req->nr_segments;
	bb->io.sector = req->sector_number;
	memcpy(bb->io.seg, req->seg, req->nr_segments * sizeof(req->seg[0]));
	return true;
}

static int16_t blkback_flush(struct blkback *bb, const blkif_request_t *req)
{
	if (req->nr_segments) {
		if (bb->ro) {
			blkback_refuse(bb, BLKBACK_REFUSED_READONLY, "flush to a read-only disk");
			return BLKIF_RSP_ERROR;
		}
		if (!blkback_direct_io(bb, req, BLKIF_OP_WRITE, "flush"))
			return BLKIF_RSP_ERROR;
		int16_t st = blkback_rw(bb, "flush");
		if (st != BLKIF_RSP_OKAY)
			return st;
	}
	if (fdatasync(bb->fd) != 0) {
		bb->st.io_errors++;
		return BLKIF_RSP_ERROR;
	}
	bb->st.flushes++;
	return BLKIF_RSP_OKAY;
}

/*
 * An indirect read or write into bb->io: its segment list is copied out of the indirect pages
 * once, to be validated like a direct request's. The response names the indirect_op, as Linux's
 * blkback does. What the request is called in logs, or NULL (refusal counted) with *status.
 */
static const char *blkback_indirect(struct blkback *bb, const blkif_request_t *req, uint8_t *rsp_op, int16_t *status)
{
	blkif_request_indirect_t ind;
	_Static_assert(sizeof(ind) <= sizeof(*req), "an indirect request fits a request");
	memcpy(&ind, req, sizeof(ind));
	if (ind.indirect_op != BLKIF_OP_READ && ind.indirect_op != BLKIF_OP_WRITE) {
		blkback_refuse(bb, BLKBACK_REFUSED_OP, "indirect operation %u (served: read, write)", ind.indirect_op);
		*status = BLKIF_RSP_EOPNOTSUPP;
		return NULL;
	}
	*rsp_op = ind.indirect_op;
	const char *what = ind.indirect_op == BLKIF_OP_READ ? "indirect read" : "indirect write";
	if (ind.indirect_op == BLKIF_OP_WRITE && bb->ro) {
		blkback_refuse(bb, BLKBACK_REFUSED_READONLY, "%s to a read-only disk", what);
		*status = BLKIF_RSP_ERROR;
		return NULL;
	}
	if (ind.nr_segments == 0 || ind.nr_segments > BLKBACK_MAX_SEGS) {
		blkback_refuse(bb, BLKBACK_REFUSED_SEGMENTS, "%s of %u segments (1 to %u allowed)", what,
			       ind.nr_segments, BLKBACK_MAX_SEGS);
		*status = BLKIF_RSP_ERROR;
		return NULL;
	}
	bb->io.op = ind.indirect_op;
	bb->io.nseg = ind.nr_segments;
	bb->io.sector = ind.sector_number;
	for (unsigned int p = 0, done = 0; done < ind.nr_segments; p++) {
		unsigned int n = ind.nr_segments - done;
		if (n > BLKBACK_SEGS_PER_INDIRECT)
			n = BLKBACK_SEGS_PER_INDIRECT;
		if (gnttab_copy_from_guest(bb->g, ind.indirect_grefs[p], 0, bb->io.seg + done,
					   n * (uint32_t)sizeof(bb->io.seg[0])) != 0) {
			blkback_refuse(bb, BLKBACK_REFUSED_GRANT, "%s whose indirect page %u (grant reference %u) is not "
				       "readable by domain 0", what, p, ind.indirect_grefs[p]);
			*status = BLKIF_RSP_ERROR;
			return NULL;
		}
		done += n;
	}
	return what;
}

static int16_t blkback_discard(struct blkback *bb, const blkif_request_t *req)
{
	blkif_request_discard_t d;
	_Static_assert(sizeof(d) <= sizeof(*req), "a discard fits a request");
	memcpy(&d, req, sizeof(d));
	if (bb->ro) {
		/* Not offered (no feature-discard on a read-only disk), so not supported. */
		blkback_refuse(bb, BLKBACK_REFUSED_READONLY, "discard on a read-only disk");
		return BLKIF_RSP_EOPNOTSUPP;
	}
	if (d.sector_number > bb->sectors || d.nr_sectors > bb->sectors - d.sector_number) {
		blkback_refuse(bb, BLKBACK_REFUSED_RANGE, "discard of %llu sectors at sector %llu beyond the disk's %llu",
			       (unsigned long long)d.nr_sectors, (unsigned long long)d.sector_number,
			       (unsigned long long)bb->sectors);
		return BLKIF_RSP_ERROR;
	}
	/* BLKIF_DISCARD_SECURE is ignored: discard-secure is not offered (xen/io/blkif.h). */
	if (d.nr_sectors && fallocate(bb->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      (off_t)(d.sector_number * BLKBACK_SECTOR),
				      (off_t)(d.nr_sectors * BLKBACK_SECTOR)) != 0) {
		bb->st.io_errors++;
		return errno == EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR;
	}
	bb->st.discards++;
	return BLKIF_RSP_OKAY;
}

/*
 * Answers one request (mica's private copy), or adds it to the batch to be answered when the
 * batch is done; returns the bytes it moves, for the budget.
 */
static uint32_t blkback_request(struct blkback *bb, const blkif_request_t *req)
{
	uint8_t op = req->operation;
	int16_t status = BLKIF_RSP_ERROR;
	const char *what = NULL;
	uint32_t len = 0;
	switch (req->operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		if (blkback_direct_io(bb, req, op, op == BLKIF_OP_READ ? "read" : "write"))
			what = op == BLKIF_OP_READ ? "read" : "write";
		break;
	case BLKIF_OP_INDIRECT:
		what = blkback_indirect(bb, req, &op, &status);
		break;
	case BLKIF_OP_FLUSH_DISKCACHE: {
		/* After the writes before it, which it makes durable. */
		blkback_submit(bb);
		blkback_drain(bb);
		uint64_t before = bb->st.written_bytes;
		status = blkback_flush(bb, req);
		len = (uint32_t)(bb->st.written_bytes - before);
		break;
	}
	case BLKIF_OP_DISCARD:
		blkback_submit(bb);
		blkback_drain(bb);
		status = blkback_discard(bb, req);
		break;
	default:
		blkback_refuse(bb, BLKBACK_REFUSED_OP, "operation %u (served: read, write, flush, discard, indirect)",
			       req->operation);
		status = BLKIF_RSP_EOPNOTSUPP;
		break;
	}
	if (what && blkback_rw_queue(bb, req->id, op, what, &status, &len))
		return len;
	blkback_respond(bb, req->id, op, status);
	return len;
}

/* Publishes the answers given so far and tells the frontend when it asked to be told. */
static void blkback_push(struct blkback *bb)
{
	bool notify;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&bb->ring, notify);
	if (notify)
		evtchn_raise_bound(bb->g, bb->port, blkback_notify, bb);
}

/*
 * Serves the ring until the frontend has nothing more queued, or the budget is spent: then the
 * disk's wake fd is made readable, and the rest is served on the monitor loop's next turn.
 */
static void blkback_serve(struct blkback *bb)
{
	bool more = false;
	unsigned int requests = 0;
	uint64_t bytes = 0;
	if (!bb->connected || bb->stopped)
		return;
	do {
		RING_IDX prod = __atomic_load_n(&bb->ring.sring->req_prod, __ATOMIC_ACQUIRE);
		if (RING_REQUEST_PROD_OVERFLOW(&bb->ring, prod)) {
			/* Nothing on this ring can be trusted any more, but mica goes on. */
			bb->stopped = true;
			more = false;
			bb->st.refused[BLKBACK_REFUSED_RING]++;
			if (!(bb->logged & (1u << BLKBACK_REFUSED_RING)))
				log_error("disk%u: ring indices are corrupt (requests up to %u, %u answered, ring of %u); disk stopped",
					  bb->idx, prod, bb->ring.rsp_prod_pvt, (unsigned int)RING_SIZE(&bb->ring));
			bb->logged |= 1u << BLKBACK_REFUSED_RING;
			break;
		}
		while (bb->ring.req_cons != prod && requests < BLKBACK_BUDGET_REQUESTS && bytes < BLKBACK_BUDGET_BYTES) {
			blkif_request_t req;
			RING_COPY_REQUEST(&bb->ring, bb->ring.req_cons, &req);
			bb->ring.req_cons++;
			bytes += blkback_request(bb, &req);
			requests++;
		}
		blkback_submit(bb);
		blkback_push(bb);
		if (bb->ring.req_cons != prod) {
			more = true;
			break;
		}
		RING_FINAL_CHECK_FOR_REQUESTS(&bb->ring, more);
	} while (more);
	if (more) {
		const uint64_t one = 1;
		bb->st.resumed++;
		if (write(bb->wake_fd, &one, sizeof(one)) < 0) {
			/* The counter cannot overflow: it is read on every loop turn that finds it set. */
		}
	}
}

static void blkback_notify(struct guest *g, uint32_t port)
{
	blkback_serve(g->ports[port].backend_arg);
}

/* The wake fd: reads that finished are answered, and requests left for later served. */
static void blkback_wake(struct guest *g, short revents, void *arg)
{
	(void)g;
	(void)revents;
	struct blkback *bb = arg;
	uint64_t count;
	if (read(bb->wake_fd, &count, sizeof(count)) < 0 || !bb->connected)
		return;
	blkback_reap(bb);
	blkback_push(bb);
	blkback_serve(bb);
}

/* Answers every request in flight on g's disks (before a snapshot: no host I/O into its RAM then). */
void blkback_quiesce(struct guest *g)
{
	for (unsigned int i = 0; i < GUEST_MAX_DISKS; i++) {
		struct blkback *bb = g->disks[i];
		if (bb && bb->connected) {
			blkback_drain(bb);
			blkback_push(bb);
		}
	}
}

/* -------------------------------------------------------------------------------- handshake */

static int blkback_write_key(struct blkback *bb, const char *dir, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int blkback_write_key(struct blkback *bb, const char *dir, const char *key, const char *fmt, ...)
{
	char path[128], value[XENSTORE_PAYLOAD_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xenstore_write(bb->g, path, value);
}

static void blkback_set_state(struct blkback *bb, XenbusState s)
{
	if (bb->be_state == s)
		return;
	bb->be_state = s;
	blkback_write_key(bb, bb->be, "state", "%d", (int)s);
}

/* A decimal frontend key no larger than max: plain digits only, as the frontend is hostile. */
static int blkback_read_uint(struct blkback *bb, const char *key, unsigned long max, unsigned long *v)
{
	char path[128], buf[16], *end;
	snprintf(path, sizeof(path), "%s/%s", bb->fe, key);
	if (xenstore_read(bb->g, path, buf, sizeof(buf)) <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	errno = 0;
	*v = strtoul(buf, &end, 10);
	return *end != '\0' || errno != 0 || *v > max ? -1 : 0;
}

static void blkback_disconnect(struct blkback *bb)
{
	if (bb->connected) {
		/* Reads in flight hold grants and answer on the ring: done before either goes. */
		blkback_drain(bb);
		blkback_push(bb);
	}
	evtchn_unbind_guest(bb->g, bb->port, blkback_notify, bb);
	gnttab_unmap(&bb->map);
	bb->port = 0;
	bb->connected = bb->stopped = false;
}

/* The handshake failed: one line (per disk), the reason in the backend's error key, state Closing. */
static void blkback_fail(struct blkback *bb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void blkback_fail(struct blkback *bb, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	blkback_disconnect(bb);
	if (!(bb->logged & BLKBACK_LOGGED_HANDSHAKE))
		log_error("disk%u: %s; disk not connected", bb->idx, msg);
	bb->logged |= BLKBACK_LOGGED_HANDSHAKE;
	blkback_write_key(bb, bb->be, "error", "%s", msg);
	blkback_set_state(bb, XenbusStateClosing);
}

static void blkback_connect(struct blkback *bb)
{
	char path[128], proto[32];
	snprintf(path, sizeof(path), "%s/protocol", bb->fe);
	int plen = xenstore_read(bb->g, path, proto, sizeof(proto));
	if (plen >= 0 && strcmp(proto, XEN_IO_PROTO_ABI_X86_64) != 0) {
		blkback_fail(bb, "the frontend asked for a protocol other than " XEN_IO_PROTO_ABI_X86_64);
		return;
	}
	unsigned long ref, port;
	if (blkback_read_uint(bb, "ring-ref", UINT32_MAX, &ref) != 0) {
		blkback_fail(bb, "the frontend gave no valid ring-ref (one ring page only)");
		return;
	}
	blkif_sring_t *sring = gnttab_map(bb->g, (grant_ref_t)ref, true, &bb->map);
	if (!sring) {
		blkback_fail(bb, "ring-ref %lu is not a page granted read-write to domain 0", ref);
		return;
	}
	if (blkback_read_uint(bb, "event-channel", GUEST_MAX_PORTS - 1, &port) != 0 ||
	    evtchn_bind_guest_unbound(bb->g, (uint32_t)port, blkback_notify, bb) != 0) {
		blkback_fail(bb, "event-channel is not a port the guest allocated unbound for domain 0");
		return;
	}
	bb->port = (uint32_t)port;
	BACK_RING_INIT(&bb->ring, sring, MICA_PAGE_SIZE);
	bb->connected = true;
	blkback_set_state(bb, XenbusStateConnected);
	blkback_serve(bb);
}

/* The frontend's state node changed (a change hook, once the guest's request is complete). */
static void blkback_frontend_changed(struct guest *g, const char *path, void *arg)
{
	struct blkback *bb = arg;
	char buf[8];
	if (xenstore_read(g, path, buf, sizeof(buf)) != 1)
		return;
	switch (buf[0] - '0') {
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (!bb->connected && !(bb->logged & BLKBACK_LOGGED_HANDSHAKE))
			blkback_connect(bb);
		break;
	case XenbusStateClosing:
	case XenbusStateClosed:
		blkback_disconnect(bb);
		blkback_set_state(bb, XenbusStateClosed);
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------------------------- lifetime */

/* The keys of docs/abi.md §13, written before the guest runs: it finds them on its first read. */
static int blkback_publish(struct blkback *bb, const struct run_disk *disk)
{
	char vdev[12], fe_id[8], be_id[8], sectors[24], state[64], max_segs[8];
	snprintf(max_segs, sizeof(max_segs), "%u", BLKBACK_MAX_SEGS);
	snprintf(vdev, sizeof(vdev), "%u", BLKBACK_VDEV_BASE + 16 * bb->idx);
	snprintf(fe_id, sizeof(fe_id), "%u", MICA_DOMID_GUEST);
	snprintf(be_id, sizeof(be_id), "%u", MICA_DOMID_BACKEND);
	snprintf(sectors, sizeof(sectors), "%llu", (unsigned long long)bb->sectors);
	/*
	 * Empty values (discard on a read-only disk, info on a writable one, mount without --mount) are
	 * not written. State last.
	 */
	const char *const keys[][3] = {
		{bb->fe, "backend", bb->be},
		{bb->fe, "backend-id", be_id},
		{bb->fe, "virtual-device", vdev},
		{bb->fe, "device-type", "disk"},
		{bb->fe, "name", disk->name},
		{bb->fe, "mount", disk->mount},
		{bb->fe, "state", "1"},
		{bb->be, "frontend", bb->fe},
		{bb->be, "frontend-id", fe_id},
		{bb->be, "mode", disk->ro ? "r" : "w"},
		{bb->be, "feature-flush-cache", "1"},
		{bb->be, "feature-max-indirect-segments", max_segs},
		{bb->be, "feature-discard", disk->ro ? "" : "1"},
		{bb->be, "discard-granularity", "4096"},
		{bb->be, "sector-size", "512"},
		{bb->be, "physical-sector-size", "512"},
		{bb->be, "sectors", sectors},
		{bb->be, "info", disk->ro ? "4" : ""},
		{bb->be, "state", "2"},
	};
	_Static_assert(XenbusStateInitialising == 1 && XenbusStateInitWait == 2, "the states written above");
	_Static_assert(VDISK_READONLY == 4, "the info written above");
	int rc = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i][2][0])
			rc |= blkback_write_key(bb, keys[i][0], keys[i][1], "%s", keys[i][2]);
	bb->be_state = XenbusStateInitWait;
	snprintf(state, sizeof(state), "%s/state", bb->fe);
	return rc | xenstore_on_change(bb->g, state, blkback_frontend_changed, bb);
}

/*
 * Opens bb->dfd, the disk file again with O_DIRECT (through /proc/self/fd, as the caller gave an
 * fd), when its filesystem takes it; else leaves it -1 and every read goes through the cache.
 */
static void blkback_open_direct(struct blkback *bb)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", bb->fd);
	bb->dfd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
}

struct blkback *blkback_create(struct guest *g, unsigned int idx, const struct run_disk *disk)
{
	unsigned int slot = 0;
	while (slot < GUEST_MAX_DISKS && g->disks[slot])
		slot++;
	if (slot == GUEST_MAX_DISKS || idx >= GUEST_MAX_DISKS) {
		log_error("disk%u: no room for another disk", idx);
		return NULL;
	}
	struct blkback *bb = calloc(1, sizeof(*bb));
	if (!bb) {
		log_error("disk%u: out of memory", idx);
		return NULL;
	}
	bb->g = g;
	bb->idx = idx;
	bb->fd = disk->fd;
	bb->ro = disk->ro;
	bb->sectors = disk->size / BLKBACK_SECTOR;
	bb->dfd = -1;
	bb->uring.fd = -1;
	blkback_open_direct(bb);
	snprintf(bb->fe, sizeof(bb->fe), "/local/domain/%u/device/vbd/%u", MICA_DOMID_GUEST, idx);
	snprintf(bb->be, sizeof(bb->be), "/local/domain/%u/backend/vbd/%u/%u", MICA_DOMID_BACKEND,
		 MICA_DOMID_GUEST, idx);
	bb->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (bb->wake_fd < 0 || guest_fd_add(g, bb->wake_fd, POLLIN, blkback_wake, bb) != 0) {
		log_error("disk%u: cannot make its wake event: %s", idx,
			  bb->wake_fd < 0 ? strerror(errno) : "too many host fds");
		if (bb->wake_fd >= 0)
			close(bb->wake_fd);
		if (bb->dfd >= 0)
			close(bb->dfd);
		free(bb);
		return NULL;
	}

	g->disks[slot] = bb;
	if (blkback_publish(bb, disk) != 0) {
		log_error("disk%u: cannot publish its xenstore keys", idx);
		return NULL; /* kept: blkback_stop frees it */
	}
	return bb;
}

int blkback_start(struct guest *g, const struct run_config *cfg)
{
	for (int i = 0; i < cfg->ndisks; i++)
		if (!blkback_create(g, (unsigned int)i, &cfg->disks[i]))
			return -1;
	return 0;
}

void blkback_destroy(struct blkback *bb)
{
	for (unsigned int i = 0; i < GUEST_MAX_DISKS; i++)
		if (bb->g->disks[i] == bb)
			bb->g->disks[i] = NULL;
	blkback_disconnect(bb);
	uring_destroy(&bb->uring);
	guest_fd_remove(bb->g, bb->wake_fd);
	close(bb->wake_fd);
	if (bb->dfd >= 0)
		close(bb->dfd);
	free(bb);
}

void blkback_get_stats(const struct blkback *bb, struct blkback_stats *st)
{
	*st = bb->st;
	st->connected = bb->connected;
	st->stopped = bb->stopped;
}

static void blkback_print_stats(const struct blkback *bb)
{
	static const char *const names[BLKBACK_NR_REFUSALS] = {"op",    "segments", "sector", "range",
								 "grant", "readonly", "ring"};
	const struct blkback_stats *s = &bb->st;
	char refused[256] = "none";
	size_t at = 0;
	for (int i = 0; i < BLKBACK_NR_REFUSALS; i++)
		if (s->refused[i] && at < sizeof(refused))
			at += (size_t)snprintf(refused + at, sizeof(refused) - at, "%s%s %llu", at ? ", " : "", names[i],
					       (unsigned long long)s->refused[i]);
	fprintf(stderr,
		"stats: disk%u: %llu reads (%llu bytes), %llu writes (%llu bytes), %llu flushes, %llu discards, "
		"%llu I/O errors, %llu resumptions, %llu host reads and writes (%llu direct reads); refused: %s\n",
		bb->idx, (unsigned long long)s->reads, (unsigned long long)s->read_bytes,
		(unsigned long long)s->writes, (unsigned long long)s->written_bytes, (unsigned long long)s->flushes,
		(unsigned long long)s->discards, (unsigned long long)s->io_errors, (unsigned long long)s->resumed,
		(unsigned long long)s->host_calls, (unsigned long long)s->direct_reads, refused);
}

void blkback_stop(struct guest *g, bool stats)
{
	for (unsigned int i = 0; i < GUEST_MAX_DISKS; i++) {
		struct blkback *bb = g->disks[i];
		if (!bb)
			continue;
		if (stats)
			blkback_print_stats(bb);
		blkback_destroy(bb);
	}
}
