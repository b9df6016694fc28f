/* How posix-mem's parts share the list of mappings and the program break. */
#ifndef POSIX_MEM_INTERNAL_H
#define POSIX_MEM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The mappings mmap handed out, each a page-aligned run [start, end) of page_alloc pages, kept
 * sorted and never overlapping. Adding needs a free slot: posix_mem_maps_reserve makes sure of
 * the slots an operation needs first, so that it fails before it has changed anything.
 */
int posix_mem_maps_reserve(size_t slots); /* 0 or -ENOMEM */
void posix_mem_maps_add(uintptr_t start, uintptr_t end);
/*
 * Frees whatever pages of [start, end) are mapped, splitting mappings. 0, or -ENOMEM (and no
 * change) when cutting a hole needs a slot that cannot be had.
 */
int posix_mem_maps_remove(uintptr_t start, uintptr_t end);
bool posix_mem_maps_cover(uintptr_t start, uintptr_t end);
bool posix_mem_maps_overlap(uintptr_t start, uintptr_t end);
/* Zeroes the mapped parts of [start, end); returns how many bytes those were. */
size_t posix_mem_maps_clear(uintptr_t start, uintptr_t end);
size_t posix_mem_maps_bytes(void);

/* The break's MICA_INIT_LIB initcall (host unit tests call it), and its MADV_DONTNEED zeroing. */
int posix_mem_brk_init(void);
size_t posix_mem_brk_clear(uintptr_t start, uintptr_t end);

/* The system call handlers, named so that host unit tests can call them. */
long posix_mem_sys_brk(long, long, long, long, long, long);
long posix_mem_sys_mmap(long, long, long, long, long, long);
long posix_mem_sys_munmap(long, long, long, long, long, long);
long posix_mem_sys_mremap(long, long, long, long, long, long);
long posix_mem_sys_mprotect(long, long, long, long, long, long);
long posix_mem_sys_madvise(long, long, long, long, long, long);

#endif
