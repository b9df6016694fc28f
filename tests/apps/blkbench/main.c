/* Benchmark guest: sequential 1 MiB writes and reads of raw disk 0 and random 4 KiB reads, timed in the guest. */
#include <stdint.h>
#include <mica/blkfront.h>
#include <mica/plat.h>
#include <mica/print.h>
#include <mica/string.h>

#define BENCH_CHUNK_SECTORS 2048u /* 1 MiB */

static uint8_t bench_buf[BENCH_CHUNK_SECTORS * 512] __attribute__((aligned(4096)));

/* Microseconds since t0, at least 1. */
static uint64_t bench_us(uint64_t t0)
{
	uint64_t us = (plat_time_ns() - t0) / 1000;
	return us ? us : 1;
}

/* The whole disk in 1 MiB transfers; MB/s (10^6 bytes) or 0 after printing the error. */
static uint64_t bench_seq(struct blkfront *bf, uint64_t sectors, bool write)
{
	uint64_t t0 = plat_time_ns();
	for (uint64_t at = 0; at < sectors; at += BENCH_CHUNK_SECTORS) {
		size_t n = sectors - at < BENCH_CHUNK_SECTORS ? (size_t)(sectors - at) : BENCH_CHUNK_SECTORS;
		int rc = write ? blkfront_write(bf, at, bench_buf, n) : blkfront_read(bf, at, bench_buf, n);
		if (rc != 0) {
			printf("blkbench: %s at sector %llu: error %d\n", write ? "write" : "read", (unsigned long long)at, rc);
			return 0;
		}
	}
	/* A write counts once it is durable, as dd's conv=fdatasync or oflag=direct makes the host's. */
	if (write && blkfront_flush(bf) != 0) {
		printf("blkbench: flush failed\n");
		return 0;
	}
	return sectors * 512 / bench_us(t0);
}

/* count 4 KiB reads at random 4 KiB-aligned places (a fixed xorshift sequence); reads per second. */
static uint64_t bench_rand(struct blkfront *bf, uint64_t sectors, unsigned long count)
{
	uint64_t x = 0x9E3779B97F4A7C15ull, pages = sectors / 8;
	uint64_t t0 = plat_time_ns();
	for (unsigned long i = 0; i < count; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int rc = blkfront_read(bf, x % pages * 8, bench_buf, 8);
		if (rc != 0) {
			printf("blkbench: random read: error %d\n", rc);
			return 0;
		}
	}
	return (uint64_t)count * 1000000 / bench_us(t0);
}

int main(int argc, char **argv)
{
	char *end;
	if (argc != 3 || (strcmp(argv[1], "seqwrite") != 0 && strcmp(argv[1], "seqread") != 0 &&
			  strcmp(argv[1], "randread") != 0)) {
		printf("usage: blkbench seqwrite|seqread 0 | randread COUNT: prints MB/s or 4 KiB reads/s on disk 0\n");
		return 2;
	}
	unsigned long count = strtoul(argv[2], &end, 10);
	if (*end || argv[2][0] == '\0') {
		printf("blkbench: '%s' is not a number\n", argv[2]);
		return 2;
	}
	struct blkfront *bf = blkfront_open(0);
	if (!bf) {
		printf("blkbench: no disk 0: run it with --disk FILE\n");
		return 1;
	}
	struct blkfront_info info;
	blkfront_get_info(bf, &info);
	for (size_t i = 0; i < sizeof(bench_buf); i++)
		bench_buf[i] = (uint8_t)(i * 131 + 7);
	uint64_t v;
	if (strcmp(argv[1], "randread") == 0) {
		v = bench_rand(bf, info.sectors, count);
		if (v)
			printf("blkbench: randread %llu IOPS\n", (unsigned long long)v);
	} else {
		bool write = strcmp(argv[1], "seqwrite") == 0;
		v = bench_seq(bf, info.sectors, write);
		if (v)
			printf("blkbench: %s %llu MB/s\n", argv[1], (unsigned long long)v);
	}
	return v ? 0 : 1;
}
