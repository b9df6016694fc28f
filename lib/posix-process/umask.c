/* umask: the process's file mode creation mask, recorded and reported back as Linux does. */
#include <sys/syscall.h>
#include <mica/syscall.h>

/* Linux's default for a process nobody configured. */
static unsigned int umask_mask = 022;

static long sys_umask(MICA_SYSCALL_ARGS)
{
	unsigned int old = umask_mask;

	umask_mask = (unsigned int)a1 & 0777;
	return old;
}
MICA_SYSCALL(SYS_umask, sys_umask);
