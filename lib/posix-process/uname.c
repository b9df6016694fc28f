/* uname: what the guest's kernel calls itself. */
#define _GNU_SOURCE 1 /* musl names utsname's last field domainname only for GNU code */
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <mica/abi.h>
#include <mica/syscall.h>

#define UNAME_STR(x) #x
#define UNAME_XSTR(x) UNAME_STR(x)

static void uname_copy(char *dst, const char *src)
{
	while ((*dst++ = *src++) != '\0')
		;
}

static long sys_uname(MICA_SYSCALL_ARGS)
{
	struct utsname *u = (struct utsname *)a1;

	uname_copy(u->sysname, "Mica");
	uname_copy(u->nodename, "mica");
	uname_copy(u->release, "1.0.0");
	uname_copy(u->version, "#1 Mica unikernel, ABI " UNAME_XSTR(MICA_ABI_VERSION));
	uname_copy(u->machine, "x86_64");
	/* What Linux reports when no NIS domain was set. */
	uname_copy(u->domainname, "(none)");
	return 0;
}
MICA_SYSCALL(SYS_uname, sys_uname);
