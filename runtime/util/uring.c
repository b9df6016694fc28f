/*
 * uring: io_uring reads without liburing. mica is a static musl binary, and the few calls it
 * needs (setup, one mapping of both rings, submit, wait) fit here; see io_uring_setup(2).
 */
#include "util/uring.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/io_uring.h>

/* Ring indices are shared with the kernel: loads of its side acquire, stores of ours release. */
static unsigned int uring_load(const unsigned int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void uring_store(unsigned int *p, unsigned int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void uring_unmap(struct uring *u)
{
	if (u->sqe_map)
		munmap(u->sqe_map, u->sqe_map_len);
	if (u->rings)
		munmap(u->rings, u->rings_len);
	if (u->fd >= 0)
		close(u->fd);
	*u = (struct uring){.fd = -1};
}

int uring_init(struct uring *u, unsigned int entries, int notify_fd)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	*u = (struct uring){.fd = -1};
	int fd = (int)syscall(SYS_io_uring_setup, entries, &p);
	if (fd < 0)
		return -1;
	u->fd = fd;
	/* One mapping for both rings (IORING_FEAT_SINGLE_MMAP, Linux 5.4); older kernels read synchronously. */
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		uring_unmap(u);
		errno = ENOSYS;
		return -1;
	}
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	u->rings_len = sq_len > cq_len ? sq_len : cq_len;
	u->rings = mmap(NULL, u->rings_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	if (u->rings == MAP_FAILED) {
		u->rings = NULL;
		goto fail;
	}
	u->sqe_map_len = p.sq_entries * sizeof(struct io_uring_sqe);
	u->sqe_map = mmap(NULL, u->sqe_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (u->sqe_map == MAP_FAILED) {
		u->sqe_map = NULL;
		goto fail;
	}
	uint8_t *r = u->rings;
	u->sq_tail = (unsigned int *)(r + p.sq_off.tail);
	u->sq_mask = (unsigned int *)(r + p.sq_off.ring_mask);
	u->sq_array = (unsigned int *)(r + p.sq_off.array);
	u->cq_head = (unsigned int *)(r + p.cq_off.head);
	u->cq_tail = (unsigned int *)(r + p.cq_off.tail);
	u->cq_mask = (unsigned int *)(r + p.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)(r + p.cq_off.cqes);
	u->sqes = u->sqe_map;
	if (notify_fd >= 0 && syscall(SYS_io_uring_register, fd, IORING_REGISTER_EVENTFD, &notify_fd, 1) != 0)
		goto fail;
	return 0;
fail:;
	int e = errno;
	uring_unmap(u);
	errno = e;
	return -1;
}

void uring_destroy(struct uring *u)
{
	if (u->fd < 0)
		return;
	uint64_t tag;
	int32_t res;
	while (u->inflight) {
		while (uring_reap(u, &tag, &res))
			;
		if (u->inflight && uring_wait(u) != 0 && errno != EINTR)
			break;
	}
	uring_unmap(u);
}

int uring_readv(struct uring *u, int fd, const struct iovec *iov, unsigned int n, off_t off, uint64_t tag)
{
	if (u->fd < 0)
		return -EBADF;
	/* The submission ring has as many entries as reads may be in flight, and the kernel has taken
	 * every one submitted before (io_uring_enter returns once it has): the next slot is free. */
	if (u->inflight > *u->sq_mask)
		return -EBUSY;
	unsigned int tail = *u->sq_tail, i = tail & *u->sq_mask;
	struct io_uring_sqe *sqe = &u->sqes[i];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READV;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)iov;
	sqe->len = n;
	sqe->off = (uint64_t)off;
	sqe->user_data = tag;
	u->sq_array[i] = i;
	uring_store(u->sq_tail, tail + 1);
	long rc = syscall(SYS_io_uring_enter, u->fd, 1, 0, 0, NULL, 0);
	if (rc != 1) {
		/* Not taken: withdrawn, so the ring stays as it was. */
		uring_store(u->sq_tail, tail);
		return rc < 0 ? -errno : -EAGAIN;
	}
	u->inflight++;
	return 0;
}

bool uring_reap(struct uring *u, uint64_t *tag, int32_t *res)
{
	if (u->fd < 0)
		return false;
	unsigned int head = *u->cq_head;
	if (head == uring_load(u->cq_tail))
		return false;
	const struct io_uring_cqe *cqe = &u->cqes[head & *u->cq_mask];
	*tag = cqe->user_data;
	*res = cqe->res;
	uring_store(u->cq_head, head + 1);
	u->inflight--;
	return true;
}

int uring_wait(struct uring *u)
{
	if (u->fd < 0 || !u->inflight || *u->cq_head != uring_load(u->cq_tail))
		return 0;
	return syscall(SYS_io_uring_enter, u->fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 ? -1 : 0;
}
