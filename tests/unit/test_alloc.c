/* unit-sources: lib/alloc/page.c lib/alloc/heap.c lib/alloc/libc_malloc.c lib/alloc/init.c lib/core/panic.c lib/core/console.c lib/core/format.c lib/core/string.c */
/* unit-cflags: -Dmalloc=mica_malloc -Dfree=mica_free -Dcalloc=mica_calloc -Drealloc=mica_realloc -Daligned_alloc=mica_aligned_alloc -Dprintf=mica_printf -Dvprintf=mica_vprintf -Dsnprintf=mica_snprintf -Dvsnprintf=mica_vsnprintf -Dputs=mica_puts -Dputchar=mica_putchar -Dstrlen=mica_strlen -Dstrnlen=mica_strnlen -Dstrcmp=mica_strcmp -Dstrncmp=mica_strncmp -Dstrchr=mica_strchr -Dmemchr=mica_memchr */
/*
 * Host test of lib/alloc over a 4 MiB static arena: page runs and their coalescing, exhaustion,
 * a long random malloc/free/realloc/calloc/aligned_alloc sequence with pattern checks, and the
 * panics that catch bad frees. The library's malloc family is renamed to mica_* by the cflags.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <mica/alloc.h>
#include "../../lib/alloc/internal.h"
#include "fake_plat.h"
#include "unit.h"

#define ARENA_PAGES (ARENA_SIZE / ALLOC_PAGE_SIZE)

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int in_arena(const void *p, size_t len)
{
	return (uintptr_t)p >= (uintptr_t)arena && (uintptr_t)p + len <= (uintptr_t)arena + ARENA_SIZE;
}

static void shuffle(void **v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rng() % i;
		void *t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* Takes single pages until none is left, so the count is every free page. */
static size_t drain_pages(void **pages)
{
	size_t n = 0;

	while ((pages[n] = page_alloc(1)) != NULL)
		n++;
	return n;
}

static void *page_list[ARENA_PAGES];
static size_t total_pages;

static void test_pages(void)
{
	unit_check(page_alloc(0) == NULL, "page_alloc(0) is NULL", "got a pointer");
	unit_check(page_alloc(ARENA_PAGES + 1) == NULL, "page_alloc beyond the arena is NULL", "got a pointer");
	unit_check(page_alloc(SIZE_MAX) == NULL, "page_alloc(SIZE_MAX) is NULL", "got a pointer");

	total_pages = drain_pages(page_list);
	int ok = total_pages > ARENA_PAGES - 16 && total_pages < ARENA_PAGES;
	for (size_t i = 0; i < total_pages && ok; i++) {
		ok = ((uintptr_t)page_list[i] % ALLOC_PAGE_SIZE) == 0 && in_arena(page_list[i], ALLOC_PAGE_SIZE);
		memset(page_list[i], (int)(i & 0xff), ALLOC_PAGE_SIZE);
	}
	for (size_t i = 0; i < total_pages && ok; i++) {
		const unsigned char *p = page_list[i];
		ok = p[0] == (i & 0xff) && p[ALLOC_PAGE_SIZE - 1] == (i & 0xff);
	}
	unit_check(ok, "every free page is handed out once, aligned, in the arena",
		   "%zu pages of %lu, or a page misplaced or overlapping", total_pages, ARENA_PAGES);
	unit_check(page_alloc(1) == NULL, "page_alloc on an empty allocator is NULL", "got a pointer");
	unit_check(mica_malloc(16) == NULL && mica_malloc(10000) == NULL, "malloc on an empty allocator is NULL",
		   "got a pointer");

	/* Freed in random order, every neighbour meets its run from either side. */
	shuffle(page_list, total_pages);
	for (size_t i = 0; i < total_pages; i++)
		page_free(page_list[i], 1);
	void *all = page_alloc(total_pages);
	unit_check(all != NULL, "single pages freed in random order coalesce into one run", "the full run failed");
	page_free(all, total_pages);

	/* Sub-runs of one allocation may go back separately. */
	unsigned char *run = page_alloc(8);
	page_free(run + 2 * ALLOC_PAGE_SIZE, 3);
	page_free(run, 2);
	page_free(run + 5 * ALLOC_PAGE_SIZE, 3);
	all = page_alloc(total_pages);
	unit_check(run != NULL && all != NULL, "parts of a run freed separately coalesce", "the full run failed");
	page_free(all, total_pages);
}

static void test_large_coalescing(void)
{
	void *blocks[ARENA_PAGES];
	size_t n = 0;

	while ((blocks[n] = mica_malloc(3 * ALLOC_PAGE_SIZE + 100)) != NULL)
		n++;
	unit_check(n == total_pages / 4, "large blocks fill the arena, then malloc is NULL", "unexpected count");
	shuffle(blocks, n);
	for (size_t i = 0; i < n; i++)
		mica_free(blocks[i]);
	void *big = mica_malloc(total_pages * ALLOC_PAGE_SIZE);
	unit_check(big != NULL, "after freeing large blocks one malloc of all pages succeeds", "it failed");
	mica_free(big);
}

/* The random walk: each live block holds a pattern derived from its slot and generation. */
struct slot {
	unsigned char *p;
	size_t size;
	uint8_t seed;
};

static void fill(struct slot *s)
{
	for (size_t i = 0; i < s->size; i++)
		s->p[i] = (unsigned char)(s->seed + i * 7);
}

static int intact(const struct slot *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s->p[i] != (unsigned char)(s->seed + i * 7))
			return 0;
	}
	return 1;
}

static size_t random_size(void)
{
	switch (rng() % 8) {
	case 0:
		return rng() % 17;
	case 1:
	case 2:
	case 3:
		return 1 + rng() % 128;
	case 4:
	case 5:
		return 1 + rng() % 2048;
	case 6:
		return 2049 + rng() % 16384;
	default:
		return 1 + rng() % 200000;
	}
}

static void test_random(void)
{
	enum { NSLOTS = 600, STEPS = 60000 };
	static struct slot slots[NSLOTS];
	const char *bad = NULL;
	size_t nulls = 0, ops = 0;

	for (int step = 0; step < STEPS && bad == NULL; step++) {
		struct slot *s = &slots[rng() % NSLOTS];
		unsigned int op = rng() % 10;

		if (s->p != NULL && !intact(s, s->size)) {
			bad = "a live block's contents changed";
			break;
		}
		ops++;
		if (s->p == NULL && op < 5) {
			s->size = random_size();
			s->p = mica_malloc(s->size);
			if (s->p == NULL) {
				nulls++;
				continue;
			}
			if ((uintptr_t)s->p % 16 != 0 || !in_arena(s->p, s->size))
				bad = "malloc returned a misaligned or foreign block";
		} else if (s->p == NULL && op < 7) {
			size_t n = 1 + rng() % 64, each = 1 + rng() % 64;
			s->size = n * each;
			s->p = mica_calloc(n, each);
			if (s->p == NULL) {
				nulls++;
				continue;
			}
			for (size_t i = 0; i < s->size; i++) {
				if (s->p[i] != 0)
					bad = "calloc returned non-zero memory";
			}
		} else if (s->p == NULL) {
			size_t align = (size_t)16 << (rng() % 11);
			s->size = random_size();
			s->p = mica_aligned_alloc(align, s->size);
			if (s->p == NULL) {
				nulls++;
				continue;
			}
			if ((uintptr_t)s->p % align != 0 || !in_arena(s->p, s->size))
				bad = "aligned_alloc returned a misaligned or foreign block";
		} else if (op < 6) {
			mica_free(s->p);
			s->p = NULL;
			continue;
		} else {
			size_t size = random_size();
			unsigned char *q = mica_realloc(s->p, size);
			if (size == 0) {
				if (q != NULL)
					bad = "realloc to 0 returned a block";
				s->p = NULL;
				continue;
			}
			if (q == NULL) {
				nulls++;
				if (!intact(s, s->size))
					bad = "a failed realloc damaged the block";
				continue;
			}
			s->p = q;
			if (!intact(s, size < s->size ? size : s->size))
				bad = "realloc lost the block's contents";
			s->size = size;
		}
		s->seed = (uint8_t)rng();
		fill(s);
	}
	for (int i = 0; i < NSLOTS; i++) {
		if (slots[i].p != NULL && !intact(&slots[i], slots[i].size) && bad == NULL)
			bad = "a live block's contents changed";
		mica_free(slots[i].p);
		slots[i].p = NULL;
	}
	unit_check(bad == NULL, "random malloc/calloc/aligned_alloc/realloc/free keep every block intact",
		   "%s after %zu operations", bad, ops);
	unit_check(nulls > 0 && nulls < ops / 4, "the random walk hit exhaustion sometimes, and handled it",
		   "%zu of %zu", nulls, ops);

	/* Everything is free again, except at most one empty slab kept per size class. */
	size_t n = drain_pages(page_list);
	unit_check(n + 13 >= total_pages && n <= total_pages, "freeing everything returns the pages",
		   "%zu of %zu pages free", n, total_pages);
	for (size_t i = 0; i < n; i++)
		page_free(page_list[i], 1);
}

/* Run-time values, so the compiler does not warn about the deliberately impossible sizes. */
static volatile size_t size_max = SIZE_MAX;

static void test_edges(void)
{
	unit_check(mica_malloc(size_max) == NULL, "malloc(SIZE_MAX) is NULL", "got a pointer");
	unit_check(mica_malloc(ARENA_SIZE) == NULL, "malloc larger than memory is NULL", "got a pointer");
	unit_check(mica_calloc(size_max / 2, 3) == NULL, "calloc overflow is NULL", "got a pointer");
	unit_check(mica_calloc((size_max >> 31) + 1, (size_t)1 << 31) == NULL,
		   "calloc overflow to a small product is NULL", "got a pointer");
	unit_check(mica_aligned_alloc(3, 16) == NULL && mica_aligned_alloc(0, 16) == NULL,
		   "aligned_alloc with a bad alignment is NULL", "got a pointer");

	void *z = mica_malloc(0);
	unit_check(z != NULL, "malloc(0) is a unique pointer", "NULL");
	mica_free(z);
	mica_free(NULL);

	/* A zero-size block must still own its page: the next page handed out is another one. */
	void *z1 = mica_aligned_alloc(8192, 0), *z2 = mica_aligned_alloc(8192, 0);
	void *pg = page_alloc(1);
	unit_check(z1 != NULL && z2 != NULL && z1 != z2 && pg != z1 && pg != z2 && (uintptr_t)z1 % 8192 == 0,
		   "aligned_alloc(8192, 0) gives distinct blocks that stay allocated", "same, NULL or given out again");
	page_free(pg, 1);
	mica_free(z1);
	mica_free(z2);

	unsigned char *big = mica_aligned_alloc((size_t)1 << 20, 100);
	unit_check(big != NULL && (uintptr_t)big % ((size_t)1 << 20) == 0, "aligned_alloc(1 MiB) is aligned", "not");
	mica_free(big);

	unsigned char *p = mica_realloc(NULL, 40);
	memset(p, 0x5c, 40);
	unsigned char *q = mica_realloc(p, 44);
	unit_check(q == p, "realloc within the size class stays in place", "moved");
	q = mica_realloc(q, 100000);
	int ok = q != NULL && q[0] == 0x5c && q[39] == 0x5c;
	memset(q, 0x77, 100000);
	unsigned char *r = mica_realloc(q, 10000);
	ok = ok && r == q && r[9999] == 0x77;
	unit_check(ok, "realloc grows across classes and shrinks large blocks in place",
		   "grow or in-place shrink failed");
	unsigned char *s = mica_realloc(r, size_max - 100);
	unit_check(s == NULL && r[0] == 0x77 && r[9999] == 0x77, "a failed realloc leaves the block", "block changed");
	unit_check(mica_realloc(r, 0) == NULL, "realloc(p, 0) frees and returns NULL", "got a pointer");

	/* The pages the shrink gave back must be free again: the whole arena coalesces. */
	size_t n = drain_pages(page_list);
	unit_check(n + 13 >= total_pages, "no pages leak through realloc", "%zu of %zu pages free", n, total_pages);
	for (size_t i = 0; i < n; i++)
		page_free(page_list[i], 1);
}

static void do_free(void *p) { mica_free(p); }
static void do_realloc(void *p) { mica_free(mica_realloc(p, 64)); }
static void do_page_free(void *p) { page_free(p, 1); }

static void test_bad_frees(void)
{
	int local;
	unsigned char *small = mica_malloc(48), *other = mica_malloc(48);
	unsigned char *large = mica_malloc(20000);

	unit_check(panics(do_free, &local), "free of a stack address panics", "it returned");
	unit_check(panics(do_free, small + 16), "free inside a small block panics", "it returned");
	unit_check(panics(do_free, large + 4096), "free inside a large block panics", "it returned");
	mica_free(small);
	unit_check(panics(do_free, small), "double free of a small block panics", "it returned");
	unit_check(panics(do_realloc, small), "realloc of a freed small block panics", "it returned");
	mica_free(large);
	unit_check(panics(do_free, large), "double free of a large block panics", "it returned");
	void *page = page_alloc(1);
	unit_check(panics(do_free, page), "free of a page_alloc page panics", "it returned");
	page_free(page, 1);
	unit_check(panics(do_page_free, page), "double page_free panics", "it returned");
	unit_check(panics(do_page_free, arena + 100), "page_free of an unaligned address panics", "it returned");

	/* None of the refused frees may have changed anything. */
	memset(other, 0x42, 48);
	unsigned char *again = mica_malloc(48);
	unit_check(again != other && other[47] == 0x42, "the heap still works after refused frees", "it is damaged");
	mica_free(again);
	mica_free(other);
}

int main(void)
{
	unit_check(alloc_init() == 0, "alloc_init over the arena", "failed");
	test_pages();
	test_large_coalescing();
	test_edges();
	test_random();
	test_bad_frees();
	return unit_exit_status();
}
