/* COM1, polled, 8N1: the console when there is no Xen. "\n" goes out as "\r\n". */

/*
 * The FIFOs stay off: turning them on empties the receiver, losing input a VMM fed in before
 * boot, whereas a single holding register makes the VMM wait until each byte is taken.
 */
#include <arch/cpu.h>
#include <arch/io.h>
#include "kvm.h"

#define KVM_UART 0x3f8
#define KVM_UART_DATA (KVM_UART + 0) /* with LCR_DLAB: divisor, low byte */
#define KVM_UART_IER (KVM_UART + 1)  /* with LCR_DLAB: divisor, high byte */
#define KVM_UART_LCR (KVM_UART + 3)
#define KVM_UART_LSR (KVM_UART + 5)

#define KVM_UART_LCR_8N1 0x03
#define KVM_UART_LCR_DLAB 0x80
#define KVM_UART_LSR_READY 0x01
#define KVM_UART_LSR_THRE 0x20 /* the holding register takes a byte */
#define KVM_UART_LSR_TEMT 0x40 /* and the shift register has sent the last one */

void kvm_uart_init(void)
{
	cpu_outb(KVM_UART_IER, 0); /* polled: no interrupts */
	cpu_outb(KVM_UART_LCR, KVM_UART_LCR_DLAB);
	cpu_outb(KVM_UART_DATA, 1); /* 115200 baud */
	cpu_outb(KVM_UART_IER, 0);
	cpu_outb(KVM_UART_LCR, KVM_UART_LCR_8N1);
}

static void kvm_uart_put(char c)
{
	while (!(cpu_inb(KVM_UART_LSR) & KVM_UART_LSR_THRE))
		cpu_relax();
	cpu_outb(KVM_UART_DATA, (uint8_t)c);
}

void kvm_uart_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			kvm_uart_put('\r');
		kvm_uart_put(buf[i]);
	}
}

bool kvm_uart_readable(void)
{
	return cpu_inb(KVM_UART_LSR) & KVM_UART_LSR_READY;
}

size_t kvm_uart_read(char *buf, size_t len)
{
	size_t n = 0;

	while (n < len && kvm_uart_readable())
		buf[n++] = (char)cpu_inb(KVM_UART_DATA);
	return n;
}

void kvm_uart_flush(void)
{
	while (!(cpu_inb(KVM_UART_LSR) & KVM_UART_LSR_TEMT))
		cpu_relax();
}
