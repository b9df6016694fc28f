/* Image of the proc hypercall page: one Xen stub per slot, and the guest process's bootstrap. */
#include <asm/unistd.h>
#include <asm/prctl.h>
#include <xen/xen.h>
#include <mica/abi.h>
#include "vm/proc/hcpage.h"

/* linux/futex.h and linux/seccomp.h are not assembler-safe. */
#define FUTEX_WAKE 1
#define SECCOMP_SET_MODE_FILTER 1
#define SECCOMP_FILTER_FLAG_NEW_LISTENER 8
#define MADV_POPULATE_WRITE 23

	.altmacro
	.section .rodata.hcpage, "a"
	.balign 4096
	.globl hcpage_template
	.globl hcpage_template_end
	.globl hcpage_parked
hcpage_template:

/* A hypercall is a system call the seccomp filter hands to mica, which answers it. */
.macro hc_slot n
	.org hcpage_template + \n * MICA_HC_SLOT_SIZE, 0xcc
	mov	$(MICA_PROC_HC_SYSNR_BASE + \n), %eax
	syscall
	ret
.endm

	.set slot, 0
	.rept __HYPERVISOR_set_segment_base
	hc_slot %slot
	.set slot, slot + 1
	.endr

/* set_segment_base(SEGBASE_FS) is the one call the host kernel itself serves: TLS needs FS. */
	.org hcpage_template + __HYPERVISOR_set_segment_base * MICA_HC_SLOT_SIZE, 0xcc
	cmp	$SEGBASE_FS, %edi
	jne	1f
	mov	$ARCH_SET_FS, %edi
	mov	$__NR_arch_prctl, %eax
	syscall
	ret
1:	mov	$(MICA_PROC_HC_SYSNR_BASE + __HYPERVISOR_set_segment_base), %eax
	syscall
	ret

	.set slot, __HYPERVISOR_set_segment_base + 1
	.rept __HYPERVISOR_sched_op - __HYPERVISOR_set_segment_base - 1
	hc_slot %slot
	.set slot, slot + 1
	.endr

/*
 * sched_op: a poweroff that mica recycles the guest process after (a later request's fresh
 * instance, docs/abi.md §14) is answered HCPAGE_REPARK and goes on to the park call.
 */
	.org hcpage_template + __HYPERVISOR_sched_op * MICA_HC_SLOT_SIZE, 0xcc
	mov	$(MICA_PROC_HC_SYSNR_BASE + __HYPERVISOR_sched_op), %eax
	syscall
	cmp	$HCPAGE_REPARK, %rax
	je	hcpage_park
	ret

	.set slot, __HYPERVISOR_sched_op + 1
	.rept MICA_HC_SLOTS - __HYPERVISOR_sched_op - 1
	hc_slot %slot
	.set slot, slot + 1
	.endr

/*
 * Bootstrap, entered from the loader with %rdi = params (inside this page). It faults in what
 * the guest will touch, applies segment permissions, removes every mapping but guest RAM and
 * this page, arms the filter, tells mica the listener fd, waits in the park call if asked to,
 * resets the CPU state and jumps to the image entry or the restored context.
 */
	.org hcpage_template + HCPAGE_BOOTSTRAP_OFFSET, 0xcc
	mov	%rdi, %r12
	xor	%ebx, %ebx
1:	mov	HCP_POPULATE(%r12,%rbx,1), %rdi
	mov	HCP_POPULATE+8(%r12,%rbx,1), %rsi
	test	%rsi, %rsi
	jz	2f
	mov	$MADV_POPULATE_WRITE, %edx
	mov	$__NR_madvise, %eax
	syscall			/* best effort: a failure only costs page faults later */
	add	$16, %rbx
	cmp	$(16 * HCPAGE_POPULATE_MAX), %rbx
	jne	1b
2:

	lea	HCP_PROTECT(%r12), %rbx
	lea	(HCP_PROTECT + 24 * HCPAGE_PROTECT_MAX)(%r12), %r13
3:	mov	8(%rbx), %rsi
	test	%rsi, %rsi
	jz	4f
	mov	(%rbx), %rdi
	mov	16(%rbx), %rdx
	mov	$__NR_mprotect, %eax
	syscall
	test	%rax, %rax
	jnz	9f
	add	$24, %rbx
	cmp	%r13, %rbx
	jne	3b

4:	xor	%ebx, %ebx
5:	mov	HCP_UNMAP(%r12,%rbx,1), %rdi
	mov	HCP_UNMAP+8(%r12,%rbx,1), %rsi
	test	%rsi, %rsi
	jz	6f
	mov	$__NR_munmap, %eax
	syscall
	test	%rax, %rax
	jnz	9f
6:	add	$16, %rbx
	cmp	$(16 * HCPAGE_UNMAP_MAX), %rbx
	jne	5b

	mov	$__NR_seccomp, %eax
	mov	$SECCOMP_SET_MODE_FILTER, %edi
	mov	$SECCOMP_FILTER_FLAG_NEW_LISTENER, %esi
	lea	HCP_FPROG(%r12), %rdx
	syscall
	test	%rax, %rax
	js	9f

	mov	HCP_HANDSHAKE(%r12), %rdi
	inc	%eax
	mov	%eax, (%rdi)
	mov	$__NR_futex, %eax
	mov	$FUTEX_WAKE, %esi
	mov	$1, %edx
	xor	%r10d, %r10d
	syscall

	/* Parked: RAM is filled (and the restore context set) while this call waits. */
	cmpq	$0, HCP_PARK(%r12)
	jne	hcpage_park
	jmp	hcpage_enter

	/*
	 * The park call, also where a recycled guest process comes back to from its poweroff. What
	 * follows it resets, from constants of this page only, every piece of CPU state the previous
	 * instance could have changed without a system call: RFLAGS, data segment selectors,
	 * x87/SSE/AVX state (MXCSR from the parameters), then each GPR on the way in.
	 */
hcpage_park:
	mov	$HCPAGE_PARK_SYSNR, %eax
	syscall
hcpage_parked:
hcpage_enter:
	lea	hcpage_rflags(%rip), %rsp
	popfq
	xor	%eax, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %fs
	mov	%eax, %gs
	mov	$(MICA_PROC_HCPAGE + HCPAGE_PARAMS_OFFSET), %r12
	cmpl	$0, HCP_XSAVE(%r12)
	je	11f
	/* XCR0 but AMX: a tile state needs a permission this process cannot ask for. */
	xor	%ecx, %ecx
	xgetbv
	and	$~0x60000, %eax
	xrstor64 (%r12)
	jmp	12f
	/* No XSAVE, so x87 and SSE only: empty x87 registers that hold zeros, zero XMM registers. */
11:	fninit
	.rept 8
	fldz
	.endr
	fninit
	ldmxcsr	HCP_MXCSR(%r12)
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	xorps	%xmm\n, %xmm\n
	.endr
12:
	mov	HCP_RESTORE(%r12), %r15
	test	%r15, %r15
	jnz	10f

	mov	HCP_START_INFO(%r12), %rsi
	mov	HCP_ENTRY(%r12), %rax
	xor	%ebx, %ebx
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%edi, %edi
	xor	%ebp, %ebp
	xor	%esp, %esp
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d
	jmp	*%rax

	/*
	 * Restore: resume the guest where its ready hypercall was made (struct mica_ready_ctx at
	 * %r15, in RAM mica filled from the snapshot), as if that call had returned 1. FS goes
	 * through the one arch_prctl the filter allows from this page.
	 */
10:	mov	$ARCH_SET_FS, %edi
	mov	64(%r15), %rsi
	mov	$__NR_arch_prctl, %eax
	syscall
	ldmxcsr	72(%r15)
	fldcw	76(%r15)
	mov	0(%r15), %rbx
	mov	8(%r15), %rbp
	mov	16(%r15), %r12
	mov	24(%r15), %r13
	mov	32(%r15), %r14
	mov	48(%r15), %rsp
	mov	56(%r15), %rcx
	mov	40(%r15), %r15
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	mov	$1, %eax
	jmp	*%rcx

	/* Setup failed before the filter could matter; mica sees status 127 and reports it. */
9:	mov	$__NR_exit_group, %eax
	mov	$127, %edi
	syscall
	ud2

	.balign 8, 0xcc
hcpage_rflags:
	.quad	0x202		/* IF, and the always-one bit: what a new process starts with */

	.org hcpage_template + HCPAGE_PARAMS_OFFSET, 0xcc
hcpage_template_end:
