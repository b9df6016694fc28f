/* fuzz-sources: runtime/image/image.c runtime/image/size.c runtime/image/inspect.c */
/* libFuzzer harness: arbitrary bytes through image_parse, and accepted images through the rest. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "image/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t rams[] = { 0, 4096, 64 << 10, 64 << 20, UINT64_MAX };
	static const uint64_t reserved[] = { 0, 3 * MICA_PAGE_SIZE, UINT64_MAX };
	static FILE *devnull;
	struct image img;
	char err[256];
	size_t i, j;

	/* A message must be one line, so report one that is not as a crash. */
	if (image_parse(data, size, &img, err, sizeof err) != 0) {
		if (err[0] == '\0' || strchr(err, '\n'))
			abort();
		return 0;
	}
	if (memchr(img.note.app, '\0', sizeof img.note.app) == NULL || img.nsegments == 0 ||
	    img.nsegments > IMAGE_MAX_SEGMENTS || img.lowest < MICA_RAM_BASE ||
	    img.highest <= img.lowest)
		abort();
	for (i = 0; i < sizeof rams / sizeof rams[0]; i++)
		for (j = 0; j < sizeof reserved / sizeof reserved[0]; j++)
			if (image_check_fits(&img, rams[i], reserved[j], err, sizeof err) != 0 &&
			    err[0] == '\0')
				abort();
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (devnull)
		image_print(devnull, "fuzz", &img, size);
	return 0;
}
