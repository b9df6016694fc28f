/* Port I/O: the legacy PC devices (UART, PIT, CMOS, ACPI PM) a platform may drive. */
#ifndef ARCH_IO_H
#define ARCH_IO_H

#include <stdint.h>

static inline uint8_t cpu_inb(uint16_t port)
{
	uint8_t v;
	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void cpu_outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void cpu_outw(uint16_t port, uint16_t v)
{
	__asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

#endif
