/* Strict parsers of the NIC's xenstore values (mac, ip, gateway, mtu): anything unexpected is refused. */
#include "internal.h"

static int netfront_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int netfront_parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = netfront_hex(s[0]), lo = hi < 0 ? -1 : netfront_hex(s[1]);
		if (lo < 0)
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (*s != (i == 5 ? '\0' : ':'))
			return -1;
		if (i < 5)
			s++;
	}
	return 0;
}

/* A decimal of 1 to 10 digits without sign or leading zeros; *end is where it stopped. */
static int netfront_decimal(const char *s, const char **end, unsigned long *v)
{
	unsigned long n = 0;
	int digits = 0;

	while (*s >= '0' && *s <= '9') {
		if (++digits > 10 || (digits == 2 && n == 0))
			return -1;
		n = n * 10 + (unsigned long)(*s++ - '0');
	}
	if (digits == 0)
		return -1;
	*end = s;
	*v = n;
	return 0;
}

int netfront_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	const char *end;
	unsigned long n;

	if (netfront_decimal(s, &end, &n) != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*v = n;
	return 0;
}

/* Parses the dotted quad at the start of s; *end is the character after it. */
static int netfront_quad(const char *s, const char **end, uint32_t *ip)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++) {
		unsigned long n;
		if (netfront_decimal(s, &s, &n) != 0 || n > 255)
			return -1;
		b[i] = (uint8_t)n;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	*end = s;
	/* Network byte order is the bytes as written, whatever the host's order. */
	*ip = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

int netfront_parse_ipv4(const char *s, uint32_t *ip)
{
	const char *end;

	if (netfront_quad(s, &end, ip) != 0 || *end != '\0')
		return -1;
	return 0;
}

int netfront_parse_cidr(const char *s, uint32_t *ip, uint32_t *netmask)
{
	const char *end;
	unsigned long prefix;

	if (netfront_quad(s, &end, ip) != 0 || *end != '/')
		return -1;
	if (netfront_parse_uint(end + 1, 0, 32, &prefix) != 0)
		return -1;
	uint32_t host = prefix == 0 ? 0 : ~0u << (32 - prefix);
	*netmask = __builtin_bswap32(host);
	return 0;
}
