/* Linux clocks over the platform's time: clock_gettime, clock_getres, gettimeofday, time, deadlines. */
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <mica/init.h>
#include <mica/plat.h>
#include <mica/posix_time.h>
#include <mica/syscall.h>

#define CLOCK_NS_PER_SEC 1000000000ULL

static uint64_t clock_boot_ns;

/* With the platform's initcalls: as close to boot as time can be read. */
static int clock_init(void)
{
	clock_boot_ns = plat_time_ns();
	return 0;
}
MICA_INITCALL(clock_init, MICA_INIT_PLAT);

uint64_t posix_time_uptime_ns(void) { return plat_time_ns() - clock_boot_ns; }

/*
 * The reading of a Linux clock. There is no suspend, so boot time is monotonic time; no leap
 * second offset is ever set, so TAI is real time, as on a Linux nobody told otherwise; and the
 * guest owns its vCPU, so CPU time is time since boot for the process and each of its threads.
 */
static int clock_read(int clock, uint64_t *ns)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_TAI:
		*ns = plat_wallclock_ns();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
		*ns = plat_time_ns();
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = posix_time_uptime_ns();
		return 0;
	}
	return -EINVAL;
}

int posix_time_deadline(int clock, const struct timespec *ts, bool absolute, uint64_t *deadline_ns)
{
	uint64_t now_clock, now = plat_time_ns(), t;

	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || (uint64_t)ts->tv_nsec >= CLOCK_NS_PER_SEC)
		return -EINVAL;
	if (clock_read(clock, &now_clock) != 0)
		return -EINVAL;
	/* Saturating: a timeout centuries away is as good as none. */
	if ((uint64_t)ts->tv_sec > (UINT64_MAX - (uint64_t)ts->tv_nsec) / CLOCK_NS_PER_SEC)
		t = UINT64_MAX;
	else
		t = (uint64_t)ts->tv_sec * CLOCK_NS_PER_SEC + (uint64_t)ts->tv_nsec;
	if (absolute)
		t = t > now_clock ? t - now_clock : 0;
	*deadline_ns = t > UINT64_MAX - now ? UINT64_MAX : now + t;
	return 0;
}

static long sys_clock_gettime(MICA_SYSCALL_ARGS)
{
	struct timespec *ts = (struct timespec *)a2;
	uint64_t ns;
	int r = clock_read((int)a1, &ns);

	if (r != 0)
		return r;
	ts->tv_sec = (time_t)(ns / CLOCK_NS_PER_SEC);
	ts->tv_nsec = (long)(ns % CLOCK_NS_PER_SEC);
	return 0;
}
MICA_SYSCALL(SYS_clock_gettime, sys_clock_gettime);

/* Every clock counts in nanoseconds, and reports so. */
static long sys_clock_getres(MICA_SYSCALL_ARGS)
{
	struct timespec *res = (struct timespec *)a2;
	uint64_t ns;
	int r = clock_read((int)a1, &ns);

	if (r != 0)
		return r;
	if (res != NULL) {
		res->tv_sec = 0;
		res->tv_nsec = 1;
	}
	return 0;
}
MICA_SYSCALL(SYS_clock_getres, sys_clock_getres);

/* The time zone is always UTC without daylight saving time, as a kernel nobody told otherwise. */
static long sys_gettimeofday(MICA_SYSCALL_ARGS)
{
	struct timeval *tv = (struct timeval *)a1;
	struct timezone *tz = (struct timezone *)a2;
	uint64_t ns = plat_wallclock_ns();

	if (tv != NULL) {
		tv->tv_sec = (time_t)(ns / CLOCK_NS_PER_SEC);
		tv->tv_usec = (suseconds_t)(ns % CLOCK_NS_PER_SEC / 1000);
	}
	if (tz != NULL) {
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}
MICA_SYSCALL(SYS_gettimeofday, sys_gettimeofday);

static long sys_time(MICA_SYSCALL_ARGS)
{
	time_t *tloc = (time_t *)a1;
	time_t now = (time_t)(plat_wallclock_ns() / CLOCK_NS_PER_SEC);

	if (tloc != NULL)
		*tloc = now;
	return now;
}
MICA_SYSCALL(SYS_time, sys_time);
