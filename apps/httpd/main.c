/* apps/httpd: a single-threaded, non-blocking HTTP/1.1 server on epoll; the same source builds for Mica and for Linux. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_parse.h"

/* Largest POST body (/echo); the input buffer holds a whole request, head and body. */
#define HTTPD_BODY_MAX (64 * 1024)
#define HTTPD_IN_MAX (HTTP_HEADER_MAX + HTTPD_BODY_MAX)
#define HTTPD_IN_FIRST 2048
/* How much of a file is read per send: large files go out in these steps as the socket drains. */
#define HTTPD_CHUNK (32 * 1024)
/* Room for a response head; a body that is not a file follows it in the same buffer. */
#define HTTPD_HEAD_MAX 512
#define HTTPD_MAX_CONNS 4096
/* What a connection closing after an error reads and discards at most before it just closes. */
#define HTTPD_DRAIN_MAX (1024 * 1024)
#define HTTPD_EVENTS 256

struct httpd_conn {
	int fd;
	uint32_t watching;      /* the epoll events registered now */
	char *in;               /* received bytes: the request being answered, then any pipelined ones */
	size_t in_len, in_cap;
	size_t consumed;        /* bytes of in the request being answered occupies */
	char *out;              /* response bytes not yet sent: out[out_off..out_len) */
	size_t out_off, out_len, out_cap;
	int file;               /* the file whose rest follows out, or -1 */
	off_t file_left;
	int responding;         /* a response is in flight: pipelined requests wait for it */
	int close_after;
	/*
	 * After an error the client may still be sending: closing with unread input would reset the
	 * connection and could destroy the error response in flight, so we shut down our side and
	 * discard input until the client closes (at most HTTPD_DRAIN_MAX bytes).
	 */
	int linger;
	size_t drained;
};

static struct {
	const char *root;
	int quiet;
	int epfd, listen_fd;
	unsigned conns;
	uint32_t listen_watching;
	int accept_paused;      /* out of fds or at HTTPD_MAX_CONNS: resumed when a connection ends */
	unsigned long requests;
} httpd = { .root = "/www", .epfd = -1, .listen_fd = -1, .listen_watching = EPOLLIN };

static void httpd_watch(int fd, void *ptr, uint32_t *watching, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	if (*watching == events)
		return;
	if (epoll_ctl(httpd.epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
		fprintf(stderr, "httpd: epoll_ctl: %s\n", strerror(errno));
	*watching = events;
}

static void conn_close(struct httpd_conn *c)
{
	epoll_ctl(httpd.epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->file >= 0)
		close(c->file);
	free(c->in);
	free(c->out);
	free(c);
	httpd.conns--;
	if (httpd.accept_paused) {
		httpd.accept_paused = 0;
		httpd_watch(httpd.listen_fd, NULL, &httpd.listen_watching, EPOLLIN);
	}
}

/* Makes room for N more bytes of response after what is queued; 0, or -1 when out of memory. */
static int conn_out_reserve(struct httpd_conn *c, size_t n)
{
	size_t want = c->out_len + n;
	char *p;

	if (want <= c->out_cap)
		return 0;
	if (want < HTTPD_HEAD_MAX + HTTPD_CHUNK)
		want = HTTPD_HEAD_MAX + HTTPD_CHUNK;
	p = realloc(c->out, want);
	if (p == NULL)
		return -1;
	c->out = p;
	c->out_cap = want;
	return 0;
}

/* Queues the status line and headers; EXTRA is more header lines, each ending in CRLF. */
static int conn_head(struct httpd_conn *c, int status, const char *type, size_t length, int keep_alive,
		     int minor, const char *extra)
{
	const char *connection = !keep_alive ? "Connection: close\r\n" :
				 minor == 0 ? "Connection: keep-alive\r\n" : "";
	int n;

	if (conn_out_reserve(c, HTTPD_HEAD_MAX) != 0)
		return -1;
	n = snprintf(c->out + c->out_len, HTTPD_HEAD_MAX,
		     "HTTP/1.1 %d %s\r\nServer: mica-httpd\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
		     status, http_reason(status), type, length, connection, extra);
	if (n < 0 || n >= HTTPD_HEAD_MAX)
		return -1;
	c->out_len += (size_t)n;
	return 0;
}

/* A complete response whose body is in memory; HEAD gets the same head without the body. */
static int conn_reply(struct httpd_conn *c, int status, const char *type, const void *body, size_t len,
		      int head_only, int keep_alive, int minor, const char *extra)
{
	if (conn_head(c, status, type, len, keep_alive, minor, extra) != 0)
		return -1;
	if (head_only || len == 0)
		return 0;
	if (conn_out_reserve(c, len) != 0)
		return -1;
	memcpy(c->out + c->out_len, body, len);
	c->out_len += len;
	return 0;
}

static int conn_error(struct httpd_conn *c, int status, int head_only, int keep_alive, int minor,
		      const char *extra)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));

	return conn_reply(c, status, "text/plain; charset=utf-8", body, (size_t)n, head_only, keep_alive,
			  minor, extra);
}

/* Refills the output from the file being sent; 0, or -1 when reading it failed. */
static int conn_refill(struct httpd_conn *c)
{
	size_t want = c->file_left < HTTPD_CHUNK ? (size_t)c->file_left : HTTPD_CHUNK;
	ssize_t n;

	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (conn_out_reserve(c, want) != 0)
		return -1;
	do
		n = read(c->file, c->out + c->out_len, want);
	while (n < 0 && errno == EINTR);
	/* A file that shrank under us cannot honour its Content-Length any more. */
	if (n <= 0)
		return -1;
	c->out_len += (size_t)n;
	c->file_left -= n;
	if (c->file_left == 0) {
		close(c->file);
		c->file = -1;
	}
	return 0;
}

/* Opens ROOT/PATH, or its index.html when it names a directory; the fd of a regular file, or -1. */
static int httpd_open(const char *path, char *full, size_t full_size, struct stat *st)
{
	const char *index = (path[0] == '\0' || path[strlen(path) - 1] == '/') ? "index.html" : "";
	int n, fd;

	n = snprintf(full, full_size, "%s/%s%s", httpd.root, path, index);
	if (n < 0 || (size_t)n >= full_size)
		return -1;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, st) != 0)
		goto fail;
	if (S_ISDIR(st->st_mode) && index[0] == '\0') {
		close(fd);
		n = snprintf(full, full_size, "%s/%s/index.html", httpd.root, path);
		if (n < 0 || (size_t)n >= full_size)
			return -1;
		fd = open(full, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, st) != 0)
			goto fail;
	}
	if (S_ISREG(st->st_mode))
		return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static int conn_static(struct httpd_conn *c, const struct http_request *r, const char *path, int *status,
		       size_t *length)
{
	char full[PATH_MAX];
	struct stat st;
	int fd, head_only = r->method == HTTP_HEAD;

	fd = httpd_open(path, full, sizeof(full), &st);
	if (fd < 0) {
		*status = 404;
		return conn_error(c, 404, head_only, r->keep_alive, r->minor, "");
	}
	*status = 200;
	*length = (size_t)st.st_size;
	if (conn_head(c, 200, http_content_type(full), (size_t)st.st_size, r->keep_alive, r->minor, "") != 0) {
		close(fd);
		return -1;
	}
	if (head_only || st.st_size == 0) {
		close(fd);
		return 0;
	}
	c->file = fd;
	c->file_left = st.st_size;
	/* The head and the file's start leave in one send: a small file is one segment, not two. */
	return conn_refill(c);
}

static const char *httpd_method_name(enum http_method m)
{
	return m == HTTP_GET ? "GET" : m == HTTP_HEAD ? "HEAD" : m == HTTP_POST ? "POST" : "other";
}

/* Queues the response to a parsed request whose body, if any, is at c->in + r->head_len. */
static int conn_answer(struct httpd_conn *c, const struct http_request *r)
{
	char path[HTTP_TARGET_MAX + 1], text[96];
	int status, rc, head_only = r->method == HTTP_HEAD;
	int readable = r->method == HTTP_GET || r->method == HTTP_HEAD;
	size_t length = 0;

	httpd.requests++;
	if (http_target_to_path(r->target, r->target_len, path, sizeof(path)) != 0) {
		status = 400;
		rc = conn_error(c, status, head_only, r->keep_alive, r->minor, "");
	} else if (strcmp(path, "hello") == 0) {
		status = readable ? 200 : 405;
		if (readable) {
			length = (size_t)snprintf(text, sizeof(text), "Hello from Mica httpd, request %lu\n",
						  httpd.requests);
			rc = conn_reply(c, 200, "text/plain; charset=utf-8", text, length, head_only,
					r->keep_alive, r->minor, "");
		} else {
			rc = conn_error(c, 405, 0, r->keep_alive, r->minor, "Allow: GET, HEAD\r\n");
		}
	} else if (strcmp(path, "echo") == 0) {
		status = r->method == HTTP_POST ? 200 : 405;
		if (status == 200) {
			length = r->content_length;
			rc = conn_reply(c, 200, "application/octet-stream", c->in + r->head_len, length, 0,
					r->keep_alive, r->minor, "");
		} else {
			rc = conn_error(c, 405, head_only, r->keep_alive, r->minor, "Allow: POST\r\n");
		}
	} else if (readable) {
		rc = conn_static(c, r, path, &status, &length);
	} else {
		status = 405;
		rc = conn_error(c, 405, 0, r->keep_alive, r->minor, "Allow: GET, HEAD\r\n");
	}
	if (!httpd.quiet)
		printf("httpd: %s %.*s %d %zu\n", httpd_method_name(r->method),
		       (int)(r->target_len < 200 ? r->target_len : 200), r->target, status, length);
	return rc;
}

/*
 * Starts answering the next complete request in the input buffer, if there is one. A malformed
 * one gets its error and the connection closes after it, since its framing cannot be trusted.
 */
static void conn_next_request(struct httpd_conn *c)
{
	struct http_request r;
	int rc;

	if (c->responding || c->in_len == 0)
		return;
	rc = http_parse_request(c->in, c->in_len, HTTPD_BODY_MAX, &r);
	if (rc == HTTP_PARSE_MORE)
		return;
	if (rc != HTTP_PARSE_DONE) {
		c->responding = 1;
		c->close_after = 1;
		c->linger = 1;
		c->consumed = c->in_len;
		if (conn_error(c, rc, 0, 0, 1, "") != 0)
			c->out_len = 0;
		if (!httpd.quiet)
			printf("httpd: malformed request: %d\n", rc);
		return;
	}
	if (r.has_body && c->in_len - r.head_len < r.content_length)
		return;
	c->responding = 1;
	c->close_after = !r.keep_alive;
	c->consumed = r.head_len + (r.has_body ? r.content_length : 0);
	if (conn_answer(c, &r) != 0) {
		/* Out of memory or a head that does not fit: nothing sensible can be sent. */
		c->out_len = c->out_off = 0;
		c->close_after = 1;
	}
}

/*
 * Sends what is queued, refilling from the file, until the socket is full or the response is
 * done; then answers pipelined requests the same way. Returns -1 when the connection is closed.
 */
static int conn_flush(struct httpd_conn *c)
{
	ssize_t n;

	while (c->responding) {
		if (c->out_off == c->out_len && c->file >= 0 && conn_refill(c) != 0)
			goto close;
		if (c->out_off < c->out_len) {
			n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				httpd_watch(c->fd, c, &c->watching, EPOLLOUT);
				return 0;
			}
			if (n <= 0)
				goto close;
			c->out_off += (size_t)n;
			continue;
		}
		if (c->file >= 0)
			continue;
		/* The response is out. */
		c->out_off = c->out_len = 0;
		if (c->close_after && c->linger) {
			c->responding = 0;
			shutdown(c->fd, SHUT_WR);
			break;
		}
		if (c->close_after)
			goto close;
		memmove(c->in, c->in + c->consumed, c->in_len - c->consumed);
		c->in_len -= c->consumed;
		c->consumed = 0;
		c->responding = 0;
		conn_next_request(c);
	}
	httpd_watch(c->fd, c, &c->watching, EPOLLIN);
	return 0;
close:
	conn_close(c);
	return -1;
}

/* Reads what the socket has, as far as the buffer may grow; -1 when the connection is closed. */
static int conn_read(struct httpd_conn *c)
{
	size_t cap;
	ssize_t n;
	char *p;

	for (;;) {
		if (c->in_len == c->in_cap) {
			if (c->in_cap == HTTPD_IN_MAX)
				return 0;
			cap = c->in_cap == 0 ? HTTPD_IN_FIRST : c->in_cap * 2;
			if (cap > HTTPD_IN_MAX)
				cap = HTTPD_IN_MAX;
			p = realloc(c->in, cap);
			if (p == NULL)
				break;
			c->in = p;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			/* A short read emptied the socket: asking again would only return EAGAIN. */
			if (c->in_len < c->in_cap)
				return 0;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		break;
	}
	conn_close(c);
	return -1;
}

/* Discards what a lingering connection receives; closes it at its end or past HTTPD_DRAIN_MAX. */
static void conn_drain(struct httpd_conn *c)
{
	char scratch[4096];
	ssize_t n;

	for (;;) {
		n = recv(c->fd, scratch, sizeof(scratch), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0 || (c->drained += (size_t)n) > HTTPD_DRAIN_MAX)
			break;
	}
	conn_close(c);
}

static void conn_event(struct httpd_conn *c, uint32_t events)
{
	if (c->linger && !c->responding) {
		conn_drain(c);
		return;
	}
	if ((events & EPOLLIN) && !c->responding) {
		if (conn_read(c) != 0)
			return;
		conn_next_request(c);
		/* A full buffer that still holds no complete request cannot happen: the parser says 413 first. */
	} else if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLOUT)) {
		conn_close(c);
		return;
	}
	conn_flush(c);
}

static void httpd_accept(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct httpd_conn *c;
	int fd, one = 1;

	for (;;) {
		if (httpd.conns >= HTTPD_MAX_CONNS)
			goto pause;
		fd = accept4(httpd.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				goto pause;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fprintf(stderr, "httpd: accept: %s\n", strerror(errno));
			return;
		}
		/* Responses go out in one send each; Nagle would hold the tail of one for an ACK. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			goto pause;
		}
		c->fd = fd;
		c->file = -1;
		c->watching = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(httpd.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			fprintf(stderr, "httpd: epoll_ctl: %s\n", strerror(errno));
			close(fd);
			free(c);
			return;
		}
		httpd.conns++;
	}
pause:
	/* Level-triggered accept would spin while nothing can be accepted: stop listening until a close. */
	httpd.accept_paused = 1;
	httpd_watch(httpd.listen_fd, NULL, &httpd.listen_watching, 0);
}

static int httpd_listen(int port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				    .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int one = 1;

	httpd.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (httpd.listen_fd < 0) {
		fprintf(stderr, "httpd: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(httpd.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(httpd.listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		fprintf(stderr, "httpd: bind to port %d: %s\n", port, strerror(errno));
		return -1;
	}
	if (listen(httpd.listen_fd, SOMAXCONN) != 0) {
		fprintf(stderr, "httpd: listen: %s\n", strerror(errno));
		return -1;
	}
	httpd.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (httpd.epfd < 0 || epoll_ctl(httpd.epfd, EPOLL_CTL_ADD, httpd.listen_fd, &ev) != 0) {
		fprintf(stderr, "httpd: epoll: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int httpd_usage(FILE *to, int status)
{
	fprintf(to, "usage: httpd [--port N] [--root DIR] [--quiet] [--help]\n");
	return status;
}

int main(int argc, char **argv)
{
	struct epoll_event events[HTTPD_EVENTS];
	struct stat st;
	char *end;
	long port = 80;
	int i, n;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			errno = 0;
			port = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || end == argv[i] || port < 1 || port > 65535) {
				fprintf(stderr, "httpd: --port '%s' is not a port number\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			httpd.root = argv[++i];
		} else if (strcmp(argv[i], "--quiet") == 0) {
			httpd.quiet = 1;
		} else if (strcmp(argv[i], "--help") == 0) {
			return httpd_usage(stdout, 0);
		} else {
			return httpd_usage(stderr, 2);
		}
	}
	if (stat(httpd.root, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "httpd: docroot %s is not a directory\n", httpd.root);
		return 1;
	}
	if (httpd_listen((int)port) != 0)
		return 1;
	printf("httpd: listening on :%ld\n", port);
	fflush(stdout);

	for (;;) {
		n = epoll_wait(httpd.epfd, events, HTTPD_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "httpd: epoll_wait: %s\n", strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (events[i].data.ptr == NULL)
				httpd_accept();
			else
				conn_event(events[i].data.ptr, events[i].events);
		}
		if (!httpd.quiet)
			fflush(stdout);
	}
}
