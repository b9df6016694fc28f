/* The program break: one region reserved at boot, handed out by brk and zeroed as it grows. */
#include <stdint.h>
#include <sys/syscall.h>
#include <arch/string.h>
#include <mica/alloc.h>
#include <mica/init.h>
#include <mica/plat.h>
#include <mica/posix_mem.h>
#include <mica/syscall.h>
#include "internal.h"

/* [brk_start, brk_cur) is the program's heap; it may grow up to brk_end. */
static uintptr_t brk_start, brk_cur, brk_end;

int posix_mem_brk_init(void)
{
	struct plat_memregion r = plat_free_memory();
	size_t size = (size_t)CONFIG_LIB_POSIX_MEM_BRK_KIB * 1024;

	if (size > (r.end - r.start) / 4)
		size = (r.end - r.start) / 4;
	size &= ~(ALLOC_PAGE_SIZE - 1);
	void *p = size ? page_alloc(size / ALLOC_PAGE_SIZE) : NULL;
	/* Without the region brk fails whenever asked to grow, and malloc falls back to mmap. */
	if (p == NULL)
		return 0;
	brk_start = brk_cur = (uintptr_t)p;
	brk_end = brk_start + size;
	return 0;
}
MICA_INITCALL(posix_mem_brk_init, MICA_INIT_LIB);

/* Returns the break, as the Linux system call does: unchanged when the request cannot be met. */
long posix_mem_sys_brk(MICA_SYSCALL_ARGS)
{
	uintptr_t want = (uintptr_t)a1;

	if (want < brk_start || want > brk_end)
		return (long)brk_cur;
	/* Memory past the old break must read as zero however often the break went down and up. */
	if (want > brk_cur)
		memset((void *)brk_cur, 0, want - brk_cur);
	brk_cur = want;
	return (long)brk_cur;
}
MICA_SYSCALL(SYS_brk, posix_mem_sys_brk);

size_t posix_mem_brk_clear(uintptr_t start, uintptr_t end)
{
	/* The page the break lies in is mapped whole, as on Linux. */
	uintptr_t top = (brk_cur + ALLOC_PAGE_SIZE - 1) & ~(ALLOC_PAGE_SIZE - 1);
	uintptr_t lo = start > brk_start ? start : brk_start;
	uintptr_t hi = end < top ? end : top;

	if (lo >= hi)
		return 0;
	memset((void *)lo, 0, hi - lo);
	return hi - lo;
}

size_t posix_mem_in_use(void) { return posix_mem_maps_bytes() + (brk_end - brk_start); }
