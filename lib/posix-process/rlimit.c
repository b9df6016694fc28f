/* Resource limits: Linux's defaults for a fresh process; lowering is allowed, raising a hard limit is not. */
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <mica/syscall.h>
#include "internal.h"

#define RLIMIT_INF RLIM_INFINITY

/*
 * As a Linux process starts, except where the guest differs: no core dumps are ever written,
 * the descriptor table holds 1024 files, and at most one of each signal can be pending.
 */
static struct rlimit rlimit_table[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = {RLIMIT_INF, RLIMIT_INF},
	[RLIMIT_FSIZE] = {RLIMIT_INF, RLIMIT_INF},
	[RLIMIT_DATA] = {RLIMIT_INF, RLIMIT_INF},
	[RLIMIT_STACK] = {8 << 20, RLIMIT_INF},
	[RLIMIT_CORE] = {0, 0},
	[RLIMIT_RSS] = {RLIMIT_INF, RLIMIT_INF},
	[RLIMIT_NPROC] = {RLIMIT_INF, RLIMIT_INF},
	[RLIMIT_NOFILE] = {1024, 1024},
	[RLIMIT_MEMLOCK] = {8 << 20, 8 << 20},
	[RLIMIT_AS] = {RLIMIT_INF, RLIMIT_INF},
	[RLIMIT_LOCKS] = {RLIMIT_INF, RLIMIT_INF},
	[RLIMIT_SIGPENDING] = {64, 64},
	[RLIMIT_MSGQUEUE] = {819200, 819200},
	[RLIMIT_NICE] = {0, 0},
	[RLIMIT_RTPRIO] = {0, 0},
	[RLIMIT_RTTIME] = {RLIMIT_INF, RLIMIT_INF},
};

/* Old limits are reported before new ones take effect, as prlimit64 does. */
static long rlimit_access(unsigned int resource, const struct rlimit *new, struct rlimit *old)
{
	if (resource >= RLIM_NLIMITS)
		return -EINVAL;
	if (new != NULL) {
		if (new->rlim_cur > new->rlim_max)
			return -EINVAL;
		if (new->rlim_max > rlimit_table[resource].rlim_max)
			return -EPERM;
	}
	if (old != NULL)
		*old = rlimit_table[resource];
	if (new != NULL)
		rlimit_table[resource] = *new;
	return 0;
}

static long sys_prlimit64(MICA_SYSCALL_ARGS)
{
	if (!posix_process_is_self((int)a1))
		return -ESRCH;
	return rlimit_access((unsigned int)a2, (const struct rlimit *)a3, (struct rlimit *)a4);
}
MICA_SYSCALL(SYS_prlimit64, sys_prlimit64);

static long sys_getrlimit(MICA_SYSCALL_ARGS) { return rlimit_access((unsigned int)a1, NULL, (struct rlimit *)a2); }
MICA_SYSCALL(SYS_getrlimit, sys_getrlimit);

static long sys_setrlimit(MICA_SYSCALL_ARGS) { return rlimit_access((unsigned int)a1, (const struct rlimit *)a2, NULL); }
MICA_SYSCALL(SYS_setrlimit, sys_setrlimit);
