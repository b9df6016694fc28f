/* unit-sources: lib/posix-process/chacha20.c lib/posix-process/random.c */
/* unit-cflags: -Ilib/syscall/include */
/*
 * Host test of getrandom's generator: the ChaCha20 block function against RFC 8439's vectors,
 * then seeding (from timing jitter, and from the CPU when it has RDSEED or RDRAND) and output
 * (distinct seeds, fresh output on every fill, no stuck bytes).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <mica/plat.h>
#include "../../lib/posix-process/internal.h"
#include "unit.h"

uint64_t plat_time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

uint64_t plat_wallclock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static void words_le(const uint8_t *bytes, uint32_t *words, int n)
{
	for (int i = 0; i < n; i++)
		words[i] = (uint32_t)bytes[4 * i] | (uint32_t)bytes[4 * i + 1] << 8 | (uint32_t)bytes[4 * i + 2] << 16 |
			   (uint32_t)bytes[4 * i + 3] << 24;
}

static void test_rfc8439(void)
{
	/* Section 2.3.2: key 00..1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00, counter 1. */
	static const uint8_t key_bytes[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
					      16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
	static const uint8_t nonce_bytes[12] = {0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0};
	static const uint8_t expect[64] = {
		0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4,
		0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e,
		0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2,
		0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e,
	};
	/* Appendix A.1, test vectors 1 and 2: all-zero key and nonce, counters 0 and 1. */
	static const uint8_t zero_expect[128] = {
		0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28,
		0xbd, 0xd2, 0x19, 0xb8, 0xa0, 0x8d, 0xed, 0x1a, 0xa8, 0x36, 0xef, 0xcc, 0x8b, 0x77, 0x0d, 0xc7,
		0xda, 0x41, 0x59, 0x7c, 0x51, 0x57, 0x48, 0x8d, 0x77, 0x24, 0xe0, 0x3f, 0xb8, 0xd8, 0x4a, 0x37,
		0x6a, 0x43, 0xb8, 0xf4, 0x15, 0x18, 0xa1, 0x1c, 0xc3, 0x87, 0xb6, 0x69, 0xb2, 0xee, 0x65, 0x86,
		0x9f, 0x07, 0xe7, 0xbe, 0x55, 0x51, 0x38, 0x7a, 0x98, 0xba, 0x97, 0x7c, 0x73, 0x2d, 0x08, 0x0d,
		0xcb, 0x0f, 0x29, 0xa0, 0x48, 0xe3, 0x65, 0x69, 0x12, 0xc6, 0x53, 0x3e, 0x32, 0xee, 0x7a, 0xed,
		0x29, 0xb7, 0x21, 0x76, 0x9c, 0xe6, 0x4e, 0x43, 0xd5, 0x71, 0x33, 0xb0, 0x74, 0xd8, 0x39, 0xd5,
		0x31, 0xed, 0x1f, 0x28, 0x51, 0x0a, 0xfb, 0x45, 0xac, 0xe1, 0x0a, 0x1f, 0x4b, 0x79, 0x4d, 0x6f,
	};
	uint32_t key[8], nonce[3], zero_key[8] = {0}, zero_nonce[3] = {0};
	uint8_t out[64];

	words_le(key_bytes, key, 8);
	words_le(nonce_bytes, nonce, 3);
	posix_chacha20_block(key, 1, nonce, out);
	unit_check(memcmp(out, expect, 64) == 0, "ChaCha20 block matches RFC 8439 section 2.3.2", NULL);
	posix_chacha20_block(zero_key, 0, zero_nonce, out);
	int ok = memcmp(out, zero_expect, 64) == 0;
	posix_chacha20_block(zero_key, 1, zero_nonce, out);
	unit_check(ok && memcmp(out, zero_expect + 64, 64) == 0, "ChaCha20 blocks match RFC 8439 A.1 vectors 1 and 2",
		   NULL);
}

static void test_seed(bool hardware, const char *name)
{
	struct posix_random a = {0}, b = {0};
	uint8_t out_a[64], out_b[64];

	posix_random_seed(&a, hardware);
	posix_random_seed(&b, hardware);
	posix_random_fill(&a, out_a, sizeof(out_a));
	posix_random_fill(&b, out_b, sizeof(out_b));
	unit_check(a.seeded && b.seeded && memcmp(out_a, out_b, sizeof(out_a)) != 0, name, "two seedings agree");
}

static void test_output(void)
{
	static uint8_t big[1 << 16];
	struct posix_random r = {0};
	uint8_t first[100], second[100];
	uint32_t key_before[8];
	int counts[256] = {0}, lo = 1 << 30, hi = 0;

	posix_random_seed(&r, posix_random_hardware());
	memcpy(key_before, r.key, sizeof(key_before));
	posix_random_fill(&r, first, sizeof(first));
	unit_check(memcmp(key_before, r.key, sizeof(key_before)) != 0, "a fill replaces the key it used", NULL);
	posix_random_fill(&r, second, sizeof(second));
	unit_check(memcmp(first, second, sizeof(first)) != 0, "successive fills differ", NULL);

	/* 64 KiB of uniform bytes: each value about 256 times; these bounds are over 13 sigma away. */
	posix_random_fill(&r, big, sizeof(big));
	for (size_t i = 0; i < sizeof(big); i++)
		counts[big[i]]++;
	for (int v = 0; v < 256; v++) {
		lo = counts[v] < lo ? counts[v] : lo;
		hi = counts[v] > hi ? counts[v] : hi;
	}
	unit_check(lo > 40 && hi < 470, "output bytes are spread over all values", "counts from %d to %d", lo, hi);
}

int main(void)
{
	test_rfc8439();
	test_seed(false, "two seedings from timing jitter differ");
	if (posix_random_hardware())
		test_seed(true, "two seedings from RDSEED or RDRAND differ");
	else
		unit_check(1, "this CPU has neither RDSEED nor RDRAND: hardware seeding not tested", NULL);
	test_output();
	return unit_exit_status();
}
