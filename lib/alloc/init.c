/* Boot-time setup of the page allocator and the heap over the platform's free memory. */
#include <mica/init.h>
#include <mica/plat.h>
#include "internal.h"

int alloc_init(void)
{
	struct plat_memregion r = plat_free_memory();

	if (page_setup(r.start, r.end) != 0)
		return -1;
	return heap_setup(r.start, r.end);
}
MICA_INITCALL(alloc_init, MICA_INIT_MEM);
