/* sched_yield: every other runnable thread runs before the caller goes on. */
#include <sys/syscall.h>
#include <mica/sched.h>
#include <mica/syscall.h>

static long sys_sched_yield(MICA_SYSCALL_ARGS)
{
	sched_thread_yield();
	return 0;
}
MICA_SYSCALL(SYS_sched_yield, sys_sched_yield);
