/* exit_group: the end of the process, which is the end of the guest. */
#include <sys/syscall.h>
#include <mica/plat.h>
#include <mica/syscall.h>

/* Nothing is left to flush here: musl flushed stdio before it called exit_group. */
static long sys_exit_group(MICA_SYSCALL_ARGS) { plat_poweroff((int)(a1 & 0xff)); }
MICA_SYSCALL(SYS_exit_group, sys_exit_group);
