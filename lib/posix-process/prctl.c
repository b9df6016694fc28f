/* prctl: the process name (PR_SET_NAME, PR_GET_NAME), which starts as the application's. */
#include <errno.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <mica/abi.h>
#include <mica/syscall.h>

/* Linux's names hold 15 characters and a NUL. */
#define PRCTL_NAME_LEN 16

/* Kept per process, not per thread as on Linux: the threads share one name. */
static char prctl_name[MICA_APP_NAME_MAX] = MICA_APP_NAME;

static long sys_prctl(MICA_SYSCALL_ARGS)
{
	char *name = (char *)a2;
	int i;

	switch (a1) {
	case PR_SET_NAME:
		for (i = 0; i < PRCTL_NAME_LEN - 1 && name[i] != '\0'; i++)
			prctl_name[i] = name[i];
		prctl_name[i] = '\0';
		return 0;
	case PR_GET_NAME:
		for (i = 0; i < PRCTL_NAME_LEN - 1 && prctl_name[i] != '\0'; i++)
			name[i] = prctl_name[i];
		name[i] = '\0';
		return 0;
	}
	return -EINVAL;
}
MICA_SYSCALL(SYS_prctl, sys_prctl);
