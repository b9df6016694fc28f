/* Directory entries: lookup by name, insertion and removal with Linux's link counts. */
#include "vfs.h"
#include <arch/string.h>

/*
 * Link counts as Linux keeps them: a file has one per name; a directory has its name and its own
 * "." (2), plus one per subdirectory for that one's "..".
 */

struct vfs_dirent *vfs_dir_find(const struct vfs_inode *dir, const char *name, size_t len)
{
	for (struct vfs_dirent *d = dir->u.dir.head; d != NULL; d = d->next)
		if (d->namelen == len && memcmp(d->name, name, len) == 0)
			return d;
	return NULL;
}

const struct vfs_dirent *vfs_dir_find_inode(const struct vfs_inode *dir, const struct vfs_inode *inode)
{
	for (const struct vfs_dirent *d = dir->u.dir.head; d != NULL; d = d->next)
		if (d->inode == inode)
			return d;
	return NULL;
}

struct vfs_inode *vfs_dir_child(struct vfs_inode *dir, const char *name, size_t len)
{
	if (len == 1 && name[0] == '.')
		return dir;
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return dir->u.dir.parent;
	if (dir->fs != NULL)
		return vfs_fs_child(dir, name, len);
	struct vfs_dirent *d = vfs_dir_find(dir, name, len);

	return d != NULL ? d->inode : NULL;
}

struct vfs_dirent *vfs_dirent_alloc(const char *name, size_t len)
{
	/* Lookup keeps len within 1..VFS_NAME_MAX, so it fits namelen. */
	struct vfs_dirent *d = vfs_alloc(sizeof(*d) + len + 1);

	if (d == NULL)
		return NULL;
	memcpy(d->name, name, len);
	d->namelen = (uint8_t)len;
	return d;
}

void vfs_dirent_free(struct vfs_dirent *d)
{
	vfs_free(d, sizeof(*d) + d->namelen + 1);
}

static void dir_modified(struct vfs_inode *dir)
{
	dir->mtime_ns = dir->ctime_ns = vfs_now();
}

void vfs_dir_insert(struct vfs_inode *dir, struct vfs_dirent *d, struct vfs_inode *inode)
{
	d->inode = inode;
	d->cookie = dir->u.dir.next_cookie++;
	d->prev = dir->u.dir.tail;
	d->next = NULL;
	if (dir->u.dir.tail != NULL)
		dir->u.dir.tail->next = d;
	else
		dir->u.dir.head = d;
	dir->u.dir.tail = d;
	if (S_ISDIR(inode->mode)) {
		inode->nlink += 2;
		inode->u.dir.parent = dir;
		dir->nlink++;
	} else {
		inode->nlink++;
	}
	inode->ctime_ns = vfs_now();
	dir_modified(dir);
}

void vfs_dir_remove(struct vfs_inode *dir, struct vfs_dirent *d)
{
	struct vfs_inode *inode = d->inode;

	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		dir->u.dir.head = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		dir->u.dir.tail = d->prev;
	vfs_dirent_free(d);
	if (S_ISDIR(inode->mode)) {
		inode->nlink -= 2;
		dir->nlink--;
		/* A removed directory must not reach a parent that may go before it does. */
		if (inode->nlink == 0)
			inode->u.dir.parent = NULL;
	} else {
		inode->nlink--;
	}
	inode->ctime_ns = vfs_now();
	dir_modified(dir);
	vfs_inode_release(inode);
}
