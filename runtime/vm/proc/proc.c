/*
 * proc backend: guest RAM is a memfd shared by mica and a guest process that keeps only that
 * RAM and the hypercall page mapped; hypercalls reach mica as seccomp user notifications.
 */
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/types.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "dev/blkback.h"
#include "dev/netback.h"
#include "snapshot/snapshot.h"
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
#include "xen/xenstore.h"

/* Linux 6.6 added synchronous wake-ups for notifiers; older uapi headers lack the names. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* Linux 5.11; musl 1.2.3's headers lack it. */
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Linux 5.14; musl 1.2.3's headers predate it. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* MXCSR of a new process: every SSE exception masked, round to nearest. */
#define PROC_MXCSR_INIT 0x1f80

/*
 * Runs one guest process may have before it is ended rather than recycled: a bound on what any
 * state this design overlooked could accumulate.
 */
#define PROC_RECYCLE_MAX 1000

/* asm/hwcap2.h: the kernel lets user code write FS and GS bases (WRFSBASE, WRGSBASE). */
#define PROC_HWCAP2_FSGSBASE (1UL << 1)

/* Highest user address on 4-level paging; nothing of the loader may survive below it. */
#define PROC_USER_END 0x7ffffffff000UL

/* The loader expects guest memory at this descriptor (runtime/vm/proc/loader/loader.S). */
#define PROC_LOADER_GUEST_FD 3

/* Runtime-private boot handshake word: last 4 bytes of the start_info page. */
#define PROC_HANDSHAKE_OFFSET (MICA_PAGE_SIZE - 4)

/* What the CLONE_VM child needs until it has exec'd the loader. */
struct proc_child_args {
	pid_t monitor;
	int memfd;
	int loader_fd;
};

/* Stack of the CLONE_VM child: raw system calls only, up to the exec. */
#define PROC_CHILD_STACK 8192

/* One run's state; allocated per run, so threads of one process (mica serve) run many at once. */
struct proc_vm {
	struct guest g;
	int memfd;
	int loader_fd;
	uint8_t *map; /* guest RAM then the hypercall page */
	size_t map_size;
	pid_t pid;
	int pidfd;
	int listener;
	int sigfd;
	int stop_fd;                /* run_embed's: readable when the caller wants the guest stopped */
	bool stdin_open;
	uint64_t block_id;
	/* The run, and for --snapshot the image the save at the ready hypercall records */
	const struct run_config *cfg;
	const struct image *img;
	const uint8_t *file;
	size_t file_len;
	bool parked;                /* waiting in its park call (park_id), sandboxed, for a restore */
	uint64_t park_id;
	bool pooled;                /* made by proc_park: lives as long as the thread that made it */
	bool ram_ready;             /* RAM holds the snapshot's content already: a restore writes no page */
	bool poweroff_held;         /* the guest waits in its poweroff call (poweroff_id), unanswered */
	uint64_t poweroff_id;
	unsigned int uses;          /* runs this guest process has had */
	uint64_t restore_start_ns;  /* when a restore began; 0: not a restore */
	uint64_t restore_ns;        /* from then to the restored guest's first hypercall; 0: none yet */
	struct proc_child_args child;
	char child_stack[PROC_CHILD_STACK] __attribute__((aligned(16)));
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

static int proc_create_memory(struct proc_vm *vm, uint64_t ram)
{
	vm->g.ram_size = ram;
	vm->map_size = ram + MICA_PAGE_SIZE;
	vm->memfd = memfd_create("mica-guest-ram", MFD_CLOEXEC);
	if (vm->memfd < 0 || ftruncate(vm->memfd, (off_t)vm->map_size) != 0) {
		log_error("cannot create guest memory (%s)", strerror(errno));
		return -1;
	}
	size_t len = (size_t)(proc_loader_elf_end - proc_loader_elf);
	vm->loader_fd = memfd_create("mica-guest", MFD_CLOEXEC);
	if (vm->loader_fd < 0 || write(vm->loader_fd, proc_loader_elf, len) != (ssize_t)len) {
		log_error("cannot prepare the guest loader (%s)", strerror(errno));
		return -1;
	}
	return 0;
}

/* Pages mica writes are faulted in by one call: a fault costs more than the copy here. */
static void proc_populate(void *addr, size_t len)
{
	madvise(addr, len, MADV_POPULATE_WRITE);
}

/* End of the file-backed part of the image: what mica writes; bss is left to demand faults. */
static uint64_t proc_filled_end(const struct image *img)
{
	uint64_t end = img->lowest;
	for (unsigned int i = 0; i < img->nsegments; i++) {
		uint64_t e = (img->seg[i].vaddr + img->seg[i].filesz + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1);
		if (img->seg[i].filesz && e > end)
			end = e;
	}
	return end;
}

/* Maps guest RAM and the hypercall page in mica, the special pages faulted in; -1 after one log line. */
static int proc_map_ram(struct proc_vm *vm)
{
	vm->map = mmap(NULL, vm->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->memfd, 0);
	if (vm->map == MAP_FAILED) {
		vm->map = NULL;
		log_error("cannot map guest memory of %llu bytes (%s)", (unsigned long long)vm->g.ram_size,
			  strerror(errno));
		return -1;
	}
	vm->g.ram = vm->map;
	proc_populate(vm->map + vm->g.ram_size - START_INFO_RESERVED, START_INFO_RESERVED + MICA_PAGE_SIZE);
	start_info_attach(&vm->g);
	return 0;
}

static int proc_map_guest(struct proc_vm *vm, const struct image *img, const uint8_t *file)
{
	if (proc_map_ram(vm) != 0)
		return -1;
	uint64_t filled = proc_filled_end(img) - img->lowest;
	proc_populate(guest_ptr(&vm->g, img->lowest, filled), filled);
	for (unsigned int i = 0; i < img->nsegments; i++) {
		const struct image_segment *s = &img->seg[i];
		memcpy(guest_ptr(&vm->g, s->vaddr, s->memsz), file + s->offset, s->filesz);
	}
	return 0;
}

static int proc_prot(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/* Each image segment as {page-aligned start, length, PROT_* bits}; returns how many. */
static unsigned int proc_segments(const struct image *img, uint64_t out[][3], unsigned int max)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < img->nsegments && n < max; i++, n++) {
		const struct image_segment *s = &img->seg[i];
		uint64_t start = s->vaddr & ~(MICA_PAGE_SIZE - 1);
		uint64_t end = (s->vaddr + s->memsz + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1);
		out[n][0] = start;
		out[n][1] = end - start;
		out[n][2] = (uint64_t)proc_prot(s->flags);
	}
	return n;
}

/* Whether the kernel enabled XSAVE (CPUID.1:ECX.OSXSAVE): the bootstrap's XRSTOR needs it. */
static uint32_t proc_os_xsave(void)
{
	unsigned int a, b, c, d;
	return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE);
}

/* The hypercall page and the bootstrap's parameters shared by a boot and a restore. */
static struct hcpage_params *proc_fill_hcpage(struct proc_vm *vm)
{
	uint8_t *page = vm->map + vm->g.ram_size;
	memcpy(page, hcpage_template, (size_t)(hcpage_template_end - hcpage_template));
	struct hcpage_params *p = (struct hcpage_params *)(page + HCPAGE_PARAMS_OFFSET);
	uint64_t ram_end = MICA_RAM_BASE + vm->g.ram_size;

	*p = (struct hcpage_params){
		.unmap = {{0, MICA_PROC_HCPAGE},
			  {MICA_PROC_HCPAGE + MICA_PAGE_SIZE, MICA_RAM_BASE - MICA_PROC_HCPAGE - MICA_PAGE_SIZE},
			  {ram_end, PROC_USER_END - ram_end}},
		.start_info = start_info_gaddr(&vm->g),
		.handshake = start_info_gaddr(&vm->g) + PROC_HANDSHAKE_OFFSET,
		.mxcsr = PROC_MXCSR_INIT,
		.xsave = proc_os_xsave(),
	};
	p->fprog.len = (unsigned short)seccomp_build_filter(p->filter, HCPAGE_MAX_FILTER, MICA_PROC_HCPAGE);
	p->fprog.filter = (struct sock_filter *)(MICA_PROC_HCPAGE + HCPAGE_PARAMS_OFFSET + HCP_FILTER);
	return p;
}

static void proc_fill_hcpage_boot(struct proc_vm *vm, const struct image *img)
{
	struct hcpage_params *p = proc_fill_hcpage(vm);
	uint64_t ram_end = MICA_RAM_BASE + vm->g.ram_size;
	p->populate[0][0] = img->lowest;
	p->populate[0][1] = proc_filled_end(img) - img->lowest;
	p->populate[1][0] = ram_end - START_INFO_RESERVED;
	p->populate[1][1] = START_INFO_RESERVED;
	p->entry = img->entry;
	proc_segments(img, p->protect, HCPAGE_PROTECT_MAX);
}

/* The child shares mica's memory until it execs, so it uses no libc (errno is shared). */
static long proc_raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5)
{
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
			     : "rcx", "r11", "memory");
	return ret;
}

/*
 * Runs on its own stack in a CLONE_VM child: arranges what survives exec (no core dumps, no new
 * privileges, death with the thread that made it, guest memory at fd 3 and no other fd of mica's:
 * a gateway's other instances' pipes and its clients' sockets must not live on in a guest) and
 * execs the loader.
 */
static int proc_child(void *arg)
{
	const struct proc_child_args *a = arg;
	static char *const argv[] = {"mica-guest", NULL}, *const envp[] = {NULL};
	struct rlimit no_core = {0, 0};

	if (proc_raw_syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    proc_raw_syscall(SYS_getppid, 0, 0, 0, 0, 0) != a->monitor)
		proc_raw_syscall(SYS_exit_group, 127, 0, 0, 0, 0);
	proc_raw_syscall(SYS_prlimit64, 0, RLIMIT_CORE, (long)&no_core, 0, 0);
	proc_raw_syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (a->memfd == PROC_LOADER_GUEST_FD)
		proc_raw_syscall(SYS_fcntl, PROC_LOADER_GUEST_FD, F_SETFD, 0, 0, 0);
	else
		proc_raw_syscall(SYS_dup2, a->memfd, PROC_LOADER_GUEST_FD, 0, 0, 0);
	/* Close-on-exec rather than closed: the loader's own fd must last until the exec. */
	proc_raw_syscall(SYS_close_range, 0, PROC_LOADER_GUEST_FD - 1, CLOSE_RANGE_CLOEXEC, 0, 0);
	proc_raw_syscall(SYS_close_range, PROC_LOADER_GUEST_FD + 1, ~0U, CLOSE_RANGE_CLOEXEC, 0, 0);
	proc_raw_syscall(SYS_execveat, a->loader_fd, (long)"", (long)argv, (long)envp, AT_EMPTY_PATH);
	proc_raw_syscall(SYS_exit_group, 127, 0, 0, 0, 0);
	return 127;
}

/* Starts the guest process; it execs the loader while mica goes on loading the image. */
static int proc_spawn(struct proc_vm *vm)
{
	vm->child = (struct proc_child_args){getpid(), vm->memfd, vm->loader_fd};
	vm->pid = clone(proc_child, vm->child_stack + sizeof(vm->child_stack), CLONE_VM | CLONE_PIDFD | SIGCHLD,
			&vm->child, &vm->pidfd);
	if (vm->pid < 0) {
		vm->pid = 0;
		log_error("cannot create the guest process (%s)", strerror(errno));
		return -1;
	}
	return 0;
}

/* Lets the loader, waiting on the shared futex, enter the bootstrap. */
static void proc_go(struct proc_vm *vm)
{
	struct hcpage_params *p = (struct hcpage_params *)(vm->map + vm->g.ram_size + HCPAGE_PARAMS_OFFSET);
	__atomic_store_n(&p->go, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &p->go, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* The child's exit status; 0 if it has not ended. */
static int proc_reap(struct proc_vm *vm, siginfo_t *si, int flags)
{
	memset(si, 0, sizeof(*si));
	if (syscall(SYS_waitid, P_PIDFD, vm->pidfd, si, WEXITED | flags, NULL) != 0)
		return 0;
	return si->si_pid != 0;
}

/*
 * Waits for the bootstrap to publish its listener fd, then takes a copy of it. Returns 0, 1 if
 * the guest ended before that (its fate is for proc_guest_died), or -1 on failure.
 */
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
	if (vm->listener < 0 && errno == ESRCH)
		return 1; /* the guest already ended, before its first hypercall */
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

/*
 * The guest's ready hypercall under --snapshot: it waits inside the call while its RAM, its
 * context and the runtime's state go to the file. Returns mica's exit status (0: saved).
 */
static int proc_snapshot(struct proc_vm *vm, uint64_t ctx)
{
	const struct run_config *cfg = vm->cfg;
	char err[256];

	console_drain(&vm->g);
	blkback_quiesce(&vm->g);
	if (!guest_ptr(&vm->g, ctx, sizeof(struct mica_ready_ctx)) || ctx % 8) {
		log_error("guest's ready context is outside its RAM: no snapshot written");
		return MICA_EXIT_CRASH;
	}
	struct snapshot_source src = {
		.g = &vm->g,
		.run = cfg,
		.memfd = vm->memfd,
		.platform = MICA_PLAT_PROC,
		.image = vm->file,
		.image_len = vm->file_len,
		.app = vm->img->note.app,
		.ready_ctx = ctx,
	};
	src.nsegments = proc_segments(vm->img, src.seg, SNAPSHOT_MAX_SEGMENTS);
	if (snapshot_write(cfg->snapshot_path, &src, err, sizeof(err)) != 0) {
		log_error("%s: %s", cfg->snapshot_path, err);
		return MICA_EXIT_FAILURE;
	}
	return 0;
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
	if (vm->restore_start_ns && !vm->restore_ns)
		vm->restore_ns = guest_now_ns() - vm->restore_start_ns;
	bool from_page = ip >= MICA_PROC_HCPAGE && ip < MICA_PROC_HCPAGE + MICA_PAGE_SIZE;
	if (from_page && nr == MICA_PROC_HC_SYSNR_BASE + MICA_HC_READY && vm->cfg->snapshot_path) {
		*status = proc_snapshot(vm, req.data.args[0]);
		return -1;
	}
	if (from_page && nr >= MICA_PROC_HC_SYSNR_BASE && nr < MICA_PROC_HC_SYSNR_BASE + MICA_HC_SLOTS) {
		bool wait;
		uint64_t args[5];
		for (int i = 0; i < 5; i++)
			args[i] = req.data.args[i];
		long val = hypercall_dispatch(&vm->g, (unsigned int)(nr - MICA_PROC_HC_SYSNR_BASE), args,
					      &wait);
		if (vm->g.end != GUEST_RUNNING) {
			/* Unanswered: the guest waits there until it is ended, or recycled (proc_recycle). */
			vm->poweroff_held = vm->g.end == GUEST_POWEROFF;
			vm->poweroff_id = req.id;
			return -1;
		}
		if (wait)
			vm->block_id = req.id;
		else
			proc_respond(vm, req.id, val);
		/* After the answer: the guest runs on while its devices do their I/O here. */
		evtchn_run_deferred(&vm->g);
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

/* mica's status once the loop stops: the guest's own, unless a --snapshot never happened. */
static int proc_end(struct proc_vm *vm, const struct run_config *cfg, int status)
{
	if (vm->g.end == GUEST_RUNNING)
		return status;
	status = guest_end_status(&vm->g);
	if (cfg->snapshot_path && vm->g.end == GUEST_POWEROFF) {
		log_error("guest powered off (status %d) without signalling ready (mica_ready): no snapshot "
			  "written", status);
		return MICA_EXIT_FAILURE;
	}
	return status;
}

static int proc_loop(struct proc_vm *vm, const struct run_config *cfg)
{
	uint64_t run_deadline = cfg->timeout_ns ? cfg->start_ns + cfg->timeout_ns : 0;
	int status = 0;

	/* A snapshot holds no input: what the restored guest reads comes from its own stdin. */
	vm->stdin_open = !cfg->snapshot_path && console_stdin_usable();
	int stdin_fd = console_host_input();
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
		struct pollfd pfd[4 + GUEST_MAX_HOST_FDS] = {
			{.fd = vm->listener, .events = POLLIN},
			{.fd = vm->sigfd, .events = POLLIN},
			{.fd = want_stdin ? stdin_fd : -1, .events = POLLIN},
			{.fd = vm->stop_fd, .events = POLLIN},
		};
		unsigned int nhost = guest_fd_pollfds(&vm->g, pfd + 4);
		if (ppoll(pfd, 4 + nhost, tsp, NULL) < 0) {
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
		if (pfd[3].revents)
			return 128 + SIGKILL;
		if (pfd[0].revents & POLLIN) {
			if (proc_notification(vm, &status) != 0)
				return proc_end(vm, cfg, status);
		} else if (pfd[0].revents & (POLLHUP | POLLERR)) {
			return proc_guest_died(vm);
		}
		if (pfd[2].revents & (POLLIN | POLLHUP))
			vm->stdin_open = console_feed_stdin(&vm->g);
		guest_fd_dispatch(&vm->g, pfd + 4, nhost);
	}
}

/* Guest RAM and the guest's special pages for a boot: the image, start info, initrd, devices. */
static int proc_boot_memory(struct proc_vm *vm, const struct run_config *cfg, const struct image *img,
			    const uint8_t *file, const struct run_blob *initrd)
{
	char err[256];
	if (proc_map_guest(vm, img, file) != 0)
		return -1;
	if (start_info_build(&vm->g, cfg->argc, cfg->argv, cfg->nenv, cfg->env, cfg->start_ns, err,
			     sizeof(err)) != 0) {
		log_error("%s: %s", cfg->image_path, err);
		return -1;
	}
	if (initrd->size)
		start_info_initrd(&vm->g, initrd->data, initrd->size);
	if (netback_start(&vm->g, cfg) != 0 || blkback_start(&vm->g, cfg) != 0)
		return -1;
	proc_fill_hcpage_boot(vm, img);
	return 0;
}

/* Largest run of untouched pages merged into a range to populate: beyond it, faults are cheaper. */
#define PROC_POPULATE_MAX_GAP (2UL << 20)

/*
 * The ranges the bootstrap faults in for a restored guest: the stored pages, runs closer than a
 * growing gap merged until they fit the list (a gap costs zeroed pages, far cheaper than faults).
 * A guest whose pages are scattered wider keeps its first ranges; the rest fault in on use.
 */
static void proc_restore_populate(struct hcpage_params *p, const struct snapshot *snap)
{
	const struct snapshot_extent *e = snap->v.extents;
	uint32_t n = snap->v.hdr->nextents;
	for (uint64_t gap = 0;; gap = gap ? gap * 2 : MICA_PAGE_SIZE) {
		unsigned int used = 0;
		bool full = false;
		memset(p->populate, 0, sizeof(p->populate));
		for (uint32_t i = 0; i < n && !full; i++) {
			uint64_t end = e[i].gaddr + e[i].pages * MICA_PAGE_SIZE;
			if (used && e[i].gaddr - (p->populate[used - 1][0] + p->populate[used - 1][1]) <= gap) {
				p->populate[used - 1][1] = end - p->populate[used - 1][0];
			} else if (used < HCPAGE_POPULATE_MAX) {
				p->populate[used][0] = e[i].gaddr;
				p->populate[used][1] = end - e[i].gaddr;
				used++;
			} else {
				full = true;
			}
		}
		if (!full || gap >= PROC_POPULATE_MAX_GAP)
			return;
	}
}

/* The bootstrap's parameters for a restored guest: the snapshot's segments and stored pages. */
static struct hcpage_params *proc_fill_hcpage_restore(struct proc_vm *vm, const struct snapshot *snap)
{
	const struct snapshot_header *h = snap->v.hdr;
	struct hcpage_params *p = proc_fill_hcpage(vm);
	for (uint32_t i = 0; i < h->nsegments && i < HCPAGE_PROTECT_MAX; i++) {
		p->protect[i][0] = h->seg[i].addr;
		p->protect[i][1] = h->seg[i].len;
		p->protect[i][2] = h->seg[i].prot;
	}
	proc_restore_populate(p, snap);
	return p;
}

/*
 * Guest RAM for a restore: a fresh memfd gets the stored pages (docs/abi.md §14 on why proc copies
 * them; a parked guest's has them already), then the runtime state of the snapshot, the present
 * time and fresh entropy.
 */
static int proc_restore_memory(struct proc_vm *vm, const struct run_config *cfg, const struct snapshot *snap)
{
	const struct snapshot_header *h = snap->v.hdr;
	if (!vm->ram_ready && snapshot_fill_memfd(snap, vm->memfd) != 0) {
		log_error("cannot fill guest memory from the snapshot (%s)", strerror(errno));
		return -1;
	}
	vm->ram_ready = false;
	if (!vm->map && proc_map_ram(vm) != 0)
		return -1;
	if (snapshot_state_apply(&vm->g, snap->v.state, cfg) != 0)
		return -1;

	/* This run's start and stdin; the wall clock is recomputed for this host boot. */
	vm->g.ext->runtime_start_ns = cfg->start_ns;
	__atomic_store_n(&vm->g.ext->flags, 0, __ATOMIC_RELEASE);
	vm->g.shared->wc_version = 0;
	/* The saved run's handshake word would hand mica a stale fd number. */
	*(uint32_t *)((uint8_t *)vm->g.start_info + PROC_HANDSHAKE_OFFSET) = 0;
	struct mica_ready_ctx *ctx = guest_ptr(&vm->g, h->ready_ctx, sizeof(*ctx));
	if (getrandom(ctx->entropy, sizeof(ctx->entropy), 0) != (ssize_t)sizeof(ctx->entropy)) {
		log_error("cannot get entropy for the restored guest (%s)", strerror(errno));
		return -1;
	}
	/* A parked guest's bootstrap reads the context only once its park call returns. */
	struct hcpage_params *p = vm->parked ? (struct hcpage_params *)(vm->map + vm->g.ram_size + HCPAGE_PARAMS_OFFSET)
					      : proc_fill_hcpage_restore(vm, snap);
	__atomic_store_n(&p->restore, h->ready_ctx, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Run states kept for the next run of a long-lived caller (mica serve): malloc hands a freed one
 * back to the kernel with madvise, and in a process whose threads run on every CPU each such
 * call costs a TLB shootdown.
 */
#define PROC_VM_CACHE 16
static pthread_mutex_t proc_vm_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct proc_vm *proc_vm_cache[PROC_VM_CACHE];
static unsigned int proc_vm_cached;

static struct proc_vm *proc_vm_new(void)
{
	struct proc_vm *vm = NULL;
	pthread_mutex_lock(&proc_vm_cache_lock);
	if (proc_vm_cached)
		vm = proc_vm_cache[--proc_vm_cached];
	pthread_mutex_unlock(&proc_vm_cache_lock);
	if (vm)
		memset(vm, 0, sizeof(*vm));
	/* calloc leaves the pages it takes fresh from the kernel untouched: only what the run uses faults in. */
	else if (!(vm = calloc(1, sizeof(*vm)))) {
		log_error("cannot allocate the guest's state (%s)", strerror(errno));
		return NULL;
	}
	vm->memfd = vm->loader_fd = vm->pidfd = vm->listener = vm->sigfd = vm->stop_fd = -1;
	return vm;
}

/* Releases everything a run opened and mapped; the guest process is gone by now. */
static void proc_release(struct proc_vm *vm)
{
	int fds[] = {vm->memfd, vm->loader_fd, vm->pidfd, vm->listener, vm->sigfd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (vm->map)
		munmap(vm->map, vm->map_size);
	pthread_mutex_lock(&proc_vm_cache_lock);
	if (proc_vm_cached < PROC_VM_CACHE) {
		proc_vm_cache[proc_vm_cached++] = vm;
		vm = NULL;
	}
	pthread_mutex_unlock(&proc_vm_cache_lock);
	free(vm);
}

/*
 * Whether the guest process of a run that just ended may serve another restore of its snapshot
 * (proc_recycle): only one proc_park made, that powered off cleanly with status 0 from a run with
 * no device but the console, and has not had PROC_RECYCLE_MAX runs yet. Never where the guest
 * could set its GS base itself, which the bootstrap does not reset (docs/abi.md §14).
 */
static bool proc_recyclable(const struct proc_vm *vm, const struct run_config *cfg, int status)
{
	return cfg->embed && cfg->embed->recycle && cfg->restore_snapshot && vm->pooled && vm->pid > 0 &&
	       vm->poweroff_held && vm->g.end == GUEST_POWEROFF && status == 0 && !cfg->snapshot_path &&
	       !cfg->nnics && !cfg->ndisks && !vm->g.nnics && !vm->g.nfds && vm->uses < PROC_RECYCLE_MAX &&
	       !(getauxval(AT_HWCAP2) & PROC_HWCAP2_FSGSBASE);
}

int proc_run(const struct run_config *cfg, const struct image *img, const uint8_t *file, size_t file_len,
	     const struct run_blob *initrd)
{
	const struct snapshot *snap = cfg->restore_snapshot;
	struct run_embed *embed = cfg->embed;
	int status = MICA_EXIT_FAILURE;
	bool recycle;
	uint64_t begin_ns = guest_now_ns();

	struct proc_vm *vm;
	if (snap && embed && embed->parked) {
		vm = embed->parked;
		embed->parked = NULL;
	} else {
		vm = proc_vm_new();
	}
	if (!vm)
		return MICA_EXIT_FAILURE;
	vm->restore_start_ns = snap ? begin_ns : 0;
	vm->stop_fd = embed ? embed->stop_fd : -1;
	vm->cfg = cfg;
	vm->img = img;
	vm->file = file;
	vm->file_len = file_len;
	vm->g.echo_offered = !snap && (img->note.devices & MICA_DEV_ECHO) != 0;
	vm->g.defer_devices = true;
	pvclock_start(&vm->g, cfg->start_tsc, cfg->start_ns);
	console_use_fds(embed ? embed->console_in : STDIN_FILENO, embed ? embed->console_out : STDOUT_FILENO);

	/* Signals become events of the loop and the guest inherits them blocked; an embedding caller keeps its own. */
	if (!embed) {
		sigset_t mask;
		sigemptyset(&mask);
		sigaddset(&mask, SIGINT);
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGHUP);
		sigaddset(&mask, SIGQUIT);
		sigprocmask(SIG_BLOCK, &mask, NULL);
		vm->sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	}

	if (vm->parked) {
		vm->uses++;
		if (embed)
			embed->uses = vm->uses;
		if (proc_restore_memory(vm, cfg, snap) != 0)
			goto out;
		pvclock_update(&vm->g);
		vm->parked = false;
		proc_respond(vm, vm->park_id, 0);
		status = proc_loop(vm, cfg);
		goto out;
	}
	if (proc_create_memory(vm, snap ? snap->v.hdr->ram_size : cfg->mem) != 0 || proc_spawn(vm) != 0)
		goto out;
	if (snap ? proc_restore_memory(vm, cfg, snap) != 0 : proc_boot_memory(vm, cfg, img, file, initrd) != 0)
		goto out;
	pvclock_update(&vm->g);
	proc_go(vm);

	switch (proc_handshake(vm)) {
	case 0:
		status = proc_loop(vm, cfg);
		break;
	case 1:
		status = proc_guest_died(vm);
		break;
	default:
		break;
	}
out:
	recycle = proc_recyclable(vm, cfg, status);
	/* Killed first so its teardown overlaps the console drain; reaped last, since an orphan
	 * would be left to an init that may never reap it. */
	if (vm->pid > 0 && !recycle)
		syscall(SYS_pidfd_send_signal, vm->pidfd, SIGKILL, NULL, 0);
	if (vm->g.console)
		console_drain(&vm->g);
	if (vm->pid > 0 && !recycle) {
		siginfo_t si;
		proc_reap(vm, &si, 0);
	}
	if (cfg->stats && vm->g.ext)
		guest_print_stats(&vm->g, cfg->start_ns);
	if (cfg->stats && vm->restore_ns)
		fprintf(stderr, "stats: restore to the guest's first hypercall after it: %.1f us\n",
			(double)vm->restore_ns / 1e3);
	if (embed)
		embed->restore_ns = vm->restore_ns;
	netback_stop(&vm->g, cfg->stats && vm->g.ext);
	blkback_stop(&vm->g, cfg->stats && vm->g.ext);
	xenstore_destroy(&vm->g);
	console_use_fds(STDIN_FILENO, STDOUT_FILENO);
	if (recycle)
		embed->recycled = vm;
	else
		proc_release(vm);
	return status;
}

/*
 * Takes the guest's park call, which it makes within timeout_ms (-1: no limit); 0, or -1 after a
 * log line when it ended or made any other call instead.
 */
static int proc_wait_park(struct proc_vm *vm, int timeout_ms)
{
	/* Polled first: a guest that dies on its way to the park call hangs the listener up. */
	struct pollfd pfd = {.fd = vm->listener, .events = POLLIN};
	int n;
	while ((n = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	struct seccomp_notif req;
	memset(&req, 0, sizeof(req));
	if (n <= 0 || !(pfd.revents & POLLIN) || ioctl(vm->listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
		log_error("a parked guest process ended, or took too long, before its park call");
		return -1;
	}
	uint64_t parked_ip = MICA_PROC_HCPAGE + (uint64_t)(hcpage_parked - hcpage_template);
	if (req.data.nr != HCPAGE_PARK_SYSNR || req.data.instruction_pointer != parked_ip) {
		log_error("a parked guest process made host call %d instead of its park call", req.data.nr);
		return -1;
	}
	vm->park_id = req.id;
	vm->parked = true;
	return 0;
}

struct proc_vm *proc_park(const struct snapshot *snap)
{
	struct proc_vm *vm = proc_vm_new();
	if (!vm)
		return NULL;
	if (proc_create_memory(vm, snap->v.hdr->ram_size) != 0 || proc_spawn(vm) != 0 || proc_map_ram(vm) != 0)
		goto fail;
	struct hcpage_params *p = proc_fill_hcpage_restore(vm, snap);
	p->park = 1;
	proc_go(vm);
	if (proc_handshake(vm) != 0) {
		log_error("a parked guest process ended before its sandbox was up");
		goto fail;
	}
	/* The loader is exec'd and mapped already: its fd is of no further use. */
	close(vm->loader_fd);
	vm->loader_fd = -1;
	if (proc_wait_park(vm, -1) != 0)
		goto fail;
	if (snapshot_fill_memfd(snap, vm->memfd) != 0) {
		log_error("cannot fill guest memory from the snapshot (%s)", strerror(errno));
		goto fail;
	}
	vm->ram_ready = true;
	vm->pooled = true;
	return vm;
fail:
	proc_park_discard(vm);
	return NULL;
}

void proc_park_discard(struct proc_vm *vm)
{
	if (vm->pid > 0) {
		siginfo_t si;
		syscall(SYS_pidfd_send_signal, vm->pidfd, SIGKILL, NULL, 0);
		proc_reap(vm, &si, 0);
	}
	proc_release(vm);
}

/* Checks 8 bytes at a time: most pages a guest touched and left zero are found so in a few reads. */
static bool proc_page_zero(const uint8_t *page)
{
	const uint64_t *w = (const uint64_t *)page;
	for (size_t i = 0; i < MICA_PAGE_SIZE / 8; i++)
		if (w[i])
			return false;
	return true;
}

/*
 * Guest RAM back to the snapshot's content: the stored pages rewritten, and every other page the
 * memfd holds (each page the guest or mica ever touched) zeroed unless it is zero. Pages stay
 * allocated and mapped in the guest: unmapping them costs TLB shootdowns here, and faults later.
 * The walk asks for the next allocated page and jumps over each stored extent whole: finding a
 * hole walks every page before it, so it is asked for only past pages no extent covers.
 */
static int proc_reset_ram(struct proc_vm *vm, const struct snapshot *snap)
{
	if (snapshot_fill_memfd(snap, vm->memfd) != 0)
		return -1;
	const struct snapshot_extent *e = snap->v.extents;
	uint32_t n = snap->v.hdr->nextents, k = 0;
	off_t end = (off_t)vm->g.ram_size, at = 0;
	while (at < end) {
		off_t data = lseek(vm->memfd, at, SEEK_DATA);
		if (data < 0)
			return errno == ENXIO ? 0 : -1;
		if (data >= end)
			break;
		data &= ~(off_t)(MICA_PAGE_SIZE - 1);
		/* The extents are sorted and disjoint (snapshot_parse checked): one pass. */
		uint64_t gaddr = MICA_RAM_BASE + (uint64_t)data;
		while (k < n && e[k].gaddr + e[k].pages * MICA_PAGE_SIZE <= gaddr)
			k++;
		if (k < n && e[k].gaddr <= gaddr) {
			at = (off_t)(e[k].gaddr + e[k].pages * MICA_PAGE_SIZE - MICA_RAM_BASE);
			continue;
		}
		off_t stop = k < n ? (off_t)(e[k].gaddr - MICA_RAM_BASE) : end;
		off_t hole = lseek(vm->memfd, data, SEEK_HOLE);
		if (hole < 0)
			return -1;
		if (hole < stop)
			stop = hole;
		for (off_t off = data; off < stop; off += MICA_PAGE_SIZE)
			if (!proc_page_zero(vm->map + off))
				memset(vm->map + off, 0, MICA_PAGE_SIZE);
		at = stop;
	}
	return 0;
}

/* The monitor's state of a parked guest as proc_park leaves it: nothing of the last run. */
static void proc_rearm(struct proc_vm *vm)
{
	uint8_t *ram = vm->g.ram;
	uint64_t ram_size = vm->g.ram_size;
	memset(&vm->g, 0, sizeof(vm->g));
	vm->g.ram = ram;
	vm->g.ram_size = ram_size;
	start_info_attach(&vm->g);
	vm->stop_fd = -1;
	vm->stdin_open = false;
	vm->block_id = 0;
	vm->restore_start_ns = vm->restore_ns = 0;
	vm->cfg = NULL;
	vm->img = NULL;
	vm->file = NULL;
	vm->file_len = 0;
}

/* How long a recycled guest may take from its poweroff's answer to its park call: a few instructions. */
#define PROC_REPARK_TIMEOUT_MS 10000

int proc_recycle(struct proc_vm *vm, const struct snapshot *snap)
{
	struct seccomp_notif_resp resp = {.id = vm->poweroff_id, .val = HCPAGE_REPARK};
	vm->poweroff_held = false;
	/* RAM is reset only once the guest waits in its park call: until then it still runs. */
	if (ioctl(vm->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 ||
	    proc_wait_park(vm, PROC_REPARK_TIMEOUT_MS) != 0 || proc_reset_ram(vm, snap) != 0) {
		proc_park_discard(vm);
		return -1;
	}
	vm->ram_ready = true;
	proc_rearm(vm);
	return 0;
}
