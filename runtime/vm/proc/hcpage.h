/* Layout of the proc hypercall page: Xen stubs, the sandbox bootstrap, and its parameters. */
#ifndef VM_PROC_HCPAGE_H
#define VM_PROC_HCPAGE_H

/* Slots 0..MICA_HC_SLOTS-1 are the ABI (mica/abi.h); the rest is private to the runtime. */
#define HCPAGE_BOOTSTRAP_OFFSET 2048
#define HCPAGE_PARAMS_OFFSET 2560

#define HCPAGE_POPULATE_MAX 48
#define HCPAGE_PROTECT_MAX 8
#define HCPAGE_UNMAP_MAX 3
#define HCPAGE_MAX_FILTER 32

/* Offsets into struct hcpage_params, for the loader and bootstrap assembly. */
#define HCP_GO 0            /* mica sets it to 1 once RAM and these parameters are written */
#define HCP_PROTECT 8       /* {addr, len, prot}: segment permissions; len 0 ends the list */
#define HCP_UNMAP 200       /* {addr, len}: everything that is not guest RAM or this page */
#define HCP_ENTRY 248
#define HCP_START_INFO 256
#define HCP_HANDSHAKE 264   /* guest address of the word that receives listener fd + 1 */
#define HCP_RESTORE 272     /* guest address of the struct mica_ready_ctx to resume; 0: boot */
#define HCP_FPROG 280       /* struct sock_fprog */
#define HCP_FILTER 296      /* the filter instructions */
#define HCP_POPULATE 552    /* {addr, len}: fault in now, one call instead of a fault per page */
#define HCP_PARK 1320       /* non-zero: wait in a park call, sandboxed, before entering the guest */

/*
 * The park call: a system call from the bootstrap that mica answers only once a parked guest
 * process (proc_park) has been given its restored memory. Outside the hypercall slots.
 */
#define HCPAGE_PARK_SYSNR (MICA_PROC_HC_SYSNR_BASE + MICA_HC_SLOTS)

#ifndef __ASSEMBLY__
#include <linux/filter.h>
#include <stdint.h>

struct hcpage_params {
	uint32_t go;
	uint32_t reserved;
	uint64_t protect[HCPAGE_PROTECT_MAX][3];
	uint64_t unmap[HCPAGE_UNMAP_MAX][2];
	uint64_t entry;
	uint64_t start_info;
	uint64_t handshake;
	uint64_t restore;
	struct sock_fprog fprog;
	struct sock_filter filter[HCPAGE_MAX_FILTER];
	uint64_t populate[HCPAGE_POPULATE_MAX][2];
	uint64_t park;
};

_Static_assert(__builtin_offsetof(struct hcpage_params, populate) == HCP_POPULATE, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, protect) == HCP_PROTECT, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, park) == HCP_PARK, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, unmap) == HCP_UNMAP, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, entry) == HCP_ENTRY, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, handshake) == HCP_HANDSHAKE, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, restore) == HCP_RESTORE, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, fprog) == HCP_FPROG, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, filter) == HCP_FILTER, "hcpage layout");
_Static_assert(HCPAGE_PARAMS_OFFSET + sizeof(struct hcpage_params) <= 4096, "hcpage size");

/* The page image (stubs and bootstrap) that the runtime copies before filling the parameters. */
extern const unsigned char hcpage_template[];
extern const unsigned char hcpage_template_end[];

/* The guest process loader, a tiny static ELF that mica executes from a memfd. */
extern const unsigned char proc_loader_elf[];
extern const unsigned char proc_loader_elf_end[];
#endif

#endif
