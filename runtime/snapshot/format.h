/* The snapshot file format (docs/abi.md §14): header, page list, runtime state, guest pages. */
#ifndef SNAPSHOT_FORMAT_H
#define SNAPSHOT_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>
#include <mica/abi.h>
#include "util/sha256.h"

#define SNAPSHOT_MAGIC "MICASNAP"
#define SNAPSHOT_VERSION 1              /* proc snapshots */
#define SNAPSHOT_VERSION_KVM 2          /* kvm snapshots: version 1's layout plus struct snapshot_kvm */
#define SNAPSHOT_MAX_SEGMENTS 8
#define SNAPSHOT_MAX_PORTS 256          /* GUEST_MAX_PORTS */
#define SNAPSHOT_MAX_GNTTAB_FRAMES 4    /* GNTTAB_MAX_FRAMES */
#define SNAPSHOT_MAX_VBDS 4             /* RUN_MAX_DISKS */
#define SNAPSHOT_MAX_VIFS 4             /* GUEST_MAX_NICS */
#define SNAPSHOT_MAX_RAM (64ULL << 30)  /* mica run --mem's limit */
#define SNAPSHOT_CHECKSUM_OFFSET 32
#define SNAPSHOT_KVM_MSRS 6

/* Offset 0 of the file; every field little-endian. */
struct snapshot_header {
	char magic[8];                  /* "MICASNAP", no NUL */
	uint32_t version;               /* SNAPSHOT_VERSION */
	uint32_t abi_version;           /* MICA_ABI_VERSION of the runtime that wrote it */
	uint32_t platform;              /* MICA_PLAT_* of the image */
	uint32_t header_size;           /* sizeof(struct snapshot_header) */
	uint64_t file_size;             /* bytes of the whole file */
	uint64_t checksum;              /* snapshot_checksum of the file with this field read as 0 */
	uint8_t image_sha256[SHA256_DIGEST_LEN]; /* of the image file the guest was booted from */
	char app[MICA_APP_NAME_MAX];    /* the image note's application name, NUL-terminated */
	uint64_t ram_size;              /* guest RAM bytes (mica run --mem) */
	uint64_t ready_ctx;             /* guest address of the struct mica_ready_ctx */
	uint32_t nsegments;             /* image segments, for their permissions */
	uint32_t nextents;              /* entries of the page list */
	struct {
		uint64_t addr, len;     /* page-aligned guest range */
		uint32_t prot;          /* PROT_READ | PROT_WRITE | PROT_EXEC bits */
		uint32_t reserved;
	} seg[SNAPSHOT_MAX_SEGMENTS];
	uint64_t extents_offset;        /* == header_size: the page list */
	uint64_t state_offset;          /* struct snapshot_state, after the page list */
	uint64_t state_size;            /* sizeof(struct snapshot_state) */
	uint64_t data_offset;           /* page-aligned: the listed pages, in list order */
	uint64_t data_pages;            /* pages the list covers */
};

/*
 * Version 1 (proc): the page list covers guest RAM from MICA_RAM_BASE. Version 2 (kvm): it covers
 * guest-physical memory from 0 (the start info and command line pages lie below RAM), and
 * struct snapshot_kvm follows the runtime state at state_offset + state_size.
 */

/* A run of stored pages: guest address (page-aligned) and page count. */
struct snapshot_extent {
	uint64_t gaddr;
	uint64_t pages;
};

/* What an event channel port of the guest is bound to (enum evtchn_state's values). */
enum snapshot_port_state { SNAP_PORT_FREE, SNAP_PORT_UNBOUND, SNAP_PORT_LOCAL, SNAP_PORT_BACKEND, SNAP_PORT_VIRQ };
/* Which runtime service serves a backend port. */
enum snapshot_service { SNAP_SVC_NONE, SNAP_SVC_CONSOLE, SNAP_SVC_STORE, SNAP_SVC_ECHO };

struct snapshot_port {
	uint8_t state;                  /* enum snapshot_port_state */
	uint8_t service;                /* enum snapshot_service, for SNAP_PORT_BACKEND */
	uint16_t remote_dom;            /* SNAP_PORT_UNBOUND */
	uint32_t peer;                  /* SNAP_PORT_LOCAL */
	uint32_t virq;                  /* SNAP_PORT_VIRQ */
	uint32_t reserved;
};

/*
 * The runtime's device state at the ready point. Devices (disks, NICs) and the xenstore daemon are
 * not in it: a restore makes them afresh from its own --disk and --net, which must be as many as
 * nvbd and nvif, and the guest reconnects its frontends (docs/abi.md §14). Their event channels
 * are stored unbound (to the backend domain): the backends they were bound to are gone.
 */
struct snapshot_state {
	uint32_t console_port, store_port, timer_port;
	uint32_t echo_offered;          /* 1: the dom0 echo port is still unbound */
	uint64_t timer_deadline;        /* system time ns of the singleshot timer, 0: none */
	uint64_t gnttab_frame[SNAPSHOT_MAX_GNTTAB_FRAMES]; /* guest address of grant frame i, 0: none */
	uint32_t gnttab_nr_frames;
	uint8_t nvbd;                   /* disks the guest had (--disk), at most SNAPSHOT_MAX_VBDS */
	uint8_t nvif;                   /* NICs the guest had (--net), at most SNAPSHOT_MAX_VIFS */
	uint16_t reserved;
	struct snapshot_port ports[SNAPSHOT_MAX_PORTS];
};

/* The vCPU registers and MSRs of a kvm snapshot, in this order (struct snapshot_kvm.msrs). */
#define SNAPSHOT_KVM_MSR_LIST 0xc0000102u /* KERNEL_GS_BASE */, 0xc0000081u /* STAR */, \
	0xc0000082u /* LSTAR */, 0xc0000083u /* CSTAR */, 0xc0000084u /* SFMASK */, 0x277u /* PAT */

/*
 * Version 2 (kvm): the vCPU as it resumes and the HVM side of the runtime. The vCPU state is KVM's
 * own (struct kvm_regs, kvm_sregs and kvm_fpu of <linux/kvm.h>, a stable ABI), taken at the ready
 * hypercall's exit, except that rip and rsp are where the ready call returns (the ready context)
 * and rax is 1: a restored guest resumes as if the call had returned 1. No event is in flight at
 * that exit (the OUT ran, so any injected vector was delivered before it), so none is stored.
 */
struct snapshot_kvm {
	uint32_t size;                  /* sizeof(struct snapshot_kvm) */
	uint32_t reserved;
	uint64_t shared_info;           /* guest address of the shared_info page the guest placed */
	uint64_t callback_via;          /* HVM_PARAM_CALLBACK_IRQ: 0, or a vector callback */
	uint64_t xcr0;                  /* XCR0 (1: the guest never enabled more than x87) */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct {
		uint32_t index;         /* SNAPSHOT_KVM_MSR_LIST[i] */
		uint32_t reserved;
		uint64_t data;
	} msrs[SNAPSHOT_KVM_MSRS];
};

/* A parsed, validated snapshot: pointers into the caller's buffer. */
struct snapshot_view {
	const struct snapshot_header *hdr;
	const struct snapshot_extent *extents;
	const struct snapshot_state *state;
	const struct snapshot_kvm *kvm;  /* version 2 (kvm) only, else NULL */
	const uint8_t *data;
};

/* The guest address the page list starts from: MICA_RAM_BASE (proc), 0 (kvm). */
uint64_t snapshot_pages_base(uint32_t platform);

/* The file checksum: a 64-bit multiply-xorshift hash over 4 lanes, with bytes 32..39 as zero. */
uint64_t snapshot_checksum(const uint8_t *buf, size_t len);

/* Streaming form for writers: feed the file in order, every piece but the last a multiple of 32 bytes. */
struct snapshot_hash {
	uint64_t lane[4];
	uint64_t len;
};
void snapshot_hash_init(struct snapshot_hash *h);
void snapshot_hash_update(struct snapshot_hash *h, const uint8_t *buf, size_t len);
uint64_t snapshot_hash_final(struct snapshot_hash *h, const uint8_t *tail, size_t len);

/*
 * Validates buf[0, len) as a whole snapshot file: magic, versions, size, checksum, then every
 * offset, extent and state field. Returns 0 and fills v, or -1 with a one-line reason in err.
 */
int snapshot_parse(const uint8_t *buf, size_t len, struct snapshot_view *v, char *err, size_t errlen);

#endif
