/* The Xen upcall vector's entry: it counts and returns. */

/*
 * Event handlers run in thread context (plat_block dispatches after SCHEDOP_block), never here;
 * a vector callback needs no EOI.
 */
	.section .text.kvm_xen_upcall_entry, "ax", @progbits
	.globl kvm_xen_upcall_entry
kvm_xen_upcall_entry:
	lock incq kvm_xen_upcalls(%rip)
	iretq

.section .note.GNU-stack, "", @progbits
