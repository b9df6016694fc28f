/* Calls on file descriptors themselves: close, dup*, fcntl, ioctl, fsync, ftruncate. */
#include "vfs.h"
#include <sys/ioctl.h>
#include "sys.h"

/* The status flags F_SETFL may change; the access mode and creation flags stay. */
#define FD_SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

VFS_SYSCALL(close)
{
	return vfs_fd_close((int)a1);
}

static long fd_dup(int oldfd, int min, bool cloexec)
{
	struct vfs_file *f = vfs_fd_get(oldfd);
	int fd;

	if (f == NULL)
		return -EBADF;
	fd = vfs_fd_install(f, min, cloexec);
	if (fd >= 0)
		f->refs++;
	return fd;
}

static long fd_dup3(int oldfd, int newfd, bool cloexec)
{
	struct vfs_file *f = vfs_fd_get(oldfd);

	if (f == NULL || newfd < 0 || newfd >= VFS_FD_MAX)
		return -EBADF;
	/* Taken first: newfd may hold the last other reference to f's inode or to f itself. */
	f->refs++;
	vfs_fd_replace(newfd, f, cloexec);
	return newfd;
}

VFS_SYSCALL(dup)
{
	return fd_dup((int)a1, 0, false);
}

VFS_SYSCALL(dup2)
{
	if ((int)a1 == (int)a2)
		return vfs_fd_get((int)a1) != NULL ? a2 : -EBADF;
	return fd_dup3((int)a1, (int)a2, false);
}

VFS_SYSCALL(dup3)
{
	if ((a3 & ~(long)O_CLOEXEC) != 0 || (int)a1 == (int)a2)
		return -EINVAL;
	return fd_dup3((int)a1, (int)a2, (a3 & O_CLOEXEC) != 0);
}

VFS_SYSCALL(fcntl)
{
	int fd = (int)a1;
	struct vfs_file *f = vfs_fd_get(fd);

	if (f == NULL)
		return -EBADF;
	switch ((int)a2) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((int)a3 < 0 || (int)a3 >= VFS_FD_MAX)
			return -EINVAL;
		return fd_dup(fd, (int)a3, (int)a2 == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return vfs_fd_cloexec(fd) ? FD_CLOEXEC : 0;
	case F_SETFD:
		vfs_fd_set_cloexec(fd, (a3 & FD_CLOEXEC) != 0);
		return 0;
	case F_GETFL:
		return f->flags;
	case F_SETFL:
		f->flags = (f->flags & ~(uint32_t)FD_SETFL_MASK) | ((uint32_t)a3 & FD_SETFL_MASK);
		return 0;
	case F_GETLK:
	case F_OFD_GETLK: {
		/* One process and no locks held: whatever is asked about is free. */
		struct flock *lk = (struct flock *)a3;

		if (lk == NULL)
			return -EFAULT;
		lk->l_type = F_UNLCK;
		return 0;
	}
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		/* With one process every lock is granted; sqlite only needs them not to fail. */
		return 0;
	default:
		return -EINVAL;
	}
}

VFS_SYSCALL(ioctl)
{
	int fd = (int)a1;
	struct vfs_file *f = vfs_fd_get(fd);
	unsigned int req = (unsigned int)a2;

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	/* Linux answers these for every kind of file before the file's own ioctls. */
	switch (req) {
	case FIOCLEX:
	case FIONCLEX:
		vfs_fd_set_cloexec(fd, req == FIOCLEX);
		return 0;
	case FIONBIO:
		if (a3 == 0)
			return -EFAULT;
		if (*(const int *)a3)
			f->flags |= O_NONBLOCK;
		else
			f->flags &= ~(uint32_t)O_NONBLOCK;
		return 0;
	}
	if (vfs_file_is_ops(f))
		return f->ops->ioctl != NULL ? f->ops->ioctl(f, req, a3) : -ENOTTY;
	if (S_ISCHR(f->inode->mode))
		return vfs_console_ioctl(req, a3);
	return -ENOTTY;
}

static long fd_sync(int fd)
{
	struct vfs_file *f = vfs_fd_get(fd);

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	/* The ramfs lives in memory: nothing to write back; sockets and the like cannot sync. */
	if (vfs_file_is_ops(f))
		return -EINVAL;
	return f->inode->fs != NULL ? vfs_fs_sync(f->inode) : 0;
}

VFS_SYSCALL(fsync)
{
	return fd_sync((int)a1);
}

VFS_SYSCALL(fdatasync)
{
	return fd_sync((int)a1);
}

VFS_SYSCALL(ftruncate)
{
	struct vfs_file *f = vfs_fd_get((int)a1);

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	if (a2 < 0 || !S_ISREG(f->inode->mode) || !vfs_file_writable(f))
		return -EINVAL;
	if (f->inode->fs != NULL)
		return vfs_fs_truncate(f->inode, (uint64_t)a2);
	return vfs_data_truncate(f->inode, (uint64_t)a2);
}
