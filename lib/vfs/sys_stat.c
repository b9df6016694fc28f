/* Asking about files without opening them: the stat family, access and readlink. */
#include "vfs.h"
#include <arch/string.h>
#include <unistd.h>
#include "sys.h"

VFS_SYSCALL(fstat)
{
	struct vfs_file *f = vfs_fd_get((int)a1);

	if (f == NULL)
		return -EBADF;
	if (a2 == 0)
		return -EFAULT;
	vfs_inode_stat(f->inode, (struct stat *)a2);
	return 0;
}

static long stat_at(int dirfd, const char *path, struct stat *st, int flags)
{
	struct vfs_path p;
	int r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	r = vfs_lookup_existing(dirfd, path, vfs_at_flags(flags), &p);
	if (r != 0)
		return r;
	if (st == NULL)
		return -EFAULT;
	vfs_inode_stat(p.inode, st);
	return 0;
}

VFS_SYSCALL(stat)
{
	return stat_at(AT_FDCWD, (const char *)a1, (struct stat *)a2, 0);
}

VFS_SYSCALL(lstat)
{
	return stat_at(AT_FDCWD, (const char *)a1, (struct stat *)a2, AT_SYMLINK_NOFOLLOW);
}

VFS_SYSCALL(newfstatat)
{
	return stat_at((int)a1, (const char *)a2, (struct stat *)a3, (int)a4);
}

/* The guest is root: reading and writing are always allowed, executing needs an x bit somewhere. */
static long access_at(int dirfd, const char *path, int mode, int flags)
{
	struct vfs_path p;
	int r;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = vfs_lookup_existing(dirfd, path, vfs_at_flags(flags), &p);
	if (r != 0)
		return r;
	if ((mode & X_OK) && !S_ISDIR(p.inode->mode) && !(p.inode->mode & 0111))
		return -EACCES;
	return 0;
}

VFS_SYSCALL(access)
{
	return access_at(AT_FDCWD, (const char *)a1, (int)a2, 0);
}

VFS_SYSCALL(faccessat)
{
	return access_at((int)a1, (const char *)a2, (int)a3, 0);
}

VFS_SYSCALL(faccessat2)
{
	return access_at((int)a1, (const char *)a2, (int)a3, (int)a4);
}

static long readlink_at(int dirfd, const char *path, char *buf, long size)
{
	struct vfs_path p;
	int r;

	if (size <= 0)
		return -EINVAL;
	r = vfs_lookup_existing(dirfd, path, 0, &p);
	if (r != 0)
		return r;
	if (!S_ISLNK(p.inode->mode))
		return -EINVAL;
	if (buf == NULL)
		return -EFAULT;
	size_t n = p.inode->size < (unsigned long)size ? (size_t)p.inode->size : (size_t)size;
	memcpy(buf, p.inode->u.lnk.target, n);
	return (long)n;
}

VFS_SYSCALL(readlink)
{
	return readlink_at(AT_FDCWD, (const char *)a1, (char *)a2, a3);
}

VFS_SYSCALL(readlinkat)
{
	return readlink_at((int)a1, (const char *)a2, (char *)a3, a4);
}
