/* How the allocator's parts are set up over the platform's free memory. */
#ifndef ALLOC_INTERNAL_H
#define ALLOC_INTERNAL_H

#include <stdint.h>

/* Both take the page-aligned region [start, end); each returns 0 or -1. */
int page_setup(uintptr_t start, uintptr_t end);
int heap_setup(uintptr_t start, uintptr_t end);

/* The MICA_INIT_MEM initcall; host unit tests call it directly. */
int alloc_init(void);

#endif
