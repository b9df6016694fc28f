/* The container's network for its guest: a TAP in the container's namespace, tied to its interface by tc. */
#include "oci/net.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "dev/tap.h"

/*
 * Why tc and not a bridge: the guest takes over the interface's address and mac, so the
 * interface's peer (the engine's bridge, a CNI plugin, a veth the user made) sees the same
 * station as before; redirecting every frame both ways makes the TAP and the interface one wire
 * without a bridge's learning or the namespace's own IP stack in between. This is what other
 * unikernel and VM runtimes do for a container's veth. The netlink is done here (no iproute2 at
 * run time): an ingress qdisc and one u32 match-all filter with a mirred redirect per direction.
 *
 * The interface keeps its address: every frame it receives goes to the guest, so the namespace's
 * stack never answers for it, and a container restarted in the same namespace (a pod's, which
 * outlives its containers) finds the address again. The qdiscs are replaced on each attach, as
 * the filters of a guest that ended redirect to a TAP that is gone.
 */

/* An addressed interface found in the namespace. */
struct net_if {
	char name[IF_NAMESIZE];
	unsigned int index;
	struct in_addr addr;
	unsigned int prefix;
	struct in_addr gw;   /* 0: no default route through it */
	uint8_t mac[6];
	int mtu;
};

struct net_nl {
	int fd;
	uint32_t seq;
};

/* A netlink request being built: header, fixed part, attributes. */
struct net_req {
	struct nlmsghdr *h;
	size_t cap;
	char buf[1024] __attribute__((aligned(NLMSG_ALIGNTO)));
};

static int net_err(char *err, size_t errlen, const char *fmt, const char *what, int e)
{
	char msg[160];
	snprintf(msg, sizeof(msg), fmt, what);
	snprintf(err, errlen, "%s: %s", msg, strerror(e));
	return -1;
}

static void net_req_init(struct net_req *r, uint16_t type, uint16_t flags, const void *fixed, size_t len)
{
	memset(r->buf, 0, sizeof(r->buf));
	r->h = (struct nlmsghdr *)r->buf;
	r->cap = sizeof(r->buf);
	r->h->nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
	r->h->nlmsg_type = type;
	r->h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	memcpy(NLMSG_DATA(r->h), fixed, len);
}

/* Appends an attribute; returns it (for nesting), NULL if the buffer is full (a bug: sizes are fixed). */
static struct rtattr *net_attr(struct net_req *r, uint16_t type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(r->h->nlmsg_len);
	if (at + RTA_SPACE(len) > r->cap)
		return NULL;
	struct rtattr *a = (struct rtattr *)(r->buf + at);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h->nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
	return a;
}

static void net_nest_end(struct net_req *r, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)(r->buf + r->h->nlmsg_len - (char *)nest);
}

/* Sends the request and reads its ack: 0, or the negative errno the kernel answered. */
static int net_talk(struct net_nl *nl, struct net_req *r)
{
	r->h->nlmsg_seq = ++nl->seq;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(nl->fd, r->h, r->h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	for (;;) {
		ssize_t n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != nl->seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return -EPROTO;
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

/* A fresh ingress qdisc on ifindex: one left by an earlier guest would redirect to its dead TAP. */
static int net_ingress(struct net_nl *nl, unsigned int ifindex)
{
	struct tcmsg tc = {.tcm_family = AF_UNSPEC, .tcm_ifindex = (int)ifindex,
			   .tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0), .tcm_parent = TC_H_INGRESS};
	struct net_req r;
	net_req_init(&r, RTM_DELQDISC, 0, &tc, sizeof(tc));
	net_attr(&r, TCA_KIND, "ingress", sizeof("ingress"));
	int rc = net_talk(nl, &r);
	if (rc != 0 && rc != -ENOENT && rc != -EINVAL)
		return rc;
	net_req_init(&r, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, &tc, sizeof(tc));
	net_attr(&r, TCA_KIND, "ingress", sizeof("ingress"));
	return net_talk(nl, &r);
}

/*
 * Every frame arriving on from is sent out of to: a u32 filter whose one key matches anything
 * (u32 is in every kernel config; matchall is not), with a mirred egress redirect action.
 */
static int net_redirect(struct net_nl *nl, unsigned int from, unsigned int to)
{
	struct tcmsg tc = {.tcm_family = AF_UNSPEC, .tcm_ifindex = (int)from,
			   .tcm_parent = TC_H_MAKE(TC_H_INGRESS, 0),
			   .tcm_info = TC_H_MAKE(1u << 16, htons(ETH_P_ALL))};
	struct net_req r;
	net_req_init(&r, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, &tc, sizeof(tc));
	net_attr(&r, TCA_KIND, "u32", sizeof("u32"));
	struct rtattr *opts = net_attr(&r, TCA_OPTIONS, NULL, 0);
	struct {
		struct tc_u32_sel sel;
		struct tc_u32_key key;
	} sel = {.sel = {.flags = TC_U32_TERMINAL, .nkeys = 1}};
	net_attr(&r, TCA_U32_SEL, &sel, sizeof(sel));
	struct rtattr *acts = net_attr(&r, TCA_U32_ACT, NULL, 0);
	struct rtattr *act = net_attr(&r, 1, NULL, 0);
	net_attr(&r, TCA_ACT_KIND, "mirred", sizeof("mirred"));
	struct rtattr *aopts = net_attr(&r, TCA_ACT_OPTIONS, NULL, 0);
	struct tc_mirred m = {.action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR, .ifindex = to};
	if (!net_attr(&r, TCA_MIRRED_PARMS, &m, sizeof(m)))
		return -ENOBUFS;
	net_nest_end(&r, aopts);
	net_nest_end(&r, act);
	net_nest_end(&r, acts);
	net_nest_end(&r, opts);
	return net_talk(nl, &r);
}

/* The first interface with an IPv4 address that is not loopback; 0 if there is none. */
static int net_find(struct net_if *ifc, char *err, size_t errlen)
{
	struct ifaddrs *list;
	if (getifaddrs(&list) != 0)
		return net_err(err, errlen, "%s", "cannot list the network interfaces", errno);
	int found = 0;
	for (struct ifaddrs *a = list; a && !found; a = a->ifa_next) {
		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || (a->ifa_flags & IFF_LOOPBACK) ||
		    !a->ifa_netmask || strlen(a->ifa_name) >= sizeof(ifc->name))
			continue;
		snprintf(ifc->name, sizeof(ifc->name), "%s", a->ifa_name);
		ifc->addr = ((struct sockaddr_in *)a->ifa_addr)->sin_addr;
		uint32_t mask = ntohl(((struct sockaddr_in *)a->ifa_netmask)->sin_addr.s_addr);
		ifc->prefix = (unsigned int)__builtin_popcount(mask);
		found = 1;
	}
	freeifaddrs(list);
	if (!found)
		return 0;
	ifc->index = if_nametoindex(ifc->name);
	if (!ifc->index)
		return net_err(err, errlen, "%s: cannot find its index", ifc->name, errno);
	return 1;
}

/* The gateway of the default route through ifc, from /proc/net/route (this namespace's). */
static void net_find_gw(struct net_if *ifc)
{
	FILE *f = fopen("/proc/net/route", "re");
	if (!f)
		return;
	char line[256], name[IF_NAMESIZE + 1];
	unsigned int dest, gw, flags, mask;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%16s %x %x %x %*s %*s %*s %x", name, &dest, &gw, &flags, &mask) == 5 &&
		    strcmp(name, ifc->name) == 0 && dest == 0 && mask == 0 && (flags & (RTF_UP | RTF_GATEWAY)) == (RTF_UP | RTF_GATEWAY)) {
			/* The file prints the address as the host-order value of network-order bytes. */
			ifc->gw.s_addr = gw;
			break;
		}
	}
	fclose(f);
}

/* The interface's mac and mtu; the TAP gets the same mtu so no frame is too big for the other side. */
static int net_link(struct net_if *ifc, const char *tap, char *err, size_t errlen)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return net_err(err, errlen, "%s", "cannot open a socket", errno);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifc->name);
	int rc = -1;
	if (ioctl(s, SIOCGIFHWADDR, &ifr) != 0) {
		net_err(err, errlen, "%s: cannot read its mac", ifc->name, errno);
	} else {
		memcpy(ifc->mac, ifr.ifr_hwaddr.sa_data, sizeof(ifc->mac));
		if (ioctl(s, SIOCGIFMTU, &ifr) != 0) {
			net_err(err, errlen, "%s: cannot read its mtu", ifc->name, errno);
		} else {
			ifc->mtu = ifr.ifr_mtu;
			snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
			ifr.ifr_mtu = ifc->mtu;
			if (ioctl(s, SIOCSIFMTU, &ifr) != 0)
				net_err(err, errlen, "%s: cannot set its mtu", tap, errno);
			else
				rc = 0;
		}
	}
	close(s);
	return rc;
}

int oci_net_attach(const char *netns_path, struct run_nic *nic, char *err, size_t errlen)
{
	if (netns_path && netns_path[0]) {
		int ns = open(netns_path, O_RDONLY | O_CLOEXEC);
		if (ns < 0)
			return net_err(err, errlen, "network namespace %s", netns_path, errno);
		int rc = setns(ns, CLONE_NEWNET);
		int e = errno;
		close(ns);
		if (rc != 0)
			return net_err(err, errlen, "cannot enter the network namespace %s", netns_path, e);
	}
	struct net_if ifc = {0};
	int found = net_find(&ifc, err, errlen);
	if (found <= 0)
		return found;
	net_find_gw(&ifc);

	/* A name no device has: the TAP is transient and goes when the VMM (its fd) does. */
	char tap[IF_NAMESIZE];
	int i = 0;
	do
		snprintf(tap, sizeof(tap), "mica%d", i);
	while (if_nametoindex(tap) != 0 && ++i < 100);
	int fd = tap_open(tap, err, errlen);
	if (fd < 0)
		return -1;
	unsigned int tap_index = if_nametoindex(tap);
	/* The namespace's kernel would send its IPv6 router and neighbour probes to the guest. */
	char knob[80];
	snprintf(knob, sizeof(knob), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", tap);
	int kfd = open(knob, O_WRONLY | O_CLOEXEC);
	if (kfd >= 0) {
		(void)!write(kfd, "1", 1);
		close(kfd);
	}
	struct net_nl nl = {.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)};
	int rc = -1, e;
	if (nl.fd < 0) {
		net_err(err, errlen, "%s", "cannot open a netlink socket", errno);
	} else if (net_link(&ifc, tap, err, errlen) != 0) {
		/* err is set */
	} else if ((e = net_ingress(&nl, ifc.index)) != 0 || (e = net_ingress(&nl, tap_index)) != 0) {
		net_err(err, errlen, "cannot add an ingress qdisc to %s", e == 0 ? tap : ifc.name, -e);
	} else if ((e = net_redirect(&nl, ifc.index, tap_index)) != 0 || (e = net_redirect(&nl, tap_index, ifc.index)) != 0) {
		net_err(err, errlen, "cannot redirect %s to its TAP with tc (needs the u32 classifier and mirred action)",
			ifc.name, -e);
	} else {
		rc = 1;
	}
	if (nl.fd >= 0)
		close(nl.fd);
	if (rc != 1) {
		close(fd);
		return -1;
	}
	memset(nic, 0, sizeof(*nic));
	snprintf(nic->tap, sizeof(nic->tap), "%s", tap);
	memcpy(nic->mac, ifc.mac, sizeof(nic->mac));
	nic->mac_given = true;
	char addr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &ifc.addr, addr, sizeof(addr));
	snprintf(nic->ip, sizeof(nic->ip), "%s/%u", addr, ifc.prefix);
	if (ifc.gw.s_addr)
		inet_ntop(AF_INET, &ifc.gw, nic->gw, sizeof(nic->gw));
	nic->fd = fd;
	return 1;
}
