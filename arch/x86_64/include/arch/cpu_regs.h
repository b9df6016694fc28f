/* x86_64 architectural numbers: control registers, MSRs, XCR0, page table flags; C and assembly. */
#ifndef ARCH_CPU_REGS_H
#define ARCH_CPU_REGS_H

#define ARCH_CR0_PE 0x00000001 /* protected mode */
#define ARCH_CR0_MP 0x00000002 /* wait/fwait honour TS */
#define ARCH_CR0_NE 0x00000020 /* x87 errors as #MF, not the legacy IRQ 13 */
#define ARCH_CR0_PG 0x80000000

#define ARCH_CR4_PAE 0x00000020
#define ARCH_CR4_OSFXSR 0x00000200     /* fxsave/fxrstor and SSE instructions */
#define ARCH_CR4_OSXMMEXCPT 0x00000400 /* unmasked SSE exceptions as #XM */
#define ARCH_CR4_OSXSAVE 0x00040000    /* xgetbv/xsetbv and the XCR0-enabled state (AVX) */

#define ARCH_MSR_EFER 0xc0000080
#define ARCH_EFER_LME 0x00000100
#define ARCH_MSR_FS_BASE 0xc0000100

#define ARCH_XCR0_X87 0x1
#define ARCH_XCR0_SSE 0x2
#define ARCH_XCR0_AVX 0x4

#define ARCH_CPUID1_ECX_XSAVE 0x04000000
#define ARCH_CPUID1_ECX_AVX 0x10000000

#define ARCH_PTE_PRESENT 0x001
#define ARCH_PTE_WRITE 0x002
#define ARCH_PTE_LARGE 0x080 /* a 2 MiB page in a page directory entry */

/* Selectors of the GDT in gdt.c. */
#define ARCH_GDT_CODE 0x08
#define ARCH_GDT_DATA 0x10
#define ARCH_GDT_TSS 0x18

#endif
