/* Making, linking, removing and renaming names on resolved paths, with Linux's errors. */
#include "vfs.h"
#include <arch/string.h>

/* Whether p may get a new inode of type mode. */
static int make_check(const struct vfs_path *p, uint32_t mode)
{
	if (p->dots || p->inode != NULL)
		return -EEXIST;
	/* Only directories may be named with a trailing slash. */
	if (p->dir->nlink == 0 || (p->slash && !S_ISDIR(mode)))
		return -ENOENT;
	return 0;
}

int vfs_make(struct vfs_path *p, uint32_t mode, struct vfs_inode **out)
{
	struct vfs_dirent *d;
	struct vfs_inode *inode;
	int r = make_check(p, mode);

	if (r != 0)
		return r;
	if (p->dir->fs != NULL)
		return vfs_fs_make(p, mode, out);
	d = vfs_dirent_alloc(p->name, p->namelen);
	if (d == NULL)
		return -ENOMEM;
	inode = vfs_inode_new(mode);
	if (inode == NULL) {
		vfs_dirent_free(d);
		return -ENOMEM;
	}
	vfs_dir_insert(p->dir, d, inode);
	if (out != NULL)
		*out = inode;
	return 0;
}

int vfs_make_symlink(struct vfs_path *p, const char *target, size_t len)
{
	struct vfs_inode *inode;
	char *copy;
	int r;

	if (len == 0)
		return -ENOENT;
	if (len >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (p->dir->fs != NULL) {
		r = make_check(p, S_IFLNK);
		return r != 0 ? r : vfs_fs_symlink(p, target, len);
	}
	copy = vfs_alloc(len + 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, target, len);
	r = vfs_make(p, S_IFLNK | 0777, &inode);
	if (r != 0) {
		vfs_free(copy, len + 1);
		return r;
	}
	inode->u.lnk.target = copy;
	inode->size = len;
	return 0;
}

int vfs_unlink(struct vfs_path *p)
{
	if (p->inode == NULL)
		return -ENOENT;
	if (p->dots || S_ISDIR(p->inode->mode))
		return -EISDIR;
	if (p->dir->fs != NULL)
		return vfs_fs_remove(p, false);
	vfs_dir_remove(p->dir, vfs_dir_find(p->dir, p->name, p->namelen));
	return 0;
}

int vfs_rmdir(struct vfs_path *p)
{
	if (p->inode == NULL)
		return -ENOENT;
	if (p->inode == vfs_root || vfs_fs_is_root(p->inode))
		return -EBUSY;
	if (p->dots)
		return p->namelen == 1 ? -EINVAL : -ENOTEMPTY;
	/* rmdir does not follow symlinks, not even with a trailing slash. */
	if (!S_ISDIR(p->inode->mode) || p->followed)
		return -ENOTDIR;
	if (p->dir->fs != NULL)
		return vfs_fs_remove(p, true);
	if (p->inode->u.dir.head != NULL)
		return -ENOTEMPTY;
	vfs_dir_remove(p->dir, vfs_dir_find(p->dir, p->name, p->namelen));
	return 0;
}

int vfs_link(struct vfs_inode *inode, struct vfs_path *to)
{
	struct vfs_dirent *d;

	if (S_ISDIR(inode->mode))
		return -EPERM;
	if (inode->fs != to->dir->fs)
		return -EXDEV;
	if (to->dots || to->inode != NULL)
		return -EEXIST;
	/* An open file whose last name is gone cannot get a new one. */
	if (to->slash || to->dir->nlink == 0 || inode->nlink == 0)
		return -ENOENT;
	if (inode->fs != NULL)
		return vfs_fs_link(inode, to);
	d = vfs_dirent_alloc(to->name, to->namelen);
	if (d == NULL)
		return -ENOMEM;
	vfs_dir_insert(to->dir, d, inode);
	return 0;
}

static int rename_check(struct vfs_path *from, struct vfs_path *to, unsigned flags)
{
	struct vfs_inode *src = from->inode, *dst = to->inode;

	if (src == NULL)
		return -ENOENT;
	if (from->dots || vfs_fs_is_root(src) || (dst != NULL && vfs_fs_is_root(dst)))
		return -EBUSY;
	if (to->dots)
		return (flags & VFS_RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
	if (from->followed || to->followed || (!S_ISDIR(src->mode) && (from->slash || to->slash)))
		return -ENOTDIR;
	if (to->dir->nlink == 0)
		return -ENOENT;
	if (from->dir->fs != to->dir->fs)
		return -EXDEV;
	if (dst != NULL && dst != src && (flags & VFS_RENAME_NOREPLACE))
		return -EEXIST;
	if (S_ISDIR(src->mode)) {
		if (dst != NULL && dst != src && !S_ISDIR(dst->mode))
			return -ENOTDIR;
		/*
		 * A directory cannot move into itself or below. A corrupt disk can link a directory
		 * below itself, so its parents may loop: no real chain is longer than a path allows.
		 */
		unsigned int depth = 0;
		for (struct vfs_inode *d = to->dir; d != vfs_root; d = d->u.dir.parent)
			if (d == src || d == NULL || ++depth > VFS_PATH_MAX / 2)
				return d == src ? -EINVAL : -ELOOP;
		if (dst != NULL && dst != src && dst->fs == NULL && dst->u.dir.head != NULL)
			return -ENOTEMPTY;
	} else if (dst != NULL && S_ISDIR(dst->mode)) {
		return -EISDIR;
	}
	return 0;
}

int vfs_rename(struct vfs_path *from, struct vfs_path *to, unsigned flags)
{
	int r = rename_check(from, to, flags);

	if (r != 0)
		return r;
	/* Two names of one file: Linux leaves both. */
	if (from->inode == to->inode)
		return 0;
	if (from->dir->fs != NULL)
		return vfs_fs_rename(from, to, flags);
	struct vfs_dirent *old = vfs_dir_find(from->dir, from->name, from->namelen);
	/* The new entry first: running out of memory must leave both names as they were. */
	struct vfs_dirent *d = vfs_dirent_alloc(to->name, to->namelen);
	if (d == NULL)
		return -ENOMEM;
	if (to->inode != NULL)
		vfs_dir_remove(to->dir, vfs_dir_find(to->dir, to->name, to->namelen));
	vfs_dir_insert(to->dir, d, from->inode);
	vfs_dir_remove(from->dir, old);
	return 0;
}
