/* sysinfo: uptime, and the guest's memory as the program sees it. */
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <arch/string.h>
#include <mica/plat.h>
#include <mica/posix_mem.h>
#include <mica/posix_time.h>
#include <mica/syscall.h>

/* The kernel's struct sysinfo ends after mem_unit, padded to 8 bytes; musl's adds reserved space. */
#define SYSINFO_KERNEL_SIZE ((offsetof(struct sysinfo, mem_unit) + sizeof(unsigned) + 7) & ~(size_t)7)

/*
 * Total memory is what the image leaves free; free memory is that less what posix-mem has
 * handed to the program (its mappings and the brk region), which is nearly all a C library
 * allocates. No swap, no load, one process.
 */
static long sys_sysinfo(MICA_SYSCALL_ARGS)
{
	struct sysinfo si;
	struct plat_memregion r = plat_free_memory();
	unsigned long total = r.end - r.start, used = posix_mem_in_use();

	memset(&si, 0, sizeof(si));
	si.uptime = posix_time_uptime_ns() / 1000000000;
	si.totalram = total;
	si.freeram = used < total ? total - used : 0;
	si.procs = 1;
	si.mem_unit = 1;
	memcpy((void *)a1, &si, SYSINFO_KERNEL_SIZE);
	return 0;
}
MICA_SYSCALL(SYS_sysinfo, sys_sysinfo);
