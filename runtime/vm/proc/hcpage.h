/* Layout of the proc hypercall page: Xen stubs, the sandbox bootstrap, and its parameters. */
#ifndef VM_PROC_HCPAGE_H
#define VM_PROC_HCPAGE_H

/* Slots 0..MICA_HC_SLOTS-1 are the ABI (mica/abi.h); the rest is private to the runtime. */
#define HCPAGE_BOOTSTRAP_OFFSET 2048
#define HCPAGE_PARAMS_OFFSET 2560

#define HCPAGE_POPULATE_MAX 2
#define HCPAGE_PROTECT_MAX 8
#define HCPAGE_UNMAP_MAX 3

/* Offsets into struct hcpage_params, for the loader and bootstrap assembly. */
#define HCP_GO 0            /* mica sets it to 1 once RAM and these parameters are written */
#define HCP_POPULATE 8      /* {addr, len}: fault in now, one call instead of a fault per page */
#define HCP_PROTECT 40      /* {addr, len, prot}: segment permissions; len 0 ends the list */
#define HCP_UNMAP 232       /* {addr, len}: everything that is not guest RAM or this page */
#define HCP_ENTRY 280
#define HCP_START_INFO 288
#define HCP_HANDSHAKE 296   /* guest address of the word that receives listener fd + 1 */
#define HCP_FPROG 304       /* struct sock_fprog */
#define HCP_FILTER 320      /* the filter instructions */
#define HCPAGE_MAX_FILTER ((4096 - HCPAGE_PARAMS_OFFSET - HCP_FILTER) / 8)

#ifndef __ASSEMBLY__
#include <linux/filter.h>
#include <stdint.h>

struct hcpage_params {
	uint32_t go;
	uint32_t reserved;
	uint64_t populate[HCPAGE_POPULATE_MAX][2];
	uint64_t protect[HCPAGE_PROTECT_MAX][3];
	uint64_t unmap[HCPAGE_UNMAP_MAX][2];
	uint64_t entry;
	uint64_t start_info;
	uint64_t handshake;
	struct sock_fprog fprog;
	struct sock_filter filter[HCPAGE_MAX_FILTER];
};

_Static_assert(__builtin_offsetof(struct hcpage_params, populate) == HCP_POPULATE, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, protect) == HCP_PROTECT, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, unmap) == HCP_UNMAP, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, entry) == HCP_ENTRY, "hcpage layout");
_Static_assert(__builtin_offsetof(struct hcpage_params, handshake) == HCP_HANDSHAKE, "hcpage layout");
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
