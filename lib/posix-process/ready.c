/* mica_ready: the guest's ready point for snapshots; a restored instance reseeds getrandom here. */
#include <stdint.h>
#include <arch/string.h>
#include <mica/plat.h>
#include <mica/ready.h>
#include "internal.h"

int mica_ready(void)
{
	uint8_t seed[32];

	if (plat_ready(seed) != 1)
		return 0;
	posix_random_restored(seed);
	memset(seed, 0, sizeof(seed));
	__asm__ __volatile__("" : : "r"(seed) : "memory");
	return 1;
}
