/* Inode lifetime (names plus references), inode numbers, timestamps, and struct stat. */
#include "vfs.h"
#include <arch/string.h>

#define INODE_DEV 1 /* st_dev of every ramfs file: one filesystem */

struct vfs_inode *vfs_root;
struct vfs_inode *vfs_cwd;

/* The console's inode number is taken before any file's. */
static uint64_t inode_next = 2;

int64_t vfs_now(void)
{
	return (int64_t)plat_wallclock_ns();
}

struct vfs_inode *vfs_inode_new(uint32_t mode)
{
	struct vfs_inode *inode = vfs_alloc(sizeof(*inode));

	if (inode == NULL)
		return NULL;
	inode->ino = inode_next++;
	inode->mode = mode;
	inode->atime_ns = inode->mtime_ns = inode->ctime_ns = vfs_now();
	if (S_ISDIR(mode))
		inode->u.dir.next_cookie = VFS_FIRST_COOKIE;
	return inode;
}

void vfs_inode_get(struct vfs_inode *inode)
{
	inode->refs++;
}

void vfs_inode_put(struct vfs_inode *inode)
{
	inode->refs--;
	vfs_inode_release(inode);
}

void vfs_inode_release(struct vfs_inode *inode)
{
	if (inode->nlink != 0 || inode->refs != 0 || inode == &vfs_console)
		return;
	if (inode->fs != NULL) {
		vfs_fs_forget(inode);
		return;
	}
	if (S_ISREG(inode->mode))
		vfs_data_free(inode);
	else if (S_ISLNK(inode->mode))
		vfs_free(inode->u.lnk.target, inode->size + 1);
	vfs_free(inode, sizeof(*inode));
}

static struct timespec inode_timespec(int64_t ns)
{
	struct timespec ts;

	ts.tv_sec = ns / 1000000000;
	ts.tv_nsec = ns % 1000000000;
	if (ts.tv_nsec < 0) {
		ts.tv_sec--;
		ts.tv_nsec += 1000000000;
	}
	return ts;
}

void vfs_inode_stat(const struct vfs_inode *inode, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = inode->fs != NULL ? inode->fs->dev : INODE_DEV;
	st->st_ino = inode->ino;
	st->st_mode = inode->mode;
	/* Sockets and anonymous inodes have no name here, but one link on Linux. */
	st->st_nlink = S_ISSOCK(inode->mode) || (inode->mode & S_IFMT) == 0 ? 1 : inode->nlink;
	st->st_uid = inode->uid;
	st->st_gid = inode->gid;
	st->st_blksize = VFS_PAGE;
	if (inode->fs != NULL) {
		st->st_blocks = (blkcnt_t)inode->fs_blocks;
		st->st_size = S_ISDIR(inode->mode) || S_ISREG(inode->mode) || S_ISLNK(inode->mode) ? (off_t)inode->size : 0;
	} else if (S_ISREG(inode->mode)) {
		st->st_blocks = (blkcnt_t)(inode->u.reg.used * (VFS_PAGE / 512));
		st->st_size = (off_t)inode->size;
	} else if (S_ISLNK(inode->mode)) {
		st->st_size = (off_t)inode->size;
	} else if (S_ISDIR(inode->mode)) {
		st->st_size = VFS_PAGE;
	}
	if (S_ISCHR(inode->mode)) {
		/* /dev/console: major 5, minor 1. */
		st->st_rdev = (5 << 8) | 1;
	}
	st->st_atim = inode_timespec(inode->atime_ns);
	st->st_mtim = inode_timespec(inode->mtime_ns);
	st->st_ctim = inode_timespec(inode->ctime_ns);
}
