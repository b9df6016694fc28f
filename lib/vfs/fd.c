/* Open file descriptions and the table of file descriptors that share them. */
#include "vfs.h"

struct fd_slot {
	struct vfs_file *file;
	bool cloexec;
};

static struct fd_slot fd_table[VFS_FD_MAX];

struct vfs_file *vfs_file_new(struct vfs_inode *inode, uint32_t flags)
{
	struct vfs_file *f = vfs_alloc(sizeof(*f));

	if (f == NULL)
		return NULL;
	f->inode = inode;
	f->flags = flags;
	f->refs = 1;
	vfs_inode_get(inode);
	return f;
}

void vfs_file_put(struct vfs_file *f)
{
	if (--f->refs != 0)
		return;
	if (f->epolls != NULL)
		vfs_epoll_forget(f);
	if (f->ops != NULL && f->ops->release != NULL)
		f->ops->release(f);
	vfs_inode_put(f->inode);
	vfs_free(f, sizeof(*f));
}

bool vfs_file_readable(const struct vfs_file *f)
{
	return !(f->flags & O_PATH) && (f->flags & O_ACCMODE) != O_WRONLY;
}

bool vfs_file_writable(const struct vfs_file *f)
{
	return !(f->flags & O_PATH) && (f->flags & O_ACCMODE) != O_RDONLY;
}

int vfs_fd_install(struct vfs_file *f, int min, bool cloexec)
{
	for (int fd = min; fd < VFS_FD_MAX; fd++) {
		if (fd_table[fd].file == NULL) {
			fd_table[fd].file = f;
			fd_table[fd].cloexec = cloexec;
			return fd;
		}
	}
	return -EMFILE;
}

void vfs_fd_replace(int fd, struct vfs_file *f, bool cloexec)
{
	struct vfs_file *old = fd_table[fd].file;

	fd_table[fd].file = f;
	fd_table[fd].cloexec = cloexec;
	if (old != NULL)
		vfs_file_put(old);
}

struct vfs_file *vfs_fd_get(int fd)
{
	return fd >= 0 && fd < VFS_FD_MAX ? fd_table[fd].file : NULL;
}

int vfs_fd_close(int fd)
{
	struct vfs_file *f = vfs_fd_get(fd);

	if (f == NULL)
		return -EBADF;
	fd_table[fd].file = NULL;
	vfs_file_put(f);
	return 0;
}

bool vfs_fd_cloexec(int fd)
{
	return fd_table[fd].cloexec;
}

void vfs_fd_set_cloexec(int fd, bool cloexec)
{
	fd_table[fd].cloexec = cloexec;
}

long vfs_file_read(struct vfs_file *f, void *buf, size_t len, uint64_t *pos, bool may_block)
{
	struct vfs_inode *inode = f->inode;
	long r;

	if (f->ops != NULL) {
		if (f->ops->read == NULL)
			return -EINVAL;
		if (may_block)
			return f->ops->read(f, buf, len);
		f->flags |= VFS_F_NOWAIT;
		r = f->ops->read(f, buf, len);
		f->flags &= ~VFS_F_NOWAIT;
		return r;
	}
	if (S_ISCHR(inode->mode))
		return vfs_console_read(buf, len, may_block && !(f->flags & O_NONBLOCK));
	if (S_ISDIR(inode->mode))
		return -EISDIR;
	if (inode->fs != NULL)
		r = vfs_fs_read(inode, buf, len, *pos);
	else
		r = vfs_data_read(inode, buf, len, *pos);
	if (r > 0)
		*pos += (uint64_t)r;
	return r;
}

long vfs_file_write(struct vfs_file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct vfs_inode *inode = f->inode;
	long r;

	if (f->ops != NULL)
		return f->ops->write != NULL ? f->ops->write(f, buf, len) : -EINVAL;
	if (S_ISCHR(inode->mode))
		return vfs_console_write(buf, len);
	/* As on Linux, O_APPEND wins even over pwrite's offset. */
	if (f->flags & O_APPEND)
		*pos = inode->size;
	if (inode->fs != NULL)
		r = vfs_fs_write(inode, buf, len, *pos);
	else
		r = vfs_data_write(inode, buf, len, *pos);
	if (r > 0)
		*pos += (uint64_t)r;
	return r;
}
