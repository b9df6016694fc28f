/* unit-sources: lib/vfs/mem.c lib/vfs/inode.c lib/vfs/dir.c lib/vfs/data.c lib/vfs/path.c lib/vfs/namei.c lib/vfs/fd.c lib/vfs/console.c lib/vfs/cpio.c lib/vfs/init.c lib/vfs/sys_rw.c lib/vfs/sys_fd.c lib/vfs/sys_open.c lib/vfs/sys_stat.c lib/vfs/sys_names.c lib/vfs/sys_dir.c lib/vfs/sys_poll.c lib/vfs/file.c lib/vfs/wait.c lib/vfs/epoll.c lib/vfs/eventfd.c lib/vfs/mount.c */
/*
 * Host test of lib/vfs through its system call handlers: the initrd unpacked at init, the
 * console fds, path resolution edge cases, the O_* flags, file data, getdents64, rename and
 * unlink semantics, fds, and every kind of malformed cpio archive. The platform is faked here:
 * console output is captured, console input is staged and "arrives" when the guest blocks,
 * and pages come from the host's aligned_alloc, counted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>
#include "../../lib/vfs/vfs.h"
#include "../../lib/vfs/sys.h"
#include <mica/sched.h>
#include "unit.h"

/* ------------------------------------------------------------------------- fake platform */

static char console_out[1 << 16];
static size_t console_out_len;
static char input_avail[256], input_staged[256];
static size_t input_avail_len, input_staged_len;
static unsigned blocks;
static uint64_t fake_now = 1000;
static struct plat_memregion fake_initrd;
static long pages_out, page_budget = -1;

void plat_console_write(const char *buf, size_t len)
{
	if (len > sizeof(console_out) - console_out_len)
		len = sizeof(console_out) - console_out_len;
	memcpy(console_out + console_out_len, buf, len);
	console_out_len += len;
}

size_t plat_console_read(char *buf, size_t len)
{
	size_t n = len < input_avail_len ? len : input_avail_len;

	memcpy(buf, input_avail, n);
	memmove(input_avail, input_avail + n, input_avail_len - n);
	input_avail_len -= n;
	return n;
}

/* Set when the test's console input has ended, like host stdin at EOF. */
static bool input_ended;

bool plat_console_eof(void)
{
	return input_ended && input_avail_len == 0;
}

/* Staged input arrives when the guest waits; with none staged, only a deadline can end the wait. */
void plat_block(uint64_t deadline_ns)
{
	blocks++;
	if (input_staged_len != 0) {
		memcpy(input_avail + input_avail_len, input_staged, input_staged_len);
		input_avail_len += input_staged_len;
		input_staged_len = 0;
		return;
	}
	if (deadline_ns == UINT64_MAX) {
		unit_check(0, "no wait without an end", "plat_block(UINT64_MAX) with no input to come");
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
	return 1700000000ULL * 1000000000ULL + fake_now;
}

/* One thread: waiting is the platform's wait, and input ends it as the console's event would. */
struct sched_thread *sched_current(void)
{
	return NULL;
}

void sched_wake(struct sched_thread *t)
{
	(void)t;
}

bool sched_block_until(uint64_t deadline_ns)
{
	plat_block(deadline_ns);
	return plat_time_ns() < deadline_ns;
}

/* Input arrives only when the guest blocks here: the console's event needs no callback. */
bool plat_console_on_event(void (*fn)(void))
{
	(void)fn;
	return false;
}

struct plat_memregion plat_initrd(void)
{
	return fake_initrd;
}

void *page_alloc(size_t npages)
{
	void *p;

	if (npages == 0 || npages > (1u << 20))
		return NULL;
	if (page_budget >= 0) {
		if ((long)npages > page_budget)
			return NULL;
		page_budget -= (long)npages;
	}
	p = aligned_alloc(4096, npages * 4096);
	if (p != NULL)
		pages_out += (long)npages;
	return p;
}

void page_free(void *p, size_t npages)
{
	if (p == NULL)
		return;
	free(p);
	pages_out -= (long)npages;
}

static void stage_input(const char *s)
{
	input_staged_len = strlen(s);
	memcpy(input_staged, s, input_staged_len);
}

/* ----------------------------------------------------------------------------- checking */

/* One verdict per group of expectations; the first mismatch is the detail. */
static char group_detail[512];
static int group_bad;

static const char *errname(long v)
{
	static char buf[64];

	if (v < 0 && v > -4096 && strerrorname_np((int)-v) != NULL)
		snprintf(buf, sizeof(buf), "-%s", strerrorname_np((int)-v));
	else
		snprintf(buf, sizeof(buf), "%ld", v);
	return buf;
}

static void expect(long got, long want, const char *what)
{
	char g[64];

	if (got == want || group_bad)
		return;
	snprintf(g, sizeof(g), "%s", errname(got));
	snprintf(group_detail, sizeof(group_detail), "%s: got %s, want %s", what, g, errname(want));
	group_bad = 1;
}

static void group_end(const char *name)
{
	unit_check(!group_bad, name, "%s", group_detail);
	group_bad = 0;
}

/* Handlers take six raw longs; missing arguments are 0. */
#define SYS(name, ...) vfs_sys_##name(SYS_ARGS6(__VA_ARGS__, 0, 0, 0, 0, 0, 0))
#define SYS_ARGS6(a, b, c, d, e, f, ...) (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)

static long put_file(const char *path, const char *data)
{
	long fd = SYS(open, path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	if (fd < 0)
		return fd;
	long r = SYS(write, fd, data, strlen(data));
	SYS(close, fd);
	return r;
}

/* The file's whole content as a string (static buffer), or an error text. */
static const char *get_file(const char *path)
{
	static char buf[8192];
	long fd = SYS(open, path, O_RDONLY), n;

	if (fd < 0)
		return errname(fd);
	n = SYS(read, fd, buf, sizeof(buf) - 1);
	SYS(close, fd);
	if (n < 0)
		return errname(n);
	buf[n] = '\0';
	return buf;
}

static void expect_str(const char *got, const char *want, const char *what)
{
	if (strcmp(got, want) == 0 || group_bad)
		return;
	snprintf(group_detail, sizeof(group_detail), "%s: got \"%.100s\", want \"%.100s\"", what, got, want);
	group_bad = 1;
}

static struct stat st_of(const char *path, int flags)
{
	struct stat st;

	memset(&st, 0xff, sizeof(st));
	if (SYS(newfstatat, AT_FDCWD, path, &st, flags) != 0)
		memset(&st, 0, sizeof(st));
	return st;
}

static struct vfs_inode *inode_of(const char *path)
{
	struct vfs_path p;

	return vfs_lookup(vfs_root, path, 0, &p) == 0 ? p.inode : NULL;
}

/* ------------------------------------------------------------------------ cpio archives */

struct archive {
	unsigned char buf[1 << 16];
	size_t len;
};

static void ar_bytes(struct archive *a, const void *p, size_t n)
{
	if (n == 0)
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void ar_pad(struct archive *a)
{
	while (a->len % 4 != 0)
		a->buf[a->len++] = 0;
}

/* A header with every field given, then namesize bytes of name (not necessarily its string). */
static void ar_header(struct archive *a, const char *magic, const unsigned f[13])
{
	char hdr[112];

	snprintf(hdr, sizeof(hdr), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic, f[0], f[1], f[2],
		 f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12]);
	ar_bytes(a, hdr, 110);
}

static void ar_entry_full(struct archive *a, const char *name, unsigned mode, const void *data, size_t size,
			  unsigned ino, unsigned nlink)
{
	unsigned f[13] = {ino, mode, 0, 0, nlink, 1600000000, (unsigned)size, 0, 0, 0, 0,
			  (unsigned)strlen(name) + 1, 0};

	ar_header(a, "070701", f);
	ar_bytes(a, name, strlen(name) + 1);
	ar_pad(a);
	ar_bytes(a, data, size);
	ar_pad(a);
}

static void ar_entry(struct archive *a, const char *name, unsigned mode, const char *data)
{
	static unsigned ino = 100;

	ar_entry_full(a, name, mode, data, data != NULL ? strlen(data) : 0, ino++, S_ISDIR(mode) ? 2 : 1);
}

static void ar_trailer(struct archive *a)
{
	ar_entry_full(a, "TRAILER!!!", 0, NULL, 0, 0, 1);
}

static long console_lines_with(const char *needle)
{
	long n = 0;
	char *s = console_out, *end = console_out + console_out_len;

	while (s < end) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);

		if (memmem(s, len, needle, strlen(needle)) != NULL)
			n++;
		s += len + 1;
	}
	return n;
}

/* -------------------------------------------------------------------------------- tests */

static struct archive initrd;

static void build_initrd(void)
{
	static const char big[] = "0123456789abcdef";
	char data[10000];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = big[i % 16];
	ar_entry(&initrd, ".", S_IFDIR | 0755, NULL);
	ar_entry(&initrd, "./etc", S_IFDIR | 0750, NULL);
	ar_entry(&initrd, "etc/hello", S_IFREG | 0644, "hello, initrd\n");
	ar_entry(&initrd, "etc/link", S_IFLNK | 0777, "hello");
	ar_entry(&initrd, "/bin", S_IFDIR | 0755, NULL);
	ar_entry_full(&initrd, "bin/sh", S_IFREG | 0755, data, sizeof(data), 7, 1);
	ar_entry(&initrd, "dev", S_IFDIR | 0755, NULL);
	ar_entry(&initrd, "dev/console", S_IFCHR | 0600, NULL);
	/* Hard links the way GNU cpio writes them: the data with the last name only. */
	ar_entry_full(&initrd, "etc/a", S_IFREG | 0600, NULL, 0, 42, 2);
	ar_entry_full(&initrd, "etc/b", S_IFREG | 0600, "linked", 6, 42, 2);
	/* A broken entry ends the unpacking; what came before stays. */
	ar_entry(&initrd, "etc/../escape", S_IFREG | 0644, "x");
	ar_entry(&initrd, "after", S_IFREG | 0644, "x");
	ar_trailer(&initrd);
}

static void test_init(void)
{
	struct stat st;

	build_initrd();
	fake_initrd.start = (uintptr_t)initrd.buf;
	fake_initrd.end = (uintptr_t)initrd.buf + initrd.len;
	expect(vfs_init(), 0, "vfs_init");
	expect_str(get_file("/etc/hello"), "hello, initrd\n", "etc/hello");
	expect_str(get_file("/etc/link"), "hello, initrd\n", "etc/link followed");
	st = st_of("/etc", 0);
	expect(st.st_mode, S_IFDIR | 0750, "etc mode");
	expect(st.st_nlink, 2, "etc nlink");
	expect(st_of("/etc/hello", 0).st_mtime, 1600000000, "file mtime from the archive");
	st = st_of("/bin/sh", 0);
	expect(st.st_size, 10000, "bin/sh size");
	expect(st.st_mode, S_IFREG | 0755, "bin/sh mode");
	expect(SYS(access, "/bin/sh", X_OK), 0, "bin/sh executable");
	expect(SYS(access, "/etc/hello", X_OK), -EACCES, "etc/hello not executable");
	expect(SYS(access, "/dev/console", F_OK), -ENOENT, "devices are skipped");
	expect(SYS(access, "/dev", F_OK), 0, "dev directory");
	expect_str(get_file("/etc/a"), "linked", "hard link a");
	expect_str(get_file("/etc/b"), "linked", "hard link b");
	expect(st_of("/etc/a", 0).st_nlink, 2, "hard link count");
	expect(st_of("/etc/a", 0).st_ino == st_of("/etc/b", 0).st_ino, 1, "one inode for both names");
	expect(SYS(access, "/escape", F_OK), -ENOENT, "no escape");
	expect(SYS(access, "/after", F_OK), -ENOENT, "nothing after the bad entry");
	expect(console_lines_with("mica: initrd: etc/../escape: name has a \"..\" component"), 1,
	       "one console line for the bad entry");
	st = st_of("/", 0);
	expect(st.st_nlink, 5, "root nlink: its own two and etc, bin, dev");
	group_end("init unpacks the initrd, stops at a bad entry with one line");
}

static void test_console(void)
{
	char buf[64];
	unsigned char tio[64];
	struct winsize ws;
	struct stat st;
	struct iovec iov[2];
	struct pollfd pfd = {.fd = 0, .events = POLLIN};

	console_out_len = 0;
	expect(SYS(write, 1, "out\n", 4), 4, "write fd 1");
	expect(SYS(write, 2, "err\n", 4), 4, "write fd 2");
	expect(console_out_len == 8 && memcmp(console_out, "out\nerr\n", 8) == 0, 1, "console got both");
	iov[0] = (struct iovec){"ab", 2};
	iov[1] = (struct iovec){"cd\n", 3};
	expect(SYS(writev, 1, iov, 2), 5, "writev");
	expect(memcmp(console_out + 8, "abcd\n", 5) == 0, 1, "writev order");
	group_end("console: writes on fds 1 and 2");

	blocks = 0;
	stage_input("typed\n");
	expect(SYS(read, 0, buf, sizeof(buf)), 6, "read blocks until input");
	expect(blocks, 1, "one wait");
	expect(memcmp(buf, "typed\n", 6) == 0, 1, "input bytes");
	stage_input("xyz");
	iov[0] = (struct iovec){buf, 2};
	iov[1] = (struct iovec){buf + 2, 10};
	expect(SYS(readv, 0, iov, 2), 3, "readv takes what arrived, waits once");
	expect(SYS(fcntl, 0, F_SETFL, O_NONBLOCK), 0, "F_SETFL O_NONBLOCK");
	expect(SYS(read, 0, buf, 1), -EAGAIN, "nonblocking read with nothing there");
	expect(SYS(fcntl, 0, F_GETFL) & O_NONBLOCK, O_NONBLOCK, "F_GETFL shows it");
	expect(SYS(fcntl, 0, F_SETFL, 0), 0, "back to blocking");
	expect(SYS(poll, &pfd, 1, 0), 0, "poll: no input");
	expect(pfd.revents, 0, "no revents");
	input_avail_len = 0;
	memcpy(input_avail, "q", 1);
	input_avail_len = 1;
	expect(SYS(poll, &pfd, 1, -1), 1, "poll: input waiting");
	expect(pfd.revents, POLLIN, "POLLIN");
	expect(SYS(read, 0, buf, 8), 1, "poll kept the byte it saw");
	expect(buf[0], 'q', "that byte");
	uint64_t before = fake_now;
	expect(SYS(poll, &pfd, 1, 5), 0, "poll times out");
	expect(fake_now - before >= 5000000, 1, "after 5 ms");
	stage_input("late");
	expect(SYS(poll, &pfd, 1, -1), 1, "poll waits for input");
	expect(SYS(read, 0, buf, 8), 4, "and it is read");
	group_end("console: blocking and nonblocking reads, poll");

	memcpy(input_avail, "end", 3);
	input_avail_len = 3;
	input_ended = true;
	expect(SYS(read, 0, buf, 8), 3, "input before the end is read first");
	blocks = 0;
	expect(SYS(read, 0, buf, 8), 0, "then read returns 0: end of file");
	expect(blocks, 0, "without waiting");
	expect(SYS(poll, &pfd, 1, -1), 1, "poll: the end counts as readable");
	input_ended = false;
	group_end("console: end of input is end of file");

	memset(tio, 0xee, sizeof(tio));
	expect(SYS(ioctl, 0, TCGETS, tio), 0, "TCGETS");
	uint32_t lflag;
	memcpy(&lflag, tio + 12, 4);
	expect((lflag & (ICANON | ECHO)) == (ICANON | ECHO), 1, "cooked mode with echo");
	expect(tio[17 + VINTR], 3, "VINTR is ^C");
	expect(tio[36], 0xee, "36 bytes only");
	expect(SYS(ioctl, 1, TIOCGWINSZ, &ws), 0, "TIOCGWINSZ");
	expect(ws.ws_row == 24 && ws.ws_col == 80, 1, "80x24");
	expect(SYS(ioctl, 1, TIOCSTI, "x"), -ENOTTY, "other ioctl");
	expect(SYS(ioctl, 1, TCGETS, NULL), -EFAULT, "TCGETS without buffer");
	expect(SYS(fstat, 1, &st), 0, "fstat console");
	expect(S_ISCHR(st.st_mode), 1, "a character device");
	expect(SYS(lseek, 0, 0, SEEK_SET), -ESPIPE, "lseek console");
	expect(SYS(pread64, 0, buf, 1, 0), -ESPIPE, "pread console");
	long fd = SYS(open, "/etc/hello", O_RDONLY);
	expect(SYS(ioctl, fd, TIOCGWINSZ, &ws), -ENOTTY, "regular file is no tty");
	expect(SYS(ioctl, fd, TCGETS, tio), -ENOTTY, "TCGETS on a file");
	expect(SYS(ioctl, fd, FIOCLEX), 0, "FIOCLEX on a file");
	expect(SYS(fcntl, fd, F_GETFD), FD_CLOEXEC, "FIOCLEX took");
	SYS(close, fd);
	expect(SYS(ioctl, 99, TCGETS, tio), -EBADF, "ioctl on a closed fd");
	group_end("console: termios, window size, ENOTTY elsewhere");
}

static void test_paths(void)
{
	char name[300], longpath[4200];

	expect(SYS(mkdir, "/p", 0755), 0, "mkdir /p");
	expect(SYS(mkdir, "/p/d/", 0755), 0, "mkdir with trailing slash");
	expect(put_file("/p/d/f", "data"), 4, "file");
	expect_str(get_file("//p///d//f"), "data", "repeated slashes");
	expect_str(get_file("/p/./d/../d/./f"), "data", ". and ..");
	expect_str(get_file("/../../p/d/f"), "data", ".. at the root stays there");
	expect(SYS(chdir, "/p"), 0, "chdir");
	expect_str(get_file("d/f"), "data", "relative");
	expect_str(get_file("./d/f"), "data", "relative with .");
	expect_str(get_file("../p/d/f"), "data", "relative with ..");
	expect(SYS(access, "d/", F_OK), 0, "trailing slash on a directory");
	expect(SYS(access, "d/f/", F_OK), -ENOTDIR, "trailing slash on a file");
	expect(SYS(access, "d/f/x", F_OK), -ENOTDIR, "file as a directory");
	expect(SYS(access, "d/nope/x", F_OK), -ENOENT, "missing directory");
	expect(SYS(access, "d/nope", F_OK), -ENOENT, "missing file");
	expect(SYS(access, "", F_OK), -ENOENT, "empty path");
	expect(SYS(access, NULL, F_OK), -EFAULT, "NULL path");
	group_end("paths: absolute, relative, dots, slashes");

	expect(SYS(symlink, "d/f", "/p/rel"), 0, "relative symlink");
	expect(SYS(symlink, "/p/d", "/p/abs"), 0, "absolute symlink");
	expect(SYS(symlink, "rel", "/p/chain"), 0, "symlink to symlink");
	expect(SYS(symlink, "loop2", "/p/loop1"), 0, "loop1");
	expect(SYS(symlink, "loop1", "/p/loop2"), 0, "loop2");
	expect(SYS(symlink, "nowhere", "/p/dangling"), 0, "dangling");
	expect(SYS(symlink, "", "/p/empty"), -ENOENT, "empty target");
	expect_str(get_file("/p/rel"), "data", "relative target");
	expect_str(get_file("/p/abs/f"), "data", "through an absolute symlink");
	expect_str(get_file("/p/chain"), "data", "chain");
	expect(SYS(access, "/p/loop1", F_OK), -ELOOP, "loop");
	expect(SYS(access, "/p/dangling", F_OK), -ENOENT, "dangling");
	expect(st_of("/p/dangling", AT_SYMLINK_NOFOLLOW).st_mode, S_IFLNK | 0777, "lstat of dangling");
	expect(st_of("/p/dangling", AT_SYMLINK_NOFOLLOW).st_size, 7, "symlink size");
	expect(SYS(access, "/p/abs/", F_OK), 0, "trailing slash follows");
	expect(SYS(access, "/p/rel/", F_OK), -ENOTDIR, "trailing slash through link to a file");
	/* 40 links in a row resolve; 41 do not. */
	expect(SYS(mkdir, "/p/n", 0755), 0, "mkdir n");
	expect(SYS(symlink, "/p/d/f", "/p/n/0"), 0, "n/0");
	for (int i = 1; i <= 40; i++) {
		char target[16], path[32];

		snprintf(target, sizeof(target), "%d", i - 1);
		snprintf(path, sizeof(path), "/p/n/%d", i);
		expect(SYS(symlink, target, path), 0, "chain link");
	}
	expect_str(get_file("/p/n/39"), "data", "40 symlinks");
	expect(SYS(open, "/p/n/40", O_RDONLY), -ELOOP, "41 symlinks");
	group_end("paths: symlinks, loops, the 40-link limit");

	memset(name, 'n', 255);
	name[255] = '\0';
	expect(SYS(mkdir, name, 0755), 0, "255-byte name");
	expect(SYS(access, name, F_OK), 0, "found");
	memset(name, 'n', 256);
	name[256] = '\0';
	expect(SYS(mkdir, name, 0755), -ENAMETOOLONG, "256-byte name");
	size_t n = 0;
	while (n < 4090) {
		memcpy(longpath + n, "./", 2);
		n += 2;
	}
	longpath[n] = '\0';
	expect(SYS(access, longpath, F_OK), 0, "4090-byte path");
	while (n < 4096) {
		memcpy(longpath + n, "./", 2);
		n += 2;
	}
	longpath[n] = '\0';
	expect(SYS(access, longpath, F_OK), -ENAMETOOLONG, "4096-byte path");
	group_end("paths: ENAMETOOLONG past 255 and 4095 bytes");

	long dfd = SYS(open, "/p/d", O_RDONLY | O_DIRECTORY);
	long ffd = SYS(open, "/p/d/f", O_RDONLY);
	struct stat st;
	expect(dfd >= 0, 1, "open dir");
	long fd = SYS(openat, dfd, "f", O_RDONLY);
	expect(fd >= 0, 1, "openat relative to dirfd");
	SYS(close, fd);
	expect(SYS(openat, ffd, "f", O_RDONLY), -ENOTDIR, "dirfd is a file");
	expect(SYS(openat, 999, "f", O_RDONLY), -EBADF, "bad dirfd");
	fd = SYS(openat, 999, "/p/d/f", O_RDONLY);
	expect(fd >= 0, 1, "absolute path ignores dirfd");
	SYS(close, fd);
	expect(SYS(newfstatat, ffd, "", &st, AT_EMPTY_PATH), 0, "AT_EMPTY_PATH on a file");
	expect(st.st_size, 4, "its size");
	expect(SYS(newfstatat, ffd, "", &st, 0), -ENOENT, "empty path without AT_EMPTY_PATH");
	expect(SYS(newfstatat, AT_FDCWD, "", &st, AT_EMPTY_PATH), 0, "AT_EMPTY_PATH on the cwd");
	expect(S_ISDIR(st.st_mode), 1, "is a directory");
	expect(SYS(newfstatat, dfd, "f", &st, 0x10000), -EINVAL, "unknown flag");
	expect(SYS(newfstatat, AT_FDCWD, "/p/rel", &st, AT_SYMLINK_NOFOLLOW), 0, "no follow");
	expect(S_ISLNK(st.st_mode), 1, "the link itself");
	expect(SYS(stat, "/p/rel", &st), 0, "stat follows");
	expect(S_ISREG(st.st_mode), 1, "the file");
	expect(SYS(lstat, "/p/rel", &st), 0, "lstat");
	expect(S_ISLNK(st.st_mode), 1, "the link");
	expect(SYS(faccessat, dfd, "f", R_OK | W_OK), 0, "faccessat");
	expect(SYS(faccessat2, AT_FDCWD, "/p/dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0, "faccessat2 nofollow");
	expect(SYS(faccessat2, ffd, "", R_OK, AT_EMPTY_PATH), 0, "faccessat2 empty path");
	expect(SYS(access, "/p", 8), -EINVAL, "bad access mode");
	SYS(close, dfd);
	SYS(close, ffd);
	group_end("paths: dirfds, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW");

	char buf[16];
	expect(SYS(readlink, "/p/rel", buf, sizeof(buf)), 3, "readlink");
	expect(memcmp(buf, "d/f", 3) == 0, 1, "target");
	expect(SYS(readlink, "/p/rel", buf, 2), 2, "readlink truncates");
	expect(SYS(readlink, "/p/d/f", buf, sizeof(buf)), -EINVAL, "not a symlink");
	expect(SYS(readlink, "/p/none", buf, sizeof(buf)), -ENOENT, "missing");
	expect(SYS(readlink, "/p/rel", buf, 0), -EINVAL, "zero size");
	expect(SYS(readlinkat, AT_FDCWD, "chain", buf, sizeof(buf)), 3, "readlinkat relative");
	group_end("readlink");
	SYS(chdir, "/");
}

static void test_open_flags(void)
{
	char buf[32];
	long fd;

	expect(SYS(mkdir, "/o", 0700), 0, "mkdir");
	fd = SYS(open, "/o/new", O_CREAT | O_EXCL | O_RDWR, 0640);
	expect(fd >= 0, 1, "create");
	expect(st_of("/o/new", 0).st_mode, S_IFREG | 0640, "mode");
	SYS(close, fd);
	expect(SYS(open, "/o/new", O_CREAT | O_EXCL | O_RDWR, 0640), -EEXIST, "O_EXCL on existing");
	expect(SYS(symlink, "target", "/o/dl"), 0, "dangling link");
	expect(SYS(open, "/o/dl", O_CREAT | O_EXCL | O_WRONLY, 0600), -EEXIST, "O_EXCL on a dangling symlink");
	fd = SYS(open, "/o/dl", O_CREAT | O_WRONLY, 0600);
	expect(fd >= 0, 1, "O_CREAT through a dangling symlink");
	SYS(close, fd);
	expect(SYS(access, "/o/target", F_OK), 0, "created its target");
	expect(SYS(open, "/o/dl", O_RDONLY | O_NOFOLLOW), -ELOOP, "O_NOFOLLOW");
	fd = SYS(open, "/o/dl", O_PATH | O_NOFOLLOW);
	expect(fd >= 0, 1, "O_PATH|O_NOFOLLOW opens the link");
	expect(SYS(read, fd, buf, 1), -EBADF, "no reading an O_PATH fd");
	SYS(close, fd);
	expect(SYS(open, "/o/new", O_RDONLY | O_DIRECTORY), -ENOTDIR, "O_DIRECTORY on a file");
	expect(SYS(open, "/o", O_WRONLY), -EISDIR, "directory for writing");
	expect(SYS(open, "/o", O_RDONLY | O_CREAT, 0600), -EISDIR, "O_CREAT on a directory");
	expect(SYS(open, "/o/x/", O_CREAT | O_WRONLY, 0600), -EISDIR, "O_CREAT with a trailing slash");
	expect(SYS(open, "/o/missing", O_RDONLY), -ENOENT, "missing without O_CREAT");
	expect(SYS(open, "/o/new", O_RDWR | O_TMPFILE, 0600), -EOPNOTSUPP, "O_TMPFILE");
	group_end("open: O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_PATH");

	expect(put_file("/o/t", "0123456789"), 10, "file");
	fd = SYS(open, "/o/t", O_WRONLY | O_TRUNC);
	expect(st_of("/o/t", 0).st_size, 0, "O_TRUNC");
	expect(SYS(read, fd, buf, 1), -EBADF, "read on O_WRONLY");
	SYS(close, fd);
	fd = SYS(open, "/o/t", O_RDONLY);
	expect(SYS(write, fd, "x", 1), -EBADF, "write on O_RDONLY");
	expect(SYS(ftruncate, fd, 0), -EINVAL, "ftruncate on O_RDONLY");
	SYS(close, fd);
	put_file("/o/t", "abc");
	fd = SYS(open, "/o/t", O_WRONLY | O_APPEND);
	expect(SYS(lseek, fd, 0, SEEK_SET), 0, "seek to 0");
	expect(SYS(write, fd, "de", 2), 2, "append");
	expect(SYS(pwrite64, fd, "f", 1, 0), 1, "pwrite appends too");
	SYS(close, fd);
	expect_str(get_file("/o/t"), "abcdef", "O_APPEND wrote at the end");
	fd = SYS(open, "/o/t", O_RDONLY | O_CLOEXEC);
	expect(SYS(fcntl, fd, F_GETFD), FD_CLOEXEC, "O_CLOEXEC recorded");
	expect(SYS(fcntl, fd, F_GETFL) & O_ACCMODE, O_RDONLY, "access mode");
	SYS(close, fd);
	fd = SYS(creat, "/o/c", 0644);
	expect(SYS(fcntl, fd, F_GETFL) & O_ACCMODE, O_WRONLY, "creat is O_WRONLY");
	SYS(close, fd);
	group_end("open: O_TRUNC, O_APPEND, O_CLOEXEC, access modes");
}

static void test_data(void)
{
	static char big[3 * 4096 + 100], back[sizeof(big)];
	char buf[64];
	long fd = SYS(open, "/data", O_CREAT | O_RDWR, 0600);

	expect(SYS(lseek, fd, 10000, SEEK_SET), 10000, "seek past the end");
	expect(SYS(write, fd, "end", 3), 3, "write there");
	expect(st_of("/data", 0).st_size, 10003, "size");
	expect(SYS(pread64, fd, buf, 10, 4090), 10, "read across the gap");
	int zero = 1;
	for (int i = 0; i < 10; i++)
		zero &= buf[i] == 0;
	expect(zero, 1, "the gap reads as zeros");
	expect(SYS(pread64, fd, buf, 64, 10000), 3, "short read at the end");
	expect(SYS(read, fd, buf, 1), 0, "read at EOF");
	expect(SYS(lseek, fd, -3, SEEK_END), 10000, "SEEK_END");
	expect(SYS(lseek, fd, 1, SEEK_CUR), 10001, "SEEK_CUR");
	expect(SYS(lseek, fd, -20000, SEEK_CUR), -EINVAL, "negative");
	expect(SYS(lseek, fd, 0, 7), -EINVAL, "bad whence");
	expect(SYS(lseek, fd, 5, SEEK_DATA), 5, "SEEK_DATA");
	expect(SYS(lseek, fd, 5, SEEK_HOLE), 10003, "SEEK_HOLE");
	expect(SYS(lseek, fd, 10003, SEEK_DATA), -ENXIO, "SEEK_DATA at the end");
	expect(SYS(pread64, fd, buf, 1, -1), -EINVAL, "pread negative offset");

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 1);
	expect(SYS(pwrite64, fd, big, sizeof(big), 1), (long)sizeof(big), "multi-page pwrite");
	expect(SYS(pread64, fd, back, sizeof(back), 1), (long)sizeof(back), "read back");
	expect(memcmp(big, back, sizeof(big)) == 0, 1, "same bytes");
	expect(SYS(lseek, fd, 0, SEEK_CUR), 10003, "pread/pwrite leave the offset (SEEK_HOLE put it at the end)");
	expect(SYS(ftruncate, fd, 5000), 0, "shrink");
	expect(SYS(ftruncate, fd, 9000), 0, "grow again");
	expect(SYS(pread64, fd, buf, 10, 4998), 10, "read across the old end");
	expect(buf[0] == big[4997] && buf[1] == big[4998] && buf[2] == 0 && buf[9] == 0, 1,
	       "bytes cut by truncate come back as zeros");
	expect(SYS(ftruncate, fd, -1), -EINVAL, "negative length");
	expect(SYS(truncate, "/data", 3), 0, "truncate by path");
	expect(st_of("/data", 0).st_size, 3, "size 3");
	expect(SYS(truncate, "/", 0), -EISDIR, "truncate a directory");
	expect(SYS(fsync, fd), 0, "fsync");
	expect(SYS(fdatasync, fd), 0, "fdatasync");
	expect(SYS(fsync, 500), -EBADF, "fsync bad fd");
	SYS(close, fd);
	group_end("data: lseek past the end and write zero-fills, truncate, pread/pwrite");

	/* Out of pages: a write stops short, then fails with ENOSPC. */
	fd = SYS(open, "/full", O_CREAT | O_RDWR, 0600);
	SYS(write, fd, "x", 1);
	SYS(lseek, fd, 0, SEEK_SET);
	page_budget = 2;
	expect(SYS(write, fd, big, sizeof(big)), 3 * 4096, "short write when pages run out");
	expect(SYS(write, fd, big, sizeof(big)), -ENOSPC, "then ENOSPC");
	page_budget = -1;
	expect(st_of("/full", 0).st_size, 3 * 4096, "size is what was written");
	SYS(close, fd);
	SYS(unlink, "/full");
	group_end("data: ENOSPC when memory runs out");
}

/* Lists a directory with getdents64 and a buffer of bufsize; names joined by spaces, sorted by nothing. */
static long list_dir(const char *path, size_t bufsize, char *out, size_t outsize, int delete_after_first)
{
	char buf[4096];
	long fd = SYS(open, path, O_RDONLY | O_DIRECTORY), n, calls = 0;
	size_t used = 0;

	out[0] = '\0';
	while ((n = SYS(getdents64, fd, buf, bufsize)) > 0) {
		for (long off = 0; off < n;) {
			unsigned short reclen;
			unsigned char type;

			memcpy(&reclen, buf + off + 16, 2);
			type = (unsigned char)buf[off + 18];
			used += (size_t)snprintf(out + used, outsize - used, "%s%s%s", used ? " " : "", buf + off + 19,
						 type == DT_DIR ? "/" : "");
			off += reclen;
		}
		if (calls++ == 0 && delete_after_first)
			SYS(unlinkat, fd, "f3", 0);
	}
	SYS(close, fd);
	return n < 0 ? n : calls;
}

static void test_getdents(void)
{
	char listing[4096], expected[4096];
	size_t used;

	SYS(mkdir, "/g", 0755);
	SYS(mkdir, "/g/sub", 0755);
	used = (size_t)snprintf(expected, sizeof(expected), "./ ../ sub/");
	for (int i = 0; i < 50; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/g/f%d", i);
		put_file(path, "x");
		used += (size_t)snprintf(expected + used, sizeof(expected) - used, " f%d", i);
	}
	expect(list_dir("/g", sizeof(listing), listing, sizeof(listing), 0), 1, "one call for all");
	expect_str(listing, expected, "full listing in creation order");
	expect(list_dir("/g", 32, listing, sizeof(listing), 0), 53, "one entry per call with 32 bytes");
	expect_str(listing, expected, "resumed listing is the same");
	expect(list_dir("/g", 16, listing, sizeof(listing), 0), -EINVAL, "buffer too small for an entry");
	expect(list_dir("/g", 100, listing, sizeof(listing), 1) > 1, 1, "deleting while listing");
	expect(strstr(listing, " f3 ") == NULL && strstr(listing, " f4 ") != NULL, 1,
	       "deleted entry not listed, the rest are");

	char buf[512];
	long fd = SYS(open, "/g", O_RDONLY);
	long n = SYS(getdents64, fd, buf, sizeof(buf));
	expect(n > 0, 1, "first batch");
	long off;
	memcpy(&off, buf + 8, 8);
	expect(SYS(lseek, fd, 0, SEEK_SET), 0, "rewind");
	expect(SYS(getdents64, fd, buf, sizeof(buf)), n, "same batch again");
	expect(SYS(lseek, fd, off, SEEK_SET), off, "seek to d_off of the first");
	SYS(getdents64, fd, buf, sizeof(buf));
	expect_str(buf + 19, "..", "resumes at the second entry");
	expect(SYS(lseek, fd, 0, SEEK_END), -EINVAL, "SEEK_END on a directory");
	SYS(close, fd);
	fd = SYS(open, "/g/f0", O_RDONLY);
	expect(SYS(getdents64, fd, buf, sizeof(buf)), -ENOTDIR, "getdents64 on a file");
	SYS(close, fd);
	fd = SYS(open, "/g", O_RDONLY);
	expect(SYS(read, fd, buf, 1), -EISDIR, "read on a directory");
	SYS(close, fd);
	group_end("getdents64: listing, resumption with small buffers, d_off, rewind");
}

static void test_rename_unlink(void)
{
	char buf[32];
	long fd, before;

	SYS(mkdir, "/r", 0755);
	put_file("/r/a", "new");
	put_file("/r/b", "old");
	fd = SYS(open, "/r/b", O_RDONLY);
	expect(SYS(rename, "/r/a", "/r/b"), 0, "rename over an existing file");
	expect_str(get_file("/r/b"), "new", "b has a's data");
	expect(SYS(access, "/r/a", F_OK), -ENOENT, "a is gone");
	expect(SYS(read, fd, buf, sizeof(buf)), 3, "the replaced file is still open");
	expect(memcmp(buf, "old", 3) == 0, 1, "with its data");
	SYS(close, fd);
	expect(SYS(rename, "/r/b", "/r/b"), 0, "rename to itself");
	expect(SYS(link, "/r/b", "/r/c"), 0, "hard link");
	expect(st_of("/r/b", 0).st_nlink, 2, "nlink 2");
	expect(SYS(rename, "/r/b", "/r/c"), 0, "rename onto another link of itself");
	expect(SYS(access, "/r/b", F_OK), 0, "both names stay");
	expect(SYS(link, "/r", "/r/dirlink"), -EPERM, "no hard links to directories");
	expect(SYS(link, "/r/b", "/r/c"), -EEXIST, "link over an existing name");
	group_end("rename over an existing file; hard links");

	SYS(mkdir, "/r/d1", 0755);
	SYS(mkdir, "/r/d1/in", 0755);
	SYS(mkdir, "/r/d2", 0755);
	put_file("/r/d2/f", "x");
	SYS(mkdir, "/r/d3", 0755);
	expect(SYS(rename, "/r/d1", "/r/d1/in/x"), -EINVAL, "directory into itself");
	expect(SYS(rename, "/r/d1", "/r/d2"), -ENOTEMPTY, "over a non-empty directory");
	expect(SYS(rename, "/r/b", "/r/d3"), -EISDIR, "file over a directory");
	expect(SYS(rename, "/r/d1", "/r/b"), -ENOTDIR, "directory over a file");
	expect(SYS(rename, "/r/b/", "/r/e"), -ENOTDIR, "file with a trailing slash");
	expect(SYS(rename, "/r/nope", "/r/e"), -ENOENT, "missing source");
	expect(SYS(rename, "/r/b", "/r/nodir/e"), -ENOENT, "missing target directory");
	expect(SYS(rename, "/r/d1", "/r/d3"), 0, "directory over an empty directory");
	expect(st_of("/r", 0).st_nlink, 4, "/r: ., .., d2, d3");
	expect(SYS(access, "/r/d3/in", F_OK), 0, "contents moved");
	expect(SYS(rename, "/r/d3/in", "/r/in2"), 0, "move a directory up");
	expect(st_of("/r/d3", 0).st_nlink, 2, "old parent lost a link");
	expect(st_of("/r", 0).st_nlink, 5, "new parent gained one");
	expect(SYS(renameat2, AT_FDCWD, "/r/c", AT_FDCWD, "/r/d2/f", 1), -EEXIST, "RENAME_NOREPLACE");
	expect(SYS(renameat2, AT_FDCWD, "/r/c", AT_FDCWD, "/r/zz", 1), 0, "RENAME_NOREPLACE to a new name");
	expect(SYS(renameat2, AT_FDCWD, "/r/zz", AT_FDCWD, "/r/c", 2), -EINVAL, "RENAME_EXCHANGE unsupported");
	expect(SYS(rename, "/r/.", "/r/x"), -EBUSY, "rename of .");
	expect(SYS(renameat, AT_FDCWD, "/r/zz", AT_FDCWD, "/r/c"), 0, "renameat");
	group_end("rename: directories, EINVAL, ENOTEMPTY, EISDIR, ENOTDIR, NOREPLACE");

	static char data[3 * 4096];
	memset(data, 'u', sizeof(data));
	fd = SYS(open, "/r/open", O_CREAT | O_RDWR, 0600);
	SYS(write, fd, data, sizeof(data));
	struct stat st;
	expect(SYS(unlink, "/r/open"), 0, "unlink an open file");
	expect(SYS(access, "/r/open", F_OK), -ENOENT, "name gone");
	expect(SYS(fstat, fd, &st), 0, "fstat still works");
	expect(st.st_nlink, 0, "nlink 0");
	expect(SYS(pread64, fd, data, sizeof(data), 0), (long)sizeof(data), "data readable");
	expect(data[0] == 'u' && data[sizeof(data) - 1] == 'u', 1, "the same data");
	expect(SYS(write, fd, "more", 4), 4, "and writable");
	long fd2 = SYS(dup, fd);
	before = pages_out;
	SYS(close, fd);
	expect(pages_out, before, "a dup keeps it");
	SYS(close, fd2);
	expect(pages_out, before - 4, "closing the last fd frees its 4 pages");
	group_end("unlink of an open file: readable until the last close");

	expect(SYS(mkdir, "/r/m", 0755), 0, "mkdir");
	expect(SYS(mkdir, "/r/m", 0755), -EEXIST, "mkdir existing");
	expect(SYS(mkdir, "/r/dl", 0755), 0, "mkdir for a symlink");
	expect(SYS(symlink, "m", "/r/sl"), 0, "symlink to a directory");
	expect(SYS(mkdir, "/r/sl", 0755), -EEXIST, "mkdir over a symlink");
	expect(SYS(mkdir, "/r/none/x", 0755), -ENOENT, "mkdir without parent");
	expect(SYS(mkdir, "/", 0755), -EEXIST, "mkdir /");
	put_file("/r/m/f", "x");
	expect(SYS(rmdir, "/r/m"), -ENOTEMPTY, "rmdir non-empty");
	expect(SYS(rmdir, "/r/m/f"), -ENOTDIR, "rmdir a file");
	expect(SYS(rmdir, "/r/m/."), -EINVAL, "rmdir .");
	expect(SYS(rmdir, "/r/m/.."), -ENOTEMPTY, "rmdir ..");
	expect(SYS(rmdir, "/"), -EBUSY, "rmdir /");
	expect(SYS(rmdir, "/r/sl/"), -ENOTDIR, "rmdir through a symlink");
	expect(SYS(unlink, "/r/m"), -EISDIR, "unlink a directory");
	expect(SYS(unlink, "/r/m/f/"), -ENOTDIR, "unlink file/");
	expect(SYS(unlinkat, AT_FDCWD, "/r/m/f", AT_REMOVEDIR), -ENOTDIR, "AT_REMOVEDIR on a file");
	expect(SYS(unlinkat, AT_FDCWD, "/r/m/f", 0), 0, "unlinkat");
	expect(SYS(unlinkat, AT_FDCWD, "/r/m", AT_REMOVEDIR), 0, "AT_REMOVEDIR");
	expect(SYS(unlinkat, AT_FDCWD, "/r/sl", 0x1), -EINVAL, "unknown unlinkat flag");
	expect(SYS(unlink, "/r/sl"), 0, "unlink a symlink (dangling now)");
	expect(SYS(symlink, "x", "/r/dl/"), -EEXIST, "symlink over an existing name");
	expect(SYS(symlink, "x", "/r/new/"), -ENOENT, "symlink with a trailing slash");
	group_end("mkdir, rmdir, unlink, unlinkat errors");
}

static void test_cwd(void)
{
	char buf[64];

	SYS(mkdir, "/w", 0755);
	SYS(mkdir, "/w/x", 0755);
	expect(SYS(chdir, "/w/x"), 0, "chdir");
	expect(SYS(getcwd, buf, sizeof(buf)), 5, "getcwd length with NUL");
	expect_str(buf, "/w/x", "getcwd");
	expect(SYS(getcwd, buf, 4), -ERANGE, "too small");
	expect(SYS(chdir, ".."), 0, "chdir ..");
	expect(SYS(getcwd, buf, sizeof(buf)), 3, "in /w");
	expect(SYS(chdir, "/etc/hello"), -ENOTDIR, "chdir to a file");
	long fd = SYS(open, "/w/x", O_RDONLY | O_DIRECTORY);
	expect(SYS(fchdir, fd), 0, "fchdir");
	SYS(close, fd);
	expect(SYS(rmdir, "/w/x"), 0, "remove the cwd");
	expect(SYS(getcwd, buf, sizeof(buf)), -ENOENT, "getcwd of a removed directory");
	expect(SYS(open, "new", O_CREAT | O_WRONLY, 0600), -ENOENT, "no creating in it");
	expect(SYS(access, "..", F_OK), -ENOENT, "its .. is gone");
	expect(SYS(chdir, "/"), 0, "back to /");
	expect(SYS(getcwd, buf, sizeof(buf)), 2, "/");
	expect_str(buf, "/", "root");
	group_end("cwd: chdir, fchdir, getcwd, a removed cwd");
}

static void test_fds(void)
{
	char buf[8];
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	long fd, fd2;

	put_file("/fds", "abcdef");
	fd = SYS(open, "/fds", O_RDWR);
	fd2 = SYS(dup, fd);
	expect(fd2, fd + 1, "dup takes the lowest free fd");
	SYS(read, fd, buf, 2);
	expect(SYS(read, fd2, buf, 2), 2, "dup shares the offset");
	expect(buf[0], 'c', "at 2");
	expect(SYS(dup2, fd, 100), 100, "dup2");
	expect(SYS(dup2, fd, fd), fd, "dup2 onto itself");
	expect(SYS(dup2, 555, 100), -EBADF, "dup2 of a closed fd");
	expect(SYS(dup2, fd, 5000), -EBADF, "dup2 out of range");
	expect(SYS(dup3, fd, 100, O_CLOEXEC), 100, "dup3 replaces");
	expect(SYS(fcntl, 100, F_GETFD), FD_CLOEXEC, "with O_CLOEXEC");
	expect(SYS(dup3, fd, fd, 0), -EINVAL, "dup3 onto itself");
	expect(SYS(dup3, fd, 101, O_APPEND), -EINVAL, "dup3 bad flag");
	expect(SYS(fcntl, fd, F_DUPFD, 200), 200, "F_DUPFD");
	expect(SYS(fcntl, fd, F_DUPFD_CLOEXEC, 200), 201, "F_DUPFD_CLOEXEC above");
	expect(SYS(fcntl, 201, F_GETFD), FD_CLOEXEC, "cloexec");
	expect(SYS(fcntl, 201, F_SETFD, 0), 0, "F_SETFD");
	expect(SYS(fcntl, 201, F_GETFD), 0, "cleared");
	expect(SYS(fcntl, fd, F_DUPFD, 1024), -EINVAL, "F_DUPFD out of range");
	expect(SYS(fcntl, fd, F_SETFL, O_APPEND | O_RDONLY), 0, "F_SETFL");
	expect(SYS(fcntl, fd, F_GETFL), O_RDWR | O_APPEND, "access mode kept");
	expect(SYS(fcntl, fd, F_GETLK, &lk), 0, "F_GETLK");
	expect(lk.l_type, F_UNLCK, "nothing locked");
	expect(SYS(fcntl, fd, F_SETLK, &lk), 0, "F_SETLK");
	expect(SYS(fcntl, fd, F_SETLKW, &lk), 0, "F_SETLKW");
	expect(SYS(fcntl, fd, 9999), -EINVAL, "unknown command");
	expect(SYS(fcntl, 777, F_GETFD), -EBADF, "bad fd");
	for (long f = 100; f <= 201; f++)
		SYS(close, f);
	SYS(close, fd2);
	expect(SYS(close, fd), 0, "close");
	expect(SYS(close, fd), -EBADF, "close twice");
	expect(SYS(read, fd, buf, 1), -EBADF, "read closed");
	expect(SYS(close, -1), -EBADF, "close -1");
	group_end("fds: dup, dup2, dup3, fcntl, locks that always succeed");

	long opened = 0, last = 0;
	for (;;) {
		long r = SYS(open, "/fds", O_RDONLY);

		if (r < 0) {
			last = r;
			break;
		}
		opened++;
	}
	expect(last, -EMFILE, "EMFILE");
	expect(opened, VFS_FD_MAX - 3, "up to 1024 fds");
	for (long f = 3; f < VFS_FD_MAX; f++)
		SYS(close, f);
	group_end("fds: 1024 at most");

	struct pollfd pfd[3] = {{.fd = 1, .events = POLLOUT}, {.fd = 900, .events = POLLIN}, {.fd = -1}};
	fd = SYS(open, "/fds", O_RDONLY);
	pfd[2].fd = (int)fd;
	pfd[2].events = POLLIN;
	expect(SYS(ppoll, pfd, 3, NULL, NULL, 8), 3, "ppoll");
	expect(pfd[0].revents, POLLOUT, "console writable");
	expect(pfd[1].revents, POLLNVAL, "closed fd");
	expect(pfd[2].revents, POLLIN, "file readable");
	struct timespec bad = {0, 2000000000};
	expect(SYS(ppoll, pfd, 3, &bad, NULL, 8), -EINVAL, "bad timespec");
	SYS(close, fd);
	group_end("poll on files and bad fds");

	expect(SYS(chmod, "/fds", 0600), 0, "chmod");
	expect(st_of("/fds", 0).st_mode, S_IFREG | 0600, "mode changed");
	fd = SYS(open, "/fds", O_RDONLY);
	expect(SYS(fchmod, fd, 04755), 0, "fchmod");
	expect(st_of("/fds", 0).st_mode, S_IFREG | 04755, "setuid bit too");
	expect(SYS(fchmodat, AT_FDCWD, "/fds", 0644), 0, "fchmodat");
	SYS(close, fd);
	group_end("chmod, fchmod, fchmodat");
}

/* ------------------------------------------------------------------------- cpio archives */

static int cpio_dir_count;

/* A fresh directory to unpack into, and what unpacking a gave. */
static const char *unpack(const struct archive *a, char *dir, size_t dirsize)
{
	snprintf(dir, dirsize, "/cpio%d", cpio_dir_count++);
	SYS(mkdir, dir, 0755);
	return cpio_unpack(inode_of(dir), a->buf, a->len);
}

static void expect_problem(const char *got, const char *want, const char *what)
{
	if (group_bad)
		return;
	if (got == NULL && want == NULL)
		return;
	if (got == NULL || want == NULL || strstr(got, want) == NULL) {
		snprintf(group_detail, sizeof(group_detail), "%s: got \"%s\", want \"%s\"", what,
			 got ? got : "(accepted)", want ? want : "(accepted)");
		group_bad = 1;
	}
}

static void test_cpio_good(void)
{
	static struct archive a;
	char dir[32], path[64];
	const char *r;

	a.len = 0;
	ar_entry(&a, "d", S_IFDIR | 0700, NULL);
	ar_entry(&a, "d/f", S_IFREG | 0600, "one");
	ar_entry(&a, "d/f", S_IFREG | 0644, "two");  /* a name again replaces */
	ar_entry(&a, "d", S_IFDIR | 0755, NULL);      /* a directory again keeps its files */
	ar_entry(&a, "d/abs", S_IFLNK | 0777, "/etc/hello");
	ar_entry(&a, "d/e", S_IFREG | 0600, "");
	ar_entry(&a, "d/sub/", S_IFDIR | 0700, NULL);
	ar_entry(&a, "p", S_IFIFO | 0600, NULL);
	ar_trailer(&a);
	ar_bytes(&a, "garbage after the trailer", 25);
	console_out_len = 0;
	r = unpack(&a, dir, sizeof(dir));
	expect_problem(r, NULL, "valid archive");
	expect(console_out_len, 0, "says nothing");
	snprintf(path, sizeof(path), "%s/d/f", dir);
	expect_str(get_file(path), "two", "replaced file");
	expect(st_of(path, 0).st_mode, S_IFREG | 0644, "its mode");
	snprintf(path, sizeof(path), "%s/d", dir);
	expect(st_of(path, 0).st_mode, S_IFDIR | 0755, "directory took the new mode");
	snprintf(path, sizeof(path), "%s/d/abs", dir);
	expect_str(get_file(path), "hello, initrd\n", "absolute symlink goes to the real root");
	snprintf(path, sizeof(path), "%s/d/e", dir);
	expect(st_of(path, 0).st_size, 0, "empty file");
	snprintf(path, sizeof(path), "%s/d/sub", dir);
	expect(S_ISDIR(st_of(path, 0).st_mode), 1, "directory named with a slash");
	snprintf(path, sizeof(path), "%s/p", dir);
	expect(SYS(access, path, F_OK), -ENOENT, "fifo skipped");

	/* The checksummed variant. */
	a.len = 0;
	unsigned f[13] = {1, S_IFREG | 0644, 0, 0, 1, 0, 3, 0, 0, 0, 0, 2, 'a' + 'b' + 'c'};
	ar_header(&a, "070702", f);
	ar_bytes(&a, "x", 2);
	ar_pad(&a);
	ar_bytes(&a, "abc", 3);
	ar_pad(&a);
	ar_trailer(&a);
	r = unpack(&a, dir, sizeof(dir));
	expect_problem(r, NULL, "070702 with a good checksum");
	snprintf(path, sizeof(path), "%s/x", dir);
	expect_str(get_file(path), "abc", "its file");
	group_end("cpio: replacing names, symlinks, skipped types, 070702");
}

struct bad_case {
	const char *what, *problem;
	struct archive a;
};

static struct bad_case bad_cases[24];
static int bad_n;

/* The next case's archive, which starts with a good entry that must survive the bad one. */
static struct archive *bad_next(const char *what, const char *problem)
{
	if (bad_n == (int)(sizeof(bad_cases) / sizeof(bad_cases[0])))
		abort();
	struct bad_case *k = &bad_cases[bad_n++];

	k->what = what;
	k->problem = problem;
	k->a.len = 0;
	ar_entry(&k->a, "good", S_IFREG | 0644, "ok");
	return &k->a;
}

static void bad_header(struct archive *a, const char *magic, unsigned mode, unsigned filesize, unsigned namesize,
		       const char *name, size_t namebytes)
{
	unsigned f[13] = {1, mode, 0, 0, 1, 0, filesize, 0, 0, 0, 0, namesize, 0};

	ar_header(a, magic, f);
	ar_bytes(a, name, namebytes);
}

/* Well-formed entries (up to 3) and a trailer, of which the last entry breaks a rule. */
static const struct {
	const char *what, *problem;
	struct {
		const char *name;
		unsigned mode;
		const char *data;
	} e[3];
} bad_entries[] = {
	{"escaping with ..", "\"..\" component", {{"../../etc/passwd", S_IFREG | 0644, "root"}}},
	{".. in the middle", "\"..\" component", {{"a/../b", S_IFDIR | 0755, NULL}}},
	{"unknown file type", "unknown file type", {{"weird", 0170000 & ~S_IFMT, "x"}}},
	{"missing parent", "its directory does not exist", {{"no/such/dir/f", S_IFREG | 0644, "x"}}},
	{"file under a file", "not a directory", {{"good/f", S_IFREG | 0644, "x"}}},
	{"file over a non-empty directory", "non-empty directory",
	 {{"dd", S_IFDIR | 0755, NULL}, {"dd/f", S_IFREG | 0644, "x"}, {"dd", S_IFREG | 0644, "x"}}},
	{"empty symlink target", "bad symlink target", {{"sl", S_IFLNK | 0777, ""}}},
	{"root as a file", "root must be a directory", {{"./", S_IFREG | 0644, "x"}}},
	{"symlink loop in a path", "symbolic links",
	 {{"l1", S_IFLNK | 0777, "l2"}, {"l2", S_IFLNK | 0777, "l1"}, {"l1/f", S_IFREG | 0644, "x"}}},
};

static void test_cpio_bad(void)
{
	struct archive *a;
	char dir[32], path[64];

	for (size_t i = 0; i < sizeof(bad_entries) / sizeof(bad_entries[0]); i++) {
		a = bad_next(bad_entries[i].what, bad_entries[i].problem);
		for (size_t j = 0; j < 3 && bad_entries[i].e[j].name; j++)
			ar_entry(a, bad_entries[i].e[j].name, bad_entries[i].e[j].mode, bad_entries[i].e[j].data);
		ar_trailer(a);
	}

	a = bad_next("truncated header", "truncated header");
	ar_bytes(a, "0707010000", 10);
	a = bad_next("bad magic", "bad magic");
	bad_header(a, "070707", S_IFREG, 0, 2, "x", 2);
	a = bad_next("non-hex field", "not hexadecimal");
	bad_header(a, "070701", S_IFREG, 0, 2, "x", 2);
	a->buf[a->len - 2 - 8] = 'G';
	a = bad_next("name size beyond the archive", "name runs past");
	bad_header(a, "070701", S_IFREG, 0, 100, "x", 2);
	a = bad_next("name without NUL", "not NUL-terminated");
	bad_header(a, "070701", S_IFREG, 0, 4, "abcd", 4);
	ar_pad(a);
	ar_trailer(a);
	a = bad_next("NUL inside the name", "not NUL-terminated");
	bad_header(a, "070701", S_IFREG, 0, 4, "a\0b", 4);
	ar_pad(a);
	ar_trailer(a);
	a = bad_next("name size zero", "bad name size");
	bad_header(a, "070701", S_IFREG, 0, 0, "", 0);
	ar_trailer(a);
	a = bad_next("absurd name size", "bad name size");
	bad_header(a, "070701", S_IFREG, 0, 0xffffffffu, "x", 2);
	ar_trailer(a);
	a = bad_next("absurd file size", "data runs past");
	bad_header(a, "070701", S_IFREG, 0xffffffffu, 2, "x", 2);
	ar_pad(a);
	ar_trailer(a);
	a = bad_next("data beyond the archive", "data runs past");
	bad_header(a, "070701", S_IFREG, 200, 2, "x", 2);
	ar_pad(a);
	ar_bytes(a, "short", 5);
	a = bad_next("padding of the name beyond the archive", "data runs past");
	bad_header(a, "070701", S_IFREG, 0, 3, "xy", 3);
	bad_next("no trailer", "without TRAILER");
	a = bad_next("bad checksum", "bad checksum");
	{
		unsigned f[13] = {1, S_IFREG | 0644, 0, 0, 1, 0, 3, 0, 0, 0, 0, 2, 5};

		ar_header(a, "070702", f);
		ar_bytes(a, "x", 2);
		ar_pad(a);
		ar_bytes(a, "abc", 3);
		ar_pad(a);
		ar_trailer(a);
	}
	a = bad_next("NUL in a symlink target", "bad symlink target");
	ar_entry_full(a, "sl", S_IFLNK | 0777, "a\0b", 3, 9, 1);
	ar_trailer(a);
	a = bad_next("component too long", "too long");
	{
		char name[300];

		memset(name, 'z', 299);
		name[299] = '\0';
		ar_entry(a, name, S_IFREG | 0644, "x");
		ar_trailer(a);
	}

	for (int i = 0; i < bad_n; i++) {
		const struct bad_case *k = &bad_cases[i];
		const char *r;

		console_out_len = 0;
		r = unpack(&k->a, dir, sizeof(dir));
		expect_problem(r, k->problem, k->what);
		expect(console_lines_with("mica: initrd: "), 1, k->what);
		expect(console_lines_with(k->problem), 1, k->what);
		snprintf(path, sizeof(path), "%s/good", dir);
		expect_str(get_file(path), "ok", k->what);
		unit_check(!group_bad, k->what, "%s", group_detail);
		group_bad = 0;
	}
	expect(SYS(access, "/etc/passwd", F_OK), -ENOENT, "nothing escaped");
	group_end("cpio: each malformed archive stops with one line, keeping what came before");
}

int main(void)
{
	test_init();
	test_console();
	test_paths();
	test_open_flags();
	test_data();
	test_getdents();
	test_rename_unlink();
	test_cwd();
	test_fds();
	test_cpio_good();
	test_cpio_bad();
	return unit_exit_status();
}
