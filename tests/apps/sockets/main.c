/*
 * Guest test suite for BSD sockets on loopback (no NIC needed): one check per behaviour, errno
 * included, with Linux's answers as the expectations. The same source builds natively with
 * musl-gcc, and tests/integration/sockets.sh compares the two runs. Prints "ok - NAME" or
 * "not ok - NAME: detail" per check, "# ..." lines for measurements and a summary line; exit 1
 * on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BIG_TRANSFER (8u << 20)
#define ECHO_ROUNDS 200

static int checks, failed;

static void check(int ok, const char *name)
{
	checks++;
	if (ok) {
		printf("ok - %s\n", name);
	} else {
		failed++;
		printf("not ok - %s: errno %d (%s)\n", name, errno, strerror(errno));
	}
}

static int fails_with(long rc, int err) { return rc == -1 && errno == err; }

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return 0;
	return ntohs(a.sin_port);
}

/* A TCP listener on 127.0.0.1 at an ephemeral port; flags go to socket(). */
static int listener(int flags)
{
	int fd = socket(AF_INET, SOCK_STREAM | flags, 0), one = 1;
	struct sockaddr_in a = loopback(0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_to(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loopback(port);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A connected pair: *client from connect, *server from accept. */
static int tcp_pair(int *client, int *server)
{
	int l = listener(0);

	*client = *server = -1;
	if (l < 0)
		return -1;
	*client = connect_to(port_of(l));
	if (*client >= 0)
		*server = accept(l, NULL, NULL);
	close(l);
	return *client >= 0 && *server >= 0 ? 0 : -1;
}

static void close_pair(int a, int b)
{
	close(a);
	close(b);
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return n < 0 ? n : (ssize_t)got;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void test_tcp_basics(void)
{
	int l = listener(0), c, s, one = 0;
	char buf[16];
	struct sockaddr_in a, b;
	socklen_t alen = sizeof(a), blen = sizeof(b);

	check(l >= 0 && port_of(l) != 0, "listen on 127.0.0.1, port 0 picks an ephemeral port");
	c = connect_to(port_of(l));
	check(c >= 0, "blocking connect to a listener");
	s = accept(l, (struct sockaddr *)&a, &alen);
	check(s >= 0 && alen == sizeof(a) && a.sin_family == AF_INET && a.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	      "accept returns the peer's address");
	check(getsockname(c, (struct sockaddr *)&b, &blen) == 0 && b.sin_port == a.sin_port,
	      "accept's address is the client's getsockname");
	blen = sizeof(b);
	check(getpeername(c, (struct sockaddr *)&b, &blen) == 0 && ntohs(b.sin_port) == port_of(l) &&
		      b.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	      "getpeername names the listener's port");
	blen = 4;
	check(getsockname(c, (struct sockaddr *)&b, &blen) == 0 && blen == sizeof(b),
	      "a short address buffer reports the full length");
	check(write(c, "hello", 5) == 5 && read_full(s, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0,
	      "write on one end, read on the other");
	check(send(s, "world", 5, 0) == 5, "send");
	check(recv(c, buf, 5, MSG_WAITALL) == 5 && memcmp(buf, "world", 5) == 0, "recv MSG_WAITALL");
	check(write(c, "peek", 4) == 4 && recv(s, buf, 4, MSG_PEEK | MSG_WAITALL) >= 1 && read_full(s, buf, 4) == 4 &&
		      memcmp(buf, "peek", 4) == 0,
	      "MSG_PEEK leaves the data to read");
	socklen_t olen = sizeof(one);
	one = 1;
	check(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 &&
		      getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, &olen) == 0 && one != 0,
	      "TCP_NODELAY set and read back");
	olen = sizeof(one);
	check(getsockopt(c, SOL_SOCKET, SO_TYPE, &one, &olen) == 0 && one == SOCK_STREAM, "SO_TYPE is SOCK_STREAM");
	struct iovec iov[2] = {{"ab", 2}, {"cde", 3}};
	check(writev(c, iov, 2) == 5 && read_full(s, buf, 5) == 5 && memcmp(buf, "abcde", 5) == 0, "writev, then read");
	char x[2], y[3];
	struct iovec riov[2] = {{x, 2}, {y, 3}};
	struct msghdr m = {.msg_iov = riov, .msg_iovlen = 2};
	struct iovec siov[2] = {{"fg", 2}, {"hij", 3}};
	struct msghdr sm = {.msg_iov = siov, .msg_iovlen = 2};
	check(sendmsg(c, &sm, 0) == 5 && recvmsg(s, &m, MSG_WAITALL) == 5 && memcmp(x, "fg", 2) == 0 &&
		      memcmp(y, "hij", 3) == 0,
	      "sendmsg and recvmsg with two iovecs");
	check(shutdown(c, SHUT_WR) == 0 && read(s, buf, sizeof(buf)) == 0, "shutdown(SHUT_WR): the peer reads end of file");
	check(read(s, buf, sizeof(buf)) == 0, "end of file repeats");
	check(fails_with(send(c, "x", 1, MSG_NOSIGNAL), EPIPE), "send after SHUT_WR: EPIPE");
	check(write(s, "back", 4) == 4 && read_full(c, buf, 4) == 4 && memcmp(buf, "back", 4) == 0,
	      "the other direction still works after SHUT_WR");
	close_pair(c, s);
	close(l);
}

struct echo_arg {
	int listen_fd;
	int ok;
};

/* Accepts one connection and echoes until end of file. */
static void *echo_server(void *p)
{
	struct echo_arg *arg = p;
	char buf[512];
	ssize_t n;
	int s = accept(arg->listen_fd, NULL, NULL);

	if (s < 0)
		return NULL;
	while ((n = read(s, buf, sizeof(buf))) > 0) {
		if (write(s, buf, (size_t)n) != n)
			break;
	}
	arg->ok = n == 0;
	close(s);
	return NULL;
}

static void test_threads(void)
{
	struct echo_arg arg = {.listen_fd = listener(0)};
	pthread_t t;
	int c, good = 1;
	char out[64], in[64];

	check(pthread_create(&t, NULL, echo_server, &arg) == 0, "an echo server thread starts");
	c = connect_to(port_of(arg.listen_fd));
	for (int i = 0; i < ECHO_ROUNDS && c >= 0 && good; i++) {
		int len = snprintf(out, sizeof(out), "message %d", i);
		good = write(c, out, (size_t)len) == len && read_full(c, in, (size_t)len) == len && memcmp(in, out, (size_t)len) == 0;
	}
	check(c >= 0 && good, "200 round trips with a server thread (blocking on both sides)");
	if (c >= 0)
		shutdown(c, SHUT_WR);
	pthread_join(t, NULL);
	check(arg.ok, "the server thread saw end of file");
	close(c);
	close(arg.listen_fd);
}

static void test_nonblocking(void)
{
	int l = listener(SOCK_NONBLOCK), c, s, err = -1;
	char buf[8];
	socklen_t len = sizeof(err);

	check(fails_with(accept4(l, NULL, NULL, SOCK_NONBLOCK), EAGAIN), "accept4 on an empty non-blocking listener: EAGAIN");
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = loopback(port_of(l));
	int rc = connect(c, (struct sockaddr *)&a, sizeof(a));
	check(rc == 0 || errno == EINPROGRESS, "non-blocking connect: 0 or EINPROGRESS");
	struct pollfd p = {.fd = c, .events = POLLOUT};
	check(poll(&p, 1, 2000) == 1 && (p.revents & POLLOUT), "poll sees the connect complete (POLLOUT)");
	check(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0, "SO_ERROR is 0 after it");
	struct pollfd lp = {.fd = l, .events = POLLIN};
	check(poll(&lp, 1, 2000) == 1 && (lp.revents & POLLIN), "poll: a pending connection makes the listener readable");
	s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	check(s >= 0 && (fcntl(s, F_GETFL) & O_NONBLOCK) && (fcntl(s, F_GETFD) & FD_CLOEXEC),
	      "accept4 SOCK_NONBLOCK|SOCK_CLOEXEC sets both on the new fd");
	check(fails_with(read(s, buf, sizeof(buf)), EAGAIN), "read with nothing there: EAGAIN");
	check(fails_with(recv(c, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN), "recv MSG_DONTWAIT: EAGAIN");
	int fl = fcntl(s, F_GETFL);
	check(fcntl(s, F_SETFL, fl & ~O_NONBLOCK) == 0 && !(fcntl(s, F_GETFL) & O_NONBLOCK), "fcntl clears O_NONBLOCK");
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	check(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0, "setsockopt SO_RCVTIMEO 100 ms");
	struct timeval got = {0};
	len = sizeof(got);
	check(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &len) == 0 && got.tv_sec == 0 && got.tv_usec == 100000,
	      "getsockopt SO_RCVTIMEO reads it back");
	uint64_t t0 = now_ns();
	rc = (int)read(s, buf, sizeof(buf));
	uint64_t waited = now_ns() - t0;
	check(fails_with(rc, EAGAIN) && waited >= 90000000u && waited < 2000000000u,
	      "a blocking read times out after SO_RCVTIMEO with EAGAIN");
	check(fcntl(s, F_SETFL, fl | O_NONBLOCK) == 0 && fails_with(read(s, buf, sizeof(buf)), EAGAIN),
	      "fcntl sets O_NONBLOCK again: EAGAIN at once");
	int on = 0;
	check(ioctl(s, FIONBIO, &on) == 0 && !(fcntl(s, F_GETFL) & O_NONBLOCK), "FIONBIO 0 clears O_NONBLOCK");
	int avail = -1;
	check(write(c, "12345", 5) == 5 && poll(&(struct pollfd){.fd = s, .events = POLLIN}, 1, 2000) == 1 &&
		      ioctl(s, FIONREAD, &avail) == 0 && avail == 5,
	      "FIONREAD counts the bytes waiting");
	close_pair(c, s);
	close(l);
}

static void test_errors(void)
{
	int l = listener(0), fd, dir;
	struct sockaddr_in a = loopback(port_of(l));
	char buf[4];

	fd = socket(AF_INET, SOCK_STREAM, 0);
	check(fails_with(bind(fd, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE), "bind to a listening port: EADDRINUSE");
	close(fd);
	uint16_t closed_port = port_of(l);
	close(l);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	a = loopback(closed_port);
	check(fails_with(connect(fd, (struct sockaddr *)&a, sizeof(a)), ECONNREFUSED), "connect to a closed port: ECONNREFUSED");
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	int err = 0;
	socklen_t len = sizeof(err);
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	check((fails_with(rc, ECONNREFUSED) || (errno == EINPROGRESS && poll(&p, 1, 2000) == 1 &&
						 getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == ECONNREFUSED)),
	      "non-blocking connect to a closed port: SO_ERROR ECONNREFUSED");
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	check(fails_with(recv(fd, buf, sizeof(buf), 0), ENOTCONN), "recv on an unconnected socket: ENOTCONN");
	struct sockaddr_in b;
	len = sizeof(b);
	check(fails_with(getpeername(fd, (struct sockaddr *)&b, &len), ENOTCONN), "getpeername unconnected: ENOTCONN");
	check(fails_with(shutdown(fd, SHUT_RDWR), ENOTCONN), "shutdown unconnected: ENOTCONN");
	check(fails_with(shutdown(fd, 7), EINVAL), "shutdown with a bad how: EINVAL");
	close(fd);

	dir = open(".", O_RDONLY | O_DIRECTORY);
	len = sizeof(b);
	check(dir >= 0 && fails_with(getsockname(dir, (struct sockaddr *)&b, &len), ENOTSOCK), "getsockname on a directory: ENOTSOCK");
	check(fails_with(send(dir, "x", 1, 0), ENOTSOCK), "send on a directory: ENOTSOCK");
	close(dir);
	check(fails_with(listen(dir, 1), EBADF), "listen on a closed fd: EBADF");
	check(fails_with(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT), "TCP socket with IPPROTO_UDP: EPROTONOSUPPORT");
	check(fails_with(socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT), "unknown address family: EAFNOSUPPORT");
}

static void test_udp(void)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = loopback(0), from;
	socklen_t flen = sizeof(from);
	char buf[32];

	check(r >= 0 && s >= 0 && bind(r, (struct sockaddr *)&a, sizeof(a)) == 0, "UDP sockets, one bound");
	a = loopback(port_of(r));
	check(sendto(s, "datagram", 8, 0, (struct sockaddr *)&a, sizeof(a)) == 8, "sendto");
	check(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) == 8 && memcmp(buf, "datagram", 8) == 0 &&
		      flen == sizeof(from) && ntohs(from.sin_port) == port_of(s),
	      "recvfrom gets the datagram and the sender's port");
	check(sendto(s, "0123456789", 10, 0, (struct sockaddr *)&a, sizeof(a)) == 10, "sendto a second datagram");
	check(recv(r, buf, 4, 0) == 4 && memcmp(buf, "0123", 4) == 0, "a short read truncates the datagram");
	check(fails_with(recv(r, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN), "the rest of a truncated datagram is gone");
	check(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 && send(s, "conn", 4, 0) == 4 &&
		      recv(r, buf, sizeof(buf), 0) == 4 && memcmp(buf, "conn", 4) == 0,
	      "connected UDP: send without an address");
	close(r);
	close(s);
}

struct bulk_arg {
	int fd;
	uint32_t sum;
};

static uint32_t pattern(uint32_t i) { return i * 2654435761u; }

static void *bulk_sender(void *p)
{
	struct bulk_arg *arg = p;
	static uint32_t block[16384];
	uint32_t sum = 0, i = 0;

	for (size_t sent = 0; sent < BIG_TRANSFER; sent += sizeof(block)) {
		for (size_t k = 0; k < sizeof(block) / 4; k++, i++) {
			block[k] = pattern(i);
			sum = sum * 31 + block[k];
		}
		if (write(arg->fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			break;
	}
	arg->sum = sum;
	shutdown(arg->fd, SHUT_WR);
	return NULL;
}

static void test_bulk(void)
{
	int c, s;
	pthread_t t;
	struct bulk_arg arg;
	static uint32_t buf[8192];
	size_t got = 0, carry = 0;
	uint32_t sum = 0;
	ssize_t n;
	unsigned char *bytes = (unsigned char *)buf;

	check(tcp_pair(&c, &s) == 0, "a connection for the bulk transfer");
	arg.fd = c;
	uint64_t t0 = now_ns();
	pthread_create(&t, NULL, bulk_sender, &arg);
	/* Words may arrive split across reads: carry the partial word to the next read. */
	while ((n = read(s, bytes + carry, sizeof(buf) - carry)) > 0) {
		size_t have = carry + (size_t)n, words = have / 4;
		for (size_t k = 0; k < words; k++)
			sum = sum * 31 + buf[k];
		carry = have % 4;
		memmove(bytes, bytes + words * 4, carry);
		got += (size_t)n;
	}
	uint64_t ns = now_ns() - t0;
	pthread_join(t, NULL);
	check(got == BIG_TRANSFER && carry == 0 && sum == arg.sum, "8 MiB through loopback TCP, checksum matches");
	printf("# loopback TCP: %u MiB in %llu ms = %llu MB/s\n", BIG_TRANSFER >> 20, (unsigned long long)(ns / 1000000),
	       (unsigned long long)(ns ? (uint64_t)BIG_TRANSFER * 1000 / ns : 0));
	close_pair(c, s);
}

static void test_readiness(void)
{
	int c[3], s[3], ok = 1;
	char buf[8];

	for (int i = 0; i < 3; i++)
		ok &= tcp_pair(&c[i], &s[i]) == 0;
	check(ok, "three connections");
	struct pollfd p[3];
	for (int i = 0; i < 3; i++)
		p[i] = (struct pollfd){.fd = s[i], .events = POLLIN};
	check(poll(p, 3, 0) == 0, "poll on three idle sockets: nothing ready");
	write(c[1], "x", 1);
	check(poll(p, 3, 2000) == 1 && !p[0].revents && p[1].revents == POLLIN && !p[2].revents,
	      "poll: only the socket with data is readable");
	fd_set rd;
	FD_ZERO(&rd);
	for (int i = 0; i < 3; i++)
		FD_SET(s[i], &rd);
	struct timeval tv = {0, 0};
	int maxfd = s[0] > s[1] ? (s[0] > s[2] ? s[0] : s[2]) : (s[1] > s[2] ? s[1] : s[2]);
	check(select(maxfd + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(s[1], &rd) && !FD_ISSET(s[0], &rd),
	      "select: the same socket, alone");
	read(s[1], buf, 1);

	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out[4];
	check(ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, s[0], &ev) == 0, "epoll_create1 and EPOLL_CTL_ADD");
	check(epoll_wait(ep, out, 4, 0) == 0, "epoll_wait: nothing yet");
	write(c[0], "ab", 2);
	check(epoll_wait(ep, out, 4, 2000) == 1 && out[0].data.u32 == 7 && (out[0].events & EPOLLIN),
	      "epoll_wait reports the data, with the user's data");
	check(epoll_wait(ep, out, 4, 0) == 1, "level-triggered: reported again while unread");
	ev.events = EPOLLIN | EPOLLET;
	check(epoll_ctl(ep, EPOLL_CTL_MOD, s[0], &ev) == 0 && epoll_wait(ep, out, 4, 0) == 1 && epoll_wait(ep, out, 4, 0) == 0,
	      "EPOLLET: reported once");
	write(c[0], "c", 1);
	check(epoll_wait(ep, out, 4, 2000) == 1, "EPOLLET: new data reports again");
	read(s[0], buf, sizeof(buf));
	ev.events = EPOLLIN | EPOLLONESHOT;
	write(c[0], "d", 1);
	check(epoll_ctl(ep, EPOLL_CTL_MOD, s[0], &ev) == 0 && epoll_wait(ep, out, 4, 2000) == 1 && epoll_wait(ep, out, 4, 0) == 0,
	      "EPOLLONESHOT: one report until re-armed");
	ev.events = EPOLLOUT;
	check(epoll_ctl(ep, EPOLL_CTL_ADD, c[2], &ev) == 0 && epoll_wait(ep, out, 4, 0) == 1 && (out[0].events & EPOLLOUT),
	      "a connected socket is writable (EPOLLOUT)");
	close(c[2]);
	ev.events = EPOLLIN | EPOLLRDHUP;
	check(epoll_ctl(ep, EPOLL_CTL_ADD, s[2], &ev) == 0 && epoll_wait(ep, out, 4, 2000) >= 1, "the peer's close wakes epoll");
	check(read(s[2], buf, sizeof(buf)) == 0, "and reads as end of file");
	close(ep);
	for (int i = 0; i < 3; i++)
		close_pair(i == 2 ? -1 : c[i], s[i]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_tcp_basics();
	test_threads();
	test_nonblocking();
	test_errors();
	test_udp();
	test_readiness();
	test_bulk();
	printf("sockets: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
