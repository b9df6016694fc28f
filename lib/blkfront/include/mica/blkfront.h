/* blkfront: the guest's Xen block device (xen/io/blkif.h): synchronous transfers over asynchronous requests. */
#ifndef MICA_BLKFRONT_H
#define MICA_BLKFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blkfront;

/* What the runtime configured for the disk (xenstore device/vbd/<index> and its backend). */
struct blkfront_info {
	uint64_t sectors;      /* size in 512-byte sectors, blkif's unit whatever the sector size */
	uint32_t sector_size;  /* the logical sector size: transfers are multiples of it */
	bool readonly;
	bool flush;            /* the backend takes BLKIF_OP_FLUSH_DISKCACHE */
	bool discard;          /* the backend takes BLKIF_OP_DISCARD (feature-discard) */
	uint32_t discard_granularity; /* bytes a discard works in (a multiple of sector_size) */
	uint32_t max_segments; /* 4096-byte pages a request carries: 11, or more with indirect segments */
	char name[64];
};

/*
 * Connects vbd <index> (xenstore device/vbd/<index>): ring, bounce pages, event channel,
 * handshake. NULL when the runtime offers no such disk; errors in the handshake are printed once.
 */
struct blkfront *blkfront_open(unsigned int index);
void blkfront_get_info(const struct blkfront *bf, struct blkfront_info *info);

/*
 * Synchronous transfers of nsectors 512-byte sectors at sector; both must be multiples of the
 * sector size in 512-byte units. Any buffer alignment: a page-aligned buffer of whole pages in
 * guest RAM is granted to the backend as it is, any other goes through bounce pages (a copy).
 * A failed read leaves buf's content unspecified. Returns 0, -XEN_EINVAL for a misaligned
 * or out-of-range transfer (nothing sent), -XEN_EIO or -XEN_EOPNOTSUPP when the backend answered
 * BLKIF_RSP_ERROR or BLKIF_RSP_EOPNOTSUPP (a write to a read-only disk, say), -XEN_ENODEV once the
 * backend broke the protocol or stopped answering (30 s without an answer).
 */
int blkfront_read(struct blkfront *bf, uint64_t sector, void *buf, size_t nsectors);
int blkfront_write(struct blkfront *bf, uint64_t sector, const void *buf, size_t nsectors);
/* Makes every acknowledged write durable; -XEN_EOPNOTSUPP when the backend cannot. */
int blkfront_flush(struct blkfront *bf);

/*
 * Tells the backend nsectors 512-byte sectors at sector no longer hold data (they may read back
 * as zeros or as before). Only whole discard granules inside the range are sent; a range holding
 * none is done at once. Returns 0, -XEN_EINVAL as for transfers, -XEN_EOPNOTSUPP when the
 * backend takes no discards (a read-only disk), or the errors of blkfront_write.
 */
int blkfront_discard(struct blkfront *bf, uint64_t sector, size_t nsectors);

/*
 * The asynchronous requests the calls above are made of: each is one blkif request on the ring,
 * up to 16 in flight at once. Of the 16 request slots, 8 have bounce pages and take any transfer;
 * the other 8 take only transfers on the caller's own pages (as above), and flushes and discards.
 * A transfer that qualifies for its own pages takes one of those first, so bounce slots stay free
 * for transfers that need them (and falls back to a bounce slot when its pages cannot be granted).
 * blkfront_submit starts one and returns its tag (>= 0), or -XEN_EAGAIN when no fitting slot is
 * free (complete one first): a 9th transfer through bounce pages waits even while slots for own
 * pages are free. Or the errors of the synchronous calls; nsectors at most blkfront_max_sectors(bf)
 * for reads and writes, 0 and buf NULL for a flush. buf must stay valid, and a write's data
 * unchanged, until blkfront_complete, which waits for that tag's answer and returns its result
 * (the backend may use the caller's pages themselves, as above).
 * Requests are answered in any order; every submitted tag must be completed once. The
 * synchronous calls need a fitting free slot: with every one held by submitted tags they return
 * -XEN_EAGAIN.
 */
enum blkfront_op { BLKFRONT_OP_READ, BLKFRONT_OP_WRITE, BLKFRONT_OP_FLUSH, BLKFRONT_OP_DISCARD };
size_t blkfront_max_sectors(const struct blkfront *bf);
int blkfront_submit(struct blkfront *bf, enum blkfront_op op, uint64_t sector, void *buf, size_t nsectors);
int blkfront_complete(struct blkfront *bf, int tag);

/*
 * blkfront_submit without telling the backend: the request waits on the ring until blkfront_push
 * (or a blkfront_submit, a blkfront_complete or a synchronous call) publishes everything queued
 * with one notify. The backend then finds a transfer's requests together, as it does
 * blkfront_read's, and can serve them as one host read instead of one per request.
 */
int blkfront_queue(struct blkfront *bf, enum blkfront_op op, uint64_t sector, void *buf, size_t nsectors);
void blkfront_push(struct blkfront *bf);

#endif
