/*
 * Guest test suite for the syscall layer under musl or newlib: one check per behaviour, errno
 * included. Prints "ok - NAME" or "not ok - NAME: detail" per check and a summary line; exit 1
 * on failure. newlib lacks directories, mmap, threads, uname and raw syscall(): those checks are
 * musl's only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifndef _NEWLIB_VERSION
#include <dirent.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#endif

static int posix_checks, posix_failed;

static void check(int ok, const char *name)
{
	posix_checks++;
	if (ok) {
		printf("ok - %s\n", name);
	} else {
		posix_failed++;
		printf("not ok - %s: errno %d (%s)\n", name, errno, strerror(errno));
	}
}

/* The call failed with exactly this errno. */
static int fails_with(long rc, int err)
{
	return rc == -1 && errno == err;
}

static void test_files(void)
{
	char buf[64];
	int fd = open("/tmp-test", O_CREAT | O_EXCL | O_RDWR, 0644);
	check(fd >= 3, "open O_CREAT|O_EXCL gives the lowest free fd above stdio");
	check(fails_with(open("/tmp-test", O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST), "O_EXCL on existing file: EEXIST");
	check(write(fd, "hello world", 11) == 11, "write");
	check(lseek(fd, 6, SEEK_SET) == 6 && read(fd, buf, 5) == 5 && memcmp(buf, "world", 5) == 0, "lseek + read");
	check(lseek(fd, 100, SEEK_SET) == 100 && write(fd, "!", 1) == 1, "write past the end");
	struct stat st;
	check(fstat(fd, &st) == 0 && st.st_size == 101 && S_ISREG(st.st_mode), "fstat size after a hole");
	check(pread(fd, buf, 4, 50) == 4 && memcmp(buf, "\0\0\0\0", 4) == 0, "the hole reads as zeros");
	check(close(fd) == 0 && fails_with(close(fd), EBADF), "close twice: EBADF");
	check(fails_with(open("/no/such/file", O_RDONLY), ENOENT), "missing path: ENOENT");
	check(fails_with(open("/tmp-test/x", O_RDONLY), ENOTDIR), "file as directory: ENOTDIR");
	check(mkdir("/d", 0755) == 0 && fails_with(mkdir("/d", 0755), EEXIST), "mkdir, then EEXIST");
	check(rename("/tmp-test", "/d/moved") == 0 && access("/d/moved", F_OK) == 0, "rename into a directory");
	check(fails_with(rmdir("/d"), ENOTEMPTY), "rmdir of a non-empty directory: ENOTEMPTY");
#ifndef _NEWLIB_VERSION
	DIR *d = opendir("/d");
	struct dirent *e;
	int found = 0;
	while (d && (e = readdir(d)))
		found |= strcmp(e->d_name, "moved") == 0;
	check(d && found && closedir(d) == 0, "readdir lists the renamed file");
#endif
	check(unlink("/d/moved") == 0 && rmdir("/d") == 0, "unlink and rmdir");
	check(chdir("/") == 0 && getcwd(buf, sizeof(buf)) && strcmp(buf, "/") == 0, "getcwd");
	check(fails_with(read(1000, buf, 1), EBADF), "read of a never-opened fd: EBADF");
	check(isatty(1) == 1, "stdout is the console, a terminal");
	FILE *f = fopen("/stdio.txt", "w+");
	check(f && fprintf(f, "%d %s\n", 42, "x") == 5 && fseek(f, 0, SEEK_SET) == 0 && fgets(buf, sizeof(buf), f) &&
		      strcmp(buf, "42 x\n") == 0 && fclose(f) == 0,
	      "stdio over a ramfs file");
}

static void test_memory(void)
{
#ifndef _NEWLIB_VERSION
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(p != MAP_FAILED && p[0] == 0 && p[3 * 4096 - 1] == 0, "anonymous mmap is zeroed");
	memset(p, 0xab, 3 * 4096);
	check(munmap(p + 4096, 4096) == 0, "munmap of a middle page");
	p = mremap(p, 4096, 8 * 4096, MREMAP_MAYMOVE);
	check(p != MAP_FAILED && (unsigned char)p[100] == 0xab, "mremap keeps the contents");
	check(fails_with((long)mmap(NULL, 4096, PROT_READ, MAP_SHARED, 5000, 0), EBADF),
	      "file mapping of a bad fd: EBADF");
	int fd = open("/mapped", O_CREAT | O_RDWR, 0644);
	char page[5000];
	memset(page, 'm', sizeof(page));
	write(fd, page, sizeof(page));
	char *m = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 4096);
	check(m != MAP_FAILED && m[0] == 'm' && m[903] == 'm' && m[904] == 0,
	      "read-only file mapping shows the file from the offset, zeros past its end");
	check(fails_with((long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), ENODEV),
	      "shared writable file mapping: ENODEV");
	munmap(m, 8192);
	close(fd);
#endif
	void *big = malloc(8 << 20);
	check(big != NULL, "malloc of 8 MiB");
	free(big);
}

static void test_time(void)
{
	struct timespec a, b, req = {0, 5000000};
	check(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "clock_gettime(MONOTONIC)");
	check(nanosleep(&req, NULL) == 0, "nanosleep 5 ms");
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ns = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
	check(ns >= 5000000, "nanosleep never wakes early");
	check(time(NULL) > 1700000000, "wall clock is in this decade or later");
}

#ifndef _NEWLIB_VERSION
static void *thread_main(void *arg)
{
	int *v = arg;
	for (int i = 0; i < 1000; i++) {
		(*v)++;
		if (i % 100 == 0)
			sched_yield();
	}
	return v;
}

static pthread_mutex_t posix_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t posix_cond = PTHREAD_COND_INITIALIZER;
static int posix_ready;

static void *thread_signal(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&posix_lock);
	posix_ready = 1;
	pthread_cond_signal(&posix_cond);
	pthread_mutex_unlock(&posix_lock);
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[4];
	int counters[4] = {0};
	int ok = 1;
	for (int i = 0; i < 4; i++)
		ok &= pthread_create(&t[i], NULL, thread_main, &counters[i]) == 0;
	check(ok, "pthread_create x4");
	void *ret;
	ok = 1;
	for (int i = 0; i < 4; i++)
		ok &= pthread_join(t[i], &ret) == 0 && ret == &counters[i] && counters[i] == 1000;
	check(ok, "pthread_join returns each thread's result");
	pthread_t s;
	pthread_mutex_lock(&posix_lock);
	pthread_create(&s, NULL, thread_signal, NULL);
	while (!posix_ready)
		pthread_cond_wait(&posix_cond, &posix_lock);
	pthread_mutex_unlock(&posix_lock);
	check(pthread_join(s, NULL) == 0 && posix_ready, "condition variable wakes the waiter");
}
#endif

static void test_process(void)
{
#ifndef _NEWLIB_VERSION
	struct utsname u;
	check(uname(&u) == 0 && strcmp(u.sysname, "Mica") == 0 && strcmp(u.machine, "x86_64") == 0, "uname");
#endif
	check(getpid() == 1, "getpid is 1");
#ifndef _NEWLIB_VERSION
	unsigned char r1[16], r2[16];
	check(getrandom(r1, sizeof(r1), 0) == 16 && getrandom(r2, sizeof(r2), 0) == 16 && memcmp(r1, r2, 16) != 0,
	      "getrandom gives fresh bytes");
	errno = 0;
	long rc = syscall(SYS_io_setup, 1, NULL);
	check(fails_with(rc, ENOSYS), "an unimplemented call fails with ENOSYS");
	rc = syscall(SYS_io_setup, 1, NULL);
	check(fails_with(rc, ENOSYS), "and again, without a second console line");
#endif
}

int main(void)
{
	test_files();
	test_memory();
	test_time();
#ifndef _NEWLIB_VERSION
	test_threads();
#endif
	test_process();
	printf("posix: %d checks, %d failed\n", posix_checks, posix_failed);
	return posix_failed ? 1 : 0;
}
