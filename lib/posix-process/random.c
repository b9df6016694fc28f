/* getrandom: a ChaCha20 generator with fast key erasure, seeded from the CPU or from timing jitter. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <arch/cpu.h>
#include <arch/string.h>
#include <mica/plat.h>
#include <mica/syscall.h>
#include "internal.h"

/* Linux's largest read (MAX_RW_COUNT): a longer request gets this much. */
#define RANDOM_MAX_COUNT ((size_t)INT_MAX & ~(size_t)4095)
#define RANDOM_JITTER_ROUNDS 64 /* of 8 samples each */
#define RANDOM_CPU_ROUNDS 2     /* of 256 bits each */
#define RANDOM_CPU_RETRIES 10   /* what Intel advises before RDRAND is deemed broken */

/* Output and seeding use different nonces, so that absorbing never reproduces output blocks. */
static const uint32_t random_nonce_output[3] = {0, 0, 0};
static const uint32_t random_nonce_seed[3] = {0x64656573 /* "seed" */, 0, 0};

static void random_wipe(void *p, size_t len)
{
	memset(p, 0, len);
	/* The buffer is dead after this: without the barrier the compiler may drop the memset. */
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

static void random_cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ __volatile__("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static bool random_has_rdseed(void)
{
	uint32_t r[4];

	random_cpuid(0, r);
	if (r[0] < 7)
		return false;
	random_cpuid(7, r);
	return (r[1] >> 18) & 1;
}

static bool random_has_rdrand(void)
{
	uint32_t r[4];

	random_cpuid(1, r);
	return (r[2] >> 30) & 1;
}

bool posix_random_hardware(void) { return random_has_rdseed() || random_has_rdrand(); }

/* One 64-bit word from RDSEED or RDRAND; false if the CPU had none to give. */
static bool random_cpu_word(bool rdseed, uint64_t *v)
{
	for (int i = 0; i < RANDOM_CPU_RETRIES; i++) {
		bool ok;
		if (rdseed)
			__asm__ __volatile__("rdseed %0" : "=r"(*v), "=@ccc"(ok));
		else
			__asm__ __volatile__("rdrand %0" : "=r"(*v), "=@ccc"(ok));
		if (ok)
			return true;
	}
	return false;
}

/* key ^= input, then key = the first half of a block under that key: a one-way mix. */
static void random_absorb(struct posix_random *r, const uint64_t in[4])
{
	uint32_t words[8];
	uint8_t block[64];

	memcpy(words, in, sizeof(words));
	for (int i = 0; i < 8; i++)
		r->key[i] ^= words[i];
	posix_chacha20_block(r->key, 0, random_nonce_seed, block);
	memcpy(r->key, block, sizeof(r->key));
	random_wipe(words, sizeof(words));
	random_wipe(block, sizeof(block));
}

/* The TSC across a read of the platform clock varies with caches, host interrupts and scheduling. */
static uint64_t random_jitter_sample(void)
{
	uint64_t t0 = cpu_rdtsc();
	uint64_t ns = plat_time_ns();
	uint64_t t1 = cpu_rdtsc();

	return (t1 - t0) ^ (t1 << 24) ^ ns;
}

/*
 * Seeding, done at the first getrandom so that boot never waits for it:
 * - always first, the wall clock, system time and TSC: they tell boots apart, but are guessable;
 * - with hardware (only when posix_random_hardware() says so): 512 bits from RDSEED, which reads
 *   the CPU's entropy source, or else from RDRAND, its DRBG seeded from that source;
 * - without: 512 samples of TSC jitter around reads of the platform clock. Each is worth a bit or
 *   so at best: this is the weak fallback for CPUs that have neither instruction.
 * Every input goes through random_absorb, so no source can cancel what another contributed.
 */
void posix_random_seed(struct posix_random *r, bool hardware)
{
	uint64_t in[4] = {plat_wallclock_ns(), plat_time_ns(), cpu_rdtsc(), (uintptr_t)r};

	random_absorb(r, in);
	if (hardware) {
		bool rdseed = random_has_rdseed();
		for (int round = 0; round < RANDOM_CPU_ROUNDS; round++) {
			for (int i = 0; i < 4; i++)
				if (!random_cpu_word(rdseed, &in[i]))
					in[i] = random_jitter_sample();
			random_absorb(r, in);
		}
	} else {
		for (int round = 0; round < RANDOM_JITTER_ROUNDS; round++) {
			for (int i = 0; i < 4; i++)
				in[i] = random_jitter_sample() ^ (random_jitter_sample() << 32);
			random_absorb(r, in);
		}
	}
	random_wipe(in, sizeof(in));
	r->seeded = true;
}

/*
 * The first block's first half becomes the next key and its second half the first output; the
 * key that produced them is gone when this returns, so output already given cannot be
 * recomputed from a later state (fast key erasure).
 */
void posix_random_fill(struct posix_random *r, void *buf, size_t len)
{
	uint8_t block[64], *out = buf;
	uint32_t next_key[8], counter = 0;
	size_t n;

	posix_chacha20_block(r->key, counter++, random_nonce_output, block);
	memcpy(next_key, block, sizeof(next_key));
	n = len < 32 ? len : 32;
	memcpy(out, block + 32, n);
	out += n;
	len -= n;
	while (len > 0) {
		posix_chacha20_block(r->key, counter++, random_nonce_output, block);
		n = len < 64 ? len : 64;
		memcpy(out, block, n);
		out += n;
		len -= n;
	}
	memcpy(r->key, next_key, sizeof(r->key));
	random_wipe(next_key, sizeof(next_key));
	random_wipe(block, sizeof(block));
}

static struct posix_random random_state;

void posix_random_restored(const uint8_t seed[32])
{
	uint64_t in[4];

	/* An unseeded generator absorbs the seed as well, and then seeds fully at its first use. */
	memcpy(in, seed, sizeof(in));
	random_absorb(&random_state, in);
	in[0] = plat_wallclock_ns();
	in[1] = plat_time_ns();
	in[2] = cpu_rdtsc();
	in[3] = 0;
	random_absorb(&random_state, in);
	random_wipe(in, sizeof(in));
}

/* Never blocks: the generator is seeded before its first output, so the flags change nothing. */
static long sys_getrandom(MICA_SYSCALL_ARGS)
{
	unsigned int flags = (unsigned int)a3;
	size_t len = (size_t)a2 > RANDOM_MAX_COUNT ? RANDOM_MAX_COUNT : (size_t)a2;

	if (flags & ~(unsigned int)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & (GRND_RANDOM | GRND_INSECURE)) == (GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if (!random_state.seeded)
		posix_random_seed(&random_state, posix_random_hardware());
	posix_random_fill(&random_state, (void *)a1, len);
	return (long)len;
}
MICA_SYSCALL(SYS_getrandom, sys_getrandom);
