/* Instances: a fresh guest per request run by a monitor thread of the gateway, or a host program; limits. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include "fn/instance.h"
#include "util/log.h"
#include "vm/run.h"

/*
 * A monitor thread's stack: run_image and the proc loop need a few tens of KiB; only what it
 * touches is ever backed by memory.
 */
#define FN_MONITOR_STACK (256u << 10)

#define FN_SLOT_RESERVED ((struct fn_inst *)-1)

/*
 * One instance. A guest: a monitor thread of the gateway runs it with the console on two pipes and
 * stops it when its stop eventfd is written; the guest process dies with that thread. A host
 * program (exec:): a child process on the same two pipes.
 */
struct fn_inst {
	int in, out;                /* the gateway's ends: the request goes in, the response comes out */
	int pidfd;                  /* exec: the program; -1 for a guest */
	int stop;                   /* a guest's run_embed.stop_fd */
	struct fn_inst *next;       /* a guest's place in the monitor threads' queue */
	bool done;                  /* a guest's run is over and status set (under fn_mon_lock) */
	int status;                 /* a guest's run_image status */
	char *argv[2];
	struct run_embed embed;     /* its console_in/out are the monitor's ends, closed by the monitor */
	struct run_config cfg;
	struct fn_pool *pool;       /* a guest's: where its guest process goes back (run_embed.recycle) */
};

static bool fn_stopping;

/*
 * Monitor threads, kept from one guest to the next: creating and ending a thread maps and unmaps
 * its stack, and an unmap in a process whose threads run on every CPU costs a TLB shootdown.
 * Guests wait in a queue; a thread is made when fewer are waiting than guests queued, and one
 * idle for FN_MONITOR_IDLE_S ends, so a burst leaves no threads behind.
 */
#define FN_MONITOR_IDLE_S 1
static pthread_mutex_t fn_mon_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fn_mon_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t fn_mon_ended = PTHREAD_COND_INITIALIZER;
static struct fn_inst *fn_mon_queue;
static unsigned int fn_mon_queued, fn_mon_waiting, fn_mon_threads;
static bool fn_mon_quit;

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
		/* Instances run as threads of the gateway; the kvm backend keeps process-wide signal state. */
		if (p->snap.v.hdr->platform != MICA_PLAT_PROC) {
			log_error("--function %s: %s is a snapshot of a kvm guest; mica serve runs proc snapshots only",
				  fn->name, fn->path);
			snapshot_close(&p->snap);
			return -1;
		}
		/* A function instance gets no --disk or --net to reconnect them to. */
		if (p->snap.v.state->nvbd || p->snap.v.state->nvif) {
			log_error("--function %s: %s was saved with a disk or a NIC; mica serve runs snapshots of "
				  "guests without devices", fn->name, fn->path);
			snapshot_close(&p->snap);
			return -1;
		}
	}
	p->slots = calloc(fn->max, sizeof(*p->slots));
	p->spares = calloc(fn->warm ? fn->warm : 1, sizeof(*p->spares));
	p->parked = calloc(fn->warm > fn->max ? fn->warm : fn->max, sizeof(*p->parked));
	p->parked_max = fn->warm;
	if (!p->slots || !p->spares || !p->parked) {
		log_error("serve: out of memory");
		free(p->slots);
		free(p->spares);
		free(p->parked);
		snapshot_close(&p->snap);
		return -1;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	pthread_cond_init(&p->recycled, NULL);
	return 0;
}

/* Asks the instance to end now; safe to call at any time until fn_inst_free, and more than once. */
static void fn_inst_stop(struct fn_inst *inst)
{
	if (inst->pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, inst->pidfd, SIGKILL, NULL, 0);
		return;
	}
	uint64_t one = 1;
	ssize_t unused = write(inst->stop, &one, sizeof(one));
	(void)unused;
}

/*
 * Waits for the instance's end (stopping it first unless it ended well) and returns its status:
 * the guest's or the program's exit status, or 128+N for a program killed by signal N.
 */
static int fn_inst_finish(struct fn_inst *inst, bool stop)
{
	if (stop)
		fn_inst_stop(inst);
	/* A monitor blocked writing output nobody reads any more gets EPIPE and sees the stop. */
	if (inst->out >= 0)
		close(inst->out);
	inst->out = -1;
	if (inst->pidfd < 0) {
		pthread_mutex_lock(&fn_mon_lock);
		while (!inst->done)
			pthread_cond_wait(&fn_mon_ended, &fn_mon_lock);
		pthread_mutex_unlock(&fn_mon_lock);
		return inst->status;
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	while (syscall(SYS_waitid, P_PIDFD, inst->pidfd, &si, WEXITED, NULL) != 0 && errno == EINTR)
		;
	return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

/* After fn_inst_finish, once no one can call fn_inst_stop any more. */
static void fn_inst_free(struct fn_inst *inst)
{
	if (inst->in >= 0)
		close(inst->in);
	if (inst->pidfd >= 0)
		close(inst->pidfd);
	if (inst->stop >= 0)
		close(inst->stop);
	free(inst);
}

void fn_pool_destroy(struct fn_pool *p)
{
	/* A monitor thread may still be parking a guest process again. */
	pthread_mutex_lock(&p->lock);
	while (p->recycling)
		pthread_cond_wait(&p->recycled, &p->lock);
	pthread_mutex_unlock(&p->lock);
	for (unsigned int i = 0; i < p->nspares; i++) {
		if (p->fn->kind == FN_KIND_SNAPSHOT) {
			proc_park_discard(p->parked[i]);
			continue;
		}
		fn_inst_finish(p->spares[i], true);
		fn_inst_free(p->spares[i]);
	}
	p->nspares = 0;
	free(p->spares);
	free(p->parked);
	p->spares = NULL;
	p->parked = NULL;
	pthread_cond_destroy(&p->freed);
	pthread_cond_destroy(&p->recycled);
	pthread_mutex_destroy(&p->lock);
	free(p->slots);
	p->slots = NULL;
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
	while (p->slots[slot])
		slot++;
	p->slots[slot] = FN_SLOT_RESERVED;
	p->running++;
	pthread_mutex_unlock(&p->lock);
	return (int)slot;
}

/* Publishes the instance so a shutdown can stop it; stopped at once if the shutdown came first. */
static void fn_pool_started(struct fn_pool *p, int slot, struct fn_inst *inst)
{
	pthread_mutex_lock(&p->lock);
	p->slots[slot] = inst;
	if (__atomic_load_n(&fn_stopping, __ATOMIC_ACQUIRE))
		fn_inst_stop(inst);
	pthread_mutex_unlock(&p->lock);
}

/* Frees the slot; the instance has ended, and is freed only once no one can stop it. */
static void fn_pool_leave(struct fn_pool *p, int slot)
{
	pthread_mutex_lock(&p->lock);
	p->slots[slot] = NULL;
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
			if (p->slots[k] && p->slots[k] != FN_SLOT_RESERVED)
				fn_inst_stop(p->slots[k]);
		for (unsigned int k = 0; k < p->nspares && p->fn->kind != FN_KIND_SNAPSHOT; k++)
			fn_inst_stop(p->spares[k]);
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

static void fn_warm_kick(void)
{
	pthread_mutex_lock(&fn_warm_lock);
	pthread_cond_signal(&fn_warm_wake);
	pthread_mutex_unlock(&fn_warm_lock);
}

/*
 * Takes back a snapshot's guest process from an instance that a parked one served: parked again
 * for a later request if its run ended cleanly (vm, proc_recycle) and the pool has room, else
 * ended, and the warming thread makes a new one.
 */
static void fn_pool_recycled(struct fn_pool *p, struct proc_vm *vm)
{
	bool reset = vm != NULL;
	if (vm) {
		bool was = log_set_quiet(!p->verbose);
		if (proc_recycle(vm, &p->snap) != 0)
			vm = NULL;
		log_set_quiet(was);
	}
	pthread_mutex_lock(&p->lock);
	bool keep = vm && !__atomic_load_n(&fn_stopping, __ATOMIC_ACQUIRE) && p->nspares < p->parked_max;
	if (keep)
		p->parked[p->nspares++] = vm;
	p->recycling--;
	p->resetting -= reset;
	pthread_cond_broadcast(&p->recycled);
	pthread_mutex_unlock(&p->lock);
	if (vm && !keep)
		proc_park_discard(vm);
	if (!keep)
		fn_warm_kick();
}

/*
 * A monitor thread: one guest's whole run after another; the end of a guest's output tells the
 * gateway its run is over. Its guests die with it (PR_SET_PDEATHSIG), but it ends only once the
 * gateway has no guest left (fn_monitors_stop).
 */
static void *fn_monitor_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&fn_mon_lock);
	for (;;) {
		if (!fn_mon_queue && !fn_mon_quit) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += FN_MONITOR_IDLE_S;
			int rc = 0;
			fn_mon_waiting++;
			while (!fn_mon_queue && !fn_mon_quit && rc != ETIMEDOUT)
				rc = pthread_cond_timedwait(&fn_mon_work, &fn_mon_lock, &until);
			fn_mon_waiting--;
		}
		struct fn_inst *inst = fn_mon_queue;
		if (!inst)
			break;
		fn_mon_queue = inst->next;
		fn_mon_queued--;
		pthread_mutex_unlock(&fn_mon_lock);

		inst->cfg.start_tsc = __rdtsc();
		inst->cfg.start_ns = guest_now_ns();
		int status = run_image(&inst->cfg);
		close(inst->embed.console_in);
		close(inst->embed.console_out);
		/* The request is answered meanwhile: its response ended with the pipe. */
		struct fn_pool *pool = inst->embed.recycle ? inst->pool : NULL;
		struct proc_vm *vm = inst->embed.recycled;
		if (pool && vm) {
			/* Counted before the request can end: its client's next request waits for this guest. */
			pthread_mutex_lock(&pool->lock);
			pool->resetting++;
			pthread_mutex_unlock(&pool->lock);
		}

		pthread_mutex_lock(&fn_mon_lock);
		inst->status = status;
		inst->done = true;
		pthread_cond_broadcast(&fn_mon_ended);
		pthread_mutex_unlock(&fn_mon_lock);
		if (pool)
			fn_pool_recycled(pool, vm);
		pthread_mutex_lock(&fn_mon_lock);
	}
	fn_mon_threads--;
	pthread_cond_broadcast(&fn_mon_ended);
	pthread_mutex_unlock(&fn_mon_lock);
	return NULL;
}

/* Hands the guest to a waiting monitor thread, or to a new one; -1 after one log line. */
static int fn_monitor_give(struct fn_inst *inst)
{
	pthread_mutex_lock(&fn_mon_lock);
	int rc = 0;
	if (fn_mon_waiting <= fn_mon_queued) {
		pthread_attr_t attr;
		pthread_t thread;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, FN_MONITOR_STACK);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&thread, &attr, fn_monitor_main, NULL);
		pthread_attr_destroy(&attr);
		if (rc == 0) {
			pthread_setname_np(thread, "mica-monitor");
			fn_mon_threads++;
		}
	}
	if (rc == 0) {
		inst->next = fn_mon_queue;
		fn_mon_queue = inst;
		fn_mon_queued++;
		pthread_cond_signal(&fn_mon_work);
	}
	pthread_mutex_unlock(&fn_mon_lock);
	if (rc != 0)
		log_error("serve: cannot start an instance's thread: %s", strerror(rc));
	return rc == 0 ? 0 : -1;
}

void fn_monitors_stop(void)
{
	pthread_mutex_lock(&fn_mon_lock);
	fn_mon_quit = true;
	pthread_cond_broadcast(&fn_mon_work);
	while (fn_mon_threads)
		pthread_cond_wait(&fn_mon_ended, &fn_mon_lock);
	pthread_mutex_unlock(&fn_mon_lock);
}

/*
 * The exec: program, vfork()ed from a gateway thread: the request pipe as stdin, the response pipe
 * as stdout, and nothing else of the gateway's (a sibling's pipe held here would keep that
 * sibling's guest from ever seeing the end of its input). It shares the gateway's memory until
 * execv, so it only makes system calls.
 */
__attribute__((noreturn)) static void fn_program_child(const struct fn_pool *p, pid_t gateway, int in, int out)
{
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0)
		_exit(MICA_EXIT_FAILURE);
	if (!p->verbose) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
	}
	syscall(SYS_close_range, 3, ~0U, 0);
	/* It dies with the thread that made it: its request's, or the warming thread (the gateway's life). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != gateway)
		_exit(MICA_EXIT_FAILURE);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	char *const argv[] = {(char *)p->fn->path, NULL};
	execv(p->fn->path, argv);
	_exit(127);
}

/* Starts the program on the instance's pipes; -1 after one log line. */
static int fn_start_program(const struct fn_pool *p, struct fn_inst *inst, int in, int out)
{
	pid_t gateway = getpid();
	/* vfork: no copy of the gateway's page tables, which its other threads would then fault on. */
	pid_t pid = vfork();
	if (pid == 0)
		fn_program_child(p, gateway, in, out);
	inst->pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	if (inst->pidfd < 0) {
		log_error("serve: cannot start an instance: %s", strerror(errno));
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	return 0;
}

/* Starts a guest's monitor thread (restoring into parked, if not NULL); -1 after one log line. */
static int fn_start_guest(struct fn_pool *p, struct fn_inst *inst, int in, int out, struct proc_vm *parked)
{
	const struct fn_function *fn = p->fn;
	inst->stop = eventfd(0, EFD_CLOEXEC);
	if (inst->stop < 0) {
		log_error("serve: cannot make an instance's eventfd: %s", strerror(errno));
		return -1;
	}
	inst->embed = (struct run_embed){.console_in = in, .console_out = out, .stop_fd = inst->stop,
					 .verbose = p->verbose, .parked = parked, .recycle = parked != NULL};
	inst->pool = p;
	inst->argv[0] = (char *)fn->name;
	/* No timeout of mica's own: a warm instance starts long before its request, which the gateway times. */
	inst->cfg = (struct run_config){
		.image_path = fn->kind == FN_KIND_IMAGE ? fn->path : NULL,
		.initrd_path = fn->initrd,
		.mem = fn->mem,
		.argc = 1,
		.argv = inst->argv,
		.restore_path = fn->kind == FN_KIND_SNAPSHOT ? fn->path : NULL,
		.restore_snapshot = fn->kind == FN_KIND_SNAPSHOT ? &p->snap : NULL,
		.embed = &inst->embed,
	};
	return fn_monitor_give(inst);
}

/* fn_spawn, leaving parked to the caller when it fails. */
static struct fn_inst *fn_spawn_with(struct fn_pool *p, struct proc_vm *parked)
{
	struct fn_inst *inst = calloc(1, sizeof(*inst));
	if (!inst) {
		log_error("serve: out of memory");
		return NULL;
	}
	*inst = (struct fn_inst){.in = -1, .out = -1, .pidfd = -1, .stop = -1};
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0) {
		log_error("serve: cannot make an instance's pipes: %s", strerror(errno));
		free(inst);
		return NULL;
	}
	if (pipe2(out, O_CLOEXEC) != 0) {
		log_error("serve: cannot make an instance's pipes: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		free(inst);
		return NULL;
	}
	inst->in = in[1];
	inst->out = out[0];
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	if (p->fn->kind == FN_KIND_EXEC) {
		int rc = fn_start_program(p, inst, in[0], out[1]);
		close(in[0]);
		close(out[1]);
		if (rc == 0)
			return inst;
	} else if (fn_start_guest(p, inst, in[0], out[1], parked) == 0) {
		return inst; /* the monitor owns in[0] and out[1] now */
	} else {
		close(in[0]);
		close(out[1]);
	}
	close(inst->out);
	fn_inst_free(inst);
	return NULL;
}

/*
 * Starts an instance with its console on two pipes, a snapshot's restored into parked if not NULL
 * (which it owns from then on); NULL after one log line.
 */
static struct fn_inst *fn_spawn(struct fn_pool *p, struct proc_vm *parked)
{
	struct fn_inst *inst = fn_spawn_with(p, parked);
	if (!inst && parked)
		proc_park_discard(parked);
	return inst;
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

/*
 * Feeds the request and collects the response until the instance ends, its time is up or it
 * writes too much. A guest's end is the end of its output (its monitor closes the pipe once the
 * run is over); a program's is its pidfd, since a program may close its stdout and run on.
 */
static void fn_exchange(const struct fn_pool *p, struct fn_inst *inst, const char *req, size_t req_len,
			struct fn_run *run)
{
	uint64_t deadline = fn_now_ns() + p->fn->timeout_ns;
	size_t sent = 0;
	int in = inst->in, out = inst->out;
	inst->in = -1;
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
			{.fd = inst->pidfd, .events = POLLIN},
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
				if (run->outcome != FN_OK || inst->pidfd < 0)
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
			unsigned int want = p->fn->kind == FN_KIND_SNAPSHOT ? p->parked_max : p->fn->warm;
			if (p->nspares + p->spawning + p->recycling < want) {
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
		bool made;
		if (short_of->fn->kind == FN_KIND_SNAPSHOT) {
			/* Its guest process dies with this thread, which lives as long as the gateway. */
			bool was = log_set_quiet(!short_of->verbose);
			struct proc_vm *vm = proc_park(&short_of->snap);
			log_set_quiet(was);
			pthread_mutex_lock(&short_of->lock);
			if (vm)
				short_of->parked[short_of->nspares++] = vm;
			made = vm != NULL;
		} else {
			struct fn_inst *inst = fn_spawn(short_of, NULL);
			pthread_mutex_lock(&short_of->lock);
			if (inst) {
				short_of->spares[short_of->nspares++] = inst;
				if (__atomic_load_n(&fn_stopping, __ATOMIC_ACQUIRE))
					fn_inst_stop(inst);
			}
			made = inst != NULL;
		}
		short_of->spawning--;
		pthread_mutex_unlock(&short_of->lock);
		pthread_mutex_lock(&fn_warm_lock);
		/* A host that cannot start one now is not retried in a tight loop: the next request wakes us. */
		if (!made && !__atomic_load_n(&fn_stopping, __ATOMIC_ACQUIRE))
			pthread_cond_wait(&fn_warm_wake, &fn_warm_lock);
	}
	pthread_mutex_unlock(&fn_warm_lock);
	return NULL;
}

int fn_pools_start(struct fn_pool *pools, int n)
{
	fn_warm_pools = pools;
	fn_warm_npools = n;
	int rc = pthread_create(&fn_warm_thread, NULL, fn_warm_main, NULL);
	if (rc != 0) {
		log_error("serve: cannot start a thread: %s", strerror(rc));
		return -1;
	}
	fn_warm_started = true;
	return 0;
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
	struct fn_inst *inst = NULL;
	struct proc_vm *parked = NULL;
	pthread_mutex_lock(&p->lock);
	/* A guest process being parked again is ready far sooner than a new one would be. */
	while (p->fn->kind == FN_KIND_SNAPSHOT && !p->nspares && p->resetting)
		pthread_cond_wait(&p->recycled, &p->lock);
	if (p->nspares && p->fn->kind == FN_KIND_SNAPSHOT) {
		parked = p->parked[--p->nspares];
		p->recycling++; /* until fn_pool_recycled */
	} else if (p->nspares) {
		inst = p->spares[--p->nspares];
	} else if (p->fn->kind == FN_KIND_SNAPSHOT && p->fn->warm && p->recycling >= p->parked_max &&
		   p->parked_max < p->fn->max) {
		p->parked_max++; /* every parked guest is out serving: one more would have served this one */
	}
	pthread_mutex_unlock(&p->lock);
	if (p->fn->warm)
		fn_warm_kick();
	if (!inst && !(inst = fn_spawn(p, parked))) {
		if (parked)
			fn_pool_recycled(p, NULL);
		run->outcome = FN_ERROR;
		fn_pool_leave(p, slot);
		return;
	}
	fn_pool_started(p, slot, inst);
	fn_exchange(p, inst, req, req_len, run);
	run->status = fn_inst_finish(inst, run->outcome != FN_OK);
	run->restore_ns = inst->embed.restore_ns;
	run->parked = parked != NULL;
	run->uses = inst->embed.uses;
	if (run->outcome == FN_OK && run->status != 0)
		run->outcome = FN_FAILED;
	if (__atomic_load_n(&fn_stopping, __ATOMIC_ACQUIRE) && run->outcome != FN_OK)
		run->outcome = FN_STOPPING;
	fn_pool_leave(p, slot);
	fn_inst_free(inst);
}
