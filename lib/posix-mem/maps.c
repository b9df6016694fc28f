/* The sorted list of anonymous mappings: lookup, insertion, and removal that splits and frees. */
#include <errno.h>
#include <arch/string.h>
#include <mica/alloc.h>
#include "internal.h"

struct maps_range {
	uintptr_t start, end;
};

/* A sorted array in page_alloc pages, doubled when full: lookups are binary searches. */
static struct maps_range *maps;
static size_t maps_len, maps_cap, maps_pages;
static size_t maps_mapped; /* bytes */

int posix_mem_maps_reserve(size_t slots)
{
	if (maps_cap - maps_len >= slots)
		return 0;
	size_t pages = maps_pages ? maps_pages * 2 : 1;
	while (pages * ALLOC_PAGE_SIZE / sizeof(*maps) < maps_len + slots)
		pages *= 2;
	struct maps_range *grown = page_alloc(pages);
	if (grown == NULL)
		return -ENOMEM;
	if (maps != NULL) {
		memcpy(grown, maps, maps_len * sizeof(*maps));
		page_free(maps, maps_pages);
	}
	maps = grown;
	maps_pages = pages;
	maps_cap = pages * ALLOC_PAGE_SIZE / sizeof(*maps);
	return 0;
}

/* The index of the first mapping that ends above addr (maps_len if none does). */
static size_t maps_find(uintptr_t addr)
{
	size_t lo = 0, hi = maps_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void maps_insert_at(size_t i, uintptr_t start, uintptr_t end)
{
	memmove(&maps[i + 1], &maps[i], (maps_len - i) * sizeof(*maps));
	maps[i].start = start;
	maps[i].end = end;
	maps_len++;
}

void posix_mem_maps_add(uintptr_t start, uintptr_t end)
{
	maps_insert_at(maps_find(start), start, end);
	maps_mapped += end - start;
}

int posix_mem_maps_remove(uintptr_t start, uintptr_t end)
{
	size_t i = maps_find(start);

	if (start >= end)
		return 0;
	/* Only a hole strictly inside one mapping needs a new slot, and only that one can fail. */
	if (i < maps_len && maps[i].start < start && maps[i].end > end && posix_mem_maps_reserve(1) != 0)
		return -ENOMEM;
	while (i < maps_len && maps[i].start < end) {
		struct maps_range m = maps[i];
		uintptr_t lo = m.start > start ? m.start : start;
		uintptr_t hi = m.end < end ? m.end : end;

		page_free((void *)lo, (hi - lo) / ALLOC_PAGE_SIZE);
		maps_mapped -= hi - lo;
		if (m.start < lo && m.end > hi) {
			/* A hole in the middle: the mapping becomes two. */
			maps[i].end = lo;
			maps_insert_at(i + 1, hi, m.end);
			return 0;
		}
		if (m.start < lo) {
			maps[i].end = lo;
			i++;
		} else if (m.end > hi) {
			maps[i].start = hi;
			return 0;
		} else {
			memmove(&maps[i], &maps[i + 1], (maps_len - i - 1) * sizeof(*maps));
			maps_len--;
		}
	}
	return 0;
}

bool posix_mem_maps_cover(uintptr_t start, uintptr_t end)
{
	/* Adjacent mappings cover a range together when each starts where the previous ended. */
	for (size_t i = maps_find(start); i < maps_len && start < end; i++) {
		if (maps[i].start > start)
			return false;
		start = maps[i].end;
	}
	return start >= end;
}

bool posix_mem_maps_overlap(uintptr_t start, uintptr_t end)
{
	size_t i = maps_find(start);

	return i < maps_len && maps[i].start < end;
}

size_t posix_mem_maps_clear(uintptr_t start, uintptr_t end)
{
	size_t cleared = 0;

	for (size_t i = maps_find(start); i < maps_len && maps[i].start < end; i++) {
		uintptr_t lo = maps[i].start > start ? maps[i].start : start;
		uintptr_t hi = maps[i].end < end ? maps[i].end : end;
		memset((void *)lo, 0, hi - lo);
		cleared += hi - lo;
	}
	return cleared;
}

size_t posix_mem_maps_bytes(void) { return maps_mapped; }
