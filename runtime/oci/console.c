/* process.terminal: a pty whose master goes to the engine over --console-socket (SCM_RIGHTS). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "oci/console.h"

static int oci_console_send(const char *socket_path, int master, const char *name, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "--console-socket %.64s...: path too long for a unix socket", socket_path);
		return -1;
	}
	strcpy(addr.sun_path, socket_path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		snprintf(err, errlen, "--console-socket %.200s: cannot connect: %s", socket_path, strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(s, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	int e = errno;
	close(s);
	if (n < 0) {
		snprintf(err, errlen, "--console-socket %.200s: cannot send the pty: %s", socket_path, strerror(e));
		return -1;
	}
	return 0;
}

int oci_console_setup(const char *socket_path, char *err, size_t errlen)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
		snprintf(err, errlen, "cannot open a pty for process.terminal: %s", strerror(errno));
		if (master >= 0)
			close(master);
		return -1;
	}
	char name[64];
	if (ptsname_r(master, name, sizeof(name)) != 0) {
		snprintf(err, errlen, "cannot name the pty: %s", strerror(errno));
		close(master);
		return -1;
	}
	int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		snprintf(err, errlen, "cannot open the pty %s: %s", name, strerror(errno));
		close(master);
		return -1;
	}
	int rc = oci_console_send(socket_path, master, name, err, errlen);
	close(master);
	if (rc != 0) {
		close(slave);
		return -1;
	}
	return slave;
}
