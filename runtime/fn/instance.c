/* Instances: one fresh process per request (a mica guest or a host program), and each function's limits on them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include "fn/instance.h"
#include "util/log.h"
#include "vm/run.h"

#define FN_SLOT_RESERVED (-2)

static bool fn_stopping;

/* The warming thread: woken whenever a pool's warm instances run short, or to stop. */
static pthread_mutex_t fn_warm_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fn_warm_wake = PTHREAD_COND_INITIALIZER;
static pthread_t fn_warm_thread;
static bool fn_warm_started;
static struct fn_pool *fn_warm_pools;
static int fn_warm_npools;

static uint64_t fn_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int fn_pool_init(struct fn_pool *p, const struct fn_function *fn, bool verbose)
{
	memset(p, 0, sizeof(*p));
	p->fn = fn;
	p->verbose = verbose;
	if (fn->kind == FN_KIND_SNAPSHOT) {
		char err[256];
		if (snapshot_open(fn->path, &p->snap, err, sizeof(err)) != 0) {
			log_error("--function %s: %s: %s", fn->name, fn->path, err);
			return -1;
		}
	}
	p->pidfds = malloc(fn->max * sizeof(*p->pidfds));
	p->spares = calloc(fn->warm ? fn->warm : 1, sizeof(*p->spares));
	if (!p->pidfds || !p->spares) {
		log_error("serve: out of memory");
		free(p->pidfds);
		free(p->spares);
		snapshot_close(&p->snap);
		return -1;
	}
	for (unsigned int i = 0; i < fn->max; i++)
		p->pidfds[i] = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	return 0;
}

static void fn_proc_reap(struct fn_proc *proc)
{
	siginfo_t si;
	while (syscall(SYS_waitid, P_PIDFD, proc->pidfd, &si, WEXITED, NULL) != 0 && errno == EINTR)
		;
	close(proc->pidfd);
	close(proc->in);
	close(proc->out);
}

void fn_pool_destroy(struct fn_pool *p)
{
	for (unsigned int i = 0; i < p->nspares; i++)
		fn_proc_reap(&p->spares[i]);
	p->nspares = 0;
	free(p->spares);
	p->spares = NULL;
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p->pidfds);
	p->pidfds = NULL;
	snapshot_close(&p->snap);
}

/* Takes an instance slot, queueing for one if need be; the slot, or a refusal's outcome negated. */
static int fn_pool_enter(struct fn_pool *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->running >= p->fn->max) {
		if (p->waiting >= p->fn->queue) {
			pthread_mutex_unlock(&p->lock);
			return -FN_BUSY;
		}
		p->waiting++;
		while (p->running >= p->fn->max && !__atomic_load_n(&fn_stopping, __ATOMIC_ACQUIRE))
			pthread_cond_wait(&p->freed, &p->lock);
		p->waiting--;
	}
	if (__atomic_load_n(&fn_stopping, __ATOMIC_ACQUIRE)) {
		pthread_mutex_unlock(&p->lock);
		return -FN_STOPPING;
	}
	unsigned int slot = 0;
	while (p->pidfds[slot] != -1)
		slot++;
	p->pidfds[slot] = FN_SLOT_RESERVED;
	p->running++;
	pthread_mutex_unlock(&p->lock);
	return (int)slot;
}

/* Publishes the instance so a shutdown can kill it; killed at once if the shutdown came first. */
static void fn_pool_started(struct fn_pool *p, int slot, int pidfd)
{
	pthread_mutex_lock(&p->lock);
	p->pidfds[slot] = pidfd;
	if (__atomic_load_n(&fn_stopping, __ATOMIC_ACQUIRE))
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	pthread_mutex_unlock(&p->lock);
}

/* Frees the slot; the instance has been reaped, and its pidfd is closed only once no one can signal it. */
static void fn_pool_leave(struct fn_pool *p, int slot)
{
	pthread_mutex_lock(&p->lock);
	p->pidfds[slot] = -1;
	p->running--;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

void fn_pools_stop(struct fn_pool *pools, int n)
{
	__atomic_store_n(&fn_stopping, true, __ATOMIC_RELEASE);
	for (int i = 0; i < n; i++) {
		struct fn_pool *p = &pools[i];
		pthread_mutex_lock(&p->lock);
		for (unsigned int k = 0; k < p->fn->max; k++)
			if (p->pidfds[k] >= 0)
				syscall(SYS_pidfd_send_signal, p->pidfds[k], SIGKILL, NULL, 0);
		for (unsigned int k = 0; k < p->nspares; k++)
			syscall(SYS_pidfd_send_signal, p->spares[k].pidfd, SIGKILL, NULL, 0);
		pthread_cond_broadcast(&p->freed);
		pthread_mutex_unlock(&p->lock);
	}
	if (fn_warm_started) {
		pthread_mutex_lock(&fn_warm_lock);
		pthread_cond_signal(&fn_warm_wake);
		pthread_mutex_unlock(&fn_warm_lock);
		pthread_join(fn_warm_thread, NULL);
		fn_warm_started = false;
	}
}

/*
 * The instance process, forked from a gateway thread: the request pipe as stdin, the response pipe
 * as stdout, and nothing else of the gateway's (a sibling's pipe held here would keep that
 * sibling's guest from ever seeing the end of its input).
 */
__attribute__((noreturn)) static void fn_child(const struct fn_pool *p, pid_t gateway, int in, int out)
{
	const struct fn_function *fn = p->fn;
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0)
		_exit(MICA_EXIT_FAILURE);
	if (!p->verbose) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
	}
	syscall(SYS_close_range, 3, ~0U, 0);
	/* It dies with the thread that forked it: its request's, or the warming thread (the gateway's life). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != gateway)
		_exit(MICA_EXIT_FAILURE);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);

	if (fn->kind == FN_KIND_EXEC) {
		char *const argv[] = {(char *)fn->path, NULL};
		execv(fn->path, argv);
		_exit(127);
	}
	char *argv[] = {(char *)fn->name, NULL};
	/* No timeout of mica's own: a warm instance starts long before its request, which the gateway times. */
	struct run_config cfg = {
		.image_path = fn->kind == FN_KIND_IMAGE ? fn->path : NULL,
		.initrd_path = fn->initrd,
		.mem = fn->mem,
		.argc = 1,
		.argv = argv,
		.restore_path = fn->kind == FN_KIND_SNAPSHOT ? fn->path : NULL,
		.restore_snapshot = fn->kind == FN_KIND_SNAPSHOT ? &p->snap : NULL,
		.start_tsc = __rdtsc(),
		.start_ns = guest_now_ns(),
	};
	_exit(run_image(&cfg));
}

/* Reads what is there; false at the end of output or when the cap is crossed (run->outcome says which). */
static bool fn_read_output(const struct fn_pool *p, int fd, struct fn_run *run)
{
	char buf[65536];
	for (;;) {
		size_t room = (size_t)(p->fn->response_max + 1 - run->out.len);
		ssize_t n = read(fd, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN;
		if (n == 0)
			return false;
		if (run->out.len + (size_t)n > p->fn->response_max) {
			run->outcome = FN_TOO_BIG;
			return false;
		}
		if (fn_buf_append(&run->out, buf, (size_t)n) != 0) {
			run->outcome = FN_ERROR;
			return false;
		}
	}
}

/* Feeds the request and collects the response until the instance ends, its time is up or it writes too much. */
static void fn_exchange(const struct fn_pool *p, int pidfd, int in, int out, const char *req, size_t req_len,
			struct fn_run *run)
{
	uint64_t deadline = fn_now_ns() + p->fn->timeout_ns;
	size_t sent = 0;
	if (req_len == 0) {
		close(in);
		in = -1;
	}
	for (;;) {
		uint64_t now = fn_now_ns();
		if (now >= deadline) {
			run->outcome = FN_TIMEOUT;
			break;
		}
		struct pollfd pfd[3] = {
			{.fd = out, .events = POLLIN},
			{.fd = in, .events = POLLOUT},
			{.fd = pidfd, .events = POLLIN},
		};
		uint64_t left_ms = (deadline - now + 999999) / 1000000;
		if (poll(pfd, 3, left_ms > 60000 ? 60000 : (int)left_ms) < 0 && errno != EINTR) {
			run->outcome = FN_ERROR;
			break;
		}
		if (in >= 0 && pfd[1].revents) {
			ssize_t n = write(in, req + sent, req_len - sent);
			if (n > 0)
				sent += (size_t)n;
			/* All written, or the instance stopped reading (EPIPE): either way its input ends. */
			if (sent == req_len || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				close(in);
				in = -1;
			}
		}
		if (out >= 0 && pfd[0].revents) {
			if (!fn_read_output(p, out, run)) {
				if (run->outcome != FN_OK)
					break;
				out = -1;
			}
		}
		if (pfd[2].revents & POLLIN) {
			/* It ended: what it wrote is all in the pipe now. */
			if (out >= 0)
				fn_read_output(p, out, run);
			break;
		}
	}
	if (in >= 0)
		close(in);
}

/* Forks an instance with its console on two pipes; -1 after one log line. */
static int fn_spawn(const struct fn_pool *p, struct fn_proc *proc)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0) {
		log_error("serve: cannot make an instance's pipes: %s", strerror(errno));
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) != 0) {
		log_error("serve: cannot make an instance's pipes: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid_t gateway = getpid();
	pid_t pid = fork();
	if (pid == 0)
		fn_child(p, gateway, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	if (pidfd < 0) {
		log_error("serve: cannot start an instance: %s", strerror(errno));
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		close(in[1]);
		close(out[0]);
		return -1;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	*proc = (struct fn_proc){pidfd, in[1], out[0]};
	return 0;
}

/* Tops up every pool's warm instances, one at a time, until the gateway stops. */
static void *fn_warm_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&fn_warm_lock);
	while (!__atomic_load_n(&fn_stopping, __ATOMIC_ACQUIRE)) {
		struct fn_pool *short_of = NULL;
		for (int i = 0; i < fn_warm_npools && !short_of; i++) {
			struct fn_pool *p = &fn_warm_pools[i];
			pthread_mutex_lock(&p->lock);
			if (p->nspares + p->spawning < p->fn->warm) {
				p->spawning++;
				short_of = p;
			}
			pthread_mutex_unlock(&p->lock);
		}
		if (!short_of) {
			pthread_cond_wait(&fn_warm_wake, &fn_warm_lock);
			continue;
		}
		pthread_mutex_unlock(&fn_warm_lock);
		struct fn_proc proc;
		int rc = fn_spawn(short_of, &proc);
		pthread_mutex_lock(&short_of->lock);
		short_of->spawning--;
		if (rc == 0) {
			short_of->spares[short_of->nspares++] = proc;
			if (__atomic_load_n(&fn_stopping, __ATOMIC_ACQUIRE))
				syscall(SYS_pidfd_send_signal, proc.pidfd, SIGKILL, NULL, 0);
		}
		pthread_mutex_unlock(&short_of->lock);
		pthread_mutex_lock(&fn_warm_lock);
		/* A host that cannot fork now is not retried in a tight loop: the next request wakes us. */
		if (rc != 0 && !__atomic_load_n(&fn_stopping, __ATOMIC_ACQUIRE))
			pthread_cond_wait(&fn_warm_wake, &fn_warm_lock);
	}
	pthread_mutex_unlock(&fn_warm_lock);
	return NULL;
}

int fn_pools_start(struct fn_pool *pools, int n)
{
	fn_warm_pools = pools;
	fn_warm_npools = n;
	/* The instances it forks run mica on a copy of its stack: as roomy as a connection thread's. */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, FN_THREAD_STACK);
	int rc = pthread_create(&fn_warm_thread, &attr, fn_warm_main, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		log_error("serve: cannot start a thread: %s", strerror(rc));
		return -1;
	}
	fn_warm_started = true;
	return 0;
}

static void fn_warm_kick(void)
{
	pthread_mutex_lock(&fn_warm_lock);
	pthread_cond_signal(&fn_warm_wake);
	pthread_mutex_unlock(&fn_warm_lock);
}

void fn_instance_run(struct fn_pool *p, const char *req, size_t req_len, struct fn_run *run)
{
	memset(run, 0, sizeof(*run));
	int slot = fn_pool_enter(p);
	if (slot < 0) {
		run->outcome = (enum fn_outcome)-slot;
		return;
	}
	/* A warm instance if there is one (the newest: the others have waited longer, any is fresh). */
	struct fn_proc proc;
	bool warm = false;
	pthread_mutex_lock(&p->lock);
	if (p->nspares) {
		proc = p->spares[--p->nspares];
		warm = true;
	}
	pthread_mutex_unlock(&p->lock);
	if (p->fn->warm)
		fn_warm_kick();
	if (!warm && fn_spawn(p, &proc) != 0) {
		run->outcome = FN_ERROR;
		fn_pool_leave(p, slot);
		return;
	}
	fn_pool_started(p, slot, proc.pidfd);
	fn_exchange(p, proc.pidfd, proc.in, proc.out, req, req_len, run);
	if (run->outcome != FN_OK)
		syscall(SYS_pidfd_send_signal, proc.pidfd, SIGKILL, NULL, 0);

	siginfo_t si;
	memset(&si, 0, sizeof(si));
	while (syscall(SYS_waitid, P_PIDFD, proc.pidfd, &si, WEXITED, NULL) != 0 && errno == EINTR)
		;
	run->status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	if (run->outcome == FN_OK && run->status != 0)
		run->outcome = FN_FAILED;
	if (__atomic_load_n(&fn_stopping, __ATOMIC_ACQUIRE) && run->outcome != FN_OK)
		run->outcome = FN_STOPPING;
	fn_pool_leave(p, slot);
	close(proc.out);
	close(proc.pidfd);
}
