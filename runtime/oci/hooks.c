/* OCI hooks: host programs the engine asks for around a container's life, fed its state on stdin. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "oci/hooks.h"

/* Reads what the hook wrote so far, keeping the start of it: a chatty hook must never block. */
static void oci_hook_drain(int fd, char *keep, size_t cap, size_t *got)
{
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t take = (size_t)n < cap - 1 - *got ? (size_t)n : cap - 1 - *got;
		memcpy(keep + *got, buf, take);
		*got += take;
	}
}

/* Runs one hook; 0 if it exited 0. */
static int oci_hook_run(const struct oci_hook *h, const char *kind, const char *state, char *err, size_t errlen)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0)
		goto fail_pipe;
	if (pipe2(out, O_CLOEXEC) != 0) {
		close(in[0]);
		close(in[1]);
		goto fail_pipe;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char *no_env[] = {NULL};
		char *only_path[] = {h->path, NULL};
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(127);
		execve(h->path, h->args && h->nargs ? h->args : only_path, h->env ? h->env : no_env);
		dprintf(2, "cannot run it: %s", strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		snprintf(err, errlen, "%s hook %.200s: cannot fork: %s", kind, h->path, strerror(errno));
		return -1;
	}
	/* The state is far smaller than a pipe's buffer: this write never waits for the hook. */
	size_t len = strlen(state);
	ssize_t unused = write(in[1], state, len);
	(void)unused;
	close(in[1]);

	char output[512];
	size_t got = 0;
	int status = 0, waited_ms = 0;
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd pfd = {.fd = out[0], .events = POLLIN};
		poll(&pfd, 1, 100);
		oci_hook_drain(out[0], output, sizeof(output), &got);
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		waited_ms += 100;
		if (h->timeout && waited_ms >= h->timeout * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(out[0]);
			snprintf(err, errlen, "%s hook %.200s: timed out after %d s", kind, h->path, h->timeout);
			return -1;
		}
	}
	oci_hook_drain(out[0], output, sizeof(output), &got);
	close(out[0]);
	output[got] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	/* Its output on one line: the engine shows one. */
	for (char *c = output; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	if (WIFEXITED(status))
		snprintf(err, errlen, "%s hook %.200s failed with status %d%s%.200s", kind, h->path, WEXITSTATUS(status),
			 got ? ": " : "", output);
	else
		snprintf(err, errlen, "%s hook %.200s was killed by signal %d", kind, h->path, WTERMSIG(status));
	return -1;
fail_pipe:
	snprintf(err, errlen, "%s hook %.200s: cannot make a pipe: %s", kind, h->path, strerror(errno));
	return -1;
}

int oci_hooks_run(const struct oci_config *cfg, enum oci_hook_kind k, const char *dir, const struct oci_state *st,
		  char *err, size_t errlen)
{
	if (!cfg->nhooks[k])
		return 0;
	char *state = oci_state_json(dir, st, false);
	if (!state) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < cfg->nhooks[k] && rc == 0; i++)
		rc = oci_hook_run(&cfg->hooks[k][i], oci_hook_kind_name(k), state, err, errlen);
	free(state);
	return rc;
}
