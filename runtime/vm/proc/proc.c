/*
 * proc backend: guest RAM is a memfd shared by mica and a forked guest process that keeps only
 * that RAM and the hypercall page mapped; hypercalls reach mica as seccomp user notifications.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "util/log.h"
#include "util/syscall_names.h"
#include "vm/proc/hcpage.h"
#include "vm/proc/seccomp.h"
#include "vm/run.h"
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/hypercall.h"
#include "xen/pvclock.h"
#include "xen/start_info.h"

/* Linux 6.6 added synchronous wake-ups for notifiers; older uapi headers lack the names. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* Highest user address on 4-level paging; nothing of mica may survive below it. */
#define PROC_USER_END 0x7ffffffff000UL

/* Runtime-private boot handshake word: last 4 bytes of the start_info page. */
#define PROC_HANDSHAKE_OFFSET (MICA_PAGE_SIZE - 4)

struct proc_vm {
	struct guest g;
	int memfd;
	uint8_t *map; /* guest RAM then the hypercall page */
	size_t map_size;
	pid_t pid;
	int pidfd;
	int listener;
	int sigfd;
	bool stdin_open;
	uint64_t block_id;
};

static const char *proc_signal_story(int sig)
{
	switch (sig) {
	case SIGSEGV: return "invalid memory access (SIGSEGV)";
	case SIGBUS: return "bus error (SIGBUS)";
	case SIGILL: return "invalid instruction (SIGILL)";
	case SIGFPE: return "arithmetic fault (SIGFPE)";
	case SIGTRAP: return "breakpoint (SIGTRAP)";
	case SIGKILL: return "killed from outside (SIGKILL)";
	default: return strsignal(sig);
	}
}

static int proc_map_guest(struct proc_vm *vm, const struct run_config *cfg, const struct image *img,
			  const uint8_t *file)
{
	vm->g.ram_size = cfg->mem;
	vm->map_size = cfg->mem + MICA_PAGE_SIZE;
	vm->memfd = memfd_create("mica-guest", MFD_CLOEXEC);
	if (vm->memfd < 0 || ftruncate(vm->memfd, (off_t)vm->map_size) != 0) {
		log_error("cannot create guest memory (%s)", strerror(errno));
		return -1;
	}
	vm->map = mmap(NULL, vm->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->memfd, 0);
	if (vm->map == MAP_FAILED) {
		vm->map = NULL;
		log_error("cannot map guest memory of %llu bytes (%s)", (unsigned long long)cfg->mem,
			  strerror(errno));
		return -1;
	}
	vm->g.ram = vm->map;
	for (unsigned int i = 0; i < img->nsegments; i++) {
		const struct image_segment *s = &img->seg[i];
		memcpy(guest_ptr(&vm->g, s->vaddr, s->memsz), file + s->offset, s->filesz);
	}
	return 0;
}

static void proc_fill_hcpage(struct proc_vm *vm, const struct image *img)
{
	uint8_t *page = vm->map + vm->g.ram_size;
	memcpy(page, hcpage_template, (size_t)(hcpage_template_end - hcpage_template));
	struct hcpage_params *p = (struct hcpage_params *)(page + HCPAGE_PARAMS_OFFSET);
	uint64_t ram_end = MICA_RAM_BASE + vm->g.ram_size;

	*p = (struct hcpage_params){
		.unmap = {{0, MICA_PROC_HCPAGE},
			  {MICA_PROC_HCPAGE + MICA_PAGE_SIZE, MICA_RAM_BASE - MICA_PROC_HCPAGE - MICA_PAGE_SIZE},
			  {ram_end, PROC_USER_END - ram_end}},
		.entry = img->entry,
		.start_info = start_info_gaddr(&vm->g),
		.handshake = start_info_gaddr(&vm->g) + PROC_HANDSHAKE_OFFSET,
	};
	p->fprog.len = (unsigned short)seccomp_build_filter(p->filter, HCPAGE_MAX_FILTER, MICA_PROC_HCPAGE);
	p->fprog.filter = (struct sock_filter *)(MICA_PROC_HCPAGE + HCPAGE_PARAMS_OFFSET + HCP_FILTER);
}

static int proc_prot(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/*
 * Runs in the forked child with mica's code still mapped: maps guest RAM and the hypercall
 * page at their guest addresses, then hands over to the bootstrap, which unmaps everything else.
 */
static _Noreturn void proc_child(struct proc_vm *vm, const struct image *img, pid_t monitor)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != monitor)
		_exit(127);
	prctl(PR_SET_NAME, "mica-guest");
	if (mmap((void *)MICA_RAM_BASE, vm->g.ram_size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED_NOREPLACE, vm->memfd, 0) != (void *)MICA_RAM_BASE)
		_exit(127);
	for (unsigned int i = 0; i < img->nsegments; i++) {
		const struct image_segment *s = &img->seg[i];
		uint64_t start = s->vaddr & ~(MICA_PAGE_SIZE - 1);
		uint64_t end = (s->vaddr + s->memsz + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1);
		if (mprotect((void *)start, end - start, proc_prot(s->flags)) != 0)
			_exit(127);
	}
	if (mmap((void *)MICA_PROC_HCPAGE, MICA_PAGE_SIZE, PROT_READ | PROT_EXEC,
		 MAP_SHARED | MAP_FIXED_NOREPLACE, vm->memfd, (off_t)vm->g.ram_size) != (void *)MICA_PROC_HCPAGE)
		_exit(127);
	struct rlimit no_core = {0, 0};
	setrlimit(RLIMIT_CORE, &no_core);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(127);
	syscall(SYS_close_range, 0U, ~0U, 0U);
	((void (*)(void *))(MICA_PROC_HCPAGE + HCPAGE_BOOTSTRAP_OFFSET))(
		(void *)(MICA_PROC_HCPAGE + HCPAGE_PARAMS_OFFSET));
	_exit(127);
}

/* The child's exit status; 0 if it has not ended. */
static int proc_reap(struct proc_vm *vm, siginfo_t *si, int flags)
{
	memset(si, 0, sizeof(*si));
	if (syscall(SYS_waitid, P_PIDFD, vm->pidfd, si, WEXITED | flags, NULL) != 0)
		return 0;
	return si->si_pid != 0;
}

/* Waits for the bootstrap to publish its listener fd, then takes a copy of it. */
static int proc_handshake(struct proc_vm *vm)
{
	uint32_t *word = (uint32_t *)((uint8_t *)vm->g.start_info + PROC_HANDSHAKE_OFFSET);
	uint32_t v;
	siginfo_t si;

	while ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) == 0) {
		struct timespec ts = {0, 2000000};
		syscall(SYS_futex, word, FUTEX_WAIT, 0, &ts, NULL, 0);
		if (__atomic_load_n(word, __ATOMIC_ACQUIRE) == 0 && proc_reap(vm, &si, WNOHANG | WNOWAIT)) {
			log_error("the guest process failed to set up its sandbox (status %d)", si.si_status);
			return -1;
		}
	}
	vm->listener = (int)syscall(SYS_pidfd_getfd, vm->pidfd, (int)(v - 1), 0);
	if (vm->listener < 0) {
		log_error("cannot take the guest's seccomp listener (%s)", strerror(errno));
		return -1;
	}
	uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
	ioctl(vm->listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags); /* a speed-up where supported */
	return 0;
}

static void proc_respond(struct proc_vm *vm, uint64_t id, long val)
{
	struct seccomp_notif_resp resp = {.id = id, .val = val};
	/* ENOENT: the guest is gone or was interrupted; nothing to answer. */
	ioctl(vm->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* Handles one notification; returns -1 when the guest must be stopped with vm->g.end/exit set. */
static int proc_notification(struct proc_vm *vm, int *status)
{
	struct seccomp_notif req;
	memset(&req, 0, sizeof(req));
	if (ioctl(vm->listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
		return 0; /* the caller is gone (ENOENT) or a signal got in the way */

	uint64_t ip = req.data.instruction_pointer;
	long nr = req.data.nr;
	bool from_page = ip >= MICA_PROC_HCPAGE && ip < MICA_PROC_HCPAGE + MICA_PAGE_SIZE;
	if (from_page && nr >= MICA_PROC_HC_SYSNR_BASE && nr < MICA_PROC_HC_SYSNR_BASE + MICA_HC_SLOTS) {
		bool wait;
		uint64_t args[5];
		for (int i = 0; i < 5; i++)
			args[i] = req.data.args[i];
		long val = hypercall_dispatch(&vm->g, (unsigned int)(nr - MICA_PROC_HC_SYSNR_BASE), args,
					      &wait);
		if (vm->g.end != GUEST_RUNNING)
			return -1;
		if (wait)
			vm->block_id = req.id;
		else
			proc_respond(vm, req.id, val);
		return 0;
	}
	const char *name = syscall_name(nr);
	if (name)
		log_error("guest made a forbidden host call: %s (nr %ld)", name, nr);
	else
		log_error("guest made a forbidden host call: nr %ld%s", nr,
			  nr >= MICA_PROC_HC_SYSNR_BASE && nr < MICA_PROC_HC_SYSNR_BASE + MICA_HC_SLOTS
				  ? " (a hypercall number from outside the hypercall page)"
				  : "");
	*status = MICA_EXIT_FORBIDDEN;
	return -1;
}

static void proc_stdin(struct proc_vm *vm)
{
	char buf[1024];
	size_t space = console_input_space(&vm->g);
	ssize_t n = read(STDIN_FILENO, buf, space < sizeof(buf) ? space : sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			vm->stdin_open = false;
		return;
	}
	console_input(&vm->g, buf, (size_t)n);
}

/* A terminal we are not in the foreground of would stop mica with SIGTTIN on read. */
static bool proc_stdin_usable(void)
{
	if (fcntl(STDIN_FILENO, F_GETFD) < 0)
		return false;
	if (!isatty(STDIN_FILENO))
		return true;
	return tcgetpgrp(STDIN_FILENO) == getpgrp();
}

static int proc_guest_died(struct proc_vm *vm)
{
	siginfo_t si;
	if (!proc_reap(vm, &si, 0)) {
		log_error("lost track of the guest process");
		return MICA_EXIT_FAILURE;
	}
	vm->pid = 0;
	if (si.si_code == CLD_EXITED) {
		log_error("guest process exited without a shutdown hypercall (status %d)", si.si_status);
		return MICA_EXIT_CRASH;
	}
	if (si.si_status == SIGSYS) {
		log_error("guest made a forbidden host call: a system call outside the x86_64 ABI (SIGSYS)");
		return MICA_EXIT_FORBIDDEN;
	}
	log_error("guest crashed: %s", proc_signal_story(si.si_status));
	return MICA_EXIT_CRASH;
}

static int proc_end_status(struct proc_vm *vm)
{
	switch (vm->g.end) {
	case GUEST_POWEROFF:
		return vm->g.exit_status;
	case GUEST_REBOOT:
		log_error("guest asked to reboot; mica does not restart guests");
		return MICA_EXIT_REBOOT;
	default:
		log_error("guest crashed: it reported a crash (SHUTDOWN_crash)");
		return MICA_EXIT_CRASH;
	}
}

static int proc_loop(struct proc_vm *vm, const struct run_config *cfg)
{
	uint64_t run_deadline = cfg->timeout_ns ? cfg->start_ns + cfg->timeout_ns : 0;
	int status = 0;

	vm->stdin_open = proc_stdin_usable();
	for (;;) {
		uint64_t now = guest_now_ns();
		if (vm->g.blocked) {
			hypercall_timer_check(&vm->g, now);
			if (hypercall_block_done(&vm->g)) {
				vm->g.blocked = false;
				proc_respond(vm, vm->block_id, 0);
			}
		}
		if (run_deadline && now >= run_deadline) {
			log_error("guest still running after %.3g s (--timeout): stopped",
				  (double)cfg->timeout_ns / 1e9);
			return MICA_EXIT_TIMEOUT;
		}

		uint64_t wake = run_deadline;
		if (vm->g.blocked && vm->g.timer_deadline && (!wake || vm->g.timer_deadline < wake))
			wake = vm->g.timer_deadline;
		struct timespec ts, *tsp = NULL;
		if (wake) {
			uint64_t d = wake > now ? wake - now : 0;
			ts = (struct timespec){(time_t)(d / 1000000000ULL), (long)(d % 1000000000ULL)};
			tsp = &ts;
		}
		bool want_stdin = vm->stdin_open && console_input_space(&vm->g) > 0;
		struct pollfd pfd[3] = {
			{.fd = vm->listener, .events = POLLIN},
			{.fd = vm->sigfd, .events = POLLIN},
			{.fd = want_stdin ? STDIN_FILENO : -1, .events = POLLIN},
		};
		if (ppoll(pfd, 3, tsp, NULL) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll failed: %s", strerror(errno));
			return MICA_EXIT_FAILURE;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo ssi;
			if (read(vm->sigfd, &ssi, sizeof(ssi)) == (ssize_t)sizeof(ssi)) {
				log_error("interrupted by %s: guest stopped", strsignal((int)ssi.ssi_signo));
				return 128 + (int)ssi.ssi_signo;
			}
		}
		if (pfd[0].revents & POLLIN) {
			if (proc_notification(vm, &status) != 0)
				return vm->g.end != GUEST_RUNNING ? proc_end_status(vm) : status;
		} else if (pfd[0].revents & (POLLHUP | POLLERR)) {
			return proc_guest_died(vm);
		}
		if (pfd[2].revents & (POLLIN | POLLHUP))
			proc_stdin(vm);
	}
}

static void proc_print_stats(struct proc_vm *vm, const struct run_config *cfg)
{
	const struct mica_start_ext *ext = vm->g.ext;
	if (ext && ext->guest_main_ns > cfg->start_ns)
		fprintf(stderr, "stats: runtime start to guest main: %.1f us\n",
			(double)(ext->guest_main_ns - cfg->start_ns) / 1e3);
	fprintf(stderr, "stats: hypercalls: %llu\n", (unsigned long long)vm->g.hypercalls);
	fprintf(stderr, "stats: runtime start to guest end: %.1f us\n",
		(double)(guest_now_ns() - cfg->start_ns) / 1e3);
}

int proc_run(const struct run_config *cfg, const struct image *img, const uint8_t *file)
{
	struct proc_vm vm = {.memfd = -1, .pidfd = -1, .listener = -1, .sigfd = -1};
	char err[256];
	int status = MICA_EXIT_FAILURE;

	vm.g.echo_offered = (img->note.devices & MICA_DEV_ECHO) != 0;
	pvclock_start(&vm.g, cfg->start_tsc, cfg->start_ns);
	if (proc_map_guest(&vm, cfg, img, file) != 0)
		goto out;
	if (start_info_build(&vm.g, cfg->argc, cfg->argv, cfg->start_ns, err, sizeof(err)) != 0) {
		log_error("%s: %s", cfg->image_path, err);
		goto out;
	}
	proc_fill_hcpage(&vm, img);
	pvclock_update(&vm.g);

	/* Signals become events of the loop; the guest inherits them blocked and cannot unblock. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	vm.sigfd = signalfd(-1, &mask, SFD_CLOEXEC);

	pid_t monitor = getpid();
	vm.pid = (pid_t)syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, NULL, &vm.pidfd, NULL, 0);
	if (vm.pid < 0) {
		vm.pid = 0;
		log_error("cannot create the guest process (%s)", strerror(errno));
		goto out;
	}
	if (vm.pid == 0)
		proc_child(&vm, img, monitor);

	if (proc_handshake(&vm) != 0)
		goto out;
	status = proc_loop(&vm, cfg);
out:
	if (vm.pid > 0)
		syscall(SYS_pidfd_send_signal, vm.pidfd, SIGKILL, NULL, 0);
	if (vm.g.console)
		console_drain(&vm.g);
	if (cfg->stats && vm.g.ext)
		proc_print_stats(&vm, cfg);
	/* The killed guest is reaped by whoever inherits it; mica does not wait on its teardown. */
	return status;
}
