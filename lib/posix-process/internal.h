/* What posix-process's parts share: who "self" is, and the random generator's core. */
#ifndef POSIX_PROCESS_INTERNAL_H
#define POSIX_PROCESS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether a pid argument names this process: 0, its pid, or the id of one of its threads. */
bool posix_process_is_self(int pid);

/* The ChaCha20 block function of RFC 8439: 64 bytes of keystream for key, counter and nonce. */
void posix_chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64]);

/* A ChaCha20 generator with fast key erasure: each fill replaces the key it used. */
struct posix_random {
	uint32_t key[8];
	bool seeded;
};

/* Seeds r from the CPU's random number generator when hardware is set, else from timing jitter. */
void posix_random_seed(struct posix_random *r, bool hardware);
void posix_random_fill(struct posix_random *r, void *buf, size_t len);
/* Whether the CPU has RDSEED or RDRAND. */
bool posix_random_hardware(void);

/*
 * After a restore from a snapshot: absorbs the runtime's fresh entropy (and the clocks, which
 * read the present now) into getrandom's generator, so no two restored instances share its state.
 */
void posix_random_restored(const uint8_t seed[32]);

#endif
