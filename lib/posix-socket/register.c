/* Registers the socket calls with lib/syscall's dispatcher. */
#include <sys/syscall.h>
#include "internal.h"

SOCKET_SYSCALL(socket);
SOCKET_SYSCALL(socketpair);
SOCKET_SYSCALL(bind);
SOCKET_SYSCALL(listen);
SOCKET_SYSCALL(accept);
SOCKET_SYSCALL(accept4);
SOCKET_SYSCALL(connect);
SOCKET_SYSCALL(shutdown);
SOCKET_SYSCALL(sendto);
SOCKET_SYSCALL(recvfrom);
SOCKET_SYSCALL(sendmsg);
SOCKET_SYSCALL(recvmsg);
SOCKET_SYSCALL(setsockopt);
SOCKET_SYSCALL(getsockopt);
SOCKET_SYSCALL(getsockname);
SOCKET_SYSCALL(getpeername);

MICA_SYSCALL(SYS_socket, socket_sys_socket);
MICA_SYSCALL(SYS_socketpair, socket_sys_socketpair);
MICA_SYSCALL(SYS_bind, socket_sys_bind);
MICA_SYSCALL(SYS_listen, socket_sys_listen);
MICA_SYSCALL(SYS_accept, socket_sys_accept);
MICA_SYSCALL(SYS_accept4, socket_sys_accept4);
MICA_SYSCALL(SYS_connect, socket_sys_connect);
MICA_SYSCALL(SYS_shutdown, socket_sys_shutdown);
MICA_SYSCALL(SYS_sendto, socket_sys_sendto);
MICA_SYSCALL(SYS_recvfrom, socket_sys_recvfrom);
MICA_SYSCALL(SYS_sendmsg, socket_sys_sendmsg);
MICA_SYSCALL(SYS_recvmsg, socket_sys_recvmsg);
MICA_SYSCALL(SYS_setsockopt, socket_sys_setsockopt);
MICA_SYSCALL(SYS_getsockopt, socket_sys_getsockopt);
MICA_SYSCALL(SYS_getsockname, socket_sys_getsockname);
MICA_SYSCALL(SYS_getpeername, socket_sys_getpeername);
