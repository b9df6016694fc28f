/*
 * The guest process starts as this tiny static program: exec is the cheapest way to a fresh
 * address space here (fork copies mica's). It maps guest RAM and the hypercall page from the
 * memfd mica left at fd 3, waits until mica has loaded the image, and enters the bootstrap.
 */
#include <asm/unistd.h>
#include <mica/abi.h>
#include "vm/proc/hcpage.h"

#define PROT_RW 3
#define PROT_RX 5
#define MAP_SHARED_FIXED_NOREPLACE 0x100001
#define SEEK_END 2
#define FUTEX_WAIT 0
#define PR_SET_NAME 15
#define GUEST_FD 3

	.text
	.globl _start
_start:
	mov	$__NR_prctl, %eax
	mov	$PR_SET_NAME, %edi
	lea	name(%rip), %rsi
	syscall

	mov	$__NR_lseek, %eax
	mov	$GUEST_FD, %edi
	xor	%esi, %esi
	mov	$SEEK_END, %edx
	syscall
	test	%rax, %rax
	js	fail
	lea	-MICA_PAGE_SIZE(%rax), %r12	/* RAM size: the memfd ends with the hypercall page */

	mov	$__NR_mmap, %eax
	mov	$MICA_RAM_BASE, %edi
	mov	%r12, %rsi
	mov	$PROT_RW, %edx
	mov	$MAP_SHARED_FIXED_NOREPLACE, %r10d
	mov	$GUEST_FD, %r8d
	xor	%r9d, %r9d
	syscall
	cmp	$MICA_RAM_BASE, %rax
	jne	fail

	mov	$__NR_mmap, %eax
	mov	$MICA_PROC_HCPAGE, %edi
	mov	$MICA_PAGE_SIZE, %esi
	mov	$PROT_RX, %edx
	mov	$MAP_SHARED_FIXED_NOREPLACE, %r10d
	mov	$GUEST_FD, %r8d
	mov	%r12, %r9
	syscall
	cmp	$MICA_PROC_HCPAGE, %rax
	jne	fail

	mov	$__NR_close, %eax
	mov	$GUEST_FD, %edi
	syscall

	/* mica raises "go" and wakes this shared futex once guest RAM is ready. */
	mov	$(MICA_PROC_HCPAGE + HCPAGE_PARAMS_OFFSET + HCP_GO), %r13
1:	cmpl	$0, (%r13)
	jne	2f
	mov	$__NR_futex, %eax
	mov	%r13, %rdi
	mov	$FUTEX_WAIT, %esi
	xor	%edx, %edx
	xor	%r10d, %r10d
	syscall
	jmp	1b

2:	mov	$(MICA_PROC_HCPAGE + HCPAGE_PARAMS_OFFSET), %edi
	mov	$(MICA_PROC_HCPAGE + HCPAGE_BOOTSTRAP_OFFSET), %eax
	jmp	*%rax

fail:
	mov	$__NR_exit_group, %eax
	mov	$127, %edi
	syscall

	.section .rodata
name:	.asciz "mica-guest"
