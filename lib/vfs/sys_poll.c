/* poll, ppoll, select and pselect6: look at each file, then sleep until a readiness change or the deadline. */
#include "vfs.h"
#include <arch/string.h>
#include <poll.h>
#include <sys/time.h>
#include <time.h>
#include "sys.h"

#define POLL_NS_PER_SEC 1000000000ULL
#define SELECT_WORD_BITS 64
#define SELECT_WORDS (VFS_FD_MAX / SELECT_WORD_BITS) /* FD_SETSIZE bits */

/* What select's three sets each count as ready. */
#define SELECT_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SELECT_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SELECT_EX POLLPRI

/* Sets *console when an fd is the console, whose input may not announce itself. */
static long poll_scan(struct pollfd *fds, unsigned long n, bool *console)
{
	long ready = 0;

	for (unsigned long i = 0; i < n; i++) {
		struct vfs_file *f = vfs_fd_get(fds[i].fd);

		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		if (f == NULL) {
			fds[i].revents = POLLNVAL;
		} else {
			*console |= f->ops == NULL && S_ISCHR(f->inode->mode);
			fds[i].revents = (short)(vfs_file_poll(f) & (fds[i].events | POLLERR | POLLHUP | POLLNVAL));
		}
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
		uint64_t gen = vfs_poll_generation();
		bool console = false;
		long ready = poll_scan(fds, n, &console);

		if (ready != 0 || plat_time_ns() >= deadline)
			return ready;
		vfs_wait(gen, deadline, console);
	}
}

/* A timespec argument as a deadline (none: UINT64_MAX); -EINVAL when it is malformed. */
static long poll_timespec(const struct timespec *ts, uint64_t *deadline)
{
	*deadline = UINT64_MAX;
	if (ts == NULL)
		return 0;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || (uint64_t)ts->tv_nsec >= POLL_NS_PER_SEC)
		return -EINVAL;
	*deadline = vfs_deadline((uint64_t)ts->tv_sec, (uint64_t)ts->tv_nsec);
	return 0;
}

VFS_SYSCALL(poll)
{
	int timeout_ms = (int)a3;
	uint64_t deadline = UINT64_MAX;

	if (timeout_ms >= 0)
		deadline = vfs_deadline((uint64_t)timeout_ms / 1000, (uint64_t)(timeout_ms % 1000) * 1000000);
	return poll_until((struct pollfd *)a1, (unsigned long)a2, deadline);
}

/* The signal mask (a4, a5) is not used: nothing here interrupts the wait for a signal. */
VFS_SYSCALL(ppoll)
{
	uint64_t deadline;
	long r = poll_timespec((const struct timespec *)a3, &deadline);

	return r != 0 ? r : poll_until((struct pollfd *)a1, (unsigned long)a2, deadline);
}

/* The three fd sets as the kernel sees them: arrays of 64-bit words, NULL for a set not given. */
struct select_sets {
	uint64_t *user[3];
	uint64_t in[3][SELECT_WORDS];
	uint64_t out[3][SELECT_WORDS];
};

static bool select_has(const uint64_t *set, int fd)
{
	return (set[fd / SELECT_WORD_BITS] >> (fd % SELECT_WORD_BITS)) & 1;
}

/* Ready fds counted once per set they are ready in, as Linux counts; s->out holds them. */
static long select_scan(struct select_sets *s, int n, bool *console)
{
	static const short wanted[3] = {SELECT_IN, SELECT_OUT, SELECT_EX};
	long ready = 0;

	memset(s->out, 0, sizeof(s->out));
	for (int fd = 0; fd < n; fd++) {
		bool asked = select_has(s->in[0], fd) || select_has(s->in[1], fd) || select_has(s->in[2], fd);
		struct vfs_file *f;
		short ev;

		if (!asked)
			continue;
		f = vfs_fd_get(fd);
		/* Closed by another thread while this one waited: Linux just skips it. */
		if (f == NULL)
			continue;
		*console |= f->ops == NULL && S_ISCHR(f->inode->mode);
		ev = vfs_file_poll(f);
		for (int k = 0; k < 3; k++) {
			if (select_has(s->in[k], fd) && (ev & wanted[k])) {
				s->out[k][fd / SELECT_WORD_BITS] |= 1ULL << (fd % SELECT_WORD_BITS);
				ready++;
			}
		}
	}
	return ready;
}

static long select_until(int n, uint64_t *sets[3], uint64_t deadline)
{
	struct select_sets s;
	size_t words;
	long ready;

	if (n < 0)
		return -EINVAL;
	/* As Linux: bits beyond the fd table are not looked at. */
	if (n > VFS_FD_MAX)
		n = VFS_FD_MAX;
	words = ((size_t)n + SELECT_WORD_BITS - 1) / SELECT_WORD_BITS;
	memset(s.in, 0, sizeof(s.in));
	for (int k = 0; k < 3; k++) {
		s.user[k] = sets[k];
		if (sets[k] != NULL)
			memcpy(s.in[k], sets[k], words * sizeof(uint64_t));
	}
	/* The bits in the last word at and past n are not fds of this call. */
	if (n % SELECT_WORD_BITS != 0)
		for (int k = 0; k < 3; k++)
			s.in[k][words - 1] &= (1ULL << (n % SELECT_WORD_BITS)) - 1;
	/* O_PATH fds are not open for I/O: Linux's select does not see them either. */
	for (int fd = 0; fd < n; fd++) {
		struct vfs_file *f = vfs_fd_get(fd);

		if ((select_has(s.in[0], fd) || select_has(s.in[1], fd) || select_has(s.in[2], fd)) &&
		    (f == NULL || (f->flags & O_PATH)))
			return -EBADF;
	}
	for (;;) {
		uint64_t gen = vfs_poll_generation();
		bool console = false;

		ready = select_scan(&s, n, &console);
		if (ready != 0 || plat_time_ns() >= deadline)
			break;
		vfs_wait(gen, deadline, console);
	}
	for (int k = 0; k < 3; k++)
		if (s.user[k] != NULL)
			memcpy(s.user[k], s.out[k], words * sizeof(uint64_t));
	return ready;
}

VFS_SYSCALL(select)
{
	struct timeval *tv = (struct timeval *)a5;
	uint64_t *sets[3] = {(uint64_t *)a2, (uint64_t *)a3, (uint64_t *)a4};
	uint64_t deadline = UINT64_MAX;
	long r;

	if (tv != NULL) {
		if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
			return -EINVAL;
		deadline = vfs_deadline((uint64_t)tv->tv_sec, (uint64_t)tv->tv_usec * 1000);
	}
	r = select_until((int)a1, sets, deadline);
	/* Linux's select, unlike pselect as libcs show it, leaves the time not slept in *tv. */
	if (r >= 0 && tv != NULL && deadline != UINT64_MAX) {
		uint64_t now = plat_time_ns(), left = deadline > now ? deadline - now : 0;

		tv->tv_sec = (time_t)(left / POLL_NS_PER_SEC);
		tv->tv_usec = (suseconds_t)(left % POLL_NS_PER_SEC / 1000);
	}
	return r;
}

/* a6 points at the signal mask and its size; nothing here interrupts the wait for a signal. */
VFS_SYSCALL(pselect6)
{
	uint64_t *sets[3] = {(uint64_t *)a2, (uint64_t *)a3, (uint64_t *)a4};
	uint64_t deadline;
	long r = poll_timespec((const struct timespec *)a5, &deadline);

	return r != 0 ? r : select_until((int)a1, sets, deadline);
}
