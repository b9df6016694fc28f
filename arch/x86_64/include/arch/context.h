/* Cooperative switching between execution contexts, each with its own stack (switch.S). */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#include <stdint.h>

/* A suspended context is just its stack pointer: everything else was pushed onto that stack. */
struct arch_context {
	uintptr_t rsp;
};

/*
 * Saves the callee-saved state of the running context into from and resumes to. Returns when
 * some other context switches back to from.
 */
void arch_context_switch(struct arch_context *from, struct arch_context *to);

/*
 * Prepares ctx so that the first switch to it runs entry(arg) on the stack that ends at
 * stack_top, with the default x87 and SSE control state. entry must not return: if it does,
 * the context traps on an invalid opcode.
 */
void arch_context_init(struct arch_context *ctx, void *stack_top, void (*entry)(void *), void *arg);

#endif
