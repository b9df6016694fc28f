/* lwIP's configuration for Mica: threads on lib/sched, BSD sockets over musl's types, sized for throughput. */
#ifndef MICA_LWIPOPTS_H
#define MICA_LWIPOPTS_H

/* Threads, and the core lock so socket calls run in the caller instead of a round trip to tcpip_thread. */
#define NO_SYS 0
#define LWIP_TCPIP_CORE_LOCKING 1
/* Frames arrive in event-channel dispatch, which must never wait for the lock: they go through the mbox. */
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0
#define TCPIP_THREAD_NAME "lwip"
#define TCPIP_THREAD_STACKSIZE (64 * 1024)
#define TCPIP_MBOX_SIZE 2048
#define DEFAULT_THREAD_STACKSIZE (64 * 1024)
#define DEFAULT_RAW_RECVMBOX_SIZE 64
#define DEFAULT_UDP_RECVMBOX_SIZE 256
#define DEFAULT_TCP_RECVMBOX_SIZE 512
#define DEFAULT_ACCEPTMBOX_SIZE 256
#define LWIP_NETCONN_SEM_PER_THREAD 0
#define LWIP_NETCONN_FULLDUPLEX 0

/* Sockets: lwIP's own numbering stays internal; lib/posix-socket turns each into a vfs fd. */
#define LWIP_SOCKET 1
#define LWIP_NETCONN 1
#define LWIP_COMPAT_SOCKETS 0
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_EXTERNAL_HEADERS 1
#define LWIP_SOCKET_EXTERNAL_HEADER_SOCKETS_H "lwip_port/sockets.h"
#define LWIP_SOCKET_EXTERNAL_HEADER_INET_H "lwip_port/inet.h"
/* Readiness counters live in event_callback, which exists only with select or poll; poll is the smaller. */
#define LWIP_SOCKET_SELECT 0
#define LWIP_SOCKET_POLL 1
#define LWIP_SO_SNDTIMEO 1
#define LWIP_SO_RCVTIMEO 1
#define LWIP_SO_RCVBUF 1
#define LWIP_SO_LINGER 1
#define SO_REUSE 1
#define LWIP_FIONREAD_LINUXMODE 1
#define LWIP_TCP_KEEPALIVE 1
#define RECV_BUFSIZE_DEFAULT (1024 * 1024)
#define LWIP_SOCKET_EVENT_HOOK(s, evt) lwip_port_socket_event((s), (int)(evt))
void lwip_port_socket_event(int s, int evt);

/* errno is musl's (Linux values), so errors cross into the syscall layer unchanged. */
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_PROVIDE_ERRNO 0
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1

/* Protocols. IPv6 is off: AF_INET6 sockets fail with EAFNOSUPPORT. */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_RAW 0
#define LWIP_DHCP 1
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define DHCP_DOES_ARP_CHECK 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1
#define LWIP_LOOPBACK_MAX_PBUFS 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_SINGLE_NETIF 0
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define ARP_TABLE_SIZE 64
#define ARP_QUEUEING 1

/* TCP tuned for throughput: a 256 KiB scaled window, 256 KiB of send buffer, Ethernet's MSS. */
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 3
#define TCP_WND (256 * 1024)
#define TCP_SND_BUF (256 * 1024)
#define TCP_SND_QUEUELEN 1024
/* lwIP keeps the low-water mark in 16 bits. */
#define TCP_SNDLOWAT 32768
#define TCP_SNDQUEUELOWAT (TCP_SND_QUEUELEN / 4)
#define TCP_OVERSIZE TCP_MSS
#define TCP_QUEUE_OOSEQ 1
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 128
#define LWIP_TCP_SACK_OUT 0
#define LWIP_TCP_TIMESTAMPS 0
#define TCP_TMR_INTERVAL 100
#define LWIP_CHECKSUM_ON_COPY 1
#define LWIP_TCPIP_TIMEOUT 0

/* Memory: lwIP's own heap and pools, all in bss. Frames arrive in dispatch context, where libc malloc is off limits. */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT 8
#define MEM_SIZE (4 * 1024 * 1024)
/* 100 concurrent connections on both ends of loopback, plus room for TIME_WAIT. */
#define MEMP_NUM_NETCONN 512
#define MEMP_NUM_TCP_PCB 512
#define MEMP_NUM_TCP_PCB_LISTEN 64
#define MEMP_NUM_UDP_PCB 64
#define MEMP_NUM_TCP_SEG 8192
#define MEMP_NUM_PBUF 4096
#define MEMP_NUM_NETBUF 512
#define MEMP_NUM_TCPIP_MSG_API 256
#define MEMP_NUM_TCPIP_MSG_INPKT 2048
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)
#define MEMP_NUM_ARP_QUEUE 256
#define MEMP_NUM_REASSDATA 8
#define IP_REASS_MAX_PBUFS 64
#define PBUF_POOL_SIZE 2048
#define PBUF_POOL_BUFSIZE 1536
#define PBUF_POOL_FREE_OOSEQ 1
#define MEMP_OVERFLOW_CHECK 0
#define MEMP_SANITY_CHECK 0

/* Statistics and debugging off: they cost time on every packet. */
#define LWIP_STATS 0
#define LWIP_STATS_DISPLAY 0
#define LWIP_PERF 0

#define LWIP_RAND() lwip_port_rand()
#include <stdint.h>
uint32_t lwip_port_rand(void);

#endif
