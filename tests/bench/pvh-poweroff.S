/* The bench's baseline PVH guest: QEMU boots it like a kvm image, and it powers off at once. */

/* XEN_ELFNOTE_PHYS32_ENTRY; QEMU reads the descriptor at the name rounded up to the note's
 * alignment, so the note stays 4-aligned, as the kvm images' own. */
	.section .note.xen, "a", @note
	.balign 4
	.long 4, 4, 18
	.asciz "Xen"
	.long pvh_entry

	.text
	.code32
	.globl pvh_entry
pvh_entry:
	/* The way kvm images power off: SLP_EN with sleep type 0 (S5) in the PIIX4 PM1a control
	 * block at 0x604, where SeaBIOS places it. */
	mov $0x604, %dx
	mov $0x2000, %ax
	out %ax, %dx
1:	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
