/* The container's root file system as an initrd: a cpio (newc) archive built into a memfd. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "oci/initrd.h"

struct oci_initrd {
	int fd;            /* the memfd */
	uint64_t size;     /* bytes written so far */
	uint64_t max;
	uint32_t ino;      /* archive inode numbers: only distinctness matters */
	unsigned entries;  /* members other than the trailer */
	dev_t skip_dev;
	ino_t skip_ino;
	char *err;
	size_t errlen;
	char path[4096];   /* the member being archived, relative to the root */
};

static int oci_initrd_fail(struct oci_initrd *r, const char *what, int e)
{
	snprintf(r->err, r->errlen, "rootfs/%.200s: %s%s%s", r->path, what, e ? ": " : "", e ? strerror(e) : "");
	return -1;
}

/* Whether len more bytes fit under the cap; -1 with the message if not. */
static int oci_initrd_room(struct oci_initrd *r, uint64_t len)
{
	if (len <= r->max && r->size <= r->max - len)
		return 0;
	snprintf(r->err, r->errlen,
		 "the container's files need more than %llu MiB as an initrd: keep only what the app "
		 "reads in the image's root file system",
		 (unsigned long long)(r->max >> 20));
	return -1;
}

static int oci_initrd_put(struct oci_initrd *r, const void *data, size_t len)
{
	if (oci_initrd_room(r, len) != 0)
		return -1;
	const char *p = data;
	while (len) {
		ssize_t n = write(r->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(r->err, r->errlen, "cannot write the initrd: %s", strerror(n < 0 ? errno : ENOSPC));
			return -1;
		}
		p += n;
		len -= (size_t)n;
		r->size += (uint64_t)n;
	}
	return 0;
}

/* Zeros up to the next multiple of 4, as newc aligns headers and data. */
static int oci_initrd_pad(struct oci_initrd *r)
{
	static const char zeros[4];
	return oci_initrd_put(r, zeros, (4 - r->size % 4) % 4);
}

static int oci_initrd_header(struct oci_initrd *r, const char *name, uint32_t mode, uint64_t filesize,
			     uint64_t mtime)
{
	char hdr[111];
	size_t namesize = strlen(name) + 1;
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ++r->ino, mode,
		 0u, 0u, 1u, (uint32_t)mtime, (uint32_t)filesize, 0u, 0u, 0u, 0u, (uint32_t)namesize, 0u);
	if (oci_initrd_put(r, hdr, 110) != 0 || oci_initrd_put(r, name, namesize) != 0)
		return -1;
	return oci_initrd_pad(r);
}

static int oci_initrd_copy(struct oci_initrd *r, int dirfd, const char *name, const struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return oci_initrd_fail(r, "cannot open", errno);
	struct stat now;
	/* Checked on the open file: what was stat'ed by name could have been swapped since. */
	if (fstat(fd, &now) != 0 || !S_ISREG(now.st_mode) || now.st_size != st->st_size) {
		close(fd);
		return oci_initrd_fail(r, "changed while being archived", 0);
	}
	if (oci_initrd_room(r, (uint64_t)st->st_size) != 0) {
		close(fd);
		return -1;
	}
	int rc = oci_initrd_header(r, r->path, (uint32_t)(S_IFREG | (st->st_mode & 07777)), (uint64_t)st->st_size,
				   (uint64_t)st->st_mtime);
	char buf[65536];
	uint64_t left = (uint64_t)st->st_size;
	while (rc == 0 && left) {
		ssize_t n = read(fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = oci_initrd_fail(r, n < 0 ? "cannot read" : "shrank while being archived", n < 0 ? errno : 0);
			break;
		}
		rc = oci_initrd_put(r, buf, (size_t)n);
		left -= (uint64_t)n;
	}
	close(fd);
	return rc == 0 ? oci_initrd_pad(r) : -1;
}

static int oci_initrd_symlink(struct oci_initrd *r, int dirfd, const char *name, const struct stat *st)
{
	char target[4096];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target));
	if (n <= 0 || (size_t)n >= sizeof(target))
		return oci_initrd_fail(r, "cannot read the symlink", n < 0 ? errno : ENAMETOOLONG);
	if (oci_initrd_header(r, r->path, S_IFLNK | 0777, (uint64_t)n, (uint64_t)st->st_mtime) != 0 ||
	    oci_initrd_put(r, target, (size_t)n) != 0)
		return -1;
	return oci_initrd_pad(r);
}

static int oci_dirent_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Archives the contents of the directory dirfd (r->path its name, "" for the root). */
static int oci_initrd_dir(struct oci_initrd *r, int dirfd, int depth)
{
	if (depth > OCI_INITRD_MAX_DEPTH)
		return oci_initrd_fail(r, "directories nest too deeply", 0);
	int dup_fd = dup(dirfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return oci_initrd_fail(r, "cannot list", errno);
	}
	/* The duplicate shares dirfd's position, which an earlier listing may have moved. */
	rewinddir(d);
	/* Sorted, so the same files make the same archive. */
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				rc = oci_initrd_fail(r, "out of memory", 0);
				break;
			}
			names = grown;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = oci_initrd_fail(r, "out of memory", 0);
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == 0 && n)
		qsort(names, n, sizeof(*names), oci_dirent_cmp);
	size_t base = strlen(r->path);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *name = names[i];
		if (base + 1 + strlen(name) >= sizeof(r->path)) {
			rc = oci_initrd_fail(r, "a name inside is too long", 0);
			break;
		}
		snprintf(r->path + base, sizeof(r->path) - base, "%s%s", base ? "/" : "", name);
		struct stat st;
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = oci_initrd_fail(r, "cannot stat", errno);
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				rc = oci_initrd_fail(r, "cannot open the directory", errno);
			} else {
				r->entries++;
				rc = oci_initrd_header(r, r->path, (uint32_t)(S_IFDIR | (st.st_mode & 07777)), 0,
						       (uint64_t)st.st_mtime);
				if (rc == 0)
					rc = oci_initrd_dir(r, sub, depth + 1);
				close(sub);
			}
		} else if (S_ISREG(st.st_mode) && !(st.st_dev == r->skip_dev && st.st_ino == r->skip_ino)) {
			r->entries++;
			rc = oci_initrd_copy(r, dirfd, name, &st);
		} else if (S_ISLNK(st.st_mode)) {
			r->entries++;
			rc = oci_initrd_symlink(r, dirfd, name, &st);
		}
		/* The image itself, devices, fifos and sockets mean nothing inside a guest: left out. */
		r->path[base] = '\0';
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int oci_initrd_build(int rootfs_fd, dev_t skip_dev, ino_t skip_ino, uint64_t max_bytes, int *fd,
		     uint64_t *size, char *err, size_t errlen)
{
	/* newc sizes are 32 bits: no member may reach 4 GiB. */
	struct oci_initrd r = {.max = max_bytes < UINT32_MAX ? max_bytes : UINT32_MAX, .skip_dev = skip_dev,
			       .skip_ino = skip_ino, .err = err, .errlen = errlen};
	*fd = -1;
	*size = 0;
	r.fd = memfd_create("mica-initrd", MFD_CLOEXEC);
	if (r.fd < 0) {
		snprintf(err, errlen, "cannot create the initrd: %s", strerror(errno));
		return -1;
	}
	if (oci_initrd_dir(&r, rootfs_fd, 0) != 0 || (r.entries && oci_initrd_header(&r, "TRAILER!!!", 0, 0, 0) != 0)) {
		close(r.fd);
		return -1;
	}
	if (!r.entries) {
		close(r.fd);
		return 0;
	}
	*fd = r.fd;
	*size = r.size;
	return 0;
}
