/* lwIP's start at boot and its network interface on netfront: frames in from event dispatch, out to the tx ring. */
#include <string.h>
#include <mica/init.h>
#include <mica/lwip_port.h>
#include <mica/netfront.h>
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

/* Slots of one frame handed to netfront; a longer pbuf chain is first copied into one piece. */
#define LWIP_PORT_MAX_SEGS 16
#define LWIP_PORT_FRAME_MAX (65535 + 14)

static struct netif lwip_port_nic;
static struct netfront *lwip_port_nf;
static struct netfront_info lwip_port_info;
static unsigned char lwip_port_flat[LWIP_PORT_FRAME_MAX];
static void (*lwip_port_event_fn)(int s, int evt);

void lwip_port_set_socket_event(void (*fn)(int s, int evt)) { lwip_port_event_fn = fn; }

void lwip_port_socket_event(int s, int evt)
{
	if (lwip_port_event_fn != NULL)
		lwip_port_event_fn(s, evt);
}

/*
 * Runs in netfront's event handler, which must not block: the frame goes to tcpip_thread's
 * mailbox (tcpip_input, a trypost) and is dropped when the pool or the mailbox is full, as a
 * NIC drops on a full ring. TCP recovers by retransmission.
 */
static void lwip_port_rx(void *arg, const void *frame, size_t len)
{
	struct netif *netif = arg;
	struct pbuf *p;

	/* netif->input is set by netif_add, after netfront_open has already bound the port. */
	if (netif->input == NULL || len == 0 || len > LWIP_PORT_FRAME_MAX)
		return;
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (p == NULL)
		return;
	pbuf_take(p, frame, (u16_t)len);
	if (netif->input(p, netif) != ERR_OK)
		pbuf_free(p);
}

/* A frame that does not fit the ring now is dropped, not retried: ERR_OK keeps TCP's timers in charge. */
static err_t lwip_port_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct netfront_seg segs[LWIP_PORT_MAX_SEGS];
	unsigned int n = 0;

	(void)netif;
	for (struct pbuf *q = p; q != NULL; q = q->next) {
		if (q->len == 0)
			continue;
		if (n == LWIP_PORT_MAX_SEGS) {
			n = 1;
			segs[0].data = lwip_port_flat;
			segs[0].len = pbuf_copy_partial(p, lwip_port_flat, p->tot_len, 0);
			break;
		}
		segs[n].data = q->payload;
		segs[n].len = q->len;
		n++;
	}
	netfront_xmit(lwip_port_nf, segs, n);
	return ERR_OK;
}

static err_t lwip_port_nic_init(struct netif *netif)
{
	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->output = etharp_output;
	netif->linkoutput = lwip_port_linkoutput;
	netif->mtu = lwip_port_info.mtu;
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, lwip_port_info.mac, ETH_HWADDR_LEN);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

static void lwip_port_nic_up(void)
{
	ip4_addr_t ip, mask, gw;

	netfront_get_info(lwip_port_nf, &lwip_port_info);
	ip4_addr_set_u32(&ip, lwip_port_info.static_ip ? lwip_port_info.ip : 0);
	ip4_addr_set_u32(&mask, lwip_port_info.static_ip ? lwip_port_info.netmask : 0);
	ip4_addr_set_u32(&gw, lwip_port_info.static_ip ? lwip_port_info.gateway : 0);

	LOCK_TCPIP_CORE();
	netif_add(&lwip_port_nic, &ip, &mask, &gw, &lwip_port_nic, lwip_port_nic_init, tcpip_input);
	netif_set_default(&lwip_port_nic);
	netif_set_up(&lwip_port_nic);
	/* DHCP runs on lwIP's timers in tcpip_thread: boot goes on without waiting for a lease. */
	if (!lwip_port_info.static_ip)
		dhcp_start(&lwip_port_nic);
	UNLOCK_TCPIP_CORE();
}

/*
 * lwIP's thread and interfaces. Linked after the objects of every lib/<name>/Kbuild (see
 * lib/lwip/Build.mk), so this MICA_INIT_LIB initcall runs after lib/sched's.
 */
static int lwip_port_init(void)
{
	struct netif *lo;

	tcpip_init(NULL, NULL);
	/* Loopback traffic never leaves memory: checksums would only cost time, as on Linux. */
	LOCK_TCPIP_CORE();
	lo = netif_find("lo0");
	if (lo != NULL)
		NETIF_SET_CHECKSUM_CTRL(lo, NETIF_CHECKSUM_DISABLE_ALL);
	UNLOCK_TCPIP_CORE();

	lwip_port_nf = netfront_open(0, lwip_port_rx, &lwip_port_nic);
	if (lwip_port_nf != NULL)
		lwip_port_nic_up();
	return 0;
}
MICA_INITCALL(lwip_port_init, MICA_INIT_LIB);
