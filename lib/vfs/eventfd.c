/* eventfd: a 64-bit counter as a file, written to signal and read to consume, for waking pollers. */
#include "vfs.h"
#include <arch/string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include "sys.h"

#define EVENTFD_MAX (UINT64_MAX - 1) /* the largest count: UINT64_MAX itself cannot be written */

struct efd {
	uint64_t count;
	bool semaphore; /* reads take 1 instead of everything */
};

static long efd_read(struct vfs_file *f, void *buf, size_t len)
{
	struct efd *e = vfs_file_priv(f);
	uint64_t v;

	if (len < sizeof(v))
		return -EINVAL;
	while (e->count == 0) {
		if (vfs_file_nonblocking(f))
			return -EAGAIN;
		vfs_wait_ready(f, POLLIN, UINT64_MAX);
	}
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	memcpy(buf, &v, sizeof(v));
	/* Room to write again, for a writer waiting on a full counter. */
	vfs_poll_notify();
	return sizeof(v);
}

static long efd_write(struct vfs_file *f, const void *buf, size_t len)
{
	struct efd *e = vfs_file_priv(f);
	uint64_t v;

	if (len < sizeof(v))
		return -EINVAL;
	memcpy(&v, buf, sizeof(v));
	if (v == UINT64_MAX)
		return -EINVAL;
	while (EVENTFD_MAX - e->count < v) {
		if (vfs_file_nonblocking(f))
			return -EAGAIN;
		vfs_wait_ready(f, POLLOUT, UINT64_MAX);
	}
	e->count += v;
	if (v != 0)
		vfs_poll_notify();
	return sizeof(v);
}

static short efd_poll(struct vfs_file *f)
{
	const struct efd *e = vfs_file_priv(f);
	short ev = 0;

	if (e->count != 0)
		ev |= POLLIN | POLLRDNORM;
	if (e->count != EVENTFD_MAX)
		ev |= POLLOUT | POLLWRNORM;
	return ev;
}

static void efd_release(struct vfs_file *f)
{
	vfs_free(vfs_file_priv(f), sizeof(struct efd));
}

static const struct vfs_file_ops efd_ops = {
	.name = "eventfd",
	.read = efd_read,
	.write = efd_write,
	.poll = efd_poll,
	.release = efd_release,
};

static long efd_new(unsigned int initval, int flags)
{
	struct efd *e;
	int fd;

	if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	e = vfs_alloc(sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->count = initval;
	e->semaphore = (flags & EFD_SEMAPHORE) != 0;
	fd = vfs_file_open_ops(&efd_ops, e, 0, O_RDWR | (flags & (EFD_CLOEXEC | EFD_NONBLOCK)));
	if (fd < 0)
		vfs_free(e, sizeof(*e));
	return fd;
}

VFS_SYSCALL(eventfd)
{
	return efd_new((unsigned int)a1, 0);
}

VFS_SYSCALL(eventfd2)
{
	return efd_new((unsigned int)a1, (int)a2);
}
