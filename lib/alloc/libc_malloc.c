/* The built-in libc's malloc family: the heap under the standard names, when no other libc is linked. */
#include <mica/alloc.h>

void *malloc(size_t size)
{
	return heap_alloc(size);
}

void free(void *p)
{
	heap_free(p);
}

void *calloc(size_t n, size_t size)
{
	return heap_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	return heap_realloc(p, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	return heap_aligned_alloc(align, size);
}
