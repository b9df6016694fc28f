/*
 * Snapshot test guest for devices: uses xenstore, a raw disk, a mounted file system or a NIC before
 * mica_ready, and the same again after it, printing what it saw on each side so that a restored
 * instance (with another disk file) can be checked from the host. Modes (argv[1]):
 *   xs   writes data/before and sets a watch on data/w; after: reads both, waits for the watch
 *   raw  opens disk 0 with blkfront and reads sector 0; after: reads it again, writes sector 1
 *   fs   reads /data/hello.txt (--mount /data=disk0); after: reads it, writes /data/after.txt
 *   net  binds UDP port 7007; after: answers each datagram with "echo: " and it until "quit"
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <mica/blkfront.h>
#include <mica/plat.h>
#include <mica/ready.h>
#include <mica/xenstore.h>

#define SNAPDEV_WAIT_NS 5000000000ull
#define SNAPDEV_TOKEN "snapdev"

static int snapdev_restored;

static void snapdev_xs_read(const char *when, const char *path)
{
	char v[64];
	int n = xs_read(path, v, sizeof(v));
	if (n < 0)
		printf("%s: xs_read %s: error %d\n", when, path, n);
	else
		printf("%s: xs_read %s = %s\n", when, path, v);
}

static int snapdev_xs(void)
{
	if (xs_write("data/before", "saved") != 0 || xs_watch("data/w", SNAPDEV_TOKEN) != 0 ||
	    xs_wait_watch(SNAPDEV_TOKEN, NULL, 0, plat_time_ns() + SNAPDEV_WAIT_NS) != 0) {
		printf("before: xenstore failed\n");
		return 1;
	}
	snapdev_xs_read("before", "data/before");
	snapdev_restored = mica_ready();
	printf("after: restored=%d\n", snapdev_restored);
	snapdev_xs_read("after", "data/before");
	snapdev_xs_read("after", "device/vbd/0/name");
	/* A watch set again on resume fires once (a cold run took its first event already), then on each change. */
	int first = snapdev_restored ? xs_wait_watch(SNAPDEV_TOKEN, NULL, 0, plat_time_ns() + SNAPDEV_WAIT_NS) : 0;
	int change = xs_write("data/w", "1");
	if (change == 0)
		change = xs_wait_watch(SNAPDEV_TOKEN, NULL, 0, plat_time_ns() + SNAPDEV_WAIT_NS);
	printf("after: watch first %d change %d\n", first, change);
	return 0;
}

/* The first bytes of sector 0 as text (the host writes a line there). */
static void snapdev_show(const char *when, struct blkfront *bf, unsigned char *sec)
{
	struct blkfront_info info;
	blkfront_get_info(bf, &info);
	int rc = blkfront_read(bf, 0, sec, 1);
	size_t n = 0;
	while (rc == 0 && n < 48 && sec[n] >= ' ' && sec[n] < 127)
		n++;
	printf("%s: sectors %llu name %s read %d: %.*s\n", when, (unsigned long long)info.sectors, info.name, rc,
	       (int)n, (const char *)sec);
}

static int snapdev_raw(void)
{
	static unsigned char sec[512], back[512];
	struct blkfront *bf = blkfront_open(0);
	if (!bf) {
		printf("before: no disk\n");
		return 1;
	}
	snapdev_show("before", bf, sec);
	snapdev_restored = mica_ready();
	printf("after: restored=%d\n", snapdev_restored);
	snapdev_show("after", bf, sec);
	memset(sec, 0, sizeof(sec));
	snprintf((char *)sec, sizeof(sec), "snapdev wrote this after restored=%d\n", snapdev_restored);
	int w = blkfront_write(bf, 1, sec, 1);
	int f = w == 0 ? blkfront_flush(bf) : w;
	int r = f == 0 ? blkfront_read(bf, 1, back, 1) : f;
	printf("after: write %d flush %d read back %d %s\n", w, f, r,
	       r == 0 && memcmp(sec, back, sizeof(sec)) == 0 ? "same" : "DIFFERENT");
	return 0;
}

static void snapdev_cat(const char *when, const char *path)
{
	char buf[128];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n < 0)
		printf("%s: %s: %s\n", when, path, strerror(errno));
	else
		printf("%s: %s: %.*s", when, path, (int)n, buf);
	if (fd >= 0)
		close(fd);
}

static int snapdev_fs(void)
{
	snapdev_cat("before", "/data/hello.txt");
	snapdev_restored = mica_ready();
	printf("after: restored=%d\n", snapdev_restored);
	snapdev_cat("after", "/data/hello.txt");
	int fd = open("/data/after.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	static const char text[] = "written after the restore\n";
	int ok = fd >= 0 && write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1) && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	printf("after: write %s\n", ok ? "ok" : strerror(errno));
	snapdev_cat("after", "/data/after.txt");
	return 0;
}

/* Up to 60 s without a datagram ends the wait: a test that lost the guest's NIC fails, never hangs. */
static int snapdev_net(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(7007)};
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
		printf("before: cannot bind: %s\n", strerror(errno));
		return 1;
	}
	printf("before: bound\n");
	fflush(stdout);
	snapdev_restored = mica_ready();
	printf("after: restored=%d\n", snapdev_restored);
	fflush(stdout);
	unsigned int served = 0;
	for (;;) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		if (poll(&p, 1, 60000) != 1) {
			printf("after: no datagram within 60 s\n");
			break;
		}
		char buf[512];
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(s, buf + 6, sizeof(buf) - 6, 0, (struct sockaddr *)&from, &flen);
		if (n < 0 || (n == 4 && memcmp(buf + 6, "quit", 4) == 0))
			break;
		memcpy(buf, "echo: ", 6);
		if (sendto(s, buf, (size_t)n + 6, 0, (struct sockaddr *)&from, flen) == n + 6)
			served++;
	}
	printf("after: served %u\n", served);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int rc = strcmp(mode, "xs") == 0 ? snapdev_xs() : strcmp(mode, "raw") == 0 ? snapdev_raw()
		 : strcmp(mode, "fs") == 0 ? snapdev_fs() : strcmp(mode, "net") == 0 ? snapdev_net()
		 : (printf("usage: snapdev xs|raw|fs|net\n"), 2);
	fflush(stdout);
	return rc;
}
