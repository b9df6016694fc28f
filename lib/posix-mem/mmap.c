/* The memory-mapping system calls: mmap (anonymous, and private copies of files), munmap, mremap, mprotect, madvise. */
#define _GNU_SOURCE 1 /* musl's headers define MREMAP_* only for GNU code */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <arch/string.h>
#include <mica/alloc.h>
#include <mica/syscall.h>
#include "internal.h"

#define MMAP_PAGE_MASK (ALLOC_PAGE_SIZE - 1)

/* len rounded up to whole pages; 0 when that overflows. */
static size_t mmap_round(unsigned long len)
{
	if (len > SIZE_MAX - MMAP_PAGE_MASK)
		return 0;
	return (len + MMAP_PAGE_MASK) & ~MMAP_PAGE_MASK;
}

/* Fresh zeroed pages recorded as a mapping: their address, or 0 without memory. */
static uintptr_t mmap_new(size_t len)
{
	if (posix_mem_maps_reserve(1) != 0)
		return 0;
	void *p = page_alloc(len / ALLOC_PAGE_SIZE);
	if (p == NULL)
		return 0;
	memset(p, 0, len);
	posix_mem_maps_add((uintptr_t)p, (uintptr_t)p + len);
	return (uintptr_t)p;
}

/*
 * A private mapping of a file is a copy of it as read at mmap time, which is what the program
 * may observe of one it does not write through; the file is read through the vfs's pread. A
 * shared writable file mapping would have to write back and is refused.
 */
static long mmap_file(int fd, int prot, int flags, size_t len, unsigned long off)
{
	if ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE))
		return -ENODEV;
	uintptr_t addr = mmap_new(len);
	if (!addr)
		return -ENOMEM;
	long n = mica_syscall(SYS_pread64, fd, (long)addr, (long)len, (long)off, 0, 0);
	if (n < 0) {
		posix_mem_maps_remove(addr, addr + len);
		return n == -ESPIPE ? -ENODEV : n;
	}
	return (long)addr;
}

/*
 * prot is not looked at: guest memory has no per-page protection. A shared anonymous mapping is
 * a private one, as there is no other process to share it with. The address is only honoured
 * with MAP_FIXED, and then only over mappings of ours: the page allocator cannot hand out a
 * chosen address.
 */
long posix_mem_sys_mmap(MICA_SYSCALL_ARGS)
{
	uintptr_t addr = (uintptr_t)a1;
	int flags = (int)a4, fd = (int)a5;
	size_t len;

	if ((unsigned long)a6 & MMAP_PAGE_MASK)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS) && fd < 0)
		return -EBADF;
	if (a2 == 0)
		return -EINVAL;
	len = mmap_round((unsigned long)a2);
	if (len == 0)
		return -ENOMEM;
	if (!(flags & MAP_ANONYMOUS)) {
		if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
			return -EINVAL;
		return mmap_file(fd, (int)a3, flags, len, (unsigned long)a6);
	}
	switch (flags & MAP_TYPE) {
	case MAP_PRIVATE:
	case MAP_SHARED:
	case MAP_SHARED_VALIDATE:
		break;
	default:
		return -EINVAL;
	}

	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr & MMAP_PAGE_MASK)
			return -EINVAL;
		if (addr + len < addr)
			return -ENOMEM;
		if (flags & MAP_FIXED_NOREPLACE) {
			/* Elsewhere when free, as a kernel that predates the flag does: callers check. */
			if (posix_mem_maps_overlap(addr, addr + len))
				return -EEXIST;
		} else {
			if (!posix_mem_maps_cover(addr, addr + len))
				return -EINVAL;
			/* Replacing private anonymous memory with new anonymous memory: zeroes. */
			memset((void *)addr, 0, len);
			return (long)addr;
		}
	}
	addr = mmap_new(len);
	return addr ? (long)addr : -ENOMEM;
}
MICA_SYSCALL(SYS_mmap, posix_mem_sys_mmap);

long posix_mem_sys_munmap(MICA_SYSCALL_ARGS)
{
	uintptr_t addr = (uintptr_t)a1;
	size_t len = mmap_round((unsigned long)a2);

	if ((addr & MMAP_PAGE_MASK) || len == 0 || addr + len < addr)
		return -EINVAL;
	/* Pages in the range that are not ours (image, brk, other libraries') stay as they are. */
	return posix_mem_maps_remove(addr, addr + len);
}
MICA_SYSCALL(SYS_munmap, posix_mem_sys_munmap);

/*
 * Growing always moves (with MREMAP_MAYMOVE): the page allocator cannot extend a run in place.
 * MREMAP_FIXED and MREMAP_DONTUNMAP are refused for the same reason and because no mapping here
 * can be shared between two addresses.
 */
long posix_mem_sys_mremap(MICA_SYSCALL_ARGS)
{
	uintptr_t old = (uintptr_t)a1;
	size_t old_len = mmap_round((unsigned long)a2), new_len = mmap_round((unsigned long)a3);
	int flags = (int)a4;

	if ((old & MMAP_PAGE_MASK) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)))
		return -EINVAL;
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	/* old_size 0 asks Linux to duplicate a shared mapping; ours are all private. */
	if (new_len == 0 || old_len == 0)
		return -EINVAL;
	if (old + old_len < old || !posix_mem_maps_cover(old, old + old_len))
		return -EFAULT;

	if (new_len <= old_len) {
		int r = posix_mem_maps_remove(old + new_len, old + old_len);
		return r != 0 ? r : (long)old;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	/* One slot for the new mapping, one for a hole the old range may leave behind. */
	if (posix_mem_maps_reserve(2) != 0)
		return -ENOMEM;
	void *p = page_alloc(new_len / ALLOC_PAGE_SIZE);
	if (p == NULL)
		return -ENOMEM;
	memcpy(p, (void *)old, old_len);
	memset((char *)p + old_len, 0, new_len - old_len);
	posix_mem_maps_add((uintptr_t)p, (uintptr_t)p + new_len);
	posix_mem_maps_remove(old, old + old_len);
	return (long)p;
}
MICA_SYSCALL(SYS_mremap, posix_mem_sys_mremap);

/* Every protection is accepted and none enforced: guest memory has no per-page protection. */
long posix_mem_sys_mprotect(MICA_SYSCALL_ARGS)
{
	uintptr_t addr = (uintptr_t)a1;
	size_t len = mmap_round((unsigned long)a2);
	int prot = (int)a3;

	if ((addr & MMAP_PAGE_MASK) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP)) ||
	    (prot & (PROT_GROWSDOWN | PROT_GROWSUP)) == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (a2 != 0 && (len == 0 || addr + len < addr))
		return -ENOMEM;
	return 0;
}
MICA_SYSCALL(SYS_mprotect, posix_mem_sys_mprotect);

/*
 * MADV_DONTNEED zeroes, as Linux does for private anonymous memory; it covers mappings and the
 * break, and any other part of the range is reported as unmapped (ENOMEM) and left alone. Every
 * other advice Linux knows is a hint there is nothing to do about here.
 */
long posix_mem_sys_madvise(MICA_SYSCALL_ARGS)
{
	uintptr_t addr = (uintptr_t)a1;
	size_t len = mmap_round((unsigned long)a2);

	switch (a3) {
	case MADV_DONTNEED:
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_FREE:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
	case MADV_COLD:
	case MADV_PAGEOUT:
		break;
	default:
		return -EINVAL;
	}
	if ((addr & MMAP_PAGE_MASK) || (a2 != 0 && len == 0) || addr + len < addr)
		return -EINVAL;
	if (a3 != MADV_DONTNEED || len == 0)
		return 0;
	size_t cleared = posix_mem_maps_clear(addr, addr + len) + posix_mem_brk_clear(addr, addr + len);
	return cleared == len ? 0 : -ENOMEM;
}
MICA_SYSCALL(SYS_madvise, posix_mem_sys_madvise);
