/* Files other libraries serve through struct vfs_file_ops: making them, finding them, their readiness. */
#include "vfs.h"
#include <poll.h>

/* Linux shows sockets as rwxrwxrwx and anonymous inodes (epoll, eventfd) as rw------- without a type. */
#define FILE_SOCK_PERM 0777
#define FILE_ANON_PERM 0600

int vfs_file_open_ops(const struct vfs_file_ops *ops, void *priv, uint32_t mode, int flags)
{
	uint32_t type = mode & S_IFMT;
	struct vfs_inode *inode;
	struct vfs_file *f;
	int fd;

	if ((flags & O_ACCMODE) == O_ACCMODE || (type != 0 && type != S_IFSOCK))
		return -EINVAL;
	/* No name: the open file's reference is the only one, so the inode goes with the file. */
	inode = vfs_inode_new(type | (type == S_IFSOCK ? FILE_SOCK_PERM : FILE_ANON_PERM));
	if (inode == NULL)
		return -ENOMEM;
	f = vfs_file_new(inode, (uint32_t)flags & (O_ACCMODE | O_NONBLOCK));
	if (f == NULL) {
		vfs_inode_release(inode);
		return -ENOMEM;
	}
	fd = vfs_fd_install(f, 0, (flags & O_CLOEXEC) != 0);
	if (fd < 0) {
		/* Still without ops: the caller keeps priv and release does not run. */
		vfs_file_put(f);
		return fd;
	}
	f->ops = ops;
	f->priv = priv;
	return fd;
}

struct vfs_file *vfs_file_of(int fd, const struct vfs_file_ops *ops, void **priv)
{
	struct vfs_file *f = vfs_fd_get(fd);

	if (f == NULL || f->ops != ops)
		return NULL;
	if (priv != NULL)
		*priv = f->priv;
	return f;
}

void *vfs_file_priv(const struct vfs_file *f)
{
	return f->priv;
}

bool vfs_file_nonblocking(const struct vfs_file *f)
{
	return (f->flags & (O_NONBLOCK | VFS_F_NOWAIT)) != 0;
}

short vfs_file_poll(struct vfs_file *f)
{
	if (f->flags & O_PATH)
		return POLLNVAL;
	if (f->ops != NULL)
		return f->ops->poll != NULL ? f->ops->poll(f) : (short)(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
	if (S_ISCHR(f->inode->mode))
		return (short)(POLLOUT | POLLWRNORM | (vfs_console_readable() ? POLLIN | POLLRDNORM : 0));
	return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
}

int vfs_wait_ready(struct vfs_file *f, short events, uint64_t deadline_ns)
{
	for (;;) {
		uint64_t gen = vfs_poll_generation();

		if (vfs_file_poll(f) & (events | POLLERR | POLLHUP | POLLNVAL))
			return 0;
		if (plat_time_ns() >= deadline_ns)
			return -ETIMEDOUT;
		vfs_wait(gen, deadline_ns, f->ops == NULL && S_ISCHR(f->inode->mode));
	}
}
