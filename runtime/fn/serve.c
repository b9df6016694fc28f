/* `mica serve`: the function gateway, a fresh guest per HTTP request. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fn/args.h"
#include "fn/http.h"
#include "fn/instance.h"
#include "fn/serve.h"
#include "util/log.h"

#define FN_SNAPSHOT_MAGIC "MICASNAP"

/* Settles what each function's file is, so a bad one fails at startup rather than per request. */
static int serve_check_function(struct fn_function *f)
{
	if (f->kind == FN_KIND_EXEC) {
		if (access(f->path, X_OK) != 0) {
			log_error("--function %s: exec:%s: cannot execute: %s", f->name, f->path, strerror(errno));
			return -1;
		}
		return 0;
	}
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error("--function %s: %s: cannot open: %s", f->name, f->path, strerror(errno));
		return -1;
	}
	char magic[8];
	ssize_t n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n == (ssize_t)sizeof(magic) && memcmp(magic, FN_SNAPSHOT_MAGIC, sizeof(magic)) == 0) {
		f->kind = FN_KIND_SNAPSHOT;
	} else if (n >= 4 && memcmp(magic, "\177ELF", 4) == 0) {
		f->kind = FN_KIND_IMAGE;
	} else {
		log_error("--function %s: %s is neither a mica image nor a snapshot (mica run --snapshot makes one)",
			  f->name, f->path);
		return -1;
	}
	if (f->initrd && f->kind == FN_KIND_SNAPSHOT) {
		log_error("--function %s: initrd= does not apply to a snapshot, which holds its initrd already",
			  f->name);
		return -1;
	}
	if (f->initrd && (fd = open(f->initrd, O_RDONLY | O_CLOEXEC)) < 0) {
		log_error("--function %s: initrd %s: cannot open: %s", f->name, f->initrd, strerror(errno));
		return -1;
	}
	if (f->initrd)
		close(fd);
	return 0;
}

static int serve_listen(const struct sockaddr_in *addr)
{
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &addr->sin_addr, host, sizeof(host));
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("serve: cannot make a socket: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0) {
		int e = errno;
		log_error("--listen %s:%u: cannot listen there: %s%s", host, ntohs(addr->sin_port), strerror(e),
			  e == EADDRINUSE ? " (choose another port, or stop what listens there)" : "");
		close(fd);
		return -1;
	}
	if (listen(fd, 1024) != 0) {
		log_error("--listen %s:%u: cannot listen: %s", host, ntohs(addr->sin_port), strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* exec: programs take fds 0-2 for their pipes: they must not be free numbers here. */
static void serve_open_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int null = open("/dev/null", O_RDWR);
		if (null >= 0 && null != fd) {
			dup2(null, fd);
			close(null);
		}
	}
}

int serve_main(int argc, char **argv)
{
	static struct fn_args args;
	char err[512];

	switch (fn_args_parse(argc, argv, &args, err, sizeof(err))) {
	case FN_ARGS_HELP:
		fputs(fn_args_usage, stdout);
		return 0;
	case FN_ARGS_ERROR:
		log_error("%s", err);
		return MICA_EXIT_FAILURE;
	case FN_ARGS_OK:
		break;
	}
	serve_open_std_fds();
	for (int i = 0; i < args.nfunctions; i++)
		if (serve_check_function(&args.functions[i]) != 0)
			return MICA_EXIT_FAILURE;

	/* Blocked before any thread exists, so only sigwait below ever takes them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	int status = MICA_EXIT_FAILURE, fd = serve_listen(&args.listen);
	struct fn_pool *pools = calloc((size_t)args.nfunctions, sizeof(*pools));
	int npools = 0;
	struct fn_server server = {0};
	if (fd < 0 || !pools)
		goto out;
	for (; npools < args.nfunctions; npools++) {
		if (fn_pool_init(&pools[npools], &args.functions[npools], args.verbose) != 0)
			goto out;
	}
	server = (struct fn_server){.pools = pools, .npools = npools, .verbose = args.verbose};
	if (fn_pools_start(pools, npools) != 0 || fn_http_start(&server, fd) != 0)
		goto out;

	struct sockaddr_in bound;
	socklen_t blen = sizeof(bound);
	char host[INET_ADDRSTRLEN];
	getsockname(fd, (struct sockaddr *)&bound, &blen);
	inet_ntop(AF_INET, &bound.sin_addr, host, sizeof(host));
	/* One write, and not through stderr's FILE: the warming thread logs meanwhile (see http.c). */
	char line[FN_MAX_FUNCTIONS * (FN_NAME_MAX + 2) + 96];
	int len = snprintf(line, sizeof(line), "mica serve: listening on http://%s:%u/ with", host,
			   ntohs(bound.sin_port));
	for (int i = 0; i < npools; i++)
		len += snprintf(line + len, sizeof(line) - (size_t)len, " /%s", args.functions[i].name);
	dprintf(STDERR_FILENO, "%s\n", line);

	int sig;
	while (sigwait(&stop, &sig) != 0)
		;
	if (args.verbose)
		dprintf(STDERR_FILENO, "mica serve: %s: stopping\n", strsignal(sig));
	fn_pools_stop(pools, npools);
	fn_http_stop(&server);
	status = 0;
out:
	/* On an error path: whatever instances were warmed are killed before they are reaped below. */
	if (status != 0)
		fn_pools_stop(pools, npools);
	for (int i = 0; i < npools; i++)
		fn_pool_destroy(&pools[i]);
	fn_monitors_stop();
	free(pools);
	/* libmicrohttpd closed the listening socket it was given when it stopped. */
	if (fd >= 0 && !server.daemon && status != 0)
		close(fd);
	return status;
}
