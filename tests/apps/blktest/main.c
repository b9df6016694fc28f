/* Test guest: fills raw disk 0 with a seeded pattern through blkfront, flushes, reads it back and verifies it; discards a range. */
#include <stdbool.h>
#include <stdint.h>
#include <mica/blkfront.h>
#include <mica/print.h>
#include <mica/string.h>

/* The largest transfer: 1 MiB, which blkfront splits into several requests in flight. */
#define BLKTEST_MAX_SECTORS 2048u

static uint8_t blktest_buf[BLKTEST_MAX_SECTORS * 512];
static unsigned int blktest_n;
static bool blktest_failed;

/*
 * The pattern, which disk_raw.sh recomputes on the host: word k (0..63, little-endian) of sector
 * s is (seed * 0x9E3779B97F4A7C15 + s * 64 + k) * 0xBF58476D1CE4E5B9 mod 2^64. Each sector
 * differs, so a misplaced sector is caught, not only a wrong byte.
 */
static void blktest_fill(uint64_t seed, uint64_t sector, uint8_t *buf, size_t nsectors)
{
	for (size_t s = 0; s < nsectors; s++)
		for (unsigned int k = 0; k < 64; k++) {
			uint64_t v = (seed * 0x9E3779B97F4A7C15ull + (sector + s) * 64 + k) * 0xBF58476D1CE4E5B9ull;
			for (unsigned int b = 0; b < 8; b++)
				buf[s * 512 + k * 8 + b] = (uint8_t)(v >> (8 * b));
		}
}

/* The first sector of buf that is not the pattern, or nsectors when all are. */
static size_t blktest_check(uint64_t seed, uint64_t sector, const uint8_t *buf, size_t nsectors)
{
	static uint8_t want[512];

	for (size_t s = 0; s < nsectors; s++) {
		blktest_fill(seed, sector + s, want, 1);
		if (memcmp(want, buf + s * 512, 512) != 0)
			return s;
	}
	return nsectors;
}

static void blktest_result(bool ok, const char *what, unsigned long long a, int rc)
{
	printf("%s %u - %s %llu (rc %d)\n", ok ? "ok" : "not ok", ++blktest_n, what, a, rc);
	if (!ok)
		blktest_failed = true;
}

/*
 * Transfer sizes the pattern is written or read with, in turn: single sectors, a 40 KiB request
 * of 10 segments, a full 11-segment one, 1 MiB over several requests, odd sizes across pages.
 */
static const size_t blktest_sizes[] = {1, 80, 88, 2048, 3, 1, 89, 17, 512};

/* Writes the whole disk; 0 or the first error. */
static int blktest_write_all(struct blkfront *bf, uint64_t seed, uint64_t sectors, unsigned long *transfers)
{
	uint64_t at = 0;
	for (unsigned int i = 0; at < sectors; i++) {
		size_t n = blktest_sizes[i % (sizeof(blktest_sizes) / sizeof(blktest_sizes[0]))];
		if (n > sectors - at)
			n = (size_t)(sectors - at);
		blktest_fill(seed, at, blktest_buf, n);
		int rc = blkfront_write(bf, at, blktest_buf, n);
		if (rc != 0) {
			printf("blktest: write of %lu sectors at %llu: error %d\n", (unsigned long)n, (unsigned long long)at, rc);
			return rc;
		}
		at += n;
		++*transfers;
	}
	return 0;
}

/* Reads the whole disk in transfers of step sectors and verifies it; 0, an error, or 1 for a mismatch. */
static int blktest_verify_all(struct blkfront *bf, uint64_t seed, uint64_t sectors, size_t step)
{
	for (uint64_t at = 0; at < sectors;) {
		size_t n = step < sectors - at ? step : (size_t)(sectors - at);
		memset(blktest_buf, 0xa5, n * 512);
		int rc = blkfront_read(bf, at, blktest_buf, n);
		if (rc != 0) {
			printf("blktest: read of %lu sectors at %llu: error %d\n", (unsigned long)n, (unsigned long long)at, rc);
			return rc;
		}
		size_t bad = blktest_check(seed, at, blktest_buf, n);
		if (bad != n) {
			printf("blktest: sector %llu is not the pattern of seed %llu\n",
			       (unsigned long long)(at + bad), (unsigned long long)seed);
			return 1;
		}
		at += n;
	}
	return 0;
}

/*
 * Discards sectors 1000..3002 (the granules 1000..2999 of 4096 bytes go; 3000..3002 is part of
 * one and stays), then checks what reads back: zeros, and the pattern around them.
 */
static void blktest_discard(struct blkfront *bf, const struct blkfront_info *info, uint64_t seed)
{
	int rc = blkfront_discard(bf, 1000, 2003);
	blktest_result(rc == 0, "discarded sectors 1000..3002, granularity", info->discard_granularity, rc);
	rc = blkfront_read(bf, 996, blktest_buf, 2010);
	size_t zero = 0;
	while (zero < 2000 * 512 && blktest_buf[4 * 512 + zero] == 0)
		zero++;
	blktest_result(rc == 0 && zero == 2000 * 512 && blktest_check(seed, 996, blktest_buf, 4) == 4 &&
			       blktest_check(seed, 3000, blktest_buf + 2004 * 512, 6) == 6,
		       "the whole granules read back as zeros, the rest as the pattern, zero bytes", zero, rc);
	rc = blkfront_discard(bf, 1001, 6);
	blktest_result(rc == 0, "a discard inside one granule is done at once, sectors", 6, rc);
	rc = blkfront_discard(bf, info->sectors - 8, 16);
	blktest_result(rc == -22, "a discard past the end is refused, sector", info->sectors - 8, rc);
	rc = blkfront_flush(bf);
	blktest_result(rc == 0, "flushed after the discard, sectors", info->sectors, rc);
}

int main(int argc, char **argv)
{
	struct blkfront_info info;
	bool write;
	char *end;

	if (argc != 3 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "read") != 0 &&
			  strcmp(argv[1], "discard") != 0)) {
		printf("usage: blktest write|read|discard SEED: writes the pattern of SEED over disk 0 and verifies "
		       "it, or only verifies it, or (on the pattern) discards sectors 1000..3002 and verifies that\n");
		return 2;
	}
	write = strcmp(argv[1], "write") == 0;
	bool discard = strcmp(argv[1], "discard") == 0;
	unsigned long long seed = strtoul(argv[2], &end, 10);
	if (*end || argv[2][0] == '\0') {
		printf("blktest: SEED '%s' is not a number\n", argv[2]);
		return 2;
	}
	struct blkfront *bf = blkfront_open(0);
	if (!bf) {
		printf("blktest: no disk 0: run it with --disk FILE\n");
		return 1;
	}
	blkfront_get_info(bf, &info);
	printf("blktest: disk0 %llu sectors of %u, %s\n", (unsigned long long)info.sectors, info.sector_size,
	       info.readonly ? "ro" : "rw");
	printf("blktest: disk0 is named %s\n", info.name);
	if (info.sector_size != 512) {
		printf("blktest: only 512-byte sectors are tested\n");
		return 1;
	}
	int rc = blkfront_read(bf, info.sectors, blktest_buf, 1);
	blktest_result(rc == -22, "a read past the end is refused, sector", info.sectors, rc);
	if (discard && info.readonly) {
		rc = blkfront_discard(bf, 1000, 8);
		blktest_result(rc == -95, "a discard on the read-only disk fails, sectors", 8, rc);
	} else if (discard) {
		blktest_discard(bf, &info, seed);
	}
	if (discard) {
		printf("blktest: %s\n", blktest_failed ? "FAILED" : "passed");
		return blktest_failed ? 1 : 0;
	}
	if (write && info.readonly) {
		blktest_fill(seed, 0, blktest_buf, 8);
		rc = blkfront_write(bf, 0, blktest_buf, 8);
		printf("blktest: write to a read-only disk: error %d\n", rc);
		/* Either error status blkif has will do (EIO, EOPNOTSUPP): never a silent success. */
		blktest_result(rc == -5 || rc == -95, "a write to the read-only disk fails, sectors", 8, rc);
	} else if (write) {
		unsigned long transfers = 0;
		rc = blktest_write_all(bf, seed, info.sectors, &transfers);
		blktest_result(rc == 0, "wrote the pattern over the disk, transfers", transfers, rc);
		rc = blkfront_flush(bf);
		blktest_result(rc == 0, "flushed, sectors", info.sectors, rc);
	}
	/* Read back in other sizes than written: 128 KiB (several requests), then sector by sector. */
	rc = blktest_verify_all(bf, seed, info.sectors, 256);
	blktest_result(rc == 0, "read back and verified in 128 KiB transfers, sectors", info.sectors, rc);
	rc = blktest_verify_all(bf, seed, info.sectors < 300 ? info.sectors : 300, 1);
	blktest_result(rc == 0, "read back and verified sector by sector, sectors", 300, rc);
	printf("blktest: %s\n", blktest_failed ? "FAILED" : "passed");
	return blktest_failed ? 1 : 0;
}
