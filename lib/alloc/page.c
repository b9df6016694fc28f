/* The page allocator: an address-ordered list of free runs, first fit, coalescing on free. */
#include <stdbool.h>
#include <stdint.h>
#include <mica/alloc.h>
#include <mica/panic.h>
#include "internal.h"

/* Each free run describes itself in its first page. */
struct page_run {
	size_t npages;
	struct page_run *next;
};

static struct page_run *page_free_list;
static uintptr_t page_base, page_end;

int page_setup(uintptr_t start, uintptr_t end)
{
	if (start % ALLOC_PAGE_SIZE != 0 || end % ALLOC_PAGE_SIZE != 0 || end <= start)
		return -1;
	page_base = start;
	page_end = end;
	page_free_list = (struct page_run *)start;
	page_free_list->npages = (end - start) / ALLOC_PAGE_SIZE;
	page_free_list->next = NULL;
	return 0;
}

void *page_alloc(size_t npages)
{
	if (npages == 0)
		return NULL;
	for (struct page_run **link = &page_free_list; *link != NULL; link = &(*link)->next) {
		struct page_run *run = *link;

		if (run->npages < npages)
			continue;
		if (run->npages == npages) {
			*link = run->next;
			return run;
		}
		/* Taking the tail leaves the run's header where it is. */
		run->npages -= npages;
		return (char *)run + run->npages * ALLOC_PAGE_SIZE;
	}
	return NULL;
}

void page_free(void *p, size_t npages)
{
	uintptr_t a = (uintptr_t)p;
	struct page_run *prev = NULL, *next = page_free_list;

	if (p == NULL || npages == 0)
		return;
	if (a % ALLOC_PAGE_SIZE != 0 || a < page_base || a >= page_end ||
	    npages > (page_end - a) / ALLOC_PAGE_SIZE)
		panic("page_free: %p (%zu pages) is not from page_alloc", p, npages);
	uintptr_t e = a + npages * ALLOC_PAGE_SIZE;

	while (next != NULL && (uintptr_t)next < a) {
		prev = next;
		next = next->next;
	}
	bool touches_prev = prev != NULL && (uintptr_t)prev + prev->npages * ALLOC_PAGE_SIZE >= a;
	if ((prev != NULL && (uintptr_t)prev + prev->npages * ALLOC_PAGE_SIZE > a) ||
	    (next != NULL && (uintptr_t)next < e))
		panic("page_free: %p (%zu pages) is already free", p, npages);

	struct page_run *run = (struct page_run *)a;
	if (touches_prev) {
		prev->npages += npages;
		run = prev;
	} else {
		run->npages = npages;
		if (prev != NULL)
			prev->next = run;
		else
			page_free_list = run;
	}
	if (next != NULL && (uintptr_t)next == e) {
		run->npages += next->npages;
		run->next = next->next;
	} else {
		run->next = next;
	}
}
