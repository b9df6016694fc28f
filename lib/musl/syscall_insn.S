/*
 * What musl's assembly calls where it had a syscall instruction: the same registers in (rax
 * number; rdi, rsi, rdx, r10, r8, r9 arguments) and out (rax; only rcx and r11 clobbered),
 * turned into a C call of mica_syscall on a 16-byte aligned stack.
 */
	.text
	.globl __mica_syscall_insn
	.type __mica_syscall_insn, @function
__mica_syscall_insn:
	push	%rbp
	mov	%rsp, %rbp
	push	%rdi
	push	%rsi
	push	%rdx
	push	%r8
	push	%r9
	push	%r10
	and	$-16, %rsp
	sub	$8, %rsp
	push	%r9			/* a6 on the stack */
	mov	%r8, %r9		/* a5 */
	mov	%r10, %r8		/* a4 */
	mov	%rdx, %rcx		/* a3 */
	mov	%rsi, %rdx		/* a2 */
	mov	%rdi, %rsi		/* a1 */
	mov	%rax, %rdi		/* n */
	call	mica_syscall
	lea	-48(%rbp), %rsp
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdx
	pop	%rsi
	pop	%rdi
	pop	%rbp
	ret
	.size __mica_syscall_insn, . - __mica_syscall_insn
	.section .note.GNU-stack, "", @progbits
