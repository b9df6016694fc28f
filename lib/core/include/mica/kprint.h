/* Formatted output for libraries and the platform, whatever C library the image links. */
#ifndef MICA_KPRINT_H
#define MICA_KPRINT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Conversions: d i u x X o p s c %, with flags - 0 + space #, width and precision (either may
 * be *), and length modifiers hh h l ll z j t. No floating point and no %n. %s of NULL prints
 * "(null)", %p of NULL "(nil)". An unknown conversion is copied to the output as written.
 * Each returns the number of characters produced, or -1 if that exceeds INT_MAX.
 */
int kprintf(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
int kvprintf(const char *fmt, va_list ap) __attribute__((format(__printf__, 1, 0)));

/* Writes at most size - 1 characters and a NUL (nothing when size is 0); returns the full length. */
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(__printf__, 3, 4)));
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(__printf__, 3, 0)));

#endif
