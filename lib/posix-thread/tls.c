/* arch_prctl: the thread pointer (FS base) of the calling thread, which lib/sched switches with it. */
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <mica/sched.h>
#include <mica/syscall.h>

/* Linux UAPI values (asm/prctl.h), which musl's headers do not carry. */
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
/* Linux refuses a base outside the user half of the address space, and so would the host. */
#define TLS_USER_END 0x800000000000UL

/* The platform offers the FS base only: the GS codes, and every other, are EINVAL. */
static long sys_arch_prctl(MICA_SYSCALL_ARGS)
{
	switch (a1) {
	case ARCH_SET_FS:
		if ((unsigned long)a2 >= TLS_USER_END)
			return -EPERM;
		sched_set_tls(sched_current(), (uintptr_t)a2);
		return 0;
	case ARCH_GET_FS:
		*(unsigned long *)a2 = sched_tls(sched_current());
		return 0;
	}
	return -EINVAL;
}
MICA_SYSCALL(SYS_arch_prctl, sys_arch_prctl);
