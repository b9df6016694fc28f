/* Path resolution: component by component through the ramfs, following symlinks up to 40 deep. */
#include "vfs.h"

size_t vfs_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return n;
}

static bool path_is_dots(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

static void path_names_dir(struct vfs_path *out, struct vfs_inode *dir, const char *empty)
{
	out->dir = dir;
	out->inode = dir;
	out->name = empty;
	out->namelen = 0;
	out->dots = true;
	out->slash = false;
	out->followed = false;
}

/*
 * Recursion happens only through symlinks, and each level counts one against *links, so the
 * depth stays below VFS_SYMLOOP_MAX frames whatever the path.
 */
static int path_walk(struct vfs_inode *dir, const char *path, int flags, unsigned *links, struct vfs_path *out)
{
	if (*path == '/') {
		dir = vfs_root;
		while (*path == '/')
			path++;
		if (*path == '\0') {
			path_names_dir(out, dir, path);
			out->slash = true;
			return 0;
		}
	}
	for (;;) {
		const char *name = path;
		size_t len = 0;

		if (!S_ISDIR(dir->mode))
			return -ENOTDIR;
		while (name[len] != '\0' && name[len] != '/')
			len++;
		if (len > VFS_NAME_MAX)
			return -ENAMETOOLONG;
		path = name + len;
		bool slash = *path == '/';
		while (*path == '/')
			path++;

		struct vfs_inode *child = vfs_dir_child(dir, name, len);
		if (*path == '\0') {
			out->dir = dir;
			out->inode = child;
			out->name = name;
			out->namelen = len;
			out->dots = path_is_dots(name, len);
			out->slash = slash;
			out->followed = false;
			/* A trailing slash asks for a directory, so it follows a symlink to one. */
			if (child != NULL && S_ISLNK(child->mode) && ((flags & VFS_FOLLOW) || slash)) {
				if (++*links > VFS_SYMLOOP_MAX)
					return -ELOOP;
				int r = path_walk(dir, child->u.lnk.target, VFS_FOLLOW, links, out);
				if (r != 0)
					return r;
				out->followed = true;
				out->slash |= slash;
				child = out->inode;
			}
			if (slash && child != NULL && !S_ISDIR(child->mode))
				return -ENOTDIR;
			return 0;
		}
		if (child == NULL)
			return -ENOENT;
		if (S_ISLNK(child->mode)) {
			struct vfs_path target;

			if (++*links > VFS_SYMLOOP_MAX)
				return -ELOOP;
			int r = path_walk(dir, child->u.lnk.target, VFS_FOLLOW, links, &target);
			if (r != 0)
				return r;
			if (target.inode == NULL)
				return -ENOENT;
			child = target.inode;
		}
		dir = child;
	}
}

static int path_check(const char *path, size_t *len)
{
	if (path == NULL)
		return -EFAULT;
	*len = vfs_strnlen(path, VFS_PATH_MAX);
	return *len == VFS_PATH_MAX ? -ENAMETOOLONG : 0;
}

int vfs_lookup(struct vfs_inode *start, const char *path, int flags, struct vfs_path *out)
{
	size_t len;
	unsigned links = 0;
	int r = path_check(path, &len);

	if (r != 0)
		return r;
	if (len == 0)
		return -ENOENT;
	return path_walk(start, path, flags, &links, out);
}

int vfs_lookup_at(int dirfd, const char *path, int flags, struct vfs_path *out)
{
	struct vfs_inode *start = vfs_cwd;
	size_t len;
	unsigned links = 0;
	int r = path_check(path, &len);

	if (r != 0)
		return r;
	if (len == 0 && !(flags & VFS_EMPTY))
		return -ENOENT;
	if (path[0] != '/' && dirfd != AT_FDCWD) {
		struct vfs_file *f = vfs_fd_get(dirfd);

		if (f == NULL)
			return -EBADF;
		start = f->inode;
		if (len != 0 && !S_ISDIR(start->mode))
			return -ENOTDIR;
	}
	if (len == 0) {
		path_names_dir(out, start, path);
		return 0;
	}
	return path_walk(start, path, flags, &links, out);
}

int vfs_lookup_existing(int dirfd, const char *path, int flags, struct vfs_path *out)
{
	int r = vfs_lookup_at(dirfd, path, flags, out);

	if (r == 0 && out->inode == NULL)
		return -ENOENT;
	return r;
}

int vfs_at_flags(long at_flags)
{
	return ((at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : VFS_FOLLOW) | ((at_flags & AT_EMPTY_PATH) ? VFS_EMPTY : 0);
}
