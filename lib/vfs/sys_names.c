/* Calls that change names or attributes by path: mkdir, rmdir, unlink, rename, symlink, link, truncate, chmod. */
#include "vfs.h"
#include "sys.h"

static long names_mkdir(int dirfd, const char *path, uint32_t mode)
{
	struct vfs_path p;
	int r = vfs_lookup_at(dirfd, path, 0, &p);

	return r != 0 ? r : vfs_make(&p, S_IFDIR | (mode & 07777), NULL);
}

VFS_SYSCALL(mkdir)
{
	return names_mkdir(AT_FDCWD, (const char *)a1, (uint32_t)a2);
}

VFS_SYSCALL(mkdirat)
{
	return names_mkdir((int)a1, (const char *)a2, (uint32_t)a3);
}

static long names_remove(int dirfd, const char *path, bool dir)
{
	struct vfs_path p;
	int r = vfs_lookup_at(dirfd, path, 0, &p);

	if (r != 0)
		return r;
	return dir ? vfs_rmdir(&p) : vfs_unlink(&p);
}

VFS_SYSCALL(rmdir)
{
	return names_remove(AT_FDCWD, (const char *)a1, true);
}

VFS_SYSCALL(unlink)
{
	return names_remove(AT_FDCWD, (const char *)a1, false);
}

VFS_SYSCALL(unlinkat)
{
	if (a3 & ~(long)AT_REMOVEDIR)
		return -EINVAL;
	return names_remove((int)a1, (const char *)a2, (a3 & AT_REMOVEDIR) != 0);
}

static long names_rename(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned long flags)
{
	struct vfs_path from, to;
	int r;

	/* RENAME_NOREPLACE only: exchange and whiteouts have no use here. */
	if (flags & ~(unsigned long)VFS_RENAME_NOREPLACE)
		return -EINVAL;
	r = vfs_lookup_at(olddirfd, oldpath, 0, &from);
	if (r != 0)
		return r;
	r = vfs_lookup_at(newdirfd, newpath, 0, &to);
	if (r != 0)
		return r;
	return vfs_rename(&from, &to, (unsigned)flags);
}

VFS_SYSCALL(rename)
{
	return names_rename(AT_FDCWD, (const char *)a1, AT_FDCWD, (const char *)a2, 0);
}

VFS_SYSCALL(renameat)
{
	return names_rename((int)a1, (const char *)a2, (int)a3, (const char *)a4, 0);
}

VFS_SYSCALL(renameat2)
{
	return names_rename((int)a1, (const char *)a2, (int)a3, (const char *)a4, (unsigned long)a5);
}

static long names_symlink(const char *target, int dirfd, const char *path)
{
	struct vfs_path p;
	int r;

	if (target == NULL)
		return -EFAULT;
	size_t len = vfs_strnlen(target, VFS_PATH_MAX);
	r = vfs_lookup_at(dirfd, path, 0, &p);
	return r != 0 ? r : vfs_make_symlink(&p, target, len);
}

VFS_SYSCALL(symlink)
{
	return names_symlink((const char *)a1, AT_FDCWD, (const char *)a2);
}

VFS_SYSCALL(symlinkat)
{
	return names_symlink((const char *)a1, (int)a2, (const char *)a3);
}

static long names_link(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	struct vfs_path from, to;
	int r;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = vfs_lookup_at(olddirfd, oldpath, ((flags & AT_SYMLINK_FOLLOW) ? VFS_FOLLOW : 0) |
						      ((flags & AT_EMPTY_PATH) ? VFS_EMPTY : 0), &from);
	if (r != 0)
		return r;
	if (from.inode == NULL)
		return -ENOENT;
	r = vfs_lookup_at(newdirfd, newpath, 0, &to);
	return r != 0 ? r : vfs_link(from.inode, &to);
}

VFS_SYSCALL(link)
{
	return names_link(AT_FDCWD, (const char *)a1, AT_FDCWD, (const char *)a2, 0);
}

VFS_SYSCALL(linkat)
{
	return names_link((int)a1, (const char *)a2, (int)a3, (const char *)a4, (int)a5);
}

VFS_SYSCALL(truncate)
{
	struct vfs_path p;
	int r = vfs_lookup_existing(AT_FDCWD, (const char *)a1, VFS_FOLLOW, &p);

	if (r != 0)
		return r;
	if (S_ISDIR(p.inode->mode))
		return -EISDIR;
	if (a2 < 0 || !S_ISREG(p.inode->mode))
		return -EINVAL;
	if (p.inode->fs != NULL)
		return vfs_fs_truncate(p.inode, (uint64_t)a2);
	return vfs_data_truncate(p.inode, (uint64_t)a2);
}

static long names_chmod(struct vfs_inode *inode, uint32_t mode)
{
	int r = vfs_fs_writable(inode);

	if (r != 0)
		return r;
	inode->mode = (inode->mode & S_IFMT) | (mode & 07777);
	inode->ctime_ns = vfs_now();
	return inode->fs != NULL ? vfs_fs_setattr(inode) : 0;
}

VFS_SYSCALL(fchmod)
{
	struct vfs_file *f = vfs_fd_get((int)a1);

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	return names_chmod(f->inode, (uint32_t)a2);
}

static long names_chmod_at(int dirfd, const char *path, uint32_t mode)
{
	struct vfs_path p;
	int r = vfs_lookup_existing(dirfd, path, VFS_FOLLOW, &p);

	if (r != 0)
		return r;
	return names_chmod(p.inode, mode);
}

VFS_SYSCALL(chmod)
{
	return names_chmod_at(AT_FDCWD, (const char *)a1, (uint32_t)a2);
}

VFS_SYSCALL(fchmodat)
{
	return names_chmod_at((int)a1, (const char *)a2, (uint32_t)a3);
}

/*
 * Ownership is not modelled: every file belongs to uid 0, the guest's only user. Changing it to
 * that owner (or leaving it, -1) succeeds, as SQLite's journal handling expects; any other owner
 * is refused rather than silently not recorded.
 */
static long names_chown_ok(long uid, long gid)
{
	return ((int)uid == 0 || (int)uid == -1) && ((int)gid == 0 || (int)gid == -1) ? 0 : -EPERM;
}

VFS_SYSCALL(fchown)
{
	struct vfs_file *f = vfs_fd_get((int)a1);

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	return names_chown_ok(a2, a3);
}

static long names_chown_at(int dirfd, const char *path, int follow, long uid, long gid)
{
	struct vfs_path p;
	int r = vfs_lookup_existing(dirfd, path, follow, &p);

	if (r != 0)
		return r;
	return names_chown_ok(uid, gid);
}

VFS_SYSCALL(chown)
{
	return names_chown_at(AT_FDCWD, (const char *)a1, VFS_FOLLOW, a2, a3);
}

VFS_SYSCALL(lchown)
{
	return names_chown_at(AT_FDCWD, (const char *)a1, 0, a2, a3);
}

VFS_SYSCALL(fchownat)
{
	return names_chown_at((int)a1, (const char *)a2, vfs_at_flags(a5 & AT_SYMLINK_NOFOLLOW), a3, a4);
}

/* A timespec of utimensat: UTIME_NOW, UTIME_OMIT (-1: leave it) or a time, EINVAL when malformed. */
static int names_time(const struct timespec *ts, int64_t now, int64_t *out)
{
	if (ts == NULL || ts->tv_nsec == UTIME_NOW) {
		*out = now;
		return 0;
	}
	if (ts->tv_nsec == UTIME_OMIT) {
		*out = -1;
		return 0;
	}
	if (ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000 || ts->tv_sec > INT64_MAX / 1000000000 - 1 ||
	    ts->tv_sec < INT64_MIN / 1000000000 + 1)
		return -EINVAL;
	*out = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
	return 0;
}

static long names_utimens(int dirfd, const char *path, const struct timespec *times, int flags)
{
	struct vfs_inode *inode;
	int64_t now = vfs_now(), atime, mtime;
	int r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((r = names_time(times, now, &atime)) != 0 || (r = names_time(times ? times + 1 : NULL, now, &mtime)) != 0)
		return r;
	/* futimens: no path, the fd itself. */
	if (path == NULL) {
		struct vfs_file *f = vfs_fd_get(dirfd);

		if (f == NULL || (f->flags & O_PATH))
			return -EBADF;
		inode = f->inode;
	} else {
		struct vfs_path p;

		r = vfs_lookup_existing(dirfd, path, vfs_at_flags(flags), &p);
		if (r != 0)
			return r;
		inode = p.inode;
	}
	if (atime == -1 && mtime == -1)
		return 0;
	r = vfs_fs_writable(inode);
	if (r != 0)
		return r;
	if (atime != -1)
		inode->atime_ns = atime;
	if (mtime != -1)
		inode->mtime_ns = mtime;
	inode->ctime_ns = now;
	return inode->fs != NULL ? vfs_fs_setattr(inode) : 0;
}

VFS_SYSCALL(utimensat)
{
	return names_utimens((int)a1, (const char *)a2, (const struct timespec *)a3, (int)a4);
}
