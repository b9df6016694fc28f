/* The platform lib/vfs and lib/ext2fs run on in host tests: no console input, fixed clocks, no threads, heap pages. */
#ifndef MICA_TESTS_FAKE_VFS_PLAT_H
#define MICA_TESTS_FAKE_VFS_PLAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <mica/plat.h>
#include <mica/sched.h>

void plat_console_write(const char *buf, size_t len)
{
	(void)buf;
	(void)len;
}

size_t plat_console_read(char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return 0;
}

bool plat_console_eof(void)
{
	return true;
}

void plat_block(uint64_t deadline_ns)
{
	(void)deadline_ns;
}

uint64_t plat_time_ns(void)
{
	return 1000;
}

uint64_t plat_wallclock_ns(void)
{
	return 1700000000ULL * 1000000000ULL;
}

struct sched_thread *sched_current(void)
{
	return NULL;
}

void sched_wake(struct sched_thread *t)
{
	(void)t;
}

bool sched_block_until(uint64_t deadline_ns)
{
	(void)deadline_ns;
	return false;
}

void plat_console_on_event(void (*fn)(void))
{
	(void)fn;
}

struct plat_memregion plat_initrd(void)
{
	return (struct plat_memregion){0, 0};
}

void *page_alloc(size_t npages)
{
	return npages == 0 || npages > (1u << 20) ? NULL : aligned_alloc(4096, npages * 4096);
}

void page_free(void *p, size_t npages)
{
	(void)npages;
	free(p);
}

#endif
