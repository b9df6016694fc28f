/* exit_group: the end of the process, which is the end of the guest. */
#include <sys/syscall.h>
#include <mica/plat.h>
#include <mica/syscall.h>

/*
 * musl flushed stdio before it called exit_group, but _exit skips atexit, where mounted file
 * systems are written back: do it here too (a second call does nothing). Weak, so images
 * without lib/vfs link.
 */
int vfs_unmount_all(void) __attribute__((weak));

static long sys_exit_group(MICA_SYSCALL_ARGS)
{
	if (vfs_unmount_all)
		vfs_unmount_all();
	plat_poweroff((int)(a1 & 0xff));
}
MICA_SYSCALL(SYS_exit_group, sys_exit_group);
