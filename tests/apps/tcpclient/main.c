/*
 * Test guest: the guest as a TCP client. Connects to the IPv4 literal HOST on PORT, sends LINE
 * (default "hello from mica") and a newline, prints "tcpclient: reply: TEXT" for the first reply
 * line and exits 0; any failure is one "tcpclient: ..." line on stderr and exit 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int tcpclient_fail(const char *what)
{
	fprintf(stderr, "tcpclient: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	const char *line = argc > 3 ? argv[3] : "hello from mica";
	char out[512], reply[512];
	size_t got = 0, sent = 0, len;
	char *end;
	long port;
	ssize_t n;
	int fd;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: tcpclient HOST PORT [LINE]\n");
		return 2;
	}
	port = strtol(argv[2], &end, 10);
	if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 || *end != '\0' || port < 1 || port > 65535) {
		fprintf(stderr, "tcpclient: '%s' '%s' is not an IPv4 address and a port\n", argv[1], argv[2]);
		return 2;
	}
	addr.sin_port = htons((uint16_t)port);
	len = (size_t)snprintf(out, sizeof(out), "%s\n", line);
	if (len >= sizeof(out)) {
		fprintf(stderr, "tcpclient: the line is longer than %zu bytes\n", sizeof(out) - 2);
		return 2;
	}

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return tcpclient_fail("socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		return tcpclient_fail("connect");
	while (sent < len) {
		n = send(fd, out + sent, len - sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return tcpclient_fail("send");
		sent += (size_t)n;
	}
	/* The reply's first line; a server may send it in pieces. */
	while (got < sizeof(reply) - 1 && memchr(reply, '\n', got) == NULL) {
		n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tcpclient_fail("recv");
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	reply[got] = '\0';
	reply[strcspn(reply, "\r\n")] = '\0';
	if (got == 0) {
		fprintf(stderr, "tcpclient: the server closed without replying\n");
		return 1;
	}
	printf("tcpclient: reply: %s\n", reply);
	return 0;
}
