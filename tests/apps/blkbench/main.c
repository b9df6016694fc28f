/* Benchmark guest: sequential 1 MiB writes and reads (one or two in flight) of raw disk 0 and random 4 KiB reads, timed in the guest. */
#include <xen/errno.h>
#include <stdint.h>
#include <mica/blkfront.h>
#include <mica/plat.h>
#include <mica/print.h>
#include <mica/string.h>

#define BENCH_CHUNK_SECTORS 2048u /* 1 MiB */
#define BENCH_DEPTH_MAX 2u
/* The most requests a transfer is cut into: a request carries at least one 4096-byte page. */
#define BENCH_CHUNK_REQS (BENCH_CHUNK_SECTORS / 8)

/* A buffer per transfer in flight, whole pages, so that blkfront grants them with no copy. */
static uint8_t bench_buf[BENCH_DEPTH_MAX][BENCH_CHUNK_SECTORS * 512] __attribute__((aligned(4096)));

/* A 1 MiB read in flight: the tags of its requests in the order they were submitted, done of them completed. */
struct bench_xfer {
	uint64_t at;
	int tag[BENCH_CHUNK_REQS];
	unsigned int n, done;
};

/* Microseconds since t0, at least 1. */
static uint64_t bench_us(uint64_t t0)
{
	uint64_t us = (plat_time_ns() - t0) / 1000;
	return us ? us : 1;
}

/*
 * The whole disk in 1 MiB transfers, one at a time: blkfront_read and _write put all of a
 * transfer's requests on the ring with one notify, so blkback finds the whole 1 MiB together.
 * MB/s (10^6 bytes) or 0 after printing the error.
 */
static uint64_t bench_seq(struct blkfront *bf, uint64_t sectors, bool write)
{
	uint64_t t0 = plat_time_ns();
	for (uint64_t at = 0; at < sectors; at += BENCH_CHUNK_SECTORS) {
		size_t n = sectors - at < BENCH_CHUNK_SECTORS ? (size_t)(sectors - at) : BENCH_CHUNK_SECTORS;
		int rc = write ? blkfront_write(bf, at, bench_buf[0], n) : blkfront_read(bf, at, bench_buf[0], n);
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

/* Completes x's submitted requests not yet completed, in order: 0 or the first error (all are completed even so). */
static int bench_xfer_complete(struct blkfront *bf, struct bench_xfer *x)
{
	int rc = 0;
	for (; x->done < x->n; x->done++) {
		int r = blkfront_complete(bf, x->tag[x->done]);
		if (r != 0 && rc == 0)
			rc = r;
	}
	return rc;
}

/*
 * The whole disk in 1 MiB reads with two in flight, each its requests queued and published
 * with one push (blkback finds the whole 1 MiB together) and completed in order. When blkfront has no free slot the oldest transfer is completed
 * first, so fewer slots than two transfers' requests only lose the overlap.
 * MB/s (10^6 bytes) or 0 after printing the error.
 */
static uint64_t bench_seqread2(struct blkfront *bf, uint64_t sectors)
{
	const unsigned int depth = BENCH_DEPTH_MAX;
	struct bench_xfer x[BENCH_DEPTH_MAX];
	unsigned int head = 0, count = 0; /* x[head] is the oldest of count transfers in flight */
	size_t max = blkfront_max_sectors(bf);
	uint64_t t0 = plat_time_ns(), failed_at = 0;
	int rc = 0;

	if (max < 8) {
		printf("blkbench: the disk takes requests of %zu sectors, less than a page\n", max);
		return 0;
	}
	for (uint64_t at = 0; rc == 0 && at < sectors;) {
		if (count == depth) {
			failed_at = x[head].at;
			rc = bench_xfer_complete(bf, &x[head]);
			head = (head + 1) % depth;
			count--;
			continue;
		}
		unsigned int i = (head + count++) % depth;
		struct bench_xfer *cur = &x[i];
		size_t len = sectors - at < BENCH_CHUNK_SECTORS ? (size_t)(sectors - at) : BENCH_CHUNK_SECTORS;
		*cur = (struct bench_xfer){.at = at};
		for (size_t off = 0; rc == 0 && off < len;) {
			size_t k = len - off < max ? len - off : max;
			int tag = blkfront_queue(bf, BLKFRONT_OP_READ, at + off, bench_buf[i] + off * 512, k);
			if (tag == -XEN_EAGAIN && x[head].done < x[head].n) {
				failed_at = x[head].at;
				rc = bench_xfer_complete(bf, &x[head]);
				if (&x[head] != cur) {
					head = (head + 1) % depth;
					count--;
				}
				continue;
			}
			if (tag < 0) {
				failed_at = at + off;
				rc = tag;
				break;
			}
			cur->tag[cur->n++] = tag;
			off += k;
		}
		/* The whole transfer published at once: blkback reads it as one 1 MiB read. */
		blkfront_push(bf);
		at += len;
	}
	/* The rest in flight, after an error too: every submitted request is completed once. */
	for (; count; count--, head = (head + 1) % depth) {
		int r = bench_xfer_complete(bf, &x[head]);
		if (r != 0 && rc == 0) {
			failed_at = x[head].at;
			rc = r;
		}
	}
	if (rc != 0) {
		printf("blkbench: read at sector %llu: error %d\n", (unsigned long long)failed_at, rc);
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
		int rc = blkfront_read(bf, x % pages * 8, bench_buf[0], 8);
		if (rc != 0) {
			printf("blkbench: random read: error %d\n", rc);
			return 0;
		}
	}
	return (uint64_t)count * 1000000 / bench_us(t0);
}

/* s as a decimal number: digits only (strtoul would take a sign and spaces), few enough not to overflow. */
static bool bench_number(const char *s, unsigned long *v)
{
	if (!*s || strlen(s) > 9)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	*v = strtoul(s, NULL, 10);
	return true;
}

int main(int argc, char **argv)
{
	unsigned long arg = 0;
	bool seqread = argc == 3 && strcmp(argv[1], "seqread") == 0;
	if (argc != 3 || (strcmp(argv[1], "seqwrite") != 0 && !seqread && strcmp(argv[1], "randread") != 0) ||
	    (seqread && (!bench_number(argv[2], &arg) || arg > BENCH_DEPTH_MAX))) {
		printf("usage: blkbench seqwrite 0 | seqread DEPTH (1 MiB reads in flight: 1 or 2, 0 means 1) | randread COUNT: "
		       "prints MB/s or 4 KiB reads/s on disk 0\n");
		return 2;
	}
	bool randread = strcmp(argv[1], "randread") == 0;
	if (!seqread && (!bench_number(argv[2], &arg) || (randread && arg == 0))) {
		printf("blkbench: '%s' is not a %snumber\n", argv[2], randread ? "positive " : "");
		return 2;
	}
	struct blkfront *bf = blkfront_open(0);
	if (!bf) {
		printf("blkbench: no disk 0: run it with --disk FILE\n");
		return 1;
	}
	struct blkfront_info info;
	blkfront_get_info(bf, &info);
	for (size_t i = 0; i < sizeof(bench_buf[0]); i++)
		bench_buf[0][i] = (uint8_t)(i * 131 + 7);
	uint64_t v;
	if (randread) {
		v = bench_rand(bf, info.sectors, arg);
		if (v)
			printf("blkbench: randread %llu IOPS\n", (unsigned long long)v);
	} else {
		v = seqread && arg == 2 ? bench_seqread2(bf, info.sectors) : bench_seq(bf, info.sectors, !seqread);
		if (v)
			printf("blkbench: %s %llu MB/s\n", argv[1], (unsigned long long)v);
	}
	return v ? 0 : 1;
}
