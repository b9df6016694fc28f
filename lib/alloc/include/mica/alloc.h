/* Memory allocation: whole pages, and a malloc-style heap on top of them. */
#ifndef MICA_ALLOC_H
#define MICA_ALLOC_H

#include <stddef.h>

#define ALLOC_PAGE_SIZE 4096UL

/* npages contiguous, page-aligned pages, not zeroed; NULL if no run that long is free. */
void *page_alloc(size_t npages);
/* Returns pages from page_alloc; any page-aligned sub-run of an allocation may be freed alone. */
void page_free(void *p, size_t npages);

/*
 * The heap. Blocks are 16-byte aligned; every function returns NULL when memory runs out and
 * never stops the guest for it. Freeing a pointer the heap did not hand out panics. With the
 * built-in libc these are also malloc, free, calloc, realloc and aligned_alloc.
 */
void *heap_alloc(size_t size);
void heap_free(void *p);
/* Zeroed; NULL if n * size overflows. */
void *heap_calloc(size_t n, size_t size);
/* heap_realloc(NULL, n) allocates; heap_realloc(p, 0) frees p and returns NULL. On failure p stays. */
void *heap_realloc(void *p, size_t size);
/* align must be a power of two, else NULL. */
void *heap_aligned_alloc(size_t align, size_t size);

void *malloc(size_t size);
void free(void *p);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void *aligned_alloc(size_t align, size_t size);

#endif
