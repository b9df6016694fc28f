/* unit-sources: arch/x86_64/switch.S lib/sched/sched.c lib/sched/waitq.c lib/alloc/page.c lib/alloc/heap.c lib/alloc/init.c lib/core/panic.c lib/core/console.c lib/core/format.c lib/core/libc_stdio.c lib/core/string.c lib/vfs/mem.c lib/vfs/inode.c lib/vfs/dir.c lib/vfs/data.c lib/vfs/path.c lib/vfs/namei.c lib/vfs/fd.c lib/vfs/console.c lib/vfs/cpio.c lib/vfs/init.c lib/vfs/sys_rw.c lib/vfs/sys_fd.c lib/vfs/sys_open.c lib/vfs/sys_stat.c lib/vfs/sys_names.c lib/vfs/sys_dir.c lib/vfs/sys_poll.c lib/vfs/file.c lib/vfs/wait.c lib/vfs/epoll.c lib/vfs/eventfd.c lib/vfs/mount.c */
/* unit-cflags: -Dmalloc=mica_malloc -Dfree=mica_free -Dcalloc=mica_calloc -Drealloc=mica_realloc -Daligned_alloc=mica_aligned_alloc -Dprintf=mica_printf -Dvprintf=mica_vprintf -Dsnprintf=mica_snprintf -Dvsnprintf=mica_vsnprintf -Dputs=mica_puts -Dputchar=mica_putchar -Dstrlen=mica_strlen -Dstrnlen=mica_strnlen -Dstrcmp=mica_strcmp -Dstrncmp=mica_strncmp -Dstrchr=mica_strchr -Dmemchr=mica_memchr */
/*
 * Host test of epoll and eventfd on lib/vfs, and of waiting with real lib/sched threads: level,
 * edge and one-shot reporting, MOD/DEL, the last-reference rule, nested sets and every
 * epoll_ctl error; then threads that wait in poll, select, epoll_wait and a blocking read while
 * others run, woken by another thread or by an event handler. The platform is faked as in
 * test_sched.c: a clock that moves a microsecond per reading, events the test raises.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <mica/alloc.h>
#include <mica/evtchn.h>
#include <mica/plat.h>
#include <mica/sched.h>
#include <mica/vfs_file.h>
#include "../../lib/alloc/internal.h"
#include "../../lib/sched/internal.h"
#include "../../lib/vfs/vfs.h"
#include "../../lib/vfs/sys.h"
#include "fake_plat.h"
#include "unit.h"

/* ------------------------------------------------------------------ the fake clock and events */

static uint64_t fake_now = 1000000;

uint64_t plat_time_ns(void) { return fake_now += 1000; }
uint64_t plat_wallclock_ns(void) { return fake_now; }
void plat_set_tls(uintptr_t base) { (void)base; }
size_t plat_console_read(char *buf, size_t len) { (void)buf; (void)len; return 0; }
bool plat_console_eof(void) { return false; }
struct plat_memregion plat_initrd(void) { return (struct plat_memregion){0, 0}; }
bool plat_console_on_event(void (*fn)(void)) { (void)fn; return false; }

/* An event raised by the test: its handler runs from evtchn_dispatch, as a port's would. */
static void (*event_handler)(void);

bool evtchn_any_pending(void) { return event_handler != NULL; }

void evtchn_dispatch(void)
{
	void (*h)(void) = event_handler;

	event_handler = NULL;
	if (h != NULL)
		h();
}

void plat_block(uint64_t deadline)
{
	if (event_handler != NULL) {
		evtchn_dispatch();
		return;
	}
	if (deadline == UINT64_MAX) {
		unit_check(0, "the guest would block forever", "no thread can run and no deadline is set");
		exit(unit_exit_status());
	}
	if (fake_now < deadline)
		fake_now = deadline;
}

/* ----------------------------------------------------------------------------- checking */

static char group_detail[512];
static int group_bad;

static void expect(long got, long want, const char *what)
{
	if (got == want || group_bad)
		return;
	snprintf(group_detail, sizeof(group_detail), "%s: got %ld, want %ld", what, got, want);
	group_bad = 1;
}

static void group_end(const char *name)
{
	unit_check(!group_bad, name, "%s", group_detail);
	group_bad = 0;
}

#define SYS(name, ...) vfs_sys_##name(SYS_ARGS6(__VA_ARGS__, 0, 0, 0, 0, 0, 0))
#define SYS_ARGS6(a, b, c, d, e, f, ...) (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)

static long ep_add(long ep, long fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return SYS(epoll_ctl, ep, EPOLL_CTL_ADD, fd, &ev);
}

static long ep_mod(long ep, long fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return SYS(epoll_ctl, ep, EPOLL_CTL_MOD, fd, &ev);
}

static long efd_write(long fd, uint64_t v)
{
	return SYS(write, fd, &v, sizeof(v));
}

static uint64_t efd_read(long fd)
{
	uint64_t v = 0;

	return SYS(read, fd, &v, sizeof(v)) == sizeof(v) ? v : UINT64_MAX;
}

/* epoll_wait with timeout 0: how many events, the first one's data in *data. */
static long ep_now(long ep, uint64_t *data)
{
	struct epoll_event ev[8];
	long n = SYS(epoll_wait, ep, ev, 8, 0);

	if (n > 0 && data != NULL)
		*data = ev[0].data.u64;
	return n;
}

/* ---------------------------------------------------------------------------- single thread */

static void test_eventfd(void)
{
	long fd = SYS(eventfd2, 3, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t v = 0;
	struct stat st;

	expect(fd >= 3, 1, "eventfd2");
	expect(SYS(fcntl, fd, F_GETFD), FD_CLOEXEC, "EFD_CLOEXEC");
	expect(SYS(fstat, fd, &st), 0, "fstat");
	expect(st.st_mode, 0600, "anonymous inode");
	expect(SYS(read, fd, &v, 4), -EINVAL, "short read");
	expect((long)efd_read(fd), 3, "initial value");
	expect(SYS(read, fd, &v, 8), -EAGAIN, "empty and nonblocking");
	expect(efd_write(fd, 5), 8, "write");
	expect(efd_write(fd, 2), 8, "write adds");
	expect((long)efd_read(fd), 7, "read takes everything");
	expect(efd_write(fd, UINT64_MAX), -EINVAL, "UINT64_MAX is not a value");
	expect(efd_write(fd, UINT64_MAX - 1), 8, "the largest count");
	expect(efd_write(fd, 1), -EAGAIN, "full and nonblocking");
	struct pollfd p = {.fd = (int)fd, .events = POLLIN | POLLOUT};
	expect(SYS(poll, &p, 1, 0), 1, "poll");
	expect(p.revents, POLLIN, "full: readable, not writable");
	SYS(close, fd);
	fd = SYS(eventfd2, 2, EFD_SEMAPHORE | EFD_NONBLOCK);
	expect((long)efd_read(fd), 1, "semaphore: 1");
	expect((long)efd_read(fd), 1, "semaphore: 1 again");
	expect(SYS(read, fd, &v, 8), -EAGAIN, "semaphore: then empty");
	SYS(close, fd);
	expect(SYS(eventfd2, 0, 0x2), -EINVAL, "unknown flag");
	fd = SYS(eventfd, 0);
	expect(SYS(fcntl, fd, F_GETFL) & O_NONBLOCK, 0, "eventfd: blocking");
	SYS(close, fd);
	group_end("eventfd: counter, semaphore, EAGAIN, EINVAL, poll");
}

static void test_epoll_ctl_errors(void)
{
	long ep = SYS(epoll_create1, EPOLL_CLOEXEC), ep2 = SYS(epoll_create, 1);
	long efd = SYS(eventfd2, 0, EFD_NONBLOCK);
	long reg = SYS(open, "/f", O_CREAT | O_RDWR, 0644), dir = SYS(open, "/", O_RDONLY);
	struct epoll_event ev = {.events = EPOLLIN};
	struct stat st;

	expect(ep >= 0 && ep2 >= 0, 1, "created");
	expect(SYS(fcntl, ep, F_GETFD), FD_CLOEXEC, "EPOLL_CLOEXEC");
	expect(SYS(fcntl, ep2, F_GETFD), 0, "epoll_create: no FD_CLOEXEC");
	expect(SYS(fstat, ep, &st), 0, "fstat");
	expect(st.st_mode, 0600, "anonymous inode");
	expect(SYS(epoll_create, 0), -EINVAL, "epoll_create(0)");
	expect(SYS(epoll_create1, 1), -EINVAL, "epoll_create1 unknown flag");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_ADD, reg, &ev), -EPERM, "a regular file");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_ADD, dir, &ev), -EPERM, "a directory");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_ADD, ep, &ev), -EINVAL, "itself");
	expect(SYS(epoll_ctl, efd, EPOLL_CTL_ADD, ep2, &ev), -EINVAL, "epfd no epoll");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_ADD, 500, &ev), -EBADF, "closed fd");
	expect(SYS(epoll_ctl, 501, EPOLL_CTL_ADD, efd, &ev), -EBADF, "closed epfd");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_ADD, efd, NULL), -EFAULT, "no event");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_MOD, efd, &ev), -ENOENT, "MOD before ADD");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_DEL, efd, NULL), -ENOENT, "DEL before ADD");
	expect(SYS(epoll_ctl, ep, 99, efd, &ev), -EINVAL, "unknown op");
	ev.events = 1u << 20;
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_ADD, efd, &ev), -EINVAL, "unknown event bit");
	ev.events = EPOLLIN;
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_ADD, efd, &ev), 0, "ADD");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_ADD, efd, &ev), -EEXIST, "ADD again");
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_MOD, efd, &ev), -EINVAL, "MOD with EPOLLEXCLUSIVE");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_DEL, efd, NULL), 0, "DEL without an event");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_DEL, efd, NULL), -ENOENT, "DEL again");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_ADD, 0, &ev), 0, "the console may be watched");

	ev.events = EPOLLIN;
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_ADD, ep2, &ev), 0, "a set in a set");
	expect(SYS(epoll_ctl, ep2, EPOLL_CTL_ADD, ep, &ev), -ELOOP, "and back: a loop");
	long chain[6];
	chain[0] = ep2;
	for (int i = 1; i < 6; i++)
		chain[i] = SYS(epoll_create1, 0);
	long r = 0;
	for (int i = 1; i < 6 && r == 0; i++)
		r = SYS(epoll_ctl, chain[i], EPOLL_CTL_ADD, chain[i - 1], &ev);
	expect(r, -ELOOP, "sets nested too deep");

	struct epoll_event out[4];
	expect(SYS(epoll_wait, ep, out, 0, 0), -EINVAL, "maxevents 0");
	expect(SYS(epoll_wait, efd, out, 4, 0), -EINVAL, "epoll_wait on no set");
	expect(SYS(epoll_wait, 502, out, 4, 0), -EBADF, "epoll_wait on a closed fd");
	expect(SYS(epoll_wait, ep, NULL, 4, 0), -EFAULT, "no buffer");
	for (int i = 1; i < 6; i++)
		SYS(close, chain[i]);
	SYS(close, ep);
	SYS(close, ep2);
	SYS(close, efd);
	SYS(close, reg);
	SYS(close, dir);
	SYS(unlink, "/f");
	group_end("epoll_ctl and epoll_wait: EPERM, EINVAL, EBADF, EFAULT, EEXIST, ENOENT, ELOOP");
}

static void test_epoll_modes(void)
{
	long ep = SYS(epoll_create1, 0), a = SYS(eventfd2, 0, EFD_NONBLOCK), b = SYS(eventfd2, 0, EFD_NONBLOCK);
	uint64_t data = 0;
	struct epoll_event out[4];

	expect(ep_add(ep, a, EPOLLIN, 0x1122334455667788ULL), 0, "add level-triggered");
	expect(ep_now(ep, NULL), 0, "nothing ready");
	efd_write(a, 1);
	expect(ep_now(ep, &data), 1, "ready");
	expect(data == 0x1122334455667788ULL, 1, "data.u64 passed through");
	expect(SYS(epoll_wait, ep, out, 4, 0), 1, "still ready: level");
	expect(out[0].events, EPOLLIN, "EPOLLIN only: EPOLLOUT not asked");
	efd_read(a);
	expect(ep_now(ep, NULL), 0, "consumed");
	group_end("epoll: level-triggered, data passed through");

	expect(ep_mod(ep, a, EPOLLIN | EPOLLET, 2), 0, "MOD to edge-triggered");
	efd_write(a, 1);
	expect(ep_now(ep, &data), 1, "the edge");
	expect((long)data, 2, "the new data");
	expect(ep_now(ep, NULL), 0, "reported once");
	expect(ep_now(ep, NULL), 0, "still once");
	efd_write(a, 1);
	expect(ep_now(ep, NULL), 1, "a new write is a new edge");
	expect(ep_now(ep, NULL), 0, "reported once again");
	expect(ep_mod(ep, a, EPOLLIN | EPOLLET, 3), 0, "MOD re-arms");
	expect(ep_now(ep, &data), 1, "what is ready now");
	group_end("epoll: EPOLLET reports each change once; MOD re-arms");

	expect(ep_mod(ep, a, EPOLLIN | EPOLLONESHOT, 4), 0, "MOD to one-shot");
	expect(ep_now(ep, NULL), 1, "once");
	expect(ep_now(ep, NULL), 0, "then disabled");
	efd_write(a, 1);
	expect(ep_now(ep, NULL), 0, "even after a change");
	expect(ep_mod(ep, a, EPOLLIN | EPOLLONESHOT, 5), 0, "MOD re-enables");
	expect(ep_now(ep, &data), 1, "reported again");
	expect((long)data, 5, "with the new data");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_DEL, a, NULL), 0, "DEL");
	expect(ep_now(ep, NULL), 0, "gone");
	group_end("epoll: EPOLLONESHOT, MOD, DEL");

	/* Three ready items, one slot per call: each gets its turn. */
	long c = SYS(eventfd2, 1, EFD_NONBLOCK);
	ep_add(ep, a, EPOLLIN, 10);
	ep_add(ep, b, EPOLLOUT, 11);
	ep_add(ep, c, EPOLLIN, 12);
	uint64_t seen = 0;
	for (int i = 0; i < 3; i++) {
		expect(SYS(epoll_wait, ep, out, 1, 0), 1, "one at a time");
		seen |= 1ULL << (out[0].data.u64 - 10);
	}
	expect((long)seen, 7, "all three in three calls");
	expect(SYS(epoll_wait, ep, out, 4, 0), 3, "all at once");
	group_end("epoll: maxevents smaller than the ready list rotates through it");

	/* The last-reference rule: the item lives with the open file, not the fd. */
	long d = SYS(dup, a);
	SYS(close, a);
	efd_write(d, 1);
	expect(SYS(epoll_wait, ep, out, 4, 0), 3, "closing one fd of a dup'd file keeps the item");
	SYS(close, d);
	expect(SYS(epoll_wait, ep, out, 4, 0), 2, "closing the last removes it");
	long again = SYS(eventfd2, 5, EFD_NONBLOCK);
	expect(again, a, "a new file takes the old fd number");
	expect(SYS(epoll_wait, ep, out, 4, 0), 2, "and is not watched");
	expect(SYS(epoll_ctl, ep, EPOLL_CTL_DEL, again, NULL), -ENOENT, "nor known to the set");
	group_end("epoll: a file leaves the set with its last reference");

	/* An epoll fd is a pollable file, and a set in a set reports through it. */
	long outer = SYS(epoll_create1, 0);
	struct pollfd p = {.fd = (int)ep, .events = POLLIN};
	expect(SYS(poll, &p, 1, 0), 1, "poll on a set with ready items");
	expect(p.revents, POLLIN, "POLLIN");
	expect(ep_add(outer, ep, EPOLLIN, 77), 0, "nest");
	expect(ep_now(outer, &data), 1, "the inner set is ready");
	expect((long)data, 77, "its data");
	SYS(epoll_ctl, ep, EPOLL_CTL_DEL, b, NULL);
	SYS(epoll_ctl, ep, EPOLL_CTL_DEL, c, NULL);
	expect(SYS(poll, &p, 1, 0), 0, "an empty set is not ready");
	expect(ep_now(outer, NULL), 0, "nor through the outer");
	SYS(close, ep);
	expect(ep_now(outer, NULL), 0, "the closed inner set left the outer");
	SYS(close, outer);
	SYS(close, b);
	SYS(close, c);
	SYS(close, again);
	group_end("epoll: an epoll fd is pollable and nests");
}

/* ------------------------------------------------------------------------------- threads */

static long counter;
static bool counting;

/* Counts while it has the CPU, yielding after each step, then writes the eventfd it was given. */
static void counter_thread(void *arg)
{
	long fd = (long)(intptr_t)arg;

	for (int i = 0; i < 100; i++) {
		counter++;
		sched_thread_yield();
	}
	counting = false;
	efd_write(fd, 42);
}

static void test_poll_lets_others_run(void)
{
	long fd = SYS(eventfd2, 0, EFD_NONBLOCK);
	struct pollfd p = {.fd = (int)fd, .events = POLLIN};
	uint64_t start;

	counter = 0;
	counting = true;
	sched_thread_create("counter", counter_thread, (void *)(intptr_t)fd, 0);
	start = fake_now;
	expect(SYS(poll, &p, 1, 2000), 1, "poll: woken by the write");
	expect(counter, 100, "the other thread ran to completion meanwhile");
	expect(counting, 0, "and wrote before poll returned");
	expect(fake_now - start < 2000000000ULL, 1, "before the timeout");
	expect((long)efd_read(fd), 42, "the value written");

	uint64_t r[16] = {0};
	r[fd / 64] |= 1ULL << (fd % 64);
	counter = 0;
	sched_thread_create("counter", counter_thread, (void *)(intptr_t)fd, 0);
	struct timeval tv = {2, 0};
	expect(SYS(select, fd + 1, r, NULL, NULL, &tv), 1, "select: woken by the write");
	expect(counter, 100, "the other thread ran");

	long ep = SYS(epoll_create1, 0);
	struct epoll_event ev[2];
	efd_read(fd);
	ep_add(ep, fd, EPOLLIN | EPOLLET, 9);
	counter = 0;
	sched_thread_create("counter", counter_thread, (void *)(intptr_t)fd, 0);
	expect(SYS(epoll_wait, ep, ev, 2, 2000), 1, "epoll_wait: woken by the write");
	expect(counter, 100, "the other thread ran");
	expect((long)ev[0].data.u64, 9, "its item");
	expect(SYS(epoll_wait, ep, ev, 2, 0), 0, "edge-triggered: once");

	/* A blocking read waits through vfs_wait_ready. */
	efd_read(fd);
	SYS(fcntl, fd, F_SETFL, 0);
	counter = 0;
	sched_thread_create("counter", counter_thread, (void *)(intptr_t)fd, 0);
	expect((long)efd_read(fd), 42, "blocking read: the value written later");
	expect(counter, 100, "the other thread ran");
	SYS(close, ep);
	SYS(close, fd);
	group_end("threads: poll, select, epoll_wait and a blocking read let others run, and wake on the write");
}

static struct vfs_file *flip_file;
static short flip_ready;

static short flip_poll(struct vfs_file *f)
{
	(void)f;
	return flip_ready;
}

static const struct vfs_file_ops flip_ops = {.name = "flip", .poll = flip_poll};

/* What a driver's event handler does: readiness changed, tell the waiters; never switch. */
static void flip_handler(void)
{
	flip_ready = POLLIN;
	vfs_poll_notify();
}

static void raise_thread(void *arg)
{
	(void)arg;
	sched_sleep_ns(1000000);
	event_handler = flip_handler;
}

static long sleeper_done;

static void sleeper_thread(void *arg)
{
	(void)arg;
	sched_sleep_ns(50000000);
	sleeper_done = 1;
}

static void test_wake_from_event(void)
{
	int fd = vfs_file_open_ops(&flip_ops, NULL, S_IFSOCK, O_RDWR);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t start;

	flip_file = vfs_file_of(fd, &flip_ops, NULL);
	flip_ready = 0;
	sched_thread_create("raise", raise_thread, NULL, 0);
	start = fake_now;
	expect(SYS(poll, &p, 1, -1), 1, "poll without timeout: woken by the event handler");
	expect(p.revents, POLLIN, "POLLIN");
	expect(fake_now - start < 100000000ULL, 1, "soon after the event");

	flip_ready = 0;
	sched_thread_create("raise", raise_thread, NULL, 0);
	expect(vfs_wait_ready(flip_file, POLLIN, UINT64_MAX), 0, "vfs_wait_ready: woken the same way");

	flip_ready = 0;
	sleeper_done = 0;
	sched_thread_create("sleeper", sleeper_thread, NULL, 0);
	start = fake_now;
	expect(SYS(poll, &p, 1, 1000), 0, "nothing comes: the timeout");
	expect(fake_now - start >= 1000000000ULL, 1, "at 1 s, not before");
	expect(sleeper_done, 1, "a sleeping thread woke and finished meanwhile");
	SYS(close, fd);
	group_end("waiting: an event handler's vfs_poll_notify wakes pollers; timeouts hold with other threads");
}

int main(void)
{
	unit_check(alloc_init() == 0 && sched_init() == 0 && vfs_init() == 0, "alloc, sched and vfs init", "failed");
	test_eventfd();
	test_epoll_ctl_errors();
	test_epoll_modes();
	test_poll_lets_others_run();
	test_wake_from_event();
	return unit_exit_status();
}
