/* Process ids: the guest is process 1, alone in its process group and session, with no parent. */
#include <errno.h>
#include <sys/syscall.h>
#include <mica/posix_thread.h>
#include <mica/syscall.h>
#include "internal.h"

#define IDS_PID 1

bool posix_process_is_self(int pid) { return pid == 0 || pid == IDS_PID || (pid > 0 && posix_thread_exists(pid)); }

static long sys_getpid(MICA_SYSCALL_ARGS) { return IDS_PID; }
MICA_SYSCALL(SYS_getpid, sys_getpid);

static long sys_getppid(MICA_SYSCALL_ARGS) { return 0; }
MICA_SYSCALL(SYS_getppid, sys_getppid);

static long sys_getpgid(MICA_SYSCALL_ARGS) { return posix_process_is_self((int)a1) ? IDS_PID : -ESRCH; }
MICA_SYSCALL(SYS_getpgid, sys_getpgid);

static long sys_getpgrp(MICA_SYSCALL_ARGS) { return IDS_PID; }
MICA_SYSCALL(SYS_getpgrp, sys_getpgrp);

static long sys_getsid(MICA_SYSCALL_ARGS) { return posix_process_is_self((int)a1) ? IDS_PID : -ESRCH; }
MICA_SYSCALL(SYS_getsid, sys_getsid);

/* A session leader can neither start a new session nor move to another group. */
static long sys_setsid(MICA_SYSCALL_ARGS) { return -EPERM; }
MICA_SYSCALL(SYS_setsid, sys_setsid);

static long sys_setpgid(MICA_SYSCALL_ARGS)
{
	if ((int)a2 < 0)
		return -EINVAL;
	return posix_process_is_self((int)a1) ? -EPERM : -ESRCH;
}
MICA_SYSCALL(SYS_setpgid, sys_setpgid);
