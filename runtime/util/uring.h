/* uring: a small io_uring of vectored reads, made with the raw system calls, for backends that overlap host I/O. */
#ifndef UTIL_URING_H
#define UTIL_URING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Declared only: <linux/io_uring.h> and the C library's <sys/uio.h> define RWF_* flags differently. */
struct iovec;
struct io_uring_sqe;
struct io_uring_cqe;

struct uring {
	int fd;                    /* -1: none */
	unsigned int inflight;     /* reads submitted and not yet reaped */
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *rings, *sqe_map;
	size_t rings_len, sqe_map_len;
};

/*
 * Makes a ring of entries reads in flight at most; with notify_fd >= 0 (an eventfd), each
 * completion also adds to that eventfd's counter, so a poll loop sees it. 0, or -1 with errno
 * (ENOSYS, EPERM where io_uring is off or filtered: the caller reads synchronously instead).
 */
int uring_init(struct uring *u, unsigned int entries, int notify_fd);

/* Releases the ring; reads still in flight are waited for first (the kernel may be writing their buffers). */
void uring_destroy(struct uring *u);

/*
 * Starts preadv(fd, iov, n, off); tag comes back with its completion. iov and its buffers must
 * stay valid until then. 0, or a negative errno (-EBUSY: entries reads already in flight).
 */
int uring_readv(struct uring *u, int fd, const struct iovec *iov, unsigned int n, off_t off, uint64_t tag);

/* Takes one finished read, if any: its tag and preadv's result (bytes, or a negative errno). */
bool uring_reap(struct uring *u, uint64_t *tag, int32_t *res);

/* Waits until at least one read has finished (none in flight: returns at once). 0, or -1 with errno. */
int uring_wait(struct uring *u);

#endif
