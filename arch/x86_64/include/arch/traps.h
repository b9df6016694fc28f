/* CPU exceptions and interrupt vectors: the GDT/TSS/IDT setup and the register frame of a trap. */
#ifndef ARCH_TRAPS_H
#define ARCH_TRAPS_H

#include <stddef.h>
#include <stdint.h>

/* What the exception entry saved, lowest address first; the last five words are the CPU's. */
struct arch_trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code; /* zero for the exceptions that push none */
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Every exception is fatal in Mica: the handler reports and ends the guest. */
typedef void (*arch_trap_handler_t)(const struct arch_trap_frame *frame) __attribute__((noreturn));

/*
 * Completes the boot GDT with the TSS (which gives #DF and NMI stacks of their own, so a
 * stack overflow is still reported) and loads the task register. Once, before arch_traps_init.
 */
void arch_cpu_init(void);

/* Routes exceptions 0..31 to handler and loads the IDT; the other vectors stay absent. */
void arch_traps_init(arch_trap_handler_t handler);

/*
 * Routes interrupt vector (32..255) to entry, an assembly routine that ends in iretq. It runs on
 * a stack of its own, ARCH_IRQ_STACK_SIZE bytes with the CPU's frame, so the interrupted stack is
 * never written (code built with a red zone, like libgcc, keeps what it left below rsp); it
 * must therefore not enable interrupts.
 */
#define ARCH_IRQ_STACK_SIZE 256
void arch_irq_set_entry(uint8_t vector, void (*entry)(void));

/* Room arch_trap_describe needs for the whole report. */
#define ARCH_TRAP_REPORT_MAX 640

/*
 * Writes the report of a trap into buf: "crash: NAME (vector N), error code 0x.., at rip 0x.."
 * (NAME the SDM's mnemonic, like #PF; and cr2 for a page fault), then every register. Returns
 * its length.
 */
size_t arch_trap_describe(const struct arch_trap_frame *frame, char *buf, size_t size);

#endif
