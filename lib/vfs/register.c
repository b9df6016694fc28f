/* Registers the vfs's system call handlers with lib/syscall's dispatcher. */
#include <sys/syscall.h>
#include <mica/syscall.h>
#include "sys.h"

MICA_SYSCALL(SYS_read, vfs_sys_read);
MICA_SYSCALL(SYS_write, vfs_sys_write);
MICA_SYSCALL(SYS_readv, vfs_sys_readv);
MICA_SYSCALL(SYS_writev, vfs_sys_writev);
MICA_SYSCALL(SYS_pread64, vfs_sys_pread64);
MICA_SYSCALL(SYS_pwrite64, vfs_sys_pwrite64);
MICA_SYSCALL(SYS_lseek, vfs_sys_lseek);

MICA_SYSCALL(SYS_close, vfs_sys_close);
MICA_SYSCALL(SYS_dup, vfs_sys_dup);
MICA_SYSCALL(SYS_dup2, vfs_sys_dup2);
MICA_SYSCALL(SYS_dup3, vfs_sys_dup3);
MICA_SYSCALL(SYS_fcntl, vfs_sys_fcntl);
MICA_SYSCALL(SYS_ioctl, vfs_sys_ioctl);
MICA_SYSCALL(SYS_fsync, vfs_sys_fsync);
MICA_SYSCALL(SYS_fdatasync, vfs_sys_fdatasync);
MICA_SYSCALL(SYS_ftruncate, vfs_sys_ftruncate);

MICA_SYSCALL(SYS_open, vfs_sys_open);
MICA_SYSCALL(SYS_openat, vfs_sys_openat);
MICA_SYSCALL(SYS_creat, vfs_sys_creat);

MICA_SYSCALL(SYS_fstat, vfs_sys_fstat);
MICA_SYSCALL(SYS_stat, vfs_sys_stat);
MICA_SYSCALL(SYS_lstat, vfs_sys_lstat);
MICA_SYSCALL(SYS_newfstatat, vfs_sys_newfstatat);
MICA_SYSCALL(SYS_access, vfs_sys_access);
MICA_SYSCALL(SYS_faccessat, vfs_sys_faccessat);
MICA_SYSCALL(SYS_faccessat2, vfs_sys_faccessat2);
MICA_SYSCALL(SYS_readlink, vfs_sys_readlink);
MICA_SYSCALL(SYS_readlinkat, vfs_sys_readlinkat);

MICA_SYSCALL(SYS_mkdir, vfs_sys_mkdir);
MICA_SYSCALL(SYS_mkdirat, vfs_sys_mkdirat);
MICA_SYSCALL(SYS_rmdir, vfs_sys_rmdir);
MICA_SYSCALL(SYS_unlink, vfs_sys_unlink);
MICA_SYSCALL(SYS_unlinkat, vfs_sys_unlinkat);
MICA_SYSCALL(SYS_rename, vfs_sys_rename);
MICA_SYSCALL(SYS_renameat, vfs_sys_renameat);
MICA_SYSCALL(SYS_renameat2, vfs_sys_renameat2);
MICA_SYSCALL(SYS_symlink, vfs_sys_symlink);
MICA_SYSCALL(SYS_symlinkat, vfs_sys_symlinkat);
MICA_SYSCALL(SYS_link, vfs_sys_link);
MICA_SYSCALL(SYS_linkat, vfs_sys_linkat);
MICA_SYSCALL(SYS_truncate, vfs_sys_truncate);
MICA_SYSCALL(SYS_chmod, vfs_sys_chmod);
MICA_SYSCALL(SYS_fchmod, vfs_sys_fchmod);
MICA_SYSCALL(SYS_fchmodat, vfs_sys_fchmodat);
MICA_SYSCALL(SYS_fchown, vfs_sys_fchown);
MICA_SYSCALL(SYS_chown, vfs_sys_chown);
MICA_SYSCALL(SYS_lchown, vfs_sys_lchown);
MICA_SYSCALL(SYS_fchownat, vfs_sys_fchownat);
MICA_SYSCALL(SYS_utimensat, vfs_sys_utimensat);

MICA_SYSCALL(SYS_getdents64, vfs_sys_getdents64);
MICA_SYSCALL(SYS_getcwd, vfs_sys_getcwd);
MICA_SYSCALL(SYS_chdir, vfs_sys_chdir);
MICA_SYSCALL(SYS_fchdir, vfs_sys_fchdir);

MICA_SYSCALL(SYS_poll, vfs_sys_poll);
MICA_SYSCALL(SYS_ppoll, vfs_sys_ppoll);
MICA_SYSCALL(SYS_select, vfs_sys_select);
MICA_SYSCALL(SYS_pselect6, vfs_sys_pselect6);

MICA_SYSCALL(SYS_epoll_create, vfs_sys_epoll_create);
MICA_SYSCALL(SYS_epoll_create1, vfs_sys_epoll_create1);
MICA_SYSCALL(SYS_epoll_ctl, vfs_sys_epoll_ctl);
MICA_SYSCALL(SYS_epoll_wait, vfs_sys_epoll_wait);
MICA_SYSCALL(SYS_epoll_pwait, vfs_sys_epoll_pwait);
MICA_SYSCALL(SYS_epoll_pwait2, vfs_sys_epoll_pwait2);

MICA_SYSCALL(SYS_eventfd, vfs_sys_eventfd);
MICA_SYSCALL(SYS_eventfd2, vfs_sys_eventfd2);
