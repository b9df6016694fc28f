/* The platform lib/vfs and lib/ext2fs run on in host tests: no console input, fixed clocks, no threads, heap pages. */
#ifndef MICA_TESTS_FAKE_VFS_PLAT_H
#define MICA_TESTS_FAKE_VFS_PLAT_H

/*
 * What an includer may define first:
 * - FAKE_VFS_CONSOLE_EOF: plat_console_eof's answer. Default true: no input will ever come, so a
 *   console read is end-of-file; false: input may still come, so a read waits (or is EAGAIN).
 * - FAKE_VFS_OWN_CONSOLE_WRITE: it checks the console's output in its own plat_console_write
 *   (default: dropped).
 * - FAKE_VFS_OWN_WAIT: it fakes waiting and time itself: plat_block, plat_time_ns,
 *   plat_wallclock_ns, sched_wake, sched_block_until and plat_console_on_event. By default the
 *   clocks are fixed and a wait aborts: with one thread and no input it would never end.
 * - FAKE_VFS_MAX_PAGES: the largest page_alloc that succeeds (default 2^20 pages).
 * fake_pages_out counts the pages handed out and not freed, for leak checks.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <mica/plat.h>
#include <mica/sched.h>

#ifndef FAKE_VFS_CONSOLE_EOF
#define FAKE_VFS_CONSOLE_EOF true
#endif
#ifndef FAKE_VFS_MAX_PAGES
#define FAKE_VFS_MAX_PAGES (1u << 20)
#endif

#ifndef FAKE_VFS_OWN_CONSOLE_WRITE
void plat_console_write(const char *buf, size_t len)
{
	(void)buf;
	(void)len;
}
#endif

size_t plat_console_read(char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return 0;
}

bool plat_console_eof(void)
{
	return FAKE_VFS_CONSOLE_EOF;
}

#ifndef FAKE_VFS_OWN_WAIT
void plat_block(uint64_t deadline_ns)
{
	(void)deadline_ns;
	abort();
}

uint64_t plat_time_ns(void)
{
	return 1000;
}

uint64_t plat_wallclock_ns(void)
{
	return 1700000000ULL * 1000000000ULL;
}

void sched_wake(struct sched_thread *t)
{
	(void)t;
}

bool sched_block_until(uint64_t deadline_ns)
{
	(void)deadline_ns;
	abort();
}

bool plat_console_on_event(void (*fn)(void))
{
	(void)fn;
	return false;
}
#endif

struct sched_thread *sched_current(void)
{
	return NULL;
}

struct plat_memregion plat_initrd(void)
{
	return (struct plat_memregion){0, 0};
}

static long fake_pages_out;

void *page_alloc(size_t npages)
{
	void *p = npages == 0 || npages > FAKE_VFS_MAX_PAGES ? NULL : aligned_alloc(4096, npages * 4096);
	if (p != NULL)
		fake_pages_out += (long)npages;
	return p;
}

void page_free(void *p, size_t npages)
{
	free(p);
	fake_pages_out -= (long)npages;
}

#endif
