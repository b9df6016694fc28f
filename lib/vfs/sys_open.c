/* open, openat and creat: lookup, creation, the O_* flags, and a new descriptor. */
#include "vfs.h"
#include "sys.h"

/* Flags that act at open time and are not kept with the open file. */
#define OPEN_TRANSIENT (O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)

static int open_existing(struct vfs_inode *inode, int flags)
{
	int acc = flags & O_ACCMODE;

	if ((flags & O_CREAT) && (flags & O_EXCL))
		return -EEXIST;
	/* Reached only with O_NOFOLLOW: a symlink opens only as O_PATH. */
	if (S_ISLNK(inode->mode))
		return (flags & O_PATH) ? 0 : -ELOOP;
	if (S_ISDIR(inode->mode)) {
		if ((flags & O_CREAT) || acc != O_RDONLY)
			return -EISDIR;
		return 0;
	}
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	/* Writing, or truncating, a file on a read-only mount. */
	if (inode->fs != NULL && !(flags & O_PATH) && (acc != O_RDONLY || (flags & O_TRUNC)) && vfs_fs_writable(inode))
		return -EROFS;
	if ((flags & O_TRUNC) && S_ISREG(inode->mode) && !(flags & O_PATH))
		return inode->fs != NULL ? vfs_fs_truncate(inode, 0) : vfs_data_truncate(inode, 0);
	return 0;
}

static long open_at(int dirfd, const char *path, int flags, uint32_t mode)
{
	struct vfs_path p;
	struct vfs_inode *inode;
	struct vfs_file *f;
	int lookup = VFS_FOLLOW, r;

	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP;
	/* O_PATH keeps only these; the rest are ignored, as on Linux. */
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	/* O_CREAT|O_EXCL must fail on a symlink, dangling or not, rather than create its target. */
	if ((flags & O_NOFOLLOW) || ((flags & O_CREAT) && (flags & O_EXCL)))
		lookup = 0;
	r = vfs_lookup_at(dirfd, path, lookup, &p);
	if (r != 0)
		return r;
	inode = p.inode;
	if (inode == NULL) {
		if (!(flags & O_CREAT))
			return -ENOENT;
		if (p.slash)
			return -EISDIR;
		r = vfs_make(&p, S_IFREG | (mode & 07777), &inode);
	} else {
		r = open_existing(inode, flags);
	}
	if (r != 0)
		return r;
	f = vfs_file_new(inode, (uint32_t)flags & ~(uint32_t)OPEN_TRANSIENT);
	if (f == NULL)
		return -ENOMEM;
	r = vfs_fd_install(f, 0, (flags & O_CLOEXEC) != 0);
	if (r < 0)
		vfs_file_put(f);
	return r;
}

VFS_SYSCALL(open)
{
	return open_at(AT_FDCWD, (const char *)a1, (int)a2, (uint32_t)a3);
}

VFS_SYSCALL(openat)
{
	return open_at((int)a1, (const char *)a2, (int)a3, (uint32_t)a4);
}

VFS_SYSCALL(creat)
{
	return open_at(AT_FDCWD, (const char *)a1, O_CREAT | O_WRONLY | O_TRUNC, (uint32_t)a2);
}
