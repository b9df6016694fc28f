/* read, write, their vector and positioned forms, and lseek. */
#include "vfs.h"
#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>
#include "sys.h"

#define RW_IOV_MAX 1024 /* UIO_MAXIOV */

static long rw_file(long fd, bool write, struct vfs_file **out)
{
	struct vfs_file *f = vfs_fd_get((int)fd);

	if (f == NULL || !(write ? vfs_file_writable(f) : vfs_file_readable(f)))
		return -EBADF;
	*out = f;
	return 0;
}

static size_t rw_clamp(long len)
{
	return (unsigned long)len > VFS_RW_MAX ? VFS_RW_MAX : (size_t)len;
}

static long rw_one(long fd, void *buf, long count, bool write, const long *offset)
{
	struct vfs_file *f;
	size_t len = rw_clamp(count);
	uint64_t pos;
	long r = rw_file(fd, write, &f);

	if (r != 0)
		return r;
	if (buf == NULL && len != 0)
		return -EFAULT;
	if (offset == NULL) {
		return write ? vfs_file_write(f, buf, len, &f->pos) : vfs_file_read(f, buf, len, &f->pos, true);
	}
	if (*offset < 0)
		return -EINVAL;
	if (S_ISCHR(f->inode->mode) || vfs_file_is_ops(f))
		return -ESPIPE;
	pos = (uint64_t)*offset;
	return write ? vfs_file_write(f, buf, len, &pos) : vfs_file_read(f, buf, len, &pos, true);
}

static long rw_vector(long fd, const struct iovec *iov, long cnt, bool write)
{
	struct vfs_file *f;
	size_t total = 0, done = 0;
	long r = rw_file(fd, write, &f);

	if (r != 0)
		return r;
	if (cnt < 0 || cnt > RW_IOV_MAX)
		return -EINVAL;
	if (iov == NULL && cnt != 0)
		return -EFAULT;
	for (long i = 0; i < cnt; i++) {
		if (iov[i].iov_len > (size_t)INT64_MAX - total)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	for (long i = 0; i < cnt && done < VFS_RW_MAX; i++) {
		size_t len = iov[i].iov_len < VFS_RW_MAX - done ? iov[i].iov_len : VFS_RW_MAX - done;

		if (len == 0)
			continue;
		if (iov[i].iov_base == NULL)
			return done != 0 ? (long)done : -EFAULT;
		/* Only the first read may wait for input; later ones take what is there. */
		r = write ? vfs_file_write(f, iov[i].iov_base, len, &f->pos)
			  : vfs_file_read(f, iov[i].iov_base, len, &f->pos, done == 0);
		if (r < 0)
			return done != 0 ? (long)done : r;
		done += (size_t)r;
		if ((size_t)r < len)
			break;
	}
	return (long)done;
}

VFS_SYSCALL(read)
{
	return rw_one(a1, (void *)a2, a3, false, NULL);
}

VFS_SYSCALL(write)
{
	return rw_one(a1, (void *)a2, a3, true, NULL);
}

VFS_SYSCALL(readv)
{
	return rw_vector(a1, (const struct iovec *)a2, a3, false);
}

VFS_SYSCALL(writev)
{
	return rw_vector(a1, (const struct iovec *)a2, a3, true);
}

VFS_SYSCALL(pread64)
{
	return rw_one(a1, (void *)a2, a3, false, &a4);
}

VFS_SYSCALL(pwrite64)
{
	return rw_one(a1, (void *)a2, a3, true, &a4);
}

VFS_SYSCALL(lseek)
{
	struct vfs_file *f = vfs_fd_get((int)a1);
	int64_t off = a2, base;

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	struct vfs_inode *inode = f->inode;
	if (S_ISCHR(inode->mode) || vfs_file_is_ops(f))
		return -ESPIPE;
	switch ((int)a3) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)f->pos;
		break;
	case SEEK_END:
	case SEEK_DATA:
	case SEEK_HOLE:
		/* A directory's position is a cookie, not a byte offset: only SET and CUR mean something. */
		if (S_ISDIR(inode->mode))
			return -EINVAL;
		if ((int)a3 == SEEK_END) {
			base = (int64_t)inode->size;
			break;
		}
		if (off < 0 || (uint64_t)off >= inode->size)
			return -ENXIO;
		/* Every byte is data: the only hole is the end. */
		f->pos = (int)a3 == SEEK_DATA ? (uint64_t)off : inode->size;
		return (long)f->pos;
	default:
		return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0 || (uint64_t)(base + off) > VFS_FILE_MAX)
		return -EINVAL;
	f->pos = (uint64_t)(base + off);
	return (long)f->pos;
}
