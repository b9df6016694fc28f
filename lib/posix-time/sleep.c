/* nanosleep and clock_nanosleep, sleeping in the scheduler so that other threads run meanwhile. */
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <mica/plat.h>
#include <mica/posix_time.h>
#include <mica/sched.h>
#include <mica/syscall.h>

/*
 * A deadline already past still yields: programs spin on nanosleep(0) while they wait for
 * another thread, which on cooperative threads only runs when this one lets it. Nothing
 * interrupts a sleep (no signal is delivered asynchronously), so the remaining time is never
 * written.
 */
static long sleep_until(uint64_t deadline_ns)
{
	uint64_t now = plat_time_ns();

	if (deadline_ns > now)
		sched_sleep_ns(deadline_ns - now);
	else
		sched_thread_yield();
	return 0;
}

static long sys_nanosleep(MICA_SYSCALL_ARGS)
{
	uint64_t deadline;
	int r = posix_time_deadline(CLOCK_MONOTONIC, (const struct timespec *)a1, false, &deadline);

	return r != 0 ? r : sleep_until(deadline);
}
MICA_SYSCALL(SYS_nanosleep, sys_nanosleep);

static long sys_clock_nanosleep(MICA_SYSCALL_ARGS)
{
	int clock = (int)a1;
	uint64_t deadline;

	/* Linux cannot sleep on these clocks either, and answers the same. */
	switch (clock) {
	case CLOCK_THREAD_CPUTIME_ID:
		return -EINVAL;
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
		return -EOPNOTSUPP;
	}
	int r = posix_time_deadline(clock, (const struct timespec *)a3, (a2 & TIMER_ABSTIME) != 0, &deadline);
	return r != 0 ? r : sleep_until(deadline);
}
MICA_SYSCALL(SYS_clock_nanosleep, sys_clock_nanosleep);
