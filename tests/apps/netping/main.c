/* Test guest: answers ARP, ICMP echo and UDP echo (port 7) straight on netfront frames, without a stack. */
#include <stdbool.h>
#include <stdint.h>
#include <mica/netfront.h>
#include <mica/plat.h>
#include <mica/print.h>
#include <mica/string.h>

#define NETPING_NICS 4
#define ETH_HLEN 14
#define ETH_ARP 0x0806
#define ETH_IPV4 0x0800
#define IP_ICMP 1
#define IP_UDP 17
#define UDP_ECHO_PORT 7

struct netping_nic {
	unsigned int index;
	struct netfront *nf;
	struct netfront_info info;
	unsigned long arp, icmp, udp, bad_checksum, ignored;
};

static struct netping_nic netping_nics[NETPING_NICS];
/* Replies are built here; a received frame lives in netfront's memory and is only read. */
static uint8_t netping_reply[ETH_HLEN + 65535];

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The Internet checksum's running one's-complement sum (RFC 1071), not yet folded. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The UDP pseudo-header's sum: addresses, protocol and length. */
static uint32_t csum_pseudo(const uint8_t *src, const uint8_t *dst, uint16_t len)
{
	uint32_t sum = csum_add(0, src, 4);
	sum = csum_add(sum, dst, 4);
	return sum + IP_UDP + len;
}

static void netping_send(struct netping_nic *nic, size_t len)
{
	struct netfront_seg seg = {netping_reply, len};
	netfront_xmit(nic->nf, &seg, 1);
}

static void netping_arp(struct netping_nic *nic, const uint8_t *f, size_t len)
{
	const uint8_t *a = f + ETH_HLEN;

	if (len < ETH_HLEN + 28 || get16(a) != 1 || get16(a + 2) != ETH_IPV4 || a[4] != 6 || a[5] != 4 ||
	    get16(a + 6) != 1 || memcmp(a + 24, &nic->info.ip, 4) != 0) {
		nic->ignored++;
		return;
	}
	uint8_t *r = netping_reply, *ra = r + ETH_HLEN;
	memcpy(r, a + 8, 6);
	memcpy(r + 6, nic->info.mac, 6);
	put16(r + 12, ETH_ARP);
	put16(ra, 1);
	put16(ra + 2, ETH_IPV4);
	ra[4] = 6;
	ra[5] = 4;
	put16(ra + 6, 2);
	memcpy(ra + 8, nic->info.mac, 6);
	memcpy(ra + 14, &nic->info.ip, 4);
	memcpy(ra + 18, a + 8, 10); /* the asker's hardware and protocol addresses */
	nic->arp++;
	netping_send(nic, ETH_HLEN + 28);
}

/* Writes a 20-byte IPv4 header answering ip (addresses swapped) for payload bytes; returns its end. */
static uint8_t *netping_ip_reply(struct netping_nic *nic, const uint8_t *f, const uint8_t *ip, size_t payload)
{
	uint8_t *r = netping_reply, *rip = r + ETH_HLEN;
	memcpy(r, f + 6, 6);
	memcpy(r + 6, nic->info.mac, 6);
	put16(r + 12, ETH_IPV4);
	rip[0] = 0x45;
	rip[1] = 0;
	put16(rip + 2, (uint16_t)(20 + payload));
	memcpy(rip + 4, ip + 4, 2); /* the asker's id */
	put16(rip + 6, 0);
	rip[8] = 64;
	rip[9] = ip[9];
	put16(rip + 10, 0);
	memcpy(rip + 12, ip + 16, 4);
	memcpy(rip + 16, ip + 12, 4);
	put16(rip + 10, csum_fold(csum_add(0, rip, 20)));
	return rip + 20;
}

static void netping_icmp(struct netping_nic *nic, const uint8_t *f, const uint8_t *ip, const uint8_t *p, size_t plen)
{
	if (plen < 8 || p[0] != 8 || p[1] != 0) {
		nic->ignored++;
		return;
	}
	if (csum_fold(csum_add(0, p, plen)) != 0) {
		nic->bad_checksum++;
		return;
	}
	uint8_t *rp = netping_ip_reply(nic, f, ip, plen);
	memcpy(rp, p, plen);
	rp[0] = 0;
	put16(rp + 2, 0);
	put16(rp + 2, csum_fold(csum_add(0, rp, plen)));
	nic->icmp++;
	netping_send(nic, ETH_HLEN + 20 + plen);
}

static void netping_udp(struct netping_nic *nic, const uint8_t *f, const uint8_t *ip, const uint8_t *p, size_t plen)
{
	if (plen < 8 || get16(p + 2) != UDP_ECHO_PORT) {
		nic->ignored++;
		return;
	}
	uint16_t ulen = get16(p + 4);
	if (ulen < 8 || ulen > plen) {
		nic->ignored++;
		return;
	}
	/* A zero checksum means the sender computed none (IPv4 allows it). */
	if (get16(p + 6) != 0 && csum_fold(csum_add(csum_pseudo(ip + 12, ip + 16, ulen), p, ulen)) != 0) {
		nic->bad_checksum++;
		return;
	}
	uint8_t *rp = netping_ip_reply(nic, f, ip, ulen);
	memcpy(rp, p + 2, 2);
	memcpy(rp + 2, p, 2);
	put16(rp + 4, ulen);
	put16(rp + 6, 0);
	memcpy(rp + 8, p + 8, ulen - 8u);
	uint16_t sum = csum_fold(csum_add(csum_pseudo(rp - 8, rp - 4, ulen), rp, ulen));
	put16(rp + 6, sum ? sum : 0xffff);
	nic->udp++;
	netping_send(nic, ETH_HLEN + 20 + ulen);
}

static void netping_ipv4(struct netping_nic *nic, const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HLEN;

	if (len < ETH_HLEN + 20 || ip[0] >> 4 != 4) {
		nic->ignored++;
		return;
	}
	size_t hlen = (size_t)(ip[0] & 15) * 4, total = get16(ip + 2);
	if (hlen < 20 || total < hlen || total > len - ETH_HLEN || total > nic->info.mtu) {
		nic->ignored++;
		return;
	}
	if (csum_fold(csum_add(0, ip, hlen)) != 0) {
		nic->bad_checksum++;
		return;
	}
	/* Fragments (more-fragments flag or an offset) are not reassembled here. */
	if (memcmp(ip + 16, &nic->info.ip, 4) != 0 || (get16(ip + 6) & 0x3fff) != 0) {
		nic->ignored++;
		return;
	}
	if (ip[9] == IP_ICMP)
		netping_icmp(nic, f, ip, ip + hlen, total - hlen);
	else if (ip[9] == IP_UDP)
		netping_udp(nic, f, ip, ip + hlen, total - hlen);
	else
		nic->ignored++;
}

static void netping_rx(void *arg, const void *frame, size_t len)
{
	struct netping_nic *nic = arg;
	const uint8_t *f = frame;
	static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	if (memcmp(f, nic->info.mac, 6) != 0 && memcmp(f, broadcast, 6) != 0) {
		nic->ignored++;
		return;
	}
	uint16_t type = get16(f + 12);
	if (type == ETH_ARP)
		netping_arp(nic, f, len);
	else if (type == ETH_IPV4)
		netping_ipv4(nic, f, len);
	else
		nic->ignored++;
}

static void netping_print_ip(const char *label, uint32_t ip)
{
	const uint8_t *b = (const uint8_t *)&ip;
	printf("%s%u.%u.%u.%u", label, b[0], b[1], b[2], b[3]);
}

int main(int argc, char **argv)
{
	unsigned long seconds = 0;
	unsigned int n = 0;
	bool timed = argc > 1;

	if (timed) {
		char *end;
		seconds = strtoul(argv[1], &end, 10);
		if (*end || argv[1][0] == '\0') {
			printf("usage: netping [SECONDS]: answers until killed, or for SECONDS (0: only bring the NICs "
			       "up, to time the boot) then prints counters\n");
			return 2;
		}
	}
	for (; n < NETPING_NICS; n++) {
		struct netping_nic *nic = &netping_nics[n];
		nic->index = n;
		uint64_t t0 = plat_time_ns();
		nic->nf = netfront_open(n, netping_rx, nic);
		if (!nic->nf)
			break;
		netfront_get_info(nic->nf, &nic->info);
		if (!nic->info.static_ip) {
			printf("netping: vif%u has no address: give one with --net ...,ip=A.B.C.D/N "
			       "(netping does no DHCP)\n", n);
			return 1;
		}
		const uint8_t *m = nic->info.mac;
		printf("netping: vif%u up", n);
		netping_print_ip(" ", nic->info.ip);
		printf(" mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u, connected in %llu us\n", m[0], m[1], m[2], m[3],
		       m[4], m[5], nic->info.mtu, (unsigned long long)(plat_time_ns() - t0) / 1000);
	}
	if (n == 0) {
		printf("netping: no NIC: run it with --net tap=NAME,ip=A.B.C.D/N\n");
		return 1;
	}
	if (!timed)
		for (;;)
			plat_block(UINT64_MAX);

	uint64_t end = plat_time_ns() + seconds * 1000000000ull;
	while (plat_time_ns() < end)
		plat_block(end);
	for (unsigned int i = 0; i < n; i++) {
		struct netping_nic *nic = &netping_nics[i];
		struct netfront_stats st;
		netfront_get_stats(nic->nf, &st);
		printf("netping: vif%u rx %llu tx %llu arp %lu icmp %lu udp %lu bad-checksum %lu ignored %lu "
		       "rx-errors %llu rx-dropped %llu tx-dropped %llu\n",
		       i, (unsigned long long)st.rx_frames, (unsigned long long)st.tx_frames, nic->arp, nic->icmp,
		       nic->udp, nic->bad_checksum, nic->ignored, (unsigned long long)st.rx_errors,
		       (unsigned long long)st.rx_dropped, (unsigned long long)st.tx_dropped);
	}
	return 0;
}
