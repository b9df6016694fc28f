/* Filesystems other libraries drive (lib/ext2fs): mounting one on a directory and the operations the vfs delegates to it. */
#ifndef MICA_VFS_FS_H
#define MICA_VFS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the vfs keeps of a driver's inode; times in ns since the epoch, blocks in 512-byte units. */
struct vfs_fs_attr {
	uint32_t mode, nlink, uid, gid;
	uint64_t size, blocks;
	int64_t atime_ns, mtime_ns, ctime_ns;
};

/* One directory entry for readdir: next is the position just after it. Non-zero stops the listing. */
typedef int (*vfs_fs_filldir_t)(void *ctx, const char *name, size_t len, uint64_t ino, uint8_t type, uint64_t next);

/*
 * A driver's operations on inode numbers, each returning 0 (or bytes) or -errno. The vfs checks
 * names, types, access modes and read-only mounts first; the driver checks what only it can see
 * (a directory is empty, the disk has room). remove takes the name away but never the inode:
 * evict frees an inode once it has no name and no open file (an unlinked file stays readable
 * while open). Every function is required except readlink (symlinks then read as -EIO), symlink
 * and link (making either is then -EPERM). Device nodes, fifos and sockets are never asked for.
 */
struct vfs_fs_ops {
	int (*getattr)(void *fs, uint64_t ino, struct vfs_fs_attr *attr);
	/* Sets the permission bits of mode and the three times. */
	int (*setattr)(void *fs, uint64_t ino, const struct vfs_fs_attr *attr);
	int (*lookup)(void *fs, uint64_t dir, const char *name, size_t len, uint64_t *ino);
	/* A new regular file or directory (by mode) named name in dir, which has no such name yet. */
	int (*create)(void *fs, uint64_t dir, const char *name, size_t len, uint32_t mode, uint64_t *ino);
	int (*remove)(void *fs, uint64_t dir, const char *name, size_t len, uint64_t ino, bool is_dir);
	/* Moves a name; an existing target (*replaced, else 0) loses its name as remove would. */
	int (*rename)(void *fs, uint64_t from_dir, const char *from, size_t from_len, uint64_t to_dir,
		      const char *to, size_t to_len, uint64_t *replaced);
	long (*read)(void *fs, uint64_t ino, void *buf, size_t len, uint64_t off);
	long (*write)(void *fs, uint64_t ino, const void *buf, size_t len, uint64_t off);
	int (*truncate)(void *fs, uint64_t ino, uint64_t size);
	/* Entries (with "." and "..") at positions pos and after, in increasing positions. */
	int (*readdir)(void *fs, uint64_t dir, uint64_t pos, vfs_fs_filldir_t fill, void *ctx);
	long (*readlink)(void *fs, uint64_t ino, char *buf, size_t len);
	/* A new symlink named name in dir (which has no such name yet) to target: target_len bytes, no NUL. */
	int (*symlink)(void *fs, uint64_t dir, const char *name, size_t len, const char *target, size_t target_len,
		       uint64_t *ino);
	/* Another name in dir for ino, which is not a directory; its link count grows by one. */
	int (*link)(void *fs, uint64_t ino, uint64_t dir, const char *name, size_t len);
	/* fsync: the file's data and metadata, then a disk flush, all durable when it returns 0. */
	int (*sync)(void *fs, uint64_t ino);
	void (*evict)(void *fs, uint64_t ino);
	/* Writes back and closes everything; the driver frees fs. */
	int (*unmount)(void *fs);
};

/*
 * Mounts the driver's fs (root directory inode root) at path, an empty directory of the ramfs
 * made if missing (its parents must exist). Returns 0 or -errno; on failure fs stays the caller's.
 */
int vfs_mount(const char *path, const struct vfs_fs_ops *ops, void *fs, uint64_t root, bool readonly);

/* Unmounts every filesystem (writes back, closes): the guest is ending. Returns the first error. */
int vfs_unmount_all(void);

#endif
