/* memcpy, memmove, memset and memcmp on string instructions, which fast-string CPUs run well. */

/* One section per function so that --gc-sections drops the unused ones. */
#define FUNC(name) .section .text.name, "ax", @progbits; .globl name; .type name, @function; name:
#define ENDFUNC(name) .size name, . - name

/* void *memcpy(void *dst, const void *src, size_t n) */
FUNC(memcpy)
	movq %rdi, %rax
	movq %rdx, %rcx
	rep movsb
	ret
ENDFUNC(memcpy)

/* void *memmove(void *dst, const void *src, size_t n) */
FUNC(memmove)
	movq %rdi, %rax
	movq %rdx, %rcx
	/* A forward copy is only wrong when dst lands inside [src, src + n). */
	movq %rdi, %r8
	subq %rsi, %r8
	cmpq %rdx, %r8
	jb 1f
	rep movsb
	ret
1:	leaq -1(%rsi, %rdx), %rsi
	leaq -1(%rdi, %rdx), %rdi
	std
	rep movsb
	/* The ABI requires the direction flag clear at every call and return. */
	cld
	ret
ENDFUNC(memmove)

/* void *memset(void *dst, int c, size_t n) */
FUNC(memset)
	movq %rdi, %r8
	movl %esi, %eax
	movq %rdx, %rcx
	rep stosb
	movq %r8, %rax
	ret
ENDFUNC(memset)

/* int memcmp(const void *a, const void *b, size_t n) */
FUNC(memcmp)
	movq %rdx, %rcx
	xorl %eax, %eax
	/* Sets ZF for n == 0, where repe cmpsb leaves the flags alone. */
	testq %rcx, %rcx
	repe cmpsb
	je 1f
	movzbl -1(%rdi), %eax
	movzbl -1(%rsi), %ecx
	subl %ecx, %eax
1:	ret
ENDFUNC(memcmp)

.section .note.GNU-stack, "", @progbits
