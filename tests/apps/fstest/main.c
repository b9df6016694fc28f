/* fstest: POSIX file calls on the ext4 disk mica run --mount puts at /data (or elsewhere), one ok/not ok line per check; also the crash test's synced log. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static int checks, failures;

static void check(int ok, const char *what)
{
	checks++;
	if (!ok)
		failures++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", checks, what);
}

/* The whole file at path as a NUL-terminated string in buf; its length, or -1. */
static long slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	long n = 0, r;

	if (fd < 0)
		return -1;
	while ((size_t)n < len - 1 && (r = read(fd, buf + n, len - 1 - (size_t)n)) > 0)
		n += r;
	close(fd);
	buf[n] = '\0';
	return n;
}

static int spew(const char *path, int flags, const char *text)
{
	int fd = open(path, flags, 0644);
	size_t len = strlen(text);

	if (fd < 0)
		return -1;
	int ok = write(fd, text, len) == (ssize_t)len;
	return close(fd) == 0 && ok ? 0 : -1;
}

static int fails_with(int r, int err)
{
	return r < 0 && errno == err;
}

static off_t size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* How many entries of dir (besides . and ..) getdents64 shows, and whether name is one of them. */
static int list_dir(const char *path, const char *name, int *found)
{
	char buf[1024];
	int fd = open(path, O_RDONLY | O_DIRECTORY), n = 0;
	long got;

	*found = 0;
	if (fd < 0)
		return -1;
	while ((got = getdents64(fd, (struct dirent *)buf, sizeof(buf))) > 0) {
		for (long at = 0; at < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + at);

			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
				n++;
			if (name != NULL && strcmp(d->d_name, name) == 0)
				*found = 1;
			at += d->d_reclen;
		}
	}
	close(fd);
	return got < 0 ? -1 : n;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

static void check_host_files(void)
{
	char buf[256];
	int found;

	check(slurp("/data/hello.txt", buf, sizeof(buf)) > 0 && strcmp(buf, "hello from the host\n") == 0,
	      "reads a file the host put on the disk");
	check(slurp("/data/dir/sub/nested.txt", buf, sizeof(buf)) > 0 && strcmp(buf, "nested\n") == 0,
	      "reads a file two directories down");
	check(size_of("/data/hello.txt") == 20, "stat gives the host file's size");
	check(list_dir("/data/dir", "sub", &found) == 1 && found, "getdents lists the host's directory");
}

static void check_files(void)
{
	static unsigned char big[1 << 20], back[1 << 20];
	char buf[256];
	struct stat st;
	int fd;

	fd = open("/data/new.txt", O_CREAT | O_EXCL | O_RDWR, 0640);
	check(fd >= 0 && write(fd, "0123456789", 10) == 10, "O_CREAT|O_EXCL makes a new file and writes it");
	check(fstat(fd, &st) == 0 && st.st_size == 10 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0640,
	      "fstat: size 10, a regular file, mode 0640");
	check(pwrite(fd, "AB", 2, 4) == 2 && pread(fd, buf, 10, 0) == 10 && memcmp(buf, "0123AB6789", 10) == 0,
	      "pwrite in the middle, pread sees it");
	check(lseek(fd, 0, SEEK_END) == 10, "lseek SEEK_END is the size");
	check(ftruncate(fd, 4) == 0 && fstat(fd, &st) == 0 && st.st_size == 4, "ftruncate shrinks to 4");
	check(fsync(fd) == 0 && fdatasync(fd) == 0, "fsync and fdatasync");
	close(fd);
	check(fails_with(open("/data/new.txt", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST), "O_EXCL on an existing file: EEXIST");
	check(spew("/data/new.txt", O_WRONLY | O_APPEND, "+tail") == 0 && slurp("/data/new.txt", buf, sizeof(buf)) == 9 &&
		      strcmp(buf, "0123+tail") == 0,
	      "O_APPEND writes at the end");
	check(spew("/data/new.txt", O_WRONLY | O_TRUNC, "short") == 0 && size_of("/data/new.txt") == 5, "O_TRUNC empties first");
	check(fails_with(open("/data/missing", O_RDONLY), ENOENT), "opening a missing file: ENOENT");
	check(fails_with(open("/data/dir", O_WRONLY), EISDIR), "opening a directory to write: EISDIR");

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = pattern(i);
	fd = open("/data/big.bin", O_CREAT | O_TRUNC | O_WRONLY, 0644);
	check(fd >= 0 && write(fd, big, sizeof(big)) == (ssize_t)sizeof(big) && fsync(fd) == 0 && close(fd) == 0,
	      "writes and fsyncs 1 MiB");
	fd = open("/data/big.bin", O_RDONLY);
	check(fd >= 0 && read(fd, back, sizeof(back)) == (ssize_t)sizeof(back) && memcmp(big, back, sizeof(big)) == 0,
	      "reads the 1 MiB back");
	close(fd);
	check(stat("/data/big.bin", &st) == 0 && st.st_blocks >= 2048, "the 1 MiB file has its blocks");

	struct timeval tv[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1234567890, .tv_usec = 500000}};
	check(utimes("/data/new.txt", tv) == 0 && stat("/data/new.txt", &st) == 0 && st.st_mtime == 1234567890 &&
		      st.st_mtim.tv_nsec == 500000000,
	      "utimes sets the mtime");
	check(access("/data/new.txt", R_OK | W_OK) == 0 && fails_with(access("/data/nothing", F_OK), ENOENT), "access");

	/* An unlinked file stays readable through the fd that has it open. */
	fd = open("/data/new.txt", O_RDONLY);
	check(unlink("/data/new.txt") == 0 && fails_with(stat("/data/new.txt", &st), ENOENT), "unlink removes the name");
	check(fd >= 0 && pread(fd, buf, 5, 0) == 5 && memcmp(buf, "short", 5) == 0, "an unlinked open file still reads");
	close(fd);
}

static void check_dirs(void)
{
	char buf[256], name[64];
	int found, fd, ok = 1;

	check(mkdir("/data/d1", 0755) == 0 && mkdir("/data/d1/d2", 0700) == 0, "mkdir, nested");
	check(fails_with(mkdir("/data/d1", 0755), EEXIST), "mkdir of an existing name: EEXIST");
	check(spew("/data/d1/d2/f", O_CREAT | O_WRONLY, "in d2\n") == 0, "a file in the new directory");
	check(fails_with(rmdir("/data/d1"), ENOTEMPTY), "rmdir of a non-empty directory: ENOTEMPTY");
	check(fails_with(unlink("/data/d1"), EISDIR), "unlink of a directory: EISDIR");
	check(rename("/data/d1/d2/f", "/data/d1/moved") == 0 && fails_with(open("/data/d1/d2/f", O_RDONLY), ENOENT) &&
		      slurp("/data/d1/moved", buf, sizeof(buf)) == 6,
	      "rename across directories");
	check(spew("/data/d1/other", O_CREAT | O_WRONLY, "other\n") == 0 && rename("/data/d1/moved", "/data/d1/other") == 0 &&
		      slurp("/data/d1/other", buf, sizeof(buf)) == 6 && strcmp(buf, "in d2\n") == 0,
	      "rename over an existing file replaces it");
	check(rename("/data/d1/d2", "/data/d2moved") == 0 && mkdir("/data/d2moved/x", 0755) == 0 &&
		      rmdir("/data/d2moved/x") == 0,
	      "rename a directory to another parent; it still works");
	check(rmdir("/data/d2moved") == 0 && fails_with(stat("/data/d2moved", &(struct stat){0}), ENOENT),
	      "rmdir of an empty directory");
	check(list_dir("/data/d1", "other", &found) == 1 && found, "getdents after renames: one entry");

	/* Enough names to need more directory blocks than a new directory has. */
	mkdir("/data/many", 0755);
	for (int i = 0; i < 300 && ok; i++) {
		snprintf(name, sizeof(name), "/data/many/file-with-a-longish-name-%03d", i);
		ok = spew(name, O_CREAT | O_EXCL | O_WRONLY, name) == 0;
	}
	check(ok && list_dir("/data/many", "file-with-a-longish-name-299", &found) == 300 && found,
	      "300 files in one directory, all listed");
	ok = 1;
	for (int i = 0; i < 300 && ok; i += 2) {
		snprintf(name, sizeof(name), "/data/many/file-with-a-longish-name-%03d", i);
		ok = unlink(name) == 0;
	}
	check(ok && list_dir("/data/many", NULL, &found) == 150, "150 unlinked, 150 listed");

	fd = open("/data", O_RDONLY | O_DIRECTORY);
	check(fd >= 0 && chdir("/data/d1") == 0 && getcwd(buf, sizeof(buf)) != NULL && strcmp(buf, "/data/d1") == 0,
	      "chdir into the disk and getcwd");
	chdir("/");
	close(fd);
	check(spew("/data/result.txt", O_CREAT | O_TRUNC | O_WRONLY, "written by the guest\n") == 0, "writes the result file");
}

/* Symlinks and hard links; the host's debugfs checks what is left of them after the run. */
static void check_links(void)
{
	char buf[512], target[300];
	struct stat st, st2;
	size_t n = (size_t)snprintf(target, sizeof(target), "dir/sub");

	while (n + 20 < sizeof(target))
		n += (size_t)snprintf(target + n, sizeof(target) - n, "/.");
	snprintf(target + n, sizeof(target) - n, "/nested.txt");
	check(symlink("hello.txt", "/data/lnk") == 0 && readlink("/data/lnk", buf, sizeof(buf)) == 9 &&
		      memcmp(buf, "hello.txt", 9) == 0 && lstat("/data/lnk", &st) == 0 && S_ISLNK(st.st_mode),
	      "symlink on the disk; readlink and lstat see it");
	check(slurp("/data/lnk", buf, sizeof(buf)) == 20 && strcmp(buf, "hello from the host\n") == 0,
	      "reading through the symlink follows it");
	check(symlink(target, "/data/longlnk") == 0 && slurp("/data/longlnk", buf, sizeof(buf)) == 7 &&
		      strcmp(buf, "nested\n") == 0,
	      "a symlink too long for the inode is followed");
	check(link("/data/hello.txt", "/data/hello.link") == 0 && stat("/data/hello.txt", &st) == 0 &&
		      stat("/data/hello.link", &st2) == 0 && st.st_nlink == 2 && st.st_ino == st2.st_ino,
	      "link: a second name for the inode, nlink 2");
	check(spew("/data/two", O_CREAT | O_WRONLY, "both names\n") == 0 && link("/data/two", "/data/two.b") == 0 &&
		      unlink("/data/two") == 0 && stat("/data/two.b", &st) == 0 && st.st_nlink == 1 &&
		      slurp("/data/two.b", buf, sizeof(buf)) == 11,
	      "unlink of one of two names leaves the other");
	check(fails_with(link("/data/dir", "/data/dirlink"), EPERM), "link to a directory: EPERM");
	check(fails_with(link("/data/hello.txt", "/hello.link"), EXDEV), "link out of the disk: EXDEV");
	check(fails_with(mknod("/data/fifo", S_IFIFO | 0644, 0), ENOSYS), "mknod: ENOSYS");
}

static int run_rw(void)
{
	check_host_files();
	check_files();
	check_dirs();
	check_links();
	return 0;
}

static int run_ro(void)
{
	char buf[256];

	check_host_files();
	check(fails_with(open("/data/hello.txt", O_WRONLY), EROFS), "opening to write on a read-only disk: EROFS");
	check(fails_with(open("/data/new", O_CREAT | O_WRONLY, 0644), EROFS), "creating on a read-only disk: EROFS");
	check(fails_with(mkdir("/data/x", 0755), EROFS), "mkdir on a read-only disk: EROFS");
	check(fails_with(unlink("/data/hello.txt"), EROFS), "unlink on a read-only disk: EROFS");
	check(fails_with(rename("/data/hello.txt", "/data/h2"), EROFS), "rename on a read-only disk: EROFS");
	check(fails_with(symlink("hello.txt", "/data/l"), EROFS), "symlink on a read-only disk: EROFS");
	check(fails_with(link("/data/hello.txt", "/data/h2"), EROFS), "link on a read-only disk: EROFS");
	check(slurp("/data/hello.txt", buf, sizeof(buf)) == 20, "the file is still there");
	return 0;
}

/*
 * The disk --mount put at dir instead of /data: the host's file is read there and mark.txt
 * written, for the host to find on that disk's image and on no other.
 */
static void run_elsewhere(const char *dir)
{
	char path[256], buf[256];

	snprintf(path, sizeof(path), "%s/hello.txt", dir);
	check(slurp(path, buf, sizeof(buf)) == 20 && strcmp(buf, "hello from the host\n") == 0,
	      "reads the host's file where --mount put the disk");
	snprintf(path, sizeof(path), "%s/mark.txt", dir);
	check(spew(path, O_CREAT | O_EXCL | O_WRONLY, "written where --mount put the disk\n") == 0,
	      "writes a file there");
}

/* Appends numbered lines to /data/log, each fsynced before "synced N" says so. */
static int run_log(long count)
{
	int fd = open("/data/log", O_CREAT | O_WRONLY | O_APPEND, 0644);
	char line[32];

	if (fd < 0) {
		printf("fstest: cannot open /data/log: %s\n", strerror(errno));
		return 1;
	}
	for (long i = 1; count == 0 || i <= count; i++) {
		int len = snprintf(line, sizeof(line), "line %ld\n", i);

		if (write(fd, line, (size_t)len) != len || fsync(fd) != 0) {
			printf("fstest: writing line %ld: %s\n", i, strerror(errno));
			return 1;
		}
		printf("synced %ld\n", i);
		fflush(stdout);
	}
	return close(fd) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "rw";
	struct stat st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "log") == 0)
		return run_log(argc > 2 ? atol(argv[2]) : 0);
	if (strcmp(mode, "none") == 0) {
		/* Nothing mounted: /data is not there, and the guest still runs. */
		check(fails_with(stat("/data/hello.txt", &st), ENOENT), "no /data: the disk was not mounted");
		if (argc > 2)
			run_elsewhere(argv[2]);
	} else if (strcmp(mode, "ro") == 0) {
		run_ro();
	} else {
		run_rw();
	}
	printf("fstest: %d checks, %d failed\n", checks, failures);
	printf("fstest: %s\n", failures == 0 ? "passed" : "failed");
	return failures == 0 ? 0 : 1;
}
