/* spawntime: times fork+exec+wait of a command (optionally against a second one) and prints median/min/max. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench_stats.h"

static int devnull;

static void usage(void)
{
	fprintf(stderr, "usage: spawntime [-n RUNS] [-w WARMUP] -- CMD_A... [--vs CMD_B...]\n");
	exit(2);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Runs argv once with stdin, stdout and stderr on /dev/null; returns the wall time in microseconds.
 * A failed run ends the benchmark: its numbers would time the failure, not the command. */
static double run_once(char **argv, const char *label, int run)
{
	double start = now_us();
	pid_t pid = fork();
	if (pid < 0) {
		perror("spawntime: fork");
		exit(1);
	}
	if (pid == 0) {
		/* A copy of stderr that closes on a successful exec, to say why an exec failed. */
		int err = fcntl(2, F_DUPFD_CLOEXEC, 3);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execvp(argv[0], argv);
		dprintf(err, "spawntime: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("spawntime: waitpid");
			exit(1);
		}
	}
	double elapsed = now_us() - start;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return elapsed;
	fprintf(stderr, "spawntime: %s run %d (%s) ", label, run, argv[0]);
	if (WIFEXITED(status))
		fprintf(stderr, "exited with status %d\n", WEXITSTATUS(status));
	else
		fprintf(stderr, "was killed by signal %d\n", WTERMSIG(status));
	exit(1);
}

static int parse_count(const char *s, int min)
{
	int v;
	if (!bench_parse_count(s, min, 1000000, &v))
		usage();
	return v;
}

int main(int argc, char **argv)
{
	int runs = 100, warmup = 10, opt;
	while ((opt = getopt(argc, argv, "+n:w:")) != -1) {
		switch (opt) {
		case 'n':
			runs = parse_count(optarg, 1);
			break;
		case 'w':
			warmup = parse_count(optarg, 0);
			break;
		default:
			usage();
		}
	}
	char **cmd_a = argv + optind, **cmd_b = NULL;
	for (char **p = cmd_a; *p; p++) {
		if (strcmp(*p, "--vs") == 0) {
			*p = NULL;
			cmd_b = p + 1;
			break;
		}
	}
	if (!cmd_a[0] || (cmd_b && !cmd_b[0]))
		usage();

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		perror("spawntime: /dev/null");
		return 1;
	}
	double *a = calloc(runs, sizeof(*a)), *b = calloc(runs, sizeof(*b)), *ratio = calloc(runs, sizeof(*ratio));
	if (!a || !b || !ratio) {
		perror("spawntime");
		return 1;
	}

	/* Alternating A and B spreads any drift in machine load evenly over both. */
	for (int i = 0; i < warmup; i++) {
		run_once(cmd_a, "A warmup", i);
		if (cmd_b)
			run_once(cmd_b, "B warmup", i);
	}
	for (int i = 0; i < runs; i++) {
		a[i] = run_once(cmd_a, "A", i);
		if (cmd_b) {
			b[i] = run_once(cmd_b, "B", i);
			ratio[i] = a[i] / b[i];
		}
	}

	bench_report("A", a, runs);
	if (cmd_b) {
		bench_report("B", b, runs);
		printf("ratio A/B median=%.3f\n", bench_median(ratio, runs));
	}
	free(a);
	free(b);
	free(ratio);
	return 0;
}
