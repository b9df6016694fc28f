/* lib/posix-socket's shared parts: the per-socket record, the vfs ops and the helpers every call uses. */
#ifndef POSIX_SOCKET_INTERNAL_H
#define POSIX_SOCKET_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <mica/syscall.h>
#include <mica/vfs_file.h>
#include "lwip/sockets.h"

#define SOCKET_SYSCALL(name) long socket_sys_##name(MICA_SYSCALL_ARGS)

/*
 * What the socket layer knows about one lwIP socket beyond lwIP itself. The lwIP socket is
 * always non-blocking: waiting happens here, through vfs_wait_ready, so that read, recv, poll
 * and epoll all wait the same way.
 */
struct socket_file {
	int s;    /* lwIP's socket number */
	int type; /* SOCK_STREAM or SOCK_DGRAM */
	uint64_t rcvtimeo_ns, sndtimeo_ns; /* SO_RCVTIMEO, SO_SNDTIMEO; 0: wait forever */
	bool connecting; /* a TCP connect was started and its outcome not yet seen */
	bool connected;  /* a TCP connection was established: later write failures are EPIPE */
	bool listening;
	bool rd_eof; /* a read returned end of file, or SHUT_RD: readable from now on */
	bool wr_shut;
};

extern const struct vfs_file_ops socket_ops;

/* The socket at fd: NULL with *err = -EBADF (no such fd) or -ENOTSOCK (another kind of file). */
struct socket_file *socket_get(int fd, struct vfs_file **f, long *err);
/* A new fd for lwIP socket s (made non-blocking here); on failure s is closed. */
long socket_install(int s, int type, int flags, struct socket_file **out);
/* -errno of the lwIP call that just failed. */
long socket_lwip_error(void);
/* now + timeout, or UINT64_MAX for a timeout of 0 (none). */
uint64_t socket_deadline(uint64_t timeout_ns);
/* Settles an outstanding TCP connect: 0 when connected, -errno as Linux reports it, or -EINPROGRESS. */
long socket_connect_result(struct socket_file *sf);

/*
 * The one send and one receive path (write, send, sendto, sendmsg; read, recv*): blocking
 * unless the file or flags say otherwise, bounded by SO_SNDTIMEO / SO_RCVTIMEO. Bytes or -errno.
 */
long socket_sendmsg(struct vfs_file *f, struct socket_file *sf, const struct msghdr *msg, int flags);
long socket_recvmsg(struct vfs_file *f, struct socket_file *sf, struct msghdr *msg, int flags);

/* Copies a socket address in (validated, Linux's rules) or out (truncated, true length reported). */
long socket_addr_in(const void *addr, socklen_t len, struct sockaddr_in *sin, bool unspec_ok);
long socket_addr_out(const struct sockaddr_in *sin, void *addr, socklen_t *len);

#endif
