/* fuzz-sources: runtime/vm/guest.c runtime/xen/evtchn.c runtime/xen/console.c runtime/xen/hypercall.c runtime/xen/pvclock.c runtime/xen/start_info.c runtime/xen/hvm.c runtime/xen/gnttab.c runtime/xen/hvm_start_info.c runtime/xen/xenstore.c runtime/xen/xenstore_tree.c runtime/xen/boot_args.c runtime/util/log.c */
/* fuzz-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/*
 * libFuzzer harness: a hostile guest's hypercalls. The input is a list of records that either
 * write bytes anywhere in guest RAM (including ring indices and shared_info) or make a hypercall
 * with arbitrary arguments, pointers steered into and around RAM; the console is drained after
 * each. Half the inputs are PV guests, half HVM (PVH) guests, which may also move shared_info and
 * ask for the hypercall page anywhere. Out-of-bounds access or any sanitizer report is a finding.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vm/guest.h"
#include "xen/console.h"
#include "xen/hvm.h"
#include "xen/hvm_start_info.h"
#include "xen/hypercall.h"
#include "xen/start_info.h"
#include "xen/xenstore.h"

#define FUZZ_RAM (64 * 1024)

static uint8_t fuzz_ram[FUZZ_RAM];
static uint8_t fuzz_low[MICA_KVM_CMDLINE + MICA_PAGE_SIZE]; /* an HVM guest's start info pages */
static shared_info_t fuzz_boot_shared;

static uint64_t fuzz_u64(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	for (int i = 0; i < 8 && *p < end; i++)
		v |= (uint64_t)*(*p)++ << (8 * i);
	return v;
}

/* Most arguments become addresses near or inside RAM, where the interesting bounds are. */
static uint64_t fuzz_arg(uint64_t v)
{
	switch (v & 3) {
	case 0:
		return v >> 2;
	case 1:
		return MICA_RAM_BASE + (v >> 2) % (FUZZ_RAM + 64);
	case 2:
		return MICA_RAM_BASE + FUZZ_RAM - ((v >> 2) % 64);
	default:
		return (v >> 2) % 64;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) {
		/* The guest's console goes to stdout; stderr stays for sanitizer reports. */
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		quiet = 1;
	}
	static struct guest g;
	memset(&g, 0, sizeof(g));
	memset(fuzz_ram, 0, sizeof(fuzz_ram));
	g.ram = fuzz_ram;
	g.ram_size = FUZZ_RAM;
	g.echo_offered = size & 1;
	char *argv[] = {"fuzz", NULL}, err[128];
	if (size & 2) {
		memset(&fuzz_boot_shared, 0, sizeof(fuzz_boot_shared));
		g.hvm = true;
		g.shared = &fuzz_boot_shared;
		if (hvm_start_info_build(&g, fuzz_low, 1, argv, 0, NULL, 0, err, sizeof(err)) != 0)
			abort();
	} else if (start_info_build(&g, 1, argv, 0, NULL, 0, err, sizeof(err)) != 0) {
		abort();
	}

	const uint8_t *p = data, *end = data + size;
	while (p < end && g.end == GUEST_RUNNING) {
		uint8_t kind = *p++;
		if (kind & 0x80) {
			uint64_t off = fuzz_u64(&p, end) % FUZZ_RAM;
			size_t n = (kind & 0x7f) % 16;
			for (size_t i = 0; i < n && p < end && off + i < FUZZ_RAM; i++)
				fuzz_ram[off + i] = *p++;
		} else if (kind == 0x7f) {
			hvm_hypercall_page(&g, fuzz_arg(fuzz_u64(&p, end)));
		} else {
			uint64_t args[5];
			for (int i = 0; i < 5; i++)
				args[i] = fuzz_arg(fuzz_u64(&p, end));
			bool wait;
			hypercall_dispatch(&g, kind % 70, args, &wait);
			hypercall_timer_check(&g, guest_now_ns());
		}
		console_drain(&g);
	}
	xenstore_destroy(&g);
	return 0;
}
