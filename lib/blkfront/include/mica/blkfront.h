/* blkfront: the guest's Xen block device (xen/io/blkif.h) as synchronous sector reads and writes. */
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
 * sector size in 512-byte units. Any buffer alignment. Returns 0, -XEN_EINVAL for a misaligned
 * or out-of-range transfer (nothing sent), -XEN_EIO or -XEN_EOPNOTSUPP when the backend answered
 * BLKIF_RSP_ERROR or BLKIF_RSP_EOPNOTSUPP (a write to a read-only disk, say), -XEN_ENODEV once the
 * backend broke the protocol or stopped answering (30 s without an answer).
 */
int blkfront_read(struct blkfront *bf, uint64_t sector, void *buf, size_t nsectors);
int blkfront_write(struct blkfront *bf, uint64_t sector, const void *buf, size_t nsectors);
/* Makes every acknowledged write durable; -XEN_EOPNOTSUPP when the backend cannot. */
int blkfront_flush(struct blkfront *bf);

#endif
