/* A fake disk for host tests of lib/ext2fs: a xenstore listing none (tests mount by hand) and one in-memory blkfront disk. */
#ifndef MICA_TESTS_FAKE_BLKFRONT_DISK_H
#define MICA_TESTS_FAKE_BLKFRONT_DISK_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <mica/blkfront.h>

/* No disk in xenstore: boot mounts nothing, the tests mount by hand. */
int xs_directory(const char *path, char *buf, size_t len)
{
	(void)path;
	(void)buf;
	(void)len;
	return -ENOENT;
}

int xs_read(const char *path, char *buf, size_t len)
{
	(void)path;
	(void)buf;
	(void)len;
	return -ENOENT;
}

/* ----------------------------------------------------------------------------- fake disk */

struct blkfront {
	uint8_t *data;
	size_t bytes;
	uint32_t sector;
	bool readonly, fail_writes;
	unsigned reads, writes, flushes, misaligned;
	/* Writes over all of the primary superblock (bytes 1024..2047), and over part of it only. */
	unsigned super_whole, super_part;
};

static struct blkfront disk;

static int disk_check(uint64_t sector, size_t n)
{
	uint64_t unit = disk.sector / 512;

	if (sector % unit != 0 || n % unit != 0 || n == 0) {
		disk.misaligned++;
		return -EINVAL;
	}
	return sector * 512 > disk.bytes || n * 512 > disk.bytes - sector * 512 ? -EINVAL : 0;
}

struct blkfront *blkfront_open(unsigned int index)
{
	return index == 0 && disk.data != NULL ? &disk : NULL;
}

void blkfront_get_info(const struct blkfront *bf, struct blkfront_info *info)
{
	memset(info, 0, sizeof(*info));
	info->sectors = bf->bytes / 512;
	info->sector_size = bf->sector;
	info->readonly = bf->readonly;
	info->flush = true;
	snprintf(info->name, sizeof(info->name), "disk0");
}

int blkfront_read(struct blkfront *bf, uint64_t sector, void *buf, size_t n)
{
	int r = disk_check(sector, n);

	if (r != 0)
		return r;
	bf->reads++;
	memcpy(buf, bf->data + sector * 512, n * 512);
	return 0;
}

int blkfront_write(struct blkfront *bf, uint64_t sector, const void *buf, size_t n)
{
	int r = disk_check(sector, n);

	if (r != 0)
		return r;
	if (bf->readonly)
		return -EOPNOTSUPP;
	if (bf->fail_writes)
		return -EIO;
	bf->writes++;
	uint64_t from = sector * 512, to = from + n * 512;
	if (from < 2048 && to > 1024) {
		if (from <= 1024 && to >= 2048)
			bf->super_whole++;
		else
			bf->super_part++;
	}
	memcpy(bf->data + sector * 512, buf, n * 512);
	return 0;
}

int blkfront_flush(struct blkfront *bf)
{
	bf->flushes++;
	return bf->fail_writes ? -EIO : 0;
}

int blkfront_discard(struct blkfront *bf, uint64_t sector, size_t n)
{
	(void)bf;
	(void)sector;
	(void)n;
	return -EOPNOTSUPP;
}

#endif
