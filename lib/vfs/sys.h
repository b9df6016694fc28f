/* The vfs's system call handlers: defined in sys_*.c, registered in register.c, called by host tests. */
#ifndef VFS_SYS_H
#define VFS_SYS_H

#include <mica/syscall.h>

#define VFS_SYSCALL(name) long vfs_sys_##name(MICA_SYSCALL_ARGS)

/* sys_rw.c */
VFS_SYSCALL(read);
VFS_SYSCALL(write);
VFS_SYSCALL(readv);
VFS_SYSCALL(writev);
VFS_SYSCALL(pread64);
VFS_SYSCALL(pwrite64);
VFS_SYSCALL(lseek);

/* sys_fd.c */
VFS_SYSCALL(close);
VFS_SYSCALL(dup);
VFS_SYSCALL(dup2);
VFS_SYSCALL(dup3);
VFS_SYSCALL(fcntl);
VFS_SYSCALL(ioctl);
VFS_SYSCALL(fsync);
VFS_SYSCALL(fdatasync);
VFS_SYSCALL(ftruncate);

/* sys_open.c */
VFS_SYSCALL(open);
VFS_SYSCALL(openat);
VFS_SYSCALL(creat);

/* sys_stat.c */
VFS_SYSCALL(fstat);
VFS_SYSCALL(stat);
VFS_SYSCALL(lstat);
VFS_SYSCALL(newfstatat);
VFS_SYSCALL(access);
VFS_SYSCALL(faccessat);
VFS_SYSCALL(faccessat2);
VFS_SYSCALL(readlink);
VFS_SYSCALL(readlinkat);

/* sys_names.c */
VFS_SYSCALL(mkdir);
VFS_SYSCALL(mkdirat);
VFS_SYSCALL(rmdir);
VFS_SYSCALL(unlink);
VFS_SYSCALL(unlinkat);
VFS_SYSCALL(rename);
VFS_SYSCALL(renameat);
VFS_SYSCALL(renameat2);
VFS_SYSCALL(symlink);
VFS_SYSCALL(symlinkat);
VFS_SYSCALL(link);
VFS_SYSCALL(linkat);
VFS_SYSCALL(truncate);
VFS_SYSCALL(chmod);
VFS_SYSCALL(fchmod);
VFS_SYSCALL(fchmodat);
VFS_SYSCALL(fchown);
VFS_SYSCALL(chown);
VFS_SYSCALL(lchown);
VFS_SYSCALL(fchownat);
VFS_SYSCALL(utimensat);

/* sys_dir.c */
VFS_SYSCALL(getdents64);
VFS_SYSCALL(getcwd);
VFS_SYSCALL(chdir);
VFS_SYSCALL(fchdir);

/* sys_poll.c */
VFS_SYSCALL(poll);
VFS_SYSCALL(ppoll);
VFS_SYSCALL(select);
VFS_SYSCALL(pselect6);

/* epoll.c */
VFS_SYSCALL(epoll_create);
VFS_SYSCALL(epoll_create1);
VFS_SYSCALL(epoll_ctl);
VFS_SYSCALL(epoll_wait);
VFS_SYSCALL(epoll_pwait);
VFS_SYSCALL(epoll_pwait2);

/* eventfd.c */
VFS_SYSCALL(eventfd);
VFS_SYSCALL(eventfd2);

#endif
