/* newlib's reentrant system calls and their POSIX names, as calls into Mica's Linux syscall layer. */
#include <errno.h>
#include <fcntl.h>
#include <reent.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>
#include <mica/syscall.h>

/* Linux x86_64 system call numbers: newlib has no <sys/syscall.h>, and these are the ABI. */
enum {
	NR_read = 0, NR_write = 1, NR_open = 2, NR_close = 3, NR_stat = 4, NR_fstat = 5, NR_lseek = 8,
	NR_brk = 12, NR_ioctl = 16, NR_pread64 = 17, NR_access = 21, NR_nanosleep = 35, NR_getpid = 39,
	NR_exit = 60, NR_kill = 62, NR_getcwd = 79, NR_chdir = 80, NR_rename = 82, NR_mkdir = 83,
	NR_rmdir = 84, NR_link = 86, NR_unlink = 87, NR_gettimeofday = 96, NR_times = 100,
	NR_clock_gettime = 228, NR_exit_group = 231,
};

/* The kernel's struct stat on x86_64, which the vfs fills; newlib's own is laid out differently. */
struct linux_stat {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad0;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	uint64_t atime, atime_nsec, mtime, mtime_nsec, ctime, ctime_nsec;
	int64_t unused[3];
};

/* Linux errno values above 34 are numbered differently in newlib; the first 34 agree. */
static int newlib_errno(long linux_err)
{
	switch (linux_err) {
	case 35: return EDEADLK;
	case 36: return ENAMETOOLONG;
	case 37: return ENOLCK;
	case 38: return ENOSYS;
	case 39: return ENOTEMPTY;
	case 40: return ELOOP;
	case 75: return EOVERFLOW;
	case 95: return EOPNOTSUPP;
	case 110: return ETIMEDOUT;
	default: return linux_err <= 34 ? (int)linux_err : EINVAL;
	}
}

/* A syscall result as newlib wants it: the value, or -1 with the reentrancy struct's errno set. */
static long ret(struct _reent *r, long rc)
{
	if (rc < 0 && rc > -4096) {
		r->_errno = newlib_errno(-rc);
		return -1;
	}
	return rc;
}

#define SYS(n, a1, a2, a3) mica_syscall((n), (long)(a1), (long)(a2), (long)(a3), 0, 0, 0)

/* newlib's O_ flags are BSD's; the vfs takes Linux's. */
static long linux_open_flags(int flags)
{
	static const struct {
		int newlib;
		long linux_flag;
	} map[] = {
		{O_APPEND, 02000}, {O_CREAT, 0100}, {O_TRUNC, 01000}, {O_EXCL, 0200},
		{O_NONBLOCK, 04000}, {O_NOCTTY, 0400}, {O_SYNC, 04010000}, {O_CLOEXEC, 02000000},
		{O_NOFOLLOW, 0400000}, {O_DIRECTORY, 0200000},
	};
	long out = flags & O_ACCMODE;

	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (flags & map[i].newlib)
			out |= map[i].linux_flag;
	return out;
}

static void newlib_stat(const struct linux_stat *k, struct stat *st)
{
	*st = (struct stat){
		.st_dev = (dev_t)k->dev,
		.st_ino = (ino_t)k->ino,
		.st_mode = k->mode,
		.st_nlink = (nlink_t)k->nlink,
		.st_uid = (uid_t)k->uid,
		.st_gid = (gid_t)k->gid,
		.st_rdev = (dev_t)k->rdev,
		.st_size = k->size,
		.st_atim = {(time_t)k->atime, (long)k->atime_nsec},
		.st_mtim = {(time_t)k->mtime, (long)k->mtime_nsec},
		.st_ctim = {(time_t)k->ctime, (long)k->ctime_nsec},
		.st_blksize = k->blksize,
		.st_blocks = k->blocks,
	};
}

_ssize_t _read_r(struct _reent *r, int fd, void *buf, size_t n)
{
	return ret(r, SYS(NR_read, fd, buf, n));
}

_ssize_t _write_r(struct _reent *r, int fd, const void *buf, size_t n)
{
	return ret(r, SYS(NR_write, fd, buf, n));
}

int _open_r(struct _reent *r, const char *path, int flags, int mode)
{
	return (int)ret(r, SYS(NR_open, path, linux_open_flags(flags), mode));
}

int _close_r(struct _reent *r, int fd)
{
	return (int)ret(r, SYS(NR_close, fd, 0, 0));
}

_off_t _lseek_r(struct _reent *r, int fd, _off_t off, int whence)
{
	return ret(r, SYS(NR_lseek, fd, off, whence));
}

int _fstat_r(struct _reent *r, int fd, struct stat *st)
{
	struct linux_stat k;
	long rc = ret(r, SYS(NR_fstat, fd, &k, 0));

	if (rc == 0)
		newlib_stat(&k, st);
	return (int)rc;
}

int _stat_r(struct _reent *r, const char *path, struct stat *st)
{
	struct linux_stat k;
	long rc = ret(r, SYS(NR_stat, path, &k, 0));

	if (rc == 0)
		newlib_stat(&k, st);
	return (int)rc;
}

/* A terminal is what answers TCGETS; the kernel's struct termios is 60 bytes. */
int _isatty_r(struct _reent *r, int fd)
{
	unsigned char termios[60];

	return ret(r, SYS(NR_ioctl, fd, 0x5401, termios)) == 0;
}

/* The break starts where brk(0) says and only grows through brk, so it is kept here. */
void *_sbrk_r(struct _reent *r, ptrdiff_t incr)
{
	static char *brk_cur;
	char *old;

	if (brk_cur == NULL)
		brk_cur = (char *)SYS(NR_brk, 0, 0, 0);
	old = brk_cur;
	if ((char *)SYS(NR_brk, old + incr, 0, 0) != old + incr) {
		r->_errno = ENOMEM;
		return (void *)-1;
	}
	brk_cur = old + incr;
	return old;
}

void _exit(int status)
{
	SYS(NR_exit_group, status, 0, 0);
	__builtin_unreachable();
}

int _kill_r(struct _reent *r, int pid, int sig)
{
	return (int)ret(r, SYS(NR_kill, pid, sig, 0));
}

int _getpid_r(struct _reent *r)
{
	return (int)ret(r, SYS(NR_getpid, 0, 0, 0));
}

int _gettimeofday_r(struct _reent *r, struct timeval *tv, void *tz)
{
	return (int)ret(r, SYS(NR_gettimeofday, tv, tz, 0));
}

/* newlib's struct tms is four clock_t (unsigned long), as the kernel's. */
_CLOCK_T_ _times_r(struct _reent *r, struct tms *t)
{
	return ret(r, SYS(NR_times, t, 0, 0));
}

int _unlink_r(struct _reent *r, const char *path)
{
	return (int)ret(r, SYS(NR_unlink, path, 0, 0));
}

int _link_r(struct _reent *r, const char *old, const char *new)
{
	return (int)ret(r, SYS(NR_link, old, new, 0));
}

int _rename_r(struct _reent *r, const char *old, const char *new)
{
	return (int)ret(r, SYS(NR_rename, old, new, 0));
}

int _mkdir_r(struct _reent *r, const char *path, int mode)
{
	return (int)ret(r, SYS(NR_mkdir, path, mode, 0));
}

/* One address space, no processes to make. */
int _fork_r(struct _reent *r)
{
	r->_errno = ENOSYS;
	return -1;
}

int _execve_r(struct _reent *r, const char *path, char *const argv[], char *const envp[])
{
	(void)path, (void)argv, (void)envp;
	r->_errno = ENOSYS;
	return -1;
}

int _wait_r(struct _reent *r, int *status)
{
	(void)status;
	r->_errno = ENOSYS;
	return -1;
}

/* The POSIX names: newlib's libc/syscalls connectors are not built for a bare target. */
_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t n)
{
	return _read_r(_REENT, fd, buf, n);
}

_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t n)
{
	return _write_r(_REENT, fd, buf, n);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = flags & O_CREAT ? va_arg(ap, int) : 0;
	va_end(ap);
	return _open_r(_REENT, path, flags, mode);
}

int close(int fd)
{
	return _close_r(_REENT, fd);
}

off_t lseek(int fd, off_t off, int whence)
{
	return _lseek_r(_REENT, fd, off, whence);
}

int fstat(int fd, struct stat *st)
{
	return _fstat_r(_REENT, fd, st);
}

int stat(const char *restrict path, struct stat *restrict st)
{
	return _stat_r(_REENT, path, st);
}

int isatty(int fd)
{
	return _isatty_r(_REENT, fd);
}

void *sbrk(ptrdiff_t incr)
{
	return _sbrk_r(_REENT, incr);
}

int kill(pid_t pid, int sig)
{
	return _kill_r(_REENT, pid, sig);
}

pid_t getpid(void)
{
	return _getpid_r(_REENT);
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	return _gettimeofday_r(_REENT, tv, tz);
}

clock_t times(struct tms *t)
{
	return _times_r(_REENT, t);
}

int unlink(const char *path)
{
	return _unlink_r(_REENT, path);
}

int link(const char *old, const char *new)
{
	return _link_r(_REENT, old, new);
}

int mkdir(const char *path, mode_t mode)
{
	return _mkdir_r(_REENT, path, (int)mode);
}

/* POSIX calls newlib declares but leaves to the system. */
int rmdir(const char *path)
{
	return (int)ret(_REENT, SYS(NR_rmdir, path, 0, 0));
}

int access(const char *path, int mode)
{
	return (int)ret(_REENT, SYS(NR_access, path, mode, 0));
}

int chdir(const char *path)
{
	return (int)ret(_REENT, SYS(NR_chdir, path, 0, 0));
}

char *getcwd(char *buf, size_t size)
{
	return ret(_REENT, SYS(NR_getcwd, buf, size, 0)) < 0 ? NULL : buf;
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	return ret(_REENT, mica_syscall(NR_pread64, fd, (long)buf, (long)n, off, 0, 0));
}

int clock_gettime(clockid_t clock, struct timespec *ts)
{
	/* newlib numbers CLOCK_MONOTONIC 4; Linux 1. CLOCK_REALTIME is 1 in newlib and 0 in Linux. */
	long linux_clock = clock == CLOCK_MONOTONIC ? 1 : clock == CLOCK_REALTIME ? 0 : -1;

	if (linux_clock < 0) {
		errno = EINVAL;
		return -1;
	}
	return (int)ret(_REENT, SYS(NR_clock_gettime, linux_clock, ts, 0));
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	return (int)ret(_REENT, SYS(NR_nanosleep, req, rem, 0));
}
