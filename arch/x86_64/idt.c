/* The IDT: exception gates to the entry stubs of traps.S, interrupt gates a platform asks for. */
#include <arch/cpu_regs.h>
#include <arch/traps.h>

/* traps.S: one stub per exception, ARCH_TRAP_STUB_SIZE bytes apart. */
#define ARCH_TRAP_STUB_SIZE 16
#define ARCH_TRAP_EXCEPTIONS 32
extern const char arch_trap_stubs[];

/* Called by every stub with the saved frame. */
arch_trap_handler_t arch_trap_handler;

struct arch_idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};

/* Present, ring 0, 64-bit interrupt gate: the CPU clears IF on entry. */
#define ARCH_IDT_INTERRUPT_GATE 0x8e
#define ARCH_IST_DOUBLE_FAULT 1
#define ARCH_IST_NMI 2
#define ARCH_IST_IRQ 3

/* Page-aligned: 4 KiB exactly, so filling it touches one page. */
static struct arch_idt_gate arch_idt[256] __attribute__((aligned(4096)));

static void arch_idt_set(unsigned int vector, uintptr_t entry, uint8_t ist)
{
	arch_idt[vector] = (struct arch_idt_gate){
		.offset_low = (uint16_t)entry,
		.selector = ARCH_GDT_CODE,
		.ist = ist,
		.type = ARCH_IDT_INTERRUPT_GATE,
		.offset_mid = (uint16_t)(entry >> 16),
		.offset_high = (uint32_t)(entry >> 32),
	};
}

void arch_traps_init(arch_trap_handler_t handler)
{
	const struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof(arch_idt) - 1, (uintptr_t)arch_idt};

	arch_trap_handler = handler;
	for (unsigned int v = 0; v < ARCH_TRAP_EXCEPTIONS; v++)
		arch_idt_set(v, (uintptr_t)arch_trap_stubs + v * ARCH_TRAP_STUB_SIZE, 0);
	/* A fault while pushing onto an overflowed stack becomes #DF: it needs a stack of its own. */
	arch_idt[8].ist = ARCH_IST_DOUBLE_FAULT;
	arch_idt[2].ist = ARCH_IST_NMI;
	__asm__ __volatile__("lidt %0" : : "m"(idtr) : "memory");
}

void arch_irq_set_entry(uint8_t vector, void (*entry)(void))
{
	arch_idt_set(vector, (uintptr_t)entry, ARCH_IST_IRQ);
}
