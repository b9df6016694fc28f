/* Files other libraries implement (sockets, epoll, eventfd): their operations, fds and readiness. */
#ifndef MICA_VFS_FILE_H
#define MICA_VFS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vfs_file;

/*
 * What a file made by vfs_file_open_ops does. Every function is optional: a missing read or
 * write is -EINVAL, ioctl -ENOTTY, poll means "always ready for what was asked". read and write
 * wait (on the library's own wait queues, so other threads run) unless the file is non-blocking
 * (vfs_file_nonblocking); both return bytes or -errno. release runs once, when the last fd and
 * reference to the file are gone.
 */
struct vfs_file_ops {
	const char *name; /* for /proc-like listings and error messages: "socket", "epoll" */
	long (*read)(struct vfs_file *f, void *buf, size_t len);
	long (*write)(struct vfs_file *f, const void *buf, size_t len);
	/* POLLIN/POLLOUT/POLLERR/POLLHUP... the file has right now; never waits. */
	short (*poll)(struct vfs_file *f);
	long (*ioctl)(struct vfs_file *f, unsigned int req, long arg);
	void (*release)(struct vfs_file *f);
};

/*
 * A new open file of type mode (S_IFSOCK, or 0 for an anonymous inode as epoll and eventfd have)
 * served by ops with private data priv, installed at the lowest free fd. flags: O_NONBLOCK,
 * O_CLOEXEC and the access mode (O_RDWR usually). Returns the fd or -errno (-EMFILE, -ENOMEM);
 * on failure release is not called and priv stays the caller's.
 */
int vfs_file_open_ops(const struct vfs_file_ops *ops, void *priv, uint32_t mode, int flags);

/* The file at fd if it is served by ops (priv in *priv), else NULL: -EBADF / -ENOTSOCK for the caller to pick. */
struct vfs_file *vfs_file_of(int fd, const struct vfs_file_ops *ops, void **priv);
void *vfs_file_priv(const struct vfs_file *f);
bool vfs_file_nonblocking(const struct vfs_file *f);

/*
 * Waits until ops->poll(f) has any of events (or POLLERR/POLLHUP), or the system time reaches
 * deadline_ns (UINT64_MAX: never): 0, or -ETIMEDOUT. Other threads run meanwhile. This is how a
 * blocking file (a socket without O_NONBLOCK) waits: its library keeps the underlying object
 * non-blocking and calls this between attempts.
 */
int vfs_wait_ready(struct vfs_file *f, short events, uint64_t deadline_ns);

/*
 * Readiness changed on some file (data arrived, room freed, a connection came in, an error):
 * wakes every thread waiting in poll, select or epoll_wait, which then look again. Safe from
 * event-channel handlers.
 */
void vfs_poll_notify(void);

#endif
