/* Mounted filesystems: a driver's inodes as vfs inodes (cached by number), and the name and data operations delegated to it. */
#include "vfs.h"
#include <arch/string.h>

#define MOUNT_BUCKETS 256
#define MOUNT_FIRST_DEV 2 /* the ramfs is st_dev 1 */

static struct vfs_mount *mounts;
static uint32_t mount_next_dev = MOUNT_FIRST_DEV;

static void mount_copy_attr(struct vfs_inode *inode, const struct vfs_fs_attr *a)
{
	inode->mode = a->mode;
	inode->nlink = a->nlink;
	inode->uid = a->uid;
	inode->gid = a->gid;
	inode->size = a->size;
	inode->fs_blocks = a->blocks;
	inode->atime_ns = a->atime_ns;
	inode->mtime_ns = a->mtime_ns;
	inode->ctime_ns = a->ctime_ns;
}

static int mount_refresh(struct vfs_inode *inode)
{
	struct vfs_fs_attr a;

	if (inode->fs->gone)
		return -EIO;
	int r = inode->fs->ops->getattr(inode->fs->fs, inode->ino, &a);

	if (r != 0)
		return r;
	/*
	 * The inode's union follows its type and a symlink's target was sized when it was loaded:
	 * a disk that changes either under a known inode is corrupt.
	 */
	if ((inode->mode & S_IFMT) != 0 &&
	    (((a.mode ^ inode->mode) & S_IFMT) != 0 || (S_ISLNK(inode->mode) && a.size != inode->size)))
		return -EIO;
	mount_copy_attr(inode, &a);
	return 0;
}

static struct vfs_inode **mount_bucket(struct vfs_mount *m, uint64_t ino)
{
	return &m->table[ino % m->buckets];
}

/* A symlink's target is read once, when its inode is first seen: path lookup needs it in memory. */
static int mount_load_target(struct vfs_inode *inode)
{
	struct vfs_mount *m = inode->fs;
	size_t len = inode->size;
	long r;

	if (len == 0 || len >= VFS_PATH_MAX || m->ops->readlink == NULL)
		return -EIO;
	inode->u.lnk.target = vfs_alloc(len + 1);
	if (inode->u.lnk.target == NULL)
		return -ENOMEM;
	r = m->ops->readlink(m->fs, inode->ino, inode->u.lnk.target, len);
	if (r != (long)len) {
		vfs_free(inode->u.lnk.target, len + 1);
		inode->u.lnk.target = NULL;
		return r < 0 ? (int)r : -EIO;
	}
	return 0;
}

/* The cached inode for ino, made (attributes read) on first sight; NULL on failure. */
static struct vfs_inode *mount_inode(struct vfs_mount *m, uint64_t ino, struct vfs_inode *parent)
{
	struct vfs_inode *inode;

	for (inode = *mount_bucket(m, ino); inode != NULL; inode = inode->fs_next)
		if (inode->ino == ino)
			goto found;
	inode = vfs_alloc(sizeof(*inode));
	if (inode == NULL)
		return NULL;
	inode->ino = ino;
	inode->fs = m;
	if (mount_refresh(inode) != 0 || (inode->mode & S_IFMT) == 0 ||
	    (S_ISLNK(inode->mode) && mount_load_target(inode) != 0)) {
		vfs_free(inode, sizeof(*inode));
		return NULL;
	}
	inode->fs_next = *mount_bucket(m, ino);
	*mount_bucket(m, ino) = inode;
	m->inodes++;
found:
	/* A directory has one name, so the walk that reached it knows its parent. */
	if (S_ISDIR(inode->mode) && parent != NULL && inode != m->root)
		inode->u.dir.parent = parent;
	return inode;
}

static void mount_free(struct vfs_mount *m)
{
	vfs_free(m->table, m->buckets * sizeof(*m->table));
	vfs_free(m, sizeof(*m));
}

static void mount_drop(struct vfs_inode *inode)
{
	struct vfs_mount *m = inode->fs;
	struct vfs_inode **p = mount_bucket(m, inode->ino);

	while (*p != inode)
		p = &(*p)->fs_next;
	*p = inode->fs_next;
	m->inodes--;
	if (S_ISLNK(inode->mode) && inode->u.lnk.target != NULL)
		vfs_free(inode->u.lnk.target, inode->size + 1);
	vfs_free(inode, sizeof(*inode));
	/* An unmounted filesystem goes with the last inode an open file kept. */
	if (m->gone && m->inodes == 0)
		mount_free(m);
}

void vfs_fs_forget(struct vfs_inode *inode)
{
	if (inode->fs->gone) {
		mount_drop(inode);
		return;
	}
	if (inode == inode->fs->root)
		return;
	inode->fs->ops->evict(inode->fs->fs, inode->ino);
	mount_drop(inode);
}

int vfs_fs_writable(const struct vfs_inode *inode)
{
	return inode->fs != NULL && inode->fs->readonly ? -EROFS : 0;
}

struct vfs_inode *vfs_fs_child(struct vfs_inode *dir, const char *name, size_t len)
{
	struct vfs_mount *m = dir->fs;
	uint64_t ino;

	if (m->gone || dir->nlink == 0 || m->ops->lookup(m->fs, dir->ino, name, len, &ino) != 0)
		return NULL;
	return mount_inode(m, ino, dir);
}

/*
 * The inode a driver just made in dir, of type mode. A corrupt disk can hand out a number the
 * cache already holds as something else: that inode's union is of the other type, so it is EIO.
 */
static struct vfs_inode *mount_made(struct vfs_inode *dir, uint64_t ino, uint32_t mode)
{
	struct vfs_inode *inode;

	mount_refresh(dir);
	inode = mount_inode(dir->fs, ino, dir);
	if (inode == NULL || mount_refresh(inode) != 0 || ((inode->mode ^ mode) & S_IFMT) != 0)
		return NULL;
	return inode;
}

/* Whether names and contents on m may change: a disk gone is EIO, a read-only mount EROFS. */
static int mount_changeable(const struct vfs_mount *m)
{
	if (m->gone)
		return -EIO;
	return m->readonly ? -EROFS : 0;
}

int vfs_fs_make(struct vfs_path *p, uint32_t mode, struct vfs_inode **out)
{
	struct vfs_mount *m = p->dir->fs;
	struct vfs_inode *inode;
	uint64_t ino;
	int r;

	r = mount_changeable(m);
	if (r != 0)
		return r;
	if (!S_ISREG(mode) && !S_ISDIR(mode))
		return -EPERM;
	r = m->ops->create(m->fs, p->dir->ino, p->name, p->namelen, mode, &ino);
	if (r != 0)
		return r;
	inode = mount_made(p->dir, ino, mode);
	if (inode == NULL)
		return -EIO;
	if (out != NULL)
		*out = inode;
	return 0;
}

int vfs_fs_symlink(struct vfs_path *p, const char *target, size_t len)
{
	struct vfs_mount *m = p->dir->fs;
	uint64_t ino;
	int r;

	r = mount_changeable(m);
	if (r != 0)
		return r;
	if (m->ops->symlink == NULL)
		return -EPERM;
	r = m->ops->symlink(m->fs, p->dir->ino, p->name, p->namelen, target, len, &ino);
	if (r != 0)
		return r;
	return mount_made(p->dir, ino, S_IFLNK) != NULL ? 0 : -EIO;
}

int vfs_fs_link(struct vfs_inode *inode, struct vfs_path *to)
{
	struct vfs_mount *m = inode->fs;
	int r;

	r = mount_changeable(m);
	if (r != 0)
		return r;
	if (m->ops->link == NULL)
		return -EPERM;
	r = m->ops->link(m->fs, inode->ino, to->dir->ino, to->name, to->namelen);
	if (r != 0)
		return r;
	mount_refresh(to->dir);
	/* The cached link count follows the disk's: unlinking one name must leave the other. */
	return mount_refresh(inode);
}

/* A name went away: the inode's link count drops, and it goes once nothing holds it. */
static void mount_unnamed(struct vfs_inode *inode)
{
	if (mount_refresh(inode) != 0 || inode->nlink == 0) {
		inode->nlink = 0;
		if (S_ISDIR(inode->mode))
			inode->u.dir.parent = NULL;
		vfs_inode_release(inode);
	}
}

int vfs_fs_remove(struct vfs_path *p, bool is_dir)
{
	struct vfs_mount *m = p->dir->fs;
	struct vfs_inode *inode = p->inode;
	int r;

	r = mount_changeable(m);
	if (r != 0)
		return r;
	r = m->ops->remove(m->fs, p->dir->ino, p->name, p->namelen, inode->ino, is_dir);
	if (r != 0)
		return r;
	mount_refresh(p->dir);
	mount_unnamed(inode);
	return 0;
}

int vfs_fs_rename(struct vfs_path *from, struct vfs_path *to, unsigned flags)
{
	struct vfs_mount *m = from->dir->fs;
	uint64_t replaced = 0;
	int r;

	if (m != to->dir->fs)
		return -EXDEV;
	r = mount_changeable(m);
	if (r != 0)
		return r;
	if (to->inode != NULL && (flags & VFS_RENAME_NOREPLACE))
		return -EEXIST;
	r = m->ops->rename(m->fs, from->dir->ino, from->name, from->namelen, to->dir->ino, to->name, to->namelen,
			   &replaced);
	if (r != 0)
		return r;
	if (S_ISDIR(from->inode->mode))
		from->inode->u.dir.parent = to->dir;
	mount_refresh(from->dir);
	mount_refresh(to->dir);
	mount_refresh(from->inode);
	if (replaced != 0 && to->inode != NULL && to->inode->ino == replaced)
		mount_unnamed(to->inode);
	return 0;
}

long vfs_fs_read(struct vfs_inode *inode, void *buf, size_t len, uint64_t off)
{
	if (inode->fs->gone)
		return -EIO;
	if (off >= inode->size)
		return 0;
	if (len > inode->size - off)
		len = (size_t)(inode->size - off);
	return inode->fs->ops->read(inode->fs->fs, inode->ino, buf, len, off);
}

long vfs_fs_write(struct vfs_inode *inode, const void *buf, size_t len, uint64_t off)
{
	long r;

	if (inode->fs->gone)
		return -EIO;
	if (inode->fs->readonly)
		return -EROFS;
	if (off >= VFS_FILE_MAX)
		return -EFBIG;
	if (len > VFS_FILE_MAX - off)
		len = (size_t)(VFS_FILE_MAX - off);
	if (len == 0)
		return 0;
	r = inode->fs->ops->write(inode->fs->fs, inode->ino, buf, len, off);
	mount_refresh(inode);
	return r;
}

int vfs_fs_truncate(struct vfs_inode *inode, uint64_t size)
{
	int r;

	if (inode->fs->gone)
		return -EIO;
	if (inode->fs->readonly)
		return -EROFS;
	if (size > VFS_FILE_MAX)
		return -EFBIG;
	r = inode->fs->ops->truncate(inode->fs->fs, inode->ino, size);
	mount_refresh(inode);
	return r;
}

int vfs_fs_sync(struct vfs_inode *inode)
{
	if (inode->fs->gone)
		return -EIO;
	return inode->fs->readonly ? 0 : inode->fs->ops->sync(inode->fs->fs, inode->ino);
}

int vfs_fs_setattr(struct vfs_inode *inode)
{
	struct vfs_fs_attr a = {
		.mode = inode->mode,
		.atime_ns = inode->atime_ns,
		.mtime_ns = inode->mtime_ns,
		.ctime_ns = inode->ctime_ns,
	};
	int r;

	if (inode->fs->gone)
		return -EIO;
	if (inode->fs->readonly)
		r = -EROFS;
	else
		r = inode->fs->ops->setattr(inode->fs->fs, inode->ino, &a);
	/* Whatever happened, the copy shows what the disk holds. */
	mount_refresh(inode);
	return r;
}

int vfs_fs_readdir(struct vfs_inode *dir, uint64_t pos, vfs_fs_filldir_t fill, void *ctx)
{
	if (dir->fs->gone)
		return -EIO;
	return dir->fs->ops->readdir(dir->fs->fs, dir->ino, pos, fill, ctx);
}

int vfs_mount(const char *path, const struct vfs_fs_ops *ops, void *fs, uint64_t root, bool readonly)
{
	struct vfs_path p;
	struct vfs_mount *m;
	struct vfs_dirent *d;
	int r = vfs_lookup(vfs_root, path, VFS_FOLLOW, &p);

	if (r != 0)
		return r;
	if (p.dots || p.inode == vfs_root)
		return -EBUSY;
	if (p.dir->fs != NULL)
		return -EXDEV;
	if (p.inode != NULL && (!S_ISDIR(p.inode->mode) || p.inode->fs != NULL))
		return S_ISDIR(p.inode->mode) ? -EBUSY : -ENOTDIR;
	if (p.inode != NULL && p.inode->u.dir.head != NULL)
		return -ENOTEMPTY;
	m = vfs_alloc(sizeof(*m));
	d = vfs_dirent_alloc(p.name, p.namelen);
	if (m != NULL)
		m->table = vfs_alloc(MOUNT_BUCKETS * sizeof(*m->table));
	if (m == NULL || m->table == NULL || d == NULL) {
		if (m != NULL && m->table != NULL)
			vfs_free(m->table, MOUNT_BUCKETS * sizeof(*m->table));
		vfs_free(m, sizeof(*m));
		if (d != NULL)
			vfs_dirent_free(d);
		return -ENOMEM;
	}
	m->ops = ops;
	m->fs = fs;
	m->readonly = readonly;
	m->buckets = MOUNT_BUCKETS;
	m->root = mount_inode(m, root, NULL);
	if (m->root == NULL || !S_ISDIR(m->root->mode)) {
		if (m->root != NULL)
			mount_drop(m->root);
		vfs_free(m->table, MOUNT_BUCKETS * sizeof(*m->table));
		vfs_free(m, sizeof(*m));
		vfs_dirent_free(d);
		return -EIO;
	}
	m->dev = mount_next_dev++;
	/* The empty directory there steps aside; the root takes its name (and "..": the parent). */
	if (p.inode != NULL)
		vfs_dir_remove(p.dir, vfs_dir_find(p.dir, p.name, p.namelen));
	vfs_dir_insert(p.dir, d, m->root);
	mount_refresh(m->root);
	m->next = mounts;
	mounts = m;
	return 0;
}

/* The tree lets go of an unmounted filesystem: its name goes, and every inode nothing holds. */
static void mount_detach(struct vfs_mount *m)
{
	struct vfs_inode *parent = m->root->u.dir.parent;

	m->gone = true;
	m->inodes++; /* held while the table is walked */
	for (const struct vfs_dirent *d = parent->u.dir.head; d != NULL; d = d->next) {
		if (d->inode == m->root) {
			vfs_dir_remove(parent, (struct vfs_dirent *)d);
			break;
		}
	}
	for (size_t b = 0; b < m->buckets; b++) {
		struct vfs_inode *inode = m->table[b], *next;

		for (; inode != NULL; inode = next) {
			next = inode->fs_next;
			/* What an open file still holds reads as removed, reaching nothing above it. */
			inode->nlink = 0;
			if (S_ISDIR(inode->mode))
				inode->u.dir.parent = NULL;
			if (inode->refs == 0)
				mount_drop(inode);
		}
	}
	if (--m->inodes == 0)
		mount_free(m);
}

int vfs_unmount_all(void)
{
	int first = 0;

	while (mounts != NULL) {
		struct vfs_mount *m = mounts;
		int r = m->ops->unmount(m->fs);

		if (r != 0 && first == 0)
			first = r;
		mounts = m->next;
		mount_detach(m);
	}
	return first;
}
