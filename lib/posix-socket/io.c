/* Sending and receiving: send*, recv* and the vfs read/write of sockets, with Linux's blocking and errors. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include "internal.h"

/* Flags Linux accepts on send and recv that mean something here; the rest are refused like unknown ones. */
#define SOCKET_SEND_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_EOR | MSG_CONFIRM)
#define SOCKET_RECV_FLAGS (MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL | MSG_TRUNC | MSG_CMSG_CLOEXEC)

static long socket_check_iov(const struct msghdr *msg)
{
	size_t total = 0;

	if (msg->msg_iovlen < 0 || msg->msg_iovlen > IOV_MAX)
		return -EMSGSIZE;
	if (msg->msg_iovlen > 0 && msg->msg_iov == NULL)
		return -EFAULT;
	for (int i = 0; i < msg->msg_iovlen; i++) {
		if (msg->msg_iov[i].iov_len > SSIZE_MAX - total)
			return -EINVAL;
		total += msg->msg_iov[i].iov_len;
	}
	return 0;
}

/* A write error on a connection that existed: no SIGPIPE here (none is ever raised), only EPIPE. */
static long socket_send_error(const struct socket_file *sf, long err)
{
	if (sf->type == SOCK_STREAM && (err == -ENOTCONN || err == -ECONNABORTED || err == -ESHUTDOWN) &&
	    (sf->connected || sf->wr_shut))
		return -EPIPE;
	return err;
}

/* A stream: each piece in turn, the whole of it unless non-blocking or the timeout ends the wait. */
static long socket_send_stream(struct vfs_file *f, struct socket_file *sf, const struct msghdr *msg, int flags)
{
	bool nonblocking = vfs_file_nonblocking(f) || (flags & MSG_DONTWAIT);
	uint64_t deadline = socket_deadline(sf->sndtimeo_ns);
	long total = 0;

	if (sf->connecting && socket_connect_result(sf) == -EINPROGRESS)
		return -EAGAIN;
	if (sf->wr_shut)
		return -EPIPE;
	for (int i = 0; i < msg->msg_iovlen; i++) {
		const char *p = msg->msg_iov[i].iov_base;
		size_t left = msg->msg_iov[i].iov_len;
		int more = i + 1 < msg->msg_iovlen ? MSG_MORE : 0;

		while (left > 0) {
			ssize_t n = lwip_send(sf->s, p, left, MSG_DONTWAIT | more | (flags & MSG_MORE));
			long err;

			if (n > 0) {
				p += n;
				left -= (size_t)n;
				total += n;
				continue;
			}
			err = n == 0 ? -EAGAIN : socket_lwip_error();
			if (err != -EAGAIN)
				return total > 0 ? total : socket_send_error(sf, err);
			if (nonblocking || vfs_wait_ready(f, POLLOUT, deadline) != 0)
				return total > 0 ? total : -EAGAIN;
		}
	}
	return total;
}

/* A datagram goes whole or not at all, and UDP never waits for room. */
static long socket_send_dgram(struct socket_file *sf, const struct msghdr *msg, int flags)
{
	struct msghdr m = *msg;
	struct sockaddr_in sin;
	ssize_t n;

	if (msg->msg_name != NULL) {
		long err = socket_addr_in(msg->msg_name, msg->msg_namelen, &sin, false);

		if (err != 0)
			return err;
		m.msg_name = &sin;
		m.msg_namelen = sizeof(sin);
	}
	m.msg_control = NULL;
	m.msg_controllen = 0;
	n = lwip_sendmsg(sf->s, &m, (flags & MSG_MORE) | MSG_DONTWAIT);
	if (n < 0) {
		long err = socket_lwip_error();

		/* lwIP wants an address for an unconnected UDP socket; Linux names the problem differently. */
		return err == -ENOTCONN || err == -ECONNRESET ? -EDESTADDRREQ : err;
	}
	return n;
}

long socket_sendmsg(struct vfs_file *f, struct socket_file *sf, const struct msghdr *msg, int flags)
{
	long err = socket_check_iov(msg);

	if (err != 0)
		return err;
	if (flags & ~SOCKET_SEND_FLAGS)
		return -EOPNOTSUPP;
	return sf->type == SOCK_STREAM ? socket_send_stream(f, sf, msg, flags) : socket_send_dgram(sf, msg, flags);
}

static long socket_recv_stream(struct vfs_file *f, struct socket_file *sf, struct msghdr *msg, int flags)
{
	bool nonblocking = vfs_file_nonblocking(f) || (flags & MSG_DONTWAIT);
	uint64_t deadline = socket_deadline(sf->rcvtimeo_ns);
	long total = 0;

	if (sf->listening)
		return -ENOTCONN;
	if (sf->connecting && socket_connect_result(sf) == -EINPROGRESS)
		return nonblocking ? -EAGAIN : -ENOTCONN;
	if (!sf->connected)
		return -ENOTCONN;
	msg->msg_flags = 0;
	if (msg->msg_name != NULL)
		msg->msg_namelen = 0; /* Linux gives no address for a stream */
	for (int i = 0; i < msg->msg_iovlen; i++) {
		char *p = msg->msg_iov[i].iov_base;
		size_t left = msg->msg_iov[i].iov_len;

		while (left > 0) {
			ssize_t n;
			long err;

			if (sf->rd_eof)
				return total;
			n = lwip_recv(sf->s, p, left, MSG_DONTWAIT | (flags & MSG_PEEK));
			if (n > 0) {
				p += n;
				left -= (size_t)n;
				total += n;
				if (flags & MSG_PEEK)
					return total;
				continue;
			}
			if (n == 0) {
				sf->rd_eof = true;
				return total;
			}
			err = socket_lwip_error();
			if (err != -EAGAIN)
				return total > 0 ? total : err;
			/* Having something, return it (unless MSG_WAITALL): Linux's stream semantics. */
			if (total > 0 && !(flags & MSG_WAITALL))
				return total;
			if (nonblocking || vfs_wait_ready(f, POLLIN, deadline) != 0)
				return total > 0 ? total : -EAGAIN;
		}
	}
	return total;
}

static long socket_recv_dgram(struct vfs_file *f, struct socket_file *sf, struct msghdr *msg, int flags)
{
	bool nonblocking = vfs_file_nonblocking(f) || (flags & MSG_DONTWAIT);
	uint64_t deadline = socket_deadline(sf->rcvtimeo_ns);
	struct sockaddr_in sin;
	struct msghdr m = *msg;

	m.msg_name = &sin;
	m.msg_namelen = sizeof(sin);
	m.msg_control = NULL;
	m.msg_controllen = 0;
	for (;;) {
		ssize_t n = lwip_recvmsg(sf->s, &m, MSG_DONTWAIT | (flags & MSG_PEEK));
		long err;

		if (n >= 0) {
			size_t room = 0;

			for (int i = 0; i < msg->msg_iovlen; i++)
				room += msg->msg_iov[i].iov_len;
			/* lwIP returns the datagram's length; Linux what it copied, unless asked by MSG_TRUNC. */
			if (!(flags & MSG_TRUNC) && (size_t)n > room)
				n = (ssize_t)room;
			msg->msg_flags = m.msg_flags & MSG_TRUNC;
			msg->msg_controllen = 0;
			if (msg->msg_name != NULL) {
				socklen_t len = msg->msg_namelen;

				socket_addr_out(&sin, msg->msg_name, &len);
				msg->msg_namelen = len;
			}
			return n;
		}
		err = socket_lwip_error();
		if (err != -EAGAIN)
			return err;
		if (nonblocking || vfs_wait_ready(f, POLLIN, deadline) != 0)
			return -EAGAIN;
	}
}

long socket_recvmsg(struct vfs_file *f, struct socket_file *sf, struct msghdr *msg, int flags)
{
	long err = socket_check_iov(msg);

	if (err != 0)
		return err;
	if (flags & ~SOCKET_RECV_FLAGS)
		return -EOPNOTSUPP;
	return sf->type == SOCK_STREAM ? socket_recv_stream(f, sf, msg, flags) : socket_recv_dgram(f, sf, msg, flags);
}

SOCKET_SYSCALL(sendto)
{
	struct vfs_file *f;
	long err;
	struct socket_file *sf = socket_get((int)a1, &f, &err);
	struct iovec iov = {.iov_base = (void *)a2, .iov_len = (size_t)a3};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_name = (void *)a5, .msg_namelen = (socklen_t)a6};

	if (sf == NULL)
		return err;
	if (a2 == 0 && a3 != 0)
		return -EFAULT;
	return socket_sendmsg(f, sf, &msg, (int)a4);
}

SOCKET_SYSCALL(recvfrom)
{
	struct vfs_file *f;
	long err, n;
	struct socket_file *sf = socket_get((int)a1, &f, &err);
	struct iovec iov = {.iov_base = (void *)a2, .iov_len = (size_t)a3};
	socklen_t *lenp = (socklen_t *)a6;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (sf == NULL)
		return err;
	if (a2 == 0 && a3 != 0)
		return -EFAULT;
	if (a5 != 0) {
		if (lenp == NULL)
			return -EFAULT;
		if ((int)*lenp < 0)
			return -EINVAL;
		msg.msg_name = (void *)a5;
		msg.msg_namelen = *lenp;
	}
	n = socket_recvmsg(f, sf, &msg, (int)a4);
	if (n >= 0 && a5 != 0)
		*lenp = msg.msg_namelen;
	return n;
}

SOCKET_SYSCALL(sendmsg)
{
	struct vfs_file *f;
	long err;
	struct socket_file *sf = socket_get((int)a1, &f, &err);

	if (sf == NULL)
		return err;
	if (a2 == 0)
		return -EFAULT;
	return socket_sendmsg(f, sf, (const struct msghdr *)a2, (int)a3);
}

SOCKET_SYSCALL(recvmsg)
{
	struct vfs_file *f;
	long err;
	struct socket_file *sf = socket_get((int)a1, &f, &err);

	if (sf == NULL)
		return err;
	if (a2 == 0)
		return -EFAULT;
	return socket_recvmsg(f, sf, (struct msghdr *)a2, (int)a3);
}
