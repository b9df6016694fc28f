/* Host TAP devices for netback: /dev/net/tun, TUNSETIFF, and the errors a user can act on. */
#include "dev/tap.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Brings a TAP mica made up: the host side configures addresses, but a down link drops every frame. */
static int tap_up(const char *name)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return rc;
}

int tap_open(const char *name, char *err, size_t errlen)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			snprintf(err, errlen, "no /dev/net/tun on this host (load the tun module: modprobe tun)");
		else if (errno == EACCES || errno == EPERM)
			snprintf(err, errlen, "no permission to open /dev/net/tun");
		else
			snprintf(err, errlen, "cannot open /dev/net/tun (%s)", strerror(errno));
		return -1;
	}
	bool existed = if_nametoindex(name) != 0;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		int e = errno;
		if (e == EPERM || e == EACCES)
			snprintf(err, errlen,
				 "no permission to %s TAP %s: it needs CAP_NET_ADMIN, or a persistent TAP this user "
				 "owns (ip tuntap add %s mode tap user USER)",
				 existed ? "attach" : "create", name, name);
		else if (e == EBUSY)
			snprintf(err, errlen, "TAP %s is busy: another process has it open", name);
		else if (e == EINVAL && existed)
			snprintf(err, errlen, "%s exists and is not a TAP device", name);
		else
			snprintf(err, errlen, "cannot %s TAP %s (%s)", existed ? "attach" : "create", name, strerror(e));
		close(fd);
		return -1;
	}
	if (!existed && tap_up(name) != 0) {
		snprintf(err, errlen, "cannot bring up TAP %s (%s)", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
