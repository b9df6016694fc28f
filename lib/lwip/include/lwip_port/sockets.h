/* lwIP's socket header replaced by musl's (LWIP_SOCKET_EXTERNAL_HEADERS): Linux's types and constants, lwIP's functions. */
#ifndef MICA_LWIP_PORT_SOCKETS_H
#define MICA_LWIP_PORT_SOCKETS_H

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "lwip/inet.h"

/* Linux's sockaddr has no length field. */
#define IP4ADDR_SOCKADDR_SET_LEN(sin)
#define IP6ADDR_SOCKADDR_SET_LEN(sin6)
#define SIN_ZERO_LEN sizeof(((struct sockaddr_in *)0)->sin_zero)
#define IPADDR_SOCKADDR_GET_LEN(addr) ((socklen_t)sizeof(struct sockaddr_in)) /* IPv4 only */
#define LWIP_SELECT_MAXNFDS FD_SETSIZE
/* lwIP's own option (idle time in ms), which Linux lacks: given a number no Linux option uses. */
#define TCP_KEEPALIVE 0x7f01

int lwip_accept(int s, struct sockaddr *addr, socklen_t *addrlen);
int lwip_bind(int s, const struct sockaddr *name, socklen_t namelen);
int lwip_shutdown(int s, int how);
int lwip_getpeername(int s, struct sockaddr *name, socklen_t *namelen);
int lwip_getsockname(int s, struct sockaddr *name, socklen_t *namelen);
int lwip_getsockopt(int s, int level, int optname, void *optval, socklen_t *optlen);
int lwip_setsockopt(int s, int level, int optname, const void *optval, socklen_t optlen);
int lwip_close(int s);
int lwip_connect(int s, const struct sockaddr *name, socklen_t namelen);
int lwip_listen(int s, int backlog);
ssize_t lwip_recv(int s, void *mem, size_t len, int flags);
ssize_t lwip_recvfrom(int s, void *mem, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen);
ssize_t lwip_recvmsg(int s, struct msghdr *message, int flags);
ssize_t lwip_send(int s, const void *dataptr, size_t size, int flags);
ssize_t lwip_sendmsg(int s, const struct msghdr *message, int flags);
ssize_t lwip_sendto(int s, const void *dataptr, size_t size, int flags, const struct sockaddr *to, socklen_t tolen);
int lwip_socket(int domain, int type, int protocol);
int lwip_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int lwip_ioctl(int s, long cmd, void *argp);
int lwip_fcntl(int s, int cmd, int val);
void lwip_socket_thread_init(void);
void lwip_socket_thread_cleanup(void);

#endif
