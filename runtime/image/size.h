/* Parsing and printing of memory sizes such as "64M" and "132 KiB" for the runtime's messages. */
#ifndef IMAGE_SIZE_H
#define IMAGE_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* Room for any size_format result; the longest is "17179869183.9 GiB". */
#define SIZE_FORMAT_MAX 32

/*
 * Parses a nonzero size: decimal digits, then optionally K, M or G (binary units, any case), then
 * optionally "iB" or "B" after the unit: "1048576", "512K", "64MiB", "1gb". Nothing else is
 * accepted (no sign, no spaces, no fractions). Returns 0, or -1 if s is not such a size or it
 * overflows 64 bits.
 */
int size_parse(const char *s, uint64_t *out);

/*
 * Formats bytes in the largest of GiB, MiB, KiB that divides it exactly ("64 MiB"); failing
 * that, below 1 KiB as "N bytes" ("1 byte"), else truncated to one decimal of the largest unit
 * not above it ("6.2 KiB"). So a figure without a decimal point is always exact.
 */
void size_format(uint64_t bytes, char *buf, size_t len);

#endif
