/* C string functions, plus the memory primitives from the arch layer. */
#ifndef MICA_STRING_H
#define MICA_STRING_H

#include <stddef.h>
#include <arch/string.h>

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
void *memchr(const void *s, int c, size_t n);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);

#endif
