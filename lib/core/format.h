/* The formatting engine shared by the console and buffer front ends of printf. */
#ifndef CORE_FORMAT_H
#define CORE_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives the formatted text in order, in pieces of any size. */
typedef void (*core_emit_t)(void *ctx, const char *s, size_t n);

/* Formats fmt with ap into emit; returns the total length, or -1 if it exceeds INT_MAX. */
int core_vformat(core_emit_t emit, void *ctx, const char *fmt, va_list ap);

#endif
