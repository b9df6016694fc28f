/* The ChaCha20 block function (RFC 8439, section 2.3), the core of getrandom's generator. */
#include <stdint.h>
#include "internal.h"

#define CHACHA_ROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))

static void chacha_quarter(uint32_t *x, int a, int b, int c, int d)
{
	x[a] += x[b];
	x[d] = CHACHA_ROTL(x[d] ^ x[a], 16);
	x[c] += x[d];
	x[b] = CHACHA_ROTL(x[b] ^ x[c], 12);
	x[a] += x[b];
	x[d] = CHACHA_ROTL(x[d] ^ x[a], 8);
	x[c] += x[d];
	x[b] = CHACHA_ROTL(x[b] ^ x[c], 7);
}

void posix_chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64])
{
	/* "expand 32-byte k", then the key, the block counter and the nonce, as 32-bit words. */
	const uint32_t in[16] = {
		0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, key[0], key[1], key[2], key[3],
		key[4],     key[5],     key[6],     key[7],     counter, nonce[0], nonce[1], nonce[2],
	};
	uint32_t x[16];

	for (int i = 0; i < 16; i++)
		x[i] = in[i];
	for (int round = 0; round < 10; round++) {
		/* A column round, then a diagonal round. */
		chacha_quarter(x, 0, 4, 8, 12);
		chacha_quarter(x, 1, 5, 9, 13);
		chacha_quarter(x, 2, 6, 10, 14);
		chacha_quarter(x, 3, 7, 11, 15);
		chacha_quarter(x, 0, 5, 10, 15);
		chacha_quarter(x, 1, 6, 11, 12);
		chacha_quarter(x, 2, 7, 8, 13);
		chacha_quarter(x, 3, 4, 9, 14);
	}
	for (int i = 0; i < 16; i++) {
		uint32_t v = x[i] + in[i];
		out[4 * i] = (uint8_t)v;
		out[4 * i + 1] = (uint8_t)(v >> 8);
		out[4 * i + 2] = (uint8_t)(v >> 16);
		out[4 * i + 3] = (uint8_t)(v >> 24);
	}
}
