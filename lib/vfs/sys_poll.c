/* poll and ppoll: ramfs files are always ready; the console is writable, and readable when input waits. */
#include "vfs.h"
#include <poll.h>
#include <time.h>
#include "sys.h"

#define POLL_NS_PER_SEC 1000000000ULL

static short poll_ready(const struct vfs_file *f)
{
	if (f->flags & O_PATH)
		return POLLNVAL;
	if (S_ISCHR(f->inode->mode))
		return (short)(POLLOUT | POLLWRNORM | (vfs_console_readable() ? POLLIN | POLLRDNORM : 0));
	return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
}

static long poll_scan(struct pollfd *fds, unsigned long n)
{
	long ready = 0;

	for (unsigned long i = 0; i < n; i++) {
		struct vfs_file *f = vfs_fd_get(fds[i].fd);

		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		if (f == NULL)
			fds[i].revents = POLLNVAL;
		else
			fds[i].revents = (short)(poll_ready(f) & (fds[i].events | POLLERR | POLLHUP | POLLNVAL));
		ready += fds[i].revents != 0;
	}
	return ready;
}

static long poll_until(struct pollfd *fds, unsigned long n, uint64_t deadline)
{
	if (n > VFS_FD_MAX)
		return -EINVAL;
	if (fds == NULL && n != 0)
		return -EFAULT;
	for (;;) {
		long ready = poll_scan(fds, n);

		if (ready != 0 || plat_time_ns() >= deadline)
			return ready;
		/* Console input and the deadline both end the wait; the scan then looks again. */
		plat_block(deadline);
	}
}

/* now + ns, saturating: a deadline too far to reach is no deadline. */
static uint64_t poll_deadline(uint64_t sec, uint64_t ns)
{
	uint64_t now = plat_time_ns();

	if (sec > (UINT64_MAX - now - ns) / POLL_NS_PER_SEC)
		return UINT64_MAX;
	return now + sec * POLL_NS_PER_SEC + ns;
}

VFS_SYSCALL(poll)
{
	int timeout_ms = (int)a3;
	uint64_t deadline = UINT64_MAX;

	if (timeout_ms >= 0)
		deadline = poll_deadline((uint64_t)timeout_ms / 1000, (uint64_t)(timeout_ms % 1000) * 1000000);
	return poll_until((struct pollfd *)a1, (unsigned long)a2, deadline);
}

/* The signal mask (a4, a5) is not used: nothing here interrupts the wait for a signal. */
VFS_SYSCALL(ppoll)
{
	const struct timespec *ts = (const struct timespec *)a3;
	uint64_t deadline = UINT64_MAX;

	if (ts != NULL) {
		if (ts->tv_sec < 0 || ts->tv_nsec < 0 || (uint64_t)ts->tv_nsec >= POLL_NS_PER_SEC)
			return -EINVAL;
		deadline = poll_deadline((uint64_t)ts->tv_sec, (uint64_t)ts->tv_nsec);
	}
	return poll_until((struct pollfd *)a1, (unsigned long)a2, deadline);
}
