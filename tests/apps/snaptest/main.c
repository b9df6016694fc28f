/*
 * Snapshot test guest: warms state (heap, a file from the initrd, a waiting thread), calls
 * mica_ready, then answers one request per stdin line, deterministically except "rand",
 * "restored" and "time", so a restored instance can be compared with a cold boot line by line.
 * Arguments: "exit" powers off with status 0 right after mica_ready (benchmarks: restore to ready);
 * "--no-ready" never calls it; "--touch MIB" dirties that much heap before the ready point.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <mica/ready.h>

#define SNAP_TABLE 4096

static uint32_t *snap_table;
static char snap_file[256];
static ssize_t snap_file_len = -1;
static struct timespec snap_mono_ready, snap_real_ready;
static int snap_restored;

/* The worker, started before the ready point, squares numbers handed to it. */
static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t snap_cond = PTHREAD_COND_INITIALIZER;
static int snap_job_ready, snap_done;
static uint64_t snap_job, snap_result;

static void *snap_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&snap_lock);
	for (;;) {
		while (!snap_job_ready)
			pthread_cond_wait(&snap_cond, &snap_lock);
		snap_job_ready = 0;
		snap_result = snap_job * snap_job;
		snap_done = 1;
		pthread_cond_broadcast(&snap_cond);
	}
	return NULL;
}

static uint64_t snap_square(uint64_t v)
{
	pthread_mutex_lock(&snap_lock);
	snap_job = v;
	snap_job_ready = 1;
	snap_done = 0;
	pthread_cond_broadcast(&snap_cond);
	while (!snap_done)
		pthread_cond_wait(&snap_cond, &snap_lock);
	uint64_t r = snap_result;
	pthread_mutex_unlock(&snap_lock);
	return r;
}

static void snap_warm(unsigned long touch_mib)
{
	snap_table = malloc(SNAP_TABLE * sizeof(*snap_table));
	uint32_t x = 2463534242u;
	for (int i = 0; i < SNAP_TABLE; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		snap_table[i] = x;
	}
	for (unsigned long m = 0; m < touch_mib; m++) {
		char *p = malloc(1 << 20);
		if (p)
			memset(p, (int)m + 1, 1 << 20);
	}
	int fd = open("/snap.txt", O_RDONLY);
	if (fd >= 0) {
		snap_file_len = read(fd, snap_file, sizeof(snap_file) - 1);
		close(fd);
	}
	pthread_t t;
	pthread_create(&t, NULL, snap_worker, NULL);
}

static void snap_hex(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int snap_serve(void)
{
	char line[256];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "echo ", 5) == 0) {
			printf("echo %s\n", line + 5);
		} else if (strncmp(line, "sum ", 4) == 0) {
			unsigned long n = strtoul(line + 4, NULL, 10) % (SNAP_TABLE + 1);
			uint64_t s = 0;
			for (unsigned long i = 0; i < n; i++)
				s += snap_table[i];
			printf("sum %lu = %llu\n", n, (unsigned long long)s);
		} else if (strncmp(line, "square ", 7) == 0) {
			uint64_t v = strtoull(line + 7, NULL, 10);
			printf("square %llu = %llu\n", (unsigned long long)v, (unsigned long long)snap_square(v));
		} else if (strcmp(line, "file") == 0) {
			if (snap_file_len < 0)
				printf("file: none\n");
			else
				printf("file %zd: %.*s\n", snap_file_len, (int)snap_file_len, snap_file);
		} else if (strcmp(line, "alloc") == 0) {
			/* Fresh memory after a restore reads as zero and is usable. */
			unsigned char *p = calloc(1, 3 << 20);
			int zero = p != NULL;
			for (size_t i = 0; p && i < (3u << 20); i += 4096)
				zero &= p[i] == 0;
			if (p)
				memset(p, 0x5a, 3 << 20);
			printf("alloc %s\n", zero ? "ok" : "FAILED");
			free(p);
		} else if (strcmp(line, "rand") == 0) {
			unsigned char r[16];
			if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
				printf("rand FAILED\n");
			else
				snap_hex(r, sizeof(r));
		} else if (strcmp(line, "time") == 0) {
			struct timespec m, w;
			clock_gettime(CLOCK_MONOTONIC, &m);
			clock_gettime(CLOCK_REALTIME, &w);
			int mono_ok = m.tv_sec > snap_mono_ready.tv_sec ||
				      (m.tv_sec == snap_mono_ready.tv_sec && m.tv_nsec >= snap_mono_ready.tv_nsec);
			int real_ok = w.tv_sec >= snap_real_ready.tv_sec;
			printf("time %s\n", mono_ok && real_ok ? "ok" : "BACKWARDS");
		} else if (strncmp(line, "sleep ", 6) == 0) {
			struct timespec d = {0, strtol(line + 6, NULL, 10) * 1000000L};
			nanosleep(&d, NULL);
			printf("slept\n");
		} else if (strcmp(line, "restored") == 0) {
			printf("restored=%d\n", snap_restored);
		} else if (strcmp(line, "quit") == 0) {
			return 0;
		} else {
			printf("unknown: %s\n", line);
		}
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int do_exit = 0, no_ready = 0;
	unsigned long touch_mib = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "exit") == 0)
			do_exit = 1;
		else if (strcmp(argv[i], "--no-ready") == 0)
			no_ready = 1;
		else if (strcmp(argv[i], "--touch") == 0 && i + 1 < argc)
			touch_mib = strtoul(argv[++i], NULL, 10);
	}
	snap_warm(touch_mib);
	clock_gettime(CLOCK_MONOTONIC, &snap_mono_ready);
	clock_gettime(CLOCK_REALTIME, &snap_real_ready);
	if (no_ready) {
		/* Never ready: a --snapshot run must end by its --timeout. */
		for (;;)
			sleep(1);
	}
	snap_restored = mica_ready();
	if (do_exit)
		return 0;
	printf("ready\n");
	fflush(stdout);
	return snap_serve();
}
