/* Small objects for the vfs (inodes, entries, open files) carved from pages, in power-of-two classes. */
#include "vfs.h"
#include <arch/string.h>

/*
 * Not malloc: with musl that is the C library's, which sits above the system calls this library
 * implements. Classes run from 32 bytes to half a page; anything larger takes whole pages. Freed
 * objects wait on their class's list for the next allocation of that class.
 */
#define MEM_MIN_SHIFT 5
#define MEM_CLASSES 7 /* 32 .. 2048 */

struct mem_free {
	struct mem_free *next;
};

static struct mem_free *mem_lists[MEM_CLASSES];

static unsigned mem_class(size_t size)
{
	unsigned c = 0;

	while (((size_t)1 << (c + MEM_MIN_SHIFT)) < size)
		c++;
	return c;
}

static size_t mem_pages(size_t size)
{
	return size / VFS_PAGE + (size % VFS_PAGE != 0);
}

void *vfs_alloc(size_t size)
{
	void *p;

	if (size > (VFS_PAGE >> 1)) {
		p = page_alloc(mem_pages(size));
		if (p != NULL)
			memset(p, 0, mem_pages(size) * VFS_PAGE);
		return p;
	}
	unsigned c = mem_class(size);
	size_t objsize = (size_t)1 << (c + MEM_MIN_SHIFT);
	if (mem_lists[c] == NULL) {
		char *page = page_alloc(1);

		if (page == NULL)
			return NULL;
		for (size_t off = VFS_PAGE; off >= objsize; off -= objsize) {
			struct mem_free *o = (struct mem_free *)(page + off - objsize);

			o->next = mem_lists[c];
			mem_lists[c] = o;
		}
	}
	p = mem_lists[c];
	mem_lists[c] = mem_lists[c]->next;
	memset(p, 0, objsize);
	return p;
}

void vfs_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	if (size > (VFS_PAGE >> 1)) {
		page_free(p, mem_pages(size));
		return;
	}
	struct mem_free *o = p;
	unsigned c = mem_class(size);

	o->next = mem_lists[c];
	mem_lists[c] = o;
}
