/* Directory listing and the working directory: getdents64, getcwd, chdir, fchdir. */
#include "vfs.h"
#include <arch/string.h>
#include <dirent.h>
#include "sys.h"

/* struct linux_dirent64 up to its name; records are padded to 8 bytes. */
struct dir_record {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
} __attribute__((packed));

#define DIR_NAME_OFFSET 19

_Static_assert(sizeof(struct dir_record) == DIR_NAME_OFFSET, "linux_dirent64 header is 19 bytes");

/* The entry at cookie pos or the first after it; NULL past the end. */
static const struct vfs_dirent *dir_entry_at(const struct vfs_inode *dir, uint64_t pos)
{
	for (const struct vfs_dirent *d = dir->u.dir.head; d != NULL; d = d->next)
		if (d->cookie >= pos)
			return d;
	return NULL;
}

/* A mounted directory's listing, its driver's entries packed as the ramfs's are. */
struct dir_fill {
	struct vfs_file *f;
	char *buf;
	size_t count, used;
	bool full;
};

static int dir_fill_one(void *ctx, const char *name, size_t len, uint64_t ino, uint8_t type, uint64_t next)
{
	struct dir_fill *df = ctx;
	struct dir_record rec;
	size_t reclen = (DIR_NAME_OFFSET + len + 1 + 7) & ~(size_t)7;

	if (len == 0 || len > VFS_NAME_MAX || next <= df->f->pos)
		return -EIO;
	if (reclen > df->count - df->used) {
		df->full = true;
		return 1;
	}
	rec.d_ino = ino;
	rec.d_off = (int64_t)next;
	rec.d_reclen = (uint16_t)reclen;
	rec.d_type = type;
	memcpy(df->buf + df->used, &rec, DIR_NAME_OFFSET);
	memcpy(df->buf + df->used + DIR_NAME_OFFSET, name, len);
	memset(df->buf + df->used + DIR_NAME_OFFSET + len, 0, reclen - DIR_NAME_OFFSET - len);
	df->used += reclen;
	df->f->pos = next;
	return 0;
}

static long dir_getdents_fs(struct vfs_file *f, char *buf, size_t count)
{
	struct dir_fill df = {.f = f, .buf = buf, .count = count};
	int r = vfs_fs_readdir(f->inode, f->pos, dir_fill_one, &df);

	if (r < 0 && df.used == 0)
		return r;
	if (df.full && df.used == 0)
		return -EINVAL;
	return (long)df.used;
}

VFS_SYSCALL(getdents64)
{
	struct vfs_file *f = vfs_fd_get((int)a1);
	char *buf = (char *)a2;
	size_t count = (size_t)(unsigned int)a3, used = 0;

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	struct vfs_inode *dir = f->inode;
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (dir->nlink == 0)
		return -ENOENT;
	if (buf == NULL)
		return -EFAULT;
	if (dir->fs != NULL)
		return dir_getdents_fs(f, buf, count);
	for (;;) {
		struct dir_record rec;
		const char *name;
		size_t len;
		uint64_t next;

		/* Positions 0 and 1 are "." and ".."; entries follow at their cookies. */
		if (f->pos < VFS_FIRST_COOKIE) {
			/* "." is the first character of "..". */
			name = "..";
			len = f->pos + 1;
			rec.d_ino = f->pos == 0 ? dir->ino : dir->u.dir.parent->ino;
			rec.d_type = DT_DIR;
			next = f->pos + 1;
		} else {
			const struct vfs_dirent *d = dir_entry_at(dir, f->pos);

			if (d == NULL)
				break;
			name = d->name;
			len = d->namelen;
			rec.d_ino = d->inode->ino;
			/* DT_* is the file type's S_IFMT value shifted down. */
			rec.d_type = (uint8_t)((d->inode->mode & S_IFMT) >> 12);
			next = d->cookie + 1;
		}
		size_t reclen = (DIR_NAME_OFFSET + len + 1 + 7) & ~(size_t)7;
		if (reclen > count - used) {
			if (used == 0)
				return -EINVAL;
			break;
		}
		rec.d_off = (int64_t)next;
		rec.d_reclen = (uint16_t)reclen;
		memcpy(buf + used, &rec, DIR_NAME_OFFSET);
		memcpy(buf + used + DIR_NAME_OFFSET, name, len);
		memset(buf + used + DIR_NAME_OFFSET + len, 0, reclen - DIR_NAME_OFFSET - len);
		used += reclen;
		f->pos = next;
	}
	return (long)used;
}

/* The name of directory d in its parent: a mounted directory asks its driver. */
struct dir_name {
	uint64_t ino;
	char *name;
	size_t len;
};

static int dir_name_match(void *ctx, const char *name, size_t len, uint64_t ino, uint8_t type, uint64_t next)
{
	struct dir_name *dn = ctx;

	(void)next;
	if (ino != dn->ino || type != DT_DIR || len > VFS_NAME_MAX || (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	memcpy(dn->name, name, len);
	dn->len = len;
	return 1;
}

static int dir_name_of(const struct vfs_inode *d, char name[VFS_NAME_MAX], size_t *len)
{
	struct vfs_inode *parent = d->u.dir.parent;

	if (parent->fs != NULL && d->fs == parent->fs) {
		struct dir_name dn = {.ino = d->ino, .name = name};

		vfs_fs_readdir(parent, 0, dir_name_match, &dn);
		*len = dn.len;
		return dn.len != 0 ? 0 : -ENOENT;
	}
	const struct vfs_dirent *e = vfs_dir_find_inode(parent, d);
	memcpy(name, e->name, e->namelen);
	*len = e->namelen;
	return 0;
}

VFS_SYSCALL(getcwd)
{
	char *buf = (char *)a1;
	size_t size = (size_t)a2, len = 0, n;
	char name[VFS_NAME_MAX];

	if (vfs_cwd->nlink == 0)
		return -ENOENT;
	/* Measured first, then written from the end back to the root. */
	for (struct vfs_inode *d = vfs_cwd; d != vfs_root; d = d->u.dir.parent) {
		if (d->u.dir.parent == NULL || dir_name_of(d, name, &n) != 0)
			return -ENOENT;
		len += 1 + n;
		if (len >= VFS_PATH_MAX)
			return -ENAMETOOLONG;
	}
	size_t total = (len != 0 ? len : 1) + 1;
	if (buf == NULL)
		return -EFAULT;
	if (total > size)
		return -ERANGE;
	buf[0] = '/';
	buf[total - 1] = '\0';
	for (struct vfs_inode *d = vfs_cwd; d != vfs_root; d = d->u.dir.parent) {
		if (dir_name_of(d, name, &n) != 0 || n > len - 1)
			return -ENOENT;
		len -= n;
		memcpy(buf + len, name, n);
		buf[--len] = '/';
	}
	return (long)total;
}

static void dir_set_cwd(struct vfs_inode *dir)
{
	vfs_inode_get(dir);
	vfs_inode_put(vfs_cwd);
	vfs_cwd = dir;
}

VFS_SYSCALL(chdir)
{
	struct vfs_path p;
	int r = vfs_lookup_existing(AT_FDCWD, (const char *)a1, VFS_FOLLOW, &p);

	if (r != 0)
		return r;
	if (!S_ISDIR(p.inode->mode))
		return -ENOTDIR;
	dir_set_cwd(p.inode);
	return 0;
}

VFS_SYSCALL(fchdir)
{
	struct vfs_file *f = vfs_fd_get((int)a1);

	if (f == NULL)
		return -EBADF;
	if (!S_ISDIR(f->inode->mode))
		return -ENOTDIR;
	dir_set_cwd(f->inode);
	return 0;
}
