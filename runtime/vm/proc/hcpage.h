/* Layout of the proc hypercall page: Xen stubs, the sandbox bootstrap, and its parameters. */
#ifndef VM_PROC_HCPAGE_H
#define VM_PROC_HCPAGE_H

/* Slots 0..MICA_HC_SLOTS-1 are the ABI (mica/abi.h); the rest is private to the runtime. */
#define HCPAGE_BOOTSTRAP_OFFSET 2048
#define HCPAGE_PARAMS_OFFSET 2624

#define HCPAGE_POPULATE_MAX 44
#define HCPAGE_PROTECT_MAX 8
#define HCPAGE_UNMAP_MAX 3
#define HCPAGE_MAX_FILTER 32

/*
 * Offsets into struct hcpage_params, for the loader and bootstrap assembly. The parameters start
 * 64-byte aligned and double as the XSAVE area the bootstrap restores CPU state from (XRSTOR with
 * every component in its init state): only the legacy area's MXCSR and the 64-byte header are read.
 */
#define HCP_GO 0            /* mica sets it to 1 once RAM and these parameters are written */
#define HCP_ENTRY 8
#define HCP_START_INFO 16
#define HCP_MXCSR 24        /* XSAVE legacy area: MXCSR after the reset (0x1f80, as in a new process) */
#define HCP_XSAVE 28        /* non-zero: the OS enabled XSAVE (else the x87/SSE reset is by hand) */
#define HCP_HANDSHAKE 32    /* guest address of the word that receives listener fd + 1 */
#define HCP_RESTORE 40      /* guest address of the struct mica_ready_ctx to resume; 0: boot */
#define HCP_PARK 48         /* non-zero: wait in a park call, sandboxed, before entering the guest */
#define HCP_FPROG 56        /* struct sock_fprog */
#define HCP_FILTER 72       /* the filter instructions */
#define HCP_UNMAP 328       /* {addr, len}: everything that is not guest RAM or this page */
#define HCP_XSAVE_HEADER 512 /* XSAVE header, all zero: every state component in its init state */
#define HCP_PROTECT 576     /* {addr, len, prot}: segment permissions; len 0 ends the list */
#define HCP_POPULATE 768    /* {addr, len}: fault in now, one call instead of a fault per page */

/*
 * The park call: a system call from the bootstrap that mica answers only once a parked guest
 * process (proc_park, proc_recycle) has been given its restored memory. Outside the hypercall slots.
 */
#define HCPAGE_PARK_SYSNR (MICA_PROC_HC_SYSNR_BASE + MICA_HC_SLOTS)

/*
 * mica's answer to a clean poweroff (sched_op) whose guest process it recycles: the sched_op slot
 * then jumps to the park call instead of returning. No sched_op result has this value.
 */
#define HCPAGE_REPARK 0x7061726b

#ifndef __ASSEMBLY__
#include <linux/filter.h>
#include <stdint.h>

struct hcpage_params {
	uint32_t go;
	uint32_t reserved;
	uint64_t entry;
	uint64_t start_info;
	uint32_t mxcsr;
	uint32_t xsave;             /* in the legacy area's MXCSR_MASK, which XRSTOR ignores */
	uint64_t handshake;
	uint64_t restore;
	uint64_t park;
	struct sock_fprog fprog;
	struct sock_filter filter[HCPAGE_MAX_FILTER];
	uint64_t unmap[HCPAGE_UNMAP_MAX][2];
	uint8_t unused[136];
	uint8_t xsave_header[64];
	uint64_t protect[HCPAGE_PROTECT_MAX][3];
	uint64_t populate[HCPAGE_POPULATE_MAX][2];
};

_Static_assert(__builtin_offsetof(struct hcpage_params, entry) == HCP_ENTRY, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, start_info) == HCP_START_INFO, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, mxcsr) == HCP_MXCSR, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, xsave) == HCP_XSAVE, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, handshake) == HCP_HANDSHAKE, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, restore) == HCP_RESTORE, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, park) == HCP_PARK, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, fprog) == HCP_FPROG, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, filter) == HCP_FILTER, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, unmap) == HCP_UNMAP, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, xsave_header) == HCP_XSAVE_HEADER, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, protect) == HCP_PROTECT, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, populate) == HCP_POPULATE, "hcpage layout");
_Static_assert(HCPAGE_PARAMS_OFFSET % 64 == 0, "XRSTOR needs a 64-byte aligned area");
_Static_assert(HCPAGE_PARAMS_OFFSET + sizeof(struct hcpage_params) <= 4096, "hcpage size");

/* The page image (stubs and bootstrap) that the runtime copies before filling the parameters. */
extern const unsigned char hcpage_template[];
extern const unsigned char hcpage_template_end[];
/* Just past the park call's system call: the address it reports, and mica takes it from there only. */
extern const unsigned char hcpage_parked[];

/* The guest process loader, a tiny static ELF that mica executes from a memfd. */
extern const unsigned char proc_loader_elf[];
extern const unsigned char proc_loader_elf_end[];
#endif

#endif
