/* Cooperative context switch and the initial frame that starts a new context. */

/*
 * A suspended context's stack, from its saved rsp upwards: MXCSR (4 bytes), x87 control word
 * (2 bytes, then 2 of padding), r15, r14, r13, r12, rbx, rbp, return address. The caller-saved
 * registers need no saving because arch_context_switch is an ordinary call to its callers.
 */

#define MXCSR_DEFAULT 0x1f80
#define FCW_DEFAULT 0x037f

.section .text.arch_context, "ax", @progbits

/* void arch_context_switch(struct arch_context *from, struct arch_context *to) */
.globl arch_context_switch
.type arch_context_switch, @function
arch_context_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp
	stmxcsr (%rsp)
	fnstcw 4(%rsp)
	movq %rsp, (%rdi)

	movq (%rsi), %rsp
	ldmxcsr (%rsp)
	fldcw 4(%rsp)
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
.size arch_context_switch, . - arch_context_switch

/*
 * void arch_context_init(struct arch_context *ctx, void *stack_top, void (*entry)(void *), void *arg)
 * Builds a suspended frame whose return address is arch_context_start, with entry in r13 and
 * arg in r12. The frame ends at the 16-byte aligned top, so after the final ret pops the return
 * address rsp is aligned and the call in arch_context_start enters entry as the ABI expects.
 */
.globl arch_context_init
.type arch_context_init, @function
arch_context_init:
	andq $-16, %rsi
	leaq arch_context_start(%rip), %rax
	movq %rax, -8(%rsi)
	/* rbp = 0 ends frame-pointer walks at the bottom of the new context. */
	movq $0, -16(%rsi)
	movq $0, -24(%rsi)
	movq %rcx, -32(%rsi)
	movq %rdx, -40(%rsi)
	movq $0, -48(%rsi)
	movq $0, -56(%rsi)
	movl $MXCSR_DEFAULT, -64(%rsi)
	movl $FCW_DEFAULT, -60(%rsi)
	leaq -64(%rsi), %rax
	movq %rax, (%rdi)
	ret
.size arch_context_init, . - arch_context_init

.type arch_context_start, @function
arch_context_start:
	movq %r12, %rdi
	call *%r13
	ud2
.size arch_context_start, . - arch_context_start

.section .note.GNU-stack, "", @progbits
