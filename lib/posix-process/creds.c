/* Credentials: the program runs as root (uid and gid 0) and stays so; changing them is EPERM. */
#include <errno.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <mica/syscall.h>

/* An id argument that keeps the current id (-1) or names it (0); any other would change it. */
static bool creds_unchanged(long id) { return (uid_t)id == (uid_t)-1 || (uid_t)id == 0; }

/* setuid and setgid take no -1: for them it is not an id. */
static long creds_set(long id)
{
	if ((uid_t)id == (uid_t)-1)
		return -EINVAL;
	return (uid_t)id == 0 ? 0 : -EPERM;
}

static long creds_getres(long a1, long a2, long a3)
{
	*(uid_t *)a1 = 0;
	*(uid_t *)a2 = 0;
	*(uid_t *)a3 = 0;
	return 0;
}

static long sys_getuid(MICA_SYSCALL_ARGS) { return 0; }
MICA_SYSCALL(SYS_getuid, sys_getuid);
static long sys_geteuid(MICA_SYSCALL_ARGS) { return 0; }
MICA_SYSCALL(SYS_geteuid, sys_geteuid);
static long sys_getgid(MICA_SYSCALL_ARGS) { return 0; }
MICA_SYSCALL(SYS_getgid, sys_getgid);
static long sys_getegid(MICA_SYSCALL_ARGS) { return 0; }
MICA_SYSCALL(SYS_getegid, sys_getegid);

static long sys_getresuid(MICA_SYSCALL_ARGS) { return creds_getres(a1, a2, a3); }
MICA_SYSCALL(SYS_getresuid, sys_getresuid);
static long sys_getresgid(MICA_SYSCALL_ARGS) { return creds_getres(a1, a2, a3); }
MICA_SYSCALL(SYS_getresgid, sys_getresgid);

static long sys_setuid(MICA_SYSCALL_ARGS) { return creds_set(a1); }
MICA_SYSCALL(SYS_setuid, sys_setuid);
static long sys_setgid(MICA_SYSCALL_ARGS) { return creds_set(a1); }
MICA_SYSCALL(SYS_setgid, sys_setgid);

static long sys_setreuid(MICA_SYSCALL_ARGS) { return creds_unchanged(a1) && creds_unchanged(a2) ? 0 : -EPERM; }
MICA_SYSCALL(SYS_setreuid, sys_setreuid);
static long sys_setregid(MICA_SYSCALL_ARGS) { return creds_unchanged(a1) && creds_unchanged(a2) ? 0 : -EPERM; }
MICA_SYSCALL(SYS_setregid, sys_setregid);

static long sys_setresuid(MICA_SYSCALL_ARGS)
{
	return creds_unchanged(a1) && creds_unchanged(a2) && creds_unchanged(a3) ? 0 : -EPERM;
}
MICA_SYSCALL(SYS_setresuid, sys_setresuid);
static long sys_setresgid(MICA_SYSCALL_ARGS)
{
	return creds_unchanged(a1) && creds_unchanged(a2) && creds_unchanged(a3) ? 0 : -EPERM;
}
MICA_SYSCALL(SYS_setresgid, sys_setresgid);

/* These return the previous id and cannot fail; it stays 0. */
static long sys_setfsuid(MICA_SYSCALL_ARGS) { return 0; }
MICA_SYSCALL(SYS_setfsuid, sys_setfsuid);
static long sys_setfsgid(MICA_SYSCALL_ARGS) { return 0; }
MICA_SYSCALL(SYS_setfsgid, sys_setfsgid);

/* No supplementary groups, and none can be added. */
static long sys_getgroups(MICA_SYSCALL_ARGS) { return (int)a1 < 0 ? -EINVAL : 0; }
MICA_SYSCALL(SYS_getgroups, sys_getgroups);

static long sys_setgroups(MICA_SYSCALL_ARGS)
{
	if ((int)a1 < 0)
		return -EINVAL;
	return a1 == 0 ? 0 : -EPERM;
}
MICA_SYSCALL(SYS_setgroups, sys_setgroups);
