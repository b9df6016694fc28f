/* The contract between Mica guest images and the mica runtime beyond the Xen public ABI. */
#ifndef MICA_ABI_H
#define MICA_ABI_H

#ifndef __ASSEMBLY__
#include <stdint.h>
#endif

/* Bumped whenever anything in this file or docs/abi.md changes incompatibly. */
#define MICA_ABI_VERSION 1

/*
 * Every image carries one ELF note named "Mica" of type MICA_NOTE_IMAGE so that the runtime can
 * refuse an image before it creates anything: wrong platform, newer ABI, a device it lacks.
 */
#define MICA_NOTE_NAME "Mica"
#define MICA_NOTE_IMAGE 1

#define MICA_PLAT_PROC 1 /* guest is a seccomp-confined host process */
#define MICA_PLAT_KVM 2  /* guest is a hardware VM entered at its PVH entry point */

/* Devices an image needs (mica_note_image.devices). Unknown bits are refused by the runtime. */
#define MICA_DEV_CONSOLE (1u << 0)
#define MICA_DEV_ECHO (1u << 1) /* event-channel echo service, for tests and benchmarks */
#define MICA_DEV_NET (1u << 2)  /* netfront: mica run --net may attach a NIC */
#define MICA_DEV_BLOCK (1u << 3) /* blkfront: mica run --disk may attach disks */
#define MICA_DEV_KNOWN (MICA_DEV_CONSOLE | MICA_DEV_ECHO | MICA_DEV_NET | MICA_DEV_BLOCK)

#define MICA_APP_NAME_MAX 32

#ifndef __ASSEMBLY__
struct mica_note_image {
	uint32_t abi_version;
	uint32_t platform;             /* MICA_PLAT_* */
	uint32_t devices;              /* MICA_DEV_* */
	uint32_t reserved;             /* zero */
	char app[MICA_APP_NAME_MAX];   /* NUL-terminated application name */
};
#endif

/*
 * Guest pseudo-physical memory. RAM starts at 1 MiB on every platform, so one link address
 * serves proc and kvm images; a frame number is an address shifted right by 12.
 */
#define MICA_PAGE_SHIFT 12
#define MICA_PAGE_SIZE (1UL << MICA_PAGE_SHIFT)
#define MICA_RAM_BASE 0x100000UL

/*
 * proc backend: the special pages sit at the top of RAM, in this order from the top down.
 * The guest learns their addresses from start_info, never from these constants; they are here
 * for the runtime and for docs/abi.md.
 */
#define MICA_PROC_SPECIAL_PAGES 4 /* start_info, shared_info, console ring, xenstore ring */

/*
 * proc backend hypercall page: mapped read+execute just below RAM. Slot n (32 bytes) performs Xen
 * hypercall n with the Xen x86_64 convention: arguments in rdi, rsi, rdx, r10, r8; result in rax;
 * rcx and r11 clobbered. Only slots below MICA_HC_SLOTS exist.
 */
#define MICA_PROC_HCPAGE 0xff000UL
#define MICA_HC_SLOT_SIZE 32
#define MICA_HC_SLOTS 64

/*
 * In the proc backend a hypercall is the host system call number MICA_PROC_HC_SYSNR_BASE + n made
 * from inside the hypercall page; the host kernel never executes it, the runtime answers it.
 */
#define MICA_PROC_HC_SYSNR_BASE 0x1000

/*
 * kvm backend (a PVH guest). The runtime advertises the Xen CPUID leaves at 0x40000000 (leaf 3,
 * sub-leaf 0, ECX: TSC frequency in kHz) and installs the hypercall page where the guest's write
 * of its address to the Xen MSR (leaf 2, EBX) asks. Its slots have the same 32-byte layout as
 * on Xen; slot n puts n in eax and executes `out %eax, $MICA_KVM_HC_PORT`, which exits to mica
 * with the arguments still in rdi, rsi, rdx, r10, r8. The result comes back in rax; no other
 * register changes.
 */
#define MICA_KVM_HC_PORT 0xe4

/*
 * The MSR CPUID leaf 2 names for installing the hypercall page. Not 0x40000000: KVM claims that
 * range for Hyper-V emulation and would swallow the write; Xen moves it here for the same reason.
 */
#define MICA_KVM_HC_MSR 0x40000200U

/*
 * kvm backend guest-physical layout below RAM: the hvm_start_info page (with the Mica extension
 * at MICA_START_EXT_OFFSET and the environment at MICA_START_ENV_OFFSET, as in the PV start
 * info) and the command line page. The guest finds them through %ebx and cmdline_paddr, never
 * through these constants; the memory map it is given lists RAM and the reserved special pages.
 */
#define MICA_KVM_START_INFO 0x6000UL
#define MICA_KVM_CMDLINE 0x7000UL
#define MICA_KVM_CMDLINE_MAX 1024 /* bytes including the NUL, as MAX_GUEST_CMDLINE in PV */
#define MICA_KVM_MEMMAP_OFFSET 256 /* hvm_memmap_table_entry[] in the start info page */
#define MICA_KVM_MEMMAP_MAX 8
#define MICA_KVM_MODLIST_OFFSET 512 /* hvm_modlist_entry[] (the initrd) in the start info page */

/*
 * Special pages at the top of a kvm guest's RAM, reserved in its memory map and found through
 * HVM params, from the top down: the console ring (HVM_PARAM_CONSOLE_PFN, _EVTCHN) and the
 * xenstore ring (HVM_PARAM_STORE_PFN, _EVTCHN).
 */
#define MICA_KVM_SPECIAL_PAGES 2

/*
 * SCHEDOP_shutdown carries the guest's exit status in bits 8..15 of the reason. Xen itself
 * truncates the reason to 8 bits, so images stay valid Xen guests.
 */
#define MICA_SHUTDOWN_REASON(reason, status) ((unsigned int)(reason) | (((unsigned int)(status) & 0xffu) << 8))
#define MICA_SHUTDOWN_REASON_CODE(r) ((r) & 0xffu)
#define MICA_SHUTDOWN_REASON_STATUS(r) (((r) >> 8) & 0xffu)

/*
 * The runtime acts as domain 0 (the backend domain). The echo service is dom0 port 1, offered
 * unbound to the guest when the image declares MICA_DEV_ECHO: bind to it with
 * EVTCHNOP_bind_interdomain(remote_dom=0, remote_port=1); every send is echoed back at once.
 */
#define MICA_DOMID_BACKEND 0
#define MICA_DOMID_GUEST 1
#define MICA_DOM0_ECHO_PORT 1

/*
 * Mica extension to start_info: found at this offset in the start_info page, after the Xen
 * structure. Lets the runtime report boot timing without a hypercall.
 */
#define MICA_START_EXT_OFFSET 2048
#define MICA_START_EXT_MAGIC 0x4143494dU /* "MICA" little-endian */

#ifndef __ASSEMBLY__
struct mica_start_ext {
	uint32_t magic;
	uint32_t size;            /* sizeof(struct mica_start_ext) as the runtime knows it */
	uint64_t runtime_start_ns; /* system time at which the runtime process began */
	uint64_t guest_main_ns;   /* written by the guest: system time on entering main() */
	uint32_t flags;           /* MICA_START_EXT_*, set by the runtime while the guest runs */
	uint32_t env_len;         /* bytes of environment at MICA_START_ENV_OFFSET */
};

/*
 * The guest's environment (mica run --env): "K=V" strings, each NUL-terminated, back to back,
 * from this offset of the start_info page, up to MICA_START_ENV_MAX bytes.
 */
#define MICA_START_ENV_OFFSET 2112
#define MICA_START_ENV_MAX 1976

/* The console's input has ended (host stdin reached EOF) and every byte of it is in the ring. */
#define MICA_START_EXT_CONSOLE_EOF (1u << 0)
#endif

/*
 * Mica hypercall MICA_HC_READY (slot 56, past Xen's own numbers and its arch-specific 48-55):
 * the guest is warmed up and ready for work, the point where `mica run --snapshot` saves it and
 * `--restore` resumes it. The argument (rdi) is the guest address of a struct mica_ready_ctx the
 * guest filled with the state the runtime cannot see on proc. The result is 0 when the guest
 * just goes on (no snapshot asked for, or a restored guest calling again); with --snapshot the
 * call never returns. A restored guest resumes as if the call had returned 1, with the
 * callee-saved registers, rsp, FS base, MXCSR and x87 control word of the context, and entropy[]
 * filled with fresh random bytes.
 */
#define MICA_HC_READY 56

#ifndef __ASSEMBLY__
struct mica_ready_ctx {
	uint64_t rbx, rbp, r12, r13, r14, r15;
	uint64_t rsp;             /* the caller's stack pointer after the return */
	uint64_t rip;             /* where the call returns to */
	uint64_t fs_base;         /* thread-local storage base (the guest's last SEGBASE_FS) */
	uint32_t mxcsr;
	uint16_t fpu_cw;          /* x87 control word */
	uint16_t reserved;        /* zero */
	uint8_t entropy[32];      /* written by the runtime when it restores the guest */
};
#endif
#define MICA_READY_CTX_SIZE 112

#endif
