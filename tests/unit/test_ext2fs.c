/* unit-sources: lib/vfs/mem.c lib/vfs/inode.c lib/vfs/dir.c lib/vfs/data.c lib/vfs/path.c lib/vfs/namei.c lib/vfs/fd.c lib/vfs/console.c lib/vfs/cpio.c lib/vfs/init.c lib/vfs/sys_rw.c lib/vfs/sys_fd.c lib/vfs/sys_open.c lib/vfs/sys_stat.c lib/vfs/sys_names.c lib/vfs/sys_dir.c lib/vfs/sys_poll.c lib/vfs/file.c lib/vfs/wait.c lib/vfs/epoll.c lib/vfs/eventfd.c lib/vfs/mount.c lib/ext2fs/io.c lib/ext2fs/fs.c lib/ext2fs/mount.c */
/* Host test of lib/ext2fs under lib/vfs: host-made ext4 images on a fake blkfront, used through the vfs's system calls. */
/* unit-libs: -lext2fs -lcom_err */
/*
 * The fake disk takes any sector size, counts transfers and can fail writes; images come from the
 * host's mke2fs and are checked afterwards by its e2fsck and debugfs. The host's libext2fs (the same
 * 1.47.0) stands in for the guest's build of it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../lib/vfs/vfs.h"
#include "../../lib/vfs/sys.h"
#include <mica/blkfront.h>
#include <mica/ext2fs.h>
#include <mica/kprint.h>
#include <mica/sched.h>
#include <mica/xenstore.h>
#include "unit.h"

/* ------------------------------------------------------------------------- fake platform */

static char console[8192];
static size_t console_len;

#include "fake_vfs_plat.h"

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(console + console_len, sizeof(console) - console_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		console_len = console_len + (size_t)n < sizeof(console) ? console_len + (size_t)n : sizeof(console) - 1;
	return n;
}

#include "fake_blkfront_disk.h"

/* ---------------------------------------------------------------------------------- helpers */

#define SYS(name, ...) vfs_sys_##name(SYS_ARGS6(__VA_ARGS__, 0, 0, 0, 0, 0, 0))
#define SYS_ARGS6(a, b, c, d, e, f, ...) (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)

static char dir[256];
static char img[300];

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Makes an ext4 image with mke2fs (extra options opts) holding hello.txt, and loads it as the disk. */
static int disk_make(const char *opts, uint32_t sector, bool readonly)
{
	FILE *f;

	free(disk.data);
	memset(&disk, 0, sizeof(disk));
	if (sh("rm -f %s && mke2fs -q -t ext4 %s -d %s/src %s 4M >/dev/null 2>&1", img, opts, dir, img) != 0)
		return -1;
	f = fopen(img, "rb");
	if (f == NULL)
		return -1;
	disk.bytes = 4 << 20;
	disk.data = malloc(disk.bytes);
	if (disk.data == NULL || fread(disk.data, 1, disk.bytes, f) != disk.bytes) {
		fclose(f);
		return -1;
	}
	fclose(f);
	disk.sector = sector;
	disk.readonly = readonly;
	return 0;
}

/* Writes the disk back to the image file, for e2fsck and debugfs. */
static int disk_save(void)
{
	FILE *f = fopen(img, "wb");
	int ok = f != NULL && fwrite(disk.data, 1, disk.bytes, f) == disk.bytes;

	return f != NULL && fclose(f) == 0 && ok ? 0 : -1;
}

static long put(const char *path, const void *data, size_t len, long off)
{
	long fd = SYS(open, path, O_CREAT | O_WRONLY, 0644), r;

	if (fd < 0)
		return fd;
	r = SYS(pwrite64, fd, data, len, off);
	SYS(close, fd);
	return r;
}

static long get(const char *path, void *buf, size_t len, long off)
{
	long fd = SYS(open, path, O_RDONLY), r;

	if (fd < 0)
		return fd;
	r = SYS(pread64, fd, buf, len, off);
	SYS(close, fd);
	return r;
}

static int entries(const char *path)
{
	char buf[4096];
	long fd = SYS(open, path, O_RDONLY | O_DIRECTORY), got;
	int n = 0;

	if (fd < 0)
		return (int)fd;
	while ((got = SYS(getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long at = 0; at < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + at);

			n += strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
			at += d->d_reclen;
		}
	}
	SYS(close, fd);
	return got < 0 ? (int)got : n;
}

/* ------------------------------------------------------------------------------------ tests */

/* 1 KiB blocks on 4 KiB sectors: every block write is a read-modify-write of its sector. */
static void test_small_blocks_on_big_sectors(void)
{
	static uint8_t data[10000], back[10000];
	struct stat st;
	char out[64];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	unit_check(disk_make("-b 1024", 4096, false) == 0, "1 KiB-block image made", NULL);
	unit_check(ext2_mount_vbd(0, "/data") == 0, "mounts on a 4 KiB-sector disk", "%.*s", (int)console_len, console);
	unit_check(get("/data/hello.txt", out, sizeof(out), 0) == 6 && memcmp(out, "hello\n", 6) == 0,
		   "reads the host's file", NULL);
	long r = put("/data/f", data, sizeof(data), 1500);
	unit_check(r == (long)sizeof(data) && SYS(stat, "/data/f", &st) == 0 && st.st_size == 11500,
		   "an unaligned write: size 11500", "write %ld, size %ld", r, (long)st.st_size);
	r = get("/data/f", back, sizeof(back), 1500);
	unit_check(r == (long)sizeof(back) && memcmp(back, data, sizeof(data)) == 0, "reads it back", "read %ld", r);
	unit_check(get("/data/f", out, 16, 0) == 16 && memcmp(out, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0,
		   "the hole before it reads as zeros", NULL);
	unit_check(SYS(mkdir, "/data/d", 0755) == 0 && SYS(rename, "/data/f", "/data/d/g") == 0 && entries("/data/d") == 1,
		   "mkdir, rename into it, listed", NULL);
	long fd = SYS(open, "/data/d/g", O_RDWR);
	unsigned flushes = disk.flushes;
	unit_check(fd >= 0 && SYS(fsync, fd) == 0 && disk.flushes > flushes, "fsync flushes the disk", NULL);
	SYS(close, fd);
	unit_check(disk.misaligned == 0, "every transfer covers whole 4 KiB sectors", "%u misaligned", disk.misaligned);
	unit_check(vfs_unmount_all() == 0 && disk_save() == 0, "unmounts", NULL);
	unit_check(sh("e2fsck -fn %s >/dev/null 2>&1", img) == 0, "e2fsck finds the image clean", NULL);
	unit_check(sh("debugfs -R 'stat /d/g' %s 2>/dev/null | grep -q 'Size: 11500'", img) == 0,
		   "debugfs sees the moved file's size", NULL);
}

static void test_readonly(void)
{
	unit_check(disk_make("", 512, true) == 0, "image made", NULL);
	unit_check(ext2_mount_vbd(0, "/ro") == 0, "mounts a read-only disk", "%.*s", (int)console_len, console);
	unit_check(SYS(open, "/ro/hello.txt", O_WRONLY) == -EROFS && SYS(open, "/ro/new", O_CREAT | O_RDONLY, 0644) == -EROFS &&
			   SYS(mkdir, "/ro/x", 0755) == -EROFS && SYS(unlink, "/ro/hello.txt") == -EROFS &&
			   SYS(truncate, "/ro/hello.txt", 0) == -EROFS && SYS(chmod, "/ro/hello.txt", 0600) == -EROFS &&
			   SYS(symlink, "hello.txt", "/ro/l") == -EROFS && SYS(link, "/ro/hello.txt", "/ro/h") == -EROFS,
		   "every change is EROFS", NULL);
	char out[8];
	unit_check(get("/ro/hello.txt", out, sizeof(out), 0) == 6, "reads work", NULL);
	unit_check(vfs_unmount_all() == 0 && disk.writes == 0, "nothing was written", "%u writes", disk.writes);
}

static void test_refusals(void)
{
	console_len = 0;
	free(disk.data);
	memset(&disk, 0, sizeof(disk));
	disk.bytes = 1 << 20;
	disk.data = calloc(1, disk.bytes);
	disk.sector = 512;
	unit_check(ext2_mount_vbd(0, "/z") == -EINVAL && strstr(console, "disk0: not an ext2/3/4 filesystem") != NULL,
		   "a disk of zeros is refused with one line", "%.*s", (int)console_len, console);
	unit_check(ext2_mount_vbd(1, "/z") == -ENODEV, "a missing disk is refused", NULL);

	console_len = 0;
	unit_check(disk_make("", 512, false) == 0 &&
			   sh("debugfs -w -R 'feature needs_recovery' %s >/dev/null 2>&1", img) == 0,
		   "image with a journal to replay made", NULL);
	FILE *f = fopen(img, "rb");
	unit_check(f != NULL && fread(disk.data, 1, disk.bytes, f) == disk.bytes, "loaded", NULL);
	if (f != NULL)
		fclose(f);
	unit_check(ext2_mount_vbd(0, "/j") == -EINVAL && strstr(console, "journal needs recovery") != NULL,
		   "a journal that needs recovery is refused", "%.*s", (int)console_len, console);

	console_len = 0;
	unit_check(disk_make("", 512, false) == 0, "image made", NULL);
	long fd = put("/notdir", "x", 1, 0);
	unit_check(fd == 1 && ext2_mount_vbd(0, "/notdir") == -EINVAL && strstr(console, "mount point") != NULL,
		   "a file as the mount point is refused", "%.*s", (int)console_len, console);
}

static void test_write_errors(void)
{
	unit_check(disk_make("", 512, false) == 0 && ext2_mount_vbd(0, "/e") == 0, "mounted", NULL);
	disk.fail_writes = true;
	long r = put("/e/f", "data", 4, 0);
	long fd = SYS(open, "/e/hello.txt", O_RDWR);
	long w = SYS(write, fd, "abc", 3);
	long s = SYS(fsync, fd);
	unit_check(s == -EIO, "fsync reports the disk's error", "create+write %ld, write %ld, fsync %ld", r, w, s);
	SYS(close, fd);
	unit_check(vfs_unmount_all() != 0, "unmount reports the disk's error", NULL);
}

/* A crash between two writes of one superblock update would leave it torn, its checksum wrong. */
static void test_superblock_written_whole(void)
{
	unit_check(disk_make("", 512, false) == 0 && ext2_mount_vbd(0, "/s") == 0, "mounted", NULL);
	unsigned whole = disk.super_whole;
	long fd = SYS(open, "/s/new", O_CREAT | O_WRONLY, 0644);
	long w = SYS(write, fd, "data", 4), s = SYS(fsync, fd);
	SYS(close, fd);
	unit_check(w == 4 && s == 0 && disk.super_whole > whole && disk.super_part == 0,
		   "an fsync writes the primary superblock in one write of all of it, never part of it",
		   "%u whole, %u partial", disk.super_whole - whole, disk.super_part);
	unit_check(vfs_unmount_all() == 0 && disk.super_part == 0, "and so does the unmount", "%u partial",
		   disk.super_part);
}

static void test_times_and_modes(void)
{
	struct stat st;
	struct timespec ts[2] = {{.tv_sec = 1234567890, .tv_nsec = 123456789}, {.tv_sec = 1500000000, .tv_nsec = 5}};

	unit_check(disk_make("", 512, false) == 0 && ext2_mount_vbd(0, "/t") == 0, "mounted", NULL);
	unit_check(SYS(utimensat, AT_FDCWD, "/t/hello.txt", ts, 0) == 0 && SYS(chmod, "/t/hello.txt", 0600) == 0 &&
			   SYS(stat, "/t/hello.txt", &st) == 0 && st.st_mtim.tv_sec == 1500000000 &&
			   st.st_mtim.tv_nsec == 5 && st.st_atim.tv_nsec == 123456789 && (st.st_mode & 07777) == 0600,
		   "utimensat and chmod reach the inode", "mtime %ld.%ld mode %o", (long)st.st_mtim.tv_sec,
		   (long)st.st_mtim.tv_nsec, st.st_mode);
	unit_check(SYS(stat, "/t", &st) == 0 && st.st_dev != 1 && S_ISDIR(st.st_mode), "the mount has its own st_dev", NULL);
	unit_check(SYS(rmdir, "/t") == -EBUSY && SYS(rename, "/t", "/u") == -EBUSY, "the mount point is busy", NULL);
	unit_check(SYS(rename, "/t/hello.txt", "/elsewhere") == -EXDEV, "rename out of the mount: EXDEV", NULL);
	unit_check(vfs_unmount_all() == 0 && disk_save() == 0 && sh("e2fsck -fn %s >/dev/null 2>&1", img) == 0,
		   "clean after", NULL);
}

/* Symlinks (fast and in a block) and hard links on a mount, and what the host's tools see of them. */
static void test_links(void)
{
	char target[400], buf[1200], out[64];
	struct stat st, lst;
	size_t n = 0;

	while (n + 2 < 300)
		n += (size_t)sprintf(target + n, "./");
	n += (size_t)sprintf(target + n, "hello.txt");
	unit_check(disk_make("-b 1024", 512, false) == 0 && ext2_mount_vbd(0, "/l") == 0, "mounted", NULL);
	unit_check(SYS(symlink, "hello.txt", "/l/short") == 0 && SYS(readlink, "/l/short", buf, sizeof(buf)) == 9 &&
			   memcmp(buf, "hello.txt", 9) == 0,
		   "a short symlink reads back", NULL);
	unit_check(SYS(lstat, "/l/short", &lst) == 0 && S_ISLNK(lst.st_mode) && lst.st_size == 9 &&
			   SYS(stat, "/l/short", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 6,
		   "lstat sees the link, stat its target", "lstat mode %o size %ld", lst.st_mode, (long)lst.st_size);
	long r = SYS(symlink, target, "/l/long");
	unit_check(r == 0 && SYS(readlink, "/l/long", buf, sizeof(buf)) == (long)n && memcmp(buf, target, n) == 0,
		   "a 300-byte symlink (in a block) reads back", "symlink %ld", r);
	unit_check(get("/l/long", out, sizeof(out), 0) == 6 && memcmp(out, "hello\n", 6) == 0, "both are followed",
		   NULL);
	memset(buf, 'a', 1100);
	buf[1100] = '\0';
	unit_check(SYS(symlink, buf, "/l/huge") == -ENAMETOOLONG && SYS(lstat, "/l/huge", &st) == -ENOENT,
		   "a target longer than a block is ENAMETOOLONG", NULL);
	unit_check(SYS(symlink, "x", "/l/short") == -EEXIST && SYS(symlink, "x", "/l/hello.txt") == -EEXIST,
		   "symlink over a name: EEXIST", NULL);

	long fd = SYS(open, "/l/hello.txt", O_RDWR);
	unit_check(SYS(link, "/l/hello.txt", "/l/h2") == 0 && SYS(stat, "/l/h2", &st) == 0 && st.st_nlink == 2 &&
			   SYS(fstat, fd, &lst) == 0 && lst.st_nlink == 2 && st.st_ino == lst.st_ino,
		   "link: two names, one inode, nlink 2", "nlink %ld", (long)st.st_nlink);
	unit_check(SYS(pwrite64, fd, "HELLO", 5, 0) == 5 && get("/l/h2", out, sizeof(out), 0) == 6 &&
			   memcmp(out, "HELLO\n", 6) == 0,
		   "a write through one name shows through the other", NULL);
	unit_check(SYS(unlink, "/l/hello.txt") == 0 && SYS(stat, "/l/h2", &st) == 0 && st.st_nlink == 1 &&
			   get("/l/h2", out, sizeof(out), 0) == 6,
		   "unlink of one name keeps the other readable, nlink 1", NULL);
	SYS(close, fd);
	unit_check(SYS(mkdir, "/l/d", 0755) == 0 && SYS(link, "/l/d", "/l/d2") == -EPERM, "link to a directory: EPERM",
		   NULL);
	unit_check(SYS(link, "/l/h2", "/l/short") == -EEXIST && SYS(link, "/l/h2", "/elsewhere") == -EXDEV &&
			   SYS(link, "/l/nothing", "/l/x") == -ENOENT,
		   "link: EEXIST, EXDEV out of the mount, ENOENT", NULL);
	unit_check(SYS(link, "/l/h2", "/l/d/h3") == 0 &&
			   SYS(linkat, AT_FDCWD, "/l/short", AT_FDCWD, "/l/short2", 0) == 0 &&
			   SYS(lstat, "/l/short2", &st) == 0 && S_ISLNK(st.st_mode) && st.st_nlink == 2,
		   "link into a subdirectory; linkat of a symlink links the symlink", NULL);
	/* Enough names to grow the directory past its first block. */
	int made = 0;
	char name[64];
	for (int i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "/l/d/a-rather-long-symlink-name-%02d", i);
		made += SYS(symlink, "../h2", name) == 0;
	}
	unit_check(made == 60 && entries("/l/d") == 61 && get("/l/d/a-rather-long-symlink-name-59", out, 6, 0) == 6,
		   "60 symlinks grow a directory", "%d made, %d listed", made, entries("/l/d"));
	unit_check(vfs_unmount_all() == 0 && disk_save() == 0, "unmounts", NULL);
	unit_check(sh("e2fsck -fn %s >/dev/null 2>&1", img) == 0, "e2fsck finds the image clean", NULL);
	unit_check(sh("debugfs -R 'stat /short' %s 2>/dev/null | grep -q 'Fast link dest: \"hello.txt\"'", img) == 0 &&
			   sh("debugfs -R 'stat /long' %s 2>/dev/null | grep -q 'Type: symlink'", img) == 0,
		   "debugfs sees both symlinks", NULL);
	unit_check(sh("debugfs -R 'stat /h2' %s 2>/dev/null | grep -q 'Links: 2'", img) == 0 &&
			   sh("debugfs -R 'cat /d/h3' %s 2>/dev/null | grep -qx HELLO", img) == 0,
		   "debugfs: 2 links, the content written through the other name", NULL);
}

/* ------------------------------------------------------ a lying driver, for the vfs's checks */

/* Inode 2 is the root, 3 a file the vfs has seen; the driver then hands 3 out again as new. */
static uint32_t liar_mode[4] = {0, 0, S_IFDIR | 0755, S_IFREG | 0644};

static int liar_getattr(void *fs, uint64_t ino, struct vfs_fs_attr *a)
{
	(void)fs;
	if (ino >= 4 || liar_mode[ino] == 0)
		return -EIO;
	memset(a, 0, sizeof(*a));
	a->mode = liar_mode[ino];
	a->nlink = S_ISDIR(a->mode) ? 2 : 1;
	a->size = S_ISLNK(a->mode) ? 1 : 0;
	return 0;
}

static int liar_lookup(void *fs, uint64_t dir, const char *name, size_t len, uint64_t *ino)
{
	(void)fs;
	(void)dir;
	if (len != 1 || name[0] != 'f')
		return -ENOENT;
	*ino = 3;
	return 0;
}

static int liar_create(void *fs, uint64_t dir, const char *name, size_t len, uint32_t mode, uint64_t *ino)
{
	(void)fs, (void)dir, (void)name, (void)len, (void)mode;
	*ino = 3;
	return 0;
}

static int liar_symlink(void *fs, uint64_t dir, const char *name, size_t len, const char *target, size_t target_len,
			uint64_t *ino)
{
	(void)fs, (void)dir, (void)name, (void)len, (void)target, (void)target_len;
	liar_mode[3] = S_IFLNK | 0777;
	*ino = 3;
	return 0;
}

static long liar_readlink(void *fs, uint64_t ino, char *buf, size_t len)
{
	(void)fs, (void)ino;
	memcpy(buf, "x", len < 1 ? len : 1);
	return 1;
}

static void liar_evict(void *fs, uint64_t ino)
{
	(void)fs, (void)ino;
}

static int liar_unmount(void *fs)
{
	(void)fs;
	return 0;
}

/* A corrupt disk can hand out a number the vfs holds as another type: EIO, never a reused inode. */
static void test_made_inode_of_another_type(void)
{
	static const struct vfs_fs_ops liar = {
		.getattr = liar_getattr,
		.lookup = liar_lookup,
		.create = liar_create,
		.readlink = liar_readlink,
		.symlink = liar_symlink,
		.evict = liar_evict,
		.unmount = liar_unmount,
	};
	struct stat st;
	long fd;

	unit_check(vfs_mount("/liar", &liar, NULL, 2, false) == 0, "a driver mounted", NULL);
	fd = SYS(open, "/liar/f", O_RDONLY);
	unit_check(fd >= 0 && SYS(fstat, fd, &st) == 0 && S_ISREG(st.st_mode), "its file is open", NULL);
	unit_check(SYS(mkdir, "/liar/d", 0755) == -EIO, "a new directory that is a known file: EIO", NULL);
	unit_check(SYS(symlink, "x", "/liar/s") == -EIO, "a new symlink that is a known file: EIO", NULL);
	unit_check(SYS(link, "/liar/f", "/liar/g") == -EPERM, "a driver without link: EPERM", NULL);
	SYS(close, fd);
	unit_check(vfs_unmount_all() == 0, "unmounted", NULL);
}

int main(void)
{
	/* tests/run gives each test a scratch directory in T. */
	snprintf(dir, sizeof(dir), "%s/test_ext2fs.XXXXXX", getenv("T") != NULL ? getenv("T") : "/tmp");
	unit_check(mkdtemp(dir) != NULL, "temp dir", NULL);
	snprintf(img, sizeof(img), "%s/d.img", dir);
	sh("mkdir -p %s/src && printf 'hello\\n' > %s/src/hello.txt", dir, dir);
	unit_check(vfs_init() == 0, "vfs_init", NULL);
	test_small_blocks_on_big_sectors();
	test_readonly();
	test_refusals();
	test_write_errors();
	test_superblock_written_whole();
	test_times_and_modes();
	test_links();
	test_made_inode_of_another_type();
	free(disk.data);
	sh("rm -rf %s", dir);
	return unit_exit_status();
}
