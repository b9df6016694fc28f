/* lwIP's inet header replaced by musl's (LWIP_SOCKET_EXTERNAL_HEADERS), plus the conversions lwIP's sockets use. */
#ifndef MICA_LWIP_PORT_INET_H
#define MICA_LWIP_PORT_INET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include "lwip/ip_addr.h"

#define inet_addr_from_ip4addr(target_inaddr, source_ipaddr) ((target_inaddr)->s_addr = ip4_addr_get_u32(source_ipaddr))
#define inet_addr_to_ip4addr(target_ipaddr, source_inaddr) (ip4_addr_set_u32(target_ipaddr, (source_inaddr)->s_addr))

#endif
