/* The ready hypercall with the caller's context saved first: a restore resumes right here. */
#include <mica/abi.h>

/*
 * long xen_ready_call(struct mica_ready_ctx *ctx): stores what a restore needs to return from
 * this call (callee-saved registers, the stack pointer and return address, MXCSR, x87 control
 * word; the caller filled fs_base), then makes MICA_HC_READY(ctx). A restored guest arrives at
 * the return address with rax = 1 and these registers, as if the hypercall had returned 1.
 */
	.text
	.globl xen_ready_call
xen_ready_call:
	mov	%rbx, 0(%rdi)
	mov	%rbp, 8(%rdi)
	mov	%r12, 16(%rdi)
	mov	%r13, 24(%rdi)
	mov	%r14, 32(%rdi)
	mov	%r15, 40(%rdi)
	lea	8(%rsp), %rax
	mov	%rax, 48(%rdi)
	mov	(%rsp), %rax
	mov	%rax, 56(%rdi)
	stmxcsr	72(%rdi)
	fnstcw	76(%rdi)
	jmp	hypercall_page + MICA_HC_READY * MICA_HC_SLOT_SIZE

	.section .note.GNU-stack, "", @progbits
