/* The platform the allocator and scheduler tests run the guest libraries on: a 4 MiB arena, stderr as console, panics caught. */
#ifndef MICA_TESTS_FAKE_PLAT_H
#define MICA_TESTS_FAKE_PLAT_H

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <mica/plat.h>
#include "unit.h"

#define ARENA_SIZE (4UL << 20)

static unsigned char arena[ARENA_SIZE] __attribute__((aligned(4096)));

struct plat_memregion plat_free_memory(void)
{
	return (struct plat_memregion){(uintptr_t)arena, (uintptr_t)arena + ARENA_SIZE};
}

void plat_console_write(const char *buf, size_t len) { fwrite(buf, 1, len, stderr); }

/* A panic the test provoked comes back to panics(); any other ends the test as a failure. */
static jmp_buf panic_jump;
static int panic_expected;

_Noreturn void plat_crash(const char *msg)
{
	if (panic_expected)
		longjmp(panic_jump, 1);
	unit_check(0, "unexpected crash", "%s", msg != NULL ? msg : "");
	exit(unit_exit_status());
}

/* Whether fn(arg) panics; the panic unwinds to here, whatever stack it happened on. */
__attribute__((unused)) static int panics(void (*fn)(void *), void *arg)
{
	panic_expected = 1;
	if (setjmp(panic_jump) != 0) {
		panic_expected = 0;
		return 1;
	}
	fn(arg);
	panic_expected = 0;
	return 0;
}

#endif
