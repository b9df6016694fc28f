/* epoll: sets of watched files, level- or edge-triggered or one-shot, each set itself a pollable file. */
#include "vfs.h"
#include <arch/string.h>
#include <limits.h>
#include <poll.h>
#include <sys/epoll.h>
#include <time.h>
#include "sys.h"

/* Linux's EP_MAX_NESTS: how deep epoll sets may watch epoll sets. */
#define EPOLL_MAX_NESTS 4
/* What an item's interest may hold; the rest of the bits are -EINVAL. */
#define EPOLL_FLAGS (EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE)
#define EPOLL_EVENTS (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDNORM | EPOLLRDBAND | \
		      EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP)

struct epoll_set;

/*
 * One watched (fd, open file) pair, as Linux keys it. It holds no reference to the file: the file
 * drops its items when its last reference goes (vfs_epoll_forget), so closing one fd of a dup'd
 * file keeps the item, and closing the last removes it.
 */
struct vfs_epoll_item {
	struct vfs_epoll_item *prev, *next; /* in the set; reported items move to the end */
	struct vfs_epoll_item *file_next;   /* in the file's list of items */
	struct epoll_set *set;
	struct vfs_file *file;
	int fd;
	uint32_t events;    /* interest and EPOLL_FLAGS, as given */
	bool disabled;      /* a one-shot item that fired, until EPOLL_CTL_MOD */
	uint64_t data;
	/*
	 * Edge-triggered: the readiness generation and bits last reported. The item reports again
	 * only after vfs_poll_notify moved the generation or new bits appeared, so a change seen by
	 * no wait is reported once; an unrelated file's change may report it once more, which
	 * edge-triggered programs (reading until EAGAIN) take in their stride.
	 */
	uint64_t seen_gen;
	short seen_ready;
	bool seen;
};

struct epoll_set {
	struct vfs_epoll_item *head, *tail;
	struct vfs_file *file; /* the set's own open file */
};

static short epoll_poll(struct vfs_file *f);
static void epoll_release(struct vfs_file *f);

static const struct vfs_file_ops epoll_ops = {
	.name = "epoll",
	.poll = epoll_poll,
	.release = epoll_release,
};

static void epoll_unlink(struct epoll_set *s, struct vfs_epoll_item *it)
{
	if (it->prev != NULL)
		it->prev->next = it->next;
	else
		s->head = it->next;
	if (it->next != NULL)
		it->next->prev = it->prev;
	else
		s->tail = it->prev;
	it->prev = it->next = NULL;
}

static void epoll_append(struct epoll_set *s, struct vfs_epoll_item *it)
{
	it->prev = s->tail;
	it->next = NULL;
	if (s->tail != NULL)
		s->tail->next = it;
	else
		s->head = it;
	s->tail = it;
}

static void epoll_file_unlink(struct vfs_epoll_item *it)
{
	struct vfs_epoll_item **link = &it->file->epolls;

	while (*link != it)
		link = &(*link)->file_next;
	*link = it->file_next;
}

void vfs_epoll_forget(struct vfs_file *f)
{
	while (f->epolls != NULL) {
		struct vfs_epoll_item *it = f->epolls;

		f->epolls = it->file_next;
		epoll_unlink(it->set, it);
		vfs_free(it, sizeof(*it));
	}
}

static void epoll_release(struct vfs_file *f)
{
	struct epoll_set *s = vfs_file_priv(f);

	while (s->head != NULL) {
		struct vfs_epoll_item *it = s->head;

		epoll_unlink(s, it);
		epoll_file_unlink(it);
		vfs_free(it, sizeof(*it));
	}
	vfs_free(s, sizeof(*s));
}

/* The events the item would report now (0: none), without changing it. */
static uint32_t epoll_item_ready(struct vfs_epoll_item *it, short *ready, bool *console)
{
	uint32_t ev;

	if (it->disabled)
		return 0;
	*console |= it->file->ops == NULL && S_ISCHR(it->file->inode->mode);
	*ready = vfs_file_poll(it->file);
	ev = (uint32_t)(unsigned short)*ready & (it->events | EPOLLERR | EPOLLHUP) & EPOLL_EVENTS;
	if (ev == 0 || !(it->events & EPOLLET) || !it->seen)
		return ev;
	if (it->seen_gen != vfs_poll_generation() || (*ready & ~it->seen_ready) != 0)
		return ev;
	return 0;
}

static short epoll_poll(struct vfs_file *f)
{
	struct epoll_set *s = vfs_file_priv(f);
	bool console = false;
	short ready;

	for (struct vfs_epoll_item *it = s->head; it != NULL; it = it->next)
		if (epoll_item_ready(it, &ready, &console) != 0)
			return POLLIN | POLLRDNORM;
	return 0;
}

/* Fills out with up to max ready items, moving them to the end so that none starves. */
static int epoll_collect(struct epoll_set *s, struct epoll_event *out, int max, bool *console)
{
	struct vfs_epoll_item *it = s->head, *done_head = NULL, *done_tail = NULL;
	int n = 0;

	while (it != NULL && n < max) {
		struct vfs_epoll_item *next = it->next;
		short ready = 0;
		uint32_t ev = epoll_item_ready(it, &ready, console);

		if (ready == 0)
			it->seen_ready = 0;
		if (ev != 0) {
			out[n].events = ev;
			out[n].data.u64 = it->data;
			n++;
			it->seen = true;
			it->seen_gen = vfs_poll_generation();
			it->seen_ready = ready;
			if (it->events & EPOLLONESHOT)
				it->disabled = true;
			epoll_unlink(s, it);
			it->next = NULL;
			if (done_tail != NULL)
				done_tail->next = it;
			else
				done_head = it;
			done_tail = it;
		}
		it = next;
	}
	while (done_head != NULL) {
		it = done_head;
		done_head = it->next;
		epoll_append(s, it);
	}
	return n;
}

static long epoll_new(int flags)
{
	struct epoll_set *s;
	int fd;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	s = vfs_alloc(sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	fd = vfs_file_open_ops(&epoll_ops, s, 0, O_RDWR | (flags & EPOLL_CLOEXEC ? O_CLOEXEC : 0));
	if (fd < 0) {
		vfs_free(s, sizeof(*s));
		return fd;
	}
	s->file = vfs_fd_get(fd);
	return fd;
}

VFS_SYSCALL(epoll_create)
{
	return (int)a1 <= 0 ? -EINVAL : epoll_new(0);
}

VFS_SYSCALL(epoll_create1)
{
	return epoll_new((int)a1);
}

/* How deep the sets below f go (0: f is no set), stopping early past the limit. */
static int epoll_depth_below(struct vfs_file *f, int depth)
{
	int deepest = 0;

	if (f->ops != &epoll_ops || depth > EPOLL_MAX_NESTS)
		return 0;
	for (struct vfs_epoll_item *it = ((struct epoll_set *)f->priv)->head; it != NULL; it = it->next) {
		int d = epoll_depth_below(it->file, depth + 1);

		if (d > deepest)
			deepest = d;
	}
	return deepest + 1;
}

/* How many sets above f watch it, along the longest chain. */
static int epoll_depth_above(struct vfs_file *f, int depth)
{
	int deepest = 0;

	if (depth > EPOLL_MAX_NESTS)
		return depth;
	for (struct vfs_epoll_item *it = f->epolls; it != NULL; it = it->file_next) {
		int d = epoll_depth_above(it->set->file, depth + 1) + 1;

		if (d > deepest)
			deepest = d;
	}
	return deepest;
}

/* Whether set file s is reachable from f through sets f watches: adding f to s would close a loop. */
static bool epoll_reaches(struct vfs_file *f, struct vfs_file *s, int depth)
{
	if (f == s)
		return true;
	if (f->ops != &epoll_ops || depth > EPOLL_MAX_NESTS)
		return false;
	for (struct vfs_epoll_item *it = ((struct epoll_set *)f->priv)->head; it != NULL; it = it->next)
		if (epoll_reaches(it->file, s, depth + 1))
			return true;
	return false;
}

static struct vfs_epoll_item *epoll_find(struct epoll_set *s, int fd, struct vfs_file *f)
{
	for (struct vfs_epoll_item *it = f->epolls; it != NULL; it = it->file_next)
		if (it->set == s && it->fd == fd)
			return it;
	return NULL;
}

static void epoll_item_set(struct vfs_epoll_item *it, const struct epoll_event *ev)
{
	it->events = ev->events;
	it->data = ev->data.u64;
	it->disabled = false;
	/* As on Linux, a changed item reports what is ready now, edge-triggered or not. */
	it->seen = false;
}

static long epoll_add(struct epoll_set *s, int fd, struct vfs_file *f, const struct epoll_event *ev)
{
	struct vfs_epoll_item *it;

	if (epoll_find(s, fd, f) != NULL)
		return -EEXIST;
	if (f->ops == &epoll_ops) {
		if (epoll_reaches(f, s->file, 0) ||
		    epoll_depth_below(f, 0) + epoll_depth_above(s->file, 0) > EPOLL_MAX_NESTS)
			return -ELOOP;
	}
	it = vfs_alloc(sizeof(*it));
	if (it == NULL)
		return -ENOMEM;
	it->set = s;
	it->file = f;
	it->fd = fd;
	epoll_item_set(it, ev);
	epoll_append(s, it);
	it->file_next = f->epolls;
	f->epolls = it;
	/* A thread already waiting on the set must look at the new item. */
	vfs_poll_notify();
	return 0;
}

VFS_SYSCALL(epoll_ctl)
{
	int epfd = (int)a1, op = (int)a2, fd = (int)a3;
	struct epoll_event ev = {0};
	struct vfs_file *ef = vfs_fd_get(epfd), *f = vfs_fd_get(fd);
	struct vfs_epoll_item *it;
	struct epoll_set *s;

	/* Copied once: the caller's structure is read no more after this. */
	if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) {
		if (a4 == 0)
			return -EFAULT;
		memcpy(&ev, (const void *)a4, sizeof(ev));
	}
	if (ef == NULL || f == NULL || (ef->flags & O_PATH) || (f->flags & O_PATH))
		return -EBADF;
	/* Regular files and directories are always ready: Linux refuses to watch them. */
	if (f->ops == NULL && !S_ISCHR(f->inode->mode))
		return -EPERM;
	if (ef == f || ef->ops != &epoll_ops)
		return -EINVAL;
	s = ef->priv;
	if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && (ev.events & ~(uint32_t)(EPOLL_EVENTS | EPOLL_FLAGS)))
		return -EINVAL;
	/* EPOLLEXCLUSIVE only means something with several waiters; it cannot be added later or with one-shot. */
	if ((ev.events & EPOLLEXCLUSIVE) && (op == EPOLL_CTL_MOD || (ev.events & EPOLLONESHOT) || f->ops == &epoll_ops))
		return -EINVAL;
	switch (op) {
	case EPOLL_CTL_ADD:
		return epoll_add(s, fd, f, &ev);
	case EPOLL_CTL_MOD:
		it = epoll_find(s, fd, f);
		if (it == NULL)
			return -ENOENT;
		epoll_item_set(it, &ev);
		vfs_poll_notify();
		return 0;
	case EPOLL_CTL_DEL:
		it = epoll_find(s, fd, f);
		if (it == NULL)
			return -ENOENT;
		epoll_unlink(s, it);
		epoll_file_unlink(it);
		vfs_free(it, sizeof(*it));
		return 0;
	default:
		return -EINVAL;
	}
}

static long epoll_wait_until(int epfd, struct epoll_event *out, int max, uint64_t deadline)
{
	struct vfs_file *ef = vfs_fd_get(epfd);
	struct epoll_set *s;

	if (max <= 0 || (size_t)max > INT_MAX / sizeof(struct epoll_event))
		return -EINVAL;
	if (ef == NULL || (ef->flags & O_PATH))
		return -EBADF;
	if (ef->ops != &epoll_ops)
		return -EINVAL;
	if (out == NULL)
		return -EFAULT;
	s = ef->priv;
	for (;;) {
		uint64_t gen = vfs_poll_generation();
		bool console = false;
		int n = epoll_collect(s, out, max, &console);

		if (n != 0 || plat_time_ns() >= deadline)
			return n;
		/* The set stays alive while waiting: the fd holds it unless another thread closes it. */
		ef->refs++;
		vfs_wait(gen, deadline, console);
		if (ef->refs == 1) {
			vfs_file_put(ef);
			return -EBADF;
		}
		vfs_file_put(ef);
	}
}

static uint64_t epoll_deadline_ms(int timeout_ms)
{
	if (timeout_ms < 0)
		return UINT64_MAX;
	return vfs_deadline((uint64_t)timeout_ms / 1000, (uint64_t)(timeout_ms % 1000) * 1000000);
}

VFS_SYSCALL(epoll_wait)
{
	return epoll_wait_until((int)a1, (struct epoll_event *)a2, (int)a3, epoll_deadline_ms((int)a4));
}

/* The signal mask (a5, a6) is not used: nothing here interrupts the wait for a signal. */
VFS_SYSCALL(epoll_pwait)
{
	return epoll_wait_until((int)a1, (struct epoll_event *)a2, (int)a3, epoll_deadline_ms((int)a4));
}

VFS_SYSCALL(epoll_pwait2)
{
	const struct timespec *ts = (const struct timespec *)a4;
	uint64_t deadline = UINT64_MAX;

	if (ts != NULL) {
		if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
			return -EINVAL;
		deadline = vfs_deadline((uint64_t)ts->tv_sec, (uint64_t)ts->tv_nsec);
	}
	return epoll_wait_until((int)a1, (struct epoll_event *)a2, (int)a3, deadline);
}
