/* malloc and friends: size-class slabs for small blocks, page runs for large ones. */
#include <stdbool.h>
#include <stdint.h>
#include <mica/alloc.h>
#include <mica/panic.h>
#include <mica/string.h>
#include "internal.h"

/*
 * Every class is a multiple of 16, and a slab page holds its blocks at multiples of the class
 * size from the page start, so a block is aligned to the largest power of two dividing its class.
 */
static const uint16_t heap_class_size[] = {16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048};
#define HEAP_NCLASSES (sizeof(heap_class_size) / sizeof(heap_class_size[0]))
#define HEAP_SMALL_MAX 2048
#define HEAP_MIN_ALIGN 16

/* Any value that user data is unlikely to hold at a block's second word. */
#define HEAP_FREE_TAG ((uintptr_t)0x6d6963616672ee5aULL)

enum heap_kind {
	HEAP_NONE,  /* not the start of a heap block: free, page_alloc'ed, or inside a large block */
	HEAP_SLAB,  /* holds small blocks of one class */
	HEAP_LARGE, /* first page of a large block */
};

/* Lives in a free small block; the tag lets free() suspect a double free without a search. */
struct heap_free {
	struct heap_free *next;
	uintptr_t tag;
};

/*
 * The heap describes each page of the region out of line, so that blocks carry no header and
 * any alignment up to a page costs nothing extra.
 */
struct heap_page {
	struct heap_page *prev, *next; /* slab: in its class's list of slabs with free blocks */
	struct heap_free *free;        /* slab: its free blocks */
	uint32_t npages;               /* large: length of the block */
	uint16_t inuse;                /* slab: blocks handed out */
	uint8_t kind;
	uint8_t cls;
};

static struct heap_page *heap_pages;
static uintptr_t heap_base, heap_end;
static struct heap_page *heap_partial[HEAP_NCLASSES];

int heap_setup(uintptr_t start, uintptr_t end)
{
	size_t n = (end - start) / ALLOC_PAGE_SIZE;
	size_t bytes = n * sizeof(struct heap_page);

	/*
	 * Not cleared: at boot the free region is RAM nothing has written yet, which every platform
	 * hands over zeroed (docs/abi.md §2), and clearing it would fault in one page of this table
	 * per 128 pages of RAM (~110 page faults, ~1.5 ms on proc, for 64 MiB) before main.
	 */
	heap_pages = page_alloc((bytes + ALLOC_PAGE_SIZE - 1) / ALLOC_PAGE_SIZE);
	if (heap_pages == NULL)
		return -1;
	heap_base = start;
	heap_end = end;
	return 0;
}

static uintptr_t heap_page_addr(const struct heap_page *pg)
{
	return heap_base + (uintptr_t)(pg - heap_pages) * ALLOC_PAGE_SIZE;
}

static uintptr_t heap_free_tag(const struct heap_free *b) { return (uintptr_t)b ^ HEAP_FREE_TAG; }

/* The smallest class that fits size and whose blocks are all aligned to align; -1 if none. */
static int heap_class(size_t size, size_t align)
{
	for (unsigned int c = 0; c < HEAP_NCLASSES; c++) {
		if (heap_class_size[c] >= size && heap_class_size[c] % align == 0)
			return (int)c;
	}
	return -1;
}

static void heap_partial_push(struct heap_page *pg)
{
	pg->prev = NULL;
	pg->next = heap_partial[pg->cls];
	if (pg->next != NULL)
		pg->next->prev = pg;
	heap_partial[pg->cls] = pg;
}

static void heap_partial_remove(struct heap_page *pg)
{
	if (pg->prev != NULL)
		pg->prev->next = pg->next;
	else
		heap_partial[pg->cls] = pg->next;
	if (pg->next != NULL)
		pg->next->prev = pg->prev;
}

static struct heap_page *heap_slab_new(int cls)
{
	uintptr_t page = (uintptr_t)page_alloc(1);
	size_t size = heap_class_size[cls];
	struct heap_free *head = NULL;

	if (page == 0)
		return NULL;
	for (size_t off = (ALLOC_PAGE_SIZE / size - 1) * size;; off -= size) {
		struct heap_free *b = (struct heap_free *)(page + off);
		b->next = head;
		b->tag = heap_free_tag(b);
		head = b;
		if (off == 0)
			break;
	}
	struct heap_page *pg = &heap_pages[(page - heap_base) / ALLOC_PAGE_SIZE];
	pg->kind = HEAP_SLAB;
	pg->cls = (uint8_t)cls;
	pg->inuse = 0;
	pg->free = head;
	heap_partial_push(pg);
	return pg;
}

static void *heap_small_alloc(int cls)
{
	struct heap_page *pg = heap_partial[cls];

	if (pg == NULL && (pg = heap_slab_new(cls)) == NULL)
		return NULL;
	struct heap_free *b = pg->free;
	pg->free = b->next;
	b->tag = 0;
	pg->inuse++;
	if (pg->free == NULL)
		heap_partial_remove(pg);
	return b;
}

static void heap_small_free(struct heap_page *pg, void *p)
{
	struct heap_free *b = p;

	if (pg->free == NULL)
		heap_partial_push(pg);
	b->next = pg->free;
	b->tag = heap_free_tag(b);
	pg->free = b;
	pg->inuse--;
	/* One empty slab per class stays, so that a malloc/free loop does not churn pages. */
	if (pg->inuse == 0 && (heap_partial[pg->cls] != pg || pg->next != NULL)) {
		heap_partial_remove(pg);
		pg->kind = HEAP_NONE;
		page_free((void *)heap_page_addr(pg), 1);
	}
}

static void *heap_large_alloc(size_t size, size_t align)
{
	size_t npages = size / ALLOC_PAGE_SIZE + (size % ALLOC_PAGE_SIZE != 0);
	size_t extra = align > ALLOC_PAGE_SIZE ? align / ALLOC_PAGE_SIZE - 1 : 0;
	uintptr_t raw, p;

	if (npages > UINT32_MAX || npages + extra < npages)
		return NULL;
	raw = (uintptr_t)page_alloc(npages + extra);
	if (raw == 0)
		return NULL;
	/* Over-allocated for alignment: the pages either side of the aligned block go back. */
	p = (raw + align - 1) & ~(uintptr_t)(align - 1);
	size_t head = (p - raw) / ALLOC_PAGE_SIZE;
	page_free((void *)raw, head);
	page_free((void *)(p + npages * ALLOC_PAGE_SIZE), extra - head);

	struct heap_page *pg = &heap_pages[(p - heap_base) / ALLOC_PAGE_SIZE];
	pg->kind = HEAP_LARGE;
	pg->npages = (uint32_t)npages;
	return (void *)p;
}

/* The table entry of a live block; any other pointer is a caller bug worth stopping for. */
static struct heap_page *heap_block(void *p, const char *who)
{
	uintptr_t a = (uintptr_t)p;

	if (a < heap_base || a >= heap_end)
		panic("%s: %p is not a heap block", who, p);
	struct heap_page *pg = &heap_pages[(a - heap_base) / ALLOC_PAGE_SIZE];
	size_t off = a % ALLOC_PAGE_SIZE;

	if (pg->kind == HEAP_LARGE && off == 0)
		return pg;
	if (pg->kind == HEAP_SLAB) {
		size_t size = heap_class_size[pg->cls];
		if (off % size == 0 && off / size < ALLOC_PAGE_SIZE / size) {
			struct heap_free *b = p;
			if (b->tag != heap_free_tag(b))
				return pg;
			for (struct heap_free *f = pg->free; f != NULL; f = f->next) {
				if (f == b)
					panic("%s: %p is already free", who, p);
			}
			return pg;
		}
	}
	panic("%s: %p is not a live heap block", who, p);
}

static size_t heap_usable(const struct heap_page *pg)
{
	return pg->kind == HEAP_SLAB ? heap_class_size[pg->cls] : (size_t)pg->npages * ALLOC_PAGE_SIZE;
}

void *heap_alloc(size_t size)
{
	if (size <= HEAP_SMALL_MAX)
		return heap_small_alloc(heap_class(size, HEAP_MIN_ALIGN));
	return heap_large_alloc(size, ALLOC_PAGE_SIZE);
}

void *heap_aligned_alloc(size_t align, size_t size)
{
	if (align == 0 || (align & (align - 1)) != 0)
		return NULL;
	/* Like heap_alloc(0), a distinct block; a large one of zero pages would be no block at all. */
	if (size == 0)
		size = 1;
	if (align <= HEAP_MIN_ALIGN)
		return heap_alloc(size);
	if (size <= HEAP_SMALL_MAX && align <= HEAP_SMALL_MAX)
		return heap_small_alloc(heap_class(size, align));
	return heap_large_alloc(size, align > ALLOC_PAGE_SIZE ? align : ALLOC_PAGE_SIZE);
}

void heap_free(void *p)
{
	if (p == NULL)
		return;
	struct heap_page *pg = heap_block(p, "free");

	if (pg->kind == HEAP_SLAB) {
		heap_small_free(pg, p);
	} else {
		pg->kind = HEAP_NONE;
		page_free(p, pg->npages);
	}
}

void *heap_calloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	p = heap_alloc(total);
	if (p != NULL)
		memset(p, 0, total);
	return p;
}

void *heap_realloc(void *p, size_t size)
{
	if (p == NULL)
		return heap_alloc(size);
	if (size == 0) {
		heap_free(p);
		return NULL;
	}
	struct heap_page *pg = heap_block(p, "realloc");
	size_t old = heap_usable(pg);

	if (pg->kind == HEAP_SLAB && size <= old && heap_class(size, HEAP_MIN_ALIGN) == pg->cls)
		return p;
	if (pg->kind == HEAP_LARGE && size > HEAP_SMALL_MAX && size <= old) {
		/* Shrinking in place: the pages past the new end go back. */
		size_t keep = size / ALLOC_PAGE_SIZE + (size % ALLOC_PAGE_SIZE != 0);
		page_free((char *)p + keep * ALLOC_PAGE_SIZE, pg->npages - keep);
		pg->npages = (uint32_t)keep;
		return p;
	}

	void *q = heap_alloc(size);
	if (q == NULL)
		return NULL;
	memcpy(q, p, size < old ? size : old);
	heap_free(p);
	return q;
}
