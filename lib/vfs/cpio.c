/* The initrd format: cpio "newc" archives, checked field by field and unpacked into the ramfs. */
#include "vfs.h"
#include <arch/string.h>

/*
 * Each entry is a 110-byte header of "070701" (or "070702", with a checksum) and thirteen
 * 8-digit hex fields, the NUL-terminated name, then the data; name and data each start on a
 * multiple of 4 bytes from the archive's start. The entry named "TRAILER!!!" ends the archive.
 * Every size and offset comes from the archive, so each is checked against what is left.
 */

#define CPIO_HEADER 110
#define CPIO_MAGIC_LEN 6

enum {
	CPIO_INO,
	CPIO_MODE,
	CPIO_UID,
	CPIO_GID,
	CPIO_NLINK,
	CPIO_MTIME,
	CPIO_FILESIZE,
	CPIO_DEVMAJOR,
	CPIO_DEVMINOR,
	CPIO_RDEVMAJOR,
	CPIO_RDEVMINOR,
	CPIO_NAMESIZE,
	CPIO_CHECK,
	CPIO_FIELDS
};

struct cpio_entry {
	uint32_t field[CPIO_FIELDS];
	const char *name; /* NUL-terminated */
	const uint8_t *data; /* field[CPIO_FILESIZE] bytes */
	bool trailer;
};

/*
 * Regular files with several names: newc stores the data with the last name only, so the
 * earlier ones are found again by inode number. Each holds a reference until the end.
 */
struct cpio_link {
	struct cpio_link *next;
	uint32_t ino, devmajor, devminor;
	struct vfs_inode *inode;
};

static size_t cpio_align(size_t off)
{
	return off + ((4 - off % 4) % 4);
}

static bool cpio_hex(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i], lc = (uint8_t)(c | 0x20);

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if (lc >= 'a' && lc <= 'f')
			v = v << 4 | (uint32_t)(lc - 'a' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

/* Checks the entry at *off and moves *off past it; the problem, or NULL. */
static const char *cpio_parse(const uint8_t *a, size_t len, size_t *off, struct cpio_entry *e)
{
	size_t at = *off;
	bool crc;

	if (at == len)
		return "archive ends without TRAILER!!!";
	if (len - at < CPIO_HEADER)
		return "truncated header";
	crc = memcmp(a + at, "070702", CPIO_MAGIC_LEN) == 0;
	if (!crc && memcmp(a + at, "070701", CPIO_MAGIC_LEN) != 0)
		return "bad magic (not a cpio newc archive)";
	for (int i = 0; i < CPIO_FIELDS; i++)
		if (!cpio_hex(a + at + CPIO_MAGIC_LEN + 8 * i, &e->field[i]))
			return "header field is not hexadecimal";

	uint32_t namesize = e->field[CPIO_NAMESIZE], filesize = e->field[CPIO_FILESIZE];
	size_t name_at = at + CPIO_HEADER;
	if (namesize == 0 || namesize > VFS_PATH_MAX)
		return "bad name size";
	if (namesize > len - name_at)
		return "name runs past the end of the archive";
	e->name = (const char *)a + name_at;
	if (vfs_strnlen(e->name, namesize) != namesize - 1)
		return "name is not NUL-terminated";
	e->trailer = namesize == sizeof("TRAILER!!!") && memcmp(e->name, "TRAILER!!!", namesize) == 0;
	if (e->trailer)
		return NULL;

	size_t data_at = cpio_align(name_at + namesize);
	if (data_at > len || filesize > len - data_at)
		return "data runs past the end of the archive";
	e->data = a + data_at;
	if (crc) {
		uint32_t sum = 0;

		for (uint32_t i = 0; i < filesize; i++)
			sum += e->data[i];
		if (sum != e->field[CPIO_CHECK])
			return "bad checksum";
	}
	/* The last entry's padding may be cut off; the next parse then reports the missing trailer. */
	size_t next = cpio_align(data_at + filesize);
	*off = next < len ? next : len;
	return NULL;
}

static const char *cpio_errstr(int err)
{
	switch (err) {
	case -ENOENT:
		return "its directory does not exist";
	case -ENOTDIR:
		return "a component of its path is not a directory";
	case -ENOTEMPTY:
		return "it would replace a non-empty directory";
	case -ELOOP:
		return "too many levels of symbolic links";
	case -ENAMETOOLONG:
		return "a component of its name is too long";
	case -ENOMEM:
	case -ENOSPC:
		return "out of memory";
	default:
		return "cannot be created there";
	}
}

/* Names are relative to the root however the archive wrote them: "./etc", "/etc" or "etc". */
static const char *cpio_relative(const char *name)
{
	for (;;) {
		if (name[0] == '/')
			name++;
		else if (name[0] == '.' && name[1] == '/')
			name += 2;
		else if (name[0] == '.' && name[1] == '\0')
			name++;
		else
			return name;
	}
}

static bool cpio_has_dotdot(const char *name)
{
	while (*name != '\0') {
		size_t len = 0;

		while (name[len] != '\0' && name[len] != '/')
			len++;
		if (len == 2 && name[0] == '.' && name[1] == '.')
			return true;
		name += len;
		while (*name == '/')
			name++;
	}
	return false;
}

/* Removes whatever p names, to make room for the entry; 0 or -errno. */
static int cpio_clear(struct vfs_path *p)
{
	int r;

	if (p->inode == NULL)
		return 0;
	r = S_ISDIR(p->inode->mode) ? vfs_rmdir(p) : vfs_unlink(p);
	if (r == 0)
		p->inode = NULL;
	return r;
}

static void cpio_attrs(struct vfs_inode *inode, const struct cpio_entry *e)
{
	inode->mode = (inode->mode & S_IFMT) | (e->field[CPIO_MODE] & 07777);
	inode->uid = e->field[CPIO_UID];
	inode->gid = e->field[CPIO_GID];
	/* A directory's would not last: the entries unpacked into it next change it. */
	if (!S_ISDIR(inode->mode))
		inode->mtime_ns = (int64_t)e->field[CPIO_MTIME] * 1000000000;
}

static struct cpio_link *cpio_link_find(struct cpio_link *l, const struct cpio_entry *e)
{
	for (; l != NULL; l = l->next)
		if (l->ino == e->field[CPIO_INO] && l->devmajor == e->field[CPIO_DEVMAJOR] &&
		    l->devminor == e->field[CPIO_DEVMINOR])
			return l;
	return NULL;
}

static const char *cpio_write(struct vfs_inode *inode, const struct cpio_entry *e)
{
	uint32_t size = e->field[CPIO_FILESIZE];
	int r = vfs_data_truncate(inode, 0);

	if (r != 0)
		return cpio_errstr(r);
	if (size != 0 && vfs_data_write(inode, e->data, size, 0) != (long)size)
		return "out of memory";
	return NULL;
}

static const char *cpio_file(struct vfs_path *p, const struct cpio_entry *e, struct cpio_link **links)
{
	struct cpio_link *l = e->field[CPIO_NLINK] > 1 ? cpio_link_find(*links, e) : NULL;
	struct vfs_inode *inode;
	const char *problem = NULL;
	int r = cpio_clear(p);

	if (r == 0)
		r = l != NULL ? vfs_link(l->inode, p) : vfs_make(p, S_IFREG, &inode);
	if (r != 0)
		return cpio_errstr(r);
	if (l != NULL) {
		inode = l->inode;
	} else if (e->field[CPIO_NLINK] > 1) {
		l = vfs_alloc(sizeof(*l));
		if (l == NULL)
			return "out of memory";
		l->ino = e->field[CPIO_INO];
		l->devmajor = e->field[CPIO_DEVMAJOR];
		l->devminor = e->field[CPIO_DEVMINOR];
		l->inode = inode;
		vfs_inode_get(inode);
		l->next = *links;
		*links = l;
	}
	/* Of several names, usually only the last carries the data. */
	if (e->field[CPIO_FILESIZE] != 0 || e->field[CPIO_NLINK] <= 1)
		problem = cpio_write(inode, e);
	/* After the data, which would change the mtime. */
	if (problem == NULL)
		cpio_attrs(inode, e);
	return problem;
}

static const char *cpio_dir(struct vfs_path *p, const struct cpio_entry *e)
{
	struct vfs_inode *inode = p->inode;
	int r = 0;

	/* A directory named again keeps its contents and takes the new attributes. */
	if (inode == NULL || !S_ISDIR(inode->mode)) {
		r = cpio_clear(p);
		if (r == 0)
			r = vfs_make(p, S_IFDIR, &inode);
	}
	if (r != 0)
		return cpio_errstr(r);
	cpio_attrs(inode, e);
	return NULL;
}

static const char *cpio_symlink(struct vfs_path *p, const struct cpio_entry *e)
{
	uint32_t size = e->field[CPIO_FILESIZE];
	int r;

	if (size == 0 || size >= VFS_PATH_MAX || vfs_strnlen((const char *)e->data, size) != size)
		return "bad symlink target";
	r = cpio_clear(p);
	if (r == 0)
		r = vfs_make_symlink(p, (const char *)e->data, size);
	return r != 0 ? cpio_errstr(r) : NULL;
}

static const char *cpio_apply(struct vfs_inode *root, const struct cpio_entry *e, struct cpio_link **links)
{
	uint32_t type = e->field[CPIO_MODE] & S_IFMT;
	const char *name = cpio_relative(e->name);
	struct vfs_path p;
	int r;

	if (type == S_IFCHR || type == S_IFBLK || type == S_IFIFO || type == S_IFSOCK)
		return NULL; /* no devices, pipes or sockets in the ramfs */
	if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK)
		return "unknown file type";
	if (*name == '\0')
		return type == S_IFDIR ? NULL : "the root must be a directory";
	if (cpio_has_dotdot(name))
		return "name has a \"..\" component";
	r = vfs_lookup(root, name, 0, &p);
	if (r != 0)
		return cpio_errstr(r);
	if (type == S_IFDIR)
		return cpio_dir(&p, e);
	if (type == S_IFLNK)
		return cpio_symlink(&p, e);
	return cpio_file(&p, e, links);
}

static char cpio_line[256];

/* One console line, "mica: initrd: [name: ]problem"; returns the part after the prefix. */
static const char *cpio_report(const char *name, const char *problem)
{
	static const char prefix[] = "mica: initrd: ";
	const size_t name_max = 64;
	size_t n = sizeof(prefix) - 1;

	memcpy(cpio_line, prefix, n);
	if (name != NULL) {
		/* The name is the archive's: shown short and printable. */
		size_t len = vfs_strnlen(name, name_max + 1);

		for (size_t i = 0; i < len && i < name_max; i++)
			cpio_line[n++] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
		if (len > name_max) {
			memcpy(cpio_line + n, "...", 3);
			n += 3;
		}
		cpio_line[n++] = ':';
		cpio_line[n++] = ' ';
	}
	size_t plen = vfs_strnlen(problem, sizeof(cpio_line) - n - 1);
	memcpy(cpio_line + n, problem, plen);
	n += plen;
	cpio_line[n++] = '\n';
	plat_console_write(cpio_line, n);
	cpio_line[n - 1] = '\0';
	return cpio_line + sizeof(prefix) - 1;
}

const char *cpio_unpack(struct vfs_inode *root, const void *archive, size_t len)
{
	struct cpio_link *links = NULL;
	const char *result = NULL;
	size_t off = 0;

	for (;;) {
		struct cpio_entry e;
		const char *problem = cpio_parse(archive, len, &off, &e);

		if (problem != NULL) {
			result = cpio_report(NULL, problem);
			break;
		}
		if (e.trailer)
			break;
		problem = cpio_apply(root, &e, &links);
		if (problem != NULL) {
			result = cpio_report(e.name, problem);
			break;
		}
	}
	while (links != NULL) {
		struct cpio_link *next = links->next;

		vfs_inode_put(links->inode);
		vfs_free(links, sizeof(*links));
		links = next;
	}
	return result;
}
