/* Event-channel ping-pong with the runtime's echo service (dom0 port 1): checks and times it. */
#include <mica/abi.h>
#include <mica/evtchn.h>
#include <mica/plat.h>
#include <mica/print.h>
#include <mica/string.h>

#define PINGPONG_MAX 100000

static volatile unsigned long pingpong_received;
static uint32_t pingpong_rtt[PINGPONG_MAX];

static void pingpong_handler(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	pingpong_received++;
}

static void pingpong_sort(uint32_t *v, unsigned long n)
{
	for (unsigned long i = 1; i < n; i++) {
		uint32_t x = v[i];
		unsigned long j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

int main(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? strtoul(argv[1], 0, 0) : 1000;
	evtchn_port_t port;

	if (rounds == 0 || rounds > PINGPONG_MAX) {
		printf("usage: pingpong [ROUNDS (1..%d)]\n", PINGPONG_MAX);
		return 2;
	}
	int rc = evtchn_bind_interdomain(MICA_DOMID_BACKEND, MICA_DOM0_ECHO_PORT, &port);
	if (rc != 0) {
		printf("pingpong: cannot bind the echo service: %d\n", rc);
		return 1;
	}
	evtchn_set_handler(port, pingpong_handler, 0);
	for (unsigned long i = 0; i < rounds; i++) {
		unsigned long before = pingpong_received;
		uint64_t t0 = plat_time_ns();
		evtchn_notify(port);
		while (pingpong_received == before)
			plat_block(UINT64_MAX);
		pingpong_rtt[i] = (uint32_t)(plat_time_ns() - t0);
	}
	pingpong_sort(pingpong_rtt, rounds);
	printf("pingpong: %lu round trips, %lu echoes, median %u ns, min %u ns, p99 %u ns\n", rounds,
	       pingpong_received, pingpong_rtt[rounds / 2], pingpong_rtt[0], pingpong_rtt[rounds * 99 / 100]);
	return pingpong_received == rounds ? 0 : 1;
}
