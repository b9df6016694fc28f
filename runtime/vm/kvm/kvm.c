/*
 * kvm backend: the guest is a one-vCPU hardware VM entered at its PVH entry point, or resumed from
 * a snapshot whose pages it maps copy-on-write. Hypercalls, the hypercall-page MSR and halts exit
 * to this loop; events reach the guest as its upcall vector.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "dev/blkback.h"
#include "dev/netback.h"
#include "snapshot/snapshot.h"
#include "util/log.h"
#include "vm/kvm/cpu.h"
#include "vm/run.h"
#include "xen/console.h"
#include "xen/hvm.h"
#include "xen/hvm_start_info.h"
#include "xen/hypercall.h"
#include "xen/pvclock.h"
#include "xen/xenstore.h"

/* Where VMX keeps its real-mode TSS: above any guest RAM mica gives, below the 4 GiB hole's end. */
#define KVM_TSS_ADDR 0xfffbd000UL

struct kvm_vm {
	struct guest g;
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem; /* guest-physical [0, MICA_RAM_BASE + RAM) */
	size_t mem_size;
	int memfd;    /* backs mem on a boot (what --snapshot saves from); -1 on a restore */
	const struct run_config *cfg;
	const struct image *img; /* a boot's image (file_len bytes at file), for --snapshot */
	const uint8_t *file;
	size_t file_len;
	timer_t timer;
	bool timer_made;
	uint64_t timer_armed; /* absolute monotonic ns of the pending SIGALRM, 0: none */
	sigset_t stop_signals; /* blocked while mica checks, before it sleeps in ppoll */
	sigset_t wait_mask;    /* the mask ppoll sleeps with: the above let in */
	bool stdin_open;
	uint64_t exits, upcalls;
};

/* Before the guest places shared_info in its RAM (XENMEM_add_to_physmap) it lives here. */
static shared_info_t kvm_boot_shared __attribute__((aligned(4096)));

static volatile sig_atomic_t kvm_signal;
static struct kvm_run *volatile kvm_running;

/*
 * A signal makes KVM_RUN return at once, even one that lands between mica's last check and the
 * ioctl: immediate_exit is KVM's answer to that race. SIGALRM only has to get mica out of
 * KVM_RUN or ppoll; the loop then looks at the clock.
 */
static void kvm_on_signal(int sig)
{
	if (sig != SIGALRM)
		kvm_signal = sig;
	if (kvm_running)
		kvm_running->immediate_exit = 1;
}

static int kvm_open(struct kvm_vm *vm)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd >= 0)
		return 0;
	if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
		log_error("--backend kvm: /dev/kvm does not exist: this host offers no hardware "
			  "virtualization (load kvm-intel or kvm-amd), or run a proc image with --backend proc");
	else if (errno == EACCES || errno == EPERM)
		log_error("--backend kvm: no permission to open /dev/kvm (join its group, usually 'kvm'), "
			  "or run a proc image with --backend proc");
	else
		log_error("--backend kvm: cannot open /dev/kvm (%s); --backend proc runs proc images",
			  strerror(errno));
	return -1;
}

static int kvm_fail(const char *what)
{
	log_error("kvm: %s failed: %s", what, strerror(errno));
	return -1;
}

/* A memfd, not anonymous memory: its allocated ranges are the pages a snapshot saves. */
static int kvm_boot_memory(struct kvm_vm *vm)
{
	vm->memfd = memfd_create("mica-guest-ram", MFD_CLOEXEC);
	if (vm->memfd < 0 || ftruncate(vm->memfd, (off_t)vm->mem_size) != 0) {
		log_error("cannot create guest memory of %llu bytes (%s)", (unsigned long long)vm->g.ram_size,
			  strerror(errno));
		return -1;
	}
	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, vm->memfd, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		log_error("cannot allocate guest memory of %llu bytes (%s)", (unsigned long long)vm->g.ram_size,
			  strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Guest memory of a restore: anonymous and private (untouched pages read as zero), with each stored
 * extent mapped private from the snapshot file over it. Nothing is copied: the guest and mica read
 * the file's page cache, and a write copies only the page written. The cost is one mmap per
 * extent, whatever the RAM size.
 */
static int kvm_restore_memory(struct kvm_vm *vm, const struct snapshot *snap)
{
	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		log_error("cannot allocate guest memory of %llu bytes (%s)", (unsigned long long)vm->g.ram_size,
			  strerror(errno));
		return -1;
	}
	uint64_t off = snap->v.hdr->data_offset;
	for (uint32_t i = 0; i < snap->v.hdr->nextents; i++) {
		const struct snapshot_extent *e = &snap->v.extents[i];
		size_t len = (size_t)e->pages * MICA_PAGE_SIZE;
		if (mmap(vm->mem + e->gaddr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, snap->fd,
			 (off_t)off) == MAP_FAILED) {
			log_error("cannot map the snapshot's pages into guest memory (%s)", strerror(errno));
			return -1;
		}
		off += len;
	}
	return 0;
}

static int kvm_create(struct kvm_vm *vm, uint64_t ram, const struct snapshot *snap)
{
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		log_error("kvm: /dev/kvm speaks API version %d, mica needs %d",
			  ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0), KVM_API_VERSION);
		return -1;
	}
	/* Hypercall-page MSR writes and hypercall registers reach mica only with these. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0 ||
	    !(ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS)) {
		log_error("kvm: this kernel's KVM lacks user-space MSR exits, immediate exit or synced "
			  "registers (Linux 5.10 or later has them); use --backend proc");
		return -1;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return kvm_fail("creating the VM");
	struct kvm_enable_cap msr_exits = {.cap = KVM_CAP_X86_USER_SPACE_MSR,
					   .args = {KVM_MSR_EXIT_REASON_UNKNOWN}};
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &msr_exits) != 0)
		return kvm_fail("enabling MSR exits");
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) != 0)
		return kvm_fail("KVM_SET_TSS_ADDR");

	vm->g.ram_size = ram;
	vm->mem_size = MICA_RAM_BASE + ram;
	if ((snap ? kvm_restore_memory(vm, snap) : kvm_boot_memory(vm)) != 0)
		return -1;
	vm->g.ram = vm->mem + MICA_RAM_BASE;
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = vm->mem_size, .userspace_addr = (uintptr_t)vm->mem};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) != 0)
		return kvm_fail("adding guest memory");

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return kvm_fail("creating the vCPU");
	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return kvm_fail("KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = (size_t)size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return kvm_fail("mapping the vCPU run area");
	}
	vm->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	return 0;
}

static void kvm_load(struct kvm_vm *vm, const struct image *img, const uint8_t *file)
{
	for (unsigned int i = 0; i < img->nsegments; i++) {
		const struct image_segment *s = &img->seg[i];
		memcpy(guest_ptr(&vm->g, s->vaddr, s->memsz), file + s->offset, s->filesz);
	}
}

static int kvm_signals(struct kvm_vm *vm)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM};
	struct sigaction sa = {.sa_handler = kvm_on_signal}; /* no SA_RESTART: KVM_RUN must return */

	sigemptyset(&vm->stop_signals);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&vm->stop_signals, sigs[i]);
	}
	sigprocmask(SIG_UNBLOCK, &vm->stop_signals, &vm->wait_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(&vm->wait_mask, sigs[i]);
	kvm_running = vm->run;

	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM};
	if (timer_create(CLOCK_MONOTONIC, &ev, &vm->timer) != 0)
		return kvm_fail("creating the guest timer");
	vm->timer_made = true;
	return 0;
}

/* One SIGALRM for the earlier of the run deadline and the guest's singleshot timer. */
static void kvm_arm_timer(struct kvm_vm *vm, uint64_t run_deadline)
{
	uint64_t want = run_deadline;
	if (vm->g.timer_deadline && (!want || vm->g.timer_deadline < want))
		want = vm->g.timer_deadline;
	if (want == vm->timer_armed)
		return;
	struct itimerspec its = {.it_value = {(time_t)(want / 1000000000ULL), (long)(want % 1000000000ULL)}};
	timer_settime(vm->timer, TIMER_ABSTIME, &its, NULL);
	vm->timer_armed = want;
}

/* Injects the callback vector on a rising upcall flag, or asks KVM for the moment it can. */
static void kvm_deliver_upcall(struct kvm_vm *vm)
{
	struct kvm_run *run = vm->run;
	int vector = hvm_callback_vector(&vm->g);

	run->request_interrupt_window = 0;
	if (!vm->g.upcall_raised || vector < 0)
		return;
	if (!__atomic_load_n(&vm->g.shared->vcpu_info[0].evtchn_upcall_pending, __ATOMIC_ACQUIRE)) {
		vm->g.upcall_raised = false; /* the guest already took its events by polling */
		return;
	}
	if (!run->ready_for_interrupt_injection || !run->if_flag) {
		run->request_interrupt_window = 1;
		return;
	}
	struct kvm_interrupt irq = {.irq = (uint32_t)vector};
	if (ioctl(vm->vcpu_fd, KVM_INTERRUPT, &irq) == 0) {
		vm->g.upcall_raised = false;
		vm->upcalls++;
	}
}

static int kvm_timeout(const struct run_config *cfg)
{
	log_error("guest still running after %.3g s (--timeout): stopped", (double)cfg->timeout_ns / 1e9);
	return MICA_EXIT_TIMEOUT;
}

static int kvm_interrupted(void)
{
	log_error("interrupted by %s: guest stopped", strsignal(kvm_signal));
	return 128 + kvm_signal;
}

/* kvm_wait with the stop signals blocked, so that only ppoll, which lets them in, can sleep. */
static int kvm_wait_blocked(struct kvm_vm *vm, const struct run_config *cfg, uint64_t run_deadline)
{
	struct guest *g = &vm->g;
	for (;;) {
		uint64_t now = guest_now_ns();
		hypercall_timer_check(g, now);
		if (hypercall_block_done(g)) {
			g->blocked = false;
			return -1;
		}
		if (kvm_signal)
			return kvm_interrupted();
		if (run_deadline && now >= run_deadline)
			return kvm_timeout(cfg);

		uint64_t wake = run_deadline;
		if (g->timer_deadline && (!wake || g->timer_deadline < wake))
			wake = g->timer_deadline;
		struct timespec ts, *tsp = NULL;
		if (wake) {
			uint64_t d = wake > now ? wake - now : 0;
			ts = (struct timespec){(time_t)(d / 1000000000ULL), (long)(d % 1000000000ULL)};
			tsp = &ts;
		}
		bool want_stdin = vm->stdin_open && console_input_space(g) > 0;
		struct pollfd pfd[1 + GUEST_MAX_HOST_FDS] = {{.fd = want_stdin ? STDIN_FILENO : -1, .events = POLLIN}};
		unsigned int nhost = guest_fd_pollfds(g, pfd + 1);
		int n = ppoll(pfd, 1 + nhost, tsp, &vm->wait_mask);
		if (n < 0 && errno != EINTR) {
			log_error("poll failed: %s", strerror(errno));
			return MICA_EXIT_FAILURE;
		}
		if (n > 0 && (pfd[0].revents & (POLLIN | POLLHUP)))
			vm->stdin_open = console_feed_stdin(g);
		if (n > 0)
			guest_fd_dispatch(g, pfd + 1, nhost);
	}
}

/*
 * The vCPU sleeps (SCHEDOP_block, or hlt with interrupts on) until an event is pending for it.
 * Returns -1 to go on running it, or mica's exit status.
 */
static int kvm_wait(struct kvm_vm *vm, const struct run_config *cfg, uint64_t run_deadline)
{
	sigprocmask(SIG_BLOCK, &vm->stop_signals, NULL);
	int rc = kvm_wait_blocked(vm, cfg, run_deadline);
	sigprocmask(SIG_UNBLOCK, &vm->stop_signals, NULL);
	return rc;
}

/* Each image segment as {page-aligned start, length, PROT_* bits}, as the snapshot header lists them. */
static uint32_t kvm_segments(const struct image *img, uint64_t out[][3])
{
	uint32_t n = 0;
	for (; n < img->nsegments && n < SNAPSHOT_MAX_SEGMENTS; n++) {
		const struct image_segment *s = &img->seg[n];
		uint64_t start = s->vaddr & ~(MICA_PAGE_SIZE - 1);
		out[n][0] = start;
		out[n][1] = ((s->vaddr + s->memsz + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1)) - start;
		out[n][2] = (uint64_t)((s->flags & PF_R ? PROT_READ : 0) | (s->flags & PF_W ? PROT_WRITE : 0) |
				       (s->flags & PF_X ? PROT_EXEC : 0));
	}
	return n;
}

/*
 * The guest's ready hypercall under --snapshot: its memory (from guest-physical 0: the start info
 * and command line pages below RAM too), its vCPU and the runtime's state go to the file, and the
 * guest never runs again. Returns mica's exit status (0: saved).
 */
static int kvm_snapshot(struct kvm_vm *vm, uint64_t ctx_addr)
{
	const struct run_config *cfg = vm->cfg;
	struct snapshot_kvm k = {.size = sizeof(k)};
	char err[256];

	console_drain(&vm->g);
	blkback_quiesce(&vm->g);
	const struct mica_ready_ctx *ctx = guest_ptr(&vm->g, ctx_addr, sizeof(*ctx));
	if (!ctx || ctx_addr % 8) {
		log_error("guest's ready context is outside its RAM: no snapshot written");
		return MICA_EXIT_CRASH;
	}
	if (vm->g.shared == &kvm_boot_shared) {
		log_error("%s: the guest signalled ready before it placed its shared_info page: no snapshot written",
			  cfg->snapshot_path);
		return MICA_EXIT_FAILURE;
	}
	k.shared_info = MICA_RAM_BASE + (uint64_t)((uint8_t *)vm->g.shared - vm->g.ram);
	k.callback_via = vm->g.callback_via;
	if (kvm_cpu_save(vm->vcpu_fd, ctx->rip, ctx->rsp, &k, err, sizeof(err)) != 0) {
		log_error("kvm: %s", err);
		return MICA_EXIT_FAILURE;
	}
	struct snapshot_source src = {
		.g = &vm->g,
		.run = cfg,
		.memfd = vm->memfd,
		.platform = MICA_PLAT_KVM,
		.kvm = &k,
		.image = vm->file,
		.image_len = vm->file_len,
		.app = vm->img->note.app,
		.ready_ctx = ctx_addr,
	};
	src.nsegments = kvm_segments(vm->img, src.seg);
	if (snapshot_write(cfg->snapshot_path, &src, err, sizeof(err)) != 0) {
		log_error("%s: %s", cfg->snapshot_path, err);
		return MICA_EXIT_FAILURE;
	}
	return 0;
}

static int kvm_hypercall(struct kvm_vm *vm, const struct run_config *cfg, uint64_t run_deadline, uint32_t nr)
{
	struct kvm_regs *r = &vm->run->s.regs.regs;
	uint64_t args[5] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8};
	bool wait;
	if (nr == MICA_HC_READY && cfg->snapshot_path)
		return kvm_snapshot(vm, args[0]);
	long val = hypercall_dispatch(&vm->g, nr, args, &wait);
	if (vm->g.end != GUEST_RUNNING)
		return guest_end_status(&vm->g);
	if (wait) {
		int rc = kvm_wait(vm, cfg, run_deadline);
		if (rc >= 0)
			return rc;
		val = 0;
	} else {
		/*
		 * Devices' host fds (TAPs) are only looked at when the vCPU exits: a guest that keeps
		 * running without a hypercall or a halt sees received frames at its next exit.
		 */
		guest_fd_poll_now(&vm->g);
	}
	r->rax = (uint64_t)val;
	vm->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	return -1;
}

/* Port I/O other than hypercalls: nothing is there, so reads see a floating bus. */
static void kvm_empty_port(struct kvm_run *run)
{
	if (run->io.direction == KVM_EXIT_IO_IN)
		memset((uint8_t *)run + run->io.data_offset, 0xff, (size_t)run->io.size * run->io.count);
}

/* Handles one exit; returns -1 to run the vCPU again, or mica's exit status. */
static int kvm_exit(struct kvm_vm *vm, const struct run_config *cfg, uint64_t run_deadline)
{
	struct kvm_run *run = vm->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.port == MICA_KVM_HC_PORT && run->io.direction == KVM_EXIT_IO_OUT &&
		    run->io.size == 4 && run->io.count == 1) {
			uint32_t nr;
			memcpy(&nr, (uint8_t *)run + run->io.data_offset, sizeof(nr));
			return kvm_hypercall(vm, cfg, run_deadline, nr);
		}
		kvm_empty_port(run);
		return -1;
	case KVM_EXIT_X86_WRMSR:
		run->msr.error = run->msr.index != MICA_KVM_HC_MSR || hvm_hypercall_page(&vm->g, run->msr.data) != 0;
		return -1;
	case KVM_EXIT_X86_RDMSR:
		run->msr.error = 1; /* the guest sees #GP, as for any MSR that does not exist */
		return -1;
	case KVM_EXIT_HLT:
		if (!run->if_flag) {
			log_error("guest crashed: it halted with interrupts disabled, so nothing can wake it");
			return MICA_EXIT_CRASH;
		}
		vm->g.blocked = true;
		return kvm_wait(vm, cfg, run_deadline);
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		return -1;
	case KVM_EXIT_SHUTDOWN:
		log_error("guest crashed: triple fault (the CPU could not deliver an exception)");
		return MICA_EXIT_CRASH;
	case KVM_EXIT_MMIO:
		log_error("guest crashed: it %s guest-physical address 0x%llx, where there is no memory",
			  run->mmio.is_write ? "wrote" : "read", (unsigned long long)run->mmio.phys_addr);
		return MICA_EXIT_CRASH;
	case KVM_EXIT_INTERNAL_ERROR:
		log_error("guest crashed: KVM could not emulate what it did (internal error %u)",
			  run->internal.suberror);
		return MICA_EXIT_CRASH;
	case KVM_EXIT_FAIL_ENTRY:
		log_error("guest crashed: the CPU refused to enter it (hardware reason 0x%llx)",
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return MICA_EXIT_CRASH;
	default:
		log_error("kvm: unexpected exit reason %u", run->exit_reason);
		return MICA_EXIT_FAILURE;
	}
}

static int kvm_loop(struct kvm_vm *vm, const struct run_config *cfg)
{
	uint64_t run_deadline = cfg->timeout_ns ? cfg->start_ns + cfg->timeout_ns : 0;

	/* A snapshot holds no input: what the restored guest reads comes from its own stdin. */
	vm->stdin_open = !cfg->snapshot_path && console_stdin_usable();
	for (;;) {
		vm->run->immediate_exit = 0; /* before the checks: a signal after them sets it again */
		if (kvm_signal)
			return kvm_interrupted();
		uint64_t now = guest_now_ns();
		if (run_deadline && now >= run_deadline)
			return kvm_timeout(cfg);
		hypercall_timer_check(&vm->g, now);
		kvm_deliver_upcall(vm);
		kvm_arm_timer(vm, run_deadline);
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) != 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_error("kvm: running the vCPU failed: %s", strerror(errno));
			return MICA_EXIT_FAILURE;
		}
		vm->exits++;
		int rc = kvm_exit(vm, cfg, run_deadline);
		if (rc >= 0)
			return rc;
	}
}

static void kvm_destroy(struct kvm_vm *vm)
{
	kvm_running = NULL;
	if (vm->timer_made)
		timer_delete(vm->timer);
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	if (vm->memfd >= 0)
		close(vm->memfd);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}

/* A boot: the image loaded, the start info built, the vCPU at the PVH entry. */
static int kvm_boot(struct kvm_vm *vm, const struct run_config *cfg, const struct run_blob *initrd)
{
	char err[256];
	kvm_load(vm, vm->img, vm->file);
	if (hvm_start_info_build(&vm->g, vm->mem, cfg->argc, cfg->argv, cfg->nenv, cfg->env, cfg->start_ns,
				 err, sizeof(err)) != 0) {
		log_error("%s: %s", cfg->image_path, err);
		return -1;
	}
	if (initrd->size)
		hvm_start_info_initrd(&vm->g, vm->mem, initrd->data, initrd->size);
	if (netback_start(&vm->g, cfg) != 0 || blkback_start(&vm->g, cfg) != 0)
		return -1;
	if (kvm_cpu_setup(vm->kvm_fd, vm->vcpu_fd, vm->img->pvh_entry, MICA_KVM_START_INFO, err, sizeof(err)) != 0) {
		log_error("kvm: %s", err);
		return -1;
	}
	return 0;
}

/*
 * A restore (memory already mapped from the snapshot): the special pages and shared_info where the
 * guest had them, the runtime state, this run's start, fresh entropy and the saved vCPU. pvclock
 * is published afresh before the guest runs; the guest re-reads time after its ready call.
 */
static int kvm_resume(struct kvm_vm *vm, const struct run_config *cfg, const struct snapshot *snap)
{
	const struct snapshot_kvm *k = snap->v.kvm;
	char err[256];
	uint64_t special = MICA_RAM_BASE + vm->g.ram_size - HVM_START_INFO_RESERVED;

	/* From the top down, as hvm_start_info_build placed them: the console ring, the xenstore ring. */
	vm->g.console = guest_ptr(&vm->g, special + HVM_START_INFO_RESERVED - MICA_PAGE_SIZE, MICA_PAGE_SIZE);
	vm->g.store = guest_ptr(&vm->g, special, MICA_PAGE_SIZE);
	vm->g.ext = (struct mica_start_ext *)(vm->mem + MICA_KVM_START_INFO + MICA_START_EXT_OFFSET);
	vm->g.shared = guest_ptr(&vm->g, k->shared_info, MICA_PAGE_SIZE);
	vm->g.callback_via = k->callback_via;
	if (snapshot_state_apply(&vm->g, snap->v.state, cfg) != 0)
		return -1;

	/* This run's start and stdin; the wall clock is recomputed for this host boot. */
	vm->g.ext->runtime_start_ns = cfg->start_ns;
	__atomic_store_n(&vm->g.ext->flags, 0, __ATOMIC_RELEASE);
	vm->g.shared->wc_version = 0;
	/* An event the saved guest had not taken yet is delivered once it runs. */
	vm->g.upcall_raised = vm->g.shared->vcpu_info[0].evtchn_upcall_pending != 0;
	struct mica_ready_ctx *ctx = guest_ptr(&vm->g, snap->v.hdr->ready_ctx, sizeof(*ctx));
	if (getrandom(ctx->entropy, sizeof(ctx->entropy), 0) != (ssize_t)sizeof(ctx->entropy)) {
		log_error("cannot get entropy for the restored guest (%s)", strerror(errno));
		return -1;
	}
	if (kvm_cpu_restore(vm->kvm_fd, vm->vcpu_fd, k, err, sizeof(err)) != 0) {
		log_error("kvm: %s", err);
		return -1;
	}
	return 0;
}

/* mica's status once the loop stops: the guest's own, unless a --snapshot never happened. */
static int kvm_end(struct kvm_vm *vm, const struct run_config *cfg, int status)
{
	if (cfg->snapshot_path && vm->g.end == GUEST_POWEROFF) {
		log_error("guest powered off (status %d) without signalling ready (mica_ready): no snapshot "
			  "written", status);
		return MICA_EXIT_FAILURE;
	}
	return status;
}

int kvm_run(const struct run_config *cfg, const struct image *img, const uint8_t *file, size_t file_len,
	    const struct run_blob *initrd)
{
	static struct kvm_vm vm;
	const struct snapshot *snap = cfg->restore_snapshot;
	int status = MICA_EXIT_FAILURE;

	vm.kvm_fd = vm.vm_fd = vm.vcpu_fd = vm.memfd = -1;
	vm.cfg = cfg;
	vm.img = img;
	vm.file = file;
	vm.file_len = file_len;
	vm.g.hvm = true;
	vm.g.shared = &kvm_boot_shared;
	vm.g.echo_offered = !snap && (img->note.devices & MICA_DEV_ECHO) != 0;
	pvclock_start(&vm.g, cfg->start_tsc, cfg->start_ns);

	if (kvm_open(&vm) != 0 || kvm_create(&vm, snap ? snap->v.hdr->ram_size : cfg->mem, snap) != 0 ||
	    kvm_signals(&vm) != 0)
		goto out;
	if (snap ? kvm_resume(&vm, cfg, snap) != 0 : kvm_boot(&vm, cfg, initrd) != 0)
		goto out;
	pvclock_update(&vm.g);
	status = kvm_end(&vm, cfg, kvm_loop(&vm, cfg));
out:
	if (vm.g.console)
		console_drain(&vm.g);
	if (cfg->stats && vm.g.ext) {
		fprintf(stderr, "stats: vm exits: %llu\n", (unsigned long long)vm.exits);
		fprintf(stderr, "stats: upcalls: %llu\n", (unsigned long long)vm.upcalls);
		guest_print_stats(&vm.g, cfg->start_ns);
	}
	netback_stop(&vm.g, cfg->stats && vm.g.ext);
	blkback_stop(&vm.g, cfg->stats && vm.g.ext);
	xenstore_destroy(&vm.g);
	kvm_destroy(&vm);
	return status;
}
