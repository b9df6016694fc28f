/* fuzz-sources: lib/vfs/mem.c lib/vfs/inode.c lib/vfs/dir.c lib/vfs/data.c lib/vfs/path.c lib/vfs/namei.c lib/vfs/fd.c lib/vfs/console.c lib/vfs/cpio.c lib/vfs/file.c lib/vfs/wait.c lib/vfs/epoll.c lib/vfs/eventfd.c lib/vfs/mount.c */
/*
 * libFuzzer harness: arbitrary bytes as an initrd, unpacked into an empty ramfs; the tree is then
 * walked (names, link counts, file data, symlink targets and their resolution checked) and
 * removed, so the next input starts from an empty root again. A rejected archive must say so in
 * exactly one well-formed console line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../lib/vfs/vfs.h"
/* Unpacking never waits (a wait aborts); a rejected archive's line is checked here. */
#define FAKE_VFS_OWN_CONSOLE_WRITE
#define FAKE_VFS_MAX_PAGES 4096
#include "../unit/fake_vfs_plat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int console_lines;

void plat_console_write(const char *buf, size_t len)
{
	static const char prefix[] = "mica: initrd: ";

	if (len < sizeof(prefix) || memcmp(buf, prefix, sizeof(prefix) - 1) != 0 || buf[len - 1] != '\n')
		abort();
	for (size_t i = 0; i + 1 < len; i++)
		if (buf[i] < 0x20 || buf[i] >= 0x7f)
			abort();
	console_lines++;
}

/* Checks every entry below dir and reads every file. */
static void walk(struct vfs_inode *dir, size_t input_size)
{
	static char buf[4096];
	uint32_t subdirs = 0;

	for (struct vfs_dirent *d = dir->u.dir.head; d != NULL; d = d->next) {
		struct vfs_inode *inode = d->inode;
		struct vfs_path p;

		if (d->namelen == 0 || memchr(d->name, '/', d->namelen) || memchr(d->name, '\0', d->namelen) ||
		    (d->namelen == 1 && d->name[0] == '.') || (d->namelen == 2 && memcmp(d->name, "..", 2) == 0))
			abort();
		if (vfs_dir_find(dir, d->name, d->namelen) != d || (d->next != NULL && d->next->cookie <= d->cookie))
			abort();
		if (S_ISDIR(inode->mode)) {
			subdirs++;
			if (inode->u.dir.parent != dir)
				abort();
			walk(inode, input_size);
		} else if (S_ISREG(inode->mode)) {
			if (inode->nlink == 0 || inode->size > input_size)
				abort();
			for (uint64_t off = 0; off < inode->size; off += sizeof(buf))
				if (vfs_data_read(inode, buf, sizeof(buf), off) <= 0)
					abort();
		} else if (S_ISLNK(inode->mode)) {
			if (inode->size == 0 || inode->size >= VFS_PATH_MAX ||
			    strlen(inode->u.lnk.target) != inode->size || inode->nlink != 1)
				abort();
			/* Any answer will do, as long as it comes. */
			vfs_lookup(dir, inode->u.lnk.target, VFS_FOLLOW, &p);
		} else {
			abort();
		}
	}
	if (dir->nlink != 2 + subdirs)
		abort();
}

static void empty(struct vfs_inode *dir)
{
	while (dir->u.dir.head != NULL) {
		struct vfs_dirent *d = dir->u.dir.head;

		if (S_ISDIR(d->inode->mode))
			empty(d->inode);
		vfs_dir_remove(dir, d);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static long pages_empty = -1;

	if (vfs_root == NULL) {
		vfs_root = vfs_inode_new(S_IFDIR | 0755);
		vfs_root->nlink = 2;
		vfs_root->u.dir.parent = vfs_root;
		vfs_cwd = vfs_root;
	}
	console_lines = 0;
	const char *problem = cpio_unpack(vfs_root, data, size);
	if (console_lines != (problem != NULL))
		abort();
	walk(vfs_root, size);
	empty(vfs_root);
	if (vfs_root->nlink != 2)
		abort();
	/* File data goes back to the pages it came from; only the small-object pools may keep some. */
	if (pages_empty < 0)
		pages_empty = fake_pages_out;
	if (fake_pages_out > pages_empty + 64)
		abort();
	return 0;
}
