/* `create`: checks a bundle, then forks the container's process (the VMM), which waits for `start`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include "cli/run_args.h"
#include "image/image.h"
#include "oci/commands.h"
#include "oci/config.h"
#include "oci/console.h"
#include "oci/hooks.h"
#include "oci/initrd.h"
#include "oci/log.h"
#include "oci/net.h"
#include "oci/state.h"
#include "util/log.h"
#include "vm/run.h"
#include "xen/boot_args.h"
#include "xen/hvm_start_info.h"
#include "xen/start_info.h"

/* The least guest RAM a container gets whatever its memory limit: below it nothing useful boots. */
#define OCI_MEM_FLOOR (16ull << 20)

/* What create prepares before the VMM forks: everything that can fail is checked here. */
struct oci_create {
	const struct oci_args *a;
	char dir[4096];
	char bundle[4096];
	char rootfs[4096];
	struct oci_config cfg;
	int rootfs_fd, image_fd, initrd_fd, tty, dir_fd;
	uint64_t initrd_size, mem;
	enum run_backend backend;
	bool wants_net;
};

static void oci_config_warn(void *ctx, const char *msg)
{
	(void)ctx;
	oci_warn("%s", msg);
}

/* mkdir -p, for --root. */
static int oci_mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) != 0 && errno != EEXIST ? -1 : 0;
}

/* Opens path inside the directory rootfd as if it were "/": no "..", symlink or absolute path leaves it. */
static int oci_open_in_root(int rootfd, const char *path)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* The image: found, a valid Mica image for the backend, with room for it and the initrd in RAM. */
static int oci_create_check_image(struct oci_create *c, char *err, size_t errlen)
{
	struct stat st;
	c->image_fd = oci_open_in_root(c->rootfs_fd, c->cfg.image);
	if (c->image_fd < 0 || fstat(c->image_fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		snprintf(err, errlen,
			 "no image '%.200s' in the container's root file system (%s): name it with the "
			 "org.mica.image annotation or as process.args[0]",
			 c->cfg.image, c->image_fd < 0 ? strerror(errno) : "not a non-empty regular file");
		return -1;
	}
	void *file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, c->image_fd, 0);
	if (file == MAP_FAILED) {
		snprintf(err, errlen, "%.200s: cannot map it: %s", c->cfg.image, strerror(errno));
		return -1;
	}
	struct image img;
	char why[256];
	int rc = -1;
	if (image_parse(file, (size_t)st.st_size, &img, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%.200s: %s", c->cfg.image, why);
		goto out;
	}
	enum run_backend want = img.note.platform == MICA_PLAT_KVM ? RUN_BACKEND_KVM : RUN_BACKEND_PROC;
	if (c->backend != RUN_BACKEND_AUTO && c->backend != want) {
		snprintf(err, errlen, "%.200s is built for the %s platform, but annotation org.mica.backend asks for %s",
			 c->cfg.image, image_platform_name(img.note.platform),
			 c->backend == RUN_BACKEND_KVM ? "kvm" : "proc");
		goto out;
	}
	if (want == RUN_BACKEND_KVM && access("/dev/kvm", R_OK | W_OK) != 0) {
		snprintf(err, errlen, "%.200s is a kvm image and this host has no usable /dev/kvm", c->cfg.image);
		goto out;
	}
	/* The initrd is built now: it decides whether the image fits the memory. */
	if (oci_initrd_build(c->rootfs_fd, st.st_dev, st.st_ino, OCI_INITRD_MAX_BYTES, &c->initrd_fd,
			     &c->initrd_size, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		goto out;
	}
	uint64_t reserved = want == RUN_BACKEND_KVM ? HVM_START_INFO_RESERVED : START_INFO_RESERVED;
	uint64_t initrd_pages = (c->initrd_size + MICA_PAGE_SIZE - 1) & ~(uint64_t)(MICA_PAGE_SIZE - 1);
	if (image_check_fits(&img, c->mem, reserved + initrd_pages, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%.200s: %s (raise the container's memory limit)", c->cfg.image, why);
		goto out;
	}
	c->wants_net = (img.note.devices & MICA_DEV_NET) != 0;
	rc = 0;
out:
	munmap(file, (size_t)st.st_size);
	return rc;
}

/* Guest RAM from linux.resources.memory.limit: whole MiB, at least the floor, at most mica's maximum. */
static uint64_t oci_guest_mem(uint64_t limit)
{
	if (!limit)
		return RUN_DEFAULT_MEM;
	uint64_t mem = limit & ~((1ull << 20) - 1);
	if (mem < OCI_MEM_FLOOR) {
		oci_warn("memory limit %llu bytes is below what a guest boots in: the guest gets %llu MiB",
			 (unsigned long long)limit, OCI_MEM_FLOOR >> 20);
		return OCI_MEM_FLOOR;
	}
	if (mem > RUN_MAX_MEM) {
		oci_warn("memory limit %llu bytes is above mica's maximum: the guest gets %llu GiB",
			 (unsigned long long)limit, RUN_MAX_MEM >> 30);
		return RUN_MAX_MEM;
	}
	return mem;
}

static int oci_create_prepare(struct oci_create *c, char *err, size_t errlen)
{
	if (oci_config_load(c->bundle, &c->cfg, oci_config_warn, NULL, err, errlen) != 0)
		return -1;
	c->backend = c->cfg.backend == OCI_BACKEND_KVM    ? RUN_BACKEND_KVM
		     : c->cfg.backend == OCI_BACKEND_PROC ? RUN_BACKEND_PROC
							  : RUN_BACKEND_AUTO;
	c->mem = oci_guest_mem(c->cfg.mem_limit);
	/* The guest's command line and environment must fit its start info: checked now, not at start. */
	char cmdline[MAX_GUEST_CMDLINE];
	if (boot_args_cmdline(cmdline, sizeof(cmdline), c->cfg.nargs, c->cfg.args, err, errlen) != 0)
		return -1;
	size_t env_len = 0;
	for (int i = 0; i < c->cfg.nenv; i++)
		env_len += strlen(c->cfg.env[i]) + 1;
	if (env_len > MICA_START_ENV_MAX) {
		snprintf(err, errlen, "process.env takes %zu bytes, more than the %d a guest's start info holds", env_len,
			 MICA_START_ENV_MAX);
		return -1;
	}
	int n = c->cfg.root_path[0] == '/' ? snprintf(c->rootfs, sizeof(c->rootfs), "%s", c->cfg.root_path)
					   : snprintf(c->rootfs, sizeof(c->rootfs), "%s/%s", c->bundle, c->cfg.root_path);
	if (n >= (int)sizeof(c->rootfs)) {
		snprintf(err, errlen, "root.path is too long");
		return -1;
	}
	c->rootfs_fd = open(c->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfs_fd < 0) {
		snprintf(err, errlen, "root file system %.200s: %s", c->rootfs, strerror(errno));
		return -1;
	}
	/* A sandbox has no image, and takes no address: the pod's Mica container, in its netns, does. */
	if (!c->cfg.sandbox && oci_create_check_image(c, err, errlen) != 0)
		return -1;
	if (c->cfg.terminal) {
		if (!c->a->console_socket) {
			snprintf(err, errlen, "process.terminal is true but no --console-socket was given");
			return -1;
		}
		c->tty = oci_console_setup(c->a->console_socket, err, errlen);
		if (c->tty < 0)
			return -1;
	}
	return 0;
}

/* A report from the VMM to create: "" (one NUL byte) when a stage is done, else the error. */
static void oci_vmm_report(int sock, const char *msg)
{
	ssize_t unused = write(sock, msg, strlen(msg) + 1);
	(void)unused;
}

/* Reads one report (up to its NUL) into msg; -1 if the VMM went away first. */
static int oci_read_report(int sock, char *msg, size_t cap)
{
	size_t n = 0;
	msg[0] = '\0';
	for (;;) {
		char ch;
		ssize_t r = read(sock, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			msg[n] = '\0';
			return -1;
		}
		if (ch == '\0')
			break;
		if (n < cap - 1)
			msg[n++] = ch;
	}
	msg[n] = '\0';
	return 0;
}

/*
 * Closes every descriptor above stdio but the n in keep: whatever the engine or create's caller
 * left open (--preserve-fds, a shell's) is of no use to a guest and must not outlive the container.
 */
static void oci_close_others(const int *keep, int n)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || fd <= 2 || fd == dirfd(d))
			continue;
		bool kept = false;
		for (int i = 0; i < n; i++)
			kept |= keep[i] == fd;
		if (!kept)
			close((int)fd);
	}
	closedir(d);
}

/*
 * A pod sandbox's process, in place of Kubernetes' "pause": it only holds the pod's namespaces
 * (which the engine made) until it is told to stop, then exits 0 as pause does.
 */
static __attribute__((noreturn)) void oci_sandbox_wait(void)
{
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	int sig;
	while (sigwait(&stop, &sig) != 0)
		;
	_exit(0);
}

/* The container's process: sets up what needs to be in it, waits for start, runs the guest. */
static __attribute__((noreturn)) void oci_vmm(struct oci_create *c, int ready)
{
	char err[512];
	/* Engines run mica with signals as they like: the container gets default ones. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	if (c->tty >= 0) {
		if (setsid() < 0 || ioctl(c->tty, TIOCSCTTY, 0) != 0 || dup2(c->tty, 0) < 0 || dup2(c->tty, 1) < 0 ||
		    dup2(c->tty, 2) < 0) {
			snprintf(err, sizeof(err), "cannot make the pty the container's terminal: %s", strerror(errno));
			oci_vmm_report(ready, err);
			_exit(MICA_EXIT_FAILURE);
		}
		close(c->tty);
	}
	close(c->rootfs_fd);
	const int keep[] = {ready, c->image_fd, c->initrd_fd, c->dir_fd};
	oci_close_others(keep, (int)(sizeof(keep) / sizeof(keep[0])));
	char image[64], initrd[64];
	snprintf(image, sizeof(image), "/proc/self/fd/%d", c->image_fd);
	snprintf(initrd, sizeof(initrd), "/proc/self/fd/%d", c->initrd_fd);
	struct run_config rc = {
		.image_path = image,
		.initrd_path = c->initrd_fd >= 0 ? initrd : NULL,
		.mem = c->mem,
		.backend = c->backend,
		.nenv = c->cfg.nenv,
		.env = c->cfg.env,
		.argc = c->cfg.nargs,
		.argv = c->cfg.args,
	};
	/*
	 * A network namespace without a path is a new one, as runc makes: never the host's, whose
	 * addresses are not the container's to take. Without any, the container shares the host's
	 * network, and the guest gets no NIC for the same reason.
	 */
	if (c->cfg.netns && !c->cfg.netns_path && unshare(CLONE_NEWNET) != 0) {
		snprintf(err, sizeof(err), "cannot make the container's network namespace: %s", strerror(errno));
		oci_vmm_report(ready, err);
		_exit(MICA_EXIT_FAILURE);
	}
	/* The namespace exists: create runs the prestart hooks (docker's configures the network in it). */
	oci_vmm_report(ready, "");
	char go;
	if (read(ready, &go, 1) != 1 || go != 'g')
		_exit(MICA_EXIT_FAILURE);
	if (c->wants_net && c->cfg.netns) {
		int r = oci_net_attach(c->cfg.netns_path, &rc.nics[0], err, sizeof(err));
		if (r < 0) {
			oci_vmm_report(ready, err);
			_exit(MICA_EXIT_FAILURE);
		}
		rc.nnics = r == 1;
	}
	oci_vmm_report(ready, "");
	close(ready);

	/* Blocks until start opens the other end; a delete instead kills us here. */
	int fifo = openat(c->dir_fd, OCI_FIFO_FILE, O_WRONLY | O_CLOEXEC);
	if (fifo < 0 || write(fifo, "0", 1) != 1)
		_exit(MICA_EXIT_FAILURE);
	close(fifo);
	if (c->cfg.sandbox)
		oci_sandbox_wait();
	rc.start_tsc = __rdtsc();
	rc.start_ns = guest_now_ns();
	int status = run_image(&rc);
	char text[16];
	int n = snprintf(text, sizeof(text), "%d\n", status);
	int fd = openat(c->dir_fd, OCI_EXIT_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, text, (size_t)n) == n)
			renameat(c->dir_fd, OCI_EXIT_FILE ".tmp", c->dir_fd, OCI_EXIT_FILE);
		close(fd);
	}
	_exit(status);
}

/* Forks the VMM and waits until its namespace is made; returns its pid, or -1 with err. */
static pid_t oci_create_spawn(struct oci_create *c, int *sock, char *err, size_t errlen)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "cannot make a socket pair: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot fork the VMM: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		oci_vmm(c, sv[1]);
	}
	close(sv[1]);
	*sock = sv[0];
	if (oci_read_report(sv[0], err, errlen) == 0 && !err[0])
		return pid;
	if (!err[0])
		snprintf(err, errlen, "the VMM exited while setting up");
	close(sv[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void oci_create_cleanup(struct oci_create *c)
{
	int *fds[] = {&c->rootfs_fd, &c->image_fd, &c->initrd_fd, &c->tty, &c->dir_fd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	oci_config_free(&c->cfg);
}

int oci_cmd_create(const struct oci_args *a)
{
	struct oci_create c = {.a = a, .rootfs_fd = -1, .image_fd = -1, .initrd_fd = -1, .tty = -1, .dir_fd = -1};
	char err[512], root[4096];
	bool made = false;
	pid_t pid = -1;
	int sock = -1;
	if (!realpath(a->bundle, c.bundle)) {
		oci_error("create %s: bundle %s: %s", a->id, a->bundle, strerror(errno));
		return 1;
	}
	if (oci_mkdir_p(a->root, 0711) != 0 || !realpath(a->root, root) ||
	    oci_state_dir(root, a->id, c.dir, sizeof(c.dir)) != 0) {
		oci_error("create %s: cannot use --root %s: %s", a->id, a->root, strerror(errno));
		return 1;
	}
	if (mkdir(c.dir, 0700) != 0) {
		if (errno == EEXIST)
			oci_error("create %s: container with id %s already exists", a->id, a->id);
		else
			oci_error("create %s: cannot make %s: %s", a->id, c.dir, strerror(errno));
		return 1;
	}
	made = true;
	char fifo[4200];
	snprintf(fifo, sizeof(fifo), "%s/%s", c.dir, OCI_FIFO_FILE);
	if (oci_create_prepare(&c, err, sizeof(err)) != 0)
		goto fail;
	c.dir_fd = open(c.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c.dir_fd < 0 || mkfifo(fifo, 0600) != 0) {
		snprintf(err, sizeof(err), "cannot make %.200s: %s", fifo, strerror(errno));
		goto fail;
	}
	pid = oci_create_spawn(&c, &sock, err, sizeof(err));
	if (pid < 0)
		goto fail;
	char created[64];
	oci_rfc3339(created, sizeof(created));
	struct oci_state st = {.id = (char *)a->id, .pid = pid, .start_time = oci_proc_start_time(pid),
			       .bundle = c.bundle, .rootfs = c.rootfs, .created = created,
			       .annotations = c.cfg.annotations};
	if (oci_hooks_run(&c.cfg, OCI_HOOK_PRESTART, c.dir, &st, err, sizeof(err)) != 0 ||
	    oci_hooks_run(&c.cfg, OCI_HOOK_CREATE_RUNTIME, c.dir, &st, err, sizeof(err)) != 0)
		goto fail;
	if (write(sock, "g", 1) != 1 || oci_read_report(sock, err, sizeof(err)) != 0 || err[0]) {
		if (!err[0])
			snprintf(err, sizeof(err), "the VMM exited while setting up");
		goto fail;
	}
	close(sock);
	sock = -1;
	if (oci_state_save(c.dir, &st, err, sizeof(err)) != 0)
		goto fail;
	oci_debug("create %s: VMM %d, image %s, %llu MiB of guest RAM, initrd of %llu bytes", a->id, (int)pid,
		  c.cfg.sandbox ? "(none: pod sandbox)" : c.cfg.image, (unsigned long long)(c.mem >> 20),
		  (unsigned long long)c.initrd_size);
	if (a->pid_file) {
		char text[32];
		int n = snprintf(text, sizeof(text), "%d", (int)pid);
		if (oci_write_atomic(a->pid_file, text, (size_t)n, 0644) != 0) {
			snprintf(err, sizeof(err), "cannot write --pid-file %.200s: %s", a->pid_file, strerror(errno));
			goto fail;
		}
	}
	oci_create_cleanup(&c);
	return 0;
fail:
	oci_error("create %s: %s", a->id, err);
	if (sock >= 0)
		close(sock);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	oci_create_cleanup(&c);
	if (made)
		oci_state_remove(c.dir);
	return 1;
}
