/* Memory primitives the compiler may call on its own; implemented in arch/x86_64/string.S. */
#ifndef ARCH_STRING_H
#define ARCH_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
