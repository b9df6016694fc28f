/* fuzz-sources: lib/vfs/mem.c lib/vfs/inode.c lib/vfs/dir.c lib/vfs/data.c lib/vfs/path.c lib/vfs/namei.c lib/vfs/fd.c lib/vfs/console.c lib/vfs/cpio.c lib/vfs/init.c lib/vfs/sys_rw.c lib/vfs/sys_fd.c lib/vfs/sys_open.c lib/vfs/sys_stat.c lib/vfs/sys_names.c lib/vfs/sys_dir.c lib/vfs/sys_poll.c lib/vfs/file.c lib/vfs/wait.c lib/vfs/epoll.c lib/vfs/eventfd.c lib/vfs/mount.c lib/ext2fs/io.c lib/ext2fs/fs.c lib/ext2fs/mount.c */
/* libFuzzer harness: a hostile ext4 image mounted by lib/ext2fs into lib/vfs, walked, changed and unmounted. */
/* fuzz-libs: -lext2fs -lcom_err */
/*
 * Inputs are edits of one valid image (made once by the host's mke2fs: 1 KiB blocks, a few files,
 * directories and symlinks, no metadata checksums so that edits get past them): each 3 bytes put
 * one byte at an offset in its first 64 KiB, where the superblock, group descriptors, bitmaps,
 * inode table and directories are. Whatever the image says, mounting either refuses it or gives a
 * tree whose every call returns (data or -errno); after the unmount no inode, file or mount is
 * left (LeakSanitizer checks every input). The host's libext2fs is not instrumented: coverage
 * counts our io_manager, driver and vfs only.
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

/* ------------------------------------------------------------------------- fake platform */

#include "../unit/fake_vfs_plat.h"

/* The refusal lines are the expected outcome of most inputs: not shown. */
int kprintf(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

#include "../unit/fake_blkfront_disk.h"

#define FUZZ_DISK (1u << 20)
#define FUZZ_META (64u << 10)
static uint8_t fuzz_base[FUZZ_DISK];

/* ---------------------------------------------------------------------------------- harness */

#define SYS(name, ...) vfs_sys_##name(SYS_ARGS6(__VA_ARGS__, 0, 0, 0, 0, 0, 0))
#define SYS_ARGS6(a, b, c, d, e, f, ...) (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/fuzz_ext2fs.XXXXXX", cmd[2048];
	FILE *f;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p src/a/b src/c && printf 'hello\\n' >src/hello && seq 1 3000 >src/a/b/long && "
		 "ln -s a/b/long src/link && ln -s %0300d src/longlink && "
		 "mke2fs -q -t ext4 -O ^metadata_csum -b 1024 -N 64 -d src d.img 1M >/dev/null 2>&1",
		 dir, 0);
	if (system(cmd) != 0)
		abort();
	snprintf(cmd, sizeof(cmd), "%s/d.img", dir);
	f = fopen(cmd, "rb");
	if (f == NULL || fread(fuzz_base, 1, FUZZ_DISK, f) != FUZZ_DISK)
		abort();
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		abort();
	if (vfs_init() != 0)
		abort();
	disk.data = malloc(FUZZ_DISK);
	if (disk.data == NULL)
		abort();
	disk.bytes = FUZZ_DISK;
	return 0;
}

/* Reads, lists and stats everything below path, depth-first, a bounded amount. */
static void fuzz_walk(const char *path, int depth, int *budget)
{
	char buf[2048], child[512];
	struct stat st;
	long fd, got;

	if (depth > 6 || --*budget < 0)
		return;
	SYS(lstat, path, &st);
	SYS(readlink, path, buf, sizeof(buf));
	fd = SYS(open, path, O_RDONLY);
	if (fd < 0)
		return;
	if (SYS(fstat, fd, &st) == 0 && S_ISREG(st.st_mode)) {
		for (int i = 0; i < 8 && SYS(read, fd, buf, sizeof(buf)) > 0; i++)
			;
		SYS(pread64, fd, buf, 100, 1 << 20);
	}
	while ((got = SYS(getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long at = 0; at + 19 < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + at);

			if (d->d_reclen == 0)
				break;
			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0 &&
			    (size_t)snprintf(child, sizeof(child), "%s/%s", path, d->d_name) < sizeof(child))
				fuzz_walk(child, depth + 1, budget);
			at += d->d_reclen;
		}
	}
	SYS(close, fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int budget = 200;
	long fd;

	memcpy(disk.data, fuzz_base, FUZZ_DISK);
	for (size_t i = 0; i + 3 <= size; i += 3)
		disk.data[(data[i] | (size_t)data[i + 1] << 8) % FUZZ_META] = data[i + 2];
	disk.sector = size % 2 ? 4096 : 512;
	disk.readonly = size % 5 == 0;
	if (ext2_mount_vbd(0, "/f") != 0)
		return 0;
	fuzz_walk("/f", 0, &budget);
	fd = SYS(open, "/f/new", O_CREAT | O_RDWR, 0644);
	if (fd >= 0) {
		SYS(pwrite64, fd, fuzz_base, 5000, 3000);
		SYS(fsync, fd);
		SYS(ftruncate, fd, 100);
		SYS(close, fd);
	}
	SYS(mkdir, "/f/a/d", 0755);
	/* A fast symlink, one in a block, and a second name whose first then goes. */
	char target[320], back[320];
	memset(target, 'x', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	SYS(symlink, "../hello", "/f/a/s");
	SYS(symlink, target, "/f/a/d/s");
	SYS(readlink, "/f/a/d/s", back, sizeof(back));
	SYS(link, "/f/a/b/long", "/f/a/h");
	SYS(link, "/f/link", "/f/a/l");
	SYS(rename, "/f/hello", "/f/c/hello");
	SYS(rename, "/f/c", "/f/a/b/c");
	SYS(unlink, "/f/a/b/long");
	fd = SYS(open, "/f/a/h", O_RDONLY);
	if (fd >= 0) {
		SYS(read, fd, back, sizeof(back));
		SYS(close, fd);
	}
	SYS(rmdir, "/f/a/b");
	SYS(unlink, "/f/new");
	vfs_unmount_all();
	return 0;
}
