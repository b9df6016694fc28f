/* unit-sources: runtime/oci/initrd.c */
/* Unit tests of the container rootfs to initrd (cpio newc) builder: members, skips, limits. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/initrd.h"
#include "unit.h"

static char root[4096];

static void put(const char *rel, const char *text)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static unsigned hex8(const char *p)
{
	char buf[9];
	memcpy(buf, p, 8);
	buf[8] = '\0';
	return (unsigned)strtoul(buf, NULL, 16);
}

/* Lists the archive's members as "name:mode-type:size[:content]" lines into out. */
static int list_archive(int fd, uint64_t size, char *out, size_t outlen)
{
	char *buf = malloc(size);
	if (pread(fd, buf, size, 0) != (ssize_t)size)
		return -1;
	size_t off = 0, n = 0;
	out[0] = '\0';
	while (off + 110 <= size) {
		if (memcmp(buf + off, "070701", 6) != 0)
			return -1;
		unsigned mode = hex8(buf + off + 14), filesize = hex8(buf + off + 54), namesize = hex8(buf + off + 94);
		const char *name = buf + off + 110;
		size_t data = (off + 110 + namesize + 3) & ~(size_t)3;
		if (strcmp(name, "TRAILER!!!") == 0) {
			free(buf);
			return data == size ? 0 : -1;
		}
		char type = (mode & S_IFMT) == S_IFDIR ? 'd' : (mode & S_IFMT) == S_IFLNK ? 'l' : 'f';
		n += (size_t)snprintf(out + n, outlen - n, "%s:%c:%u:%.*s\n", name, type, filesize, (int)filesize,
				      buf + data);
		off = (data + filesize + 3) & ~(size_t)3;
	}
	free(buf);
	return -1;
}

int main(void)
{
	snprintf(root, sizeof(root), "%s/rootfs", getenv("T") ? getenv("T") : "/tmp");
	mkdir(root, 0755);
	put("app", "the image");
	put("b.txt", "bee");
	char path[4200];
	snprintf(path, sizeof(path), "%s/dir", root);
	mkdir(path, 0755);
	put("dir/a.lua", "print(1)");
	snprintf(path, sizeof(path), "%s/dir/link", root);
	symlink("../b.txt", path);
	snprintf(path, sizeof(path), "%s/fifo", root);
	mkfifo(path, 0600);

	struct stat img;
	snprintf(path, sizeof(path), "%s/app", root);
	stat(path, &img);
	int rootfd = open(root, O_RDONLY | O_DIRECTORY);
	int fd;
	uint64_t size;
	char err[256] = "", listing[1024];
	int r = oci_initrd_build(rootfd, img.st_dev, img.st_ino, 1 << 20, &fd, &size, err, sizeof(err));
	unit_check(r == 0 && fd >= 0 && size % 4 == 0, "a rootfs becomes an archive", "%s", err);
	if (r == 0) {
		int lr = list_archive(fd, size, listing, sizeof(listing));
		unit_check(lr == 0, "the archive is well-formed newc ending in its trailer", NULL);
		unit_check(strcmp(listing, "b.txt:f:3:bee\ndir:d:0:\ndir/a.lua:f:8:print(1)\ndir/link:l:8:../b.txt\n") == 0,
			   "members in order, the image and the fifo left out, the symlink kept as one", "got:\n%s",
			   listing);
		close(fd);
	}

	r = oci_initrd_build(rootfd, img.st_dev, img.st_ino, 64, &fd, &size, err, sizeof(err));
	unit_check(r == -1 && strstr(err, "need more than"), "a cap below the files' size is refused", "%s", err);

	char empty[4200];
	snprintf(empty, sizeof(empty), "%s/empty", getenv("T") ? getenv("T") : "/tmp");
	mkdir(empty, 0755);
	int emptyfd = open(empty, O_RDONLY | O_DIRECTORY);
	r = oci_initrd_build(emptyfd, 0, 0, 1 << 20, &fd, &size, err, sizeof(err));
	unit_check(r == 0 && fd == -1 && size == 0, "an empty rootfs gives no initrd", "%s", err);

	/* Nesting deeper than the limit is refused, not followed until the stack runs out. */
	char deep[8192];
	size_t n = (size_t)snprintf(deep, sizeof(deep), "%s", empty);
	for (int i = 0; i <= OCI_INITRD_MAX_DEPTH + 1; i++) {
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "/d");
		mkdir(deep, 0755);
	}
	r = oci_initrd_build(emptyfd, 0, 0, 1 << 20, &fd, &size, err, sizeof(err));
	unit_check(r == -1 && strstr(err, "nest too deeply"), "directories nested too deeply are refused", "%s", err);
	return unit_exit_status();
}
