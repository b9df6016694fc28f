/* Embeds the guest process loader (built from loader/loader.S) into mica. */
	.section .rodata.proc_loader, "a"
	.globl proc_loader_elf
	.globl proc_loader_elf_end
proc_loader_elf:
	.incbin PROC_LOADER_ELF
proc_loader_elf_end:
	.section .note.GNU-stack, "", @progbits
