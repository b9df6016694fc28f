/* lwIP's compiler and platform glue for Mica: musl's headers, gcc builtins for byte order, panic on assert. */
#ifndef MICA_LWIP_ARCH_CC_H
#define MICA_LWIP_ARCH_CC_H

#include <errno.h>
#include <stdint.h>
#include <sys/time.h>

#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_NO_CTYPE_H 0
#define LWIP_CHKSUM_ALGORITHM 3

#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

_Noreturn void lwip_port_assert(const char *msg, const char *file, int line);
#define LWIP_PLATFORM_ASSERT(x) lwip_port_assert((x), __FILE__, __LINE__)
/* Diagnostics are compiled in only with LWIP_DEBUG, which Mica never sets. */
#define LWIP_PLATFORM_DIAG(x) do { } while (0)

#endif
