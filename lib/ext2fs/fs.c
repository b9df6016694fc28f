/* The vfs driver on libext2fs: inodes, names, file data and directory listings of an ext2/3/4 filesystem. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mica/plat.h>
#include "ext2.h"

#define FS_NAME_MAX 255

/* An ext4 inode with its extra fields (nanosecond times), as large as libext2fs reads it. */
typedef struct ext2_inode_large fs_inode;

/* errcode_t (an errno, or a libext2fs code) as the -errno a system call returns. */
static int ext2_errno(errcode_t err)
{
	/* Plain errnos pass through; libext2fs's own codes are far above them. */
	if (err == 0)
		return 0;
	if (err > 0 && err < 4096)
		return -(int)err;
	switch (err) {
	case EXT2_ET_FILE_NOT_FOUND:
		return -ENOENT;
	case EXT2_ET_DIR_NO_SPACE:
	case EXT2_ET_BLOCK_ALLOC_FAIL:
	case EXT2_ET_INODE_ALLOC_FAIL:
	case EXT2_ET_EA_NO_SPACE:
		return -ENOSPC;
	case EXT2_ET_NO_MEMORY:
		return -ENOMEM;
	case EXT2_ET_RO_FILSYS:
		return -EROFS;
	case EXT2_ET_FILE_TOO_BIG:
		return -EFBIG;
	case EXT2_ET_DIR_EXISTS:
	case EXT2_ET_FILE_EXISTS:
		return -EEXIST;
	default:
		return -EIO;
	}
}

static int fs_read(ext2_filsys fs, uint64_t ino, fs_inode *inode)
{
	memset(inode, 0, sizeof(*inode));
	if (ino == 0 || ino > fs->super->s_inodes_count)
		return -EIO;
	return ext2_errno(ext2fs_read_inode_full(fs, (ext2_ino_t)ino, (struct ext2_inode *)inode, sizeof(*inode)));
}

static int fs_write(ext2_filsys fs, uint64_t ino, fs_inode *inode)
{
	return ext2_errno(ext2fs_write_inode_full(fs, (ext2_ino_t)ino, (struct ext2_inode *)inode, sizeof(*inode)));
}

/* The inode holds nanoseconds (and times past 2038) only with room for its extra fields. */
static bool fs_has_extra(ext2_filsys fs, const fs_inode *inode, size_t end)
{
	return EXT2_INODE_SIZE(fs->super) > EXT2_GOOD_OLD_INODE_SIZE &&
	       EXT2_GOOD_OLD_INODE_SIZE + (size_t)inode->i_extra_isize >= end;
}

static int64_t fs_time_get(ext2_filsys fs, const fs_inode *inode, uint32_t sec, const uint32_t *extra)
{
	int64_t t = (int32_t)sec;
	uint32_t nsec = 0;

	if (fs_has_extra(fs, inode, (size_t)((const char *)(extra + 1) - (const char *)inode))) {
		t += (int64_t)(*extra & 3) << 32;
		nsec = *extra >> 2;
		if (nsec > 999999999)
			nsec = 0;
	}
	/* Years past 2262 do not fit nanoseconds in 64 bits: they stop there. */
	if (t > INT64_MAX / 1000000000 - 1)
		return (INT64_MAX / 1000000000 - 1) * 1000000000;
	return t * 1000000000 + nsec;
}

static void fs_time_set(ext2_filsys fs, fs_inode *inode, int64_t ns, uint32_t *sec, uint32_t *extra)
{
	int64_t s = ns / 1000000000, n = ns % 1000000000;

	if (n < 0) {
		s--;
		n += 1000000000;
	}
	*sec = (uint32_t)s;
	if (fs_has_extra(fs, inode, (size_t)((char *)(extra + 1) - (char *)inode)))
		*extra = (uint32_t)(((s - (int32_t)(uint32_t)s) >> 32) & 3) | (uint32_t)n << 2;
}

static int64_t fs_now(void)
{
	return (int64_t)plat_wallclock_ns();
}

static int fs_getattr(void *p, uint64_t ino, struct vfs_fs_attr *a)
{
	ext2_filsys fs = p;
	fs_inode inode;
	int r = fs_read(fs, ino, &inode);

	if (r != 0)
		return r;
	a->mode = inode.i_mode;
	a->nlink = inode.i_links_count;
	a->uid = inode.i_uid | (uint32_t)inode.osd2.linux2.l_i_uid_high << 16;
	a->gid = inode.i_gid | (uint32_t)inode.osd2.linux2.l_i_gid_high << 16;
	a->size = EXT2_I_SIZE(&inode);
	a->blocks = ext2fs_get_stat_i_blocks(fs, (struct ext2_inode *)&inode);
	a->atime_ns = fs_time_get(fs, &inode, inode.i_atime, &inode.i_atime_extra);
	a->mtime_ns = fs_time_get(fs, &inode, inode.i_mtime, &inode.i_mtime_extra);
	a->ctime_ns = fs_time_get(fs, &inode, inode.i_ctime, &inode.i_ctime_extra);
	return 0;
}

static int fs_setattr(void *p, uint64_t ino, const struct vfs_fs_attr *a)
{
	ext2_filsys fs = p;
	fs_inode inode;
	int r = fs_read(fs, ino, &inode);

	if (r != 0)
		return r;
	inode.i_mode = (uint16_t)((inode.i_mode & LINUX_S_IFMT) | (a->mode & 07777));
	fs_time_set(fs, &inode, a->atime_ns, &inode.i_atime, &inode.i_atime_extra);
	fs_time_set(fs, &inode, a->mtime_ns, &inode.i_mtime, &inode.i_mtime_extra);
	fs_time_set(fs, &inode, a->ctime_ns, &inode.i_ctime, &inode.i_ctime_extra);
	return fs_write(fs, ino, &inode);
}

/* The time of a change: the inode's mtime and ctime, or only ctime. */
static int fs_touch(ext2_filsys fs, uint64_t ino, bool modified)
{
	fs_inode inode;
	int64_t now = fs_now();
	int r = fs_read(fs, ino, &inode);

	if (r != 0)
		return r;
	if (modified)
		fs_time_set(fs, &inode, now, &inode.i_mtime, &inode.i_mtime_extra);
	fs_time_set(fs, &inode, now, &inode.i_ctime, &inode.i_ctime_extra);
	return fs_write(fs, ino, &inode);
}

/* libext2fs takes names NUL-terminated; the vfs gives them with a length. */
static int fs_name(char buf[FS_NAME_MAX + 1], const char *name, size_t len)
{
	if (len == 0 || len > FS_NAME_MAX || memchr(name, '\0', len) != NULL)
		return -EINVAL;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return 0;
}

static int fs_lookup(void *p, uint64_t dir, const char *name, size_t len, uint64_t *ino)
{
	ext2_filsys fs = p;
	ext2_ino_t found;
	errcode_t err;

	if (len > FS_NAME_MAX)
		return -ENAMETOOLONG;
	err = ext2fs_lookup(fs, (ext2_ino_t)dir, name, (int)len, NULL, &found);
	if (err != 0)
		return ext2_errno(err);
	*ino = found;
	return 0;
}

static int fs_filetype(uint32_t mode)
{
	switch (mode & LINUX_S_IFMT) {
	case LINUX_S_IFREG:
		return EXT2_FT_REG_FILE;
	case LINUX_S_IFDIR:
		return EXT2_FT_DIR;
	case LINUX_S_IFLNK:
		return EXT2_FT_SYMLINK;
	case LINUX_S_IFCHR:
		return EXT2_FT_CHRDEV;
	case LINUX_S_IFBLK:
		return EXT2_FT_BLKDEV;
	case LINUX_S_IFIFO:
		return EXT2_FT_FIFO;
	case LINUX_S_IFSOCK:
		return EXT2_FT_SOCK;
	default:
		return EXT2_FT_UNKNOWN;
	}
}

/* ext2fs_link, growing the directory by a block when it is full. */
static errcode_t fs_link(ext2_filsys fs, ext2_ino_t dir, const char *name, ext2_ino_t ino, int type)
{
	errcode_t err = ext2fs_link(fs, dir, name, ino, type);

	if (err == EXT2_ET_DIR_NO_SPACE) {
		err = ext2fs_expand_dir(fs, dir);
		if (err == 0)
			err = ext2fs_link(fs, dir, name, ino, type);
	}
	return err;
}

static int fs_create_file(ext2_filsys fs, ext2_ino_t dir, const char *name, uint32_t mode, uint64_t *out)
{
	fs_inode inode;
	ext2_ino_t ino;
	errcode_t err = ext2fs_new_inode(fs, dir, LINUX_S_IFREG | 0600, NULL, &ino);

	if (err != 0)
		return ext2_errno(err);
	err = fs_link(fs, dir, name, ino, EXT2_FT_REG_FILE);
	if (err != 0)
		return ext2_errno(err);
	ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
	memset(&inode, 0, sizeof(inode));
	inode.i_mode = (uint16_t)(LINUX_S_IFREG | (mode & 07777));
	inode.i_links_count = 1;
	inode.i_extra_isize = sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
	if (ext2fs_has_feature_extents(fs->super)) {
		ext2_extent_handle_t handle;

		/* An empty extent tree in i_block: the header files with extents start with. */
		inode.i_flags |= EXT4_EXTENTS_FL;
		err = ext2fs_extent_open2(fs, ino, (struct ext2_inode *)&inode, &handle);
		if (err != 0)
			return ext2_errno(err);
		ext2fs_extent_free(handle);
	}
	err = ext2fs_write_new_inode(fs, ino, (struct ext2_inode *)&inode);
	if (err != 0)
		return ext2_errno(err);
	*out = ino;
	return 0;
}

static int fs_create_dir(ext2_filsys fs, ext2_ino_t dir, const char *name, uint32_t mode, uint64_t *out)
{
	fs_inode inode;
	ext2_ino_t ino;
	errcode_t err = ext2fs_mkdir(fs, dir, 0, name);
	int r;

	if (err == EXT2_ET_DIR_NO_SPACE) {
		err = ext2fs_expand_dir(fs, dir);
		if (err == 0)
			err = ext2fs_mkdir(fs, dir, 0, name);
	}
	if (err != 0)
		return ext2_errno(err);
	err = ext2fs_lookup(fs, dir, name, (int)strlen(name), NULL, &ino);
	if (err != 0)
		return ext2_errno(err);
	r = fs_read(fs, ino, &inode);
	if (r != 0)
		return r;
	inode.i_mode = (uint16_t)(LINUX_S_IFDIR | (mode & 07777));
	r = fs_write(fs, ino, &inode);
	if (r != 0)
		return r;
	*out = ino;
	return 0;
}

static int fs_create(void *p, uint64_t dir, const char *name, size_t len, uint32_t mode, uint64_t *ino)
{
	ext2_filsys fs = p;
	char buf[FS_NAME_MAX + 1];
	int r = fs_name(buf, name, len);

	if (r != 0)
		return r;
	r = (mode & LINUX_S_IFMT) == LINUX_S_IFDIR ? fs_create_dir(fs, (ext2_ino_t)dir, buf, mode, ino)
						     : fs_create_file(fs, (ext2_ino_t)dir, buf, mode, ino);
	if (r == 0)
		fs_touch(fs, dir, true);
	return r;
}

/* Counts a directory's entries besides "." and ".."; stops at the first. */
static int fs_dir_entry(ext2_ino_t dir, int entry, struct ext2_dir_entry *dirent, int offset, int blocksize,
			char *buf, void *priv)
{
	int *count = priv;

	(void)dir;
	(void)offset;
	(void)blocksize;
	(void)buf;
	if (entry == DIRENT_DOT_FILE || entry == DIRENT_DOT_DOT_FILE || dirent->inode == 0)
		return 0;
	(*count)++;
	return DIRENT_ABORT;
}

static int fs_dir_empty(ext2_filsys fs, ext2_ino_t dir)
{
	int count = 0;
	errcode_t err = ext2fs_dir_iterate2(fs, dir, 0, NULL, fs_dir_entry, &count);

	if (err != 0)
		return ext2_errno(err);
	return count == 0 ? 0 : -ENOTEMPTY;
}

static int fs_links_add(ext2_filsys fs, ext2_ino_t ino, int delta)
{
	fs_inode inode;
	int r = fs_read(fs, ino, &inode);

	if (r != 0)
		return r;
	if (delta > 0 || inode.i_links_count > 1)
		inode.i_links_count = (uint16_t)(inode.i_links_count + delta);
	return fs_write(fs, ino, &inode);
}

/* One name of ino is gone: its link count drops; a directory's own "." and its parent's ".." go too. */
static int fs_unlinked(ext2_filsys fs, ext2_ino_t dir, ext2_ino_t ino, bool is_dir)
{
	fs_inode inode;
	int r = fs_read(fs, ino, &inode);

	if (r != 0)
		return r;
	if (is_dir) {
		inode.i_links_count = 0;
		r = fs_links_add(fs, dir, -1);
	} else if (inode.i_links_count > 0) {
		inode.i_links_count--;
	}
	fs_time_set(fs, &inode, fs_now(), &inode.i_ctime, &inode.i_ctime_extra);
	return r != 0 ? r : fs_write(fs, ino, &inode);
}

static int fs_remove(void *p, uint64_t dir, const char *name, size_t len, uint64_t ino, bool is_dir)
{
	ext2_filsys fs = p;
	char buf[FS_NAME_MAX + 1];
	int r = fs_name(buf, name, len);

	if (r == 0 && is_dir)
		r = fs_dir_empty(fs, (ext2_ino_t)ino);
	if (r != 0)
		return r;
	r = ext2_errno(ext2fs_unlink(fs, (ext2_ino_t)dir, buf, (ext2_ino_t)ino, 0));
	if (r != 0)
		return r;
	fs_touch(fs, dir, true);
	return fs_unlinked(fs, (ext2_ino_t)dir, (ext2_ino_t)ino, is_dir);
}

/* Points a moved directory's ".." at its new parent. */
static int fs_dotdot(ext2_ino_t dir, int entry, struct ext2_dir_entry *dirent, int offset, int blocksize,
		     char *buf, void *priv)
{
	(void)dir;
	(void)offset;
	(void)blocksize;
	(void)buf;
	if (entry != DIRENT_DOT_DOT_FILE)
		return 0;
	dirent->inode = *(ext2_ino_t *)priv;
	return DIRENT_CHANGED | DIRENT_ABORT;
}

static int fs_rename(void *p, uint64_t from_dir, const char *from, size_t from_len, uint64_t to_dir, const char *to,
		     size_t to_len, uint64_t *replaced)
{
	ext2_filsys fs = p;
	char src[FS_NAME_MAX + 1], dst[FS_NAME_MAX + 1];
	ext2_ino_t ino, old = 0, fd = (ext2_ino_t)from_dir, td = (ext2_ino_t)to_dir;
	fs_inode inode;
	errcode_t err;
	int r;

	*replaced = 0;
	if ((r = fs_name(src, from, from_len)) != 0 || (r = fs_name(dst, to, to_len)) != 0)
		return r;
	err = ext2fs_lookup(fs, fd, src, (int)from_len, NULL, &ino);
	if (err != 0)
		return ext2_errno(err);
	r = fs_read(fs, ino, &inode);
	if (r != 0)
		return r;
	bool is_dir = LINUX_S_ISDIR(inode.i_mode);
	err = ext2fs_lookup(fs, td, dst, (int)to_len, NULL, &old);
	if (err == 0) {
		fs_inode target;

		if ((r = fs_read(fs, old, &target)) != 0)
			return r;
		if (LINUX_S_ISDIR(target.i_mode) && (r = fs_dir_empty(fs, old)) != 0)
			return r;
		/* The name stays and now points at the moved inode: no moment without it. */
		if ((err = ext2fs_unlink(fs, td, dst, old, 0)) != 0)
			return ext2_errno(err);
		if ((r = fs_unlinked(fs, td, old, LINUX_S_ISDIR(target.i_mode))) != 0)
			return r;
		*replaced = old;
	} else if (err != EXT2_ET_FILE_NOT_FOUND) {
		return ext2_errno(err);
	}
	err = fs_link(fs, td, dst, ino, fs_filetype(inode.i_mode));
	if (err == 0)
		err = ext2fs_unlink(fs, fd, src, ino, 0);
	if (err != 0)
		return ext2_errno(err);
	if (is_dir && fd != td) {
		err = ext2fs_dir_iterate2(fs, ino, 0, NULL, fs_dotdot, &td);
		if (err != 0)
			return ext2_errno(err);
		if ((r = fs_links_add(fs, fd, -1)) != 0 || (r = fs_links_add(fs, td, +1)) != 0)
			return r;
	}
	fs_touch(fs, fd, true);
	if (td != fd)
		fs_touch(fs, td, true);
	return fs_touch(fs, ino, false);
}

static long fs_read_data(void *p, uint64_t ino, void *buf, size_t len, uint64_t off)
{
	ext2_filsys fs = p;
	ext2_file_t file;
	unsigned int got = 0;
	size_t done = 0;
	errcode_t err = ext2fs_file_open(fs, (ext2_ino_t)ino, 0, &file);

	if (err != 0)
		return ext2_errno(err);
	err = ext2fs_file_llseek(file, off, EXT2_SEEK_SET, NULL);
	while (err == 0 && done < len) {
		unsigned int want = len - done > (1u << 30) ? 1u << 30 : (unsigned int)(len - done);

		err = ext2fs_file_read(file, (char *)buf + done, want, &got);
		if (got == 0)
			break;
		done += got;
	}
	ext2fs_file_close(file);
	return done != 0 || err == 0 ? (long)done : ext2_errno(err);
}

static long fs_write_data(void *p, uint64_t ino, const void *buf, size_t len, uint64_t off)
{
	ext2_filsys fs = p;
	ext2_file_t file;
	unsigned int put = 0;
	size_t done = 0;
	errcode_t err = ext2fs_file_open(fs, (ext2_ino_t)ino, EXT2_FILE_WRITE, &file);

	if (err != 0)
		return ext2_errno(err);
	err = ext2fs_file_llseek(file, off, EXT2_SEEK_SET, NULL);
	while (err == 0 && done < len) {
		unsigned int want = len - done > (1u << 30) ? 1u << 30 : (unsigned int)(len - done);

		err = ext2fs_file_write(file, (const char *)buf + done, want, &put);
		if (put == 0)
			break;
		done += put;
	}
	/* Closing writes the last partial block and the inode (its size) back. */
	errcode_t cerr = ext2fs_file_close(file);
	if (err == 0)
		err = cerr;
	if (done != 0)
		fs_touch(fs, ino, true);
	return done != 0 ? (long)done : err != 0 ? ext2_errno(err) : -ENOSPC;
}

static int fs_truncate(void *p, uint64_t ino, uint64_t size)
{
	ext2_filsys fs = p;
	ext2_file_t file;
	errcode_t err = ext2fs_file_open(fs, (ext2_ino_t)ino, EXT2_FILE_WRITE, &file);

	if (err != 0)
		return ext2_errno(err);
	err = ext2fs_file_set_size2(file, size);
	errcode_t cerr = ext2fs_file_close(file);
	if (err == 0)
		err = cerr;
	if (err != 0)
		return ext2_errno(err);
	return fs_touch(fs, ino, true);
}

/* A listing in progress: positions are byte offsets in the directory (block * size + offset). */
struct fs_list {
	uint64_t pos, block;
	bool started;
	vfs_fs_filldir_t fill;
	void *ctx;
	int stop;
};

static uint8_t fs_dtype(int ft)
{
	static const uint8_t dt[] = {
		[EXT2_FT_REG_FILE] = 8, [EXT2_FT_DIR] = 4, [EXT2_FT_CHRDEV] = 2, [EXT2_FT_BLKDEV] = 6,
		[EXT2_FT_FIFO] = 1,     [EXT2_FT_SOCK] = 12, [EXT2_FT_SYMLINK] = 10,
	};

	return ft > 0 && ft < (int)sizeof(dt) ? dt[ft] : 0;
}

static int fs_list_entry(ext2_ino_t dir, int entry, struct ext2_dir_entry *dirent, int offset, int blocksize,
			 char *buf, void *priv)
{
	struct fs_list *l = priv;
	int len = ext2fs_dirent_name_len(dirent);

	(void)dir;
	(void)entry;
	(void)buf;
	/* Empty entries are listed too, so each block shows its offset 0: that counts the blocks. */
	if (offset == 0) {
		if (l->started)
			l->block++;
		l->started = true;
	}
	uint64_t here = l->block * (uint64_t)blocksize + (uint64_t)offset;
	if (dirent->inode == 0 || here < l->pos || len == 0)
		return 0;
	l->stop = l->fill(l->ctx, dirent->name, (size_t)len, dirent->inode, fs_dtype(ext2fs_dirent_file_type(dirent)),
			  here + 1);
	return l->stop != 0 ? DIRENT_ABORT : 0;
}

static int fs_readdir(void *p, uint64_t dir, uint64_t pos, vfs_fs_filldir_t fill, void *ctx)
{
	ext2_filsys fs = p;
	struct fs_list l = {.pos = pos, .fill = fill, .ctx = ctx};
	errcode_t err = ext2fs_dir_iterate2(fs, (ext2_ino_t)dir, DIRENT_FLAG_INCLUDE_EMPTY, NULL, fs_list_entry, &l);

	if (l.stop < 0)
		return l.stop;
	return err != 0 ? ext2_errno(err) : 0;
}

static long fs_readlink(void *p, uint64_t ino, char *buf, size_t len)
{
	ext2_filsys fs = p;
	fs_inode inode;
	int r = fs_read(fs, ino, &inode);

	if (r != 0)
		return r;
	if (!LINUX_S_ISLNK(inode.i_mode) || EXT2_I_SIZE(&inode) != len)
		return -EIO;
	if (inode.i_flags & EXT4_INLINE_DATA_FL) {
		size_t size = len;

		/* ext2fs_inline_data_get fills up to the inline size: read into room for all of it. */
		if (len > sizeof(inode.i_block))
			return -EIO;
		char tmp[sizeof(inode.i_block)];
		errcode_t err = ext2fs_inline_data_get(fs, (ext2_ino_t)ino, (struct ext2_inode *)&inode, tmp, &size);
		if (err != 0 || size < len)
			return err != 0 ? ext2_errno(err) : -EIO;
		memcpy(buf, tmp, len);
		return (long)len;
	}
	if (ext2fs_is_fast_symlink((struct ext2_inode *)&inode)) {
		if (len > sizeof(inode.i_block))
			return -EIO;
		memcpy(buf, inode.i_block, len);
		return (long)len;
	}
	return fs_read_data(p, ino, buf, len, 0);
}

static int fs_sync(void *p, uint64_t ino)
{
	ext2_filsys fs = p;
	errcode_t err;

	(void)ino;
	/*
	 * File data and inodes are written through as they change; what may still be in memory is
	 * the superblock, group descriptors and bitmaps. ext2fs_flush2 writes those and then
	 * flushes the disk; with nothing dirty the disk flush alone is needed.
	 */
	if (fs->flags & EXT2_FLAG_DIRTY)
		err = ext2fs_flush2(fs, 0);
	else
		err = io_channel_flush(fs->io);
	return ext2_errno(err);
}

static void fs_evict(void *p, uint64_t ino)
{
	ext2_filsys fs = p;
	fs_inode inode;

	if (fs_read(fs, ino, &inode) != 0 || inode.i_links_count != 0 || inode.i_mode == 0)
		return;
	if (ext2fs_inode_has_valid_blocks2(fs, (struct ext2_inode *)&inode))
		ext2fs_punch(fs, (ext2_ino_t)ino, (struct ext2_inode *)&inode, NULL, 0, ~0ULL);
	inode.i_dtime = (uint32_t)(fs_now() / 1000000000);
	if (fs_write(fs, ino, &inode) == 0)
		ext2fs_inode_alloc_stats2(fs, (ext2_ino_t)ino, -1, LINUX_S_ISDIR(inode.i_mode));
}

/*
 * Short targets live in the inode (fast symlinks), longer ones in a block of their own: Linux
 * limits a target to a block less its NUL. The inode is made unnamed first so that a full
 * directory can grow before the name goes in, and a failure frees it again.
 */
static int fs_symlink(void *p, uint64_t dir, const char *name, size_t len, const char *target, size_t target_len,
		      uint64_t *out)
{
	ext2_filsys fs = p;
	char buf[FS_NAME_MAX + 1], *copy;
	ext2_ino_t ino;
	errcode_t err;
	int r = fs_name(buf, name, len);

	if (r != 0)
		return r;
	if (target_len == 0 || memchr(target, '\0', target_len) != NULL)
		return -EINVAL;
	if (target_len >= fs->blocksize)
		return -ENAMETOOLONG;
	copy = malloc(target_len + 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, target, target_len);
	copy[target_len] = '\0';
	err = ext2fs_new_inode(fs, (ext2_ino_t)dir, LINUX_S_IFLNK | 0777, NULL, &ino);
	if (err == 0)
		err = ext2fs_symlink(fs, (ext2_ino_t)dir, ino, NULL, copy);
	free(copy);
	if (err != 0)
		return ext2_errno(err);
	err = fs_link(fs, (ext2_ino_t)dir, buf, ino, EXT2_FT_SYMLINK);
	if (err != 0) {
		fs_inode inode;

		/* Unnamed, it goes as an unlinked file would. */
		if (fs_read(fs, ino, &inode) == 0) {
			inode.i_links_count = 0;
			if (fs_write(fs, ino, &inode) == 0)
				fs_evict(fs, ino);
		}
		return ext2_errno(err);
	}
	fs_touch(fs, dir, true);
	*out = ino;
	return 0;
}

static int fs_hardlink(void *p, uint64_t ino, uint64_t dir, const char *name, size_t len)
{
	ext2_filsys fs = p;
	char buf[FS_NAME_MAX + 1];
	fs_inode inode;
	errcode_t err;
	int r = fs_name(buf, name, len);

	if (r == 0)
		r = fs_read(fs, ino, &inode);
	if (r != 0)
		return r;
	if (LINUX_S_ISDIR(inode.i_mode))
		return -EPERM;
	if (inode.i_links_count == 0)
		return -ENOENT;
	if (inode.i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;
	/* The count first: a crash between the two leaves a count e2fsck lowers, never a name of a freed inode. */
	inode.i_links_count++;
	fs_time_set(fs, &inode, fs_now(), &inode.i_ctime, &inode.i_ctime_extra);
	r = fs_write(fs, ino, &inode);
	if (r != 0)
		return r;
	err = fs_link(fs, (ext2_ino_t)dir, buf, (ext2_ino_t)ino, fs_filetype(inode.i_mode));
	if (err != 0) {
		fs_links_add(fs, (ext2_ino_t)ino, -1);
		return ext2_errno(err);
	}
	return fs_touch(fs, dir, true);
}

static int fs_unmount(void *p)
{
	ext2_filsys fs = p;
	/* Written whether or not libext2fs thinks it dirty: a failed earlier flush is reported again. */
	errcode_t err = (fs->flags & EXT2_FLAG_RW) ? ext2fs_flush2(fs, 0) : 0;
	/* Frees fs even when closing fails. */
	errcode_t cerr = ext2fs_close_free(&fs);

	return ext2_errno(err != 0 ? err : cerr);
}

const struct vfs_fs_ops ext2_fs_ops = {
	.getattr = fs_getattr,
	.setattr = fs_setattr,
	.lookup = fs_lookup,
	.create = fs_create,
	.remove = fs_remove,
	.rename = fs_rename,
	.read = fs_read_data,
	.write = fs_write_data,
	.truncate = fs_truncate,
	.readdir = fs_readdir,
	.readlink = fs_readlink,
	.symlink = fs_symlink,
	.link = fs_hardlink,
	.sync = fs_sync,
	.evict = fs_evict,
	.unmount = fs_unmount,
};
