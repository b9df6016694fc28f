/* Socket options and names: the timeouts and SO_ERROR kept here, the rest as lwIP has them. */
#include <errno.h>
#include <string.h>
#include "internal.h"

#define SOCKET_NS_PER_SEC 1000000000ULL
#define SOCKET_NS_PER_USEC 1000ULL

/*
 * Linux's rules for a timeval timeout: usec in range (else EDOM); zero, or too long to reach,
 * waits forever (0 here); a negative time does not wait at all (1 ns here).
 */
static long socket_set_timeout(uint64_t *ns, const void *optval, socklen_t optlen)
{
	struct timeval tv;

	if (optlen < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, optval, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0)
		*ns = 1;
	else if ((uint64_t)tv.tv_sec > UINT64_MAX / SOCKET_NS_PER_SEC - 1)
		*ns = 0;
	else
		*ns = (uint64_t)tv.tv_sec * SOCKET_NS_PER_SEC + (uint64_t)tv.tv_usec * SOCKET_NS_PER_USEC;
	return 0;
}

static long socket_get_timeout(uint64_t ns, void *optval, socklen_t *optlen)
{
	struct timeval tv = {.tv_sec = (time_t)(ns / SOCKET_NS_PER_SEC),
			     .tv_usec = (suseconds_t)(ns % SOCKET_NS_PER_SEC / SOCKET_NS_PER_USEC)};
	socklen_t n = *optlen < sizeof(tv) ? *optlen : sizeof(tv);

	memcpy(optval, &tv, n);
	*optlen = n;
	return 0;
}

static long socket_get_int(int v, void *optval, socklen_t *optlen)
{
	socklen_t n = *optlen < sizeof(v) ? *optlen : sizeof(v);

	memcpy(optval, &v, n);
	*optlen = n;
	return 0;
}

SOCKET_SYSCALL(setsockopt)
{
	struct vfs_file *f;
	long err;
	struct socket_file *sf = socket_get((int)a1, &f, &err);
	int level = (int)a2, name = (int)a3;
	const void *optval = (const void *)a4;
	socklen_t optlen = (socklen_t)a5;

	if (sf == NULL)
		return err;
	if ((int)optlen < 0)
		return -EINVAL;
	if (optval == NULL && optlen != 0)
		return -EFAULT;
	if (level == SOL_SOCKET && name == SO_RCVTIMEO)
		return socket_set_timeout(&sf->rcvtimeo_ns, optval, optlen);
	if (level == SOL_SOCKET && name == SO_SNDTIMEO)
		return socket_set_timeout(&sf->sndtimeo_ns, optval, optlen);
	/* lwIP sizes its buffers at build time: Linux's sizes are accepted and have no effect. */
	if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF))
		return optlen < sizeof(int) ? -EINVAL : 0;
	if (lwip_setsockopt(sf->s, level, name, optval, optlen) != 0)
		return socket_lwip_error();
	return 0;
}

SOCKET_SYSCALL(getsockopt)
{
	struct vfs_file *f;
	long err;
	struct socket_file *sf = socket_get((int)a1, &f, &err);
	int level = (int)a2, name = (int)a3;
	void *optval = (void *)a4;
	socklen_t *optlen = (socklen_t *)a5;

	if (sf == NULL)
		return err;
	if (optlen == NULL || optval == NULL)
		return -EFAULT;
	if ((int)*optlen < 0)
		return -EINVAL;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_RCVTIMEO:
			return socket_get_timeout(sf->rcvtimeo_ns, optval, optlen);
		case SO_SNDTIMEO:
			return socket_get_timeout(sf->sndtimeo_ns, optval, optlen);
		case SO_ERROR:
			/* A connect's outcome is only final here: lwIP's reset becomes Linux's refusal. */
			if (sf->connecting) {
				err = socket_connect_result(sf);
				return socket_get_int(err == -EINPROGRESS ? 0 : (int)-err, optval, optlen);
			}
			break;
		case SO_DOMAIN:
			return socket_get_int(AF_INET, optval, optlen);
		case SO_PROTOCOL:
			return socket_get_int(sf->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP, optval, optlen);
		case SO_ACCEPTCONN:
			return socket_get_int(sf->listening, optval, optlen);
		}
	}
	if (lwip_getsockopt(sf->s, level, name, optval, optlen) != 0)
		return socket_lwip_error();
	return 0;
}

static long socket_name(long fd, long addr, long lenp, bool peer)
{
	struct vfs_file *f;
	long err;
	struct socket_file *sf = socket_get((int)fd, &f, &err);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int rc;

	if (sf == NULL)
		return err;
	if (addr == 0 || lenp == 0)
		return -EFAULT;
	if (peer && sf->connecting)
		socket_connect_result(sf);
	rc = peer ? lwip_getpeername(sf->s, (struct sockaddr *)&sin, &len)
		  : lwip_getsockname(sf->s, (struct sockaddr *)&sin, &len);
	if (rc != 0)
		return socket_lwip_error();
	return socket_addr_out(&sin, (void *)addr, (socklen_t *)lenp);
}

SOCKET_SYSCALL(getsockname) { return socket_name(a1, a2, a3, false); }
SOCKET_SYSCALL(getpeername) { return socket_name(a1, a2, a3, true); }
