/* The human summary of a guest image printed by `mica inspect`. */
#ifndef IMAGE_INSPECT_H
#define IMAGE_INSPECT_H

#include <stdint.h>
#include <stdio.h>

#include "image.h"

/* Prints one "field: value" line per property of img, parsed from path (file_size bytes long). */
void image_print(FILE *out, const char *path, const struct image *img, uint64_t file_size);

#endif
