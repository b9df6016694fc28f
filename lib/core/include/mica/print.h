/* The built-in libc's stdio subset: kprint's formatting under the standard names. */
#ifndef MICA_PRINT_H
#define MICA_PRINT_H

#include <stdarg.h>
#include <stddef.h>

/* Same conversions and results as mica/kprint.h. */
int printf(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(__printf__, 1, 0)));

/* Writes at most size - 1 characters and a NUL (nothing when size is 0); returns the full length. */
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(__printf__, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(__printf__, 3, 0)));

/* s and a newline; returns the number of characters written. */
int puts(const char *s);
/* Returns c converted to unsigned char. */
int putchar(int c);

#endif
