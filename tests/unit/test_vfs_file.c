/* unit-sources: lib/vfs/mem.c lib/vfs/inode.c lib/vfs/dir.c lib/vfs/data.c lib/vfs/path.c lib/vfs/namei.c lib/vfs/fd.c lib/vfs/console.c lib/vfs/cpio.c lib/vfs/init.c lib/vfs/sys_rw.c lib/vfs/sys_fd.c lib/vfs/sys_open.c lib/vfs/sys_stat.c lib/vfs/sys_names.c lib/vfs/sys_dir.c lib/vfs/sys_poll.c lib/vfs/file.c lib/vfs/wait.c lib/vfs/epoll.c lib/vfs/eventfd.c lib/vfs/mount.c */
/*
 * Host test of files other libraries serve (vfs_file_open_ops): every call that dispatches on a
 * file's kind, fd lifetime and release, O_NONBLOCK, and poll, select and vfs_wait_ready on them,
 * with one thread. The platform's wait is faked: it runs the test's hook (another thread or an
 * event, as far as the waiter can tell) and moves the clock to the deadline when nothing comes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>
#include <mica/sched.h>
#include <mica/vfs_file.h>
#include "../../lib/vfs/vfs.h"
#include "../../lib/vfs/sys.h"
#include "unit.h"

/* ------------------------------------------------------------------------- fake platform */

/* Console input may still come, so a read of it waits: the waiting is faked here, below. */
#define FAKE_VFS_CONSOLE_EOF false
#define FAKE_VFS_OWN_WAIT
#include "fake_vfs_plat.h"

static uint64_t fake_now = 1000;
static unsigned blocks;
/* Runs when the guest would block: what another thread or an event handler does meanwhile. */
static void (*block_hook)(void);

void plat_block(uint64_t deadline_ns)
{
	void (*hook)(void) = block_hook;

	blocks++;
	if (hook != NULL) {
		block_hook = NULL;
		hook();
		return;
	}
	if (deadline_ns == UINT64_MAX) {
		unit_check(0, "no wait without an end", "blocked forever with nothing to come");
		exit(unit_exit_status());
	}
	if (deadline_ns > fake_now)
		fake_now = deadline_ns;
}

uint64_t plat_time_ns(void)
{
	return fake_now;
}

uint64_t plat_wallclock_ns(void)
{
	return fake_now;
}

static unsigned wakes;

void sched_wake(struct sched_thread *t)
{
	(void)t;
	wakes++;
}

bool sched_block_until(uint64_t deadline_ns)
{
	plat_block(deadline_ns);
	return plat_time_ns() < deadline_ns;
}

/* What the vfs asked the console's event to call, and whether this console has events at all. */
static void (*console_event_fn)(void);
static bool console_evented = true;

bool plat_console_on_event(void (*fn)(void))
{
	console_event_fn = fn;
	return console_evented;
}

/* ----------------------------------------------------------------------------- checking */

static char group_detail[512];
static int group_bad;

static void expect(long got, long want, const char *what)
{
	if (got == want || group_bad)
		return;
	snprintf(group_detail, sizeof(group_detail), "%s: got %ld, want %ld", what, got, want);
	group_bad = 1;
}

static void group_end(const char *name)
{
	unit_check(!group_bad, name, "%s", group_detail);
	group_bad = 0;
}

#define SYS(name, ...) vfs_sys_##name(SYS_ARGS6(__VA_ARGS__, 0, 0, 0, 0, 0, 0))
#define SYS_ARGS6(a, b, c, d, e, f, ...) (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)

/* ---------------------------------------------------------------- a file whose state the test sets */

struct fake {
	short ready;       /* what poll answers */
	int released;      /* release calls */
	int reads, writes; /* calls */
	bool last_nonblocking;
	long last_ioctl;
};

static long fake_read(struct vfs_file *f, void *buf, size_t len)
{
	struct fake *k = vfs_file_priv(f);

	k->reads++;
	k->last_nonblocking = vfs_file_nonblocking(f);
	if (!(k->ready & POLLIN)) {
		if (vfs_file_nonblocking(f))
			return -EAGAIN;
		vfs_wait_ready(f, POLLIN, UINT64_MAX);
	}
	memset(buf, 'r', len > 3 ? 3 : len);
	return len > 3 ? 3 : (long)len;
}

static long fake_write(struct vfs_file *f, const void *buf, size_t len)
{
	struct fake *k = vfs_file_priv(f);

	(void)buf;
	k->writes++;
	return (long)len;
}

static short fake_poll(struct vfs_file *f)
{
	return ((struct fake *)vfs_file_priv(f))->ready;
}

static long fake_ioctl(struct vfs_file *f, unsigned int req, long arg)
{
	struct fake *k = vfs_file_priv(f);

	k->last_ioctl = arg;
	return req == FIONREAD ? 42 : -ENOTTY;
}

static void fake_release(struct vfs_file *f)
{
	((struct fake *)vfs_file_priv(f))->released++;
}

static const struct vfs_file_ops fake_ops = {
	.name = "fake",
	.read = fake_read,
	.write = fake_write,
	.poll = fake_poll,
	.ioctl = fake_ioctl,
	.release = fake_release,
};

/* Only a release: reads and writes are -EINVAL, ioctls -ENOTTY, poll always ready. */
static const struct vfs_file_ops bare_ops = {
	.name = "bare",
	.release = fake_release,
};

/* The file a hook makes ready, as another thread or an event would. */
static struct fake *hook_target;

static void hook_make_readable(void)
{
	hook_target->ready |= POLLIN;
	vfs_poll_notify();
}

/* -------------------------------------------------------------------------------- tests */

static void test_ops_basics(void)
{
	struct fake k = {.ready = POLLOUT};
	struct stat st;
	char buf[16];
	void *priv = NULL;
	int fd = vfs_file_open_ops(&fake_ops, &k, S_IFSOCK, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	expect(fd, 3, "lowest free fd after the console's");
	expect(SYS(fstat, fd, &st), 0, "fstat");
	expect(S_ISSOCK(st.st_mode), 1, "a socket");
	expect(st.st_mode & 07777, 0777, "rwxrwxrwx as Linux shows sockets");
	expect((long)st.st_nlink, 1, "one link");
	expect(vfs_file_of(fd, &fake_ops, &priv) != NULL, 1, "vfs_file_of its ops");
	expect(priv == &k, 1, "its priv");
	expect(vfs_file_priv(vfs_file_of(fd, &fake_ops, NULL)) == &k, 1, "vfs_file_priv");
	expect(vfs_file_of(fd, &bare_ops, NULL) == NULL, 1, "not a file of other ops");
	expect(vfs_file_of(0, &fake_ops, NULL) == NULL, 1, "nor the console");
	expect(vfs_file_of(77, &fake_ops, NULL) == NULL, 1, "nor a closed fd");
	expect(SYS(fcntl, fd, F_GETFD), FD_CLOEXEC, "O_CLOEXEC became FD_CLOEXEC");
	expect(SYS(fcntl, fd, F_GETFL), O_RDWR | O_NONBLOCK, "F_GETFL: access mode and O_NONBLOCK");

	struct vfs_file *f = vfs_file_of(fd, &fake_ops, NULL);
	expect(vfs_file_nonblocking(f), 1, "nonblocking as opened");
	expect(SYS(fcntl, fd, F_SETFL, 0), 0, "F_SETFL 0");
	expect(vfs_file_nonblocking(f), 0, "now blocking");
	expect(SYS(fcntl, fd, F_SETFL, O_NONBLOCK), 0, "F_SETFL O_NONBLOCK");
	expect(vfs_file_nonblocking(f), 1, "nonblocking again");
	int off = 0;
	expect(SYS(ioctl, fd, FIONBIO, &off), 0, "FIONBIO 0");
	expect(vfs_file_nonblocking(f), 0, "FIONBIO cleared it");

	k.ready = POLLIN;
	expect(SYS(read, fd, buf, sizeof(buf)), 3, "read goes to the ops");
	expect(k.reads, 1, "one read call");
	expect(SYS(write, fd, "hello", 5), 5, "write goes to the ops");
	expect(k.writes, 1, "one write call");
	expect(SYS(lseek, fd, 0, SEEK_SET), -ESPIPE, "lseek");
	expect(SYS(pread64, fd, buf, 1, 0), -ESPIPE, "pread");
	expect(SYS(pwrite64, fd, "x", 1, 0), -ESPIPE, "pwrite");
	expect(SYS(ioctl, fd, FIONREAD, 7), 42, "ioctl goes to the ops");
	expect(k.last_ioctl, 7, "with its argument");
	expect(SYS(ioctl, fd, TCGETS, buf), -ENOTTY, "an ioctl the ops refuse");
	expect(SYS(fsync, fd), -EINVAL, "fsync");
	expect(SYS(ftruncate, fd, 0), -EINVAL, "ftruncate");
	expect(SYS(getdents64, fd, buf, sizeof(buf)), -ENOTDIR, "getdents64");
	expect(SYS(fchdir, fd), -ENOTDIR, "fchdir");
	expect(SYS(openat, fd, "x", O_RDONLY), -ENOTDIR, "openat relative to it");

	long d1 = SYS(dup, fd), d2 = SYS(dup2, fd, 40);
	expect(d1, 4, "dup");
	expect(d2, 40, "dup2");
	expect(SYS(fcntl, d1, F_GETFD), 0, "dup clears FD_CLOEXEC");
	expect(SYS(close, fd), 0, "close the first");
	expect(SYS(close, d1), 0, "close the dup");
	expect(k.released, 0, "not released while fd 40 holds it");
	expect(SYS(write, 40, "ab", 2), 2, "the last fd still works");
	expect(SYS(dup2, 1, 40), 40, "dup2 over the last fd");
	expect(k.released, 1, "released once, with the last reference");
	SYS(close, 40);
	expect(k.released, 1, "and never again");
	group_end("ops file: fd calls, fstat, ESPIPE, O_NONBLOCK, dup, release with the last reference");

	struct fake a = {0};
	fd = vfs_file_open_ops(&bare_ops, &a, 0, O_RDONLY);
	expect(SYS(fstat, fd, &st), 0, "fstat anon");
	expect(st.st_mode, 0600, "anonymous inode: no type, rw-------");
	expect(SYS(read, fd, buf, 1), -EINVAL, "no read op");
	expect(SYS(write, fd, buf, 1), -EBADF, "opened read-only");
	expect(SYS(fcntl, fd, F_GETFL), O_RDONLY, "access mode kept");
	expect(SYS(ioctl, fd, FIONREAD, buf), -ENOTTY, "no ioctl op");
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
	expect(SYS(poll, &p, 1, 0), 1, "no poll op: ready");
	expect(p.revents, POLLIN | POLLOUT, "for both");
	SYS(close, fd);
	expect(a.released, 1, "released on close");
	expect(vfs_file_open_ops(&bare_ops, &a, S_IFREG, O_RDWR), -EINVAL, "a regular file type");
	expect(vfs_file_open_ops(&bare_ops, &a, S_IFSOCK, O_ACCMODE), -EINVAL, "a bad access mode");

	/* A full table: -EMFILE, and the caller's priv is untouched. */
	int filled = 0;
	while (SYS(dup, 0) >= 0)
		filled++;
	a.released = 0;
	expect(vfs_file_open_ops(&bare_ops, &a, S_IFSOCK, O_RDWR), -EMFILE, "EMFILE");
	expect(a.released, 0, "no release on failure");
	for (int i = 3; i < 3 + filled; i++)
		SYS(close, i);
	expect(vfs_file_open_ops(&bare_ops, &a, S_IFSOCK, O_RDWR), 3, "fds free again");
	SYS(close, 3);
	group_end("ops file: anonymous inodes, missing ops, bad arguments, EMFILE");
}

static void test_ops_readv_poll(void)
{
	struct fake k = {.ready = POLLIN};
	char b1[2], b2[8];
	struct iovec iov[2] = {{b1, sizeof(b1)}, {b2, sizeof(b2)}};
	int fd = vfs_file_open_ops(&fake_ops, &k, S_IFSOCK, O_RDWR);

	expect(SYS(readv, fd, iov, 2), 5, "readv: both buffers");
	expect(k.reads, 2, "two reads");
	expect(k.last_nonblocking, 1, "the second may not wait");
	expect(vfs_file_nonblocking(vfs_file_of(fd, &fake_ops, NULL)), 0, "the file is blocking again");
	group_end("ops file: readv waits only for its first read");

	struct pollfd p[3] = {{.fd = fd, .events = POLLOUT}, {.fd = 99, .events = POLLIN}, {.fd = -1}};
	k.ready = POLLIN;
	expect(SYS(poll, p, 3, 0), 1, "only the closed fd counts");
	expect(p[0].revents, 0, "POLLOUT not ready, POLLIN not asked");
	expect(p[1].revents, POLLNVAL, "closed fd: POLLNVAL");
	k.ready = POLLIN | POLLHUP;
	expect(SYS(poll, p, 1, 0), 1, "hang-up is always reported");
	expect(p[0].revents, POLLHUP, "POLLHUP");

	k.ready = 0;
	hook_target = &k;
	block_hook = hook_make_readable;
	blocks = 0;
	p[0].events = POLLIN;
	expect(SYS(poll, p, 1, -1), 1, "poll waits until the file becomes ready");
	expect(p[0].revents, POLLIN, "POLLIN");
	expect(blocks, 1, "one wait");

	k.ready = 0;
	uint64_t before = fake_now;
	expect(SYS(poll, p, 1, 250), 0, "poll times out");
	expect(fake_now - before, 250000000, "at its deadline");
	struct timespec ts = {0, 1000000000};
	expect(SYS(ppoll, p, 1, &ts), -EINVAL, "ppoll: nanoseconds out of range");

	k.ready = 0;
	block_hook = hook_make_readable;
	k.reads = 0;
	expect(SYS(read, fd, b2, sizeof(b2)), 3, "a blocking read waits through vfs_wait_ready");
	expect(k.reads, 1, "in one read call");
	k.ready = 0;
	before = fake_now;
	struct vfs_file *f = vfs_file_of(fd, &fake_ops, NULL);
	expect(vfs_wait_ready(f, POLLIN, fake_now + 5000), -ETIMEDOUT, "vfs_wait_ready times out");
	expect(fake_now - before, 5000, "at its deadline");
	k.ready = POLLERR;
	expect(vfs_wait_ready(f, POLLIN, fake_now + 5000), 0, "an error ends the wait");
	SYS(close, fd);
	group_end("ops file: poll masks, POLLHUP, POLLNVAL, waiting for readiness and timeouts");
}

static void test_notify(void)
{
	uint64_t gen = vfs_poll_generation();

	wakes = 0;
	vfs_poll_notify();
	expect(vfs_poll_generation() != gen, 1, "a notification moves the generation");
	expect(wakes, 0, "nobody to wake");
	blocks = 0;
	vfs_wait(gen, fake_now + 1000, false);
	expect(blocks, 0, "a wait after a change it did not see does not sleep");
	gen = vfs_poll_generation();
	block_hook = vfs_poll_notify;
	vfs_wait(gen, UINT64_MAX, false);
	expect(blocks, 1, "a wait sleeps");
	expect(wakes, 1, "and the notification woke its thread");
	vfs_poll_notify();
	expect(wakes, 1, "once: it left the list");
	gen = vfs_poll_generation();
	expect(console_event_fn != NULL, 1, "the vfs registered for console events");
	if (console_event_fn != NULL)
		console_event_fn();
	expect(vfs_poll_generation() != gen, 1, "console input is a readiness change");
	group_end("notify: generation, wake once, no sleep after an unseen change, console events");
}

/* console_poll_blocks EVENTED: the waits of one poll of the console (fd 0) that times out after 1 s. */
static unsigned console_poll_blocks(bool evented)
{
	struct pollfd p = {.fd = 0, .events = POLLIN};
	uint64_t before = fake_now;

	console_evented = evented;
	vfs_wait_init();
	blocks = 0;
	expect(SYS(poll, &p, 1, 1000), 0, "a poll of the console with no input times out");
	expect(fake_now - before, 1000000000, "after 1 s");
	return blocks;
}

static void test_console_wait(void)
{
	expect(console_poll_blocks(true), 1, "waits of an evented console: one to the deadline");
	expect(console_poll_blocks(false), 50, "waits of a polled console: one per 20 ms");
	console_evented = true;
	vfs_wait_init();
	group_end("console waits: to the deadline when the console has events, every 20 ms when polled");
}

static void set_fd(uint64_t *set, int fd)
{
	set[fd / 64] |= 1ULL << (fd % 64);
}

static bool has_fd(const uint64_t *set, int fd)
{
	return (set[fd / 64] >> (fd % 64)) & 1;
}

static void test_select(void)
{
	struct fake a = {.ready = POLLIN}, b = {.ready = POLLOUT}, c = {.ready = POLLIN | POLLOUT};
	uint64_t r[16], w[16], e[16];
	int fa = vfs_file_open_ops(&fake_ops, &a, S_IFSOCK, O_RDWR);
	int fb = vfs_file_open_ops(&fake_ops, &b, S_IFSOCK, O_RDWR);
	int fc = vfs_file_open_ops(&fake_ops, &c, S_IFSOCK, O_RDWR);
	struct timeval tv = {0, 0};

	memset(r, 0, sizeof(r));
	memset(w, 0, sizeof(w));
	memset(e, 0, sizeof(e));
	set_fd(r, fa), set_fd(r, fb), set_fd(r, fc);
	set_fd(w, fa), set_fd(w, fb), set_fd(w, fc);
	set_fd(e, fc);
	expect(SYS(select, fc + 1, r, w, e, &tv), 4, "each set counts its own");
	expect(has_fd(r, fa) && !has_fd(r, fb) && has_fd(r, fc), 1, "readable: a and c");
	expect(!has_fd(w, fa) && has_fd(w, fb) && has_fd(w, fc), 1, "writable: b and c");
	expect(has_fd(e, fc), 0, "no exceptional condition");

	memset(r, 0, sizeof(r));
	set_fd(r, fa);
	set_fd(r, 900);
	expect(SYS(select, fa + 1, r, NULL, NULL, &tv), 1, "bits at and past nfds are not fds of the call");
	set_fd(r, 900);
	expect(SYS(select, 901, r, NULL, NULL, &tv), -EBADF, "a closed fd in a set");
	memset(r, 0, sizeof(r));
	set_fd(r, fa);
	expect(SYS(select, 5000, r, NULL, NULL, &tv), 1, "nfds past FD_SETSIZE is cut to it");
	expect(SYS(select, -1, r, NULL, NULL, &tv), -EINVAL, "negative nfds");
	long opath = SYS(open, "/", O_PATH);
	memset(w, 0, sizeof(w));
	set_fd(w, (int)opath);
	expect(SYS(select, opath + 1, NULL, w, NULL, &tv), -EBADF, "an O_PATH fd");
	SYS(close, opath);
	tv.tv_usec = 1000000;
	expect(SYS(select, 1, NULL, NULL, NULL, &tv), -EINVAL, "microseconds out of range");

	a.ready = 0;
	memset(r, 0, sizeof(r));
	set_fd(r, fa);
	tv = (struct timeval){1, 500000};
	uint64_t before = fake_now;
	expect(SYS(select, fa + 1, r, NULL, NULL, &tv), 0, "select times out");
	expect(fake_now - before, 1500000000, "after 1.5 s");
	expect(tv.tv_sec == 0 && tv.tv_usec == 0, 1, "no time left in the timeval");
	expect(has_fd(r, fa), 0, "the set is cleared");

	set_fd(r, fa);
	hook_target = &a;
	block_hook = hook_make_readable;
	expect(SYS(select, fa + 1, r, NULL, NULL, NULL), 1, "select waits for readiness");
	expect(has_fd(r, fa), 1, "and reports it");

	struct timespec ts = {0, 1000};
	memset(w, 0, sizeof(w));
	set_fd(w, fa);
	a.ready = 0;
	before = fake_now;
	expect(SYS(pselect6, fa + 1, NULL, w, NULL, &ts, NULL), 0, "pselect6 times out");
	expect(fake_now - before, 1000, "after 1 us");
	ts.tv_nsec = -1;
	expect(SYS(pselect6, 1, NULL, NULL, NULL, &ts, NULL), -EINVAL, "pselect6: bad timespec");
	SYS(close, fa);
	SYS(close, fb);
	SYS(close, fc);
	group_end("select and pselect6: sets, nfds, EBADF, EINVAL, timeouts, waiting");
}

int main(void)
{
	if (vfs_init() != 0) {
		unit_check(0, "vfs_init", NULL);
		return unit_exit_status();
	}
	test_ops_basics();
	test_ops_readv_poll();
	test_notify();
	test_console_wait();
	test_select();
	return unit_exit_status();
}
