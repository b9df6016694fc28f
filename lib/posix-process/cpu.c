/* The one CPU: sched_getaffinity, sched_setaffinity and getcpu. */
#include <errno.h>
#include <sys/syscall.h>
#include <mica/syscall.h>
#include "internal.h"

/* Linux copies whole longs of its CPU mask: one, for one CPU. */
#define CPU_MASK_BYTES sizeof(unsigned long)

static long sys_sched_getaffinity(MICA_SYSCALL_ARGS)
{
	unsigned long len = (unsigned long)a2;

	if (!posix_process_is_self((int)a1))
		return -ESRCH;
	if (len == 0 || len % CPU_MASK_BYTES != 0)
		return -EINVAL;
	*(unsigned long *)a3 = 1;
	return CPU_MASK_BYTES;
}
MICA_SYSCALL(SYS_sched_getaffinity, sys_sched_getaffinity);

/* Accepted when the mask includes CPU 0, the only one a thread can run on. */
static long sys_sched_setaffinity(MICA_SYSCALL_ARGS)
{
	if (!posix_process_is_self((int)a1))
		return -ESRCH;
	if (a2 <= 0 || !(*(const unsigned char *)a3 & 1))
		return -EINVAL;
	return 0;
}
MICA_SYSCALL(SYS_sched_setaffinity, sys_sched_setaffinity);

static long sys_getcpu(MICA_SYSCALL_ARGS)
{
	if (a1 != 0)
		*(unsigned int *)a1 = 0;
	if (a2 != 0)
		*(unsigned int *)a2 = 0;
	return 0;
}
MICA_SYSCALL(SYS_getcpu, sys_getcpu);
