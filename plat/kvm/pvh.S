/* PVH entry of kvm images and its Xen note: 32-bit protected mode to long mode, then kvm_start. */

/* Entered with paging and interrupts off, flat segments, %ebx = struct hvm_start_info. */
#include <arch/cpu_regs.h>
#include <xen/elfnote.h>

#define KVM_PAGE 4096
#define KVM_TABLE (ARCH_PTE_PRESENT | ARCH_PTE_WRITE)
/* Enough page directories for the first 4 GiB: RAM below the PCI hole and the local APIC. */
#define KVM_PDS 4

/* QEMU reads the descriptor at the name rounded up to the segment's alignment: keep it 4. */
	.section .note.xen, "a", @note
	.balign 4
	.long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long kvm_pvh_entry

	.section .text.kvm_pvh_entry, "ax", @progbits
	.code32
	.globl kvm_pvh_entry
kvm_pvh_entry:
	cld
	mov %ebx, %esi

	/*
	 * Few instructions and few pages: under nested shadow paging every page touched costs
	 * exits. Seven tables: PML4, PDPT, four directories of 2 MiB pages (no 1 GiB pages on
	 * qemu64), and one table of 4 KiB pages for the first 2 MiB, where the stack guard is
	 * left out so that a stack overflow faults (and page 0 too, by kvm_start once it has read
	 * the loader's tables: QEMU puts them there). Only the PML4 and PDPT have entries nothing
	 * else writes: they are zeroed.
	 */
	mov $kvm_pml4, %edi
	xor %eax, %eax
	mov $(2 * KVM_PAGE / 4), %ecx
	rep stosl
	movl $(kvm_pdpt + KVM_TABLE), kvm_pml4

	mov $kvm_pdpt, %edi
	mov $(kvm_pd + KVM_TABLE), %eax
1:	mov %eax, (%edi)
	add $8, %edi
	add $KVM_PAGE, %eax
	cmp $(kvm_pd + KVM_PDS * KVM_PAGE + KVM_TABLE), %eax
	jne 1b

	/* 2048 entries: the 32-bit address wraps (carry) right after the last one. */
	mov $kvm_pd, %edi
	mov $(ARCH_PTE_LARGE | KVM_TABLE), %eax
2:	mov %eax, (%edi)
	movl $0, 4(%edi)
	add $8, %edi
	add $0x200000, %eax
	jnc 2b
	movl $(kvm_pt + KVM_TABLE), kvm_pd

	mov $kvm_pt, %edi
	mov $KVM_TABLE, %eax
3:	mov %eax, (%edi)
	movl $0, 4(%edi)
	add $8, %edi
	add $KVM_PAGE, %eax
	cmp $(0x200000 + KVM_TABLE), %eax
	jne 3b
	mov $kvm_stack_guard, %eax
	shr $9, %eax /* the guard's entry: (address >> 12) * 8 */
	movl $0, kvm_pt(%eax)

	mov $kvm_pml4, %eax
	mov %eax, %cr3

	/* SSE, and AVX state through XSAVE where the CPU has it, before any compiled code. */
	mov $1, %eax
	cpuid
	mov $(ARCH_CR4_PAE | ARCH_CR4_OSFXSR | ARCH_CR4_OSXMMEXCPT), %eax
	test $ARCH_CPUID1_ECX_XSAVE, %ecx
	jz 4f
	or $ARCH_CR4_OSXSAVE, %eax
4:	mov %eax, %cr4
	test $ARCH_CPUID1_ECX_XSAVE, %ecx
	jz 6f
	mov $(ARCH_XCR0_X87 | ARCH_XCR0_SSE), %eax
	test $ARCH_CPUID1_ECX_AVX, %ecx
	jz 5f
	or $ARCH_XCR0_AVX, %eax
5:	xor %ecx, %ecx
	xor %edx, %edx
	xsetbv
6:
	/* EFER's other bits (NX, syscall) are not used: one write, no read. */
	mov $ARCH_MSR_EFER, %ecx
	mov $ARCH_EFER_LME, %eax
	xor %edx, %edx
	wrmsr
	mov $(ARCH_CR0_PG | ARCH_CR0_NE | ARCH_CR0_MP | ARCH_CR0_PE), %eax
	mov %eax, %cr0

	lgdt arch_gdt_ptr
	ljmp $ARCH_GDT_CODE, $kvm_long_entry

	.code64
kvm_long_entry:
	/* iretq reloads ss from the frame: it must name a descriptor of our GDT. */
	mov $ARCH_GDT_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	lea kvm_boot_stack_top(%rip), %rsp
	xor %ebp, %ebp
	mov %esi, %edi
	call kvm_start
	ud2

	.section .bss.kvm_page_tables, "aw", @nobits
	.balign KVM_PAGE
kvm_pml4:
	.skip KVM_PAGE
kvm_pdpt:
	.skip KVM_PAGE
kvm_pd:
	.skip KVM_PDS * KVM_PAGE
	.globl kvm_pt
kvm_pt:
	.skip KVM_PAGE

	/* Its own section: the linker script puts it right above the guard page. */
	.section .stack, "aw", @nobits
	.balign 16
	.skip CONFIG_STACK_SIZE_KIB * 1024
kvm_boot_stack_top:

.section .note.GNU-stack, "", @progbits
