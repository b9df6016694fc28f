/* Sockets as vfs files: creation, addresses, connect, listen, accept, shutdown, readiness and release. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <mica/init.h>
#include <mica/lwip_port.h>
#include <mica/plat.h>
#include "lwip/api.h"
#include "lwip/priv/sockets_priv.h"
#include "lwip/tcp.h"
#include "internal.h"

/* One record per lwIP socket number: lwIP's table bounds how many sockets exist. */
static struct socket_file socket_table[MEMP_NUM_NETCONN];

long socket_lwip_error(void)
{
	/* lwIP says EWOULDBLOCK for every "not now"; on Linux that is EAGAIN, the same number. */
	return errno != 0 ? -errno : -EIO;
}

uint64_t socket_deadline(uint64_t timeout_ns)
{
	uint64_t now = plat_time_ns();

	return timeout_ns == 0 || timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
}

struct socket_file *socket_get(int fd, struct vfs_file **f, long *err)
{
	void *priv;

	*f = vfs_file_of(fd, &socket_ops, &priv);
	if (*f == NULL) {
		/* Any open fd answers F_GETFD: then it is a file, just not a socket. */
		*err = mica_syscall(SYS_fcntl, fd, F_GETFD, 0, 0, 0, 0) < 0 ? -EBADF : -ENOTSOCK;
		return NULL;
	}
	return priv;
}

long socket_install(int s, int type, int flags, struct socket_file **out)
{
	struct socket_file *sf;
	int nonblocking = 1;
	long fd;

	if (s < 0 || s >= MEMP_NUM_NETCONN || lwip_ioctl(s, FIONBIO, &nonblocking) != 0) {
		lwip_close(s);
		return -ENFILE;
	}
	sf = &socket_table[s];
	memset(sf, 0, sizeof(*sf));
	sf->s = s;
	sf->type = type;
	fd = vfs_file_open_ops(&socket_ops, sf, S_IFSOCK, O_RDWR | (flags & (O_NONBLOCK | O_CLOEXEC)));
	if (fd < 0) {
		lwip_close(s);
		return fd;
	}
	if (out != NULL)
		*out = sf;
	return fd;
}

long socket_addr_in(const void *addr, socklen_t len, struct sockaddr_in *sin, bool unspec_ok)
{
	sa_family_t family;

	if (addr == NULL)
		return -EFAULT;
	if ((int)len < (int)sizeof(family))
		return -EINVAL;
	memcpy(&family, addr, sizeof(family));
	if (family == AF_UNSPEC && unspec_ok) {
		memset(sin, 0, sizeof(*sin));
		return 0;
	}
	if (family != AF_INET)
		return -EAFNOSUPPORT;
	if (len < sizeof(*sin))
		return -EINVAL;
	memcpy(sin, addr, sizeof(*sin));
	return 0;
}

long socket_addr_out(const struct sockaddr_in *sin, void *addr, socklen_t *len)
{
	socklen_t n;

	if (addr == NULL)
		return 0;
	if (len == NULL)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	n = *len < sizeof(*sin) ? *len : sizeof(*sin);
	memcpy(addr, sin, n);
	*len = sizeof(*sin);
	return 0;
}

/* TCP state of the socket's pcb; CLOSED once lwIP has let go of it (reset, or fully closed). */
static enum tcp_state socket_tcp_state(const struct lwip_sock *sock)
{
	if (sock->conn == NULL || NETCONNTYPE_GROUP(netconn_type(sock->conn)) != NETCONN_TCP ||
	    sock->conn->pcb.tcp == NULL)
		return CLOSED;
	return sock->conn->pcb.tcp->state;
}

long socket_connect_result(struct socket_file *sf)
{
	struct lwip_sock *sock = lwip_socket_dbg_get_socket(sf->s);
	enum tcp_state state;
	int err = 0;
	socklen_t len = sizeof(err);

	if (sock == NULL || sock->conn == NULL)
		return -EBADF;
	if (sock->conn->pending_err != ERR_OK) {
		lwip_getsockopt(sf->s, SOL_SOCKET, SO_ERROR, &err, &len);
		sf->connecting = false;
		/* A reset answering a SYN is a refusal; lwIP giving up on the SYN is a timeout. */
		if (err == ECONNRESET)
			return -ECONNREFUSED;
		if (err == ECONNABORTED)
			return -ETIMEDOUT;
		return err != 0 ? -err : -ECONNREFUSED;
	}
	state = socket_tcp_state(sock);
	if (state == SYN_SENT)
		return -EINPROGRESS;
	sf->connecting = false;
	if (state == CLOSED)
		return -ECONNREFUSED;
	sf->connected = true;
	return 0;
}

static long socket_read(struct vfs_file *f, void *buf, size_t len)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	return socket_recvmsg(f, vfs_file_priv(f), &msg, 0);
}

static long socket_write(struct vfs_file *f, const void *buf, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	return socket_sendmsg(f, vfs_file_priv(f), &msg, 0);
}

/* lwIP's event counters, as lwip_poll reads them, plus what only this layer knows (EOF, connect). */
static short socket_poll(struct vfs_file *f)
{
	struct socket_file *sf = vfs_file_priv(f);
	struct lwip_sock *sock = lwip_socket_dbg_get_socket(sf->s);
	short ev = 0;

	if (sock == NULL || sock->conn == NULL)
		return POLLNVAL;
	if (sock->lastdata.pbuf != NULL || sock->rcvevent > 0 || sf->rd_eof)
		ev |= POLLIN | POLLRDNORM;
	if (sock->conn->pending_err != ERR_OK)
		ev |= POLLERR;
	if (sf->type != SOCK_STREAM)
		return (short)(ev | POLLOUT | POLLWRNORM);
	if (sf->listening)
		return ev;
	if (!sf->connected && !sf->connecting)
		/* Linux: an unconnected TCP socket is writable (the write fails) and hung up. */
		return (short)(ev | POLLOUT | POLLWRNORM | POLLHUP);
	if (sock->sendevent || sf->wr_shut)
		ev |= POLLOUT | POLLWRNORM;
	if (socket_tcp_state(sock) == CLOSED && !(sf->connecting && sock->conn->pending_err == ERR_OK))
		ev |= POLLHUP | POLLIN | POLLRDNORM;
	else if (sf->rd_eof && sf->wr_shut)
		ev |= POLLHUP;
	if (sf->rd_eof)
		ev |= POLLRDHUP;
	return ev;
}

static long socket_ioctl(struct vfs_file *f, unsigned int req, long arg)
{
	struct socket_file *sf = vfs_file_priv(f);
	int n = 0;

	if (req != FIONREAD)
		return -ENOTTY;
	if (arg == 0)
		return -EFAULT;
	if (sf->listening)
		return -EINVAL;
	if (lwip_ioctl(sf->s, FIONREAD, &n) != 0)
		return socket_lwip_error();
	*(int *)arg = n;
	return 0;
}

static void socket_release(struct vfs_file *f)
{
	struct socket_file *sf = vfs_file_priv(f);

	lwip_close(sf->s);
	/* The close may have freed room or ended a connection that other waiters watch. */
	vfs_poll_notify();
}

const struct vfs_file_ops socket_ops = {
	.name = "socket",
	.read = socket_read,
	.write = socket_write,
	.poll = socket_poll,
	.ioctl = socket_ioctl,
	.release = socket_release,
};

/* lwIP reports a state change (from tcpip_thread or a caller holding its lock): waiters look again. */
static void socket_event(int s, int evt)
{
	(void)s;
	if (evt != NETCONN_EVT_RCVMINUS && evt != NETCONN_EVT_SENDMINUS)
		vfs_poll_notify();
}

static int socket_init(void)
{
	lwip_port_set_socket_event(socket_event);
	return 0;
}
MICA_INITCALL(socket_init, MICA_INIT_LIB);

SOCKET_SYSCALL(socket)
{
	int domain = (int)a1, type = (int)a2 & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), protocol = (int)a3;
	int flags = ((a2 & SOCK_NONBLOCK) ? O_NONBLOCK : 0) | ((a2 & SOCK_CLOEXEC) ? O_CLOEXEC : 0);
	int s;

	if (domain != AF_INET)
		return -EAFNOSUPPORT;
	if (type == SOCK_STREAM) {
		if (protocol != 0 && protocol != IPPROTO_TCP)
			return -EPROTONOSUPPORT;
	} else if (type == SOCK_DGRAM) {
		if (protocol != 0 && protocol != IPPROTO_UDP)
			return -EPROTONOSUPPORT;
	} else if (type == SOCK_RAW) {
		return -EPROTONOSUPPORT;
	} else {
		return type < 0 || type > SOCK_PACKET ? -EINVAL : -ESOCKTNOSUPPORT;
	}
	s = lwip_socket(AF_INET, type, protocol);
	if (s < 0)
		return socket_lwip_error();
	return socket_install(s, type, flags, NULL);
}

/* Only AF_UNIX has socket pairs on Linux, and Mica has no AF_UNIX. */
SOCKET_SYSCALL(socketpair)
{
	if (a4 == 0)
		return -EFAULT;
	return a1 == AF_UNIX || a1 == AF_INET ? -EOPNOTSUPP : -EAFNOSUPPORT;
}

SOCKET_SYSCALL(bind)
{
	struct vfs_file *f;
	struct sockaddr_in sin;
	long err;
	struct socket_file *sf = socket_get((int)a1, &f, &err);

	if (sf == NULL)
		return err;
	err = socket_addr_in((const void *)a2, (socklen_t)a3, &sin, false);
	if (err != 0)
		return err;
	if (lwip_bind(sf->s, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		return socket_lwip_error();
	return 0;
}

SOCKET_SYSCALL(listen)
{
	struct vfs_file *f;
	long err;
	struct socket_file *sf = socket_get((int)a1, &f, &err);
	int backlog = (int)a2;

	if (sf == NULL)
		return err;
	if (sf->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	if (sf->connected || sf->connecting)
		return -EINVAL;
	/* Linux caps the backlog at somaxconn; lwIP keeps it in 8 bits. */
	if (backlog < 0 || backlog > 255)
		backlog = 255;
	if (lwip_listen(sf->s, backlog) != 0)
		return socket_lwip_error();
	sf->listening = true;
	return 0;
}

static long socket_accept(int fd, void *addr, socklen_t *addrlen, int flags)
{
	struct vfs_file *f;
	long err;
	struct socket_file *sf = socket_get(fd, &f, &err), *nsf;
	uint64_t deadline;
	struct sockaddr_in sin;
	socklen_t len;
	int ns;

	if (sf == NULL)
		return err;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (!sf->listening)
		return -EINVAL;
	if (addr != NULL && addrlen == NULL)
		return -EFAULT;
	deadline = socket_deadline(sf->rcvtimeo_ns);
	for (;;) {
		len = sizeof(sin);
		ns = lwip_accept(sf->s, (struct sockaddr *)&sin, &len);
		if (ns >= 0)
			break;
		err = socket_lwip_error();
		if (err != -EAGAIN)
			return err;
		if (vfs_file_nonblocking(f) || vfs_wait_ready(f, POLLIN, deadline) != 0)
			return -EAGAIN;
	}
	fd = (int)socket_install(ns, SOCK_STREAM, ((flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0) |
						     ((flags & SOCK_CLOEXEC) ? O_CLOEXEC : 0), &nsf);
	if (fd < 0)
		return fd;
	nsf->connected = true;
	socket_addr_out(&sin, addr, addrlen);
	return fd;
}

SOCKET_SYSCALL(accept) { return socket_accept((int)a1, (void *)a2, (socklen_t *)a3, 0); }
SOCKET_SYSCALL(accept4) { return socket_accept((int)a1, (void *)a2, (socklen_t *)a3, (int)a4); }

SOCKET_SYSCALL(connect)
{
	struct vfs_file *f;
	struct sockaddr_in sin;
	long err;
	struct socket_file *sf = socket_get((int)a1, &f, &err);

	if (sf == NULL)
		return err;
	err = socket_addr_in((const void *)a2, (socklen_t)a3, &sin, sf->type == SOCK_DGRAM);
	if (err != 0)
		return err;
	if (sf->type == SOCK_DGRAM) {
		if (lwip_connect(sf->s, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			return socket_lwip_error();
		return 0;
	}
	if (sf->listening)
		return -EISCONN;
	if (sf->connecting) {
		err = socket_connect_result(sf);
		return err == -EINPROGRESS ? -EALREADY : (err == 0 ? -EISCONN : err);
	}
	if (lwip_connect(sf->s, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		sf->connected = true;
		return 0;
	}
	err = socket_lwip_error();
	if (err != -EINPROGRESS)
		return err;
	sf->connecting = true;
	if (vfs_file_nonblocking(f))
		return -EINPROGRESS;
	/* Linux bounds a blocking connect by SO_SNDTIMEO, and then reports it still in progress. */
	if (vfs_wait_ready(f, POLLOUT, socket_deadline(sf->sndtimeo_ns)) != 0)
		return -EINPROGRESS;
	return socket_connect_result(sf);
}

SOCKET_SYSCALL(shutdown)
{
	struct vfs_file *f;
	long err;
	struct socket_file *sf = socket_get((int)a1, &f, &err);
	int how = (int)a2;

	if (sf == NULL)
		return err;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (sf->type == SOCK_STREAM && sf->connecting)
		socket_connect_result(sf);
	if (sf->type == SOCK_STREAM && !sf->connected && !sf->listening)
		return -ENOTCONN;
	if (sf->listening) {
		/* Linux: shutting a listener down wakes its accept with EINVAL; closing it does the rest. */
		return 0;
	}
	if (lwip_shutdown(sf->s, how) != 0)
		return socket_lwip_error();
	if (how != SHUT_WR)
		sf->rd_eof = true;
	if (how != SHUT_RD)
		sf->wr_shut = true;
	vfs_poll_notify();
	return 0;
}
