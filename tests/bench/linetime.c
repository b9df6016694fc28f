/* linetime: times spawn to a string's first appearance in a command's output and to its exit (optionally against a second command). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench_stats.h"

/* Output kept per run: enough for the string to be found across reads and for a failure's tail. */
#define KEEP 4096

static void usage(void)
{
	fprintf(stderr, "usage: linetime [-n RUNS] [-w WARMUP] [-t TIMEOUT_S] [-s STRING] -- CMD_A... [--vs CMD_B...]\n");
	exit(2);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static volatile pid_t child;

/* The child dies with linetime (PR_SET_PDEATHSIG), but a signal that ends linetime itself is
 * passed on first, so that no command outlives an interrupted benchmark. */
static void on_signal(int sig)
{
	if (child > 0)
		kill(child, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Prints what the failed run printed last, then ends the benchmark: its numbers would time the
 * failure, not the command. */
static void fail(const char *label, int run, const char *what, const char *out, size_t len)
{
	fprintf(stderr, "linetime: %s run %d %s; its last output:\n%.*s\n", label, run, what, (int)len, out);
	exit(1);
}

/* Runs argv once with stdout and stderr on a pipe; *to_string is the time until the output
 * contained string (-1 without one), *to_exit until the command exited with status 0. A failed
 * run, or one whose output lacks the string, ends the benchmark. */
static void run_once(char **argv, const char *label, const char *string, double timeout_s, int run,
		     double *to_string, double *to_exit)
{
	static char out[2 * KEEP];
	size_t len = 0, slen = string ? strlen(string) : 0;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0) {
		perror("linetime: pipe");
		exit(1);
	}
	double start = now_us(), deadline = start + timeout_s * 1e6;
	*to_string = -1;
	child = fork();
	if (child < 0) {
		perror("linetime: fork");
		exit(1);
	}
	if (child == 0) {
		int null = open("/dev/null", O_RDONLY);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);
		dup2(null, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execvp(argv[0], argv);
		dprintf(fds[1], "linetime: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);

	for (;;) {
		double left = deadline - now_us();
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		if (left <= 0) {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			child = 0;
			fail(label, run, "timed out", out, len);
		}
		int rc = poll(&p, 1, (int)(left / 1000) + 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			perror("linetime: poll");
			exit(1);
		}
		if (rc == 0)
			continue;
		if (len > KEEP) {
			/* Keeps the last KEEP bytes: a string cut by a read still lies within them. */
			memmove(out, out + len - KEEP, KEEP);
			len = KEEP;
		}
		ssize_t n = read(fds[0], out + len, sizeof(out) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		double t = now_us();
		len += (size_t)n;
		if (string && *to_string < 0 && memmem(out, len, string, slen))
			*to_string = t - start;
	}
	close(fds[0]);

	int status;
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("linetime: waitpid");
			exit(1);
		}
	}
	*to_exit = now_us() - start;
	child = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char what[64];
		if (WIFEXITED(status))
			snprintf(what, sizeof(what), "exited with status %d", WEXITSTATUS(status));
		else
			snprintf(what, sizeof(what), "was killed by signal %d", WTERMSIG(status));
		fail(label, run, what, out, len);
	}
	if (string && *to_string < 0)
		fail(label, run, "never printed the string", out, len);
}

static int parse_count(const char *s, int min)
{
	int v;
	if (!bench_parse_count(s, min, 100000, &v))
		usage();
	return v;
}

int main(int argc, char **argv)
{
	int runs = 11, warmup = 1, opt;
	double timeout_s = 30;
	const char *string = NULL;
	char *end;

	while ((opt = getopt(argc, argv, "+n:w:t:s:")) != -1) {
		switch (opt) {
		case 'n':
			runs = parse_count(optarg, 1);
			break;
		case 'w':
			warmup = parse_count(optarg, 0);
			break;
		case 't':
			timeout_s = strtod(optarg, &end);
			if (*end != '\0' || timeout_s <= 0)
				usage();
			break;
		case 's':
			string = optarg;
			if (!*string)
				usage();
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
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	double *a_string = calloc(runs, sizeof(double)), *a_exit = calloc(runs, sizeof(double));
	double *b_exit = calloc(runs, sizeof(double)), *ratio = calloc(runs, sizeof(double)), ignored;
	if (!a_string || !a_exit || !b_exit || !ratio) {
		perror("linetime");
		return 1;
	}
	/* The first runs pay for cold caches (the command's binary, its firmware files); alternating
	 * A and B spreads any drift in machine load evenly over both. The string is A's only. */
	for (int i = 0; i < warmup; i++) {
		run_once(cmd_a, "A warmup", string, timeout_s, i, &ignored, &ignored);
		if (cmd_b)
			run_once(cmd_b, "B warmup", NULL, timeout_s, i, &ignored, &ignored);
	}
	for (int i = 0; i < runs; i++) {
		run_once(cmd_a, "A", string, timeout_s, i, &a_string[i], &a_exit[i]);
		if (cmd_b) {
			run_once(cmd_b, "B", NULL, timeout_s, i, &ignored, &b_exit[i]);
			ratio[i] = a_exit[i] / b_exit[i];
		}
	}

	if (string)
		bench_report("A string", a_string, runs);
	bench_report("A exit", a_exit, runs);
	if (cmd_b) {
		bench_report("B exit", b_exit, runs);
		printf("ratio A/B exit median=%.3f\n", bench_median(ratio, runs));
	}
	free(a_string);
	free(a_exit);
	free(b_exit);
	free(ratio);
	return 0;
}
