/* The GDT (flat 64-bit code and data, one TSS) and the TSS's interrupt stacks: #DF, NMI, interrupts. */
#include <arch/cpu_regs.h>
#include <arch/traps.h>

struct arch_tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/* The trap reports format on these stacks: a page each is plenty. */
#define ARCH_IST_STACK_SIZE 4096

static struct arch_tss arch_tss;
static char arch_ist_stacks[2][ARCH_IST_STACK_SIZE] __attribute__((aligned(16)));
static char arch_irq_stack[ARCH_IRQ_STACK_SIZE] __attribute__((aligned(16)));

/*
 * Loaded by 32-bit boot code before C runs (lgdt there reads the 32-bit base), so it is fully
 * formed except for the TSS descriptor, whose base only exists once linked.
 */
uint64_t arch_gdt[5] = {
	0,
	[ARCH_GDT_CODE / 8] = 0x00af9a000000ffffULL, /* long mode, present, execute/read */
	[ARCH_GDT_DATA / 8] = 0x00cf92000000ffffULL, /* present, read/write */
};

const struct {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed)) arch_gdt_ptr = {sizeof(arch_gdt) - 1, (uint64_t)(uintptr_t)arch_gdt};

void arch_cpu_init(void)
{
	uint64_t base = (uintptr_t)&arch_tss;

	/* IST numbers 1, 2 and 3 (idt.c): #DF, NMI, interrupts. Stacks grow down from their end. */
	arch_tss.ist[0] = (uintptr_t)(arch_ist_stacks + 1);
	arch_tss.ist[1] = (uintptr_t)(arch_ist_stacks + 2);
	arch_tss.ist[2] = (uintptr_t)(arch_irq_stack + ARCH_IRQ_STACK_SIZE);
	arch_tss.iomap_base = sizeof(arch_tss); /* no I/O permission bitmap */
	arch_gdt[ARCH_GDT_TSS / 8] = (sizeof(arch_tss) - 1) | (base & 0xffffff) << 16 |
				     0x89ULL << 40 /* present, available 64-bit TSS */ |
				     (base >> 24 & 0xff) << 56;
	arch_gdt[ARCH_GDT_TSS / 8 + 1] = base >> 32;
	__asm__ __volatile__("ltr %w0" : : "r"(ARCH_GDT_TSS) : "memory");
}
