/* lib/vfs internals: the ramfs's inodes and directory entries, open files, the fd table, path lookup. */
#ifndef VFS_INTERNAL_H
#define VFS_INTERNAL_H

/* AT_EMPTY_PATH, DT_* and the other Linux names the C library only shows with _GNU_SOURCE. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <mica/alloc.h>
#include <mica/plat.h>
#include <mica/vfs_file.h>

#define VFS_PAGE ALLOC_PAGE_SIZE
#define VFS_PATH_MAX 4096       /* a path and its NUL, as Linux's PATH_MAX */
#define VFS_NAME_MAX 255        /* one component */
#define VFS_SYMLOOP_MAX 40      /* symlinks followed in one lookup before ELOOP */
#define VFS_FD_MAX 1024         /* RLIMIT_NOFILE */
#define VFS_RW_MAX 0x7ffff000UL /* Linux's MAX_RW_COUNT: longer transfers are cut short */
#define VFS_FILE_MAX (1ULL << 40)

/* ---------------------------------------------------------------------------------- memory */

/* Zeroed memory for size bytes, NULL when out of memory; vfs_free takes the same size back. */
void *vfs_alloc(size_t size);
void vfs_free(void *p, size_t size);

/* ----------------------------------------------------------------------------------- inodes */

struct vfs_dirent;
struct vfs_mount;

struct vfs_inode {
	uint64_t ino;
	uint32_t mode; /* type and permission bits, as st_mode */
	uint32_t nlink;
	uint32_t refs; /* open files and working directories holding it beyond its names */
	uint32_t uid, gid;
	uint64_t size; /* bytes of a regular file, length of a symlink's target */
	int64_t atime_ns, mtime_ns, ctime_ns;
	/*
	 * A mounted filesystem's inode (mount.c): ino is the driver's number, the attributes a copy
	 * of the driver's; a directory has only u.dir.parent, a symlink u.lnk, a file no u.
	 */
	struct vfs_mount *fs;
	struct vfs_inode *fs_next; /* in the mount's table of inodes it has seen */
	uint64_t fs_blocks;
	union {
		struct {
			struct vfs_dirent *head, *tail; /* in creation order, cookies increasing */
			struct vfs_inode *parent;       /* NULL once removed */
			uint64_t next_cookie;
		} dir;
		struct {
			/* Page i holds bytes [i * VFS_PAGE, (i + 1) * VFS_PAGE); NULL reads as zeros. */
			uint8_t **pages;
			size_t slots; /* length of pages */
			size_t used;  /* pages allocated */
		} reg;
		struct {
			char *target; /* size bytes and a NUL */
		} lnk;
	} u;
};

extern struct vfs_inode *vfs_root;
extern struct vfs_inode *vfs_cwd;

/* A new inode of that mode with no name yet (nlink 0); NULL when out of memory. */
struct vfs_inode *vfs_inode_new(uint32_t mode);
void vfs_inode_get(struct vfs_inode *inode);
void vfs_inode_put(struct vfs_inode *inode);
/* Frees the inode once neither a name nor a reference is left. */
void vfs_inode_release(struct vfs_inode *inode);
int64_t vfs_now(void);
void vfs_inode_stat(const struct vfs_inode *inode, struct stat *st);

/* ------------------------------------------------------------------------------ directories */

struct vfs_dirent {
	struct vfs_dirent *prev, *next;
	struct vfs_inode *inode;
	uint64_t cookie; /* getdents position; "." and ".." are 0 and 1 */
	uint8_t namelen;
	char name[];
};

#define VFS_FIRST_COOKIE 2

struct vfs_dirent *vfs_dir_find(const struct vfs_inode *dir, const char *name, size_t len);
/* The first entry naming inode: a directory's only one, for getcwd. */
const struct vfs_dirent *vfs_dir_find_inode(const struct vfs_inode *dir, const struct vfs_inode *inode);
/* The inode a name denotes in dir, "." and ".." included; NULL if none. */
struct vfs_inode *vfs_dir_child(struct vfs_inode *dir, const char *name, size_t len);
/* Entries are made in two steps so that a rename has its memory before it changes anything. */
struct vfs_dirent *vfs_dirent_alloc(const char *name, size_t len);
void vfs_dirent_free(struct vfs_dirent *d);
void vfs_dir_insert(struct vfs_inode *dir, struct vfs_dirent *d, struct vfs_inode *inode);
/* Removes and frees the entry; its inode goes too if nothing else holds it. */
void vfs_dir_remove(struct vfs_inode *dir, struct vfs_dirent *d);

/* ---------------------------------------------------------------------------- regular files */

/* Both return bytes transferred or -errno. */
long vfs_data_read(const struct vfs_inode *inode, void *buf, size_t len, uint64_t off);
long vfs_data_write(struct vfs_inode *inode, const void *buf, size_t len, uint64_t off);
int vfs_data_truncate(struct vfs_inode *inode, uint64_t size);
void vfs_data_free(struct vfs_inode *inode);

/* ------------------------------------------------------------------------------ path lookup */

#define VFS_FOLLOW 1 /* follow a symlink in the last component */
#define VFS_EMPTY 2  /* an empty path names the directory fd itself (AT_EMPTY_PATH) */

struct vfs_path {
	struct vfs_inode *dir;   /* directory holding the last component */
	struct vfs_inode *inode; /* what the path names; NULL if nothing does yet */
	const char *name;        /* the last component, not NUL-terminated */
	size_t namelen;
	bool dots;     /* the last component is "." or "..", or the path is "/" or empty */
	bool slash;    /* the path ends in a slash */
	bool followed; /* the last component was a symlink, followed */
};

/*
 * Resolves path from directory fd dirfd (AT_FDCWD: the working directory). Intermediate
 * symlinks are always followed. Fails with -ENOENT for a missing intermediate directory; a
 * missing last component is success with inode NULL.
 */
int vfs_lookup_at(int dirfd, const char *path, int flags, struct vfs_path *out);
/* As vfs_lookup_at, for calls that need the name to exist: -ENOENT when it does not. */
int vfs_lookup_existing(int dirfd, const char *path, int flags, struct vfs_path *out);
/* VFS_FOLLOW / VFS_EMPTY from a call's AT_SYMLINK_NOFOLLOW / AT_EMPTY_PATH flags. */
int vfs_at_flags(long at_flags);
/* The same from a directory inode, for the initrd. */
int vfs_lookup(struct vfs_inode *start, const char *path, int flags, struct vfs_path *out);
size_t vfs_strnlen(const char *s, size_t max);

/* ------------------------------------------------------------------------- mounted filesystems */

#include <mica/vfs_fs.h>

/* One filesystem mounted on a ramfs name (mount.c); its inodes are cached by number while named. */
struct vfs_mount {
	const struct vfs_fs_ops *ops;
	void *fs;
	bool readonly;
	uint32_t dev; /* st_dev of its files */
	struct vfs_inode *root;
	struct vfs_inode **table;
	size_t buckets;
	size_t inodes; /* in the table */
	bool gone;     /* unmounted: the driver is closed, open files left get -EIO */
	struct vfs_mount *next;
};

/* The child name names in a mounted directory, NULL if none or the driver failed. */
struct vfs_inode *vfs_fs_child(struct vfs_inode *dir, const char *name, size_t len);
int vfs_fs_make(struct vfs_path *p, uint32_t mode, struct vfs_inode **out);
int vfs_fs_symlink(struct vfs_path *p, const char *target, size_t len);
/* to becomes another name of inode, on the same mount. */
int vfs_fs_link(struct vfs_inode *inode, struct vfs_path *to);
int vfs_fs_remove(struct vfs_path *p, bool is_dir);
int vfs_fs_rename(struct vfs_path *from, struct vfs_path *to, unsigned flags);
long vfs_fs_read(struct vfs_inode *inode, void *buf, size_t len, uint64_t off);
long vfs_fs_write(struct vfs_inode *inode, const void *buf, size_t len, uint64_t off);
int vfs_fs_truncate(struct vfs_inode *inode, uint64_t size);
int vfs_fs_sync(struct vfs_inode *inode);
/* Writes the inode's mode and times (after chmod, utimensat) to the driver. */
int vfs_fs_setattr(struct vfs_inode *inode);
int vfs_fs_readdir(struct vfs_inode *dir, uint64_t pos, vfs_fs_filldir_t fill, void *ctx);
/* The last name and reference went: the driver frees the inode, the cache forgets it. */
void vfs_fs_forget(struct vfs_inode *inode);
/* -EROFS when inode is on a read-only mount, else 0. */
int vfs_fs_writable(const struct vfs_inode *inode);
/* The root of a mount: it cannot be removed or renamed. */
static inline bool vfs_fs_is_root(const struct vfs_inode *inode)
{
	return inode->fs != NULL && inode->fs->root == inode;
}

/* ------------------------------------------------------------------------ names: make, remove */

/* Makes a file, directory or symlink (by mode) at a path that names nothing yet. */
int vfs_make(struct vfs_path *p, uint32_t mode, struct vfs_inode **out);
int vfs_make_symlink(struct vfs_path *p, const char *target, size_t len);
int vfs_unlink(struct vfs_path *p);
int vfs_rmdir(struct vfs_path *p);
int vfs_link(struct vfs_inode *inode, struct vfs_path *to);
#define VFS_RENAME_NOREPLACE 1
int vfs_rename(struct vfs_path *from, struct vfs_path *to, unsigned flags);

/* ---------------------------------------------------------------------- open files and fds */

struct vfs_epoll_item;

/* An open file description: what open() made, shared by dup()s. */
struct vfs_file {
	struct vfs_inode *inode;
	uint64_t pos; /* byte offset, or a directory's getdents cookie */
	uint32_t flags; /* access mode and status flags as given to open */
	uint32_t refs;
	const struct vfs_file_ops *ops; /* set for files other libraries serve (vfs_file_open_ops) */
	void *priv;
	struct vfs_epoll_item *epolls; /* the epoll sets watching this file, dropped with its last reference */
};

/*
 * Not an O_* flag: set on an ops file for the reads after the first of one readv, which take
 * what is there instead of waiting (vfs_file_nonblocking is true while it is set).
 */
#define VFS_F_NOWAIT 0x80000000u

struct vfs_file *vfs_file_new(struct vfs_inode *inode, uint32_t flags);
void vfs_file_put(struct vfs_file *f);
bool vfs_file_readable(const struct vfs_file *f);
bool vfs_file_writable(const struct vfs_file *f);

/* The lowest free fd at or above min, holding f (its reference passes to the table), or -EMFILE. */
int vfs_fd_install(struct vfs_file *f, int min, bool cloexec);
/* fd now holds f, whatever it held before; fd must be in range. */
void vfs_fd_replace(int fd, struct vfs_file *f, bool cloexec);
struct vfs_file *vfs_fd_get(int fd);
int vfs_fd_close(int fd);
bool vfs_fd_cloexec(int fd);
void vfs_fd_set_cloexec(int fd, bool cloexec);

/* Reads and writes through an open file at *pos; may_block false: take what is there, do not wait. */
long vfs_file_read(struct vfs_file *f, void *buf, size_t len, uint64_t *pos, bool may_block);
long vfs_file_write(struct vfs_file *f, const void *buf, size_t len, uint64_t *pos);

/* What the file has now, as poll's revents before masking: POLLIN, POLLOUT, POLLHUP, ... */
short vfs_file_poll(struct vfs_file *f);
/* An ops file, a socket or not: pread, pwrite and lseek are -ESPIPE, fsync -EINVAL. */
static inline bool vfs_file_is_ops(const struct vfs_file *f)
{
	return f->ops != NULL;
}

/* -------------------------------------------------------------------------------- waiting */

/*
 * Readiness changes bump the generation (vfs_poll_notify). A waiter reads it before looking at
 * its files, and vfs_wait returns at once if it moved since: no change falls between the look
 * and the sleep. console: the waiter looks at the console, which some platforms cannot announce
 * (wait.c), so such a wait also ends every few milliseconds to look again.
 */
uint64_t vfs_poll_generation(void);
void vfs_wait(uint64_t seen_generation, uint64_t deadline_ns, bool console);
/* now + sec seconds + ns, saturating: a deadline too far to reach is none (UINT64_MAX). */
uint64_t vfs_deadline(uint64_t sec, uint64_t ns);
/* At init: console input arriving counts as a readiness change. */
void vfs_wait_init(void);

/* --------------------------------------------------------------------------------- epoll */

/* The file's last reference went: it leaves every epoll set watching it. */
void vfs_epoll_forget(struct vfs_file *f);

/* --------------------------------------------------------------------------------- console */

/* The character device behind fds 0, 1 and 2. */
extern struct vfs_inode vfs_console;

long vfs_console_read(void *buf, size_t len, bool may_block);
long vfs_console_write(const void *buf, size_t len);
long vfs_console_ioctl(unsigned int req, long arg);
bool vfs_console_readable(void);

/* ------------------------------------------------------------------------------------ initrd */

/* Where the runtime loaded the initrd, [start, end); {0, 0} when there is none. */
struct plat_memregion plat_initrd(void);

/*
 * Unpacks a cpio "newc" archive into root. At the first malformed or impossible entry it writes
 * one "mica: initrd: ..." line and stops, keeping what it made before; the line's text is
 * returned, NULL when the whole archive was unpacked.
 */
const char *cpio_unpack(struct vfs_inode *root, const void *archive, size_t len);

/* The MICA_INIT_LIB initcall: root, console fds, initrd. Host tests call it directly. */
int vfs_init(void);

#endif
