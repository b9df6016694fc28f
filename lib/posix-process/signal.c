/* Signals: actions, the mask, pending signals, and delivery of the signals the process sends itself. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <arch/string.h>
#include <mica/plat.h>
#include <mica/posix_thread.h>
#include <mica/syscall.h>
#include "internal.h"

#define SIGNAL_MAX 64
#define SIGNAL_BIT(sig) (1ULL << ((sig) - 1))
#define SIGNAL_UNBLOCKABLE (SIGNAL_BIT(SIGKILL) | SIGNAL_BIT(SIGSTOP))
/* Ignored by default; and the stop signals, which have no one to continue the guest after them. */
#define SIGNAL_DEFAULT_IGNORED                                                                   \
	(SIGNAL_BIT(SIGCHLD) | SIGNAL_BIT(SIGCONT) | SIGNAL_BIT(SIGURG) | SIGNAL_BIT(SIGWINCH) |    \
	 SIGNAL_BIT(SIGSTOP) | SIGNAL_BIT(SIGTSTP) | SIGNAL_BIT(SIGTTIN) | SIGNAL_BIT(SIGTTOU))

/* The kernel's struct sigaction on x86_64 (musl's public one is laid out differently). */
struct signal_kaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/*
 * Each thread's mask is kept by posix-thread. The pending set is process-wide, where Linux also
 * keeps one per thread: threads here only switch inside system calls and no signal comes from
 * outside, so a signal is acted on in the thread that raises or unblocks it, or not at all.
 */
static struct signal_kaction signal_actions[SIGNAL_MAX];
static uint64_t signal_pending;
static int signal_codes[SIGNAL_MAX]; /* si_code of each pending signal */
static stack_t signal_altstack = {.ss_flags = SS_DISABLE};

static _Noreturn void signal_die(int sig)
{
	static const char prefix[] = "mica: killed by signal ";
	char msg[sizeof(prefix) + 3];
	char *p = msg + sizeof(prefix) - 1;

	memcpy(msg, prefix, sizeof(prefix) - 1);
	if (sig >= 10)
		*p++ = (char)('0' + sig / 10);
	*p++ = (char)('0' + sig % 10);
	*p++ = '\n';
	*p = '\0';
	plat_crash(msg);
}

static bool signal_ignored(int sig)
{
	void *h = signal_actions[sig - 1].handler;

	return h == SIG_IGN || (h == SIG_DFL && (SIGNAL_DEFAULT_IGNORED & SIGNAL_BIT(sig)));
}

/*
 * Runs a handler on the current stack (never the alternate one) with the mask Linux would give
 * it; a handler that jumps out leaves its mask in place, as it would leave it on Linux.
 */
static void signal_run_handler(int sig, int code)
{
	struct signal_kaction act = signal_actions[sig - 1];
	uint64_t *mask = posix_thread_sigmask(), saved = *mask;

	*mask |= act.mask | ((act.flags & SA_NODEFER) ? 0 : SIGNAL_BIT(sig));
	*mask &= ~SIGNAL_UNBLOCKABLE;
	if (act.flags & SA_RESETHAND) {
		signal_actions[sig - 1].handler = SIG_DFL;
		signal_actions[sig - 1].flags &= ~SA_SIGINFO;
	}
	if (act.flags & SA_SIGINFO) {
		siginfo_t info;
		ucontext_t uc;
		memset(&info, 0, sizeof(info));
		memset(&uc, 0, sizeof(uc));
		info.si_signo = sig;
		info.si_code = code;
		info.si_pid = 1;
		memcpy(&uc.uc_sigmask, &saved, sizeof(saved));
		((void (*)(int, siginfo_t *, void *))act.handler)(sig, &info, &uc);
	} else {
		((void (*)(int))act.handler)(sig);
	}
	*mask = saved;
}

/* Acts on every pending signal the mask lets through, lowest number first, as Linux does. */
static void signal_deliver(void)
{
	uint64_t ready;

	while ((ready = signal_pending & ~*posix_thread_sigmask()) != 0) {
		int sig = __builtin_ctzll(ready) + 1;
		signal_pending &= ~SIGNAL_BIT(sig);
		if (signal_ignored(sig))
			continue;
		if (signal_actions[sig - 1].handler == SIG_DFL)
			signal_die(sig);
		signal_run_handler(sig, signal_codes[sig - 1]);
	}
}

/*
 * A signal to the process or the calling thread is pending, then delivered if unblocked. One
 * to another thread can only end the process: its handler would have to interrupt that thread,
 * and nothing here can, so it is discarded. Returns 0 or -EINVAL.
 */
static long signal_send(int sig, bool other_thread, int code)
{
	if (sig < 0 || sig > SIGNAL_MAX)
		return -EINVAL;
	if (sig == 0 || signal_ignored(sig))
		return 0;
	if (other_thread && signal_actions[sig - 1].handler != SIG_DFL)
		return 0;
	signal_pending |= SIGNAL_BIT(sig);
	signal_codes[sig - 1] = code;
	signal_deliver();
	return 0;
}

static long sys_rt_sigaction(MICA_SYSCALL_ARGS)
{
	int sig = (int)a1;
	const struct signal_kaction *act = (const struct signal_kaction *)a2;
	struct signal_kaction *old = (struct signal_kaction *)a3;

	if (a4 != sizeof(uint64_t) || sig < 1 || sig > SIGNAL_MAX)
		return -EINVAL;
	if (act != NULL && (SIGNAL_UNBLOCKABLE & SIGNAL_BIT(sig)))
		return -EINVAL;
	if (old != NULL)
		*old = signal_actions[sig - 1];
	if (act != NULL) {
		signal_actions[sig - 1] = *act;
		signal_actions[sig - 1].mask &= ~SIGNAL_UNBLOCKABLE;
		/* A pending signal that is now ignored is discarded, as POSIX requires. */
		if (signal_ignored(sig))
			signal_pending &= ~SIGNAL_BIT(sig);
	}
	return 0;
}
MICA_SYSCALL(SYS_rt_sigaction, sys_rt_sigaction);

static long sys_rt_sigprocmask(MICA_SYSCALL_ARGS)
{
	const uint64_t *set = (const uint64_t *)a2;
	uint64_t *old = (uint64_t *)a3, *mask = posix_thread_sigmask();

	if (a4 != sizeof(uint64_t))
		return -EINVAL;
	if (set != NULL && a1 != SIG_BLOCK && a1 != SIG_UNBLOCK && a1 != SIG_SETMASK)
		return -EINVAL;
	if (old != NULL)
		*old = *mask;
	if (set == NULL)
		return 0;
	if (a1 == SIG_BLOCK)
		*mask |= *set;
	else if (a1 == SIG_UNBLOCK)
		*mask &= ~*set;
	else
		*mask = *set;
	*mask &= ~SIGNAL_UNBLOCKABLE;
	signal_deliver();
	return 0;
}
MICA_SYSCALL(SYS_rt_sigprocmask, sys_rt_sigprocmask);

static long sys_rt_sigpending(MICA_SYSCALL_ARGS)
{
	if ((unsigned long)a2 > sizeof(uint64_t))
		return -EINVAL;
	memcpy((void *)a1, &signal_pending, (size_t)a2);
	return 0;
}
MICA_SYSCALL(SYS_rt_sigpending, sys_rt_sigpending);

/* Recorded and reported back; handlers run on the stack of whoever raised the signal. */
static long sys_sigaltstack(MICA_SYSCALL_ARGS)
{
	const stack_t *ss = (const stack_t *)a1;
	stack_t *old = (stack_t *)a2;

	if (ss != NULL) {
		int mode = ss->ss_flags & ~SS_FLAG_BITS;
		if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
			return -EINVAL;
		if (mode != SS_DISABLE && ss->ss_size < MINSIGSTKSZ)
			return -ENOMEM;
	}
	if (old != NULL)
		*old = signal_altstack;
	if (ss != NULL) {
		signal_altstack = *ss;
		if ((ss->ss_flags & ~SS_FLAG_BITS) == SS_DISABLE) {
			signal_altstack.ss_sp = NULL;
			signal_altstack.ss_size = 0;
			signal_altstack.ss_flags = SS_DISABLE;
		} else {
			signal_altstack.ss_flags &= SS_FLAG_BITS;
		}
	}
	return 0;
}
MICA_SYSCALL(SYS_sigaltstack, sys_sigaltstack);

/*
 * pid 0 (the caller's group), 1 or a thread's id name this process; -1 names every process but
 * the caller and init, which this one is both of: none, like any other pid.
 */
static long sys_kill(MICA_SYSCALL_ARGS)
{
	int pid = (int)a1, sig = (int)a2;

	if (sig < 0 || sig > SIGNAL_MAX)
		return -EINVAL;
	if (pid < 0 || !posix_process_is_self(pid))
		return -ESRCH;
	return signal_send(sig, false, SI_USER);
}
MICA_SYSCALL(SYS_kill, sys_kill);

static long signal_send_thread(int tid, int sig)
{
	if (tid <= 0)
		return -EINVAL;
	if (!posix_thread_exists(tid))
		return -ESRCH;
	return signal_send(sig, tid != posix_thread_tid(), SI_TKILL);
}

static long sys_tkill(MICA_SYSCALL_ARGS) { return signal_send_thread((int)a1, (int)a2); }
MICA_SYSCALL(SYS_tkill, sys_tkill);

static long sys_tgkill(MICA_SYSCALL_ARGS)
{
	if ((int)a1 <= 0)
		return -EINVAL;
	if ((int)a1 != 1)
		return -ESRCH;
	return signal_send_thread((int)a2, (int)a3);
}
MICA_SYSCALL(SYS_tgkill, sys_tgkill);
