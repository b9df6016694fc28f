/*
 * Test guest for the proc sandbox: probes its own address space with FUTEX_WAKE on shared
 * futexes (EFAULT when nothing is mapped) through the hypercall page, and reports every mapped
 * page that is neither guest RAM nor the hypercall page. With "hold" it then waits forever, so
 * a test can read /proc/PID/maps of the guest process.
 */
#include <mica/plat.h>
#include <mica/print.h>
#include <mica/string.h>
#include <mica/hypercall.h>

#define ADDRSPACE_GADGET (hypercall_page + 5)
#define ADDRSPACE_NR_FUTEX 202
#define ADDRSPACE_FUTEX_WAKE 1
#define ADDRSPACE_EFAULT 14
#define ADDRSPACE_USER_END 0x7ffffffff000UL

extern char _end[];

static long addrspace_probe(uintptr_t addr)
{
	long ret;
	register long r10 __asm__("r10") = 0;
	__asm__ __volatile__("call *%[gadget]"
			     : "=a"(ret)
			     : "a"(ADDRSPACE_NR_FUTEX), "D"(addr), "S"(ADDRSPACE_FUTEX_WAKE), "d"(1),
			       "r"(r10), [gadget] "r"(ADDRSPACE_GADGET)
			     : "rcx", "r11", "memory");
	return ret;
}

static uintptr_t addrspace_ram_end;
static unsigned long addrspace_foreign, addrspace_probes;

static int addrspace_is_guest(uintptr_t a)
{
	return (a >= MICA_PROC_HCPAGE && a < MICA_PROC_HCPAGE + MICA_PAGE_SIZE) ||
	       (a >= MICA_RAM_BASE && a < addrspace_ram_end);
}

/* Probes [start, end) every step bytes; prints the first few foreign pages it finds. */
static void addrspace_walk(uintptr_t start, uintptr_t end, uintptr_t step)
{
	for (uintptr_t a = start; a < end && a >= start; a += step) {
		if (addrspace_is_guest(a))
			continue;
		addrspace_probes++;
		if (addrspace_probe(a) != -ADDRSPACE_EFAULT) {
			if (addrspace_foreign++ < 8)
				printf("addrspace: foreign mapping at %#lx\n", (unsigned long)a);
		}
	}
}

int main(int argc, char **argv)
{
	struct plat_memregion free = plat_free_memory();
	/* The special pages sit at the top of RAM, just above the free region. */
	addrspace_ram_end = free.end + MICA_PROC_SPECIAL_PAGES * MICA_PAGE_SIZE;

	/* Positive controls: the probe must see guest RAM and the hypercall page as mapped. */
	if (addrspace_probe(MICA_PROC_HCPAGE) != 0 || addrspace_probe((uintptr_t)_end - 8) != 0) {
		printf("addrspace: probe cannot see mapped memory; walk is meaningless\n");
		return 1;
	}
	addrspace_walk(0, 1UL << 32, MICA_PAGE_SIZE);                 /* low 4 GiB, every page */
	addrspace_walk(0x10000000000UL, 0x10001000000UL, MICA_PAGE_SIZE); /* where the loader was */
	addrspace_walk(1UL << 32, ADDRSPACE_USER_END, 1UL << 30);     /* the rest, every GiB */
	addrspace_walk(0x7f0000000000UL, ADDRSPACE_USER_END, 1UL << 21); /* stack and vDSO area */
	printf("addrspace: %lu probes, %lu foreign pages\n", addrspace_probes, addrspace_foreign);
	if (argc > 1 && strcmp(argv[1], "hold") == 0) {
		printf("addrspace: holding\n");
		for (;;)
			plat_block(UINT64_MAX);
	}
	return addrspace_foreign ? 1 : 0;
}
