/* Exception entry stubs: vector and error code, every register, then the handler of idt.c. */

/* Exceptions for which the CPU pushes an error code itself. */
#define HAS_ERROR_CODE(v) \
	((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.section .text.arch_traps, "ax", @progbits

/* idt.c finds stub v at arch_trap_stubs + 16 * v. */
	.balign 16
	.globl arch_trap_stubs
arch_trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign 16
	.ifeq HAS_ERROR_CODE(\v)
	pushq $0
	.endif
	pushq $\v
	jmp arch_trap_common
	.endr

/* Builds struct arch_trap_frame (arch/traps.h) below the CPU's frame. */
arch_trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	/* The CPU aligned rsp to 16 before its frame; 22 words later it is aligned again. */
	cld
	movq %rsp, %rdi
	call *arch_trap_handler(%rip)
	ud2

.section .note.GNU-stack, "", @progbits
