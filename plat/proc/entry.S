/* proc entry point: the runtime jumps here with %rsi = start_info and no stack. */
	.section .text.entry, "ax"
	.globl _mica_proc_entry
_mica_proc_entry:
	lea	proc_boot_stack_top(%rip), %rsp
	xor	%ebp, %ebp
	mov	%rsi, %rdi
	call	proc_start
	ud2

	/* Its own section: the linker script puts it right above a page the guest cannot touch. */
	.section .stack, "aw", @nobits
	.balign 16
proc_boot_stack:
	.skip CONFIG_STACK_SIZE_KIB * 1024
proc_boot_stack_top:
