/* musl's thread creation and self-unmapping exit (__clone, __unmapself), and the clone system call. */
#define _GNU_SOURCE 1 /* musl's headers define CLONE_* only for GNU code */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <mica/syscall.h>
#include "internal.h"

#define CLONE_THREAD_LIKE (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)

int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);
_Noreturn void __unmapself(void *base, size_t size);

/*
 * A stack __unmapself was asked to free. Its thread was still running on it then, so it is
 * freed later, by a thread that runs after that one is gone: at most one waits at a time.
 */
static void *clone_held_stack;
static size_t clone_held_size;

static void clone_release_held_stack(void)
{
	if (clone_held_stack == NULL)
		return;
	mica_syscall(SYS_munmap, (long)clone_held_stack, (long)clone_held_size, 0, 0, 0, 0);
	clone_held_stack = NULL;
}

/*
 * What musl calls instead of the clone instruction sequence: pthread_create with a thread's
 * flags, posix_spawn and system with a vfork's, which have no process to create here. Linked
 * before libc.a, this one is the __clone musl uses. Returns the tid or -errno.
 */
int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	int *ptid, *ctid;
	uintptr_t tls;

	if ((flags & CLONE_THREAD_LIKE) != CLONE_THREAD_LIKE || (flags & CLONE_VFORK))
		return -ENOSYS;
	if (stack == NULL)
		return -EINVAL;
	/* Only a thread-like call passes all three. */
	va_start(ap, arg);
	ptid = va_arg(ap, int *);
	tls = va_arg(ap, uintptr_t);
	ctid = va_arg(ap, int *);
	va_end(ap);

	clone_release_held_stack();
	int tid = posix_thread_start(fn, arg, stack, (flags & CLONE_SETTLS) != 0, tls,
				     (flags & CLONE_CHILD_CLEARTID) ? ctid : NULL);
	if (tid < 0)
		return tid;
	if (flags & CLONE_PARENT_SETTID)
		*ptid = tid;
	if (flags & CLONE_CHILD_SETTID)
		*ctid = tid;
	return tid;
}

/* musl's detached threads free their own stack and exit without touching it again. */
_Noreturn void __unmapself(void *base, size_t size)
{
	clone_release_held_stack();
	clone_held_stack = base;
	clone_held_size = size;
	posix_thread_exit(0);
}

/*
 * The raw system call cannot make a thread: its child must return from the syscall instruction
 * on another stack, which a function call into the unikernel cannot arrange. Threads come
 * through __clone; processes not at all.
 */
static long sys_clone(MICA_SYSCALL_ARGS) { return -ENOSYS; }
MICA_SYSCALL(SYS_clone, sys_clone);
