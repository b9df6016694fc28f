/* Test guest that ends the way its arguments say: status, crash, faults, reboot, spin, sleep, upcalls. */
#include <mica/abi.h>
#include <mica/evtchn.h>
#include <mica/plat.h>
#include <mica/print.h>
#include <mica/string.h>
#include <mica/hypercall.h>
#include <xen/sched.h>

/* Only kvm images have it (plat/kvm/xen.c); weak, so that proc images link without it. */
extern uint64_t kvm_upcall_count(void) __attribute__((weak));

/* A kilobyte of stack per level, far deeper than the boot stack: its guard page must stop it. */
static int guestctl_recurse(int depth)
{
	volatile char frame[1024];
	frame[0] = (char)depth;
	if (depth > 1000000)
		return frame[0];
	return guestctl_recurse(depth + 1) + frame[0];
}

static int guestctl_usage(void)
{
	printf("usage: guestctl status N | crash | reboot | segv | gp | ud2 | divide | spin | sleep MS | "
	       "print LINES | bindecho | int80 | read BYTES | overflow | upcalls MS | triple\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return guestctl_usage();
	const char *cmd = argv[1];
	if (strcmp(cmd, "status") == 0 && argc == 3)
		return (int)strtol(argv[2], 0, 0);
	if (strcmp(cmd, "crash") == 0)
		plat_crash("guestctl: crashing on purpose\n");
	if (strcmp(cmd, "reboot") == 0) {
		struct sched_shutdown op = {.reason = SHUTDOWN_reboot};
		HYPERVISOR_sched_op(SCHEDOP_shutdown, &op);
	}
	if (strcmp(cmd, "segv") == 0) {
		volatile uintptr_t unmapped = 8; /* below the hypercall page: nothing is there */
		return *(volatile int *)unmapped;
	}
	if (strcmp(cmd, "gp") == 0) {
		/* Non-canonical: a general protection fault, where an unmapped address gives a page fault. */
		volatile uintptr_t noncanonical = 0x8000000000000000ULL;
		return *(volatile int *)noncanonical;
	}
	if (strcmp(cmd, "triple") == 0) {
		/* No IDT at all: no exception can be delivered, so the first one shuts the CPU down. */
		static const struct {
			uint16_t limit;
			uint64_t base;
		} __attribute__((packed)) no_idt = {0, 0};
		__asm__ __volatile__("lidt %0; ud2" : : "m"(no_idt));
	}
	if (strcmp(cmd, "ud2") == 0)
		__asm__ __volatile__("ud2");
	if (strcmp(cmd, "divide") == 0) {
		/* In assembly: the compiler may fold a C division by zero away. */
		__asm__ __volatile__("xor %%ecx, %%ecx; mov $1, %%eax; cltd; idivl %%ecx" ::: "eax", "ecx", "edx");
	}
	if (strcmp(cmd, "spin") == 0) {
		printf("guestctl: spinning\n");
		for (;;)
			__asm__ __volatile__("pause");
	}
	if (strcmp(cmd, "sleep") == 0 && argc == 3) {
		uint64_t ms = strtoul(argv[2], 0, 0), start = plat_time_ns();
		uint64_t deadline = start + ms * 1000000ULL;
		while (plat_time_ns() < deadline)
			plat_block(deadline);
		printf("guestctl: slept %llu us for %llu ms\n",
		       (unsigned long long)((plat_time_ns() - start) / 1000), (unsigned long long)ms);
		return 0;
	}
	if (strcmp(cmd, "upcalls") == 0 && argc == 3) {
		uint64_t deadline = plat_time_ns() + strtoul(argv[2], 0, 0) * 1000000ULL;
		while (plat_time_ns() < deadline)
			plat_block(deadline);
		printf("guestctl: upcalls %llu\n",
		       kvm_upcall_count ? (unsigned long long)kvm_upcall_count() : 0ULL);
		return 0;
	}
	if (strcmp(cmd, "print") == 0 && argc == 3) {
		unsigned long lines = strtoul(argv[2], 0, 0);
		for (unsigned long i = 1; i <= lines; i++)
			printf("line %lu of %lu: the console ring must carry every byte of this\n", i, lines);
		return 0;
	}
	if (strcmp(cmd, "read") == 0 && argc == 3) {
		static char in[4096];
		size_t want = strtoul(argv[2], 0, 0), got = 0;
		if (want > sizeof(in))
			return guestctl_usage();
		while (got < want) {
			size_t n = plat_console_read(in + got, want - got);
			got += n;
			if (n == 0)
				plat_block(UINT64_MAX);
		}
		printf("guestctl: read %zu bytes: '%.*s'\n", got, (int)got, in);
		return 0;
	}
	if (strcmp(cmd, "overflow") == 0)
		return guestctl_recurse(1);
	if (strcmp(cmd, "int80") == 0)
		__asm__ __volatile__("mov $1, %%eax; xor %%ebx, %%ebx; int $0x80" ::: "eax", "ebx", "memory");
	if (strcmp(cmd, "bindecho") == 0) {
		evtchn_port_t port;
		printf("guestctl: bind echo: %d\n",
		       evtchn_bind_interdomain(MICA_DOMID_BACKEND, MICA_DOM0_ECHO_PORT, &port));
		return 0;
	}
	return guestctl_usage();
}
