/* unit-sources: lib/posix-mem/maps.c lib/posix-mem/mmap.c lib/posix-mem/brk.c lib/alloc/page.c */
/* unit-cflags: -Ilib/syscall/include -Ilib/posix-mem/include -DCONFIG_LIB_POSIX_MEM_BRK_KIB=8192 */
/*
 * Host test of lib/posix-mem over a 4 MiB arena: brk limits and zeroing,
 * mmap's checks, munmap splitting mappings and giving every page back, mremap in both
 * directions, madvise and the out-of-memory answers. The handlers are called as the
 * syscall dispatcher would.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <mica/alloc.h>
#include <mica/plat.h>
#include <mica/posix_mem.h>
#include "../../lib/alloc/internal.h"
#include "../../lib/posix-mem/internal.h"
#include "unit.h"

#define PAGE 4096L
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define ARENA_SIZE (4L << 20)

/* The platform is only asked for its free memory: this arena, which page_alloc manages. */
static unsigned char arena[ARENA_SIZE] __attribute__((aligned(4096)));

struct plat_memregion plat_free_memory(void)
{
	return (struct plat_memregion){(uintptr_t)arena, (uintptr_t)arena + ARENA_SIZE};
}

/* page.c panics on a bad free: that is a bug in the code under test, so the test ends there. */
#include "fatal_panic.h"

static long do_mmap(long len, long flags) { return posix_mem_sys_mmap(0, len, RW, flags, -1, 0); }

/* The vfs under file mappings: fd 3 is a 6000-byte file of 'f', anything else is not open. */
#define FILE_FD 3
#define FILE_SIZE 6000
long mica_syscall(long n, long fd, long buf, long len, long off, long a5, long a6)
{
	(void)a5;
	(void)a6;
	if (n != SYS_pread64)
		return -ENOSYS;
	if (fd != FILE_FD)
		return -EBADF;
	long left = off < FILE_SIZE ? FILE_SIZE - off : 0, k = len < left ? len : left;
	memset((void *)buf, 'f', (size_t)k);
	return k;
}

static int all_bytes(long addr, long len, unsigned char v)
{
	for (long i = 0; i < len; i++)
		if (((unsigned char *)addr)[i] != v)
			return 0;
	return 1;
}

/* The pages page_alloc can still give, counted by taking them all and giving them back. */
static size_t free_pages(void)
{
	static void *pages[ARENA_SIZE / PAGE];
	size_t n = 0;

	while ((pages[n] = page_alloc(1)) != NULL)
		n++;
	for (size_t i = 0; i < n; i++)
		page_free(pages[i], 1);
	return n;
}

static void test_brk(void)
{
	long b0 = posix_mem_sys_brk(0, 0, 0, 0, 0, 0);
	long limit = ARENA_SIZE / 4; /* the Kconfig size is larger than a quarter of the arena */

	unit_check(b0 != 0 && b0 % PAGE == 0 && b0 >= (long)arena && b0 < (long)arena + (long)ARENA_SIZE,
		   "brk(0) is the page-aligned start of the region", "%#lx", b0);
	unit_check(posix_mem_sys_brk(b0 + 100, 0, 0, 0, 0, 0) == b0 + 100 && all_bytes(b0, 100, 0),
		   "brk grows, and the new memory is zero", NULL);
	memset((void *)b0, 0xaa, 100);
	posix_mem_sys_brk(b0 + 10, 0, 0, 0, 0, 0);
	unit_check(posix_mem_sys_brk(b0 + 100, 0, 0, 0, 0, 0) == b0 + 100 && all_bytes(b0, 10, 0xaa) &&
			   all_bytes(b0 + 10, 90, 0),
		   "shrinking then growing the break gives zeroes again", NULL);
	unit_check(posix_mem_sys_brk(b0 + limit, 0, 0, 0, 0, 0) == b0 + limit,
		   "brk reaches the end of the region (a quarter of free memory)", NULL);
	unit_check(posix_mem_sys_brk(b0 + limit + 1, 0, 0, 0, 0, 0) == b0 + limit,
		   "brk past the region returns the old break", NULL);
	unit_check(posix_mem_sys_brk(b0 - PAGE, 0, 0, 0, 0, 0) == b0 + limit,
		   "brk below the region returns the old break", NULL);
	unit_check(posix_mem_sys_brk(0, 0, 0, 0, 0, 0) == b0 + limit, "brk(0) returns the break", NULL);
	unit_check(posix_mem_in_use() == (size_t)limit, "the region counts as in use", "%zu", posix_mem_in_use());
	posix_mem_sys_brk(b0 + PAGE, 0, 0, 0, 0, 0);
}

static void test_mmap_checks(void)
{
	unit_check(do_mmap(0, ANON) == -EINVAL, "mmap of length 0 is EINVAL", NULL);
	long m = posix_mem_sys_mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, FILE_FD, PAGE);
	unit_check(m > 0 && all_bytes(m, FILE_SIZE - PAGE, 'f') && all_bytes(m + FILE_SIZE - PAGE, 2 * PAGE - (FILE_SIZE - PAGE), 0),
		   "a private file mapping is the file from the offset, then zeros", NULL);
	posix_mem_sys_munmap(m, 2 * PAGE, 0, 0, 0, 0);
	/* Counted from here: the first mapping allocated the mapping list's own page. */
	size_t before = free_pages();
	unit_check(posix_mem_sys_mmap(0, PAGE, RW, MAP_SHARED, FILE_FD, 0) == -ENODEV,
		   "a shared writable file mapping is ENODEV", NULL);
	unit_check(posix_mem_sys_mmap(0, PAGE, PROT_READ, MAP_PRIVATE, 7, 0) == -EBADF,
		   "a file mapping of a closed fd is EBADF", NULL);
	unit_check(free_pages() == before, "failed file mappings leave no pages behind", "%zu then %zu", before, free_pages());
	unit_check(posix_mem_sys_mmap(0, PAGE, RW, MAP_PRIVATE, -1, 0) == -EBADF,
		   "a file mapping without a file is EBADF", NULL);
	unit_check(posix_mem_sys_mmap(0, PAGE, RW, ANON, -1, 100) == -EINVAL, "an unaligned offset is EINVAL", NULL);
	unit_check(do_mmap(PAGE, MAP_ANONYMOUS) == -EINVAL, "neither private nor shared is EINVAL", NULL);
	unit_check(do_mmap(-1L, ANON) == -ENOMEM, "a length that overflows when rounded is ENOMEM", NULL);
	unit_check(do_mmap(2 * ARENA_SIZE, ANON) == -ENOMEM, "more than there is is ENOMEM", NULL);
	unit_check(posix_mem_sys_mmap((long)arena + 3 * PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0) == -EINVAL,
		   "MAP_FIXED outside our mappings is EINVAL", NULL);
}

static void test_mmap_basic(void)
{
	size_t before = free_pages();
	long a = do_mmap(10000, ANON);

	unit_check(a > 0 && a % PAGE == 0 && a >= (long)arena && a + 3 * PAGE <= (long)arena + (long)ARENA_SIZE &&
			   all_bytes(a, 3 * PAGE, 0),
		   "mmap gives page-aligned zeroed pages", "%#lx", a);
	unit_check(before - free_pages() == 3 && posix_mem_maps_bytes() == 3 * PAGE,
		   "a mapping takes its rounded length from page_alloc", NULL);
	memset((void *)a, 0x5a, 3 * PAGE);
	unit_check(posix_mem_sys_mmap(a + PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0) == a + PAGE &&
			   all_bytes(a, PAGE, 0x5a) && all_bytes(a + PAGE, PAGE, 0) && all_bytes(a + 2 * PAGE, PAGE, 0x5a),
		   "MAP_FIXED over our mapping replaces it with zeroes", NULL);
	unit_check(posix_mem_sys_mmap(a, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0) == -EEXIST,
		   "MAP_FIXED_NOREPLACE over a mapping is EEXIST", NULL);
	long s = do_mmap(PAGE, MAP_SHARED | MAP_ANONYMOUS);
	unit_check(s > 0 && all_bytes(s, PAGE, 0), "a shared anonymous mapping works as a private one", NULL);
	unit_check(posix_mem_sys_munmap(a, 3 * PAGE, 0, 0, 0, 0) == 0 && posix_mem_sys_munmap(s, PAGE, 0, 0, 0, 0) == 0 &&
			   free_pages() == before && posix_mem_maps_bytes() == 0,
		   "munmap gives the pages back", NULL);
}

static void test_munmap_split(void)
{
	size_t before = free_pages();
	long a = do_mmap(8 * PAGE, ANON);

	for (int i = 0; i < 8; i++)
		memset((void *)(a + i * PAGE), i + 1, PAGE);
	unit_check(posix_mem_sys_munmap(a + 2 * PAGE, 2 * PAGE, 0, 0, 0, 0) == 0 && before - free_pages() == 6,
		   "munmap of the middle frees just those pages", NULL);
	unit_check(posix_mem_maps_cover(a, a + 2 * PAGE) && !posix_mem_maps_overlap(a + 2 * PAGE, a + 4 * PAGE) &&
			   posix_mem_maps_cover(a + 4 * PAGE, a + 8 * PAGE),
		   "the mapping is split in two around the hole", NULL);
	int kept = 1;
	for (int i = 0; i < 8; i++)
		if (i != 2 && i != 3)
			kept = kept && all_bytes(a + i * PAGE, PAGE, (unsigned char)(i + 1));
	unit_check(kept, "the pages on both sides keep their contents", NULL);
	unit_check(posix_mem_sys_mmap(a + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0) == -EINVAL,
		   "MAP_FIXED into the hole is EINVAL", NULL);
	unit_check(posix_mem_sys_munmap(a + 2 * PAGE, 2 * PAGE, 0, 0, 0, 0) == 0, "munmap of an unmapped range is 0",
		   NULL);
	unit_check(posix_mem_sys_munmap(a + 1, PAGE, 0, 0, 0, 0) == -EINVAL &&
			   posix_mem_sys_munmap(a, 0, 0, 0, 0, 0) == -EINVAL,
		   "munmap of an unaligned address or length 0 is EINVAL", NULL);
	/* One call across the hole: the head's tail, the hole, the second piece's head. */
	unit_check(posix_mem_sys_munmap(a + PAGE, 4 * PAGE, 0, 0, 0, 0) == 0 && posix_mem_maps_cover(a, a + PAGE) &&
			   posix_mem_maps_cover(a + 5 * PAGE, a + 8 * PAGE) && !posix_mem_maps_overlap(a + PAGE, a + 5 * PAGE) &&
			   before - free_pages() == 4,
		   "munmap across two mappings trims both", NULL);
	posix_mem_sys_munmap(a, 8 * PAGE, 0, 0, 0, 0);
	unit_check(free_pages() == before && posix_mem_maps_bytes() == 0, "every split piece is freed", NULL);

	/* Every other page: 32 mappings out of one, more than fit before the list first grows. */
	static long many[300];
	int ok = 1;
	a = do_mmap(64 * PAGE, ANON);
	for (int i = 0; i < 64 && ok; i += 2)
		ok = posix_mem_sys_munmap(a + i * PAGE, PAGE, 0, 0, 0, 0) == 0;
	for (int i = 0; i < 300 && ok; i++)
		ok = (many[i] = do_mmap(PAGE, ANON)) > 0;
	unit_check(ok && posix_mem_maps_bytes() == (32 + 300) * PAGE, "hundreds of mappings", NULL);
	for (int i = 0; i < 300; i++)
		posix_mem_sys_munmap(many[i], PAGE, 0, 0, 0, 0);
	posix_mem_sys_munmap(a, 64 * PAGE, 0, 0, 0, 0);
	/* The list keeps the pages it grew into: at most a few. */
	size_t after = free_pages();
	unit_check(posix_mem_maps_bytes() == 0 && after <= before && before - after <= 4,
		   "after unmapping them all, only the list's own pages stay taken", "%zu pages missing", before - after);
}

static void test_mremap(void)
{
	size_t before = free_pages();
	long a = do_mmap(4 * PAGE, ANON);

	memset((void *)a, 0x11, 4 * PAGE);
	unit_check(posix_mem_sys_mremap(a, 4 * PAGE, 2 * PAGE, 0, 0, 0) == a && before - free_pages() == 2 &&
			   !posix_mem_maps_overlap(a + 2 * PAGE, a + 4 * PAGE),
		   "mremap shrinks in place", NULL);
	unit_check(posix_mem_sys_mremap(a, 2 * PAGE, 3 * PAGE, 0, 0, 0) == -ENOMEM,
		   "growing without MREMAP_MAYMOVE is ENOMEM", NULL);
	long b = posix_mem_sys_mremap(a, 2 * PAGE, 5 * PAGE, MREMAP_MAYMOVE, 0, 0);
	unit_check(b > 0 && b != a && all_bytes(b, 2 * PAGE, 0x11) && all_bytes(b + 2 * PAGE, 3 * PAGE, 0) &&
			   !posix_mem_maps_overlap(a, a + 2 * PAGE) && posix_mem_maps_cover(b, b + 5 * PAGE) &&
			   before - free_pages() == 5,
		   "growing with MREMAP_MAYMOVE moves, copies and zeroes the rest", "%#lx", b);
	/* Part of a mapping moved out of its middle leaves a hole behind. */
	memset((void *)(b + 2 * PAGE), 0x22, PAGE);
	long c = posix_mem_sys_mremap(b + 2 * PAGE, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0, 0);
	unit_check(c > 0 && all_bytes(c, PAGE, 0x22) && all_bytes(c + PAGE, PAGE, 0) &&
			   posix_mem_maps_cover(b, b + 2 * PAGE) && !posix_mem_maps_overlap(b + 2 * PAGE, b + 3 * PAGE) &&
			   posix_mem_maps_cover(b + 3 * PAGE, b + 5 * PAGE),
		   "moving a middle part splits the old mapping", NULL);
	unit_check(posix_mem_sys_mremap(b + 2 * PAGE, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0, 0) == -EFAULT,
		   "mremap of unmapped memory is EFAULT", NULL);
	unit_check(posix_mem_sys_mremap(b, PAGE, 0, MREMAP_MAYMOVE, 0, 0) == -EINVAL &&
			   posix_mem_sys_mremap(b, 0, PAGE, MREMAP_MAYMOVE, 0, 0) == -EINVAL &&
			   posix_mem_sys_mremap(b, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, c, 0) == -EINVAL &&
			   posix_mem_sys_mremap(b + 1, PAGE, PAGE, 0, 0, 0) == -EINVAL,
		   "mremap to size 0, from size 0, MREMAP_FIXED or unaligned is EINVAL", NULL);
	unit_check(posix_mem_sys_mremap(b, PAGE, 2 * ARENA_SIZE, MREMAP_MAYMOVE, 0, 0) == -ENOMEM &&
			   all_bytes(b, 2 * PAGE, 0x11),
		   "growing past free memory is ENOMEM and keeps the old mapping", NULL);
	posix_mem_sys_munmap(b, 5 * PAGE, 0, 0, 0, 0);
	posix_mem_sys_munmap(c, 2 * PAGE, 0, 0, 0, 0);
	unit_check(free_pages() == before && posix_mem_maps_bytes() == 0, "mremap leaks no pages", NULL);
}

static void test_madvise_mprotect(void)
{
	long a = do_mmap(2 * PAGE, ANON), b0 = posix_mem_sys_brk(0, 0, 0, 0, 0, 0) - PAGE;

	memset((void *)a, 0x33, 2 * PAGE);
	memset((void *)b0, 0x44, PAGE);
	unit_check(posix_mem_sys_madvise(a, 2 * PAGE, MADV_FREE, 0, 0, 0) == 0 && all_bytes(a, 2 * PAGE, 0x33),
		   "MADV_FREE is accepted and changes nothing", NULL);
	unit_check(posix_mem_sys_madvise(a + PAGE, PAGE, MADV_DONTNEED, 0, 0, 0) == 0 && all_bytes(a, PAGE, 0x33) &&
			   all_bytes(a + PAGE, PAGE, 0),
		   "MADV_DONTNEED zeroes a mapping's pages", NULL);
	unit_check(posix_mem_sys_madvise(b0, PAGE, MADV_DONTNEED, 0, 0, 0) == 0 && all_bytes(b0, PAGE, 0),
		   "MADV_DONTNEED zeroes the break's pages", NULL);
	unit_check(posix_mem_sys_madvise((long)arena - 16 * PAGE, PAGE, MADV_DONTNEED, 0, 0, 0) == -ENOMEM,
		   "MADV_DONTNEED outside our memory is ENOMEM", NULL);
	unit_check(posix_mem_sys_madvise(a, PAGE, 12345, 0, 0, 0) == -EINVAL &&
			   posix_mem_sys_madvise(a + 1, PAGE, MADV_NORMAL, 0, 0, 0) == -EINVAL,
		   "unknown advice or an unaligned address is EINVAL", NULL);
	unit_check(posix_mem_sys_mprotect(a, PAGE, PROT_NONE, 0, 0, 0) == 0 &&
			   posix_mem_sys_mprotect(a, PAGE, PROT_READ | PROT_EXEC, 0, 0, 0) == 0 &&
			   posix_mem_sys_mprotect(a + 1, PAGE, PROT_READ, 0, 0, 0) == -EINVAL &&
			   posix_mem_sys_mprotect(a, PAGE, 0x100, 0, 0, 0) == -EINVAL,
		   "mprotect accepts any protection and checks its arguments", NULL);
	posix_mem_sys_munmap(a, 2 * PAGE, 0, 0, 0, 0);
}

int main(void)
{
	unit_check(page_setup((uintptr_t)arena, (uintptr_t)arena + ARENA_SIZE) == 0 && posix_mem_brk_init() == 0,
		   "page_setup and posix_mem_brk_init", NULL);
	test_brk();
	test_mmap_checks();
	test_mmap_basic();
	test_munmap_split();
	test_mremap();
	test_madvise_mprotect();
	return unit_exit_status();
}
