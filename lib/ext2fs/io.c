/* libext2fs's io_manager on blkfront: blocks of the filesystem's size onto the disk's sectors, partial sectors read-modify-written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ext2.h"

#define IO_DISKS 16

struct io_disk {
	struct blkfront *bf;
	uint64_t bytes;    /* the disk's size */
	uint32_t sector;   /* bytes of a logical sector: every transfer covers whole ones */
	bool readonly;
	uint8_t *bounce;   /* one sector, for the ends of transfers that do not cover whole sectors */
};

/* Disks ext2fs_open may name: a slot per blkfront handed to ext2_io_name. */
static struct blkfront *io_disks[IO_DISKS];

int ext2_io_name(struct blkfront *bf, char *name, size_t len)
{
	for (unsigned int i = 0; i < IO_DISKS; i++) {
		if (io_disks[i] == NULL || io_disks[i] == bf) {
			io_disks[i] = bf;
			snprintf(name, len, "vbd%u", i);
			return 0;
		}
	}
	return -ENOSPC;
}

static errcode_t io_status(int rc)
{
	/* blkfront answers Xen errnos, which are Linux's numbers. */
	return rc == 0 ? 0 : rc == -EOPNOTSUPP ? EROFS : EIO;
}

/* Whole sectors at a sector-aligned offset. */
static errcode_t io_sectors(struct io_disk *d, uint64_t off, void *buf, size_t len, bool write)
{
	uint64_t sector = off / 512;
	size_t n = len / 512;

	if (len == 0)
		return 0;
	return io_status(write ? blkfront_write(d->bf, sector, buf, n) : blkfront_read(d->bf, sector, buf, n));
}

/* Part of one sector: read it whole, then change the part and write it back. */
static errcode_t io_partial(struct io_disk *d, uint64_t off, void *buf, size_t len, bool write)
{
	uint64_t base = off - off % d->sector;
	size_t in = (size_t)(off - base);
	errcode_t err = io_sectors(d, base, d->bounce, d->sector, false);

	if (err != 0)
		return err;
	if (!write) {
		memcpy(buf, d->bounce + in, len);
		return 0;
	}
	memcpy(d->bounce + in, buf, len);
	return io_sectors(d, base, d->bounce, d->sector, true);
}

static errcode_t io_transfer(io_channel ch, uint64_t off, void *buf, size_t len, bool write)
{
	struct io_disk *d = ch->private_data;
	uint8_t *p = buf;
	errcode_t err;

	if (write && d->readonly)
		return EROFS;
	if (off > d->bytes || len > d->bytes - off)
		return write ? EXT2_ET_SHORT_WRITE : EXT2_ET_SHORT_READ;
	if (off % d->sector != 0) {
		size_t n = d->sector - (size_t)(off % d->sector);

		if (n > len)
			n = len;
		err = io_partial(d, off, p, n, write);
		if (err != 0)
			return err;
		off += n;
		p += n;
		len -= n;
	}
	size_t whole = len - len % d->sector;
	err = io_sectors(d, off, p, whole, write);
	if (err != 0 || whole == len)
		return err;
	return io_partial(d, off + whole, p + whole, len - whole, write);
}

/* libext2fs counts in blocks, or in bytes when count is negative. */
static errcode_t io_span(io_channel ch, unsigned long long block, int count, uint64_t *off, size_t *len)
{
	uint64_t size = count < 0 ? (uint64_t)-(int64_t)count : (uint64_t)count * (uint64_t)ch->block_size;

	if (block > UINT64_MAX / (uint64_t)ch->block_size)
		return EXT2_ET_LLSEEK_FAILED;
	*off = block * (uint64_t)ch->block_size;
	*len = (size_t)size;
	return 0;
}

static errcode_t io_read_blk64(io_channel ch, unsigned long long block, int count, void *data)
{
	uint64_t off;
	size_t len;
	errcode_t err = io_span(ch, block, count, &off, &len);

	return err != 0 ? err : io_transfer(ch, off, data, len, false);
}

static errcode_t io_write_blk64(io_channel ch, unsigned long long block, int count, const void *data)
{
	uint64_t off;
	size_t len;
	errcode_t err = io_span(ch, block, count, &off, &len);

	/* io_transfer writes from data and only reads it. */
	return err != 0 ? err : io_transfer(ch, off, (void *)(uintptr_t)data, len, true);
}

static errcode_t io_read_blk(io_channel ch, unsigned long block, int count, void *data)
{
	return io_read_blk64(ch, block, count, data);
}

static errcode_t io_write_blk(io_channel ch, unsigned long block, int count, const void *data)
{
	return io_write_blk64(ch, block, count, data);
}

static errcode_t io_flush(io_channel ch)
{
	struct io_disk *d = ch->private_data;
	int rc;

	if (d->readonly)
		return 0;
	rc = blkfront_flush(d->bf);
	/* A backend without a cache to flush has nothing more to make durable. */
	return rc == -EOPNOTSUPP ? 0 : io_status(rc);
}

static errcode_t io_set_blksize(io_channel ch, int blksize)
{
	if (blksize <= 0)
		return EINVAL;
	ch->block_size = blksize;
	return 0;
}

static errcode_t io_discard(io_channel ch, unsigned long long block, unsigned long long count)
{
	struct io_disk *d = ch->private_data;
	uint64_t bs = (uint64_t)ch->block_size;

	if (d->readonly)
		return EROFS;
	if (block > d->bytes / bs || count > d->bytes / bs - block)
		return EINVAL;
	int rc = blkfront_discard(d->bf, block * bs / 512, (size_t)(count * bs / 512));
	return rc == -EOPNOTSUPP ? EXT2_ET_UNIMPLEMENTED : io_status(rc);
}

static errcode_t io_set_option(io_channel ch, const char *option, const char *arg)
{
	(void)ch;
	(void)option;
	(void)arg;
	return EXT2_ET_INVALID_ARGUMENT;
}

static errcode_t io_close(io_channel ch)
{
	struct io_disk *d = ch->private_data;

	if (--ch->refcount > 0)
		return 0;
	free(d->bounce);
	free(d);
	free(ch->name);
	free(ch);
	return 0;
}

static errcode_t io_open(const char *name, int flags, io_channel *out)
{
	struct blkfront_info info;
	struct io_disk *d;
	io_channel ch;
	unsigned int slot;
	char end;

	if (name == NULL || sscanf(name, "vbd%u%c", &slot, &end) != 1 || slot >= IO_DISKS || io_disks[slot] == NULL)
		return EXT2_ET_BAD_DEVICE_NAME;
	blkfront_get_info(io_disks[slot], &info);
	if ((flags & IO_FLAG_RW) && info.readonly)
		return EROFS;
	ch = calloc(1, sizeof(*ch));
	d = calloc(1, sizeof(*d));
	if (ch != NULL && d != NULL) {
		ch->name = strdup(name);
		d->bounce = malloc(info.sector_size);
	}
	if (ch == NULL || d == NULL || ch->name == NULL || d->bounce == NULL) {
		if (ch != NULL)
			free(ch->name);
		if (d != NULL)
			free(d->bounce);
		free(d);
		free(ch);
		return EXT2_ET_NO_MEMORY;
	}
	d->bf = io_disks[slot];
	d->bytes = info.sectors * 512;
	d->sector = info.sector_size;
	d->readonly = !(flags & IO_FLAG_RW);
	ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	ch->manager = ext2_io_manager;
	ch->block_size = 1024;
	ch->refcount = 1;
	ch->private_data = d;
	*out = ch;
	return 0;
}

/*
 * No write_byte: libext2fs would then update the primary superblock field by field, one small
 * write each, and a crash between them (mica killed, tests/integration/disk_crash.sh) left a
 * superblock whose checksum matched neither version. Without it the superblock goes in one
 * 1 KiB write: one blkif request and one pwritev inside a page, which a killed mica leaves in the
 * host file whole or not at all.
 */
static struct struct_io_manager io_blkfront = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "blkfront",
	.open = io_open,
	.close = io_close,
	.set_blksize = io_set_blksize,
	.read_blk = io_read_blk,
	.write_blk = io_write_blk,
	.flush = io_flush,
	.set_option = io_set_option,
	.read_blk64 = io_read_blk64,
	.write_blk64 = io_write_blk64,
	.discard = io_discard,
};

io_manager ext2_io_manager = &io_blkfront;
