/* Layout of the proc hypercall page: Xen stubs, the sandbox bootstrap, and its parameters. */
#ifndef VM_PROC_HCPAGE_H
#define VM_PROC_HCPAGE_H

/* Slots 0..MICA_HC_SLOTS-1 are the ABI (mica/abi.h); the rest is private to the runtime. */
#define HCPAGE_BOOTSTRAP_OFFSET 2048
#define HCPAGE_PARAMS_OFFSET 2560

/* Offsets into struct hcpage_params, for the bootstrap assembly. */
#define HCP_UNMAP 0          /* 3 x {addr, len}: ranges to unmap (len 0: none) */
#define HCP_ENTRY 48
#define HCP_START_INFO 56
#define HCP_HANDSHAKE 64     /* guest address of the word that receives listener fd + 1 */
#define HCP_FPROG 72         /* struct sock_fprog */
#define HCP_FILTER 88        /* the filter instructions */
#define HCPAGE_MAX_FILTER ((4096 - HCPAGE_PARAMS_OFFSET - HCP_FILTER) / 8)

#ifndef __ASSEMBLY__
#include <linux/filter.h>
#include <stdint.h>

struct hcpage_params {
	uint64_t unmap[3][2];
	uint64_t entry;
	uint64_t start_info;
	uint64_t handshake;
	struct sock_fprog fprog;
	struct sock_filter filter[HCPAGE_MAX_FILTER];
};

_Static_assert(__builtin_offsetof(struct hcpage_params, entry) == HCP_ENTRY, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, handshake) == HCP_HANDSHAKE, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, fprog) == HCP_FPROG, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, filter) == HCP_FILTER, "hcpage layout");
_Static_assert(HCPAGE_PARAMS_OFFSET + sizeof(struct hcpage_params) <= 4096, "hcpage size");

/* The page image (stubs and bootstrap) that the runtime copies before filling the parameters. */
extern const unsigned char hcpage_template[];
extern const unsigned char hcpage_template_end[];
#endif

#endif
